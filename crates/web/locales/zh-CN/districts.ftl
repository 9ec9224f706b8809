# 区县对比：各区县督查进度并列，及上一级（市、省）合计。

nav-districts = 区县对比
districts-title = 各区县督查进度对比
districts-hint = 每个区县的数字与该区县自己的督查总览一致；合计按各区县的事项数相加后计算比率，不是各区县比率的平均。
districts-export = 导出 Excel
districts-progress = 进度
districts-by-category = 各区县分类完成率
districts-district = 区县
districts-total = 合计
districts-sheet-progress = 各区县进度
districts-sheet-categories = 分类完成率
unit-kind-province = 省
error-district-spec = 区县代码和单位代码前缀只能是大写英文字母，区县名称不能为空。
error-district-exists = 该区县已在运行自己的工作方案。
district-not-yet = 本区县暂不能使用此功能：目前按区县分开管理的是督查督办（任务、进度报送、审核、督查总览和区县对比），其余功能将陆续按区县启用。

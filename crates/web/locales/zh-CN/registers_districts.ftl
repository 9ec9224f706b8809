# 区县抽查对比与公开页面的区县（各区县分别登记企业名录与监督抽查）

nav-sampling-districts = 区县抽查对比
regd-title = 各区县监督抽查对比
regd-hint = 每个区县的数字与该区县自己的监督抽查页面一致；合计按各区县的抽查批次与合格批次相加后计算合格率，不是各区县合格率的平均。
regd-export = 导出 Excel
regd-year = 抽查年度
regd-figures = { $year }年监督抽查与企业名录
regd-district = 区县
regd-all-districts = 全部区县
regd-sampled = 抽查批次
regd-passed = 合格批次
regd-failed = 不合格批次
regd-rate = 合格率
regd-registered = 登记企业
regd-blacklisted = 黑名单企业
regd-total = 合计
regd-by-category = 各区县按产品类别的合格率
regd-sheet-figures = 各区县抽查
regd-sheet-categories = 按产品类别

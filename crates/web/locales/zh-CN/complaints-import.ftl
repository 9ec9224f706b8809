# Complaints: importing the tickets other hotline systems export.
cmpi-title = 导入投诉工单
cmpi-link = 导入工单
cmpi-back = 返回导入投诉工单
cmpi-triage = 件待分派
cmpi-hint = 上传 12345、12315 等热线系统导出的工单表（XLSX 或 CSV），按模板的列名整理后导入。
cmpi-template = 下载导入模板
cmpi-rule-columns = 必填：来源渠道、受理日期、投诉内容。类别留空时按内容自动分类；承办单位留空时按派单目录派单，无法派单的进入待分派队列。
cmpi-rule-closed = 原系统已办结的工单，填写办结日期和核查结果（可填满意度），导入后为已办结，计入投诉统计。
cmpi-rule-again = 同一来源渠道的同一工单编号再次导入时不重复登记。
cmpi-rule-refused = 只要有一行有错误，整份文件都不导入；结果页列出行号和原因。
cmpi-file = 文件（XLSX 或 CSV）
cmpi-submit = 上传并导入

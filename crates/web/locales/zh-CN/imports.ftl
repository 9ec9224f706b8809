# The import queue: a registry file's progress and outcome.
import-choose-file = 请选择要导入的文件（Excel 或 CSV）。
import-queued = 排队等待导入：前面还有 { $n } 个文件。
import-running = 正在导入：已读取 { $rows } 行。
import-refresh-note = 本页每 2 秒自动刷新。可以离开本页，导入在后台继续；之后从这里或名录页的“最近的导入”查看结果。
import-file = 文件
import-queued-at = 提交于
import-recent = 最近的导入
import-state-queued = 排队中
import-state-running = 导入中
import-state-done = 已完成，导入 { $n } 行
import-state-failed = 未导入
import-unknown-kind = 此类文件不能导入。

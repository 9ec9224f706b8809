# Lists: paging, sorting, filters and search.
list-pager = 第 { $page } / { $pages } 页，共 { $total } 条
list-no-rows = 没有符合条件的记录。
list-area = 所属区域
list-search-content = 内容关键词
list-search-content-hint = 可输入多个词，用空格分开
list-seq = 序号
list-ent-search = 企业名称、地址或代码
list-ent-search-hint = 可输入多个词，用空格分开；代码可只输入开头几位

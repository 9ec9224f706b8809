# Lists: paging, sorting, filters and search.
list-pager = Page { $page } of { $pages }, { $total } in all
list-no-rows = Nothing matches these filters.
list-area = Area
list-search-content = Content words
list-search-content-hint = Several words may be separated by spaces
list-seq = No.
list-ent-search = Enterprise name, address or code
list-ent-search-hint = Several words separated by spaces; the first digits of a code are enough

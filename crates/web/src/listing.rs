//! Paging and sorting shared by every list page: `page`, `sort` and `dir` from the query, a
//! fixed list of sortable columns per list (a key the user sends only ever selects one of them,
//! so no user text reaches the SQL), and the links of the pager and the column headers, which
//! keep the list's filters.

use crate::view::encode_component;
use qcity_store::Order;

/// Rows per page on every list.
pub const PAGE_SIZE: i64 = 50;

/// A sortable column: the key in the URL and the SQL it sorts by.
pub struct SortKey {
    pub key: &'static str,
    pub column: &'static str,
}

/// A list's sortable columns and its default order.
pub struct Sorts {
    pub keys: &'static [SortKey],
    /// The key shown as sorted when the URL names none (the store's own default order).
    pub default_key: &'static str,
    pub default_desc: bool,
}

/// One list's state: where it is, how it is sorted, what it keeps in its links.
#[derive(Debug, Clone)]
pub struct Listing {
    pub page: i64,
    pub per_page: i64,
    /// The sort key in force (`""` when the list is in its default order).
    pub sort: &'static str,
    pub desc: bool,
    column: Option<&'static str>,
    default_key: &'static str,
    default_desc: bool,
    /// The page's path, such as `/enterprises`.
    path: &'static str,
    /// The filters kept in every link, in order, without empty ones.
    keep: Vec<(&'static str, String)>,
    pub total: i64,
}

impl Listing {
    /// Reads `page`, `sort` and `dir` as the user sent them. A page that is not a positive
    /// number is the first page; a sort key not in `sorts` keeps the default order.
    pub fn new(path: &'static str, sorts: &Sorts, page: &str, sort: &str, dir: &str) -> Listing {
        let page = page
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or(1)
            // Far beyond any list; keeps the offset from overflowing.
            .min(1_000_000);
        let found = sorts.keys.iter().find(|k| k.key == sort);
        let (sort, column, desc) = match found {
            Some(k) => (k.key, Some(k.column), dir == "desc"),
            None => (sorts.default_key, None, sorts.default_desc),
        };
        Listing {
            page,
            per_page: PAGE_SIZE,
            sort,
            desc,
            column,
            default_key: sorts.default_key,
            default_desc: sorts.default_desc,
            path,
            keep: Vec::new(),
            total: 0,
        }
    }

    /// Keeps a filter in the pager and header links (an empty value is left out).
    pub fn keep(mut self, name: &'static str, value: &str) -> Listing {
        if !value.trim().is_empty() {
            self.keep.push((name, value.to_string()));
        }
        self
    }

    /// The order for the store: `None` for the list's default order.
    pub fn order(&self) -> Option<Order> {
        self.column.map(|c| Order::new(c, self.desc))
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }

    pub fn with_total(mut self, total: i64) -> Listing {
        self.total = total;
        self
    }

    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    fn href(&self, page: i64, sort: &str, desc: bool) -> String {
        let mut parts: Vec<String> = self
            .keep
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if !sort.is_empty() && (sort != self.default_key || desc != self.default_desc) {
            parts.push(format!("sort={sort}"));
            parts.push(format!("dir={}", if desc { "desc" } else { "asc" }));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            self.path.to_string()
        } else {
            format!("{}?{}", self.path, parts.join("&"))
        }
    }

    /// A page of the same list, same filters and order.
    pub fn page_href(&self, page: i64) -> String {
        self.href(page.max(1), self.sort, self.desc)
    }

    pub fn prev_href(&self) -> String {
        self.page_href(self.page - 1)
    }

    pub fn next_href(&self) -> String {
        self.page_href(self.page + 1)
    }

    /// A column header's link: the sorted column toggles its direction, another column sorts
    /// ascending; both go back to the first page.
    pub fn sort_href(&self, key: &str) -> String {
        let desc = key == self.sort && !self.desc;
        self.href(1, key, desc)
    }

    /// The header's `aria-sort`, for the sorted column only.
    pub fn aria_sort(&self, key: &str) -> &'static str {
        match (key == self.sort, self.desc) {
            (false, _) => "",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// The arrow after the sorted column's name.
    pub fn mark(&self, key: &str) -> &'static str {
        match (key == self.sort, self.desc) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SORTS: Sorts = Sorts {
        keys: &[
            SortKey {
                key: "name",
                column: "e.name",
            },
            SortKey {
                key: "code",
                column: "e.code",
            },
        ],
        default_key: "name",
        default_desc: false,
    };

    #[test]
    fn an_unknown_sort_key_or_bad_page_keeps_the_default() {
        let l = Listing::new("/x", &SORTS, "abc", "name; DROP TABLE", "desc");
        assert_eq!(
            (l.page, l.sort, l.desc, l.order()),
            (1, "name", false, None)
        );
        let l = Listing::new("/x", &SORTS, "-3", "", "");
        assert_eq!(l.page, 1);
    }

    #[test]
    fn links_keep_filters_order_and_toggle_the_sorted_column() {
        let l = Listing::new("/x", &SORTS, "2", "code", "asc")
            .keep("q", "惠济 食品")
            .keep("town", "")
            .with_total(120);
        assert_eq!(l.order(), Some(Order::new("e.code", false)));
        assert_eq!(l.offset(), 50);
        assert_eq!(l.pages(), 3);
        assert_eq!(
            l.next_href(),
            "/x?q=%E6%83%A0%E6%B5%8E%20%E9%A3%9F%E5%93%81&sort=code&dir=asc&page=3"
        );
        assert!(l.sort_href("code").ends_with("sort=code&dir=desc"));
        assert!(
            l.sort_href("name")
                .ends_with("q=%E6%83%A0%E6%B5%8E%20%E9%A3%9F%E5%93%81")
        );
        assert_eq!(l.aria_sort("code"), "ascending");
        assert_eq!(l.aria_sort("name"), "");
    }
}

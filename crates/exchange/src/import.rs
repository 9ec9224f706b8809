//! Sheets → plan, against a base plan that supplies what the workbook does
//! not carry (links, content targets, inherited flags, notes of categories
//! and items, areas and groups).
//!
//! A cell whose text equals what export writes for the base plan keeps the
//! base value exactly, so an unedited workbook reads back as its plan; only
//! edited cells are parsed.

use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use qcity_domain::plan::{
    Category, Content, Deadline, Diagnostic, Indicator, Item, Plan, Register, Task, Unit, UnitKind,
    has_errors, note_original,
};
use qcity_domain::target::{self, Lang, Target};

use crate::layout::{
    DECOMPOSITION_HEADERS, INDICATOR_HEADERS, NOTES_SEP, SHEET_DECOMPOSITION, SHEET_INDICATORS,
    SHEET_TASKS, SHEET_UNITS, TASK_HEADERS, UNIT_HEADERS, notes_cell, unit_names,
};
use crate::sheet::{Cell, Sheet, column_letter};
use crate::text::{
    ParsedDeadline, code, excel_serial_date, format_date_zh, format_number, normalize,
    parse_deadline, split_code, split_list, split_notes,
};

/// How many rows from the top are searched for the header row.
const HEADER_SEARCH_ROWS: usize = 10;

pub(crate) fn plan_from_sheets(
    sheets: &[Sheet],
    base: &Plan,
) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut im = Importer {
        base,
        diags: Vec::new(),
        unit_names: HashMap::new(),
        content_rows: HashMap::new(),
    };
    let mut plan = base.clone();
    if let Some(t) = im.table(sheets, SHEET_UNITS, &UNIT_HEADERS, &[0, 1]) {
        plan.units = im.units(&t);
    }
    if let Some(t) = im.table(sheets, SHEET_INDICATORS, &INDICATOR_HEADERS, &[0, 3, 4]) {
        plan.indicators = im.indicators(&t);
    }
    if let Some(t) = im.table(sheets, SHEET_TASKS, &TASK_HEADERS, &[0, 1, 3, 4]) {
        plan.tasks = im.tasks(&t);
    }
    if let Some(t) = im.table(
        sheets,
        SHEET_DECOMPOSITION,
        &DECOMPOSITION_HEADERS,
        &[0, 1, 2, 3, 4, 5, 6],
    ) {
        plan.categories = im.decomposition(&t, &plan.units);
    }
    if has_errors(&im.diags) {
        // Validation findings would mostly repeat the cell errors.
        return Err(im.diags);
    }
    im.prune_links(&mut plan);
    let validation = plan.validate(None);
    let mut diags = im.diags;
    diags.extend(
        validation
            .into_iter()
            .map(|d| locate(d, &plan, &im.content_rows)),
    );
    if has_errors(&diags) {
        Err(diags)
    } else {
        Ok((plan, diags))
    }
}

/// A located table: a sheet, its header row, and where each expected column is.
struct Table<'s> {
    sheet: &'s Sheet,
    header_row: usize,
    headers: &'static [&'static str],
    cols: Vec<Option<usize>>,
}

impl Table<'_> {
    fn data_rows(&self) -> std::ops::Range<usize> {
        self.header_row + 1..self.sheet.rows.len()
    }

    fn cell(&self, row: usize, h: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        match self.cols.get(h).copied().flatten() {
            Some(col) => self.sheet.cell(row, col),
            None => &EMPTY,
        }
    }

    /// Normalised text of a cell.
    fn text(&self, row: usize, h: usize) -> String {
        normalize(&self.cell(row, h).as_text())
    }

    fn blank_row(&self, row: usize) -> bool {
        (0..self.headers.len()).all(|h| self.cell(row, h).is_empty())
    }

    /// Whether a blank cell takes the value above because it is merged with it.
    fn merged_with_above(&self, row: usize, h: usize) -> bool {
        self.cols
            .get(h)
            .copied()
            .flatten()
            .is_some_and(|col| self.sheet.merged_with_above(row, col))
    }
}

struct Importer<'b> {
    base: &'b Plan,
    diags: Vec<Diagnostic>,
    /// Unit name → code, from the 单位 sheet.
    unit_names: HashMap<String, String>,
    /// Content code → 1-based row in the decomposition sheet.
    content_rows: HashMap<String, usize>,
}

/// What a content row resolved to, for the next row to inherit.
#[derive(Clone)]
struct Resolved {
    category: String,
    item: String,
    deadline_text: String,
    deadline: Deadline,
    lead: Vec<String>,
    undertaking: Vec<String>,
}

impl<'b> Importer<'b> {
    fn error_at(&mut self, t: &Table, row: usize, h: usize, en: String, zh: String) {
        let d = cell_diagnostic(t, row, h, en, zh, true);
        self.diags.push(d);
    }

    fn warning_at(&mut self, t: &Table, row: usize, h: usize, en: String, zh: String) {
        let d = cell_diagnostic(t, row, h, en, zh, false);
        self.diags.push(d);
    }

    /// Finds a sheet by name, or else by its header row; reports missing
    /// required columns. A missing optional sheet keeps the base's data.
    fn table<'s>(
        &mut self,
        sheets: &'s [Sheet],
        name: &str,
        headers: &'static [&'static str],
        required: &[usize],
    ) -> Option<Table<'s>> {
        let by_name = sheets.iter().find(|s| normalize(&s.name) == name);
        let found = by_name
            .and_then(|s| header_table(s, headers, required))
            .or_else(|| {
                sheets
                    .iter()
                    .find_map(|s| header_table(s, headers, required))
            });
        if found.is_none() {
            let missing: Vec<&str> = required
                .iter()
                .filter_map(|&h| headers.get(h).copied())
                .collect();
            let (en, zh) = match by_name {
                Some(_) => (
                    format!(
                        "sheet {name}: no header row with the columns {}",
                        missing.join(", ")
                    ),
                    format!(
                        "工作表“{name}”中找不到含有以下列的表头：{}",
                        missing.join("、")
                    ),
                ),
                None => (
                    format!(
                        "the workbook has no sheet {name}; that part of the plan is kept as it was"
                    ),
                    format!("工作簿中没有“{name}”工作表；该部分保持原样"),
                ),
            };
            // Only the decomposition sheet is required; the others fall back to the base.
            let d = if by_name.is_some() || name == SHEET_DECOMPOSITION {
                Diagnostic::error(format!("{name}!"), en, zh)
            } else {
                Diagnostic::warning(format!("{name}!"), en, zh)
            };
            self.diags.push(d);
        }
        found
    }

    // ------------------------------------------------------------ units

    fn units(&mut self, t: &Table) -> Vec<Unit> {
        let names: HashMap<String, String> = t
            .data_rows()
            .map(|r| (t.text(r, 1), code(&t.text(r, 0))))
            .filter(|(n, c)| !n.is_empty() && !c.is_empty())
            .collect();
        let mut units = Vec::new();
        for r in t.data_rows() {
            if t.blank_row(r) {
                continue;
            }
            let unit_code = code(&t.text(r, 0));
            if unit_code.is_empty() {
                self.error_at(
                    t,
                    r,
                    0,
                    "the unit code is empty".into(),
                    "单位代码为空".into(),
                );
                continue;
            }
            let base = self.base.unit(&unit_code);
            let kind_text = t.text(r, 2);
            let kind = match (UnitKind::from_label(&kind_text), base) {
                (Some(k), _) => k,
                (None, Some(b)) if kind_text.is_empty() => b.kind,
                (None, _) => {
                    let labels: Vec<&str> = UnitKind::ALL.iter().map(|k| k.label_zh()).collect();
                    self.error_at(
                        t,
                        r,
                        2,
                        format!(
                            "'{kind_text}' is not a unit type (one of {})",
                            labels.join(", ")
                        ),
                        format!(
                            "“{kind_text}”不是有效的单位类型（应为 {} 之一）",
                            labels.join("、")
                        ),
                    );
                    UnitKind::Member
                }
            };
            let parent_text = t.text(r, 3);
            let parent = if parent_text.is_empty() {
                None
            } else {
                Some(
                    names
                        .get(&parent_text)
                        .cloned()
                        .unwrap_or_else(|| code(&parent_text)),
                )
            };
            let registers = self.registers(t, r, base.map(|b| b.registers.as_slice()));
            let name = t.text(r, 1);
            units.push(Unit {
                name: match base {
                    Some(b) if normalize(&b.name) == name => b.name.clone(),
                    _ => name,
                },
                kind,
                parent,
                registers,
                notes: keep_notes(&t.text(r, 4), base.map(|b| b.notes.as_slice())),
                code: unit_code,
            });
        }
        self.unit_names = names;
        units
    }

    /// The 登记簿 cell: register labels separated by 、 or commas. A workbook without the column
    /// (written before it existed) keeps the registers the unit had.
    fn registers(&mut self, t: &Table, r: usize, base: Option<&[Register]>) -> Vec<Register> {
        if t.cols.get(5).copied().flatten().is_none() {
            return base.map(<[Register]>::to_vec).unwrap_or_default();
        }
        let mut out = Vec::new();
        for label in split_list(&t.text(r, 5)) {
            match Register::from_label(&label) {
                Some(reg) if !out.contains(&reg) => out.push(reg),
                Some(_) => {}
                None => {
                    let labels: Vec<&str> = Register::ALL.iter().map(|g| g.label_zh()).collect();
                    self.error_at(
                        t,
                        r,
                        5,
                        format!("'{label}' is not a register (one of {})", labels.join(", ")),
                        format!("“{label}”不是登记簿名称（应为 {} 之一）", labels.join("、")),
                    );
                }
            }
        }
        out
    }

    // ------------------------------------------------------------ indicators

    fn indicators(&mut self, t: &Table) -> Vec<Indicator> {
        let mut out: Vec<Indicator> = Vec::new();
        for r in t.data_rows() {
            if t.blank_row(r) {
                continue;
            }
            let ind_code = code(&t.text(r, 0));
            if ind_code.is_empty() {
                self.error_at(
                    t,
                    r,
                    0,
                    "the indicator code is empty".into(),
                    "指标编号为空".into(),
                );
                continue;
            }
            let base = self.base.indicator(&ind_code);
            let area = self.area(t, r, base, out.last());
            let seq = self.seq(t, r, 2, base.map(|b| b.seq));
            let text = keep_text(&t.text(r, 3), base.map(|b| b.text.as_str()));
            let target_text = t.text(r, 4);
            let (target, unit) = match base {
                Some(b) if normalize(&b.target) == target_text => {
                    (b.target.clone(), b.unit.clone())
                }
                _ => {
                    let target = self.target(t, r, 4, &target_text);
                    let unit = target::parse(&target)
                        .ok()
                        .and_then(|t| target_unit(&t))
                        .map(str::to_string)
                        .or_else(|| base.map(|b| b.unit.clone()))
                        .unwrap_or_default();
                    (target.into(), unit)
                }
            };
            out.push(Indicator {
                area,
                seq,
                name: base.map_or_else(|| derived_name(&text), |b| b.name.clone()),
                text,
                target,
                unit,
                contents: base.map(|b| b.contents.clone()).unwrap_or_default(),
                tasks: base.map(|b| b.tasks.clone()).unwrap_or_default(),
                notes: keep_notes(&t.text(r, 7), base.map(|b| b.notes.as_slice())),
                formula: self.formula(t, r, base),
                code: ind_code,
            });
        }
        out
    }

    /// The 计算公式 cell: the formula as the plan file writes it (`{ query = "…", … }`), empty
    /// for an indicator reported by hand. A workbook without the column (written before it
    /// existed) keeps the formula the indicator had.
    fn formula(
        &mut self,
        t: &Table,
        r: usize,
        base: Option<&Indicator>,
    ) -> Option<qcity_domain::formula::Formula> {
        if t.cols.get(8).copied().flatten().is_none() {
            return base.and_then(|b| b.formula.clone());
        }
        let text = t.text(r, 8);
        if text.is_empty() {
            return None;
        }
        match qcity_domain::formula::Formula::from_inline_toml(&text) {
            Ok(f) => Some(f),
            Err(e) => {
                self.error_at(
                    t,
                    r,
                    8,
                    format!("the formula cannot be read: {e}"),
                    format!("计算公式无法读取（应写成 {{ query = \"统计口径\", 参数 = … }}）：{e}"),
                );
                base.and_then(|b| b.formula.clone())
            }
        }
    }

    fn area(
        &mut self,
        t: &Table,
        r: usize,
        base: Option<&Indicator>,
        prev: Option<&Indicator>,
    ) -> String {
        let text = t.text(r, 1);
        if let Some(a) = base.or(prev).filter(|_| text.is_empty()) {
            return a.area.clone();
        }
        let found = self.base.indicator_areas.iter().find(|a| {
            normalize(&a.name) == text || a.code == text || normalize(&a.table_title) == text
        });
        match found {
            Some(a) => a.code.clone(),
            None => {
                let names: Vec<&str> = self
                    .base
                    .indicator_areas
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect();
                self.error_at(
                    t,
                    r,
                    1,
                    format!("'{text}' is not an indicator area ({})", names.join(", ")),
                    format!("“{text}”不是已有的指标领域（{}）", names.join("、")),
                );
                text
            }
        }
    }

    /// A whole number cell; blank keeps the base value.
    fn seq(&mut self, t: &Table, r: usize, h: usize, base: Option<u32>) -> u32 {
        let text = t.text(r, h);
        if let Ok(n) = text.parse::<u32>() {
            return n;
        }
        match base {
            Some(b) if text.is_empty() => b,
            _ => {
                self.error_at(
                    t,
                    r,
                    h,
                    format!("'{text}' is not a whole number"),
                    format!("“{text}”不是整数"),
                );
                0
            }
        }
    }

    /// A changed target: parsed and written back canonically; a target
    /// that does not parse is an error at its cell (and kept as typed).
    fn target(&mut self, t: &Table, r: usize, h: usize, text: &str) -> String {
        match target::parse(text) {
            Ok(parsed) => parsed.to_string(),
            Err(e) => {
                let at = text.get(..e.offset).map_or(0, |s| s.chars().count()) + 1;
                self.error_at(
                    t,
                    r,
                    h,
                    format!(
                        "the target '{text}' cannot be read at character {at}: {}",
                        e.message(Lang::En)
                    ),
                    format!(
                        "目标表达式“{text}”无法解析（第 {at} 个字符）：{}",
                        e.message(Lang::ZhCn)
                    ),
                );
                text.to_string()
            }
        }
    }

    // ------------------------------------------------------------ main tasks

    fn tasks(&mut self, t: &Table) -> Vec<Task> {
        let mut out: Vec<Task> = Vec::new();
        for r in t.data_rows() {
            if t.blank_row(r) {
                continue;
            }
            let task_code = code(&t.text(r, 0));
            if task_code.is_empty() {
                self.error_at(
                    t,
                    r,
                    0,
                    "the task code is empty".into(),
                    "任务编号为空".into(),
                );
                continue;
            }
            let base = self.base.task(&task_code);
            let group_text = t.text(r, 1);
            let group = if group_text.is_empty() {
                base.or(out.last())
                    .map(|x| x.group.clone())
                    .unwrap_or_default()
            } else {
                let found = self
                    .base
                    .task_groups
                    .iter()
                    .find(|g| normalize(&g.title) == group_text || g.code == group_text);
                match found {
                    Some(g) => g.code.clone(),
                    None => {
                        self.error_at(
                            t,
                            r,
                            1,
                            format!("'{group_text}' is not a task group"),
                            format!("“{group_text}”不是已有的任务组"),
                        );
                        group_text
                    }
                }
            };
            out.push(Task {
                seq: self.seq(t, r, 2, base.map(|b| b.seq)),
                group,
                title: keep_text(&t.text(r, 3), base.map(|b| b.title.as_str())),
                text: keep_text(&t.text(r, 4), base.map(|b| b.text.as_str())),
                contents: base.map(|b| b.contents.clone()).unwrap_or_default(),
                notes: base.map(|b| b.notes.clone()).unwrap_or_default(),
                code: task_code,
            });
        }
        out
    }

    // ------------------------------------------------------------ decomposition

    fn decomposition(&mut self, t: &Table, units: &[Unit]) -> Vec<Category> {
        let mut categories: Vec<Category> = Vec::new();
        let mut prev: Option<Resolved> = None;
        for r in t.data_rows() {
            if t.blank_row(r) {
                continue;
            }
            if let Some(resolved) = self.content_row(t, r, prev.as_ref(), units, &mut categories) {
                prev = Some(resolved);
            }
        }
        categories
    }

    /// Reads one row into `categories`; returns what the next row may inherit.
    fn content_row(
        &mut self,
        t: &Table,
        r: usize,
        prev: Option<&Resolved>,
        units: &[Unit],
        categories: &mut Vec<Category>,
    ) -> Option<Resolved> {
        let category = self.category_of_row(t, r, prev, categories)?;
        let item = self.item_of_row(t, r, prev, &category, categories)?;
        // A row in error still tells the rows below their category and item.
        let fallback = Resolved {
            category: category.clone(),
            item: item.clone(),
            deadline_text: prev.map(|p| p.deadline_text.clone()).unwrap_or_default(),
            deadline: prev.map_or(
                Deadline::Date {
                    date: self.base.plan.start,
                },
                |p| p.deadline.clone(),
            ),
            lead: prev.map(|p| p.lead.clone()).unwrap_or_default(),
            undertaking: prev.map(|p| p.undertaking.clone()).unwrap_or_default(),
        };
        let Some((content_code, text)) = split_code(&t.text(r, 3)) else {
            self.error_at(
                t,
                r,
                3,
                "目标内容 must start with the content code, such as 2.1.3".into(),
                "目标内容应以编号开头，如 2.1.3".into(),
            );
            return Some(fallback);
        };
        if let Some(first) = self.content_rows.get(&content_code) {
            let first = *first;
            self.error_at(
                t,
                r,
                3,
                format!("content {content_code} appears twice (also in row {first})"),
                format!("目标内容 {content_code} 重复出现（另见第 {first} 行）"),
            );
            return Some(fallback);
        }
        self.content_rows.insert(content_code.clone(), r + 1);
        let base = self.base.content(&content_code);
        let same_item = prev.filter(|p| p.item == item);
        let mut inherited = Vec::new();

        let (deadline_text, deadline) = match self.inheritable(t, r, 4, prev, same_item.is_some()) {
            Some(p) => {
                inherited.push("deadline".to_string());
                (p.deadline_text.clone(), p.deadline.clone())
            }
            None => self
                .deadline(t, r, base, same_item)
                .unwrap_or((fallback.deadline_text, fallback.deadline)),
        };
        let lead = match self.inheritable(t, r, 5, prev, same_item.is_some()) {
            Some(p) => {
                inherited.push("lead_units".to_string());
                p.lead.clone()
            }
            None => self.unit_list(t, r, 5, base.map(|b| b.lead_units.as_slice()), units),
        };
        let undertaking = match self.inheritable(t, r, 6, prev, same_item.is_some()) {
            Some(p) => {
                inherited.push("undertaking_units".to_string());
                p.undertaking.clone()
            }
            None => self.unit_list(t, r, 6, base.map(|b| b.undertaking_units.as_slice()), units),
        };
        let content = Content {
            code: content_code,
            text: keep_text(&text, base.map(|b| b.text.as_str())),
            deadline_text: deadline_text.clone(),
            deadline: deadline.clone(),
            lead_units: lead.clone(),
            undertaking_units: undertaking.clone(),
            inherited: base.map_or(inherited, |b| b.inherited.clone()),
            target: base.and_then(|b| b.target.clone()),
            indicators: base.map(|b| b.indicators.clone()).unwrap_or_default(),
            tasks: base.map(|b| b.tasks.clone()).unwrap_or_default(),
            notes: keep_notes(&t.text(r, 7), base.map(|b| b.notes.as_slice())),
        };
        let target_item = categories
            .iter_mut()
            .find(|c| c.code == category)
            .and_then(|c| c.items.iter_mut().find(|i| i.code == item));
        if let Some(target_item) = target_item {
            target_item.contents.push(content);
        }
        Some(Resolved {
            category,
            item,
            deadline_text,
            deadline,
            lead,
            undertaking,
        })
    }

    /// The row's category code; creates the category on first sight.
    fn category_of_row(
        &mut self,
        t: &Table,
        r: usize,
        prev: Option<&Resolved>,
        categories: &mut Vec<Category>,
    ) -> Option<String> {
        let typed = code(&t.text(r, 0));
        let category = match (typed.is_empty(), prev) {
            (false, _) => typed,
            (true, Some(p)) => p.category.clone(),
            (true, None) => {
                self.error_at(
                    t,
                    r,
                    0,
                    "序号 (the category number) is empty".into(),
                    "序号为空".into(),
                );
                return None;
            }
        };
        if categories.iter().any(|c| c.code == category) {
            return Some(category);
        }
        let base = self.base.categories.iter().find(|c| c.code == category);
        let title = t.text(r, 1);
        let title = match base {
            Some(b) if title.is_empty() || normalize(&b.title) == title => b.title.clone(),
            _ if title.is_empty() => {
                self.error_at(
                    t,
                    r,
                    1,
                    format!("category {category} has no title (目标类别)"),
                    format!("目标类别 {category} 没有名称"),
                );
                return None;
            }
            _ => title,
        };
        categories.push(Category {
            code: category.clone(),
            title,
            notes: base.map(|b| b.notes.clone()).unwrap_or_default(),
            items: Vec::new(),
        });
        Some(category)
    }

    /// The row's item code; creates the item (in `category`) on first sight.
    fn item_of_row(
        &mut self,
        t: &Table,
        r: usize,
        prev: Option<&Resolved>,
        category: &str,
        categories: &mut [Category],
    ) -> Option<String> {
        let cell = t.text(r, 2);
        let (item, title) = if cell.is_empty() {
            match prev {
                Some(p) if p.category == category => (p.item.clone(), String::new()),
                _ => {
                    self.error_at(
                        t,
                        r,
                        2,
                        "目标项目 (the item) is empty".into(),
                        "目标项目为空".into(),
                    );
                    return None;
                }
            }
        } else {
            match split_code(&cell) {
                Some(found) => found,
                None => {
                    self.error_at(
                        t,
                        r,
                        2,
                        "目标项目 must start with the item code, such as 2.1".into(),
                        "目标项目应以编号开头，如 2.1".into(),
                    );
                    return None;
                }
            }
        };
        let cat = categories.iter_mut().find(|c| c.code == category)?;
        if cat.items.iter().any(|i| i.code == item) {
            return Some(item);
        }
        let base = self.base.item(&item);
        let title = match base {
            Some(b) if title.is_empty() || normalize(&b.title) == title => b.title.clone(),
            _ if title.is_empty() => {
                self.error_at(
                    t,
                    r,
                    2,
                    format!("item {item} has no title"),
                    format!("目标项目 {item} 没有名称"),
                );
                return None;
            }
            _ => title,
        };
        cat.items.push(Item {
            code: item.clone(),
            title,
            notes: base.map(|b| b.notes.clone()).unwrap_or_default(),
            contents: Vec::new(),
        });
        Some(item)
    }

    /// For a blank cell: the row to take the value from (the row above in
    /// the same item, or the row above when the cell is merged with it).
    /// A blank cell with neither is an error; `None` means "read the cell".
    fn inheritable<'p>(
        &mut self,
        t: &Table,
        r: usize,
        h: usize,
        prev: Option<&'p Resolved>,
        same_item: bool,
    ) -> Option<&'p Resolved> {
        if !t.cell(r, h).is_empty() {
            return None;
        }
        match prev {
            Some(p) if same_item || t.merged_with_above(r, h) => Some(p),
            _ => {
                let header = t.headers.get(h).copied().unwrap_or("");
                self.error_at(
                    t,
                    r,
                    h,
                    format!("{header} is empty, and there is no row above in the same item to take it from"),
                    format!("{header}为空，且同一目标项目中没有可沿用的上一行"),
                );
                None
            }
        }
    }

    fn deadline(
        &mut self,
        t: &Table,
        r: usize,
        base: Option<&Content>,
        same_item: Option<&Resolved>,
    ) -> Option<(String, Deadline)> {
        let (text, typed) = match t.cell(r, 4) {
            Cell::Date(d) => (format_date_zh(*d), Some(ParsedDeadline::Date(*d))),
            Cell::Number(n) => match excel_serial_date(*n) {
                Some(d) => (format_date_zh(d), Some(ParsedDeadline::Date(d))),
                None => (format_number(*n), None),
            },
            other => (normalize(&other.as_text()), None),
        };
        if text.is_empty() {
            // Reported by `inheritable`.
            return None;
        }
        if let Some(b) = base.filter(|b| normalize(&b.deadline_text) == text) {
            return Some((b.deadline_text.clone(), b.deadline.clone()));
        }
        if let Some(p) = same_item.filter(|p| normalize(&p.deadline_text) == text) {
            return Some((p.deadline_text.clone(), p.deadline.clone()));
        }
        match typed.or_else(|| parse_deadline(&text)) {
            Some(parsed) => Some((text, shaped(parsed, base.map(|b| &b.deadline)))),
            None => {
                self.error_at(
                    t,
                    r,
                    4,
                    format!("cannot read the deadline '{text}': write a date such as 2015年3月31日 or 2015-03-31, or a range such as 2014年5月至2015年6月"),
                    format!("无法识别完成时限“{text}”：请填写日期（如 2015年3月31日 或 2015-03-31）或期间（如 2014年5月至2015年6月）"),
                );
                None
            }
        }
    }

    /// Unit names (or codes) → codes: the 单位 sheet first, then the base plan.
    fn unit_list(
        &mut self,
        t: &Table,
        r: usize,
        h: usize,
        base: Option<&[String]>,
        units: &[Unit],
    ) -> Vec<String> {
        let text = t.text(r, h);
        if let Some(b) = base.filter(|b| normalize(&unit_names(self.base, b)) == text) {
            return b.to_vec();
        }
        let mut codes: Vec<String> = Vec::new();
        for name in split_list(&text) {
            match self.unit_code(&name, units) {
                Some(c) if !codes.contains(&c) => codes.push(c),
                Some(c) => self.warning_at(
                    t,
                    r,
                    h,
                    format!("unit {name} ({c}) is listed twice; kept once"),
                    format!("单位“{name}”重复列出，只保留一次"),
                ),
                None => self.error_at(
                    t,
                    r,
                    h,
                    format!("'{name}' is not a known unit name (see sheet {SHEET_UNITS})"),
                    format!("“{name}”不是已有的单位名称（见“{SHEET_UNITS}”工作表）"),
                ),
            }
        }
        codes
    }

    fn unit_code(&self, name: &str, units: &[Unit]) -> Option<String> {
        if let Some(c) = self.unit_names.get(name) {
            return Some(c.clone());
        }
        let by_name = units
            .iter()
            .chain(&self.base.units)
            .find(|u| normalize(&u.name) == name);
        let by_code = || {
            units
                .iter()
                .chain(&self.base.units)
                .find(|u| u.code == code(name))
        };
        by_name.or_else(by_code).map(|u| u.code.clone())
    }

    // ------------------------------------------------------------ links

    /// Drops links to elements the workbook removed, with a warning each.
    fn prune_links(&mut self, plan: &mut Plan) {
        let contents: HashSet<String> = plan.contents().map(|(_, _, c)| c.code.clone()).collect();
        let indicators: HashSet<String> = plan.indicators.iter().map(|i| i.code.clone()).collect();
        let tasks: HashSet<String> = plan.tasks.iter().map(|t| t.code.clone()).collect();
        let mut dropped: Vec<(String, String)> = Vec::new();
        for i in &mut plan.indicators {
            drop_missing(&i.code, &mut i.contents, &contents, &mut dropped);
            drop_missing(&i.code, &mut i.tasks, &tasks, &mut dropped);
        }
        for t in &mut plan.tasks {
            drop_missing(&t.code, &mut t.contents, &contents, &mut dropped);
        }
        for c in plan
            .categories
            .iter_mut()
            .flat_map(|c| &mut c.items)
            .flat_map(|i| &mut i.contents)
        {
            drop_missing(&c.code, &mut c.indicators, &indicators, &mut dropped);
            drop_missing(&c.code, &mut c.tasks, &tasks, &mut dropped);
        }
        for (from, to) in dropped {
            self.diags.push(Diagnostic::warning(
                "",
                format!(
                    "{from}: the link to {to} was dropped because the workbook no longer has {to}"
                ),
                format!("{from}：工作簿中已没有 {to}，已删除对它的关联"),
            ));
        }
    }
}

fn drop_missing(
    owner: &str,
    links: &mut Vec<String>,
    known: &HashSet<String>,
    dropped: &mut Vec<(String, String)>,
) {
    links.retain(|l| {
        let keep = known.contains(l);
        if !keep {
            dropped.push((owner.to_string(), l.clone()));
        }
        keep
    });
}

/// A newly typed deadline, keeping the base's recurring shape: a yearly
/// duty given a new date stays yearly from that date.
fn shaped(parsed: ParsedDeadline, base: Option<&Deadline>) -> Deadline {
    match (parsed, base) {
        (
            ParsedDeadline::Date(d),
            Some(Deadline::Recurring {
                every,
                month,
                times,
                ..
            }),
        ) => Deadline::Recurring {
            every: *every,
            month: month.map(|_| d.month()),
            times: *times,
            first: d,
        },
        (ParsedDeadline::Date(date), _) => Deadline::Date { date },
        (ParsedDeadline::Range(from, to), _) => Deadline::Range { from, to },
    }
}

/// The base text when the cell shows it unchanged, else the cell's text.
fn keep_text(cell: &str, base: Option<&str>) -> String {
    match base {
        Some(b) if normalize(b) == cell => b.to_string(),
        _ => cell.to_string(),
    }
}

/// The base notes when the cell shows them unchanged (exported in either language), else
/// the cell's notes (see [`read_notes`]).
fn keep_notes(cell: &str, base: Option<&[String]>) -> Vec<String> {
    let unchanged = |b: &[String]| {
        [Lang::ZhCn, Lang::En]
            .into_iter()
            .any(|lang| normalize(&notes_cell(b, lang)) == cell)
    };
    match base {
        Some(b) if unchanged(b) => b.to_vec(),
        _ => read_notes(cell, base.unwrap_or_default()),
    }
}

/// An edited 备注 cell: split on ；and line breaks, then pieces in a row joined again where
/// together they are one known note (a Chinese note may hold ；): a note of the base as it
/// is, or a catalogued note in either language, read back as the plan writes it. Any other
/// piece is a note as typed.
fn read_notes(cell: &str, base: &[String]) -> Vec<String> {
    let pieces = split_notes(cell);
    let known = |text: &str| {
        base.iter()
            .find(|b| b.as_str() == text)
            .cloned()
            .or_else(|| note_original(text).map(str::to_string))
    };
    let mut notes = Vec::new();
    let mut at = 0;
    while at < pieces.len() {
        let (note, next) = (at + 1..=pieces.len())
            .rev()
            .find_map(|end| known(&pieces[at..end].join(NOTES_SEP)).map(|n| (n, end)))
            .unwrap_or_else(|| (pieces[at].clone(), at + 1));
        notes.push(note);
        at = next;
    }
    notes
}

/// A new indicator's short name: its text without the closing 。.
fn derived_name(text: &str) -> String {
    text.trim_end_matches('。').to_string()
}

/// The unit values are entered in, when the target names exactly one.
fn target_unit(t: &Target) -> Option<&'static str> {
    match t {
        Target::Compare { unit, .. } | Target::Path { unit, .. } => unit.map(|u| u.as_str()),
        Target::All(parts) | Target::Any(parts) => {
            let units: HashSet<&str> = parts
                .iter()
                .filter_map(|p| target_unit(&p.target))
                .collect();
            match units.len() {
                1 => units.into_iter().next(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Finds a header row (within the first rows) holding every required header.
fn header_table<'s>(
    sheet: &'s Sheet,
    headers: &'static [&'static str],
    required: &[usize],
) -> Option<Table<'s>> {
    (0..HEADER_SEARCH_ROWS.min(sheet.rows.len())).find_map(|row| {
        let cells: Vec<String> = sheet.rows[row]
            .iter()
            .map(|c| normalize(&c.as_text()))
            .collect();
        let cols: Vec<Option<usize>> = headers
            .iter()
            .map(|h| cells.iter().position(|c| c == h))
            .collect();
        let complete = required
            .iter()
            .all(|&h| cols.get(h).copied().flatten().is_some());
        complete.then_some(Table {
            sheet,
            header_row: row,
            headers,
            cols,
        })
    })
}

fn cell_diagnostic(
    t: &Table,
    row: usize,
    h: usize,
    en: String,
    zh: String,
    error: bool,
) -> Diagnostic {
    let sheet = &t.sheet.name;
    let letter = t
        .cols
        .get(h)
        .copied()
        .flatten()
        .map(column_letter)
        .unwrap_or_default();
    let header = t.headers.get(h).copied().unwrap_or("");
    let excel_row = row + 1;
    let path = format!("{sheet}!{letter}{excel_row}");
    let en = format!("sheet {sheet}, row {excel_row}, column {letter} ({header}): {en}");
    let zh = format!("工作表“{sheet}”第 {excel_row} 行 {letter} 列（{header}）：{zh}");
    if error {
        Diagnostic::error(path, en, zh)
    } else {
        Diagnostic::warning(path, en, zh)
    }
}

/// Adds the decomposition sheet row to a validation finding about a content.
fn locate(mut d: Diagnostic, plan: &Plan, rows: &HashMap<String, usize>) -> Diagnostic {
    let row = content_at(plan, &d.path).and_then(|code| rows.get(code).map(|r| (code, *r)));
    if let Some((code, row)) = row {
        d.message_en = format!(
            "sheet {SHEET_DECOMPOSITION}, row {row} (content {code}): {}",
            d.message_en
        );
        d.message_zh = format!(
            "工作表“{SHEET_DECOMPOSITION}”第 {row} 行（目标内容 {code}）：{}",
            d.message_zh
        );
    }
    d
}

/// The content a `categories[i].items[j].contents[k]…` path points at.
fn content_at<'p>(plan: &'p Plan, path: &str) -> Option<&'p str> {
    let mut indexes = path
        .split('[')
        .skip(1)
        .map(|s| s.split(']').next().and_then(|n| n.parse::<usize>().ok()));
    if !path.starts_with("categories[") || !path.contains(".contents[") {
        return None;
    }
    let (ci, ii, ki) = (indexes.next()??, indexes.next()??, indexes.next()??);
    let content = plan.categories.get(ci)?.items.get(ii)?.contents.get(ki)?;
    Some(&content.code)
}

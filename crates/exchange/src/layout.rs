//! The workbook layout: which sheets, which columns, what each cell holds.
//! Export builds sheets from a plan here; import reads the same columns.

use qcity_domain::plan::{Content, Plan, explain_target, notes_in};
use qcity_domain::target::Lang;

use crate::sheet::{Cell, Look, Sheet};

/// Sheet 1: the attachment's decomposition table.
pub const SHEET_DECOMPOSITION: &str = "任务分解表";
/// Sheet 2: indicators.
pub const SHEET_INDICATORS: &str = "指标";
/// Sheet 3: main tasks.
pub const SHEET_TASKS: &str = "主要任务";
/// Sheet 4: units, so names map back to codes.
pub const SHEET_UNITS: &str = "单位";

pub(crate) const DECOMPOSITION_HEADERS: [&str; 8] = [
    "序号",
    "目标类别",
    "目标项目",
    "目标内容",
    "完成时限",
    "牵头单位",
    "承办单位",
    "备注",
];
pub(crate) const INDICATOR_HEADERS: [&str; 9] = [
    "编号",
    "领域",
    "序号",
    "指标要求",
    "目标表达式",
    "目标说明",
    "关联目标内容",
    "备注",
    "计算公式",
];
pub(crate) const TASK_HEADERS: [&str; 6] =
    ["编号", "任务组", "序号", "标题", "内容", "关联目标内容"];
pub(crate) const UNIT_HEADERS: [&str; 6] = ["代码", "名称", "类型", "上级", "备注", "登记簿"];

/// Separator of unit names and link codes in one cell.
pub(crate) const LIST_SEP: &str = "、";
/// Separator of notes in one cell.
pub(crate) const NOTES_SEP: &str = "；";

/// All four sheets of a plan, its notes (备注) in `lang`.
pub(crate) fn plan_sheets(plan: &Plan, lang: Lang) -> Vec<Sheet> {
    vec![
        decomposition(plan, lang),
        indicators(plan, lang),
        tasks(plan),
        units(plan, lang),
    ]
}

fn header_row(headers: &[&str]) -> Vec<Cell> {
    headers.iter().map(|h| Cell::text(*h)).collect()
}

/// Unit names for codes, joined with 、 (an unknown code is shown as is).
pub(crate) fn unit_names(plan: &Plan, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| plan.unit(c).map_or(c.as_str(), |u| u.name.as_str()))
        .collect::<Vec<_>>()
        .join(LIST_SEP)
}

/// A 备注 cell: the notes in `lang` (Chinese from the domain's catalogue), joined with ；.
pub(crate) fn notes_cell(notes: &[String], lang: Lang) -> String {
    notes_in(notes, lang).join(NOTES_SEP)
}

/// A whole-number code such as a category's `"3"` becomes a number cell so
/// spreadsheets do not flag it as "number stored as text".
fn code_cell(code: &str) -> Cell {
    match code.parse::<u32>() {
        Ok(n) if n.to_string() == code => Cell::Number(f64::from(n)),
        _ => Cell::text(code),
    }
}

pub(crate) fn item_cell(code: &str, title: &str) -> String {
    format!("{code} {title}")
}

pub(crate) fn content_cell(c: &Content) -> String {
    format!("{} {}", c.code, c.text)
}

/// Columns the decomposition table shares with the progress sheet
/// (序号 … 承办单位); the sheets differ in the columns after them.
pub(crate) const TABLE_COLUMNS: usize = 7;
/// Widths of the shared columns.
pub(crate) const TABLE_WIDTHS: [f64; TABLE_COLUMNS] = [6.0, 14.0, 24.0, 56.0, 16.0, 20.0, 28.0];

fn decomposition(plan: &Plan, lang: Lang) -> Sheet {
    decomposition_table(
        plan,
        SHEET_DECOMPOSITION,
        &DECOMPOSITION_HEADERS[TABLE_COLUMNS..],
        &[30.0],
        |c| vec![Cell::text(notes_cell(&c.notes, lang))],
    )
}

/// The decomposition table as the plan's attachment lays it out: a header,
/// then one row per content in table order, the category and item cells
/// merged over their contents. After 承办单位 come the columns `more_headers`
/// (of widths `more_widths`), filled by `more` for each content.
pub(crate) fn decomposition_table(
    plan: &Plan,
    name: &str,
    more_headers: &[&str],
    more_widths: &[f64],
    mut more: impl FnMut(&Content) -> Vec<Cell>,
) -> Sheet {
    let mut headers = header_row(&DECOMPOSITION_HEADERS[..TABLE_COLUMNS]);
    headers.extend(header_row(more_headers));
    let mut rows = vec![headers];
    let mut category_runs = Vec::new();
    let mut item_runs = Vec::new();
    for category in &plan.categories {
        let category_first = rows.len();
        for item in &category.items {
            let item_first = rows.len();
            for c in &item.contents {
                let mut row = vec![
                    code_cell(&category.code),
                    Cell::text(&category.title),
                    Cell::text(item_cell(&item.code, &item.title)),
                    Cell::text(content_cell(c)),
                    Cell::text(&c.deadline_text),
                    Cell::text(unit_names(plan, &c.lead_units)),
                    Cell::text(unit_names(plan, &c.undertaking_units)),
                ];
                row.extend(more(c));
                rows.push(row);
            }
            if rows.len() > item_first {
                item_runs.push((item_first, rows.len() - 1));
            }
        }
        if rows.len() > category_first {
            category_runs.push((category_first, rows.len() - 1));
        }
    }
    let mut widths = TABLE_WIDTHS.to_vec();
    widths.extend_from_slice(more_widths);
    let mut sheet = Sheet {
        name: name.into(),
        rows,
        merges: Vec::new(),
        widths,
        look: Look::default(),
    };
    sheet.merge_runs(0, &category_runs);
    sheet.merge_runs(1, &category_runs);
    sheet.merge_runs(2, &item_runs);
    sheet
}

fn indicators(plan: &Plan, lang: Lang) -> Sheet {
    let mut rows = vec![header_row(&INDICATOR_HEADERS)];
    for i in &plan.indicators {
        let area = plan
            .indicator_areas
            .iter()
            .find(|a| a.code == i.area)
            .map_or(i.area.as_str(), |a| a.name.as_str());
        let explained = explain_target(&i.target).1;
        rows.push(vec![
            Cell::text(&i.code),
            Cell::text(area),
            Cell::Number(f64::from(i.seq)),
            Cell::text(&i.text),
            Cell::text(i.target.as_str()),
            Cell::text(explained),
            Cell::text(i.contents.join(LIST_SEP)),
            Cell::text(notes_cell(&i.notes, lang)),
            Cell::text(
                i.formula
                    .as_ref()
                    .map(|f| f.to_inline_toml())
                    .unwrap_or_default(),
            ),
        ]);
    }
    Sheet {
        name: SHEET_INDICATORS.into(),
        rows,
        merges: Vec::new(),
        widths: vec![9.0, 12.0, 6.0, 44.0, 32.0, 40.0, 16.0, 40.0, 36.0],
        look: Look::default(),
    }
}

fn tasks(plan: &Plan) -> Sheet {
    let mut rows = vec![header_row(&TASK_HEADERS)];
    for t in &plan.tasks {
        let group = plan
            .task_groups
            .iter()
            .find(|g| g.code == t.group)
            .map_or(t.group.as_str(), |g| g.title.as_str());
        rows.push(vec![
            Cell::text(&t.code),
            Cell::text(group),
            Cell::Number(f64::from(t.seq)),
            Cell::text(&t.title),
            Cell::text(&t.text),
            Cell::text(t.contents.join(LIST_SEP)),
        ]);
    }
    Sheet {
        name: SHEET_TASKS.into(),
        rows,
        merges: Vec::new(),
        widths: vec![7.0, 22.0, 6.0, 24.0, 80.0, 16.0],
        look: Look::default(),
    }
}

fn units(plan: &Plan, lang: Lang) -> Sheet {
    let mut rows = vec![header_row(&UNIT_HEADERS)];
    for u in &plan.units {
        rows.push(vec![
            Cell::text(&u.code),
            Cell::text(&u.name),
            Cell::text(u.kind.label_zh()),
            Cell::text(u.parent.clone().unwrap_or_default()),
            Cell::text(notes_cell(&u.notes, lang)),
            Cell::text(
                u.registers
                    .iter()
                    .map(|r| r.label_zh())
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
        ]);
    }
    Sheet {
        name: SHEET_UNITS.into(),
        rows,
        merges: Vec::new(),
        widths: vec![10.0, 22.0, 10.0, 10.0, 80.0, 24.0],
        look: Look::default(),
    }
}

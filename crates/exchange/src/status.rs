//! The decomposition table with each content's current status, for offices
//! that follow the campaign in Excel ([`status_to_xlsx`]).
//!
//! Two sheets:
//! - 任务分解表（进度）: the plan export's decomposition table (序号 … 承办单位,
//!   category and item cells merged) under a title and the date of the
//!   figures, plus per content: 应办单位数 (distinct units), 应办事项数 (its
//!   obligations: one per unit, duty and period), 已销号, 已报送待审 and 逾期
//!   (obligations accepted, awaiting review, overdue), 完成率 (已销号 ÷
//!   应办事项数) and a 状态 word on a coloured fill.
//! - 办理明细: one row per obligation, with an autofilter, so a clerk can
//!   filter by unit, status or period.
//!
//! An obligation whose content is not in the plan appears on 办理明细 only.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use qcity_domain::plan::{Content, Plan};
use qcity_domain::supervision::{Duty, ObligationStatus};

use crate::ExchangeError;
use crate::layout::{self, TABLE_COLUMNS};
use crate::sheet::{Cell, Fill, Look, Sheet};

/// Sheet 1: the decomposition table with each content's status.
pub const SHEET_PROGRESS: &str = "任务分解表（进度）";
/// Sheet 2: one row per obligation.
pub const SHEET_STATUS_DETAIL: &str = "办理明细";

/// One obligation's state, as the web layer hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The content's code, e.g. `"2.3.1"`.
    pub content_code: String,
    /// The unit's name, e.g. `"区质监分局"`.
    pub unit_name: String,
    /// A [`Duty`] as stored (`"lead"` or `"undertaking"`); other text is printed as given.
    pub duty: String,
    /// `"once"`, a year (`"2015"`) or a part of a year (`"2015-H1"`, `"2015-Q2"`).
    pub period_key: String,
    /// `"2014-12-31"`.
    pub due_date: String,
    /// An [`ObligationStatus`] as stored (`"not_started"` … `"returned"`); other text is
    /// printed as given.
    pub status: String,
    /// How far the unit says it is, 0–100.
    pub percent: i64,
    /// Days past the due date without a report; 0 when not overdue.
    pub overdue_days: i64,
}

/// A content's overall status word on 任务分解表（进度）.
const DONE: &str = "已完成";
const OVERDUE: &str = "逾期";
const IN_PROGRESS: &str = "进行中";
const NOT_STARTED: &str = "未开始";
/// A content no obligation was handed over for.
const NO_OBLIGATIONS: &str = "无事项";

const PROGRESS_HEADERS: [&str; 7] = [
    "应办单位数",
    "应办事项数",
    "已销号",
    "已报送待审",
    "逾期",
    "完成率",
    "状态",
];
const PROGRESS_WIDTHS: [f64; 7] = [10.0, 10.0, 8.0, 10.0, 6.0, 8.0, 8.0];
/// 完成率 (0-based column on 任务分解表（进度）).
const COL_RATE: usize = TABLE_COLUMNS + 5;
/// 状态.
const COL_STATE: usize = TABLE_COLUMNS + 6;

const DETAIL_HEADERS: [&str; 9] = [
    "目标内容编号",
    "目标内容",
    "单位",
    "职责",
    "周期",
    "完成时限",
    "状态",
    "完成百分比",
    "逾期天数",
];
const DETAIL_WIDTHS: [f64; 9] = [12.0, 56.0, 20.0, 6.0, 14.0, 16.0, 12.0, 11.0, 9.0];
const DETAIL_COL_STATUS: usize = 6;
const DETAIL_COL_PERCENT: usize = 7;
const DETAIL_COL_OVERDUE: usize = 8;

/// The decomposition table with each content's status as of `as_of`
/// (shown as given, e.g. `"2015-06-30"`), under the title `title`, and the
/// obligations one per row (see the module documentation).
pub fn status_to_xlsx(
    plan: &Plan,
    rows: &[StatusRow],
    title: &str,
    as_of: &str,
) -> Result<Vec<u8>, ExchangeError> {
    let sheets = vec![
        progress_sheet(plan, rows, title, as_of),
        detail_sheet(plan, rows),
    ];
    Ok(crate::write::write_workbook(&sheets)?)
}

/// The Chinese word for an obligation's status; an unknown status as it is.
pub fn status_zh(status: &str) -> &str {
    match status.parse::<ObligationStatus>() {
        Ok(ObligationStatus::NotStarted) => "未开始",
        Ok(ObligationStatus::InProgress) => "进行中",
        Ok(ObligationStatus::Submitted) => "已报送待审",
        Ok(ObligationStatus::Accepted) => "已销号",
        Ok(ObligationStatus::Returned) => "已退回",
        Err(_) => status,
    }
}

/// 牵头 or 承办; an unknown duty as it is.
fn duty_zh(duty: &str) -> &str {
    match duty.parse::<Duty>() {
        Ok(Duty::Lead) => "牵头",
        Ok(Duty::Undertaking) => "承办",
        Err(_) => duty,
    }
}

/// A row's status, when it is one (rows are handed over as text and printed as given).
fn status_of(r: &StatusRow) -> Option<ObligationStatus> {
    r.status.parse().ok()
}

/// A period key in words: `once` → 一次性, `2015` → 2015年, `2015-H1` →
/// 2015年上半年, `2015-Q2` → 2015年第2季度, `2015-P3` → 2015年第3期; any
/// other key as it is.
fn period_zh(key: &str) -> String {
    if key == "once" {
        return "一次性".to_string();
    }
    let (year, part) = match key.split_once('-') {
        Some((year, part)) => (year, Some(part)),
        None => (key, None),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return key.to_string();
    }
    match part {
        None => format!("{year}年"),
        Some("H1") => format!("{year}年上半年"),
        Some("H2") => format!("{year}年下半年"),
        Some(part) => match (part.get(..1), part.get(1..).map(str::parse::<u32>)) {
            (Some("Q"), Some(Ok(n @ 1..=4))) => format!("{year}年第{n}季度"),
            (Some("P"), Some(Ok(n @ 1..=12))) => format!("{year}年第{n}期"),
            _ => key.to_string(),
        },
    }
}

/// A content's obligations counted.
#[derive(Debug, Default)]
struct Tally<'a> {
    units: BTreeSet<&'a str>,
    total: u32,
    accepted: u32,
    submitted: u32,
    overdue: u32,
    not_started: u32,
}

impl<'a> Tally<'a> {
    fn of(code: &str, rows: &'a [StatusRow]) -> Tally<'a> {
        let mut t = Tally::default();
        for r in rows.iter().filter(|r| r.content_code == code) {
            t.units.insert(r.unit_name.as_str());
            t.total += 1;
            match status_of(r) {
                Some(ObligationStatus::Accepted) => t.accepted += 1,
                Some(ObligationStatus::Submitted) => t.submitted += 1,
                Some(ObligationStatus::NotStarted) => t.not_started += 1,
                _ => {}
            }
            if r.overdue_days > 0 {
                t.overdue += 1;
            }
        }
        t
    }

    /// 已完成 when every obligation is accepted, 逾期 when any is overdue,
    /// 未开始 when none is started, 进行中 otherwise.
    fn state(&self) -> &'static str {
        if self.total == 0 {
            NO_OBLIGATIONS
        } else if self.accepted == self.total {
            DONE
        } else if self.overdue > 0 {
            OVERDUE
        } else if self.not_started == self.total {
            NOT_STARTED
        } else {
            IN_PROGRESS
        }
    }

    fn cells(&self) -> Vec<Cell> {
        let count = |n: u32| Cell::Number(f64::from(n));
        let units = u32::try_from(self.units.len()).unwrap_or(u32::MAX);
        let rate = if self.total == 0 {
            Cell::Empty
        } else {
            Cell::Number(f64::from(self.accepted) / f64::from(self.total))
        };
        vec![
            count(units),
            count(self.total),
            count(self.accepted),
            count(self.submitted),
            count(self.overdue),
            rate,
            Cell::text(self.state()),
        ]
    }
}

/// The fill of a content's status word: green when done, red when overdue,
/// yellow in progress; none when not started or without obligations.
fn state_fill(word: &str) -> Option<Fill> {
    match word {
        DONE => Some(Fill::Green),
        OVERDUE => Some(Fill::Red),
        IN_PROGRESS => Some(Fill::Yellow),
        _ => None,
    }
}

fn progress_sheet(plan: &Plan, rows: &[StatusRow], title: &str, as_of: &str) -> Sheet {
    let mut sheet = layout::decomposition_table(
        plan,
        SHEET_PROGRESS,
        &PROGRESS_HEADERS,
        &PROGRESS_WIDTHS,
        |c: &Content| Tally::of(&c.code, rows).cells(),
    );
    let fills = (sheet.header_row() + 1..sheet.rows.len())
        .filter_map(|row| {
            let word = sheet.cell(row, COL_STATE).as_text();
            state_fill(&word).map(|fill| (row, COL_STATE, fill))
        })
        .collect();
    sheet.look = Look {
        title_rows: 0,
        autofilter: false,
        number_formats: vec![(COL_RATE, "0.0%".to_string())],
        fills,
    };
    let columns = TABLE_COLUMNS + PROGRESS_HEADERS.len();
    sheet.prepend_titles(&[title.to_string(), format!("统计日期：{as_of}")], columns);
    sheet
}

/// Where a content comes in the plan's table; a code not in the plan after all.
fn plan_position(plan: &Plan, code: &str) -> usize {
    plan.contents()
        .position(|(_, _, c)| c.code == code)
        .unwrap_or(usize::MAX)
}

fn detail_sheet(plan: &Plan, rows: &[StatusRow]) -> Sheet {
    // In table order, then lead before undertaking, then units as the plan lists them.
    let unit_position = |name: &str| {
        plan.units
            .iter()
            .position(|u| u.name == name)
            .unwrap_or(usize::MAX)
    };
    let mut sorted: Vec<&StatusRow> = rows.iter().collect();
    sorted.sort_by_cached_key(|r| {
        (
            plan_position(plan, &r.content_code),
            r.content_code.clone(),
            r.duty.parse() != Ok(Duty::Lead),
            unit_position(&r.unit_name),
            r.unit_name.clone(),
            r.period_key.clone(),
        )
    });
    let mut out = vec![
        DETAIL_HEADERS
            .iter()
            .map(|h| Cell::text(*h))
            .collect::<Vec<_>>(),
    ];
    let mut fills = Vec::new();
    for r in sorted {
        let row = out.len();
        let text = plan
            .content(&r.content_code)
            .map_or(String::new(), |c| c.text.clone());
        let due = match NaiveDate::parse_from_str(r.due_date.trim(), "%Y-%m-%d") {
            Ok(d) => Cell::Date(d),
            Err(_) => Cell::text(r.due_date.as_str()),
        };
        if status_of(r) == Some(ObligationStatus::Accepted) {
            fills.push((row, DETAIL_COL_STATUS, Fill::Green));
        }
        if r.overdue_days > 0 {
            fills.push((row, DETAIL_COL_OVERDUE, Fill::Red));
        }
        out.push(vec![
            Cell::text(r.content_code.as_str()),
            Cell::text(text),
            Cell::text(r.unit_name.as_str()),
            Cell::text(duty_zh(&r.duty)),
            Cell::text(period_zh(&r.period_key)),
            due,
            Cell::text(status_zh(&r.status)),
            Cell::Number(r.percent as f64),
            Cell::Number(r.overdue_days as f64),
        ]);
    }
    Sheet {
        name: SHEET_STATUS_DETAIL.into(),
        rows: out,
        merges: Vec::new(),
        widths: DETAIL_WIDTHS.to_vec(),
        look: Look {
            title_rows: 0,
            autofilter: true,
            number_formats: vec![(DETAIL_COL_PERCENT, "0\"%\"".to_string())],
            fills,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use qcity_domain::plan::default_plan;

    use super::*;
    use crate::read::read_workbook;
    use crate::sheet::Merge;

    const AS_OF: &str = "2015-06-30";
    const TITLE: &str = "惠济区质量强区工作任务分解表（进度）";

    fn row(
        code: &str,
        unit: &str,
        duty: &str,
        period: &str,
        due: &str,
        status: &str,
        (percent, overdue_days): (i64, i64),
    ) -> StatusRow {
        StatusRow {
            content_code: code.to_string(),
            unit_name: unit.to_string(),
            duty: duty.to_string(),
            period_key: period.to_string(),
            due_date: due.to_string(),
            status: status.to_string(),
            percent,
            overdue_days,
        }
    }

    /// 2.3.1 in progress (4 units, 5 obligations, 2 accepted, 1 awaiting
    /// review); 1.2.2 overdue in its second year; 1.1.1 done; 2.2.3 not
    /// started; 9.9.9 not in the plan.
    fn status_rows() -> Vec<StatusRow> {
        vec![
            row(
                "9.9.9",
                "区某局",
                "lead",
                "once",
                "2015-03-31",
                "in_progress",
                (10, 0),
            ),
            row(
                "2.3.1",
                "区商务局",
                "undertaking",
                "once",
                "2014-12-31",
                "returned",
                (30, 0),
            ),
            row(
                "2.3.1",
                "区质监分局",
                "lead",
                "once",
                "2014-12-31",
                "accepted",
                (100, 0),
            ),
            row(
                "2.3.1",
                "区质监分局",
                "undertaking",
                "once",
                "2014-12-31",
                "accepted",
                (100, 0),
            ),
            row(
                "2.3.1",
                "区工信局",
                "undertaking",
                "once",
                "2014-12-31",
                "submitted",
                (100, 0),
            ),
            row(
                "2.3.1",
                "区城建局",
                "undertaking",
                "once",
                "2014-12-31",
                "in_progress",
                (50, 0),
            ),
            row(
                "1.2.2",
                "区质监分局",
                "lead",
                "2015",
                "2015-03-31",
                "not_started",
                (0, 91),
            ),
            row(
                "1.2.2",
                "区质监分局",
                "lead",
                "2014",
                "2014-03-31",
                "accepted",
                (100, 0),
            ),
            row(
                "1.1.1",
                "区质监分局",
                "lead",
                "once",
                "2014-10-31",
                "accepted",
                (100, 0),
            ),
            row(
                "2.2.3",
                "区工信局",
                "lead",
                "2015-H1",
                "2015-09-30",
                "not_started",
                (0, 0),
            ),
        ]
    }

    fn written(rows: &[StatusRow]) -> Vec<u8> {
        status_to_xlsx(&default_plan(), rows, TITLE, AS_OF).unwrap_or_else(|e| panic!("{e}"))
    }

    fn read_back(bytes: &[u8]) -> Vec<Sheet> {
        read_workbook(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The text of every cell of a row, empty cells as "".
    fn texts(sheet: &Sheet, row: usize) -> Vec<String> {
        (0..sheet.rows[row].len())
            .map(|c| sheet.cell(row, c).as_text())
            .collect()
    }

    /// The progress sheet's row of a content.
    fn progress_row(sheet: &Sheet, code: &str) -> usize {
        let prefix = format!("{code} ");
        (0..sheet.rows.len())
            .find(|&r| sheet.cell(r, 3).as_text().starts_with(&prefix))
            .unwrap_or_else(|| panic!("no row for {code}"))
    }

    /// One part of the XLSX archive, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
        let mut file = archive
            .by_name(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut text = String::new();
        file.read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        text
    }

    #[test]
    fn the_status_workbook_has_the_progress_and_detail_sheets() {
        let sheets = read_back(&written(&status_rows()));
        let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [SHEET_PROGRESS, SHEET_STATUS_DETAIL]);
        assert_eq!(SHEET_PROGRESS, "任务分解表（进度）");
        assert_eq!(SHEET_STATUS_DETAIL, "办理明细");
        let progress = &sheets[0];
        assert_eq!(progress.cell(0, 0).as_text(), TITLE);
        assert_eq!(progress.cell(1, 0).as_text(), "统计日期：2015-06-30");
        assert_eq!(
            texts(progress, 2),
            [
                "序号",
                "目标类别",
                "目标项目",
                "目标内容",
                "完成时限",
                "牵头单位",
                "承办单位",
                "应办单位数",
                "应办事项数",
                "已销号",
                "已报送待审",
                "逾期",
                "完成率",
                "状态"
            ]
        );
    }

    #[test]
    fn the_progress_sheet_keeps_the_export_layout() {
        let plan = default_plan();
        let export = read_back(&crate::plan_to_xlsx(&plan).unwrap_or_else(|e| panic!("{e}")));
        let table = export
            .iter()
            .find(|s| s.name == crate::SHEET_DECOMPOSITION)
            .unwrap_or_else(|| panic!("no decomposition sheet"));
        let sheets = read_back(&written(&status_rows()));
        let progress = &sheets[0];
        // One row per content under the two title lines; the same first seven columns.
        assert_eq!(progress.rows.len(), table.rows.len() + 2);
        assert_eq!(table.rows.len(), plan.contents().count() + 1);
        for r in 0..table.rows.len() {
            for c in 0..TABLE_COLUMNS {
                assert_eq!(
                    progress.cell(r + 2, c),
                    table.cell(r, c),
                    "row {r}, column {c}"
                );
            }
        }
        // The export's merges two rows down, and the title lines merged across.
        let mut expected: Vec<Merge> = table
            .merges
            .iter()
            .map(|m| Merge {
                first_row: m.first_row + 2,
                last_row: m.last_row + 2,
                ..*m
            })
            .collect();
        for row in 0..2 {
            expected.push(Merge {
                first_row: row,
                last_row: row,
                first_col: 0,
                last_col: 13,
            });
        }
        let mut merges = progress.merges.clone();
        let key = |m: &Merge| (m.first_row, m.first_col, m.last_row, m.last_col);
        merges.sort_by_key(key);
        expected.sort_by_key(key);
        assert!(!table.merges.is_empty());
        assert_eq!(merges, expected);
    }

    #[test]
    fn content_2_3_1_counts_units_obligations_and_completion() {
        let sheets = read_back(&written(&status_rows()));
        let progress = &sheets[0];
        let r = progress_row(progress, "2.3.1");
        let n = |c: usize| progress.cell(r, c).clone();
        assert_eq!(
            n(7),
            Cell::Number(4.0),
            "应办单位数: 质监 (twice), 工信, 城建, 商务"
        );
        assert_eq!(n(8), Cell::Number(5.0), "应办事项数");
        assert_eq!(n(9), Cell::Number(2.0), "已销号");
        assert_eq!(n(10), Cell::Number(1.0), "已报送待审");
        assert_eq!(n(11), Cell::Number(0.0), "逾期");
        assert_eq!(n(12), Cell::Number(0.4), "完成率 2 / 5");
        assert_eq!(n(13).as_text(), "进行中");
    }

    #[test]
    fn content_states_are_words() {
        let sheets = read_back(&written(&status_rows()));
        let progress = &sheets[0];
        let state = |code: &str| progress.cell(progress_row(progress, code), 13).as_text();
        assert_eq!(state("1.2.2"), "逾期");
        assert_eq!(state("1.1.1"), "已完成");
        assert_eq!(state("2.2.3"), "未开始");
        assert_eq!(state("2.3.1"), "进行中");
        // A content nobody reported on.
        assert_eq!(state("5.4.1"), "无事项");
        assert_eq!(
            progress.cell(progress_row(progress, "5.4.1"), 12),
            &Cell::Empty
        );
        let r = progress_row(progress, "1.2.2");
        assert_eq!(progress.cell(r, 11), &Cell::Number(1.0));
        assert_eq!(progress.cell(r, 12), &Cell::Number(0.5));
        let r = progress_row(progress, "1.1.1");
        assert_eq!(progress.cell(r, 12), &Cell::Number(1.0));
    }

    #[test]
    fn states_and_overdue_days_are_coloured_and_the_detail_sheet_filters() {
        let plan = default_plan();
        let rows = status_rows();
        let bytes = written(&rows);
        let styles = part(&bytes, "xl/styles.xml");
        for color in ["FFC6EFCE", "FFFFC7CE", "FFFFEB9C"] {
            assert!(styles.contains(color), "no fill {color} in styles.xml");
        }
        assert!(styles.contains("0.0%"), "no 完成率 format");
        let progress = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            progress.contains(r#"ySplit="3""#),
            "title and header frozen"
        );
        assert!(progress.contains(r#"paperSize="9""#));
        assert!(progress.contains(r#"orientation="landscape""#));
        let detail = part(&bytes, "xl/worksheets/sheet2.xml");
        assert!(detail.contains(r#"ySplit="1""#), "header frozen");
        let filter = format!(r#"<autoFilter ref="A1:I{}"/>"#, rows.len() + 1);
        assert!(detail.contains(&filter), "no {filter}");
        assert!(detail.contains(r#"orientation="landscape""#));
        // The sheets written hold the fills (the reader does not read styles).
        let sheet = progress_sheet(&plan, &rows, TITLE, AS_OF);
        let fill = |code: &str| {
            let r = progress_row(&sheet, code);
            sheet
                .look
                .fills
                .iter()
                .find(|(row, col, _)| *row == r && *col == COL_STATE)
                .map(|(_, _, f)| *f)
        };
        assert_eq!(fill("1.1.1"), Some(Fill::Green));
        assert_eq!(fill("1.2.2"), Some(Fill::Red));
        assert_eq!(fill("2.3.1"), Some(Fill::Yellow));
        assert_eq!(fill("2.2.3"), None);
    }

    #[test]
    fn the_detail_sheet_has_one_row_per_obligation_in_chinese() {
        let rows = status_rows();
        let sheets = read_back(&written(&rows));
        let detail = &sheets[1];
        assert_eq!(
            texts(detail, 0),
            [
                "目标内容编号",
                "目标内容",
                "单位",
                "职责",
                "周期",
                "完成时限",
                "状态",
                "完成百分比",
                "逾期天数"
            ]
        );
        assert_eq!(detail.rows.len(), rows.len() + 1);
        // In table order (1.1.1, 1.2.2, 2.2.3, 2.3.1), lead before undertaking, units as the
        // plan lists them; the unknown content last.
        let codes: Vec<String> = (1..detail.rows.len())
            .map(|r| detail.cell(r, 0).as_text())
            .collect();
        assert_eq!(
            codes,
            [
                "1.1.1", "1.2.2", "1.2.2", "2.2.3", "2.3.1", "2.3.1", "2.3.1", "2.3.1", "2.3.1",
                "9.9.9"
            ]
        );
        let statuses: BTreeSet<String> = (1..detail.rows.len())
            .map(|r| detail.cell(r, 6).as_text())
            .collect();
        let expected: BTreeSet<String> = ["未开始", "进行中", "已报送待审", "已销号", "已退回"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(statuses, expected);
        assert_eq!(
            texts(detail, 5),
            [
                "2.3.1",
                "对企业开展质量攻关和改进活动进行指导、提出要求、组织经验交流或对开展好的企业进行表彰。",
                "区质监分局",
                "牵头",
                "一次性",
                "2014年12月31日",
                "已销号",
                "100",
                "0"
            ]
        );
        assert_eq!(
            Some(detail.cell(5, 5).clone()),
            NaiveDate::from_ymd_opt(2014, 12, 31).map(Cell::Date)
        );
        assert_eq!(texts(detail, 2)[3..5], ["牵头", "2014年"]);
        assert_eq!(
            texts(detail, 3)[3..],
            ["牵头", "2015年", "2015年3月31日", "未开始", "0", "91"]
        );
        assert_eq!(texts(detail, 4)[4], "2015年上半年");
        assert_eq!(texts(detail, 6)[3], "承办");
    }

    #[test]
    fn an_unknown_content_is_on_the_detail_sheet_only() {
        let sheets = read_back(&written(&status_rows()));
        let progress = &sheets[0];
        assert!(
            (0..progress.rows.len()).all(|r| !progress.cell(r, 3).as_text().starts_with("9.9.9")),
            "9.9.9 on the progress sheet"
        );
        let detail = &sheets[1];
        let last = detail.rows.len() - 1;
        assert_eq!(
            texts(detail, last),
            [
                "9.9.9",
                "",
                "区某局",
                "牵头",
                "一次性",
                "2015年3月31日",
                "进行中",
                "10",
                "0"
            ]
        );
    }

    #[test]
    fn odd_input_is_written_as_given_without_panicking() {
        let odd = vec![
            row("", "", "", "", "", "", (-5, -3)),
            row(
                "2.3.1",
                "区工信局",
                "boss",
                "someday",
                "年底前",
                "lost",
                (250, 0),
            ),
            row(
                "1.1.1",
                "区质监分局",
                "lead",
                "2015-Q9",
                "2015-02-30",
                "accepted",
                (100, 7),
            ),
        ];
        let plan = default_plan();
        for (rows, title, as_of) in [(&odd[..], "", ""), (&[][..], "标题", "2015-01-01")] {
            let bytes = status_to_xlsx(&plan, rows, title, as_of).unwrap_or_else(|e| panic!("{e}"));
            let sheets = read_back(&bytes);
            assert_eq!(sheets[1].rows.len(), rows.len() + 1);
            // A status workbook is not a plan, and reading it as one does not panic either.
            let _ = crate::plan_from_xlsx(&bytes, &plan);
        }
        let sheets = read_back(&written(&odd));
        let detail = &sheets[1];
        let first = texts(detail, 1);
        assert_eq!(first[0], "1.1.1");
        assert_eq!(
            first[2..],
            [
                "区质监分局",
                "牵头",
                "2015-Q9",
                "2015-02-30",
                "已销号",
                "100",
                "7"
            ]
        );
        assert_eq!(
            texts(detail, 2)[3..],
            ["boss", "someday", "年底前", "lost", "250", "0"]
        );
        assert_eq!(texts(detail, 3), ["", "", "", "", "", "", "", "-5", "-3"]);
        let progress = &sheets[0];
        // Accepted everywhere: done, even though a (stale) overdue count came along.
        assert_eq!(
            progress.cell(progress_row(progress, "1.1.1"), 13).as_text(),
            "已完成"
        );
        assert_eq!(
            progress.cell(progress_row(progress, "2.3.1"), 13).as_text(),
            "进行中"
        );
    }

    #[test]
    fn period_keys_in_words() {
        assert_eq!(period_zh("once"), "一次性");
        assert_eq!(period_zh("2015"), "2015年");
        assert_eq!(period_zh("2015-H1"), "2015年上半年");
        assert_eq!(period_zh("2015-H2"), "2015年下半年");
        assert_eq!(period_zh("2016-Q3"), "2016年第3季度");
        assert_eq!(period_zh("2016-P11"), "2016年第11期");
        assert_eq!(period_zh("2016-X"), "2016-X");
        assert_eq!(period_zh("2016-Q5"), "2016-Q5");
        assert_eq!(period_zh("2016-P0"), "2016-P0");
        assert_eq!(period_zh("soon"), "soon");
        assert_eq!(period_zh(""), "");
        assert_eq!(period_zh("2016-Q"), "2016-Q");
    }
}

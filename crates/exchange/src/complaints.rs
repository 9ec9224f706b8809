//! Complaint tickets in bulk (投诉工单), as other hotline systems export them: the template an
//! office downloads ([`complaint_template_xlsx`]) and the reader for what comes back
//! ([`read_complaints`]), as XLSX or CSV.
//!
//! One row is one ticket. The 12345 and 12315 platforms name their columns in several ways
//! (诉求内容, 问题描述, 投诉内容 …); the reader takes the usual spellings. It checks what a row
//! means on its own ([`TicketRow::problems`]); the store resolves the category and the unit
//! against the district's catalogue and skips numbers already imported.

use chrono::NaiveDate;
use qcity_domain::complaints::import::{TicketField, TicketRow};
use qcity_domain::complaints::ticket::{Channel, Finding, Satisfaction};
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::{CodeList, Problem};
use rust_xlsxwriter::XlsxError;

use crate::ExchangeError;
use crate::table::{
    self, CellKind, Column, Diagnostics, Memo, Row, TableSpec, TemplateColumn, zh_labels,
};

/// The sheet of the template that holds the tickets.
pub const SHEET_COMPLAINTS: &str = "投诉工单";

/// Years a ticket's dates may fall in: a guard against typos such as `26-3-2`.
const YEARS: (i32, i32) = (2000, 2100);

/// The columns are the row's fields, in template order; `usize::from(col)` indexes
/// [`COLUMNS`].
type Col = TicketField;

const fn col(
    zh: &'static str,
    en: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Column {
    Column {
        zh,
        en,
        aliases,
        required,
    }
}

/// The columns the reader knows, in [`Col`] order.
const COLUMNS: [Column; 15] = [
    col(
        "工单编号",
        "ticket no",
        &[
            "工单号",
            "原工单编号",
            "热线工单号",
            "受理编号",
            "编号",
            "ticketnumber",
            "externalno",
        ],
        false,
    ),
    col(
        "来源渠道",
        "channel",
        &["来源", "渠道", "诉求渠道", "投诉渠道", "受理渠道", "source"],
        true,
    ),
    col(
        "受理日期",
        "received on",
        &[
            "受理时间",
            "登记日期",
            "登记时间",
            "来电时间",
            "投诉日期",
            "投诉时间",
            "诉求时间",
            "received",
            "date",
        ],
        true,
    ),
    col(
        "投诉内容",
        "text",
        &[
            "诉求内容",
            "问题描述",
            "反映内容",
            "反映问题",
            "投诉诉求",
            "内容",
            "description",
            "complaint",
        ],
        true,
    ),
    col(
        "类别",
        "category",
        &["投诉类别", "问题类别", "诉求类别", "问题分类", "分类"],
        false,
    ),
    col(
        "被投诉单位",
        "enterprise",
        &[
            "被投诉企业",
            "被投诉对象",
            "被投诉单位名称",
            "涉及企业",
            "企业名称",
            "enterprisename",
        ],
        false,
    ),
    col(
        "统一社会信用代码",
        "USCC",
        &[
            "信用代码",
            "被投诉单位统一社会信用代码",
            "企业代码",
            "enterprisecode",
        ],
        false,
    ),
    col(
        "地址",
        "address",
        &["事发地址", "问题地址", "详细地址", "发生地址"],
        false,
    ),
    col(
        "所属区域",
        "area",
        &["所属街道", "街道", "乡镇（街道）", "街道（乡镇）", "区域"],
        false,
    ),
    col(
        "联系人",
        "contact",
        &["投诉人", "诉求人", "来电人", "姓名", "contactname"],
        false,
    ),
    col(
        "联系电话",
        "phone",
        &["电话", "来电号码", "手机号码", "联系方式", "contactphone"],
        false,
    ),
    col(
        "办结日期",
        "closed on",
        &["办结时间", "结案日期", "结案时间", "closed"],
        false,
    ),
    col(
        "核查结果",
        "finding",
        &["核实情况", "是否属实", "核查情况", "调查结果"],
        false,
    ),
    col(
        "满意度",
        "satisfaction",
        &["回访满意度", "满意度评价", "回访结果", "评价"],
        false,
    ),
    col(
        "承办单位",
        "unit",
        &[
            "办理单位",
            "责任单位",
            "处理单位",
            "承办部门",
            "handlingunit",
        ],
        false,
    ),
];

/// The header row is looked for in this many rows at the top.
const HEADER_ROWS: usize = 10;

/// The template offices fill in (or map another system's export to): sheet 投诉工单 with the
/// header row alone and sheet 说明 saying how to fill each column.
pub fn complaint_template_xlsx() -> Result<Vec<u8>, ExchangeError> {
    Ok(write_template()?)
}

/// Reads tickets from an XLSX workbook (sheet 投诉工单, or the first sheet with a header row)
/// or a CSV file, handing each good row to `on_row` with its line (1-based, as the spreadsheet
/// shows it) in file order as it is read. A row is good when its cells read and it keeps the
/// row's own rules as of the business date `today` ([`TicketRow::problems`]).
///
/// Returns the per-line diagnostics (at most
/// [`MAX_ROW_DIAGNOSTICS`](crate::MAX_ROW_DIAGNOSTICS) kept, plus one saying how many more were
/// left out) or a file-level error (not a table, no header row, a required column missing).
/// Rows with errors are not handed over. After a file-level error some rows may already have
/// been handed over; the caller should discard them.
pub fn read_complaints(
    bytes: &[u8],
    today: NaiveDate,
    mut on_row: impl FnMut(usize, TicketRow),
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let spec = TableSpec {
        sheet: SHEET_COMPLAINTS,
        columns: &COLUMNS,
        header_rows: HEADER_ROWS,
        max_rows: None,
    };
    let mut diagnostics = Diagnostics::default();
    let mut memos = Memos::default();
    let (_, reading) = table::read_table(bytes, &spec, |row| {
        if let Some(r) = read_row(&row, today, &mut memos, &mut diagnostics) {
            on_row(row.line, r);
        }
    })?;
    diagnostics.extend(reading);
    Ok(diagnostics.finish())
}

/// The closed-list columns' parsed spellings (a large file repeats a handful).
#[derive(Debug, Default)]
struct Memos {
    channel: Memo<Channel>,
    finding: Memo<Finding>,
    satisfaction: Memo<Satisfaction>,
}

/// One row: `None` (and its errors pushed) when it is not taken. Every column is read and every
/// rule checked, so all of a row's problems are reported at once.
fn read_row(
    row: &Row,
    today: NaiveDate,
    memos: &mut Memos,
    diagnostics: &mut Diagnostics,
) -> Option<TicketRow> {
    let before = diagnostics.count();
    let channel = read_channel(row, &mut memos.channel, diagnostics);
    let received_on = match table::read_date(row.get(Col::ReceivedOn), YEARS) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            diagnostics.push(row.error(
                Col::ReceivedOn,
                "the date received is missing",
                "缺少受理日期",
            ));
            None
        }
        Err(e) => {
            let (en, zh) = e.messages(YEARS);
            diagnostics.push(row.error(Col::ReceivedOn, en, zh));
            None
        }
    };
    let closed_on = match table::read_date(row.get(Col::ClosedOn), YEARS) {
        Ok(d) => Some(d),
        Err(e) => {
            let (en, zh) = e.messages(YEARS);
            diagnostics.push(row.error(Col::ClosedOn, en, zh));
            None
        }
    };
    let finding = optional_choice(row, Col::Finding, &mut memos.finding, diagnostics);
    let satisfaction =
        optional_choice(row, Col::Satisfaction, &mut memos.satisfaction, diagnostics);
    // Cells that could not be read: the rules over them are not judged.
    let unread: Vec<TicketField> = [
        (Col::Channel, channel.is_none()),
        (Col::ReceivedOn, received_on.is_none()),
        (Col::ClosedOn, closed_on.is_none()),
        (Col::Finding, finding.is_none()),
        (Col::Satisfaction, satisfaction.is_none()),
    ]
    .into_iter()
    .filter_map(|(field, bad)| bad.then_some(field))
    .collect();
    let input = TicketRow {
        external_no: table::compact(row.get(Col::ExternalNo)),
        channel: channel.unwrap_or(Channel::Hotline12345),
        received_on: received_on.unwrap_or(NaiveDate::MIN),
        text: table::text(row.get(Col::Text)),
        category: table::text(row.get(Col::Category)),
        enterprise_name: table::text(row.get(Col::EnterpriseName)),
        enterprise_code: table::code(row.get(Col::EnterpriseCode)),
        address: table::text(row.get(Col::Address)),
        area: table::text(row.get(Col::Area)),
        contact_name: table::text(row.get(Col::ContactName)),
        contact_phone: table::compact(row.get(Col::ContactPhone)),
        closed_on: closed_on.flatten(),
        finding: finding.flatten(),
        satisfaction: satisfaction.flatten(),
        unit: table::text(row.get(Col::Unit)),
    };
    for problem in input.problems(today) {
        let fields = problem.fields();
        if fields.iter().any(|f| unread.contains(f)) {
            continue;
        }
        let refusal = problem.refusal();
        diagnostics.push(row.error(fields[0], refusal.en, refusal.zh));
    }
    (diagnostics.count() == before).then_some(input)
}

/// The channel: required, one of the channels' codes or labels (12345, 12315热线, 来信 …).
fn read_channel(
    row: &Row,
    memo: &mut Memo<Channel>,
    diagnostics: &mut Diagnostics,
) -> Option<Channel> {
    let text = table::text(row.get(Col::Channel));
    if text.is_empty() {
        diagnostics.push(row.error(
            Col::Channel,
            format!("the cell is empty; write one of {}", Channel::zh_choices()),
            format!("未填写，请填写：{}", Channel::zh_choices()),
        ));
        return None;
    }
    parse_choice(row, Col::Channel, &text, memo, diagnostics)
}

/// A closed-list cell that may be left blank: `Some(None)` when blank, `None` when unreadable.
fn optional_choice<T: CodeList>(
    row: &Row,
    col: Col,
    memo: &mut Memo<T>,
    diagnostics: &mut Diagnostics,
) -> Option<Option<T>> {
    let text = table::text(row.get(col));
    if text.is_empty() {
        return Some(None);
    }
    parse_choice(row, col, &text, memo, diagnostics).map(Some)
}

fn parse_choice<T: CodeList>(
    row: &Row,
    col: Col,
    text: &str,
    memo: &mut Memo<T>,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let parsed = memo.get(text, |t| T::parse(&table::fold(t)));
    if parsed.is_none() {
        diagnostics.push(row.error(
            col,
            format!("'{text}' is not one of {}", T::zh_choices()),
            format!("“{text}”无法识别，请填写：{}", T::zh_choices()),
        ));
    }
    parsed
}

/// How to fill the template in, at the top of 说明.
const GUIDE_LINES: [&str; 8] = [
    "投诉工单导入说明",
    "一、在“投诉工单”表中每行填写一件工单；可将 12345、12315 等热线系统导出的工单表按本模板的列名整理后导入。列名带“*”的为必填列，列的顺序可以调整，本模板以外的列在导入时忽略。",
    "二、工单编号为原系统的编号：同一来源渠道的同一编号再次导入时不重复登记。导入后按本区县的编号规则另编工单号。",
    "三、类别可填写派单目录中的类别代码或名称（如：特种设备）；留空时由系统按投诉内容自动分类，无法分类的进入待分派队列。承办单位可填写单位代码或名称；留空时按派单目录派单。",
    "四、已在原系统办结的工单，请填写办结日期和核查结果（属实、部分属实、不属实、无法核实），可填写满意度（满意、基本满意、不满意）；未填写满意度的按“未联系上”处理，不计入满意率。未办结的工单不填写这几列，导入后派至承办单位待签收。",
    "五、日期按 2026-03-02 或 2026年3月2日 的格式填写，也可以是 Excel 日期单元格；办结日期不得早于受理日期，两者都不得晚于今天。",
    "六、文件中只要有一行有错误，整份文件都不导入；导入结果会列出行号和原因，请改正后重新导入。",
    "七、也可将“投诉工单”表另存为“CSV UTF-8（逗号分隔）(*.csv)”文件上传；大批量数据建议使用 CSV。",
];

fn write_template() -> Result<Vec<u8>, XlsxError> {
    let columns: Vec<TemplateColumn> = Col::ALL
        .iter()
        .zip(&COLUMNS)
        .map(|(&c, column)| {
            use CellKind::{Date, General, Text};
            let (width, kind, choices, hint) = match c {
                Col::ExternalNo => (
                    20.0,
                    Text,
                    Vec::new(),
                    "原热线系统的工单编号，用于防止重复导入",
                ),
                Col::Channel => (
                    12.0,
                    General,
                    zh_labels::<Channel>(),
                    "12345、12315、12365、来信、来访等",
                ),
                Col::ReceivedOn => (12.0, Date, Vec::new(), "原系统受理工单的日期"),
                Col::Text => (48.0, General, Vec::new(), "投诉人反映的问题，4000字以内"),
                Col::Category => (
                    12.0,
                    General,
                    Vec::new(),
                    "派单目录的类别代码或名称；留空自动分类",
                ),
                Col::EnterpriseName => (26.0, General, Vec::new(), "被投诉的企业或个体户名称"),
                Col::EnterpriseCode => (22.0, Text, Vec::new(), "被投诉单位的18位统一社会信用代码"),
                Col::Address => (26.0, General, Vec::new(), "问题发生的地址"),
                Col::Area => (
                    12.0,
                    General,
                    Vec::new(),
                    "街道或乡镇；派单目录按区域派单时使用",
                ),
                Col::ContactName => (10.0, General, Vec::new(), "投诉人姓名，匿名投诉留空"),
                Col::ContactPhone => (16.0, Text, Vec::new(), "投诉人联系电话"),
                Col::ClosedOn => (12.0, Date, Vec::new(), "已办结工单的办结日期；未办结留空"),
                Col::Finding => (
                    12.0,
                    General,
                    zh_labels::<Finding>(),
                    "已办结工单必填：承办单位的核查结果",
                ),
                Col::Satisfaction => (
                    12.0,
                    General,
                    zh_labels::<Satisfaction>(),
                    "回访时投诉人的评价；留空按“未联系上”处理",
                ),
                Col::Unit => (16.0, General, Vec::new(), "办理工单的成员单位代码或名称"),
            };
            TemplateColumn {
                column,
                width,
                kind,
                choices,
                hint,
            }
        })
        .collect();
    table::write_template(SHEET_COMPLAINTS, &GUIDE_LINES, &columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn read(text: &str, today: &str) -> (Vec<(usize, TicketRow)>, Vec<Diagnostic>) {
        let mut rows = Vec::new();
        let diags = read_complaints(text.as_bytes(), day(today), |line, r| rows.push((line, r)))
            .expect("a table");
        (rows, diags)
    }

    #[test]
    fn every_header_names_one_column_in_order() {
        let order: Vec<usize> = Col::ALL.iter().map(|c| usize::from(*c)).collect();
        table::assert_spec(&COLUMNS, &order);
    }

    #[test]
    fn an_export_with_other_headers_reads_open_and_closed_tickets() {
        let csv = "12345热线工单导出\n\
            工单号,受理渠道,来电时间,诉求内容,问题分类,被投诉企业,统一社会信用代码,联系人,来电号码,办结时间,核实情况,回访满意度,办理单位\n\
            A-001,12345,2026/3/2 09:15,小区电梯经常困人,特种设备,某物业,91410100MA0000000X,张三,138 1234 5678,,,,\n\
            A-002,12315热线,2026年3月3日,买的电饭煲漏电,,某电器店,,李四,13900000000,2026-03-10,属实,满意,ZJFJ\n";
        let (rows, diags) = read(csv, "2026-04-01");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(rows.len(), 2);
        let (line, open) = &rows[0];
        assert_eq!(*line, 3);
        assert_eq!(open.external_no, "A-001");
        assert_eq!(open.channel, Channel::Hotline12345);
        assert_eq!(open.received_on, day("2026-03-02"));
        assert_eq!(open.category, "特种设备");
        assert_eq!(open.contact_phone, "13812345678");
        assert!(!open.is_closed());
        let (_, closed) = &rows[1];
        assert_eq!(closed.channel, Channel::Hotline12315);
        assert_eq!(closed.closed_on, Some(day("2026-03-10")));
        assert_eq!(closed.finding, Some(Finding::Substantiated));
        assert_eq!(closed.satisfaction, Some(Satisfaction::Satisfied));
        assert_eq!(closed.unit, "ZJFJ");
    }

    #[test]
    fn letters_and_visits_are_channels_too() {
        let csv = "来源渠道,受理日期,投诉内容\n来信,2026-03-02,信件反映问题\n来访,2026-03-02,现场反映问题\n";
        let (rows, diags) = read(csv, "2026-03-02");
        assert!(diags.is_empty(), "{diags:?}");
        let channels: Vec<Channel> = rows.iter().map(|(_, r)| r.channel).collect();
        assert_eq!(channels, vec![Channel::Letter, Channel::Visit]);
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_not_handed_over() {
        let csv = "来源渠道,受理日期,投诉内容,办结日期,核查结果,满意度\n\
            12345,2026-03-02,好的一行,,,\n\
            传真,2026-03-02,渠道不对,,,\n\
            12345,2026-13-02,日期不对,,,\n\
            12345,2026-03-02,,,,\n\
            12345,2026-03-05,早于受理,2026-03-04,属实,\n\
            12345,2026-03-05,没有核查结果,2026-03-06,,满意\n\
            12345,2026-03-05,没有办结日期,,不属实,\n\
            12345,2026-05-05,晚于今天,,,\n";
        let (rows, diags) = read(csv, "2026-04-01");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        let lines: Vec<Option<usize>> = diags.iter().map(|d| d.line).collect();
        assert_eq!(
            lines,
            vec![
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                Some(9)
            ]
        );
        assert!(diags.iter().all(|d| d.is_error()));
        assert!(
            diags[0].message_zh.contains("第3行“来源渠道”列"),
            "{diags:?}"
        );
        assert!(diags[3].message_zh.contains("办结日期"), "{diags:?}");
        assert!(diags[4].message_zh.contains("核查结果"), "{diags:?}");
        assert!(diags[6].message_zh.contains("晚于今天"), "{diags:?}");
    }

    #[test]
    fn a_file_without_the_text_column_is_refused_whole() {
        let err = read_complaints(
            "来源渠道,受理日期,地址\n12345,2026-03-02,某地\n".as_bytes(),
            day("2026-03-02"),
            |_, _| {},
        )
        .unwrap_err();
        assert!(err.message_zh.contains("投诉内容"), "{err:?}");
    }

    #[test]
    fn the_template_reads_back_as_an_empty_table() {
        let bytes = complaint_template_xlsx().unwrap();
        let mut n = 0;
        let diags = read_complaints(&bytes, day("2026-03-02"), |_, _| n += 1).unwrap();
        assert_eq!((n, diags.len()), (0, 0));
    }
}

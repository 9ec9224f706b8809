//! Supervision-sampling results in bulk (监督抽查结果): the template an
//! office downloads ([`sampling_template_xlsx`]) and the reader for what
//! comes back ([`read_sampling`]), as XLSX or CSV.
//!
//! One row is one sampling record, keyed by its report number. Files come
//! from provincial and national systems as large exports, so rows are
//! streamed to the caller one by one rather than collected; the reader
//! checks what a row means on its own (dates, the verdict against the failed
//! items), and the store checks the enterprise codes and duplicates.

use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::sampling::YEARS;
use qcity_domain::registry::{
    CodeList, Level, Problem, ProductKind, SamplingField, SamplingInput, Stage, Verdict,
    parse_failed_items, parse_yes_no,
};
use rust_xlsxwriter::XlsxError;

use crate::ExchangeError;
use crate::table::{
    self, CellKind, Column, Diagnostics, Memo, Row, TableSpec, TemplateColumn, zh_labels,
};

/// The sheet of the template that holds the records.
pub const SHEET_SAMPLING: &str = "抽查结果";

/// The columns are the record's fields, in template order; `usize::from(col)` indexes
/// [`COLUMNS`].
type Col = SamplingField;

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
const COLUMNS: [Column; 16] = [
    col(
        "报告编号",
        "report no",
        &["检验报告编号", "报告号", "reportnumber", "report"],
        true,
    ),
    col(
        "抽查计划（任务）",
        "plan",
        &["抽查计划", "抽查任务", "任务名称", "task"],
        false,
    ),
    col("抽查级别", "level", &["级别", "抽查类别"], true),
    col("抽样环节", "stage", &["环节", "抽样领域"], false),
    col(
        "受检企业统一社会信用代码",
        "enterprise code",
        &[
            "统一社会信用代码",
            "信用代码",
            "组织机构代码",
            "企业代码",
            "受检单位统一社会信用代码",
            "uscc",
        ],
        true,
    ),
    col(
        "受检企业名称",
        "enterprise name",
        &[
            "企业名称",
            "受检单位",
            "受检单位名称",
            "生产企业",
            "enterprise",
        ],
        false,
    ),
    col(
        "产品名称",
        "product",
        &["样品名称", "抽查产品", "productname"],
        true,
    ),
    col(
        "产品类别",
        "category",
        &["产品种类", "产品类型", "productcategory"],
        true,
    ),
    col("产品属性", "product kind", &["产品性质", "kind"], false),
    col(
        "是否CCC目录内产品",
        "ccc",
        &["是否CCC产品", "CCC目录内", "是否3C产品", "CCC目录内产品"],
        false,
    ),
    col(
        "规格型号/批号",
        "batch",
        &["规格型号", "批号", "型号规格", "生产日期/批号", "model"],
        false,
    ),
    col(
        "抽样日期",
        "sampled on",
        &["抽样时间", "samplingdate", "sampled"],
        true,
    ),
    col(
        "报告日期",
        "reported on",
        &["报告签发日期", "签发日期", "reportdate"],
        false,
    ),
    col(
        "检验结论",
        "verdict",
        &["结论", "检验结果", "判定结论", "result"],
        true,
    ),
    col(
        "不合格项目（依据标准）",
        "failed items",
        &["不合格项目", "不合格项", "不合格项目及依据标准"],
        false,
    ),
    col(
        "检验机构",
        "agency",
        &["承检机构", "检验单位", "承检单位", "laboratory"],
        false,
    ),
];

/// The header row is looked for in this many rows at the top.
const HEADER_ROWS: usize = 10;

/// The template offices fill in: sheet 抽查结果 with the header row alone
/// and sheet 说明 saying how to fill each column and which values it takes.
pub fn sampling_template_xlsx() -> Result<Vec<u8>, ExchangeError> {
    Ok(write_template()?)
}

/// Reads sampling records from an XLSX workbook (sheet 抽查结果, or the
/// first sheet with a header row) or a CSV file, handing each good row to
/// `on_row` with its line (1-based, as the spreadsheet shows it) in file
/// order as it is read: a CSV export of a million rows is never held in
/// memory. A row is good when its cells read and it keeps the record's own
/// rules ([`SamplingInput::problems`]); the store checks the enterprise
/// codes and duplicates.
///
/// Streams rows; returns the per-line diagnostics (at most
/// [`MAX_ROW_DIAGNOSTICS`](crate::MAX_ROW_DIAGNOSTICS) kept, plus a final
/// one saying how many more were left out) or a file-level error (not a
/// table, no header row, a required column missing). Rows with errors are
/// not handed over. After a file-level error some rows may already have
/// been handed over; the caller should discard them.
pub fn read_sampling(
    bytes: &[u8],
    mut on_row: impl FnMut(usize, SamplingInput),
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let spec = TableSpec {
        sheet: SHEET_SAMPLING,
        columns: &COLUMNS,
        header_rows: HEADER_ROWS,
        max_rows: None,
    };
    let mut diagnostics = Diagnostics::default();
    let mut memos = Memos::default();
    let (_, reading) = table::read_table(bytes, &spec, |row| {
        if let Some(r) = read_row(&row, &mut memos, &mut diagnostics) {
            on_row(row.line, r);
        }
    })?;
    diagnostics.extend(reading);
    Ok(diagnostics.finish())
}

/// The closed-list columns' parsed spellings (half the reading time of a
/// large file otherwise goes to parsing the same few words).
#[derive(Debug, Default)]
struct Memos {
    level: Memo<Level>,
    stage: Memo<Stage>,
    kind: Memo<ProductKind>,
    verdict: Memo<Verdict>,
    yes_no: Memo<bool>,
}

/// The cells of a row that could not be read: the record's rules over them
/// are not judged (their placeholder values mean nothing).
#[derive(Debug, Default)]
struct Unread(Vec<SamplingField>);

impl Unread {
    fn value<T>(&mut self, field: SamplingField, value: Option<T>, placeholder: T) -> T {
        value.unwrap_or_else(|| {
            self.0.push(field);
            placeholder
        })
    }
}

/// One row: `None` (and its errors pushed) when it is not taken. Every
/// column is read and every rule checked, so all of a row's problems are
/// reported at once.
fn read_row(row: &Row, memos: &mut Memos, diagnostics: &mut Diagnostics) -> Option<SamplingInput> {
    use SamplingField as F;
    let before = diagnostics.count();
    let mut unread = Unread::default();
    let level = required_choice(row, Col::Level, &mut memos.level, diagnostics);
    let stage = optional_choice(
        row,
        Col::Stage,
        Stage::Production,
        &mut memos.stage,
        diagnostics,
    );
    let kind = optional_choice(
        row,
        Col::Kind,
        ProductKind::Industrial,
        &mut memos.kind,
        diagnostics,
    );
    let ccc = read_ccc(row, &mut memos.yes_no, diagnostics);
    let sampled_on = read_sampled_on(row, diagnostics);
    let reported_on = match table::read_date(row.get(Col::ReportedOn), YEARS) {
        Ok(date) => Some(date),
        Err(e) => {
            let (en, zh) = e.messages(YEARS);
            diagnostics.push(row.error(Col::ReportedOn, en, zh));
            None
        }
    };
    let verdict = required_choice(row, Col::Verdict, &mut memos.verdict, diagnostics);
    let input = SamplingInput {
        report_no: table::compact(row.get(Col::ReportNo)),
        plan: table::text(row.get(Col::Plan)),
        level: unread.value(F::Level, level, Level::National),
        stage: unread.value(F::Stage, stage, Stage::Production),
        enterprise_code: table::code(row.get(Col::EnterpriseCode)),
        enterprise_name: table::text(row.get(Col::EnterpriseName)),
        product: table::text(row.get(Col::Product)),
        category: table::text(row.get(Col::Category)),
        kind: unread.value(F::Kind, kind, ProductKind::Industrial),
        ccc: unread.value(F::Ccc, ccc, false),
        batch: table::text(row.get(Col::Batch)),
        sampled_on: unread.value(F::SampledOn, sampled_on, NaiveDate::MIN),
        reported_on: unread.value(F::ReportedOn, reported_on, None),
        verdict: unread.value(F::Verdict, verdict, Verdict::Pass),
        failed_items: parse_failed_items(&table::text(row.get(Col::FailedItems))),
        agency: table::text(row.get(Col::Agency)),
    };
    for problem in input.problems() {
        let fields = problem.fields();
        if fields.iter().any(|f| unread.0.contains(f)) {
            continue;
        }
        let refusal = problem.refusal();
        diagnostics.push(row.error(fields[0], refusal.en, refusal.zh));
    }
    (diagnostics.count() == before).then_some(input)
}

/// A closed-list cell that must be filled.
fn required_choice<T: CodeList>(
    row: &Row,
    col: Col,
    memo: &mut Memo<T>,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let text = table::text(row.get(col));
    if text.is_empty() {
        diagnostics.push(row.error(
            col,
            format!("the cell is empty; write one of {}", T::zh_choices()),
            format!("未填写，请填写：{}", T::zh_choices()),
        ));
        return None;
    }
    parse_choice(row, col, &text, memo, diagnostics)
}

/// A closed-list cell that may be left blank (or the column left out) for
/// `default`.
fn optional_choice<T: CodeList>(
    row: &Row,
    col: Col,
    default: T,
    memo: &mut Memo<T>,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let text = table::text(row.get(col));
    if text.is_empty() {
        return Some(default);
    }
    parse_choice(row, col, &text, memo, diagnostics)
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

fn read_ccc(row: &Row, memo: &mut Memo<bool>, diagnostics: &mut Diagnostics) -> Option<bool> {
    let text = table::text(row.get(Col::Ccc));
    let ccc = memo.get(&text, |t| parse_yes_no(&table::fold(t)));
    if ccc.is_none() {
        diagnostics.push(row.error(
            Col::Ccc,
            format!("'{text}' is neither 是 (yes) nor 否 (no)"),
            format!("“{text}”无法识别，请填写“是”或“否”"),
        ));
    }
    ccc
}

fn read_sampled_on(row: &Row, diagnostics: &mut Diagnostics) -> Option<NaiveDate> {
    match table::read_date(row.get(Col::SampledOn), YEARS) {
        Ok(Some(date)) => Some(date),
        Ok(None) => {
            diagnostics.push(row.error(
                Col::SampledOn,
                "the sampling date is missing",
                "缺少抽样日期",
            ));
            None
        }
        Err(e) => {
            let (en, zh) = e.messages(YEARS);
            diagnostics.push(row.error(Col::SampledOn, en, zh));
            None
        }
    }
}

/// How to fill the template in, at the top of 说明.
const GUIDE_LINES: [&str; 8] = [
    "监督抽查结果填报说明",
    "一、在“抽查结果”表中每行填写一份检验报告；报告编号是每条记录的唯一标识，重复导入同一报告编号时以最新导入的为准。",
    "二、列名带“*”的为必填列。列的顺序可以调整，列名须与本模板一致；本模板以外的列在导入时忽略。",
    "三、抽查级别、抽样环节、产品属性、是否CCC目录内产品、检验结论请从下拉列表中选择；抽样环节留空按“生产”、产品属性留空按“工业产品”、是否CCC目录内产品留空按“否”处理。",
    "四、日期按 2015-03-31 或 2015年3月31日 的格式填写，也可以是 Excel 日期单元格；报告日期不得早于抽样日期。",
    "五、检验结论为“不合格”时须填写不合格项目，多个项目用“；”分隔，依据标准写在项目后的括号内，如：甲醛释放量（GB 18580-2017）；标签（GB 5296.1）。结论为“合格”时不填写。",
    "六、空行在导入时忽略；有错误的行不导入，导入结果会列出行号和原因，其余行照常导入。",
    "七、也可将“抽查结果”表另存为“CSV UTF-8（逗号分隔）(*.csv)”文件上传；大批量数据建议使用 CSV。",
];

fn write_template() -> Result<Vec<u8>, XlsxError> {
    let columns: Vec<TemplateColumn> = Col::ALL
        .iter()
        .zip(&COLUMNS)
        .map(|(&c, column)| {
            use CellKind::{Date, General, Text};
            let (width, kind, choices, hint) = match c {
                Col::ReportNo => (18.0, Text, Vec::new(), "检验报告上的编号，每份报告一行"),
                Col::Plan => (
                    24.0,
                    General,
                    Vec::new(),
                    "如：2015年郑州市产品质量监督抽查",
                ),
                Col::Level => (10.0, General, zh_labels::<Level>(), "组织抽查的部门级别"),
                Col::Stage => (10.0, General, zh_labels::<Stage>(), "留空按“生产”处理"),
                Col::EnterpriseCode => (
                    22.0,
                    Text,
                    Vec::new(),
                    "受检企业的18位统一社会信用代码（或组织机构代码）",
                ),
                Col::EnterpriseName => (26.0, General, Vec::new(), "受检企业全称"),
                Col::Product => (16.0, General, Vec::new(), "报告上的产品（样品）名称"),
                Col::Category => (14.0, General, Vec::new(), "如：电线电缆、家具、小麦粉"),
                Col::Kind => (
                    12.0,
                    General,
                    zh_labels::<ProductKind>(),
                    "留空按“工业产品”处理",
                ),
                Col::Ccc => (
                    10.0,
                    General,
                    vec!["是".to_string(), "否".to_string()],
                    "产品是否在强制性产品认证（CCC）目录内；留空按“否”处理",
                ),
                Col::Batch => (16.0, Text, Vec::new(), "规格型号或生产批号"),
                Col::SampledOn => (12.0, Date, Vec::new(), "抽样单上的抽样日期"),
                Col::ReportedOn => (12.0, Date, Vec::new(), "报告签发日期，不得早于抽样日期"),
                Col::Verdict => (10.0, General, zh_labels::<Verdict>(), "报告的检验结论"),
                Col::FailedItems => (
                    36.0,
                    General,
                    Vec::new(),
                    "结论为不合格时必填：项目（依据标准），多个用“；”分隔",
                ),
                Col::Agency => (22.0, General, Vec::new(), "承担检验的机构名称"),
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
    table::write_template(SHEET_SAMPLING, &GUIDE_LINES, &columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_names_one_column_in_order() {
        let order: Vec<usize> = Col::ALL.iter().map(|c| usize::from(*c)).collect();
        table::assert_spec(&COLUMNS, &order);
    }
}

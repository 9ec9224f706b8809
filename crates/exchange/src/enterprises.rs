//! The enterprise registry in bulk (企业名录): the template an office
//! downloads ([`enterprise_template_xlsx`]) and the reader for what comes
//! back ([`read_enterprises`]), as XLSX or CSV.
//!
//! One row is one enterprise, or one licence of it: an enterprise holding
//! several licences appears on several rows with the same code, and the
//! store merges them. The reader normalises what clerks type and checks what
//! a row means on its own (dates, sizes, a licence's kind and number); codes
//! are checked by the store, which also knows the office's overrides.

use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::{
    CodeList, EnterpriseField, EnterpriseInput, EnterpriseRow, LicenceInput, LicenceKind, Problem,
    Size,
};
use rust_xlsxwriter::XlsxError;

use crate::ExchangeError;
use crate::table::{
    self, CellKind, Column, DateError, Diagnostics, Row, TableSpec, TemplateColumn, zh_labels,
};

/// The sheet of the template that holds the enterprises.
pub const SHEET_ENTERPRISES: &str = "企业名录";

/// Years an enterprise's dates may fall in: a guard against typos such as
/// `15-3-31`, wide enough for licences issued long ago.
const YEARS: (i32, i32) = (1900, 2100);

/// The columns are the record's fields, in template order; `usize::from(col)` indexes
/// [`COLUMNS`].
type Col = EnterpriseField;

/// The licence columns: filling any of them gives the row a licence.
const LICENCE_COLS: [Col; 5] = [
    Col::LicenceKind,
    Col::LicenceNumber,
    Col::LicenceProduct,
    Col::Issued,
    Col::Expires,
];

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
const COLUMNS: [Column; 14] = [
    col(
        "统一社会信用代码",
        "USCC",
        &[
            "信用代码",
            "组织机构代码",
            "企业代码",
            "code",
            "enterprisecode",
        ],
        true,
    ),
    col(
        "企业名称",
        "name",
        &["名称", "单位名称", "enterprise", "enterprisename"],
        true,
    ),
    col(
        "地址",
        "address",
        &["住所", "地址/住所", "住所/地址", "企业地址", "注册地址"],
        false,
    ),
    col("行业", "industry", &["所属行业", "行业类别"], false),
    col("企业规模", "size", &["规模"], false),
    col(
        "所属街道（镇）",
        "town",
        &[
            "所属街道",
            "所属乡镇",
            "所属街道镇",
            "街道",
            "乡镇",
            "街道/乡镇",
        ],
        false,
    ),
    col("首席质量官", "chief quality officer", &["cqo"], false),
    col(
        "联系电话",
        "contact",
        &["电话", "联系方式", "phone", "tel"],
        false,
    ),
    col(
        "建档日期",
        "file opened",
        &["质量信用档案建档日期", "档案建档日期"],
        false,
    ),
    col(
        "许可证类型",
        "licence kind",
        &[
            "证书类型",
            "许可证种类",
            "licencetype",
            "licensetype",
            "licensekind",
        ],
        false,
    ),
    col(
        "许可证编号",
        "licence number",
        &[
            "证书编号",
            "许可证号",
            "licenceno",
            "licenseno",
            "licensenumber",
        ],
        false,
    ),
    col(
        "许可产品",
        "licensed product",
        &[
            "获证产品",
            "许可产品名称",
            "licenceproduct",
            "licenseproduct",
        ],
        false,
    ),
    col(
        "发证日期",
        "issued",
        &["发证时间", "issuedon", "issuedate"],
        false,
    ),
    col(
        "有效期至",
        "expires",
        &[
            "有效期",
            "有效期截止",
            "截止日期",
            "expireson",
            "validuntil",
        ],
        false,
    ),
];

/// The header row is looked for in this many rows at the top.
const HEADER_ROWS: usize = 10;

/// The template offices fill in: sheet 企业名录 with the header row alone
/// (an example row would be imported with the data) and sheet 说明 saying
/// how to fill each column and which values it takes.
pub fn enterprise_template_xlsx() -> Result<Vec<u8>, ExchangeError> {
    Ok(write_template()?)
}

/// Reads the enterprise table from an XLSX workbook (sheet 企业名录, or the
/// first sheet with a header row) or a CSV file, handing each good row to
/// `on_row` with its line (1-based, as the spreadsheet shows it) in file
/// order. A row is good when its cells read and it keeps the row's own rules
/// ([`EnterpriseRow::problems`], with `today` bounding the file-opening
/// date); codes are checked by the store, which also knows the office's
/// overrides.
///
/// `Ok` carries the row diagnostics (errors for rows left out, each with its
/// row number; at most [`MAX_ROW_DIAGNOSTICS`](crate::MAX_ROW_DIAGNOSTICS)
/// and one counting the rest); `Err` the file-level error (not a table, no
/// header row, a required column missing), after which the rows already
/// handed over should be discarded.
pub fn read_enterprises(
    bytes: &[u8],
    today: NaiveDate,
    mut on_row: impl FnMut(usize, EnterpriseRow),
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let spec = TableSpec {
        sheet: SHEET_ENTERPRISES,
        columns: &COLUMNS,
        header_rows: HEADER_ROWS,
        max_rows: None,
    };
    let mut diagnostics = Diagnostics::default();
    let (_, reading) = table::read_table(bytes, &spec, |row| {
        if let Some(r) = read_row(&row, today, &mut diagnostics) {
            on_row(row.line, r);
        }
    })?;
    diagnostics.extend(reading);
    Ok(diagnostics.finish())
}

/// One row: `None` (and its errors pushed) when it is not taken. Every
/// column is read and every rule checked, so all of a row's problems are
/// reported at once.
fn read_row(row: &Row, today: NaiveDate, diagnostics: &mut Diagnostics) -> Option<EnterpriseRow> {
    let before = diagnostics.count();
    // Cells that could not be read: the rules over them are not judged.
    let mut unread = Vec::new();
    let size = read_size(row, diagnostics);
    let file_opened = date(row, Col::FileOpened, diagnostics).unwrap_or_else(|| {
        unread.push(EnterpriseField::FileOpened);
        None
    });
    let licence = read_licence(row, &mut unread, diagnostics);
    let r = EnterpriseRow {
        enterprise: EnterpriseInput {
            code: table::code(row.get(Col::Code)),
            name: table::text(row.get(Col::Name)),
            address: table::text(row.get(Col::Address)),
            industry: table::text(row.get(Col::Industry)),
            size,
            town: table::text(row.get(Col::Town)),
            chief_quality_officer: table::text(row.get(Col::ChiefQualityOfficer)),
            contact: table::text(row.get(Col::Contact)),
            file_opened,
        },
        licence,
    };
    for problem in r.problems(today) {
        let fields = problem.fields();
        if fields.iter().any(|f| unread.contains(f)) {
            continue;
        }
        let refusal = problem.refusal();
        diagnostics.push(row.error(fields[0], refusal.en, refusal.zh));
    }
    (diagnostics.count() == before).then_some(r)
}

fn read_size(row: &Row, diagnostics: &mut Diagnostics) -> Option<Size> {
    let text = table::text(row.get(Col::Size));
    if text.is_empty() {
        return None;
    }
    let size = Size::parse(&table::fold(&text));
    if size.is_none() {
        diagnostics.push(row.error(
            Col::Size,
            format!(
                "unknown size '{text}'; write one of {} (large, medium, small, micro)",
                Size::zh_choices()
            ),
            format!("企业规模“{text}”无法识别，请填写：{}", Size::zh_choices()),
        ));
    }
    size
}

/// An optional date of the row: `Some(None)` when blank, `None` with an
/// error pushed when it is not a date.
fn date(row: &Row, col: Col, diagnostics: &mut Diagnostics) -> Option<Option<NaiveDate>> {
    match table::read_date(row.get(col), YEARS) {
        Ok(date) => Some(date),
        Err(e) => {
            push_date_error(row, col, &e, diagnostics);
            None
        }
    }
}

fn push_date_error(row: &Row, col: Col, e: &DateError, diagnostics: &mut Diagnostics) {
    let (en, zh) = e.messages(YEARS);
    diagnostics.push(row.error(col, en, zh));
}

/// The row's licence, `None` when its columns are blank. Cells that do not
/// read are pushed as errors and added to `unread`.
fn read_licence(
    row: &Row,
    unread: &mut Vec<EnterpriseField>,
    diagnostics: &mut Diagnostics,
) -> Option<LicenceInput> {
    if LICENCE_COLS.iter().all(|c| table::is_blank(row.get(*c))) {
        return None;
    }
    let kind_text = table::text(row.get(Col::LicenceKind));
    let kind = if kind_text.is_empty() {
        diagnostics.push(row.error(
            Col::LicenceKind,
            format!(
                "the licence columns are filled but the licence kind is missing; write one of {}",
                LicenceKind::zh_choices()
            ),
            format!(
                "已填写许可证信息，但缺少许可证类型，请填写：{}",
                LicenceKind::zh_choices()
            ),
        ));
        None
    } else {
        let kind = LicenceKind::parse(&table::fold(&kind_text));
        if kind.is_none() {
            diagnostics.push(row.error(
                Col::LicenceKind,
                format!(
                    "unknown licence kind '{kind_text}'; write one of {}",
                    LicenceKind::zh_choices()
                ),
                format!(
                    "许可证类型“{kind_text}”无法识别，请填写：{}",
                    LicenceKind::zh_choices()
                ),
            ));
        }
        kind
    };
    let mut read = |field, value: Option<Option<NaiveDate>>| {
        value.unwrap_or_else(|| {
            unread.push(field);
            None
        })
    };
    let issued = read(EnterpriseField::Issued, date(row, Col::Issued, diagnostics));
    let expires = read(
        EnterpriseField::Expires,
        date(row, Col::Expires, diagnostics),
    );
    if kind.is_none() {
        unread.push(EnterpriseField::LicenceKind);
    }
    Some(LicenceInput {
        kind: kind.unwrap_or(LicenceKind::Other),
        number: table::text(row.get(Col::LicenceNumber)),
        product: table::text(row.get(Col::LicenceProduct)),
        issued,
        expires,
    })
}

/// How to fill the template in, at the top of 说明.
const GUIDE_LINES: [&str; 7] = [
    "企业名录填报说明",
    "一、在“企业名录”表中每行填写一家企业；一家企业持有多个许可证（证书）时，每个许可证填写一行，企业信息在各行重复填写，导入时按统一社会信用代码合并。",
    "二、列名带“*”的为必填列：统一社会信用代码（没有的填写组织机构代码）和企业名称。列的顺序可以调整，列名须与本模板一致；本模板以外的列在导入时忽略。",
    "三、日期按 2015-03-31 或 2015年3月31日 的格式填写，也可以是 Excel 日期单元格。",
    "四、许可证类型、许可证编号、许可产品、发证日期、有效期至为许可证信息：填写其中任何一项时，许可证类型和许可证编号必须填写。",
    "五、空行在导入时忽略；有错误的行不导入，导入结果会列出行号和原因，其余行照常导入。",
    "六、也可将“企业名录”表另存为“CSV UTF-8（逗号分隔）(*.csv)”文件上传。",
];

fn write_template() -> Result<Vec<u8>, XlsxError> {
    let columns: Vec<TemplateColumn> = Col::ALL
        .iter()
        .zip(&COLUMNS)
        .map(|(&c, column)| {
            use CellKind::{Date, General, Text};
            let (width, kind, choices, hint) = match c {
                Col::Code => (
                    22.0,
                    Text,
                    Vec::new(),
                    "18位统一社会信用代码；没有的填写组织机构代码（如 12345678-9）",
                ),
                Col::Name => (30.0, General, Vec::new(), "企业全称，与营业执照一致"),
                Col::Address => (30.0, General, Vec::new(), "营业执照上的住所"),
                Col::Industry => (14.0, General, Vec::new(), "如：电线电缆制造、食品加工"),
                Col::Size => (
                    10.0,
                    General,
                    zh_labels::<Size>(),
                    "按统计上的大中小微型企业划分",
                ),
                Col::Town => (14.0, General, Vec::new(), "企业所在的街道办事处或镇"),
                Col::ChiefQualityOfficer => (12.0, General, Vec::new(), "企业首席质量官姓名"),
                Col::Contact => (14.0, Text, Vec::new(), "手机或座机号码"),
                Col::FileOpened => (12.0, Date, Vec::new(), "企业质量信用档案的建档日期"),
                Col::LicenceKind => (
                    16.0,
                    General,
                    zh_labels::<LicenceKind>(),
                    "填写许可证信息时必填",
                ),
                Col::LicenceNumber => {
                    (20.0, Text, Vec::new(), "证书上的编号；填写许可证信息时必填")
                }
                Col::LicenceProduct => (20.0, General, Vec::new(), "许可（认证）的产品名称"),
                Col::Issued => (12.0, Date, Vec::new(), "证书上的发证日期"),
                Col::Expires => (
                    12.0,
                    Date,
                    Vec::new(),
                    "证书有效期的截止日期，不得早于发证日期",
                ),
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
    table::write_template(SHEET_ENTERPRISES, &GUIDE_LINES, &columns)
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

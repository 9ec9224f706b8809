//! The template offices download: sheet 指标数据 (one example row per
//! indicator measure that takes a number, a dropdown of indicator codes, a
//! year check) and sheet 说明 (how to fill it in, and the indicators).

use qcity_domain::plan::{Plan, explain_target};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Formula,
    Workbook, Worksheet, XlsxError,
};

use super::spec::{MeasureSpec, first_year_of_plan, hint_zh, measures, unit_zh};
use super::{Col, FIRST_YEAR, LAST_YEAR, SHEET_VALUES, SHEET_VALUES_GUIDE};

/// Rows of 指标数据 (below the header) that get the dropdown and the year check.
const VALIDATED_ROWS: u32 = 2000;

/// How to fill the template in, at the top of 说明.
fn guide_lines() -> Vec<String> {
    vec![
        "指标数据填报说明".to_string(),
        "一、在“指标数据”表中每行填写一个指标（分项）一个年份的数值；同一指标需要填写多个年份时，复制该行后修改年份。"
            .to_string(),
        "二、指标编号：从下拉列表中选择，或按下表填写。分项：只有一个分项的指标留空；有多个分项的指标填写下表“分项”列中的英文标签（如 pm25）。"
            .to_string(),
        format!(
            "三、年份：填写四位年份，如 2015（{FIRST_YEAR}—{LAST_YEAR}；“较某年削减”的指标还须填写基准年的数值）。"
        ),
        "四、数值：只填写数字，不要填写单位；百分比指标填写百分数，如 96.5 表示 96.5%（也可写作“96.5%”）。"
            .to_string(),
        "五、单位列仅供参考，不必修改；说明列可填写数据来源、备注。".to_string(),
        "六、定性目标和“居前列”等由评审评定的目标不在本表填写，请在网页中评定。".to_string(),
        "七、没有填写年份和数值的行在导入时忽略；同一指标、分项、年份填写了多行时，以最后一行为准。".to_string(),
        "八、也可将“指标数据”表另存为“CSV UTF-8（逗号分隔）(*.csv)”文件上传，第一行须为列名。".to_string(),
    ]
}

/// Columns of the indicator table on 说明, with their widths.
const GUIDE_COLUMNS: [(&str, f64); 7] = [
    ("指标编号", 10.0),
    ("指标名称", 30.0),
    ("分项（填写标签）", 30.0),
    ("单位", 12.0),
    ("目标", 36.0),
    ("目标表达式", 36.0),
    ("填写说明", 50.0),
];

struct Formats {
    title: Format,
    header: Format,
    body: Format,
    wrapped: Format,
}

fn formats() -> Formats {
    let body = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    Formats {
        title: Format::new().set_bold().set_font_size(14),
        header: Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_background_color(Color::RGB(0xD9E1F2))
            .set_border(FormatBorder::Thin),
        wrapped: body.clone().set_text_wrap(),
        body,
    }
}

pub(super) fn write(plan: &Plan) -> Result<Vec<u8>, XlsxError> {
    let f = formats();
    let lines = guide_lines();
    // 说明: the guide lines, a blank row, the table's header, one row per indicator.
    let guide_header = lines.len() + 1;
    let indicators: Vec<(&qcity_domain::plan::Indicator, Vec<MeasureSpec>)> =
        plan.indicators.iter().map(|i| (i, measures(i))).collect();

    let mut workbook = Workbook::new();
    let values = workbook.add_worksheet();
    values.set_name(SHEET_VALUES)?;
    write_values_sheet(values, &f, &indicators)?;
    if !indicators.is_empty() {
        let first = row_num(guide_header + 2)?;
        let last = row_num(guide_header + 1 + indicators.len())?;
        let list = Formula::new(format!("'{SHEET_VALUES_GUIDE}'!$A${first}:$A${last}"));
        let codes = DataValidation::new()
            .allow_list_formula(list)
            .set_error_title("指标编号")?
            .set_error_message(format!(
                "请从下拉列表中选择指标编号（见“{SHEET_VALUES_GUIDE}”表）。"
            ))?;
        values.add_data_validation(1, 0, VALIDATED_ROWS, 0, &codes)?;
    }
    // A reduction's baseline year (2010) must be enterable too.
    let first_year = first_year_of_plan(plan);
    let years = DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(first_year, LAST_YEAR))
        .set_error_title("年份")?
        .set_error_message(format!(
            "请填写 {first_year}—{LAST_YEAR} 之间的四位年份，如 2015。"
        ))?;
    values.add_data_validation(1, 2, VALIDATED_ROWS, 2, &years)?;

    let guide = workbook.add_worksheet();
    guide.set_name(SHEET_VALUES_GUIDE)?;
    for (r, line) in lines.iter().enumerate() {
        if r == 0 {
            guide.write_string_with_format(row_num(r)?, 0, line, &f.title)?;
        } else {
            guide.write_string(row_num(r)?, 0, line)?;
        }
    }
    let header = row_num(guide_header)?;
    for (c, (name, width)) in GUIDE_COLUMNS.iter().enumerate() {
        let col = col_num(c)?;
        guide.set_column_width(col, *width)?;
        guide.write_string_with_format(header, col, *name, &f.header)?;
    }
    for (i, (indicator, specs)) in indicators.iter().enumerate() {
        let row = row_num(guide_header + 1 + i)?;
        let (_, target_zh, _) = explain_target(&indicator.target);
        let cells = [
            indicator.code.clone(),
            indicator.name.clone(),
            measures_text(specs),
            units_text(specs),
            target_zh,
            indicator.target.to_string(),
            hints_text(specs),
        ];
        for (c, text) in cells.iter().enumerate() {
            guide.write_string_with_format(row, col_num(c)?, text, &f.wrapped)?;
        }
    }
    workbook.save_to_buffer()
}

fn write_values_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    indicators: &[(&qcity_domain::plan::Indicator, Vec<MeasureSpec>)],
) -> Result<(), XlsxError> {
    let widths = [12.0, 14.0, 8.0, 12.0, 14.0, 40.0];
    for (c, col) in Col::ALL.iter().enumerate() {
        let n = col_num(c)?;
        ws.set_column_width(n, widths.get(c).copied().unwrap_or(12.0))?;
        ws.write_string_with_format(0, n, col.zh(), &f.header)?;
    }
    let mut row = 1u32;
    for (indicator, specs) in indicators {
        for m in specs.iter().filter(|m| !m.is_judged()) {
            ws.write_string_with_format(row, 0, &indicator.code, &f.body)?;
            ws.write_string_with_format(row, 1, &m.label, &f.body)?;
            ws.write_blank(row, 2, &f.body)?;
            ws.write_blank(row, 3, &f.body)?;
            ws.write_string_with_format(row, 4, unit_zh(&m.unit), &f.body)?;
            ws.write_blank(row, 5, &f.body)?;
            row += 1;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// `（无分项，留空）`, or one line per measure: `pm25：PM2.5浓度`.
fn measures_text(specs: &[MeasureSpec]) -> String {
    if let [single] = specs
        && single.label.is_empty()
    {
        return "（无分项，留空）".to_string();
    }
    specs
        .iter()
        .map(|m| {
            let mut line = if m.name.is_empty() || m.name == m.label {
                m.label.clone()
            } else {
                format!("{}：{}", m.label, m.name)
            };
            if m.is_judged() {
                line.push_str("（评定，在网页中填写）");
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The units of the measures that take numbers, once each.
fn units_text(specs: &[MeasureSpec]) -> String {
    let mut units: Vec<&str> = Vec::new();
    for m in specs.iter().filter(|m| !m.is_judged()) {
        let unit = unit_zh(&m.unit);
        if !unit.is_empty() && !units.contains(&unit) {
            units.push(unit);
        }
    }
    units.join("、")
}

/// One hint per measure, prefixed by its label when there are several.
fn hints_text(specs: &[MeasureSpec]) -> String {
    specs
        .iter()
        .map(|m| {
            if m.label.is_empty() {
                hint_zh(m)
            } else {
                format!("{}：{}", m.label, hint_zh(m))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn row_num(row: usize) -> Result<u32, XlsxError> {
    u32::try_from(row).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(col: usize) -> Result<u16, XlsxError> {
    u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)
}

//! QCity office formats: the plan as an XLSX workbook that the programme
//! office edits in Excel or LibreOffice, and reads back; and a bulletin (通报)
//! as a Word document ([`bulletin_to_docx`]).
//!
//! The workbook has four sheets (see `docs/plan-format.md`, "Workbook"):
//! 任务分解表 (the decomposition table, laid out like the plan's
//! attachment), 指标, 主要任务 and 单位. Reading is forgiving about what
//! spreadsheets and clerks do to a table: merged cells, blank cells that
//! repeat the row above, full-width punctuation and spaces, dates typed in
//! several ways or stored as date cells.
//!
//! For offices following the campaign in Excel, [`status_to_xlsx`] writes
//! the same decomposition table with each content's current status, and the
//! obligations one per row.
//!
//! Offices enter indicator values in bulk: [`indicator_template_xlsx`] is
//! the template they fill in, and [`read_indicator_values`] reads it back
//! (or a CSV file) into [`ValueRow`]s and diagnostics.

mod acceptance;
pub mod assessment;
mod bulletin;
mod complaints;
mod enterprises;
mod import;
mod layout;
pub mod limits;
mod official;
mod pdf;
mod read;
pub mod report;
mod rollup;
mod sampling;
mod sheet;
mod status;
mod table;
mod text;
mod values;
mod write;

#[cfg(test)]
mod tests;

use qcity_domain::formula::Measure;
use qcity_domain::plan::{Diagnostic, Plan};
use qcity_domain::target::Lang;

pub use acceptance::{
    SHEET_ACCEPTANCE, acceptance_rows_to_xlsx, acceptance_sheet_from_xlsx,
    acceptance_sheet_to_xlsx, read_acceptance_sheet,
};
pub use bulletin::{bulletin_to_docx, bulletin_to_pdf};
pub use complaints::{SHEET_COMPLAINTS, complaint_template_xlsx, read_complaints};
pub use enterprises::{SHEET_ENTERPRISES, enterprise_template_xlsx, read_enterprises};
pub use layout::{SHEET_DECOMPOSITION, SHEET_INDICATORS, SHEET_TASKS, SHEET_UNITS};
pub use rollup::{RollupCell, RollupTable, rollup_to_docx, rollup_to_xlsx};
pub use sampling::{SHEET_SAMPLING, read_sampling, sampling_template_xlsx};
pub use status::{SHEET_PROGRESS, SHEET_STATUS_DETAIL, StatusRow, status_to_xlsx, status_zh};
pub use table::MAX_ROW_DIAGNOSTICS;
pub use values::{
    FIRST_YEAR, LAST_YEAR, SHEET_VALUES, SHEET_VALUES_GUIDE, ValueRow, indicator_template_xlsx,
    read_indicator_values,
};

/// Why a workbook or a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The XLSX writer failed.
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The DOCX writer failed.
    #[error("cannot write the document: {0}")]
    Docx(#[from] docx_rs::DocxError),
    /// The PDF could not be written (the font cannot be read or subset).
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
}

/// The plan as an XLSX workbook, a Chinese office document: its notes (备注) in Chinese.
pub fn plan_to_xlsx(plan: &Plan) -> Result<Vec<u8>, ExchangeError> {
    plan_to_xlsx_in(plan, Lang::ZhCn)
}

/// The plan as an XLSX workbook with its transcription notes (the 备注 columns) in `lang`:
/// Chinese from the domain's catalogue (a note it does not hold as typed), English as
/// written. Sheet names and headers stay Chinese. [`plan_from_xlsx`] reads either back to
/// the same notes.
pub fn plan_to_xlsx_in(plan: &Plan, lang: Lang) -> Result<Vec<u8>, ExchangeError> {
    Ok(write::write_workbook(&layout::plan_sheets(plan, lang))?)
}

/// Reads a plan back from a workbook written by [`plan_to_xlsx`] (possibly
/// edited and re-saved by a spreadsheet program).
///
/// `base` is the plan the workbook was exported from: it supplies what the
/// workbook does not carry (links between contents, indicators and tasks;
/// content targets; inherited flags of existing contents; notes of
/// categories, items and tasks; indicator areas, task groups, phases,
/// measures and the plan header). Contents are matched by the code at the
/// start of 目标内容: a code not in `base` is a new content, a base content
/// missing from the sheet is removed.
///
/// `Ok` carries the plan and its warnings; `Err` every diagnostic when
/// there is at least one error. Errors about cells name the sheet, the row
/// (1-based, as Excel shows it) and the column letter, in English and Chinese.
pub fn plan_from_xlsx(
    bytes: &[u8],
    base: &Plan,
) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
    let sheets = read::read_workbook(bytes).map_err(|d| vec![d])?;
    import::plan_from_sheets(&sheets, base)
}

/// True for an XLSX workbook (a ZIP archive), whatever the file is called.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads a plan file as a user hands it over: the plan format (TOML) or the workbook, which is
/// applied on top of `base`. `Ok` carries the plan and its warnings; `Err` every diagnostic
/// when there is at least one error; formulas are checked against `measures` (the installed
/// registries' measures). Web import and `qcity plan import|validate` share it.
pub fn read_plan(
    bytes: &[u8],
    base: &Plan,
    measures: &[&Measure],
) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
    if is_xlsx(bytes) {
        let (plan, mut diags) = plan_from_xlsx(bytes, base)?;
        diags.extend(plan.validate(None));
        diags.extend(plan.check_formulas(None, measures));
        return if qcity_domain::plan::has_errors(&diags) {
            Err(diags)
        } else {
            Ok((plan, diags))
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let (plan, warnings) = match Plan::load(text) {
                Ok(loaded) => loaded,
                Err(mut diags) => {
                    // Formula problems are reported beside the others when the plan reads.
                    if let Ok(plan) = Plan::from_toml(text) {
                        diags.extend(plan.check_formulas(Some(text), measures));
                    }
                    return Err(diags);
                }
            };
            let problems = plan.check_formulas(Some(text), measures);
            if problems.is_empty() {
                Ok((plan, warnings))
            } else {
                Err(warnings.into_iter().chain(problems).collect())
            }
        }
        Err(_) => Err(vec![Diagnostic::error(
            "file",
            "the file is neither UTF-8 TOML nor an XLSX workbook",
            "文件既不是 UTF-8 编码的 TOML，也不是 XLSX 工作簿",
        )]),
    }
}

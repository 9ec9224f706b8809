//! One supervision-sampling record (监督抽查结果) as it is entered or imported, and the rules it
//! obeys on its own. The form, the workbook reader and the store's import check it with
//! [`SamplingInput::problems`]; the store adds what needs the database (the enterprise's code
//! against the office's overrides, a report number given twice with different content).

use super::{FailedItem, Level, Problem, ProductKind, Refusal, Stage, Verdict, format_date_zh};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Years a sampling or report date may fall in.
pub const YEARS: (i32, i32) = (2000, 2100);

/// Longest report number, in characters.
pub const REPORT_NO_MAX: usize = 60;

/// One sampling record, keyed by its report number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingInput {
    /// 报告编号: the natural key.
    pub report_no: String,
    /// 抽查计划（任务）.
    pub plan: String,
    /// 抽查级别.
    pub level: Level,
    /// 抽样环节.
    pub stage: Stage,
    /// 受检企业统一社会信用代码 (or 组织机构代码), as given; the store checks it.
    pub enterprise_code: String,
    /// 受检企业名称: registers the enterprise when its code is new.
    pub enterprise_name: String,
    /// 产品名称.
    pub product: String,
    /// 产品类别 (e.g. 电线电缆).
    pub category: String,
    /// 产品属性.
    pub kind: ProductKind,
    /// 是否CCC目录内产品.
    pub ccc: bool,
    /// 规格型号/批号.
    pub batch: String,
    /// 抽样日期.
    pub sampled_on: NaiveDate,
    /// 报告日期.
    pub reported_on: Option<NaiveDate>,
    /// 检验结论.
    pub verdict: Verdict,
    /// 不合格项目（依据标准）: at least one when the verdict is 不合格, none when it is 合格.
    pub failed_items: Vec<FailedItem>,
    /// 检验机构.
    pub agency: String,
}

/// The fields of a sampling record, for pointing at the one to correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamplingField {
    ReportNo,
    Plan,
    Level,
    Stage,
    EnterpriseCode,
    EnterpriseName,
    Product,
    Category,
    Kind,
    Ccc,
    Batch,
    SampledOn,
    ReportedOn,
    Verdict,
    FailedItems,
    Agency,
}

impl SamplingField {
    /// Every field, in the order of the import template's columns.
    pub const ALL: [SamplingField; 16] = [
        SamplingField::ReportNo,
        SamplingField::Plan,
        SamplingField::Level,
        SamplingField::Stage,
        SamplingField::EnterpriseCode,
        SamplingField::EnterpriseName,
        SamplingField::Product,
        SamplingField::Category,
        SamplingField::Kind,
        SamplingField::Ccc,
        SamplingField::Batch,
        SamplingField::SampledOn,
        SamplingField::ReportedOn,
        SamplingField::Verdict,
        SamplingField::FailedItems,
        SamplingField::Agency,
    ];
}

/// A field's position among the import template's columns.
impl From<SamplingField> for usize {
    fn from(field: SamplingField) -> usize {
        field as usize
    }
}

/// A rule a sampling record breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamplingProblem {
    ReportNoMissing,
    ReportNoTooLong,
    EnterpriseCodeMissing,
    ProductMissing,
    CategoryMissing,
    /// A date outside [`YEARS`].
    DateOutOfRange {
        field: SamplingField,
        date: NaiveDate,
    },
    ReportedBeforeSampled {
        sampled: NaiveDate,
        reported: NaiveDate,
    },
    /// 不合格 without failed items.
    FailWithoutItems,
    /// 合格 with failed items.
    PassWithItems,
}

impl Problem for SamplingProblem {
    type Field = SamplingField;

    fn fields(&self) -> Vec<SamplingField> {
        use SamplingField as F;
        match self {
            Self::ReportNoMissing | Self::ReportNoTooLong => vec![F::ReportNo],
            Self::EnterpriseCodeMissing => vec![F::EnterpriseCode],
            Self::ProductMissing => vec![F::Product],
            Self::CategoryMissing => vec![F::Category],
            Self::DateOutOfRange { field, .. } => vec![*field],
            Self::ReportedBeforeSampled { .. } => vec![F::ReportedOn, F::SampledOn],
            Self::FailWithoutItems | Self::PassWithItems => vec![F::FailedItems, F::Verdict],
        }
    }

    fn refusal(&self) -> Refusal {
        let (first, last) = YEARS;
        match self {
            Self::ReportNoMissing => Refusal::new("缺少报告编号", "the report number is missing"),
            Self::ReportNoTooLong => Refusal::new(
                format!("报告编号超过 {REPORT_NO_MAX} 个字"),
                format!("the report number is longer than {REPORT_NO_MAX} characters"),
            ),
            Self::EnterpriseCodeMissing => Refusal::new(
                "缺少受检企业统一社会信用代码",
                "the enterprise's unified social credit code is missing",
            ),
            Self::ProductMissing => Refusal::new("缺少产品名称", "the product is missing"),
            Self::CategoryMissing => {
                Refusal::new("缺少产品类别", "the product category is missing")
            }
            Self::DateOutOfRange { date, .. } => Refusal::new(
                format!("日期 {} 不在 {first}—{last} 年之间", format_date_zh(*date)),
                format!("the date {date} is outside the years {first}–{last}"),
            ),
            Self::ReportedBeforeSampled { sampled, reported } => Refusal::new(
                format!(
                    "报告日期（{}）早于抽样日期（{}）",
                    format_date_zh(*reported),
                    format_date_zh(*sampled)
                ),
                format!("the report date {reported} is before the sampling date {sampled}"),
            ),
            Self::FailWithoutItems => Refusal::new(
                "检验结论为不合格，请填写不合格项目，如：甲醛释放量（GB 18580-2017）",
                "the verdict is 不合格 (fail): name the failed items, e.g. 甲醛释放量（GB 18580-2017）",
            ),
            Self::PassWithItems => Refusal::new(
                "检验结论为合格，却填写了不合格项目；请改正检验结论或清空不合格项目",
                "the verdict is 合格 (pass) but failed items are given; correct the verdict or clear \
                 the failed items",
            ),
        }
    }
}

impl SamplingInput {
    /// The natural key: one record per report number.
    pub fn key(&self) -> &str {
        self.report_no.trim()
    }

    /// Every rule the record breaks, in field order.
    pub fn problems(&self) -> Vec<SamplingProblem> {
        use SamplingProblem as P;
        let mut out = Vec::new();
        let report_no = self.report_no.trim();
        if report_no.is_empty() {
            out.push(P::ReportNoMissing);
        } else if super::too_long(report_no, REPORT_NO_MAX) {
            out.push(P::ReportNoTooLong);
        }
        if self.enterprise_code.trim().is_empty() {
            out.push(P::EnterpriseCodeMissing);
        }
        if self.product.trim().is_empty() {
            out.push(P::ProductMissing);
        }
        if self.category.trim().is_empty() {
            out.push(P::CategoryMissing);
        }
        let in_years = |d: NaiveDate| (YEARS.0..=YEARS.1).contains(&d.year());
        if !in_years(self.sampled_on) {
            out.push(P::DateOutOfRange {
                field: SamplingField::SampledOn,
                date: self.sampled_on,
            });
        }
        if let Some(reported) = self.reported_on {
            if !in_years(reported) {
                out.push(P::DateOutOfRange {
                    field: SamplingField::ReportedOn,
                    date: reported,
                });
            } else if reported < self.sampled_on {
                out.push(P::ReportedBeforeSampled {
                    sampled: self.sampled_on,
                    reported,
                });
            }
        }
        match self.verdict {
            Verdict::Fail if self.failed_items.is_empty() => out.push(P::FailWithoutItems),
            Verdict::Pass if !self.failed_items.is_empty() => out.push(P::PassWithItems),
            _ => {}
        }
        out
    }

    /// The record's own rules: the first reason it is refused.
    pub fn check(&self) -> Result<(), Refusal> {
        super::first_refusal(self.problems())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn good() -> SamplingInput {
        SamplingInput {
            report_no: "GB2015-0012".into(),
            plan: "2015年国家监督抽查".into(),
            level: Level::National,
            stage: Stage::Production,
            enterprise_code: "914403001922038216".into(),
            enterprise_name: String::new(),
            product: "电线".into(),
            category: "电线电缆".into(),
            kind: ProductKind::Industrial,
            ccc: true,
            batch: String::new(),
            sampled_on: d(2015, 3, 1),
            reported_on: Some(d(2015, 3, 20)),
            verdict: Verdict::Pass,
            failed_items: vec![],
            agency: String::new(),
        }
    }

    fn item() -> FailedItem {
        FailedItem {
            item: "导体电阻".into(),
            standard: "GB/T 3956-2008".into(),
        }
    }

    #[test]
    fn each_rule_refuses_its_row_and_points_at_its_field() {
        type Case = (
            &'static str,
            fn(&mut SamplingInput),
            SamplingProblem,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "blank report no",
                |r| r.report_no = " ".into(),
                SamplingProblem::ReportNoMissing,
                "缺少报告编号",
            ),
            (
                "long report no",
                |r| r.report_no = "R".repeat(61),
                SamplingProblem::ReportNoTooLong,
                "超过 60 个字",
            ),
            (
                "no code",
                |r| r.enterprise_code.clear(),
                SamplingProblem::EnterpriseCodeMissing,
                "缺少受检企业统一社会信用代码",
            ),
            (
                "no product",
                |r| r.product = "　".into(),
                SamplingProblem::ProductMissing,
                "缺少产品名称",
            ),
            (
                "no category",
                |r| r.category.clear(),
                SamplingProblem::CategoryMissing,
                "缺少产品类别",
            ),
            (
                "sampled in 1999",
                |r| {
                    r.sampled_on = d(1999, 12, 31);
                    r.reported_on = None;
                },
                SamplingProblem::DateOutOfRange {
                    field: SamplingField::SampledOn,
                    date: d(1999, 12, 31),
                },
                "日期 1999年12月31日 不在 2000—2100 年之间",
            ),
            (
                "reported in 2101",
                |r| r.reported_on = Some(d(2101, 1, 1)),
                SamplingProblem::DateOutOfRange {
                    field: SamplingField::ReportedOn,
                    date: d(2101, 1, 1),
                },
                "不在 2000—2100 年之间",
            ),
            (
                "reported before sampled",
                |r| r.reported_on = Some(d(2015, 2, 28)),
                SamplingProblem::ReportedBeforeSampled {
                    sampled: d(2015, 3, 1),
                    reported: d(2015, 2, 28),
                },
                "报告日期（2015年2月28日）早于抽样日期（2015年3月1日）",
            ),
            (
                "fail, no items",
                |r| r.verdict = Verdict::Fail,
                SamplingProblem::FailWithoutItems,
                "请填写不合格项目",
            ),
            (
                "pass with items",
                |r| r.failed_items = vec![item()],
                SamplingProblem::PassWithItems,
                "却填写了不合格项目",
            ),
        ];
        assert!(good().problems().is_empty());
        assert_eq!(good().check(), Ok(()));
        for (name, edit, want, zh) in cases {
            let mut r = good();
            edit(&mut r);
            assert_eq!(r.problems(), vec![want.clone()], "{name}");
            let refusal = r.check().expect_err(name);
            assert!(refusal.zh.contains(zh), "{name}: {}", refusal.zh);
            assert!(!refusal.en.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_failed_record_with_items_and_a_same_day_report_passes() {
        let mut r = good();
        r.verdict = Verdict::Fail;
        r.failed_items = vec![item()];
        r.reported_on = Some(r.sampled_on);
        assert_eq!(r.check(), Ok(()));
        assert_eq!(r.key(), "GB2015-0012");
    }

    #[test]
    fn every_problem_of_a_row_is_listed_in_field_order() {
        let mut r = good();
        r.report_no.clear();
        r.product.clear();
        r.verdict = Verdict::Fail;
        let fields: Vec<SamplingField> = r.problems().iter().map(|p| p.fields()[0]).collect();
        assert_eq!(
            fields,
            [
                SamplingField::ReportNo,
                SamplingField::Product,
                SamplingField::FailedItems
            ]
        );
        // The first one is the refusal.
        assert_eq!(r.check().unwrap_err().zh, "缺少报告编号");
    }
}

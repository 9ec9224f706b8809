//! A bulletin (通报): the figures for a period, computed from obligations, and the stated rule
//! that names the units commended and criticised. Pure data: the store computes it, the web
//! shows it, the exchange crate writes it as .docx.

use serde::{Deserialize, Serialize};

/// An issued or draft bulletin, everything needed to render it without the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bulletin {
    /// e.g. "郑州市创建全国质量强市示范城市惠济区工作通报"
    pub title: String,
    /// The issuing office, e.g. "惠济区质量强区战略工作领导小组办公室".
    pub issuer: String,
    /// The period covered, e.g. "2014-09" (monthly) or "2014-09-01..2014-09-30".
    pub period: String,
    /// The period in words, e.g. "2014年9月".
    pub period_label: String,
    /// Figures are as of this date (the period's last day, or the business date if earlier).
    pub as_of: String,
    /// Sequence number within the year once issued (e.g. 第3期), 0 for a draft.
    pub number: u32,
    /// The rule for commendation and criticism, in words (zh-CN).
    pub rule: String,
    /// Totals over all units.
    pub total: Rates,
    pub units: Vec<UnitLine>,
    pub categories: Vec<CategoryLine>,
    pub overdue: Vec<OverdueLine>,
    pub commended: Vec<String>,
    /// (unit name, why) — e.g. ("区城建局", "逾期 3 项，其中 1 项已通报").
    pub criticised: Vec<(String, String)>,
    /// For a correction (更正): why the earlier issue of the same number was corrected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<String>,
}

/// Counts and rates as of the bulletin's date, by the one definition of each figure
/// ([`crate::supervision::Tally`], `docs/figures.md`). Field names are those of bulletins
/// already issued (frozen as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// 应完成: due by the as-of date, or closed by then though due later.
    pub due: u32,
    /// 已销号: accepted by the as-of date.
    pub accepted: u32,
    /// Of those expected, handed in by their due date.
    pub on_time: u32,
    /// Past due and not handed in.
    pub overdue: u32,
    /// 完成率, one decimal; none ("—", not ranked) when nothing is expected.
    pub completion_rate: Option<f64>,
    /// 按时完成率, one decimal; none when nothing is expected.
    pub on_time_rate: Option<f64>,
}

impl Rates {
    pub fn from_tally(t: &crate::supervision::Tally) -> Rates {
        let one_decimal = |r: Option<f64>| r.map(|r| (r * 10.0).round() / 10.0);
        Rates {
            due: t.expected as u32,
            accepted: t.closed as u32,
            on_time: t.on_time as u32,
            overdue: t.overdue as u32,
            completion_rate: one_decimal(t.completion_rate()),
            on_time_rate: one_decimal(t.on_time_rate()),
        }
    }

    /// The completion rate as shown ("47.6%" or "—").
    pub fn completion_text(&self) -> String {
        crate::supervision::rate_text(self.completion_rate)
    }

    /// The on-time rate as shown.
    pub fn on_time_text(&self) -> String {
        crate::supervision::rate_text(self.on_time_rate)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitLine {
    pub unit_code: String,
    pub unit_name: String,
    pub rates: Rates,
    /// Red 通报 notices the unit received in the period.
    pub red_notices: u32,
    /// Yellow 督办 notices in the period (bulletins issued before they were shown read 0).
    #[serde(default)]
    pub yellow_notices: u32,
    /// Blue 催办 notices in the period.
    #[serde(default)]
    pub blue_notices: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryLine {
    pub code: String,
    pub title: String,
    pub rates: Rates,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueLine {
    pub unit_name: String,
    pub content_code: String,
    pub content_text: String,
    pub due_date: String,
    pub days_overdue: i64,
}

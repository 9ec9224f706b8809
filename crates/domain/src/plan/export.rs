//! The JSON shape of a plan for the API and the web layer: the plan's own
//! fields plus what a client would otherwise have to compute (canonical
//! targets, their explanations, deadline periods).

use serde::{Deserialize, Serialize};

use super::deadline::{Deadline, Period};
use super::model::{
    Category, Content, Indicator, IndicatorArea, Item, Measure, Phase, Plan, PlanMeta, Task,
    TaskGroup, Unit,
};
use crate::target::{self, Lang};

/// A plan ready to serialise as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanExport {
    /// File format version.
    pub schema_version: u32,
    /// Plan header.
    pub plan: PlanMeta,
    /// Organisations.
    pub units: Vec<Unit>,
    /// Schedule stages.
    pub phases: Vec<Phase>,
    /// Indicator tables.
    pub indicator_areas: Vec<IndicatorArea>,
    /// Indicators with explained targets.
    pub indicators: Vec<IndicatorExport>,
    /// Groups of main tasks.
    pub task_groups: Vec<TaskGroup>,
    /// The main tasks.
    pub tasks: Vec<Task>,
    /// Guarantee measures.
    pub measures: Vec<Measure>,
    /// Decomposition: categories → items → contents.
    pub categories: Vec<CategoryExport>,
}

/// An indicator with its target in canonical form and in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorExport {
    /// Code.
    pub code: String,
    /// Area code.
    pub area: String,
    /// Row number.
    pub seq: u32,
    /// Verbatim text.
    pub text: String,
    /// Short name.
    pub name: String,
    /// Canonical target expression (the text as written when it does not parse).
    pub target: String,
    /// The target in Chinese words.
    pub target_explained: String,
    /// The target in English words.
    pub target_explained_en: String,
    /// Unit of entered values.
    pub unit: String,
    /// Linked contents.
    pub contents: Vec<String>,
    /// Linked tasks.
    pub tasks: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
    /// The registry measure it is computed from (`{"query": "…", parameters…}`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<crate::formula::Formula>,
}

/// A category with its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryExport {
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Notes.
    pub notes: Vec<String>,
    /// Items.
    pub items: Vec<ItemExport>,
}

/// An item with its contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemExport {
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Notes.
    pub notes: Vec<String>,
    /// Contents.
    pub contents: Vec<ContentExport>,
}

/// A content with its deadline expanded into periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentExport {
    /// Code.
    pub code: String,
    /// Verbatim text.
    pub text: String,
    /// The source's deadline words.
    pub deadline_text: String,
    /// Structured deadline.
    pub deadline: Deadline,
    /// Obligations up to `plan.recurring_until`.
    pub periods: Vec<Period>,
    /// Lead unit codes.
    pub lead_units: Vec<String>,
    /// Undertaking unit codes.
    pub undertaking_units: Vec<String>,
    /// Fields taken from another row.
    pub inherited: Vec<String>,
    /// Canonical target, when the content has one.
    pub target: Option<String>,
    /// The target in Chinese words.
    pub target_explained: Option<String>,
    /// The target in English words.
    pub target_explained_en: Option<String>,
    /// Linked indicators.
    pub indicators: Vec<String>,
    /// Linked tasks.
    pub tasks: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

pub(super) fn export(plan: &Plan) -> PlanExport {
    PlanExport {
        schema_version: plan.schema_version,
        plan: plan.plan.clone(),
        units: plan.units.clone(),
        phases: plan.phases.clone(),
        indicator_areas: plan.indicator_areas.clone(),
        indicators: plan.indicators.iter().map(indicator).collect(),
        task_groups: plan.task_groups.clone(),
        tasks: plan.tasks.clone(),
        measures: plan.measures.clone(),
        categories: plan.categories.iter().map(|c| category(c, plan)).collect(),
    }
}

/// Canonical text, Chinese and English explanation of a target expression.
/// A target that does not parse is kept as written and explained as invalid.
pub fn explain_target(text: &str) -> (String, String, String) {
    match target::parse(text) {
        Ok(t) => (
            t.to_string(),
            target::explain(&t, Lang::ZhCn),
            target::explain(&t, Lang::En),
        ),
        Err(e) => (
            text.to_string(),
            format!("目标表达式有误：{}", e.message(Lang::ZhCn)),
            format!("invalid target: {}", e.message(Lang::En)),
        ),
    }
}

fn indicator(i: &Indicator) -> IndicatorExport {
    let (target, zh, en) = explain_target(&i.target);
    IndicatorExport {
        code: i.code.clone(),
        area: i.area.clone(),
        seq: i.seq,
        text: i.text.clone(),
        name: i.name.clone(),
        target,
        target_explained: zh,
        target_explained_en: en,
        unit: i.unit.clone(),
        contents: i.contents.clone(),
        tasks: i.tasks.clone(),
        notes: i.notes.clone(),
        formula: i.formula.clone(),
    }
}

fn category(c: &Category, plan: &Plan) -> CategoryExport {
    CategoryExport {
        code: c.code.clone(),
        title: c.title.clone(),
        notes: c.notes.clone(),
        items: c.items.iter().map(|i| item(i, plan)).collect(),
    }
}

fn item(i: &Item, plan: &Plan) -> ItemExport {
    ItemExport {
        code: i.code.clone(),
        title: i.title.clone(),
        notes: i.notes.clone(),
        contents: i.contents.iter().map(|c| content(c, plan)).collect(),
    }
}

fn content(c: &Content, plan: &Plan) -> ContentExport {
    let explained = c.target.as_deref().map(explain_target);
    ContentExport {
        code: c.code.clone(),
        text: c.text.clone(),
        deadline_text: c.deadline_text.clone(),
        deadline: c.deadline.clone(),
        periods: c.deadline.periods(plan.plan.recurring_until),
        lead_units: c.lead_units.clone(),
        undertaking_units: c.undertaking_units.clone(),
        inherited: c.inherited.clone(),
        target: explained.as_ref().map(|e| e.0.clone()),
        target_explained: explained.as_ref().map(|e| e.1.clone()),
        target_explained_en: explained.map(|e| e.2),
        indicators: c.indicators.clone(),
        tasks: c.tasks.clone(),
        notes: c.notes.clone(),
    }
}

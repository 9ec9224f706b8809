//! Field-level differences between two plans, keyed by stable codes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::load::{deadline_inline, inline_list};
use super::model::{
    Category, Content, Indicator, IndicatorArea, Item, Measure, Phase, Plan, PlanMeta, Task,
    TaskGroup, Unit,
};

/// What changed between two plans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDiff {
    /// Elements only in the new plan (`field` is `None`, `new` summarises it).
    pub added: Vec<Change>,
    /// Elements only in the old plan (`field` is `None`, `old` summarises it).
    pub removed: Vec<Change>,
    /// One entry per changed field of an element in both plans.
    pub changed: Vec<Change>,
}

impl PlanDiff {
    /// Whether the plans are the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `plan`, `unit`, `phase`, `indicator_area`, `indicator`, `task_group`,
    /// `task`, `measure`, `category`, `item` or `content`.
    pub kind: String,
    /// The element's code.
    pub code: String,
    /// The changed field, for `changed`.
    pub field: Option<String>,
    /// Old value (lists and deadlines in TOML notation; `None` when absent).
    pub old: Option<String>,
    /// New value.
    pub new: Option<String>,
}

/// Differences from `old` to `new`.
pub fn diff(old: &Plan, new: &Plan) -> PlanDiff {
    let mut d = PlanDiff::default();
    compare_fields(
        &mut d,
        "plan",
        &new.plan.code,
        meta_fields(&old.plan),
        meta_fields(&new.plan),
    );
    compare(&mut d, &old.units, &new.units);
    compare(&mut d, &old.phases, &new.phases);
    compare(&mut d, &old.indicator_areas, &new.indicator_areas);
    compare(&mut d, &old.indicators, &new.indicators);
    compare(&mut d, &old.task_groups, &new.task_groups);
    compare(&mut d, &old.tasks, &new.tasks);
    compare(&mut d, &old.measures, &new.measures);
    compare(&mut d, &old.categories, &new.categories);
    let items =
        |p: &Plan| -> Vec<Item> { p.categories.iter().flat_map(|c| c.items.clone()).collect() };
    compare(&mut d, &items(old), &items(new));
    let contents = |p: &Plan| -> Vec<Content> { p.contents().map(|(_, _, c)| c.clone()).collect() };
    compare(&mut d, &contents(old), &contents(new));
    d
}

type Fields = Vec<(&'static str, Option<String>)>;

/// An element the diff compares: a kind, a code, a one-line summary, fields.
trait Element {
    const KIND: &'static str;
    fn code(&self) -> &str;
    fn summary(&self) -> String;
    fn fields(&self) -> Fields;
}

fn compare<E: Element>(d: &mut PlanDiff, old: &[E], new: &[E]) {
    let old_by_code: HashMap<&str, &E> = old.iter().rev().map(|e| (e.code(), e)).collect();
    let new_by_code: HashMap<&str, &E> = new.iter().rev().map(|e| (e.code(), e)).collect();
    for e in new {
        match old_by_code.get(e.code()) {
            None => d.added.push(Change {
                kind: E::KIND.into(),
                code: e.code().into(),
                field: None,
                old: None,
                new: Some(e.summary()),
            }),
            Some(o) => compare_fields(d, E::KIND, e.code(), o.fields(), e.fields()),
        }
    }
    for e in old {
        if !new_by_code.contains_key(e.code()) {
            d.removed.push(Change {
                kind: E::KIND.into(),
                code: e.code().into(),
                field: None,
                old: Some(e.summary()),
                new: None,
            });
        }
    }
}

fn compare_fields(d: &mut PlanDiff, kind: &str, code: &str, old: Fields, new: Fields) {
    for ((field, o), (_, n)) in old.into_iter().zip(new) {
        if o != n {
            d.changed.push(Change {
                kind: kind.into(),
                code: code.into(),
                field: Some(field.into()),
                old: o,
                new: n,
            });
        }
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn list(v: &[String]) -> Option<String> {
    Some(inline_list(v))
}

fn meta_fields(m: &PlanMeta) -> Fields {
    vec![
        ("code", s(&m.code)),
        ("title", s(&m.title)),
        ("issuer", s(&m.issuer)),
        ("document_no", s(&m.document_no)),
        ("issued_on", Some(m.issued_on.to_string())),
        ("start", Some(m.start.to_string())),
        ("end", Some(m.end.to_string())),
        ("recurring_until", Some(m.recurring_until.to_string())),
        ("guiding_ideology", s(&m.guiding_ideology)),
        ("overall_goal", s(&m.overall_goal)),
        ("notes", list(&m.notes)),
        ("owner", m.owner.clone()),
    ]
}

impl Element for Unit {
    const KIND: &'static str = "unit";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.name.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("name", s(&self.name)),
            ("kind", s(self.kind.as_str())),
            ("parent", self.parent.clone()),
            (
                "registers",
                list(
                    &self
                        .registers
                        .iter()
                        .map(|r| r.as_str().to_string())
                        .collect::<Vec<_>>(),
                ),
            ),
            ("notes", list(&self.notes)),
        ]
    }
}

impl Element for Phase {
    const KIND: &'static str = "phase";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.name.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("name", s(&self.name)),
            ("start", Some(self.start.to_string())),
            ("end", Some(self.end.to_string())),
            ("steps", list(&self.steps)),
        ]
    }
}

impl Element for IndicatorArea {
    const KIND: &'static str = "indicator_area";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.name.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("name", s(&self.name)),
            ("goal", s(&self.goal)),
            ("table_title", s(&self.table_title)),
        ]
    }
}

impl Element for Indicator {
    const KIND: &'static str = "indicator";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.text.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("area", s(&self.area)),
            ("seq", Some(self.seq.to_string())),
            ("text", s(&self.text)),
            ("name", s(&self.name)),
            ("target", s(&self.target)),
            ("unit", s(&self.unit)),
            ("contents", list(&self.contents)),
            ("tasks", list(&self.tasks)),
            ("notes", list(&self.notes)),
            ("formula", self.formula.as_ref().map(|f| f.to_inline_toml())),
        ]
    }
}

impl Element for TaskGroup {
    const KIND: &'static str = "task_group";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.title.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("seq", Some(self.seq.to_string())),
            ("title", s(&self.title)),
        ]
    }
}

impl Element for Task {
    const KIND: &'static str = "task";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.title.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("seq", Some(self.seq.to_string())),
            ("group", s(&self.group)),
            ("title", s(&self.title)),
            ("text", s(&self.text)),
            ("contents", list(&self.contents)),
            ("notes", list(&self.notes)),
        ]
    }
}

impl Element for Measure {
    const KIND: &'static str = "measure";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.title.clone()
    }
    fn fields(&self) -> Fields {
        vec![("title", s(&self.title)), ("text", s(&self.text))]
    }
}

impl Element for Category {
    const KIND: &'static str = "category";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.title.clone()
    }
    fn fields(&self) -> Fields {
        vec![("title", s(&self.title)), ("notes", list(&self.notes))]
    }
}

impl Element for Item {
    const KIND: &'static str = "item";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.title.clone()
    }
    fn fields(&self) -> Fields {
        vec![("title", s(&self.title)), ("notes", list(&self.notes))]
    }
}

impl Element for Content {
    const KIND: &'static str = "content";
    fn code(&self) -> &str {
        &self.code
    }
    fn summary(&self) -> String {
        self.text.clone()
    }
    fn fields(&self) -> Fields {
        vec![
            ("text", s(&self.text)),
            ("deadline_text", s(&self.deadline_text)),
            ("deadline", Some(deadline_inline(&self.deadline))),
            ("lead_units", list(&self.lead_units)),
            ("undertaking_units", list(&self.undertaking_units)),
            ("inherited", list(&self.inherited)),
            ("target", self.target.clone()),
            ("indicators", list(&self.indicators)),
            ("tasks", list(&self.tasks)),
            ("notes", list(&self.notes)),
        ]
    }
}

/// A changed value as a reader sees it: a list as its items, a deadline as dates, text as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// The field had no value.
    Absent,
    Text(String),
    List(Vec<String>),
    Deadline(super::Deadline),
}

impl Change {
    /// The old value, read back from the notation the diff stores.
    pub fn old_value(&self) -> Value {
        value_of(self.field.as_deref(), self.old.as_deref())
    }

    /// The new value.
    pub fn new_value(&self) -> Value {
        value_of(self.field.as_deref(), self.new.as_deref())
    }
}

/// Reads a stored value: deadlines and lists are inline TOML (see [`Element::fields`]); a value
/// that does not read back stays text, so nothing a version recorded is hidden.
fn value_of(field: Option<&str>, raw: Option<&str>) -> Value {
    #[derive(Deserialize)]
    struct One<T> {
        v: T,
    }
    let Some(raw) = raw else {
        return Value::Absent;
    };
    if field == Some("deadline") {
        if let Ok(one) = toml::from_str::<One<super::Deadline>>(&format!("v = {raw}")) {
            return Value::Deadline(one.v);
        }
    } else if raw.starts_with('[')
        && let Ok(one) = toml::from_str::<One<Vec<String>>>(&format!("v = {raw}"))
    {
        return Value::List(one.v);
    }
    Value::Text(raw.to_string())
}

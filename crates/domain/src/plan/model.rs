//! The plan's data types: exactly the tables and fields of the plan file
//! (`docs/plan-format.md`). Unknown keys are rejected so a typo in a field
//! name is an error, not silently lost data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::deadline::Deadline;

/// A whole campaign plan, as held in one plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// File format version; `1`.
    pub schema_version: u32,
    /// The plan header.
    pub plan: PlanMeta,
    /// Organisations, in a hierarchy through `parent`.
    pub units: Vec<Unit>,
    /// Schedule stages.
    pub phases: Vec<Phase>,
    /// The indicator tables.
    pub indicator_areas: Vec<IndicatorArea>,
    /// Indicator rows.
    pub indicators: Vec<Indicator>,
    /// Groups of main tasks.
    pub task_groups: Vec<TaskGroup>,
    /// The numbered main tasks.
    pub tasks: Vec<Task>,
    /// Guarantee measures.
    pub measures: Vec<Measure>,
    /// The task decomposition table: categories → items → contents.
    pub categories: Vec<Category>,
}

/// The `[plan]` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanMeta {
    /// Plan identifier, e.g. `huiji-2014`.
    pub code: String,
    /// Plan title, verbatim.
    pub title: String,
    /// Issuing body.
    pub issuer: String,
    /// Document number (文号).
    pub document_no: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// First day of the first phase.
    pub start: NaiveDate,
    /// Last day of the last phase.
    pub end: NaiveDate,
    /// Recurring deadlines are expanded up to and including this date.
    pub recurring_until: NaiveDate,
    /// 指导思想, verbatim.
    pub guiding_ideology: String,
    /// 总体目标, verbatim.
    pub overall_goal: String,
    /// Plan-wide notes.
    pub notes: Vec<String>,
    /// The unit whose plan this is, when it is not the plan's district: a city's own plan names
    /// its city here and its districts take the duties as its units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The kind of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// The root (a city).
    City,
    /// A district government.
    District,
    /// A coordinating or supervising office (e.g. 区强区办).
    Office,
    /// A member unit that takes lead or undertaking duties.
    Member,
    /// A collective: stands for every unit of kind `member` (各成员单位).
    Group,
    /// A body outside the district government that still takes duties.
    External,
}

impl UnitKind {
    /// Every kind, in file order.
    pub const ALL: [UnitKind; 6] = [
        UnitKind::City,
        UnitKind::District,
        UnitKind::Office,
        UnitKind::Member,
        UnitKind::Group,
        UnitKind::External,
    ];

    /// The file spelling (`member`).
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::City => "city",
            UnitKind::District => "district",
            UnitKind::Office => "office",
            UnitKind::Member => "member",
            UnitKind::Group => "group",
            UnitKind::External => "external",
        }
    }

    /// The Chinese label shown to clerks (成员单位).
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::City => "市",
            UnitKind::District => "区",
            UnitKind::Office => "办公室",
            UnitKind::Member => "成员单位",
            UnitKind::Group => "集合",
            UnitKind::External => "外部单位",
        }
    }

    /// Reads either spelling: `member` or `成员单位`.
    pub fn from_label(s: &str) -> Option<UnitKind> {
        let s = s.trim();
        UnitKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s) || k.label_zh() == s)
    }
}

/// A register (登记簿) QCity keeps. Which units keep it is plan data (a unit's `registers`):
/// they see and edit it, and get its alerts (licence expiries for the enterprise register).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// 企业名录: enterprises and their licences.
    Enterprises,
    /// 监督抽查: supervision sampling records.
    Sampling,
    /// 质量信用: credit files and the blacklist.
    Credit,
}

impl Register {
    pub const ALL: [Register; 3] = [Register::Enterprises, Register::Sampling, Register::Credit];

    /// The stored and plan-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Register::Enterprises => "enterprises",
            Register::Sampling => "sampling",
            Register::Credit => "credit",
        }
    }

    /// The Chinese label shown to clerks (in the workbook's 登记簿 column).
    pub fn label_zh(self) -> &'static str {
        match self {
            Register::Enterprises => "企业名录",
            Register::Sampling => "监督抽查",
            Register::Credit => "质量信用",
        }
    }

    /// Reads either spelling: `sampling` or `监督抽查`.
    pub fn from_label(s: &str) -> Option<Register> {
        let s = s.trim();
        Register::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s) || r.label_zh() == s)
    }
}

/// An organisation that leads or undertakes work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Stable code, uppercase ASCII (pinyin initials).
    pub code: String,
    /// Name exactly as the source writes it; unique, so names map back to codes.
    pub name: String,
    /// What sort of body it is.
    pub kind: UnitKind,
    /// Parent unit code; absent only for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The registers this unit keeps (configuration, not from the source document).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registers: Vec<Register>,
    /// Notes.
    pub notes: Vec<String>,
}

/// A schedule stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// `PH1`…
    pub code: String,
    /// Name without the date range.
    pub name: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// One verbatim string per numbered step.
    pub steps: Vec<String>,
}

/// One of the indicator tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorArea {
    /// `product`, `engineering`, …
    pub code: String,
    /// Area heading.
    pub name: String,
    /// The area's paragraph.
    pub goal: String,
    /// The title above the area's table.
    pub table_title: String,
}

/// One indicator row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// `PRD-1`…
    pub code: String,
    /// An `indicator_areas` code.
    pub area: String,
    /// Row number in its table.
    pub seq: u32,
    /// The row, verbatim.
    pub text: String,
    /// Short derived name.
    pub name: String,
    /// Target-language expression.
    pub target: crate::target::TargetText,
    /// Unit of entered values, or `""` for qualitative targets.
    pub unit: String,
    /// Contents that restate or carry this indicator.
    pub contents: Vec<String>,
    /// Main tasks linked by wording.
    pub tasks: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
    /// How QCity computes the value from its registries; `None`: reported by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<crate::formula::Formula>,
}

/// A group of main tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskGroup {
    /// `G1`…
    pub code: String,
    /// Order.
    pub seq: u32,
    /// Heading.
    pub title: String,
}

/// A numbered main task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// `T01`…
    pub code: String,
    /// The task's own number.
    pub seq: u32,
    /// A `task_groups` code.
    pub group: String,
    /// Lead phrase or derived title.
    pub title: String,
    /// Whole paragraph, verbatim.
    pub text: String,
    /// Contents that carry the task out (inverse of `Content::tasks`).
    pub contents: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

/// A guarantee measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// `M1`…
    pub code: String,
    /// Heading.
    pub title: String,
    /// Paragraph, verbatim.
    pub text: String,
}

/// A target category (目标类别) of the decomposition table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// `"1"`…
    pub code: String,
    /// Merged-cell text.
    pub title: String,
    /// Notes.
    pub notes: Vec<String>,
    /// Its target items.
    pub items: Vec<Item>,
}

/// A target item (目标项目).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// `"1.1"`…
    pub code: String,
    /// Merged-cell text.
    pub title: String,
    /// Notes.
    pub notes: Vec<String>,
    /// Its target contents.
    pub contents: Vec<Content>,
}

/// Fields a content may have taken from another row (merged cells).
pub const INHERITABLE_FIELDS: [&str; 3] = ["deadline", "lead_units", "undertaking_units"];

/// A target content (目标内容): one row of the decomposition table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// `"1.1.1"`…
    pub code: String,
    /// Verbatim, without the code.
    pub text: String,
    /// The source's words in the 完成时限 column.
    pub deadline_text: String,
    /// The structured deadline.
    pub deadline: Deadline,
    /// 牵头单位 codes.
    pub lead_units: Vec<String>,
    /// 承办单位 codes.
    pub undertaking_units: Vec<String>,
    /// Fields taken from another row (see [`INHERITABLE_FIELDS`]).
    pub inherited: Vec<String>,
    /// Measurable goal in the target language, when the content states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Indicators this content restates (inverse of `Indicator::contents`).
    pub indicators: Vec<String>,
    /// Main tasks it carries out (inverse of `Task::contents`).
    pub tasks: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

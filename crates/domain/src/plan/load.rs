//! Reading a plan file (syntax and shape) and writing its canonical form.
//!
//! The canonical form is hand-written rather than produced by `toml::to_string`
//! so it keeps the plan file's layout: deadlines as inline tables, codes as
//! one-line arrays, one note per line, contents indented under their item.

use std::fmt::Write;

use super::deadline::{Deadline, Every};
use super::diagnostic::{Diagnostic, SourceMap, line_of};
use super::model::{Category, Content, Item, Plan};

/// Parses a plan file: TOML syntax and the shape of every table.
pub(super) fn from_toml(src: &str) -> Result<Plan, Vec<Diagnostic>> {
    toml::from_str::<Plan>(src).map_err(|e| vec![shape_error(src, &e)])
}

fn shape_error(src: &str, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_string();
    let (line, path) = match e.span() {
        Some(span) => (
            Some(line_of(src, span.start)),
            SourceMap::new(src).path_at(span.start),
        ),
        None => (None, String::new()),
    };
    let mut d = Diagnostic::error(
        path,
        format!("the plan file cannot be read: {message}"),
        format!("计划文件无法读取：{}", message_zh(&message)),
    );
    d.line = line;
    d
}

/// Chinese wording for the parser's messages: a plan's dates, then what every TOML file the
/// office edits shares ([`crate::rules::toml_message_zh`]).
fn message_zh(en: &str) -> String {
    if en.contains("premature end of input") || en.contains("input contains invalid") {
        format!("日期应写成 \"YYYY-MM-DD\"（{en}）")
    } else {
        crate::rules::toml_message_zh(en)
    }
}

/// The canonical text of a plan.
pub(super) fn to_toml(plan: &Plan) -> String {
    let mut w = Writer::default();
    w.line(0, &format!("schema_version = {}", plan.schema_version));

    let m = &plan.plan;
    w.header(0, "[plan]");
    w.str(0, "code", &m.code);
    w.str(0, "title", &m.title);
    w.str(0, "issuer", &m.issuer);
    w.str(0, "document_no", &m.document_no);
    w.str(0, "issued_on", &m.issued_on.to_string());
    w.str(0, "start", &m.start.to_string());
    w.str(0, "end", &m.end.to_string());
    w.str(0, "recurring_until", &m.recurring_until.to_string());
    w.str(0, "guiding_ideology", &m.guiding_ideology);
    w.str(0, "overall_goal", &m.overall_goal);
    w.list(0, "notes", &m.notes);
    if let Some(owner) = &m.owner {
        w.str(0, "owner", owner);
    }

    for u in &plan.units {
        w.header(0, "[[units]]");
        w.str(0, "code", &u.code);
        w.str(0, "name", &u.name);
        w.str(0, "kind", u.kind.as_str());
        if let Some(parent) = &u.parent {
            w.str(0, "parent", parent);
        }
        if !u.registers.is_empty() {
            let registers: Vec<String> =
                u.registers.iter().map(|r| r.as_str().to_string()).collect();
            w.list(0, "registers", &registers);
        }
        w.list(0, "notes", &u.notes);
    }
    for p in &plan.phases {
        w.header(0, "[[phases]]");
        w.str(0, "code", &p.code);
        w.str(0, "name", &p.name);
        w.str(0, "start", &p.start.to_string());
        w.str(0, "end", &p.end.to_string());
        w.list(0, "steps", &p.steps);
    }
    for a in &plan.indicator_areas {
        w.header(0, "[[indicator_areas]]");
        w.str(0, "code", &a.code);
        w.str(0, "name", &a.name);
        w.str(0, "goal", &a.goal);
        w.str(0, "table_title", &a.table_title);
    }
    for i in &plan.indicators {
        w.header(0, "[[indicators]]");
        w.str(0, "code", &i.code);
        w.str(0, "area", &i.area);
        w.line(0, &format!("seq = {}", i.seq));
        w.str(0, "text", &i.text);
        w.str(0, "name", &i.name);
        w.str(0, "target", &i.target);
        w.str(0, "unit", &i.unit);
        w.codes(0, "contents", &i.contents);
        w.codes(0, "tasks", &i.tasks);
        w.list(0, "notes", &i.notes);
        if let Some(f) = &i.formula {
            w.line(0, &format!("formula = {}", f.to_inline_toml()));
        }
    }
    for g in &plan.task_groups {
        w.header(0, "[[task_groups]]");
        w.str(0, "code", &g.code);
        w.line(0, &format!("seq = {}", g.seq));
        w.str(0, "title", &g.title);
    }
    for t in &plan.tasks {
        w.header(0, "[[tasks]]");
        w.str(0, "code", &t.code);
        w.line(0, &format!("seq = {}", t.seq));
        w.str(0, "group", &t.group);
        w.str(0, "title", &t.title);
        w.str(0, "text", &t.text);
        w.codes(0, "contents", &t.contents);
        w.list(0, "notes", &t.notes);
    }
    for m in &plan.measures {
        w.header(0, "[[measures]]");
        w.str(0, "code", &m.code);
        w.str(0, "title", &m.title);
        w.str(0, "text", &m.text);
    }
    for c in &plan.categories {
        write_category(&mut w, c);
    }
    w.out
}

fn write_category(w: &mut Writer, c: &Category) {
    w.header(0, "[[categories]]");
    w.str(0, "code", &c.code);
    w.str(0, "title", &c.title);
    w.list(0, "notes", &c.notes);
    for item in &c.items {
        write_item(w, item);
    }
}

fn write_item(w: &mut Writer, item: &Item) {
    w.header(2, "[[categories.items]]");
    w.str(2, "code", &item.code);
    w.str(2, "title", &item.title);
    w.list(2, "notes", &item.notes);
    for content in &item.contents {
        write_content(w, content);
    }
}

fn write_content(w: &mut Writer, c: &Content) {
    w.header(4, "[[categories.items.contents]]");
    w.str(4, "code", &c.code);
    w.str(4, "text", &c.text);
    w.str(4, "deadline_text", &c.deadline_text);
    w.line(4, &format!("deadline = {}", deadline_inline(&c.deadline)));
    w.codes(4, "lead_units", &c.lead_units);
    w.codes(4, "undertaking_units", &c.undertaking_units);
    w.codes(4, "inherited", &c.inherited);
    if let Some(target) = &c.target {
        w.str(4, "target", target);
    }
    w.codes(4, "indicators", &c.indicators);
    w.codes(4, "tasks", &c.tasks);
    w.list(4, "notes", &c.notes);
}

/// A deadline as a one-line TOML inline table.
pub(crate) fn deadline_inline(d: &Deadline) -> String {
    match d {
        Deadline::Date { date } => format!("{{ kind = \"date\", date = \"{date}\" }}"),
        Deadline::Range { from, to } => {
            format!("{{ kind = \"range\", from = \"{from}\", to = \"{to}\" }}")
        }
        Deadline::Recurring {
            every,
            month,
            times,
            first,
        } => {
            let every = match every {
                Every::Year => "year",
            };
            let month = month.map(|m| format!(", month = {m}")).unwrap_or_default();
            format!(
                "{{ kind = \"recurring\", every = \"{every}\"{month}, times = {times}, first = \"{first}\" }}"
            )
        }
    }
}

/// A TOML string: a literal `'…'` string when the text has double quotes
/// but nothing a literal string cannot hold (easier to read), otherwise a
/// basic string with the escapes the spec requires.
pub(crate) fn quote(s: &str) -> String {
    if s.contains('"') && !s.contains('\'') && !s.chars().any(char::is_control) {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A one-line TOML array of strings: `["A", "B"]`.
pub(crate) fn inline_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, indent: usize, text: &str) {
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn header(&mut self, indent: usize, text: &str) {
        self.out.push('\n');
        self.line(indent, text);
    }

    fn str(&mut self, indent: usize, key: &str, value: &str) {
        self.line(indent, &format!("{key} = {}", quote(value)));
    }

    fn codes(&mut self, indent: usize, key: &str, values: &[String]) {
        self.line(indent, &format!("{key} = {}", inline_list(values)));
    }

    /// Prose lists (notes, steps): one entry per line.
    fn list(&mut self, indent: usize, key: &str, values: &[String]) {
        if values.is_empty() {
            self.line(indent, &format!("{key} = []"));
            return;
        }
        self.line(indent, &format!("{key} = ["));
        for v in values {
            self.line(indent + 2, &format!("{},", quote(v)));
        }
        self.line(indent, "]");
    }
}

//! Tests of the plan model against the seed plan and small inline plans.

use chrono::NaiveDate;

use super::*;
use crate::target;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics.iter().filter(|d| d.is_error()).collect()
}

#[test]
fn default_plan_loads_without_errors() {
    let plan = Plan::from_toml(DEFAULT_PLAN_TOML).unwrap_or_else(|e| panic!("{e:?}"));
    let diagnostics = plan.validate(Some(DEFAULT_PLAN_TOML));
    assert!(
        errors(&diagnostics).is_empty(),
        "{:#?}",
        errors(&diagnostics)
    );
    assert!(Plan::load(DEFAULT_PLAN_TOML).is_ok());
}

#[test]
fn default_plan_has_the_seed_counts() {
    let plan = default_plan();
    assert_eq!(plan.units.len(), 31);
    assert_eq!(plan.phases.len(), 4);
    assert_eq!(plan.indicator_areas.len(), 5);
    assert_eq!(plan.indicators.len(), 28);
    assert_eq!(plan.task_groups.len(), 8);
    assert_eq!(plan.tasks.len(), 40);
    assert_eq!(plan.categories.len(), 11);
    assert_eq!(
        plan.categories.iter().map(|c| c.items.len()).sum::<usize>(),
        49
    );
    assert_eq!(plan.contents().count(), 91);
    assert_eq!(plan.measures.len(), 4);
    let recurring = plan
        .contents()
        .filter(|(_, _, c)| matches!(c.deadline, Deadline::Recurring { .. }))
        .count();
    let ranges = plan
        .contents()
        .filter(|(_, _, c)| matches!(c.deadline, Deadline::Range { .. }))
        .count();
    // 1.2.2, 2.2.3, 2.6.1, 4.6.3, 4.8.1 and 5.4.1 (3•15, yearly by the programme's reading).
    assert_eq!((recurring, ranges), (6, 2));
}

#[test]
fn default_plan_warnings_are_only_about_known_quirks() {
    // The seed's deadlines all lie inside 2014-03-01 .. 2016-12-31 and its
    // links are symmetric, so it should produce no warning at all.
    let plan = default_plan();
    let diagnostics = plan.validate(None);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
}

#[test]
fn every_target_in_the_default_plan_parses() {
    let plan = default_plan();
    for i in &plan.indicators {
        assert!(i.target.parsed().is_ok(), "{}: {}", i.code, i.target);
    }
    for (_, _, c) in plan.contents() {
        if let Some(t) = &c.target {
            assert!(target::parse(t).is_ok(), "{}: {t}", c.code);
        }
    }
}

#[test]
fn to_toml_round_trips() {
    let plan = default_plan();
    let text = plan.to_toml();
    let again = Plan::from_toml(&text).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(again, plan);
    assert_eq!(again.to_toml(), text);
}

#[test]
fn canonical_form_keeps_the_seed_layout() {
    // The seed file is written in canonical form, plus comments.
    let without_comments: Vec<&str> = DEFAULT_PLAN_TOML
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let canonical = default_plan().to_toml();
    let canonical: Vec<&str> = canonical.lines().filter(|l| !l.trim().is_empty()).collect();
    let first_difference = canonical
        .iter()
        .zip(&without_comments)
        .position(|(a, b)| a != b);
    assert_eq!(
        first_difference,
        None,
        "{:?}",
        first_difference.map(|i| (canonical[i], without_comments[i]))
    );
    assert_eq!(canonical.len(), without_comments.len());
}

#[test]
fn quoting_escapes_what_toml_needs() {
    let mut plan = default_plan();
    plan.plan.notes = vec!["a \"quote\", a \\ and\na newline\t\u{1}".into()];
    let again = Plan::from_toml(&plan.to_toml()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(again.plan.notes, plan.plan.notes);
}

#[test]
fn a_seed_yearly_duty_expands_to_three_years() {
    let plan = default_plan();
    let content = plan
        .content("1.2.2")
        .cloned()
        .unwrap_or_else(|| panic!("1.2.2"));
    let periods = content.deadline.periods(plan.plan.recurring_until);
    let keys: Vec<&str> = periods.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["2014", "2015", "2016"]);
    let range = plan
        .content("2.1.2")
        .cloned()
        .unwrap_or_else(|| panic!("2.1.2"));
    let periods = range.deadline.periods(plan.plan.recurring_until);
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].start, Some(date(2014, 5, 1)));
    assert_eq!(periods[0].due, date(2015, 6, 30));
}

#[test]
fn lookups_and_unit_duties() {
    let plan = default_plan();
    assert_eq!(
        plan.unit("ZJFJ").map(|u| u.name.as_str()),
        Some("区质监分局")
    );
    assert_eq!(
        plan.unit_by_name("区质监分局").map(|u| u.code.as_str()),
        Some("ZJFJ")
    );
    assert!(plan.unit("NOPE").is_none());
    assert_eq!(
        plan.content("1.1.1").map(|c| c.lead_units.clone()),
        Some(vec!["QQB".into()])
    );
    let led: Vec<&str> = plan
        .contents_led_by("CZJ")
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    assert!(led.contains(&"1.3.1"));
    // 1.1.1 is undertaken by ALL (各成员单位): it counts for every member unit…
    let supported = |u: &str| -> Vec<String> {
        plan.contents_supported_by(u)
            .iter()
            .map(|c| c.code.clone())
            .collect()
    };
    assert!(supported("CZJ").contains(&"1.1.1".to_string()));
    assert!(supported("ALL").contains(&"1.1.1".to_string()));
    // …but not for offices or external bodies.
    assert!(!supported("QQB").contains(&"1.1.1".to_string()));
    assert!(!supported("CXLFJ").contains(&"1.1.1".to_string()));
    assert!(supported("NOPE").is_empty());
}

#[test]
fn export_explains_targets_and_expands_deadlines() {
    let export = default_plan().export();
    assert_eq!(export.units.len(), 31);
    assert_eq!(export.tasks.len(), 40);
    let prd1 = &export.indicators[0];
    assert_eq!(prd1.code, "PRD-1");
    assert_eq!(prd1.target, "> 30 %");
    assert!(!prd1.target_explained.is_empty());
    assert!(!prd1.target_explained_en.is_empty());
    assert_ne!(prd1.target_explained, prd1.target_explained_en);
    let c122 = &export.categories[0].items[1].contents[1];
    assert_eq!(c122.code, "1.2.2");
    assert_eq!(c122.periods.len(), 3);
    let c131 = &export.categories[0].items[2].contents[0];
    assert_eq!(c131.target.as_deref(), Some(">= 1 ‰"));
    assert!(c131.target_explained.is_some());
    // Serialises (the JSON contract is serde's; TOML here avoids a JSON dev-dependency).
    assert!(toml::to_string(&export).is_ok());
}

#[test]
fn an_invalid_target_is_exported_as_written_with_an_explanation() {
    let (target, zh, en) = explain_target(">= 96 percent");
    assert_eq!(target, ">= 96 percent");
    assert!(zh.starts_with("目标表达式有误"));
    assert!(en.starts_with("invalid target"));
}

#[test]
fn diff_finds_added_removed_and_changed_contents() {
    let old = default_plan();
    let mut new = old.clone();
    let item = &mut new.categories[0].items[0];
    item.contents[0].text = "新的内容".into();
    let mut added = item.contents[0].clone();
    added.code = "1.1.2".into();
    item.contents.push(added);
    new.categories[0].items[2].contents.clear();
    let d = diff(&old, &new);
    assert_eq!(d.added.len(), 1);
    assert_eq!(
        (d.added[0].kind.as_str(), d.added[0].code.as_str()),
        ("content", "1.1.2")
    );
    assert_eq!(d.removed.len(), 1);
    assert_eq!(
        (d.removed[0].kind.as_str(), d.removed[0].code.as_str()),
        ("content", "1.3.1")
    );
    assert_eq!(d.changed.len(), 1);
    let change = &d.changed[0];
    assert_eq!(change.code, "1.1.1");
    assert_eq!(change.field.as_deref(), Some("text"));
    assert_eq!(change.new.as_deref(), Some("新的内容"));
    assert!(diff(&old, &old).is_empty());
}

#[test]
fn diff_renders_lists_and_deadlines() {
    let old = default_plan();
    let mut new = old.clone();
    let c = &mut new.categories[0].items[0].contents[0];
    c.lead_units.push("ZJFJ".into());
    c.deadline = Deadline::Date {
        date: date(2015, 3, 31),
    };
    let d = diff(&old, &new);
    let fields: Vec<(&str, &str, &str)> = d
        .changed
        .iter()
        .map(|c| {
            (
                c.field.as_deref().unwrap_or(""),
                c.old.as_deref().unwrap_or(""),
                c.new.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (
                "deadline",
                "{ kind = \"date\", date = \"2014-12-31\" }",
                "{ kind = \"date\", date = \"2015-03-31\" }"
            ),
            ("lead_units", "[\"QQB\"]", "[\"QQB\", \"ZJFJ\"]"),
        ]
    );
}

#[test]
fn changed_values_read_back_as_lists_and_deadlines() {
    let old = default_plan();
    let mut new = old.clone();
    let c = &mut new.categories[0].items[0].contents[0];
    c.lead_units.push("ZJFJ".into());
    c.deadline = Deadline::Date {
        date: date(2015, 3, 31),
    };
    c.text = "[不是列表".into();
    let d = diff(&old, &new);
    let by_field = |f: &str| {
        d.changed
            .iter()
            .find(|c| c.field.as_deref() == Some(f))
            .expect(f)
    };
    let deadline = by_field("deadline");
    assert_eq!(
        deadline.old_value(),
        ChangedValue::Deadline(Deadline::Date {
            date: date(2014, 12, 31)
        })
    );
    assert_eq!(
        deadline.new_value(),
        ChangedValue::Deadline(Deadline::Date {
            date: date(2015, 3, 31)
        })
    );
    assert_eq!(
        by_field("lead_units").new_value(),
        ChangedValue::List(vec!["QQB".into(), "ZJFJ".into()])
    );
    // Text that only looks like a list stays text.
    assert_eq!(
        by_field("text").new_value(),
        ChangedValue::Text("[不是列表".into())
    );
}

// ------------------------------------------------------------ validation

const SMALL: &str = r#"schema_version = 1

[plan]
code = "t"
title = "测试计划"
issuer = "测试区"
document_no = "测〔2014〕1号"
issued_on = "2014-11-23"
start = "2014-03-01"
end = "2015-06-30"
recurring_until = "2016-12-31"
guiding_ideology = "g"
overall_goal = "o"
notes = []

[[units]]
code = "ZZ"
name = "郑州市"
kind = "city"
notes = []

[[units]]
code = "QQB"
name = "区强区办"
kind = "office"
parent = "ZZ"
notes = []

[[units]]
code = "ZJFJ"
name = "区质监分局"
kind = "member"
parent = "ZZ"
notes = []

[[phases]]
code = "PH1"
name = "规划筹备阶段"
start = "2014-03-01"
end = "2014-05-31"
steps = ["a"]

[[indicator_areas]]
code = "product"
name = "产品质量"
goal = "g"
table_title = "产品质量指标"

[[indicators]]
code = "PRD-1"
area = "product"
seq = 1
text = "合格率达到 96%以上。"
name = "合格率"
target = ">= 96 %"
unit = "%"
contents = ["1.1.1"]
tasks = ["T01"]
notes = []

[[task_groups]]
code = "G1"
seq = 1
title = "实施质量提升战略"

[[tasks]]
code = "T01"
seq = 1
group = "G1"
title = "全力提升产品质量"
text = "全力提升产品质量。"
contents = ["1.1.1"]
notes = []

[[measures]]
code = "M1"
title = "做好组织领导"
text = "t"

[[categories]]
code = "1"
title = "城市质量发展战略规划明确清晰"
notes = []

  [[categories.items]]
  code = "1.1"
  title = "制定并出台城市质量发展规划"
  notes = []

    [[categories.items.contents]]
    code = "1.1.1"
    text = "制定规划。"
    deadline_text = "2014年12月31日"
    deadline = { kind = "date", date = "2014-12-31" }
    lead_units = ["QQB"]
    undertaking_units = ["ZJFJ"]
    inherited = []
    indicators = ["PRD-1"]
    tasks = ["T01"]
    notes = []

    [[categories.items.contents]]
    code = "1.1.2"
    text = "每年召开会议。"
    deadline_text = "2014年12月31日"
    deadline = { kind = "recurring", every = "year", times = 1, first = "2014-12-31" }
    lead_units = ["QQB"]
    undertaking_units = ["ZJFJ"]
    inherited = ["lead_units", "undertaking_units"]
    indicators = []
    tasks = []
    notes = []
"#;

/// `SMALL` with the `nth` (0-based) occurrence of `from` replaced, and the
/// 1-based line where the replacement starts.
fn edited(from: &str, to: &str, nth: usize) -> (String, usize) {
    let Some((at, _)) = SMALL.match_indices(from).nth(nth) else {
        panic!("'{from}' occurs fewer than {} times", nth + 1);
    };
    let line = SMALL[..at].matches('\n').count() + 1;
    let src = format!("{}{to}{}", &SMALL[..at], &SMALL[at + from.len()..]);
    (src, line)
}

/// 1-based line of the `nth` (0-based) occurrence of `needle` in `src`.
fn line_of_nth(src: &str, needle: &str, nth: usize) -> usize {
    let Some((at, _)) = src.match_indices(needle).nth(nth) else {
        panic!("'{needle}' occurs fewer than {} times", nth + 1);
    };
    src[..at].matches('\n').count() + 1
}

/// Validates `src` and returns the diagnostics of the given severity.
fn check(src: &str, severity: Severity) -> Vec<Diagnostic> {
    let plan = Plan::from_toml(src).unwrap_or_else(|e| panic!("{e:?}"));
    plan.validate(Some(src))
        .into_iter()
        .filter(|d| d.severity == severity)
        .collect()
}

/// Asserts exactly one diagnostic of `severity`, at `line`, whose English
/// message contains `words`; returns it.
fn expect_one(src: &str, severity: Severity, line: usize, words: &str) -> Diagnostic {
    let found = check(src, severity);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = found[0].clone();
    assert_eq!(d.line, Some(line), "{d:#?}");
    assert!(d.message_en.contains(words), "{d:#?}");
    assert!(!d.message_zh.is_empty());
    d
}

#[test]
fn the_small_plan_is_clean() {
    let plan = Plan::from_toml(SMALL).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.validate(Some(SMALL)), []);
}

#[test]
fn unknown_lead_unit() {
    let (src, line) = edited("lead_units = [\"QQB\"]", "lead_units = [\"NOPE\"]", 0);
    let d = expect_one(
        &src,
        Severity::Error,
        line,
        "'NOPE' is not a known unit code",
    );
    assert_eq!(d.path, "categories[0].items[0].contents[0].lead_units[0]");
    assert!(d.message_zh.contains("牵头单位"));
}

#[test]
fn unknown_undertaking_unit_and_parent() {
    let (src, line) = edited(
        "undertaking_units = [\"ZJFJ\"]",
        "undertaking_units = [\"X\"]",
        1,
    );
    expect_one(&src, Severity::Error, line, "undertaking units 'X'");
    let (src, line) = edited("parent = \"ZZ\"", "parent = \"NOPE\"", 1);
    let d = expect_one(&src, Severity::Error, line, "the parent 'NOPE'");
    assert_eq!(d.path, "units[2].parent");
}

#[test]
fn duplicate_codes() {
    let (src, _) = edited("code = \"QQB\"", "code = \"ZJFJ\"", 0);
    let line = line_of_nth(&src, "code = \"ZJFJ\"", 1);
    let found = check(&src, Severity::Error);
    // The duplicate itself, and QQB now unknown in the contents.
    assert!(
        found
            .iter()
            .any(|d| d.message_en.contains("duplicate unit code 'ZJFJ'") && d.line == Some(line)),
        "{found:#?}"
    );
    let (src, line) = edited("code = \"1.1.2\"", "code = \"1.1.1\"", 0);
    let found = check(&src, Severity::Error);
    assert!(
        found.iter().any(
            |d| d.message_en.contains("duplicate content code '1.1.1'") && d.line == Some(line)
        ),
        "{found:#?}"
    );
    let extra = "[[tasks]]\ncode = \"T01\"\nseq = 2\ngroup = \"G1\"\ntitle = \"t\"\ntext = \"t\"\ncontents = []\nnotes = []\n\n[[measures]]";
    let src = SMALL.replace("[[measures]]", extra);
    let line = line_of_nth(&src, "code = \"T01\"", 1);
    let found = check(&src, Severity::Error);
    assert!(
        found
            .iter()
            .any(|d| d.message_en.contains("duplicate task code 'T01'") && d.line == Some(line)),
        "{found:#?}"
    );
}

#[test]
fn content_code_must_start_with_its_item_code() {
    let (src, line) = edited("code = \"1.1.2\"", "code = \"1.2.2\"", 0);
    let d = expect_one(&src, Severity::Error, line, "does not start with '1.1.'");
    assert_eq!(d.path, "categories[0].items[0].contents[1].code");
}

#[test]
fn unparsable_target_includes_the_parser_message() {
    let (src, line) = edited("target = \">= 96 %\"", "target = \">= 96 percent\"", 0);
    let d = expect_one(&src, Severity::Error, line, "unknown unit 'percent'");
    assert!(d.message_en.contains("PRD-1"));
    assert!(d.message_zh.contains("无法解析"));
}

#[test]
fn links_that_point_nowhere() {
    let (src, line) = edited(
        "indicators = [\"PRD-1\"]",
        "indicators = [\"PRD-1\", \"PRD-9\"]",
        0,
    );
    expect_one(
        &src,
        Severity::Error,
        line,
        "indicator 'PRD-9', which does not exist",
    );
    let (src, line) = edited("tasks = [\"T01\"]\nnotes", "tasks = [\"T09\"]\nnotes", 0);
    expect_one(&src, Severity::Error, line, "task 'T09'");
    let (src, line) = edited(
        "contents = [\"1.1.1\"]\nnotes",
        "contents = [\"1.1.1\", \"9.9.9\"]\nnotes",
        0,
    );
    expect_one(&src, Severity::Error, line, "content '9.9.9'");
    let (src, line) = edited("group = \"G1\"", "group = \"G9\"", 0);
    expect_one(&src, Severity::Error, line, "group 'G9'");
}

#[test]
fn one_sided_links_are_warnings() {
    let (src, _) = edited("indicators = [\"PRD-1\"]", "indicators = []", 0);
    let line = line_of_nth(&src, "contents = [\"1.1.1\"]", 0);
    let d = expect_one(&src, Severity::Warning, line, "does not list it");
    assert_eq!(d.path, "indicators[0].contents[0]");
}

#[test]
fn deadlines_outside_the_plan_period_are_warnings() {
    let (src, line) = edited("date = \"2014-12-31\"", "date = \"2017-01-31\"", 0);
    expect_one(&src, Severity::Warning, line, "outside the plan period");
    let (src, line) = edited("first = \"2014-12-31\"", "first = \"2014-01-31\"", 0);
    expect_one(&src, Severity::Warning, line, "outside the plan period");
}

#[test]
fn a_backwards_range_is_an_error() {
    let (src, line) = edited(
        "{ kind = \"date\", date = \"2014-12-31\" }",
        "{ kind = \"range\", from = \"2015-06-30\", to = \"2014-05-01\" }",
        0,
    );
    expect_one(
        &src,
        Severity::Error,
        line,
        "ends (2014-05-01) before it starts",
    );
}

#[test]
fn empty_required_text() {
    let (src, line) = edited("text = \"制定规划。\"", "text = \"  \"", 0);
    expect_one(
        &src,
        Severity::Error,
        line,
        "content 1.1.1: the text is empty",
    );
    let (src, line) = edited("name = \"区质监分局\"", "name = \"\"", 0);
    expect_one(&src, Severity::Error, line, "unit ZJFJ: the name is empty");
}

#[test]
fn other_checks() {
    let (src, line) = edited("inherited = []", "inherited = [\"text\"]", 0);
    expect_one(&src, Severity::Error, line, "'text' cannot be inherited");
    let (src, line) = edited("unit = \"%\"", "unit = \"percent\"", 0);
    expect_one(&src, Severity::Error, line, "unit 'percent'");
    let (src, line) = edited("times = 1", "times = 0", 0);
    expect_one(&src, Severity::Error, line, "times >= 1");
    let (src, line) = edited("name = \"区质监分局\"", "name = \"区强区办\"", 0);
    expect_one(&src, Severity::Error, line, "have the same name");
    let (src, line) = edited("lead_units = [\"QQB\"]", "lead_units = []", 0);
    expect_one(&src, Severity::Error, line, "no lead units");
}

#[test]
fn shape_errors_carry_line_and_path() {
    let (src, line) = edited("deadline_text = \"2014年12月31日\"\n", "", 1);
    let Err(found) = Plan::from_toml(&src) else {
        panic!("missing field accepted");
    };
    assert_eq!(found.len(), 1);
    assert!(found[0].message_en.contains("deadline_text"), "{found:#?}");
    assert!(
        found[0].message_zh.contains("缺少字段 deadline_text"),
        "{found:#?}"
    );
    assert_eq!(found[0].path, "categories[0].items[0].contents[1]");
    assert!(found[0].line.is_some_and(|l| l <= line), "{found:#?}");

    let (src, line) = edited("lead_units = [\"QQB\"]", "lead_unit = [\"QQB\"]", 0);
    let Err(found) = Plan::from_toml(&src) else {
        panic!("unknown field accepted");
    };
    assert_eq!(found[0].line, Some(line), "{found:#?}");
    assert!(
        found[0].message_zh.contains("未知字段 lead_unit"),
        "{found:#?}"
    );

    let (src, line) = edited("date = \"2014-12-31\"", "date = \"2014-13-31\"", 0);
    let Err(found) = Plan::from_toml(&src) else {
        panic!("bad date accepted");
    };
    assert_eq!(found[0].line, Some(line), "{found:#?}");

    let (src, line) = edited(
        "{ kind = \"date\", date = \"2014-12-31\" }",
        "{ kind = \"date\", date = \"2014-12-31\", extra = 1 }",
        0,
    );
    let Err(found) = Plan::from_toml(&src) else {
        panic!("unknown deadline key accepted");
    };
    assert_eq!(found[0].line, Some(line), "{found:#?}");

    let (src, line) = edited("kind = \"city\"", "kind = \"town\"", 0);
    let Err(found) = Plan::from_toml(&src) else {
        panic!("bad kind accepted");
    };
    assert_eq!(found[0].line, Some(line), "{found:#?}");

    let (src, line) = edited("title = \"测试计划\"", "title = \"测试计划", 0);
    let Err(found) = Plan::from_toml(&src) else {
        panic!("syntax error accepted");
    };
    assert_eq!(found[0].line, Some(line), "{found:#?}");
    assert!(Plan::from_toml("").is_err());
    assert!(Plan::from_toml("\u{0}[[[").is_err());
}

#[test]
fn an_unknown_register_is_refused_with_its_line() {
    let text = DEFAULT_PLAN_TOML.replacen("  \"enterprises\",\n", "  \"enterprize\",\n", 1);
    let line = text
        .lines()
        .position(|l| l.contains("enterprize"))
        .map(|i| i + 1)
        .unwrap();
    let err = Plan::from_toml(&text).expect_err("an unknown register must be refused");
    let shown = format!("{err:?}");
    assert!(shown.contains("enterprize"), "{shown}");
    assert!(
        shown.contains(&line.to_string()),
        "line {line} not named: {shown}"
    );
}

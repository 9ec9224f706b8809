//! Semantic checks of a plan: references, duplicates, targets, deadlines.
//!
//! Errors make a plan unusable; warnings point at things worth a look
//! (link asymmetry, deadlines outside the plan period).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::deadline::Deadline;
use super::diagnostic::{Diagnostic, SourceMap};
use super::model::{Content, INHERITABLE_FIELDS, Plan, UnitKind};
use crate::target::{self, Lang, Unit};

/// All checks; lines are filled in from `src` when given.
pub(super) fn validate(plan: &Plan, src: Option<&str>) -> Vec<Diagnostic> {
    let mut c = Checker::new(plan);
    c.meta();
    c.units();
    c.phases();
    c.areas_groups_measures();
    c.indicators();
    c.tasks();
    c.categories();
    let mut out = c.out;
    if let Some(src) = src {
        let map = SourceMap::new(src);
        for d in &mut out {
            d.line = map.line(&d.path);
        }
    }
    out
}

struct Checker<'p> {
    plan: &'p Plan,
    out: Vec<Diagnostic>,
    units: HashSet<&'p str>,
    indicators: HashMap<&'p str, &'p [String]>,
    tasks: HashMap<&'p str, &'p [String]>,
    contents: HashMap<&'p str, &'p Content>,
}

impl<'p> Checker<'p> {
    fn new(plan: &'p Plan) -> Self {
        Checker {
            plan,
            out: Vec::new(),
            units: plan.units.iter().map(|u| u.code.as_str()).collect(),
            indicators: plan
                .indicators
                .iter()
                .map(|i| (i.code.as_str(), i.contents.as_slice()))
                .collect(),
            tasks: plan
                .tasks
                .iter()
                .map(|t| (t.code.as_str(), t.contents.as_slice()))
                .collect(),
            contents: plan
                .categories
                .iter()
                .flat_map(|c| &c.items)
                .flat_map(|i| &i.contents)
                .map(|c| (c.code.as_str(), c))
                .collect(),
        }
    }

    fn error(&mut self, path: String, en: String, zh: String) {
        self.out.push(Diagnostic::error(path, en, zh));
    }

    fn warning(&mut self, path: String, en: String, zh: String) {
        self.out.push(Diagnostic::warning(path, en, zh));
    }

    /// Required text: an empty or blank value is an error.
    fn required(&mut self, path: String, what: (&str, &str), value: &str) {
        if value.trim().is_empty() {
            self.error(
                path,
                format!("{} is empty", what.0),
                format!("{}不能为空", what.1),
            );
        }
    }

    /// Duplicate codes among `codes` (with their paths): an error on each repeat.
    fn unique(&mut self, kind: (&str, &str), codes: Vec<(String, &str)>) {
        let mut seen: HashMap<&str, String> = HashMap::new();
        for (path, code) in codes {
            if let Some(first) = seen.get(code) {
                let (en, zh) = (
                    format!("duplicate {} code '{code}' (first used at {first})", kind.0),
                    format!("{}代码“{code}”重复（已用于 {first}）", kind.1),
                );
                self.error(format!("{path}.code"), en, zh);
            } else {
                seen.insert(code, path);
            }
        }
    }

    fn meta(&mut self) {
        let m = &self.plan.plan;
        if self.plan.schema_version != 1 {
            self.error(
                "schema_version".into(),
                format!(
                    "schema_version {} is not supported (expected 1)",
                    self.plan.schema_version
                ),
                format!(
                    "不支持的 schema_version {}（应为 1）",
                    self.plan.schema_version
                ),
            );
        }
        self.required("plan.code".into(), ("the plan code", "计划代码"), &m.code);
        self.required(
            "plan.title".into(),
            ("the plan title", "计划标题"),
            &m.title,
        );
        self.required("plan.issuer".into(), ("the issuer", "发文机关"), &m.issuer);
        if m.start > m.end {
            self.error(
                "plan.end".into(),
                format!("the plan ends ({}) before it starts ({})", m.end, m.start),
                format!("计划结束日期 {} 早于开始日期 {}", m.end, m.start),
            );
        }
        if let Some(owner) = &m.owner {
            let kind = self.plan.unit(owner).map(|u| u.kind);
            if !matches!(kind, Some(UnitKind::City | UnitKind::District)) {
                self.error(
                    "plan.owner".into(),
                    format!("the plan's owner {owner} is not a city or district among its units"),
                    format!("方案所属单位 {owner} 不是方案单位中的市或区县"),
                );
            }
        }
        if m.recurring_until < m.end {
            self.warning(
                "plan.recurring_until".into(),
                format!(
                    "recurring_until ({}) is before the plan end ({}): recurring duties stop early",
                    m.recurring_until, m.end
                ),
                format!(
                    "周期性任务截止日期 recurring_until（{}）早于计划结束日期（{}）",
                    m.recurring_until, m.end
                ),
            );
        }
    }

    fn units(&mut self) {
        let plan = self.plan;
        let codes = plan
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| (format!("units[{i}]"), u.code.as_str()))
            .collect();
        self.unique(("unit", "单位"), codes);
        let mut names: HashMap<&str, &str> = HashMap::new();
        for (i, u) in plan.units.iter().enumerate() {
            let path = format!("units[{i}]");
            self.required(
                format!("{path}.code"),
                ("the unit code", "单位代码"),
                &u.code,
            );
            self.required(
                format!("{path}.name"),
                (
                    &format!("unit {}: the name", u.code),
                    &format!("单位 {} 的名称", u.code),
                ),
                &u.name,
            );
            if !u.code.is_empty() && !u.code.chars().all(|c| c.is_ascii_uppercase()) {
                self.warning(
                    format!("{path}.code"),
                    format!(
                        "unit code '{}' is not uppercase ASCII letters (A–Z)",
                        u.code
                    ),
                    format!("单位代码“{}”应只含大写英文字母（A–Z）", u.code),
                );
            }
            if let Some(other) = names.insert(u.name.trim(), &u.code) {
                self.error(
                    format!("{path}.name"),
                    format!(
                        "units {other} and {} have the same name '{}'; names must be unique so the workbook can map them back to codes",
                        u.code, u.name
                    ),
                    format!(
                        "单位 {other} 与 {} 名称相同（“{}”）；单位名称必须唯一，Excel 表才能据名称找回代码",
                        u.code, u.name
                    ),
                );
            }
            self.unit_parent(&path, i);
        }
    }

    fn unit_parent(&mut self, path: &str, index: usize) {
        let u = &self.plan.units[index];
        match &u.parent {
            None if u.kind != UnitKind::City => self.warning(
                format!("{path}.parent"),
                format!(
                    "unit {} has no parent; only the root (kind city) should have none",
                    u.code
                ),
                format!("单位 {} 没有上级单位；只有根单位（市）可以没有上级", u.code),
            ),
            Some(p) if !self.units.contains(p.as_str()) => self.error(
                format!("{path}.parent"),
                format!("unit {}: the parent '{p}' is not a known unit code", u.code),
                format!("单位 {} 的上级“{p}”不是已定义的单位代码", u.code),
            ),
            Some(_) if self.parent_cycle(index) => self.error(
                format!("{path}.parent"),
                format!(
                    "unit {} is its own ancestor (the parent chain loops)",
                    u.code
                ),
                format!("单位 {} 的上级链形成循环", u.code),
            ),
            _ => {}
        }
    }

    fn parent_cycle(&self, index: usize) -> bool {
        let units = &self.plan.units;
        let start = units[index].code.as_str();
        let mut current = units[index].parent.as_deref();
        for _ in 0..units.len() {
            let Some(code) = current else { return false };
            if code == start {
                return true;
            }
            current = units
                .iter()
                .find(|u| u.code == code)
                .and_then(|u| u.parent.as_deref());
        }
        current.is_some()
    }

    fn phases(&mut self) {
        let plan = self.plan;
        let codes = plan
            .phases
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("phases[{i}]"), p.code.as_str()))
            .collect();
        self.unique(("phase", "阶段"), codes);
        for (i, p) in plan.phases.iter().enumerate() {
            let path = format!("phases[{i}]");
            self.required(
                format!("{path}.code"),
                ("the phase code", "阶段代码"),
                &p.code,
            );
            self.required(
                format!("{path}.name"),
                (
                    &format!("phase {}: the name", p.code),
                    &format!("阶段 {} 的名称", p.code),
                ),
                &p.name,
            );
            if p.start > p.end {
                self.error(
                    format!("{path}.end"),
                    format!(
                        "phase {} ends ({}) before it starts ({})",
                        p.code, p.end, p.start
                    ),
                    format!(
                        "阶段 {} 的结束日期 {} 早于开始日期 {}",
                        p.code, p.end, p.start
                    ),
                );
            }
        }
    }

    fn areas_groups_measures(&mut self) {
        let plan = self.plan;
        let areas = plan
            .indicator_areas
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("indicator_areas[{i}]"), a.code.as_str()))
            .collect();
        self.unique(("indicator area", "指标领域"), areas);
        for (i, a) in plan.indicator_areas.iter().enumerate() {
            let path = format!("indicator_areas[{i}]");
            self.required(
                format!("{path}.code"),
                ("the area code", "领域代码"),
                &a.code,
            );
            self.required(
                format!("{path}.name"),
                ("the area name", "领域名称"),
                &a.name,
            );
        }
        let groups = plan
            .task_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (format!("task_groups[{i}]"), g.code.as_str()))
            .collect();
        self.unique(("task group", "任务组"), groups);
        for (i, g) in plan.task_groups.iter().enumerate() {
            let path = format!("task_groups[{i}]");
            self.required(
                format!("{path}.code"),
                ("the task group code", "任务组代码"),
                &g.code,
            );
            self.required(
                format!("{path}.title"),
                ("the task group title", "任务组标题"),
                &g.title,
            );
        }
        let measures = plan
            .measures
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("measures[{i}]"), m.code.as_str()))
            .collect();
        self.unique(("measure", "保障措施"), measures);
        for (i, m) in plan.measures.iter().enumerate() {
            let path = format!("measures[{i}]");
            self.required(
                format!("{path}.code"),
                ("the measure code", "保障措施代码"),
                &m.code,
            );
            self.required(
                format!("{path}.title"),
                ("the measure title", "保障措施标题"),
                &m.title,
            );
            self.required(
                format!("{path}.text"),
                ("the measure text", "保障措施内容"),
                &m.text,
            );
        }
    }

    fn indicators(&mut self) {
        let plan = self.plan;
        let codes = plan
            .indicators
            .iter()
            .enumerate()
            .map(|(i, x)| (format!("indicators[{i}]"), x.code.as_str()))
            .collect();
        self.unique(("indicator", "指标"), codes);
        let areas: HashSet<&str> = plan
            .indicator_areas
            .iter()
            .map(|a| a.code.as_str())
            .collect();
        for (i, ind) in plan.indicators.iter().enumerate() {
            let path = format!("indicators[{i}]");
            let who = (
                format!("indicator {}", ind.code),
                format!("指标 {}", ind.code),
            );
            self.required(
                format!("{path}.code"),
                ("the indicator code", "指标代码"),
                &ind.code,
            );
            self.required(
                format!("{path}.text"),
                (
                    &format!("{}: the text", who.0),
                    &format!("{}的指标要求", who.1),
                ),
                &ind.text,
            );
            self.required(
                format!("{path}.name"),
                (&format!("{}: the name", who.0), &format!("{}的名称", who.1)),
                &ind.name,
            );
            if !areas.contains(ind.area.as_str()) {
                self.error(
                    format!("{path}.area"),
                    format!(
                        "{}: the area '{}' is not a known indicator area",
                        who.0, ind.area
                    ),
                    format!("{}的领域“{}”不是已定义的指标领域", who.1, ind.area),
                );
            }
            self.target(&format!("{path}.target"), &who, &ind.target);
            if !ind.unit.is_empty() && !Unit::ALL.iter().any(|u| u.as_str() == ind.unit) {
                let known: Vec<&str> = Unit::ALL.iter().map(|u| u.as_str()).collect();
                self.error(
                    format!("{path}.unit"),
                    format!(
                        "{}: unit '{}' is not one of the target-language units ({}) or \"\"",
                        who.0,
                        ind.unit,
                        known.join(", ")
                    ),
                    format!(
                        "{}的计量单位“{}”无效，应为 {} 之一或留空",
                        who.1,
                        ind.unit,
                        known.join("、")
                    ),
                );
            }
            for (k, content) in ind.contents.iter().enumerate() {
                let at = format!("{path}.contents[{k}]");
                match self.contents.get(content.as_str()) {
                    None => self.dangling(at, &who, ("content", "目标内容"), content),
                    Some(c) if !c.indicators.contains(&ind.code) => self.asymmetric(
                        at,
                        (&who.0, &who.1),
                        (
                            &format!("content {content}"),
                            &format!("目标内容 {content}"),
                        ),
                        "indicators",
                    ),
                    Some(_) => {}
                }
            }
            for (k, task) in ind.tasks.iter().enumerate() {
                if !self.tasks.contains_key(task.as_str()) {
                    self.dangling(
                        format!("{path}.tasks[{k}]"),
                        &who,
                        ("task", "主要任务"),
                        task,
                    );
                }
            }
        }
    }

    fn tasks(&mut self) {
        let plan = self.plan;
        let codes = plan
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("tasks[{i}]"), t.code.as_str()))
            .collect();
        self.unique(("task", "主要任务"), codes);
        let groups: HashSet<&str> = plan.task_groups.iter().map(|g| g.code.as_str()).collect();
        for (i, task) in plan.tasks.iter().enumerate() {
            let path = format!("tasks[{i}]");
            let who = (
                format!("task {}", task.code),
                format!("主要任务 {}", task.code),
            );
            self.required(
                format!("{path}.code"),
                ("the task code", "主要任务代码"),
                &task.code,
            );
            self.required(
                format!("{path}.title"),
                (
                    &format!("{}: the title", who.0),
                    &format!("{}的标题", who.1),
                ),
                &task.title,
            );
            self.required(
                format!("{path}.text"),
                (&format!("{}: the text", who.0), &format!("{}的内容", who.1)),
                &task.text,
            );
            if !groups.contains(task.group.as_str()) {
                self.error(
                    format!("{path}.group"),
                    format!(
                        "{}: the group '{}' is not a known task group",
                        who.0, task.group
                    ),
                    format!("{}的任务组“{}”不是已定义的任务组", who.1, task.group),
                );
            }
            for (k, content) in task.contents.iter().enumerate() {
                let at = format!("{path}.contents[{k}]");
                match self.contents.get(content.as_str()) {
                    None => self.dangling(at, &who, ("content", "目标内容"), content),
                    Some(c) if !c.tasks.contains(&task.code) => self.asymmetric(
                        at,
                        (&who.0, &who.1),
                        (
                            &format!("content {content}"),
                            &format!("目标内容 {content}"),
                        ),
                        "tasks",
                    ),
                    Some(_) => {}
                }
            }
        }
    }

    fn categories(&mut self) {
        let plan = self.plan;
        let mut categories = Vec::new();
        let mut items = Vec::new();
        let mut contents = Vec::new();
        for (ci, cat) in plan.categories.iter().enumerate() {
            categories.push((format!("categories[{ci}]"), cat.code.as_str()));
            for (ii, item) in cat.items.iter().enumerate() {
                items.push((format!("categories[{ci}].items[{ii}]"), item.code.as_str()));
                for (ki, content) in item.contents.iter().enumerate() {
                    let path = format!("categories[{ci}].items[{ii}].contents[{ki}]");
                    contents.push((path, content.code.as_str()));
                }
            }
        }
        self.unique(("category", "目标类别"), categories);
        self.unique(("item", "目标项目"), items);
        self.unique(("content", "目标内容"), contents);

        for (ci, cat) in plan.categories.iter().enumerate() {
            let path = format!("categories[{ci}]");
            self.required(
                format!("{path}.code"),
                ("the category code", "目标类别代码"),
                &cat.code,
            );
            self.required(
                format!("{path}.title"),
                (
                    &format!("category {}: the title", cat.code),
                    &format!("目标类别 {} 的名称", cat.code),
                ),
                &cat.title,
            );
            for (ii, item) in cat.items.iter().enumerate() {
                let path = format!("{path}.items[{ii}]");
                self.prefix(&path, ("item", "目标项目"), &item.code, &cat.code);
                self.required(
                    format!("{path}.title"),
                    (
                        &format!("item {}: the title", item.code),
                        &format!("目标项目 {} 的名称", item.code),
                    ),
                    &item.title,
                );
                for (ki, content) in item.contents.iter().enumerate() {
                    let path = format!("{path}.contents[{ki}]");
                    self.prefix(&path, ("content", "目标内容"), &content.code, &item.code);
                    self.content(&path, content);
                }
            }
        }
    }

    /// A child's code must start with its parent's code and a dot.
    fn prefix(&mut self, path: &str, kind: (&str, &str), code: &str, parent: &str) {
        let ok = code
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| !rest.is_empty());
        if !ok {
            self.error(
                format!("{path}.code"),
                format!("{} code '{code}' does not start with '{parent}.' (the code of the row it belongs to)", kind.0),
                format!("{}代码“{code}”应以所属上级代码“{parent}.”开头", kind.1),
            );
        }
    }

    fn content(&mut self, path: &str, c: &Content) {
        let who = (
            format!("content {}", c.code),
            format!("目标内容 {}", c.code),
        );
        self.required(
            format!("{path}.code"),
            ("the content code", "目标内容代码"),
            &c.code,
        );
        self.required(
            format!("{path}.text"),
            (&format!("{}: the text", who.0), &format!("{}的内容", who.1)),
            &c.text,
        );
        self.required(
            format!("{path}.deadline_text"),
            (
                &format!("{}: the deadline text (完成时限)", who.0),
                &format!("{}的完成时限", who.1),
            ),
            &c.deadline_text,
        );
        self.deadline(&format!("{path}.deadline"), &who, &c.deadline);
        // In a city's own plan the city office leads every content and the districts
        // undertake it: the lead units may be left empty.
        let city_plan = self.plan.plan.owner.is_some()
            && self.plan.owner().is_some_and(|u| u.kind == UnitKind::City);
        if !(city_plan && c.lead_units.is_empty()) {
            self.unit_list(
                path,
                &who,
                "lead_units",
                ("lead units", "牵头单位"),
                &c.lead_units,
            );
        }
        self.unit_list(
            path,
            &who,
            "undertaking_units",
            ("undertaking units", "承办单位"),
            &c.undertaking_units,
        );
        for (k, field) in c.inherited.iter().enumerate() {
            if !INHERITABLE_FIELDS.contains(&field.as_str()) {
                self.error(
                    format!("{path}.inherited[{k}]"),
                    format!(
                        "{}: '{field}' cannot be inherited (allowed: {})",
                        who.0,
                        INHERITABLE_FIELDS.join(", ")
                    ),
                    format!(
                        "{}的 inherited 中“{field}”无效（只能是 {}）",
                        who.1,
                        INHERITABLE_FIELDS.join("、")
                    ),
                );
            }
        }
        if let Some(t) = &c.target {
            self.target(&format!("{path}.target"), &who, t);
        }
        for (k, ind) in c.indicators.iter().enumerate() {
            let at = format!("{path}.indicators[{k}]");
            match self.indicators.get(ind.as_str()) {
                None => self.dangling(at, &who, ("indicator", "指标"), ind),
                Some(back) if !back.contains(&c.code) => self.asymmetric(
                    at,
                    (&who.0, &who.1),
                    (&format!("indicator {ind}"), &format!("指标 {ind}")),
                    "contents",
                ),
                Some(_) => {}
            }
        }
        for (k, task) in c.tasks.iter().enumerate() {
            let at = format!("{path}.tasks[{k}]");
            match self.tasks.get(task.as_str()) {
                None => self.dangling(at, &who, ("task", "主要任务"), task),
                Some(back) if !back.contains(&c.code) => self.asymmetric(
                    at,
                    (&who.0, &who.1),
                    (&format!("task {task}"), &format!("主要任务 {task}")),
                    "contents",
                ),
                Some(_) => {}
            }
        }
    }

    fn unit_list(
        &mut self,
        path: &str,
        who: &(String, String),
        field: &str,
        label: (&str, &str),
        codes: &[String],
    ) {
        if codes.is_empty() {
            self.error(
                format!("{path}.{field}"),
                format!("{}: no {} given", who.0, label.0),
                format!("{}没有{}", who.1, label.1),
            );
        }
        let mut seen = HashSet::new();
        for (k, code) in codes.iter().enumerate() {
            let at = format!("{path}.{field}[{k}]");
            if !self.units.contains(code.as_str()) {
                self.error(
                    at,
                    format!("{}: {} '{code}' is not a known unit code", who.0, label.0),
                    format!("{}的{}“{code}”不是已定义的单位代码", who.1, label.1),
                );
            } else if !seen.insert(code.as_str()) {
                self.warning(
                    at,
                    format!("{}: {} lists '{code}' twice", who.0, label.0),
                    format!("{}的{}重复列出“{code}”", who.1, label.1),
                );
            }
        }
    }

    fn target(&mut self, path: &str, who: &(String, String), text: &str) {
        if let Err(e) = target::parse(text) {
            let at = text.get(..e.offset).map_or(0, |s| s.chars().count()) + 1;
            self.error(
                path.to_string(),
                format!(
                    "{}: the target '{text}' cannot be read at character {at}: {}",
                    who.0,
                    e.message(Lang::En)
                ),
                format!(
                    "{}的目标表达式“{text}”无法解析（第 {at} 个字符）：{}",
                    who.1,
                    e.message(Lang::ZhCn)
                ),
            );
        }
    }

    fn deadline(&mut self, path: &str, who: &(String, String), d: &Deadline) {
        match d {
            Deadline::Range { from, to } if from > to => self.error(
                path.to_string(),
                format!(
                    "{}: the deadline range ends ({to}) before it starts ({from})",
                    who.0
                ),
                format!("{}的完成时限区间结束日期 {to} 早于开始日期 {from}", who.1),
            ),
            Deadline::Recurring { times: 0, .. } => self.error(
                path.to_string(),
                format!("{}: a recurring deadline needs times >= 1", who.0),
                format!("{}的周期性完成时限次数 times 至少为 1", who.1),
            ),
            Deadline::Recurring { month: Some(m), .. } if !(1..=12).contains(m) => self.error(
                path.to_string(),
                format!("{}: month {m} is not between 1 and 12", who.0),
                format!("{}的月份 {m} 应在 1 到 12 之间", who.1),
            ),
            Deadline::Recurring {
                month: Some(m),
                first,
                ..
            } if *m != first.month() => self.warning(
                path.to_string(),
                format!(
                    "{}: month {m} differs from the first due date {first}",
                    who.0
                ),
                format!("{}的月份 {m} 与首个到期日 {first} 不一致", who.1),
            ),
            _ => {}
        }
        let (start, until) = (self.plan.plan.start, self.plan.plan.recurring_until);
        let outside: Vec<NaiveDate> = d
            .dates()
            .into_iter()
            .filter(|date| *date < start || *date > until)
            .collect();
        for date in outside {
            self.warning(
                path.to_string(),
                format!(
                    "{}: the deadline date {date} lies outside the plan period {start} .. {until}",
                    who.0
                ),
                format!(
                    "{}的完成时限 {date} 不在计划期 {start} 至 {until} 之内",
                    who.1
                ),
            );
        }
    }

    fn dangling(&mut self, path: String, who: &(String, String), kind: (&str, &str), code: &str) {
        self.error(
            path,
            format!(
                "{}: links to {} '{code}', which does not exist",
                who.0, kind.0
            ),
            format!("{}关联的{}“{code}”不存在", who.1, kind.1),
        );
    }

    /// A link whose other end does not link back.
    fn asymmetric(&mut self, path: String, from: (&str, &str), to: (&str, &str), field: &str) {
        self.warning(
            path,
            format!(
                "{} links to {}, but {} does not list it in {field}",
                from.0, to.0, to.0
            ),
            format!(
                "{}关联了{}，但{}的 {field} 中没有反向关联",
                from.1, to.1, to.1
            ),
        );
    }
}

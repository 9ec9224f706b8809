//! The plan as the office reads it: task decomposition (categories → items → contents),
//! indicator tables with targets in words, main tasks, phases on a timeline, versions.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::{Module, NavEntry, Routes, signed_in};
use crate::view::{PageCtx, render};
use crate::view::{escape, require_plan, target_lang};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use qcity_domain::plan::{Content, Plan, notes_in};
use qcity_domain::target::{self, Lang as TargetLang};
use serde::Deserialize;
use std::sync::Arc;

pub fn routes(r: Routes) -> Routes {
    r.get("/plan", overview)
        .get("/plan/indicators", indicators)
        .get("/plan/tasks", tasks)
        .get("/plan/timeline.svg", timeline_svg)
}

/// Unit codes shown as names ("区强区办、各成员单位").
pub fn unit_names(plan: &Plan, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| {
            plan.unit(c)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| c.clone())
        })
        .collect::<Vec<_>>()
        .join("、")
}

#[derive(Clone)]
pub struct ContentRow {
    pub category: String,
    pub item: String,
    pub code: String,
    pub text: String,
    pub deadline: String,
    pub lead: String,
    pub undertaking: String,
    pub notes: Vec<String>,
    pub inherited: bool,
    pub target: String,
}

pub fn content_row(
    plan: &Plan,
    cat: &str,
    item: &str,
    c: &Content,
    lang: TargetLang,
) -> ContentRow {
    ContentRow {
        category: cat.to_string(),
        item: item.to_string(),
        code: c.code.clone(),
        text: c.text.clone(),
        deadline: c.deadline_text.clone(),
        lead: unit_names(plan, &c.lead_units),
        undertaking: unit_names(plan, &c.undertaking_units),
        notes: notes_in(&c.notes, lang),
        inherited: !c.inherited.is_empty(),
        target: c
            .target
            .as_deref()
            .and_then(|t| target::parse(t).ok())
            .map(|t| target::explain(&t, lang))
            .unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
struct PlanQuery {
    #[serde(default)]
    cat: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    q: String,
    /// "1": the office shows the transcription notes.
    #[serde(default)]
    notes: String,
}

struct CategoryView {
    code: String,
    title: String,
    notes: Vec<String>,
    items: Vec<ItemView>,
}

struct ItemView {
    code: String,
    title: String,
    notes: Vec<String>,
    rows: Vec<ContentRow>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct OverviewPage {
    ctx: PageCtx,
    version: i64,
    plan: Arc<Plan>,
    categories: Vec<CategoryView>,
    units: Vec<(String, String)>,
    q: PlanQuery,
    shown: usize,
    total: usize,
    timeline_svg: String,
    /// The plan's own notes in the page's language.
    plan_notes: Vec<String>,
}

async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PlanQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (version, plan) = require_plan(&state, &ctx).await?;
    let page = ctx.page().with_notes(&q.notes);
    let lang = target_lang(&page);
    let needle = q.q.trim().to_string();
    let mut shown = 0;
    let mut total = 0;
    let mut categories = Vec::new();
    for cat in &plan.categories {
        if !q.cat.is_empty() && cat.code != q.cat {
            total += cat.items.iter().map(|i| i.contents.len()).sum::<usize>();
            continue;
        }
        let mut items = Vec::new();
        for item in &cat.items {
            let mut rows = Vec::new();
            for c in &item.contents {
                total += 1;
                let unit_ok = q.unit.is_empty()
                    || plan
                        .contents_led_by(&q.unit)
                        .iter()
                        .any(|x| x.code == c.code)
                    || plan
                        .contents_supported_by(&q.unit)
                        .iter()
                        .any(|x| x.code == c.code);
                let text_ok =
                    needle.is_empty() || c.text.contains(&needle) || c.code.starts_with(&needle);
                if unit_ok && text_ok {
                    rows.push(content_row(&plan, &cat.title, &item.title, c, lang));
                }
            }
            shown += rows.len();
            if !rows.is_empty() {
                items.push(ItemView {
                    code: item.code.clone(),
                    title: item.title.clone(),
                    notes: notes_in(&item.notes, lang),
                    rows,
                });
            }
        }
        if !items.is_empty() {
            categories.push(CategoryView {
                code: cat.code.clone(),
                title: cat.title.clone(),
                notes: notes_in(&cat.notes, lang),
                items,
            });
        }
    }
    let units = plan
        .units
        .iter()
        .filter(|u| matches!(u.kind.as_str(), "member" | "office" | "external"))
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let timeline_svg = timeline(&plan, &ctx.today, &ctx.t("plan-timeline-legend"));
    let plan_notes = notes_in(&plan.plan.notes, lang);
    Ok(render(&OverviewPage {
        ctx: page,
        version,
        plan,
        categories,
        units,
        q,
        shown,
        total,
        timeline_svg,
        plan_notes,
    }))
}

struct IndicatorRow {
    code: String,
    text: String,
    target: String,
    explained: String,
    contents: Vec<String>,
    notes: Vec<String>,
}

struct AreaView {
    name: String,
    goal: String,
    rows: Vec<IndicatorRow>,
}

#[derive(Template)]
#[template(path = "plan_indicators.html")]
struct IndicatorsPage {
    ctx: PageCtx,
    areas: Vec<AreaView>,
}

#[derive(Deserialize, Default)]
struct NotesQuery {
    #[serde(default)]
    notes: String,
}

async fn indicators(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NotesQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let page = ctx.page().with_notes(&q.notes);
    let lang = target_lang(&page);
    let areas = plan
        .indicator_areas
        .iter()
        .map(|a| AreaView {
            name: a.name.clone(),
            goal: a.goal.clone(),
            rows: plan
                .indicators
                .iter()
                .filter(|i| i.area == a.code)
                .map(|i| {
                    let parsed = i.target.parsed();
                    IndicatorRow {
                        code: i.code.clone(),
                        text: i.text.clone(),
                        target: parsed
                            .as_ref()
                            .map(|t| t.to_string())
                            .unwrap_or_else(|_| i.target.to_string()),
                        explained: parsed.map(|t| target::explain(t, lang)).unwrap_or_default(),
                        contents: i.contents.clone(),
                        notes: notes_in(&i.notes, lang),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(render(&IndicatorsPage { ctx: page, areas }))
}

struct GroupView {
    title: String,
    tasks: Vec<TaskRow>,
}

struct TaskRow {
    code: String,
    seq: u32,
    title: String,
    text: String,
    /// The contents that carry the task.
    contents: Vec<String>,
    /// The transcription notes in the page's language.
    notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "plan_tasks.html")]
struct TasksPage {
    ctx: PageCtx,
    groups: Vec<GroupView>,
    measures: Vec<(String, String)>,
}

async fn tasks(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NotesQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let page = ctx.page().with_notes(&q.notes);
    let lang = target_lang(&page);
    let groups = plan
        .task_groups
        .iter()
        .map(|g| GroupView {
            title: g.title.clone(),
            tasks: plan
                .tasks
                .iter()
                .filter(|t| t.group == g.code)
                .map(|t| TaskRow {
                    code: t.code.clone(),
                    seq: t.seq,
                    title: t.title.clone(),
                    text: t.text.clone(),
                    contents: t.contents.clone(),
                    notes: notes_in(&t.notes, lang),
                })
                .collect(),
        })
        .collect();
    let measures = plan
        .measures
        .iter()
        .map(|m| (m.title.clone(), m.text.clone()))
        .collect();
    Ok(render(&TasksPage {
        ctx: page,
        groups,
        measures,
    }))
}

/// The four phases as bars on a month axis, with each content deadline as a tick.
async fn timeline_svg(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let svg = timeline(&plan, &ctx.today, &ctx.t("plan-timeline-legend"));
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "image/svg+xml; charset=utf-8",
        )],
        svg,
    )
        .into_response())
}

use axum::response::IntoResponse;

/// Months since year 0, for placing dates on the axis.
fn month_index(d: chrono::NaiveDate) -> f64 {
    use chrono::Datelike;
    f64::from(d.year()) * 12.0 + f64::from(d.month0()) + f64::from(d.day0()) / 31.0
}

pub fn timeline(plan: &Plan, today: &chrono::NaiveDate, legend: &str) -> String {
    use chrono::Datelike;
    let start = plan.plan.start;
    let end = plan.plan.end;
    let (m0, m1) = (month_index(start), month_index(end) + 1.0);
    let width = 900.0;
    let left = 10.0;
    let x = |d: chrono::NaiveDate| left + (month_index(d) - m0) / (m1 - m0) * (width - 2.0 * left);
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 170" role="img" aria-label="{}" font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" font-size="12">"##,
        escape(&plan.plan.title)
    );
    let colours = ["#0969da", "#1a7f37", "#9a6700", "#b4232a"];
    for (i, p) in plan.phases.iter().enumerate() {
        let (x0, x1) = (x(p.start), x(p.end + chrono::Duration::days(1)));
        out.push_str(&format!(
            r##"<rect x="{x0:.1}" y="20" width="{:.1}" height="34" fill="{}" rx="3"><title>{} {} – {}</title></rect><text x="{:.1}" y="42" fill="#fff" text-anchor="middle">{}</text>"##,
            (x1 - x0).max(1.0),
            colours[i % colours.len()],
            escape(&p.name),
            p.start,
            p.end,
            (x0 + x1) / 2.0,
            escape(&p.name)
        ));
    }
    // Deadline ticks: how many contents fall due at each date within the campaign.
    let mut due: std::collections::BTreeMap<chrono::NaiveDate, usize> = Default::default();
    for (_, _, c) in plan.contents() {
        let d = c.deadline.first_due();
        if d >= start && d <= end {
            *due.entry(d).or_default() += 1;
        }
    }
    for (d, n) in &due {
        let xd = x(*d);
        out.push_str(&format!(
            r##"<line x1="{xd:.1}" x2="{xd:.1}" y1="60" y2="{:.1}" stroke="#57606a" stroke-width="2"><title>{d}: {n}</title></line>"##,
            62.0 + (*n as f64).min(40.0)
        ));
    }
    // Month labels.
    let mut d = start.with_day(1).unwrap_or(start);
    while d <= end {
        let x0 = x(d);
        out.push_str(&format!(
            r##"<line x1="{x0:.1}" x2="{x0:.1}" y1="124" y2="130" stroke="#8c959f"/><text x="{x0:.1}" y="142" fill="#57606a">{}</text>"##,
            d.format("%Y-%m")
        ));
        d = d
            .checked_add_months(chrono::Months::new(3))
            .unwrap_or(end + chrono::Duration::days(1));
    }
    if *today >= start && *today <= end {
        let xt = x(*today);
        out.push_str(&format!(
            r##"<line x1="{xt:.1}" x2="{xt:.1}" y1="10" y2="125" stroke="#cf222e" stroke-width="2" stroke-dasharray="4 3"><title>{today}</title></line>"##
        ));
    }
    out.push_str(&format!(
        r##"<text x="{left}" y="164" fill="#57606a" font-size="11">{}</text>"##,
        escape(legend)
    ));
    out.push_str("</svg>");
    out
}

/// The plan as data: its pages, versions, import and export.
pub static MODULE: Module = Module {
    slug: "plan",
    schema: &qcity_store::plan::SCHEMA,
    // The plan's pages show the caller's district's plan. Its versions and imports (and the
    // plan API) stay with the home district until an import checks that the file's district
    // is the caller's own.
    routes: |r| {
        let r = routes(r.per_district(true));
        let r = super::plan_versions::routes(r.per_district(true));
        crate::api::plan_routes(r)
    },
    openapi: <crate::api::PlanDoc as utoipa::OpenApi>::openapi,
    nav: &[NavEntry {
        label: "nav-plan",
        path: "/plan",
        order: 20,
        shown_to: signed_in,
    }],
};

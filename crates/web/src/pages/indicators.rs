//! 指标: the dashboard of the plan's indicators by area with status colours and sparklines,
//! a page per indicator (chart against the target, history, entry, approval), bulk import.

use crate::AppState;
use crate::charts::{Series, line_chart, sparkline, status_colour};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Module, NavEntry, Routes, office_and_leaders, signed_in};
use crate::view::{PageCtx, render, unprocessable};
use crate::view::{require_plan, target_lang};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use qcity_domain::plan::{Indicator, Plan};
use qcity_domain::role::Role;
use qcity_domain::supervision::{Entrant, may_enter_value};
use qcity_domain::target::{self, StatusCounts, Target};
use qcity_store::StoreError;
use qcity_store::indicators::{self, EntryRules, NewValue, Standing, ValueRecord};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Every route keeps its records per district: values, approvals, imports, benchmarks and
/// disclosure are the caller's district's (`Actor::owner_sql` in the store).
pub fn routes(r: Routes) -> Routes {
    r.per_district(true)
        .get("/indicators", dashboard)
        .get("/indicators/template.xlsx", template)
        .get("/indicators/benchmarks", benchmarks)
        .post("/indicators/benchmarks", add_benchmark)
        .upload("/indicators/import", BodyLimit::Import, import)
        .get("/indicators/{code}", show)
        .post("/indicators/{code}/values", add_value)
        .post("/indicators/{code}/disclosure", disclosure)
        .post("/indicator-values/{id}/decide", decide)
        .upload(
            "/indicator-values/{id}/files",
            BodyLimit::Evidence,
            add_files,
        )
        .get("/indicator-values/{id}/files/{sha}", download)
        .get("/public", public_portal)
}

/// A dashboard row.
#[derive(Clone)]
pub struct Card {
    pub code: String,
    pub name: String,
    pub target: String,
    pub status: String,
    pub status_label: String,
    pub colour: &'static str,
    pub explanation: String,
    pub spark: String,
    pub latest: String,
    pub public: bool,
}

/// A measure as users read it: its display name from the plan, never its stored label.
fn display_name(measures: &[indicators::Measure], label: &str) -> String {
    measures
        .iter()
        .find(|m| m.label == label)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| label.to_string())
}

/// The measure a sparkline shows: the single one, or the first with numbers.
fn main_series(obs: Option<&qcity_domain::target::Observations>) -> Vec<(i32, f64)> {
    obs.and_then(|o| o.values.values().find(|s| !s.is_empty()))
        .map(|s| s.iter().map(|(y, v)| (*y, *v)).collect())
        .unwrap_or_default()
}

fn card(
    ctx: &Ctx,
    ind: &Indicator,
    st: &Standing,
    obs: Option<&qcity_domain::target::Observations>,
    public: bool,
) -> Card {
    let lang = target_lang(&ctx.page());
    let key = st.evaluation.status.key();
    let series = main_series(obs);
    Card {
        code: ind.code.clone(),
        name: ind.name.clone(),
        target: ind
            .target
            .parsed()
            .map(|t| target::explain(t, lang))
            .unwrap_or_else(|_| ind.target.to_string()),
        status: key.to_string(),
        status_label: crate::view::status_label(ctx.lang, key),
        colour: status_colour(key),
        explanation: st.evaluation.explanation(lang).to_string(),
        spark: sparkline(&series, key),
        latest: series
            .last()
            .map(|(y, v)| {
                format!(
                    "{y}: {}",
                    target::with_unit(&crate::charts::trim_number(*v), &ind.unit, lang)
                )
            })
            .unwrap_or_default(),
        public,
    }
}

#[derive(Template, Clone)]
#[template(path = "indicators.html")]
struct DashboardPage {
    ctx: PageCtx,
    areas: Vec<(String, Vec<Card>)>,
    counts: Vec<(String, String, usize)>,
    pending: usize,
    completeness: Vec<(String, usize, usize)>,
    /// The caller may compare the districts' indicators (`/indicators/districts`).
    compares: bool,
}

async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    state
        .views
        .page(
            &state,
            &ctx,
            "indicators",
            false,
            |p: &mut DashboardPage| &mut p.ctx,
            |state, ctx| async move { dashboard_figures(&state, &ctx).await },
        )
        .await
}

/// The indicator dashboard's figures (kept at the data's watermark by the caller).
async fn dashboard_figures(state: &AppState, ctx: &Ctx) -> Result<DashboardPage, AppError> {
    let (_, plan) = require_plan(state, ctx).await?;
    let actor = ctx.actor();
    let obs = indicators::observations_of(&state.store, &actor, &plan, ctx.today).await?;
    let standings = indicators::evaluate(&plan, &obs, ctx.today);
    let public = indicators::disclosed_of(&state.store, &actor).await?;
    let mut areas = Vec::new();
    for area in &plan.indicator_areas {
        let cards: Vec<Card> = plan
            .indicators
            .iter()
            .filter(|i| i.area == area.code)
            .filter_map(|i| {
                standings
                    .iter()
                    .find(|s| s.code == i.code)
                    .map(|s| card(ctx, i, s, obs.get(&i.code), public.contains(&i.code)))
            })
            .collect();
        areas.push((area.name.clone(), cards));
    }
    // The attachment's measurable contents that no indicator carries, evaluated alike.
    let contents = indicators::content_targets(&plan);
    let content_cards: Vec<Card> = contents
        .iter()
        .map(|i| {
            let s = indicators::standing(i, &obs, ctx.today);
            card(ctx, i, &s, obs.get(&i.code), public.contains(&i.code))
        })
        .collect();
    if !content_cards.is_empty() {
        areas.push((ctx.t("ind-content-targets"), content_cards));
    }
    let counts = StatusCounts::of(standings.iter().map(|s| s.evaluation.status))
        .rows()
        .iter()
        .map(|(s, n)| {
            (
                s.key().to_string(),
                crate::view::status_label(ctx.lang, s.key()),
                *n,
            )
        })
        .collect();
    let (pending, completeness) = if ctx.page().is_office() {
        let years: Vec<i64> =
            (2013..=i64::from(chrono::Datelike::year(&ctx.today)).min(2016)).collect();
        let names = |code: &str| {
            plan.unit(code)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| code.to_string())
        };
        let c = indicators::completeness(&state.store, &actor, &plan, &years)
            .await?
            .into_iter()
            .map(|(u, e, g)| (names(&u), e, g))
            .collect();
        (
            indicators::pending(&state.store, &ctx.actor()).await?.len(),
            c,
        )
    } else {
        (0, vec![])
    };
    let compares = office_and_leaders(Some(ctx.user()?.role))
        && qcity_store::units::readable_districts(&state.store, &actor)
            .await
            .is_ok();
    Ok(DashboardPage {
        ctx: ctx.page(),
        areas,
        counts,
        pending,
        completeness,
        compares,
    })
}

/// Target lines to draw for a measure over `years`.
pub(crate) fn target_points(
    t: &Target,
    years: &[i32],
    obs: &qcity_domain::target::Observations,
    label: &str,
) -> Vec<(i32, f64)> {
    match t {
        Target::Compare { value, .. } => years.iter().map(|y| (*y, *value)).collect(),
        Target::Eliminate => years.iter().map(|y| (*y, 0.0)).collect(),
        Target::Path { anchors, .. } => {
            let (first, last) = (
                anchors.first().map(|a| a.year).unwrap_or(0),
                anchors.last().map(|a| a.year).unwrap_or(0),
            );
            (first..=last)
                .filter_map(|y| target::path_target(anchors, y).map(|v| (y, v)))
                .collect()
        }
        Target::Reduce {
            percent,
            baseline_year,
        } => {
            let base = obs
                .values
                .get(label)
                .and_then(|s| s.get(baseline_year))
                .copied();
            match base {
                Some(b) => years
                    .iter()
                    .map(|y| (*y, b * (1.0 - percent / 100.0)))
                    .collect(),
                None => vec![],
            }
        }
        Target::Benchmark { name, .. } => obs
            .benchmarks
            .get(name)
            .map(|s| s.iter().map(|(y, v)| (*y, *v)).collect())
            .unwrap_or_default(),
        Target::All(parts) | Target::Any(parts) => parts
            .iter()
            .find(|p| p.label == label)
            .map(|p| target_points(&p.target, years, obs, label))
            .unwrap_or_default(),
        _ => vec![],
    }
}

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage {
    ctx: PageCtx,
    card: Card,
    text: String,
    expression: String,
    unit: String,
    parts: Vec<(String, String, String)>,
    charts: Vec<String>,
    history: Vec<ValueRecord>,
    measures: Vec<indicators::Measure>,
    can_enter: bool,
    /// A measure is a rate, entered with its numerator and denominator.
    takes_parts: bool,
    responsible: String,
    errors: Vec<(String, String)>,
    years: Vec<i32>,
}

impl IndicatorPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let (_, plan) = require_plan(state, ctx).await?;
    let ind = indicators::measured(&plan, code).ok_or(AppError::NotFound)?;
    let ind = &ind;
    let actor = ctx.actor();
    let obs = indicators::observations_of(&state.store, &actor, &plan, ctx.today).await?;
    let st = &indicators::standing(ind, &obs, ctx.today);
    let public = indicators::disclosed_of(&state.store, &actor)
        .await?
        .contains(&ind.code);
    let lang = target_lang(&ctx.page());
    let parsed = ind.target.parsed().ok();
    let measures = parsed.map(indicators::measures).unwrap_or_default();
    let empty = qcity_domain::target::Observations::new();
    let o = obs.get(code).unwrap_or(&empty);
    let mut charts = Vec::new();
    if let Some(t) = &parsed {
        for m in measures.iter().filter(|m| !m.judged) {
            let actual: Vec<(i32, f64)> = o
                .values
                .get(&m.label)
                .map(|s| s.iter().map(|(y, v)| (*y, *v)).collect())
                .unwrap_or_default();
            let mut years: Vec<i32> = actual.iter().map(|(y, _)| *y).collect();
            years.extend([2013, 2014, 2015, 2016]);
            years.sort_unstable();
            years.dedup();
            let targets = target_points(t, &years, o, &m.label);
            let title = if m.name.is_empty() {
                ind.name.clone()
            } else {
                m.name.clone()
            };
            let (actual_label, target_label) =
                (ctx.t("ind-chart-actual"), ctx.t("ind-chart-target"));
            let chart = line_chart(
                &title,
                target::with_unit("", &ind.unit, lang).trim(),
                &[
                    Series {
                        label: &target_label,
                        points: targets,
                        colour: "#1a7f37",
                        dashed: true,
                    },
                    Series {
                        label: &actual_label,
                        points: actual,
                        colour: "#0969da",
                        dashed: false,
                    },
                ],
            );
            if !chart.is_empty() {
                charts.push(chart);
            }
        }
    }
    let parts = st
        .evaluation
        .per_part
        .iter()
        .map(|(label, e)| {
            (
                display_name(&measures, label),
                crate::view::status_label(ctx.lang, e.status.key()),
                e.explanation(lang).to_string(),
            )
        })
        .collect();
    let responsible_codes = indicators::responsible_units(&plan, ind);
    let can_enter = may_enter_value(
        &plan,
        ind,
        Entrant::of(user.role, user.unit_code.as_deref()),
    );
    let responsible = if responsible_codes.is_empty() {
        ctx.t("ind-office-reports")
    } else {
        crate::pages::plan::unit_names(&plan, &responsible_codes)
    };
    let page = IndicatorPage {
        card: card(ctx, ind, st, obs.get(code), public),
        text: ind.text.clone(),
        expression: parsed
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_else(|| ind.target.to_string()),
        unit: target::with_unit("", &ind.unit, lang).trim().to_string(),
        parts,
        charts,
        history: indicators::history(&state.store, &ctx.actor(), Some(code))
            .await?
            .into_iter()
            .map(|mut v| {
                v.measure = display_name(&measures, &v.measure);
                v
            })
            .collect(),
        takes_parts: measures.iter().any(|m| {
            matches!(
                qcity_domain::indicator::rollup::rule(ind, m),
                qcity_domain::indicator::rollup::Rule::Rate { .. }
            )
        }),
        measures,
        can_enter,
        responsible,
        errors,
        years: (2010..=2020).collect(),
        ctx: ctx.page(),
    };
    Ok(render(&page))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    page(&state, &ctx, &code, vec![]).await
}

#[derive(Deserialize)]
struct ValueForm {
    #[serde(default)]
    measure: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    judged: String,
    #[serde(default)]
    comment: String,
    /// A rate's counts (both or neither).
    #[serde(default)]
    numerator: String,
    #[serde(default)]
    denominator: String,
}

/// A rate's counts as typed: both empty is none; one alone, or one that is not a number, is
/// the field's error key.
pub(crate) fn parse_parts(
    numerator: &str,
    denominator: &str,
) -> Result<Option<qcity_domain::org::Ratio>, (&'static str, &'static str)> {
    match (numerator.trim().is_empty(), denominator.trim().is_empty()) {
        (true, true) => Ok(None),
        (false, true) => Err(("denominator", "error-parts-both")),
        (true, false) => Err(("numerator", "error-parts-both")),
        (false, false) => match (parse_number(numerator), parse_number(denominator)) {
            (Some(n), Some(d)) => Ok(Some(qcity_domain::org::Ratio {
                numerator: n,
                denominator: d,
            })),
            (None, _) => Err(("numerator", "error-value-number")),
            (_, None) => Err(("denominator", "error-value-number")),
        },
    }
}

/// "96.5", "９６．５", "96.5%" → 96.5; empty → None.
pub fn parse_number(s: &str) -> Option<f64> {
    let t: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' => '-',
            other => other,
        })
        .filter(|c| !matches!(c, ',' | '，' | '%' | '％' | ' '))
        .collect();
    if t.is_empty() {
        None
    } else {
        t.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

async fn add_value(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<ValueForm>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    // Who may enter is decided before what was entered is looked at.
    let ind = indicators::measured(&plan, &code).ok_or(AppError::NotFound)?;
    let allowed = may_enter_value(
        &plan,
        &ind,
        Entrant::of(user.role, user.unit_code.as_deref()),
    );
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let fail = |field: &str, key: &str| (field.to_string(), ctx.t(key));
    let Ok(year) = f.year.trim().trim_end_matches('年').parse::<i64>() else {
        return Ok(unprocessable(
            page(&state, &ctx, &code, vec![fail("year", "error-year-range")]).await?,
        ));
    };
    let value = parse_number(&f.value);
    if !f.value.trim().is_empty() && value.is_none() {
        return Ok(unprocessable(
            page(
                &state,
                &ctx,
                &code,
                vec![fail("value", "error-value-number")],
            )
            .await?,
        ));
    }
    let parts = match parse_parts(&f.numerator, &f.denominator) {
        Ok(p) => p,
        Err((field, key)) => {
            return Ok(unprocessable(
                page(&state, &ctx, &code, vec![fail(field, key)]).await?,
            ));
        }
    };
    let judged = match f.judged.as_str() {
        "met" => Some(true),
        "not_met" => Some(false),
        _ => None,
    };
    let v = NewValue {
        indicator: code.clone(),
        measure: f.measure.clone(),
        year,
        value,
        judged,
        comment: f.comment,
        source: "manual".into(),
    };
    let rules = EntryRules::default();
    match indicators::submit_with_parts(&state.store, &ctx.actor(), &plan, v, parts, &rules).await {
        Ok(_) => Ok(see_other(&format!("/indicators/{code}"))),
        Err(StoreError::Invalid { field, code: key }) => Ok(unprocessable(
            page(&state, &ctx, &code, vec![(field, ctx.t(&key))]).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "benchmarks.html")]
struct BenchmarksPage {
    ctx: PageCtx,
    /// Each series the plan compares with: (name, the targets using it, its values).
    series: Vec<(String, String, Vec<indicators::BenchmarkValue>)>,
    form: BenchmarkForm,
    error: Option<(String, String)>,
}

impl BenchmarksPage {
    fn error_for(&self, field: &str) -> String {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default, Clone)]
struct BenchmarkForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    source: String,
}

/// Benchmark series (全国平均水平 …): the office records them with their source; the targets
/// that compare with them say when one is missing.
async fn benchmarks(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    Ok(render(
        &benchmarks_page(&state, &ctx, BenchmarkForm::default(), None).await?,
    ))
}

async fn benchmarks_page(
    state: &AppState,
    ctx: &Ctx,
    form: BenchmarkForm,
    error: Option<(String, String)>,
) -> Result<BenchmarksPage, AppError> {
    let (_, plan) = require_plan(state, ctx).await?;
    let values = indicators::benchmark_values(&state.store, &ctx.actor()).await?;
    let contents = indicators::content_targets(&plan);
    let series = indicators::benchmark_names(&plan)
        .into_iter()
        .map(|name| {
            let users: Vec<String> = plan
                .indicators
                .iter()
                .chain(&contents)
                .filter(|i| {
                    i.target
                        .parsed()
                        .is_ok_and(|t| indicators::benchmarks(t).contains(&name))
                })
                .map(|i| format!("{} {}", i.code, i.name))
                .collect();
            let mine = values.iter().filter(|v| v.name == name).cloned().collect();
            (name, users.join(&ctx.t("list-comma")), mine)
        })
        .collect();
    Ok(BenchmarksPage {
        ctx: ctx.page(),
        series,
        form,
        error,
    })
}

async fn add_benchmark(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<BenchmarkForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let fail = |field: &str, key: &str| Some((field.to_string(), ctx.t(key)));
    let error = match (
        f.year.trim().trim_end_matches('年').parse::<i64>(),
        parse_number(&f.value),
    ) {
        (Err(_), _) => fail("year", "error-year-range"),
        (_, None) => fail("value", "error-value-number"),
        (Ok(year), Some(value)) => {
            match indicators::add_benchmark(
                &state.store,
                &ctx.actor(),
                &plan,
                f.name.trim(),
                year,
                value,
                f.source.trim(),
            )
            .await
            {
                Ok(_) => return Ok(see_other("/indicators/benchmarks")),
                Err(StoreError::Invalid { field, code }) => Some((field, ctx.t(&code))),
                Err(e) => return Err(e.into()),
            }
        }
    };
    // The form comes back as typed, with the reason.
    Ok(unprocessable(render(
        &benchmarks_page(&state, &ctx, f, error).await?,
    )))
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    indicator: String,
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DecideForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    match indicators::decide(
        &state.store,
        &ctx.actor(),
        id,
        f.decision == "approve",
        &f.reason,
    )
    .await
    {
        Ok(()) => Ok(see_other(&format!(
            "/indicators/{}",
            crate::view::encode_component(&f.indicator)
        ))),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            page(&state, &ctx, &f.indicator, vec![(field, ctx.t(&code))]).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Evidence for a value awaiting review (multipart, field `files`), then back to its page.
async fn add_files(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    // Who may attach is settled before the upload is read.
    indicators::may_attach(&state.store, &ctx.actor(), id).await?;
    let max = state.config.max_evidence_bytes as u64;
    let form = crate::upload::read_form(req, &state, max).await?;
    let indicator = form.text("indicator");
    if let Some(problem) = form.problem {
        return Ok(unprocessable(
            page(
                &state,
                &ctx,
                &indicator,
                vec![("files".into(), problem.message(ctx.lang))],
            )
            .await?,
        ));
    }
    let files = form.evidence("files").await?;
    let policy = qcity_store::evidence::EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    match indicators::attach_evidence(&state.store, &ctx.actor(), id, &files, &policy).await {
        Ok(()) => Ok(see_other(&format!(
            "/indicators/{}",
            crate::view::encode_component(&indicator)
        ))),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            page(&state, &ctx, &indicator, vec![(field, ctx.t(&code))]).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, sha)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (filename, mime, data) = indicators::evidence(&state.store, &ctx.actor(), id, &sha).await?;
    Ok(crate::view::evidence_download(data, &mime, &filename))
}

#[derive(Deserialize)]
struct DisclosureForm {
    #[serde(default)]
    public: String,
}

async fn disclosure(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<DisclosureForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    if indicators::measured(&plan, &code).is_none() {
        return Err(AppError::NotFound);
    }
    indicators::set_disclosed(&state.store, &ctx.actor(), &code, f.public == "1").await?;
    Ok(see_other(&format!("/indicators/{code}")))
}

async fn template(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let bytes = qcity_exchange::indicator_template_xlsx(&plan)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::view::attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "indicator-values-template.xlsx",
    ))
}

#[derive(Template)]
#[template(path = "indicator_import.html")]
struct ImportPage {
    ctx: PageCtx,
    accepted: usize,
    problems: Vec<String>,
}

/// Bulk entry from the template (XLSX, also as saved by LibreOffice) or CSV: every good row is
/// submitted for approval like a typed value; every bad row is listed with its line and reason.
async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    if !matches!(user.role, Role::Office | Role::Unit) {
        return Err(AppError::Forbidden);
    }
    let (_, plan) = require_plan(&state, &ctx).await?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    if let Some(problem) = form.problem {
        return Ok(unprocessable(render(&ImportPage {
            ctx: ctx.page(),
            accepted: 0,
            problems: vec![problem.message(ctx.lang)],
        })));
    }
    let lang = target_lang(&ctx.page());
    // Read in a slot of the import pool, on a blocking thread.
    let Ok(_slot) = state.imports.acquire().await else {
        return Ok(crate::upload::busy(render(&ImportPage {
            ctx: ctx.page(),
            accepted: 0,
            problems: vec![ctx.t("import-busy")],
        })));
    };
    let read_plan = plan.clone();
    let (rows, diags) = crate::upload::read_blocking(form.file("file"), move |bytes| {
        qcity_exchange::read_indicator_values(bytes, &read_plan)
    })
    .await?;
    let mut problems: Vec<String> = diags
        .iter()
        .map(|d| {
            format!(
                "{}{}",
                if d.is_error() { "" } else { "⚠ " },
                d.message(lang)
            )
        })
        .collect();
    let mut accepted = 0;
    for r in rows {
        let ind = indicators::measured(&plan, &r.indicator);
        // Only the office and unit staff get here (checked above).
        let who = Entrant::of(user.role, user.unit_code.as_deref());
        let allowed =
            who == Entrant::Office || ind.is_some_and(|i| may_enter_value(&plan, &i, who));
        if !allowed {
            problems.push(ctx.lang.t_args(
                "ind-import-not-yours",
                &[("line", r.line.to_string()), ("code", r.indicator.clone())],
            ));
            continue;
        }
        let v = NewValue {
            indicator: r.indicator.clone(),
            measure: r.measure.clone(),
            year: i64::from(r.year),
            value: Some(r.value),
            judged: None,
            comment: r.note.clone(),
            source: "import".into(),
        };
        match indicators::submit(&state.store, &ctx.actor(), &plan, v, &EntryRules::default()).await
        {
            Ok(_) => accepted += 1,
            Err(StoreError::Invalid { code, .. }) => problems.push(ctx.lang.t_args(
                "ind-import-row",
                &[("line", r.line.to_string()), ("reason", ctx.t(&code))],
            )),
            Err(e) => return Err(e.into()),
        }
    }
    let mut res = render(&ImportPage {
        ctx: ctx.page(),
        accepted,
        problems: problems.clone(),
    });
    if accepted == 0 && !problems.is_empty() {
        res = unprocessable(res);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    ctx: PageCtx,
    title: String,
    cards: Vec<Card>,
}

/// The public portal: the indicators the office chose to disclose, for anyone, no sign-in.
async fn public_portal(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let (_, plan) = require_plan(&state, &ctx).await?;
    let actor = ctx.actor();
    let public = indicators::disclosed_of(&state.store, &actor).await?;
    let obs = indicators::observations_of(&state.store, &actor, &plan, ctx.today).await?;
    let standings = indicators::evaluate(&plan, &obs, ctx.today);
    let cards = plan
        .indicators
        .iter()
        .filter(|i| public.contains(&i.code))
        .filter_map(|i| {
            standings
                .iter()
                .find(|s| s.code == i.code)
                .map(|s| card(&ctx, i, s, obs.get(&i.code), true))
        })
        .collect();
    Ok(render(&PublicPage {
        ctx: ctx.page(),
        title: plan.plan.title.clone(),
        cards,
    }))
}

/// For the JSON API: every indicator's standing.
pub fn standings_for(
    plan: &Plan,
    obs: &BTreeMap<String, qcity_domain::target::Observations>,
    today: chrono::NaiveDate,
) -> Vec<Standing> {
    indicators::evaluate(plan, obs, today)
}

/// Indicators: values, approval, evaluation against targets, the public portal.
pub static MODULE: Module = Module {
    slug: "indicators",
    schema: &qcity_store::indicators::SCHEMA,
    routes: |r| {
        let r = routes(r);
        let r = crate::pages::indicators_districts::routes(r);
        crate::api::indicators::routes(r)
    },
    openapi: <crate::api::indicators::Doc as utoipa::OpenApi>::openapi,
    nav: &[
        NavEntry {
            label: "nav-indicators",
            path: "/indicators",
            order: 30,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-indicators-districts",
            path: "/indicators/districts",
            order: 31,
            shown_to: office_and_leaders,
        },
    ],
};

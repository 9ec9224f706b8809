//! Unit performance assessment (绩效考核) and the leaders' one-page view.
//!
//! `/assessment?period=2014`: every member unit's score and rank, best first, the scheme
//! explained, the office's scheme editor (TOML, or a workbook exported from
//! `/assessment/scheme.xlsx` and imported whole or not at all at `/assessment/scheme/import`)
//! and evaluation windows, and the evaluators' rating forms while a window is open. `/assessment/{unit}` shows every line of one unit's score and
//! the facts behind it. `/leader`: phase, readiness, indicators at risk, overdue work, the
//! weakest units and the newest bulletin.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Module, NavEntry, Routes, signed_in};
use crate::view::{PageCtx, attachment, render, unprocessable};
use crate::view::{require_plan, target_lang};
use crate::view_cache::ViewKey;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use qcity_domain::assessment::{Component, Scheme, UnitFacts};
use qcity_domain::plan::Diagnostic;
use qcity_domain::role::Role;
use qcity_domain::supervision::Tally;
use qcity_domain::target::{Lang as TargetLang, Status, StatusCounts};
use qcity_exchange::assessment::{
    AssessmentRow, assessment_to_docx, assessment_to_xlsx, scheme_from_xlsx, scheme_to_xlsx_in,
};
use qcity_store::assessment::{self as store, NewWindow, Rating, Window};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(r: Routes) -> Routes {
    r.get("/assessment", scores_page)
        .get("/assessment/export.xlsx", export_xlsx)
        .get("/assessment/export.docx", export_docx)
        .post("/assessment/scheme", save_scheme)
        .get("/assessment/scheme.xlsx", export_scheme)
        .upload(
            "/assessment/scheme/import",
            BodyLimit::Import,
            import_scheme,
        )
        .post("/assessment/windows", open_window)
        .post("/assessment/windows/{id}/close", close_window)
        .post("/assessment/windows/{id}/ratings", rate)
        .get("/assessment/windows/{id}/sheet", sheet)
        .post("/assessment/windows/{id}/sheet", save_sheet)
        .get("/assessment/{code}", unit_page)
}

#[derive(Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    period: Option<String>,
}

/// The period asked for (a year), or the business date's year. Junk falls back, never panics.
fn period(ctx: &Ctx, q: &PeriodQuery) -> i32 {
    q.period
        .as_deref()
        .and_then(|p| p.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| store::period_of(ctx.today))
}

fn lang(ctx: &Ctx) -> TargetLang {
    target_lang(&ctx.page())
}

/// Points for display: one decimal, without a trailing ".0".
pub fn pts(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Points rounded to tenths so that the shown lines add up to the shown total (largest
/// remainders get the spare tenths), as a clerk checks a score by adding the column.
fn tenths_adding_up(points: &[f64]) -> Vec<f64> {
    let target = (points.iter().sum::<f64>() * 10.0).round();
    let mut floors: Vec<f64> = points.iter().map(|p| (p * 10.0).floor()).collect();
    let mut spare = (target - floors.iter().sum::<f64>()).round() as i64;
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|a, b| {
        let frac = |i: usize| points[i] * 10.0 - floors[i];
        frac(*b).total_cmp(&frac(*a))
    });
    for i in order {
        if spare <= 0 {
            break;
        }
        floors[i] += 1.0;
        spare -= 1;
    }
    floors.into_iter().map(|f| f / 10.0).collect()
}

/// One part of the scheme, explained.
struct SchemePart {
    label: String,
    weight: String,
    definition: String,
}

fn scheme_parts(scheme: &Scheme, lang: TargetLang) -> Vec<SchemePart> {
    Component::ALL
        .iter()
        .map(|c| SchemePart {
            label: c.label(lang).to_string(),
            weight: pts(scheme.weights.get(*c)),
            definition: c.definition(lang).to_string(),
        })
        .collect()
}

struct ScoreRow {
    /// The rank, or "—" for a unit without a score.
    rank: String,
    code: String,
    name: String,
    total: String,
    /// The evaluator's own rating in the open window: (score, comment).
    mine: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct ScoresPage {
    ctx: PageCtx,
    period: i32,
    as_of: String,
    scheme_name: String,
    scheme_note: String,
    scheme_source: String,
    scheme_toml: String,
    parts: Vec<SchemePart>,
    red_rule: String,
    rows: Vec<ScoreRow>,
    windows: Vec<(Window, bool)>,
    open: Option<Window>,
    is_evaluator: bool,
    /// An evaluator while a window of the period is open: no totals, no ranks.
    blind: bool,
    problems: Vec<String>,
    saved: bool,
}

async fn scores_view(
    state: &AppState,
    ctx: &Ctx,
    period: i32,
    problems: Vec<String>,
    draft: Option<String>,
    saved: bool,
) -> Result<Response, AppError> {
    let user = ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    let (_, plan) = require_plan(state, ctx).await?;
    let actor = ctx.actor();
    let (_, _, as_of) = store::period_bounds(period, ctx.today).ok_or(AppError::NotFound)?;
    // The period's scores, scheme and windows are the same for every reader of one role and
    // unit: kept at the data's watermark, as the overviews are.
    let key = ViewKey {
        arg: i64::from(period),
        ..ViewKey::of("assessment", ctx)
    };
    let kept = state
        .views
        .get(&state.store, key, || async {
            let (scores, (_, version), windows) = tokio::try_join!(
                store::scores(&state.store, &actor, &plan, period, as_of),
                store::scheme_for(&state.store, &actor, period),
                store::windows(&state.store, &actor),
            )?;
            Ok::<_, AppError>((scores, version, windows))
        })
        .await?;
    let ((scheme, ranked), version, windows) = &*kept;
    let windows = windows.clone();
    let open = windows
        .iter()
        .find(|w| w.period == i64::from(period) && w.is_open(ctx.today))
        .cloned();
    let is_evaluator = user.role == Role::Evaluator;
    let mine: BTreeMap<String, Rating> = match (&open, is_evaluator) {
        (Some(w), true) => store::ratings(&state.store, &actor, w.id)
            .await?
            .into_iter()
            .map(|r| (r.unit_code.clone(), r))
            .collect(),
        _ => BTreeMap::new(),
    };
    let lang = lang(ctx);
    let rows = ranked
        .iter()
        .map(|r| ScoreRow {
            rank: if r.score.scored() {
                r.rank.to_string()
            } else {
                "—".into()
            },
            code: r.unit.code.clone(),
            name: r.unit.name.clone(),
            total: if r.score.scored() {
                pts(r.score.total)
            } else {
                ctx.t("assessment-unscored")
            },
            mine: mine
                .get(&r.unit.code)
                .map(|m| (pts(m.score), m.comment.clone())),
        })
        .collect();
    // Blind: listed by code, so the order tells no rank either.
    let blind = store::blind(&state.store, &actor, period, ctx.today).await?;
    let mut rows: Vec<ScoreRow> = rows;
    if blind {
        rows.sort_by(|a, b| a.code.cmp(&b.code));
    }
    let scheme_source = match &version {
        Some(v) => ctx.lang.t_args(
            "assessment-scheme-saved-by",
            &[
                ("from", v.applies_from.to_string()),
                ("by", v.created_by.clone()),
                ("at", crate::view::local_time(&v.created_at)),
            ],
        ),
        None => ctx.t("assessment-scheme-default"),
    };
    let windows = windows
        .into_iter()
        .map(|w| {
            let o = w.is_open(ctx.today);
            (w, o)
        })
        .collect();
    let page = ScoresPage {
        ctx: ctx.page(),
        period,
        as_of: as_of.to_string(),
        scheme_name: scheme.name.clone(),
        scheme_note: match lang {
            TargetLang::ZhCn => scheme.note_zh.clone(),
            TargetLang::En => scheme.note_en.clone(),
        },
        scheme_source,
        scheme_toml: draft.unwrap_or_else(|| scheme.to_toml()),
        parts: scheme_parts(scheme, lang),
        red_rule: ctx.lang.t_args(
            "assessment-red-rule",
            &[
                ("per", pts(scheme.red_notice_deduction)),
                (
                    "cap",
                    scheme
                        .red_notice_cap
                        .map(pts)
                        .unwrap_or_else(|| ctx.t("assessment-no-cap")),
                ),
            ],
        ),
        rows,
        windows,
        open,
        is_evaluator,
        blind,
        problems,
        saved,
    };
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
struct ScoresQuery {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

async fn scores_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ScoresQuery>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let p = period(
        &ctx,
        &PeriodQuery {
            period: q.period.clone(),
        },
    );
    // Unit staff see their own unit's drill-down.
    if user.role == Role::Unit {
        let code = user.unit_code.clone().ok_or(AppError::Forbidden)?;
        return Ok(see_other(&format!("/assessment/{code}?period={p}")));
    }
    scores_view(&state, &ctx, p, vec![], None, q.saved.is_some()).await
}

/// One fact behind a score, with a link to the list it comes from when there is one.
struct FactLine {
    label: String,
    value: String,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "assessment_unit.html")]
struct UnitPage {
    ctx: PageCtx,
    period: i32,
    as_of: String,
    code: String,
    name: String,
    rank: usize,
    of: usize,
    /// Whether any part had data (else there is no score, nor a rank).
    scored: bool,
    total: String,
    lines: Vec<(String, String, String)>,
    facts: Vec<FactLine>,
    parts: Vec<SchemePart>,
    scheme_name: String,
    /// An evaluator while a window of the period is open: the facts, not the score.
    blind: bool,
}

fn fact_lines(ctx: &Ctx, code: &str, f: &UnitFacts) -> Vec<FactLine> {
    let obligations = format!("/obligations?unit={code}");
    let n = |x: u32| x.to_string();
    let ratings: Vec<String> = f.ratings.iter().map(|(s, _)| pts(*s)).collect();
    vec![
        FactLine {
            label: ctx.t("assessment-fact-obligations-due"),
            value: n(f.obligations_due),
            link: Some(obligations.clone()),
        },
        FactLine {
            label: ctx.t("assessment-fact-obligations-on-time"),
            value: n(f.obligations_on_time),
            link: None,
        },
        FactLine {
            label: ctx.t("assessment-fact-reports-due"),
            value: n(f.reports_due),
            link: Some(obligations.clone()),
        },
        FactLine {
            label: ctx.t("assessment-fact-reports-on-time"),
            value: n(f.reports_on_time),
            link: None,
        },
        FactLine {
            label: ctx.t("assessment-fact-reports-late"),
            value: n(f.reports_late),
            link: Some(format!("{obligations}&view=overdue")),
        },
        FactLine {
            label: ctx.t("assessment-fact-reports-submitted"),
            value: n(f.reports_submitted),
            link: None,
        },
        FactLine {
            label: ctx.t("assessment-fact-reports-returned"),
            value: n(f.reports_returned),
            link: Some(format!("{obligations}&status=returned")),
        },
        FactLine {
            label: ctx.t("assessment-fact-indicators"),
            value: format!(
                "{} / {} / {}",
                f.indicators_with_data, f.indicators_met, f.indicators_on_track
            ),
            link: Some("/indicators".into()),
        },
        FactLine {
            label: ctx.t("assessment-fact-notices"),
            value: format!(
                "{} / {} / {}",
                f.blue_notices, f.yellow_notices, f.red_notices
            ),
            link: Some("/notices".into()),
        },
        FactLine {
            label: ctx.t("assessment-fact-ratings"),
            value: if ratings.is_empty() {
                "—".into()
            } else {
                ratings.join(&ctx.t("list-comma"))
            },
            link: None,
        },
    ]
}

async fn unit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let p = period(&ctx, &q);
    let (_, _, as_of) = store::period_bounds(p, ctx.today).ok_or(AppError::NotFound)?;
    let actor = ctx.actor();
    let (scheme, ranked) = store::scores(&state.store, &actor, &plan, p, as_of).await?;
    let Some(r) = ranked.iter().find(|r| r.unit.code == code) else {
        // Another unit's score is not disclosed to unit staff; an unknown code is not found.
        return Err(AppError::NotFound);
    };
    let of = store::member_units(&state.store, &actor).await?.len();
    let lang = lang(&ctx);
    let shown = tenths_adding_up(&r.score.parts.iter().map(|l| l.points).collect::<Vec<_>>());
    let lines = r
        .score
        .parts
        .iter()
        .zip(shown)
        .map(|(l, points)| {
            (
                l.component
                    .map(|c| c.label(lang).to_string())
                    .unwrap_or_else(|| ctx.t("assessment-adjustment")),
                l.text(lang).to_string(),
                pts(points),
            )
        })
        .collect();
    Ok(render(&UnitPage {
        ctx: ctx.page(),
        period: p,
        as_of: as_of.to_string(),
        code: r.unit.code.clone(),
        name: r.unit.name.clone(),
        rank: r.rank,
        of,
        scored: r.score.scored(),
        blind: store::blind(&state.store, &actor, p, ctx.today).await?,
        total: pts(r.score.total),
        lines,
        facts: fact_lines(&ctx, &r.unit.code, &r.facts),
        parts: scheme_parts(&scheme, lang),
        scheme_name: scheme.name.clone(),
    }))
}

#[derive(Deserialize)]
struct SchemeForm {
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    period: Option<String>,
}

async fn save_scheme(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SchemeForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let p = period(&ctx, &PeriodQuery { period: f.period });
    match store::save_scheme(&state.store, &ctx.actor(), &f.scheme, p).await? {
        Ok(_) => Ok(see_other(&format!("/assessment?period={p}&saved=1"))),
        Err(diags) => {
            let lang = lang(&ctx);
            let problems = diags
                .iter()
                .map(|d| {
                    let line = d
                        .line
                        .map(|l| format!(" ({} {l})", ctx.t("plan-line")))
                        .unwrap_or_default();
                    let path = if d.path.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", d.path)
                    };
                    format!("{path}{}{line}", d.message(lang))
                })
                .collect();
            Ok(unprocessable(
                scores_view(&state, &ctx, p, problems, Some(f.scheme), false).await?,
            ))
        }
    }
}

/// The scheme in force as a workbook, one setting per row, in the reader's language; the
/// office edits it and imports it back. Everyone signed in sees the scheme (units on their
/// drill-down), so everyone may download it.
async fn export_scheme(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (scheme, _) = store::scheme_for(&state.store, &ctx.actor(), period(&ctx, &q)).await?;
    let lang = lang(&ctx);
    let bytes = scheme_to_xlsx_in(&scheme, lang).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = match lang {
        TargetLang::ZhCn => "考核方案.xlsx",
        TargetLang::En => "assessment-scheme.xlsx",
    };
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name,
    ))
}

/// The office imports a scheme workbook, all or nothing: a good one is saved through the same
/// store function as the TOML editor (checked, versioned, audited) and the page reloads as
/// after a save; otherwise 422 with every bad row and its reason, the old scheme in force.
async fn import_scheme(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    let p = period(
        &ctx,
        &PeriodQuery {
            period: form.has("period").then(|| form.text("period")),
        },
    );
    if let Some(problem) = form.problem {
        return Ok(unprocessable(
            scores_view(
                &state,
                &ctx,
                p,
                vec![problem.message(ctx.lang)],
                None,
                false,
            )
            .await?,
        ));
    }
    // Read in a slot of the import pool, on a blocking thread.
    let Ok(_slot) = state.imports.acquire().await else {
        return Ok(crate::upload::busy(
            scores_view(&state, &ctx, p, vec![ctx.t("import-busy")], None, false).await?,
        ));
    };
    let scheme = crate::upload::read_blocking(form.file("file"), scheme_from_xlsx).await?;
    let refused = match scheme {
        Ok(scheme) => store::save_scheme(&state.store, &ctx.actor(), &scheme.to_toml(), p)
            .await?
            .err(),
        Err(diags) => Some(diags),
    };
    match refused {
        None => Ok(see_other(&format!("/assessment?period={p}&saved=1"))),
        Some(diags) => {
            let problems = row_messages(&ctx, &diags);
            Ok(unprocessable(
                scores_view(&state, &ctx, p, problems, None, false).await?,
            ))
        }
    }
}

/// A workbook's problems in the reader's language; each names its row itself.
fn row_messages(ctx: &Ctx, diags: &[Diagnostic]) -> Vec<String> {
    let lang = lang(ctx);
    diags.iter().map(|d| d.message(lang).to_string()).collect()
}

#[derive(Deserialize)]
struct WindowForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
}

fn date_field(field: &str, s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Validation(vec![(field.into(), "assessment-error-date".into())]))
}

async fn open_window(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<WindowForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let period: i64 = f.period.trim().parse().map_err(|_| {
        AppError::Validation(vec![("period".into(), "assessment-error-period".into())])
    })?;
    let w = NewWindow {
        title: f.title,
        period,
        opens_on: date_field("opens_on", &f.opens_on)?,
        closes_on: date_field("closes_on", &f.closes_on)?,
    };
    store::open_window(&state.store, &ctx.actor(), w).await?;
    Ok(see_other(&format!("/assessment?period={period}#windows")))
}

async fn close_window(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    store::close_window(&state.store, &ctx.actor(), id, ctx.today).await?;
    Ok(see_other("/assessment#windows"))
}

#[derive(Deserialize)]
struct RateForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    period: Option<String>,
}

async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RateForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Evaluator])?;
    let score: f64 = f
        .score
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite())
        .ok_or_else(|| {
            AppError::Validation(vec![("score".into(), "assessment-error-score".into())])
        })?;
    store::rate(
        &state.store,
        &ctx.actor(),
        id,
        f.unit.trim(),
        score,
        &f.comment,
        ctx.today,
    )
    .await?;
    let p = period(&ctx, &PeriodQuery { period: f.period });
    Ok(see_other(&format!(
        "/assessment?period={p}#u-{}",
        f.unit.trim()
    )))
}

#[derive(Template)]
#[template(path = "assessment_sheet.html")]
struct SheetPage {
    ctx: PageCtx,
    window: Window,
    /// (code, name, score as typed, comment as typed, error)
    lines: Vec<(String, String, String, String, String)>,
    submitted: bool,
    /// Set after a save: how many ratings were kept and whether they were submitted.
    done: Option<(usize, bool)>,
    error: String,
}

#[derive(Deserialize, Default)]
struct SheetQuery {
    #[serde(default)]
    saved: Option<usize>,
    #[serde(default)]
    submitted: Option<String>,
}

/// The evaluator's rating sheet: every unit on one page, blind to totals and ranks.
async fn sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<SheetQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Evaluator])?;
    let actor = ctx.actor();
    let window = store::windows(&state.store, &actor)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or(AppError::NotFound)?;
    let mine: BTreeMap<String, Rating> = store::ratings(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|r| (r.unit_code.clone(), r))
        .collect();
    let lines = store::member_units(&state.store, &actor)
        .await?
        .into_iter()
        .map(|u| {
            let r = mine.get(&u.code);
            (
                u.code.clone(),
                u.name,
                r.map(|r| pts(r.score)).unwrap_or_default(),
                r.map(|r| r.comment.clone()).unwrap_or_default(),
                String::new(),
            )
        })
        .collect();
    let submitted = store::submitted(&state.store, &actor, id).await?;
    Ok(render(&SheetPage {
        ctx: ctx.page(),
        window,
        lines,
        submitted,
        done: q.saved.map(|n| (n, q.submitted.is_some())),
        error: String::new(),
    }))
}

/// Saves the sheet as a draft, or submits it (complete, once). A refused sheet comes back
/// as typed, the faulty line marked.
async fn save_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Evaluator])?;
    let actor = ctx.actor();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let submit = field("action") == "submit";
    let units = store::member_units(&state.store, &actor).await?;
    let mut entries = Vec::new();
    let mut lines = Vec::new();
    let mut first_error = None;
    for u in &units {
        let typed = field(&format!("score-{}", u.code));
        let comment = field(&format!("comment-{}", u.code));
        let score = match typed.as_str() {
            "" => None,
            t => match crate::pages::indicators::parse_number(t) {
                Some(s) => Some(s),
                None => {
                    first_error
                        .get_or_insert((u.code.clone(), "assessment-error-score".to_string()));
                    None
                }
            },
        };
        entries.push(store::RatingEntry {
            unit_code: u.code.clone(),
            score,
            comment: comment.clone(),
        });
        lines.push((
            u.code.clone(),
            u.name.clone(),
            typed,
            comment,
            String::new(),
        ));
    }
    let (bad_field, key) = match first_error {
        Some((code, key)) => (format!("score-{code}"), key),
        None => {
            match store::rate_all(&state.store, &actor, id, &entries, submit, ctx.today).await {
                Ok(n) => {
                    let flag = if submit { "&submitted=1" } else { "" };
                    return Ok(see_other(&format!(
                        "/assessment/windows/{id}/sheet?saved={n}{flag}"
                    )));
                }
                Err(qcity_store::StoreError::Invalid { field, code }) => (field, code),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let message = ctx.t(&key);
    for l in &mut lines {
        if bad_field == format!("score-{}", l.0) || bad_field == format!("comment-{}", l.0) {
            l.4 = message.clone();
        }
    }
    let window = store::windows(&state.store, &actor)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(crate::view::unprocessable(render(&SheetPage {
        ctx: ctx.page(),
        window,
        lines,
        submitted: false,
        done: None,
        error: message,
    })))
}

fn headers(ctx: &Ctx, lang: TargetLang) -> Vec<String> {
    let mut h = vec![
        ctx.t("assessment-rank"),
        ctx.t("field-code"),
        ctx.t("assessment-unit"),
        ctx.t("assessment-total"),
    ];
    h.extend(Component::ALL.iter().map(|c| c.label(lang).to_string()));
    h.push(ctx.t("assessment-deductions"));
    h.push(ctx.t("assessment-explanation"));
    h
}

async fn export(
    state: &AppState,
    ctx: &Ctx,
    q: &PeriodQuery,
) -> Result<(String, Vec<String>, Vec<AssessmentRow>, String, i32), AppError> {
    ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    let (_, plan) = require_plan(state, ctx).await?;
    let p = period(ctx, q);
    let (_, _, as_of) = store::period_bounds(p, ctx.today).ok_or(AppError::NotFound)?;
    let (scheme, ranked) = store::scores(&state.store, &ctx.actor(), &plan, p, as_of).await?;
    let lang = lang(ctx);
    let rows = ranked
        .iter()
        .map(|r| AssessmentRow {
            rank: r.rank,
            unit_code: r.unit.code.clone(),
            unit_name: r.unit.name.clone(),
            total: r.score.total,
            // The parts, then the deductions and adjustments (red notices, the floor at 0),
            // so the columns add up to the total.
            parts: r
                .score
                .parts
                .iter()
                .filter_map(|l| {
                    l.component
                        .map(|c| (c.label(lang).to_string(), l.points, l.max))
                })
                .chain(std::iter::once((
                    ctx.t("assessment-deductions"),
                    r.score
                        .parts
                        .iter()
                        .filter(|l| l.component.is_none())
                        .map(|l| l.points)
                        .sum::<f64>(),
                    0.0,
                )))
                .collect(),
            lines: r
                .score
                .parts
                .iter()
                .map(|l| l.text(lang).to_string())
                .collect(),
        })
        .collect();
    let title = ctx.lang.t_args(
        "assessment-export-title",
        &[("period", p.to_string()), ("date", as_of.to_string())],
    );
    let note = match lang {
        TargetLang::ZhCn => scheme.note_zh.clone(),
        TargetLang::En => scheme.note_en.clone(),
    };
    Ok((title, headers(ctx, lang), rows, note, p))
}

async fn export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (title, headers, rows, _, p) = export(&state, &ctx, &q).await?;
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let bytes =
        assessment_to_xlsx(&title, &h, &rows).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("assessment-{p}.xlsx"),
    ))
}

async fn export_docx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (title, headers, rows, note, p) = export(&state, &ctx, &q).await?;
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let bytes = assessment_to_docx(&title, &note, &h, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("assessment-{p}.docx"),
    ))
}

/// An indicator at risk on the leaders' page.
#[derive(Clone)]
struct RiskLine {
    code: String,
    name: String,
    status: &'static str,
    status_label: String,
    explanation: String,
}

#[derive(Template, Clone)]
#[template(path = "leader.html")]
struct LeaderPage {
    ctx: PageCtx,
    headline: Option<crate::pages::home::Headline>,
    phase: String,
    risks: Vec<RiskLine>,
    overdue: Vec<(String, String, usize)>,
    overdue_total: usize,
    worst: Vec<(usize, String, String, String)>,
    period: i32,
    /// The district's supervision figures on the business date (`Tally`).
    district: Tally,
    /// Indicators by status: (key, label, count).
    indicator_counts: Vec<(&'static str, String, usize)>,
    bulletin: Option<qcity_store::bulletins::Issued>,
    /// The newest issued quality analysis report: (id, title, issued on).
    report: Option<(i64, String, String)>,
    /// The readiness by category: (name, points earned, points possible, criteria undecided).
    categories: Vec<(String, String, String, usize)>,
    /// The acceptance readiness of the latest opened stage, in words; empty when none is open.
    readiness: String,
    vetoed: bool,
}

async fn leader(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Leader, Role::Office])?;
    let actor = ctx.actor();
    // A city's (or province's) leaders without a plan of their own: their view is the
    // comparison of their districts, not the home district's plan with none of its figures.
    // (Every district runs a plan: it is made with one.)
    let above_district = ctx
        .user
        .as_ref()
        .and_then(|u| u.owner_kind.as_deref())
        .is_some_and(|kind| kind != "district");
    if let Some(owner) = actor.owner_id
        && above_district
        && qcity_store::plan::current_version_of_id(&state.store, owner).await? == 0
    {
        return Ok(see_other("/supervision/districts"));
    }
    state
        .views
        .page(
            &state,
            &ctx,
            "leader",
            false,
            |p: &mut LeaderPage| &mut p.ctx,
            |state, ctx| async move { leader_page(&state, &ctx).await },
        )
        .await
}

/// The leaders' view's figures (kept at the data's watermark by the caller).
async fn leader_page(state: &AppState, ctx: &Ctx) -> Result<LeaderPage, AppError> {
    let actor = ctx.actor();
    let (_, plan) = require_plan(state, ctx).await?;
    let today = ctx.today;
    let phase = plan
        .phases
        .iter()
        .find(|p| p.start <= today && today <= p.end)
        .map(|p| format!("{} ({} – {})", p.name, p.start, p.end))
        .unwrap_or_else(|| ctx.t("home-no-phase"));
    let lang = lang(ctx);
    let period = store::period_of(today);
    let (_, _, as_of) = store::period_bounds(period, today).ok_or(AppError::NotFound)?;
    // The units' scores and the readiness need the indicators' observations; the other reads
    // need nothing: they run at once, each on a connection of its own, so the page waits for
    // the slowest chain rather than for the sum of every read.
    let with_observations = async {
        let obs =
            qcity_store::indicators::observations_of(&state.store, &actor, &plan, today).await?;
        let (scores, current) = tokio::try_join!(
            store::scores_given(&state.store, &actor, &plan, period, as_of, Some(&obs)),
            qcity_store::acceptance::readiness_given(
                &state.store,
                &actor,
                today,
                Some((&plan, &obs))
            ),
        )?;
        Ok::<_, qcity_store::StoreError>((obs, scores, current))
    };
    let ((obs, (_, ranked), current), tallies, reports, bulletins, before) = tokio::try_join!(
        with_observations,
        qcity_store::obligations::tallies_sql(&state.store, &actor, today),
        qcity_store::reports::list(&state.store, &actor),
        qcity_store::bulletins::list(&state.store, &actor),
        qcity_store::obligations::district_tally(
            &state.store,
            &actor,
            crate::pages::home::month_ago(today)
        ),
    )?;
    let standings = qcity_store::indicators::evaluate(&plan, &obs, today);
    let status_counts = StatusCounts::of(standings.iter().map(|s| s.evaluation.status));
    let indicator_counts = status_counts
        .rows()
        .iter()
        .map(|(s, n)| (s.key(), crate::view::status_label(ctx.lang, s.key()), *n))
        .collect();
    let district = tallies.district();
    let overdue_total = district.overdue;
    let contents = qcity_store::indicators::content_targets(&plan);
    let content_standings = qcity_store::indicators::evaluate_contents(&plan, &obs, today);
    let risks = standings
        .into_iter()
        .chain(content_standings)
        .filter(|s| matches!(s.evaluation.status, Status::OffTrack | Status::NotMet))
        .map(|s| {
            let key = s.evaluation.status.key();
            RiskLine {
                name: plan
                    .indicators
                    .iter()
                    .chain(&contents)
                    .find(|i| i.code == s.code)
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                status: key,
                status_label: crate::view::status_label(ctx.lang, key),
                explanation: s.evaluation.explanation(lang).to_string(),
                code: s.code,
            }
        })
        .collect();
    let overdue = crate::pages::home::overdue_by_unit(&tallies, &plan);
    let worst = ranked
        .iter()
        .filter(|r| r.score.scored())
        .rev()
        .take(5)
        .map(|r| {
            (
                r.rank,
                r.unit.code.clone(),
                r.unit.name.clone(),
                pts(r.score.total),
            )
        })
        .collect();
    let (readiness, vetoed, categories) = match &current {
        Some((stage, r)) => (
            ctx.lang.t_args(
                "leader-readiness-score",
                &[
                    ("stage", ctx.lang.t(&format!("acc-stage-{stage}"))),
                    ("score", pts(r.score)),
                    ("total", pts(r.base_total + r.bonus_max)),
                    ("undecided", r.undecided.len().to_string()),
                ],
            ),
            r.vetoed,
            r.by_category
                .iter()
                .map(|c| (c.name.clone(), pts(c.earned), pts(c.max), c.undecided))
                .collect(),
        ),
        None => (String::new(), false, Vec::new()),
    };
    let report = reports
        .into_iter()
        .filter(|r| r.issued())
        .max_by(|a, b| a.issued_on.cmp(&b.issued_on).then(a.id.cmp(&b.id)))
        .map(|r| (r.id, r.title, r.issued_on));
    let bulletin = bulletins.into_iter().next();
    let headline = Some(crate::pages::home::headline(
        ctx,
        &district,
        &before,
        status_counts,
        &overdue,
        current.as_ref(),
    ));
    Ok(LeaderPage {
        ctx: ctx.page(),
        headline,
        phase,
        district,
        indicator_counts,
        risks,
        overdue_total,
        overdue,
        worst,
        period,
        bulletin,
        report,
        categories,
        readiness,
        vetoed,
    })
}

/// Unit assessment (考核) and the leaders' view.
pub static MODULE: Module = Module {
    slug: "assessment",
    schema: &qcity_store::assessment::SCHEMA,
    // Scores, schemes, windows and ratings, and the leaders' view over them, are the caller's
    // district's.
    routes: |r| {
        let r = routes(r.per_district(true));
        crate::api::assessment::routes(r).get("/leader", leader)
    },
    openapi: <crate::api::assessment::Doc as utoipa::OpenApi>::openapi,
    nav: &[
        NavEntry {
            label: "nav-assessment",
            path: "/assessment",
            order: 80,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-leader",
            path: "/leader",
            order: 90,
            shown_to: leader_or_office,
        },
    ],
};

fn leader_or_office(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Leader | Role::Office))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_tenths_add_up_to_the_shown_total() {
        let parts = [10.05, 10.05, 10.05, -2.0];
        let shown = tenths_adding_up(&parts);
        let total: f64 = parts.iter().sum();
        assert_eq!(pts(shown.iter().sum()), pts(total));
        assert_eq!(pts(total), "28.2");
        assert!(
            shown
                .iter()
                .zip(parts)
                .all(|(s, p)| (s - p).abs() < 0.1 + 1e-9)
        );
        assert_eq!(tenths_adding_up(&[27.0, 14.0, 0.0]), vec![27.0, 14.0, 0.0]);
    }
}

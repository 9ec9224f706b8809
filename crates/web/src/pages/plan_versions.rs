//! Plan versions: history with readable diffs, import of an edited plan (TOML or the Excel
//! workbook, also as saved by LibreOffice) through a preview the office confirms, and
//! downloads of the current plan.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Routes};
use crate::view::local_time;
use crate::view::require_plan;
use crate::view::{PageCtx, render, unprocessable};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use qcity_domain::plan::{ChangedValue, Deadline, Plan, PlanDiff, default_plan};
use qcity_domain::role::Role;
use qcity_store::plan::{self as plan_store, Staged, VersionInfo};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(r: Routes) -> Routes {
    r.get("/plan/versions", versions)
        .upload("/plan/import", BodyLimit::Import, import)
        .get("/plan/import/{id}", preview)
        .post("/plan/import/{id}/apply", apply)
        .post("/plan/import/{id}/discard", discard)
        .get("/plan/export.xlsx", export_xlsx)
        .get("/plan/export.toml", export_toml)
}

#[derive(Template)]
#[template(path = "plan_versions.html")]
struct VersionsPage {
    ctx: PageCtx,
    versions: Vec<VersionView>,
    problems: Vec<String>,
    imported: String,
}

/// A version as the history shows it: when it took effect and its changes in words.
struct VersionView {
    v: VersionInfo,
    at: String,
    changes: Vec<ChangeLine>,
}

#[derive(Deserialize, Default)]
struct ImportedQuery {
    #[serde(default)]
    imported: String,
}

async fn versions_view(
    state: &AppState,
    ctx: &Ctx,
    problems: Vec<String>,
    imported: String,
) -> Result<Response, AppError> {
    // Unit codes in old versions are named as the current plan names them.
    let names = match state.plan_of(ctx.actor().owner_id).await? {
        Some((_, p)) => unit_names(&[&p]),
        None => HashMap::new(),
    };
    let versions = plan_store::versions(&state.store, &ctx.actor())
        .await?
        .into_iter()
        .map(|v| {
            // The business date it took effect; versions stored before that was kept show
            // the day they were imported.
            let at = v
                .effective_on
                .clone()
                .unwrap_or_else(|| local_time(&v.created_at));
            let changes = if v.version > 1 {
                changes_in_words(&v.diff, &names, ctx)
            } else {
                vec![]
            };
            VersionView { v, at, changes }
        })
        .collect();
    Ok(render(&VersionsPage {
        ctx: ctx.page(),
        versions,
        problems,
        imported,
    }))
}

async fn versions(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ImportedQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader])?;
    versions_view(&state, &ctx, vec![], q.imported).await
}

async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    // The role is checked before the body is read: others are refused whatever they send.
    ctx.require_role(&[Role::Office])?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    if let Some(problem) = form.problem {
        return Ok(unprocessable(
            versions_view(&state, &ctx, vec![problem.message(ctx.lang)], String::new()).await?,
        ));
    }
    let Some(file) = form.file("file") else {
        return Ok(unprocessable(
            versions_view(
                &state,
                &ctx,
                vec![ctx.t("plan-import-no-file")],
                String::new(),
            )
            .await?,
        ));
    };
    let (plan, format) = match read_file(&state, &ctx, file).await? {
        Ok(read) => read,
        Err(PlanImportRefused::Busy) => {
            return Ok(crate::upload::busy(
                versions_view(&state, &ctx, vec![ctx.t("import-busy")], String::new()).await?,
            ));
        }
        Err(PlanImportRefused::Problems(problems)) => {
            return Ok(unprocessable(
                versions_view(&state, &ctx, problems, String::new()).await?,
            ));
        }
    };
    // Nothing changes yet: the office sees what the file would do and confirms it.
    match plan_store::stage(&state.store, &ctx.actor(), &plan, format, &file.name).await {
        Ok(Staged::Same { .. }) => Ok(see_other("/plan/versions?imported=same")),
        Ok(Staged::Draft { id }) => Ok(see_other(&format!("/plan/import/{id}"))),
        // A file of another district's plan: refused on the page, nothing kept.
        Err(qcity_store::StoreError::Invalid { code, .. }) => Ok(unprocessable(
            versions_view(&state, &ctx, vec![ctx.t(&code)], String::new()).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Why a plan file was not imported.
pub enum PlanImportRefused {
    /// Every slot of the import pool stayed busy.
    Busy,
    /// The file's problems, each with its place, in the reader's language.
    Problems(Vec<String>),
}

/// Reads and checks a plan file (TOML or the workbook) against the current plan: the plan and
/// the file's format, or why it cannot be imported. The page and the API read alike.
pub async fn read_file(
    state: &AppState,
    ctx: &Ctx,
    file: &crate::upload::SpooledFile,
) -> Result<Result<(Plan, &'static str), PlanImportRefused>, AppError> {
    // A workbook is read on top of the caller's own plan (its district's, or its city's).
    let base = match state.plan_of(ctx.actor().owner_id).await? {
        Some((_, p)) => (*p).clone(),
        None => default_plan(),
    };
    let lang = crate::view::target_lang(&ctx.page());
    // Read in a slot of the import pool, on a blocking thread.
    let Ok(_slot) = state.imports.acquire().await else {
        return Ok(Err(PlanImportRefused::Busy));
    };
    let measures = state.store.measures();
    let (read, is_xlsx) = crate::upload::read_blocking(Some(file), move |bytes| {
        (
            qcity_exchange::read_plan(bytes, &base, &measures),
            qcity_exchange::is_xlsx(bytes),
        )
    })
    .await?;
    match read {
        Ok((plan, _warnings)) => Ok(Ok((plan, if is_xlsx { "xlsx" } else { "toml" }))),
        Err(diags) => {
            let problems = diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| {
                    let line = d
                        .line
                        .map(|l| format!(" ({} {l})", ctx.t("plan-line")))
                        .unwrap_or_default();
                    format!("{}{line}: {}", d.path, d.message(lang))
                })
                .collect();
            Ok(Err(PlanImportRefused::Problems(problems)))
        }
    }
}

#[derive(Template)]
#[template(path = "plan_preview.html")]
struct PreviewPage {
    ctx: PageCtx,
    draft_id: i64,
    source_name: String,
    created_by: String,
    created_at: String,
    p: plan_store::Preview,
    next_version: i64,
    changes: Vec<ChangeLine>,
    /// The plan changed since the office last saw this preview.
    stale: bool,
}

impl PreviewPage {
    fn rate(&self, t: &qcity_domain::supervision::Tally) -> String {
        t.completion_text()
    }
    fn on_time(&self, t: &qcity_domain::supervision::Tally) -> String {
        t.on_time_text()
    }
}

async fn preview_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    stale: bool,
) -> Result<Response, AppError> {
    let draft = plan_store::draft(&state.store, &ctx.actor(), id).await?;
    let p = plan_store::preview(&state.store, &ctx.actor(), &draft.plan, ctx.today).await?;
    let changes = changes_in_words(
        &p.diff,
        &unit_names_with_current(state, ctx, &draft.plan).await?,
        ctx,
    );
    Ok(render(&PreviewPage {
        ctx: ctx.page(),
        draft_id: draft.id,
        source_name: draft.source_name,
        created_by: draft.created_by,
        created_at: local_time(&draft.created_at),
        next_version: p.base_version + 1,
        p,
        changes,
        stale,
    }))
}

async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    preview_view(&state, &ctx, id, false).await
}

/// Text, so any body parses and the role is checked before the form is judged.
#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    base_version: String,
}

async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let Ok(base) = f.base_version.trim().parse::<i64>() else {
        return Err(AppError::Validation(vec![(
            "base_version".into(),
            "error-json-invalid".into(),
        )]));
    };
    match plan_store::apply_draft(&state.store, &ctx.actor(), id, base, ctx.today).await {
        Ok(imported) => {
            let flag = if imported.created {
                imported.version.to_string()
            } else {
                "same".to_string()
            };
            Ok(see_other(&format!("/plan/versions?imported={flag}")))
        }
        // Someone imported a version since: show the preview against it, to confirm again.
        Err(qcity_store::StoreError::Conflict(c)) if c == plan_store::STALE_PREVIEW => Ok(
            crate::view::conflict(preview_view(&state, &ctx, id, true).await?),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn discard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    plan_store::discard(&state.store, &ctx.actor(), id).await?;
    Ok(see_other("/plan/versions"))
}

/// One change of a plan in words, with its sort (`add`, `del`, `chg`) for the page's marks.
pub struct ChangeLine {
    pub class: &'static str,
    pub text: String,
}

/// Unit codes to names as `plan` names them, then as the current version does (for units the
/// new plan removes).
pub async fn unit_names_with_current(
    state: &AppState,
    ctx: &Ctx,
    plan: &Plan,
) -> Result<HashMap<String, String>, AppError> {
    let current = state.plan_of(ctx.actor().owner_id).await?;
    let mut plans = vec![plan];
    if let Some((_, c)) = &current {
        plans.push(c);
    }
    Ok(unit_names(&plans))
}

/// Unit codes to names, the first plan that names a unit winning.
fn unit_names(plans: &[&Plan]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for p in plans {
        for u in &p.units {
            out.entry(u.code.clone()).or_insert_with(|| u.name.clone());
        }
    }
    out
}

/// Fields whose values are unit codes.
const UNIT_FIELDS: [&str; 3] = ["lead_units", "undertaking_units", "parent"];

/// A plan's differences as sentences in the reader's language: what was added, removed and
/// changed, values as a reader writes them (dates, unit names, lists joined with 、).
pub fn changes_in_words(
    d: &PlanDiff,
    units: &HashMap<String, String>,
    ctx: &Ctx,
) -> Vec<ChangeLine> {
    let kind = |k: &str| ctx.t(&format!("plan-kind-{k}"));
    let mut out = Vec::new();
    for (class, key, list) in [
        ("add", "plan-change-added", &d.added),
        ("del", "plan-change-removed", &d.removed),
    ] {
        for c in list {
            let summary = c.new.as_deref().or(c.old.as_deref()).unwrap_or_default();
            out.push(ChangeLine {
                class,
                text: ctx.lang.t_args(
                    key,
                    &[
                        ("kind", kind(&c.kind)),
                        ("code", c.code.clone()),
                        ("summary", shorten(summary, 60)),
                    ],
                ),
            });
        }
    }
    for c in &d.changed {
        let field = c.field.clone().unwrap_or_default();
        let unit_field = UNIT_FIELDS.contains(&field.as_str());
        let words = |v: ChangedValue| value_in_words(v, unit_field, units, ctx);
        out.push(ChangeLine {
            class: "chg",
            text: ctx.lang.t_args(
                "plan-change-changed",
                &[
                    ("kind", kind(&c.kind)),
                    ("code", c.code.clone()),
                    ("field", ctx.t(&format!("plan-field-{field}"))),
                    ("old", words(c.old_value())),
                    ("new", words(c.new_value())),
                ],
            ),
        });
    }
    out
}

fn value_in_words(
    v: ChangedValue,
    unit_codes: bool,
    units: &HashMap<String, String>,
    ctx: &Ctx,
) -> String {
    match v {
        ChangedValue::Absent => ctx.t("plan-value-absent"),
        ChangedValue::Text(t) if t.is_empty() => ctx.t("plan-value-absent"),
        ChangedValue::Text(t) => shorten(&t, 120),
        ChangedValue::List(items) if items.is_empty() => ctx.t("plan-value-absent"),
        ChangedValue::List(items) => items
            .iter()
            .map(|i| match units.get(i) {
                Some(name) if unit_codes => name.clone(),
                _ => shorten(i, 60),
            })
            .collect::<Vec<_>>()
            .join("、"),
        ChangedValue::Deadline(d) => deadline_in_words(&d, ctx),
    }
}

/// A deadline as the plan's reader says it.
fn deadline_in_words(d: &Deadline, ctx: &Ctx) -> String {
    match d {
        Deadline::Date { date } => ctx
            .lang
            .t_args("plan-deadline-date", &[("date", date.to_string())]),
        Deadline::Range { from, to } => ctx.lang.t_args(
            "plan-deadline-range",
            &[("from", from.to_string()), ("to", to.to_string())],
        ),
        Deadline::Recurring { times, first, .. } => ctx.lang.t_args(
            "plan-deadline-recurring",
            &[("times", times.to_string()), ("first", first.to_string())],
        ),
    }
}

/// The first `max` characters of a text, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

async fn export_xlsx(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (version, plan) = require_plan(&state, &ctx).await?;
    // The 备注 columns (transcription notes) in the reader's language.
    let bytes = qcity_exchange::plan_to_xlsx_in(&plan, ctx.lang.domain())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::view::attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}-v{version}.xlsx", plan.plan.code),
    ))
}

async fn export_toml(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (version, plan) = require_plan(&state, &ctx).await?;
    Ok(crate::view::attachment(
        plan.to_toml().into_bytes(),
        "application/toml; charset=utf-8",
        &format!("{}-v{version}.toml", plan.plan.code),
    ))
}

impl From<PlanImportRefused> for AppError {
    /// The API's answer: 503 when busy, else 422 with each problem under `file`.
    fn from(r: PlanImportRefused) -> Self {
        match r {
            PlanImportRefused::Busy => AppError::Unavailable,
            PlanImportRefused::Problems(problems) => AppError::Validation(
                problems
                    .into_iter()
                    .map(|p| ("file".to_string(), p))
                    .collect(),
            ),
        }
    }
}

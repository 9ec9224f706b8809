//! Plan versions: history with readable diffs, import of an edited plan (TOML or the Excel
//! workbook, also as saved by LibreOffice), and downloads of the current plan.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Routes};
use crate::view::local_time;
use crate::view::require_plan;
use crate::view::{PageCtx, render, unprocessable};
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::response::Response;
use qcity_domain::plan::default_plan;
use qcity_domain::role::Role;
use qcity_store::plan::{self as plan_store, VersionInfo};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/plan/versions", versions)
        .upload("/plan/import", BodyLimit::Import, import)
        .get("/plan/export.xlsx", export_xlsx)
        .get("/plan/export.toml", export_toml)
}

#[derive(Template)]
#[template(path = "plan_versions.html")]
struct VersionsPage {
    ctx: PageCtx,
    versions: Vec<(VersionInfo, String)>,
    problems: Vec<String>,
    imported: String,
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
    let versions = plan_store::versions(&state.store)
        .await?
        .into_iter()
        .map(|v| {
            // The business date it took effect; versions stored before that was kept show
            // the day they were imported.
            let at = v
                .effective_on
                .clone()
                .unwrap_or_else(|| local_time(&v.created_at));
            (v, at)
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
    let imported = match import_file(&state, &ctx, file).await? {
        Ok(imported) => imported,
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
    let flag = if imported.created {
        imported.version.to_string()
    } else {
        "same".to_string()
    };
    Ok(see_other(&format!("/plan/versions?imported={flag}")))
}

/// Why a plan file was not imported.
pub enum PlanImportRefused {
    /// Every slot of the import pool stayed busy.
    Busy,
    /// The file's problems, each with its place, in the reader's language.
    Problems(Vec<String>),
}

/// Reads a plan file (TOML or the workbook) against the current plan and imports it as a new
/// version: the page and the API do the same.
pub async fn import_file(
    state: &AppState,
    ctx: &Ctx,
    file: &crate::upload::SpooledFile,
) -> Result<Result<plan_store::Imported, PlanImportRefused>, AppError> {
    let name = file.name.clone();
    let base = match state.plan().await? {
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
    let plan = match read {
        Ok((plan, _warnings)) => plan,
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
            return Ok(Err(PlanImportRefused::Problems(problems)));
        }
    };
    let format = if is_xlsx { "xlsx" } else { "toml" };
    Ok(Ok(plan_store::import(
        &state.store,
        &ctx.actor(),
        &plan,
        format,
        &name,
        ctx.today,
    )
    .await?))
}

async fn export_xlsx(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (version, plan) = require_plan(&state).await?;
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
    let (version, plan) = require_plan(&state).await?;
    Ok(crate::view::attachment(
        plan.to_toml().into_bytes(),
        "application/toml; charset=utf-8",
        &format!("{}-v{version}.toml", plan.plan.code),
    ))
}

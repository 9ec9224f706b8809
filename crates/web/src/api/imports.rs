//! Registry files through the import queue, for integrations: send a file (multipart, streamed
//! to disk, up to the import limit), get a job back at once, and read the job until it is done.
//! The same queue, rules and rights as the import pages.

use crate::AppState;
use crate::api::ErrorDto;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::imports::registry_file;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use qcity_store::import_queue::{self, Job, Outcome};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub fn routes(r: crate::module::Routes) -> crate::module::Routes {
    r.upload(
        "/api/v1/imports/{kind}",
        crate::module::BodyLimit::Import,
        submit,
    )
    .get("/api/v1/imports/jobs/{id}", get)
}

#[derive(OpenApi)]
#[openapi(
    paths(submit, get),
    components(schemas(ImportJobDto, ImportProblemDto, ImportUploadDto, ErrorDto))
)]
pub struct ImportsDoc;

/// The multipart form of an import: one file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUploadDto {
    /// The registry file (XLSX or CSV), laid out as the registry's template.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A refused row (or the refused file, without a line).
#[derive(Serialize, ToSchema)]
pub struct ImportProblemDto {
    pub line: Option<usize>,
    /// In the caller's language (Accept-Language).
    pub message: String,
    /// `error`, or `warning` for a note that left the row in.
    pub severity: String,
}

/// An import job: where it is and, when done, what it did.
#[derive(Serialize, ToSchema)]
pub struct ImportJobDto {
    pub id: i64,
    /// The registry: `sampling` or `enterprises`.
    pub kind: String,
    /// The file's name as sent.
    pub source: String,
    /// `queued`, `running`, `done` (the file was read; some rows may be refused) or `failed`
    /// (refused whole or stopped: nothing was written).
    pub state: String,
    /// Rows read so far (while running) or in all (when done).
    pub rows_read: i64,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// What else changed: enterprises registered on the way (sampling), licences (enterprises).
    pub side: usize,
    /// Refused rows in all (those listed are at most the first 1,000).
    pub problems_total: usize,
    pub problems: Vec<ImportProblemDto>,
    pub queued_at: String,
    pub finished_at: Option<String>,
}

fn dto(state: &AppState, ctx: &Ctx, job: Job) -> ImportJobDto {
    let lang = crate::pages::enterprises::dl(ctx);
    let problem = |d: &qcity_domain::plan::Diagnostic| ImportProblemDto {
        line: d.line,
        message: d.message(lang).to_string(),
        severity: if d.is_error() { "error" } else { "warning" }.into(),
    };
    let rows_read = state
        .import_queue
        .rows(job.id)
        .map_or(job.rows_done, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut out = ImportJobDto {
        id: job.id,
        kind: job.kind,
        source: job.source,
        state: job.state.code().into(),
        rows_read,
        created: 0,
        updated: 0,
        unchanged: 0,
        side: 0,
        problems_total: 0,
        problems: vec![],
        queued_at: job.created_at,
        finished_at: job.finished_at,
    };
    match &job.outcome {
        Some(Outcome::Imported {
            report,
            problems,
            warnings,
        }) => {
            out.created = report.created;
            out.updated = report.updated;
            out.unchanged = report.unchanged;
            out.side = report.side;
            out.problems_total = report.problems_total;
            out.problems = warnings.iter().chain(problems).map(problem).collect();
        }
        Some(Outcome::Refused { problem: d }) | Some(Outcome::Stopped { problem: d }) => {
            out.problems_total = 1;
            out.problems = vec![problem(d)];
        }
        None => {}
    }
    out
}

/// Queues a registry file for import; answers at once with the job (202), whose `Location`
/// is the job to read until its state is `done` or `failed`.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports",
    params(("kind" = String, Path, description = "the registry: `sampling` or `enterprises`")),
    request_body(content = ImportUploadDto, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportJobDto), (status = 404, body = ErrorDto)))]
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(kind): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    let rf = registry_file(&kind).ok_or(AppError::NotFound)?;
    let actor = ctx.actor();
    qcity_store::enterprises::require_writer(&state.store, &actor, rf.kind).await?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    let file = form.into_api_file("file", "import-choose-file")?;
    let id = crate::import_queue::submit(&state, &actor, rf.kind, file, ctx.today).await?;
    let job = import_queue::get(&state.store, &actor, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/imports/jobs/{id}"))],
        Json(dto(&state, &ctx, job)),
    )
        .into_response())
}

/// An import job, for the account that sent the file or the office.
#[utoipa::path(get, path = "/api/v1/imports/jobs/{id}", tag = "imports",
    params(("id" = i64, Path, description = "the job's id, as `submit` answered")),
    responses((status = 200, body = ImportJobDto), (status = 404, body = ErrorDto)))]
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ImportJobDto>, AppError> {
    ctx.user()?;
    let job = import_queue::get(&state.store, &ctx.actor(), id).await?;
    Ok(Json(dto(&state, &ctx, job)))
}

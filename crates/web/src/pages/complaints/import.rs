//! Bulk import of tickets from the spreadsheets other hotline systems export (XLSX or CSV): the
//! office's upload page with the template, the file handed to the import queue, whose page
//! shows the progress and then what the import did (`crate::pages::import_jobs`). A file with
//! a refused row saves nothing; the rows are listed with their line and reason.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::{BodyLimit, Routes};
use crate::pages::import_jobs::RecentLine;
use crate::view::{PageCtx, attachment, render};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use qcity_domain::role::Role;

/// The import queue's registry (`crate::imports::REGISTRY_FILES`).
const KIND: &str = "complaints";

pub fn routes(r: Routes) -> Routes {
    r.get("/complaints/import", page)
        .get("/complaints/import/template.xlsx", template)
        .upload("/complaints/import", BodyLimit::Import, upload)
}

#[derive(Template)]
#[template(path = "complaint_import.html")]
struct ImportPage {
    ctx: PageCtx,
    recent: Vec<RecentLine>,
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let recent = crate::pages::import_jobs::recent_lines(&state, &ctx, KIND, None).await?;
    Ok(render(&ImportPage {
        ctx: ctx.page(),
        recent,
    }))
}

async fn template(ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let bytes =
        qcity_exchange::complaint_template_xlsx().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "complaint-template.xlsx",
    ))
}

/// Hands the file to the import queue; its page shows the progress, then what it did.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let rf = crate::imports::registry_file(KIND).ok_or(AppError::NotFound)?;
    crate::pages::import_jobs::queue_upload(&state, &ctx, rf, req).await
}

//! The import queue's pages: a registry page hands its uploaded file to the queue
//! ([`queue_upload`]) and sends the user to the file's own page, which shows its place in the
//! queue, the rows read so far (refreshing itself while the file is read), and then what the
//! import did — the same counts and refused lines the import page always showed.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::imports::{RegistryFile, registry_file};
use crate::middleware::see_other;
use crate::module::Module;
use crate::pages::enterprises::{ImportPage, dl, problem_lines};
use crate::view::{PageCtx, local_time, render, unprocessable};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use qcity_store::import_queue::{self, Job, JobState, Outcome};
use std::time::Duration;

/// How long the upload waits for its file to be read before showing the progress page: a
/// small file's result then appears at once.
const QUICK_WAIT: Duration = Duration::from_secs(2);

/// The import queue: its table, its pages and API operations; no navigation entry (a job is
/// reached from the import that queued it).
pub static MODULE: Module = Module {
    slug: "imports",
    schema: &qcity_store::import_queue::SCHEMA,
    routes: |r| {
        // Each district's office imports into its own registers and sees its own jobs.
        let r = r.per_district(true).get("/imports/{id}", job_page);
        crate::api::imports::routes(r)
    },
    openapi: <crate::api::imports::ImportsDoc as utoipa::OpenApi>::openapi,
    nav: &[],
};

/// Reads an upload form for registry file `rf` and queues its file; a refused form gets the
/// registry's import page with the reason (422), a queued file a redirect to its page.
pub async fn queue_upload(
    state: &AppState,
    ctx: &Ctx,
    rf: &'static RegistryFile,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let form = crate::upload::read_form(req, state, state.config.max_import_bytes as u64).await?;
    let refused = |message: String| {
        unprocessable(render(&ImportPage {
            ctx: ctx.page(),
            title: ctx.t(rf.title),
            back: rf.back.into(),
            back_label: ctx.t(rf.back_label),
            counts: vec![],
            problems: vec![message],
            imported: false,
        }))
    };
    if let Some(problem) = form.problem {
        return Ok(refused(problem.message(ctx.lang)));
    }
    let Some(file) = form.into_file("file") else {
        return Ok(refused(ctx.t("import-choose-file")));
    };
    let actor = ctx.actor();
    let id = crate::import_queue::submit(state, &actor, rf.kind, file, ctx.today).await?;
    crate::import_queue::wait_finished(state, &actor, id, QUICK_WAIT).await;
    Ok(see_other(&format!("/imports/{id}")))
}

/// One of the user's recent imports, as a line of the list.
pub struct RecentLine {
    pub href: String,
    pub source: String,
    pub when: String,
    pub status: String,
}

/// The caller's latest imports into registry `kind` (everybody's for the office), for the
/// registry page: a file left to run in the background is found again there.
pub async fn recent_lines(
    state: &AppState,
    ctx: &Ctx,
    kind: &str,
    skip: Option<i64>,
) -> Result<Vec<RecentLine>, AppError> {
    Ok(import_queue::recent(&state.store, &ctx.actor(), kind, 6)
        .await?
        .into_iter()
        .filter(|j| Some(j.id) != skip)
        .take(5)
        .map(|j| RecentLine {
            href: format!("/imports/{}", j.id),
            when: local_time(&j.created_at),
            status: state_label(ctx, &j),
            source: j.source,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    ctx: PageCtx,
    title: String,
    source: String,
    size: String,
    queued_at: String,
    back: String,
    back_label: String,
    /// While the file waits or is read: where it is, in words; the page then refreshes itself.
    progress: String,
    open: bool,
    counts: Vec<(String, usize)>,
    problems: Vec<String>,
    imported: bool,
    recent: Vec<RecentLine>,
}

async fn job_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let job = import_queue::get(&state.store, &ctx.actor(), id).await?;
    let rf = registry_file(&job.kind).ok_or(AppError::NotFound)?;
    let progress = match job.state {
        JobState::Queued => ctx.lang.t_args(
            "import-queued",
            &[(
                "n",
                import_queue::ahead_of(&state.store, id).await?.to_string(),
            )],
        ),
        JobState::Running => ctx.lang.t_args(
            "import-running",
            &[("rows", rows_read(&state, &job).to_string())],
        ),
        JobState::Done | JobState::Failed => String::new(),
    };
    let (counts, problems, imported, failed) = outcome_lines(&ctx, rf, &job);
    let recent = recent_lines(&state, &ctx, &job.kind, Some(job.id)).await?;
    let page = render(&JobPage {
        ctx: ctx.page(),
        title: ctx.t(rf.title),
        size: crate::upload::size_text(job.size_bytes.max(0) as u64),
        queued_at: local_time(&job.created_at),
        back: rf.back.into(),
        back_label: ctx.t(rf.back_label),
        open: job.state.is_open(),
        progress,
        counts,
        problems,
        imported,
        recent,
        source: job.source,
    });
    // A file refused whole, or of which no row was imported, is not a success.
    Ok(if failed { unprocessable(page) } else { page })
}

/// Rows read so far: this server's live count while it runs the job, else the last heartbeat.
fn rows_read(state: &AppState, job: &Job) -> u64 {
    state
        .import_queue
        .rows(job.id)
        .unwrap_or(job.rows_done.max(0) as u64)
}

fn state_label(ctx: &Ctx, job: &Job) -> String {
    match (&job.state, &job.outcome) {
        (JobState::Queued, _) => ctx.t("import-state-queued"),
        (JobState::Running, _) => ctx.t("import-state-running"),
        (JobState::Done, Some(Outcome::Imported { report, .. })) => ctx.lang.t_args(
            "import-state-done",
            &[(
                "n",
                (report.created + report.updated + report.unchanged).to_string(),
            )],
        ),
        _ => ctx.t("import-state-failed"),
    }
}

/// The finished job's counts and refused lines, whether any row was imported, and whether it
/// failed (nothing imported and something refused).
fn outcome_lines(
    ctx: &Ctx,
    rf: &RegistryFile,
    job: &Job,
) -> (Vec<(String, usize)>, Vec<String>, bool, bool) {
    let lang = dl(ctx);
    match &job.outcome {
        None => (vec![], vec![], false, false),
        Some(Outcome::Refused { problem }) | Some(Outcome::Stopped { problem }) => {
            (vec![], vec![problem.message(lang).to_string()], false, true)
        }
        Some(Outcome::Imported {
            report,
            problems,
            warnings,
        }) => {
            let mut all = warnings.clone();
            all.extend(problems.iter().cloned());
            let mut lines = problem_lines(all, lang);
            if report.problems_total > problems.len() {
                lines.push(ctx.lang.t_args(
                    "smp-import-more",
                    &[("n", (report.problems_total - problems.len()).to_string())],
                ));
            }
            let counts = vec![
                (ctx.t("reg-import-created"), report.created),
                (ctx.t("reg-import-updated"), report.updated),
                (ctx.t("reg-import-unchanged"), report.unchanged),
                (ctx.t(rf.side_label), report.side),
            ];
            let any = report.created + report.updated + report.unchanged > 0;
            let failed = !any && !lines.is_empty();
            (counts, lines, any, failed)
        }
    }
}

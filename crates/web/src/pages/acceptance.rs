//! 创建验收自查: the four acceptance stages, each judged on its own copy of the score sheet,
//! with QCity's proposed points and reasoning, reviewers' decisions, the readiness score and
//! what is still missing by unit; and the sheet itself (export, import, edit).
//!
//! Everyone signed in reads; only the office (acting as reviewer) changes anything.

use crate::AppState;
use crate::charts::trim_number;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Module, NavEntry, Routes, office_and_leaders, signed_in};
use crate::view::target_lang;
use crate::view::{PageCtx, render, unprocessable};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use qcity_domain::acceptance::{self, Readiness, Sheet};
use qcity_domain::plan::{Diagnostic, Plan};
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::acceptance::{self as store, NewRectification, STAGES, Verdict};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/acceptance", index)
        .get("/acceptance/sheet", sheet_page)
        .post("/acceptance/sheet", save_toml)
        .get("/acceptance/sheet.xlsx", export_xlsx)
        .upload("/acceptance/sheet/import", BodyLimit::Import, import_xlsx)
        .get("/acceptance/{stage}", stage_page)
        .post("/acceptance/{stage}/open", open)
        .post("/acceptance/{stage}/date", set_date)
        .post("/acceptance/{stage}/decide", decide)
        .post("/acceptance/{stage}/findings", add_finding)
        .post("/acceptance/{stage}/findings/{id}/delete", remove_finding)
        .post("/acceptance/{stage}/rectifications", add_rectification)
        .post(
            "/acceptance/{stage}/rectifications/{id}/done",
            rectification_done,
        )
}

fn stage_label(ctx: &Ctx, code: &str) -> String {
    ctx.t(&format!("acc-stage-{code}"))
}

fn check_stage(code: &str) -> Result<(), AppError> {
    if STAGES.contains(&code) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// A readiness score as the pages show it.
pub struct ReadinessView {
    pub score: String,
    pub base_earned: String,
    pub base_total: String,
    pub bonus: String,
    pub bonus_max: String,
    pub percent: String,
    pub vetoed: bool,
    pub vetoed_by: String,
    pub undecided: usize,
}

impl ReadinessView {
    /// `sep` joins the vetoed criteria (the language's list separator).
    pub fn new(r: &Readiness, sep: &str) -> ReadinessView {
        ReadinessView {
            score: trim_number(r.score),
            base_earned: trim_number(r.base_earned),
            base_total: trim_number(r.base_total),
            bonus: trim_number(r.bonus),
            bonus_max: trim_number(r.bonus_max),
            percent: format!("{:.1}", r.percent()),
            vetoed: r.vetoed,
            vetoed_by: r.vetoed_by.join(sep),
            undecided: r.undecided.len(),
        }
    }
}

// ------------------------------------------------------------------ index

pub struct StageRow {
    pub code: String,
    pub label: String,
    pub opened: bool,
    pub held_on: String,
    pub sheet_name: String,
    pub readiness: Option<ReadinessView>,
}

#[derive(Template)]
#[template(path = "acceptance.html")]
struct IndexPage {
    ctx: PageCtx,
    stages: Vec<StageRow>,
    current: Option<(String, ReadinessView)>,
    sheet_name: String,
    assumption: bool,
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let mut stages = Vec::new();
    for s in store::stages(&state.store, &actor).await? {
        let readiness = store::stage_readiness(&state.store, &actor, &s.code, ctx.today)
            .await?
            .map(|r| ReadinessView::new(&r, &ctx.t("list-comma")));
        stages.push(StageRow {
            label: stage_label(&ctx, &s.code),
            opened: s.opened.is_some(),
            held_on: s
                .opened
                .as_ref()
                .map(|o| o.held_on.clone())
                .unwrap_or_default(),
            sheet_name: s.opened.map(|o| o.sheet.name).unwrap_or_default(),
            code: s.code,
            readiness,
        });
    }
    let current = store::readiness(&state.store, &actor, ctx.today)
        .await?
        .map(|(code, r)| {
            (
                stage_label(&ctx, &code),
                ReadinessView::new(&r, &ctx.t("list-comma")),
            )
        });
    let (sheet, _) = store::sheet_in_force(&state.store, &actor).await?;
    Ok(render(&IndexPage {
        ctx: ctx.page(),
        stages,
        current,
        sheet_name: sheet.name.clone(),
        assumption: sheet.assumption,
    }))
}

#[derive(Deserialize)]
struct DateForm {
    #[serde(default)]
    held_on: String,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, AppError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Validation(vec![("held_on".into(), "acc-error-date".into())]))
}

async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    axum::Form(f): axum::Form<DateForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let date = if f.held_on.trim().is_empty() {
        ctx.today
    } else {
        parse_date(&f.held_on)?
    };
    store::open_stage(&state.store, &ctx.actor(), &stage, date).await?;
    Ok(see_other(&format!("/acceptance/{stage}")))
}

async fn set_date(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    axum::Form(f): axum::Form<DateForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let date = parse_date(&f.held_on)?;
    store::set_stage_date(&state.store, &ctx.actor(), &stage, date).await?;
    Ok(see_other(&format!("/acceptance/{stage}")))
}

// ------------------------------------------------------------------ stage

pub struct DecisionView {
    pub points: String,
    pub veto_failed: bool,
    pub overridden: bool,
    pub comment: String,
    pub by: String,
    pub at: String,
}

pub struct CriterionView {
    pub code: String,
    pub text: String,
    pub max: String,
    pub rule_label: String,
    pub rule_text: String,
    pub veto: bool,
    pub proposed: String,
    /// The proposed points exactly, sent back with a confirmation.
    pub proposed_exact: String,
    pub proposal_vetoed: bool,
    pub needs_review: bool,
    pub reasoning: String,
    pub units: String,
    pub decision: Option<DecisionView>,
}

pub struct ItemView {
    pub code: String,
    pub name: String,
    pub criteria: Vec<CriterionView>,
}

pub struct CategoryView {
    pub code: String,
    pub name: String,
    pub earned: String,
    pub max: String,
    pub bonus: String,
    pub bonus_max: String,
    pub has_bonus: bool,
    pub undecided: usize,
    pub items: Vec<ItemView>,
}

pub struct GapView {
    pub criterion: String,
    pub text: String,
    pub at_stake: String,
    pub veto: bool,
    pub decided: bool,
    pub missing: String,
}

pub struct UnitGapView {
    pub unit: String,
    pub at_stake: String,
    pub vetoes: usize,
    pub gaps: Vec<GapView>,
}

pub struct RectificationView {
    pub id: i64,
    pub body: String,
    pub unit: String,
    pub deadline: String,
    pub content_code: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "acceptance_stage.html")]
struct StagePage {
    ctx: PageCtx,
    code: String,
    label: String,
    opened: bool,
    held_on: String,
    opened_by: String,
    sheet_name: String,
    assumption: bool,
    note: String,
    can_decide: bool,
    categories: Vec<CategoryView>,
    readiness: ReadinessView,
    projected: ReadinessView,
    by_unit: Vec<UnitGapView>,
    findings: Vec<store::Finding>,
    rectifications: Vec<RectificationView>,
    units: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl StagePage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn unit_name(plan: Option<&Plan>, code: &str) -> String {
    plan.and_then(|p| p.unit(code))
        .map(|u| u.name.clone())
        .unwrap_or_else(|| code.to_string())
}

async fn stage_view(
    state: &AppState,
    ctx: &Ctx,
    stage: &str,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    check_stage(stage)?;
    let actor = ctx.actor();
    let lang = target_lang(&ctx.page());
    // The caller's district's plan (unit names); the stage still shows without one.
    let plan = state.plan_of(actor.owner_id).await?.map(|(_, p)| p);
    let opened = store::stage(&state.store, &actor, stage).await?;
    // A stage not opened yet previews the sheet in force with today's proposals.
    let (sheet, stage_id, held_on, opened_by) = match &opened {
        Some(s) => (
            s.sheet.clone(),
            Some(s.id),
            s.held_on.clone(),
            s.opened_by.clone(),
        ),
        None => (
            store::sheet_in_force(&state.store, &actor).await?.0,
            None,
            String::new(),
            String::new(),
        ),
    };
    let decided = match stage_id {
        Some(id) => store::decisions(&state.store, &actor, id).await?,
        None => Vec::new(),
    };
    let proposals = store::proposals(&state.store, &actor, &sheet, ctx.today).await?;
    let decisions: Vec<acceptance::Decision> = decided
        .iter()
        .map(store::DecisionRecord::decision)
        .collect();
    let readiness = acceptance::readiness(&sheet, &decisions);
    let projected = store::projected(&sheet, &decided, &proposals);
    let categories = sheet
        .categories
        .iter()
        .zip(&readiness.by_category)
        .map(|(cat, cr)| CategoryView {
            code: cat.code.clone(),
            name: cat.name.clone(),
            earned: trim_number(cr.earned),
            max: trim_number(cr.max),
            bonus: trim_number(cr.bonus),
            bonus_max: trim_number(cr.bonus_max),
            has_bonus: cr.bonus_max > 0.0,
            undecided: cr.undecided,
            items: cat
                .items
                .iter()
                .map(|item| ItemView {
                    code: item.code.clone(),
                    name: item.name.clone(),
                    criteria: item
                        .criteria
                        .iter()
                        .map(|c| {
                            let p = proposals
                                .iter()
                                .find(|(code, _)| *code == c.code)
                                .map(|(_, p)| p.clone())
                                .unwrap_or_else(|| c.propose(&Default::default()));
                            CriterionView {
                                code: c.code.clone(),
                                text: c.text.clone(),
                                max: trim_number(c.max_points),
                                rule_label: c.rule.label(lang).to_string(),
                                rule_text: c.rule.to_string(),
                                veto: c.rule.is_veto(),
                                proposed: trim_number(p.points),
                                proposed_exact: p.points.to_string(),
                                proposal_vetoed: p.vetoed,
                                needs_review: p.needs_review,
                                reasoning: p.reasoning(lang).to_string(),
                                units: c
                                    .units
                                    .iter()
                                    .map(|u| unit_name(plan.as_deref(), u))
                                    .collect::<Vec<_>>()
                                    .join(&ctx.t("list-comma")),
                                decision: decided.iter().find(|d| d.criterion == c.code).map(|d| {
                                    DecisionView {
                                        points: trim_number(d.points),
                                        veto_failed: d.veto_failed,
                                        overridden: d.overridden,
                                        comment: d.comment.clone(),
                                        by: d.decided_by.clone(),
                                        at: d.decided_at.clone(),
                                    }
                                }),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let gaps = acceptance::gaps(&sheet, &decisions, &proposals);
    // Unit staff see their own unit's gaps and no other unit's open work, as everywhere else.
    let own_unit = ctx
        .user
        .as_ref()
        .filter(|u| u.role == Role::Unit)
        .map(|u| u.unit_code.clone().unwrap_or_default());
    // Open obligations are labelled "content UNIT period"; indicator codes have no unit.
    let visible = |label: &String| match &own_unit {
        Some(own) => label.split(' ').nth(1).is_none_or(|unit| unit == own),
        None => true,
    };
    let by_unit = acceptance::gaps_by_unit(&gaps)
        .into_iter()
        .filter(|u| own_unit.as_ref().is_none_or(|own| &u.unit == own))
        .map(|u| UnitGapView {
            unit: if u.unit.is_empty() {
                ctx.t("acc-gap-no-unit")
            } else {
                unit_name(plan.as_deref(), &u.unit)
            },
            at_stake: trim_number(u.at_stake),
            vetoes: u.vetoes,
            gaps: u
                .gaps
                .into_iter()
                .map(|g| GapView {
                    criterion: g.criterion,
                    text: g.text,
                    at_stake: trim_number(g.at_stake),
                    veto: g.veto,
                    decided: g.decided,
                    missing: g
                        .missing
                        .into_iter()
                        .filter(visible)
                        .collect::<Vec<_>>()
                        .join(&ctx.t("list-separator")),
                })
                .collect(),
        })
        .collect();
    let (findings, rectifications) = match stage_id {
        Some(id) => (
            store::findings(&state.store, &actor, id).await?,
            store::rectifications(&state.store, &actor, id)
                .await?
                .into_iter()
                .map(|r| RectificationView {
                    id: r.id,
                    unit: unit_name(plan.as_deref(), &r.unit_code),
                    body: r.body,
                    deadline: r.deadline,
                    content_code: r.content_code,
                    done: r.done,
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let units = plan
        .as_ref()
        .map(|p| {
            p.units
                .iter()
                .map(|u| (u.code.clone(), u.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let note = match lang {
        qcity_domain::target::Lang::ZhCn => sheet.note_zh.clone(),
        qcity_domain::target::Lang::En => sheet.note_en.clone(),
    };
    let page = render(&StagePage {
        ctx: ctx.page(),
        code: stage.to_string(),
        label: stage_label(ctx, stage),
        opened: opened.is_some(),
        held_on,
        opened_by,
        sheet_name: sheet.name.clone(),
        assumption: sheet.assumption,
        note,
        can_decide: opened.is_some() && ctx.page().is_office(),
        categories,
        readiness: ReadinessView::new(&readiness, &ctx.t("list-comma")),
        projected: ReadinessView::new(&projected, &ctx.t("list-comma")),
        by_unit,
        findings,
        rectifications,
        units,
        errors: errors
            .into_iter()
            .map(|(f, key)| (f, ctx.t(&key)))
            .collect(),
    });
    Ok(page)
}

async fn stage_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
) -> Result<Response, AppError> {
    stage_view(&state, &ctx, &stage, Vec::new()).await
}

/// Back to the stage page, or the page again with the refusal beside the form (422).
async fn after(
    state: &AppState,
    ctx: &Ctx,
    stage: &str,
    anchor: &str,
    result: Result<(), StoreError>,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/acceptance/{stage}{anchor}"))),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            stage_view(state, ctx, stage, vec![(field, code)]).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    veto: String,
    #[serde(default)]
    comment: String,
    /// The proposal the page showed: exact points, and "1" when it proposed a failed veto.
    #[serde(default)]
    shown_points: String,
    #[serde(default)]
    shown_veto: String,
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    axum::Form(f): axum::Form<DecideForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let verdict = if f.action == "override" {
        let points = if f.points.trim().is_empty() && f.veto.is_empty() {
            None
        } else if f.points.trim().is_empty() {
            Some(0.0)
        } else {
            f.points.trim().parse::<f64>().ok()
        };
        match points {
            Some(points) => Ok(Verdict::Override {
                points,
                veto_failed: f.veto == "failed",
                comment: f.comment.clone(),
            }),
            None => Err(StoreError::invalid("points", "acc-error-points-number")),
        }
    } else {
        Ok(Verdict::Confirm {
            comment: f.comment.clone(),
            shown: f
                .shown_points
                .trim()
                .parse::<f64>()
                .ok()
                .map(|p| (p, f.shown_veto == "1")),
        })
    };
    let result = match verdict {
        Ok(v) => store::decide(
            &state.store,
            &ctx.actor(),
            &stage,
            f.criterion.trim(),
            v,
            ctx.today,
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    let anchor = format!("#c-{}", crate::view::encode_component(&f.criterion));
    after(&state, &ctx, &stage, &anchor, result).await
}

#[derive(Deserialize)]
struct FindingForm {
    #[serde(default)]
    body: String,
}

async fn add_finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    axum::Form(f): axum::Form<FindingForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let r = store::add_finding(&state.store, &ctx.actor(), &stage, &f.body)
        .await
        .map(|_| ());
    after(&state, &ctx, &stage, "#findings", r).await
}

async fn remove_finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((stage, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let r = store::remove_finding(&state.store, &ctx.actor(), &stage, id).await;
    after(&state, &ctx, &stage, "#findings", r).await
}

#[derive(Deserialize)]
struct RectificationForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    content_code: String,
}

async fn add_rectification(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    axum::Form(f): axum::Form<RectificationForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let input = NewRectification {
        body: f.body,
        unit_code: f.unit_code,
        deadline: f.deadline,
        content_code: f.content_code,
    };
    let r = store::add_rectification(&state.store, &ctx.actor(), &stage, &input)
        .await
        .map(|_| ());
    after(&state, &ctx, &stage, "#rectifications", r).await
}

#[derive(Deserialize)]
struct DoneForm {
    #[serde(default)]
    done: String,
}

async fn rectification_done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((stage, id)): Path<(String, i64)>,
    axum::Form(f): axum::Form<DoneForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    check_stage(&stage)?;
    let r =
        store::set_rectification_done(&state.store, &ctx.actor(), &stage, id, f.done == "1").await;
    after(&state, &ctx, &stage, "#rectifications", r).await
}

// ------------------------------------------------------------------ sheet

pub struct CategorySummary {
    pub code: String,
    pub name: String,
    pub total: String,
    pub criteria: usize,
}

#[derive(Template)]
#[template(path = "acceptance_sheet.html")]
struct SheetPage {
    ctx: PageCtx,
    name: String,
    note: String,
    assumption: bool,
    source: String,
    base_total: String,
    bonus_total: String,
    categories: Vec<CategorySummary>,
    toml: String,
    /// Set after an import or a save: true when the new sheet is in force.
    saved: Option<bool>,
    problems: Vec<String>,
}

async fn sheet_view(
    state: &AppState,
    ctx: &Ctx,
    toml: Option<String>,
    saved: Option<bool>,
    problems: Vec<String>,
) -> Result<Response, AppError> {
    let lang = target_lang(&ctx.page());
    let (sheet, source) = store::sheet_in_force(&state.store, &ctx.actor()).await?;
    let source = match source {
        Some(s) => ctx.lang.t_args(
            "acc-sheet-source",
            &[
                ("kind", s.source),
                ("by", s.created_by),
                ("at", s.created_at),
            ],
        ),
        None => ctx.t("acc-sheet-default"),
    };
    let categories = sheet
        .categories
        .iter()
        .map(|c| {
            let sum: f64 = c
                .items
                .iter()
                .flat_map(|i| &i.criteria)
                .map(|c| c.max_points)
                .sum();
            CategorySummary {
                code: c.code.clone(),
                name: c.name.clone(),
                total: trim_number(c.total.unwrap_or(sum)),
                criteria: c.items.iter().map(|i| i.criteria.len()).sum(),
            }
        })
        .collect();
    Ok(render(&SheetPage {
        ctx: ctx.page(),
        name: sheet.name.clone(),
        note: match lang {
            qcity_domain::target::Lang::ZhCn => sheet.note_zh.clone(),
            qcity_domain::target::Lang::En => sheet.note_en.clone(),
        },
        assumption: sheet.assumption,
        source,
        base_total: trim_number(sheet.base_total()),
        bonus_total: trim_number(sheet.bonus_total()),
        categories,
        toml: toml.unwrap_or_else(|| sheet.to_toml()),
        saved,
        problems,
    }))
}

async fn sheet_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    sheet_view(&state, &ctx, None, None, Vec::new()).await
}

async fn export_xlsx(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (sheet, _) = store::sheet_in_force(&state.store, &ctx.actor()).await?;
    let bytes = qcity_exchange::acceptance_sheet_to_xlsx(&sheet)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::view::attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "验收评分表.xlsx",
    ))
}

fn messages(ctx: &Ctx, diags: &[Diagnostic]) -> Vec<String> {
    let lang = target_lang(&ctx.page());
    diags.iter().map(|d| d.message(lang).to_string()).collect()
}

/// Stores a checked sheet; the page shows the new sheet, or every reason it was refused.
async fn save_and_show(
    state: &AppState,
    ctx: &Ctx,
    sheet: Result<Sheet, Vec<Diagnostic>>,
    source: &str,
    toml: Option<String>,
) -> Result<Response, AppError> {
    let refused = match sheet {
        Ok(sheet) => store::save_sheet(&state.store, &ctx.actor(), &sheet, source)
            .await?
            .err(),
        Err(diags) => Some(diags),
    };
    match refused {
        None => sheet_view(state, ctx, None, Some(true), Vec::new()).await,
        Some(diags) => {
            let problems = messages(ctx, &diags);
            Ok(unprocessable(
                sheet_view(state, ctx, toml, Some(false), problems).await?,
            ))
        }
    }
}

async fn import_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    if let Some(problem) = form.problem {
        return Ok(unprocessable(
            sheet_view(
                &state,
                &ctx,
                None,
                Some(false),
                vec![problem.message(ctx.lang)],
            )
            .await?,
        ));
    }
    // Read in a slot of the import pool, on a blocking thread.
    let Ok(_slot) = state.imports.acquire().await else {
        return Ok(crate::upload::busy(
            sheet_view(&state, &ctx, None, Some(false), vec![ctx.t("import-busy")]).await?,
        ));
    };
    let sheet = crate::upload::read_blocking(
        form.file("file"),
        qcity_exchange::acceptance_sheet_from_xlsx,
    )
    .await?;
    save_and_show(&state, &ctx, sheet, "xlsx", None).await
}

#[derive(Deserialize)]
struct TomlForm {
    #[serde(default)]
    toml: String,
}

async fn save_toml(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<TomlForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let sheet = Sheet::load(&f.toml);
    save_and_show(&state, &ctx, sheet, "toml", Some(f.toml)).await
}

/// The acceptance self-check (验收自查) and its four stages.
pub static MODULE: Module = Module {
    slug: "acceptance",
    schema: &qcity_store::acceptance::SCHEMA,
    // Each district prepares its own acceptance; the city compares them.
    routes: |r| {
        let r = routes(r.per_district(true));
        let r = crate::pages::acceptance_districts::routes(r);
        crate::api::acceptance::routes(r)
    },
    openapi: <crate::api::acceptance::Doc as utoipa::OpenApi>::openapi,
    nav: &[
        NavEntry {
            label: "nav-acceptance",
            path: "/acceptance",
            order: 120,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-acceptance-districts",
            path: "/acceptance/districts",
            order: 121,
            shown_to: office_and_leaders,
        },
    ],
};

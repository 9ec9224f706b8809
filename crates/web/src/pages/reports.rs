//! 质量分析报告: half-year and yearly quality analysis reports. The office creates a draft for a
//! period, writes the narrative sections while the figures are computed live, then issues it
//! (figures frozen, numbered, immutable) and may publish it on the public portal. Every
//! signed-in role reads the archive; the report prints on A4 and downloads as .docx and PDF,
//! from the archive and, once published, from the public portal.

use crate::AppState;
use crate::charts::{Series, line_chart};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::see_other;
use crate::module::{Module, NavEntry, Routes, signed_in};
use crate::pages::indicators::target_points;
use crate::view::require_plan;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use qcity_domain::registry::{CodeList, Level};
use qcity_domain::role::Role;
use qcity_domain::target::{self, Observations};
use qcity_exchange::report::{
    DocChart, DocSection, DocTable, ReportDoc, report_to_docx, report_to_pdf,
};
use qcity_store::reports::{self, AreaFigures, Figures, PassLine, Report};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(r: Routes) -> Routes {
    r.get("/reports", list)
        .post("/reports/new", create)
        .get("/reports/{id}", show)
        .post("/reports/{id}/narrative", save_narrative)
        .post("/reports/{id}/issue", issue)
        .post("/reports/{id}/publish", publish)
        .get("/public/reports", public_list)
        .get("/public/reports/{id}", public_show)
}

/// What a report's path asks for: the page, or a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Page,
    Docx,
    Pdf,
}

/// A path id ("12"), or a path id with the Word or PDF suffix ("12.docx", "12.pdf").
fn parse_id(raw: &str) -> Result<(i64, Format), AppError> {
    let (id, format) = if let Some(id) = raw.strip_suffix(".docx") {
        (id, Format::Docx)
    } else if let Some(id) = raw.strip_suffix(".pdf") {
        (id, Format::Pdf)
    } else {
        (raw, Format::Page)
    };
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    Ok((id, format))
}

/// A report line in the archive.
struct Row {
    id: i64,
    title: String,
    period: String,
    status: String,
    number: String,
    issued_on: String,
    published: bool,
}

fn number_text(lang: Lang, r: &Report) -> String {
    let year = r.issued_on.get(..4).unwrap_or_default().to_string();
    lang.t_args(
        "report-number",
        &[("year", year), ("n", r.number.to_string())],
    )
}

fn row(lang: Lang, r: &Report) -> Row {
    Row {
        id: r.id,
        title: r.title.clone(),
        period: r.period.clone(),
        status: r.status.clone(),
        number: if r.issued() {
            number_text(lang, r)
        } else {
            String::new()
        },
        issued_on: r.issued_on.clone(),
        published: r.published,
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    public: bool,
    default_period: String,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let rows = reports::list(&state.store, &ctx.actor())
        .await?
        .iter()
        .map(|r| row(ctx.lang, r))
        .collect();
    Ok(render(&ListPage {
        default_period: chrono::Datelike::year(&ctx.today).to_string(),
        ctx: ctx.page(),
        rows,
        public: false,
    }))
}

async fn public_list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let rows = reports::public_list(&state.store)
        .await?
        .iter()
        .map(|r| row(ctx.lang, r))
        .collect();
    Ok(render(&ListPage {
        default_period: String::new(),
        ctx: ctx.page(),
        rows,
        public: true,
    }))
}

#[derive(Deserialize, Default)]
struct CreateForm {
    #[serde(default)]
    period: String,
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<CreateForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let id = reports::create(&state.store, &ctx.actor(), &plan, &f.period).await?;
    Ok(see_other(&format!("/reports/{id}")))
}

/// One indicator row as shown.
struct IndicatorRow {
    code: String,
    name: String,
    value: String,
    target: String,
    status: String,
    status_label: String,
    explanation: String,
    projection: String,
}

/// A chart of one indicator (or one of its measures): its title and the SVG drawn.
struct Chart {
    title: String,
    svg: String,
}

/// A section of the report: heading, narrative, and for an area its indicators and charts.
struct Section {
    key: String,
    heading: String,
    text: String,
    rows: Vec<IndicatorRow>,
    charts: Vec<Chart>,
    is_area: bool,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: PageCtx,
    id: i64,
    title: String,
    issuer: String,
    number: String,
    period_label: String,
    as_of: String,
    issued: bool,
    published: bool,
    issued_line: String,
    row_version: i64,
    sections: Vec<Section>,
    sampling_total: String,
    /// (caption, lines): by product category, by sampling level.
    sampling_tables: Vec<(String, Vec<PassLine>)>,
    progress: qcity_store::reports::Progress,
    /// Public portal view: no forms, no Word link.
    public: bool,
    can_edit: bool,
}

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The charts of an area's indicators, drawn from the report's figures (frozen when issued)
/// against the target expression as it stood. The page and the Word document show the same.
fn charts(lang: Lang, area: &AreaFigures, deadline: i32) -> Vec<Chart> {
    let (actual_label, target_label) = (lang.t("ind-chart-actual"), lang.t("ind-chart-target"));
    let mut out = Vec::new();
    for ind in &area.indicators {
        let Ok(t) = target::parse(&ind.target_expr) else {
            continue;
        };
        let mut obs = Observations::new();
        for m in &ind.series {
            obs.values
                .insert(m.label.clone(), m.points.iter().copied().collect());
        }
        for m in &ind.series {
            let (label, name, points) = (&m.label, &m.name, &m.points);
            let mut years: Vec<i32> = points.iter().map(|(y, _)| *y).collect();
            if let Some(first) = years.first().copied() {
                years.extend(first..=deadline.max(first));
            }
            years.sort_unstable();
            years.dedup();
            let targets = target_points(&t, &years, &obs, label);
            let title = if name.is_empty() {
                format!("{} {}", ind.code, ind.name)
            } else {
                format!("{} {}", ind.code, name)
            };
            let chart = line_chart(
                &title,
                qcity_domain::target::with_unit("", &ind.unit, lang.domain()).trim(),
                &[
                    Series {
                        label: &target_label,
                        points: targets,
                        colour: "#1a7f37",
                        dashed: true,
                    },
                    Series {
                        label: &actual_label,
                        points: points.clone(),
                        colour: "#0969da",
                        dashed: false,
                    },
                ],
            );
            if !chart.is_empty() {
                out.push(Chart { title, svg: chart });
            }
        }
    }
    out
}

fn indicator_rows(lang: Lang, area: &AreaFigures) -> Vec<IndicatorRow> {
    area.indicators
        .iter()
        .map(|i| IndicatorRow {
            code: i.code.clone(),
            name: i.name.clone(),
            value: if i.value_en.is_empty() {
                i.value.clone()
            } else {
                pick(lang, &i.value, &i.value_en).to_string()
            },
            target: pick(lang, &i.target_zh, &i.target_en).to_string(),
            status: i.status.clone(),
            status_label: crate::view::status_label(lang, &i.status),
            explanation: pick(lang, &i.explanation_zh, &i.explanation_en).to_string(),
            projection: pick(lang, &i.projection_zh, &i.projection_en).to_string(),
        })
        .collect()
}

fn sections(lang: Lang, r: &Report, f: &Figures) -> Vec<Section> {
    reports::SECTIONS
        .iter()
        .map(|key| {
            let area = f.areas.iter().find(|a| a.code == *key);
            Section {
                key: key.to_string(),
                heading: lang.t(&format!("report-sec-{key}")),
                text: r.section(key).to_string(),
                rows: area.map(|a| indicator_rows(lang, a)).unwrap_or_default(),
                charts: area
                    .map(|a| charts(lang, a, f.deadline))
                    .unwrap_or_default(),
                is_area: reports::AREAS.contains(key),
            }
        })
        .collect()
}

/// Sampling levels by name ("national" → 国家监督抽查) in the given language.
fn level_lines(lang: Lang, lines: &[PassLine]) -> Vec<PassLine> {
    let tl = lang.domain();
    lines
        .iter()
        .map(|l| PassLine {
            group: Level::parse(&l.group)
                .map(|v| v.label(tl).to_string())
                .unwrap_or_else(|| l.group.clone()),
            ..l.clone()
        })
        .collect()
}

fn sampling_total(lang: Lang, f: &Figures) -> String {
    match &f.sampling_total {
        Some(t) => lang.t_args(
            "report-sampling-total",
            &[
                ("year", f.year.to_string()),
                ("batches", t.batches.to_string()),
                ("passed", t.passed.to_string()),
                ("rate", t.rate.clone()),
            ],
        ),
        None => lang.t("report-sampling-none"),
    }
}

/// The report's figures: frozen when issued, computed now while a draft.
async fn figures(state: &AppState, ctx: &Ctx, r: &Report) -> Result<Figures, AppError> {
    if let Some(f) = &r.figures {
        return Ok(f.clone());
    }
    let (_, plan) = require_plan(state, ctx).await?;
    let period = r.period().ok_or(AppError::NotFound)?;
    Ok(reports::compute(&state.store, &plan, period, ctx.today).await?)
}

fn period_label(lang: Lang, r: &Report) -> String {
    r.period()
        .map(|p| match lang {
            Lang::ZhCn => p.label_zh(),
            Lang::En => p.label_en(),
        })
        .unwrap_or_else(|| r.period.clone())
}

fn page(ctx: &Ctx, r: &Report, f: &Figures, public: bool) -> Response {
    let lang = ctx.lang;
    let can_edit =
        !public && !r.issued() && ctx.user.as_ref().is_some_and(|u| u.role == Role::Office);
    render(&ReportPage {
        id: r.id,
        title: r.title.clone(),
        issuer: f.issuer.clone(),
        number: if r.issued() {
            number_text(lang, r)
        } else {
            lang.t("report-draft-mark")
        },
        period_label: period_label(lang, r),
        as_of: lang.t_args("report-as-of", &[("date", f.as_of.clone())]),
        issued: r.issued(),
        published: r.published,
        issued_line: if r.issued() {
            lang.t_args(
                "report-issued-by",
                &[("user", r.issued_by.clone()), ("date", r.issued_on.clone())],
            )
        } else {
            String::new()
        },
        row_version: r.row_version,
        sections: sections(lang, r, f),
        sampling_total: sampling_total(lang, f),
        sampling_tables: vec![
            (
                lang.t("report-sampling-category"),
                f.sampling_by_category.clone(),
            ),
            (
                lang.t("report-sampling-level"),
                level_lines(lang, &f.sampling_by_level),
            ),
        ],
        progress: f.progress.clone(),
        public,
        can_edit,
        ctx: ctx.page(),
    })
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (id, format) = parse_id(&raw)?;
    let r = reports::get(&state.store, &ctx.actor(), id).await?;
    let f = figures(&state, &ctx, &r).await?;
    match format {
        Format::Page => Ok(page(&ctx, &r, &f, false)),
        Format::Docx => docx_response(&r, &f).await,
        Format::Pdf => pdf_response(&r, &f).await,
    }
}

async fn public_show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let (id, format) = parse_id(&raw)?;
    // Only a published report: any other id is not found, whatever the suffix.
    let r = reports::public_get(&state.store, id).await?;
    let f = r.figures.clone().ok_or(AppError::NotFound)?;
    match format {
        Format::Page => Ok(page(&ctx, &r, &f, true)),
        Format::Docx => docx_response(&r, &f).await,
        Format::Pdf => pdf_response(&r, &f).await,
    }
}

#[derive(Deserialize, Default)]
struct NarrativeForm {
    #[serde(default)]
    row_version: String,
    summary: Option<String>,
    product: Option<String>,
    engineering: Option<String>,
    service: Option<String>,
    environment: Option<String>,
    next_steps: Option<String>,
}

fn row_version(s: &str) -> Result<i64, AppError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| AppError::Validation(vec![("row_version".into(), "error-stale-edit".into())]))
}

async fn save_narrative(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    axum::Form(f): axum::Form<NarrativeForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (id, _) = parse_id(&raw)?;
    let version = row_version(&f.row_version)?;
    let mut sections = BTreeMap::new();
    for (key, value) in [
        ("summary", f.summary),
        ("product", f.product),
        ("engineering", f.engineering),
        ("service", f.service),
        ("environment", f.environment),
        ("next_steps", f.next_steps),
    ] {
        if let Some(v) = value {
            sections.insert(key.to_string(), v);
        }
    }
    reports::save_narrative(&state.store, &ctx.actor(), id, version, &sections).await?;
    Ok(see_other(&format!("/reports/{id}")))
}

#[derive(Deserialize, Default)]
struct IssueForm {
    #[serde(default)]
    row_version: String,
}

async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    axum::Form(f): axum::Form<IssueForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (id, _) = parse_id(&raw)?;
    let version = row_version(&f.row_version)?;
    let r = reports::get(&state.store, &ctx.actor(), id).await?;
    if r.issued() {
        return Err(AppError::Conflict("report-error-issued".into()));
    }
    let figures = figures(&state, &ctx, &r).await?;
    reports::issue(&state.store, &ctx.actor(), id, version, &figures, ctx.today).await?;
    Ok(see_other(&format!("/reports/{id}")))
}

#[derive(Deserialize, Default)]
struct PublishForm {
    #[serde(default)]
    published: String,
}

async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    axum::Form(f): axum::Form<PublishForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (id, _) = parse_id(&raw)?;
    let on = matches!(f.published.trim(), "1" | "true" | "on");
    reports::set_published(&state.store, &ctx.actor(), id, on).await?;
    Ok(see_other(&format!("/reports/{id}")))
}

/// The report laid out for Word, in Chinese (the language of the circulated document).
fn document(r: &Report, f: &Figures) -> ReportDoc {
    let zh = Lang::ZhCn;
    let status = |s: &str| crate::view::status_label(zh, s);
    let mut out = Vec::new();
    for key in reports::SECTIONS {
        let mut s = DocSection {
            heading: zh.t(&format!("report-sec-{key}")),
            paragraphs: vec![r.section(key).to_string()],
            ..Default::default()
        };
        if *key == "summary" {
            let p = &f.progress;
            s.tables.push(DocTable {
                caption: zh.t("report-progress"),
                columns: [
                    "report-progress-total",
                    "report-progress-due",
                    "report-progress-accepted",
                    "report-progress-overdue",
                    "report-progress-rate",
                ]
                .iter()
                .map(|k| (zh.t(k), 1))
                .collect(),
                rows: vec![vec![
                    p.total.to_string(),
                    p.due.to_string(),
                    p.accepted.to_string(),
                    p.overdue.to_string(),
                    if p.completion_rate == "—" {
                        p.completion_rate.clone()
                    } else {
                        format!("{}%", p.completion_rate)
                    },
                ]],
            });
        }
        if let Some(area) = f.areas.iter().find(|a| a.code == *key) {
            // As on the page: the indicators, their charts, then (product) the sampling tables.
            s.charts = charts(zh, area, f.deadline)
                .into_iter()
                .map(|c| DocChart {
                    caption: c.title,
                    svg: c.svg,
                })
                .collect();
            s.charts_after = Some(s.tables.len() + 1);
            s.tables.push(DocTable {
                caption: zh.t("report-indicators"),
                columns: vec![
                    (zh.t("report-col-indicator"), 3),
                    (zh.t("report-col-value"), 2),
                    (zh.t("report-col-target"), 3),
                    (zh.t("report-col-status"), 2),
                    (zh.t("report-col-explanation"), 5),
                ],
                rows: area
                    .indicators
                    .iter()
                    .map(|i| {
                        vec![
                            format!("{} {}", i.code, i.name),
                            i.value.clone(),
                            i.target_zh.clone(),
                            status(&i.status),
                            format!("{}{}", i.explanation_zh, i.projection_zh),
                        ]
                    })
                    .collect(),
            });
            if *key == "product" {
                s.notes.push(sampling_total(zh, f));
                for (caption, lines) in [
                    ("report-sampling-category", f.sampling_by_category.clone()),
                    (
                        "report-sampling-level",
                        level_lines(zh, &f.sampling_by_level),
                    ),
                ] {
                    s.tables.push(DocTable {
                        caption: zh.t(caption),
                        columns: vec![
                            (zh.t("report-col-group"), 3),
                            (zh.t("report-col-batches"), 1),
                            (zh.t("report-col-passed"), 1),
                            (zh.t("report-col-rate"), 1),
                        ],
                        rows: lines
                            .iter()
                            .map(|l| {
                                vec![
                                    l.group.clone(),
                                    l.batches.to_string(),
                                    l.passed.to_string(),
                                    if l.rate.is_empty() {
                                        String::new()
                                    } else {
                                        format!("{}%", l.rate)
                                    },
                                ]
                            })
                            .collect(),
                    });
                }
            }
        }
        out.push(s);
    }
    ReportDoc {
        issuer: f.issuer.clone(),
        number: if r.issued() {
            number_text(zh, r)
        } else {
            zh.t("report-draft-mark")
        },
        date: chinese_date(if r.issued() { &r.issued_on } else { &f.as_of }),
        title: r.title.clone(),
        period: period_label(zh, r),
        sections: out,
        chart_fallback: zh.t("report-charts-on-platform"),
    }
}

/// "2015-01-10" as 2015年1月10日; any other text as it is.
fn chinese_date(s: &str) -> String {
    match chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) => {
            use chrono::Datelike;
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        }
        Err(_) => s.to_string(),
    }
}

/// The report as .docx. Drawing the charts is CPU work (a few milliseconds each, the fonts
/// loaded once per process), so it runs off the async workers.
async fn docx_response(r: &Report, f: &Figures) -> Result<Response, AppError> {
    let doc = document(r, f);
    let bytes = tokio::task::spawn_blocking(move || report_to_docx(&doc))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::view::attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &download_name(r, "docx"),
    ))
}

/// The report as PDF, with the same content as the Word file.
async fn pdf_response(r: &Report, f: &Figures) -> Result<Response, AppError> {
    let doc = document(r, f);
    crate::pdf::download(&download_name(r, "pdf"), move |font| {
        report_to_pdf(&doc, font)
    })
    .await
}

/// The file name a report downloads as: its title, marked as a draft until issued.
fn download_name(r: &Report, ext: &str) -> String {
    let title = if r.title.trim().is_empty() {
        "质量分析报告"
    } else {
        r.title.trim()
    };
    if r.issued() {
        format!("{title}.{ext}")
    } else {
        format!("{title}（草稿）.{ext}")
    }
}

/// Quality analysis reports (质量分析报告).
pub static MODULE: Module = Module {
    slug: "reports",
    schema: &qcity_store::reports::SCHEMA,
    // Each district writes, issues and publishes its own reports; a city reads its districts'.
    routes: |r| {
        let r = routes(r.per_district(true));
        crate::api::reports::routes(r)
    },
    openapi: <crate::api::reports::Doc as utoipa::OpenApi>::openapi,
    nav: &[NavEntry {
        label: "nav-reports",
        path: "/reports",
        order: 110,
        shown_to: signed_in,
    }],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_download_suffixes_parse_without_panicking() {
        assert_eq!(parse_id("12").ok(), Some((12, Format::Page)));
        assert_eq!(parse_id("12.docx").ok(), Some((12, Format::Docx)));
        assert_eq!(parse_id("12.pdf").ok(), Some((12, Format::Pdf)));
        assert!(parse_id("x.docx").is_err());
        assert!(parse_id("12.pdf.docx").is_err());
        assert!(parse_id(".pdf").is_err());
        assert!(parse_id("").is_err());
    }
}

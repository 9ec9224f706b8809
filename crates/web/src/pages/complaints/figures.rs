//! 投诉统计: the district's complaint figures for a year (volume, on-time sign, reply and close
//! rates, satisfaction, repeats, complaints per 10,000 residents, the change on last year) and
//! their breakdowns by unit (ranked only from 20 tickets handled), category, channel and month.
//! The page and the workbook are the same tables, built once ([`tables`]), from the kept counts
//! (`complaints::counts`), so the two cannot disagree.

use super::{category_label, label};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::see_other;
use crate::module::Routes;
use crate::view::{PageCtx, attachment, render, unprocessable};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Datelike;
use qcity_domain::complaints::catalogue::Catalogue;
use qcity_domain::complaints::figures::{Counts, MIN_TICKETS_TO_RANK, trend};
use qcity_domain::complaints::ticket::Channel;
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use qcity_domain::supervision::rate_text;
use qcity_exchange::{RollupCell, RollupTable, rollup_to_xlsx};
use qcity_store::StoreError;
use qcity_store::complaints::counts::{self, Dashboard, YearFigures};
use qcity_store::complaints::registers;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/complaints/figures", page)
        .get("/complaints/figures.xlsx", export)
        .post("/complaints/figures/population", population)
        .post("/complaints/figures/indicator", report_indicator)
}

/// The plan's content targets the complaint rate answers (消费者投诉率 in 8.6.1 and 8.6.2), and
/// the target part it is entered as.
const RATE_TARGETS: &[&str] = &["8.6.1", "8.6.2"];
const RATE_PART: &str = "complaints";
/// The benchmark 8.6.2 compares the rate with.
const NATIONAL: &str = "全国平均水平";

/// How the year's complaint rate reads against 8.6.1 (falling three years running) and 8.6.2
/// (below the national average): each "met", "not met" or why it cannot be told yet.
struct Reading {
    /// (year, 每万人投诉量) for the four years the trend needs, where known.
    series: Vec<(i32, String)>,
    falling: String,
    below: String,
    national: String,
}

fn yes_no(lang: Lang, v: Option<bool>, unknown: &str) -> String {
    match v {
        Some(true) => lang.t("cmp-ind-met"),
        Some(false) => lang.t("cmp-ind-not-met"),
        None => lang.t(unknown),
    }
}

async fn reading(state: &AppState, ctx: &Ctx, year: i32) -> Result<Reading, AppError> {
    let actor = ctx.actor();
    let mut series = Vec::new();
    for y in year - 3..=year {
        if let Some(v) = counts::year_figures(&state.store, &actor, y).await?.per_10k {
            series.push((y, v));
        }
    }
    let national = qcity_store::indicators::benchmark_values(&state.store, &actor)
        .await?
        .into_iter()
        .find(|b| b.name == NATIONAL && b.year == i64::from(year))
        .map(|b| b.value);
    let t = trend(&series, year, 3, national);
    let lang = ctx.lang;
    Ok(Reading {
        series: series
            .iter()
            .map(|(y, v)| (*y, format!("{v:.2}")))
            .collect(),
        falling: yes_no(lang, t.falling, "cmp-ind-need-years"),
        below: yes_no(lang, t.below_national, "cmp-ind-need-national"),
        national: national.map(|v| format!("{v:.2}")).unwrap_or_default(),
    })
}

const READERS: &[Role] = &[Role::Office, Role::Unit, Role::Leader, Role::Evaluator];

#[derive(Deserialize, Default)]
struct YearQuery {
    #[serde(default)]
    year: String,
    /// "1" right after the rate was reported.
    #[serde(default)]
    reported: String,
}

pub(super) fn year_of(ctx: &Ctx, text: &str) -> i32 {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| ctx.today.year())
}

/// The columns every breakdown shares, after its first.
pub(super) fn figure_header(lang: Lang) -> Vec<String> {
    [
        "cmp-fig-tickets",
        "cmp-fig-handled",
        "cmp-fig-sign-rate",
        "cmp-fig-reply-rate",
        "cmp-fig-close-rate",
        "cmp-fig-satisfaction",
        "cmp-fig-repeats",
    ]
    .iter()
    .map(|k| lang.t(k))
    .collect()
}

pub(super) fn figure_cells(c: &Counts) -> Vec<RollupCell> {
    vec![
        RollupCell::Count(c.tickets as usize),
        RollupCell::Count(c.handled as usize),
        RollupCell::Percent(c.sign_rate().percent()),
        RollupCell::Percent(c.reply_rate().percent()),
        RollupCell::Percent(c.close_rate().percent()),
        RollupCell::Percent(c.satisfaction_rate().percent()),
        RollupCell::Percent(c.repeat_rate().percent()),
    ]
}

fn breakdown(lang: Lang, title: &str, first: &str, rows: Vec<(String, Counts)>) -> RollupTable {
    let mut header = vec![lang.t(first)];
    header.extend(figure_header(lang));
    RollupTable {
        sheet_name: lang.t(first),
        title: title.to_string(),
        header,
        rows: rows
            .into_iter()
            .map(|(name, c)| {
                let mut row = vec![RollupCell::Text(name)];
                row.extend(figure_cells(&c));
                row
            })
            .collect(),
    }
}

/// What the district's units are called (code → name).
type Names = Vec<(String, String)>;

fn unit_name(lang: Lang, names: &Names, code: &str) -> String {
    if code.is_empty() {
        return lang.t("cmp-not-dispatched");
    }
    names
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| code.to_string())
}

/// The year's tables: the summary, the unit ranking, and the breakdowns.
fn tables(
    lang: Lang,
    y: &YearFigures,
    d: &Dashboard,
    catalogue: &Catalogue,
    names: &Names,
) -> Vec<RollupTable> {
    let title = lang.t_args("cmp-figures-of", &[("year", y.year.to_string())]);
    let c = &y.counts;
    let per_10k = match y.per_10k {
        Some(v) => format!("{v:.2}"),
        None => lang.t("cmp-fig-no-population"),
    };
    let yoy = match y.year_on_year {
        Some(v) => format!("{v:+.1}%"),
        None => "—".to_string(),
    };
    let summary = RollupTable {
        sheet_name: lang.t("cmp-fig-summary"),
        title: title.clone(),
        header: vec![lang.t("cmp-fig-figure"), lang.t("cmp-fig-value")],
        rows: vec![
            ("cmp-fig-tickets", RollupCell::Count(c.tickets as usize)),
            ("cmp-fig-handled", RollupCell::Count(c.handled as usize)),
            (
                "cmp-fig-sign-rate",
                RollupCell::Percent(c.sign_rate().percent()),
            ),
            (
                "cmp-fig-reply-rate",
                RollupCell::Percent(c.reply_rate().percent()),
            ),
            (
                "cmp-fig-close-rate",
                RollupCell::Percent(c.close_rate().percent()),
            ),
            (
                "cmp-fig-satisfaction",
                RollupCell::Percent(c.satisfaction_rate().percent()),
            ),
            (
                "cmp-fig-repeats",
                RollupCell::Percent(c.repeat_rate().percent()),
            ),
            ("cmp-fig-per-10k", RollupCell::Text(per_10k)),
            (
                "cmp-fig-last-year",
                RollupCell::Count(y.previous_tickets as usize),
            ),
            ("cmp-fig-yoy", RollupCell::Text(yoy)),
        ]
        .into_iter()
        .map(|(k, v)| vec![RollupCell::Text(lang.t(k)), v])
        .collect(),
    };
    let mut ranking = breakdown(
        lang,
        &format!("{title} · {}", lang.t("cmp-fig-ranking")),
        "cmp-unit",
        y.ranking
            .iter()
            .map(|r| (unit_name(lang, names, &r.unit), r.counts))
            .collect(),
    );
    ranking.sheet_name = lang.t("cmp-fig-ranking");
    ranking.header.insert(0, lang.t("cmp-fig-rank"));
    for (row, r) in ranking.rows.iter_mut().zip(&y.ranking) {
        let rank = r.rank.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
        row.insert(0, RollupCell::Text(rank));
    }
    let categories = d
        .by_category
        .iter()
        .map(|(code, c)| {
            let code = Some(code.as_str()).filter(|s| !s.is_empty());
            (category_label(lang, catalogue, code), *c)
        })
        .collect();
    let channels = d
        .by_channel
        .iter()
        .map(|(code, c)| {
            let name = Channel::parse(code).map_or_else(|| code.clone(), |ch| label(lang, ch));
            (name, *c)
        })
        .collect();
    vec![
        summary,
        ranking,
        breakdown(
            lang,
            &format!("{title} · {}", lang.t("cmp-category")),
            "cmp-category",
            categories,
        ),
        breakdown(
            lang,
            &format!("{title} · {}", lang.t("cmp-channel")),
            "cmp-channel",
            channels,
        ),
        breakdown(
            lang,
            &format!("{title} · {}", lang.t("cmp-fig-month")),
            "cmp-fig-month",
            d.by_month.clone(),
        ),
    ]
}

pub(super) fn cell_text(c: &RollupCell) -> String {
    match c {
        RollupCell::Text(s) => s.clone(),
        RollupCell::Count(n) => n.to_string(),
        RollupCell::Percent(p) => rate_text(*p),
    }
}

struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "complaints_figures.html")]
struct FiguresPage {
    ctx: PageCtx,
    year: i32,
    as_of: String,
    tables: Vec<Table>,
    residents: String,
    min_rank: u64,
    error: String,
    reading: Reading,
    /// Set after the rate was reported as the indicators' value.
    reported: bool,
}

async fn load(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
) -> Result<(Vec<RollupTable>, YearFigures, Dashboard), AppError> {
    let actor = ctx.actor();
    let y = counts::year_figures(&state.store, &actor, year).await?;
    let d = counts::dashboard(
        &state.store,
        &actor,
        &format!("{year}-01"),
        &format!("{year}-12"),
    )
    .await?;
    let catalogue = registers::catalogue(&state.store, &actor).await?;
    let names = qcity_store::units::list(&state.store, &actor)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok((tables(ctx.lang, &y, &d, &catalogue, &names), y, d))
}

async fn figures_page(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    error: String,
) -> Result<FiguresPage, AppError> {
    let (tables, y, d) = load(state, ctx, year).await?;
    let reading = reading(state, ctx, year).await?;
    Ok(FiguresPage {
        reading,
        reported: false,
        ctx: ctx.page(),
        year,
        as_of: d.as_of.map(|d| d.to_string()).unwrap_or_default(),
        tables: tables
            .iter()
            .map(|t| Table {
                title: t.title.clone(),
                header: t.header.clone(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| r.iter().map(cell_text).collect())
                    .collect(),
            })
            .collect(),
        residents: y.residents.map(|r| r.to_string()).unwrap_or_default(),
        min_rank: MIN_TICKETS_TO_RANK,
        error,
    })
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let year = year_of(&ctx, &q.year);
    let mut page = figures_page(&state, &ctx, year, String::new()).await?;
    page.reported = q.reported == "1";
    Ok(render(&page))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let year = year_of(&ctx, &q.year);
    let (tables, _, _) = load(&state, &ctx, year).await?;
    let bytes = rollup_to_xlsx(&tables).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}-{year}.xlsx", ctx.t("cmp-figures")),
    ))
}

#[derive(Deserialize, Default)]
struct PopulationForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    residents: String,
}

/// The office records the district's resident population for a year (the denominator of
/// 每万人投诉量).
async fn population(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<PopulationForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let year = year_of(&ctx, &f.year);
    let residents = f
        .residents
        .trim()
        .replace([',', '，'], "")
        .parse::<i64>()
        .unwrap_or(0);
    match registers::set_population(&state.store, &ctx.actor(), year, residents).await {
        Ok(()) => Ok(see_other(&format!("/complaints/figures?year={year}"))),
        Err(StoreError::Invalid { code, .. }) => Ok(unprocessable(render(
            &figures_page(&state, &ctx, year, ctx.t(&code)).await?,
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The office reports the year's complaint rate (每万人投诉量) as the value of the 消费者投诉率
/// part of 8.6.1 and 8.6.2: submitted, then reviewed like any other value, with the counts it
/// was computed from in its comment.
async fn report_indicator(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<YearQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let year = year_of(&ctx, &f.year);
    let (_, plan) = crate::view::require_plan(&state, &ctx).await?;
    let actor = ctx.actor();
    let y = counts::year_figures(&state.store, &actor, year).await?;
    let (Some(rate), Some(residents)) = (y.per_10k, y.residents) else {
        let msg = ctx.t("error-complaint-population-missing");
        return Ok(unprocessable(render(
            &figures_page(&state, &ctx, year, msg).await?,
        )));
    };
    let value = (rate * 100.0).round() / 100.0;
    let comment = ctx.lang.t_args(
        "cmp-ind-comment",
        &[
            ("year", year.to_string()),
            ("tickets", y.counts.tickets.to_string()),
            ("residents", residents.to_string()),
            ("value", format!("{value:.2}")),
        ],
    );
    let rules = qcity_store::indicators::EntryRules::default();
    let mut reported = 0;
    for code in RATE_TARGETS {
        if qcity_domain::indicator::measured(&plan, code).is_none() {
            continue;
        }
        let v = qcity_store::indicators::NewValue {
            indicator: code.to_string(),
            measure: RATE_PART.to_string(),
            year: i64::from(year),
            value: Some(value),
            judged: None,
            comment: comment.clone(),
            source: "registry".into(),
        };
        match qcity_store::indicators::submit(&state.store, &actor, &plan, v, &rules).await {
            Ok(_) => reported += 1,
            Err(StoreError::Invalid { code, .. }) => {
                return Ok(unprocessable(render(
                    &figures_page(&state, &ctx, year, ctx.t(&code)).await?,
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if reported == 0 {
        let msg = ctx.t("error-complaint-no-indicator");
        return Ok(unprocessable(render(
            &figures_page(&state, &ctx, year, msg).await?,
        )));
    }
    Ok(see_other(&format!(
        "/complaints/figures?year={year}&reported=1"
    )))
}

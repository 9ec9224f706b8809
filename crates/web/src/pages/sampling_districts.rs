//! 区县抽查对比: the supervision sampling figures of every district the account may read, side
//! by side, with the total of the level above. Each district's pass rate is its own sampling
//! page's ([`PassRate::percent`] over the same counts); the total sums the districts' batches
//! and passes and takes the rate of the sums, never a mean of the districts' rates.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use crate::view::rollup_download;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Datelike;
use qcity_exchange::{RollupCell, RollupTable};
use qcity_store::enterprises::Whose;
use qcity_store::sampling::{self, DistrictFigures, PassRate};
use qcity_store::units;
use serde::Deserialize;
use std::collections::BTreeSet;

/// Added to the sampling module's routes (kept per district: each account sees the districts
/// `units::readable_districts` allows it).
pub fn routes(r: Routes) -> Routes {
    r.get("/sampling/districts", page)
        .get("/sampling/districts.xlsx", export)
        .get("/sampling/districts.docx", export)
}

#[derive(Deserialize, Default)]
struct YearQuery {
    /// The sampling year; the business date's year when empty or not a year.
    #[serde(default)]
    year: String,
}

/// One district's row.
struct DistrictRow {
    code: String,
    name: String,
    figures: DistrictFigures,
}

/// The districts the actor may compare, their figures and the sum over them.
struct Rollup {
    year: i32,
    districts: Vec<DistrictRow>,
    total: DistrictFigures,
    /// Every product category sampled in the year in any of the districts, by name.
    categories: Vec<String>,
}

/// The sum of the districts' counts: batches, passes and enterprises add up; rates are taken
/// from the sums afterwards.
fn sum(year: i32, rows: &[DistrictRow]) -> DistrictFigures {
    let mut total = DistrictFigures {
        total: PassRate {
            year,
            ..Default::default()
        },
        ..Default::default()
    };
    for d in rows {
        total.total.add(&d.figures.total);
        total.registered += d.figures.registered;
        total.blacklisted += d.figures.blacklisted;
        for c in &d.figures.by_category {
            match total.by_category.iter_mut().find(|t| t.group == c.group) {
                Some(t) => t.add(c),
                None => total.by_category.push(c.clone()),
            }
        }
    }
    total
}

async fn rollup(state: &AppState, ctx: &Ctx, q: &YearQuery) -> Result<Rollup, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let (_tree, nodes) = units::readable_districts(&state.store, &actor).await?;
    let year = q.year.trim().parse::<i32>().unwrap_or(ctx.today.year());
    let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
    let figures = sampling::by_district(&state.store, &ids, year).await?;
    let districts: Vec<DistrictRow> = nodes
        .iter()
        .zip(figures)
        .map(|(n, figures)| DistrictRow {
            code: n.code.clone(),
            name: n.name.clone(),
            figures,
        })
        .collect();
    let categories: BTreeSet<String> = districts
        .iter()
        .flat_map(|d| d.figures.by_category.iter().map(|c| c.group.clone()))
        .collect();
    Ok(Rollup {
        year,
        total: sum(year, &districts),
        districts,
        categories: categories.into_iter().collect(),
    })
}

/// A pass rate as the district's sampling page writes it, "—" when nothing was sampled.
fn rate_text(r: &PassRate) -> String {
    let (pct, _) = crate::pages::sampling::cell(r.batches, r.passed);
    if pct.is_empty() { "—".into() } else { pct }
}

#[derive(Template)]
#[template(path = "sampling_districts.html")]
struct RollupPage {
    ctx: PageCtx,
    r: Rollup,
    years: Vec<i32>,
}

impl RollupPage {
    fn rate(&self, r: &PassRate) -> String {
        rate_text(r)
    }

    fn category_cell(&self, f: &DistrictFigures, category: &str) -> String {
        match f.by_category.iter().find(|c| c.group == category) {
            Some(c) => format!("{}（{}/{}）", rate_text(c), c.passed, c.batches),
            None => "—".into(),
        }
    }
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx, &q).await?;
    // The years any district sampled in, and the one shown.
    let mut years: BTreeSet<i32> = sampling::years(&state.store, Whose::Public(None))
        .await?
        .into_iter()
        .collect();
    years.insert(r.year);
    Ok(render(&RollupPage {
        ctx: ctx.page(),
        years: years.into_iter().rev().collect(),
        r,
    }))
}

fn count(n: i64) -> RollupCell {
    RollupCell::Count(usize::try_from(n).unwrap_or(0))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: axum::http::Uri,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx, &q).await?;
    let page = ctx.page();
    let t = |k: &str| page.t(k);
    let figures = |name: &str, f: &DistrictFigures| {
        vec![
            RollupCell::Text(name.to_string()),
            count(f.total.batches),
            count(f.total.passed),
            count(f.total.failed()),
            RollupCell::Percent(f.total.percent()),
            count(f.registered),
            count(f.blacklisted),
        ]
    };
    let mut rows: Vec<Vec<RollupCell>> = r
        .districts
        .iter()
        .map(|d| figures(&d.name, &d.figures))
        .collect();
    rows.push(figures(&t("regd-total"), &r.total));
    let title = ctx
        .lang
        .t_args("regd-figures", &[("year", r.year.to_string())]);
    let main = RollupTable {
        sheet_name: t("regd-sheet-figures"),
        title: title.clone(),
        header: vec![
            t("regd-district"),
            t("regd-sampled"),
            t("regd-passed"),
            t("regd-failed"),
            t("regd-rate"),
            t("regd-registered"),
            t("regd-blacklisted"),
        ],
        rows,
    };
    let mut header = vec![t("regd-district")];
    header.extend(r.categories.iter().cloned());
    let by_category = |name: &str, f: &DistrictFigures| {
        let mut row = vec![RollupCell::Text(name.to_string())];
        row.extend(r.categories.iter().map(|c| {
            RollupCell::Percent(
                f.by_category
                    .iter()
                    .find(|x| &x.group == c)
                    .and_then(PassRate::percent),
            )
        }));
        row
    };
    let mut category_rows: Vec<Vec<RollupCell>> = r
        .districts
        .iter()
        .map(|d| by_category(&d.name, &d.figures))
        .collect();
    category_rows.push(by_category(&t("regd-total"), &r.total));
    let categories = RollupTable {
        sheet_name: t("regd-sheet-categories"),
        title: format!("{title} · {}", t("regd-by-category")),
        header,
        rows: category_rows,
    };
    rollup_download(
        &uri,
        &format!("{}（{}）", t("regd-title"), r.year),
        &[main, categories],
        &format!("{}-{}", t("regd-title"), r.year),
    )
}

//! 投诉区县对比: the complaint figures of every district the account may read, side by side,
//! with the total of the level above. Each district's row is its own figures page's summary
//! (the same counts and rates); the total sums the districts' counts and residents and takes
//! every rate from the sums, never a mean of the districts' rates.

use super::figures::{cell_text, figure_cells, figure_header, year_of};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::module::Routes;
use crate::view::rollup_download;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use qcity_domain::complaints::figures::{Counts, per_10k, per_10k_parts};
use qcity_exchange::{RollupCell, RollupTable};
use qcity_store::complaints::rollup::{self, DistrictYear};
use qcity_store::units;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/complaints/districts", page)
        .get("/complaints/districts.xlsx", export)
        .get("/complaints/districts.docx", export)
}

#[derive(Deserialize, Default)]
struct YearQuery {
    #[serde(default)]
    year: String,
}

fn row(lang: Lang, name: String, counts: &Counts, residents: Option<i64>) -> Vec<RollupCell> {
    let mut row = vec![RollupCell::Text(name)];
    row.extend(figure_cells(counts));
    let rate = residents
        .and_then(|r| u64::try_from(r).ok())
        .and_then(|r| per_10k(per_10k_parts(counts.tickets, r)));
    row.push(match residents {
        Some(r) => RollupCell::Count(usize::try_from(r).unwrap_or(0)),
        None => RollupCell::Text("—".into()),
    });
    row.push(RollupCell::Text(match rate {
        Some(v) => format!("{v:.2}"),
        None => lang.t("cmp-fig-no-population"),
    }));
    row
}

/// The districts' table and whether every district has its residents (else the total's
/// 每万人投诉量 is not computed: a sum of residents missing one district is not the city's).
async fn table(state: &AppState, ctx: &Ctx, year: i32) -> Result<(RollupTable, bool), AppError> {
    let actor = ctx.actor();
    let (_tree, nodes) = units::readable_districts(&state.store, &actor).await?;
    let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
    let years: Vec<DistrictYear> = rollup::by_district(&state.store, &ids, year).await?;
    let lang = ctx.lang;
    let mut total = Counts::default();
    let mut residents: Option<i64> = Some(0);
    let mut rows = Vec::new();
    for (n, d) in nodes.iter().zip(&years) {
        total += d.counts;
        residents = residents.zip(d.residents).map(|(a, b)| a + b);
        rows.push(row(lang, n.name.clone(), &d.counts, d.residents));
    }
    let complete = residents.is_some();
    rows.push(row(lang, lang.t("cmp-districts-total"), &total, residents));
    let mut header = vec![lang.t("cmp-district")];
    header.extend(figure_header(lang));
    header.push(lang.t("cmp-districts-residents"));
    header.push(lang.t("cmp-fig-per-10k"));
    Ok((
        RollupTable {
            sheet_name: lang.t("cmp-districts-title"),
            title: lang.t_args("cmp-districts-of", &[("year", year.to_string())]),
            header,
            rows,
        },
        complete,
    ))
}

#[derive(Template)]
#[template(path = "complaints_districts.html")]
struct DistrictsPage {
    ctx: PageCtx,
    year: i32,
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    complete: bool,
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let year = year_of(&ctx, &q.year);
    let (t, complete) = table(&state, &ctx, year).await?;
    Ok(render(&DistrictsPage {
        ctx: ctx.page(),
        year,
        title: t.title,
        header: t.header,
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(cell_text).collect())
            .collect(),
        complete,
    }))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: axum::http::Uri,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let year = year_of(&ctx, &q.year);
    let (t, _) = table(&state, &ctx, year).await?;
    let title = t.title.clone();
    rollup_download(
        &uri,
        &title,
        &[t],
        &format!("{}-{year}", ctx.t("cmp-districts-title")),
    )
}

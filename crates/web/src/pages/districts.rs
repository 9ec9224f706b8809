//! 区县对比: the supervision figures of every district the account may read, side by side,
//! with the total of the level above (the city's, or the province's). Each district's row is
//! counted by the same SQL as that district's own overview and the total is the sum of the
//! districts' counts, so every rate here is the rate of summed counts, never a mean of rates.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::Routes;
use crate::view::rollup_download;
use crate::view::{PageCtx, render, require_plan};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use qcity_domain::org::Node;
use qcity_domain::role::Role;
use qcity_domain::supervision::Tally;
use qcity_exchange::{RollupCell, RollupTable};
use qcity_store::{obligations, units};
use std::collections::BTreeMap;

pub fn routes(r: Routes) -> Routes {
    r.get("/supervision/districts", page)
        .get("/supervision/districts.xlsx", export)
        .get("/supervision/districts.docx", export)
        .post("/supervision/districts/city-plan", add_city_plan)
}

/// The city's own plan, as its office sees it on the comparison: `None` for every other
/// account; `Some(false)` before the city runs one (the page offers to make it from the
/// template), `Some(true)` after.
async fn city_plan(state: &AppState, ctx: &Ctx) -> Result<Option<bool>, AppError> {
    // The account already knows its owner's level: no tree read on each view.
    let Some(user) = ctx.user.as_ref() else {
        return Ok(None);
    };
    let (Role::Office, Some(owner), Some("city")) =
        (user.role, user.owner_id, user.owner_kind.as_deref())
    else {
        return Ok(None);
    };
    Ok(Some(
        qcity_store::plan::current_version_of_id(&state.store, owner).await? > 0,
    ))
}

/// The city office makes the city's own plan from the template: its districts lead every
/// content, and the supervision machinery runs one level up (docs/architecture.md).
async fn add_city_plan(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    match city_plan(&state, &ctx).await? {
        Some(false) => {}
        Some(true) => return Err(AppError::Conflict("error-city-plan-exists".into())),
        // Only a city's office makes a city's plan.
        None => return Err(AppError::Forbidden),
    }
    let actor = ctx.actor();
    let tree = units::tree(&state.store).await?;
    let code = actor
        .owner_id
        .and_then(|id| tree.get(id))
        .map(|n| n.code.clone())
        .unwrap_or_default();
    qcity_store::plan::add_city_plan(&state.store, &actor, &code, ctx.today).await?;
    Ok(see_other("/supervision"))
}

/// One district's figures, in total and by category.
struct DistrictRow {
    code: String,
    name: String,
    total: Tally,
    by_category: BTreeMap<String, Tally>,
}

/// The districts the actor may compare, their figures and the sum over them.
struct Rollup {
    districts: Vec<DistrictRow>,
    total: Tally,
    /// The plan's categories (code, title), in plan order.
    categories: Vec<(String, String)>,
}

async fn rollup(state: &AppState, ctx: &Ctx) -> Result<Rollup, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let (_tree, nodes) = units::readable_districts(&state.store, &actor).await?;
    let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
    let tallies = obligations::tallies_by_owner(&state.store, &ids, ctx.today).await?;
    let (_, plan) = require_plan(state, ctx).await?;
    let categories = plan
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.title.clone()))
        .collect();
    let mut total = Tally::default();
    let districts = nodes
        .iter()
        .map(|n: &Node| {
            let mut row = DistrictRow {
                code: n.code.clone(),
                name: n.name.clone(),
                total: Tally::default(),
                by_category: BTreeMap::new(),
            };
            for ((owner, cat), t) in &tallies {
                if *owner == n.id {
                    row.total.merge(t);
                    row.by_category.insert(cat.clone(), t.clone());
                }
            }
            total.merge(&row.total);
            row
        })
        .collect();
    Ok(Rollup {
        districts,
        total,
        categories,
    })
}

#[derive(Template)]
#[template(path = "districts.html")]
struct DistrictsPage {
    ctx: PageCtx,
    r: Rollup,
    city_plan: Option<bool>,
}

impl DistrictsPage {
    fn cell(&self, d: &DistrictRow, cat: &str) -> String {
        d.by_category
            .get(cat)
            .map(Tally::completion_text)
            .unwrap_or_else(|| "—".into())
    }
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx).await?;
    let city_plan = city_plan(&state, &ctx).await?;
    Ok(render(&DistrictsPage {
        ctx: ctx.page(),
        r,
        city_plan,
    }))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: axum::http::Uri,
) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx).await?;
    let page = ctx.page();
    let t = |k: &str| page.t(k);
    let figures = |name: &str, t: &Tally| {
        vec![
            RollupCell::Text(name.to_string()),
            RollupCell::Count(t.expected),
            RollupCell::Count(t.closed),
            RollupCell::Percent(t.completion_rate()),
            RollupCell::Percent(t.on_time_rate()),
            RollupCell::Count(t.overdue),
        ]
    };
    let mut rows: Vec<Vec<RollupCell>> = r
        .districts
        .iter()
        .map(|d| figures(&d.name, &d.total))
        .collect();
    rows.push(figures(&t("districts-total"), &r.total));
    let progress = RollupTable {
        sheet_name: t("districts-sheet-progress"),
        title: format!("{}（{}）", t("districts-title"), ctx.today),
        header: vec![
            t("districts-district"),
            t("sup-due"),
            t("sup-accepted"),
            t("sup-completion"),
            t("sup-on-time"),
            t("sup-overdue"),
        ],
        rows,
    };
    let mut header = vec![t("districts-district")];
    header.extend(
        r.categories
            .iter()
            .map(|(c, title)| format!("{c}. {title}")),
    );
    let by_category = RollupTable {
        sheet_name: t("districts-sheet-categories"),
        title: format!("{}（{}）", t("districts-by-category"), ctx.today),
        header,
        rows: r
            .districts
            .iter()
            .map(|d| {
                let mut row = vec![RollupCell::Text(d.name.clone())];
                row.extend(r.categories.iter().map(|(c, _)| {
                    RollupCell::Percent(d.by_category.get(c).and_then(Tally::completion_rate))
                }));
                row
            })
            .collect(),
    };
    rollup_download(
        &uri,
        &t("districts-title"),
        &[progress, by_category],
        &format!("{}-{}", t("districts-title"), ctx.today),
    )
}

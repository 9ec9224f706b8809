//! 区县验收对比 (`/acceptance/districts`, and its workbook): for every district the account
//! may read (`units::readable_districts`), its acceptance readiness and its assessment in
//! brief, with the total of the level above.
//!
//! Each district's readiness is read by the same function as that district's own acceptance
//! page (`store::acceptance::readiness`, acting for the district), and its assessment by the
//! same scoring as its own assessment page. The total adds the underlying counts (base points
//! counted and base totals; units scored and their points), so the city's rates are rates of
//! sums, never a mean of the districts' rates (`docs/figures.md`).

use crate::AppState;
use crate::charts::trim_number;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use crate::pages::acceptance::ReadinessView;
use crate::view::rollup_download;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use qcity_domain::acceptance::Readiness;
use qcity_domain::assessment::Summary;
use qcity_domain::org::Ratio;
use qcity_exchange::{RollupCell, RollupTable};
use qcity_store::{Actor, acceptance, assessment, plan, units};

pub fn routes(r: Routes) -> Routes {
    r.get("/acceptance/districts", page)
        .get("/acceptance/districts.xlsx", export)
        .get("/acceptance/districts.docx", export)
}

/// One district's line.
pub struct DistrictRow {
    pub code: String,
    pub name: String,
    /// The latest opened stage's label and its readiness; `None` while no stage is open.
    pub readiness: Option<(String, Readiness)>,
    pub assessment: Summary,
}

/// The sums over the districts shown.
#[derive(Default)]
pub struct Total {
    /// Points projected (base and bonus; 0 for a district whose veto failed).
    pub score: f64,
    /// Base points counted over base totals (`Readiness::ratio`).
    pub base: Ratio,
    pub undecided: usize,
    /// Districts with an opened stage.
    pub opened: usize,
    pub assessment: Summary,
}

pub struct Rollup {
    pub period: i32,
    pub districts: Vec<DistrictRow>,
    pub total: Total,
}

/// The district, as the store sees an account working on it: the caller's role and name,
/// the district's records.
fn acting_for(actor: &Actor, district: i64) -> Actor {
    Actor {
        owner_id: Some(district),
        ..actor.clone()
    }
}

async fn rollup(state: &AppState, ctx: &Ctx) -> Result<Rollup, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let (_tree, nodes) = units::readable_districts(&state.store, &actor).await?;
    let period = assessment::period_of(ctx.today);
    let (_, _, as_of) = assessment::period_bounds(period, ctx.today).ok_or(AppError::NotFound)?;
    let mut total = Total::default();
    let mut districts = Vec::new();
    for n in &nodes {
        let district = acting_for(&actor, n.id);
        let readiness = acceptance::readiness(&state.store, &district, ctx.today)
            .await?
            .map(|(code, r)| (ctx.t(&format!("acc-stage-{code}")), r));
        if let Some((_, r)) = &readiness {
            total.score += r.score;
            total.base += r.ratio();
            total.undecided += r.undecided.len();
            total.opened += 1;
        }
        let summary = match plan::current_of_id(&state.store, n.id).await? {
            Some((_, p)) => {
                let (_, ranked) =
                    assessment::scores(&state.store, &district, &p, period, as_of).await?;
                Summary::of(ranked.iter().map(|r| &r.score))
            }
            None => Summary {
                units: assessment::member_units(&state.store, &district)
                    .await?
                    .len(),
                ..Summary::default()
            },
        };
        total.assessment += summary;
        districts.push(DistrictRow {
            code: n.code.clone(),
            name: n.name.clone(),
            readiness,
            assessment: summary,
        });
    }
    Ok(Rollup {
        period,
        districts,
        total,
    })
}

/// A percentage with one decimal, "—" when nothing was counted.
fn percent_text(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

fn mean_text(s: &Summary) -> String {
    s.mean()
        .map(|m| format!("{m:.1}"))
        .unwrap_or_else(|| "—".into())
}

/// A district's readiness as its acceptance page shows it.
pub struct ReadinessCells {
    pub stage: String,
    pub view: ReadinessView,
}

#[derive(Template)]
#[template(path = "acceptance_districts.html")]
struct DistrictsPage {
    ctx: PageCtx,
    r: Rollup,
}

impl DistrictsPage {
    fn cells(&self, d: &DistrictRow) -> Option<ReadinessCells> {
        d.readiness.as_ref().map(|(stage, r)| ReadinessCells {
            stage: stage.clone(),
            view: ReadinessView::new(r, &self.ctx.t("list-comma")),
        })
    }

    fn mean(&self, s: &Summary) -> String {
        mean_text(s)
    }

    fn total_score(&self) -> String {
        trim_number(self.r.total.score)
    }

    fn total_base(&self) -> (String, String) {
        (
            trim_number(self.r.total.base.numerator),
            trim_number(self.r.total.base.denominator),
        )
    }

    fn total_percent(&self) -> String {
        percent_text(self.r.total.base.percent())
    }

    fn opened_text(&self) -> String {
        self.ctx.lang.t_args(
            "accd-opened",
            &[
                ("opened", self.r.total.opened.to_string()),
                ("all", self.r.districts.len().to_string()),
            ],
        )
    }
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx).await?;
    Ok(render(&DistrictsPage { ctx: ctx.page(), r }))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: axum::http::Uri,
) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx).await?;
    let page = ctx.page();
    let t = |k: &str| page.t(k);
    let none = || RollupCell::Text("—".into());
    let mut readiness_rows: Vec<Vec<RollupCell>> = r
        .districts
        .iter()
        .map(|d| {
            let mut row = vec![RollupCell::Text(d.name.clone())];
            match &d.readiness {
                Some((stage, x)) => row.extend([
                    RollupCell::Text(stage.clone()),
                    RollupCell::Text(trim_number(x.score)),
                    RollupCell::Text(trim_number(x.ratio().numerator)),
                    RollupCell::Text(trim_number(x.base_total)),
                    RollupCell::Percent(Some(x.percent())),
                    RollupCell::Count(x.undecided.len()),
                    RollupCell::Text(t(if x.vetoed { "accd-yes" } else { "accd-no" })),
                ]),
                None => {
                    row.push(RollupCell::Text(t("accd-no-stage")));
                    row.extend((0..6).map(|_| none()));
                }
            }
            row
        })
        .collect();
    readiness_rows.push(vec![
        RollupCell::Text(t("accd-total")),
        RollupCell::Text(page.lang.t_args(
            "accd-opened",
            &[
                ("opened", r.total.opened.to_string()),
                ("all", r.districts.len().to_string()),
            ],
        )),
        RollupCell::Text(trim_number(r.total.score)),
        RollupCell::Text(trim_number(r.total.base.numerator)),
        RollupCell::Text(trim_number(r.total.base.denominator)),
        RollupCell::Percent(r.total.base.percent()),
        RollupCell::Count(r.total.undecided),
        none(),
    ]);
    let readiness = RollupTable {
        sheet_name: t("accd-sheet-readiness"),
        title: format!("{}（{}）", t("accd-readiness"), ctx.today),
        header: vec![
            t("accd-district"),
            t("accd-stage"),
            t("accd-score"),
            t("accd-base-earned"),
            t("accd-base-total"),
            t("accd-percent"),
            t("accd-undecided"),
            t("accd-vetoed"),
        ],
        rows: readiness_rows,
    };
    let summary_row = |name: String, s: &Summary| {
        vec![
            RollupCell::Text(name),
            RollupCell::Count(s.units),
            RollupCell::Count(s.scored),
            RollupCell::Text(mean_text(s)),
        ]
    };
    let mut assessment_rows: Vec<Vec<RollupCell>> = r
        .districts
        .iter()
        .map(|d| summary_row(d.name.clone(), &d.assessment))
        .collect();
    assessment_rows.push(summary_row(t("accd-total"), &r.total.assessment));
    let assessment = RollupTable {
        sheet_name: t("accd-sheet-assessment"),
        title: page
            .lang
            .t_args("accd-assessment", &[("period", r.period.to_string())]),
        header: vec![
            t("accd-district"),
            t("accd-units"),
            t("accd-scored"),
            t("accd-mean"),
        ],
        rows: assessment_rows,
    };
    rollup_download(
        &uri,
        &t("accd-title"),
        &[readiness, assessment],
        &format!("{}-{}", t("accd-title"), ctx.today),
    )
}

//! 监督抽查: the sampling records (filters, pass rates, entry, import), one record with its
//! follow-up (后处理), and the public portal's enterprise lookup, blacklist and sampling results.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::listing::{Listing, SortKey, Sorts};
use crate::middleware::see_other;
use crate::module::{BodyLimit, Module, NavEntry, Routes, office_and_leaders, signed_in};
use crate::pages::enterprises::{EntRow, SamplingView, dl, rows_for, sampling_view};
use crate::view::{PageCtx, attachment, render, unprocessable};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use qcity_domain::registry::{
    CodeList, Level, ProductKind, Stage, Verdict, parse_failed_items, parse_yes_no,
};
use qcity_store::StoreError;
use qcity_store::credit;
use qcity_store::enterprises::{self, Whose};
use qcity_store::sampling::{self, FollowupInput, PassRate, SamplingInput, SamplingRecord};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    // Each district's sampling records; the public portal shows every district's.
    let r = crate::pages::sampling_districts::routes(r.per_district(true));
    r.get("/sampling", list)
        .post("/sampling", create)
        .get("/sampling/template.xlsx", template)
        .upload("/sampling/import", BodyLimit::Import, import)
        .get("/sampling/{id}", show)
        .post("/sampling/{id}/followup", followup)
        .get("/public/enterprises", public_enterprises)
        .get("/public/blacklist", public_blacklist)
        .get("/public/sampling", public_sampling)
        .post("/sampling/disclose", disclose)
}

fn opt_date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

fn choices<T: CodeList>(ctx: &Ctx) -> Vec<(String, String)> {
    T::ALL
        .iter()
        .map(|m| (m.code().to_string(), m.label(dl(ctx)).to_string()))
        .collect()
}

#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    failed: String,
    /// Only failed results waiting for their disclosure review.
    #[serde(default)]
    review: String,
    /// After a disclosure review: how many were reviewed, and left for a colleague.
    #[serde(default)]
    disclosed: Option<usize>,
    #[serde(default)]
    left: Option<usize>,
    /// The public portal's district (its org unit code); every district's when empty.
    #[serde(default)]
    district: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

/// The sampling lists' sortable columns (newest sampling first by default).
const SORTS: Sorts = Sorts {
    keys: &[
        SortKey {
            key: "report",
            column: "s.report_no",
        },
        SortKey {
            key: "enterprise",
            column: "e.name",
        },
        SortKey {
            key: "product",
            column: "s.product",
        },
        SortKey {
            key: "category",
            column: "s.category",
        },
        SortKey {
            key: "level",
            column: "s.level",
        },
        SortKey {
            key: "sampled",
            column: "s.sampled_on",
        },
    ],
    default_key: "sampled",
    default_desc: true,
};

impl Filters {
    fn filter(&self) -> sampling::Filter {
        sampling::Filter {
            text: self.q.clone(),
            year: self.year.trim().parse().ok(),
            level: Level::parse(&self.level),
            kind: ProductKind::parse(&self.kind),
            failed_only: !self.failed.is_empty(),
            awaiting_disclosure: !self.review.is_empty(),
            ..Default::default()
        }
    }
    fn listing(&self, path: &'static str) -> Listing {
        Listing::new(path, &SORTS, &self.page, &self.sort, &self.dir)
            .keep("q", &self.q)
            .keep("year", &self.year)
            .keep("level", &self.level)
            .keep("kind", &self.kind)
            .keep("failed", &self.failed)
            .keep("review", &self.review)
            .keep("district", &self.district)
    }
}

/// A row of a record list.
pub struct RecordRow {
    pub id: i64,
    pub report_no: String,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub product: String,
    pub category: String,
    pub level: String,
    pub sampled_on: String,
    pub passed: bool,
    pub failed_items: String,
    pub followup: String,
    /// The district whose register holds it (named on the public portal).
    pub district: String,
}

fn record_row(r: &SamplingRecord, ctx: &Ctx) -> RecordRow {
    RecordRow {
        district: r.district.clone(),
        id: r.id,
        report_no: r.report_no.clone(),
        enterprise_id: r.enterprise_id,
        enterprise: r.enterprise_name.clone(),
        product: r.product.clone(),
        category: r.category.clone(),
        level: r.level.label(dl(ctx)).to_string(),
        sampled_on: r.sampled_on.clone(),
        passed: r.passed,
        failed_items: qcity_domain::registry::print_failed_items(&r.failed_items),
        followup: r
            .followup
            .as_ref()
            .map(|f| ctx.t(&format!("smp-followup-{}", f.status)))
            .unwrap_or_default(),
    }
}

/// Pass rates as a clerk reads them: one row per group, one column per year, and the total.
pub struct RateMatrix {
    pub title: String,
    pub years: Vec<i32>,
    /// (group label, one cell per year: "94.5%" and "127/134", or empty)
    pub rows: Vec<(String, Vec<(String, String)>)>,
}

/// A rate cell: the pass rate ([`PassRate::percent`], the one definition) and its counts.
pub(crate) fn cell(batches: i64, passed: i64) -> (String, String) {
    let counts = PassRate {
        batches,
        passed,
        ..Default::default()
    };
    match counts.percent() {
        Some(p) => (format!("{p:.1}%"), format!("{passed}/{batches}")),
        None => (String::new(), String::new()),
    }
}

/// Groups × years from the counts; `total` adds a last row summing every group.
fn rate_matrix(
    title: String,
    rates: &[PassRate],
    label: impl Fn(&str) -> String,
    order: Option<Vec<&'static str>>,
    total: Option<String>,
) -> RateMatrix {
    let years: Vec<i32> = rates
        .iter()
        .map(|r| r.year)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut groups: Vec<String> = rates
        .iter()
        .map(|r| r.group.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Closed lists in their own order (national before district); categories by name.
    if let Some(order) = order {
        groups.sort_by_key(|g| order.iter().position(|o| o == g).unwrap_or(usize::MAX));
    }
    let count = |group: Option<&str>, year: i32| {
        rates
            .iter()
            .filter(|r| r.year == year && group.is_none_or(|g| r.group == g))
            .fold((0, 0), |(b, p), r| (b + r.batches, p + r.passed))
    };
    let mut rows: Vec<(String, Vec<(String, String)>)> = groups
        .iter()
        .map(|g| {
            let cells = years
                .iter()
                .map(|y| {
                    let (b, p) = count(Some(g), *y);
                    cell(b, p)
                })
                .collect();
            (label(g), cells)
        })
        .collect();
    if let Some(name) = total {
        let cells = years
            .iter()
            .map(|y| {
                let (b, p) = count(None, *y);
                cell(b, p)
            })
            .collect();
        rows.push((name, cells));
    }
    RateMatrix { title, years, rows }
}

#[derive(Deserialize, Default, Clone)]
pub struct RecordForm {
    #[serde(default)]
    report_no: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    enterprise_code: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    ccc: String,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    sampled_on: String,
    #[serde(default)]
    reported_on: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    failed_items: String,
    #[serde(default)]
    agency: String,
}

#[derive(Template)]
#[template(path = "sampling.html")]
struct ListPage {
    ctx: PageCtx,
    f: Filters,
    rows: Vec<RecordRow>,
    list: Listing,
    years: Vec<i32>,
    levels: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    stages: Vec<(String, String)>,
    rates: Vec<RateMatrix>,
    awaiting: usize,
    disclosure_rule: String,
    disclosed: String,
    can_write: bool,
    recent_imports: Vec<crate::pages::import_jobs::RecentLine>,
    form: RecordForm,
    errors: Vec<String>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    f: Filters,
    form: RecordForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let lang = dl(ctx);
    let listing = f.listing("/sampling");
    let filter = sampling::Filter {
        order: listing.order(),
        ..f.filter()
    };
    let actor = ctx.actor();
    let whose = Whose::Actor(&actor);
    let (records, total) = sampling::list(
        &state.store,
        whose,
        &filter,
        listing.limit(),
        listing.offset(),
    )
    .await?;
    let by_category = sampling::pass_rates(&state.store, whose, "category").await?;
    let by_level = sampling::pass_rates(&state.store, whose, "level").await?;
    let by_kind = sampling::pass_rates(&state.store, whose, "kind").await?;
    let rates = vec![
        rate_matrix(
            ctx.t("smp-by-category"),
            &by_category,
            str::to_string,
            None,
            Some(ctx.t("smp-total-row")),
        ),
        rate_matrix(
            ctx.t("smp-by-level"),
            &by_level,
            |g| {
                Level::parse(g)
                    .map(|l| l.label(lang).to_string())
                    .unwrap_or_else(|| g.to_string())
            },
            Some(Level::ALL.iter().map(|l| l.code()).collect()),
            None,
        ),
        rate_matrix(
            ctx.t("smp-by-kind"),
            &by_kind,
            |g| {
                ProductKind::parse(g)
                    .map(|k| k.label(lang).to_string())
                    .unwrap_or_else(|| g.to_string())
            },
            Some(ProductKind::ALL.iter().map(|k| k.code()).collect()),
            None,
        ),
    ];
    let can_write = enterprises::may_write(&state.store, &ctx.actor(), "sampling").await?;
    let (awaiting, disclosure_rule) = if ctx.page().is_office() {
        (
            usize::try_from(
                sampling::awaiting_disclosure_queue(&state.store, &actor, 0)
                    .await?
                    .1,
            )
            .unwrap_or(0),
            disclosure_rule_text(state, ctx).await?,
        )
    } else {
        (0, String::new())
    };
    let disclosed = match (f.disclosed, f.left) {
        (Some(n), left) => ctx.lang.t_args(
            "smp-disclosed",
            &[
                ("n", n.to_string()),
                ("left", left.unwrap_or(0).to_string()),
            ],
        ),
        _ => String::new(),
    };
    Ok(render(&ListPage {
        awaiting,
        disclosure_rule,
        disclosed,
        ctx: ctx.page(),
        rows: records.iter().map(|r| record_row(r, ctx)).collect(),
        list: listing.with_total(total),
        f,
        years: sampling::years(&state.store, whose).await?,
        levels: choices::<Level>(ctx),
        kinds: choices::<ProductKind>(ctx),
        stages: choices::<Stage>(ctx),
        rates,
        recent_imports: if can_write {
            crate::pages::import_jobs::recent_lines(state, ctx, "sampling", None).await?
        } else {
            vec![]
        },
        can_write,
        form,
        errors,
    }))
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Result<Response, AppError> {
    list_page(&state, &ctx, f, RecordForm::default(), vec![]).await
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<RecordForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "sampling").await?;
    let mut errors = Vec::new();
    let level = Level::parse(&form.level);
    if level.is_none() {
        errors.push(ctx.t("smp-error-level"));
    }
    let kind = ProductKind::parse(&form.kind).unwrap_or(ProductKind::Industrial);
    let stage = Stage::parse(&form.stage).unwrap_or(Stage::Production);
    let verdict = Verdict::parse(&form.verdict);
    if verdict.is_none() {
        errors.push(ctx.t("smp-error-verdict"));
    }
    let sampled_on = match opt_date(&form.sampled_on) {
        Ok(Some(d)) => Some(d),
        _ => {
            errors.push(ctx.t("smp-error-sampled-on"));
            None
        }
    };
    let reported_on = opt_date(&form.reported_on).unwrap_or_else(|_| {
        errors.push(ctx.t("reg-error-date"));
        None
    });
    let (Some(level), Some(verdict), Some(sampled_on), true) =
        (level, verdict, sampled_on, errors.is_empty())
    else {
        return Ok(unprocessable(
            list_page(&state, &ctx, Filters::default(), form, errors).await?,
        ));
    };
    let actor = ctx.actor();
    let name = enterprises::by_code(&state.store, Whose::Actor(&actor), &form.enterprise_code)
        .await?
        .map(|e| e.name)
        .unwrap_or_default();
    let input = SamplingInput {
        report_no: form.report_no.clone(),
        plan: form.plan.clone(),
        level,
        stage,
        enterprise_code: form.enterprise_code.clone(),
        enterprise_name: name,
        product: form.product.clone(),
        category: form.category.clone(),
        kind,
        ccc: parse_yes_no(&form.ccc).unwrap_or(false),
        batch: form.batch.clone(),
        sampled_on,
        reported_on,
        verdict,
        failed_items: parse_failed_items(&form.failed_items),
        agency: form.agency.clone(),
    };
    if let Err(refusal) = input.check() {
        let message = refusal.message(dl(&ctx)).to_string();
        return Ok(unprocessable(
            list_page(&state, &ctx, Filters::default(), form, vec![message]).await?,
        ));
    }
    match sampling::create(&state.store, &ctx.actor(), &input, ctx.today).await {
        Ok(id) => Ok(see_other(&format!("/sampling/{id}"))),
        Err(StoreError::Invalid { code, .. }) => Ok(unprocessable(
            list_page(&state, &ctx, Filters::default(), form, vec![ctx.t(&code)]).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

async fn template(ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let bytes =
        qcity_exchange::sampling_template_xlsx().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sampling-template.xlsx",
    ))
}

/// Hands the file to the import queue; its page shows the progress, then what it did.
async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "sampling").await?;
    let rf = crate::imports::registry_file("sampling").ok_or(AppError::NotFound)?;
    crate::pages::import_jobs::queue_upload(&state, &ctx, rf, req).await
}

#[derive(Template)]
#[template(path = "sampling_record.html")]
struct RecordPage {
    ctx: PageCtx,
    r: SamplingRecord,
    level: String,
    stage: String,
    kind: String,
    disclosure_state: String,
    can_write: bool,
    statuses: Vec<(String, String)>,
    status: String,
    rectify_by: String,
    rectified_on: String,
    reinspected_on: String,
    reinspection: String,
    penalty: String,
    note: String,
    row_version: i64,
    errors: Vec<String>,
}

async fn record_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<FollowupForm>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let lang = dl(ctx);
    let r = sampling::record(&state.store, &ctx.actor(), id).await?;
    let f = r.followup.clone();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let form = form.unwrap_or_else(|| match &f {
        Some(f) => FollowupForm {
            status: f.status.clone(),
            rectify_by: o(&f.rectify_by),
            rectified_on: o(&f.rectified_on),
            reinspected_on: o(&f.reinspected_on),
            reinspection: match f.reinspection_passed {
                Some(true) => "pass".into(),
                Some(false) => "fail".into(),
                None => String::new(),
            },
            penalty: f.penalty.clone(),
            note: f.note.clone(),
            row_version: f.row_version,
        },
        None => FollowupForm::default(),
    });
    let disclosure_state = match &r.disclosure {
        None => ctx.t("smp-disclosure-waiting"),
        Some(d) if d.public_from.as_str() > ctx.today.to_string().as_str() => ctx.lang.t_args(
            "smp-disclosure-objection",
            &[("date", d.public_from.clone())],
        ),
        Some(d) => ctx
            .lang
            .t_args("smp-disclosure-public", &[("date", d.public_from.clone())]),
    };
    Ok(render(&RecordPage {
        disclosure_state,
        ctx: ctx.page(),
        level: r.level.label(lang).to_string(),
        stage: r.stage.label(lang).to_string(),
        kind: r.kind.label(lang).to_string(),
        can_write: enterprises::may_write(&state.store, &ctx.actor(), "sampling").await?,
        statuses: sampling::FOLLOWUP_STATES
            .iter()
            .map(|s| (s.to_string(), ctx.t(&format!("smp-followup-{s}"))))
            .collect(),
        status: form.status,
        rectify_by: form.rectify_by,
        rectified_on: form.rectified_on,
        reinspected_on: form.reinspected_on,
        reinspection: form.reinspection,
        penalty: form.penalty,
        note: form.note,
        row_version: form.row_version,
        r,
        errors,
    }))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    record_page(&state, &ctx, id, None, vec![]).await
}

#[derive(Deserialize, Default, Clone)]
struct FollowupForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    rectify_by: String,
    #[serde(default)]
    rectified_on: String,
    #[serde(default)]
    reinspected_on: String,
    #[serde(default)]
    reinspection: String,
    #[serde(default)]
    penalty: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    row_version: i64,
}

async fn followup(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<FollowupForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "sampling").await?;
    let mut errors = Vec::new();
    let mut d = |s: &str| {
        opt_date(s).unwrap_or_else(|_| {
            errors.push(ctx.t("reg-error-date"));
            None
        })
    };
    let input = FollowupInput {
        status: f.status.clone(),
        rectify_by: d(&f.rectify_by),
        rectified_on: d(&f.rectified_on),
        reinspected_on: d(&f.reinspected_on),
        reinspection_passed: match f.reinspection.as_str() {
            "pass" => Some(true),
            "fail" => Some(false),
            _ => None,
        },
        penalty: f.penalty.clone(),
        note: f.note.clone(),
    };
    if !errors.is_empty() {
        return Ok(unprocessable(
            record_page(&state, &ctx, id, Some(f), errors).await?,
        ));
    }
    match sampling::save_followup(&state.store, &ctx.actor(), id, f.row_version, &input).await {
        Ok(()) => Ok(see_other(&format!("/sampling/{id}"))),
        Err(StoreError::Invalid { code, .. }) => Ok(unprocessable(
            record_page(&state, &ctx, id, Some(f), vec![ctx.t(&code)]).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- public portal

/// The districts the public portal may be narrowed to (code, name), and whose records a page
/// shows: every district's, or the chosen one's (an unknown code chooses none).
async fn public_districts(
    state: &AppState,
    code: &str,
) -> Result<(Vec<(String, String)>, Whose<'static>), AppError> {
    let tree = qcity_store::units::tree(&state.store).await?;
    let districts = tree.at_level(qcity_domain::org::Level::District, None);
    let code = code.trim();
    let whose = if code.is_empty() {
        Whose::Public(None)
    } else {
        Whose::Public(Some(
            districts
                .iter()
                .find(|n| n.code == code)
                .map_or(-1, |n| n.id),
        ))
    };
    Ok((
        districts
            .iter()
            .map(|n| (n.code.clone(), n.name.clone()))
            .collect(),
        whose,
    ))
}

#[derive(Deserialize, Default)]
struct PublicQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    page: String,
}

/// The public lookup pages by name only (it shows cards, not a table with headers).
const PUBLIC_ENTERPRISE_SORTS: Sorts = Sorts {
    keys: &[],
    default_key: "",
    default_desc: false,
};

/// Cards per page of the public lookup: each card loads its sampling results.
const PUBLIC_CARDS: i64 = 20;

#[derive(Template)]
#[template(path = "public_enterprises.html")]
struct PublicEnterprisesPage {
    ctx: PageCtx,
    q: String,
    /// Each enterprise found, its address, blacklist listing and sampling results. Its
    /// address and town tell same-name enterprises apart; contacts stay off the public page.
    found: Vec<(EntRow, String, String, Vec<SamplingView>)>,
    list: Listing,
    districts: Vec<(String, String)>,
    district: String,
}

/// Look up an enterprise by name or code: its address and town, grade, blacklist status and
/// sampling results.
async fn public_enterprises(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PublicQuery>,
) -> Result<Response, AppError> {
    let mut found = Vec::new();
    let mut listing = Listing::new(
        "/public/enterprises",
        &PUBLIC_ENTERPRISE_SORTS,
        &q.page,
        "",
        "",
    )
    .keep("q", &q.q)
    .keep("district", &q.district);
    listing.per_page = PUBLIC_CARDS;
    let (districts, whose) = public_districts(&state, &q.district).await?;
    if !q.q.trim().is_empty() {
        let (list, total) =
            enterprises::search(&state.store, whose, &q.q, listing.limit(), listing.offset())
                .await?;
        listing = listing.with_total(total);
        let rows = rows_for(&state, &ctx, whose, &list).await?;
        let lang = dl(&ctx);
        for (row, e) in rows.into_iter().zip(&list) {
            let listing = credit::current_listing(&state.store, whose, row.id)
                .await?
                .filter(|l| l.state.is_public())
                .map(|l| {
                    format!(
                        "{}（{} — {}）",
                        l.state.label(lang),
                        l.listed_on.unwrap_or_default(),
                        l.until.unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let filter = sampling::Filter {
                enterprise_id: Some(row.id),
                ..Default::default()
            };
            let samplings = sampling::list(&state.store, whose, &filter, 50, 0)
                .await?
                .0
                .iter()
                .map(|r| sampling_view(r, &ctx))
                .collect();
            found.push((row, e.address.clone(), listing, samplings));
        }
    }
    Ok(render(&PublicEnterprisesPage {
        ctx: ctx.page(),
        q: q.q,
        found,
        list: listing,
        districts,
        district: q.district,
    }))
}

#[derive(Template)]
#[template(path = "public_blacklist.html")]
struct PublicBlacklistPage {
    ctx: PageCtx,
    /// (district, name, code, reason, listed on, until, state)
    rows: Vec<(String, String, String, String, String, String, String)>,
    districts: Vec<(String, String)>,
    district: String,
}

async fn public_blacklist(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PublicQuery>,
) -> Result<Response, AppError> {
    let lang = dl(&ctx);
    let (districts, whose) = public_districts(&state, &q.district).await?;
    let rows = credit::published(&state.store, whose)
        .await?
        .into_iter()
        .map(|l| {
            (
                l.district,
                l.enterprise_name,
                l.enterprise_code,
                l.reason,
                l.listed_on.unwrap_or_default(),
                l.until.unwrap_or_default(),
                l.state.label(lang).to_string(),
            )
        })
        .collect();
    Ok(render(&PublicBlacklistPage {
        ctx: ctx.page(),
        rows,
        districts,
        district: q.district,
    }))
}

#[derive(Template)]
#[template(path = "public_sampling.html")]
struct PublicSamplingPage {
    ctx: PageCtx,
    f: Filters,
    rows: Vec<RecordRow>,
    list: Listing,
    districts: Vec<(String, String)>,
}

async fn public_sampling(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Result<Response, AppError> {
    let listing = f.listing("/public/sampling");
    // The public sees failed results once reviewed and past their objection period.
    let filter = sampling::Filter {
        public_on: Some(ctx.today),
        awaiting_disclosure: false,
        order: listing.order(),
        ..f.filter()
    };
    let (districts, whose) = public_districts(&state, &f.district).await?;
    let (records, total) = sampling::list(
        &state.store,
        whose,
        &filter,
        listing.limit(),
        listing.offset(),
    )
    .await?;
    Ok(render(&PublicSamplingPage {
        districts,
        ctx: ctx.page(),
        rows: records.iter().map(|r| record_row(r, &ctx)).collect(),
        list: listing.with_total(total),
        f,
    }))
}

/// Supervision sampling: records, follow-ups, pass rates, public disclosure.
pub static MODULE: Module = Module {
    slug: "sampling",
    schema: &qcity_store::sampling::SCHEMA,
    routes: |r| {
        let r = routes(r);
        crate::api::registers::sampling_routes(r)
    },
    openapi: <crate::api::registers::SamplingDoc as utoipa::OpenApi>::openapi,
    nav: &[
        NavEntry {
            label: "nav-sampling",
            path: "/sampling",
            order: 50,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-sampling-districts",
            path: "/sampling/districts",
            order: 51,
            shown_to: office_and_leaders,
        },
    ],
};

/// The disclosure setting in words, under the office's button.
async fn disclosure_rule_text(state: &AppState, ctx: &Ctx) -> Result<String, AppError> {
    let rule = qcity_store::approvals::rule(
        &state.store,
        qcity_domain::approval::Kind::SamplingDisclosure,
    )
    .await?;
    Ok(ctx.lang.t_args(
        if rule.four_eyes {
            "smp-disclosure-rule-four-eyes"
        } else {
            "smp-disclosure-rule"
        },
        &[("days", rule.objection_days.to_string())],
    ))
}

#[derive(Deserialize)]
struct DiscloseForm {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    all: String,
}

/// Reviews failed results for the public portal: one (from its page) or every one waiting.
async fn disclose(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<DiscloseForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    ctx.actor().require_admin()?;
    let ids = match (f.id, f.all.is_empty()) {
        (Some(id), _) => vec![id],
        (None, false) => sampling::awaiting_disclosure_of(&state.store, &ctx.actor()).await?,
        (None, true) => return Err(AppError::NotFound),
    };
    let (done, left) = sampling::disclose(&state.store, &ctx.actor(), &ids, ctx.today).await?;
    if let Some(id) = f.id {
        if left > 0 {
            return Err(AppError::Conflict("error-four-eyes".into()));
        }
        return Ok(see_other(&format!("/sampling/{id}")));
    }
    Ok(see_other(&format!(
        "/sampling?disclosed={done}&left={left}"
    )))
}

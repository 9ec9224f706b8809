//! 企业与信用: the enterprise register (search, entry, import, code overrides, licences), each
//! enterprise's quality credit file with its grade and reasons, the blacklist and the rules.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::listing::{Listing, SortKey, Sorts};
use crate::middleware::see_other;
use crate::module::{BodyLimit, Module, NavEntry, Routes, signed_in};
use crate::view::encode_component;
use crate::view::target_lang;
use crate::view::{PageCtx, attachment, render, safe_local_path, unprocessable};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use qcity_domain::credit::{EventKind, Grade, ListingAction, ListingState};
use qcity_domain::identifiers;
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::{CodeList, LicenceKind, Size};
use qcity_domain::role::Role;
use qcity_domain::target::Lang as DLang;
use qcity_store::StoreError;
use qcity_store::credit::{self, CreditEvent, ListingRecord};
use qcity_store::enterprises::{self, EnterpriseInput, LicenceInput, Whose};
use qcity_store::sampling::{self, SamplingRecord};
use serde::Deserialize;
use std::collections::HashSet;

pub fn routes(r: Routes) -> Routes {
    // The register, credit files and blacklist are kept per district; the code overrides
    // and the credit rules are the installation's, so they stay the home district's.
    r.per_district(true)
        .get("/enterprises", list)
        .post("/enterprises", create)
        .get("/enterprises/template.xlsx", template)
        .upload("/enterprises/import", BodyLimit::Import, import)
        .get("/enterprises/licences", licence_list)
        .get("/enterprises/{id}", show)
        .post("/enterprises/{id}/edit", edit)
        .post("/enterprises/{id}/licences", add_licence)
        .upload("/enterprises/{id}/events", BodyLimit::Evidence, add_event)
        .post("/enterprises/{id}/listings", propose)
        .get("/enterprises/{id}/events/{event}/evidence", evidence)
        .post("/credit-events/{id}/withdraw", withdraw)
        .post("/listings/{id}/act", act)
        .get("/credit/blacklist", blacklist)
        .per_district(false)
        .post("/enterprises/code-overrides", record_override)
        .get("/credit/rules", rules)
        .post("/credit/rules", save_rules)
}

/// The domain's language for the request's.
pub fn dl(ctx: &Ctx) -> DLang {
    target_lang(&ctx.page())
}

fn date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

/// A grade's label and its colour class.
pub fn grade_view(g: Grade, lang: DLang) -> (String, &'static str) {
    let colour = match g {
        Grade::A => "green",
        Grade::B => "blue",
        Grade::C => "yellow",
        Grade::D => "red",
    };
    (g.label(lang).to_string(), colour)
}

/// Diagnostics as lines in the user's language, by line.
pub fn problem_lines(mut ds: Vec<Diagnostic>, lang: DLang) -> Vec<String> {
    ds.sort_by_key(|d| d.line.unwrap_or(0));
    ds.iter()
        .map(|d| {
            format!(
                "{}{}",
                if d.is_error() { "" } else { "⚠ " },
                d.message(lang)
            )
        })
        .collect()
}

// ---------------------------------------------------------------- licences expiring

#[derive(Deserialize, Default)]
struct LicencesQuery {
    #[serde(default)]
    within: String,
}

/// One licence to follow up: its holder, kind, number, expiry and how far off it is.
struct ExpiringRow {
    enterprise_id: i64,
    enterprise: String,
    code: String,
    kind: String,
    number: String,
    product: String,
    expires: String,
    /// "还有 N 天" / "已过期 N 天" in the reader's language.
    left: String,
    colour: &'static str,
}

#[derive(Template)]
#[template(path = "licences.html")]
struct LicencesPage {
    ctx: PageCtx,
    within: i64,
    rows: Vec<ExpiringRow>,
}

/// Licences about to expire or expired, for the office and the units that keep the register
/// to follow up (the daily licence digest links here).
async fn licence_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LicencesQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let within = q.within.trim().parse::<i64>().unwrap_or(60).clamp(0, 365);
    let lang = dl(&ctx);
    let actor = ctx.actor();
    let mut list =
        enterprises::expiring_licences(&state.store, Whose::Actor(&actor), ctx.today, within)
            .await?;
    // Expired first (the most urgent to follow up), then the soonest to expire.
    list.sort_by_key(|l| (l.days_left >= 0, l.days_left, l.licence.id));
    let rows = list
        .into_iter()
        .map(|l| {
            let (left, colour) = match l.days_left {
                d if d < 0 => (
                    ctx.lang
                        .t_args("licences-days-expired", &[("n", (-d).to_string())]),
                    "red",
                ),
                0 => (ctx.t("licences-expires-today"), "red"),
                d => (
                    ctx.lang
                        .t_args("licences-days-left", &[("n", d.to_string())]),
                    if d <= 30 { "yellow" } else { "blue" },
                ),
            };
            ExpiringRow {
                enterprise_id: l.licence.enterprise_id,
                enterprise: l.enterprise_name,
                code: l.enterprise_code,
                kind: l.licence.kind.label(lang).to_string(),
                number: l.licence.number,
                product: l.licence.product,
                expires: l.licence.expires.map(|d| d.to_string()).unwrap_or_default(),
                left,
                colour,
            }
        })
        .collect();
    Ok(render(&LicencesPage {
        ctx: ctx.page(),
        within,
        rows,
    }))
}

// ---------------------------------------------------------------- list, create, import

pub struct EntRow {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub override_reason: Option<String>,
    pub address: String,
    pub industry: String,
    /// Another registered enterprise has the same name: the page shows the address too.
    pub same_name: bool,
    pub town: String,
    pub size: String,
    pub grade: String,
    pub grade_colour: &'static str,
    pub listed: bool,
    /// The district whose register holds it (named on the public portal).
    pub district: String,
}

/// The enterprise list's query: search words, filters, and the listing's page and order.
#[derive(Deserialize, Default, Clone)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

/// The enterprise list's sortable columns.
const SORTS: Sorts = Sorts {
    keys: &[
        SortKey {
            key: "name",
            column: "e.name",
        },
        SortKey {
            key: "code",
            column: "e.code",
        },
        SortKey {
            key: "town",
            column: "e.town",
        },
        SortKey {
            key: "industry",
            column: "e.industry",
        },
        SortKey {
            key: "size",
            column: "e.size",
        },
    ],
    default_key: "name",
    default_desc: false,
};

impl SearchQuery {
    fn listing(&self) -> Listing {
        Listing::new("/enterprises", &SORTS, &self.page, &self.sort, &self.dir)
            .keep("q", &self.q)
            .keep("town", &self.town)
            .keep("industry", &self.industry)
            .keep("grade", &self.grade)
    }

    fn filter(&self) -> enterprises::EnterpriseFilter {
        enterprises::EnterpriseFilter {
            text: self.q.clone(),
            town: self.town.clone(),
            industry: self.industry.clone(),
        }
    }
}

/// A page of enterprises for a query: filtered and paged in SQL, except by credit grade, which
/// is computed from the events; then every match's grade is computed and the page cut here.
pub async fn find_page(
    state: &AppState,
    ctx: &Ctx,
    q: &SearchQuery,
    listing: Listing,
) -> Result<(Vec<enterprises::Enterprise>, Listing), AppError> {
    let filter = q.filter();
    let actor = ctx.actor();
    let whose = Whose::Actor(&actor);
    match Grade::parse(q.grade.trim()).filter(|_| !q.grade.trim().is_empty()) {
        None => {
            let (list, total) = enterprises::find(
                &state.store,
                whose,
                &filter,
                listing.order(),
                listing.limit(),
                listing.offset(),
            )
            .await?;
            Ok((list, listing.with_total(total)))
        }
        Some(grade) => {
            let ids = enterprises::find_ids(&state.store, whose, &filter, listing.order()).await?;
            let grades = credit::grades(&state.store, &ids, ctx.today).await?;
            let matching: Vec<i64> = ids
                .into_iter()
                .filter(|id| grades.get(id) == Some(&grade))
                .collect();
            let total = matching.len() as i64;
            let from = (listing.offset() as usize).min(matching.len());
            let to = (from + listing.limit() as usize).min(matching.len());
            let list = enterprises::by_ids(&state.store, whose, &matching[from..to]).await?;
            Ok((list, listing.with_total(total)))
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct EnterpriseForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    chief_quality_officer: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    file_opened: String,
    #[serde(default)]
    row_version: i64,
}

impl EnterpriseForm {
    fn from(e: &enterprises::Enterprise) -> EnterpriseForm {
        EnterpriseForm {
            code: e.code.clone(),
            name: e.name.clone(),
            address: e.address.clone(),
            industry: e.industry.clone(),
            size: e.size.map(|s| s.code().to_string()).unwrap_or_default(),
            town: e.town.clone(),
            chief_quality_officer: e.chief_quality_officer.clone(),
            contact: e.contact.clone(),
            file_opened: e.file_opened.map(|d| d.to_string()).unwrap_or_default(),
            row_version: e.row_version,
        }
    }

    fn input(&self, ctx: &Ctx) -> Result<EnterpriseInput, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let size = if self.size.trim().is_empty() {
            None
        } else {
            let s = Size::parse(&self.size);
            if s.is_none() {
                errors.push(("size".to_string(), ctx.t("ent-error-size")));
            }
            s
        };
        let file_opened = date(&self.file_opened).unwrap_or_else(|_| {
            errors.push(("file_opened".to_string(), ctx.t("reg-error-date")));
            None
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(EnterpriseInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            industry: self.industry.clone(),
            size,
            town: self.town.clone(),
            chief_quality_officer: self.chief_quality_officer.clone(),
            contact: self.contact.clone(),
            file_opened,
        })
    }
}

#[derive(Template)]
#[template(path = "enterprises.html")]
struct ListPage {
    ctx: PageCtx,
    q: SearchQuery,
    rows: Vec<EntRow>,
    list: Listing,
    towns: Vec<String>,
    industries: Vec<String>,
    grades: Vec<(String, String)>,
    can_write: bool,
    recent_imports: Vec<crate::pages::import_jobs::RecentLine>,
    form: EnterpriseForm,
    errors: Vec<(String, String)>,
    sizes: Vec<(String, String)>,
    notice: String,
}

impl ListPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Rows for a page of enterprises of the registers `whose` covers: grades as of today and the
/// blacklist marker.
pub async fn rows_for(
    state: &AppState,
    ctx: &Ctx,
    whose: Whose<'_>,
    list: &[enterprises::Enterprise],
) -> Result<Vec<EntRow>, AppError> {
    let lang = dl(ctx);
    let ids: Vec<i64> = list.iter().map(|e| e.id).collect();
    let grades = credit::grades(&state.store, &ids, ctx.today).await?;
    let listed: HashSet<i64> = credit::published(&state.store, whose)
        .await?
        .iter()
        .map(|l| l.enterprise_id)
        .collect();
    let names: Vec<String> = list.iter().map(|e| e.name.clone()).collect();
    let shared = enterprises::shared_names(&state.store, whose, &names).await?;
    Ok(list
        .iter()
        .map(|e| {
            let (grade, grade_colour) = grades
                .get(&e.id)
                .map(|g| grade_view(*g, lang))
                .unwrap_or((String::new(), "grey"));
            EntRow {
                id: e.id,
                name: e.name.clone(),
                code: e.code.clone(),
                override_reason: e.code_override.clone(),
                address: e.address.clone(),
                industry: e.industry.clone(),
                same_name: shared.contains(&e.name),
                town: e.town.clone(),
                size: e
                    .size
                    .map(|s| s.label(lang).to_string())
                    .unwrap_or_default(),
                grade,
                grade_colour,
                listed: listed.contains(&e.id),
                district: e.district.clone(),
            }
        })
        .collect())
}

fn sizes(lang: DLang) -> Vec<(String, String)> {
    Size::ALL
        .iter()
        .map(|s| (s.code().to_string(), s.label(lang).to_string()))
        .collect()
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &SearchQuery,
    form: EnterpriseForm,
    errors: Vec<(String, String)>,
    notice: String,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (list, listing) = find_page(state, ctx, q, q.listing()).await?;
    let actor = ctx.actor();
    let whose = Whose::Actor(&actor);
    let rows = rows_for(state, ctx, whose, &list).await?;
    let can_write = enterprises::may_write(&state.store, &actor, "enterprises").await?;
    let lang = dl(ctx);
    Ok(render(&ListPage {
        ctx: ctx.page(),
        q: q.clone(),
        rows,
        list: listing,
        towns: enterprises::choices(&state.store, whose, enterprises::Choice::Town).await?,
        industries: enterprises::choices(&state.store, whose, enterprises::Choice::Industry)
            .await?,
        grades: Grade::ALL
            .iter()
            .map(|g| (g.code().to_string(), g.label(lang).to_string()))
            .collect(),
        recent_imports: if can_write {
            crate::pages::import_jobs::recent_lines(state, ctx, "enterprises", None).await?
        } else {
            vec![]
        },
        can_write,
        form,
        errors,
        sizes: sizes(dl(ctx)),
        notice,
    }))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(flatten)]
    search: SearchQuery,
    #[serde(default)]
    overridden: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let notice = if q.overridden.is_empty() {
        String::new()
    } else {
        ctx.lang
            .t_args("ent-override-done", &[("code", q.overridden.clone())])
    };
    list_page(
        &state,
        &ctx,
        &q.search,
        EnterpriseForm::default(),
        vec![],
        notice,
    )
    .await
}

/// The reason a code is refused, in the user's language (the store's check, spelled out).
fn code_reason(ctx: &Ctx, raw: &str) -> String {
    match identifiers::check_enterprise_code(raw) {
        Err(e) => enterprises::CodeRefusal(e).message(dl(ctx)),
        Ok(_) => ctx.t("error-enterprise-code-invalid"),
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<EnterpriseForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let refuse = |errors: Vec<(String, String)>| {
        let state = state.clone();
        let ctx = ctx.clone();
        let f = f.clone();
        async move {
            Ok::<_, AppError>(unprocessable(
                list_page(
                    &state,
                    &ctx,
                    &SearchQuery::default(),
                    f,
                    errors,
                    String::new(),
                )
                .await?,
            ))
        }
    };
    let input = match f.input(&ctx) {
        Ok(i) => i,
        Err(errors) => return refuse(errors).await,
    };
    match enterprises::create(&state.store, &ctx.actor(), &input, ctx.today).await {
        Ok(id) => Ok(see_other(&format!("/enterprises/{id}"))),
        Err(StoreError::Invalid { field, code }) if code == "error-enterprise-code-invalid" => {
            refuse(vec![(field, code_reason(&ctx, &f.code))]).await
        }
        Err(StoreError::Invalid { field, code }) => refuse(vec![(field, ctx.t(&code))]).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct OverrideForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    reason: String,
}

async fn record_override(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<OverrideForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    match enterprises::record_override(&state.store, &ctx.actor(), &f.code, &f.reason).await {
        Ok(code) => Ok(see_other(&format!(
            "/enterprises?overridden={}",
            encode_component(&code)
        ))),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            list_page(
                &state,
                &ctx,
                &SearchQuery::default(),
                EnterpriseForm::default(),
                vec![(format!("override_{field}"), ctx.t(&code))],
                String::new(),
            )
            .await?,
        )),
        Err(e) => Err(e.into()),
    }
}

async fn template(ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let bytes = qcity_exchange::enterprise_template_xlsx()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "enterprises-template.xlsx",
    ))
}

#[derive(Template)]
#[template(path = "registry_import.html")]
pub struct ImportPage {
    pub ctx: PageCtx,
    pub title: String,
    pub back: String,
    pub back_label: String,
    pub counts: Vec<(String, usize)>,
    pub problems: Vec<String>,
    /// Whether any row was imported: the problems' heading says so only then.
    pub imported: bool,
}

/// Hands the file to the import queue; its page shows the progress, then what it did.
async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let rf = crate::imports::registry_file("enterprises").ok_or(AppError::NotFound)?;
    crate::pages::import_jobs::queue_upload(&state, &ctx, rf, req).await
}

// ---------------------------------------------------------------- one enterprise

pub struct LicenceView {
    pub kind: String,
    pub number: String,
    pub product: String,
    pub issued: String,
    pub expires: String,
    /// "", "expiring" or "expired".
    pub state: &'static str,
}

pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub date: String,
    pub serious: bool,
    pub summary: String,
    pub source: String,
    pub manual: bool,
    pub unit: String,
    pub evidence: Option<String>,
    pub withdrawn: Option<String>,
}

pub struct ListingView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_code: String,
    pub state: String,
    pub state_code: &'static str,
    pub reason: String,
    pub proposed: String,
    pub listed_on: String,
    pub until: String,
    pub row_version: i64,
    pub history: Vec<(String, String, String, String, String)>,
    pub actions: Vec<(String, String, bool)>,
}

pub struct SamplingView {
    pub id: i64,
    pub report_no: String,
    pub product: String,
    pub level: String,
    pub sampled_on: String,
    pub passed: bool,
    pub followup: String,
}

pub fn sampling_view(r: &SamplingRecord, ctx: &Ctx) -> SamplingView {
    SamplingView {
        id: r.id,
        report_no: r.report_no.clone(),
        product: r.product.clone(),
        level: r.level.label(dl(ctx)).to_string(),
        sampled_on: r.sampled_on.clone(),
        passed: r.passed,
        followup: r
            .followup
            .as_ref()
            .map(|f| ctx.t(&format!("smp-followup-{}", f.status)))
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct EnterprisePage {
    ctx: PageCtx,
    e: enterprises::Enterprise,
    size: String,
    form: EnterpriseForm,
    sizes: Vec<(String, String)>,
    licence_kinds: Vec<(String, String)>,
    event_kinds: Vec<(String, String)>,
    licences: Vec<LicenceView>,
    events: Vec<EventView>,
    grade: String,
    grade_colour: &'static str,
    score: i32,
    reasons: Vec<(String, i32)>,
    rule_name: String,
    listings: Vec<ListingView>,
    open_listing: bool,
    proposal: String,
    samplings: Vec<SamplingView>,
    can_edit: bool,
    can_credit: bool,
    errors: Vec<(String, String)>,
    /// What was typed into the credit event form, shown again when the event was refused.
    event: TypedEvent,
}

/// The credit event form as the user filled it in (empty on a fresh page).
#[derive(Default)]
struct TypedEvent {
    kind: String,
    occurred_on: String,
    serious: bool,
    summary: String,
}

impl EnterprisePage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn listing_view(
    l: &ListingRecord,
    history: Vec<credit::ListingStep>,
    ctx: &Ctx,
    is_office: bool,
    can_credit: bool,
) -> ListingView {
    let lang = dl(ctx);
    ListingView {
        id: l.id,
        enterprise_id: l.enterprise_id,
        enterprise_name: l.enterprise_name.clone(),
        enterprise_code: l.enterprise_code.clone(),
        state: l.state.label(lang).to_string(),
        state_code: l.state.code(),
        reason: l.reason.clone(),
        proposed: format!("{} · {}", l.proposed_on, l.proposed_by),
        listed_on: l.listed_on.clone().unwrap_or_default(),
        until: l.until.clone().unwrap_or_default(),
        row_version: l.row_version,
        history: history
            .into_iter()
            .map(|s| {
                (
                    crate::view::local_time(&s.at),
                    match ListingAction::parse(&s.action) {
                        Some(a) => a.label(lang).to_string(),
                        None if s.action == "propose" => ctx.t("credit-propose"),
                        None => s.action,
                    },
                    s.state.label(lang).to_string(),
                    s.comment,
                    s.actor,
                )
            })
            .collect(),
        actions: l
            .state
            .actions()
            .iter()
            .filter(|a| {
                if **a == ListingAction::RequestRepair {
                    can_credit
                } else {
                    is_office
                }
            })
            .map(|a| {
                (
                    a.code().to_string(),
                    a.label(lang).to_string(),
                    matches!(a, ListingAction::Approve | ListingAction::ApproveRepair),
                )
            })
            .collect(),
    }
}

async fn detail(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<EnterpriseForm>,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    detail_typed(state, ctx, id, form, errors, TypedEvent::default()).await
}

async fn detail_typed(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<EnterpriseForm>,
    errors: Vec<(String, String)>,
    event: TypedEvent,
) -> Result<Response, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let lang = dl(ctx);
    let e = enterprises::get(&state.store, &actor, id).await?;
    let today = ctx.today;
    let whose = Whose::Actor(&actor);
    let licences = enterprises::licences(&state.store, whose, id)
        .await?
        .into_iter()
        .map(|l| LicenceView {
            kind: l.kind.label(lang).to_string(),
            number: l.number,
            product: l.product,
            issued: l.issued.map(|d| d.to_string()).unwrap_or_default(),
            expires: l.expires.map(|d| d.to_string()).unwrap_or_default(),
            state: match l.expires {
                Some(x) if x < today => "expired",
                Some(x) if (x - today).num_days() <= 90 => "expiring",
                _ => "",
            },
        })
        .collect();
    let events = credit::events(&state.store, whose, id)
        .await?
        .into_iter()
        .map(|c: CreditEvent| EventView {
            id: c.id,
            kind: c.kind.label(lang).to_string(),
            date: c.occurred_on,
            serious: c.serious,
            summary: c.summary,
            source: if c.source == "manual" {
                ctx.t("credit-source-manual")
            } else {
                format!(
                    "{}{}",
                    ctx.t("credit-source-sampling"),
                    c.source_ref.map(|r| format!(" {r}")).unwrap_or_default()
                )
            },
            manual: c.source == "manual",
            unit: c.unit.unwrap_or_default(),
            evidence: c.evidence_sha256.and(c.evidence_filename),
            withdrawn: c.withdrawn_at.map(|at| {
                format!(
                    "{} {}",
                    at.get(..10).unwrap_or(&at),
                    c.withdrawn_reason.unwrap_or_default()
                )
            }),
        })
        .collect();
    let grading = credit::grading(&state.store, whose, id, today).await?;
    let (rules, _) = credit::rules(&state.store).await?;
    let (grade, grade_colour) = grade_view(grading.grade, lang);
    let can_edit = enterprises::may_write(&state.store, &actor, "enterprises").await?;
    let can_credit = enterprises::may_write(&state.store, &actor, "credit").await?;
    let is_office = ctx.page().is_office();
    let mut listings = Vec::new();
    let mut open_listing = false;
    for l in credit::enterprise_listings(&state.store, whose, id).await? {
        open_listing |= !l.state.is_final();
        let h = credit::listing_history(&state.store, l.id).await?;
        listings.push(listing_view(&l, h, ctx, is_office, can_credit));
    }
    let proposal = if open_listing {
        String::new()
    } else {
        credit::proposal(&state.store, &actor, id, today)
            .await?
            .map(|r| r.text(lang).to_string())
            .unwrap_or_default()
    };
    let filter = sampling::Filter {
        enterprise_id: Some(id),
        ..Default::default()
    };
    let samplings = sampling::list(&state.store, whose, &filter, 100, 0)
        .await?
        .0
        .iter()
        .map(|r| sampling_view(r, ctx))
        .collect();
    Ok(render(&EnterprisePage {
        ctx: ctx.page(),
        size: e
            .size
            .map(|s| s.label(lang).to_string())
            .unwrap_or_default(),
        form: form.unwrap_or_else(|| EnterpriseForm::from(&e)),
        e,
        sizes: sizes(lang),
        licence_kinds: LicenceKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label(lang).to_string()))
            .collect(),
        event_kinds: EventKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label(lang).to_string()))
            .collect(),
        licences,
        events,
        grade,
        grade_colour,
        score: grading.score,
        reasons: grading
            .reasons
            .iter()
            .map(|r| (r.text(lang).to_string(), r.points))
            .collect(),
        rule_name: rules.name,
        listings,
        open_listing,
        proposal,
        samplings,
        can_edit,
        can_credit,
        errors,
        event,
    }))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    detail(&state, &ctx, id, None, vec![]).await
}

/// A store refusal of a form on the enterprise page: the page again with the message (422).
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    e: StoreError,
    form: Option<EnterpriseForm>,
) -> Result<Response, AppError> {
    match e {
        StoreError::Invalid { field, code } => Ok(unprocessable(
            detail(state, ctx, id, form, vec![(field, ctx.t(&code))]).await?,
        )),
        e => Err(e.into()),
    }
}

async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<EnterpriseForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let input = match f.input(&ctx) {
        Ok(i) => i,
        Err(errors) => {
            return Ok(unprocessable(
                detail(&state, &ctx, id, Some(f), errors).await?,
            ));
        }
    };
    match enterprises::update(
        &state.store,
        &ctx.actor(),
        id,
        f.row_version,
        &input,
        ctx.today,
    )
    .await
    {
        Ok(()) => Ok(see_other(&format!("/enterprises/{id}"))),
        Err(e) => refused(&state, &ctx, id, e, Some(f)).await,
    }
}

#[derive(Deserialize)]
struct LicenceForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    issued: String,
    #[serde(default)]
    expires: String,
}

async fn add_licence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LicenceForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let mut errors = Vec::new();
    let kind = LicenceKind::parse(&f.kind).unwrap_or(LicenceKind::Other);
    let issued = date(&f.issued).unwrap_or_else(|_| {
        errors.push(("issued".to_string(), ctx.t("reg-error-date")));
        None
    });
    let expires = date(&f.expires).unwrap_or_else(|_| {
        errors.push(("expires".to_string(), ctx.t("reg-error-date")));
        None
    });
    if !errors.is_empty() {
        return Ok(unprocessable(detail(&state, &ctx, id, None, errors).await?));
    }
    let l = LicenceInput {
        kind,
        number: f.number,
        product: f.product,
        issued,
        expires,
    };
    match enterprises::save_licence(&state.store, &ctx.actor(), id, &l).await {
        Ok(()) => Ok(see_other(&format!("/enterprises/{id}#licences"))),
        Err(e) => refused(&state, &ctx, id, e, None).await,
    }
}

async fn add_event(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    // Who may record is settled before the upload is read.
    enterprises::require_writer(&state.store, &ctx.actor(), "credit").await?;
    let max = state.config.max_evidence_bytes as u64;
    let form = crate::upload::read_form(req, &state, max).await?;
    let typed = TypedEvent {
        kind: form.text("kind"),
        occurred_on: form.text("occurred_on"),
        serious: !form.text("serious").is_empty(),
        summary: form.text("summary"),
    };
    // Every refusal shows the form again as it was filled in, with the reason.
    let again = |field: &str, message: String, typed: TypedEvent| {
        let field = field.to_string();
        let (state, ctx) = (&state, &ctx);
        async move {
            Ok(unprocessable(
                detail_typed(state, ctx, id, None, vec![(field, message)], typed).await?,
            ))
        }
    };
    if let Some(problem) = form.problem {
        return again("files", problem.message(ctx.lang), typed).await;
    }
    let files = form.evidence("file").await?;
    let Some(kind) = EventKind::parse(&typed.kind) else {
        return again("kind", ctx.t("credit-error-kind"), typed).await;
    };
    let Ok(Some(occurred_on)) = date(&typed.occurred_on) else {
        return again("occurred_on", ctx.t("reg-error-date"), typed).await;
    };
    let policy = qcity_store::evidence::EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    let checked = match qcity_store::evidence::check(&files, &policy) {
        Ok(c) => c,
        Err(StoreError::Invalid { field, code }) => {
            return again(&field, ctx.t(&code), typed).await;
        }
        Err(e) => return Err(e.into()),
    };
    let ev = credit::NewEvent {
        kind,
        occurred_on,
        serious: typed.serious,
        summary: typed.summary.clone(),
    };
    match credit::add_event(
        &state.store,
        &ctx.actor(),
        id,
        &ev,
        &checked[..checked.len().min(1)],
        ctx.today,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/enterprises/{id}#credit"))),
        Err(StoreError::Invalid { field, code }) => again(&field, ctx.t(&code), typed).await,
        Err(e) => Err(e.into()),
    }
}

/// An event's evidence, only through the event as the enterprise's credit file shows it.
async fn evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, event)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (name, mime, data) = credit::event_evidence(&state.store, &ctx.actor(), id, event).await?;
    Ok(crate::view::evidence_download(data, &mime, &name))
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    enterprise: i64,
}

async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(event): Path<i64>,
    axum::Form(f): axum::Form<ReasonForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "credit").await?;
    match credit::withdraw_event(&state.store, &ctx.actor(), event, &f.reason).await {
        Ok(()) => Ok(see_other(&format!("/enterprises/{}#credit", f.enterprise))),
        Err(e) => refused(&state, &ctx, f.enterprise, e, None).await,
    }
}

async fn propose(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReasonForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "credit").await?;
    match credit::propose(&state.store, &ctx.actor(), id, &f.reason, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/enterprises/{id}#blacklist"))),
        Err(e) => refused(&state, &ctx, id, e, None).await,
    }
}

#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    row_version: i64,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    back: String,
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ActForm>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    // The office decides; credit-registry units may only file repair requests.
    let can_credit = enterprises::may_write(&state.store, &ctx.actor(), "credit").await?;
    if user.role != Role::Office && !can_credit {
        return Err(AppError::Forbidden);
    }
    let action = ListingAction::parse(&f.action).ok_or_else(|| {
        AppError::Validation(vec![("action".into(), "credit-error-action".into())])
    })?;
    match credit::act(
        &state.store,
        &ctx.actor(),
        id,
        f.row_version,
        action,
        &f.comment,
        ctx.today,
    )
    .await?
    {
        Ok(_) => Ok(see_other(&safe_local_path(&f.back))),
        Err(e) => Err(AppError::Conflict(e.message(dl(&ctx)))),
    }
}

// ---------------------------------------------------------------- blacklist and rules

#[derive(Template)]
#[template(path = "blacklist.html")]
struct BlacklistPage {
    ctx: PageCtx,
    groups: Vec<(String, Vec<ListingView>)>,
}

async fn blacklist(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let user = ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    let is_office = user.role == Role::Office;
    let actor = ctx.actor();
    let can_credit = enterprises::may_write(&state.store, &actor, "credit").await?;
    let all = credit::listings(&state.store, Whose::Actor(&actor), &[]).await?;
    let lang = dl(&ctx);
    let mut groups = Vec::new();
    for st in ListingState::ALL {
        let views = all
            .iter()
            .filter(|l| l.state == *st)
            .map(|l| listing_view(l, vec![], &ctx, is_office, can_credit))
            .collect();
        groups.push((st.label(lang).to_string(), views));
    }
    Ok(render(&BlacklistPage {
        ctx: ctx.page(),
        groups,
    }))
}

#[derive(Template)]
#[template(path = "credit_rules.html")]
struct RulesPage {
    ctx: PageCtx,
    name: String,
    note: String,
    saved: String,
    start: i32,
    max_score: i32,
    window_years: u32,
    events: Vec<(String, i32, String)>,
    grades: Vec<(String, String)>,
    caps: Vec<(String, String)>,
    blacklist: Vec<String>,
    body: String,
    problems: Vec<String>,
}

async fn rules_page(
    state: &AppState,
    ctx: &Ctx,
    body: Option<String>,
    problems: Vec<String>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let lang = dl(ctx);
    let (r, saved) = credit::rules(&state.store).await?;
    let body = match body {
        Some(b) => b,
        None => credit::rules_text(&state.store).await?,
    };
    let b = &r.blacklist;
    let mut blacklist = vec![
        ctx.lang
            .t_args("rules-listing-years", &[("n", b.listing_years.to_string())]),
        ctx.lang.t_args(
            "rules-repair-after",
            &[("n", b.repair_after_years.to_string())],
        ),
    ];
    if let Some(n) = b.propose_sampling_failures {
        blacklist.push(ctx.lang.t_args(
            "rules-propose-failures",
            &[
                ("n", n.to_string()),
                ("years", b.propose_within_years.to_string()),
            ],
        ));
    }
    if b.propose_on_serious_penalty {
        blacklist.push(ctx.lang.t_args(
            "rules-propose-penalty",
            &[("years", b.propose_within_years.to_string())],
        ));
    }
    Ok(render(&RulesPage {
        ctx: ctx.page(),
        name: r.name.clone(),
        note: match lang {
            DLang::ZhCn => r.note_zh.clone(),
            DLang::En => r.note_en.clone(),
        },
        saved: saved
            .map(|(by, at)| ctx.lang.t_args("rules-saved-by", &[("by", by), ("at", at)]))
            .unwrap_or_else(|| ctx.t("rules-default")),
        start: r.start,
        max_score: r.max_score,
        window_years: r.window_years,
        events: r
            .events
            .iter()
            .map(|e| {
                (
                    e.kind.label(lang).to_string(),
                    e.points,
                    e.serious_points.map(|p| p.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        grades: r
            .grades
            .iter()
            .map(|g| {
                (
                    g.grade.label(lang).to_string(),
                    g.min.map(|m| format!("≥ {m}")).unwrap_or_default(),
                )
            })
            .collect(),
        caps: r
            .caps
            .iter()
            .map(|c| {
                (
                    c.when.label(lang).to_string(),
                    c.grade.label(lang).to_string(),
                )
            })
            .collect(),
        blacklist,
        body,
        problems,
    }))
}

async fn rules(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    rules_page(&state, &ctx, None, vec![]).await
}

#[derive(Deserialize)]
struct RulesForm {
    #[serde(default)]
    body: String,
}

async fn save_rules(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<RulesForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    match credit::save_rules(&state.store, &ctx.actor(), &f.body).await? {
        Ok(()) => Ok(see_other("/credit/rules")),
        Err(problems) => {
            let lines = problem_lines(problems, dl(&ctx));
            Ok(unprocessable(
                rules_page(&state, &ctx, Some(f.body), lines).await?,
            ))
        }
    }
}

/// Enterprises, licences, quality credit and the blacklist.
pub static MODULE: Module = Module {
    slug: "enterprises",
    schema: &qcity_store::credit::SCHEMA,
    routes: |r| {
        let r = routes(r);
        crate::api::registers::enterprise_routes(r)
    },
    openapi: <crate::api::registers::EnterprisesDoc as utoipa::OpenApi>::openapi,
    nav: &[NavEntry {
        label: "nav-enterprises",
        path: "/enterprises",
        order: 40,
        shown_to: signed_in,
    }],
};

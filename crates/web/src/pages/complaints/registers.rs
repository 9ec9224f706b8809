//! The complaint registers the office keeps: the dispatch catalogue, the holiday calendar, the
//! social quality supervisors and the quality disputes (arbitration and appraisal). The office
//! edits them; units and leaders read them. Everything is the caller's district's (the store
//! scopes every read and write), and the rules are the domain's: a refused save shows the
//! domain's reason with the text as typed.

use super::{label, outcome_text};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::see_other;
use crate::module::Routes;
use crate::view::{PageCtx, conflict, encode_component, render, unprocessable};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use qcity_domain::complaints::calendar::{self, YearCalendar};
use qcity_domain::complaints::catalogue::{Catalogue, CatalogueError, categories_text};
use qcity_domain::complaints::disputes::{CaseEvent, CaseKind, CaseStatus, apply_case, parse_yuan};
use qcity_domain::complaints::personal::{mask_name, mask_phone};
use qcity_domain::complaints::supervisors::Appointment;
use qcity_domain::complaints::ticket::{Channel, Outcome};
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::complaints::registers::{self, NewSupervisor, Supervisor};
use qcity_store::complaints::{self, NewTicket};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/complaints/catalogue", catalogue_page)
        .post("/complaints/catalogue", save_catalogue)
        .get("/complaints/calendar", calendar_page)
        .post("/complaints/calendar", save_calendar)
        .get("/complaints/supervisors", supervisors_page)
        .post("/complaints/supervisors", appoint)
        .post("/complaints/supervisors/{id}/revoke", revoke)
        .post("/complaints/supervisors/{id}/code", reissue_code)
        .get("/complaints/supervisors/{id}/report", report_form)
        .post("/complaints/supervisors/{id}/report", report)
        .get("/complaint/supervisor", public_form)
        .post("/complaint/supervisor", public_file)
        .get("/complaints/disputes", disputes_page)
        .get("/complaints/disputes/new", new_dispute_form)
        .post("/complaints/disputes", file_dispute)
        .get("/complaints/disputes/{id}", dispute_page)
        .post("/complaints/disputes/{id}/act", act_dispute)
}

/// Who reads the registers: those who work with tickets. Only the office changes them.
const READERS: &[Role] = &[Role::Office, Role::Unit, Role::Leader];
const OFFICE: &[Role] = &[Role::Office];

/// The district's member units: (code, name).
async fn unit_names(state: &AppState, ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
    let units = qcity_store::units::list(&state.store, &ctx.actor()).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.kind == "member")
        .map(|u| (u.code, u.name))
        .collect())
}

/// A unit's name for a code of the catalogue. The default catalogue names the home district's
/// codes; another district's units carry its prefix, so a code is also matched as a suffix, as
/// the store routes it.
fn unit_name(units: &[(String, String)], code: &str) -> String {
    units
        .iter()
        .find(|(c, _)| c == code)
        .or_else(|| units.iter().find(|(c, _)| c.ends_with(code)))
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| code.to_string())
}

fn is_office(ctx: &Ctx) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.role == Role::Office)
}

/// A refused save: the message for a store error the page can show, or the error itself.
fn refusal(e: StoreError) -> Result<(String, String), AppError> {
    match e {
        StoreError::Invalid { field, code } => Ok((field, code)),
        other => Err(other.into()),
    }
}

/// "Line 3: …" when the domain named the line at fault.
fn at_line(lang: Lang, line: Option<usize>, message: String) -> String {
    match line {
        Some(n) => lang.t_args(
            "cmpr-error-at-line",
            &[("line", n.to_string()), ("reason", message)],
        ),
        None => message,
    }
}

fn date_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

// ---------------------------------------------------------------- the catalogue (派单目录)

struct CategoryRow {
    code: String,
    zh: String,
    en: String,
    sign: u32,
    reply: u32,
    close: u32,
}

struct RouteRow {
    category: String,
    area: String,
    unit: String,
}

#[derive(Template)]
#[template(path = "complaint_catalogue.html")]
struct CataloguePage {
    ctx: PageCtx,
    categories: Vec<CategoryRow>,
    routes: Vec<RouteRow>,
    /// The texts in the editor: the saved ones, or what was typed when refused.
    categories_text: String,
    routes_text: String,
    /// The district's units (code, name), for writing routes.
    units: Vec<(String, String)>,
    may_edit: bool,
    saved: bool,
    /// (field, message) of a refused save.
    error: Option<(String, String)>,
}

/// The routes as the editor's text: `category,area,unit` lines, defaults first.
fn routes_text(cat: &Catalogue) -> String {
    cat.routes()
        .iter()
        .map(|r| {
            format!(
                "{},{},{}",
                r.category,
                r.area.as_deref().unwrap_or(""),
                r.unit
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn catalogue_view(
    state: &AppState,
    ctx: &Ctx,
    texts: Option<(String, String)>,
    error: Option<(String, String)>,
) -> Result<CataloguePage, AppError> {
    let cat = registers::catalogue(&state.store, &ctx.actor()).await?;
    let units = unit_names(state, ctx).await?;
    let lang = ctx.lang;
    let category_name = |code: &str| {
        cat.category(code)
            .map(|c| c.label(lang.domain()).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let routes = cat
        .routes()
        .iter()
        .map(|r| RouteRow {
            category: category_name(&r.category),
            area: r
                .area
                .clone()
                .unwrap_or_else(|| lang.t("cmpr-route-default")),
            unit: unit_name(&units, &r.unit),
        })
        .collect();
    let (categories_text, routes_text) =
        texts.unwrap_or_else(|| (categories_text(&cat.categories), routes_text(&cat)));
    Ok(CataloguePage {
        ctx: ctx.page(),
        categories: cat
            .categories
            .iter()
            .map(|c| CategoryRow {
                code: c.code.clone(),
                zh: c.zh.clone(),
                en: c.en.clone(),
                sign: c.limits.sign,
                reply: c.limits.reply,
                close: c.limits.close,
            })
            .collect(),
        routes,
        categories_text,
        routes_text,
        units,
        may_edit: is_office(ctx),
        saved: false,
        error,
    })
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    year: String,
}

async fn catalogue_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let mut page = catalogue_view(&state, &ctx, None, None).await?;
    page.saved = q.saved == "1";
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
struct CatalogueForm {
    #[serde(default)]
    categories: String,
    #[serde(default)]
    routes: String,
}

/// The line a catalogue error names, when it names one.
fn catalogue_line(e: &CatalogueError) -> Option<usize> {
    use CatalogueError as E;
    match e {
        E::Columns { line }
        | E::UnknownCategory { line, .. }
        | E::UnitMissing { line }
        | E::Duplicate { line, .. }
        | E::CategoryColumns { line }
        | E::BadDays { line, .. }
        | E::DuplicateCategory { line, .. } => Some(*line),
        E::NoDefault { .. } | E::BadLimits { .. } => None,
    }
}

/// The domain's reason for a refused catalogue, with the line when it names one. The store
/// refuses with the key only; parsing again here finds the line (the domain is pure).
fn catalogue_reason(lang: Lang, f: &CatalogueForm, key: &str) -> String {
    use qcity_domain::complaints::catalogue::parse_categories;
    let parsed = parse_categories(&f.categories).and_then(|c| Catalogue::parse(c, &f.routes));
    let line = parsed
        .err()
        .filter(|e| e.key() == key)
        .and_then(|e| catalogue_line(&e));
    at_line(lang, line, lang.t(key))
}

async fn save_catalogue(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<CatalogueForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    match registers::save_catalogue(&state.store, &ctx.actor(), &f.categories, &f.routes).await {
        Ok(()) => Ok(see_other("/complaints/catalogue?saved=1")),
        Err(e) => {
            let (field, key) = refusal(e)?;
            let message = catalogue_reason(ctx.lang, &f, &key);
            let texts = Some((f.categories, f.routes));
            let page = catalogue_view(&state, &ctx, texts, Some((field, message))).await?;
            Ok(unprocessable(render(&page)))
        }
    }
}

// ---------------------------------------------------------------- the calendar (节假日)

/// A run of days off that holds at least one weekday: a holiday period.
struct Period {
    from: String,
    to: String,
    days: usize,
}

#[derive(Template)]
#[template(path = "complaint_calendar.html")]
struct CalendarPage {
    ctx: PageCtx,
    year: i32,
    /// The year's arrangement is loaded (saved or official); without it only weekends are off.
    covers: bool,
    /// Saved by the office (else the official arrangement, or nothing).
    own: bool,
    text: String,
    upcoming: Vec<Period>,
    /// Weekend days worked (调休上班) in the same window.
    makeup: Vec<String>,
    may_edit: bool,
    saved: bool,
    error: String,
}

/// The State Council's arrangement QCity ships for a year, as the editor shows it.
fn official_text(year: i32) -> Option<String> {
    let text = match year {
        2025 => calendar::OFFICIAL_2025,
        2026 => calendar::OFFICIAL_2026,
        _ => return None,
    };
    YearCalendar::parse(year, text).ok().map(|y| y.to_text())
}

/// How far ahead the page looks for holidays.
const LOOK_AHEAD_DAYS: u64 = 400;
const PERIODS_SHOWN: usize = 6;

/// The next holiday periods and make-up working days from `today`.
fn upcoming(cal: &calendar::Calendar, today: NaiveDate) -> (Vec<Period>, Vec<String>) {
    let weekend = |d: NaiveDate| d.weekday().number_from_monday() >= 6;
    let mut periods = Vec::new();
    let mut makeup = Vec::new();
    let mut run: Vec<NaiveDate> = Vec::new();
    for d in today.iter_days().take(LOOK_AHEAD_DAYS as usize) {
        if cal.is_working_day(d) {
            if weekend(d) {
                makeup.push(d.to_string());
            }
            if run.iter().any(|x| !weekend(*x)) {
                periods.push(Period {
                    from: run[0].to_string(),
                    to: run[run.len() - 1].to_string(),
                    days: run.len(),
                });
            }
            run.clear();
            if periods.len() >= PERIODS_SHOWN {
                break;
            }
        } else {
            run.push(d);
        }
    }
    (periods, makeup)
}

async fn calendar_view(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    typed: Option<String>,
    error: String,
) -> Result<CalendarPage, AppError> {
    let actor = ctx.actor();
    let cal = registers::district_calendar(&state.store, &actor).await?;
    let saved = registers::calendar_text(&state.store, &actor, year).await?;
    let own = !saved.is_empty() || !cal.covers(year) || official_text(year).is_none();
    let text = match typed {
        Some(t) => t,
        None if !saved.is_empty() => saved,
        None => official_text(year).unwrap_or_default(),
    };
    let (upcoming, makeup) = upcoming(&cal, ctx.today);
    Ok(CalendarPage {
        ctx: ctx.page(),
        year,
        covers: cal.covers(year),
        own: own && cal.covers(year),
        text,
        upcoming,
        makeup,
        may_edit: is_office(ctx),
        saved: false,
        error,
    })
}

/// A year as typed: four digits, within what a calendar can hold.
fn year_of(text: &str) -> Option<i32> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
}

async fn calendar_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let asked = q.year.trim();
    let year = year_of(asked).unwrap_or(ctx.today.year());
    let error = if asked.is_empty() || year_of(asked).is_some() {
        String::new()
    } else {
        ctx.t("cmpr-year-invalid")
    };
    let mut page = calendar_view(&state, &ctx, year, None, error).await?;
    page.saved = q.saved == "1";
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
struct CalendarForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    days: String,
}

async fn save_calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<CalendarForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let Some(year) = year_of(&f.year) else {
        let page = calendar_view(
            &state,
            &ctx,
            ctx.today.year(),
            Some(f.days),
            ctx.t("cmpr-year-invalid"),
        )
        .await?;
        return Ok(unprocessable(render(&page)));
    };
    match registers::save_calendar(&state.store, &ctx.actor(), year, &f.days).await {
        Ok(()) => Ok(see_other(&format!(
            "/complaints/calendar?year={year}&saved=1"
        ))),
        Err(e) => {
            let (_, key) = refusal(e)?;
            // The domain names the line at fault; the store hands up only the key.
            let line = YearCalendar::parse(year, &f.days).err().map(|e| e.line());
            let message = at_line(ctx.lang, line, ctx.t(&key));
            let page = calendar_view(&state, &ctx, year, Some(f.days), message).await?;
            Ok(unprocessable(render(&page)))
        }
    }
}

// ---------------------------------------------------------------- supervisors (社会质量监督员)

struct SupervisorRow {
    id: i64,
    name: String,
    area: String,
    phone: String,
    appointed: String,
    term_ends: String,
    standing: String,
    active: bool,
    revoked: bool,
    has_code: bool,
    reports: i64,
}

#[derive(Deserialize, Default, Clone)]
struct AppointForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    appointed: String,
    #[serde(default)]
    term_ends: String,
}

#[derive(Template)]
#[template(path = "complaint_supervisors.html")]
struct SupervisorsPage {
    ctx: PageCtx,
    rows: Vec<SupervisorRow>,
    may_edit: bool,
    f: AppointForm,
    /// (field, message) of a refused appointment or revocation.
    error: Option<(String, String)>,
    /// Right after an appointment or a new code: (supervisor id, name, code), shown once.
    issued: Option<(i64, String, String)>,
    /// The supervisors' own filing page.
    filing_path: &'static str,
}

impl SupervisorsPage {
    fn error_for(&self, field: &str) -> String {
        match &self.error {
            Some((f, m)) if f == field => m.clone(),
            _ => String::new(),
        }
    }
}

const FILING_PATH: &str = "/complaint/supervisor";

/// Where a supervisor stands on `today`.
fn standing(lang: Lang, a: &Appointment, today: NaiveDate) -> String {
    match a.may_file(today) {
        Ok(()) => lang.t("cmpr-sup-active"),
        Err(e) => match (e.key(), a.revoked) {
            ("error-supervisor-revoked", Some(on)) => {
                lang.t_args("cmpr-sup-revoked-on", &[("date", on.to_string())])
            }
            ("error-supervisor-not-yet", _) => lang.t("cmpr-sup-not-yet"),
            _ => lang.t("cmpr-sup-ended"),
        },
    }
}

fn supervisor_row(lang: Lang, s: &Supervisor, office: bool, today: NaiveDate) -> SupervisorRow {
    SupervisorRow {
        id: s.id,
        name: s.name.clone(),
        area: s.area.clone(),
        // Contacts are masked for all but the office, as tickets' contacts are.
        phone: if office {
            s.phone.clone()
        } else {
            mask_phone(&s.phone)
        },
        appointed: s.appointment.appointed.to_string(),
        term_ends: s.appointment.term_ends.to_string(),
        standing: standing(lang, &s.appointment, today),
        active: s.appointment.is_active(today),
        revoked: s.appointment.revoked.is_some(),
        has_code: s.has_code,
        reports: s.reports,
    }
}

async fn supervisors_view(
    state: &AppState,
    ctx: &Ctx,
    f: AppointForm,
    error: Option<(String, String)>,
) -> Result<SupervisorsPage, AppError> {
    let office = is_office(ctx);
    let list = registers::supervisors(&state.store, &ctx.actor()).await?;
    Ok(SupervisorsPage {
        ctx: ctx.page(),
        rows: list
            .iter()
            .map(|s| supervisor_row(ctx.lang, s, office, ctx.today))
            .collect(),
        may_edit: office,
        f,
        error,
        issued: None,
        filing_path: FILING_PATH,
    })
}

/// An empty appointment form: from today, for three years (a common term).
fn blank_appointment(today: NaiveDate) -> AppointForm {
    let ends = today
        .checked_add_months(chrono::Months::new(36))
        .and_then(|d| d.pred_opt())
        .unwrap_or(today);
    AppointForm {
        appointed: today.to_string(),
        term_ends: ends.to_string(),
        ..AppointForm::default()
    }
}

async fn supervisors_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let page = supervisors_view(&state, &ctx, blank_appointment(ctx.today), None).await?;
    Ok(render(&page))
}

async fn appoint(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<AppointForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let refuse = |field: &str, key: &str| Some((field.to_string(), ctx.t(key)));
    let (appointed, term_ends) = match (date_of(&f.appointed), date_of(&f.term_ends)) {
        (Some(a), Some(e)) => (a, e),
        (None, _) => {
            let error = refuse("appointed", "cmpr-date-invalid");
            let page = supervisors_view(&state, &ctx, f, error).await?;
            return Ok(unprocessable(render(&page)));
        }
        (_, None) => {
            let error = refuse("term_ends", "cmpr-date-invalid");
            let page = supervisors_view(&state, &ctx, f, error).await?;
            return Ok(unprocessable(render(&page)));
        }
    };
    let new = NewSupervisor {
        name: f.name.clone(),
        phone: f.phone.clone(),
        area: f.area.clone(),
        appointment: Appointment {
            appointed,
            term_ends,
            revoked: None,
        },
    };
    match registers::appoint(&state.store, &ctx.actor(), &new).await {
        Ok((id, code)) => {
            let mut page =
                supervisors_view(&state, &ctx, blank_appointment(ctx.today), None).await?;
            page.issued = Some((id, new.name.trim().to_string(), code));
            Ok(render(&page))
        }
        Err(e) => {
            let (field, key) = refusal(e)?;
            let error = refuse(&field, &key);
            let page = supervisors_view(&state, &ctx, f, error).await?;
            Ok(unprocessable(render(&page)))
        }
    }
}

/// A page that asks before what cannot be undone: what will happen, and the same form again
/// with `confirm=1`.
#[derive(Template)]
#[template(path = "complaint_register_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    title: String,
    lines: Vec<String>,
    action: String,
    /// The form's fields, sent again as typed.
    fields: Vec<(String, String)>,
    button: String,
    back: String,
}

#[derive(Deserialize, Default)]
struct RevokeForm {
    /// The first day the supervisor no longer serves.
    #[serde(default)]
    on: String,
    #[serde(default)]
    confirm: String,
}

async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<RevokeForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    // Another district's supervisor is not found before anything is asked.
    let s = registers::supervisor(&state.store, &ctx.actor(), id).await?;
    let on = if f.on.trim().is_empty() {
        Some(ctx.today)
    } else {
        date_of(&f.on)
    };
    let Some(on) = on else {
        let error = Some(("on".to_string(), ctx.t("cmpr-date-invalid")));
        let page = supervisors_view(&state, &ctx, blank_appointment(ctx.today), error).await?;
        return Ok(unprocessable(render(&page)));
    };
    if s.appointment.revoked.is_some() {
        return Err(AppError::Conflict("error-supervisor-revoked".into()));
    }
    if f.confirm != "1" {
        return Ok(render(&ConfirmPage {
            title: ctx.t("cmpr-sup-revoke-title"),
            lines: vec![
                ctx.lang.t_args(
                    "cmpr-sup-revoke-what",
                    &[("name", s.name.clone()), ("date", on.to_string())],
                ),
                ctx.t("cmpr-sup-revoke-final"),
            ],
            action: format!("/complaints/supervisors/{id}/revoke"),
            fields: vec![("on".into(), on.to_string())],
            button: ctx.t("cmpr-sup-revoke"),
            back: "/complaints/supervisors".into(),
            ctx: ctx.page(),
        }));
    }
    registers::revoke_supervisor(&state.store, &ctx.actor(), id, on).await?;
    Ok(see_other("/complaints/supervisors"))
}

#[derive(Deserialize, Default)]
struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

/// A new filing code: the old one stops working, so the office is asked first.
async fn reissue_code(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let s = registers::supervisor(&state.store, &ctx.actor(), id).await?;
    if f.confirm != "1" {
        return Ok(render(&ConfirmPage {
            title: ctx.t("cmpr-sup-code-title"),
            lines: vec![
                ctx.lang
                    .t_args("cmpr-sup-code-what", &[("name", s.name.clone())]),
                ctx.t("cmpr-sup-code-final"),
            ],
            action: format!("/complaints/supervisors/{id}/code"),
            fields: Vec::new(),
            button: ctx.t("cmpr-sup-code"),
            back: "/complaints/supervisors".into(),
            ctx: ctx.page(),
        }));
    }
    let code = registers::reissue_supervisor_code(&state.store, &ctx.actor(), id).await?;
    let mut page = supervisors_view(&state, &ctx, blank_appointment(ctx.today), None).await?;
    page.issued = Some((id, s.name, code));
    Ok(render(&page))
}

/// An observation as typed, by the office for a supervisor or by the supervisor.
#[derive(Deserialize, Default, Clone)]
struct ObservationForm {
    /// On the public page: the district's code, when there are several.
    #[serde(default)]
    district: String,
    /// On the public page: the supervisor's number and filing code.
    #[serde(default)]
    supervisor: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    enterprise_name: String,
    #[serde(default)]
    enterprise_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    area: String,
}

impl ObservationForm {
    fn ticket(&self, supervisor: i64, phone: &str, name: &str) -> NewTicket {
        NewTicket {
            channel: Some(Channel::Supervisor),
            text: self.text.clone(),
            category: Some(self.category.clone()).filter(|c| !c.trim().is_empty()),
            enterprise_name: self.enterprise_name.clone(),
            enterprise_code: self.enterprise_code.clone(),
            address: self.address.clone(),
            area: self.area.clone(),
            contact_name: name.to_string(),
            contact_phone: phone.to_string(),
            supervisor_id: Some(supervisor),
            ..NewTicket::default()
        }
    }
}

#[derive(Template)]
#[template(path = "complaint_observation.html")]
struct ObservationPage {
    ctx: PageCtx,
    /// Where the form posts.
    action: String,
    /// The office files for this supervisor (name); empty on the supervisors' own page.
    on_behalf_of: String,
    /// The public page asks for the district (when several), the number and the code.
    public: bool,
    districts: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    f: ObservationForm,
    error: String,
}

fn category_choices(lang: Lang, cat: &Catalogue) -> Vec<(String, String)> {
    cat.categories
        .iter()
        .map(|c| (c.code.clone(), c.label(lang.domain()).to_string()))
        .collect()
}

async fn observation_page(
    state: &AppState,
    ctx: &Ctx,
    s: &Supervisor,
    f: ObservationForm,
    error: String,
) -> Result<ObservationPage, AppError> {
    let cat = registers::catalogue(&state.store, &ctx.actor()).await?;
    Ok(ObservationPage {
        ctx: ctx.page(),
        action: format!("/complaints/supervisors/{}/report", s.id),
        on_behalf_of: s.name.clone(),
        public: false,
        districts: Vec::new(),
        categories: category_choices(ctx.lang, &cat),
        f: ObservationForm {
            area: if f.area.is_empty() {
                s.area.clone()
            } else {
                f.area
            },
            ..f
        },
        error,
    })
}

async fn report_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let s = registers::supervisor(&state.store, &ctx.actor(), id).await?;
    let page = observation_page(&state, &ctx, &s, ObservationForm::default(), String::new());
    Ok(render(&page.await?))
}

/// The office records an observation a supervisor brought by phone, letter or in person.
async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ObservationForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let s = registers::supervisor(&state.store, &ctx.actor(), id).await?;
    let new = f.ticket(id, &s.phone, &s.name);
    match complaints::intake(&state.store, &ctx.actor(), &new, ctx.today).await {
        Ok(got) => Ok(see_other(&format!(
            "/complaints/{}?code={}",
            got.id, got.code
        ))),
        Err(e) => {
            let (_, key) = refusal(e)?;
            let page = observation_page(&state, &ctx, &s, f, ctx.t(&key)).await?;
            Ok(unprocessable(render(&page)))
        }
    }
}

use super::public::districts;

async fn public_page(
    state: &AppState,
    ctx: &Ctx,
    f: ObservationForm,
    error: String,
) -> Result<ObservationPage, AppError> {
    let all = districts(state).await?;
    // The categories of the default catalogue: the supervisor is not known yet.
    let cat = Catalogue::default_catalogue();
    Ok(ObservationPage {
        ctx: ctx.page(),
        action: FILING_PATH.to_string(),
        on_behalf_of: String::new(),
        public: true,
        districts: if all.len() > 1 {
            all.into_iter().map(|(_, c, n)| (c, n)).collect()
        } else {
            Vec::new()
        },
        categories: category_choices(ctx.lang, &cat),
        // The code is never sent back into the page.
        f: ObservationForm {
            code: String::new(),
            ..f
        },
        error,
    })
}

async fn public_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let page = public_page(&state, &ctx, ObservationForm::default(), String::new()).await?;
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "complaint_receipt.html")]
struct ReceiptPage {
    ctx: PageCtx,
    number: String,
    code: String,
    link: String,
    photos: usize,
}

/// A supervisor files an observation with the number and code issued at appointment. A wrong
/// number or code is refused (403) without saying which, with what was typed kept.
async fn public_file(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<ObservationForm>,
) -> Result<Response, AppError> {
    state.limiter.check(&ctx.ip)?;
    let all = districts(&state).await?;
    let district = all
        .iter()
        .find(|(_, c, _)| *c == f.district.trim())
        .or(if all.len() == 1 { all.first() } else { None })
        .map(|d| d.0);
    let supervisor = f.supervisor.trim().parse::<i64>().ok();
    let (Some(district), Some(supervisor)) = (district, supervisor) else {
        let page = public_page(&state, &ctx, f, ctx.t("cmpr-sup-wrong-code")).await?;
        return Ok(forbidden(render(&page)));
    };
    // The supervisor's contact goes with the ticket, as on the office's entry.
    let new = f.ticket(supervisor, "", "");
    match registers::intake_as_supervisor(
        &state.store,
        district,
        supervisor,
        &f.code,
        &new,
        ctx.today,
    )
    .await
    {
        Ok(got) => Ok(render(&ReceiptPage {
            ctx: ctx.page(),
            link: format!(
                "/complaint/status?number={}&code={}",
                encode_component(&got.number),
                encode_component(&got.code)
            ),
            number: got.number,
            code: got.code,
            photos: 0,
        })),
        Err(StoreError::NotFound) => {
            let page = public_page(&state, &ctx, f, ctx.t("cmpr-sup-wrong-code")).await?;
            Ok(forbidden(render(&page)))
        }
        Err(e) => {
            let (_, key) = refusal(e)?;
            let page = public_page(&state, &ctx, f, ctx.t(&key)).await?;
            Ok(unprocessable(render(&page)))
        }
    }
}

fn forbidden(mut res: Response) -> Response {
    *res.status_mut() = axum::http::StatusCode::FORBIDDEN;
    res
}

// ---------------------------------------------------------------- disputes (质量仲裁与鉴定)

struct DisputeRow {
    id: i64,
    kind: String,
    subject: String,
    applicant: String,
    respondent: String,
    filed_on: String,
    status: String,
    accept: String,
    conclude: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "complaint_disputes.html")]
struct DisputesPage {
    ctx: PageCtx,
    rows: Vec<DisputeRow>,
    may_edit: bool,
}

/// The applicant is a person or a business: masked for all but the office, as contacts are.
fn applicant_text(office: bool, name: &str) -> String {
    if office {
        name.to_string()
    } else {
        mask_name(name)
    }
}

async fn disputes_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let office = is_office(&ctx);
    let lang = ctx.lang;
    let cases = registers::disputes(&state.store, &ctx.actor(), ctx.today).await?;
    let rows = cases
        .iter()
        .map(|d| DisputeRow {
            id: d.id,
            kind: label(lang, d.kind),
            subject: d.subject.clone(),
            applicant: applicant_text(office, &d.applicant),
            respondent: d.respondent.clone(),
            filed_on: d.filed_on.to_string(),
            status: label(lang, d.status),
            accept: outcome_text(lang, d.accept_deadline),
            conclude: outcome_text(lang, d.conclude_deadline),
            overdue: [d.accept_deadline, d.conclude_deadline]
                .iter()
                .any(|o| matches!(o, Outcome::Overdue { .. })),
        })
        .collect();
    Ok(render(&DisputesPage {
        ctx: ctx.page(),
        rows,
        may_edit: office,
    }))
}

#[derive(Deserialize, Default, Clone)]
struct DisputeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    applicant: String,
    #[serde(default)]
    respondent: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    filed_on: String,
}

#[derive(Template)]
#[template(path = "complaint_dispute_new.html")]
struct NewDisputePage {
    ctx: PageCtx,
    kinds: Vec<(String, String)>,
    f: DisputeForm,
    error: String,
}

fn new_dispute_page(ctx: &Ctx, f: DisputeForm, error: String) -> NewDisputePage {
    NewDisputePage {
        ctx: ctx.page(),
        kinds: CaseKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), label(ctx.lang, *k)))
            .collect(),
        f,
        error,
    }
}

async fn new_dispute_form(ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let f = DisputeForm {
        kind: CaseKind::Arbitration.code().into(),
        filed_on: ctx.today.to_string(),
        ..DisputeForm::default()
    };
    Ok(render(&new_dispute_page(&ctx, f, String::new())))
}

async fn file_dispute(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<DisputeForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    let refuse = |f: DisputeForm, key: &str| {
        Ok(unprocessable(render(&new_dispute_page(
            &ctx,
            f,
            ctx.t(key),
        ))))
    };
    let Some(kind) = CaseKind::parse(&f.kind) else {
        return refuse(f, "cmpr-dispute-kind-invalid");
    };
    let Some(filed_on) = date_of(&f.filed_on) else {
        return refuse(f, "cmpr-date-invalid");
    };
    if filed_on > ctx.today {
        return refuse(f, "cmpr-date-future");
    }
    match registers::file_dispute(
        &state.store,
        &ctx.actor(),
        kind,
        &f.applicant,
        &f.respondent,
        &f.subject,
        filed_on,
    )
    .await
    {
        Ok(id) => Ok(see_other(&format!("/complaints/disputes/{id}"))),
        Err(e) => {
            let (_, key) = refusal(e)?;
            refuse(f, &key)
        }
    }
}

/// A step the office may take now, and what its form asks for.
struct Step {
    code: &'static str,
    label: String,
    /// "reason", "body", "conclusion" or "" (a button only).
    needs: &'static str,
}

/// The case's steps in the domain's order, each with placeholder data to test against the
/// domain's table (so the page offers exactly what `apply_case` allows).
const STEPS: &[(&str, &str)] = &[
    ("accept", ""),
    ("examine", "body"),
    ("conclude", "conclusion"),
    ("close", ""),
    ("decline", "reason"),
    ("withdraw", ""),
];

fn event_of(code: &str, text: &str, compensation_fen: Option<i64>) -> Option<CaseEvent> {
    let text = text.to_string();
    Some(match code {
        "accept" => CaseEvent::Accept,
        "examine" => CaseEvent::Examine { body: text },
        "conclude" => CaseEvent::Conclude {
            conclusion: text,
            compensation_fen,
        },
        "close" => CaseEvent::Close,
        "decline" => CaseEvent::Decline { reason: text },
        "withdraw" => CaseEvent::Withdraw,
        _ => return None,
    })
}

fn allowed_steps(lang: Lang, status: CaseStatus) -> Vec<Step> {
    STEPS
        .iter()
        .filter(|(code, _)| {
            event_of(code, "-", None).is_some_and(|e| apply_case(status, &e).is_ok())
        })
        .map(|(code, needs)| Step {
            code,
            label: lang.t(&format!("cmpr-dispute-do-{code}")),
            needs,
        })
        .collect()
}

/// Steps that end the case or fix its outcome ask first.
fn asks_first(code: &str) -> bool {
    matches!(code, "conclude" | "close" | "decline" | "withdraw")
}

struct StepLine {
    on: String,
    who: String,
    status: String,
    text: String,
}

#[derive(Template)]
#[template(path = "complaint_dispute.html")]
struct DisputePage {
    ctx: PageCtx,
    id: i64,
    kind: String,
    status: String,
    subject: String,
    applicant: String,
    respondent: String,
    filed_on: String,
    accepted_on: String,
    concluded_on: String,
    body: String,
    conclusion: String,
    compensation: String,
    reason: String,
    accept: String,
    conclude: String,
    steps: Vec<StepLine>,
    actions: Vec<Step>,
    row_version: i64,
    /// What was typed into a refused step: (kind, text, compensation).
    typed: (String, String, String),
    error: String,
}

/// Fen as yuan, "1,280.50".
fn yuan(fen: i64) -> String {
    let (sign, fen) = if fen < 0 { ("-", -fen) } else { ("", fen) };
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

async fn dispute_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: (String, String, String),
    error: String,
) -> Result<DisputePage, AppError> {
    let actor = ctx.actor();
    let d = registers::dispute(&state.store, &actor, id, ctx.today).await?;
    let office = is_office(ctx);
    let lang = ctx.lang;
    let steps = registers::dispute_steps(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|s| StepLine {
            on: s.on,
            who: s.actor,
            status: s.status.map(|st| label(lang, st)).unwrap_or_default(),
            text: match s.compensation_fen {
                Some(fen) => lang.t_args(
                    "cmpr-dispute-text-compensation",
                    &[("text", s.text), ("yuan", yuan(fen))],
                ),
                None => s.text,
            },
        })
        .collect();
    Ok(DisputePage {
        ctx: ctx.page(),
        id,
        kind: label(lang, d.kind),
        status: label(lang, d.status),
        subject: d.subject.clone(),
        applicant: applicant_text(office, &d.applicant),
        respondent: d.respondent.clone(),
        filed_on: d.filed_on.to_string(),
        accepted_on: opt_date(d.accepted_on),
        concluded_on: opt_date(d.concluded_on),
        body: d.body.clone(),
        conclusion: d.conclusion.clone(),
        compensation: d.compensation_fen.map(yuan).unwrap_or_default(),
        reason: d.reason.clone(),
        accept: outcome_text(lang, d.accept_deadline),
        conclude: outcome_text(lang, d.conclude_deadline),
        steps,
        actions: if office {
            allowed_steps(lang, d.status)
        } else {
            Vec::new()
        },
        row_version: d.row_version,
        typed,
        error,
    })
}

async fn dispute_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let page = dispute_view(&state, &ctx, id, Default::default(), String::new()).await?;
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
struct DisputeActForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    row_version: String,
    /// The reason, the examining body or the conclusion, as the step needs.
    #[serde(default)]
    text: String,
    /// Yuan as typed; empty for none.
    #[serde(default)]
    compensation: String,
    #[serde(default)]
    confirm: String,
}

async fn act_dispute(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DisputeActForm>,
) -> Result<Response, AppError> {
    ctx.require_role(OFFICE)?;
    // Another district's case is not found before anything else is said about it.
    let d = registers::dispute(&state.store, &ctx.actor(), id, ctx.today).await?;
    let typed = (f.kind.clone(), f.text.clone(), f.compensation.clone());
    let refuse = |key: String, is_conflict: bool| {
        let typed = typed.clone();
        let state = state.clone();
        let ctx = ctx.clone();
        async move {
            let page = render(&dispute_view(&state, &ctx, id, typed, ctx.t(&key)).await?);
            Ok::<_, AppError>(if is_conflict {
                conflict(page)
            } else {
                unprocessable(page)
            })
        }
    };
    let compensation = match f.compensation.trim() {
        "" => None,
        text => match parse_yuan(text) {
            Ok(fen) => Some(fen),
            Err(_) => return refuse("cmpr-dispute-money-invalid".into(), false).await,
        },
    };
    let Some(event) = event_of(f.kind.trim(), f.text.trim(), compensation) else {
        return refuse("error-dispute-not-allowed".into(), false).await;
    };
    let Ok(version) = f.row_version.trim().parse::<i64>() else {
        return refuse("cmpr-dispute-changed".into(), true).await;
    };
    if version != d.row_version {
        return refuse("cmpr-dispute-changed".into(), true).await;
    }
    // What is refused anyway is refused before asking.
    if let Err(e) = apply_case(d.status, &event) {
        let is_conflict = matches!(
            e,
            qcity_domain::complaints::disputes::CaseError::NotAllowed(_)
        );
        return refuse(e.key().to_string(), is_conflict).await;
    }
    if asks_first(f.kind.trim()) && f.confirm != "1" {
        let mut lines = vec![ctx.lang.t_args(
            "cmpr-dispute-confirm-what",
            &[
                ("step", ctx.t(&format!("cmpr-dispute-do-{}", f.kind.trim()))),
                ("subject", d.subject.clone()),
            ],
        )];
        if !f.text.trim().is_empty() {
            lines.push(f.text.trim().to_string());
        }
        if let Some(fen) = compensation {
            lines.push(
                ctx.lang
                    .t_args("cmpr-dispute-compensation-is", &[("yuan", yuan(fen))]),
            );
        }
        lines.push(ctx.t("cmpr-dispute-confirm-final"));
        return Ok(render(&ConfirmPage {
            title: ctx.t("cmpr-dispute-confirm-title"),
            lines,
            action: format!("/complaints/disputes/{id}/act"),
            fields: vec![
                ("kind".into(), f.kind.trim().to_string()),
                ("row_version".into(), version.to_string()),
                ("text".into(), f.text.clone()),
                ("compensation".into(), f.compensation.clone()),
            ],
            button: ctx.t(&format!("cmpr-dispute-do-{}", f.kind.trim())),
            back: format!("/complaints/disputes/{id}"),
            ctx: ctx.page(),
        }));
    }
    match registers::act_dispute(&state.store, &ctx.actor(), id, version, &event, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/complaints/disputes/{id}"))),
        Err(StoreError::Conflict(key)) if key == "row_version" => {
            refuse("cmpr-dispute-changed".into(), true).await
        }
        Err(StoreError::Conflict(key)) => refuse(key, true).await,
        Err(StoreError::Invalid { code, .. }) => refuse(code, false).await,
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(yuan(128_050), "1,280.50");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100_000_000), "1,000,000.00");
    }

    #[test]
    fn steps_follow_the_domain_table() {
        let codes = |s| {
            allowed_steps(Lang::En, s)
                .iter()
                .map(|a| a.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(CaseStatus::Filed),
            vec!["accept", "decline", "withdraw"]
        );
        assert_eq!(codes(CaseStatus::Examining), vec!["conclude", "withdraw"]);
        assert!(codes(CaseStatus::Closed).is_empty());
    }

    #[test]
    fn holidays_ahead_are_grouped_into_periods() {
        let cal = calendar::Calendar::official();
        let today = date_of("2026-02-10").unwrap();
        let (periods, makeup) = upcoming(&cal, today);
        assert_eq!(periods[0].from, "2026-02-15");
        assert_eq!(periods[0].to, "2026-02-23");
        assert_eq!(periods[0].days, 9);
        assert_eq!(makeup[0], "2026-02-14");
    }

    #[test]
    fn catalogue_units_match_by_suffix_in_other_districts() {
        let units = vec![("JSZJFJ".to_string(), "金水质监".to_string())];
        assert_eq!(unit_name(&units, "ZJFJ"), "金水质监");
        assert_eq!(unit_name(&units, "XX"), "XX");
    }
}

//! The public's side: a phone-first complaint form without sign-in (anonymous by default,
//! photos, a place, the enterprise when known; a honeypot and a per-address rate limit), the
//! receipt with the number and verification code, and the status page where the citizen
//! follows the ticket and adds information while it is open.

use super::{category_label, label};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Routes};
use crate::upload::UploadForm;
use crate::view::{PageCtx, encode_component, render, unprocessable};
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::response::Response;
use qcity_domain::complaints::catalogue::Catalogue;
use qcity_domain::org::Level;
use qcity_store::complaints::{self, NewTicket};
use qcity_store::evidence::{EvidencePolicy, Upload};
use qcity_store::{Actor, StoreError};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/complaint", form)
        .upload("/complaint", BodyLimit::Evidence, file)
        .get("/complaint/status", status)
        .post("/complaint/status", add_info)
}

/// The most photos one complaint takes.
const MAX_PHOTOS: usize = 5;

/// What the citizen typed, kept to show the form again with a message.
#[derive(Default, Clone)]
struct Typed {
    district: String,
    text: String,
    enterprise_name: String,
    enterprise_code: String,
    address: String,
    lat: String,
    lon: String,
    /// "1" unless the citizen unticked "anonymous".
    anonymous: String,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
}

impl Typed {
    fn from_form(f: &UploadForm) -> Typed {
        Typed {
            district: f.text("district"),
            text: f.text("text"),
            enterprise_name: f.text("enterprise_name"),
            enterprise_code: f.text("enterprise_code"),
            address: f.text("address"),
            lat: f.text("lat"),
            lon: f.text("lon"),
            anonymous: f.text("anonymous"),
            contact_name: f.text("contact_name"),
            contact_phone: f.text("contact_phone"),
            contact_email: f.text("contact_email"),
        }
    }
}

#[derive(Template)]
#[template(path = "complaint_form.html")]
struct FormPage {
    ctx: PageCtx,
    /// The districts a complaint may go to (code, name); a choice only when there are several.
    districts: Vec<(String, String)>,
    typed: Typed,
    /// (field, message) of what was refused.
    errors: Vec<(String, String)>,
    max_photos: usize,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

/// The districts (id, code, name) of the installation, in tree order.
pub(super) async fn districts(state: &AppState) -> Result<Vec<(i64, String, String)>, AppError> {
    let tree = qcity_store::units::tree(&state.store).await?;
    Ok(tree
        .at_level(Level::District, None)
        .iter()
        .map(|n| (n.id, n.code.clone(), n.name.clone()))
        .collect())
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    typed: Typed,
    errors: Vec<(String, String)>,
) -> Result<FormPage, AppError> {
    Ok(FormPage {
        ctx: ctx.page(),
        districts: districts(state)
            .await?
            .into_iter()
            .map(|(_, c, n)| (c, n))
            .collect(),
        typed,
        errors,
        max_photos: MAX_PHOTOS,
    })
}

async fn form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let typed = Typed {
        anonymous: "1".into(),
        ..Typed::default()
    };
    Ok(render(&form_page(&state, &ctx, typed, Vec::new()).await?))
}

/// A coordinate as typed: empty is none; anything else must be a number.
fn coordinate(text: &str) -> Result<Option<f64>, ()> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| ())
}

/// The photos of the form, each checked to be an image before anything is saved.
async fn photos(
    form: &UploadForm,
    state: &AppState,
) -> Result<Result<Vec<Upload>, String>, AppError> {
    let files = form.evidence("photos").await?;
    if files.len() > MAX_PHOTOS {
        return Ok(Err("error-complaint-photo-count".into()));
    }
    let policy = EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    for f in &files {
        let checked = qcity_store::evidence::check(std::slice::from_ref(f), &policy);
        let image = checked
            .ok()
            .and_then(|c| c.first().map(|c| c.mime.starts_with("image/")))
            .unwrap_or(false);
        if !image {
            return Ok(Err("error-complaint-photo-type".into()));
        }
    }
    Ok(Ok(files))
}

async fn file(State(state): State<AppState>, ctx: Ctx, req: Request) -> Result<Response, AppError> {
    state.limiter.check(&ctx.ip)?;
    let max = state.config.max_evidence_bytes as u64;
    let form = crate::upload::read_form(req, &state, max).await?;
    let typed = Typed::from_form(&form);
    let refuse = |field: &str, message: String| vec![(field.to_string(), message)];
    if let Some(problem) = form.problem {
        let errors = refuse("photos", problem.message(ctx.lang));
        return Ok(unprocessable(render(
            &form_page(&state, &ctx, typed, errors).await?,
        )));
    }
    // The honeypot: a field people never see. A robot that fills it is refused, quietly.
    if !form.text("website").trim().is_empty() {
        return Err(AppError::Validation(vec![(
            "website".into(),
            "error-complaint-refused".into(),
        )]));
    }
    let all = districts(&state).await?;
    let district = match all.iter().find(|(_, c, _)| *c == typed.district.trim()) {
        Some(d) => Some(d.0),
        None if all.len() > 1 => {
            let errors = refuse("district", ctx.t("error-complaint-district"));
            return Ok(unprocessable(render(
                &form_page(&state, &ctx, typed, errors).await?,
            )));
        }
        None => all.first().map(|d| d.0),
    };
    let (Ok(lat), Ok(lon)) = (coordinate(&typed.lat), coordinate(&typed.lon)) else {
        let errors = refuse("lat", ctx.t("error-complaint-location"));
        return Ok(unprocessable(render(
            &form_page(&state, &ctx, typed, errors).await?,
        )));
    };
    let files = match photos(&form, &state).await? {
        Ok(files) => files,
        Err(key) => {
            let errors = refuse("photos", ctx.t(&key));
            return Ok(unprocessable(render(
                &form_page(&state, &ctx, typed, errors).await?,
            )));
        }
    };
    // Anonymous is the default; contact details typed anyway are kept (nothing typed is
    // lost): whoever leaves a phone number wants to be called back.
    let typed_contact = [
        &typed.contact_name,
        &typed.contact_phone,
        &typed.contact_email,
    ]
    .iter()
    .any(|s| !s.trim().is_empty());
    let anonymous = typed.anonymous == "1" && !typed_contact;
    let new = NewTicket {
        channel: None,
        text: typed.text.clone(),
        category: None,
        enterprise_name: typed.enterprise_name.clone(),
        enterprise_code: typed.enterprise_code.clone(),
        address: typed.address.clone(),
        area: String::new(),
        lat,
        lon,
        contact_name: typed.contact_name.clone(),
        contact_phone: typed.contact_phone.clone(),
        contact_email: typed.contact_email.clone(),
        anonymous,
        supervisor_id: None,
    };
    let citizen = Actor {
        owner_id: district,
        ..ctx.actor()
    };
    let got = match complaints::intake(&state.store, &citizen, &new, ctx.today).await {
        Ok(got) => got,
        Err(StoreError::Invalid { field, code }) => {
            let errors = refuse(&field, ctx.t(&code));
            return Ok(unprocessable(render(
                &form_page(&state, &ctx, typed, errors).await?,
            )));
        }
        Err(e) => return Err(e.into()),
    };
    // The photos were checked above; the district's system account attaches them.
    let system = Actor {
        owner_id: district,
        ..Actor::system("complaint-form")
    };
    for f in &files {
        complaints::add_photo(&state.store, &system, got.id, f).await?;
    }
    Ok(render(&ReceiptPage {
        ctx: ctx.page(),
        number: got.number.clone(),
        code: got.code.clone(),
        link: status_link(&got.number, &got.code),
        photos: files.len(),
    }))
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

fn status_link(number: &str, code: &str) -> String {
    format!(
        "/complaint/status?number={}&code={}",
        encode_component(number),
        encode_component(code)
    )
}

#[derive(Deserialize, Default)]
struct StatusQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
    /// "1" right after the citizen added information.
    #[serde(default)]
    added: String,
}

/// One line of the public history.
struct PublicEvent {
    on: String,
    what: String,
}

#[derive(Template)]
#[template(path = "complaint_status.html")]
struct StatusPage {
    ctx: PageCtx,
    number: String,
    code: String,
    /// Set when a ticket was found.
    found: Option<Found>,
    /// Why the lookup or the addition was refused.
    error: String,
    /// What the citizen typed to add (kept when refused).
    addition: String,
    added: bool,
}

struct Found {
    received_on: String,
    category: String,
    status: String,
    open: bool,
    expected: String,
    finding: String,
    events: Vec<PublicEvent>,
}

async fn status_page(
    state: &AppState,
    ctx: &Ctx,
    q: &StatusQuery,
) -> Result<(StatusPage, bool), AppError> {
    let mut page = StatusPage {
        ctx: ctx.page(),
        number: q.number.trim().to_string(),
        code: q.code.trim().to_string(),
        found: None,
        error: String::new(),
        addition: String::new(),
        added: q.added == "1",
    };
    if page.number.is_empty() && page.code.is_empty() {
        return Ok((page, true));
    }
    state.limiter.check(&ctx.ip)?;
    match complaints::public_status(&state.store, &page.number, &page.code, ctx.today).await {
        Ok(s) => {
            let catalogue = catalogue_for(state, &s.number).await?;
            let lang = ctx.lang;
            page.found = Some(Found {
                received_on: s.received_on.to_string(),
                category: category_label(lang, &catalogue, s.category.as_deref()),
                status: label(lang, s.status),
                open: !s.status.is_finished(),
                expected: s.expected.map(|d| d.to_string()).unwrap_or_default(),
                finding: s.finding.map(|f| label(lang, f)).unwrap_or_default(),
                events: s
                    .events
                    .iter()
                    .map(|(on, kind)| PublicEvent {
                        on: on.to_string(),
                        what: label(lang, *kind),
                    })
                    .collect(),
            });
            Ok((page, true))
        }
        Err(StoreError::NotFound) => {
            page.error = ctx.t("error-complaint-lookup");
            Ok((page, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// The catalogue of the district holding a ticket (for its category's name): the home
/// district's labels serve every district until districts differ in their categories.
async fn catalogue_for(state: &AppState, _number: &str) -> Result<Catalogue, AppError> {
    Ok(complaints::registers::catalogue(&state.store, &Actor::system("public")).await?)
}

async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StatusQuery>,
) -> Result<Response, AppError> {
    let (page, found) = status_page(&state, &ctx, &q).await?;
    let res = render(&page);
    Ok(if found { res } else { not_found(res) })
}

fn not_found(mut res: Response) -> Response {
    *res.status_mut() = axum::http::StatusCode::NOT_FOUND;
    res
}

#[derive(Deserialize, Default)]
struct AddForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    text: String,
}

async fn add_info(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<AddForm>,
) -> Result<Response, AppError> {
    state.limiter.check(&ctx.ip)?;
    let done = complaints::add_info_public(
        &state.store,
        &ctx.actor(),
        &f.number,
        &f.code,
        &f.text,
        ctx.today,
    )
    .await;
    let key = match done {
        Ok(_) => return Ok(see_other(&(status_link(&f.number, &f.code) + "&added=1"))),
        Err(StoreError::NotFound) => "error-complaint-lookup".to_string(),
        Err(StoreError::Invalid { code, .. }) => code,
        Err(StoreError::Conflict(key)) => key,
        Err(e) => return Err(e.into()),
    };
    let q = StatusQuery {
        number: f.number.clone(),
        code: f.code.clone(),
        added: String::new(),
    };
    let (mut page, _) = status_page(&state, &ctx, &q).await?;
    page.error = ctx.t(&key);
    page.addition = f.text;
    Ok(unprocessable(render(&page)))
}

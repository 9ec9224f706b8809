//! Member units: the list, each unit's page, and the contact details a unit keeps itself.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::Routes;
use crate::pages::plan::{ContentRow, content_row};
use crate::view::{PageCtx, render, unprocessable};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use qcity_store::StoreError;
use qcity_store::units::{self, Contact, Unit};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/units", list)
        .get("/units/{code}", show)
        .post("/units/{code}/contact", update_contact)
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    ctx: PageCtx,
    units: Vec<Unit>,
}

impl UnitsPage {
    fn kind_label(&self, kind: &str) -> String {
        self.ctx.t(&format!("unit-kind-{kind}"))
    }
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    Ok(render(&UnitsPage {
        ctx: ctx.page(),
        units: units::list(&state.store, &ctx.actor()).await?,
    }))
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    ctx: PageCtx,
    unit: Unit,
    leads: Vec<crate::pages::plan::ContentRow>,
    supports: Vec<crate::pages::plan::ContentRow>,
    /// The plan's transcription notes on the unit, in the page's language (the office's, on
    /// request).
    notes: Vec<String>,
    can_edit: bool,
    form: ContactForm,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl UnitPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
    /// "1": the office shows the transcription notes.
    #[serde(default)]
    notes: String,
}

#[derive(Deserialize, Default)]
struct ContactForm {
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
}

/// What the unit leads and what it supports in the current plan, and the plan's notes on it
/// in the page's language.
async fn duties(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
) -> Result<(Vec<ContentRow>, Vec<ContentRow>, Vec<String>), AppError> {
    let Some((_, plan)) = state.plan_of(ctx.actor().owner_id).await? else {
        return Ok((vec![], vec![], vec![]));
    };
    let lang = crate::view::target_lang(&ctx.page());
    let rows = |list: Vec<&qcity_domain::plan::Content>| -> Vec<ContentRow> {
        list.into_iter()
            .filter_map(|c| {
                plan.contents()
                    .find(|(_, _, x)| x.code == c.code)
                    .map(|(cat, item, c)| content_row(&plan, &cat.title, &item.title, c, lang))
            })
            .collect()
    };
    let notes = plan
        .unit(code)
        .map(|u| qcity_domain::plan::notes_in(&u.notes, lang))
        .unwrap_or_default();
    Ok((
        rows(plan.contents_led_by(code)),
        rows(plan.contents_supported_by(code)),
        notes,
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let unit = units::get(&state.store, &ctx.actor(), &code).await?;
    let form = ContactForm {
        contact_name: unit.contact_name.clone(),
        contact_phone: unit.contact_phone.clone(),
        contact_email: unit.contact_email.clone(),
    };
    let (leads, supports, notes) = duties(&state, &ctx, &unit.code).await?;
    Ok(render(&UnitPage {
        can_edit: ctx.actor().scope().can_write_unit(unit.id),
        leads,
        supports,
        notes,
        ctx: ctx.page().with_notes(&q.notes),
        unit,
        form,
        errors: vec![],
        saved: q.saved == "1",
    }))
}

async fn update_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<ContactForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let result = units::update_contact(
        &state.store,
        &ctx.actor(),
        &code,
        Contact {
            name: &f.contact_name,
            phone: &f.contact_phone,
            email: &f.contact_email,
        },
    )
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/units/{code}?saved=1"))),
        Err(StoreError::Invalid { field, code: key }) => {
            let unit = units::get(&state.store, &ctx.actor(), &code).await?;
            let (leads, supports, notes) = duties(&state, &ctx, &unit.code).await?;
            Ok(unprocessable(render(&UnitPage {
                can_edit: true,
                leads,
                supports,
                notes,
                ctx: ctx.page(),
                unit,
                errors: vec![(field, ctx.t(&key))],
                form: f,
                saved: false,
            })))
        }
        Err(e) => Err(e.into()),
    }
}

//! Server-rendered pages (askama templates), one module per area.

pub mod acceptance;
pub mod acceptance_districts;
pub mod admin;
pub mod assessment;
pub mod auth;
pub mod bulletins;
pub mod complaints;
pub mod districts;
pub mod enterprises;
pub mod home;
pub mod import_jobs;
pub mod indicators;
pub mod indicators_districts;
pub mod obligations;
pub mod plan;
pub mod plan_versions;
pub mod reports;
pub mod sampling;
pub mod sampling_districts;
pub mod units;

use crate::ctx::{Ctx, LANG_COOKIE};
use crate::i18n::Lang;
use crate::middleware::see_other;
use crate::module::Routes;
use axum::Form;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

/// The frame every module's pages sit in: home, language switch, static files.
pub fn core_routes(r: Routes) -> Routes {
    r.get("/", home::home)
        .post("/lang", switch_lang)
        .get("/static/{file}", crate::assets::serve)
        .get("/favicon.ico", crate::assets::favicon)
}

#[derive(Deserialize)]
struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Sets the language cookie and returns to the page the switch was pressed on.
async fn switch_lang(ctx: Ctx, jar: CookieJar, Form(f): Form<LangForm>) -> Response {
    let lang = Lang::from_code(&f.lang).unwrap_or(ctx.lang);
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .permanent()
        .build();
    (
        jar.add(cookie),
        see_other(&crate::view::safe_local_path(&f.back)),
    )
        .into_response()
}

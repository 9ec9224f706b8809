//! Sign-in, sign-out and password change.

use crate::AppState;
use crate::ctx::{Ctx, SESSION_COOKIE};
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::Routes;
use crate::view::{PageCtx, render, safe_local_path, unprocessable};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use qcity_domain::role::{PasswordProblem, check_password};
use qcity_store::signin::{self, LoginError};
use qcity_store::users;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/login", login_form)
        .post("/login", login)
        .post("/logout", logout)
        .get("/password", password_form)
        .post("/password", change_password)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    next: String,
    username: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user.is_some() {
        return see_other(&safe_local_path(&q.next));
    }
    render(&LoginPage {
        ctx: ctx.page(),
        next: q.next,
        username: String::new(),
        error: String::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    state.limiter.check(&ctx.ip)?;
    let username = f.username.trim().to_string();
    let fail = |error: String| {
        Ok(unprocessable(render(&LoginPage {
            ctx: ctx.page(),
            next: f.next.clone(),
            username: username.clone(),
            error,
        })))
    };
    if username.is_empty() || f.password.is_empty() {
        return fail(ctx.t("login-error-missing"));
    }
    let user = match signin::authenticate(
        &state.store,
        &username,
        &f.password,
        &ctx.ip,
        &ctx.request_id,
    )
    .await
    {
        Ok(u) => u,
        Err(LoginError::Invalid) => return fail(ctx.t("login-error-invalid")),
        Err(LoginError::Locked { until }) => {
            let until = crate::view::local_time(&until);
            return fail(ctx.lang.t_args("login-error-locked", &[("until", until)]));
        }
        Err(LoginError::Busy) => return fail(ctx.t("login-error-busy")),
        Err(LoginError::Slowed { seconds }) => {
            let seconds = seconds.to_string();
            return fail(
                ctx.lang
                    .t_args("login-error-slowed", &[("seconds", seconds)]),
            );
        }
        Err(LoginError::Store(e)) => return Err(AppError::Internal(e)),
    };
    // A new session id at every sign-in; any session the browser brought along ends.
    if let Some(old) = &ctx.session_token {
        users::delete_session(&state.store, old).await?;
    }
    let token = users::create_session(&state.store, &user, &ctx.ip).await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .build();
    let to = if user.must_change_password {
        "/password".to_string()
    } else {
        safe_local_path(&f.next)
    };
    Ok((jar.add(cookie), see_other(&to)).into_response())
}

async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
) -> Result<Response, AppError> {
    if let Some(token) = &ctx.session_token {
        users::delete_session(&state.store, token).await?;
        if let Some(user) = &ctx.user {
            let change = qcity_store::audit::Change {
                action: "auth.logout",
                target_type: "user",
                target_id: &user.username,
                before: serde_json::Value::Null,
                after: serde_json::Value::Null,
            };
            qcity_store::audit::record_alone(&state.store, &ctx.actor(), change).await?;
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, see_other("/login")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: PageCtx,
    forced: bool,
    errors: Vec<(String, String)>,
    done: bool,
}

impl PasswordPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn password_form(ctx: Ctx, Query(q): Query<DoneQuery>) -> Result<Response, AppError> {
    let user = ctx.user.as_ref().ok_or(AppError::Unauthorized)?;
    Ok(render(&PasswordPage {
        forced: user.must_change_password,
        ctx: ctx.page(),
        errors: vec![],
        done: q.done == "1",
    }))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let user = ctx.user.clone().ok_or(AppError::Unauthorized)?;
    let mut errors = Vec::new();
    let current_ok =
        signin::check_current_password(&state.store, &user.username, &f.current).await?;
    if !current_ok {
        errors.push(("current".to_string(), ctx.t("password-error-current")));
    }
    match check_password(&f.new_password) {
        Err(PasswordProblem::TooShort) => {
            errors.push(("new_password".into(), ctx.t("error-password-short")))
        }
        Err(PasswordProblem::TooFewClasses) => {
            errors.push(("new_password".into(), ctx.t("error-password-classes")))
        }
        Err(PasswordProblem::TooLong) => {
            errors.push(("new_password".into(), ctx.t("error-password-long")))
        }
        Ok(()) if f.new_password == f.current => {
            errors.push(("new_password".into(), ctx.t("password-error-same")))
        }
        Ok(()) => {}
    }
    if f.new_password != f.confirm {
        errors.push(("confirm".into(), ctx.t("password-error-confirm")));
    }
    if !errors.is_empty() {
        return Ok(unprocessable(render(&PasswordPage {
            forced: user.must_change_password,
            ctx: ctx.page(),
            errors,
            done: false,
        })));
    }
    users::set_password(
        &state.store,
        &ctx.actor(),
        &user.username,
        &f.new_password,
        false,
    )
    .await?;
    // Changing the password ends every session, this one included; start a fresh one.
    let token = users::create_session(&state.store, &user, &ctx.ip).await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .build();
    Ok((jar.add(cookie), see_other("/password?done=1")).into_response())
}

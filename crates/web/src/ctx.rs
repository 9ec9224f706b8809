//! The request context every handler starts from: who is asking, in which language, from where.

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::users::{self, User};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "qcity_sid";
pub const LANG_COOKIE: &str = "qcity_lang";

/// Who is asking and how. Built once per request; never fails (no user = anonymous).
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub ip: String,
    pub request_id: String,
    pub path: String,
    pub user: Option<User>,
    /// The session token from the cookie, when the request came with one.
    pub session_token: Option<String>,
    /// True when the caller authenticated with an API token.
    pub via_token: bool,
    pub today: chrono::NaiveDate,
    pub today_fixed: bool,
    /// Unread notices of the caller's unit (0 for other roles).
    pub unread: i64,
    /// The app's navigation, every entry (the page frame shows those the role sees).
    pub nav: std::sync::Arc<[&'static crate::module::NavEntry]>,
    /// The caller works on a district (or city) other than the installation's home district:
    /// only routes kept per district serve it (`Routes::per_district`).
    pub other_district: bool,
    /// The client takes gzip-compressed answers (`Accept-Encoding`): kept pages are sent as
    /// kept compressed ([`crate::view_cache`]).
    pub gzip: bool,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        match &self.user {
            Some(u) => u.actor(&self.ip, &self.request_id),
            None => Actor::anonymous(&self.ip, &self.request_id),
        }
    }

    /// The signed-in user; pages and API routes that need one call this first.
    /// An account that must change its password may do nothing else.
    pub fn user(&self) -> Result<&User, AppError> {
        match &self.user {
            None => Err(AppError::Unauthorized),
            Some(u) if u.must_change_password => Err(AppError::MustChangePassword),
            Some(u) => Ok(u),
        }
    }

    pub fn require_role(&self, roles: &[Role]) -> Result<&User, AppError> {
        let u = self.user()?;
        if roles.contains(&u.role) {
            Ok(u)
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

/// The client's address: the peer, or — only when the peer is a trusted proxy — the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    forwarded
        .split(',')
        .rev()
        .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
        .to_string()
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ctx.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = jar
            .get(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = client_ip(peer, &parts.headers, &state.config.trusted_proxies);
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let session_token = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
        let (user, via_token) = if let Some(token) = bearer {
            match users::token_user(&state.store, &token).await? {
                // A one-time password not yet changed: the account may do nothing else, and a
                // token cannot change a password, so it is refused outright.
                Some(u) if u.must_change_password => return Err(AppError::MustChangePassword),
                Some(u) => (Some(u), true),
                // A wrong token is an error, not a silent fall-back to anonymous.
                None => return Err(AppError::Unauthorized),
            }
        } else if let Some(token) = &session_token {
            let u = users::session_user(
                &state.store,
                token,
                state.config.idle_timeout,
                state.config.session_max_age,
            )
            .await?;
            (u, false)
        } else {
            (None, false)
        };
        let unread = match &user {
            Some(u) if u.role == Role::Unit => {
                qcity_store::notices::unread(&state.store, &u.actor(&ip, &request_id)).await?
            }
            _ => 0,
        };
        let other_district = match user.as_ref().and_then(|u| u.owner_id) {
            // Before any plan there is no home district, and no other one either.
            Some(owner) => state.home_owner().await?.is_some_and(|home| home != owner),
            None => false,
        };
        let ctx = Ctx {
            unread,
            nav: if other_district {
                state.assembly.district_nav.clone()
            } else {
                state.assembly.nav.clone()
            },
            other_district,
            lang,
            ip,
            request_id,
            path: parts.uri.path().to_string(),
            user,
            session_token,
            via_token,
            today: state.today(),
            today_fixed: state.config.today.is_some(),
            gzip: accepts_gzip(&parts.headers),
        };
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// Whether `Accept-Encoding` names gzip (or `*`) without `q=0`.
pub fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn gzip_is_taken_when_named_and_not_refused() {
        assert!(accepts_gzip(&with("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br, identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}

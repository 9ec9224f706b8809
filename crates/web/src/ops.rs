//! Operations endpoints: `/healthz` (green only when the database answers; names the process)
//! and `/metrics` (only with the bearer token `QCITY_METRICS_TOKEN`; off without one).

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn routes(r: crate::module::Routes) -> crate::module::Routes {
    r.get("/healthz", healthz).get("/metrics", metrics)
}

/// Answers for this process alone: with several app servers behind a proxy, the monitor asks
/// each one, and the answer names the process (`X-QCity-Node`, and the body's second line) so
/// a check through the proxy shows which server answered.
async fn healthz(State(state): State<AppState>) -> Response {
    let up = state.store.ping().await;
    state.metrics.db_up.set(up as i64);
    let node = qcity_store::job_runs::node_name();
    let mut res = if up {
        (StatusCode::OK, format!("ok\nnode: {node}\n")).into_response()
    } else {
        plain(StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
    };
    // The name is printable ASCII by construction; a header value it cannot be is left out.
    if let Ok(v) = axum::http::HeaderValue::from_str(node) {
        res.headers_mut().insert("x-qcity-node", v);
    }
    res
}

/// A plain-text answer for monitors (the error renderer leaves `/healthz` and `/metrics` alone).
fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// Whether the request carries the metrics token. Compared as SHA-256 digests, so the time
/// taken does not depend on how much of the token a guess got right.
fn carries_token(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| {
            qcity_store::auth::token_digest(given.trim()) == qcity_store::auth::token_digest(token)
        })
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return plain(
            StatusCode::NOT_FOUND,
            "metrics are off: set QCITY_METRICS_TOKEN\n",
        );
    };
    if !carries_token(&headers, token) {
        let mut res = plain(StatusCode::UNAUTHORIZED, "a bearer token is required\n");
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return res;
    }
    let up = state.store.ping().await;
    state.metrics.db_up.set(up as i64);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

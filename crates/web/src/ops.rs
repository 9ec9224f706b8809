//! Operations endpoints: `/healthz` (green only when the database answers) and `/metrics`.

use crate::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn routes(r: crate::module::Routes) -> crate::module::Routes {
    r.get("/healthz", healthz).get("/metrics", metrics)
}

async fn healthz(State(state): State<AppState>) -> Response {
    let up = state.store.ping().await;
    state.metrics.db_up.set(up as i64);
    if up {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        // A plain body for monitors; the error renderer leaves /healthz alone.
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "database unreachable\n",
        )
            .into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
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

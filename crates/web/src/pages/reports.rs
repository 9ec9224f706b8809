//! Pages of the quality analysis reports (issue 6). Routes are added to `router()`.

use crate::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}

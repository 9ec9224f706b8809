//! One error type for every handler. A handler's error becomes a bare response carrying an
//! [`ErrorInfo`]; the `render_errors` middleware, which knows the request's language and
//! whether it is an API call, turns it into a page or a JSON body in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    Unauthorized,
    #[error("password change required")]
    MustChangePassword,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Field errors: (field name, translation key).
    #[error("validation failed")]
    Validation(Vec<(String, String)>),
    /// A state conflict; the string is a translation key or a plain reason.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the renderer needs to know about a failed request.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub fields: Vec<(String, String)>,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthorized,
    MustChangePassword,
    Forbidden,
    NotFound,
    Validation,
    Conflict,
    PayloadTooLarge,
    TooManyRequests,
    Unavailable,
    Internal,
    MethodNotAllowed,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::MustChangePassword | ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// Machine-readable code in JSON bodies.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::MustChangePassword => "must_change_password",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// Title translation key.
    pub fn title_key(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "error-unauthorized",
            ErrorKind::MustChangePassword => "error-must-change-password",
            ErrorKind::Forbidden => "error-forbidden",
            ErrorKind::NotFound => "error-not-found",
            ErrorKind::Validation => "error-validation",
            ErrorKind::Conflict => "error-conflict",
            ErrorKind::PayloadTooLarge => "error-payload-too-large",
            ErrorKind::TooManyRequests => "error-too-many-requests",
            ErrorKind::Unavailable => "error-unavailable",
            ErrorKind::Internal => "error-internal",
            ErrorKind::MethodNotAllowed => "error-method-not-allowed",
        }
    }

    /// For responses produced by layers outside our handlers (body limit, CSRF, routing).
    pub fn from_status(status: StatusCode) -> Option<ErrorKind> {
        Some(match status {
            StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized,
            StatusCode::FORBIDDEN => ErrorKind::Forbidden,
            StatusCode::NOT_FOUND => ErrorKind::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorKind::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::PayloadTooLarge,
            StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::BAD_REQUEST
            | StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorKind::Validation,
            StatusCode::TOO_MANY_REQUESTS => ErrorKind::TooManyRequests,
            StatusCode::SERVICE_UNAVAILABLE => ErrorKind::Unavailable,
            StatusCode::INTERNAL_SERVER_ERROR => ErrorKind::Internal,
            _ => return None,
        })
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (kind, fields, detail) = match self {
            AppError::Unauthorized => (ErrorKind::Unauthorized, vec![], String::new()),
            AppError::MustChangePassword => (
                ErrorKind::MustChangePassword,
                vec![],
                "error-must-change-password-detail".into(),
            ),
            AppError::Forbidden => (ErrorKind::Forbidden, vec![], String::new()),
            AppError::NotFound => (ErrorKind::NotFound, vec![], String::new()),
            AppError::Validation(f) => (ErrorKind::Validation, f, String::new()),
            AppError::Conflict(c) => (ErrorKind::Conflict, vec![], c),
            AppError::TooManyRequests => (ErrorKind::TooManyRequests, vec![], String::new()),
            AppError::PayloadTooLarge => (ErrorKind::PayloadTooLarge, vec![], String::new()),
            AppError::Unavailable => (ErrorKind::Unavailable, vec![], String::new()),
            AppError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                (ErrorKind::Internal, vec![], String::new())
            }
        };
        let mut res = kind.status().into_response();
        res.extensions_mut().insert(ErrorInfo {
            kind,
            fields,
            detail,
        });
        res
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Forbidden => AppError::Forbidden,
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(c) => AppError::Conflict(c),
            StoreError::Invalid { field, code } => AppError::Validation(vec![(field, code)]),
            StoreError::Db(e) => match e {
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                    AppError::Unavailable
                }
                other => AppError::Internal(other.to_string()),
            },
            // The evidence directory or bucket failing: a stored file cannot be read now.
            StoreError::Evidence(e) => {
                tracing::warn!(error = %e, "evidence store unavailable");
                AppError::Unavailable
            }
        }
    }
}

/// The fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

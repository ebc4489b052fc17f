//! Errors leave the server as a stable code and a Chinese message, with the
//! request id; internal detail stays in the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yunwei_domain::{AppError, ErrorKind};

/// An error from a handler; `ui` selects an HTML page instead of JSON.
#[derive(Debug, Clone)]
pub struct WebError {
    pub err: AppError,
    pub ui: bool,
}

impl WebError {
    pub fn api(err: AppError) -> Self {
        WebError { err, ui: false }
    }
    pub fn ui(err: AppError) -> Self {
        WebError { err, ui: true }
    }
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        WebError::api(err)
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Locked => StatusCode::LOCKED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        // The request-context middleware renders the body, since it knows
        // the request id.
        let mut r = status_of(self.err.kind).into_response();
        r.extensions_mut().insert(self);
        r
    }
}

//! Errors of UI handlers: whatever goes wrong leaves as the Chinese error
//! page, never as JSON; errors the user can correct are shown on the page
//! the form came from.

use axum::response::{IntoResponse, Response};
use yunwei_domain::AppError;

use crate::error::WebError;

/// What a UI handler answers: a page, or an error shown as the Chinese
/// error page.
pub(super) type Page = Result<Response, UiError>;

/// An error of a UI handler. Any [`AppError`] (and any [`WebError`] of a
/// shared helper) turns into one with `?`, and leaves as the Chinese error
/// page with its status, stable code and the request id (or the redirect to
/// the login or password page): no UI handler can answer with JSON.
#[derive(Debug)]
pub struct UiError(pub AppError);

impl From<AppError> for UiError {
    fn from(err: AppError) -> Self {
        UiError(err)
    }
}

impl From<WebError> for UiError {
    fn from(e: WebError) -> Self {
        UiError(e.err)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        WebError::ui(self.0).into_response()
    }
}

/// A page shown again with the error that refused the form; the status
/// says what happened.
pub(super) fn refused(page: Page, e: &AppError) -> Page {
    let mut r = page?;
    *r.status_mut() = crate::error::status_of(e.kind);
    Ok(r)
}

/// A page shown again with the error that refused the form, if any.
pub(super) fn with_error(page: Page, error: Option<&AppError>) -> Page {
    match error {
        Some(e) => refused(page, e),
        None => page,
    }
}

/// Errors the user can correct are shown on the page; others go to the
/// error page.
pub(super) fn correctable(e: &AppError) -> bool {
    matches!(
        e.kind,
        yunwei_domain::ErrorKind::BadRequest
            | yunwei_domain::ErrorKind::Conflict
            | yunwei_domain::ErrorKind::Forbidden
    ) && e.code != "auth.password_change_required"
}

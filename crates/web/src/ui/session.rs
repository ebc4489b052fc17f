//! The logged-in UI user: the session cookie checked on every page, the
//! forced password change, and the gate of the business pages.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use yunwei_core::auth::SessionRow;
use yunwei_core::{auth, Ctx, Principal};
use yunwei_domain::roles::Action;
use yunwei_domain::{AppError, ErrorKind};

use super::error::UiError;
use crate::extract::{cookie, SESSION_COOKIE};
use crate::AppState;

/// An authenticated UI user with their session (for the CSRF token of the
/// page's forms).
#[derive(Clone)]
pub struct UiUser {
    pub principal: Principal,
    pub session: SessionRow,
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = UiError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        // A form post's CSRF layer has read the session already.
        if let Some(u) = parts.extensions.remove::<UiUser>() {
            return Ok(u);
        }
        let ctx = parts.extensions.get::<Ctx>().cloned().unwrap_or_default();
        let token = cookie(parts, SESSION_COOKIE).ok_or_else(AppError::unauthorized)?;
        let (principal, session) = auth::authenticate_session(&s.platform, &ctx, &token).await?;
        let path = parts.uri.path();
        if principal.must_change_password && path != "/password/change" && path != "/logout" {
            return Err(AppError::new(
                ErrorKind::Forbidden,
                "auth.password_change_required",
                "请先修改密码（初始密码、被重置或已到期的密码）",
            )
            .into());
        }
        Ok(UiUser { principal, session })
    }
}

/// Business pages are for those who do business; the three administrators
/// (and a vendor's configuration administrator) are refused.
pub fn business(u: &UiUser) -> Result<(), AppError> {
    if u.principal.can_somewhere(Action::BusinessRead) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "无权查看业务数据（系统管理员、安全管理员和审计管理员不办理业务）",
        ))
    }
}

/// The ticket pages (list, ticket, steps, votes, files, messages): the
/// business pages, and the reviewing authorities of the IT projects, who
/// read and act on the project tickets of their scope only (ADR 0017;
/// core decides which tickets, `tickets::can_see`).
pub fn ticket_user(u: &UiUser) -> Result<(), AppError> {
    if u.principal.can_somewhere(Action::ProjectReview) {
        return Ok(());
    }
    business(u)
}

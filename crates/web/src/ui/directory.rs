//! The system administrator's directory page (ADR 0021): the `[ldap]`
//! settings as configured (the service account's password masked) and
//! the 「测试LDAP连接」 button.

use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::directory::{self, DirectorySettingsView, DirectoryTestReport};

use super::error::Page;
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryTpl {
    l: Layout,
    settings: Option<DirectorySettingsView>,
    report: Option<DirectoryTestReport>,
    username: String,
}

async fn view(
    s: &AppState,
    u: &UiUser,
    report: Option<DirectoryTestReport>,
    username: String,
) -> Page {
    let settings = directory::settings_view(&s.platform, &u.principal).await?;
    render(&DirectoryTpl {
        l: Layout::for_user(u, "/config"),
        settings,
        report,
        username,
    })
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser) -> Page {
    view(&s, &u, None, String::new()).await
}

#[derive(Deserialize)]
pub(super) struct TestForm {
    #[serde(default)]
    username: String,
}

pub(super) async fn test(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<TestForm>,
) -> Page {
    let report = directory::test_connection(&s.platform, &ctx, &u.principal, &f.username).await?;
    view(&s, &u, Some(report), f.username.trim().to_string()).await
}

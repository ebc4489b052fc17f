//! Organisations: the tree and the form for a new one.

use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::orgs::{self, OrgView};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::Action;

use super::error::{correctable, Page};
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsTpl {
    l: Layout,
    orgs: Vec<OrgLine>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
}

/// An organisation of the tree and whether the viewer may open its users.
struct OrgLine {
    o: OrgView,
    users_link: bool,
}

pub(super) async fn orgs_view(
    s: &AppState,
    u: &UiUser,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let list = orgs::list(&s.platform, &u.principal).await?;
    render(&OrgsTpl {
        l: Layout::for_user(u, "/orgs").with(notice, error),
        can_manage: u.principal.can_somewhere(Action::OrgManage),
        orgs: list
            .into_iter()
            .map(|o| OrgLine {
                users_link: yunwei_core::users::may_list_users_of(&u.principal, &o.path),
                o,
            })
            .collect(),
        kinds: OrgKind::ALL
            .iter()
            .filter(|k| **k != OrgKind::Province)
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    })
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser) -> Page {
    orgs_view(&s, &u, None, None).await
}

#[derive(Deserialize)]
pub(super) struct OrgForm {
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<OrgForm>,
) -> Page {
    match orgs::create(
        &s.platform,
        &ctx,
        &u.principal,
        &f.parent_id,
        &f.kind,
        &f.name,
    )
    .await
    {
        Ok(o) => orgs_view(&s, &u, Some(format!("已新建机构：{}", o.name)), None).await,
        Err(e) if correctable(&e) => orgs_view(&s, &u, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

//! Accounts: the list with filters, paging and Excel export, new accounts,
//! one account's page with its actions (edit, disable, enable, departure,
//! password reset) and its roles (grant, revoke).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use yunwei_core::orgs::{self, OrgView};
use yunwei_core::roles::{self, GrantInput, GrantView};
use yunwei_core::users::{self, NewUser, UserUpdate, UserView};
use yunwei_core::Principal;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;

use super::error::{correctable, Page};
use super::form::{urlencoding, ReasonForm, UiForm};
use super::page::{render, Layout, SecretTpl};
use super::session::UiUser;
use crate::api::{user_filter, UserQuery};
use crate::extract::{Query, ReqCtx};
use crate::AppState;

struct UserLine {
    id: String,
    username: String,
    display_name: String,
    org: String,
    phone: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl {
    l: Layout,
    users: Vec<UserLine>,
    orgs: Vec<OrgView>,
    q: String,
    org_id: String,
    status: String,
    total: i64,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
    can_create: bool,
}

const PER_PAGE: u64 = 50;

pub(super) fn status_label(u: &UserView) -> &'static str {
    if u.status != "active" {
        "停用"
    } else if u.locked {
        "锁定"
    } else if u.must_change_password {
        "待修改密码"
    } else {
        "正常"
    }
}

pub(super) fn users_url(base: &str, q: &UserQuery, page: u64) -> String {
    let enc = |v: &Option<String>| urlencoding(v.as_deref().unwrap_or(""));
    format!(
        "{base}?q={}&org_id={}&status={}&page={page}",
        enc(&q.q),
        enc(&q.org_id),
        enc(&q.status)
    )
}

pub(super) async fn users_view(
    s: &AppState,
    u: &UiUser,
    q: &UserQuery,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let f = user_filter(s, q).await?;
    let page_no = q.page.unwrap_or(1).max(1);
    let page = users::list(&s.platform, &u.principal, &f, page_no, PER_PAGE).await?;
    let org_list = orgs::list(&s.platform, &u.principal)
        .await
        .unwrap_or_default();
    let name_of = |path: &str| {
        org_list
            .iter()
            .find(|o| o.path == path)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "-".into())
    };
    let lines = page
        .users
        .iter()
        .map(|v| UserLine {
            id: v.id.clone(),
            username: v.username.clone(),
            display_name: v.display_name.clone(),
            org: name_of(&v.org_path),
            phone: v.phone.clone().unwrap_or_default(),
            status: status_label(v),
        })
        .collect();
    let pages = ((page.total as u64).div_ceil(PER_PAGE)).max(1);
    render(&UsersTpl {
        l: Layout::for_user(u, "/users").with(notice, error),
        users: lines,
        orgs: org_list,
        q: q.q.clone().unwrap_or_default(),
        org_id: q.org_id.clone().unwrap_or_default(),
        status: q.status.clone().unwrap_or_default(),
        total: page.total,
        page: page_no,
        pages,
        prev_url: users_url("/users", q, page_no.saturating_sub(1)),
        next_url: users_url("/users", q, page_no + 1),
        can_create: u.principal.can_somewhere(Action::UserCreate),
    })
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<UserQuery>) -> Page {
    users_view(&s, &u, &q, None, None).await
}

#[derive(Deserialize)]
pub(super) struct UserExportForm {
    #[serde(flatten)]
    q: UserQuery,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<UserExportForm>,
) -> Page {
    let q = f.q;
    let filter = user_filter(&s, &q).await?;
    let reason = q.reason.as_deref().unwrap_or("");
    let bytes = match users::export(&s.platform, &ctx, &u.principal, &filter, reason).await {
        Ok(b) => b,
        Err(e) if correctable(&e) => return users_view(&s, &u, &q, None, Some(e.message)).await,
        Err(e) => return Err(e.into()),
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

pub(super) async fn create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<UserForm>,
) -> Page {
    let input = NewUser {
        username: f.username,
        display_name: f.display_name,
        org_id: f.org_id,
        phone: Some(f.phone),
        id_number: Some(f.id_number),
    };
    match users::create(&s.platform, &ctx, &u.principal, &input).await {
        Ok((user, password)) => render(&SecretTpl {
            l: Layout::for_user(&u, "/users")
                .with(Some(format!("已创建账号 {}", user.username)), None),
            title: "初始密码",
            explain: format!(
                "账号 {}（{}）的初始密码如下，用户首次登录须修改：",
                user.username, user.display_name
            ),
            secret: password,
            back: format!("/users/{}", user.id),
        }),
        Err(e) if correctable(&e) => {
            users_view(&s, &u, &UserQuery::default(), None, Some(e.message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserTpl {
    l: Layout,
    u: UserView,
    org_name: String,
    status: &'static str,
    phone: String,
    id_number: String,
    grants: Vec<GrantView>,
    roles: Vec<(&'static str, &'static str)>,
    orgs: Vec<OrgView>,
    can_update: bool,
    can_disable: bool,
    can_reset: bool,
    can_grant: bool,
}

pub(super) async fn user_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let p: &Principal = &u.principal;
    let user = users::get(&s.platform, p, id).await?;
    let grants = roles::grants_of(&s.platform, p, id)
        .await
        .unwrap_or_default();
    let org_list = orgs::list(&s.platform, p).await.unwrap_or_default();
    let org_name = org_list
        .iter()
        .find(|o| o.id == user.org_id)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let path = user.org_path.clone();
    render(&UserTpl {
        l: Layout::for_user(u, "/users").with(notice, error),
        org_name,
        status: status_label(&user),
        phone: user.phone.clone().unwrap_or_else(|| "-".into()),
        id_number: user.id_number.clone().unwrap_or_else(|| "-".into()),
        grants,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        orgs: org_list,
        can_update: p.can(Action::UserUpdate, &path),
        can_disable: p.can(Action::UserDisable, &path) && user.id != p.user_id,
        can_reset: p.can(Action::UserResetPassword, &path),
        can_grant: p.can(Action::RoleGrant, &path) && user.id != p.user_id,
        u: user,
    })
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Page {
    user_view(&s, &u, &id, None, None).await
}

/// Renders the user page after an action: its notice, or the error.
pub(super) async fn after_user_action(
    s: &AppState,
    u: &UiUser,
    id: &str,
    r: Result<String, AppError>,
) -> Page {
    match r {
        Ok(msg) => user_view(s, u, id, Some(msg), None).await,
        Err(e) if correctable(&e) => user_view(s, u, id, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct UserEditForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

pub(super) async fn edit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<UserEditForm>,
) -> Page {
    let input = UserUpdate {
        display_name: Some(f.display_name),
        phone: Some(f.phone),
        id_number: Some(f.id_number),
    };
    let r = users::update(&s.platform, &ctx, &u.principal, &id, &input)
        .await
        .map(|_| "已保存".to_string());
    after_user_action(&s, &u, &id, r).await
}

pub(super) async fn disable(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    let r = users::set_enabled(&s.platform, &ctx, &u.principal, &id, false, &f.reason)
        .await
        .map(|_| "账号已停用".into());
    after_user_action(&s, &u, &id, r).await
}

pub(super) async fn departure(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    let r = yunwei_core::departure::register_departure(&s.platform, &ctx, &u.principal, &id, &f.reason)
        .await
        .map(|d| {
            format!(
                "已登记离岗：账号已停用，收回 {} 项授权、{} 个接口令牌，{} 项目标系统临时授权及数据库访问已收回（待系统管理员确认删除），已通知审计管理员审查",
                d.grants_removed, d.tokens_revoked, d.access_revoked
            )
        });
    after_user_action(&s, &u, &id, r).await
}

pub(super) async fn enable(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    let r = users::set_enabled(&s.platform, &ctx, &u.principal, &id, true, &f.reason)
        .await
        .map(|_| "账号已启用".into());
    after_user_action(&s, &u, &id, r).await
}

pub(super) async fn reset_password(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    match users::reset_password(&s.platform, &ctx, &u.principal, &id, &f.reason).await {
        Ok(pw) => render(&SecretTpl {
            l: Layout::for_user(&u, "/users")
                .with(Some("密码已重置，该用户的会话已全部结束".into()), None),
            title: "临时密码",
            explain: "临时密码如下，用户下次登录须修改：".into(),
            secret: pw,
            back: format!("/users/{id}"),
        }),
        Err(e) => after_user_action(&s, &u, &id, Err(e)).await,
    }
}

#[derive(Deserialize)]
pub(super) struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope_org_id: String,
    #[serde(default)]
    subtree: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    valid_until: String,
}

pub(super) async fn role_grant(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<GrantForm>,
) -> Page {
    let input = GrantInput {
        user_id: id.clone(),
        role: f.role,
        scope_org_id: Some(f.scope_org_id),
        subtree: f.subtree.is_some(),
        reason: f.reason,
        valid_until: Some(f.valid_until),
    };
    let r = roles::grant(&s.platform, &ctx, &u.principal, &input)
        .await
        .map(|g| format!("已授予{}", g.role_label));
    after_user_action(&s, &u, &id, r).await
}

pub(super) async fn role_revoke(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((id, gid)): Path<(String, String)>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    let r = roles::revoke(&s.platform, &ctx, &u.principal, &gid, &f.reason)
        .await
        .map(|_| "已收回角色".into());
    after_user_action(&s, &u, &id, r).await
}

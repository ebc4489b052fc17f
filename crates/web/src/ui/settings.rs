//! Settings: the security policy and each organisation's system
//! parameters (business hours, the notice).

use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use yunwei_core::orgs::{self, OrgView};
use yunwei_core::policy::{self, OrgConfig};
use yunwei_domain::roles::Action;
use yunwei_domain::security_policy::SecurityPolicy;
use yunwei_domain::AppError;

use super::error::{correctable, Page};
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::{Query, ReqCtx};
use crate::AppState;

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyTpl {
    l: Layout,
    p: SecurityPolicy,
    can_edit: bool,
}

pub(super) async fn policy_view(
    s: &AppState,
    u: &UiUser,
    shown: Option<SecurityPolicy>,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let current = policy::get(&s.platform, &u.principal).await?;
    render(&PolicyTpl {
        l: Layout::for_user(u, "/security-policy").with(notice, error),
        p: shown.unwrap_or(current),
        can_edit: u.principal.can_somewhere(Action::SecurityPolicyEdit),
    })
}

pub(super) async fn policy_page(State(s): State<AppState>, u: UiUser) -> Page {
    policy_view(&s, &u, None, None, None).await
}

#[derive(Deserialize)]
pub(super) struct PolicyForm {
    #[serde(default)]
    password_min_length: String,
    #[serde(default)]
    password_history: String,
    #[serde(default)]
    lockout_threshold: String,
    #[serde(default)]
    lockout_minutes: String,
    #[serde(default)]
    idle_timeout_minutes: String,
    #[serde(default)]
    audit_retention_days: String,
    #[serde(default)]
    api_token_max_days: String,
    #[serde(default)]
    password_max_age_days: String,
    #[serde(default)]
    password_expiry_notice_days: String,
    #[serde(default)]
    require_ukey_for_admins: Option<String>,
    #[serde(default)]
    reason: String,
}

pub(super) async fn policy_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PolicyForm>,
) -> Page {
    let n = |v: &str| v.trim().parse::<u32>().unwrap_or(0);
    let p = SecurityPolicy {
        password_min_length: n(&f.password_min_length),
        password_history: n(&f.password_history),
        lockout_threshold: n(&f.lockout_threshold),
        lockout_minutes: n(&f.lockout_minutes),
        idle_timeout_minutes: n(&f.idle_timeout_minutes),
        audit_retention_days: n(&f.audit_retention_days),
        api_token_max_days: n(&f.api_token_max_days),
        require_ukey_for_admins: f.require_ukey_for_admins.is_some(),
        password_max_age_days: n(&f.password_max_age_days),
        password_expiry_notice_days: n(&f.password_expiry_notice_days),
    };
    match policy::set(&s.platform, &ctx, &u.principal, &p, &f.reason).await {
        Ok(()) => policy_view(&s, &u, None, Some("安全策略已保存".into()), None).await,
        Err(e) if correctable(&e) => policy_view(&s, &u, Some(p), None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "config.html")]
struct ConfigTpl {
    l: Layout,
    orgs: Vec<OrgView>,
    org_id: String,
    c: OrgConfig,
    can_edit: bool,
    /// The link to the directory page (ADR 0021).
    can_test_directory: bool,
    /// Audit forwarding to syslog, for the system administrator.
    forwarding: Option<super::audit_forward::ForwardLine>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfigQuery {
    #[serde(default)]
    org_id: Option<String>,
}

pub(super) async fn config_view(
    s: &AppState,
    u: &UiUser,
    org_id: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let p = &u.principal;
    let org_list = orgs::list(&s.platform, p).await?;
    let org_list: Vec<OrgView> = org_list
        .into_iter()
        .filter(|o| p.can(Action::ConfigView, &o.path))
        .collect();
    let org = org_id
        .and_then(|id| org_list.iter().find(|o| o.id == id).cloned())
        .or_else(|| org_list.first().cloned())
        .ok_or_else(|| AppError::forbidden("无权查看系统参数"))?;
    let c = policy::org_config(&s.platform, p, &org.id).await?;
    let forwarding = super::audit_forward::line(s, u).await?;
    render(&ConfigTpl {
        forwarding,
        l: Layout::for_user(u, "/config").with(notice, error),
        can_edit: p.can(Action::ConfigEdit, &org.path),
        can_test_directory: yunwei_core::directory::may_test(&s.platform, p).await?,
        org_id: org.id,
        orgs: org_list,
        c,
    })
}

pub(super) async fn config_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<ConfigQuery>,
) -> Page {
    config_view(&s, &u, q.org_id, None, None).await
}

#[derive(Deserialize)]
pub(super) struct ConfigForm {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    business_hours_start: String,
    #[serde(default)]
    business_hours_end: String,
    #[serde(default)]
    notice: String,
}

pub(super) async fn config_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ConfigForm>,
) -> Page {
    let cfg = OrgConfig {
        business_hours_start: f.business_hours_start.trim().into(),
        business_hours_end: f.business_hours_end.trim().into(),
        notice: f.notice,
    };
    match policy::set_org_config(&s.platform, &ctx, &u.principal, &f.org_id, &cfg).await {
        Ok(()) => config_view(&s, &u, Some(f.org_id), Some("系统参数已保存".into()), None).await,
        Err(e) if correctable(&e) => {
            config_view(&s, &u, Some(f.org_id), None, Some(e.message)).await
        }
        Err(e) => Err(e.into()),
    }
}

//! Granting and removing roles (security administrator), with 三员分立 and
//! the vendor restriction of `JSCZ-50` enforced and every refusal audited.

use serde::Serialize;
use yunwei_domain::ids::new_id;
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::{grant_conflict, Action, Role};
use yunwei_domain::AppError;
use yunwei_store::users::{self as ustore, GrantRow};
use yunwei_store::{in_tx, orgs};

use crate::audit::{deny, record, Actor, Event};
use crate::users::require_reason;
use crate::{Ctx, Platform, Principal};

#[derive(Debug, Clone, Serialize)]
pub struct GrantView {
    pub id: String,
    pub user_id: String,
    pub role: String,
    pub role_label: &'static str,
    pub scope_org_id: String,
    pub scope_org_name: String,
    pub subtree: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct GrantInput {
    pub user_id: String,
    pub role: String,
    /// Defaults to the user's own organisation.
    #[serde(default)]
    pub scope_org_id: Option<String>,
    #[serde(default)]
    pub subtree: bool,
    #[serde(default)]
    pub reason: String,
}

pub async fn grants_of(
    p: &Platform,
    pr: &Principal,
    user_id: &str,
) -> Result<Vec<GrantView>, AppError> {
    let mut c = p.db.read().await?;
    let u = ustore::get(&mut c, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("用户"))?;
    if !pr.can(Action::RoleView, &u.org_path) && u.id != pr.user_id {
        return Err(AppError::not_found("用户"));
    }
    let mut out = Vec::new();
    for g in ustore::grants_of(&mut c, user_id).await? {
        let org_name = orgs::get(&mut c, &g.scope_org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        out.push(GrantView {
            id: g.id.clone(),
            user_id: g.user_id.clone(),
            role_label: Role::parse(&g.role).map(|r| r.label()).unwrap_or(""),
            role: g.role,
            scope_org_id: g.scope_org_id,
            scope_org_name: org_name,
            subtree: g.subtree,
            created_at: g.created_at,
        });
    }
    Ok(out)
}

pub async fn grant(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &GrantInput,
) -> Result<GrantView, AppError> {
    let reason = require_reason(&input.reason)?;
    let role = Role::parse(&input.role)
        .ok_or_else(|| AppError::bad_request("role.invalid", "角色无效"))?;
    let event = Event::success("role.grant", "user", &input.user_id).reason(reason.clone());
    // Checks that read only; a refusal is audited in its own transaction.
    let (user, scope_org, in_vendor) = {
        let mut c = p.db.read().await?;
        let user = ustore::get(&mut c, &input.user_id)
            .await?
            .ok_or_else(|| AppError::not_found("用户"))?;
        if !pr.can(Action::RoleView, &user.org_path) && !pr.can(Action::RoleGrant, &user.org_path) {
            return Err(AppError::not_found("用户"));
        }
        let scope_id = input
            .scope_org_id
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| user.org_id.clone());
        let scope_org = orgs::get(&mut c, &scope_id)
            .await?
            .ok_or_else(|| AppError::not_found("授权范围机构"))?;
        let user_org = orgs::get(&mut c, &user.org_id)
            .await?
            .ok_or_else(AppError::internal)?;
        (user, scope_org, user_org.kind == OrgKind::Vendor.as_str())
    };
    let ev = event
        .clone()
        .after(format!("{} 范围={}", role.label(), scope_org.name));
    for path in [&user.org_path, &scope_org.path] {
        if let Err(e) = pr.authorize(Action::RoleGrant, path) {
            return deny(p, ctx, pr, ev, e).await;
        }
    }
    if user.id == pr.user_id {
        let e = AppError::forbidden("不能给自己授予角色");
        return deny(p, ctx, pr, ev, e).await;
    }
    // 三员 and vendor roles always cover the subtree of their scope.
    let subtree = input.subtree || role.is_three_admin();
    let result = in_tx!(p.db, |c| {
        let existing: Vec<Role> = ustore::grants_of(&mut c, &user.id)
            .await?
            .iter()
            .filter_map(|g| Role::parse(&g.role))
            .collect();
        if let Some((code, msg)) = grant_conflict(&existing, role, in_vendor) {
            return Err(AppError::conflict(code, msg));
        }
        let row = GrantRow {
            id: new_id(),
            user_id: user.id.clone(),
            role: role.as_str().into(),
            scope_org_id: scope_org.id.clone(),
            scope_path: scope_org.path.clone(),
            subtree,
            granted_by: pr.user_id.clone(),
            created_at: p.now_us(),
        };
        ustore::insert_grant(&mut c, &row).await?;
        record(p, &mut c, ctx, Actor::User(pr), ev.clone()).await?;
        Ok(GrantView {
            id: row.id,
            user_id: row.user_id,
            role: row.role,
            role_label: role.label(),
            scope_org_id: row.scope_org_id,
            scope_org_name: scope_org.name.clone(),
            subtree,
            created_at: row.created_at,
        })
    });
    match result {
        // The attempt is refused with a clear error and audited.
        Err(e) if e.kind == yunwei_domain::ErrorKind::Conflict => deny(p, ctx, pr, ev, e).await,
        other => other,
    }
}

pub async fn revoke(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    grant_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    let reason = require_reason(reason)?;
    in_tx!(p.db, |c| {
        let g = ustore::get_grant(&mut c, grant_id)
            .await?
            .ok_or_else(|| AppError::not_found("授权"))?;
        let user = ustore::get(&mut c, &g.user_id)
            .await?
            .ok_or_else(AppError::internal)?;
        if !pr.can(Action::RoleView, &user.org_path) {
            return Err(AppError::not_found("授权"));
        }
        pr.authorize(Action::RoleGrant, &user.org_path)?;
        pr.authorize(Action::RoleGrant, &g.scope_path)?;
        if user.id == pr.user_id {
            return Err(AppError::forbidden("不能收回自己的角色"));
        }
        ustore::delete_grant(&mut c, grant_id).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(pr),
            Event::success("role.revoke", "user", &user.id)
                .before(g.role.clone())
                .reason(reason.clone()),
        )
        .await?;
        Ok(())
    })
}

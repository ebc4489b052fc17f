//! Granting and removing roles (security administrator), with 三员分立 and
//! the vendor restriction of `JSCZ-50` enforced and every refusal audited.

use serde::Serialize;
use yunwei_domain::ids::new_id;
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::{grant_conflict, AccountAct, Action, Role};
use yunwei_domain::AppError;
use yunwei_store::users::{self as ustore, GrantRow};
use yunwei_store::{in_tx, orgs};

use crate::kernel::audit::require_reason;
use crate::kernel::audit::{deny, record, Actor, Event};
use crate::{Ctx, Platform, Principal};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub id: String,
    pub user_id: String,
    pub role: String,
    pub role_label: &'static str,
    pub scope_org_id: String,
    pub scope_org_name: String,
    pub subtree: bool,
    pub created_at: i64,
    /// The grant ends at this instant (UTC microseconds), if it ends.
    pub valid_until: Option<i64>,
    /// The same in Beijing time (`YYYY-MM-DD HH:MM:SS`), or empty.
    pub valid_until_text: String,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct GrantInput {
    pub user_id: String,
    pub role: String,
    /// Defaults to the user's own organisation.
    #[serde(default)]
    pub scope_org_id: Option<String>,
    #[serde(default)]
    pub subtree: bool,
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub reason: String,
    /// Last day of the grant (`YYYY-MM-DD`, valid through that day in
    /// Beijing) or an RFC 3339 instant. Required for third parties
    /// (JSCZ-49: 授权有效时间, 授权期满后应当及时回收).
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// The end of a grant as an instant: a date is valid through that day
/// (Asia/Shanghai); it must lie in the future.
pub fn parse_valid_until(s: &str, now_us: i64) -> Result<Option<i64>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let at = if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        yunwei_domain::schedule::start_of_day_shanghai(d + chrono::Duration::days(1))
            .timestamp_micros()
    } else if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        t.timestamp_micros()
    } else {
        return Err(AppError::bad_request(
            "role.valid_until_invalid",
            format!("授权截止时间「{s}」无效，应为 YYYY-MM-DD 或 RFC 3339 时间"),
        ));
    };
    if at <= now_us {
        return Err(AppError::bad_request(
            "role.valid_until_past",
            "授权截止时间必须晚于现在",
        ));
    }
    Ok(Some(at))
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
            valid_until: g.valid_until,
            valid_until_text: g
                .valid_until
                .map(crate::kernel::export::fmt_us)
                .unwrap_or_default(),
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
    let valid_until = parse_valid_until(input.valid_until.as_deref().unwrap_or(""), p.now_us())?;
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
    let ev = event.clone().after(format!(
        "{} 范围={}{}",
        role.label(),
        scope_org.name,
        valid_until
            .map(|t| format!(" 有效期至={}", crate::kernel::export::fmt_us(t)))
            .unwrap_or_default()
    ));

    let mut auth = None;
    for path in [&user.org_path, &scope_org.path] {
        match pr.authorize(Action::RoleGrant, path) {
            Ok(a) => auth = Some(a),
            Err(e) => return deny(p, ctx, pr, ev, e).await,
        }
    }
    let auth = auth.ok_or_else(AppError::internal)?;
    if user.id == pr.user_id {
        let e = AppError::forbidden("不能给自己授予角色");
        return deny(p, ctx, pr, ev, e).await;
    }
    // 三员 and vendor roles always cover the subtree of their scope.
    let subtree = input.subtree || role.is_three_admin();
    let result = in_tx!(p.db, |c| {
        // The user's row is locked first, so concurrent grants to one user
        // are checked one after another and a race cannot combine roles
        // that exclude each other (三员分立; SQLite already serialises
        // writers, PostgreSQL would not at READ COMMITTED).
        let current = ustore::get_for_update(&mut c, &user.id)
            .await?
            .ok_or_else(|| AppError::not_found("用户"))?;
        let existing: Vec<Role> = ustore::grants_of(&mut c, &user.id)
            .await?
            .iter()
            .filter_map(|g| Role::parse(&g.role))
            .collect();
        if let Some((code, msg)) = grant_conflict(&existing, role, in_vendor) {
            return Err(AppError::conflict(code, msg));
        }
        // 三员分立: an account still on a password an administrator set
        // (created or reset) could be entered by that administrator, who
        // would then hold the new duties: only once the holder has set a
        // password of their own does it receive a 三员 role.
        // 三员分立: the three administrators are local accounts; an
        // account the directory logs in never becomes one (ADR 0021).
        if role.is_three_admin()
            && yunwei_store::directory::is_directory_account(&mut c, &current.id).await?
        {
            return Err(AppError::conflict(
                "role.three_admin_local_only",
                format!(
                    "三员分立：{}只能授予本地账号，不能授予由目录服务登录的账号",
                    role.label()
                ),
            ));
        }
        if role.is_three_admin() && current.must_change_password {
            return Err(AppError::conflict(
                "role.three_admin_initial_password",
                format!(
                    "三员分立：该账号仍在使用管理员设置的初始密码或重置后的密码，须本人登录并修改密码后才能授予{}",
                    role.label()
                ),
            ));
        }
        if in_vendor && valid_until.is_none() {
            return Err(AppError::bad_request(
                "role.valid_until_required",
                "第三方人员的授权必须写明有效期（JSCZ-49：授权期满后应当及时回收）",
            ));
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
            valid_until,
        };
        ustore::insert_grant(&mut c, &row).await?;
        record(p, &mut c, ctx, Actor::User(auth), ev.clone()).await?;
        Ok(GrantView {
            id: row.id,
            user_id: row.user_id,
            role: row.role,
            role_label: role.label(),
            scope_org_id: row.scope_org_id,
            scope_org_name: scope_org.name.clone(),
            subtree,
            created_at: row.created_at,
            valid_until,
            valid_until_text: valid_until
                .map(crate::kernel::export::fmt_us)
                .unwrap_or_default(),
        })
    });
    match result {
        // The attempt is refused with a clear error and audited.
        Err(e)
            if e.kind == yunwei_domain::ErrorKind::Conflict
                || e.code == "role.valid_until_required" =>
        {
            deny(p, ctx, pr, ev, e).await
        }
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
    let r = in_tx!(p.db, |c| {
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
        let auth = pr.authorize(Action::RoleGrant, &g.scope_path)?;
        if user.id == pr.user_id {
            return Err(AppError::forbidden("不能收回自己的角色"));
        }
        if let Some(role) = Role::parse(&g.role) {
            if let Some(e) = crate::features::users::three_admin_refusal(
                &mut c,
                Some(pr),
                &user,
                AccountAct::RevokeRole(role),
            )
            .await?
            {
                return Ok(Err(e));
            }
        }
        // A concurrent revocation already removed it: nothing to record.
        if ustore::delete_grant(&mut c, grant_id).await? == 0 {
            return Err(AppError::not_found("授权"));
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("role.revoke", "user", &user.id)
                .before(g.role.clone())
                .reason(reason.clone()),
        )
        .await?;
        Ok(Ok(()))
    })?;
    match r {
        Err(e) => {
            let ev = Event::success("role.revoke", "grant", grant_id).reason(reason);
            deny(p, ctx, pr, ev, e).await
        }
        ok => ok,
    }
}

/// The job's part (JSCZ-49): removes every grant whose end has passed,
/// each once across nodes (guarded delete), audits it and tells the holder
/// and the one who granted it, whether or not anyone logs in. Returns how
/// many were removed (at most `limit`).
pub async fn expire_grants(p: &Platform, limit: u64) -> Result<usize, AppError> {
    let now = p.now_us();
    let due = {
        let mut c = p.db.read().await?;
        ustore::expired_grants(&mut c, now, limit).await?
    };
    let mut removed = 0;
    for g in due {
        let ctx = Ctx::system(&new_id());
        let done = in_tx!(p.db, |c| {
            if !ustore::delete_expired_grant(&mut c, &g.id, now).await? {
                return Ok(false);
            }
            let role = Role::parse(&g.role).map(|r| r.label()).unwrap_or("");
            let scope = orgs::get(&mut c, &g.scope_org_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            let end = g
                .valid_until
                .map(crate::kernel::export::fmt_us)
                .unwrap_or_default();
            let user = ustore::get(&mut c, &g.user_id).await?;
            let who = user
                .as_ref()
                .map(|u| u.display_name.clone())
                .unwrap_or_default();
            let title = format!("授权已到期收回：{who} 的{role}（{scope}）");
            let body = format!("该授权有效期至 {end}，已由系统自动收回（JSCZ-49）。");
            let notice = crate::kernel::notify::Notice {
                user_id: "",
                ticket_id: None,
                kind: "grant_expired",
                title: &title,
                body: &body,
                at_us: now,
                link: None,
                due_at: None,
            };
            let to = vec![g.user_id.clone(), g.granted_by.clone()];
            crate::kernel::notify::notify(&mut c, &to, &notice).await?;
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: user.as_ref().map(|u| u.org_path.as_str()).unwrap_or("/"),
                },
                Event::success("role.expire", "user", &g.user_id)
                    .before(format!("{role} 范围={scope}"))
                    .after(format!("有效期至 {end}，已自动收回")),
            )
            .await?;
            Ok(true)
        })?;
        if done {
            removed += 1;
        }
    }
    Ok(removed)
}

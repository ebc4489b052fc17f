//! A person leaves (JSCZ-51, JSCZ-47): their account, role grants, API
//! tokens, vendor staff entries and temporary grants in managed systems,
//! closed in one transaction, and the audit administrators asked to
//! review what they did.

use serde::Serialize;
use yunwei_domain::roles::{AccountAct, Action};
use yunwei_domain::AppError;
use yunwei_store::{in_tx, sessions, users as store};

use crate::features::users::{audited, org_path_of, three_admin_refusal, By, UserView};
use crate::kernel::audit::{record, require_reason, Actor, Event};
use crate::{Ctx, Platform, Principal};

/// What a departure closed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Departure {
    pub user: UserView,
    /// Role grants removed.
    pub grants_removed: usize,
    /// API tokens revoked.
    pub tokens_revoked: usize,
    /// Vendor staff entries marked off site.
    pub staff_entries: usize,
    /// Temporary grants in managed systems and database accesses revoked
    /// (each awaiting its administrator's confirmation, ADR 0007).
    pub access_revoked: usize,
    /// Where the audit trail of the person is reviewed.
    pub review_link: String,
}

/// Registers that a person left (JSCZ-51, JSCZ-47): in one transaction the
/// account is disabled, its sessions end, its API tokens are revoked, every
/// role grant it holds is removed, its vendor staff entries go off site,
/// and the audit administrators and directors covering its organisation
/// are asked to review what it did (its audit trail, linked). Needs
/// `UserDisable` (the system administrator); the grants go as a
/// consequence, each audited.
pub async fn register_departure(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    reason: &str,
) -> Result<Departure, AppError> {
    departure(p, ctx, By::User(pr), id, reason).await
}

/// The departure of an account registered on the server's command line
/// (`yunwei admin departure`), audited as the system: how an account
/// holding a 三员 role leaves, since no other administrator may do it
/// alone (DESIGN §7).
pub async fn register_departure_on_server(
    p: &Platform,
    ctx: &Ctx,
    id: &str,
    reason: &str,
) -> Result<Departure, AppError> {
    let org_path = org_path_of(p, id).await?;
    departure(
        p,
        ctx,
        By::Server {
            org_path: &org_path,
        },
        id,
        reason,
    )
    .await
}

async fn departure(
    p: &Platform,
    ctx: &Ctx,
    by: By<'_>,
    id: &str,
    reason: &str,
) -> Result<Departure, AppError> {
    let reason = require_reason(reason)?;
    let actor_id = by.user_id().to_string();
    if id == actor_id {
        return Err(AppError::bad_request(
            "user.self_departure",
            "不能为自己登记离岗",
        ));
    }
    let r = in_tx!(p.db, |c| {
        let (u, actor) = by.load(&mut c, id, Action::UserDisable).await?;
        if let Some(e) =
            three_admin_refusal(&mut c, by.principal(), &u, AccountAct::Departure).await?
        {
            return Ok(Err(e));
        }
        let now = p.now_us();
        store::set_status(&mut c, &u.id, "disabled", now).await?;
        sessions::end_all_of(&mut c, &u.id, now, "departure").await?;
        let mut tokens_revoked = 0;
        for t in sessions::tokens_of(&mut c, &u.id).await? {
            if sessions::revoke_token(&mut c, &t.id, &u.id, now).await? {
                tokens_revoked += 1;
            }
        }
        let grants = store::grants_of(&mut c, &u.id).await?;
        for g in &grants {
            store::delete_grant(&mut c, &g.id).await?;
            record(
                p,
                &mut c,
                ctx,
                Actor::System {
                    org_path: &u.org_path,
                },
                Event::success("role.revoke", "user", &u.id)
                    .before(format!("{} 范围={}", g.role, g.scope_path))
                    .reason(format!("人员离岗：{reason}")),
            )
            .await?;
        }
        let staff_entries =
            crate::features::rules::staff_departed(p, &mut c, &u.username, now).await?;
        let access_revoked = crate::features::access::person_departed(
            p,
            &mut c,
            ctx,
            actor,
            &actor_id,
            &u.username,
            &reason,
        )
        .await?;
        let since = u.created_at;
        let review_link = format!(
            "/audit?actor={}&from={}",
            u.username,
            crate::kernel::export::fmt_us(since).get(..10).unwrap_or("")
        );
        let roles = [
            yunwei_domain::roles::Role::AudAdmin.as_str().to_string(),
            yunwei_domain::roles::Role::Director.as_str().to_string(),
        ];
        let to = store::holders_covering(&mut c, &roles, &u.org_path).await?;
        let title = format!("人员离岗安全审查：{}（{}）", u.display_name, u.username);
        let body = format!(
            "账号已停用，已收回 {} 项授权、{} 个接口令牌、{} 项目标系统临时授权及数据库访问（待系统管理员确认删除）。请审查其任职期间的操作记录：{review_link}（JSCZ-51）。离岗原因：{reason}",
            grants.len(),
            tokens_revoked,
            access_revoked
        );
        crate::kernel::notify::notify(
            &mut c,
            &to,
            &crate::kernel::notify::Notice {
                user_id: "",
                ticket_id: None,
                kind: "departure_review",
                title: &title,
                body: &body,
                at_us: now,
                link: None,
                due_at: None,
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            actor,
            Event::success("user.departure", "user", &u.id)
                .before(u.status.clone())
                .after(format!(
                    "停用账号，收回 {} 项授权、{} 个接口令牌、{} 项临时授权及数据库访问，{} 条厂商人员记录离场",
                    grants.len(),
                    tokens_revoked,
                    access_revoked,
                    staff_entries
                ))
                .reason(reason.clone()),
        )
        .await?;
        let mut u = u;
        u.status = "disabled".into();
        Ok(Ok(Departure {
            user: UserView::from_row(&u, now),
            grants_removed: grants.len(),
            tokens_revoked,
            staff_entries,
            access_revoked,
            review_link,
        }))
    })?;
    let ev = Event::success("user.departure", "user", id).reason(reason);
    audited(p, ctx, by, ev, r).await
}

//! The password rules that need the organisation tree: a new password must
//! not be built from the names of the user's organisation and those above
//! it up to the tenant (`JSCZ-43`, `EEDS-3.8.6`), checked by
//! [`crate::features::auth::change_password`] with the rest of the policy.
//!
//! And the password age (`EEDS-3.8.6` 「系统(网络)管理员不定期更换一次密码」):
//! a password older than the security policy's age must be changed at the
//! next login ([`crate::features::auth`]), and its holder is reminded once,
//! the policy's lead time before it expires ([`send_expiry_reminders`]).

use yunwei_domain::ids::new_id;
use yunwei_domain::security_policy::SecurityPolicy;
use yunwei_domain::AppError;
use yunwei_store::{in_tx, orgs, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::export::fmt_us;
use crate::{Ctx, Platform};

const DAY_US: i64 = 24 * 60 * 60 * 1_000_000;

/// The kind of the in-app notice that a password is about to expire.
pub const EXPIRY_NOTICE_KIND: &str = "password_expiry";

/// When a password set at `changed_at` expires under `pol` (UTC
/// microseconds).
pub fn expires_at(pol: &SecurityPolicy, changed_at: i64) -> i64 {
    changed_at + i64::from(pol.password_max_age_days) * DAY_US
}

/// Whether a password set at `changed_at` has expired at `now`.
pub fn expired(pol: &SecurityPolicy, changed_at: i64, now: i64) -> bool {
    now >= expires_at(pol, changed_at)
}

/// Reminds every active user whose password expires within the policy's
/// lead time (or has expired unnoticed), once per password: the claim on
/// `password_reminded_for` makes a second run, or a second node, send
/// nothing, and a new password is reminded of again. The notice and its
/// audit record are one transaction. Returns how many went out.
pub async fn send_expiry_reminders(p: &Platform, limit: u64) -> Result<usize, AppError> {
    let now = p.now_us();
    let (pol, due) = {
        let mut c = p.db.read().await?;
        let pol = crate::features::policy::load(&mut c).await?;
        let lead = i64::from(pol.password_max_age_days)
            .saturating_sub(i64::from(pol.password_expiry_notice_days))
            .max(0);
        let due = ustore::password_reminders_due(&mut c, now - lead * DAY_US, limit).await?;
        (pol, due)
    };
    let mut sent = 0;
    for u in due {
        let ctx = Ctx::system(&new_id());
        let fired = in_tx!(p.db, |c| {
            if !ustore::claim_password_reminder(&mut c, &u.id, u.password_changed_at).await? {
                return Ok(false);
            }
            let at = expires_at(&pol, u.password_changed_at);
            let title = if at <= now {
                "登录密码已到期，下次登录时须修改"
            } else {
                "登录密码即将到期，请及时修改"
            };
            let body = format!(
                "您的登录密码设置于 {}，有效期 {} 天，于 {} 到期（EEDS-3.8.6 密码须不定期更换）。\
                 请在到期前修改密码；到期后下次登录时须先修改密码才能使用系统。",
                fmt_us(u.password_changed_at),
                pol.password_max_age_days,
                fmt_us(at)
            );
            let notice = crate::kernel::notify::Notice {
                user_id: "",
                ticket_id: None,
                kind: EXPIRY_NOTICE_KIND,
                title,
                body: &body,
                at_us: now,
                link: Some("/password/change"),
                due_at: Some(at),
            };
            crate::kernel::notify::notify(&mut c, std::slice::from_ref(&u.id), &notice).await?;
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &u.org_path,
                },
                Event::success("user.password_expiry_notice", "user", &u.id).after(format!(
                    "{}：密码于 {} 到期",
                    u.username,
                    fmt_us(at)
                )),
            )
            .await?;
            Ok(true)
        })?;
        if fired {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Names of the user's organisation and its ancestors, nearest first (the
/// last one is the tenant).
pub async fn org_names_of(c: &mut DbConn, org_id: &str) -> Result<Vec<String>, AppError> {
    let mut names = Vec::new();
    let mut next = Some(org_id.to_string());
    // The tree is shallow (province > city > county > department >
    // section); the bound only guards against a corrupt cycle.
    while let Some(id) = next.take() {
        if names.len() >= 16 {
            break;
        }
        if let Some(o) = orgs::get(c, &id).await? {
            names.push(o.name);
            next = o.parent_id;
        }
    }
    Ok(names)
}

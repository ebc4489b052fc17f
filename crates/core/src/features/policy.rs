//! The security policy (security administrator) and per-organisation
//! configuration (system administrator, vendor administrator).

use yunwei_domain::roles::Action;
use yunwei_domain::security_policy::SecurityPolicy;
use yunwei_domain::AppError;
use yunwei_store::{in_tx, orgs, settings, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform, Principal};

const POLICY_KEY: &str = "security_policy";

pub async fn load(c: &mut DbConn) -> Result<SecurityPolicy, AppError> {
    Ok(match settings::get(c, POLICY_KEY).await? {
        Some(v) => serde_json::from_str(&v).unwrap_or_default(),
        None => SecurityPolicy::default(),
    })
}

/// The policy in force, for anyone (the login form shows its lockout
/// rule, the password form its length and history rules).
pub async fn current(p: &Platform) -> Result<SecurityPolicy, AppError> {
    load(&mut p.db.read().await?).await
}

pub async fn get(p: &Platform, pr: &Principal) -> Result<SecurityPolicy, AppError> {
    if !pr.can_somewhere(Action::SecurityPolicyView) {
        return Err(AppError::forbidden("无权查看安全策略"));
    }
    load(&mut p.db.read().await?).await
}

/// The policy applies to the whole installation, so only a security
/// administrator of the top level may change it; settings below the
/// regulation's floors are refused.
pub async fn set(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    new: &SecurityPolicy,
    reason: &str,
) -> Result<(), AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    new.validate()?;
    in_tx!(p.db, |c| {
        let root = crate::kernel::audit::root_path(&mut c).await?;
        let auth = pr.authorize(Action::SecurityPolicyEdit, &root)?;
        let before = load(&mut c).await?;
        // Requiring UKEYs must not lock out the one who turns it on.
        if new.require_ukey_for_admins
            && !before.require_ukey_for_admins
            && !crate::features::rules::holds_ukey(&mut c, &pr.username).await?
        {
            return Err(AppError::bad_request(
                "policy.ukey_missing",
                "启用前请先为本人登记在用的 UKEY（JSCZ-53），否则启用后将无法继续管理",
            ));
        }
        save(p, &mut c, ctx, Actor::User(auth), &before, new, &reason).await
    })
}

/// Stores the policy and audits the change, in the caller's transaction.
async fn save(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    actor: Actor<'_>,
    before: &SecurityPolicy,
    new: &SecurityPolicy,
    reason: &str,
) -> Result<(), AppError> {
    let json = serde_json::to_string(new).map_err(|_| AppError::internal())?;
    settings::put(c, POLICY_KEY, &json, p.now_us()).await?;
    record(
        p,
        c,
        ctx,
        actor,
        Event::success("security_policy.update", "settings", POLICY_KEY)
            .before(serde_json::to_string(before).unwrap_or_default())
            .after(json)
            .reason(reason.to_string()),
    )
    .await?;
    Ok(())
}

/// Turns 管理员须持有在用的 UKEY on or off from the command line
/// (`yunwei admin ukey-requirement`, ADR 0008): the way back in when every
/// administrator's UKEY is lost and nobody can act as security
/// administrator. The change and its audit record (actor `system`) are one
/// transaction. Turning it on needs a top-level security administrator
/// holding a UKEY in use, so someone can still manage the policy. Returns
/// false when the policy already said so (nothing written).
pub async fn set_ukey_requirement(
    p: &Platform,
    ctx: &Ctx,
    on: bool,
    reason: &str,
) -> Result<bool, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    in_tx!(p.db, |c| {
        let root = crate::kernel::audit::root_path(&mut c).await?;
        let before = load(&mut c).await?;
        if before.require_ukey_for_admins == on {
            return Ok(false);
        }
        if on && !top_security_admin_holds_ukey(&mut c, &root, p.now_us()).await? {
            return Err(AppError::bad_request(
                "policy.ukey_missing",
                "没有顶级安全管理员持有在用的 UKEY，启用后将无人能管理安全策略；请先登记 UKEY（JSCZ-53）",
            ));
        }
        let new = SecurityPolicy {
            require_ukey_for_admins: on,
            ..before.clone()
        };
        let actor = Actor::System { org_path: &root };
        save(p, &mut c, ctx, actor, &before, &new, &reason).await?;
        Ok(true)
    })
}

/// Whether a security administrator of the top organisation holds a UKEY
/// in use.
async fn top_security_admin_holds_ukey(
    c: &mut DbConn,
    root: &str,
    now_us: i64,
) -> Result<bool, AppError> {
    use yunwei_domain::register::Val;
    use yunwei_domain::roles::Role;
    let ukeys = yunwei_domain::register::spec("ukeys").ok_or_else(AppError::internal)?;
    let issued =
        yunwei_store::registers::find(c, ukeys, &[("status", Val::Text("issued".into()))], 10_000)
            .await?;
    for e in &issued {
        let Some(holder) = e.get("holder").text() else {
            continue;
        };
        let Some(user) = yunwei_store::users::by_username(c, holder).await? else {
            continue;
        };
        if user.status != "active" {
            continue;
        }
        let grants = yunwei_store::users::grants_of(c, &user.id).await?;
        if grants.iter().any(|g| {
            Role::parse(&g.role) == Some(Role::SecAdmin)
                && g.scope_path == root
                && g.valid_until.is_none_or(|end| end > now_us)
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

pub use crate::kernel::org_config::{config_key, OrgConfig};

pub async fn org_config(p: &Platform, pr: &Principal, org_id: &str) -> Result<OrgConfig, AppError> {
    let mut c = p.db.read().await?;
    let org = orgs::get(&mut c, org_id)
        .await?
        .ok_or_else(|| AppError::not_found("机构"))?;
    if !pr.can(Action::ConfigView, &org.path) {
        return Err(AppError::not_found("机构"));
    }
    Ok(match settings::get(&mut c, &config_key(org_id)).await? {
        Some(v) => serde_json::from_str(&v).unwrap_or_default(),
        None => OrgConfig::default(),
    })
}

pub async fn set_org_config(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    org_id: &str,
    cfg: &OrgConfig,
) -> Result<(), AppError> {
    cfg.validate()?;
    in_tx!(p.db, |c| {
        let org = orgs::get(&mut c, org_id)
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        let auth = pr.authorize(Action::ConfigEdit, &org.path)?;
        let key = config_key(org_id);
        let before = settings::get(&mut c, &key).await?.unwrap_or_default();
        let json = serde_json::to_string(cfg).map_err(|_| AppError::internal())?;
        settings::put(&mut c, &key, &json, p.now_us()).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("config.update", "org", org_id)
                .before(before)
                .after(json.clone()),
        )
        .await?;
        Ok(())
    })
}

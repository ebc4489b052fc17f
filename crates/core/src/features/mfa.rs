//! The TOTP second factor (等保 L3 two factors, JSCZ-53): any authenticator
//! app. A user starts enrolling (a new secret, shown once with its
//! `otpauth://` address), confirms with a first code, and from then on logs
//! in with the password and the current code; a wrong code counts as a
//! failed login. The security administrator removes a lost factor. The
//! secret is kept SM4-encrypted with the field key; codes are checked on the
//! platform's clock (30 s steps, one step of drift either way).

use serde::Serialize;
use totp_rs::{Algorithm, Secret, TOTP};
use yunwei_domain::crypto::{decrypt_field, encrypt_field};
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::users::{self as ustore, TotpRow};
use yunwei_store::{in_tx, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::{Authorized, Ctx, Platform, Principal};

const ISSUER: &str = "yunwei";

fn totp(secret_b32: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|_| AppError::internal())?;
    Ok(TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes))
}

/// The code of `secret_b32` at `unix_secs` (what an authenticator shows).
pub fn code_at(secret_b32: &str, unix_secs: u64) -> Result<String, AppError> {
    Ok(totp(secret_b32)?.generate(unix_secs))
}

fn check(secret_b32: &str, code: &str, unix_secs: u64) -> Result<bool, AppError> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(false);
    }
    Ok(totp(secret_b32)?.check(code, unix_secs))
}

fn now_secs(p: &Platform) -> u64 {
    p.clock.now().timestamp().max(0) as u64
}

fn open(p: &Platform, enc: &str) -> Result<String, AppError> {
    decrypt_field(p.crypto.as_ref(), &p.keys.field, enc).map_err(|_| AppError::internal())
}

/// The secret a user logs in with, if the factor is on.
pub(crate) async fn active_secret(
    p: &Platform,
    c: &mut DbConn,
    user_id: &str,
) -> Result<Option<String>, AppError> {
    match ustore::get_totp(c, user_id).await? {
        Some(TotpRow {
            secret_enc: Some(enc),
            ..
        }) => Ok(Some(open(p, &enc)?)),
        _ => Ok(None),
    }
}

/// Whether the code is right for the active secret at the platform's time.
pub(crate) fn code_ok(p: &Platform, secret: &str, code: &str) -> Result<bool, AppError> {
    check(secret, code, now_secs(p))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TotpEnrollment)]
pub struct Enrollment {
    /// Base32, to type into the authenticator.
    pub secret: String,
    /// `otpauth://totp/...`, for authenticators that take a link or QR code.
    pub uri: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TotpStatus)]
pub struct Status {
    pub enabled: bool,
    pub enabled_at: Option<i64>,
    pub pending: bool,
}

pub async fn status(p: &Platform, pr: &Principal) -> Result<Status, AppError> {
    let mut c = p.db.read().await?;
    let t = ustore::get_totp(&mut c, &pr.user_id).await?;
    Ok(Status {
        enabled: t.as_ref().is_some_and(|t| t.secret_enc.is_some()),
        enabled_at: t.as_ref().and_then(|t| t.enabled_at),
        pending: t.as_ref().is_some_and(|t| t.pending_enc.is_some()),
    })
}

/// Starts enrolling the caller: a new secret, pending until confirmed; an
/// active factor stays active meanwhile.
pub async fn enroll(p: &Platform, ctx: &Ctx, pr: &Principal) -> Result<Enrollment, AppError> {
    let raw = p.crypto.random_bytes(20);
    let secret = Secret::Raw(raw).to_encoded().to_string();
    let enc = encrypt_field(p.crypto.as_ref(), &p.keys.field, &secret);
    in_tx!(p.db, |c| {
        let old = ustore::get_totp(&mut c, &pr.user_id).await?;
        ustore::put_totp(
            &mut c,
            &TotpRow {
                user_id: pr.user_id.clone(),
                secret_enc: old.as_ref().and_then(|o| o.secret_enc.clone()),
                pending_enc: Some(enc.clone()),
                enabled_at: old.as_ref().and_then(|o| o.enabled_at),
                updated_at: p.now_us(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(pr)),
            Event::success("mfa.enroll", "user", &pr.user_id).after("生成新的动态口令密钥，待确认"),
        )
        .await?;
        Ok(())
    })?;
    Ok(Enrollment {
        uri: format!(
            "otpauth://totp/{ISSUER}:{}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30",
            pr.username
        ),
        secret,
    })
}

/// Confirms the pending secret with a code from the authenticator; from
/// then on the login asks for a code.
pub async fn confirm(p: &Platform, ctx: &Ctx, pr: &Principal, code: &str) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let t = ustore::get_totp(&mut c, &pr.user_id).await?;
        let Some(pending) = t.as_ref().and_then(|t| t.pending_enc.clone()) else {
            return Err(AppError::bad_request(
                "mfa.not_enrolling",
                "请先生成动态口令密钥",
            ));
        };
        if !check(&open(p, &pending)?, code, now_secs(p))? {
            return Err(AppError::bad_request(
                "mfa.code_invalid",
                "动态口令不正确，请核对手机时间后重试",
            ));
        }
        let now = p.now_us();
        ustore::put_totp(
            &mut c,
            &TotpRow {
                user_id: pr.user_id.clone(),
                secret_enc: Some(pending),
                pending_enc: None,
                enabled_at: Some(now),
                updated_at: now,
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(pr)),
            Event::success("mfa.enable", "user", &pr.user_id).after("已启用动态口令"),
        )
        .await?;
        Ok(())
    })
}

/// The security administrator removes a user's factor (a lost phone); the
/// user enrolls again.
pub async fn reset(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    user_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    in_tx!(p.db, |c| {
        let u = ustore::get(&mut c, user_id)
            .await?
            .filter(|u| pr.can(Action::RoleView, &u.org_path))
            .ok_or_else(|| AppError::not_found("用户"))?;
        let auth = pr.authorize(Action::RoleGrant, &u.org_path)?;
        ustore::put_totp(
            &mut c,
            &TotpRow {
                user_id: u.id.clone(),
                secret_enc: None,
                pending_enc: None,
                enabled_at: None,
                updated_at: p.now_us(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("mfa.reset", "user", &u.id)
                .after(format!("清除 {} 的动态口令", u.username))
                .reason(reason.clone()),
        )
        .await?;
        Ok(())
    })
}

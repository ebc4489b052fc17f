//! Authentication: password login with lockout, server-side sessions with
//! idle timeout, password changes with history, API tokens
//! (`JSCZ-43`, `JSCZ-47`, `EEDS-3.8.6`, 等保 level 3).

use serde::Serialize;
use yunwei_domain::crypto::{
    decrypt_field, hash_password, random_token, token_hash, verify_password,
};
use yunwei_domain::ids::new_id;
use yunwei_domain::password::{check_password_strength, PasswordProblem, UserDetails};
use yunwei_domain::roles::{Action, Role, ScopedRole};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::sessions::{self as sstore, ApiTokenRow, UkeyChallengeRow};
use yunwei_store::users::{self as ustore, UserRow};
use yunwei_store::{in_tx, DbConn};

use crate::features::directory;
use crate::features::policy;
use crate::features::ukey::{self, LoginKey, CHALLENGE_MINUTES};
use crate::kernel::audit::{record, record_alone, Actor, Event};
use crate::kernel::export::fmt_us;
use crate::{Authorized, Ctx, Platform, Principal};

pub use yunwei_store::sessions::SessionRow;

const MINUTE_US: i64 = 60_000_000;
/// Challenges older than this are removed when the user gets a new one.
const CHALLENGE_KEEP_US: i64 = 24 * 60 * MINUTE_US;
/// `last_seen_at` is refreshed at most this often, to keep reads cheap.
const TOUCH_INTERVAL_US: i64 = 30_000_000;
pub const API_TOKEN_PREFIX: &str = "yw_";

fn invalid_login() -> AppError {
    AppError::new(ErrorKind::Unauthorized, "auth.invalid", "用户名或密码错误")
}

fn disabled() -> AppError {
    AppError::new(
        ErrorKind::Forbidden,
        "auth.disabled",
        "账号已停用，请联系系统管理员",
    )
}

fn locked_error(until_us: i64) -> AppError {
    AppError::new(
        ErrorKind::Locked,
        "auth.locked",
        format!(
            "账号因连续登录失败已被锁定，请于 {} 后再试，或联系管理员解锁",
            fmt_us(until_us)
        ),
    )
}

pub struct LoginOk {
    /// The session cookie value (only its hash is stored).
    pub token: String,
    pub session: SessionRow,
    pub must_change_password: bool,
}

/// The account a login just opened a session for, as the API returns it.
pub async fn user_of(
    p: &Platform,
    ok: &LoginOk,
) -> Result<crate::features::users::UserView, AppError> {
    let mut c = p.db.read().await?;
    let user = ustore::get(&mut c, &ok.session.user_id)
        .await?
        .ok_or_else(AppError::internal)?;
    Ok(crate::features::users::UserView::from_row(
        &user,
        p.now_us(),
    ))
}

pub async fn login(
    p: &Platform,
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<LoginOk, AppError> {
    login_with_code(p, ctx, username, password, None).await
}

/// What the password step of a login leads to.
pub enum LoginStep {
    /// Logged in.
    Done(LoginOk),
    /// The user's UKEY must sign this challenge ([`login_with_ukey`]).
    Ukey(UkeyChallenge),
}

/// A pending login waiting for the UKEY's signature (ADR 0008).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UkeyChallenge {
    /// Names the pending login; sent back with the signature. Only its SM3
    /// hash is stored, so the challenge alone does not finish the login.
    pub login_token: String,
    /// The exact text to sign (its UTF-8 bytes, SM2 with SM3 and the
    /// default identifier `1234567812345678`).
    pub challenge: String,
    /// The UKEY expected to sign.
    pub serial: String,
    pub username: String,
    /// Beijing time, `YYYY-MM-DD HH:MM:SS`.
    pub expires_at: String,
    pub expires_in_seconds: i64,
}

/// Which second factors the caller can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    /// `POST /api/v1/auth/login`: password and code in one request; a UKEY
    /// user is told to use the UKEY endpoints.
    Code,
    /// The login page: a UKEY user who typed no code gets a challenge.
    CodeOrUkey,
    /// `POST /api/v1/auth/login/ukey/challenge`: a challenge or an error.
    Ukey,
}

/// Logs in with the password and, for a user who has one, the current code
/// of the second factor. A user whose UKEY in use carries a public key is
/// refused with `auth.ukey_required` unless the TOTP code is given.
pub async fn login_with_code(
    p: &Platform,
    ctx: &Ctx,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> Result<LoginOk, AppError> {
    match login_as(p, ctx, username, password, code, Offer::Code).await? {
        LoginStep::Done(ok) => Ok(ok),
        LoginStep::Ukey(_) => Err(AppError::internal()),
    }
}

/// The login page's step: like [`login_with_code`], but a user whose UKEY
/// carries a public key and who typed no TOTP code gets a UKEY challenge.
pub async fn login_step(
    p: &Platform,
    ctx: &Ctx,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> Result<LoginStep, AppError> {
    login_as(p, ctx, username, password, code, Offer::CodeOrUkey).await
}

/// Checks the password and issues a UKEY challenge bound to this pending
/// login (`auth.ukey_not_registered` for a user without a UKEY key).
pub async fn ukey_challenge(
    p: &Platform,
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<UkeyChallenge, AppError> {
    match login_as(p, ctx, username, password, None, Offer::Ukey).await? {
        LoginStep::Ukey(ch) => Ok(ch),
        LoginStep::Done(_) => Err(AppError::internal()),
    }
}

async fn login_as(
    p: &Platform,
    ctx: &Ctx,
    username: &str,
    password: &str,
    code: Option<&str>,
    offer: Offer,
) -> Result<LoginStep, AppError> {
    let (user, pol, claim) = check_password(p, ctx, username, password).await?;
    // The second factors the user has (等保 L3, JSCZ-53).
    let (secret, key) = {
        let mut c = p.db.read().await?;
        (
            crate::features::mfa::active_secret(p, &mut c, &user.id).await?,
            ukey::login_key(&mut c, &user.username).await?,
        )
    };
    if offer == Offer::Ukey {
        release_attempt(p, &user, &claim).await?;
        let Some(key) = key else {
            return Err(AppError::bad_request(
                "auth.ukey_not_registered",
                "该账号没有登记了签名公钥的在用 UKEY，请用密码（及动态口令）登录",
            ));
        };
        return Ok(LoginStep::Ukey(issue_challenge(p, ctx, &user, &key).await?));
    }
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    if let (Some(secret), Some(code)) = (&secret, code) {
        // Still the claimed attempt: a wrong code is its failure.
        if !crate::features::mfa::code_ok(p, secret, code)? {
            return Err(record_failure(
                p,
                ctx,
                &user,
                &pol,
                &claim,
                "动态口令错误",
                ("auth.totp_invalid", "动态口令错误"),
                None,
            )
            .await?);
        }
        return Ok(LoginStep::Done(
            start_session(p, ctx, &user, String::new(), None, Some(&claim))
                .await?
                .ok_or_else(AppError::internal)?,
        ));
    }
    if let Some(key) = key {
        release_attempt(p, &user, &claim).await?;
        if offer == Offer::CodeOrUkey {
            return Ok(LoginStep::Ukey(issue_challenge(p, ctx, &user, &key).await?));
        }
        return Err(AppError::new(
            ErrorKind::Unauthorized,
            "auth.ukey_required",
            if secret.is_some() {
                "该账号已登记 UKEY 签名公钥，请输入动态口令，或用 UKEY 对登录挑战码签名后登录"
            } else {
                "该账号已登记 UKEY 签名公钥，须用 UKEY 对登录挑战码签名后登录"
            },
        ));
    }
    if secret.is_some() {
        release_attempt(p, &user, &claim).await?;
        return Err(AppError::new(
            ErrorKind::Unauthorized,
            "auth.totp_required",
            "该账号已启用动态口令，请输入手机验证器上的 6 位动态口令",
        ));
    }
    Ok(LoginStep::Done(
        start_session(p, ctx, &user, String::new(), None, Some(&claim))
            .await?
            .ok_or_else(AppError::internal)?,
    ))
}

/// The first factor: the account exists, is active and not locked, and the
/// password is right. The attempt is counted toward the lockout before the
/// password is checked ([`claim_attempt`]); a wrong one stays counted, a
/// right one leaves the claim to the caller. Every refusal is audited.
async fn check_password(
    p: &Platform,
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<
    (
        UserRow,
        yunwei_domain::security_policy::SecurityPolicy,
        Claim,
    ),
    AppError,
> {
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty()
        || password.is_empty()
        || username.len() > 64
        || password.len() > yunwei_domain::password::MAX_PASSWORD_BYTES
    {
        return Err(invalid_login());
    }
    let (user, pol, root) = {
        let mut c = p.db.read().await?;
        (
            ustore::by_username(&mut c, &username).await?,
            policy::load(&mut c).await?,
            crate::kernel::audit::root_path(&mut c).await?,
        )
    };
    // A name without a local account, or with one the directory created,
    // is the directory's; a local account never asks the directory (ADR
    // 0021).
    if let Some(cfg) = p.directory.clone() {
        let from_directory = match &user {
            None => true,
            Some(u) => directory::is_directory_account(&mut p.db.read().await?, &u.id).await?,
        };
        if from_directory {
            let (user, claim) =
                check_directory_password(p, ctx, &cfg, &username, password, user, &pol, &root)
                    .await?;
            return Ok((user, pol, claim));
        }
    }
    let Some(user) = user else {
        // Burn comparable time so unknown names are not told apart by timing.
        let _ = hash_password(p.crypto.as_ref(), password, p.password_iterations);
        let ev = Event::success("auth.login", "user", "")
            .with_result("failure")
            .after("用户不存在");
        record_alone(
            p,
            ctx,
            Actor::Anonymous {
                name: &username,
                org_path: &root,
            },
            ev,
        )
        .await?;
        return Err(invalid_login());
    };
    check_usable(p, ctx, &user, p.now_us()).await?;
    let claim = claim_attempt(p, ctx, &user, &pol).await?;
    if !verify_password(p.crypto.as_ref(), password, &user.password_hash) {
        return Err(record_failure(
            p,
            ctx,
            &user,
            &pol,
            &claim,
            "密码错误",
            ("auth.invalid", "用户名或密码错误"),
            None,
        )
        .await?);
    }
    Ok((user, pol, claim))
}

/// The first factor of a directory user (ADR 0021): the directory finds
/// the user with its service account; a user it does not know, or that it
/// marks disabled, is refused; the local account is created at the first
/// login, so the attempt is counted toward the lockout before the password
/// is checked by binding as the user, exactly as a local password is; a
/// right password brings the account (name, organisation, phone, mapped
/// roles) in step with the directory. Every refusal is audited.
#[allow(clippy::too_many_arguments)]
async fn check_directory_password(
    p: &Platform,
    ctx: &Ctx,
    cfg: &yunwei_domain::directory::DirectoryConfig,
    username: &str,
    password: &str,
    user: Option<UserRow>,
    pol: &yunwei_domain::security_policy::SecurityPolicy,
    root: &str,
) -> Result<(UserRow, Claim), AppError> {
    // Refused while disabled or locked here, before the directory is asked.
    if let Some(u) = &user {
        check_usable(p, ctx, u, p.now_us()).await?;
    }
    let (actor_path, user_id) = match &user {
        Some(u) => (u.org_path.clone(), u.id.clone()),
        None => (root.to_string(), String::new()),
    };
    let refuse = |result: &'static str, why: String| {
        let ev = Event::success("auth.login", "user", &user_id)
            .with_result(result)
            .after(why);
        record_alone(
            p,
            ctx,
            Actor::Anonymous {
                name: username,
                org_path: &actor_path,
            },
            ev,
        )
    };
    let entry = match directory::find_user(cfg, username).await {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            refuse("failure", "目录中不存在该用户".into()).await?;
            return Err(invalid_login());
        }
        Err(e) => {
            tracing::warn!(error = ?e, "directory lookup failed at login");
            refuse("failure", format!("目录服务不可用：{}", e.message())).await?;
            return Err(directory::unavailable());
        }
    };
    if entry.disabled {
        refuse("denied", "目录账号已停用".into()).await?;
        return Err(disabled());
    }
    let user = match user {
        Some(u) => u,
        None => match directory::provision(p, ctx, cfg, username, &entry).await {
            Ok(u) => u,
            Err(e) => {
                refuse("failure", format!("无法创建目录账号：{}", e.message)).await?;
                return Err(e);
            }
        },
    };
    let claim = claim_attempt(p, ctx, &user, pol).await?;
    match directory::check_password(cfg, &entry.dn, password).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(record_failure(
                p,
                ctx,
                &user,
                pol,
                &claim,
                "密码错误（目录服务）",
                ("auth.invalid", "用户名或密码错误"),
                None,
            )
            .await?)
        }
        Err(e) => {
            tracing::warn!(error = ?e, "directory bind failed at login");
            release_attempt(p, &user, &claim).await?;
            record_alone(
                p,
                ctx,
                anonymous(&user),
                Event::success("auth.login", "user", &user.id)
                    .with_result("failure")
                    .after(format!("目录服务不可用：{}", e.message())),
            )
            .await?;
            return Err(directory::unavailable());
        }
    }
    match directory::sync(p, ctx, cfg, &user, &entry).await {
        Ok(user) => Ok((user, claim)),
        Err(e) => {
            release_attempt(p, &user, &claim).await?;
            record_alone(
                p,
                ctx,
                anonymous(&user),
                Event::success("auth.login", "user", &user.id)
                    .with_result("failure")
                    .after(format!("目录账号同步失败：{}", e.message)),
            )
            .await?;
            Err(e)
        }
    }
}

/// Refuses (and audits) a login of a disabled or locked account.
async fn check_usable(p: &Platform, ctx: &Ctx, user: &UserRow, now: i64) -> Result<(), AppError> {
    match refusal_of(user, now, None) {
        Some((why, e)) => {
            record_alone(p, ctx, anonymous(user), denied_login(user, why)).await?;
            Err(e)
        }
        None => Ok(()),
    }
}

/// Why `user` (as read now) may not log in: disabled, or locked by a lock
/// in force other than `own_lock` (the one this attempt took itself); with
/// the error to show.
fn refusal_of(user: &UserRow, now: i64, own_lock: Option<i64>) -> Option<(&'static str, AppError)> {
    if user.status != "active" {
        return Some(("账号已停用", disabled()));
    }
    user.locked_until
        .filter(|t| *t > now && Some(*t) != own_lock)
        .map(|t| ("账号已锁定", locked_error(t)))
}

fn anonymous(user: &UserRow) -> Actor<'_> {
    Actor::Anonymous {
        name: &user.username,
        org_path: &user.org_path,
    }
}

/// The audit record of a login refused before its answer was checked.
fn denied_login(user: &UserRow, why: &str) -> Event {
    Event::success("auth.login", "user", &user.id)
        .with_result("denied")
        .after(why)
}

/// Starts the session of a user who passed both factors, with the audit
/// record in the same transaction. With `challenge`, the UKEY challenge is
/// used up in that transaction too; `None` when it already was (a
/// concurrent answer came first) and nothing was written.
async fn start_session(
    p: &Platform,
    ctx: &Ctx,
    user: &UserRow,
    factor: String,
    challenge: Option<&str>,
    claim: Option<&Claim>,
) -> Result<Option<LoginOk>, AppError> {
    let now = p.now_us();
    let token = random_token(p.crypto.as_ref());
    let session = SessionRow {
        id: new_id(),
        token_hash: token_hash(p.crypto.as_ref(), &token),
        user_id: user.id.clone(),
        csrf_token: random_token(p.crypto.as_ref()),
        source_ip: ctx.source_ip.clone(),
        user_agent: ctx.user_agent.chars().take(200).collect(),
        created_at: now,
        last_seen_at: now,
        ended_at: None,
        end_reason: None,
    };
    // A password older than the policy's age is changed before anything
    // else, like an initial one (EEDS-3.8.6 「不定期更换」).
    let (mut principal, expired) = {
        let mut c = p.db.read().await?;
        let pol = policy::load(&mut c).await?;
        // A directory account's password ages in the directory, not here.
        let expired = !user.must_change_password
            && crate::features::passwords::expired(&pol, user.password_changed_at, now)
            && !directory::is_directory_account(&mut c, &user.id).await?;
        (
            principal_of(&mut c, user, Some(session.id.clone()), p.now_us()).await?,
            expired.then(|| crate::features::passwords::expires_at(&pol, user.password_changed_at)),
        )
    };
    principal.must_change_password |= expired.is_some();
    let started = in_tx!(p.db, |c| {
        // The account as it is now: a lock taken by other attempts while
        // this one was checked, or a disabling, still refuses it.
        let current = ustore::get_for_update(&mut c, &user.id)
            .await?
            .ok_or_else(AppError::internal)?;
        let own_lock = claim.and_then(|cl| cl.locked_until);
        if let Some((why, e)) = refusal_of(&current, now, own_lock) {
            record(p, &mut c, ctx, anonymous(user), denied_login(user, why)).await?;
            return Ok(Err(e));
        }
        if let Some(id) = challenge {
            if !sstore::use_ukey_challenge(&mut c, id, now).await? {
                return Ok(Ok(false));
            }
        }
        ustore::set_login_state(&mut c, &user.id, 0, None).await?;
        if let Some(at) = expired {
            if ustore::require_password_change(&mut c, &user.id, now).await? {
                record(
                    p,
                    &mut c,
                    ctx,
                    Actor::System {
                        org_path: &user.org_path,
                    },
                    Event::success("auth.password_expired", "user", &user.id)
                        .after(format!("密码已于 {} 到期，须先修改密码", fmt_us(at))),
                )
                .await?;
            }
        }
        sstore::insert(&mut c, &session).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(&principal)),
            Event::success("auth.login", "session", &session.id).after(factor.clone()),
        )
        .await?;
        Ok(Ok(true))
    })??;
    Ok(started.then_some(LoginOk {
        token,
        session,
        must_change_password: user.must_change_password || expired.is_some(),
    }))
}

/// Issues a challenge for the UKEY `key` to a user whose password was
/// right, stored with the hash of a new pending-login token, and audited.
async fn issue_challenge(
    p: &Platform,
    ctx: &Ctx,
    user: &UserRow,
    key: &LoginKey,
) -> Result<UkeyChallenge, AppError> {
    let token = random_token(p.crypto.as_ref());
    let now = p.now_us();
    let row = UkeyChallengeRow {
        id: new_id(),
        user_id: user.id.clone(),
        token_hash: token_hash(p.crypto.as_ref(), &token),
        serial: key.serial.clone(),
        challenge: ukey::challenge_text(&user.username, &p.crypto.random_bytes(16)),
        source_ip: ctx.source_ip.clone(),
        created_at: now,
        expires_at: now + CHALLENGE_MINUTES * MINUTE_US,
        used_at: None,
    };
    in_tx!(p.db, |c| {
        sstore::purge_ukey_challenges(&mut c, &user.id, now - CHALLENGE_KEEP_US).await?;
        sstore::insert_ukey_challenge(&mut c, &row).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::Anonymous {
                name: &user.username,
                org_path: &user.org_path,
            },
            Event::success("auth.ukey_challenge", "user", &user.id).after(format!(
                "密码正确，向 UKEY {} 发出登录挑战，{}分钟内有效",
                key.serial, CHALLENGE_MINUTES
            )),
        )
        .await?;
        Ok(())
    })?;
    Ok(challenge_view(&row, token, &user.username, now))
}

fn challenge_view(
    row: &UkeyChallengeRow,
    token: String,
    username: &str,
    now: i64,
) -> UkeyChallenge {
    UkeyChallenge {
        login_token: token,
        challenge: row.challenge.clone(),
        serial: row.serial.clone(),
        username: username.to_string(),
        expires_at: fmt_us(row.expires_at),
        expires_in_seconds: ((row.expires_at - now) / 1_000_000).max(0),
    }
}

fn no_pending_login() -> AppError {
    AppError::new(
        ErrorKind::Unauthorized,
        "auth.ukey_challenge_invalid",
        "登录挑战不存在，请重新输入用户名和密码登录",
    )
}

/// The pending login of `login_token` while it can still be answered
/// (the UKEY step of the login page shows it again).
pub async fn pending_ukey(
    p: &Platform,
    login_token: &str,
) -> Result<Option<UkeyChallenge>, AppError> {
    let token = login_token.trim();
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let Some(row) =
        sstore::ukey_challenge_by_token_hash(&mut c, &token_hash(p.crypto.as_ref(), token))
            .await?
            .filter(|r| r.used_at.is_none() && r.expires_at > now)
    else {
        return Ok(None);
    };
    let Some(user) = ustore::get(&mut c, &row.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(challenge_view(
        &row,
        token.to_string(),
        &user.username,
        now,
    )))
}

/// Finishes a pending login with the UKEY's signature of its challenge
/// (hex of `r || s`). The challenge is used up by this answer, right or
/// wrong; a wrong, repeated or late answer, or one for a UKEY no longer in
/// use (lost, returned, replaced), counts as a failed login. The outcome
/// is audited in the transaction that starts the session or counts the
/// failure.
pub async fn login_with_ukey(
    p: &Platform,
    ctx: &Ctx,
    login_token: &str,
    signature: &str,
) -> Result<LoginOk, AppError> {
    let token = login_token.trim();
    let found = if token.is_empty() || token.len() > 128 {
        None
    } else {
        let mut c = p.db.read().await?;
        match sstore::ukey_challenge_by_token_hash(&mut c, &token_hash(p.crypto.as_ref(), token))
            .await?
        {
            Some(row) => ustore::get(&mut c, &row.user_id)
                .await?
                .map(|user| (row, user)),
            None => None,
        }
    };
    let Some((row, user)) = found else {
        let root = crate::kernel::audit::root_path(&mut p.db.read().await?).await?;
        let ev = Event::success("auth.login", "user", "")
            .with_result("failure")
            .after("UKEY 登录挑战不存在");
        record_alone(
            p,
            ctx,
            Actor::Anonymous {
                name: "",
                org_path: &root,
            },
            ev,
        )
        .await?;
        return Err(no_pending_login());
    };
    let now = p.now_us();
    check_usable(p, ctx, &user, now).await?;
    let (pol, key) = {
        let mut c = p.db.read().await?;
        (
            policy::load(&mut c).await?,
            ukey::login_key(&mut c, &user.username).await?,
        )
    };
    // Counted before the signature is checked, like a password.
    let claim = claim_attempt(p, ctx, &user, &pol).await?;
    let failure: Option<(&str, (&'static str, String))> = if row.used_at.is_some() {
        Some((
            "UKEY 挑战码重复使用",
            (
                "auth.ukey_challenge_used",
                "该挑战码已使用过，请重新输入密码获取新的挑战码".to_string(),
            ),
        ))
    } else if row.expires_at <= now {
        Some((
            "UKEY 挑战码已过期",
            (
                "auth.ukey_challenge_expired",
                format!("挑战码已过期（{CHALLENGE_MINUTES}分钟内有效），请重新输入密码登录"),
            ),
        ))
    } else {
        match key {
            Some(k) if k.serial == row.serial => {
                let good = ukey::parse_signature(signature).is_some_and(|sig| {
                    p.crypto
                        .sm2_verify(&k.public_key, row.challenge.as_bytes(), &sig)
                });
                (!good).then(|| {
                    (
                        "UKEY 签名错误",
                        (
                            "auth.ukey_signature_invalid",
                            "UKEY 签名不正确，请确认插入的是本人的 UKEY 并对页面上的挑战码签名"
                                .to_string(),
                        ),
                    )
                })
            }
            // Lost, returned or replaced since the challenge: its key is
            // no longer accepted.
            _ => Some((
                "UKEY 不在用（已挂失、归还或更换）",
                (
                    "auth.ukey_not_in_use",
                    "该 UKEY 已挂失、归还或更换，其签名不被接受，请联系安全管理员".to_string(),
                ),
            )),
        }
    };
    if let Some((why, (code, shown))) = failure {
        return Err(record_failure(
            p,
            ctx,
            &user,
            &pol,
            &claim,
            why,
            (code, &shown),
            Some(&row.id),
        )
        .await?);
    }
    let factor = format!("UKEY 签名（序列号 {}）", row.serial);
    match start_session(p, ctx, &user, factor, Some(&row.id), Some(&claim)).await? {
        Some(ok) => Ok(ok),
        // A concurrent answer used the challenge first.
        None => Err(record_failure(
            p,
            ctx,
            &user,
            &pol,
            &claim,
            "UKEY 挑战码重复使用",
            (
                "auth.ukey_challenge_used",
                "该挑战码已使用过，请重新输入密码获取新的挑战码",
            ),
            Some(&row.id),
        )
        .await?),
    }
}

/// Builds the principal of a user from their grants.
/// The principal of `user` at `now_us`: a grant whose end has passed gives
/// nothing, even before the job removes it (JSCZ-49).
pub async fn principal_of(
    c: &mut DbConn,
    user: &UserRow,
    session_id: Option<String>,
    now_us: i64,
) -> Result<Principal, AppError> {
    let grants = ustore::grants_of(c, &user.id)
        .await?
        .into_iter()
        .filter(|g| g.valid_until.is_none_or(|end| end > now_us))
        .filter_map(|g| {
            Role::parse(&g.role).map(|role| ScopedRole {
                role,
                scope_path: g.scope_path,
                subtree: g.subtree,
            })
        })
        .collect::<Vec<_>>();
    // Where the installation requires UKEYs, an administrator without one
    // in use (lost, returned, never issued) does not act as administrator
    // (JSCZ-53). Business users are not affected and cost no query.
    let is_admin = |r: Role| r.is_three_admin() || r == Role::VendorAdmin;
    let grants = if grants.iter().any(|g| is_admin(g.role))
        && crate::features::policy::load(c)
            .await?
            .require_ukey_for_admins
        && !crate::features::rules::holds_ukey(c, &user.username).await?
    {
        grants.into_iter().filter(|g| !is_admin(g.role)).collect()
    } else {
        grants
    };
    // A vendor engineer serves the unassigned tickets of the regions its
    // vendor's contracts in force cover (same in lists and by id).
    let contract_regions = if grants.iter().any(|g| g.role == Role::VendorEngineer) {
        let today = yunwei_domain::calendar::date_in_shanghai(
            chrono::DateTime::from_timestamp_micros(now_us).unwrap_or_default(),
        );
        crate::features::rules::contract_regions(c, &user.org_id, today).await?
    } else {
        vec![]
    };
    Ok(Principal {
        contract_regions,
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        org_id: user.org_id.clone(),
        org_path: user.org_path.clone(),
        grants,
        session_id,
        must_change_password: user.must_change_password,
    })
}

/// One login attempt, counted toward the lockout before its password, code
/// or signature is checked.
#[derive(Debug, Clone, Copy)]
struct Claim {
    /// Consecutive attempts counted, this one included.
    count: i64,
    /// The lock this attempt took by reaching the threshold.
    locked_until: Option<i64>,
}

/// Counts an attempt before it is checked, in one transaction with the
/// user's row locked: refused (and audited) while a lock is in force, a
/// fresh count after a lock that expired, and the lock taken by the attempt
/// that reaches the threshold. Checking comes after counting, so however
/// many attempts arrive at once, at most the threshold of them are ever
/// checked per lock period (等保 L3, `EEDS-3.8.6`). A right answer gives
/// its count back ([`release_attempt`]) or starts a session, which clears
/// the count; a wrong one is recorded by [`record_failure`].
async fn claim_attempt(
    p: &Platform,
    ctx: &Ctx,
    user: &UserRow,
    pol: &yunwei_domain::security_policy::SecurityPolicy,
) -> Result<Claim, AppError> {
    let outcome = in_tx!(p.db, |c| {
        let now = p.now_us();
        let current = ustore::get_for_update(&mut c, &user.id)
            .await?
            .ok_or_else(AppError::internal)?;
        if let Some((why, e)) = refusal_of(&current, now, None) {
            record(p, &mut c, ctx, anonymous(user), denied_login(user, why)).await?;
            return Ok(Err(e));
        }
        // A lock that expired starts a fresh count.
        let previous = if current.locked_until.is_some() {
            0
        } else {
            current.failed_attempts
        };
        let count = previous + 1;
        let locked_until = (count >= i64::from(pol.lockout_threshold))
            .then(|| now + i64::from(pol.lockout_minutes) * MINUTE_US);
        ustore::set_login_state(&mut c, &user.id, count, locked_until).await?;
        Ok(Ok(Claim {
            count,
            locked_until,
        }))
    })?;
    outcome
}

/// Gives back the count of an attempt whose answer was right but that
/// starts no session (a UKEY challenge follows, or a second factor is
/// missing), lifting the lock only if this attempt took it.
async fn release_attempt(p: &Platform, user: &UserRow, claim: &Claim) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let current = ustore::get_for_update(&mut c, &user.id)
            .await?
            .ok_or_else(AppError::internal)?;
        let until = match (current.locked_until, claim.locked_until) {
            (Some(now_lock), Some(own)) if now_lock == own => None,
            (other, _) => other,
        };
        let count = (current.failed_attempts - 1).max(0);
        ustore::set_login_state(&mut c, &user.id, count, until).await?;
        Ok(())
    })
}

/// Records a claimed attempt that failed (a wrong password, code or UKEY
/// signature) with its count, and the lockout if this attempt took it;
/// returns the error to show. A UKEY challenge answered wrongly is used up
/// in the same transaction.
#[allow(clippy::too_many_arguments)]
async fn record_failure(
    p: &Platform,
    ctx: &Ctx,
    user: &UserRow,
    pol: &yunwei_domain::security_policy::SecurityPolicy,
    claim: &Claim,
    why: &str,
    (code, shown): (&'static str, &str),
    challenge: Option<&str>,
) -> Result<AppError, AppError> {
    let anon = anonymous(user);
    let now = p.now_us();
    in_tx!(p.db, |c| {
        if let Some(id) = challenge {
            sstore::use_ukey_challenge(&mut c, id, now).await?;
        }
        let ev = Event::success("auth.login", "user", &user.id)
            .with_result("failure")
            .after(format!("{why}，连续第{}次", claim.count));
        record(p, &mut c, ctx, anon, ev).await?;
        if claim.locked_until.is_some() {
            let ev = Event::success("auth.lockout", "user", &user.id).after(format!(
                "连续{}次登录失败，锁定{}分钟",
                claim.count, pol.lockout_minutes
            ));
            let system = Actor::System {
                org_path: &user.org_path,
            };
            record(p, &mut c, ctx, system, ev).await?;
        }
        Ok(())
    })?;
    Ok(match claim.locked_until {
        Some(t) => locked_error(t),
        None => AppError::new(
            ErrorKind::Unauthorized,
            code,
            format!(
                "{shown}（再失败{}次将锁定账号）",
                i64::from(pol.lockout_threshold) - claim.count
            ),
        ),
    })
}

fn session_expired() -> AppError {
    AppError::new(
        ErrorKind::Unauthorized,
        "auth.session_expired",
        "会话已过期，请重新登录",
    )
}

/// Resolves a session cookie to its principal, ending sessions that were
/// idle longer than the policy allows.
pub async fn authenticate_session(
    p: &Platform,
    ctx: &Ctx,
    token: &str,
) -> Result<(Principal, SessionRow), AppError> {
    let hash = token_hash(p.crypto.as_ref(), token);
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let session = sstore::by_token_hash(&mut c, &hash)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if session.ended_at.is_some() {
        return Err(session_expired());
    }
    let user = ustore::get(&mut c, &session.user_id)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    let pol = policy::load(&mut c).await?;
    if user.status != "active" {
        return Err(AppError::unauthorized());
    }
    let principal = principal_of(&mut c, &user, Some(session.id.clone()), p.now_us()).await?;
    drop(c);
    if now - session.last_seen_at > i64::from(pol.idle_timeout_minutes) * MINUTE_US {
        in_tx!(p.db, |c| {
            if sstore::end(&mut c, &session.id, now, "idle_timeout").await? {
                let ev = Event::success("auth.session_timeout", "session", &session.id)
                    .after(format!("空闲超过{}分钟", pol.idle_timeout_minutes));
                record(
                    p,
                    &mut c,
                    ctx,
                    Actor::User(Authorized::own_account(&principal)),
                    ev,
                )
                .await?;
            }
            Ok(())
        })?;
        return Err(session_expired());
    }
    if now - session.last_seen_at > TOUCH_INTERVAL_US {
        in_tx!(p.db, |c| {
            sstore::touch(&mut c, &session.id, now).await?;
            Ok(())
        })?;
    }
    Ok((principal, session))
}

/// Resolves an integration API token (`Authorization: Bearer yw_...`).
pub async fn authenticate_token(p: &Platform, token: &str) -> Result<Principal, AppError> {
    let hash = token_hash(p.crypto.as_ref(), token);
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let t = sstore::token_by_hash(&mut c, &hash)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if t.revoked_at.is_some() || t.expires_at <= now {
        return Err(AppError::new(
            ErrorKind::Unauthorized,
            "auth.token_invalid",
            "接口令牌已失效",
        ));
    }
    let user = ustore::get(&mut c, &t.user_id)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if user.status != "active" {
        return Err(AppError::unauthorized());
    }
    let principal = principal_of(&mut c, &user, None, p.now_us()).await?;
    drop(c);
    if t.last_used_at.is_none_or(|l| now - l > TOUCH_INTERVAL_US) {
        in_tx!(p.db, |c| {
            sstore::touch_token(&mut c, &t.id, now).await?;
            Ok(())
        })?;
    }
    Ok(principal)
}

pub async fn logout(p: &Platform, ctx: &Ctx, pr: &Principal) -> Result<(), AppError> {
    let Some(sid) = pr.session_id.clone() else {
        return Ok(());
    };
    in_tx!(p.db, |c| {
        if sstore::end(&mut c, &sid, p.now_us(), "logout").await? {
            record(
                p,
                &mut c,
                ctx,
                Actor::User(Authorized::own_account(pr)),
                Event::success("auth.logout", "session", &sid),
            )
            .await?;
        }
        Ok(())
    })
}

fn details_of(p: &Platform, u: &UserRow) -> UserDetails {
    let dec = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| decrypt_field(p.crypto.as_ref(), &p.keys.field, s).ok())
    };
    UserDetails {
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        phone: dec(&u.phone_enc),
        id_number: dec(&u.id_number_enc),
    }
}

fn problem(pb: PasswordProblem) -> AppError {
    AppError::bad_request(pb.code(), pb.message())
}

/// Changes the caller's own password: the current one must be given, the
/// new one must pass the policy and differ from the last N (`JSCZ-43`).
pub async fn change_password(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), AppError> {
    if new != confirm {
        return Err(AppError::bad_request(
            "password.mismatch",
            "两次输入的新密码不一致",
        ));
    }
    let (user, pol, history, org_names) = {
        let mut c = p.db.read().await?;
        let user = ustore::get(&mut c, &pr.user_id)
            .await?
            .ok_or_else(AppError::unauthorized)?;
        let pol = policy::load(&mut c).await?;
        let history =
            ustore::recent_passwords(&mut c, &user.id, u64::from(pol.password_history)).await?;
        let org_names = crate::features::passwords::org_names_of(&mut c, &user.org_id).await?;
        if directory::is_directory_account(&mut c, &user.id).await? {
            return Err(AppError::bad_request(
                "password.directory_account",
                "目录账号没有本平台的密码，请在单位的目录服务（LDAP/AD）中修改密码",
            ));
        }
        (user, pol, history, org_names)
    };
    if !verify_password(p.crypto.as_ref(), current, &user.password_hash) {
        let ev = Event::success("user.password_change", "user", &user.id)
            .with_result("failure")
            .after("当前密码不正确");
        record_alone(p, ctx, Actor::Refused(pr), ev).await?;
        return Err(AppError::bad_request(
            "password.current_wrong",
            "当前密码不正确",
        ));
    }
    check_password_strength(new, pol.password_min_length as usize, &details_of(p, &user))
        .map_err(problem)?;
    // Not built from the organisation's name or initials and a year.
    yunwei_domain::password::check_org_derived(new, &org_names).map_err(problem)?;
    let reused = std::iter::once(&user.password_hash)
        .chain(history.iter())
        .any(|h| verify_password(p.crypto.as_ref(), new, h));
    if reused {
        return Err(problem(PasswordProblem::ReusedRecent {
            depth: pol.password_history as usize,
        }));
    }
    in_tx!(p.db, |c| {
        let now = p.now_us();
        let hash = hash_password(p.crypto.as_ref(), new, p.password_iterations);
        ustore::set_password(&mut c, &user.id, &hash, false, now).await?;
        ustore::add_password_history(&mut c, &new_id(), &user.id, &hash, now).await?;
        // Whoever held the old password may hold a session or a token made
        // with it: every other session ends and every token is revoked.
        let sessions = sstore::end_others_of(
            &mut c,
            &user.id,
            pr.session_id.as_deref(),
            now,
            "password_changed",
        )
        .await?;
        let tokens = sstore::revoke_all_tokens_of(&mut c, &user.id, now).await?;
        sstore::use_all_ukey_challenges(&mut c, &user.id, now).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(pr)),
            Event::success("user.password_change", "user", &user.id).after(format!(
                "结束其他会话 {sessions} 个，吊销接口令牌 {tokens} 个"
            )),
        )
        .await?;
        Ok(())
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub username: String,
    pub source_ip: String,
    pub user_agent: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub current: bool,
}

/// Open sessions: the caller's own, or (security administrator) those of
/// every user in scope.
pub async fn sessions(
    p: &Platform,
    pr: &Principal,
    all_in_scope: bool,
) -> Result<Vec<SessionView>, AppError> {
    let mut c = p.db.read().await?;
    let mut users: Vec<(String, String)> = vec![(pr.user_id.clone(), pr.username.clone())];
    if all_in_scope {
        let scope = pr.scope_for(Action::SessionManage);
        if scope.is_empty() {
            return Err(AppError::forbidden("无权管理他人会话"));
        }
        let (rows, _) = ustore::list(&mut c, &scope, &Default::default(), 0, 10_000).await?;
        users = rows.into_iter().map(|u| (u.id, u.username)).collect();
    }
    let ids: Vec<String> = users.iter().map(|u| u.0.clone()).collect();
    let rows = sstore::open_of_users(&mut c, &ids, 500).await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionView {
            username: users
                .iter()
                .find(|u| u.0 == s.user_id)
                .map(|u| u.1.clone())
                .unwrap_or_default(),
            current: pr.session_id.as_deref() == Some(s.id.as_str()),
            id: s.id,
            user_id: s.user_id,
            source_ip: s.source_ip,
            user_agent: s.user_agent,
            created_at: fmt_us(s.created_at),
            last_seen_at: fmt_us(s.last_seen_at),
        })
        .collect())
}

/// Ends a session: one's own, or any in scope for the security administrator.
pub async fn revoke_session(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    session_id: &str,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let s = sstore::get(&mut c, session_id)
            .await?
            .ok_or_else(|| AppError::not_found("会话"))?;
        let auth = if s.user_id == pr.user_id {
            Authorized::own_account(pr)
        } else {
            let owner = ustore::get(&mut c, &s.user_id)
                .await?
                .ok_or_else(AppError::internal)?;
            pr.authorize(Action::SessionManage, &owner.org_path)
                .map_err(|_| AppError::not_found("会话"))?
        };
        if sstore::end(&mut c, &s.id, p.now_us(), "revoked").await? {
            record(
                p,
                &mut c,
                ctx,
                Actor::User(auth),
                Event::success("auth.session_revoke", "session", &s.id).after(s.user_id.clone()),
            )
            .await?;
        }
        Ok(())
    })
}

pub struct NewToken {
    pub token: String,
    pub row: ApiTokenRow,
}

/// Creates an API token for the caller; the token is shown once.
pub async fn create_token(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    name: &str,
    days: u32,
) -> Result<NewToken, AppError> {
    let name = yunwei_domain::text::clean_name(name, 100)
        .map_err(|e| e.error("token.name_invalid", "令牌名称"))?;
    let name = name.as_str();
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    // A token cannot mint tokens: one that leaked would otherwise outlive
    // its own revocation through its children.
    if pr.session_id.is_none() {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "token.session_required",
            "接口令牌不能创建新的令牌，请登录后在会话中创建",
        ));
    }
    in_tx!(p.db, |c| {
        let pol = policy::load(&mut c).await?;
        if days == 0 || days > pol.api_token_max_days {
            return Err(AppError::bad_request(
                "token.lifetime_invalid",
                format!("令牌有效期须在1到{}天之间", pol.api_token_max_days),
            ));
        }
        let token = format!("{API_TOKEN_PREFIX}{}", random_token(p.crypto.as_ref()));
        let now = p.now_us();
        let row = ApiTokenRow {
            id: new_id(),
            user_id: pr.user_id.clone(),
            name: name.to_string(),
            token_hash: token_hash(p.crypto.as_ref(), &token),
            created_at: now,
            expires_at: now + i64::from(days) * 24 * 60 * MINUTE_US,
            revoked_at: None,
            last_used_at: None,
        };
        sstore::insert_token(&mut c, &row).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(pr)),
            Event::success("api_token.create", "api_token", &row.id).after(name.to_string()),
        )
        .await?;
        Ok(NewToken { token, row })
    })
}

pub async fn tokens(p: &Platform, pr: &Principal) -> Result<Vec<ApiTokenRow>, AppError> {
    sstore::tokens_of(&mut p.db.read().await?, &pr.user_id).await
}

pub async fn revoke_token(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        if !sstore::revoke_token(&mut c, id, &pr.user_id, p.now_us()).await? {
            return Err(AppError::not_found("令牌"));
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(pr)),
            Event::success("api_token.revoke", "api_token", id),
        )
        .await?;
        Ok(())
    })
}

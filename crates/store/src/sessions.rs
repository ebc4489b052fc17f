//! Server-side sessions (stored as token hashes) and integration API tokens.

use sea_query::{Expr, ExprTrait, Func, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionRow {
    pub id: String,
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: String,
    #[serde(skip)]
    pub csrf_token: String,
    pub source_ip: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
}

const COLS: [&str; 10] = [
    "id",
    "token_hash",
    "user_id",
    "csrf_token",
    "source_ip",
    "user_agent",
    "created_at",
    "last_seen_at",
    "ended_at",
    "end_reason",
];

fn from_row(r: &AnyRow) -> Result<SessionRow, AppError> {
    Ok(SessionRow {
        id: r.s("id")?,
        token_hash: r.s("token_hash")?,
        user_id: r.s("user_id")?,
        csrf_token: r.s("csrf_token")?,
        source_ip: r.s("source_ip")?,
        user_agent: r.s("user_agent")?,
        created_at: r.i("created_at")?,
        last_seen_at: r.i("last_seen_at")?,
        ended_at: r.oi("ended_at")?,
        end_reason: r.os("end_reason")?,
    })
}

pub async fn insert(c: &mut DbConn, s: &SessionRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("sessions")
            .columns(COLS)
            .values_panic([
                s.id.clone().into(),
                s.token_hash.clone().into(),
                s.user_id.clone().into(),
                s.csrf_token.clone().into(),
                s.source_ip.clone().into(),
                s.user_agent.clone().into(),
                s.created_at.into(),
                s.last_seen_at.into(),
                s.ended_at.into(),
                s.end_reason.clone().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn by_token_hash(c: &mut DbConn, hash: &str) -> Result<Option<SessionRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("sessions")
        .and_where(Expr::col("token_hash").eq(hash))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<SessionRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("sessions")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Refreshes `last_seen_at`; only while the session is still open.
pub async fn touch(c: &mut DbConn, id: &str, now: i64) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("sessions")
            .value("last_seen_at", now)
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("ended_at").is_null())
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Ends an open session; returns false when it was already ended.
pub async fn end(c: &mut DbConn, id: &str, now: i64, reason: &str) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("sessions")
                .values([("ended_at", now.into()), ("end_reason", reason.into())])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("ended_at").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Ends every open session of a user (password reset, account disabled).
pub async fn end_all_of(
    c: &mut DbConn,
    user_id: &str,
    now: i64,
    reason: &str,
) -> Result<u64, AppError> {
    c.exec(
        &Query::update()
            .table("sessions")
            .values([("ended_at", now.into()), ("end_reason", reason.into())])
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col("ended_at").is_null())
            .to_owned(),
    )
    .await
}

/// Ends every open session of a user but `keep` (a password change ends
/// the others, not the one it was made in).
pub async fn end_others_of(
    c: &mut DbConn,
    user_id: &str,
    keep: Option<&str>,
    now: i64,
    reason: &str,
) -> Result<u64, AppError> {
    let mut q = Query::update();
    q.table("sessions")
        .values([("ended_at", now.into()), ("end_reason", reason.into())])
        .and_where(Expr::col("user_id").eq(user_id))
        .and_where(Expr::col("ended_at").is_null());
    if let Some(keep) = keep {
        q.and_where(Expr::col("id").ne(keep));
    }
    c.exec(&q).await
}

/// Revokes every API token of a user that is still valid (password change
/// or reset, departure); returns how many.
pub async fn revoke_all_tokens_of(
    c: &mut DbConn,
    user_id: &str,
    now: i64,
) -> Result<u64, AppError> {
    c.exec(
        &Query::update()
            .table("api_tokens")
            .value("revoked_at", now)
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col("revoked_at").is_null())
            .to_owned(),
    )
    .await
}

/// Open sessions of the given users (newest first), at most `limit`.
pub async fn open_of_users(
    c: &mut DbConn,
    user_ids: &[String],
    limit: u64,
) -> Result<Vec<SessionRow>, AppError> {
    if user_ids.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .columns(COLS)
        .from("sessions")
        .and_where(Expr::col("user_id").is_in(user_ids.iter().cloned()))
        .and_where(Expr::col("ended_at").is_null())
        .order_by("last_seen_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const TOKEN_COLS: [&str; 8] = [
    "id",
    "user_id",
    "name",
    "token_hash",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
];

fn token_from_row(r: &AnyRow) -> Result<ApiTokenRow, AppError> {
    Ok(ApiTokenRow {
        id: r.s("id")?,
        user_id: r.s("user_id")?,
        name: r.s("name")?,
        token_hash: r.s("token_hash")?,
        created_at: r.i("created_at")?,
        expires_at: r.i("expires_at")?,
        revoked_at: r.oi("revoked_at")?,
        last_used_at: r.oi("last_used_at")?,
    })
}

pub async fn insert_token(c: &mut DbConn, t: &ApiTokenRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("api_tokens")
            .columns(TOKEN_COLS)
            .values_panic([
                t.id.clone().into(),
                t.user_id.clone().into(),
                t.name.clone().into(),
                t.token_hash.clone().into(),
                t.created_at.into(),
                t.expires_at.into(),
                t.revoked_at.into(),
                t.last_used_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn token_by_hash(c: &mut DbConn, hash: &str) -> Result<Option<ApiTokenRow>, AppError> {
    let q = Query::select()
        .columns(TOKEN_COLS)
        .from("api_tokens")
        .and_where(Expr::col("token_hash").eq(hash))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
}

pub async fn tokens_of(c: &mut DbConn, user_id: &str) -> Result<Vec<ApiTokenRow>, AppError> {
    let q = Query::select()
        .columns(TOKEN_COLS)
        .from("api_tokens")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("created_at", Order::Desc)
        .order_by("id", Order::Desc)
        .to_owned();
    c.all(&q).await?.iter().map(token_from_row).collect()
}

pub async fn revoke_token(
    c: &mut DbConn,
    id: &str,
    user_id: &str,
    now: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("api_tokens")
                .value("revoked_at", now)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("user_id").eq(user_id))
                .and_where(Expr::col("revoked_at").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn touch_token(c: &mut DbConn, id: &str, now: i64) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("api_tokens")
            .value("last_used_at", now)
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// When the user last logged in (their newest session), if ever.
pub async fn last_login(c: &mut DbConn, user_id: &str) -> Result<Option<i64>, AppError> {
    let q = Query::select()
        .expr_as(Func::max(Expr::col("created_at")), "last")
        .from("sessions")
        .and_where(Expr::col("user_id").eq(user_id))
        .to_owned();
    c.one(&q).await?.oi("last")
}

/// A pending login waiting for the UKEY's signature of `challenge`
/// (migration 18, ADR 0008).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UkeyChallengeRow {
    pub id: String,
    pub user_id: String,
    /// SM3 hash of the pending login's token (the token is the client's).
    pub token_hash: String,
    /// The UKEY the challenge was issued for.
    pub serial: String,
    /// The exact text the UKEY signs.
    pub challenge: String,
    pub source_ip: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Set by the first answer, right or wrong: a challenge is used once.
    pub used_at: Option<i64>,
}

const CHALLENGE_COLS: [&str; 9] = [
    "id",
    "user_id",
    "token_hash",
    "serial",
    "challenge",
    "source_ip",
    "created_at",
    "expires_at",
    "used_at",
];

pub async fn insert_ukey_challenge(c: &mut DbConn, r: &UkeyChallengeRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("ukey_challenges")
            .columns(CHALLENGE_COLS)
            .values_panic([
                r.id.clone().into(),
                r.user_id.clone().into(),
                r.token_hash.clone().into(),
                r.serial.clone().into(),
                r.challenge.clone().into(),
                r.source_ip.clone().into(),
                r.created_at.into(),
                r.expires_at.into(),
                r.used_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn ukey_challenge_by_token_hash(
    c: &mut DbConn,
    hash: &str,
) -> Result<Option<UkeyChallengeRow>, AppError> {
    let q = Query::select()
        .columns(CHALLENGE_COLS)
        .from("ukey_challenges")
        .and_where(Expr::col("token_hash").eq(hash))
        .to_owned();
    c.optional(&q)
        .await?
        .map(|r| {
            Ok(UkeyChallengeRow {
                id: r.s("id")?,
                user_id: r.s("user_id")?,
                token_hash: r.s("token_hash")?,
                serial: r.s("serial")?,
                challenge: r.s("challenge")?,
                source_ip: r.s("source_ip")?,
                created_at: r.i("created_at")?,
                expires_at: r.i("expires_at")?,
                used_at: r.oi("used_at")?,
            })
        })
        .transpose()
}

/// Marks a challenge used; false when it already was (a second answer,
/// or a concurrent one that came first).
pub async fn use_ukey_challenge(c: &mut DbConn, id: &str, now: i64) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("ukey_challenges")
                .value("used_at", now)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("used_at").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Uses up every open challenge of a user (a password change or reset:
/// a challenge issued for the old password must not finish a login).
pub async fn use_all_ukey_challenges(
    c: &mut DbConn,
    user_id: &str,
    now: i64,
) -> Result<u64, AppError> {
    c.exec(
        &Query::update()
            .table("ukey_challenges")
            .value("used_at", now)
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col("used_at").is_null())
            .to_owned(),
    )
    .await
}

/// Removes a user's challenges created before `before` (long expired; the
/// login's outcome is in the audit trail).
pub async fn purge_ukey_challenges(
    c: &mut DbConn,
    user_id: &str,
    before: i64,
) -> Result<u64, AppError> {
    c.exec(
        &Query::delete()
            .from_table("ukey_challenges")
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col("created_at").lt(before))
            .to_owned(),
    )
    .await
}

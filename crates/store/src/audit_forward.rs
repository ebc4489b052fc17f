//! The audit trail's forwarding state (migration 34, ADR 0023): one row
//! with the cursor (the last `seq` written and flushed to the syslog
//! server), the lease of the node that forwards, and the last outcome.
//! Every change is a single guarded update, so two nodes can never both
//! hold the lease or both move the cursor from the same position.

use sea_query::{Cond, Expr, ExprTrait, Query};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

const TABLE: &str = "audit_forward";

/// The forwarding row as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardState {
    /// Every record with `seq` up to this one was sent.
    pub cursor_seq: i64,
    pub lease_holder: String,
    pub lease_until_us: i64,
    pub forwarded_at_us: Option<i64>,
    /// Empty after a successful turn.
    pub last_error: String,
    pub last_error_at_us: Option<i64>,
}

pub async fn state(c: &mut DbConn) -> Result<ForwardState, AppError> {
    let q = Query::select()
        .columns([
            "cursor_seq",
            "lease_holder",
            "lease_until_us",
            "forwarded_at_us",
            "last_error",
            "last_error_at_us",
        ])
        .from(TABLE)
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    Ok(match c.optional(&q).await? {
        Some(r) => ForwardState {
            cursor_seq: r.i("cursor_seq")?,
            lease_holder: r.s("lease_holder")?,
            lease_until_us: r.i("lease_until_us")?,
            forwarded_at_us: r.oi("forwarded_at_us")?,
            last_error: r.s("last_error")?,
            last_error_at_us: r.oi("last_error_at_us")?,
        },
        None => ForwardState::default(),
    })
}

/// Takes or renews the lease until `until_us` when `holder` has it or it
/// ran out by `now_us`. True when `holder` holds it now.
pub async fn claim_lease(
    c: &mut DbConn,
    holder: &str,
    now_us: i64,
    until_us: i64,
) -> Result<bool, AppError> {
    let q = Query::update()
        .table(TABLE)
        .values([
            ("lease_holder", holder.into()),
            ("lease_until_us", until_us.into()),
        ])
        .and_where(Expr::col("id").eq(1))
        .cond_where(
            Cond::any()
                .add(Expr::col("lease_holder").eq(holder))
                .add(Expr::col("lease_until_us").lte(now_us)),
        )
        .to_owned();
    Ok(c.exec(&q).await? == 1)
}

/// Gives the lease up (a clean stop), so another node may take it at once.
pub async fn release_lease(c: &mut DbConn, holder: &str) -> Result<(), AppError> {
    let q = Query::update()
        .table(TABLE)
        .values([("lease_holder", "".into()), ("lease_until_us", 0i64.into())])
        .and_where(Expr::col("id").eq(1))
        .and_where(Expr::col("lease_holder").eq(holder))
        .to_owned();
    c.exec(&q).await?;
    Ok(())
}

/// Moves the cursor from `from` to `to` after a batch was flushed; only
/// for the lease holder and only from the position it read. False when
/// the lease or the position was lost meanwhile.
pub async fn advance(
    c: &mut DbConn,
    holder: &str,
    from: i64,
    to: i64,
    now_us: i64,
) -> Result<bool, AppError> {
    let q = Query::update()
        .table(TABLE)
        .values([
            ("cursor_seq", to.into()),
            ("forwarded_at_us", now_us.into()),
            ("last_error", "".into()),
        ])
        .and_where(Expr::col("id").eq(1))
        .and_where(Expr::col("lease_holder").eq(holder))
        .and_where(Expr::col("cursor_seq").eq(from))
        .to_owned();
    Ok(c.exec(&q).await? == 1)
}

/// Notes why the last turn failed (shown to the audit administrator).
pub async fn note_error(
    c: &mut DbConn,
    holder: &str,
    error: &str,
    now_us: i64,
) -> Result<(), AppError> {
    let q = Query::update()
        .table(TABLE)
        .values([
            ("last_error", error.into()),
            ("last_error_at_us", now_us.into()),
        ])
        .and_where(Expr::col("id").eq(1))
        .and_where(Expr::col("lease_holder").eq(holder))
        .to_owned();
    c.exec(&q).await?;
    Ok(())
}

//! The audit trail: chained appends, scoped search, and a streaming reader
//! for `yunwei audit verify`.

use sea_query::{Cond, Expr, ExprTrait, LockType, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::audit::{chain_mac, head_seal, AuditRecord, GENESIS_MAC};
use yunwei_domain::crypto::Crypto;
use yunwei_domain::AppError;

use crate::db::{internal, DbConn, RowExt};
use crate::Scope;

const COLS: [&str; 17] = [
    "seq",
    "id",
    "at_us",
    "actor_id",
    "actor_name",
    "actor_role",
    "org_path",
    "source_ip",
    "action",
    "object_type",
    "object_id",
    "before_summary",
    "after_summary",
    "reason",
    "result",
    "request_id",
    "mac",
];

fn from_row(r: &AnyRow) -> Result<(AuditRecord, String), AppError> {
    Ok((
        AuditRecord {
            seq: r.i("seq")?,
            id: r.s("id")?,
            at_us: r.i("at_us")?,
            actor_id: r.os("actor_id")?,
            actor_name: r.s("actor_name")?,
            actor_role: r.s("actor_role")?,
            org_path: r.s("org_path")?,
            source_ip: r.s("source_ip")?,
            action: r.s("action")?,
            object_type: r.s("object_type")?,
            object_id: r.s("object_id")?,
            before: r.s("before_summary")?,
            after: r.s("after_summary")?,
            reason: r.s("reason")?,
            result: r.s("result")?,
            request_id: r.s("request_id")?,
        },
        r.s("mac")?,
    ))
}

pub struct Head {
    pub seq: i64,
    pub mac: String,
    pub seal: String,
}

pub async fn head(c: &mut DbConn) -> Result<Option<Head>, AppError> {
    let q = Query::select()
        .columns(["seq", "mac", "seal"])
        .from("audit_head")
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    Ok(match c.optional(&q).await? {
        Some(r) => Some(Head {
            seq: r.i("seq")?,
            mac: r.s("mac")?,
            seal: r.s("seal")?,
        }),
        None => None,
    })
}

/// Appends `rec` (its `seq` is assigned here) inside the caller's
/// transaction. The chain head row is locked for the rest of the
/// transaction (`FOR UPDATE` on PostgreSQL; SQLite transactions already
/// hold the write lock), so callers append audit as their last write.
pub async fn append(
    c: &mut DbConn,
    crypto: &dyn Crypto,
    key: &[u8],
    mut rec: AuditRecord,
) -> Result<AuditRecord, AppError> {
    let mut q = Query::select();
    q.columns(["seq", "mac"])
        .from("audit_head")
        .and_where(Expr::col("id").eq(1));
    if c.backend() == crate::Backend::Postgres {
        q.lock(LockType::Update);
    }
    let current = c.optional(&q).await?;
    let (prev_seq, prev_mac) = match current {
        Some(r) => (
            r.i("seq")?,
            hex::decode(r.s("mac")?).map_err(|e| internal("audit head mac", e))?,
        ),
        // A chain starts from genesis only in a new database: with no head
        // but records or accounts present, the trail was wiped, and
        // restarting it would hide that.
        None if count_records(c).await? > 0 || count_users(c).await? > 0 => {
            tracing::error!("audit chain head is missing in a database with data; refusing to restart the chain");
            return Err(yunwei_domain::AppError::new(
                yunwei_domain::ErrorKind::Internal,
                "audit.chain_missing",
                "审计链缺失，系统拒绝写入，请联系审计管理员",
            ));
        }
        None => (0, GENESIS_MAC.to_vec()),
    };
    rec.seq = prev_seq + 1;
    let mac = chain_mac(crypto, key, &prev_mac, &rec);
    let mac_hex = hex::encode(mac);
    let seal_hex = hex::encode(head_seal(crypto, key, rec.seq, &mac));
    // The record goes with the head's update in one call (`DbConn::defer`).
    c.defer(
        &Query::insert()
            .into_table("audit_log")
            .columns(COLS)
            .values_panic([
                rec.seq.into(),
                rec.id.clone().into(),
                rec.at_us.into(),
                rec.actor_id.clone().into(),
                rec.actor_name.clone().into(),
                rec.actor_role.clone().into(),
                rec.org_path.clone().into(),
                rec.source_ip.clone().into(),
                rec.action.clone().into(),
                rec.object_type.clone().into(),
                rec.object_id.clone().into(),
                rec.before.clone().into(),
                rec.after.clone().into(),
                rec.reason.clone().into(),
                rec.result.clone().into(),
                rec.request_id.clone().into(),
                mac_hex.clone().into(),
            ])
            .to_owned(),
    )
    .await?;
    if prev_seq == 0 {
        c.defer(
            &Query::insert()
                .into_table("audit_head")
                .columns(["id", "seq", "mac", "seal"])
                .values_panic([1i64.into(), rec.seq.into(), mac_hex.into(), seal_hex.into()])
                .to_owned(),
        )
        .await?;
    } else {
        // Guarded by the previous seq so two writers can never both extend
        // the same head.
        let n = c
            .all(
                &Query::update()
                    .table("audit_head")
                    .values([
                        ("seq", rec.seq.into()),
                        ("mac", mac_hex.into()),
                        ("seal", seal_hex.into()),
                    ])
                    .and_where(Expr::col("id").eq(1))
                    .and_where(Expr::col("seq").eq(prev_seq))
                    .returning_col("seq")
                    .to_owned(),
            )
            .await?
            .len();
        if n != 1 {
            return Err(AppError::new(
                yunwei_domain::ErrorKind::Internal,
                "storage.busy",
                "系统繁忙，请稍后重试",
            ));
        }
    }
    Ok(rec)
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Only records with `seq` below this (keyset paging, newest first).
    pub before_seq: Option<i64>,
}

/// Newest-first page of records in scope. Keyset paging on `seq` keeps
/// every page equally fast over millions of records.
pub async fn search(
    c: &mut DbConn,
    scope: &Scope,
    f: &AuditFilter,
    limit: u64,
) -> Result<Vec<AuditRecord>, AppError> {
    let mut q = Query::select();
    q.columns(COLS)
        .from("audit_log")
        .cond_where(scope.condition("org_path"));
    let mut cond = Cond::all();
    if let Some(v) = f.from_us {
        cond = cond.add(Expr::col("at_us").gte(v));
    }
    if let Some(v) = f.to_us {
        cond = cond.add(Expr::col("at_us").lt(v));
    }
    if let Some(v) = f.actor.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(Expr::col("actor_name").eq(v));
    }
    if let Some(v) = f.action.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(Expr::col("action").eq(v));
    }
    if let Some(v) = f.object_type.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(Expr::col("object_type").eq(v));
    }
    if let Some(v) = f.object_id.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(Expr::col("object_id").eq(v));
    }
    if let Some(v) = f.before_seq {
        cond = cond.add(Expr::col("seq").lt(v));
    }
    q.cond_where(cond).order_by("seq", Order::Desc).limit(limit);
    c.all(&q)
        .await?
        .iter()
        .map(|r| from_row(r).map(|(rec, _)| rec))
        .collect()
}

/// How many records in scope fall in `[from_us, to_us)`.
pub async fn count_between(
    c: &mut DbConn,
    scope: &Scope,
    from_us: i64,
    to_us: i64,
) -> Result<i64, AppError> {
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("audit_log")
        .cond_where(scope.condition("org_path"))
        .and_where(Expr::col("at_us").gte(from_us))
        .and_where(Expr::col("at_us").lt(to_us))
        .to_owned();
    c.one(&q).await?.i("n")
}

/// Records with `after < seq <= upto`, ascending, at most `limit`, with
/// their MACs.
pub async fn chain_batch(
    c: &mut DbConn,
    after: i64,
    upto: i64,
    limit: u64,
) -> Result<Vec<(AuditRecord, String)>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("audit_log")
        .and_where(Expr::col("seq").gt(after))
        .and_where(Expr::col("seq").lte(upto))
        .order_by("seq", Order::Asc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// How many audit records are stored, whatever their `seq`.
pub async fn count_records(c: &mut DbConn) -> Result<i64, AppError> {
    count_of(c, "audit_log").await
}

/// How many audit records have `seq <= upto` (those of a head read
/// earlier, zero and negative numbers included).
pub async fn count_records_upto(c: &mut DbConn, upto: i64) -> Result<i64, AppError> {
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("audit_log")
        .and_where(Expr::col("seq").lte(upto))
        .to_owned();
    match c.optional(&q).await? {
        Some(r) => r.i("n"),
        None => Ok(0),
    }
}

/// How many accounts exist (a database with accounts has an audit trail).
pub async fn count_users(c: &mut DbConn) -> Result<i64, AppError> {
    count_of(c, "users").await
}

async fn count_of(c: &mut DbConn, table: &'static str) -> Result<i64, AppError> {
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(table)
        .to_owned();
    match c.optional(&q).await? {
        Some(r) => r.i("n"),
        None => Ok(0),
    }
}

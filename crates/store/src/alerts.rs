//! Alertmanager groups and their incidents (migration 35, ADR 0024).
//! Deciding and authorising is the caller's (`core::features::alerts`).

use sea_query::{Expr, ExprTrait, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertIncidentRow {
    pub id: String,
    pub source: String,
    /// SM3 of Alertmanager's `groupKey` (or `storm` for the storm incident).
    pub group_key: String,
    /// `group_key` while the incident is open, else None.
    pub open_key: Option<String>,
    pub ticket_id: String,
    pub storm: bool,
    /// `firing` or `resolved`: the group's last notification.
    pub status: String,
    /// Fingerprint -> status of the alerts seen, JSON object.
    pub alerts_json: String,
    /// Notifications that changed nothing (counted, not written out).
    pub repeats: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: [&str; 11] = [
    "id",
    "source",
    "group_key",
    "open_key",
    "ticket_id",
    "storm",
    "status",
    "alerts_json",
    "repeats",
    "created_at",
    "updated_at",
];

fn from_row(r: &AnyRow) -> Result<AlertIncidentRow, AppError> {
    Ok(AlertIncidentRow {
        id: r.s("id")?,
        source: r.s("source")?,
        group_key: r.s("group_key")?,
        open_key: r.os("open_key")?,
        ticket_id: r.s("ticket_id")?,
        storm: r.i("storm")? != 0,
        status: r.s("status")?,
        alerts_json: r.s("alerts_json")?,
        repeats: r.i("repeats")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

/// Fails with `alerts.concurrent_delivery` when another open row of the
/// same group and source exists (the unique index).
pub async fn insert(c: &mut DbConn, r: &AlertIncidentRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("alert_incidents")
            .columns(COLS)
            .values_panic([
                r.id.clone().into(),
                r.source.clone().into(),
                r.group_key.clone().into(),
                r.open_key.clone().into(),
                r.ticket_id.clone().into(),
                i64::from(r.storm).into(),
                r.status.clone().into(),
                r.alerts_json.clone().into(),
                r.repeats.into(),
                r.created_at.into(),
                r.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The open row of a group of a source.
pub async fn open_row(
    c: &mut DbConn,
    source: &str,
    key: &str,
) -> Result<Option<AlertIncidentRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("alert_incidents")
        .and_where(Expr::col("source").eq(source))
        .and_where(Expr::col("open_key").eq(key))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Marks a row closed (its incident reached a final state).
pub async fn close(c: &mut DbConn, id: &str, now_us: i64) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("alert_incidents")
            .value("open_key", Option::<String>::None)
            .value("updated_at", now_us)
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Writes what the latest notification changed.
pub async fn update(c: &mut DbConn, r: &AlertIncidentRow) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("alert_incidents")
            .value("status", r.status.clone())
            .value("alerts_json", r.alerts_json.clone())
            .value("repeats", r.repeats)
            .value("updated_at", r.updated_at)
            .and_where(Expr::col("id").eq(r.id.clone()))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The rows of a ticket (a storm incident has many).
pub async fn of_ticket(c: &mut DbConn, ticket_id: &str) -> Result<Vec<AlertIncidentRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("alert_incidents")
        .and_where(Expr::col("ticket_id").eq(ticket_id))
        .order_by("created_at", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// Items of this exact name, any organisation (the caller keeps those
/// inside the source's organisation).
pub async fn ci_ids_by_name(c: &mut DbConn, name: &str) -> Result<Vec<String>, AppError> {
    let q = Query::select()
        .column("id")
        .from("cis")
        .and_where(Expr::col("name").eq(name))
        .order_by("code", Order::Asc)
        .limit(20)
        .to_owned();
    c.all(&q).await?.iter().map(|r| r.s("id")).collect()
}

/// The rows of a source, oldest first (at most `limit`).
pub async fn of_source(
    c: &mut DbConn,
    source: &str,
    limit: u64,
) -> Result<Vec<AlertIncidentRow>, AppError> {
    let q = Query::select()
        .columns(COLS)
        .from("alert_incidents")
        .and_where(Expr::col("source").eq(source))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// Removes a source's rate counters of past windows (`alerts:<source>:<n>`
/// rows of `counters` other than `keep`), so they do not pile up.
pub async fn prune_counters(c: &mut DbConn, source: &str, keep: &str) -> Result<u64, AppError> {
    // LIKE with the pattern escaped: `_` in a source name is literal.
    c.exec(
        &Query::delete()
            .from_table("counters")
            .and_where(
                Expr::col("key").like(crate::db::like_contains(&format!("alerts:{source}:"))),
            )
            .and_where(Expr::col("key").ne(keep))
            .to_owned(),
    )
    .await
}

//! The notice outbox, the notice preferences and the users' channel
//! addresses (ADR 0022). Rows are claimed with a guarded update (status
//! and lease), so several app nodes deliver each row once.

use sea_query::{Cond, Expr, ExprTrait, OnConflict, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

/// Waiting for its turn (`next_at`).
pub const PENDING: &str = "pending";
/// Claimed by a dispatcher until `lease_until`.
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
/// Given up after the last attempt; listed for the system administrator.
pub const DEAD: &str = "dead";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: String,
    /// The recipient; `None` for a group robot's message.
    pub user_id: Option<String>,
    pub channel: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The object's page, relative (`/tickets/…`).
    pub link: Option<String>,
    pub urgent: bool,
    pub created_at: i64,
    pub status: String,
    pub attempts: i64,
    pub next_at: i64,
    pub lease_until: Option<i64>,
    pub claim: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

const COLS: [&str; 16] = [
    "id",
    "user_id",
    "channel",
    "kind",
    "title",
    "body",
    "link",
    "urgent",
    "created_at",
    "status",
    "attempts",
    "next_at",
    "lease_until",
    "claim",
    "last_error",
    "sent_at",
];

fn outbox_row(r: &AnyRow) -> Result<OutboxRow, AppError> {
    Ok(OutboxRow {
        id: r.s("id")?,
        user_id: r.os("user_id")?,
        channel: r.s("channel")?,
        kind: r.s("kind")?,
        title: r.s("title")?,
        body: r.s("body")?,
        link: r.os("link")?,
        urgent: r.i("urgent")? != 0,
        created_at: r.i("created_at")?,
        status: r.s("status")?,
        attempts: r.i("attempts")?,
        next_at: r.i("next_at")?,
        lease_until: r.oi("lease_until")?,
        claim: r.os("claim")?,
        last_error: r.os("last_error")?,
        sent_at: r.oi("sent_at")?,
    })
}

/// The insert of one outbox row.
fn outbox_insert(o: &OutboxRow) -> sea_query::InsertStatement {
    Query::insert()
        .into_table("notify_outbox")
        .columns(COLS)
        .values_panic([
            o.id.clone().into(),
            o.user_id.clone().into(),
            o.channel.clone().into(),
            o.kind.clone().into(),
            o.title.clone().into(),
            o.body.clone().into(),
            o.link.clone().into(),
            i64::from(o.urgent).into(),
            o.created_at.into(),
            o.status.clone().into(),
            o.attempts.into(),
            o.next_at.into(),
            o.lease_until.into(),
            o.claim.clone().into(),
            o.last_error.clone().into(),
            o.sent_at.into(),
        ])
        .to_owned()
}

/// Queues a row inside the caller's transaction.
pub async fn insert_outbox(c: &mut DbConn, o: &OutboxRow) -> Result<(), AppError> {
    c.defer(&outbox_insert(o)).await
}

/// Queues a row unless one with its id is queued already (a group
/// robot's message of a notice sent to several users).
pub async fn insert_outbox_once(c: &mut DbConn, o: &OutboxRow) -> Result<(), AppError> {
    c.defer(
        &outbox_insert(o)
            .on_conflict(OnConflict::column("id").do_nothing().to_owned())
            .to_owned(),
    )
    .await
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<OutboxRow>, AppError> {
    c.optional(
        &Query::select()
            .columns(COLS)
            .from("notify_outbox")
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?
    .map(|r| outbox_row(&r))
    .transpose()
}

/// Rows that are due: pending and at their time, or claimed by a
/// dispatcher whose lease ran out (it died mid-delivery).
fn due(now: i64) -> Cond {
    Cond::any()
        .add(
            Cond::all()
                .add(Expr::col("status").eq(PENDING))
                .add(Expr::col("next_at").lte(now)),
        )
        .add(
            Cond::all()
                .add(Expr::col("status").eq(SENDING))
                .add(Expr::col("lease_until").lte(now)),
        )
}

/// Claims at most `limit` due rows for `claim` until `lease_until` and
/// returns them. The update repeats the due condition, so of two nodes
/// racing for a row exactly one changes it.
pub async fn claim_due(
    c: &mut DbConn,
    now: i64,
    lease_until: i64,
    claim: &str,
    limit: u64,
) -> Result<Vec<OutboxRow>, AppError> {
    let ids = Query::select()
        .column("id")
        .from("notify_outbox")
        .cond_where(due(now))
        .order_by("next_at", Order::Asc)
        .limit(limit)
        .to_owned();
    c.exec(
        &Query::update()
            .table("notify_outbox")
            .values([
                ("status", SENDING.into()),
                ("lease_until", lease_until.into()),
                ("claim", claim.into()),
            ])
            .and_where(Expr::col("id").in_subquery(ids))
            .cond_where(due(now))
            .to_owned(),
    )
    .await?;
    c.all(
        &Query::select()
            .columns(COLS)
            .from("notify_outbox")
            .and_where(Expr::col("claim").eq(claim))
            .and_where(Expr::col("status").eq(SENDING))
            .to_owned(),
    )
    .await?
    .iter()
    .map(outbox_row)
    .collect()
}

/// Ends a claim: the row's new status, attempts, time and error. Guarded
/// by the claim, so a dispatcher whose lease was taken over changes
/// nothing; returns whether it did.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    c: &mut DbConn,
    id: &str,
    claim: &str,
    status: &str,
    attempts: i64,
    next_at: i64,
    last_error: Option<&str>,
    sent_at: Option<i64>,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("notify_outbox")
                .values([
                    ("status", status.into()),
                    ("attempts", attempts.into()),
                    ("next_at", next_at.into()),
                    ("lease_until", Option::<i64>::None.into()),
                    ("claim", Option::<String>::None.into()),
                    ("last_error", last_error.map(str::to_string).into()),
                    ("sent_at", sent_at.into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("claim").eq(claim))
                .and_where(Expr::col("status").eq(SENDING))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// How many rows wait (pending or being sent) and how many are dead.
pub async fn backlog(c: &mut DbConn) -> Result<(i64, i64), AppError> {
    let rows = c
        .all(
            &Query::select()
                .column("status")
                .expr_as(Expr::col("id").count(), "n")
                .from("notify_outbox")
                .and_where(Expr::col("status").is_in([PENDING, SENDING, DEAD]))
                .group_by_col("status")
                .to_owned(),
        )
        .await?;
    let (mut waiting, mut dead) = (0, 0);
    for r in rows {
        let n = r.i("n")?;
        if r.s("status")? == DEAD {
            dead += n;
        } else {
            waiting += n;
        }
    }
    Ok((waiting, dead))
}

/// The dead letters, newest first.
pub async fn dead_letters(c: &mut DbConn, limit: u64) -> Result<Vec<OutboxRow>, AppError> {
    c.all(
        &Query::select()
            .columns(COLS)
            .from("notify_outbox")
            .and_where(Expr::col("status").eq(DEAD))
            .order_by("next_at", Order::Desc)
            .order_by("id", Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await?
    .iter()
    .map(outbox_row)
    .collect()
}

/// Puts a dead letter back in the queue with fresh attempts; returns
/// whether it was dead (a second retry of the same row changes nothing).
pub async fn revive(c: &mut DbConn, id: &str, now: i64) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("notify_outbox")
                .values([
                    ("status", PENDING.into()),
                    ("attempts", 0i64.into()),
                    ("next_at", now.into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("status").eq(DEAD))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// One preference: which channels an owner wants a notice kind on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefRow {
    /// `user` or `org`.
    pub owner_type: String,
    pub owner_id: String,
    pub kind: String,
    /// Channel names; empty: none (only the in-app inbox).
    pub channels: Vec<String>,
}

/// The preferences of the given owners of one type.
pub async fn prefs_of(
    c: &mut DbConn,
    owner_type: &str,
    owner_ids: &[String],
) -> Result<Vec<PrefRow>, AppError> {
    if owner_ids.is_empty() {
        return Ok(vec![]);
    }
    c.all(
        &Query::select()
            .columns(["owner_type", "owner_id", "kind", "channels"])
            .from("notify_prefs")
            .and_where(Expr::col("owner_type").eq(owner_type))
            .and_where(Expr::col("owner_id").is_in(owner_ids.iter().cloned()))
            .order_by("kind", Order::Asc)
            .to_owned(),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PrefRow {
            owner_type: r.s("owner_type")?,
            owner_id: r.s("owner_id")?,
            kind: r.s("kind")?,
            channels: r
                .s("channels")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
    })
    .collect()
}

/// Replaces an owner's preference for one kind; `keep: false` only
/// removes it (the owner follows the organisation's default again).
pub async fn set_pref(
    c: &mut DbConn,
    id: &str,
    p: &PrefRow,
    keep: bool,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::delete()
            .from_table("notify_prefs")
            .and_where(Expr::col("owner_type").eq(p.owner_type.as_str()))
            .and_where(Expr::col("owner_id").eq(p.owner_id.as_str()))
            .and_where(Expr::col("kind").eq(p.kind.as_str()))
            .to_owned(),
    )
    .await?;
    if !keep {
        return Ok(());
    }
    c.exec(
        &Query::insert()
            .into_table("notify_prefs")
            .columns([
                "id",
                "owner_type",
                "owner_id",
                "kind",
                "channels",
                "updated_at",
            ])
            .values_panic([
                id.into(),
                p.owner_type.clone().into(),
                p.owner_id.clone().into(),
                p.kind.clone().into(),
                p.channels.join(",").into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A user's addresses on the external channels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    pub email: Option<String>,
    /// The user's id in the WeCom directory (`touser`).
    pub wecom_id: Option<String>,
}

pub async fn contacts(c: &mut DbConn, user_id: &str) -> Result<Contacts, AppError> {
    let row = c
        .optional(
            &Query::select()
                .columns(["email", "wecom_id"])
                .from("user_contacts")
                .and_where(Expr::col("user_id").eq(user_id))
                .to_owned(),
        )
        .await?;
    match row {
        Some(r) => Ok(Contacts {
            email: r.os("email")?,
            wecom_id: r.os("wecom_id")?,
        }),
        None => Ok(Contacts::default()),
    }
}

pub async fn set_contacts(
    c: &mut DbConn,
    user_id: &str,
    v: &Contacts,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::delete()
            .from_table("user_contacts")
            .and_where(Expr::col("user_id").eq(user_id))
            .to_owned(),
    )
    .await?;
    c.exec(
        &Query::insert()
            .into_table("user_contacts")
            .columns(["user_id", "email", "wecom_id", "updated_at"])
            .values_panic([
                user_id.into(),
                v.email.clone().into(),
                v.wecom_id.clone().into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

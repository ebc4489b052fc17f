//! The due-date engine's rows (`controls`, ADR 0005): one row per
//! occurrence of an obligation that must be done on time (a period of an
//! inspection plan, a restore test, a drill, ...), with the moment it is
//! due, the record that satisfied it and whether its overdue notice went
//! out.
//!
//! Rows are unique per (subject_type, subject_id, kind, due_at), and
//! [`insert_if_absent`] does nothing when the row exists, so several nodes
//! rolling the same plan forward create each occurrence once.

use sea_query::{Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement};
use sqlx::any::AnyRow;
use yunwei_domain::org::subtree_upper_bound;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ControlRow {
    pub id: String,
    /// `inspection`, `patrol`, `maintenance`, later `restore_test`, `drill` ...
    pub kind: String,
    /// What the control belongs to, e.g. `inspection_plan`.
    pub subject_type: String,
    pub subject_id: String,
    pub org_id: String,
    pub org_path: String,
    pub title: String,
    /// The article that demands it, e.g. `EEDS-1.4.1`.
    pub source: String,
    /// First local day of the period covered (`YYYY-MM-DD`), if periodic.
    pub period_start: Option<String>,
    /// Last local day of the period covered.
    pub period_end: Option<String>,
    /// Overdue from this instant (UTC microseconds).
    pub due_at: i64,
    pub done_at: Option<i64>,
    /// The record that satisfied it, e.g. `inspection_record:<id>`.
    pub done_ref: Option<String>,
    /// When the overdue notice was sent (claimed exactly once).
    pub notified_at: Option<i64>,
    pub created_at: i64,
}

const COLS: [&str; 15] = [
    "id",
    "kind",
    "subject_type",
    "subject_id",
    "org_id",
    "org_path",
    "title",
    "source",
    "period_start",
    "period_end",
    "due_at",
    "done_at",
    "done_ref",
    "notified_at",
    "created_at",
];

fn from_row(r: &AnyRow) -> Result<ControlRow, AppError> {
    Ok(ControlRow {
        id: r.s("id")?,
        kind: r.s("kind")?,
        subject_type: r.s("subject_type")?,
        subject_id: r.s("subject_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        title: r.s("title")?,
        source: r.s("source")?,
        period_start: r.os("period_start")?,
        period_end: r.os("period_end")?,
        due_at: r.i("due_at")?,
        done_at: r.oi("done_at")?,
        done_ref: r.os("done_ref")?,
        notified_at: r.oi("notified_at")?,
        created_at: r.i("created_at")?,
    })
}

fn select() -> SelectStatement {
    Query::select().columns(COLS).from("controls").to_owned()
}

/// Inserts the occurrence unless one with the same subject, kind and due
/// time exists; true when this call created it.
pub async fn insert_if_absent(c: &mut DbConn, r: &ControlRow) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::insert()
                .into_table("controls")
                .columns(COLS)
                .values_panic([
                    r.id.clone().into(),
                    r.kind.clone().into(),
                    r.subject_type.clone().into(),
                    r.subject_id.clone().into(),
                    r.org_id.clone().into(),
                    r.org_path.clone().into(),
                    r.title.clone().into(),
                    r.source.clone().into(),
                    r.period_start.clone().into(),
                    r.period_end.clone().into(),
                    r.due_at.into(),
                    r.done_at.into(),
                    r.done_ref.clone().into(),
                    r.notified_at.into(),
                    r.created_at.into(),
                ])
                .on_conflict(
                    OnConflict::columns(["subject_type", "subject_id", "kind", "due_at"])
                        .do_nothing()
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<ControlRow>, AppError> {
    let q = select().and_where(Expr::col("id").eq(id)).to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// The occurrences of one subject, newest due first (at most `limit`).
pub async fn of_subject(
    c: &mut DbConn,
    subject_type: &str,
    subject_id: &str,
    limit: u64,
) -> Result<Vec<ControlRow>, AppError> {
    let q = select()
        .and_where(Expr::col("subject_type").eq(subject_type))
        .and_where(Expr::col("subject_id").eq(subject_id))
        .order_by("due_at", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// The latest due time of each subject of a type: (subject_id, due_at).
pub async fn latest_due_by_subject(
    c: &mut DbConn,
    subject_type: &str,
) -> Result<Vec<(String, i64)>, AppError> {
    let q = Query::select()
        .column("subject_id")
        .expr_as(Func::max(Expr::col("due_at")), "latest")
        .from("controls")
        .and_where(Expr::col("subject_type").eq(subject_type))
        .group_by_col("subject_id")
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("subject_id")?, r.i("latest")?)))
        .collect()
}

/// The latest due time of the periodic occurrences (those covering a
/// period) of each subject of a type: (subject_id, due_at). One-off ones,
/// such as a restore test a year ahead, do not count.
pub async fn latest_periodic_due_by_subject(
    c: &mut DbConn,
    subject_type: &str,
) -> Result<Vec<(String, i64)>, AppError> {
    let q = Query::select()
        .column("subject_id")
        .expr_as(Func::max(Expr::col("due_at")), "latest")
        .from("controls")
        .and_where(Expr::col("subject_type").eq(subject_type))
        .and_where(Expr::col("period_end").is_not_null())
        .group_by_col("subject_id")
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("subject_id")?, r.i("latest")?)))
        .collect()
}

/// Marks an open occurrence done by a record; false when it was already
/// done (someone filed first).
pub async fn mark_done(
    c: &mut DbConn,
    id: &str,
    done_at: i64,
    done_ref: &str,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("controls")
                .values([("done_at", done_at.into()), ("done_ref", done_ref.into())])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("done_at").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Claims the overdue notice of an open occurrence exactly once across
/// nodes: true for the one caller whose guarded update changed the row.
pub async fn claim_overdue(c: &mut DbConn, id: &str, now: i64) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("controls")
                .value("notified_at", now)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("notified_at").is_null())
                .and_where(Expr::col("done_at").is_null())
                .and_where(Expr::col("due_at").lte(now))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Open occurrences overdue at `now` whose notice has not gone out, the
/// oldest first.
pub async fn overdue_unnotified(
    c: &mut DbConn,
    now: i64,
    limit: u64,
) -> Result<Vec<ControlRow>, AppError> {
    let q = select()
        .and_where(Expr::col("done_at").is_null())
        .and_where(Expr::col("due_at").lte(now))
        .and_where(Expr::col("notified_at").is_null())
        .order_by("due_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// Removes the open occurrences of a subject that are not yet due (a plan
/// deactivated or rescheduled); missed and done ones stay. Returns how
/// many went.
pub async fn delete_open_not_due(
    c: &mut DbConn,
    subject_type: &str,
    subject_id: &str,
    now: i64,
) -> Result<u64, AppError> {
    c.exec(
        &Query::delete()
            .from_table("controls")
            .and_where(Expr::col("subject_type").eq(subject_type))
            .and_where(Expr::col("subject_id").eq(subject_id))
            .and_where(Expr::col("done_at").is_null())
            .and_where(Expr::col("due_at").gt(now))
            .to_owned(),
    )
    .await
}

/// Gives the open occurrences of a subject a new title and organisation
/// (the plan was renamed or moved).
pub async fn retitle_open(
    c: &mut DbConn,
    subject_type: &str,
    subject_id: &str,
    title: &str,
    org_id: &str,
    org_path: &str,
) -> Result<u64, AppError> {
    c.exec(
        &Query::update()
            .table("controls")
            .values([
                ("title", title.into()),
                ("org_id", org_id.into()),
                ("org_path", org_path.into()),
            ])
            .and_where(Expr::col("subject_type").eq(subject_type))
            .and_where(Expr::col("subject_id").eq(subject_id))
            .and_where(Expr::col("done_at").is_null())
            .to_owned(),
    )
    .await
}

/// How many occurrences of each kind in `org_path`'s subtree were done
/// within `[from, to)` (UTC microseconds): (kind, done, done late).
pub async fn done_between(
    c: &mut DbConn,
    org_path: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64, i64)>, AppError> {
    let q = Query::select()
        .column("kind")
        .expr_as(Func::count(Expr::col("id")), "n")
        .expr_as(
            Expr::cust("CAST(SUM(CASE WHEN done_at >= due_at THEN 1 ELSE 0 END) AS BIGINT)"),
            "late",
        )
        .from("controls")
        .and_where(Expr::col("org_path").gte(org_path))
        .and_where(Expr::col("org_path").lt(subtree_upper_bound(org_path)))
        .and_where(Expr::col("done_at").gte(from))
        .and_where(Expr::col("done_at").lt(to))
        .group_by_col("kind")
        .order_by("kind", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("kind")?, r.i("n")?, r.oi("late")?.unwrap_or(0))))
        .collect()
}

/// Which occurrences a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Not done (overdue, due soon and later).
    #[default]
    Open,
    /// Not done and due at or before now.
    Overdue,
    /// Not done, due after now and within the warning window.
    DueSoon,
    /// Not done, due after the warning window.
    Pending,
    Done,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct ControlFilter {
    /// Only this organisation and its subtree (a materialised path).
    pub org_path: Option<String>,
    pub kind: Option<String>,
    pub status: StatusFilter,
    /// The instant the status is judged at.
    pub now: i64,
    /// The warning window, in microseconds.
    pub warn_us: i64,
    /// Leave out the occurrences of this subject type.
    pub subject_type_not: Option<String>,
}

fn filtered(scope: &Scope, f: &ControlFilter) -> SelectStatement {
    let mut q = Query::select();
    q.from("controls").cond_where(scope.condition("org_path"));
    if let Some(p) = &f.org_path {
        q.and_where(Expr::col("org_path").gte(p.clone()));
        q.and_where(Expr::col("org_path").lt(subtree_upper_bound(p)));
    }
    if let Some(k) = &f.kind {
        q.and_where(Expr::col("kind").eq(k.clone()));
    }
    if let Some(t) = &f.subject_type_not {
        q.and_where(Expr::col("subject_type").ne(t.clone()));
    }
    let soon = f.now.saturating_add(f.warn_us);
    let open = || Expr::col("done_at").is_null();
    match f.status {
        StatusFilter::Open => {
            q.and_where(open());
        }
        StatusFilter::Overdue => {
            q.and_where(open())
                .and_where(Expr::col("due_at").lte(f.now));
        }
        StatusFilter::DueSoon => {
            q.and_where(open())
                .and_where(Expr::col("due_at").gt(f.now))
                .and_where(Expr::col("due_at").lte(soon));
        }
        StatusFilter::Pending => {
            q.and_where(open()).and_where(Expr::col("due_at").gt(soon));
        }
        StatusFilter::Done => {
            q.and_where(Expr::col("done_at").is_not_null());
        }
        StatusFilter::All => {}
    }
    q
}

/// Occurrences in the scope matching the filter, the earliest due first
/// (so the overdue come before those due soon, then the later ones; done
/// ones the most recent first), at most `limit`, with the total.
pub async fn list(
    c: &mut DbConn,
    scope: &Scope,
    f: &ControlFilter,
    limit: u64,
) -> Result<(Vec<ControlRow>, i64), AppError> {
    let base = filtered(scope, f);
    let count = base
        .clone()
        .expr_as(Func::count(Expr::col("id")), "n")
        .to_owned();
    let total = c.one(&count).await?.i("n")?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let order = if f.status == StatusFilter::Done {
        Order::Desc
    } else {
        Order::Asc
    };
    let q = base
        .clone()
        .columns(COLS)
        .order_by("due_at", order.clone())
        .order_by("id", order)
        .limit(limit)
        .to_owned();
    let rows = c
        .all(&q)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

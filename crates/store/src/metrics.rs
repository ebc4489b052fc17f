//! Bounded aggregates for the Prometheus gauges computed at scrape time
//! (ADR 0025): each query groups by organisation path, so its size is
//! bounded by the organisations with work, never by the rows counted.

use sea_query::{Cond, Expr, ExprTrait, Func, Order, Query};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

/// Open occurrences of the due-date engine that are overdue at `now`
/// (UTC microseconds), counted per organisation path.
pub async fn overdue_controls_by_org_path(
    c: &mut DbConn,
    now: i64,
) -> Result<Vec<(String, i64)>, AppError> {
    let q = Query::select()
        .column("org_path")
        .expr_as(Func::count(Expr::col("id")), "n")
        .from("controls")
        .and_where(Expr::col("done_at").is_null())
        .and_where(Expr::col("due_at").lte(now))
        .group_by_col("org_path")
        .order_by("org_path", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("org_path")?, r.i("n")?)))
        .collect()
}

/// SLA timers that breached and are not stopped (running or paused),
/// counted per organisation path of their ticket.
pub async fn breached_timers_by_org_path(c: &mut DbConn) -> Result<Vec<(String, i64)>, AppError> {
    let q = Query::select()
        .expr_as(Expr::col(("tickets", "org_path")), "org_path")
        .expr_as(Func::count(Expr::col(("ticket_timers", "id"))), "n")
        .from("ticket_timers")
        .inner_join(
            "tickets",
            Expr::col(("tickets", "id")).equals(("ticket_timers", "ticket_id")),
        )
        .and_where(Expr::col(("ticket_timers", "breached")).eq(1))
        .and_where(Expr::col(("ticket_timers", "status")).ne("stopped"))
        .group_by_col(("tickets", "org_path"))
        .order_by(("tickets", "org_path"), Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("org_path")?, r.i("n")?)))
        .collect()
}

/// The regions (province, city, county organisations): id and kind. Their
/// number is that of the administrative divisions, a few hundred at most.
pub async fn regions(c: &mut DbConn) -> Result<Vec<(String, String)>, AppError> {
    let q = Query::select()
        .columns(["id", "kind"])
        .from("orgs")
        .and_where(Expr::col("kind").is_in(["province", "city", "county"]))
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("id")?, r.s("kind")?)))
        .collect()
}

/// Work the jobs have not yet done at `now`: overdue occurrences whose
/// notice has not gone out (`overdue_notices`), and running SLA timers
/// whose warning or breach is due but not yet claimed (`ticket_timers`).
/// Both counts use the indexes the jobs use.
pub async fn job_backlog(c: &mut DbConn, now: i64) -> Result<(i64, i64), AppError> {
    let notices = Query::select()
        .expr_as(Func::count(Expr::col("id")), "n")
        .from("controls")
        .and_where(Expr::col("done_at").is_null())
        .and_where(Expr::col("due_at").lte(now))
        .and_where(Expr::col("notified_at").is_null())
        .to_owned();
    let notices = c.one(&notices).await?.i("n")?;
    let timers = Query::select()
        .expr_as(Func::count(Expr::col("id")), "n")
        .from("ticket_timers")
        .and_where(Expr::col("status").eq("running"))
        .cond_where(
            Cond::any()
                .add(
                    Cond::all()
                        .add(Expr::col("breached").eq(0))
                        .add(Expr::col("due_at").lte(now)),
                )
                .add(
                    Cond::all()
                        .add(Expr::col("warned").eq(0))
                        .add(Expr::col("warn_at").lte(now)),
                ),
        )
        .to_owned();
    let timers = c.one(&timers).await?.i("n")?;
    Ok((notices, timers))
}

//! Aggregate queries behind the reports (`core::reports`). Each report is a
//! handful of `GROUP BY` statements over indexed columns, always limited
//! by the caller's scope.

use std::collections::BTreeMap;

use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use yunwei_domain::AppError;

use crate::db::{Backend, DbConn, RowExt};
use crate::Scope;

/// Counts of one (pack, process, level) group for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaGroup {
    pub pack_id: String,
    pub process_id: String,
    pub level: Option<String>,
    /// Opened in the period.
    pub opened: i64,
    /// Of those opened in the period, not closed yet.
    pub still_open: i64,
    /// Of those opened in the period, breached an SLA timer.
    pub breached: i64,
    /// Closed in the period (whenever opened).
    pub closed: i64,
    /// Of those closed in the period, breached an SLA timer.
    pub closed_breached: i64,
}

/// A ticket breached when it is flagged overdue now or one of its timers
/// breached earlier (a timer stopped after its breach clears the flag but
/// keeps `breached`).
const BREACHED: &str = "CAST(SUM(CASE WHEN tickets.overdue = 1 OR EXISTS (\
     SELECT 1 FROM ticket_timers tt WHERE tt.ticket_id = tickets.id AND tt.breached = 1\
     ) THEN 1 ELSE 0 END) AS BIGINT)";

fn grouped(
    backend: Backend,
    scope: &Scope,
    col: &'static str,
    from: i64,
    to: i64,
) -> SelectStatement {
    // The month's range drives the plan. SQLite cannot tell how much of the
    // table the scope's path range covers and might walk the whole scope
    // instead (a province-wide scope is every ticket), so it is told not to
    // use an index for it; the path is read from the range's index anyway.
    let scope = match backend {
        Backend::Sqlite => scope.condition_on(|| Expr::cust("+org_path")),
        Backend::Postgres => scope.condition("org_path"),
    };
    Query::select()
        .columns(["pack_id", "process_id", "level"])
        .expr_as(Func::count(Expr::col("id")), "n")
        .expr_as(Expr::cust(BREACHED), "breached")
        .from("tickets")
        .and_where(Expr::col(col).gte(from))
        .and_where(Expr::col(col).lt(to))
        .cond_where(scope)
        .group_by_col("pack_id")
        .group_by_col("process_id")
        .group_by_col("level")
        .order_by("pack_id", Order::Asc)
        .order_by("process_id", Order::Asc)
        .order_by("level", Order::Asc)
        .to_owned()
}

type Key = (String, String, Option<String>);

/// SLA counts per (pack, process, level) for tickets in `scope`, over
/// `[from, to)` (UTC microseconds): one grouped query over the tickets
/// opened in the period (index on `created_at`), one over those closed in
/// it (index on `closed_at`).
pub async fn sla_groups(
    c: &mut DbConn,
    scope: &Scope,
    from: i64,
    to: i64,
) -> Result<Vec<SlaGroup>, AppError> {
    let mut groups: BTreeMap<Key, SlaGroup> = BTreeMap::new();
    let key = |r: &sqlx::any::AnyRow| -> Result<Key, AppError> {
        Ok((r.s("pack_id")?, r.s("process_id")?, r.os("level")?))
    };
    let backend = c.backend();
    let opened = grouped(backend, scope, "created_at", from, to)
        .expr_as(
            Expr::cust(
                "CAST(SUM(CASE WHEN tickets.closed_at IS NULL THEN 1 ELSE 0 END) AS BIGINT)",
            ),
            "still_open",
        )
        .to_owned();
    for r in c.all(&opened).await? {
        let k = key(&r)?;
        let g = groups.entry(k.clone()).or_insert_with(|| group_of(k));
        g.opened = r.i("n")?;
        g.breached = r.i("breached")?;
        g.still_open = r.i("still_open")?;
    }
    for r in c
        .all(&grouped(backend, scope, "closed_at", from, to))
        .await?
    {
        let k = key(&r)?;
        let g = groups.entry(k.clone()).or_insert_with(|| group_of(k));
        g.closed = r.i("n")?;
        g.closed_breached = r.i("breached")?;
    }
    Ok(groups.into_values().collect())
}

fn group_of((pack_id, process_id, level): Key) -> SlaGroup {
    SlaGroup {
        pack_id,
        process_id,
        level,
        ..Default::default()
    }
}

/// The faults of one device type in a period (EEDS-3.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultGroup {
    /// The item's EEDS-1.3 category and its type (服务器, 交换机, ...).
    pub category: String,
    pub ci_type: String,
    /// Fault tickets opened in the period that name an item of the type.
    pub faults: i64,
    /// Of those, not closed yet.
    pub still_open: i64,
    /// Distinct items of the type that had a fault.
    pub items: i64,
}

/// Fault tickets of `processes` ((pack, process) pairs) in `scope`, opened
/// in `[from, to)`, counted per category and type of the configuration
/// items they name: one grouped query over the tickets' item links.
pub async fn faults_by_type(
    c: &mut DbConn,
    scope: &Scope,
    processes: &[(String, String)],
    from: i64,
    to: i64,
) -> Result<Vec<FaultGroup>, AppError> {
    if processes.is_empty() {
        return Ok(vec![]);
    }
    let mut which = sea_query::Cond::any();
    for (pack, process) in processes {
        which = which.add(
            sea_query::Cond::all()
                .add(Expr::col(("tickets", "pack_id")).eq(pack.clone()))
                .add(Expr::col(("tickets", "process_id")).eq(process.clone())),
        );
    }
    let q = Query::select()
        .column(("cis", "category"))
        .column(("cis", "ci_type"))
        .expr_as(
            Expr::cust("CAST(COUNT(DISTINCT tickets.id) AS BIGINT)"),
            "faults",
        )
        .expr_as(
            Expr::cust("CAST(COUNT(DISTINCT CASE WHEN tickets.closed_at IS NULL THEN tickets.id END) AS BIGINT)"),
            "still_open",
        )
        .expr_as(
            Expr::cust("CAST(COUNT(DISTINCT cis.id) AS BIGINT)"),
            "items",
        )
        .from("tickets")
        .inner_join(
            "ticket_cis",
            Expr::col(("ticket_cis", "ticket_id")).equals(("tickets", "id")),
        )
        .inner_join("cis", Expr::col(("cis", "id")).equals(("ticket_cis", "ci_id")))
        .and_where(Expr::col(("tickets", "created_at")).gte(from))
        .and_where(Expr::col(("tickets", "created_at")).lt(to))
        .cond_where(which)
        .cond_where(scope.condition_on(|| Expr::col(("tickets", "org_path"))))
        .group_by_col(("cis", "category"))
        .group_by_col(("cis", "ci_type"))
        .order_by(("cis", "category"), Order::Asc)
        .order_by(("cis", "ci_type"), Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(FaultGroup {
                category: r.s("category")?,
                ci_type: r.s("ci_type")?,
                faults: r.i("faults")?,
                still_open: r.i("still_open")?,
                items: r.i("items")?,
            })
        })
        .collect()
}

//! The gauges `/metrics` computes at scrape time (ADR 0025): one entry
//! each in [`SCRAPE_GAUGES`]. A backlog to watch (the notification outbox,
//! the audit-forwarding cursor) is one more entry: its name, its help and a
//! bounded aggregate query returning its series, e.g.
//!
//! ```ignore
//! ScrapeGauge {
//!     name: "yunwei_outbox_backlog",
//!     help: "Notification outbox messages not yet delivered, by channel",
//!     collect: |p| Box::pin(outbox::backlog_by_channel(p)),
//! },
//! ```
//!
//! Labels come from bounded sets (an organisation level, a channel), never
//! an id, so the number of series stays small whatever the data.

use std::collections::HashMap;

use yunwei_domain::AppError;

use crate::kernel::metrics::{Labels, ScrapeGauge};
use crate::Platform;

/// The gauges computed at each scrape, in exposition order.
pub static SCRAPE_GAUGES: &[ScrapeGauge] = &[
    ScrapeGauge {
        name: "yunwei_controls_overdue",
        help: "Open occurrences of the due-date engine past their due time, by organisation level (province, city, county)",
        collect: |p| Box::pin(overdue_controls(p)),
    },
    ScrapeGauge {
        name: "yunwei_ticket_timers_breached",
        help: "SLA timers breached and not stopped, by organisation level of their ticket (province, city, county)",
        collect: |p| Box::pin(breached_timers(p)),
    },
];

/// The levels every level gauge reports, at 0 when nothing is there, so
/// that a level's series does not vanish when its count reaches zero.
const LEVELS: [&str; 3] = ["province", "city", "county"];

async fn overdue_controls(p: &Platform) -> Result<Vec<(Labels, i64)>, AppError> {
    let mut c = p.db.read().await?;
    let now = p.now_us();
    let rows = yunwei_store::metrics::overdue_controls_by_org_path(&mut c, now).await?;
    let regions = yunwei_store::metrics::regions(&mut c).await?;
    Ok(per_level(&regions, rows))
}

async fn breached_timers(p: &Platform) -> Result<Vec<(Labels, i64)>, AppError> {
    let mut c = p.db.read().await?;
    let rows = yunwei_store::metrics::breached_timers_by_org_path(&mut c).await?;
    let regions = yunwei_store::metrics::regions(&mut c).await?;
    Ok(per_level(&regions, rows))
}

/// Sums counts per organisation path into their level: the kind of the
/// nearest region (province, city, county) on the path, as
/// `tickets::level_of` finds it; `other` for a path under no region.
fn per_level(regions: &[(String, String)], rows: Vec<(String, i64)>) -> Vec<(Labels, i64)> {
    let kind_of: HashMap<&str, &str> = regions
        .iter()
        .map(|(id, kind)| (id.as_str(), kind.as_str()))
        .collect();
    let mut sums: Vec<(&str, i64)> = LEVELS.iter().map(|l| (*l, 0)).collect();
    for (path, n) in rows {
        let level = path
            .split('/')
            .filter(|s| !s.is_empty())
            .rev()
            .find_map(|id| kind_of.get(id).copied())
            .and_then(|k| LEVELS.iter().find(|l| **l == k).copied())
            .unwrap_or("other");
        match sums.iter_mut().find(|(l, _)| *l == level) {
            Some((_, sum)) => *sum += n,
            None => sums.push((level, n)),
        }
    }
    sums.into_iter()
        .map(|(level, n)| (vec![("level", level.to_string())], n))
        .collect()
}

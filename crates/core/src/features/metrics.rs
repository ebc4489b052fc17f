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
use std::future::Future;
use std::pin::Pin;

use yunwei_domain::AppError;

pub use crate::kernel::metrics::{
    authorize_scrape, not_served, Labels, Metrics, MetricsSettings, MetricsToken, CONTENT_TYPE,
};
use crate::kernel::platform::Platform;

/// What a [`ScrapeGauge`]'s query returns: its series.
pub type GaugeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<(Labels, i64)>, AppError>> + Send + 'a>>;

/// A gauge computed at scrape time by one bounded aggregate query.
pub struct ScrapeGauge {
    /// Full metric name (`yunwei_controls_overdue`).
    pub name: &'static str,
    /// Help text (English, as Prometheus shows it).
    pub help: &'static str,
    pub collect: for<'a> fn(&'a Platform) -> GaugeFuture<'a>,
}

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
    ScrapeGauge {
        name: "yunwei_job_backlog",
        help: "Work due but not yet done by a background job: overdue notices not sent (overdue_notices), timer warnings and breaches not claimed (ticket_timers)",
        collect: |p| Box::pin(job_backlog(p)),
    },
    ScrapeGauge {
        name: "yunwei_audit_forward_backlog",
        help: "Audit records not yet forwarded to the syslog collector (ADR 0023)",
        collect: |p| Box::pin(audit_forward_backlog(p)),
    },
    ScrapeGauge {
        name: "yunwei_notify_outbox_backlog",
        help: "E-mail, WeCom and DingTalk messages in the outbox: waiting to be sent (state=pending) or given up after the last attempt (state=dead) (ADR 0022)",
        collect: |p| Box::pin(notify_outbox_backlog(p)),
    },
];

/// The names and help texts of [`SCRAPE_GAUGES`], for the registry.
pub fn gauge_specs() -> Vec<(&'static str, &'static str)> {
    SCRAPE_GAUGES.iter().map(|g| (g.name, g.help)).collect()
}

/// The exposition of `/metrics`: the pool read now, every gauge of
/// [`SCRAPE_GAUGES`] computed now, then the whole registry as Prometheus
/// text. Scrapes take turns (a scrape refills the gauges it reads).
pub async fn render(p: &Platform) -> Result<String, AppError> {
    let m = &p.metrics;
    let _turn = m.scrape_turn().await;
    let pool = p.db.pool();
    m.set_pool(
        pool.size(),
        pool.num_idle(),
        pool.options().get_max_connections(),
    );
    for (i, g) in SCRAPE_GAUGES.iter().enumerate() {
        m.set_scraped(i, (g.collect)(p).await);
    }
    m.encode()
}

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

async fn job_backlog(p: &Platform) -> Result<Vec<(Labels, i64)>, AppError> {
    let mut c = p.db.read().await?;
    let (notices, timers) = yunwei_store::metrics::job_backlog(&mut c, p.now_us()).await?;
    Ok(vec![
        (vec![("job", "overdue_notices".to_string())], notices),
        (vec![("job", "ticket_timers".to_string())], timers),
    ])
}

async fn notify_outbox_backlog(p: &Platform) -> Result<Vec<(Labels, i64)>, AppError> {
    let b = crate::kernel::outbox::backlog(p).await?;
    Ok(vec![
        (vec![("state", "pending".to_string())], b.pending),
        (vec![("state", "dead".to_string())], b.dead),
    ])
}

async fn audit_forward_backlog(p: &Platform) -> Result<Vec<(Labels, i64)>, AppError> {
    let n = crate::kernel::audit_forward::backlog(p).await?;
    Ok(vec![(Vec::new(), n)])
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

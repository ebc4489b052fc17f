//! The platform's Prometheus metrics (ADR 0025): one registry per
//! [`Platform`], exposed as `/metrics` in the Prometheus text format.
//!
//! Two kinds of metric live here:
//! - counted as things happen, atomics only: HTTP requests by route
//!   (`observe_request`, called by `web`'s middleware with axum's matched
//!   route, never the raw path) and background job turns (`observe_job`,
//!   called by `jobs::run_turn`);
//! - computed at scrape time (`features::metrics::render`): the database
//!   pool, and one gauge family per entry of the list the platform is
//!   built with (`features::metrics::SCRAPE_GAUGES`). A new backlog gauge
//!   (an outbox, a forwarding cursor) is one entry there: a name, a help
//!   text and a bounded aggregate query.
//!
//! The kernel holds the registry and knows no query; the feature runs the
//! queries and hands their series here.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use yunwei_domain::crypto::{Crypto as _, SoftwareCrypto};
use yunwei_domain::{AppError, ErrorKind};

/// The media type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the request latency buckets: pages and API
/// calls answer in milliseconds (DESIGN §11), exports and PDFs in seconds.
const REQUEST_BUCKETS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds (seconds) of a job turn's duration.
const JOB_BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0];

/// The `[metrics]` section of `yunwei.toml` (environment
/// `YUNWEI_METRICS_TOKEN`, `YUNWEI_METRICS_LISTEN`). Without either field
/// `/metrics` is not served.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token Prometheus presents (`authorization: {credentials:
    /// ...}`); with it `/metrics` is served on the main listener too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A separate address serving only `/metrics` (`127.0.0.1:9464`),
    /// reachable by the monitoring network alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

impl std::fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &self.token.as_ref().map(|_| "******"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// Shortest accepted token: a guessable token would open the counts of
/// every organisation's overdue work to anyone on the network.
pub const MIN_TOKEN_CHARS: usize = 16;

impl MetricsSettings {
    /// The configuration's mistakes, in Chinese.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(t) = &self.token {
            if t.chars().count() < MIN_TOKEN_CHARS || t.chars().any(|c| c.is_whitespace()) {
                return Err(format!(
                    "metrics.token 须至少 {MIN_TOKEN_CHARS} 个字符且不含空白"
                ));
            }
        }
        if let Some(l) = &self.listen {
            if l.parse::<std::net::SocketAddr>().is_err() {
                return Err(format!(
                    "metrics.listen 须为「地址:端口」，如 127.0.0.1:9464（当前为「{l}」）"
                ));
            }
        }
        Ok(())
    }

    /// The token as a [`MetricsToken`], when configured.
    pub fn bearer(&self) -> Option<MetricsToken> {
        self.token.clone().map(MetricsToken)
    }
}

/// The scrape token; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn new(token: impl Into<String>) -> MetricsToken {
        MetricsToken(token.into())
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(******)")
    }
}

/// Whether the `Authorization` header carries the token: `Bearer <token>`,
/// compared in constant time (`metrics.unauthorized`, 401, otherwise).
pub fn authorize_scrape(
    expected: &MetricsToken,
    authorization: Option<&str>,
) -> Result<(), AppError> {
    let presented = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    // Hash both sides first, so the comparison's time does not depend on
    // the token's length either.
    let a = SoftwareCrypto.sm3(presented.as_bytes());
    let b = SoftwareCrypto.sm3(expected.0.as_bytes());
    if !presented.is_empty() && yunwei_domain::crypto::constant_time_eq(&a, &b) {
        return Ok(());
    }
    Err(AppError::new(
        ErrorKind::Unauthorized,
        "metrics.unauthorized",
        "监控指标访问令牌缺失或不正确",
    ))
}

/// `/metrics` asked of a server that does not serve it (`request.not_found`).
pub fn not_served() -> AppError {
    AppError::new(
        ErrorKind::NotFound,
        "request.not_found",
        "请求的页面或接口不存在",
    )
}

/// Labels of a gauge computed at scrape time: name and value pairs from a
/// bounded set (an organisation level, a channel), never an id.
pub type Labels = Vec<(&'static str, String)>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GaugeLabels {
    gauge: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The registry and its metrics (one per `Platform`, shared by its
/// clones).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: HistogramFamily<RequestLabels>,
    job_runs: Family<JobLabels, Counter>,
    job_failures: Family<JobLabels, Counter>,
    job_items: Family<JobLabels, Counter>,
    job_seconds: HistogramFamily<JobLabels>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    collect_errors: Family<GaugeLabels, Counter>,
    /// The gauges computed at scrape time, by name, in their list's order.
    scraped: Vec<(&'static str, Family<Labels, Gauge>)>,
    /// One scrape at a time: a scrape clears and refills the gauges it
    /// computes, and parallel scrapes would see each other's half-filled
    /// families (and multiply the queries).
    scrape_turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// The registry with the request, job and pool metrics and a gauge
    /// family for each `(name, help)` of `gauges`.
    pub fn new(gauges: &[(&'static str, &'static str)]) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "yunwei_http_requests",
            "HTTP requests by method, matched route and status class",
            requests.clone(),
        );
        let request_seconds: HistogramFamily<RequestLabels> =
            Family::new_with_constructor(|| Histogram::new(REQUEST_BUCKETS));
        registry.register(
            "yunwei_http_request_duration_seconds",
            "HTTP request latency by method, matched route and status class",
            request_seconds.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register(
            "yunwei_job_runs",
            "Background job turns run by this node",
            job_runs.clone(),
        );
        let job_failures = Family::<JobLabels, Counter>::default();
        registry.register(
            "yunwei_job_failures",
            "Background job turns that failed",
            job_failures.clone(),
        );
        let job_items = Family::<JobLabels, Counter>::default();
        registry.register(
            "yunwei_job_items",
            "Items handled by background job turns (notices sent, grants revoked, ...)",
            job_items.clone(),
        );
        let job_seconds: HistogramFamily<JobLabels> =
            Family::new_with_constructor(|| Histogram::new(JOB_BUCKETS));
        registry.register(
            "yunwei_job_duration_seconds",
            "Duration of background job turns",
            job_seconds.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "yunwei_db_pool_connections",
            "Database pool connections by state (idle, in_use)",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "yunwei_db_pool_max_connections",
            "Most connections the database pool opens",
            pool_max.clone(),
        );
        let collect_errors = Family::<GaugeLabels, Counter>::default();
        registry.register(
            "yunwei_metrics_collect_errors",
            "Scrapes in which a computed gauge could not be read (it is absent from that scrape)",
            collect_errors.clone(),
        );
        let scraped = gauges
            .iter()
            .map(|(name, help)| {
                let family = Family::<Labels, Gauge>::default();
                registry.register(*name, *help, family.clone());
                (*name, family)
            })
            .collect();
        Metrics {
            registry,
            requests,
            request_seconds,
            job_runs,
            job_failures,
            job_items,
            job_seconds,
            pool,
            pool_max,
            collect_errors,
            scraped,
            scrape_turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Counts one HTTP request. `route` is the matched route pattern
    /// (`/api/v1/tickets/{id}`), or `None` for a request no route matched:
    /// the raw path would make a series per URL.
    pub fn observe_request(&self, method: &str, route: Option<&str>, status: u16, took: Duration) {
        let labels = RequestLabels {
            method: method_label(method),
            route: route.unwrap_or("unmatched").to_string(),
            status: status_class(status),
        };
        self.requests.get_or_create(&labels).inc();
        self.request_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// Counts one turn of a background job and how it ended.
    pub fn observe_job(&self, job: &'static str, result: &Result<usize, AppError>, took: Duration) {
        let labels = JobLabels { job };
        self.job_runs.get_or_create(&labels).inc();
        // Both series exist from the first turn on, at 0 until counted, so
        // that `rate()` and alerts on them see a job that never failed.
        let failures = self.job_failures.get_or_create(&labels);
        let items = self.job_items.get_or_create(&labels);
        match result {
            Ok(n) => {
                items.inc_by(*n as u64);
            }
            Err(_) => {
                failures.inc();
            }
        }
        self.job_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }
}

fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        // Anything a client invents stays one series.
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// One scrape at a time (see `scrape_turn`); hold the guard for the
    /// whole scrape.
    pub async fn scrape_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.scrape_turn.lock().await
    }

    /// The pool's connections now: open, of which idle, and the most.
    pub fn set_pool(&self, size: u32, idle: usize, max: u32) {
        let idle = idle as i64;
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set((i64::from(size) - idle).max(0));
        self.pool_max.set(i64::from(max));
    }

    /// The series of the `index`-th scrape gauge, replacing the last
    /// scrape's; a failed query leaves the gauge out and is counted.
    pub fn set_scraped(&self, index: usize, values: Result<Vec<(Labels, i64)>, AppError>) {
        let Some((name, family)) = self.scraped.get(index) else {
            return;
        };
        family.clear();
        match values {
            Ok(values) => {
                for (labels, v) in values {
                    family.get_or_create(&labels).set(v);
                }
            }
            Err(e) => {
                self.collect_errors
                    .get_or_create(&GaugeLabels { gauge: name })
                    .inc();
                tracing::warn!(gauge = *name, code = e.code, error = %e.message, "a metrics gauge could not be computed; it is left out of this scrape");
            }
        }
    }

    /// The whole registry in the Prometheus text format.
    pub fn encode(&self) -> Result<String, AppError> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry).map_err(
            |e| {
                tracing::error!(error = %e, "encoding the metrics failed");
                AppError::internal()
            },
        )?;
        Ok(out)
    }
}

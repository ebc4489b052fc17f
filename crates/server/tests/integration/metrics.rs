//! `/metrics` (issue 17, ADR 0025): served only with a token or on its own
//! listener, counted by matched route, with job turns, the pool and the
//! overdue controls and breached timers per organisation level; scraped by
//! a real Prometheus (Debian's `prometheus`) started by the test on
//! 127.0.0.1.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use yunwei_core::metrics::MetricsToken;
use yunwei_core::tickets::{self, OpenInput};
use yunwei_core::{Ctx, Platform};
use yunwei_testkit::TestApp;

use crate::support::principal;

const TOKEN: &str = "prom-scrape-token-0123456789";
/// How long a component may take to become ready or to show a value.
const DEADLINE: Duration = Duration::from_secs(30);
const PROMETHEUS: &str = "/usr/bin/prometheus";

/// A pack with one 30-minute timer, to breach it.
const PACK: &str = r#"
id = "slam"
name = "指标测试包"
version = "1.0.0"

[roles.lead]
label = "项目负责人"
platform = ["project_lead"]
source = "NTCZ-6.1.2"
"#;

const FAULT: &str = r#"
id = "fault"
name = "故障"
number_prefix = "ZB"
source = "NTCZ-6.1.2"

[[field]]
id = "title"
label = "标题"
type = "text"

[[state]]
id = "new"
label = "待响应"
initial = true

[[state]]
id = "resolved"
label = "已解决"
final = true

[[transition]]
id = "resolve"
label = "解决"
from = ["new"]
to = "resolved"
roles = ["lead"]
source = "NTCZ-6.1.2"

[[timer]]
id = "response"
label = "响应时限"
start = ["new"]
stop = ["resolved"]
duration = "30m"
notify = ["lead"]
source = "NTCZ-6.1.2"
"#;

fn router_with_token(p: &Platform, token: Option<&str>) -> axum::Router {
    yunwei_web::router(
        p.clone(),
        yunwei_web::WebOptions {
            metrics_token: token.map(MetricsToken::new),
            ..Default::default()
        },
    )
}

async fn get(
    router: &axum::Router,
    path: &str,
    authorization: Option<&str>,
) -> (u16, String, String) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let mut req = Request::get(path);
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the series `name{labels}` exactly as exposed.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Overdue controls at known levels: two open ones past due in a city,
/// one in a county, and one done and one not yet due that do not count.
async fn seed_controls(app: &TestApp) {
    let mut c = app.platform.db().begin().await.unwrap();
    let now = app.platform.now_us();
    let hour = 3_600_000_000i64;
    let city = yunwei_store::orgs::by_name(&mut c, "南京市财政局")
        .await
        .unwrap()
        .expect("demo city");
    let county = yunwei_store::orgs::by_name(&mut c, "昆山市财政局")
        .await
        .unwrap()
        .expect("demo county");
    let rows = [
        (&city, now - hour, None),
        (&city, now - 2 * hour, None),
        (&county, now - hour, None),
        (&county, now - 3 * hour, Some(now - 4 * hour)),
        (&city, now + hour, None),
    ];
    for (i, (org, due_at, done_at)) in rows.into_iter().enumerate() {
        let row = yunwei_store::controls::ControlRow {
            id: yunwei_domain::ids::new_id(),
            kind: "inspection".into(),
            subject_type: "metrics_test".into(),
            subject_id: format!("subject-{i}"),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            title: format!("指标测试事项 {i}"),
            source: "EEDS-1.4.1".into(),
            period_start: None,
            period_end: None,
            due_at,
            done_at,
            done_ref: None,
            notified_at: None,
            created_at: now - 5 * hour,
        };
        assert!(yunwei_store::controls::insert_if_absent(&mut c, &row)
            .await
            .unwrap());
    }
    c.commit().await.unwrap();
}

/// One ticket of `demo_lead` (the provincial information centre) whose
/// 30-minute response timer breaches in the `ticket_timers` job's turn.
async fn breach_a_timer(app: &TestApp) {
    let files = vec![
        ("policies/slam/pack.toml".to_string(), PACK.to_string()),
        ("policies/slam/fault.toml".to_string(), FAULT.to_string()),
    ];
    let pack = yunwei_domain::policy::load_pack(&files).unwrap_or_else(|e| panic!("{e:?}"));
    let mut p = app.platform.clone();
    p.packs = Arc::new(vec![pack]);
    let lead = principal(app, "demo_lead").await;
    let input = OpenInput {
        pack: "slam".into(),
        process: "fault".into(),
        title: "核心交换机端口故障".into(),
        fields: json!({}).as_object().unwrap().clone(),
        ..Default::default()
    };
    tickets::open(&p, &Ctx::system("test"), &lead, &input)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::minutes(31));
    let env = yunwei_core::jobs::JobEnv::new(p, None);
    let results = yunwei_core::jobs::run_turn(yunwei_core::jobs::JOBS, &env, |_, j| {
        j.name == "ticket_timers"
    })
    .await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].1, Ok(1), "one breach claimed");
}

/// Issue 17: without a token `/metrics` is not served; a missing or wrong
/// token is a Chinese 401; with it the exposition counts requests by
/// matched route (never the raw path), job turns, the pool, and the
/// overdue controls and breached timers per level.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_17_metrics_need_the_token_and_count_by_route_and_level() {
    let app = TestApp::new().await;

    let (status, _, body) = get(&app.router, "/metrics", Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 404, "not served without configuration: {body}");
    let v: Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(v["code"], "request.not_found");

    let router = router_with_token(&app.platform, Some(TOKEN));
    for auth in [None, Some("Bearer wrong-token-0123456789xx"), Some(TOKEN)] {
        let (status, ct, body) = get(&router, "/metrics", auth).await;
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(ct.starts_with("application/json"), "{ct}");
        let v: Value = serde_json::from_str(&body).expect("JSON error");
        assert_eq!(v["code"], "metrics.unauthorized");
        assert_eq!(v["message"], "监控指标访问令牌缺失或不正确");
    }

    seed_controls(&app).await;
    breach_a_timer(&app).await;
    // Truly parallel requests are each counted once.
    let parallel: Vec<_> = (0..40)
        .map(|_| {
            let router = router.clone();
            tokio::spawn(async move { get(&router, "/healthz", None).await.0 })
        })
        .collect();
    for h in parallel {
        assert_eq!(h.await.unwrap(), 200);
    }
    let (status, _, _) = get(&router, "/no-such-page/secret-path-4711", None).await;
    assert_eq!(status, 404);

    let bearer = format!("Bearer {TOKEN}");
    // Parallel scrapes take turns: each sees the whole of its gauges.
    let scrapes: Vec<_> = (0..8)
        .map(|_| {
            let router = router.clone();
            let bearer = bearer.clone();
            tokio::spawn(async move { get(&router, "/metrics", Some(&bearer)).await })
        })
        .collect();
    for h in scrapes {
        let (status, _, text) = h.await.unwrap();
        assert_eq!(status, 200, "{text}");
        for series in [
            r#"yunwei_controls_overdue{level="city"} 2"#,
            r#"yunwei_controls_overdue{level="county"} 1"#,
            r#"yunwei_ticket_timers_breached{level="province"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == series), "{series}\n{text}");
        }
    }
    let (status, ct, text) = get(&router, "/metrics", Some(&bearer)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    let expect = [
        (
            r#"yunwei_http_requests_total{method="GET",route="/healthz",status="2xx"}"#,
            40.0,
        ),
        (
            r#"yunwei_http_requests_total{method="GET",route="unmatched",status="4xx"}"#,
            1.0,
        ),
        (
            r#"yunwei_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"}"#,
            40.0,
        ),
        (r#"yunwei_controls_overdue{level="city"}"#, 2.0),
        (r#"yunwei_controls_overdue{level="county"}"#, 1.0),
        (r#"yunwei_controls_overdue{level="province"}"#, 0.0),
        (r#"yunwei_ticket_timers_breached{level="province"}"#, 1.0),
        (r#"yunwei_ticket_timers_breached{level="city"}"#, 0.0),
        (r#"yunwei_job_backlog{job="overdue_notices"}"#, 3.0),
        (r#"yunwei_job_backlog{job="ticket_timers"}"#, 0.0),
        (r#"yunwei_job_runs_total{job="ticket_timers"}"#, 1.0),
        (r#"yunwei_job_items_total{job="ticket_timers"}"#, 1.0),
        (r#"yunwei_job_failures_total{job="ticket_timers"}"#, 0.0),
    ];
    for (series, value) in expect {
        assert_eq!(sample(&text, series), Some(value), "{series}\n{text}");
    }
    // Nothing is forwarded in this test, so every audit record waits.
    let forward_backlog = yunwei_core::audit_forward::backlog(&app.platform)
        .await
        .unwrap();
    assert!(forward_backlog > 0);
    assert_eq!(
        sample(&text, "yunwei_audit_forward_backlog"),
        Some(forward_backlog as f64),
        "{text}"
    );
    // No channel is configured: the outbox is empty.
    assert_eq!(
        sample(&text, r#"yunwei_notify_outbox_backlog{state="pending"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"yunwei_notify_outbox_backlog{state="dead"}"#),
        Some(0.0),
        "{text}"
    );
    assert!(
        !text.contains("secret-path-4711"),
        "raw path leaked: {text}"
    );
    assert!(
        sample(&text, "yunwei_db_pool_max_connections").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, r#"yunwei_db_pool_connections{state="idle"}"#).is_some(),
        "{text}"
    );

    // The separate listener serves /metrics alone, without a token when
    // none is configured, and with it when one is.
    let open = yunwei_web::metrics_listener_router(app.platform.clone(), None);
    let (status, _, text) = get(&open, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(text.contains("yunwei_controls_overdue"), "{text}");
    let (status, _, body) = get(&open, "/healthz", None).await;
    assert_eq!(status, 404, "{body}");
    let guarded =
        yunwei_web::metrics_listener_router(app.platform.clone(), Some(MetricsToken::new(TOKEN)));
    assert_eq!(get(&guarded, "/metrics", None).await.0, 401);
    assert_eq!(get(&guarded, "/metrics", Some(&bearer)).await.0, 200);
    app.cleanup().await;
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.0 GET (no chunked answers) over loopback: status and body.
async fn http_get(addr: &str, path: &str) -> Result<(u16, String), String> {
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| format!("GET {path} on {addr} timed out"))?
}

fn query_path(promql: &str) -> String {
    format!("/api/v1/query?query={}", crate::support::urlenc(promql))
}

/// The values of an instant PromQL query (empty while nothing matches).
async fn query(prom: &str, promql: &str) -> Vec<(Value, f64)> {
    let Ok((200, body)) = http_get(prom, &query_path(promql)).await else {
        return vec![];
    };
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    v["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            let n = r["value"][1].as_str()?.parse().ok()?;
            Some((r["metric"].clone(), n))
        })
        .collect()
}

/// Debian's Prometheus on a free 127.0.0.1 port with a temporary storage
/// directory, scraping `target` every second as job `yunwei` with the
/// right token and as job `yunwei_wrong_token` with a wrong one.
fn start_prometheus(dir: &std::path::Path, target: SocketAddr) -> (KillOnDrop, String) {
    assert!(
        std::path::Path::new(PROMETHEUS).is_file(),
        "{PROMETHEUS} is missing: install Debian's prometheus package (apt-get install prometheus; .ci/run does)"
    );
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n\
         \x20 - job_name: yunwei\n    authorization:\n      credentials: {TOKEN}\n    static_configs:\n      - targets: ['{target}']\n\
         \x20 - job_name: yunwei_wrong_token\n    authorization:\n      credentials: wrong-token-0123456789xx\n    static_configs:\n      - targets: ['{target}']\n"
    );
    let config_file = dir.join("prometheus.yml");
    std::fs::write(&config_file, config).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", config_file.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {PROMETHEUS}: {e}"));
    (KillOnDrop(child), addr)
}

/// Issue 17: a real Prometheus scrapes a running yunwei with the token:
/// the target is up, the request counter of a known route and the overdue
/// controls per level arrive with the values the test made; the job with
/// a wrong token sees the target down with a 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_prometheus_scrapes_with_the_token() {
    let app = TestApp::new().await;
    seed_controls(&app).await;
    breach_a_timer(&app).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    let router = router_with_token(&app.platform, Some(TOKEN));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    for _ in 0..3 {
        let (status, body) = http_get(&target.to_string(), "/healthz").await.unwrap();
        assert_eq!(status, 200, "{body}");
    }

    let dir = tempfile::Builder::new()
        .prefix("yunwei-prometheus-")
        .tempdir()
        .unwrap();
    let (mut prom, prom_addr) = start_prometheus(dir.path(), target);
    let log = || std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();

    // Ready: /-/ready answers 200 (or the process died: fail with its log).
    let started = Instant::now();
    loop {
        if let Ok((200, _)) = http_get(&prom_addr, "/-/ready").await {
            break;
        }
        if let Ok(Some(st)) = prom.0.try_wait() {
            panic!("prometheus exited ({st}) before it was ready:\n{}", log());
        }
        assert!(
            started.elapsed() < DEADLINE,
            "prometheus not ready within {DEADLINE:?}:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Poll until every expectation holds, against one deadline.
    let checks: [(&str, f64); 5] = [
        (r#"up{job="yunwei"}"#, 1.0),
        (r#"up{job="yunwei_wrong_token"}"#, 0.0),
        (
            r#"sum(yunwei_http_requests_total{job="yunwei",route="/healthz",status="2xx"})"#,
            3.0,
        ),
        (r#"yunwei_controls_overdue{job="yunwei",level="city"}"#, 2.0),
        (
            r#"yunwei_ticket_timers_breached{job="yunwei",level="province"}"#,
            1.0,
        ),
    ];
    let started = Instant::now();
    let mut last = Vec::new();
    loop {
        last.clear();
        for (promql, want) in checks {
            let got = query(&prom_addr, promql).await;
            if got.len() != 1 || got[0].1 != want {
                last.push(format!("{promql}: want {want}, got {got:?}"));
            }
        }
        if last.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "Prometheus did not see the expected values within {DEADLINE:?}:\n{}\n{}",
            last.join("\n"),
            log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // The wrong token's target reports the server's 401.
    let (status, body) = http_get(&prom_addr, "/api/v1/targets").await.unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let wrong = v["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["labels"]["job"] == "yunwei_wrong_token")
        .cloned()
        .unwrap_or_else(|| panic!("no wrong-token target: {body}"));
    assert_eq!(wrong["health"], "down", "{wrong}");
    assert!(
        wrong["lastError"].as_str().unwrap_or("").contains("401"),
        "{wrong}"
    );

    drop(prom);
    server.abort();
    app.cleanup().await;
}

/// Issue 17: `yunwei serve` with `YUNWEI_METRICS_TOKEN` and
/// `YUNWEI_METRICS_LISTEN` announces the metrics address, serves
/// `/metrics` there and on the main listener with the token only, and
/// nothing else on the metrics listener.
#[tokio::test]
async fn issue_17_serve_opens_the_metrics_listener() {
    use crate::cli::{Bin, Server};
    let db = yunwei_testkit::TestDatabase::new().await;
    let bin = Bin::new();
    let err = bin.dir.path().join("serve.err");
    let mut cmd = bin.cmd(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.url.as_str(),
    ]);
    cmd.env("YUNWEI_ADMIN_PASSWORD", yunwei_testkit::ADMIN_PASSWORD)
        .env("YUNWEI_METRICS_TOKEN", TOKEN)
        .env("YUNWEI_METRICS_LISTEN", "127.0.0.1:0");
    let server = Server::start(cmd, &err);
    let main = server.addr();
    let line = server
        .banner()
        .lines()
        .find_map(|l| l.strip_prefix("监控指标：http://"))
        .unwrap_or_else(|| panic!("no metrics line:\n{}", server.banner()))
        .to_string();
    let metrics = line.split('/').next().unwrap().to_string();
    assert!(line.ends_with("（须携带令牌）"), "{line}");
    assert_ne!(metrics, main);

    let bearer = format!("Bearer {TOKEN}");
    let get = |addr: &str, path: &str, auth: Option<&str>| {
        let addr = addr.to_string();
        let path = path.to_string();
        let auth = auth.map(str::to_string);
        async move {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let mut req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
            if let Some(a) = auth {
                req.push_str(&format!("Authorization: {a}\r\n"));
            }
            req.push_str("\r\n");
            s.write_all(req.as_bytes()).await.unwrap();
            let mut buf = Vec::new();
            tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf))
                .await
                .expect("answer within 30 s")
                .unwrap();
            let text = String::from_utf8_lossy(&buf).into_owned();
            let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
            let body = text.split_once("\r\n\r\n").unwrap().1.to_string();
            (status, body)
        }
    };
    let (status, body) = get(&metrics, "/metrics", Some(&bearer)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#"yunwei_controls_overdue{level="province"} 0"#),
        "{body}"
    );
    assert!(body.contains("yunwei_db_pool_max_connections"), "{body}");
    assert_eq!(get(&metrics, "/metrics", None).await.0, 401);
    assert_eq!(get(&metrics, "/healthz", Some(&bearer)).await.0, 404);
    assert_eq!(get(&main, "/metrics", Some(&bearer)).await.0, 200);
    let (status, body) = get(&main, "/metrics", Some("Bearer not-the-token-at-all")).await;
    assert_eq!(status, 401);
    assert!(body.contains("metrics.unauthorized"), "{body}");
    server.stop();
}

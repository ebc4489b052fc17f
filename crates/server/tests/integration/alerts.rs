//! Alertmanager webhook -> incidents (issue 17 item 3, ADR 0024): the
//! endpoint's refusals, one incident per alert group, repeats and
//! resolution on the same incident, parallel deliveries, storms, and end
//! to end with the real `prometheus-alertmanager` (Debian) posting to a
//! running yunwei on 127.0.0.1.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use http_body_util::BodyExt as _;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;
use yunwei_core::Platform;
use yunwei_domain::alerts::{AlertSource, AlertmanagerSettings};
use yunwei_store::alerts::AlertIncidentRow;
use yunwei_store::tickets::{EventRow, TicketRow};
use yunwei_testkit::http::{header, Method, Request, StatusCode};
use yunwei_testkit::{TestApp, ROOT_ORG};

const SOURCE: &str = "prom";
const TOKEN: &str = "alert-token-0123456789abcdef";
const PATH: &str = "/api/v1/integrations/alertmanager/prom";
/// Bound of every wait on a real component.
const DEADLINE: Duration = Duration::from_secs(30);

fn source_config(max_new: u32) -> AlertSource {
    toml::from_str(&format!(
        r#"
token = "{TOKEN}"
org = "{ROOT_ORG}"
pack = "jscz"
process = "incident"
level_field = "level"
levels = {{ critical = "2", warning = "4" }}
default_level = "4"
description_field = "description"
occurred_field = "occurred_at"
fields = {{ origin = "inspection", source_ticket = "Alertmanager" }}
open_transition = "report"
max_new_incidents = {max_new}
"#
    ))
    .expect("source configuration")
}

struct Receiver {
    app: TestApp,
    platform: Platform,
    router: axum::Router,
    /// Code of a configuration item of the demo, named by `instance`.
    ci_code: String,
}

async fn receiver(max_new: u32) -> Receiver {
    receiver_with(source_config(max_new)).await
}

async fn receiver_with(source: AlertSource) -> Receiver {
    let app = TestApp::new().await;
    let mut settings = AlertmanagerSettings::default();
    settings.sources.insert(SOURCE.into(), source);
    let platform = app.platform.clone().with_alertmanager(settings);
    yunwei_core::alerts::prepare(&platform)
        .await
        .expect("prepare the alert sources");
    // Running it again changes nothing (every start of `serve` does).
    yunwei_core::alerts::prepare(&platform)
        .await
        .expect("prepare again");
    let router = yunwei_web::router(platform.clone(), yunwei_web::WebOptions::default());
    // A configuration item of the source's organisation, named by the
    // alerts' `instance` label.
    let ci_code = "ALERT-DB-01".to_string();
    {
        let mut c = app.platform.db().begin().await.unwrap();
        let root = yunwei_store::orgs::root(&mut c).await.unwrap().unwrap();
        yunwei_store::cmdb::insert_ci(
            &mut c,
            &yunwei_store::cmdb::CiRow {
                id: yunwei_domain::ids::new_id(),
                code: ci_code.clone(),
                name: "预算库服务器".into(),
                category: "hardware".into(),
                ci_type: "服务器".into(),
                org_id: root.id.clone(),
                org_path: root.path.clone(),
                vendor: String::new(),
                location: String::new(),
                status: "in_use".into(),
                version: String::new(),
                patch_level: String::new(),
                licence: String::new(),
                licence_expires: None,
                notes: String::new(),
                created_at: 1,
                updated_at: 1,
            },
        )
        .await
        .unwrap();
        c.commit().await.unwrap();
    }
    Receiver {
        app,
        platform,
        router,
        ci_code,
    }
}

impl Receiver {
    async fn post_raw(&self, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(PATH)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let mut req = b.body(Body::from(body)).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(yunwei_testkit::CLIENT_ADDR)));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        yunwei_testkit::openapi::check_answer("POST", PATH, status.as_u16(), ct.as_deref(), &bytes);
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }

    async fn post(&self, body: &Value) -> Value {
        let (status, v) = self
            .post_raw(Some(TOKEN), serde_json::to_vec(body).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    async fn rows(&self) -> Vec<AlertIncidentRow> {
        let mut c = self.app.platform.db().read().await.unwrap();
        yunwei_store::alerts::of_source(&mut c, SOURCE, 1000)
            .await
            .unwrap()
    }

    async fn ticket(&self, id: &str) -> TicketRow {
        let mut c = self.app.platform.db().read().await.unwrap();
        yunwei_store::tickets::get(&mut c, id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn events(&self, id: &str) -> Vec<EventRow> {
        let mut c = self.app.platform.db().read().await.unwrap();
        yunwei_store::tickets::events_of(&mut c, id).await.unwrap()
    }

    /// Tickets the source's service account opened.
    async fn opened_tickets(&self) -> usize {
        let mut ids: Vec<String> = self.rows().await.into_iter().map(|r| r.ticket_id).collect();
        ids.sort();
        ids.dedup();
        ids.len()
    }
}

fn alert(fingerprint: &str, status: &str, instance: &str, severity: &str) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": "DiskFull", "instance": instance, "severity": severity},
        "annotations": {"summary": "磁盘空间不足"},
        "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": fingerprint,
    })
}

fn notification(group: &str, status: &str, alerts: Vec<Value>) -> Value {
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{group}\"}}"),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "yunwei",
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": alerts,
    })
}

#[tokio::test]
async fn alertmanager_webhook_refuses_wrong_token_and_bad_bodies() {
    let r = receiver(20).await;
    let body = serde_json::to_vec(&notification(
        "DiskFull",
        "firing",
        vec![alert("a1", "firing", "x:9100", "critical")],
    ))
    .unwrap();
    for token in [None, Some("wrong-token-0123456789abcdef")] {
        let (status, v) = r.post_raw(token, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(v["code"], "alerts.unauthorized");
        assert_eq!(v["message"], "告警来源未配置或令牌无效");
    }
    // An unknown source answers exactly like a wrong token.
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/integrations/alertmanager/other")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(body.clone()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(yunwei_testkit::CLIENT_ADDR)));
    let resp = r.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let (status, v) = r.post_raw(Some(TOKEN), b"{not json".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["code"], "alerts.invalid_body");
    assert!(v["message"].as_str().unwrap().contains("格式不正确"), "{v}");

    let mut old = notification(
        "DiskFull",
        "firing",
        vec![alert("a1", "firing", "x", "critical")],
    );
    old["version"] = json!("3");
    let (status, v) = r
        .post_raw(Some(TOKEN), serde_json::to_vec(&old).unwrap())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["code"], "alerts.unsupported_version");

    let huge = vec![b' '; yunwei_domain::alerts::MAX_BODY_BYTES + 1];
    let (status, v) = r.post_raw(Some(TOKEN), huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["code"], "request.too_large");

    assert!(r.rows().await.is_empty(), "nothing was opened");
    r.app.cleanup().await;
}

#[tokio::test]
async fn alert_group_opens_one_incident_repeats_update_it_resolution_is_recorded() {
    let r = receiver(20).await;
    let instance = format!("{}:9100", r.ci_code);
    let first = notification(
        "DiskFull",
        "firing",
        vec![alert("a1", "firing", &instance, "warning")],
    );
    let v = r.post(&first).await;
    assert_eq!(v["outcome"], "opened", "{v}");
    let rows = r.rows().await;
    assert_eq!(rows.len(), 1);
    let t = r.ticket(&rows[0].ticket_id).await;
    assert_eq!(v["ticket_number"], t.number.as_str());
    assert_eq!(t.process_id, "incident");
    assert_eq!(t.level.as_deref(), Some("4"), "warning -> 一般事件");
    assert_eq!(
        t.state, "reported",
        "the configured open transition was taken"
    );
    assert!(t.title.contains("DiskFull"), "{}", t.title);
    let fields: Value = serde_json::from_str(&t.fields_json).unwrap();
    assert_eq!(
        fields["system"],
        r.ci_code.as_str(),
        "matched from instance"
    );
    assert_eq!(fields["origin"], "inspection");

    // The same notification again: counted, no new incident, no entry.
    let v = r.post(&first).await;
    assert_eq!(v["outcome"], "repeated");
    assert_eq!(r.rows().await[0].repeats, 1);
    let alert_events = |evs: Vec<EventRow>| {
        evs.into_iter()
            .filter(|e| e.kind == "alert")
            .collect::<Vec<_>>()
    };
    assert!(alert_events(r.events(&t.id).await).is_empty());

    // A second alert of the group fires (critical): one entry.
    let both = notification(
        "DiskFull",
        "firing",
        vec![
            alert("a1", "firing", &instance, "warning"),
            alert("a2", "firing", "other-host:9100", "critical"),
        ],
    );
    let v = r.post(&both).await;
    assert_eq!(v["outcome"], "updated");
    assert_eq!(v["ticket_number"], t.number.as_str());
    let evs = alert_events(r.events(&t.id).await);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].label, "告警更新");
    assert!(evs[0].body.contains("新触发 1 条"), "{}", evs[0].body);
    assert!(evs[0].body.contains("重复通知 1 次"), "{}", evs[0].body);
    assert_eq!(evs[0].actor_name, "监控告警：prom");

    // Resolved: a timeline entry; jscz's incident has no transition the
    // service account may take on resolution, so the state stays.
    let resolved = notification(
        "DiskFull",
        "resolved",
        vec![
            alert("a1", "resolved", &instance, "warning"),
            alert("a2", "resolved", "other-host:9100", "critical"),
        ],
    );
    let v = r.post(&resolved).await;
    assert_eq!(v["outcome"], "updated");
    let evs = alert_events(r.events(&t.id).await);
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].label, "告警已恢复");
    assert!(evs[1].body.contains("已恢复 2 条"), "{}", evs[1].body);
    assert_eq!(r.opened_tickets().await, 1);

    // Every entry has its audit record, by the service account.
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.alert' AND object_id = '{}'",
        t.id
    ))
    .fetch_one(r.app.platform.db().pool())
    .await
    .unwrap();
    assert_eq!(n, 2);

    // Once the incident is closed, the next firing opens a new one.
    sqlx::query(&format!(
        "UPDATE tickets SET state = 'closed', closed_at = 1 WHERE id = '{}'",
        t.id
    ))
    .execute(r.app.platform.db().pool())
    .await
    .unwrap();
    let v = r.post(&first).await;
    assert_eq!(v["outcome"], "opened");
    assert_ne!(v["ticket_number"], t.number.as_str());
    let rows = r.rows().await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].open_key, None,
        "the closed incident's row is closed"
    );
    assert_eq!(r.opened_tickets().await, 2);
    drop(r.platform);
    r.app.cleanup().await;
}

#[tokio::test]
async fn resolution_takes_the_configured_transition_where_the_pack_allows() {
    // Registered on firing, reported (jscz `report`, the requester's)
    // when the group resolves: the transition is configuration.
    let mut source = source_config(20);
    source.open_transition = None;
    source.resolved_transition = Some("report".into());
    let r = receiver_with(source).await;
    let instance = format!("{}:9100", r.ci_code);
    let v = r
        .post(&notification(
            "DiskFull",
            "firing",
            vec![alert("a1", "firing", &instance, "critical")],
        ))
        .await;
    assert_eq!(v["outcome"], "opened");
    let id = r.rows().await[0].ticket_id.clone();
    assert_eq!(r.ticket(&id).await.state, "draft");
    let v = r
        .post(&notification(
            "DiskFull",
            "resolved",
            vec![alert("a1", "resolved", &instance, "critical")],
        ))
        .await;
    assert_eq!(v["outcome"], "updated");
    let t = r.ticket(&id).await;
    assert_eq!(t.state, "reported", "moved on by the configured transition");
    let evs = r.events(&id).await;
    let labels: Vec<&str> = evs.iter().map(|e| e.label.as_str()).collect();
    assert!(labels.contains(&"告警已恢复"), "{labels:?}");
    assert!(
        evs.iter()
            .any(|e| e.to_state.as_deref() == Some("reported")),
        "{labels:?}"
    );
    r.app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_deliveries_of_one_group_open_one_incident() {
    let r = std::sync::Arc::new(receiver(20).await);
    let body = notification(
        "CpuHigh",
        "firing",
        vec![alert("c1", "firing", "cpu-host:9100", "critical")],
    );
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let r = r.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move { r.post(&body).await }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("delivery task")["outcome"].clone());
    }
    let opened = outcomes.iter().filter(|o| *o == "opened").count();
    assert_eq!(opened, 1, "{outcomes:?}");
    assert_eq!(r.rows().await.len(), 1);
    assert_eq!(r.opened_tickets().await, 1);
    let r = std::sync::Arc::into_inner(r).expect("tasks done");
    r.app.cleanup().await;
}

#[tokio::test]
async fn storms_are_bounded_into_one_storm_incident() {
    let r = receiver(2).await;
    // Counters of a past window are pruned; another source's stay.
    for key in ["alerts:prom:1", "alerts:prom_x:1"] {
        sqlx::query(&format!(
            "INSERT INTO counters (key, value) VALUES ('{key}', 5)"
        ))
        .execute(r.app.platform.db().pool())
        .await
        .unwrap();
    }
    let mut numbers = Vec::new();
    let mut outcomes = Vec::new();
    for g in ["G1", "G2", "G3", "G4", "G5"] {
        let v = r
            .post(&notification(
                g,
                "firing",
                vec![alert(g, "firing", "h:1", "critical")],
            ))
            .await;
        numbers.push(v["ticket_number"].as_str().unwrap().to_string());
        outcomes.push(v["outcome"].as_str().unwrap().to_string());
    }
    assert_eq!(outcomes, ["opened", "opened", "storm", "storm", "storm"]);
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT key FROM counters WHERE key LIKE 'alerts:%' ORDER BY key")
            .fetch_all(r.app.platform.db().pool())
            .await
            .unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.contains(&"alerts:prom_x:1".to_string()), "{kept:?}");
    assert!(!kept.contains(&"alerts:prom:1".to_string()), "{kept:?}");
    assert_eq!(numbers[2], numbers[3]);
    assert_eq!(numbers[3], numbers[4]);
    assert_eq!(r.opened_tickets().await, 3, "two incidents and one storm");
    let storm = r
        .rows()
        .await
        .into_iter()
        .find(|x| x.group_key == "storm")
        .unwrap();
    let t = r.ticket(&storm.ticket_id).await;
    assert!(t.title.starts_with("告警风暴"), "{}", t.title);
    let evs = r.events(&t.id).await;
    assert_eq!(
        evs.iter()
            .filter(|e| e.label == "告警风暴：新告警组")
            .count(),
        2
    );
    // The storm names no system, which jscz's report requires: the
    // incident stays registered and the timeline says why.
    assert_eq!(t.state, "draft");
    let refused = evs
        .iter()
        .find(|e| e.label == "告警登记后未能自动上报")
        .expect("the refused report is on the timeline");
    assert!(refused.body.contains("涉及系统"), "{}", refused.body);
    // A repeat of a storm group updates the storm incident.
    let v = r
        .post(&notification(
            "G3",
            "firing",
            vec![alert("G3", "firing", "h:1", "critical")],
        ))
        .await;
    assert_eq!(v["outcome"], "repeated");
    assert_eq!(v["ticket_number"], numbers[2].as_str());
    r.app.cleanup().await;
}

// ---- end to end with the real Alertmanager ----

/// A child process killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 exchange (`Connection: close`): status and body.
async fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `f` until it gives a value or [`DEADLINE`] passes.
async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_alertmanager_alert_becomes_one_incident_repeats_update_it_resolution_recorded() {
    assert!(
        std::path::Path::new(ALERTMANAGER).is_file(),
        "{ALERTMANAGER} is missing: install the Debian package prometheus-alertmanager (bash .ci/run installs it)"
    );
    let r = receiver(20).await;
    // yunwei itself, listening on 127.0.0.1.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let yunwei_port = listener.local_addr().unwrap().port();
    let service = r
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let dir = tempfile::tempdir().unwrap();
    let am_port = free_port();
    let config = format!(
        r#"
route:
  receiver: yunwei
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: yunwei
    webhook_configs:
      - url: http://127.0.0.1:{yunwei_port}{PATH}
        send_resolved: true
        http_config:
          authorization:
            credentials: {TOKEN}
"#
    );
    std::fs::write(dir.path().join("alertmanager.yml"), config).unwrap();
    let log = std::fs::File::create(dir.path().join("alertmanager.log")).unwrap();
    let _am = Child(
        std::process::Command::new(ALERTMANAGER)
            .arg(format!(
                "--config.file={}",
                dir.path().join("alertmanager.yml").display()
            ))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start prometheus-alertmanager"),
    );
    let am_log = dir.path().join("alertmanager.log");
    let show_log = || std::fs::read_to_string(&am_log).unwrap_or_default();
    wait_for("Alertmanager to be ready", || async {
        http(am_port, "GET", "/-/ready", None)
            .await
            .filter(|(s, _)| *s == 200)
    })
    .await;

    let instance = format!("{}:9100", r.ci_code);
    let now = chrono::Utc::now();
    let fire = |instance: &str, ends: Option<chrono::DateTime<chrono::Utc>>| {
        let mut a = json!({
            "labels": {"alertname": "NodeDown", "instance": instance, "severity": "critical"},
            "annotations": {"summary": "主机无响应"},
            "startsAt": (now - chrono::Duration::minutes(1)).to_rfc3339(),
        });
        if let Some(e) = ends {
            a["endsAt"] = json!(e.to_rfc3339());
        }
        a
    };
    let (status, body) = http(
        am_port,
        "POST",
        "/api/v2/alerts",
        Some(&json!([fire(&instance, None)])),
    )
    .await
    .expect("post to Alertmanager");
    assert_eq!(status, 200, "{body}");

    // The alert becomes one incident.
    let row = wait_for("the incident", || async {
        r.rows().await.into_iter().next()
    })
    .await;
    let t = r.ticket(&row.ticket_id).await;
    assert_eq!(t.level.as_deref(), Some("2"), "critical -> 重大事件");
    assert_eq!(t.state, "reported");

    // Repeats (repeat_interval 2s) update the same incident, counted.
    wait_for("a repeated notification", || async {
        r.rows().await.first().filter(|x| x.repeats >= 1).cloned()
    })
    .await;
    // A second alert in the group: one timeline entry on the same incident.
    let (status, body) = http(
        am_port,
        "POST",
        "/api/v2/alerts",
        Some(&json!([fire(&instance, None), fire("10.9.9.9:9100", None)])),
    )
    .await
    .expect("post to Alertmanager");
    assert_eq!(status, 200, "{body}");
    wait_for("the update entry", || async {
        r.events(&t.id)
            .await
            .into_iter()
            .find(|e| e.kind == "alert" && e.label == "告警更新")
    })
    .await;

    // Resolved (endsAt in the past): recorded on the same incident.
    let past = Some(now - chrono::Duration::seconds(5));
    let (status, body) = http(
        am_port,
        "POST",
        "/api/v2/alerts",
        Some(&json!([fire(&instance, past), fire("10.9.9.9:9100", past)])),
    )
    .await
    .expect("post to Alertmanager");
    assert_eq!(status, 200, "{body}");
    let ev = wait_for("the resolution entry", || async {
        r.events(&t.id)
            .await
            .into_iter()
            .find(|e| e.kind == "alert" && e.label == "告警已恢复")
    })
    .await;
    assert!(ev.body.contains("已恢复"), "{}", ev.body);
    assert_eq!(
        r.opened_tickets().await,
        1,
        "one incident in all; Alertmanager log:\n{}",
        show_log()
    );
    server.abort();
    drop(_am);
    r.app.cleanup().await;
}

#[tokio::test]
async fn config_show_masks_alertmanager_tokens() {
    use crate::cli::{run, Bin};
    let bin = Bin::new();
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        format!(
            "[alertmanager.sources.prom]\ntoken = \"file-token-0123456789abcdef\"\norg = \"{ROOT_ORG}\"\npack = \"jscz\"\nprocess = \"incident\"\nlevel_field = \"level\"\nlevels = {{ critical = \"2\" }}\n"
        ),
    )
    .unwrap();
    let out = run(bin.cmd(&["config", "show"]).env(
        "YUNWEI_ALERTMANAGER_PROM_TOKEN",
        "env-token-0123456789abcdef",
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!out.stdout.contains("file-token"), "{out}");
    assert!(!out.stdout.contains("env-token"), "{out}");
    let v: toml::Value = toml::from_str(&out.stdout).unwrap();
    let prom = &v["alertmanager"]["sources"]["prom"];
    assert_eq!(prom["token"].as_str(), Some("******"));
    assert_eq!(prom["process"].as_str(), Some("incident"));

    // A value the pack does not have is refused at startup, by name.
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        format!(
            "[alertmanager.sources.prom]\ntoken = \"file-token-0123456789abcdef\"\norg = \"{ROOT_ORG}\"\npack = \"jscz\"\nprocess = \"incident\"\nlevel_field = \"level\"\nlevels = {{ critical = \"9\" }}\n"
        ),
    )
    .unwrap();
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("没有取值「9」"), "{out}");
}

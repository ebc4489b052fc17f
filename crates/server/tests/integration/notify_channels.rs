//! Notification channels behind the outbox (issue 17 item 2, ADR 0022).
//! E-mail goes to a real SMTP server (Debian's aiosmtpd, STARTTLS and
//! AUTH required) that each test starts on 127.0.0.1; the two chat
//! services, which live outside the machine, go to an axum receiver here
//! that checks their documented request format and DingTalk's signature
//! independently. The dispatcher is driven turn by turn at explicit
//! times: no sleeps.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine as _;
use chrono::TimeZone as _;
use hmac::Mac as _;
use serde_json::{json, Value};
use yunwei_core::channels::{DingtalkConfig, EmailConfig, NotifyConfig, WecomConfig};
use yunwei_core::notify::Notice;
use yunwei_core::outbox::{dispatch_at, Dispatched};
use yunwei_testkit::TestApp;

use crate::support::{org_id, user_id, Browser};

const SMTP_USER: &str = "yunwei-mailer";
const SMTP_PASSWORD: &str = "Smtp-Pw-for-tests-1";
const PUBLIC_URL: &str = "https://yunwei.czj.nanjing.gov.cn";
const ROBOT_KEY: &str = "wecom-robot-key-4711";
const CORP_ID: &str = "ww-nanjing-czj";
const CORP_SECRET: &str = "wecom-corp-secret-0815";
const AGENT_ID: i64 = 1000002;
const DING_TOKEN: &str = "ding-access-token-42";
const DING_SECRET: &str = "SECding-signing-secret-2026";
/// How long a component may take to answer after it was started.
const READY_WITHIN: Duration = Duration::from_secs(30);
const MINUTE_US: i64 = 60_000_000;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// A running aiosmtpd (killed on drop) and the directory of what it got.
struct Smtp {
    child: Child,
    port: u16,
    inbox: PathBuf,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's interpreter, where python3-aiosmtpd is installed (another
/// `python3` first on PATH may lack it).
const PYTHON: &str = "/usr/bin/python3";

impl Smtp {
    /// A server on `port` with a certificate of a throwaway CA of its own.
    fn start(port: u16) -> Smtp {
        Smtp::start_in(
            port,
            tempfile::Builder::new()
                .prefix("yunwei-smtp-")
                .tempdir()
                .expect("temp dir"),
        )
    }

    /// A server on `port` whose CA and certificate are made in `dir`, or
    /// kept from an earlier server there.
    fn start_in(port: u16, dir: tempfile::TempDir) -> Smtp {
        assert!(
            Path::new(PYTHON).is_file(),
            "{PYTHON} is missing: install python3-aiosmtpd (scripts/install-integration-deps.sh)"
        );
        let probe = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .output()
            .expect("run python3");
        assert!(
            probe.status.success(),
            "aiosmtpd is missing: install the Debian package python3-aiosmtpd: {}",
            String::from_utf8_lossy(&probe.stderr)
        );
        // The files of `make_certs`, made once per directory.
        if !dir.path().join("ca.pem").is_file() {
            crate::audit_syslog::make_certs(dir.path(), "yunwei test CA");
        }
        let (ca, cert, key) = (
            dir.path().join("ca.pem"),
            dir.path().join("server.pem"),
            dir.path().join("server.key"),
        );
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox).expect("inbox dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/smtp_server.py");
        let child = Command::new(PYTHON)
            .arg(&script)
            .arg(port.to_string())
            .arg(&cert)
            .arg(&key)
            .args([SMTP_USER, SMTP_PASSWORD])
            .arg(&inbox)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut s = Smtp {
            child,
            port,
            inbox,
            ca,
            _dir: dir,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = s.child.try_wait().expect("poll the SMTP server") {
                let mut err = String::new();
                use std::io::Read as _;
                let _ = s
                    .child
                    .stderr
                    .take()
                    .map(|mut e| e.read_to_string(&mut err));
                panic!("the SMTP server exited ({status}): {err}");
            }
            assert!(
                started.elapsed() < READY_WITHIN,
                "the SMTP server did not listen on {port} within {READY_WITHIN:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    /// The messages received so far, oldest first, raw.
    fn received(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.inbox)
            .expect("read the inbox")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read(p).expect("read a message"))
            .collect()
    }
}

fn email_config(port: u16, ca: &Path, password: &str) -> EmailConfig {
    EmailConfig {
        host: "127.0.0.1".into(),
        port,
        security: "starttls".into(),
        username: Some(SMTP_USER.into()),
        password: Some(password.into()),
        from: "南京市财政局运维管理平台 <yunwei@czj.nanjing.gov.cn>".into(),
        ca_file: Some(ca.to_path_buf()),
    }
}

fn base_config() -> NotifyConfig {
    NotifyConfig {
        public_url: PUBLIC_URL.into(),
        max_attempts: 3,
        retry_base_seconds: 60,
        retry_max_seconds: 3600,
        timeout_seconds: 10,
        ..NotifyConfig::default()
    }
}

/// The app with the notice channels of `cfg`.
fn with_notify(mut app: TestApp, cfg: NotifyConfig) -> TestApp {
    cfg.validate().expect("valid [notify]");
    app.platform = app.platform.clone().with_notify(cfg);
    app.router = yunwei_web::router(app.platform.clone(), yunwei_web::WebOptions::default());
    app
}

/// `username` chooses, on their own settings page, `channels` for every
/// kind of notice, with these addresses.
async fn choose(app: &TestApp, username: &str, email: &str, wecom: &str, channels: &[&str]) {
    let b = Browser::login(app, username).await;
    let boxes: Vec<String> = channels.iter().map(|ch| format!("ch.all.{ch}")).collect();
    let mut refs = vec![
        ("email", email),
        ("wecom_id", wecom),
        ("mode.all", "custom"),
    ];
    refs.extend(boxes.iter().map(|k| (k.as_str(), "1")));
    let r = b.post("/notify/mine", &refs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("已保存"), "{}", r.text());
}

/// Sends one notice to `usernames` the way every feature does
/// (`kernel::notify::notify` in its own transaction).
async fn notice(app: &TestApp, usernames: &[&str], kind: &str, title: &str, at_us: i64) {
    let mut ids = vec![];
    for u in usernames {
        ids.push(user_id(app, u).await);
    }
    let mut c = app.platform.db().begin().await.unwrap();
    yunwei_core::notify::notify(
        &mut c,
        &ids,
        &Notice {
            user_id: "",
            ticket_id: None,
            kind,
            title,
            body: "南京市财政局预算管理一体化系统：数据库备份未按期完成，请处理。",
            at_us,
            link: Some("/controls"),
            due_at: None,
        },
    )
    .await
    .unwrap();
    c.commit().await.unwrap();
}

/// The outbox rows as (channel, status, attempts, next_at, last_error).
async fn outbox(app: &TestApp) -> Vec<(String, String, i64, i64, Option<String>)> {
    sqlx::query_as::<_, (String, String, i64, i64, Option<String>)>(
        "SELECT channel, status, attempts, next_at, last_error FROM notify_outbox ORDER BY created_at, channel",
    )
    .fetch_all(app.platform.db().pool())
    .await
    .unwrap()
}

async fn turn(app: &TestApp, at_us: i64) -> Dispatched {
    dispatch_at(&app.platform, at_us, 100).await.unwrap()
}

async fn audit_results(app: &TestApp, action: &str) -> Vec<(String, String)> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = yunwei_store::audit::AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &yunwei_store::Scope::system(), &f, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.result, r.after))
        .collect()
}

/// China time on `date` at `hh:mm`, in µs.
fn china(date: (i32, u32, u32), hh: u32, mm: u32) -> i64 {
    yunwei_domain::calendar::shanghai()
        .with_ymd_and_hms(date.0, date.1, date.2, hh, mm, 0)
        .single()
        .expect("a China time")
        .timestamp_micros()
}

#[tokio::test]
async fn email_over_starttls_reaches_a_real_smtp_server_with_a_chinese_subject_and_the_link() {
    let smtp = Smtp::start(free_port());
    let mut cfg = base_config();
    cfg.email = Some(email_config(smtp.port, &smtp.ca, SMTP_PASSWORD));
    let app = with_notify(TestApp::new().await, cfg);
    choose(
        &app,
        "demo_chief",
        "chief@czj.nanjing.gov.cn",
        "",
        &["email"],
    )
    .await;

    // A real event: the project lead routes a change to the hardware
    // section, and its chief is told (ADR 0012).
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let chief = app.login("demo_chief").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            json!({"pack": "jscz", "process": "change", "title": "更正南京市指标文号",
                "fields": {"system": "预算管理一体化系统", "description": "指标文号录入错误，需要后台更正 3 条记录",
                    "reason": "业务处室发文更正", "level": "major", "type": "data",
                    "planned_start": "2026-03-20T09:00:00+08:00"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let hw = org_id(&app, "硬件运维科").await;
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/reassign"),
            Some(&lead),
            json!({"team_id": hw, "assignee": null, "reason": "硬件运维科负责数据库后台"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The in-app inbox has it as before; the e-mail waits in the outbox.
    let inbox = app.get("/api/v1/notifications", Some(&chief)).await.json();
    let told = inbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["ticket_id"] == json!(id))
        .cloned()
        .expect("the chief is told in the app");
    let rows = outbox(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("email", "pending")
    );
    assert!(
        smtp.received().is_empty(),
        "nothing sent inside the transaction"
    );

    let done = turn(&app, app.platform.now_us()).await;
    assert_eq!(done.sent, 1, "{done:?} {:?}", outbox(&app).await);
    assert_eq!(outbox(&app).await[0].1, "sent");
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    let raw = &mails[0];
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    assert!(
        raw[..head_end].is_ascii(),
        "headers are encoded (RFC 2047), not raw UTF-8: {}",
        String::from_utf8_lossy(&raw[..head_end])
    );
    let mail = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a MIME message");
    assert_eq!(mail.subject(), told["title"].as_str());
    let from = mail.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.name(), Some("南京市财政局运维管理平台"));
    assert_eq!(from.address(), Some("yunwei@czj.nanjing.gov.cn"));
    assert_eq!(
        mail.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("chief@czj.nanjing.gov.cn")
    );
    let body = mail.body_text(0).expect("a text body");
    assert!(
        body.contains(told["body"].as_str().unwrap()),
        "{body}\n{told}"
    );
    assert!(
        body.contains(&format!("{PUBLIC_URL}/tickets/{id}")),
        "the absolute link to the ticket: {body}"
    );
    // Sent once: the next turn has nothing.
    assert_eq!(
        turn(&app, app.platform.now_us()).await,
        Dispatched::default()
    );
    assert_eq!(smtp.received().len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn email_waits_while_the_server_is_down_backs_off_and_is_dead_lettered_after_the_last_attempt(
) {
    let port = free_port();
    let certs_dir = tempfile::tempdir().unwrap();
    // The CA outlives the server's directory (removed with the server).
    let kept = tempfile::tempdir().unwrap();
    let ca = kept.path().join("ca.pem");
    std::fs::copy(
        crate::audit_syslog::make_certs(certs_dir.path(), "yunwei test CA").ca,
        &ca,
    )
    .unwrap();
    let mut cfg = base_config();
    cfg.email = Some(email_config(port, &ca, SMTP_PASSWORD));
    let app = with_notify(TestApp::new().await, cfg);
    choose(
        &app,
        "demo_hwops",
        "hwops@czj.nanjing.gov.cn",
        "",
        &["email"],
    )
    .await;
    let t0 = app.platform.now_us();
    notice(&app, &["demo_hwops"], "register_todo", "备份检查待办", t0).await;

    // Down: kept, retried after 60 s.
    let d = turn(&app, t0).await;
    assert_eq!(d.retried, 1, "{d:?}");
    let rows = outbox(&app).await;
    assert_eq!(rows[0].1, "pending");
    assert_eq!(rows[0].2, 1);
    assert_eq!(rows[0].3, t0 + MINUTE_US);
    assert!(
        rows[0].4.as_deref().unwrap().contains("无法连接邮件服务器"),
        "{rows:?}"
    );
    assert_eq!(turn(&app, t0 + 30_000_000).await, Dispatched::default());

    // Up again: delivered at the next turn that is due.
    let smtp = Smtp::start_in(port, certs_dir);
    let d = turn(&app, t0 + MINUTE_US).await;
    assert_eq!(d.sent, 1, "{d:?} {:?}", outbox(&app).await);
    let mail = mail_parser::MessageParser::default()
        .parse(&smtp.received()[0])
        .unwrap()
        .subject()
        .map(str::to_string);
    assert_eq!(mail.as_deref(), Some("备份检查待办"));
    drop(smtp);

    // Down for good: 60 s, then 120 s, then dead after the third attempt.
    let t1 = t0 + 10 * MINUTE_US;
    notice(&app, &["demo_hwops"], "register_todo", "机房巡检待办", t1).await;
    assert_eq!(turn(&app, t1).await.retried, 1);
    assert_eq!(turn(&app, t1 + MINUTE_US).await.retried, 1);
    let pending = outbox(&app).await;
    assert_eq!(pending[1].3, t1 + 3 * MINUTE_US, "doubled: {pending:?}");
    assert_eq!(turn(&app, t1 + 3 * MINUTE_US).await.dead, 1);
    let rows = outbox(&app).await;
    assert_eq!((rows[1].1.as_str(), rows[1].2), ("dead", 3), "{rows:?}");
    assert_eq!(
        turn(&app, t1 + 24 * 60 * MINUTE_US).await,
        Dispatched::default()
    );

    // The system administrator sees it, and only they; a retry queues it.
    let sys = app.login("sysadmin").await;
    let r = app.get("/api/v1/notify/dead-letters", Some(&sys)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let dead = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["title"], "机房巡检待办");
    assert_eq!(dead[0]["channel_label"], "电子邮件");
    assert!(dead[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("无法连接邮件服务器"));
    let sec = app.login("secadmin").await;
    let r = app.get("/api/v1/notify/dead-letters", Some(&sec)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let sys_b = Browser::login(&app, "sysadmin").await;
    let page = sys_b.get("/notify").await;
    assert!(page.text().contains("机房巡检待办"), "{}", page.text());
    assert!(page.text().contains("发送失败 <strong>1</strong>"));
    // The list as Excel, with a reason, audited.
    let r = sys_b.post("/notify/dead/export", &[("reason", "")]).await;
    assert!(
        r.text().contains("原因"),
        "a reason is required: {}",
        r.text()
    );
    let r = sys_b
        .post("/notify/dead/export", &[("reason", "月度通知渠道检查")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.to_vec())).unwrap();
    use calamine::Reader as _;
    let sheet = book.worksheet_range("发送失败的通知").unwrap();
    let cells: Vec<String> = sheet
        .rows()
        .nth(2)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(cells[0], "电子邮件");
    assert_eq!(cells[3], "机房巡检待办");
    assert!(cells[5].contains("无法连接邮件服务器"), "{cells:?}");
    assert_eq!(audit_results(&app, "notify.export").await.len(), 1);
    let dead_id = dead[0]["id"].as_str().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/notify/dead-letters/{dead_id}/retry"),
            Some(&sec),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/notify/dead-letters/{dead_id}/retry"),
            Some(&sys),
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(outbox(&app).await[1].1, "pending");
    assert_eq!(audit_results(&app, "notify.retry").await.len(), 1);
    let r = app
        .post_json(
            &format!("/api/v1/notify/dead-letters/{dead_id}/retry"),
            Some(&sys),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    app.cleanup().await;
}

/// What the chat receiver got, and what it found wrong.
#[derive(Default)]
struct Chat {
    robot: Vec<Value>,
    app_messages: Vec<Value>,
    token_fetches: usize,
    dingtalk: Vec<Value>,
    /// DingTalk answers this errcode instead of 0 while set.
    dingtalk_errcode: Option<i64>,
    problems: Vec<String>,
    /// The platform's clock, for DingTalk's timestamp window.
    now_ms: i64,
}

type Shared = Arc<Mutex<Chat>>;

fn answer(chat: &mut Chat, problem: Option<String>) -> Json<Value> {
    match problem {
        Some(p) => {
            chat.problems.push(p);
            Json(json!({"errcode": 40001, "errmsg": "invalid request"}))
        }
        None => Json(json!({"errcode": 0, "errmsg": "ok"})),
    }
}

/// `POST /cgi-bin/webhook/send?key=…` (WeCom group robot).
async fn wecom_robot(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut chat = s.lock().unwrap();
    let problem = if q.get("key").map(String::as_str) != Some(ROBOT_KEY) {
        Some(format!("robot key {q:?}"))
    } else if body["msgtype"] != "markdown" || !body["markdown"]["content"].is_string() {
        Some(format!("robot body {body}"))
    } else {
        chat.robot.push(body);
        None
    };
    answer(&mut chat, problem)
}

/// `GET /cgi-bin/gettoken?corpid=…&corpsecret=…` (WeCom application).
async fn wecom_token(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut chat = s.lock().unwrap();
    if q.get("corpid").map(String::as_str) != Some(CORP_ID)
        || q.get("corpsecret").map(String::as_str) != Some(CORP_SECRET)
    {
        chat.problems.push(format!("gettoken {q:?}"));
        return Json(json!({"errcode": 40013, "errmsg": "invalid corpid"}));
    }
    chat.token_fetches += 1;
    Json(json!({"errcode": 0, "errmsg": "ok", "access_token": "token-1", "expires_in": 7200}))
}

/// `POST /cgi-bin/message/send?access_token=…` (WeCom application).
async fn wecom_message(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut chat = s.lock().unwrap();
    let problem = if q.get("access_token").map(String::as_str) != Some("token-1") {
        Some(format!("message token {q:?}"))
    } else if body["agentid"] != json!(AGENT_ID)
        || body["msgtype"] != "text"
        || !body["touser"].is_string()
        || !body["text"]["content"].is_string()
    {
        Some(format!("message body {body}"))
    } else {
        chat.app_messages.push(body);
        None
    };
    answer(&mut chat, problem)
}

/// `POST /robot/send?access_token=…&timestamp=…&sign=…` (DingTalk robot
/// with 加签): the signature is Base64(HMAC-SHA256(secret,
/// "timestamp\nsecret")), computed here on its own, and the timestamp
/// must be within an hour of now.
async fn dingtalk(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut chat = s.lock().unwrap();
    let ts = q.get("timestamp").cloned().unwrap_or_default();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(DING_SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{DING_SECRET}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (t - chat.now_ms).abs() <= 3_600_000);
    let problem = if q.get("access_token").map(String::as_str) != Some(DING_TOKEN) {
        Some(format!("dingtalk token {q:?}"))
    } else if q.get("sign") != Some(&expected) || !fresh {
        Some(format!("dingtalk sign {q:?}, expected {expected}"))
    } else if body["msgtype"] != "markdown"
        || !body["markdown"]["title"].is_string()
        || !body["markdown"]["text"].is_string()
    {
        Some(format!("dingtalk body {body}"))
    } else {
        None
    };
    if problem.is_some() {
        return answer(&mut chat, problem);
    }
    if let Some(code) = chat.dingtalk_errcode {
        return Json(json!({"errcode": code, "errmsg": "robot 发送速度太快"}));
    }
    chat.dingtalk.push(body);
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// The receiver on 127.0.0.1 and its address.
async fn chat_receiver(now_ms: i64) -> (Shared, String) {
    let shared: Shared = Arc::new(Mutex::new(Chat {
        now_ms,
        ..Chat::default()
    }));
    let router = axum::Router::new()
        .route("/cgi-bin/webhook/send", axum::routing::post(wecom_robot))
        .route("/cgi-bin/gettoken", axum::routing::get(wecom_token))
        .route("/cgi-bin/message/send", axum::routing::post(wecom_message))
        .route("/robot/send", axum::routing::post(dingtalk))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (shared, format!("http://{addr}"))
}

fn chat_config(base: &str) -> NotifyConfig {
    let mut cfg = base_config();
    cfg.wecom = Some(WecomConfig {
        base_url: base.into(),
        robot_key: Some(ROBOT_KEY.into()),
        corp_id: Some(CORP_ID.into()),
        corp_secret: Some(CORP_SECRET.into()),
        agent_id: Some(AGENT_ID),
    });
    cfg.dingtalk = Some(DingtalkConfig {
        base_url: base.into(),
        access_token: DING_TOKEN.into(),
        secret: DING_SECRET.into(),
    });
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_and_dingtalk_messages_follow_the_documented_format_and_signature() {
    let app = TestApp::new().await;
    let (chat, base) = chat_receiver(app.platform.now_us() / 1000).await;
    let app = with_notify(app, chat_config(&base));
    let all = ["wecom_app", "wecom_robot", "dingtalk_robot"];
    choose(&app, "demo_chief", "", "zhoujian", &all).await;
    choose(&app, "demo_hwops", "", "lihua", &all).await;
    let now = app.platform.now_us();
    notice(
        &app,
        &["demo_chief", "demo_hwops"],
        "inspection",
        "3月机房巡检计划已发布",
        now,
    )
    .await;
    // One message per person on WeCom, one per group robot.
    let d = turn(&app, now).await;
    assert_eq!(d.sent, 4, "{d:?} {:?}", outbox(&app).await);
    {
        let c = chat.lock().unwrap();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.robot.len(), 1);
        assert_eq!(c.dingtalk.len(), 1);
        assert_eq!(c.token_fetches, 1, "the token is kept between messages");
        let mut to: Vec<&str> = c
            .app_messages
            .iter()
            .map(|m| m["touser"].as_str().unwrap())
            .collect();
        to.sort();
        assert_eq!(to, ["lihua", "zhoujian"]);
        let content = c.robot[0]["markdown"]["content"].as_str().unwrap();
        assert!(content.contains("3月机房巡检计划已发布"), "{content}");
        assert!(
            content.contains(&format!("{PUBLIC_URL}/controls")),
            "{content}"
        );
        let text = c.dingtalk[0]["markdown"]["text"].as_str().unwrap();
        assert!(text.contains("数据库备份未按期完成"), "{text}");
        assert_eq!(c.dingtalk[0]["markdown"]["title"], "3月机房巡检计划已发布");
    }

    // DingTalk refuses: the reason is kept in Chinese and the message
    // retried; the others are not sent again.
    chat.lock().unwrap().dingtalk_errcode = Some(130101);
    let later = now + 5 * MINUTE_US;
    chat.lock().unwrap().now_ms = later / 1000;
    notice(
        &app,
        &["demo_chief"],
        "inspection",
        "4月机房巡检计划已发布",
        later,
    )
    .await;
    let d = turn(&app, later).await;
    assert_eq!((d.sent, d.retried), (2, 1), "{d:?}");
    let rows = outbox(&app).await;
    let ding = rows
        .iter()
        .find(|r| r.0 == "dingtalk_robot" && r.1 == "pending")
        .expect("the refused DingTalk message waits");
    assert!(
        ding.4.as_deref().unwrap().contains("钉钉返回错误：130101"),
        "{ding:?}"
    );
    chat.lock().unwrap().dingtalk_errcode = None;
    chat.lock().unwrap().now_ms = (later + MINUTE_US) / 1000;
    assert_eq!(turn(&app, later + MINUTE_US).await.sent, 1);
    assert_eq!(chat.lock().unwrap().dingtalk.len(), 2);
    assert!(chat.lock().unwrap().problems.is_empty());
    app.cleanup().await;
}

#[tokio::test]
async fn preferences_of_the_user_and_the_organisation_choose_the_channels() {
    let (_chat, base) = chat_receiver(0).await;
    let app = with_notify(TestApp::new().await, chat_config(&base));
    // Nobody chose anything: the in-app inbox only.
    let now = app.platform.now_us();
    notice(&app, &["demo_chief"], "inspection", "巡检提醒一", now).await;
    assert!(outbox(&app).await.is_empty());

    // The centre's default, set by the system administrator, reaches its
    // people who chose nothing themselves.
    let sys = Browser::login(&app, "sysadmin").await;
    let centre = org_id(&app, "信息中心").await;
    let r = sys
        .post(
            "/notify/org-prefs",
            &[
                ("org_id", centre.as_str()),
                ("mode.inspection", "custom"),
                ("ch.inspection.wecom_robot", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("单位默认通知设置已保存"), "{}", r.text());
    assert_eq!(audit_results(&app, "notify.org_prefs").await.len(), 1);
    // Other administrators may not.
    let sec = Browser::login(&app, "secadmin").await;
    let r = sec
        .post(
            "/notify/org-prefs",
            &[("org_id", centre.as_str()), ("mode.inspection", "inherit")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    notice(&app, &["demo_chief"], "inspection", "巡检提醒二", now).await;
    let rows = outbox(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "wecom_robot");
    // Another kind has no default: nothing beyond the inbox.
    notice(&app, &["demo_chief"], "comment", "评论提醒", now).await;
    assert_eq!(outbox(&app).await.len(), 1);

    // The user's own choice wins over the default: 仅站内消息 (custom with
    // no channel) sends nothing out, for every kind.
    choose(&app, "demo_chief", "", "", &[]).await;
    notice(&app, &["demo_chief"], "inspection", "巡检提醒三", now + 1).await;
    assert_eq!(outbox(&app).await.len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn quiet_hours_and_the_holiday_calendar_hold_notices_that_are_not_urgent() {
    let (chat, base) = chat_receiver(0).await;
    let mut cfg = chat_config(&base);
    cfg.quiet_start = Some("20:00".into());
    cfg.quiet_end = Some("08:00".into());
    cfg.quiet_on_non_working_days = true;
    let app = with_notify(TestApp::new().await, cfg.clone());
    let cal = yunwei_core::calendar::load(&app.platform).await.unwrap();
    let at = |t: i64| chrono::DateTime::from_timestamp_micros(t).unwrap();
    let release = |t: i64| yunwei_core::outbox::release_at(&cal, &cfg, at(t));
    // A working day's evening waits for 08:00; 2026-05-09 is a Saturday,
    // but a make-up working day (调休上班) of 劳动节, so it is the next.
    assert_eq!(
        release(china((2026, 5, 8), 21, 0)),
        Some(china((2026, 5, 9), 8, 0))
    );
    // 劳动节 (2026-05-01 to 05-05) holds until the first working morning.
    assert_eq!(
        release(china((2026, 5, 1), 10, 0)),
        Some(china((2026, 5, 6), 8, 0))
    );
    // Working hours of a working day: no wait.
    assert_eq!(release(china((2026, 5, 6), 10, 0)), None);
    assert_eq!(release(china((2026, 5, 9), 9, 30)), None);

    // Through the dispatcher: a reminder at night is held, a timer breach
    // goes at once.
    choose(&app, "demo_chief", "", "", &["dingtalk_robot"]).await;
    let night = china((2026, 5, 8), 21, 0);
    chat.lock().unwrap().now_ms = night / 1000;
    notice(&app, &["demo_chief"], "inspection", "夜间巡检提醒", night).await;
    notice(&app, &["demo_chief"], "timer_breach", "工单已超时", night).await;
    let d = turn(&app, night).await;
    assert_eq!((d.sent, d.held), (1, 1), "{d:?}");
    let held = outbox(&app).await;
    let waiting = held.iter().find(|r| r.1 == "pending").expect("held");
    assert_eq!(waiting.3, china((2026, 5, 9), 8, 0));
    assert_eq!(waiting.2, 0, "holding is not an attempt");
    assert_eq!(
        turn(&app, china((2026, 5, 9), 7, 59)).await,
        Dispatched::default()
    );
    chat.lock().unwrap().now_ms = china((2026, 5, 9), 8, 0) / 1000;
    assert_eq!(turn(&app, china((2026, 5, 9), 8, 0)).await.sent, 1);
    {
        let c = chat.lock().unwrap();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.dingtalk[0]["markdown"]["title"], "工单已超时");
        assert_eq!(c.dingtalk[1]["markdown"]["title"], "夜间巡检提醒");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn the_outbox_row_is_written_in_the_transaction_of_its_cause() {
    let (_chat, base) = chat_receiver(0).await;
    let app = with_notify(TestApp::new().await, chat_config(&base));
    choose(&app, "demo_chief", "", "zhoujian", &["wecom_app"]).await;
    let chief = user_id(&app, "demo_chief").await;
    let n = Notice {
        user_id: "",
        ticket_id: None,
        kind: "inspection",
        title: "回滚的通知",
        body: "不应发出",
        at_us: app.platform.now_us(),
        link: None,
        due_at: None,
    };
    // The cause fails after the notice: neither the inbox entry nor the
    // outbox row outlives it.
    let mut c = app.platform.db().begin().await.unwrap();
    yunwei_core::notify::notify(&mut c, std::slice::from_ref(&chief), &n)
        .await
        .unwrap();
    drop(c);
    assert!(outbox(&app).await.is_empty());
    let in_app: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM notifications WHERE title = '回滚的通知' AND user_id = '{chief}'"
    ))
    .fetch_one(app.platform.db().pool())
    .await
    .unwrap();
    assert_eq!(in_app, 0);
    // Committed: both.
    let mut c = app.platform.db().begin().await.unwrap();
    yunwei_core::notify::notify(&mut c, std::slice::from_ref(&chief), &n)
        .await
        .unwrap();
    c.commit().await.unwrap();
    assert_eq!(outbox(&app).await.len(), 1);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_buttons_send_on_each_channel_and_fail_in_chinese() {
    let smtp = Smtp::start(free_port());
    let app = TestApp::new().await;
    let (chat, base) = chat_receiver(app.platform.now_us() / 1000).await;
    let mut cfg = chat_config(&base);
    cfg.email = Some(email_config(smtp.port, &smtp.ca, SMTP_PASSWORD));
    let app = with_notify(app, cfg.clone());
    choose(
        &app,
        "sysadmin",
        "sysadmin@czj.nanjing.gov.cn",
        "xitong",
        &[],
    )
    .await;
    let sys = Browser::login(&app, "sysadmin").await;
    let page = sys.get("/notify").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(
        page.text().matches("发送测试消息").count(),
        4,
        "{}",
        page.text()
    );
    for channel in ["email", "wecom_app", "wecom_robot", "dingtalk_robot"] {
        let r = sys.post("/notify/test", &[("channel", channel)]).await;
        assert!(
            r.text().contains("测试消息已发送"),
            "{channel}: {}",
            r.text()
        );
    }
    assert_eq!(smtp.received().len(), 1);
    {
        let c = chat.lock().unwrap();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(
            (c.robot.len(), c.app_messages.len(), c.dingtalk.len()),
            (1, 1, 1)
        );
        assert_eq!(c.app_messages[0]["touser"], "xitong");
    }
    chat.lock().unwrap().dingtalk_errcode = Some(310000);
    let r = sys
        .post("/notify/test", &[("channel", "dingtalk_robot")])
        .await;
    assert!(
        r.text()
            .contains("钉钉群机器人测试失败：钉钉返回错误：310000"),
        "{}",
        r.text()
    );
    // Only the system administrator.
    let sec = Browser::login(&app, "secadmin").await;
    let r = sec.post("/notify/test", &[("channel", "email")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // A wrong SMTP password, then no server at all.
    let mut wrong = cfg.clone();
    wrong.email = Some(email_config(smtp.port, &smtp.ca, "not-the-password"));
    let app = with_notify(app, wrong);
    let sys = Browser::login(&app, "sysadmin").await;
    let r = sys.post("/notify/test", &[("channel", "email")]).await;
    assert!(r.text().contains("邮件服务器拒绝登录"), "{}", r.text());
    // A certificate of a CA not configured: refused as untrusted.
    let other_ca = tempfile::tempdir().unwrap();
    let mut untrusted = cfg.clone();
    untrusted.email = Some(email_config(
        smtp.port,
        &crate::audit_syslog::make_certs(other_ca.path(), "another CA").ca,
        SMTP_PASSWORD,
    ));
    let app = with_notify(app, untrusted);
    let sys = Browser::login(&app, "sysadmin").await;
    let r = sys.post("/notify/test", &[("channel", "email")]).await;
    assert!(
        r.text().contains("无法与邮件服务器建立加密连接"),
        "{}",
        r.text()
    );
    let mut gone = cfg.clone();
    gone.email = Some(email_config(free_port(), &smtp.ca, SMTP_PASSWORD));
    let app = with_notify(app, gone);
    let sys = Browser::login(&app, "sysadmin").await;
    let r = sys.post("/notify/test", &[("channel", "email")]).await;
    assert!(r.text().contains("无法连接邮件服务器"), "{}", r.text());
    let tests = audit_results(&app, "notify.test").await;
    assert_eq!(
        tests.iter().filter(|(r, _)| r == "success").count(),
        4,
        "{tests:?}"
    );
    assert_eq!(
        tests.iter().filter(|(r, _)| r == "failure").count(),
        4,
        "{tests:?}"
    );
    app.cleanup().await;
}

/// Four dispatchers at once, as four `serve` nodes (truly parallel on
/// PostgreSQL in CI): every message is claimed by one of them and sent
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_dispatchers_send_each_message_exactly_once() {
    let app = TestApp::new().await;
    let (chat, base) = chat_receiver(app.platform.now_us() / 1000).await;
    let app = Arc::new(with_notify(app, chat_config(&base)));
    choose(&app, "demo_chief", "", "", &["wecom_robot"]).await;
    let now = app.platform.now_us();
    const MESSAGES: usize = 24;
    for i in 0..MESSAGES {
        notice(
            &app,
            &["demo_chief"],
            "inspection",
            &format!("第{i:02}号巡检提醒"),
            now + i as i64,
        )
        .await;
    }
    let mut nodes = Vec::new();
    for _ in 0..4 {
        let app = app.clone();
        nodes.push(tokio::spawn(async move {
            let mut sent = 0;
            // Each turn takes at most 5; a turn that finds nothing due ends
            // the node (what it claimed was finished in its turns).
            loop {
                let d = dispatch_at(&app.platform, now + 1_000_000, 5)
                    .await
                    .unwrap();
                if d.handled() == 0 {
                    break sent;
                }
                sent += d.sent;
            }
        }));
    }
    let mut total = 0;
    for n in nodes {
        total += n.await.expect("dispatcher task");
    }
    assert_eq!(total, MESSAGES);
    let rows = outbox(&app).await;
    assert!(rows.iter().all(|r| r.1 == "sent" && r.2 == 1), "{rows:?}");
    let mut titles: Vec<String> = {
        let c = chat.lock().unwrap();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        c.robot
            .iter()
            .map(|m| m["markdown"]["content"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles.len(), MESSAGES);
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), MESSAGES, "each message once");
    let app = Arc::into_inner(app).expect("nodes done");
    app.cleanup().await;
}

//! The `yunwei` binary: admin reset-password, config show, migrate, help,
//! and a real `serve` start-up, run as a child process against the test
//! database.

use std::fmt;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use yunwei_domain::crypto::verify_password;
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::{TestApp, TestDatabase, DEMO_PASSWORD};

/// Runs the binary in a temporary working directory (so `./data` and
/// `yunwei.toml` are its own) with no `YUNWEI_*` variables inherited.
pub struct Bin {
    pub dir: tempfile::TempDir,
}

impl Bin {
    pub fn new() -> Bin {
        Bin {
            dir: tempfile::Builder::new()
                .prefix("yunwei-cli-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_yunwei"));
        c.current_dir(self.dir.path())
            .args(args)
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("YUNWEI_") || k == "RUST_LOG" {
                c.env_remove(&key);
            }
        }
        c.env("YUNWEI_PASSWORD_ITERATIONS", "1000");
        c
    }

    /// The app's audit key in hex, for `YUNWEI_AUDIT_KEY`.
    pub fn audit_key(&self, app: &TestApp) -> String {
        hex::encode(&app.platform.keys.audit_mac)
    }

    /// `cmd` with both of the app's keys in the environment.
    pub fn cmd_with_keys(&self, app: &TestApp, args: &[&str]) -> Command {
        let mut c = self.cmd(args);
        c.env("YUNWEI_AUDIT_KEY", self.audit_key(app))
            .env("YUNWEI_FIELD_KEY", hex::encode(app.platform.keys.field));
        c
    }
}

pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs a command to completion.
pub async fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run yunwei binary");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn cli_admin_reset_password_sets_one_time_password_and_audits() {
    let app = TestApp::new().await;
    let bin = Bin::new();
    let out = run(&mut bin.cmd_with_keys(
        &app,
        &[
            "--database-url",
            &app.db_url,
            "admin",
            "reset-password",
            "demo_staff",
            "--reason",
            "测试",
        ],
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    let password = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("新密码："))
        .unwrap_or_else(|| panic!("no password printed: {out}"))
        .trim()
        .to_string();
    assert!(password.chars().count() >= 8, "{out}");
    assert!(out.stdout.contains("必须修改密码"), "{out}");

    let mut c = app.platform.db().read().await.expect("connection");
    let user = yunwei_store::users::by_username(&mut c, "demo_staff")
        .await
        .expect("query")
        .expect("demo_staff");
    assert!(user.must_change_password);
    assert!(verify_password(
        app.platform.crypto.as_ref(),
        &password,
        &user.password_hash
    ));
    assert!(!verify_password(
        app.platform.crypto.as_ref(),
        DEMO_PASSWORD,
        &user.password_hash
    ));

    let filter = AuditFilter {
        action: Some("user.password_reset".into()),
        ..Default::default()
    };
    let records = yunwei_store::audit::search(&mut c, &Scope::system(), &filter, 10)
        .await
        .expect("search");
    drop(c);
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r.object_id, user.id);
    assert_eq!(r.reason, "测试");
    assert_eq!(r.actor_name, "system");
    assert_eq!(r.result, "success");
    assert_eq!(r.org_path, user.org_path);
    assert_eq!(r.source_ip, "local");

    // The record was chained with the key from the environment.
    let report = yunwei_core::audit::verify(&app.platform, |_| {})
        .await
        .expect("verify");
    assert_eq!(report.fault, None);

    // The new password logs in and must be changed first.
    let login = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"username": "demo_staff", "password": password}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(
        login.json()["must_change_password"],
        serde_json::json!(true)
    );
}

#[tokio::test]
async fn cli_admin_reset_password_requires_reason_and_existing_user() {
    let app = TestApp::new().await;
    let bin = Bin::new();
    let no_reason = run(&mut bin.cmd_with_keys(
        &app,
        &[
            "--database-url",
            &app.db_url,
            "admin",
            "reset-password",
            "demo_staff",
        ],
    ))
    .await;
    assert_ne!(no_reason.code, Some(0), "{no_reason}");
    assert!(no_reason.stderr.contains("--reason"), "{no_reason}");

    let blank = run(&mut bin.cmd_with_keys(
        &app,
        &[
            "--database-url",
            &app.db_url,
            "admin",
            "reset-password",
            "demo_staff",
            "--reason",
            "  ",
        ],
    ))
    .await;
    assert_eq!(blank.code, Some(2), "{blank}");
    assert!(blank.stderr.contains("请填写操作原因"), "{blank}");

    let unknown = run(&mut bin.cmd_with_keys(
        &app,
        &[
            "--database-url",
            &app.db_url,
            "admin",
            "reset-password",
            "nobody",
            "--reason",
            "测试",
        ],
    ))
    .await;
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert!(unknown.stderr.contains("用户 nobody 不存在"), "{unknown}");

    // Nothing was reset, so nothing was audited.
    let mut c = app.platform.db().read().await.expect("connection");
    let filter = AuditFilter {
        action: Some("user.password_reset".into()),
        ..Default::default()
    };
    let records = yunwei_store::audit::search(&mut c, &Scope::system(), &filter, 10)
        .await
        .expect("search");
    assert!(records.is_empty(), "{records:?}");
}

#[tokio::test]
async fn cli_config_show_masks_secrets() {
    let bin = Bin::new();
    let audit_key = "5a".repeat(32);
    let out = run(bin
        .cmd(&[
            "--database-url",
            "postgres://u:secret@127.0.0.1/db",
            "config",
            "show",
        ])
        .env("YUNWEI_AUDIT_KEY", &audit_key)
        .env("YUNWEI_ADMIN_PASSWORD", "Adm1n#Secret!pw")
        .env("YUNWEI_METRICS_TOKEN", "Metr1cs-Scrape-Token-2026")
        .env("YUNWEI_METRICS_LISTEN", "127.0.0.1:9464"))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!out.stdout.contains("secret"), "{out}");
    assert!(!out.stdout.contains("Metr1cs-Scrape-Token-2026"), "{out}");
    assert!(!out.stdout.contains(&audit_key), "{out}");
    assert!(!out.stdout.contains("Adm1n#Secret!pw"), "{out}");
    assert!(
        out.stdout.contains("postgres://u:****@127.0.0.1/db"),
        "{out}"
    );
    assert!(
        out.stdout.contains("****（环境变量 YUNWEI_AUDIT_KEY）"),
        "{out}"
    );
    assert!(out.stdout.contains("keys/field.key"), "{out}");
    let parsed: toml::Value =
        toml::from_str(&out.stdout).unwrap_or_else(|e| panic!("not TOML: {e}\n{out}"));
    assert_eq!(parsed["listen"].as_str(), Some("127.0.0.1:8080"));
    assert_eq!(parsed["password_iterations"].as_integer(), Some(1000));
    assert_eq!(parsed["root_org_name"].as_str(), Some("省级财政部门"));
    assert_eq!(
        parsed["metrics"]["token"].as_str(),
        Some("******（环境变量 YUNWEI_METRICS_TOKEN）"),
        "{out}"
    );
    assert_eq!(parsed["metrics"]["listen"].as_str(), Some("127.0.0.1:9464"));
}

/// A metrics token too short to withstand guessing stops the start.
#[tokio::test]
async fn cli_metrics_token_must_be_long() {
    let bin = Bin::new();
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        "[metrics]\ntoken = \"short\"\n",
    )
    .expect("write yunwei.toml");
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("metrics.token"), "{out}");
    assert!(!out.stderr.contains("short\""), "{out}");
}

#[tokio::test]
async fn cli_settings_layer_file_env_and_flags() {
    let bin = Bin::new();
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        "listen = \"10.0.0.1:9000\"\nlog = \"debug\"\npassword_iterations = 2000\nroot_org_name = \"测试财政局\"\n\
         database_url = \"sqlite:///from-file.db\"\n",
    )
    .expect("write yunwei.toml");
    let out = run(bin
        .cmd(&[
            "--database-url",
            "postgres://flag@127.0.0.1/flagdb",
            "config",
            "show",
        ])
        .env("YUNWEI_LISTEN", "10.0.0.2:9001")
        .env("YUNWEI_DATABASE_URL", "postgres://env@127.0.0.1/envdb"))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    let v: toml::Value =
        toml::from_str(&out.stdout).unwrap_or_else(|e| panic!("not TOML: {e}\n{out}"));
    assert_eq!(
        v["listen"].as_str(),
        Some("10.0.0.2:9001"),
        "env beats file"
    );
    assert_eq!(v["log"].as_str(), Some("debug"), "file beats default");
    assert_eq!(
        v["password_iterations"].as_integer(),
        Some(1000),
        "env beats file"
    );
    assert_eq!(v["root_org_name"].as_str(), Some("测试财政局"));
    assert_eq!(
        v["database_url"].as_str(),
        Some("postgres://flag@127.0.0.1/flagdb"),
        "flag beats env and file"
    );

    std::fs::write(
        bin.dir.path().join("other.toml"),
        "listen = \"10.0.0.3:9002\"\n",
    )
    .expect("write other.toml");
    let out = run(&mut bin.cmd(&["--config", "other.toml", "config", "show"])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stdout.contains("10.0.0.3:9002"),
        "--config replaces yunwei.toml: {out}"
    );

    let missing = run(&mut bin.cmd(&["--config", "missing.toml", "config", "show"])).await;
    assert_eq!(missing.code, Some(2), "{missing}");
    assert!(missing.stderr.contains("配置文件不存在"), "{missing}");

    std::fs::write(bin.dir.path().join("typo.toml"), "lisen = \"x\"\n").expect("write typo.toml");
    let typo = run(&mut bin.cmd(&["--config", "typo.toml", "config", "show"])).await;
    assert_eq!(typo.code, Some(2), "unknown keys are rejected: {typo}");

    // An installation enables the policy packs it uses.
    std::fs::write(
        bin.dir.path().join("packs.toml"),
        "packs = [\"jscz\", \"ntcz\"]\n",
    )
    .expect("write packs.toml");
    let packs = run(&mut bin.cmd(&["--config", "packs.toml", "config", "show"])).await;
    assert_eq!(packs.code, Some(0), "{packs}");
    assert!(
        packs.stdout.contains("jscz") && packs.stdout.contains("ntcz"),
        "{packs}"
    );
    let unknown = run(bin
        .cmd(&["config", "show"])
        .env("YUNWEI_PACKS", "[\"nosuch\"]"))
    .await;
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert!(unknown.stderr.contains("未知的策略包"), "{unknown}");

    let weak = run(bin
        .cmd(&["config", "show"])
        .env("YUNWEI_PASSWORD_ITERATIONS", "10"))
    .await;
    assert_eq!(weak.code, Some(2), "{weak}");
    assert!(weak.stderr.contains("password_iterations"), "{weak}");

    // Audit forwarding to syslog (ADR 0023): a section of the file, each
    // key also from YUNWEI_AUDIT_SYSLOG_*; the client key only by its file.
    std::fs::write(
        bin.dir.path().join("syslog.toml"),
        "[audit_syslog]\nserver = \"10.0.0.5:6514\"\ntransport = \"tls\"\n\
         tls_ca_file = \"/etc/yunwei/syslog-ca.pem\"\n\
         tls_client_cert_file = \"/etc/yunwei/client.pem\"\n\
         tls_client_key_file = \"/etc/yunwei/client.key\"\n",
    )
    .expect("write syslog.toml");
    let syslog = run(bin
        .cmd(&["--config", "syslog.toml", "config", "show"])
        .env("YUNWEI_AUDIT_SYSLOG_SERVER", "10.0.0.6:6514")
        .env("YUNWEI_AUDIT_SYSLOG_FACILITY", "10"))
    .await;
    assert_eq!(syslog.code, Some(0), "{syslog}");
    let v: toml::Value =
        toml::from_str(&syslog.stdout).unwrap_or_else(|e| panic!("not TOML: {e}\n{syslog}"));
    let section = &v["audit_syslog"];
    assert_eq!(
        section["server"].as_str(),
        Some("10.0.0.6:6514"),
        "env beats file"
    );
    assert_eq!(section["transport"].as_str(), Some("tls"));
    assert_eq!(section["facility"].as_integer(), Some(10));
    assert_eq!(section["app_name"].as_str(), Some("yunwei"), "default");
    assert_eq!(
        section["tls_client_key_file"].as_str(),
        Some("/etc/yunwei/client.key"),
        "the key is named by its file, its content never read here"
    );
    let bad = run(bin
        .cmd(&["config", "show"])
        .env("YUNWEI_AUDIT_SYSLOG_SERVER", "10.0.0.6"))
    .await;
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(bad.stderr.contains("audit_syslog.server"), "{bad}");
    let no_ca = run(bin
        .cmd(&["config", "show"])
        .env("YUNWEI_AUDIT_SYSLOG_SERVER", "10.0.0.6:6514")
        .env("YUNWEI_AUDIT_SYSLOG_TRANSPORT", "tls"))
    .await;
    assert_eq!(no_ca.code, Some(2), "{no_ca}");
    assert!(no_ca.stderr.contains("tls_ca_file"), "{no_ca}");
}

#[test]
fn cli_mask_url_hides_passwords() {
    use yunwei::settings::mask_url;
    assert_eq!(
        mask_url("postgres://u:secret@127.0.0.1/db"),
        "postgres://u:****@127.0.0.1/db"
    );
    assert_eq!(
        mask_url("postgres://u:p@ss@h:5432/db?x=1"),
        "postgres://u:****@h:5432/db?x=1"
    );
    assert_eq!(
        mask_url("postgres://u@h/db?password=abc&sslmode=disable"),
        "postgres://u@h/db?password=****&sslmode=disable"
    );
    assert_eq!(
        mask_url("sqlite:///tmp/a.db?mode=rwc"),
        "sqlite:///tmp/a.db?mode=rwc"
    );
    assert_eq!(
        yunwei::settings::sqlite_url(std::path::Path::new("/tmp/a b/y.db")),
        "sqlite:///tmp/a%20b/y.db?mode=rwc"
    );
}

#[tokio::test]
async fn cli_help_is_chinese_and_exits_zero() {
    let bin = Bin::new();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["audit", "verify", "--help"],
        &["admin", "reset-password", "--help"],
    ] {
        let out = run(&mut bin.cmd(args)).await;
        assert_eq!(out.code, Some(0), "{args:?}: {out}");
        assert!(out.stdout.contains("用法："), "{args:?}: {out}");
    }
    let serve = run(&mut bin.cmd(&["serve", "--help"])).await;
    for flag in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--demo",
        "--config",
    ] {
        assert!(serve.stdout.contains(flag), "{flag}: {serve}");
    }
}

#[tokio::test]
async fn cli_migrate_applies_once() {
    let bin = Bin::new();
    let first = run(&mut bin.cmd(&["migrate"])).await;
    assert_eq!(first.code, Some(0), "{first}");
    let all = yunwei_store::migrate::count();
    assert!(
        first.stdout.contains(&format!("本次执行迁移 {all} 个")),
        "{first}"
    );
    assert!(bin.dir.path().join("data/yunwei.db").exists());
    let again = run(&mut bin.cmd(&["migrate"])).await;
    assert_eq!(again.code, Some(0), "{again}");
    assert!(again.stdout.contains("本次执行迁移 0 个"), "{again}");

    // The test database (SQLite or PostgreSQL) is already migrated.
    let app = TestApp::new().await;
    let out = run(&mut bin.cmd(&["--database-url", &app.db_url, "migrate"])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("本次执行迁移 0 个"), "{out}");
    assert!(
        out.stdout.contains(&format!("（{}）", app.backend_name())),
        "{out}"
    );
}

/// A running `yunwei serve`; killed if the test fails before stopping it.
pub struct Server {
    pub child: Child,
    banner: String,
    /// Lines of stdout after the banner, read by a background thread so a
    /// wedged server fails the test after a bounded wait instead of hanging.
    lines: std::sync::mpsc::Receiver<String>,
}

/// Longest wait for the server to start or stop.
const SERVER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

impl Server {
    /// Starts the server and reads its start-up banner (printed once the
    /// listener is bound).
    pub fn start(mut cmd: Command, stderr_file: &std::path::Path) -> Server {
        let stderr = std::fs::File::create(stderr_file).expect("stderr file");
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn yunwei serve");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = String::new();
        loop {
            match lines.recv_timeout(SERVER_DEADLINE) {
                Ok(line) => {
                    banner.push_str(&line);
                    banner.push('\n');
                    if line.starts_with("=====") && banner.contains("启动用时") {
                        break;
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait().expect("wait");
                    let err = std::fs::read_to_string(stderr_file).unwrap_or_default();
                    panic!(
                        "yunwei serve not ready ({e:?}, {status}):\n{banner}\n--- stderr\n{err}"
                    );
                }
            }
        }
        Server {
            child,
            banner,
            lines,
        }
    }

    /// The start-up banner.
    pub fn banner(&self) -> &str {
        &self.banner
    }

    pub fn addr(&self) -> String {
        let line = self
            .banner
            .lines()
            .find(|l| l.starts_with("登录地址："))
            .expect("login line");
        let url = line.trim_start_matches("登录地址：http://");
        url.split('/').next().expect("address").to_string()
    }

    /// SIGTERM, then waits (bounded) for a clean exit; returns the rest of stdout.
    pub fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        // stdout closes when the process exits.
        let mut rest = String::new();
        loop {
            match self.lines.recv_timeout(SERVER_DEADLINE) {
                Ok(line) => {
                    rest.push_str(&line);
                    rest.push('\n');
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(e) => panic!("yunwei serve did not stop after SIGTERM ({e:?}):\n{rest}"),
            }
        }
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "graceful shutdown exits 0: {exit}\n{rest}");
        rest
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A plain HTTP/1.1 exchange; returns (status line, body).
fn http(addr: &str, method: &str, path: &str, json: Option<&str>) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect to server");
    let body = json.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if json.is_some() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("send request");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read response");
    let status = resp.lines().next().unwrap_or_default().to_string();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn cli_serve_first_start_prints_accounts_and_keeps_keys_across_restarts() {
    let db = TestDatabase::new().await;
    let bin = Bin::new();
    let err = bin.dir.path().join("serve.err");
    let args = [
        "serve",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.url.as_str(),
    ];

    let server = Server::start(bin.cmd(&args), &err);
    let banner = server.banner.clone();
    for needle in [
        "登录地址：http://127.0.0.1:",
        "顶级机构：江苏省财政厅",
        "本次新生成",
        "sysadmin",
        "secadmin",
        "audadmin",
        "审计管理员",
        "首次登录后必须修改密码",
        "demo_staff",
        "孙晓梅",
        "南京市财政局",
        "演示账号密码",
        "启动用时",
    ] {
        assert!(banner.contains(needle), "banner lacks {needle}:\n{banner}");
    }
    let data = bin.dir.path().join("data");
    for key in ["audit.key", "field.key"] {
        let path = data.join("keys").join(key);
        let text = std::fs::read_to_string(&path).expect("key file");
        assert!(
            !banner.contains(text.trim()),
            "key {key} must never be printed"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{key}");
        }
    }

    let addr = server.addr();
    let (status, body) = http(&addr, "GET", "/healthz", None);
    assert!(status.contains(" 200 "), "{status} {body}");
    // The printed initial password of the built-in administrator works.
    let sys_password = banner
        .lines()
        .find(|l| l.trim_start().starts_with("sysadmin"))
        .and_then(|l| l.split("初始密码：").nth(1))
        .unwrap_or_else(|| panic!("no sysadmin password in banner:\n{banner}"))
        .trim()
        .to_string();
    let login = serde_json::json!({"username": "sysadmin", "password": sys_password}).to_string();
    let (status, body) = http(&addr, "POST", "/api/v1/auth/login", Some(&login));
    assert!(status.contains(" 200 "), "{status} {body}");
    assert!(body.contains("\"must_change_password\":true"), "{body}");
    let rest = server.stop();
    assert!(rest.contains("已停止"), "{rest}");

    // Second start: same keys, nothing created again.
    let server = Server::start(bin.cmd(&args[..]), &err);
    assert!(!server.banner.contains("本次新生成"), "{}", server.banner);
    assert!(
        !server.banner.contains("已创建内置管理员"),
        "{}",
        server.banner
    );
    assert!(
        server.banner.contains("演示数据已存在"),
        "{}",
        server.banner
    );
    server.stop();

    // The chain written by both runs verifies with the key files.
    let verify = run(&mut bin.cmd(&["audit", "verify", "--database-url", &db.url])).await;
    assert_eq!(verify.code, Some(0), "{verify}");
    assert!(verify.stdout.contains("审计链完整"), "{verify}");

    // Starting with another data directory (no keys) on a database that
    // already has an audit trail is refused instead of creating new keys.
    let other = run(&mut bin.cmd(&[
        "serve",
        "--data-dir",
        "other",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &db.url,
    ]))
    .await;
    assert_eq!(other.code, Some(2), "{other}");
    assert!(other.stderr.contains("必须使用原有密钥"), "{other}");
    assert!(!bin.dir.path().join("other/keys/audit.key").exists());
}

#[tokio::test]
async fn cli_config_show_masks_the_ldap_password_and_refuses_plain_ldap() {
    let bin = Bin::new();
    let toml = "[ldap]\nurl = \"ldaps://127.0.0.1:636\"\nbind_dn = \"cn=svc,dc=example\"\n\
                bind_password = \"File-Ldap-Secret-1\"\nbase_dn = \"dc=example\"\n\
                [[ldap.role_map]]\ngroup = \"cn=ops,dc=example\"\norg = \"南京市财政局\"\nrole = \"hardware_ops\"\n";
    std::fs::write(bin.dir.path().join("yunwei.toml"), toml).expect("write yunwei.toml");
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!out.stdout.contains("File-Ldap-Secret-1"), "{out}");
    let v: toml::Value =
        toml::from_str(&out.stdout).unwrap_or_else(|e| panic!("not TOML: {e}\n{out}"));
    assert_eq!(v["ldap"]["bind_password"].as_str(), Some("******"));
    assert_eq!(v["ldap"]["url"].as_str(), Some("ldaps://127.0.0.1:636"));
    assert_eq!(
        v["ldap"]["role_map"][0]["role"].as_str(),
        Some("hardware_ops")
    );
    // The secret from the environment overrides the file and is named.
    let out = run(bin
        .cmd(&["config", "show"])
        .env("YUNWEI_LDAP_BIND_PASSWORD", "Env-Ldap-Secret-2"))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(!out.stdout.contains("Env-Ldap-Secret-2"), "{out}");
    assert!(
        out.stdout
            .contains("******（环境变量 YUNWEI_LDAP_BIND_PASSWORD）"),
        "{out}"
    );

    // ldap:// without StartTLS needs the explicit flag; a 三员 role is
    // never mapped from a group.
    let plain = toml.replace("ldaps://127.0.0.1:636", "ldap://127.0.0.1:389");
    std::fs::write(bin.dir.path().join("yunwei.toml"), &plain).expect("write yunwei.toml");
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("allow_plain"), "{out}");
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        plain.replace("[[ldap.role_map]]", "allow_plain = true\n[[ldap.role_map]]"),
    )
    .expect("write yunwei.toml");
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_eq!(out.code, Some(0), "{out}");
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        toml.replace("hardware_ops", "sec_admin"),
    )
    .expect("write yunwei.toml");
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("三员"), "{out}");
}

#[tokio::test]
async fn cli_config_show_masks_the_notice_channels_secrets() {
    let bin = Bin::new();
    let toml = "[notify]\npublic_url = \"https://yunwei.czj.nanjing.gov.cn\"\n\
                quiet_start = \"20:00\"\nquiet_end = \"08:00\"\n\
                [notify.email]\nhost = \"smtp.nanjing.gov.cn\"\nusername = \"yunwei\"\n\
                password = \"File-Smtp-Secret-1\"\nfrom = \"运维管理平台 <yunwei@czj.nanjing.gov.cn>\"\n\
                [notify.wecom]\nrobot_key = \"File-Robot-Key-2\"\n";
    std::fs::write(bin.dir.path().join("yunwei.toml"), toml).expect("write yunwei.toml");
    let mut show = bin.cmd(&["config", "show"]);
    show.env("YUNWEI_NOTIFY_DINGTALK_ACCESS_TOKEN", "Env-Ding-Token-3")
        .env("YUNWEI_NOTIFY_DINGTALK_SECRET", "Env-Ding-Secret-4");
    let out = run(&mut show).await;
    assert_eq!(out.code, Some(0), "{out}");
    for secret in [
        "File-Smtp-Secret-1",
        "File-Robot-Key-2",
        "Env-Ding-Token-3",
        "Env-Ding-Secret-4",
    ] {
        assert!(!out.stdout.contains(secret), "{secret} shown: {out}");
    }
    let v: toml::Value =
        toml::from_str(&out.stdout).unwrap_or_else(|e| panic!("not TOML: {e}\n{out}"));
    let n = &v["notify"];
    assert_eq!(n["email"]["password"].as_str(), Some("******"));
    assert_eq!(n["email"]["host"].as_str(), Some("smtp.nanjing.gov.cn"));
    assert_eq!(n["email"]["security"].as_str(), Some("starttls"));
    assert_eq!(n["wecom"]["robot_key"].as_str(), Some("******"));
    assert_eq!(n["dingtalk"]["access_token"].as_str(), Some("******"));
    assert_eq!(n["dingtalk"]["secret"].as_str(), Some("******"));
    assert_eq!(n["quiet_start"].as_str(), Some("20:00"));

    // Plain SMTP must be said explicitly; a wrong value is refused.
    std::fs::write(
        bin.dir.path().join("yunwei.toml"),
        toml.replace(
            "username = \"yunwei\"",
            "security = \"none\"\nusername = \"yunwei\"",
        ),
    )
    .expect("write yunwei.toml");
    let out = run(&mut bin.cmd(&["config", "show"])).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("notify.email.security"), "{out}");
}

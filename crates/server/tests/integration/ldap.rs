//! Directory login (issue 17 item 1, ADR 0021) against a real OpenLDAP
//! `slapd` that each test starts on 127.0.0.1 with a temporary directory,
//! a free port and Chinese names, and kills at the end. A missing `slapd`
//! fails the test; it never skips.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine as _;
use yunwei_domain::directory::{DirectoryConfig, RoleMapping};
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::Browser;

const BASE: &str = "dc=nanjing,dc=gov,dc=cn";
const ROOT_DN: &str = "cn=admin,dc=nanjing,dc=gov,dc=cn";
const ROOT_PW: &str = "Root-pw-for-tests-1";
const SVC_DN: &str = "cn=yunwei-svc,ou=system,dc=nanjing,dc=gov,dc=cn";
const SVC_PW: &str = "Svc-pw-for-tests-1";
/// The directory passwords of the people below.
const ZHANG_PW: &str = "Zhang-Dir-Pw-2026";
const LI_PW: &str = "Li-Dir-Pw-2026";
const WANG_PW: &str = "Wang-Dir-Pw-2026";
const OPS_GROUP: &str = "cn=ops,ou=groups,dc=nanjing,dc=gov,dc=cn";
const STAFF_GROUP: &str = "cn=staff,ou=groups,dc=nanjing,dc=gov,dc=cn";
const ADMINS_GROUP: &str = "cn=admins,ou=groups,dc=nanjing,dc=gov,dc=cn";
/// How long slapd may take to answer after it was started.
const READY_WITHIN: Duration = Duration::from_secs(30);

fn require(bin: &str) -> PathBuf {
    let p = PathBuf::from(bin);
    assert!(
        p.is_file(),
        "{bin} is missing: install the Debian packages slapd, ldap-utils and openssl (.ci/run does)"
    );
    p
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// One LDIF line, base64 when the value is not plain ASCII (RFC 2849).
fn attr(name: &str, value: &str) -> String {
    if value.is_ascii() {
        format!("{name}: {value}\n")
    } else {
        format!(
            "{name}:: {}\n",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

fn person(uid: &str, cn: &str, ou: &str, phone: &str, password: &str, extra: &str) -> String {
    let mut s = format!("dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\n");
    s += &attr("uid", uid);
    s += &attr("cn", cn);
    s += &attr("sn", &cn.chars().take(1).collect::<String>());
    s += &attr("displayName", cn);
    s += &attr("ou", ou);
    s += &attr("telephoneNumber", phone);
    s += &attr("userPassword", password);
    s += extra;
    s + "\n"
}

fn group(cn: &str, members: &[&str]) -> String {
    let mut s = format!("dn: cn={cn},ou=groups,{BASE}\nobjectClass: groupOfNames\ncn: {cn}\n");
    for m in members {
        s += &format!("member: uid={m},ou=people,{BASE}\n");
    }
    s + "\n"
}

/// The directory of 南京市财政局: 张伟 (two groups), 李娜 (disabled in the
/// directory), 王芳, a `sysadmin` entry that must never log in the local
/// 系统管理员, and the service account.
fn directory_ldif() -> String {
    let mut s = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: nanjing\n{}\n",
        attr("o", "南京市财政局")
    );
    for ou in ["people", "groups", "system"] {
        s += &format!("dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n");
    }
    s += &format!(
        "dn: {SVC_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: yunwei-svc\nuserPassword: {SVC_PW}\n\n"
    );
    s += &person(
        "zhangwei",
        "张伟",
        "南京市财政局",
        "13812345678",
        ZHANG_PW,
        "",
    );
    s += &person(
        "lina",
        "李娜",
        "南京市财政局",
        "13900001111",
        LI_PW,
        "employeeType: disabled\n",
    );
    s += &person(
        "wangfang",
        "王芳",
        "南京市财政局",
        "025-84001234",
        WANG_PW,
        "",
    );
    s += &person(
        "sysadmin",
        "冒名系统管理员",
        "南京市财政局",
        "13700000000",
        ZHANG_PW,
        "",
    );
    s += &group("ops", &["zhangwei", "wangfang"]);
    s += &group("staff", &["zhangwei", "wangfang"]);
    s += &group("admins", &["sysadmin", "zhangwei"]);
    s
}

/// A running `slapd` (killed on drop).
pub struct Slapd {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    /// The LDAPS port, with TLS.
    pub tls_port: Option<u16>,
    pub ca: Option<PathBuf>,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Slapd {
    pub fn start(tls: bool) -> Slapd {
        let slapd = require("/usr/sbin/slapd");
        let slapadd = require("/usr/sbin/slapadd");
        require("/usr/bin/ldapwhoami");
        let dir = tempfile::Builder::new()
            .prefix("yunwei-slapd-")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        std::fs::create_dir(d.join("db")).expect("db dir");
        let certs = tls.then(|| crate::audit_syslog::make_certs(d, "yunwei test CA"));
        let mut conf = String::new();
        for schema in ["core", "cosine", "inetorgperson", "nis"] {
            conf += &format!("include /etc/ldap/schema/{schema}.schema\n");
        }
        conf += &format!(
            "pidfile {0}/slapd.pid\nargsfile {0}/slapd.args\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n",
            d.display()
        );
        if let Some(c) = &certs {
            conf += &format!(
                "TLSCACertificateFile {}\nTLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
                c.ca.display(),
                c.cert.display(),
                c.key.display()
            );
        }
        conf += &format!(
            "database mdb\nmaxsize 16777216\nsuffix \"{BASE}\"\nrootdn \"{ROOT_DN}\"\nrootpw {ROOT_PW}\ndirectory {}/db\n\
             access to attrs=userPassword by anonymous auth by * none\n\
             access to * by users read by * none\n",
            d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).expect("write slapd.conf");
        std::fs::write(d.join("data.ldif"), directory_ldif()).expect("write LDIF");
        let out = Command::new(slapadd)
            .args(["-f", "slapd.conf", "-l", "data.ldif"])
            .current_dir(d)
            .output()
            .expect("run slapadd");
        assert!(
            out.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let tls_port = tls.then(free_port);
        let mut urls = format!("ldap://127.0.0.1:{port}/");
        if let Some(p) = tls_port {
            urls += &format!(" ldaps://127.0.0.1:{p}/");
        }
        let child = Command::new(slapd)
            .args(["-f", "slapd.conf", "-h", &urls, "-d", "0"])
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        let s = Slapd {
            child,
            port,
            tls_port,
            ca: certs.map(|c| c.ca),
            dir,
        };
        s.wait_ready();
        s
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// Polls a bind of the service account until it succeeds, within
    /// [`READY_WITHIN`].
    fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            let ok = Command::new("/usr/bin/ldapwhoami")
                .args(["-x", "-H", &self.url(), "-D", SVC_DN, "-w", SVC_PW])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            assert!(
                started.elapsed() < READY_WITHIN,
                "slapd did not accept a bind on {} within {READY_WITHIN:?} (dir {})",
                self.url(),
                self.dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Changes the directory as its administrator (`ldapmodify`).
    pub fn modify(&self, ldif: &str) {
        use std::io::Write as _;
        let mut child = Command::new(require("/usr/bin/ldapmodify"))
            .args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PW])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ldapmodify");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(ldif.as_bytes())
            .expect("write LDIF");
        let out = child.wait_with_output().expect("ldapmodify");
        assert!(
            out.status.success(),
            "ldapmodify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The configuration of the tests: 张伟's groups map to roles in 南京市财政局.
fn config(url: &str) -> DirectoryConfig {
    let toml = format!(
        r#"
url = "{url}"
allow_plain = true
bind_dn = "{SVC_DN}"
bind_password = "{SVC_PW}"
base_dn = "ou=people,{BASE}"
group_base_dn = "ou=groups,{BASE}"
disabled_filter = "(employeeType=disabled)"
timeout_seconds = 5

[[role_map]]
group = "{OPS_GROUP}"
org = "南京市财政局"
role = "hardware_ops"

[[role_map]]
group = "{STAFF_GROUP}"
org = "南京市财政局"
role = "business_staff"
"#
    );
    let c: DirectoryConfig = toml::from_str(&toml).expect("directory config");
    c.validate().expect("valid directory config");
    c
}

/// The app with directory login through `cfg`.
fn with_directory(mut app: TestApp, cfg: DirectoryConfig) -> TestApp {
    app.platform = app.platform.clone().with_directory(Some(cfg));
    app.router = yunwei_web::router(app.platform.clone(), yunwei_web::WebOptions::default());
    app
}

async fn login(app: &TestApp, username: &str, password: &str) -> TestResponse {
    app.post_json(
        "/api/v1/auth/login",
        None,
        serde_json::json!({ "username": username, "password": password }),
    )
    .await
}

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

async fn account(app: &TestApp, username: &str) -> Option<yunwei_store::users::UserRow> {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::users::by_username(&mut c, username)
        .await
        .unwrap()
}

/// The roles of `username`, as `role@organisation`.
async fn roles(app: &TestApp, username: &str) -> Vec<String> {
    let user = account(app, username).await.expect("account");
    let mut c = app.platform.db().read().await.unwrap();
    let mut out = vec![];
    for g in yunwei_store::users::grants_of(&mut c, &user.id)
        .await
        .unwrap()
    {
        let org = yunwei_store::orgs::get(&mut c, &g.scope_org_id)
            .await
            .unwrap()
            .unwrap();
        out.push(format!("{}@{}", g.role, org.name));
    }
    out.sort();
    out
}

async fn audit(app: &TestApp, action: &str) -> Vec<yunwei_domain::audit::AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = yunwei_store::audit::AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &yunwei_store::Scope::system(), &f, 100)
        .await
        .unwrap()
}

#[tokio::test]
async fn directory_user_logs_in_with_mapped_roles_and_a_disabled_one_cannot() {
    let slapd = Slapd::start(false);
    let app = with_directory(TestApp::new().await, config(&slapd.url()));

    // A wrong directory password is a failed login, counted and audited.
    let r = login(&app, "zhangwei", "not-the-password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert_eq!(code(&r), "auth.invalid");
    let user = account(&app, "zhangwei")
        .await
        .expect("account made at the first attempt");
    assert_eq!(user.failed_attempts, 1);
    assert!(
        roles(&app, "zhangwei").await.is_empty(),
        "no role before a right password"
    );

    // The right one: the account is in step with the directory.
    let r = login(&app, "ZhangWei", ZHANG_PW).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["must_change_password"], serde_json::json!(false));
    let token = r.json()["token"].as_str().unwrap().to_string();
    let user = account(&app, "zhangwei").await.unwrap();
    assert_eq!(user.display_name, "张伟");
    assert_eq!(user.failed_attempts, 0);
    let mut c = app.platform.db().read().await.unwrap();
    let org = yunwei_store::orgs::get(&mut c, &user.org_id)
        .await
        .unwrap()
        .unwrap();
    drop(c);
    assert_eq!(org.name, "南京市财政局");
    let phone = yunwei_domain::crypto::decrypt_field(
        app.platform.crypto.as_ref(),
        &app.platform.keys.field,
        user.phone_enc.as_deref().expect("phone stored encrypted"),
    )
    .unwrap();
    assert_eq!(phone, "13812345678");
    assert!(!user.phone_enc.as_deref().unwrap().contains("13812345678"));
    assert_eq!(
        roles(&app, "zhangwei").await,
        ["business_staff@南京市财政局", "hardware_ops@南京市财政局"]
    );
    // The session works and carries the mapped roles.
    let me = app.get("/api/v1/tickets", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());

    // The audit trail: the account made, the roles given, the login.
    let created = audit(&app, "directory.account_create").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert!(created[0].after.contains("张伟"), "{:?}", created[0]);
    let synced = audit(&app, "directory.sync").await;
    assert!(
        synced
            .iter()
            .any(|r| r.after.contains("授予") && r.after.contains(OPS_GROUP)),
        "{synced:?}"
    );
    let logins = audit(&app, "auth.login").await;
    assert!(
        logins
            .iter()
            .any(|r| r.actor_name == "zhangwei" && r.result == "success"),
        "{logins:?}"
    );
    assert!(
        logins
            .iter()
            .any(|r| r.actor_name == "zhangwei" && r.result == "failure"),
        "{logins:?}"
    );

    // No local password: it cannot be changed here.
    let r = app
        .post_json(
            "/api/v1/auth/password",
            Some(&token),
            serde_json::json!({
                "current_password": ZHANG_PW,
                "new_password": "Another-Pw-2026!x",
                "confirm_password": "Another-Pw-2026!x",
            }),
        )
        .await;
    assert_eq!(code(&r), "password.directory_account", "{}", r.text());

    // A second factor applies as to a local account: once 张伟 enrols a
    // TOTP, the directory password alone is not enough.
    let r = app
        .post_json("/api/v1/me/totp", Some(&token), serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let secret = r.json()["secret"].as_str().unwrap().to_string();
    let code_now =
        || yunwei_core::mfa::code_at(&secret, app.platform.clock.now().timestamp() as u64).unwrap();
    let r = app
        .post_json(
            "/api/v1/me/totp/confirm",
            Some(&token),
            serde_json::json!({ "code": code_now() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = login(&app, "zhangwei", ZHANG_PW).await;
    assert_eq!(code(&r), "auth.totp_required", "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({ "username": "zhangwei", "password": ZHANG_PW, "totp_code": code_now() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Disabled in the directory: refused, audited, no account made.
    let r = login(&app, "lina", LI_PW).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(code(&r), "auth.disabled");
    assert!(account(&app, "lina").await.is_none());
    let logins = audit(&app, "auth.login").await;
    assert!(
        logins.iter().any(|r| r.actor_name == "lina"
            && r.result == "denied"
            && r.after.contains("目录账号已停用")),
        "{logins:?}"
    );

    // The directory changes: a membership removed takes its role away at
    // the next login (audited), the name follows the directory.
    slapd.modify(&format!(
        "dn: {OPS_GROUP}\nchangetype: modify\ndelete: member\nmember: uid=zhangwei,ou=people,{BASE}\n\n\
         dn: uid=zhangwei,ou=people,{BASE}\nchangetype: modify\nreplace: displayName\n{}",
        attr("displayName", "张伟（预算处）")
    ));
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({ "username": "zhangwei", "password": ZHANG_PW, "totp_code": code_now() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        roles(&app, "zhangwei").await,
        ["business_staff@南京市财政局"]
    );
    assert_eq!(
        account(&app, "zhangwei").await.unwrap().display_name,
        "张伟（预算处）"
    );
    let synced = audit(&app, "directory.sync").await;
    assert!(
        synced
            .iter()
            .any(|r| r.after.contains("收回") && r.after.contains(OPS_GROUP)),
        "{synced:?}"
    );

    // Disabled later in the directory: the existing account is refused.
    slapd.modify(&format!(
        "dn: uid=zhangwei,ou=people,{BASE}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n"
    ));
    let r = login(&app, "zhangwei", ZHANG_PW).await;
    assert_eq!(code(&r), "auth.disabled", "{}", r.text());

    // The local 系统管理员 never authenticates against the directory, even
    // where the directory has an entry of that name.
    let r = login(&app, "sysadmin", ZHANG_PW).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert_eq!(account(&app, "sysadmin").await.unwrap().failed_attempts, 1);
    app.login("sysadmin").await;

    // An unknown name is refused like a wrong password.
    let r = login(&app, "nobody", "whatever-pw").await;
    assert_eq!(code(&r), "auth.invalid");
    assert!(account(&app, "nobody").await.is_none());
    app.cleanup().await;
}

#[tokio::test]
async fn directory_login_locks_out_like_a_local_one() {
    let slapd = Slapd::start(false);
    let app = with_directory(TestApp::new().await, config(&slapd.url()));
    // However many the policy allows, the lock comes.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let r = login(&app, "wangfang", "wrong-password-1").await;
        if code(&r) == "auth.locked" {
            break;
        }
        assert_eq!(code(&r), "auth.invalid", "{}", r.text());
        assert!(attempts < 20, "never locked");
    }
    // Locked: even the right password is refused, without asking the
    // directory's password.
    let r = login(&app, "wangfang", WANG_PW).await;
    assert_eq!(code(&r), "auth.locked", "{}", r.text());
    assert!(!audit(&app, "auth.lockout").await.is_empty());
    // The directory going away: a clear error, not a wrong password.
    drop(slapd);
    let r = login(&app, "zhangwei", ZHANG_PW).await;
    assert_eq!(code(&r), "auth.directory_unavailable", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("目录服务"));
    app.cleanup().await;
}

#[tokio::test]
async fn directory_login_over_starttls_and_ldaps_trusts_only_the_configured_ca() {
    let slapd = Slapd::start(true);
    let ca = slapd.ca.clone().expect("CA");
    let mut starttls = config(&slapd.url());
    starttls.allow_plain = false;
    starttls.starttls = true;
    starttls.ca_file = Some(ca.clone());
    starttls.validate().expect("valid");
    let app = with_directory(TestApp::new().await, starttls.clone());
    let r = login(&app, "zhangwei", ZHANG_PW).await;
    assert_eq!(r.status, StatusCode::OK, "StartTLS: {}", r.text());
    assert_eq!(
        account(&app, "zhangwei").await.unwrap().display_name,
        "张伟"
    );

    let mut ldaps = starttls.clone();
    ldaps.starttls = false;
    ldaps.url = format!("ldaps://127.0.0.1:{}", slapd.tls_port.unwrap());
    ldaps.validate().expect("valid");
    let entry = yunwei_core::directory::find_user(&ldaps, "wangfang")
        .await
        .expect("LDAPS with the CA")
        .expect("wangfang");
    assert_eq!(entry.display_name, "王芳");
    assert!(
        yunwei_core::directory::check_password(&ldaps, &entry.dn, WANG_PW)
            .await
            .unwrap()
    );
    assert!(
        !yunwei_core::directory::check_password(&ldaps, &entry.dn, "nope")
            .await
            .unwrap()
    );

    // Not the configured CA (the system's roots): refused as untrusted.
    for mut untrusted in [ldaps, starttls] {
        untrusted.ca_file = None;
        let err = yunwei_core::directory::find_user(&untrusted, "wangfang")
            .await
            .expect_err("a certificate of an unknown CA");
        assert!(
            matches!(err, yunwei_core::directory::DirectoryError::Tls(_)),
            "{err:?}"
        );
        assert!(err.message().contains("加密连接"), "{}", err.message());
    }
    app.cleanup().await;
}

#[tokio::test]
async fn directory_test_button_for_the_system_administrator() {
    let slapd = Slapd::start(false);
    let app = with_directory(TestApp::new().await, config(&slapd.url()));
    let sys = Browser::login(&app, "sysadmin").await;
    let page = sys.get("/config").await;
    assert!(page.text().contains("/config/directory"), "{}", page.text());
    let page = sys.get("/config/directory").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("测试LDAP连接"), "{html}");
    assert!(html.contains("******"), "{html}");
    assert!(!html.contains(SVC_PW), "the password is never shown");

    let r = sys.post("/config/directory", &[]).await;
    assert!(r.text().contains("服务账号绑定成功"), "{}", r.text());
    let r = sys
        .post("/config/directory", &[("username", "zhangwei")])
        .await;
    let html = r.text();
    assert!(
        html.contains("已找到用户") && html.contains("张伟"),
        "{html}"
    );
    assert!(html.contains("硬件运维人员"), "{html}");
    assert!(
        account(&app, "zhangwei").await.is_none(),
        "a test creates no account"
    );
    let r = sys.post("/config/directory", &[("username", "lina")]).await;
    assert!(r.text().contains("已停用"), "{}", r.text());
    assert!(!audit(&app, "directory.test").await.is_empty());

    // Other administrators may not.
    let sec = Browser::login(&app, "secadmin").await;
    let r = sec.get("/config/directory").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // A wrong service password and a directory that is not there: clear
    // Chinese errors.
    let mut wrong = config(&slapd.url());
    wrong.bind_password = "not-the-service-password".into();
    let app = with_directory(app, wrong);
    let sys = Browser::login(&app, "sysadmin").await;
    let r = sys.post("/config/directory", &[]).await;
    assert!(r.text().contains("服务账号绑定失败"), "{}", r.text());
    let app = with_directory(app, config(&format!("ldap://127.0.0.1:{}", free_port())));
    let sys = Browser::login(&app, "sysadmin").await;
    let r = sys.post("/config/directory", &[]).await;
    assert!(r.text().contains("无法连接目录服务器"), "{}", r.text());
    let failures = audit(&app, "directory.test").await;
    assert!(
        failures.iter().any(|r| r.result == "failure"),
        "{failures:?}"
    );
    app.cleanup().await;
}

#[test]
fn directory_configuration_refuses_plain_and_admin_roles() {
    let mut c = config("ldap://127.0.0.1:389");
    c.allow_plain = false;
    let e = c.validate().unwrap_err();
    assert!(e.contains("allow_plain"), "{e}");
    let mut c = config("ldaps://127.0.0.1:636");
    c.role_map.push(RoleMapping {
        group: ADMINS_GROUP.into(),
        org: "南京市财政局".into(),
        role: "sys_admin".into(),
        subtree: false,
    });
    let e = c.validate().unwrap_err();
    assert!(e.contains("三员"), "{e}");
}

/// Truly parallel first logins of one directory user (run on PostgreSQL
/// in CI): one account, one creation in the trail, each mapped role once;
/// and parallel wrong passwords are each counted toward the lockout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_first_logins_make_one_account_and_count_every_failure() {
    let slapd = Slapd::start(false);
    let app = std::sync::Arc::new(with_directory(TestApp::new().await, config(&slapd.url())));
    // Fewer than the lockout threshold: attempts are counted before they
    // are checked, so more at once lock even a right password out, as for
    // a local account (`auth::claim_attempt`).
    let threshold = yunwei_domain::security_policy::SecurityPolicy::default().lockout_threshold;
    assert!(threshold > 4, "{threshold}");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let r = login(&app, "wangfang", WANG_PW).await;
            (r.status, r.text())
        }));
    }
    for t in tasks {
        let (status, text) = t.await.expect("login task");
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    assert_eq!(audit(&app, "directory.account_create").await.len(), 1);
    assert_eq!(
        roles(&app, "wangfang").await,
        ["business_staff@南京市财政局", "hardware_ops@南京市财政局"]
    );

    // Parallel wrong passwords of a new directory user: every one counted.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            code(&login(&app, "zhangwei", "wrong-password-1").await)
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("login task"), "auth.invalid");
    }
    assert_eq!(account(&app, "zhangwei").await.unwrap().failed_attempts, 3);
    let app = std::sync::Arc::into_inner(app).expect("tasks done");
    app.cleanup().await;
}

//! The UKEY as the second factor (等保 L3 two factors, JSCZ-53, ADR 0008):
//! an administrator whose UKEY in use carries an SM2 public key logs in
//! with the password and the UKEY's signature of a challenge bound to the
//! pending login; wrong, repeated, late or lost-key answers are refused and
//! counted; the command line turns the UKEY requirement off.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use sm2::dsa::signature::Signer as _;
use sm2::dsa::{Signature, SigningKey};
use sm2::elliptic_curve::sec1::ToEncodedPoint as _;
use yunwei_domain::crypto::SM2_DEFAULT_ID;
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::{TestApp, TestResponse};

use crate::cli::{run, Bin};
use crate::support::{encode, form, hidden_csrf};

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

/// A fresh SM2 key, as a UKEY would hold it.
fn new_key(app: &TestApp) -> SigningKey {
    loop {
        let d = app.platform.crypto.random_bytes(32);
        if let Ok(k) = SigningKey::from_slice(SM2_DEFAULT_ID, &d) {
            return k;
        }
    }
}

/// The public key as the security administrator files it: 130 hex digits.
fn public_hex(k: &SigningKey) -> String {
    hex::encode(k.verifying_key().to_encoded_point(false).as_bytes())
}

/// What the UKEY middleware prints: hex of `r || s`.
fn sign(k: &SigningKey, challenge: &str) -> String {
    let sig: Signature = k.sign(challenge.as_bytes());
    hex::encode(sig.to_bytes())
}

async fn root_id(app: &TestApp) -> String {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::orgs::root(&mut c).await.unwrap().unwrap().id
}

/// Files a UKEY for `holder` with this public key; returns the entry id.
async fn file_ukey(app: &TestApp, sec: &str, serial: &str, holder: &str, key: &str) -> String {
    let root = root_id(app).await;
    let r = app
        .post_json(
            "/api/v1/registers/ukeys",
            Some(sec),
            json!({"org_id": root, "values": {
                "serial": serial, "holder": holder, "issued_on": "2026-03-02",
                "cert_fingerprint": format!("sm3:{serial}"), "public_key": key
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

async fn challenge(app: &TestApp, username: &str) -> Value {
    let r = app
        .post_json(
            "/api/v1/auth/login/ukey/challenge",
            None,
            json!({"username": username, "password": app.password_of(username)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn answer(app: &TestApp, login_token: &str, signature: &str) -> TestResponse {
    app.post_json(
        "/api/v1/auth/login/ukey",
        None,
        json!({"login_token": login_token, "signature": signature}),
    )
    .await
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no {k} in {v}"))
        .to_string()
}

async fn audit(app: &TestApp, action: &str) -> Vec<yunwei_domain::audit::AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
}

async fn failed_attempts(app: &TestApp, username: &str) -> i64 {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::users::by_username(&mut c, username)
        .await
        .unwrap()
        .unwrap()
        .failed_attempts
}

fn set_cookies(r: &TestResponse) -> Vec<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn cookie_value(r: &TestResponse, name: &str) -> Option<String> {
    set_cookies(r).iter().find_map(|c| {
        c.strip_prefix(&format!("{name}="))
            .map(|v| v.split(';').next().unwrap().to_string())
    })
}

fn get_with_cookie(path: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// JSCZ-53 / 等保 L3: the security administrator files the UKEY's SM2
/// public key; from then on the administrator's password alone does not
/// log in, and the UKEY's signature of the login's challenge does, over
/// the API and on the login pages.
#[tokio::test]
async fn jscz_53_administrator_logs_in_with_the_ukey_signature() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let sys = app.login("sysadmin").await;
    let key = new_key(&app);
    // A malformed key is refused with a clear message.
    let root = root_id(&app).await;
    let public = public_hex(&key);
    let compressed = format!("02{}", &public[2..66]);
    for bad in ["04abcd", compressed.as_str(), &public[2..]] {
        let r = app
            .post_json(
                "/api/v1/registers/ukeys",
                Some(&sec),
                json!({"org_id": root, "values": {
                    "serial": "UK-101", "holder": "sysadmin", "issued_on": "2026-03-02",
                    "public_key": bad
                }}),
            )
            .await;
        assert_eq!(code(&r), "register.ukey_public_key", "{bad}: {}", r.text());
        assert!(r.json()["message"]
            .as_str()
            .unwrap()
            .contains("130 位十六进制"));
    }
    // Without a key nothing changes for the holder.
    let r = app
        .post_json(
            "/api/v1/auth/login/ukey/challenge",
            None,
            json!({"username": "sysadmin", "password": TestApp::NEW_PASSWORD}),
        )
        .await;
    assert_eq!(code(&r), "auth.ukey_not_registered", "{}", r.text());
    // Pasted as middleware prints it: upper case with spaces.
    let spaced = public_hex(&key)
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    file_ukey(&app, &sec, "UK-101", "sysadmin", &spaced).await;
    // The password alone is no longer enough.
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "sysadmin", "password": TestApp::NEW_PASSWORD}),
        )
        .await;
    assert_eq!(code(&r), "auth.ukey_required", "{}", r.text());
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A wrong password gets no challenge and counts.
    let r = app
        .post_json(
            "/api/v1/auth/login/ukey/challenge",
            None,
            json!({"username": "sysadmin", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(code(&r), "auth.invalid");
    assert_eq!(failed_attempts(&app, "sysadmin").await, 1);
    // The challenge names the account and the UKEY and is signed as it is.
    let ch = challenge(&app, "sysadmin").await;
    assert_eq!(s(&ch, "serial"), "UK-101");
    assert!(s(&ch, "challenge").starts_with("yunwei-login:sysadmin:"));
    assert_eq!(ch["expires_in_seconds"], 300);
    let r = answer(
        &app,
        &s(&ch, "login_token"),
        &sign(&key, &s(&ch, "challenge")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let token = s(&r.json(), "token");
    assert_eq!(r.json()["user"]["username"], "sysadmin");
    // A working session with the administrator's role; the count is reset.
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    assert_eq!(
        app.get("/api/v1/users", Some(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(failed_attempts(&app, "sysadmin").await, 0);
    // Both steps are audited; the login says which factor.
    let issued = audit(&app, "auth.ukey_challenge").await;
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert!(issued[0].after.contains("UK-101"));
    assert!(audit(&app, "auth.login").await.iter().any(|a| {
        a.actor_name == "sysadmin" && a.result == "success" && a.after.contains("UKEY 签名")
    }));
    // The /mfa page tells the holder.
    let page = app
        .request(get_with_cookie("/mfa", &format!("yw_session={sys}")))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("UK-101") && page.text().contains("已登记签名公钥"));

    // The login pages: password, then the UKEY step with the challenge.
    let login = app.get("/login", None).await;
    let csrf = cookie_value(&login, "yw_login_csrf").unwrap();
    let body = encode(&[
        ("csrf", &csrf),
        ("username", "sysadmin"),
        ("password", TestApp::NEW_PASSWORD),
        ("totp_code", ""),
    ]);
    let r = app
        .request(form("/login", &format!("yw_login_csrf={csrf}"), body))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), Some("/login/ukey"));
    assert!(cookie_value(&r, "yw_session").is_none());
    let pending = cookie_value(&r, "yw_login_ukey").unwrap();
    let cookies = format!("yw_login_csrf={csrf}; yw_login_ukey={pending}");
    let page = app.request(get_with_cookie("/login/ukey", &cookies)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert_eq!(hidden_csrf(&html), csrf);
    let at = html.find("id=\"ukey-challenge\"").unwrap();
    let text = html[at..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(text.starts_with("yunwei-login:sysadmin:"), "{text}");
    assert!(html.contains("UK-101"));
    let body = encode(&[("csrf", &csrf), ("signature", &sign(&key, text))]);
    let r = app.request(form("/login/ukey", &cookies, body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), Some("/"));
    let session = cookie_value(&r, "yw_session").unwrap();
    assert!(set_cookies(&r)
        .iter()
        .any(|c| c.starts_with("yw_login_ukey=;") && c.contains("Max-Age=0")));
    let home = app
        .request(get_with_cookie("/", &format!("yw_session={session}")))
        .await;
    assert_eq!(home.status, StatusCode::OK);
    // The step cannot be shown again once used.
    let again = app.request(get_with_cookie("/login/ukey", &cookies)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.header("location"), Some("/login"));
    app.cleanup().await;
}

/// JSCZ-53: once the UKEY is reported lost its key is never accepted, not
/// even for a challenge issued before the loss.
#[tokio::test]
async fn jscz_53_signature_of_a_lost_ukey_is_refused() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let sys = app.login("sysadmin").await;
    let key = new_key(&app);
    let entry = file_ukey(&app, &sec, "UK-201", "sysadmin", &public_hex(&key)).await;
    let ch = challenge(&app, "sysadmin").await;
    let r = app
        .post_json(
            &format!("/api/v1/registers/ukeys/{entry}/steps/report_lost"),
            Some(&sys),
            json!({"note": "UKEY 遗失"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = answer(
        &app,
        &s(&ch, "login_token"),
        &sign(&key, &s(&ch, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.ukey_not_in_use", "{}", r.text());
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["message"].as_str().unwrap().contains("挂失"));
    assert_eq!(failed_attempts(&app, "sysadmin").await, 1);
    assert!(audit(&app, "auth.login").await.iter().any(|a| {
        a.actor_name == "sysadmin" && a.result == "failure" && a.after.contains("UKEY 不在用")
    }));
    // No new challenge for the lost UKEY either.
    let r = app
        .post_json(
            "/api/v1/auth/login/ukey/challenge",
            None,
            json!({"username": "sysadmin", "password": TestApp::NEW_PASSWORD}),
        )
        .await;
    assert_eq!(code(&r), "auth.ukey_not_registered", "{}", r.text());
    // A new UKEY with a new key: the old key's signature is refused, the
    // new one's accepted.
    let new = new_key(&app);
    file_ukey(&app, &sec, "UK-202", "sysadmin", &public_hex(&new)).await;
    let ch = challenge(&app, "sysadmin").await;
    assert_eq!(s(&ch, "serial"), "UK-202");
    let r = answer(
        &app,
        &s(&ch, "login_token"),
        &sign(&key, &s(&ch, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.ukey_signature_invalid", "{}", r.text());
    let ch = challenge(&app, "sysadmin").await;
    let r = answer(
        &app,
        &s(&ch, "login_token"),
        &sign(&new, &s(&ch, "challenge")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-53 / 等保 L3: a challenge is answered once, within five minutes,
/// by the signature of that challenge with the holder's key; every other
/// answer is refused with its own code and counts toward the lockout.
#[tokio::test]
async fn jscz_53_reused_or_wrong_challenge_signature_is_refused() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    app.login("sysadmin").await;
    let key = new_key(&app);
    file_ukey(&app, &sec, "UK-301", "sysadmin", &public_hex(&key)).await;
    // A signature of something else, or by another key.
    let a = challenge(&app, "sysadmin").await;
    let tampered = format!("{}0", s(&a, "challenge"));
    let r = answer(&app, &s(&a, "login_token"), &sign(&key, &tampered)).await;
    assert_eq!(code(&r), "auth.ukey_signature_invalid", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("再失败4次"));
    // The challenge is used up by the wrong answer: the right one is late.
    let r = answer(
        &app,
        &s(&a, "login_token"),
        &sign(&key, &s(&a, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.ukey_challenge_used", "{}", r.text());
    assert_eq!(failed_attempts(&app, "sysadmin").await, 2);
    let b = challenge(&app, "sysadmin").await;
    let other = new_key(&app);
    let r = answer(
        &app,
        &s(&b, "login_token"),
        &sign(&other, &s(&b, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.ukey_signature_invalid");
    // Not hex, or not 64 bytes.
    let c = challenge(&app, "sysadmin").await;
    let r = answer(&app, &s(&c, "login_token"), "not a signature").await;
    assert_eq!(code(&r), "auth.ukey_signature_invalid");
    assert_eq!(failed_attempts(&app, "sysadmin").await, 4);
    // The signature of one challenge does not answer another; the fifth
    // failure in a row locks the account, as wrong passwords do.
    let d = challenge(&app, "sysadmin").await;
    let e = challenge(&app, "sysadmin").await;
    assert_ne!(s(&d, "challenge"), s(&e, "challenge"));
    let r = answer(
        &app,
        &s(&e, "login_token"),
        &sign(&key, &s(&d, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.locked", "{}", r.text());
    assert_eq!(audit(&app, "auth.lockout").await.len(), 1);
    // While locked even the right answer is refused.
    let r = answer(
        &app,
        &s(&d, "login_token"),
        &sign(&key, &s(&d, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.locked", "{}", r.text());
    // After the lock the challenge has expired (five minutes).
    app.clock.advance(chrono::Duration::minutes(31));
    let r = answer(
        &app,
        &s(&d, "login_token"),
        &sign(&key, &s(&d, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.ukey_challenge_expired", "{}", r.text());
    assert_eq!(failed_attempts(&app, "sysadmin").await, 1);
    let f = challenge(&app, "sysadmin").await;
    app.clock.advance(chrono::Duration::seconds(301));
    let r = answer(
        &app,
        &s(&f, "login_token"),
        &sign(&key, &s(&f, "challenge")),
    )
    .await;
    assert_eq!(code(&r), "auth.ukey_challenge_expired", "{}", r.text());
    assert_eq!(failed_attempts(&app, "sysadmin").await, 2);
    // An unknown pending login: refused, audited, counted for nobody.
    let r = answer(&app, "no-such-login", &sign(&key, &s(&f, "challenge"))).await;
    assert_eq!(code(&r), "auth.ukey_challenge_invalid", "{}", r.text());
    assert_eq!(failed_attempts(&app, "sysadmin").await, 2);
    // In time, once: logged in; the same answer again is refused.
    let g = challenge(&app, "sysadmin").await;
    let good = sign(&key, &s(&g, "challenge"));
    app.clock.advance(chrono::Duration::seconds(299));
    let r = answer(&app, &s(&g, "login_token"), &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(failed_attempts(&app, "sysadmin").await, 0);
    let r = answer(&app, &s(&g, "login_token"), &good).await;
    assert_eq!(code(&r), "auth.ukey_challenge_used", "{}", r.text());
    // Every refused answer is in the audit trail.
    let failures = audit(&app, "auth.login")
        .await
        .into_iter()
        .filter(|a| a.actor_name == "sysadmin" && a.result == "failure")
        .count();
    assert_eq!(failures, 8);
    assert!(audit(&app, "auth.login")
        .await
        .iter()
        .any(|a| a.after.contains("UKEY 登录挑战不存在")));
    app.cleanup().await;
}

/// JSCZ-53: when every administrator's UKEY is lost and the policy
/// requires UKEYs, nobody can manage the platform; the command line turns
/// the requirement off (with confirmation and a reason, audited as the
/// system) and on again.
#[tokio::test]
async fn jscz_53_command_line_turns_the_ukey_requirement_off_after_every_ukey_is_lost() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let key = new_key(&app);
    let entry = file_ukey(&app, &sec, "UK-401", "secadmin", &public_hex(&key)).await;
    let policy = |require: bool| {
        json!({
            "password_min_length": 8, "password_history": 5, "lockout_threshold": 5,
            "lockout_minutes": 30, "idle_timeout_minutes": 30, "audit_retention_days": 365,
            "api_token_max_days": 365, "require_ukey_for_admins": require, "reason": "等保三级双因素"
        })
    };
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), policy(true))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    // The only security administrator's UKEY is lost: locked out.
    let r = app
        .post_json(
            &format!("/api/v1/registers/ukeys/{entry}/steps/report_lost"),
            Some(&sec),
            json!({"note": "UKEY 遗失"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        app.get("/api/v1/security-policy", Some(&sec)).await.status,
        StatusCode::FORBIDDEN
    );
    let bin = Bin::new();
    let args = |state: &'static str, extra: &'static [&'static str]| {
        let mut a = vec![
            "--database-url".to_string(),
            app.db_url.clone(),
            "admin".into(),
            "ukey-requirement".into(),
            state.into(),
            "--reason".into(),
            "全部管理员 UKEY 挂失，恢复管理".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let cmd = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        bin.cmd_with_keys(&app, &refs)
    };
    // Unattended without --yes: refused, nothing changed.
    let out = run(&mut cmd(args("off", &[]))).await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("--yes"), "{out}");
    assert!(audit(&app, "security_policy.update")
        .await
        .iter()
        .all(|a| a.actor_name != "system"));
    // A reason is required.
    let mut blank = args("off", &["--yes"]);
    blank[6] = " ".into();
    let out = run(&mut cmd(blank)).await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("请填写操作原因"), "{out}");
    let out = run(&mut cmd(args("off", &["--yes"]))).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("已关闭"), "{out}");
    // The security administrator manages again, and the change is audited
    // as the system's with the reason, chained with the audit key.
    let r = app.get("/api/v1/security-policy", Some(&sec)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["require_ukey_for_admins"], false);
    let recs: Vec<_> = audit(&app, "security_policy.update")
        .await
        .into_iter()
        .filter(|a| a.actor_name == "system")
        .collect();
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].reason, "全部管理员 UKEY 挂失，恢复管理");
    assert_eq!(recs[0].source_ip, "local");
    assert!(recs[0].before.contains("\"require_ukey_for_admins\":true"));
    assert!(recs[0].after.contains("\"require_ukey_for_admins\":false"));
    let report = yunwei_core::audit::verify(&app.platform, |_| {})
        .await
        .unwrap();
    assert_eq!(report.fault, None);
    // Again: nothing to do, nothing written.
    let out = run(&mut cmd(args("off", &["--yes"]))).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("未作修改"), "{out}");
    // On again only while a top-level security administrator holds a UKEY.
    let out = run(&mut cmd(args("on", &["--yes"]))).await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains("没有顶级安全管理员持有在用的 UKEY"),
        "{out}"
    );
    file_ukey(&app, &sec, "UK-402", "secadmin", "").await;
    let out = run(&mut cmd(args("on", &["--yes"]))).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains("已开启"), "{out}");
    let r = app.get("/api/v1/security-policy", Some(&sec)).await;
    assert_eq!(r.json()["require_ukey_for_admins"], true);
    assert_eq!(
        audit(&app, "security_policy.update")
            .await
            .iter()
            .filter(|a| a.actor_name == "system")
            .count(),
        2
    );
    app.cleanup().await;
}

/// Files a UKEY of `serial` for `holder` at the organisation `org_id`.
async fn issue_at(
    app: &TestApp,
    token: &str,
    org_id: &str,
    serial: &str,
    holder: &str,
) -> TestResponse {
    app.post_json(
        "/api/v1/registers/ukeys",
        Some(token),
        json!({"org_id": org_id, "values": {
            "serial": serial, "holder": holder, "issued_on": "2026-03-02"
        }}),
    )
    .await
}

/// The notices of `kind` that `username` got.
async fn notices_of(
    app: &TestApp,
    username: &str,
    kind: &str,
) -> Vec<yunwei_store::tickets::NotificationRow> {
    let id = crate::support::user_id(app, username).await;
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::tickets::notifications_of(&mut c, &id, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == kind)
        .collect()
}

/// JSCZ-53 「各级系统管理员必须通过UKEY访问信息系统」: the administrators of
/// the managed systems (here the system administrator the centre keeps for
/// them, JSCZ-8) hold UKEYs too, not only yunwei's own administrators; a
/// business role still does not.
#[tokio::test]
async fn jscz_53_a_managed_systems_administrator_holds_a_ukey() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let root = root_id(&app).await;
    let r = issue_at(&app, &sec, &root, "UK-201", "demo_sysop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = issue_at(&app, &sec, &root, "UK-202", "demo_netop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = issue_at(&app, &sec, &root, "UK-203", "demo_staff").await;
    assert_eq!(code(&r), "register.ukey_holder", "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-53 「由各级财政部门负责系统管理员UKEY的申请、分配及回收」: the city's
/// finance department (its security administrator) issues and collects
/// the UKEYs of the city's level only: not the province's, not another
/// city's, not those of a county below it (which has its own); and the
/// province does not issue the city's.
#[tokio::test]
async fn jscz_53_a_city_finance_department_issues_for_its_own_level_only() {
    use yunwei_domain::roles::Role;
    let app = TestApp::new().await;
    let org = |name: &'static str| {
        let app = &app;
        async move {
            let id = crate::support::org_id(app, name).await;
            let mut c = app.platform.db().read().await.unwrap();
            yunwei_store::orgs::get(&mut c, &id).await.unwrap().unwrap()
        }
    };
    let nanjing = org("南京市财政局").await;
    let jiangning = org("南京市江宁区财政局").await;
    let suzhou = org("苏州市财政局").await;
    crate::support::account(&app, "nj_sysop", &nanjing, Role::SystemsAdmin, &nanjing).await;
    let nj_sec = app.login("nj_secadmin").await;
    let sec = app.login("secadmin").await;
    let root = root_id(&app).await;
    // The province's security administrator does not issue the city's.
    let r = issue_at(&app, &sec, &nanjing.id, "NJ-001", "nj_sysop").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(code(&r), "register.ukey_level");
    // The city issues neither the province's, another city's, nor a
    // county's below it.
    for o in [&root, &suzhou.id, &jiangning.id] {
        let r = issue_at(&app, &nj_sec, o, "NJ-001", "nj_sysop").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{o}: {}", r.text());
    }
    let r = issue_at(&app, &nj_sec, &jiangning.id, "NJ-001", "nj_sysop").await;
    assert_eq!(code(&r), "register.ukey_level");
    // Its own level: issued.
    let r = issue_at(&app, &nj_sec, &nanjing.id, "NJ-001", "nj_sysop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let key = r.json()["id"].as_str().unwrap().to_string();
    // Collected by the city, not by the province.
    let ret = |token: &str| {
        let (app, key, token) = (&app, key.clone(), token.to_string());
        async move {
            app.post_json(
                &format!("/api/v1/registers/ukeys/{key}/steps/return"),
                Some(&token),
                json!({"note": "岗位调整，收回"}),
            )
            .await
        }
    };
    let r = ret(&sec).await;
    assert_eq!(code(&r), "register.ukey_level", "{}", r.text());
    let r = ret(&nj_sec).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "returned");
    app.cleanup().await;
}

/// JSCZ-53 「UKEY持有者将UKEY遗失，须第一时间通知财政部门项目负责人，启动UKEY挂失流程」:
/// recording the loss tells the project leads of the holder's level at
/// once (no job needs to run, nothing needs to be late), with a link to
/// the UKEY and the reissue's date; another city's project lead is not
/// told.
#[tokio::test]
async fn jscz_53_recording_a_loss_notifies_the_project_lead_at_once() {
    use yunwei_domain::roles::Role;
    let app = TestApp::new().await;
    let nanjing = {
        let id = crate::support::org_id(&app, "南京市财政局").await;
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::get(&mut c, &id).await.unwrap().unwrap()
    };
    crate::support::account(&app, "nj_sysop", &nanjing, Role::SystemsAdmin, &nanjing).await;
    crate::support::account(&app, "nj_lead", &nanjing, Role::ProjectLead, &nanjing).await;
    let suzhou = {
        let id = crate::support::org_id(&app, "苏州市财政局").await;
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::get(&mut c, &id).await.unwrap().unwrap()
    };
    crate::support::account(&app, "sz_lead", &suzhou, Role::ProjectLead, &suzhou).await;
    let nj_sec = app.login("nj_secadmin").await;
    let r = issue_at(&app, &nj_sec, &nanjing.id, "NJ-009", "nj_sysop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let key = r.json()["id"].as_str().unwrap().to_string();
    assert!(notices_of(&app, "nj_lead", "ukey_lost").await.is_empty());
    let r = app
        .post_json(
            &format!("/api/v1/registers/ukeys/{key}/steps/report_lost"),
            Some(&nj_sec),
            json!({"note": "持有人报告遗失"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let told = notices_of(&app, "nj_lead", "ukey_lost").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].title.contains("NJ-009") && told[0].title.contains("nj_sysop"));
    assert_eq!(
        told[0].link.as_deref(),
        Some(format!("/registers/ukeys/{key}").as_str())
    );
    assert!(told[0].due_at.is_some(), "the reissue's date");
    // The province's project lead covers the city too; another city's
    // does not.
    assert_eq!(notices_of(&app, "demo_lead", "ukey_lost").await.len(), 1);
    assert!(notices_of(&app, "sz_lead", "ukey_lost").await.is_empty());
    app.cleanup().await;
}

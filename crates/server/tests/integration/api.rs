//! API and UI behaviour of the foundation, named after the articles they
//! prove.

use crate::support::user_id;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use serde_json::json;
use sqlx::Row;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{form, hidden_csrf, urlenc};

async fn org_id(app: &TestApp, token: &str, name: &str) -> String {
    let r = app.get("/api/v1/orgs", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("org {name} not visible"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<yunwei_domain::audit::AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = yunwei_store::audit::AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &yunwei_store::Scope::system(), &f, 100)
        .await
        .unwrap()
}

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

async fn raw_login(app: &TestApp, username: &str, password: &str) -> TestResponse {
    app.post_json(
        "/api/v1/auth/login",
        None,
        json!({"username": username, "password": password}),
    )
    .await
}

#[tokio::test]
async fn jscz_43_forced_password_change_at_first_login() {
    let app = TestApp::new().await;
    let r = raw_login(&app, "demo_staff", TestApp::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["must_change_password"], true);
    let token = body["token"].as_str().unwrap().to_string();
    // Until the password is changed nothing but the change itself is allowed.
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["must_change_password"], true);
    let r = app.get("/api/v1/orgs", Some(&token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/tokens", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post_json("/api/v1/tokens", Some(&token), json!({"name": "x"}))
        .await;
    assert_eq!(code(&r), "auth.password_change_required");
    let r = app
        .post_json(
            "/api/v1/auth/password",
            Some(&token),
            json!({"current_password": TestApp::DEMO_PASSWORD, "new_password": TestApp::NEW_PASSWORD, "confirm_password": TestApp::NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.json()["must_change_password"],
        false
    );
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_43_password_needs_three_classes_and_no_personal_info() {
    let app = TestApp::new().await;
    let token = app.login("demo_staff").await;
    let change = |new: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post_json(
                "/api/v1/auth/password",
                Some(&token),
                json!({"current_password": TestApp::NEW_PASSWORD, "new_password": new, "confirm_password": new}),
            )
            .await
        }
    };
    let r = change("short1!").await;
    assert_eq!(code(&r), "password.too_short");
    let r = change("abcdefgh12345").await;
    assert_eq!(code(&r), "password.missing_classes");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    // 孙晓梅 -> sunxiaomei
    let r = change("Sunxiaomei#2026").await;
    assert_eq!(code(&r), "password.contains_personal_info");
    let r = change("Woaini1314!").await;
    assert_eq!(code(&r), "password.common_weak");
    let r = change("Yw#7kP!q2Lm9").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_43_password_not_one_of_last_five() {
    let app = TestApp::new().await;
    let token = app.login("demo_staff").await;
    let sequence = [
        "Kx9$mT2#pQa",
        "Tq4!vRz8&Lw",
        "Yw#7kP!q2Lm9",
        "Bn6@jH3$wEr",
        "Zc8%uY5^oIp",
    ];
    let mut current = TestApp::NEW_PASSWORD.to_string();
    for next in sequence {
        let r = app
            .post_json(
                "/api/v1/auth/password",
                Some(&token),
                json!({"current_password": current, "new_password": next, "confirm_password": next}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        current = next.to_string();
    }
    // NEW_PASSWORD is now the sixth most recent: allowed again; the
    // second of the sequence is among the last five: refused.
    let r = app
        .post_json(
            "/api/v1/auth/password",
            Some(&token),
            json!({"current_password": current, "new_password": "Tq4!vRz8&Lw", "confirm_password": "Tq4!vRz8&Lw"}),
        )
        .await;
    assert_eq!(code(&r), "password.reused_recent");
    let r = app
        .post_json(
            "/api/v1/auth/password",
            Some(&token),
            json!({"current_password": current, "new_password": TestApp::NEW_PASSWORD, "confirm_password": TestApp::NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_8_6_lockout_after_five_failures_for_thirty_minutes() {
    let app = TestApp::new().await;
    for i in 1..=5 {
        let r = raw_login(&app, "demo_director", "Wrong#Passw0rd1").await;
        if i < 5 {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        } else {
            assert_eq!(r.status, StatusCode::LOCKED);
            assert!(r.json()["message"].as_str().unwrap().contains("锁定"));
        }
    }
    let r = raw_login(&app, "demo_director", TestApp::DEMO_PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::LOCKED,
        "correct password refused while locked"
    );
    assert_eq!(audit_actions(&app, "auth.lockout").await.len(), 1);
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        raw_login(&app, "demo_director", TestApp::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::LOCKED
    );
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        raw_login(&app, "demo_director", TestApp::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    let failures = audit_actions(&app, "auth.login").await;
    assert!(failures.iter().filter(|r| r.result == "failure").count() >= 5);
    app.cleanup().await;
}

#[tokio::test]
async fn security_admin_can_unlock_by_reenabling() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        raw_login(&app, "demo_director", "Wrong#Passw0rd1").await;
    }
    let sys = app.login("sysadmin").await;
    let id = user_id(&app, "demo_director").await;
    let r = app
        .post_json(
            &format!("/api/v1/users/{id}/enable"),
            Some(&sys),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(code(&r), "audit.reason_required");
    let r = app
        .post_json(
            &format!("/api/v1/users/{id}/enable"),
            Some(&sys),
            json!({"reason": "本人电话确认"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        raw_login(&app, "demo_director", TestApp::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    app.cleanup().await;
}

#[tokio::test]
async fn idle_sessions_end_after_thirty_minutes() {
    let app = TestApp::new().await;
    let token = app.login("demo_staff").await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    // Activity moved the idle clock.
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::minutes(31));
    let r = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&r), "auth.session_expired");
    assert_eq!(audit_actions(&app, "auth.session_timeout").await.len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn sessions_are_revocable_by_owner_and_security_admin() {
    let app = TestApp::new().await;
    let first = app.login("demo_staff").await;
    let second = raw_login(&app, "demo_staff", TestApp::NEW_PASSWORD)
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let list = app.get("/api/v1/sessions", Some(&first)).await.json();
    let sessions = list["sessions"].as_array().unwrap();
    assert!(sessions.len() >= 2);
    assert!(
        list.to_string().find(&second).is_none(),
        "tokens are never listed"
    );
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            &format!("/api/v1/sessions/{other}/revoke"),
            Some(&first),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&second)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A business user cannot list everybody's sessions.
    assert_eq!(
        app.get("/api/v1/sessions?all=true", Some(&first))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let sec = app.login("secadmin").await;
    let all = app
        .get("/api/v1/sessions?all=true", Some(&sec))
        .await
        .json();
    let staff_session = all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "demo_staff")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            &format!("/api/v1/sessions/{staff_session}/revoke"),
            Some(&sec),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(audit_actions(&app, "auth.session_revoke").await.len() >= 2);
    app.cleanup().await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_expire_and_revoke() {
    let app = TestApp::new().await;
    let session = app.login("demo_lead").await;
    let r = app
        .post_json(
            "/api/v1/tokens",
            Some(&session),
            json!({"name": "监控集成", "days": 400}),
        )
        .await;
    assert_eq!(code(&r), "token.lifetime_invalid");
    let r = app
        .post_json(
            "/api/v1/tokens",
            Some(&session),
            json!({"name": "监控集成", "days": 7}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.json()["token"].as_str().unwrap().to_string();
    let id = r.json()["info"]["id"].as_str().unwrap().to_string();
    assert!(token.starts_with("yw_"));
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.json()["user"]["username"], "demo_lead");
    let list = app.get("/api/v1/tokens", Some(&session)).await;
    assert!(!list.text().contains(&token));
    let raw = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_all(app.platform.db().pool())
        .await
        .unwrap();
    assert!(raw.iter().all(|r| r.get::<String, _>(0) != token));
    app.clock.advance(Duration::days(8));
    let session = app.login("demo_lead").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
    let r = app
        .post_json(
            "/api/v1/tokens",
            Some(&session),
            json!({"name": "第二个", "days": 30}),
        )
        .await;
    let token2 = r.json()["token"].as_str().unwrap().to_string();
    let id2 = r.json()["info"]["id"].as_str().unwrap().to_string();
    assert_ne!(id, id2);
    let r = app
        .post_json(
            &format!("/api/v1/tokens/{id2}/revoke"),
            Some(&session),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&token2)).await.status,
        StatusCode::UNAUTHORIZED,
        "revoked"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn three_admin_roles_are_exclusive_refused_and_audited() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let sysadmin = user_id(&app, "sysadmin").await;
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            json!({"user_id": sysadmin, "role": "aud_admin", "reason": "测试"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(code(&r), "role.three_admin_exclusive");
    assert!(r.json()["message"].as_str().unwrap().contains("三员"));
    let denied = audit_actions(&app, "role.grant").await;
    assert!(denied
        .iter()
        .any(|a| a.result == "denied" && a.object_id == sysadmin));
    // The city's audit administrator cannot become its system administrator either.
    let nj_aud = user_id(&app, "nj_audadmin").await;
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            json!({"user_id": nj_aud, "role": "sys_admin", "reason": "测试"}),
        )
        .await;
    assert_eq!(code(&r), "role.three_admin_exclusive");
    app.cleanup().await;
}

#[tokio::test]
async fn separation_of_duties_between_the_three_admins() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let sec = app.login("secadmin").await;
    let aud = app.login("audadmin").await;
    let nanjing = org_id(&app, &sys, "南京市财政局").await;
    let staff = user_id(&app, "demo_staff").await;
    // System admin: accounts yes, roles no, audit no.
    let r = app
        .post_json(
            "/api/v1/users",
            Some(&sys),
            json!({"username": "li.ming", "display_name": "李明", "org_id": nanjing}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let new_id = r.json()["user"]["id"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sys),
            json!({"user_id": new_id, "role": "business_staff", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(audit_actions(&app, "role.grant")
        .await
        .iter()
        .any(|a| a.result == "denied" && a.actor_name == "sysadmin"));
    assert_eq!(
        app.get("/api/v1/audit", Some(&sys)).await.status,
        StatusCode::FORBIDDEN
    );
    // Security admin: roles yes, accounts no.
    let r = app
        .post_json(
            "/api/v1/users",
            Some(&sec),
            json!({"username": "wang.fang", "display_name": "王芳", "org_id": nanjing}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            json!({"user_id": new_id, "role": "business_staff", "reason": "岗位需要"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Audit admin: reads everything, including the other two, changes nothing.
    let r = app.get("/api/v1/audit?actor=sysadmin", Some(&aud)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["action"] == "user.create"));
    let r = app
        .get("/api/v1/audit?actor=secadmin&action=role.grant", Some(&aud))
        .await;
    assert!(!r.json()["records"].as_array().unwrap().is_empty());
    for (m, path, body) in [
        (
            Method::POST,
            "/api/v1/users".to_string(),
            json!({"username": "x.y", "display_name": "某", "org_id": nanjing}),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{staff}/disable"),
            json!({"reason": "x"}),
        ),
        (
            Method::POST,
            "/api/v1/roles/grants".to_string(),
            json!({"user_id": staff, "role": "director", "reason": "x"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/orgs/{nanjing}"),
            json!({"name": "改名"}),
        ),
    ] {
        let req = Request::builder()
            .method(m)
            .uri(&path)
            .header(header::AUTHORIZATION, format!("Bearer {aud}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let r = app.request(req).await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "{path}: {}",
            r.status
        );
    }
    let r = app
        .put_json(
            "/api/v1/security-policy",
            Some(&aud),
            json!({"reason": "x"}),
        )
        .await;
    assert!(r.status.is_client_error());
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_50_vendor_admin_gets_configuration_rights_only() {
    let app = TestApp::new().await;
    let va = app.login("demo_vendor_admin").await;
    assert_eq!(
        app.get("/api/v1/users", Some(&va)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/audit", Some(&va)).await.status,
        StatusCode::FORBIDDEN
    );
    let orgs = app.get("/api/v1/orgs", Some(&va)).await.json();
    let own = orgs["orgs"].as_array().unwrap();
    assert_eq!(
        own.len(),
        1,
        "sees only its own organisation for configuration"
    );
    let own_id = own[0]["id"].as_str().unwrap();
    let cfg = json!({"business_hours_start": "08:00", "business_hours_end": "18:00", "notice": "系统升级窗口为周六晚"});
    let r = app
        .put_json(
            &format!("/api/v1/orgs/{own_id}/config"),
            Some(&va),
            cfg.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        app.get(&format!("/api/v1/orgs/{own_id}/config"), Some(&va))
            .await
            .json()["notice"],
        "系统升级窗口为周六晚"
    );
    // A security admin cannot add business rights to the vendor admin account.
    let sec = app.login("secadmin").await;
    let va_id = user_id(&app, "demo_vendor_admin").await;
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            json!({"user_id": va_id, "role": "vendor_engineer", "reason": "测试"}),
        )
        .await;
    assert_eq!(code(&r), "role.vendor_admin_config_only");
    // Nor make a third party a system administrator.
    let vendor_eng = user_id(&app, "demo_vendor").await;
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            json!({"user_id": vendor_eng, "role": "sys_admin", "reason": "测试"}),
        )
        .await;
    assert_eq!(code(&r), "role.vendor_restricted");
    app.cleanup().await;
}

#[tokio::test]
async fn security_policy_cannot_be_weakened_below_regulation() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let mut p = app.get("/api/v1/security-policy", Some(&sec)).await.json();
    assert_eq!(p["lockout_threshold"], 5);
    assert_eq!(p["idle_timeout_minutes"], 30);
    p["lockout_threshold"] = json!(10);
    p["reason"] = json!("放宽");
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), p.clone())
        .await;
    assert_eq!(code(&r), "policy.below_floor");
    p["lockout_threshold"] = json!(3);
    p["reason"] = json!("");
    assert_eq!(
        code(
            &app.put_json("/api/v1/security-policy", Some(&sec), p.clone())
                .await
        ),
        "audit.reason_required"
    );
    p["reason"] = json!("等保整改要求收紧");
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), p.clone())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // The stricter threshold now applies.
    for _ in 0..3 {
        raw_login(&app, "demo_soft", "Wrong#Passw0rd1").await;
    }
    assert_eq!(
        raw_login(&app, "demo_soft", TestApp::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::LOCKED
    );
    // Only the top-level security admin sets the installation's policy.
    let nj_sec = app.login("nj_secadmin").await;
    p["lockout_threshold"] = json!(4);
    let r = app
        .put_json("/api/v1/security-policy", Some(&nj_sec), p)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

#[tokio::test]
async fn personal_fields_are_sm4_encrypted_at_rest_and_masked() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let org = org_id(&app, &sys, "苏州市财政局").await;
    let r = app
        .post_json(
            "/api/v1/users",
            Some(&sys),
            json!({"username": "zhou.qing", "display_name": "周青", "org_id": org, "phone": "13812341234", "id_number": "11010519491231002X"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let u = &r.json()["user"];
    assert_eq!(u["phone"], "138****1234");
    assert_eq!(u["id_number"], "110105********002X");
    let initial = r.json()["initial_password"].as_str().unwrap().to_string();
    assert!(initial.len() >= 12);
    let rows =
        sqlx::query("SELECT phone_enc, id_number_enc FROM users WHERE username = 'zhou.qing'")
            .fetch_all(app.platform.db().pool())
            .await
            .unwrap();
    let phone_enc: String = rows[0].get(0);
    let id_enc: String = rows[0].get(1);
    assert!(!phone_enc.contains("13812341234") && !id_enc.contains("19491231"));
    let key = app.platform.keys.field;
    let plain =
        yunwei_domain::crypto::decrypt_field(app.platform.crypto.as_ref(), &key, &phone_enc)
            .unwrap();
    assert_eq!(plain, "13812341234");
    let r = app
        .post_json("/api/v1/users", Some(&sys), json!({"username": "bad.id", "display_name": "某", "org_id": org, "id_number": "110105194912310021"}))
        .await;
    assert_eq!(code(&r), "user.id_number_invalid");
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_41_every_mutation_is_audited_with_request_id_and_reason() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let root = org_id(&app, &sys, yunwei_testkit::ROOT_ORG).await;
    let r = app
        .post_json(
            "/api/v1/orgs",
            Some(&sys),
            json!({"parent_id": root, "kind": "city", "name": "无锡市财政局"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let request_id = r.header("x-request-id").unwrap().to_string();
    let created = audit_actions(&app, "org.create").await;
    let rec = created
        .iter()
        .find(|a| a.request_id == request_id)
        .expect("audited in the same request");
    assert_eq!(rec.actor_name, "sysadmin");
    assert_eq!(rec.source_ip, "127.0.0.1");
    assert!(rec.after.contains("无锡市财政局"));
    let staff = user_id(&app, "demo_staff").await;
    let r = app
        .post_json(
            &format!("/api/v1/users/{staff}/reset-password"),
            Some(&sys),
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "audit.reason_required");
    let r = app
        .post_json(
            &format!("/api/v1/users/{staff}/reset-password"),
            Some(&sys),
            json!({"reason": "本人遗忘密码"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let resets = audit_actions(&app, "user.password_reset").await;
    assert_eq!(resets[0].reason, "本人遗忘密码");
    // The reset password must be changed at next login.
    let tmp = r.json()["temporary_password"].as_str().unwrap().to_string();
    let r = raw_login(&app, "demo_staff", &tmp).await;
    assert_eq!(r.json()["must_change_password"], true);
    let r = app
        .post_json(
            &format!("/api/v1/users/{staff}/disable"),
            Some(&sys),
            json!({"reason": "离岗"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(audit_actions(&app, "user.disable").await[0].reason, "离岗");
    assert_eq!(
        raw_login(&app, "demo_staff", &tmp).await.status,
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}

#[tokio::test]
async fn audit_admin_searches_pages_and_exports_to_excel() {
    let app = TestApp::new().await;
    let aud = app.login("audadmin").await;
    let r = app.get("/api/v1/audit?limit=5", Some(&aud)).await;
    let first = r.json();
    let recs = first["records"].as_array().unwrap();
    assert_eq!(recs.len(), 5);
    let before = first["next_before_seq"].as_i64().unwrap();
    let r = app
        .get(
            &format!("/api/v1/audit?limit=5&before_seq={before}"),
            Some(&aud),
        )
        .await;
    let page2 = r.json()["records"].as_array().unwrap().clone();
    assert!(page2.iter().all(|x| x["seq"].as_i64().unwrap() < before));
    let r = app
        .get(
            "/api/v1/audit?from=2026-03-02&to=2026-03-02&action=user.create",
            Some(&aud),
        )
        .await;
    assert!(!r.json()["records"].as_array().unwrap().is_empty());
    let r = app
        .get("/api/v1/audit?from=2020-01-01&to=2020-01-02", Some(&aud))
        .await;
    assert!(r.json()["records"].as_array().unwrap().is_empty());
    assert_eq!(
        code(&app.get("/api/v1/audit?from=昨天", Some(&aud)).await),
        "audit.date_invalid"
    );
    assert_eq!(
        code(&app.get("/api/v1/audit/export.xlsx", Some(&aud)).await),
        "audit.reason_required"
    );
    let r = app
        .get(
            "/api/v1/audit/export.xlsx?reason=%E5%B9%B4%E5%BA%A6%E6%A3%80%E6%9F%A5",
            Some(&aud),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"), "an xlsx (zip) file");
    assert_eq!(
        audit_actions(&app, "audit.export").await[0].reason,
        "年度检查"
    );
    // A city audit admin reads only its own subtree.
    let nj = app.login("nj_audadmin").await;
    let r = app.get("/api/v1/audit?limit=500", Some(&nj)).await.json();
    let mut c = app.platform.db().read().await.unwrap();
    let nanjing = yunwei_store::users::by_username(&mut c, "nj_audadmin")
        .await
        .unwrap()
        .unwrap()
        .org_path;
    let records = r["records"].as_array().unwrap();
    assert!(!records.is_empty());
    assert!(records
        .iter()
        .all(|x| x["org_path"].as_str().unwrap().starts_with(&nanjing)));
    // A pooled connection still held would keep cleanup waiting.
    drop(c);
    app.cleanup().await;
}

#[tokio::test]
async fn errors_carry_code_chinese_message_and_request_id() {
    let app = TestApp::new().await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let b = r.json();
    assert_eq!(b["code"], "request.invalid_body");
    assert_eq!(
        b["request_id"].as_str().unwrap(),
        r.header("x-request-id").unwrap()
    );
    assert!(!r.text().to_lowercase().contains("serde"));
    let r = app.get("/api/v1/me", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["message"], "请先登录");
    let r = raw_login(&app, "nobody", "Whatever#123").await;
    assert_eq!(code(&r), "auth.invalid");
    assert!(audit_actions(&app, "auth.login")
        .await
        .iter()
        .any(|a| a.actor_name == "nobody" && a.result == "failure"));
    app.cleanup().await;
}

#[tokio::test]
async fn openapi_lists_every_api_route_and_healthz_answers() {
    let app = TestApp::new().await;
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}/disable",
        "/api/v1/roles/grants",
        "/api/v1/orgs",
        "/api/v1/audit",
        "/api/v1/audit/export.xlsx",
        "/api/v1/security-policy",
        "/api/v1/sessions",
        "/api/v1/tokens",
    ] {
        assert!(paths.contains_key(p), "{p} missing from OpenAPI");
    }
    // Every routed path, also where rustfmt put `.route(` and its path on
    // separate lines: the first string after each `.route(`.
    let src = include_str!("../../../web/src/api.rs");
    let mut routed = 0;
    for after in src.split(".route(").skip(1) {
        let path = after.split('"').nth(1).unwrap();
        if !path.starts_with("/api/v1/") {
            continue;
        }
        routed += 1;
        assert!(
            paths.contains_key(path),
            "routed {path} missing from OpenAPI"
        );
    }
    assert!(routed > 60, "{routed} routes found");
    assert!(paths.contains_key("/api/v1/registers/{register}/{id}/steps/{step}"));
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "ok");
    app.cleanup().await;
}

fn set_cookies(r: &TestResponse) -> Vec<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.strip_prefix(&format!("{name}="))
            .map(|v| v.split(';').next().unwrap().to_string())
    })
}

#[tokio::test]
async fn ui_login_uses_httponly_cookies_csrf_and_strict_headers() {
    let app = TestApp::new().await;
    let page = app.get("/login", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let login_csrf = cookie_value(&set_cookies(&page), "yw_login_csrf").unwrap();
    assert_eq!(hidden_csrf(&page.text()), login_csrf);
    // Without the matching token the login is refused.
    let body = format!(
        "csrf=forged&username=demo_staff&password={}",
        urlenc(TestApp::DEMO_PASSWORD)
    );
    let r = app
        .request(form(
            "/login",
            &format!("yw_login_csrf={login_csrf}"),
            &body,
        ))
        .await;
    assert!(set_cookies(&r)
        .iter()
        .all(|c| !c.starts_with("yw_session=")));
    let body = format!(
        "csrf={login_csrf}&username=demo_staff&password={}",
        urlenc(TestApp::DEMO_PASSWORD)
    );
    let r = app
        .request(form(
            "/login",
            &format!("yw_login_csrf={login_csrf}"),
            &body,
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/password/change"));
    let cookies = set_cookies(&r);
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("yw_session="))
        .unwrap();
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Strict"));
    let session = cookie_value(&cookies, "yw_session").unwrap();
    let cookie = format!("yw_session={session}");
    // Every other page sends the user to change the password first.
    let req = Request::builder()
        .uri("/users")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.header("location"), Some("/password/change"));
    let req = Request::builder()
        .uri("/password/change")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let page = app.request(req).await;
    let csrf = hidden_csrf(&page.text());
    let pw = urlenc(TestApp::NEW_PASSWORD);
    let body = format!(
        "csrf=wrong&current_password={}&new_password={pw}&confirm_password={pw}",
        urlenc(TestApp::DEMO_PASSWORD)
    );
    let r = app.request(form("/password/change", &cookie, &body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF token checked");
    let body = format!(
        "csrf={csrf}&current_password={}&new_password={pw}&confirm_password={pw}",
        urlenc(TestApp::DEMO_PASSWORD)
    );
    let r = app.request(form("/password/change", &cookie, &body)).await;
    assert_eq!(r.header("location"), Some("/"));
    let req = Request::builder()
        .uri("/")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let home = app.request(req).await;
    assert!(home.text().contains("id=\"home\"") && home.text().contains("欢迎，孙晓梅"));
    app.cleanup().await;
}

#[tokio::test]
async fn ui_pages_render_for_each_admin_and_refuse_others() {
    let app = TestApp::new().await;
    let mut cookies = std::collections::HashMap::new();
    for user in ["sysadmin", "secadmin", "audadmin", "demo_staff"] {
        let token = app.login(user).await;
        cookies.insert(user, format!("yw_session={token}"));
    }
    let get = |path: &str, who: &str| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, cookies[who].clone())
            .body(Body::empty())
            .unwrap()
    };
    for (who, path) in [
        ("sysadmin", "/orgs"),
        ("sysadmin", "/users"),
        ("sysadmin", "/config"),
        ("secadmin", "/security-policy"),
        ("secadmin", "/sessions?all=true"),
        ("audadmin", "/audit"),
        ("demo_staff", "/tokens"),
        ("demo_staff", "/sessions"),
    ] {
        let r = app.request(get(path, who)).await;
        assert_eq!(r.status, StatusCode::OK, "{who} {path}: {}", r.text());
    }
    for (who, path) in [
        ("demo_staff", "/users"),
        ("demo_staff", "/audit"),
        ("sysadmin", "/audit"),
        ("audadmin", "/config"),
    ] {
        let r = app.request(get(path, who)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {path}");
        assert!(r.text().contains("请求编号"));
    }
    let sys_users = app.request(get("/users", "sysadmin")).await.text();
    assert!(sys_users.contains("demo_staff") && sys_users.contains("139****"));
    // Exports need a reason and the form's CSRF token.
    let csrf = hidden_csrf(&sys_users);
    let cookie = cookies["sysadmin"].clone();
    let r = app
        .request(form(
            "/users/export",
            &cookie,
            format!("csrf={csrf}&reason="),
        ))
        .await;
    assert!(r.text().contains("请填写操作原因"));
    let r = app
        .request(form(
            "/users/export",
            &cookie,
            format!("csrf=bad&reason={}", urlenc("年度核查")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .request(form(
            "/users/export",
            &cookie,
            format!("csrf={csrf}&reason={}", urlenc("年度核查")),
        ))
        .await;
    assert!(r.body.starts_with(b"PK"));
    assert_eq!(
        audit_actions(&app, "user.export").await[0].reason,
        "年度核查"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn user_list_filters_by_text_literally_and_pages() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let r = app
        .get("/api/v1/users?q=demo_staff", Some(&sys))
        .await
        .json();
    let names: Vec<&str> = r["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["demo_staff"]);
    let r = app
        .get("/api/v1/users?q=%E6%99%93%E6%A2%85", Some(&sys))
        .await
        .json();
    assert_eq!(r["users"][0]["display_name"], "孙晓梅");
    // Wildcards are text, not patterns.
    let r = app.get("/api/v1/users?q=%25", Some(&sys)).await.json();
    assert_eq!(r["total"], 0);
    let r = app.get("/api/v1/users?q=demo%5F", Some(&sys)).await.json();
    assert!(r["total"].as_i64().unwrap() >= 8);
    let all = app
        .get("/api/v1/users?per_page=5&page=1", Some(&sys))
        .await
        .json();
    let second = app
        .get("/api/v1/users?per_page=5&page=2", Some(&sys))
        .await
        .json();
    assert_eq!(all["users"].as_array().unwrap().len(), 5);
    assert_ne!(all["users"][0]["id"], second["users"][0]["id"]);
    assert_eq!(all["total"], second["total"]);
    app.cleanup().await;
}

/// Whether `token` reads the register entry at `path`.
async fn reads(app: &TestApp, token: &str, path: &str) -> bool {
    app.get(path, Some(token)).await.status == StatusCode::OK
}

/// JSCZ-49: a third party's grant names its end; at the end it gives
/// nothing at once, and the job removes it, tells the holder and the
/// granter and audits it, even if nobody logs in.
#[tokio::test]
async fn jscz_49_grant_expires_at_its_end_and_is_revoked_even_if_nobody_logs_in() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let vendor = user_id(&app, "demo_vendor").await;
    let nanjing = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.name == "南京市财政局")
            .unwrap()
            .id
    };
    let grant = |until: Option<&str>| {
        let mut b = json!({"user_id": vendor, "role": "vendor_engineer", "scope_org_id": nanjing, "reason": "南京市预算系统驻场运维"});
        if let Some(u) = until {
            b["valid_until"] = json!(u);
        }
        b
    };
    // No end: refused, and the refusal audited.
    let r = app
        .post_json("/api/v1/roles/grants", Some(&sec), grant(None))
        .await;
    assert_eq!(code(&r), "role.valid_until_required", "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            grant(Some("2026-03-01")),
        )
        .await;
    assert_eq!(code(&r), "role.valid_until_past");
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            grant(Some("2026-03-05")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["valid_until_text"], "2026-03-06 00:00:00");

    // A record of Nanjing's that the grant lets the vendor read.
    let lead = app.login("demo_lead").await;
    let r = app
        .post_json(
            "/api/v1/registers/trainings",
            Some(&lead),
            json!({"org_id": nanjing, "values": {"held_on": "2026-03-02", "topic": "系统操作培训", "kind": "end_user", "hours": 2, "participants": "业务处室"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let record = format!(
        "/api/v1/registers/trainings/{}",
        r.json()["id"].as_str().unwrap()
    );
    // Through 5 March (Beijing) the vendor reads it.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-03-05T23:59:59+08:00")
            .unwrap()
            .into(),
    );
    let token = app.login("demo_vendor").await;
    assert!(reads(&app, &token, &record).await);
    assert_eq!(
        yunwei_core::roles::expire_grants(&app.platform, 100)
            .await
            .unwrap(),
        0
    );
    // From 00:00 on the 6th the grant gives nothing, before any job runs.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-03-06T00:00:00+08:00")
            .unwrap()
            .into(),
    );
    let token = app.login("demo_vendor").await;
    assert!(!reads(&app, &token, &record).await);
    // Nobody logs in; the job removes it once, even run twice.
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(
        yunwei_core::roles::expire_grants(&app.platform, 100)
            .await
            .unwrap(),
        0,
        "the job already removed it"
    );
    let mut c = app.platform.db().read().await.unwrap();
    let left = yunwei_store::users::grants_of(&mut c, &vendor)
        .await
        .unwrap();
    assert!(left.iter().all(|g| g.scope_org_id != nanjing), "{left:?}");
    let notices = yunwei_store::tickets::notifications_of(&mut c, &vendor, 50)
        .await
        .unwrap();
    assert!(notices
        .iter()
        .any(|n| n.kind == "grant_expired" && n.title.contains("厂商工程师")));
    let audit = yunwei_store::audit::search(
        &mut c,
        &yunwei_store::Scope::system(),
        &yunwei_store::audit::AuditFilter {
            action: Some("role.expire".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_name, "system");
    let denied = yunwei_store::audit::search(
        &mut c,
        &yunwei_store::Scope::system(),
        &yunwei_store::audit::AuditFilter {
            action: Some("role.grant".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert!(denied
        .iter()
        .any(|a| a.result == "denied" && a.after.contains("role.valid_until_required")));
    drop(c);
    app.cleanup().await;
}

/// JSCZ-51 / JSCZ-47: a departure closes every account, session, token and
/// grant of the person, sends their vendor staff entries off site, and
/// asks the audit administrators to review their trail.
#[tokio::test]
async fn jscz_51_departure_closes_every_grant_and_account_of_the_person() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let sec = app.login("secadmin").await;
    let vendor = app.login("demo_vendor").await;
    let vendor_id = user_id(&app, "demo_vendor").await;
    // An API token, a second grant with an end, and a staff entry.
    let r = app
        .post_json(
            "/api/v1/tokens",
            Some(&vendor),
            json!({"name": "巡检脚本", "days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let api_token = r.json()["token"].as_str().unwrap().to_string();
    let nanjing = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.name == "南京市财政局")
            .unwrap()
            .id
    };
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            json!({"user_id": vendor_id, "role": "vendor_engineer", "scope_org_id": nanjing, "reason": "驻场", "valid_until": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let vendor_org = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::users::by_username(&mut c, "demo_vendor")
            .await
            .unwrap()
            .unwrap()
            .org_id
    };
    let lead = app.login("demo_lead").await;
    let center = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.name == "信息中心")
            .unwrap()
            .id
    };
    let staff = app
        .post_json(
            "/api/v1/registers/vendor_staff",
            Some(&vendor),
            json!({"org_id": vendor_org, "values": {"name": "郑海峰", "client_org_id": center, "username": "demo_vendor"}}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.text());
    let staff_id = staff.json()["id"].as_str().unwrap().to_string();
    let change = app
        .post_json(
            "/api/v1/registers/staff_changes",
            Some(&vendor),
            json!({"org_id": center, "values": {"vendor_org_id": vendor_org, "change_kind": "onsite_in", "joining_id": staff_id, "reason": "进场"}}),
        )
        .await;
    let cid = change.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            &format!("/api/v1/registers/staff_changes/{cid}/steps/approve"),
            Some(&lead),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // A temporary grant in a managed system (JSCZ-8, ADR 0007).
    let access_ticket = crate::access::request_access(&app, "demo_vendor", "bastion").await;
    let access = crate::access::grant_access(&app, &access_ticket).await;

    // Only the system administrator registers it, with a reason.
    let r = app
        .post_json(
            &format!("/api/v1/users/{vendor_id}/departure"),
            Some(&lead),
            json!({"reason": "合同到期离场"}),
        )
        .await;
    assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND);
    let r = app
        .post_json(
            &format!("/api/v1/users/{vendor_id}/departure"),
            Some(&sys),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(code(&r), "audit.reason_required");
    let r = app
        .post_json(
            &format!("/api/v1/users/{vendor_id}/departure"),
            Some(&sys),
            json!({"reason": "合同到期离场"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = r.json();
    assert_eq!(d["grants_removed"], 2, "{d}");
    assert_eq!(d["tokens_revoked"], 1);
    assert_eq!(d["staff_entries"], 1);
    assert_eq!(d["user"]["status"], "disabled");
    assert_eq!(d["access_revoked"], 1);
    let sysop = app.login("demo_sysop").await;
    let g = app
        .get(
            &format!("/api/v1/registers/access_grants/{access}"),
            Some(&sysop),
        )
        .await
        .json();
    assert_eq!(g["entry"]["status"], "revoked", "{g}");
    assert_eq!(g["controls"][0]["kind"], "grant_removal");

    // Nothing of the person works any more.
    for t in [&vendor, &api_token] {
        let r = app.get("/api/v1/me", Some(t)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    }
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "demo_vendor", "password": TestApp::NEW_PASSWORD}),
        )
        .await;
    assert!(!r.status.is_success(), "{}", r.text());
    let mut c = app.platform.db().read().await.unwrap();
    assert!(yunwei_store::users::grants_of(&mut c, &vendor_id)
        .await
        .unwrap()
        .is_empty());
    let entry = app
        .get(
            &format!("/api/v1/registers/vendor_staff/{staff_id}"),
            Some(&lead),
        )
        .await
        .json();
    let presence = entry["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "presence")
        .unwrap()["value"]
        .clone();
    assert_eq!(presence, "off_site");
    // The audit administrators are asked to review the trail.
    let aud = yunwei_store::users::by_username(&mut c, "audadmin")
        .await
        .unwrap()
        .unwrap();
    let notices = yunwei_store::tickets::notifications_of(&mut c, &aud.id, 20)
        .await
        .unwrap();
    assert!(notices
        .iter()
        .any(|n| n.kind == "departure_review" && n.body.contains("/audit?actor=demo_vendor")));
    let recs = yunwei_store::audit::search(
        &mut c,
        &yunwei_store::Scope::system(),
        &yunwei_store::audit::AuditFilter {
            action: Some("user.departure".into()),
            ..Default::default()
        },
        5,
    )
    .await
    .unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].reason, "合同到期离场");
    drop(c);
    app.cleanup().await;
}

/// 等保 L3 / JSCZ-53: an administrator enrolls a TOTP factor; from then on
/// the login needs the current code, a wrong code counts as a failed login,
/// and the security administrator can clear a lost factor.
#[tokio::test]
async fn jscz_53_totp_second_factor_is_required_once_enrolled() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let password = TestApp::NEW_PASSWORD;
    let r = app
        .post_json(
            "/api/v1/me/totp/confirm",
            Some(&sys),
            json!({"code": "123456"}),
        )
        .await;
    assert_eq!(code(&r), "mfa.not_enrolling");
    let r = app
        .post_json("/api/v1/me/totp", Some(&sys), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let secret = r.json()["secret"].as_str().unwrap().to_string();
    assert!(r.json()["uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/yunwei:sysadmin?"));
    let now = || app.platform.clock.now().timestamp() as u64;
    let code_now = |t: u64| yunwei_core::mfa::code_at(&secret, t).unwrap();
    // Enrolled but not confirmed: the login still needs no code.
    let login = |code: Option<String>| {
        let mut b = json!({"username": "sysadmin", "password": password});
        if let Some(c) = code {
            b["totp_code"] = json!(c);
        }
        b
    };
    assert_eq!(
        app.post_json("/api/v1/auth/login", None, login(None))
            .await
            .status,
        StatusCode::OK
    );
    let wrong = if code_now(now()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = app
        .post_json(
            "/api/v1/me/totp/confirm",
            Some(&sys),
            json!({"code": wrong}),
        )
        .await;
    assert_eq!(code(&r), "mfa.code_invalid");
    let r = app
        .post_json(
            "/api/v1/me/totp/confirm",
            Some(&sys),
            json!({"code": code_now(now())}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        app.get("/api/v1/me/totp", Some(&sys)).await.json()["enabled"],
        true
    );
    // Now the password alone is not enough.
    let r = app.post_json("/api/v1/auth/login", None, login(None)).await;
    assert_eq!(code(&r), "auth.totp_required", "{}", r.text());
    let r = app
        .post_json("/api/v1/auth/login", None, login(Some(wrong.to_string())))
        .await;
    assert_eq!(code(&r), "auth.totp_invalid");
    assert!(r.json()["message"].as_str().unwrap().contains("再失败4次"));
    // A code from two minutes ago is refused; the current one works.
    let r = app
        .post_json(
            "/api/v1/auth/login",
            None,
            login(Some(code_now(now() - 120))),
        )
        .await;
    if code_now(now() - 120) != code_now(now()) {
        assert_eq!(code(&r), "auth.totp_invalid");
    }
    let r = app
        .post_json("/api/v1/auth/login", None, login(Some(code_now(now()))))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The security administrator clears it (phone lost), with a reason.
    let sec = app.login("secadmin").await;
    let sys_id = user_id(&app, "sysadmin").await;
    let r = app
        .post_json(
            &format!("/api/v1/users/{sys_id}/totp/reset"),
            Some(&sys),
            json!({"reason": "x"}),
        )
        .await;
    assert!(!r.status.is_success(), "the system administrator may not");
    let r = app
        .post_json(
            &format!("/api/v1/users/{sys_id}/totp/reset"),
            Some(&sec),
            json!({"reason": "手机丢失"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(
        app.post_json("/api/v1/auth/login", None, login(None))
            .await
            .status,
        StatusCode::OK
    );
    app.cleanup().await;
}

#[tokio::test]
async fn totp_pages_enroll_and_confirm() {
    let app = TestApp::new().await;
    let b = crate::support::Browser::login(&app, "secadmin").await;
    let page = b.get("/mfa").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("未启用"));
    let r = b.post("/mfa", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    let at = html.find("<code>").unwrap() + "<code>".len();
    let secret = html[at..].split('<').next().unwrap().to_string();
    let bad = b.post("/mfa/confirm", &[("code", "12")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let code =
        yunwei_core::mfa::code_at(&secret, app.platform.clock.now().timestamp() as u64).unwrap();
    let ok = b.post("/mfa/confirm", &[("code", &code)]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert!(ok.text().contains("动态口令已启用") && ok.text().contains("已启用"));
    app.cleanup().await;
}

/// The password-expiry notices of `username`, oldest first.
async fn expiry_notices(app: &TestApp, username: &str) -> Vec<(String, Option<i64>)> {
    let id = user_id(app, username).await;
    let mut c = app.platform.db().read().await.unwrap();
    let mut v: Vec<_> = yunwei_store::tickets::notifications_of(&mut c, &id, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == yunwei_core::passwords::EXPIRY_NOTICE_KIND)
        .map(|n| (n.title, n.due_at))
        .collect();
    v.reverse();
    v
}

/// EEDS-3.8.6 「系统(网络)管理员不定期更换一次密码」: the security
/// administrator sets the password age and the reminder's lead time (here
/// 30 and 5 days); each password's holder is reminded once, that many
/// days before it expires, by the job, and a new password is reminded of
/// again when its own time comes.
#[tokio::test]
async fn eeds_3_8_6_password_expiry_reminder_is_sent_once_per_password() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let mut p = app.get("/api/v1/security-policy", Some(&sec)).await.json();
    assert_eq!(p["password_max_age_days"], 90, "the default");
    p["password_max_age_days"] = json!(0);
    p["reason"] = json!("按单位规定设置密码有效期");
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), p.clone())
        .await;
    assert_eq!(code(&r), "policy.below_floor", "no switching it off");
    p["password_max_age_days"] = json!(30);
    p["password_expiry_notice_days"] = json!(5);
    let r = app.put_json("/api/v1/security-policy", Some(&sec), p).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    app.login("demo_staff").await; // sets its password now
    let set_at = app.platform.now_us();
    let expires = set_at + Duration::days(30).num_microseconds().unwrap();
    // Not yet: more than 5 days before the expiry.
    app.clock.advance(Duration::days(24));
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert!(expiry_notices(&app, "demo_staff").await.is_empty());
    // 5 days before: one reminder, naming the expiry.
    app.clock.advance(Duration::days(1) + Duration::hours(1));
    crate::support::run_jobs(&app.platform).await.unwrap();
    let told = expiry_notices(&app, "demo_staff").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].1, Some(expires));
    assert!(told[0].0.contains("即将到期"), "{told:?}");
    // The next runs send nothing more for the same password.
    crate::support::run_jobs(&app.platform).await.unwrap();
    app.clock.advance(Duration::days(2));
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(expiry_notices(&app, "demo_staff").await.len(), 1);
    let id = user_id(&app, "demo_staff").await;
    let audited = audit_actions(&app, "user.password_expiry_notice").await;
    assert_eq!(
        audited
            .iter()
            .filter(|a| a.object_id == id && a.actor_role == "system")
            .count(),
        1
    );
    // A new password is reminded of again, 25 days after it was set.
    let token = app.login("demo_staff").await;
    let newer = "Lv9#Qe2!Zt7pKw4m";
    let r = app
        .post_json(
            "/api/v1/auth/password",
            Some(&token),
            json!({"current_password": TestApp::NEW_PASSWORD, "new_password": newer, "confirm_password": newer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    app.clock.advance(Duration::days(24));
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(expiry_notices(&app, "demo_staff").await.len(), 1);
    app.clock.advance(Duration::days(2));
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(expiry_notices(&app, "demo_staff").await.len(), 2);
    app.cleanup().await;
}

/// EEDS-3.8.6 「不定期更换」: a password older than the policy's age (90
/// days by default) must be changed at the next login, by the API and in
/// the browser, exactly like an initial password; the change clears it.
#[tokio::test]
async fn eeds_3_8_6_expired_password_forces_a_change_at_login() {
    let app = TestApp::new().await;
    app.login("demo_staff").await; // its password is set now
    app.clock.advance(Duration::days(89));
    let r = raw_login(&app, "demo_staff", TestApp::NEW_PASSWORD).await;
    assert_eq!(r.json()["must_change_password"], false, "not yet expired");
    app.clock.advance(Duration::days(1));
    let r = raw_login(&app, "demo_staff", TestApp::NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["must_change_password"], true, "expired");
    let token = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/tickets", Some(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    let id = user_id(&app, "demo_staff").await;
    let expired = audit_actions(&app, "auth.password_expired").await;
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].object_id, id);
    // The browser is sent to the password form and kept there.
    let page = app.get("/login", None).await;
    let login_csrf = cookie_value(&set_cookies(&page), "yw_login_csrf").unwrap();
    let body = format!(
        "csrf={login_csrf}&username=demo_staff&password={}",
        urlenc(TestApp::NEW_PASSWORD)
    );
    let r = app
        .request(form(
            "/login",
            &format!("yw_login_csrf={login_csrf}"),
            &body,
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/password/change"));
    let session = cookie_value(&set_cookies(&r), "yw_session").unwrap();
    let cookie = format!("yw_session={session}");
    let get = |path: &str| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let r = app.request(get("/")).await;
    assert_eq!(r.header("location"), Some("/password/change"));
    let page = app.request(get("/password/change")).await;
    assert!(page.text().contains("密码已到期"), "{}", page.text());
    // Still once: the second login found the flag already set.
    assert_eq!(audit_actions(&app, "auth.password_expired").await.len(), 1);
    let csrf = hidden_csrf(&page.text());
    let pw = urlenc("Lv9#Qe2!Zt7pKw4m");
    let body = format!(
        "csrf={csrf}&current_password={}&new_password={pw}&confirm_password={pw}",
        urlenc(TestApp::NEW_PASSWORD)
    );
    let r = app.request(form("/password/change", &cookie, &body)).await;
    assert_eq!(r.header("location"), Some("/"), "{}", r.text());
    // Changed: the next login goes straight in, and the new password runs
    // its own 90 days.
    let r = raw_login(&app, "demo_staff", "Lv9#Qe2!Zt7pKw4m").await;
    assert_eq!(r.json()["must_change_password"], false);
    let token = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/tickets", Some(&token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::days(89));
    let r = raw_login(&app, "demo_staff", "Lv9#Qe2!Zt7pKw4m").await;
    assert_eq!(r.json()["must_change_password"], false);
    app.cleanup().await;
}

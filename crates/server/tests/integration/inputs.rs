//! Input hardening (issue 11, defect 9): password length as the login
//! accepts it, one error format for every request error, names without
//! bidi or control characters, literal CMDB search, bounded page
//! parameters, passwords not built from the organisation, and demo
//! third-party grants that end.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{org_id, urlenc};

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

/// A JSON error of the API: stable code, Chinese message, request id.
fn assert_api_error(r: &TestResponse, status: StatusCode, expected: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}: {}",
        r.header("content-type"),
        r.text()
    );
    let v = r.json();
    assert_eq!(v["code"], expected, "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "not Chinese: {msg}"
    );
    assert_eq!(
        v["request_id"].as_str(),
        r.header("x-request-id"),
        "request id in the body"
    );
    v
}

/// The Chinese error page of the UI.
fn assert_ui_error(r: &TestResponse, status: StatusCode, message_part: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        r.header("content-type")
    );
    let page = r.text();
    assert!(page.contains(message_part), "{page}");
    assert!(page.contains(r.header("x-request-id").unwrap()), "{page}");
}

fn raw(method: Method, uri: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(body.into()).unwrap()
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> TestResponse {
    app.post_json(
        "/api/v1/auth/password",
        Some(token),
        json!({"current_password": current, "new_password": new, "confirm_password": new}),
    )
    .await
}

async fn login(app: &TestApp, username: &str, password: &str) -> TestResponse {
    app.post_json(
        "/api/v1/auth/login",
        None,
        json!({"username": username, "password": password}),
    )
    .await
}

/// Defect 9a: a password longer than the login accepts (256 bytes) is
/// refused by the password change, so the owner cannot lock themself out.
#[tokio::test]
async fn defect_9a_password_change_refuses_what_login_refuses() {
    let app = TestApp::new().await;
    let token = app.login("demo_lead").await;
    let long: String = "Yw#7kP!q2Lm9".chars().cycle().take(257).collect();
    let r = change_password(&app, &token, TestApp::NEW_PASSWORD, &long).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "password.too_long");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("不得超过256字节"));
    // The old password still logs in.
    let r = login(&app, "demo_lead", TestApp::NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // At the limit both agree: set, then used to log in.
    let at_max: String = "Yw#7kP!q2Lm9".chars().cycle().take(256).collect();
    let r = change_password(&app, &token, TestApp::NEW_PASSWORD, &at_max).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = login(&app, "demo_lead", &at_max).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.cleanup().await;
}

/// Defect 9b: every error of the API is JSON `{code, message, request_id}`
/// with a stable code and a Chinese message; the UI answers with the
/// Chinese error page.
#[tokio::test]
async fn defect_9b_request_errors_have_one_chinese_format() {
    let app = TestApp::new().await;
    let token = app.login("demo_staff").await;

    // Unknown route.
    let r = app.get("/api/v1/no-such-thing", Some(&token)).await;
    assert_api_error(&r, StatusCode::NOT_FOUND, "request.not_found");
    let r = app.get("/api/v1/no-such-thing", None).await;
    assert_api_error(&r, StatusCode::NOT_FOUND, "request.not_found");
    let r = app.get("/no-such-page", None).await;
    assert_ui_error(&r, StatusCode::NOT_FOUND, "请求的页面或接口不存在");

    // Wrong method.
    let r = app.delete("/api/v1/me", Some(&token)).await;
    assert_api_error(
        &r,
        StatusCode::METHOD_NOT_ALLOWED,
        "request.method_not_allowed",
    );
    assert!(r.header("allow").is_some_and(|a| a.contains("GET")));
    let r = app
        .request(raw(Method::PUT, "/login", None, Body::empty()))
        .await;
    assert_ui_error(&r, StatusCode::METHOD_NOT_ALLOWED, "该地址不支持此请求方法");

    // A query string that does not parse.
    let r = app
        .request(raw(
            Method::POST,
            "/api/v1/tickets/x/attachments",
            Some(&token),
            "abc",
        ))
        .await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "request.invalid_query");
    let r = app.get("/api/v1/tickets?page=abc", Some(&token)).await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "request.invalid_page");

    // Oversized bodies: a JSON body over the 2 MB default, an attachment
    // over its limit.
    let big = format!(
        "{{\"username\":\"demo_staff\",\"password\":\"{}\"}}",
        "x".repeat(3 * 1024 * 1024)
    );
    let mut req = raw(Method::POST, "/api/v1/auth/login", None, big);
    req.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let r = app.request(req).await;
    assert_api_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large");
    let r = app
        .request(raw(
            Method::POST,
            "/api/v1/tickets/x/attachments?kind=other&filename=a.bin",
            Some(&token),
            vec![0u8; 21 * 1024 * 1024 + 1024],
        ))
        .await;
    assert_api_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large");

    // Malformed JSON keeps its Chinese 400.
    let mut req = raw(Method::POST, "/api/v1/auth/login", None, "{not json");
    req.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let r = app.request(req).await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "request.invalid_body");
    app.cleanup().await;
}

/// Defect 9c: names made only of invisible characters and names holding
/// bidi or control characters are refused (file names, people,
/// organisations, ticket titles, register fields).
#[tokio::test]
async fn defect_9c_names_refuse_bidi_control_and_invisible_characters() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    // A ticket title.
    let open = |title: &'static str| {
        json!({"pack": "jscz", "process": "change", "title": title,
               "fields": {"system": "预算管理一体化系统", "description": "更正", "reason": "发文更正",
                          "level": "major", "type": "data", "planned_start": "2026-03-20T09:00:00+08:00"}})
    };
    let r = app
        .post_json("/api/v1/tickets", Some(&staff), open("\u{200B}\u{FEFF} "))
        .await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "ticket.title_invalid");
    let r = app
        .post_json("/api/v1/tickets", Some(&staff), open("更正\u{202E}文号"))
        .await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "text.bidi_control");
    let r = app
        .post_json("/api/v1/tickets", Some(&staff), open("更正文号"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();

    // An attachment's file name: extension spoofing.
    let attach = |name: &str| {
        raw(
            Method::POST,
            &format!(
                "/api/v1/tickets/{id}/attachments?kind=other&filename={}",
                urlenc(name)
            ),
            Some(&staff),
            "content",
        )
    };
    let r = app.request(attach("report\u{202E}fdp.exe")).await;
    let v = assert_api_error(&r, StatusCode::BAD_REQUEST, "text.bidi_control");
    assert!(v["message"].as_str().unwrap().starts_with("文件名"), "{v}");
    let r = app.request(attach("\u{200B}")).await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "ticket.attachment_name");
    let r = app.request(attach("a\u{7}.pdf")).await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "text.control_char");
    let r = app.request(attach("更正说明.pdf")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // A user's display name and an organisation's name.
    let sys = app.login("sysadmin").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    for (name, expected) in [
        ("\u{200B}\u{200C}", "user.display_name_invalid"),
        ("张\u{202D}伟", "text.bidi_control"),
        ("张\u{1B}伟", "text.control_char"),
    ] {
        let r = app
            .post_json(
                "/api/v1/users",
                Some(&sys),
                json!({"username": "zhangw9", "display_name": name, "org_id": nanjing}),
            )
            .await;
        assert_api_error(&r, StatusCode::BAD_REQUEST, expected);
    }
    for (name, expected) in [
        ("\u{2060}", "org.name_invalid"),
        ("南京\u{2067}市财政局信息科", "text.bidi_control"),
    ] {
        let r = app
            .post_json(
                "/api/v1/orgs",
                Some(&sys),
                json!({"parent_id": nanjing, "kind": "department", "name": name}),
            )
            .await;
        assert_api_error(&r, StatusCode::BAD_REQUEST, expected);
    }

    // A register text field.
    let hw = app.login("demo_hwops").await;
    let org = org_id(&app, "硬件运维科").await;
    let r = app
        .post_json(
            "/api/v1/registers/backup_plans",
            Some(&hw),
            json!({"org_id": org, "values": {
                "name": "数据库备份\u{202E}fdp.exe", "scope": "数据库全库", "frequency": "daily",
                "location": "备份服务器", "retention_days": 180}}),
        )
        .await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "text.bidi_control");
    app.cleanup().await;
}

/// Defect 9d: the CMDB search matches `_` and `%` literally (LIKE with an
/// ESCAPE clause) instead of dropping them.
#[tokio::test]
async fn defect_9d_cmdb_search_escapes_like_wildcards() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    for code in ["SZ_SRV_01", "SZXSRVY01", "SZSRV01"] {
        let r = app
            .post_json(
                "/api/v1/cis",
                Some(&lead),
                json!({"code": code, "name": format!("服务器 {code}"), "category": "hardware"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let codes = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    let found = app
        .get(
            &format!("/api/v1/cis?q={}", urlenc("SZ_SRV_01")),
            Some(&lead),
        )
        .await
        .json();
    assert_eq!(codes(found), vec!["SZ_SRV_01".to_string()]);
    let found = app
        .get(&format!("/api/v1/cis?q={}", urlenc("SZ%")), Some(&lead))
        .await
        .json();
    assert_eq!(found["total"], 0, "{found}");
    let found = app
        .get(&format!("/api/v1/cis?q={}", urlenc("_SRV_")), Some(&lead))
        .await
        .json();
    assert_eq!(codes(found), vec!["SZ_SRV_01".to_string()]);
    // The users filter escapes them too.
    let sys = app.login("sysadmin").await;
    let users = app
        .get(&format!("/api/v1/users?q={}", urlenc("demo_")), Some(&sys))
        .await
        .json();
    let all = users["users"].as_array().unwrap();
    assert!(!all.is_empty(), "{users}");
    let users = app
        .get(&format!("/api/v1/users?q={}", urlenc("%")), Some(&sys))
        .await
        .json();
    assert_eq!(users["total"], 0, "{users}");
    app.cleanup().await;
}

/// Defect 9e: page parameters beyond 1,000,000, zero or not numbers are a
/// Chinese 400 (`request.invalid_page`), never wrapped to page 1.
#[tokio::test]
async fn defect_9e_page_parameters_never_wrap() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    for q in [
        "page=18446744073709551615",
        "page=18446744073709551616",
        "page=1000001",
        "page=0",
        "page=-1",
        "per_page=18446744073709551615",
    ] {
        let r = app.get(&format!("/api/v1/tickets?{q}"), Some(&staff)).await;
        let v = assert_api_error(&r, StatusCode::BAD_REQUEST, "request.invalid_page");
        assert!(v["message"].as_str().unwrap().contains("分页参数"), "{v}");
    }
    let r = app.get("/api/v1/tickets?page=1000000", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["tickets"].as_array().map(Vec::len),
        Some(0),
        "{}",
        r.text()
    );
    let sys = app.login("sysadmin").await;
    let r = app
        .get("/api/v1/users?page=18446744073709551615", Some(&sys))
        .await;
    assert_api_error(&r, StatusCode::BAD_REQUEST, "request.invalid_page");
    // The UI answers with the error page.
    let b = crate::support::Browser::login(&app, "demo_staff").await;
    let r = app
        .request(
            Request::builder()
                .uri("/tickets?page=18446744073709551615")
                .header(header::COOKIE, &b.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_ui_error(&r, StatusCode::BAD_REQUEST, "分页参数 page 无效");
    app.cleanup().await;
}

/// JSCZ-43 / EEDS-3.8.6: no dictionary words or the user's or the
/// organisation's details; `Jsczt@2026` (江苏省财政厅 and a year) and the
/// initials of the user's own organisation with a year are refused.
/// Changed for issue 16: `JSCZ-2026!` became `Jscz-2026!`, since without a
/// lower-case letter it now fails EEDS-3.8.6 before the organisation check.
#[tokio::test]
async fn jscz_43_password_built_from_organisation_initials_is_refused() {
    let app = TestApp::new().await;
    let token = app.login("demo_lead").await;
    for pw in [
        "Jsczt@2026",
        "Jscz-2026!",
        "Xxzx@20260302",
        "Jiangsucaizheng#123",
    ] {
        let r = change_password(&app, &token, TestApp::NEW_PASSWORD, pw).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{pw}: {}", r.text());
        assert_eq!(code(&r), "password.contains_org_info", "{pw}");
    }
    let r = change_password(&app, &token, TestApp::NEW_PASSWORD, "Jsczt#Xk9!pQ2m").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-49: third parties' grants must end; in the demo every grant held
/// by a vendor organisation's user has `valid_until`.
#[tokio::test]
async fn jscz_49_demo_vendor_grants_have_an_end() {
    let app = TestApp::new().await;
    let mut c = app.platform.db().read().await.unwrap();
    let scope = yunwei_store::Scope::system();
    let vendors: Vec<_> = yunwei_store::orgs::list(&mut c, &scope)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.kind == "vendor")
        .collect();
    assert!(vendors.len() >= 2);
    let (users, _) = yunwei_store::users::list(&mut c, &scope, &Default::default(), 0, 1000)
        .await
        .unwrap();
    let mut checked = 0;
    for u in users
        .iter()
        .filter(|u| vendors.iter().any(|v| u.org_path.starts_with(&v.path)))
    {
        for g in yunwei_store::users::grants_of(&mut c, &u.id).await.unwrap() {
            let end = g
                .valid_until
                .unwrap_or_else(|| panic!("{}: {} has no end", u.username, g.role));
            assert!(end > app.platform.now_us());
            checked += 1;
        }
    }
    assert!(checked >= 2, "vendor grants checked: {checked}");
    drop(c);
    app.cleanup().await;
}

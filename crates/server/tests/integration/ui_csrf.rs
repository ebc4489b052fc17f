//! Every form post of the UI is checked for its CSRF token in one place:
//! the UI's route table puts each POST route behind its CSRF layer, and
//! `yunwei_web::ui_routes()` lists the same table. These tests post to every
//! form route of that list, logged in but without the session's token, and
//! expect the Chinese 403 page; a route added without the layer (or a POST
//! handler outside the table on a page's path) makes them fail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use futures_util::StreamExt;
use yunwei_testkit::{TestApp, TestResponse};
use yunwei_web::UiGuard;

use crate::support::{encode, form, hidden_csrf, Browser, FilePart};

/// A concrete path of a route: every parameter a made-up value (the token
/// is checked before the route's handler looks at them).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// The CSRF refusal: the Chinese error page, 403, with the request id.
fn assert_refused(r: &TestResponse, what: &str) {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{what}: {:?}",
        r.header("content-type")
    );
    let page = r.text();
    assert!(
        page.contains("页面已过期或请求来源无效，请刷新页面后重试"),
        "{what}: {page}"
    );
    assert!(
        page.contains(r.header("x-request-id").unwrap()),
        "{what}: {page}"
    );
}

fn set_cookies(r: &TestResponse) -> Vec<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn text_file() -> FilePart<'static> {
    FilePart {
        field: "file",
        filename: "a.txt",
        content_type: "text/plain",
        content: b"hello",
    }
}

#[tokio::test]
async fn every_ui_form_post_is_refused_without_the_session_csrf_token() {
    let app = TestApp::new().await;
    let b = Browser::login(&app, "demo_staff").await;
    // Another user's page: a token, but not of this session.
    let other = Browser::login(&app, "demo_lead").await;
    assert_ne!(b.csrf, other.csrf);

    let routes = yunwei_web::ui_routes();
    let posts: Vec<(&str, UiGuard)> = routes
        .iter()
        .copied()
        .filter(|(_, g)| *g != UiGuard::Page)
        .collect();
    // The table is the UI's: its form posts, its uploads and its logins.
    let count = |g: UiGuard| posts.iter().filter(|(_, x)| *x == g).count();
    assert!(count(UiGuard::Form) >= 50, "{posts:?}");
    assert_eq!(count(UiGuard::Upload), 10, "{posts:?}");
    assert_eq!(count(UiGuard::Login), 2, "{posts:?}");
    for known in [
        ("/logout", UiGuard::Form),
        ("/users/{id}/reset-password", UiGuard::Form),
        ("/tickets/{id}/transition", UiGuard::Form),
        ("/calendar/import", UiGuard::Form),
        ("/tickets/{id}/attachments", UiGuard::Upload),
        ("/archives", UiGuard::Upload),
        ("/login", UiGuard::Login),
    ] {
        assert!(posts.contains(&known), "{known:?} not in {posts:?}");
    }

    let mut checked = 0;
    for &(path, guard) in &posts {
        let uri = concrete(path);
        match guard {
            UiGuard::Form | UiGuard::Upload => {
                let what = |how: &str| format!("POST {path} ({how})");
                // No token, an empty one, a made-up one, another session's.
                let r = b.post_raw(&uri, "reason=test".into()).await;
                assert_refused(&r, &what("no token"));
                for token in ["", "forged", other.csrf.as_str()] {
                    let body = encode(&[("csrf", token), ("reason", "test")]);
                    let r = b.post_raw(&uri, body).await;
                    assert_refused(&r, &what(&format!("token {token:?}")));
                }
                // The same as a multipart form, the token first or missing.
                let r = b
                    .multipart_raw(&uri, &[("csrf", "forged")], text_file())
                    .await;
                assert_refused(&r, &what("multipart, forged token"));
                let r = b.multipart_raw(&uri, &[], text_file()).await;
                assert_refused(&r, &what("multipart, no token"));
                // A body that is neither: no token either.
                let req = Request::builder()
                    .method(Method::POST)
                    .uri(&uri)
                    .header(header::COOKIE, &b.cookie)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(format!("{{\"csrf\":\"{}\"}}", b.csrf)))
                    .unwrap();
                assert_refused(&app.request(req).await, &what("JSON body"));
            }
            UiGuard::Login => {
                // Before a session the token is the login pages' cookie:
                // without it, or with another value, the login page again
                // and no session.
                let page = app.get("/login", None).await;
                let login_csrf = hidden_csrf(&page.text());
                for (cookie, token) in [
                    (String::new(), login_csrf.as_str()),
                    (format!("yw_login_csrf={login_csrf}"), "forged"),
                    (format!("yw_login_csrf={login_csrf}"), ""),
                ] {
                    let body = encode(&[
                        ("csrf", token),
                        ("username", "demo_staff"),
                        ("password", TestApp::NEW_PASSWORD),
                        ("signature", "00"),
                    ]);
                    let r = app.request(form(&uri, &cookie, body)).await;
                    assert_eq!(r.status, StatusCode::OK, "POST {path}: {}", r.text());
                    assert!(
                        r.text().contains("页面已过期，请重新登录"),
                        "POST {path}: {}",
                        r.text()
                    );
                    assert!(
                        set_cookies(&r)
                            .iter()
                            .all(|c| !c.starts_with("yw_session=")),
                        "POST {path} logged in without the login token"
                    );
                }
            }
            UiGuard::Page => unreachable!(),
        }
        checked += 1;
    }
    assert_eq!(checked, posts.len());

    // A page's path without a form in the table takes no POST at all, not
    // even with the right token: no form post outside the table.
    for &(path, _) in routes
        .iter()
        .filter(|(p, g)| *g == UiGuard::Page && !posts.iter().any(|(q, _)| q == p))
    {
        let r = b.post(&concrete(path), &[("reason", "test")]).await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "POST {path}: {}",
            r.text()
        );
    }

    // Nothing was done: the session still works (the refused logout did
    // not end it).
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.text());
    // And the right token still passes the layer.
    let r = b.post("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(b.get("/").await.header("location"), Some("/login"));
    app.cleanup().await;
}

/// An upload without the right token is refused before its file is read:
/// the layer reads the first fields only, and the rest of a large body is
/// never asked for. With the right token the handler reads it all.
#[tokio::test]
async fn an_upload_is_refused_before_its_file_is_read() {
    let app = TestApp::new().await;
    let b = Browser::login(&app, "demo_staff").await;
    let boundary = "----yunwei-csrf-test";

    // The first 100 KiB of the body (the form's fields, the file's header
    // and its start), then a part whose reading is recorded.
    let upload = |token: &str, read: Arc<AtomicBool>| {
        let mut head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        head.extend(std::iter::repeat_n(b'a', 100 * 1024));
        let rest = futures_util::stream::once(async move {
            read.store(true, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from(vec![b'b'; 1024 * 1024]))
        });
        let end = Bytes::from(format!("\r\n--{boundary}--\r\n"));
        let body = futures_util::stream::iter([Ok(Bytes::from(head))])
            .chain(rest)
            .chain(futures_util::stream::iter([Ok(end)]));
        Request::builder()
            .method(Method::POST)
            .uri("/tickets/x/attachments")
            .header(header::COOKIE, &b.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from_stream(body))
            .unwrap()
    };

    let read = Arc::new(AtomicBool::new(false));
    let r = app.request(upload("forged", read.clone())).await;
    assert_refused(&r, "upload with a forged token");
    assert!(
        !read.load(Ordering::SeqCst),
        "the file was read before the token was checked"
    );

    // The right token: the layer hands the whole body on (the ticket does
    // not exist, which the handler says after reading the upload).
    let read = Arc::new(AtomicBool::new(false));
    let r = app.request(upload(&b.csrf, read.clone())).await;
    assert_ne!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(
        read.load(Ordering::SeqCst),
        "the handler did not read the file"
    );
    app.cleanup().await;
}

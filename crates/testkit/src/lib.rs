//! Test harness: a fresh database per test (SQLite in a temporary
//! directory, or a PostgreSQL database of its own when
//! `YUNWEI_TEST_DATABASE_URL` is set), migrated, bootstrapped and seeded
//! with the demo tenant, plus helpers that drive the router in process.

pub mod openapi;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use chrono::{DateTime, TimeZone as _, Utc};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use yunwei_core::{Keys, Platform};
use yunwei_domain::clock::FixedClock;
use yunwei_domain::crypto::{Crypto as _, SoftwareCrypto};
use yunwei_store::Db;

pub use axum::body::Bytes;
pub use axum::http;

use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};

/// Environment variable naming a PostgreSQL server for the test run.
pub const TEST_DATABASE_ENV: &str = "YUNWEI_TEST_DATABASE_URL";
/// Initial password of the three built-in administrators.
pub const ADMIN_PASSWORD: &str = "Admin#Passw0rd!2026";
/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "Demo#Passw0rd!2026";
/// What [`TestApp::login`] changes an initial password to.
pub const NEW_PASSWORD: &str = "Nw!Str0ng#Pass2026x";
/// What [`TestApp::login`] changes an expired password to, in turn (a test
/// whose clock runs past the security policy's password age, EEDS-3.8.6):
/// more of them than the password history remembers.
pub const LATER_PASSWORDS: [&str; 6] = [
    "Rt7#Kq2!Lm9pXw4z",
    "Hb3$Vn8@Qd5sGy6k",
    "Pz4%Jc7&Wr2fTm9x",
    "Ky6*Ds3!Nh8bLq5v",
    "Mf9#Tx4$Bg7wZr2p",
    "Wq2@Hn5%Cj8kYs3d",
];
/// Name of the top-level organisation.
pub const ROOT_ORG: &str = "江苏省财政厅";
/// Client address every request comes from.
pub const CLIENT_ADDR: ([u8; 4], u16) = ([127, 0, 0, 1], 40000);

/// The instant the fixed clock starts at: 2026-03-02T01:00:00Z (a Monday,
/// 09:00 in Beijing).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .expect("valid start time")
}

/// An empty database of its own for one test: a SQLite file in a
/// temporary directory, or a new PostgreSQL database on the server named by
/// `YUNWEI_TEST_DATABASE_URL`. Dropping it removes the database.
pub struct TestDatabase {
    pub url: String,
    guard: Option<DbGuard>,
}

impl TestDatabase {
    pub async fn new() -> TestDatabase {
        let (url, guard) = match std::env::var(TEST_DATABASE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            Some(admin_url) => create_pg_database(admin_url.trim()).await,
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("yunwei-test-")
                    .tempdir()
                    .expect("create temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("yunwei.db").display()
                );
                (url, DbGuard::Sqlite(dir))
            }
        };
        TestDatabase {
            url,
            guard: Some(guard),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.guard, Some(DbGuard::Postgres { .. }))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop_guard_blocking(self.guard.take());
    }
}

/// Keeps the test database alive and removes it afterwards.
enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

pub struct TestApp {
    pub platform: Platform,
    pub clock: FixedClock,
    pub router: axum::Router,
    pub db_url: String,
    /// Users whose password [`TestApp::login`] has changed, with how many
    /// times (1: [`NEW_PASSWORD`], then [`LATER_PASSWORDS`] in turn).
    changed: Arc<Mutex<HashMap<String, usize>>>,
    guard: Option<DbGuard>,
    /// The attachment store of this test (removed on drop).
    _files: tempfile::TempDir,
}

impl TestApp {
    pub const ADMIN_PASSWORD: &'static str = ADMIN_PASSWORD;
    pub const DEMO_PASSWORD: &'static str = DEMO_PASSWORD;
    pub const NEW_PASSWORD: &'static str = NEW_PASSWORD;

    /// A fresh, migrated database with the built-in administrators and the
    /// demo tenant.
    pub async fn new() -> TestApp {
        let mut fresh = TestDatabase::new().await;
        let db_url = fresh.url.clone();
        let guard = fresh.guard.take();
        let db = Db::connect(&db_url)
            .await
            .unwrap_or_else(|e| panic!("connect to test database: {e}"));
        let clock = FixedClock::new(start_time());
        let files = tempfile::tempdir().expect("temp dir for files");
        yunwei_store::migrate::run(&db, start_time().timestamp_micros())
            .await
            .expect("run migrations");
        let crypto = SoftwareCrypto;
        let field: [u8; 16] = crypto.random_bytes(16).try_into().expect("16 bytes");
        let platform = Platform::new(
            db,
            Arc::new(crypto),
            Arc::new(clock.clone()),
            Keys {
                audit_mac: crypto.random_bytes(32),
                field,
            },
            1_000,
            Arc::new(yunwei_domain::policy::embedded::packs()),
            files.path().to_path_buf(),
        );
        yunwei_core::bootstrap::ensure(&platform, ROOT_ORG, Some(ADMIN_PASSWORD))
            .await
            .expect("bootstrap");
        yunwei_core::demo::seed(&platform, DEMO_PASSWORD)
            .await
            .expect("seed demo data");
        let router = yunwei_web::router(platform.clone(), yunwei_web::WebOptions::default());
        TestApp {
            platform,
            clock,
            router,
            db_url,
            changed: Arc::default(),
            guard,
            _files: files,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &str {
        self.platform.backend_name()
    }

    /// Closes the pool and drops the PostgreSQL test database (the SQLite
    /// directory goes with the `TempDir`). Dropping a `TestApp` does the
    /// same on a helper thread; call this to do it on the test's runtime.
    pub async fn cleanup(mut self) {
        self.platform.close().await;
        if let Some(DbGuard::Postgres { admin_url, name }) = self.guard.take() {
            drop_pg_database(&admin_url, &name).await;
        }
    }

    /// Sends a request through the router, from [`CLIENT_ADDR`].
    pub async fn request(&self, mut req: Request<Body>) -> TestResponse {
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(CLIENT_ADDR)));
        }
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("read response body").to_bytes();
        openapi::check_answer(
            &method,
            &path,
            parts.status.as_u16(),
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            &body,
        );
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(build(Method::GET, path, token, None)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(build(Method::DELETE, path, token, None)).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> TestResponse {
        self.request(build(Method::POST, path, token, Some(body)))
            .await
    }

    pub async fn put_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> TestResponse {
        self.request(build(Method::PUT, path, token, Some(body)))
            .await
    }

    /// The password `username` currently has in this test.
    pub fn password_of(&self, username: &str) -> &'static str {
        let changes = self
            .changed
            .lock()
            .expect("lock")
            .get(username)
            .copied()
            .unwrap_or(0);
        Self::password_after(username, changes)
    }

    /// The password of `username` after [`TestApp::login`] changed it
    /// `changes` times.
    fn password_after(username: &str, changes: usize) -> &'static str {
        match changes {
            0 if yunwei_core::bootstrap::BUILTIN_ADMINS
                .iter()
                .any(|(u, _, _)| *u == username) =>
            {
                ADMIN_PASSWORD
            }
            0 => DEMO_PASSWORD,
            1 => NEW_PASSWORD,
            n => LATER_PASSWORDS[(n - 2) % LATER_PASSWORDS.len()],
        }
    }

    /// Logs in through the API and returns the bearer token. An initial
    /// password is first changed to [`NEW_PASSWORD`], an expired one to the
    /// next of [`LATER_PASSWORDS`] (remembered for later logins of the same
    /// user in this test).
    pub async fn login(&self, username: &str) -> String {
        let password = self.password_of(username);
        let body = self.login_ok(username, password).await;
        let token = token_of(&body, username);
        if !body["must_change_password"].as_bool().unwrap_or(false) {
            return token;
        }
        let changes = self
            .changed
            .lock()
            .expect("lock")
            .get(username)
            .copied()
            .unwrap_or(0)
            + 1;
        let new = Self::password_after(username, changes);
        let r = self
            .post_json(
                "/api/v1/auth/password",
                Some(&token),
                serde_json::json!({
                    "current_password": password,
                    "new_password": new,
                    "confirm_password": new,
                }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "change the password of {username}: {}",
            r.text()
        );
        self.changed
            .lock()
            .expect("lock")
            .insert(username.to_string(), changes);
        let body = self.login_ok(username, new).await;
        assert_eq!(
            body["must_change_password"],
            serde_json::json!(false),
            "{username} after password change: {body}"
        );
        token_of(&body, username)
    }

    async fn login_ok(&self, username: &str, password: &str) -> serde_json::Value {
        let r = self
            .post_json(
                "/api/v1/auth/login",
                None,
                serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.text());
        r.json()
    }
}

fn token_of(body: &serde_json::Value, username: &str) -> String {
    body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login {username}: no token in {body}"))
        .to_string()
}

fn build(
    method: Method,
    path: &str,
    token: Option<&str>,
    json: Option<serde_json::Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match json {
        Some(v) => {
            b = b.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Body::from(serde_json::to_vec(&v).expect("serialise json"))
        }
        None => Body::empty(),
    };
    b.body(body).expect("valid request")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop_guard_blocking(self.guard.take());
    }
}

/// Drop runs inside the test's runtime, which cannot block on async work;
/// a short-lived thread with its own runtime drops the PostgreSQL database.
fn drop_guard_blocking(guard: Option<DbGuard>) {
    if let Some(DbGuard::Postgres { admin_url, name }) = guard {
        let handle = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_pg_database(&admin_url, &name));
            }
        });
        let _ = handle.join();
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON; panics with the body text if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response ({}) is not JSON: {e}: {}",
                self.status,
                self.text()
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| i + authority_start)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..path_start])
}

async fn create_pg_database(admin_url: &str) -> (String, DbGuard) {
    use sqlx::Connection as _;
    let name = format!("yunwei_t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("connect to {TEST_DATABASE_ENV}: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
    let _ = conn.close().await;
    (
        with_database(admin_url, &name),
        DbGuard::Postgres {
            admin_url: admin_url.to_string(),
            name,
        },
    )
}

/// Best effort: a leaked database is harmless and easy to spot by its
/// `yunwei_t_` prefix.
async fn drop_pg_database(admin_url: &str, name: &str) {
    use sqlx::Connection as _;
    let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await else {
        return;
    };
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
}

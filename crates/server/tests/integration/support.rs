//! Helpers shared by the test modules (and by those that drive the UI
//! like a browser).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use yunwei_testkit::{TestApp, TestResponse};

/// The id of the organisation named `name` (the demo tenant's names).
pub async fn org_id(app: &TestApp, name: &str) -> String {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no organisation {name}"))
        .id
}

/// The id of the account `username`.
pub async fn user_id(app: &TestApp, username: &str) -> String {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::users::by_username(&mut c, username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {username}"))
        .id
}

/// The principal of `username` after a login (its initial password
/// changed), as a request of theirs would carry it.
pub async fn principal(app: &TestApp, username: &str) -> yunwei_core::Principal {
    app.login(username).await;
    let mut c = app.platform.db().read().await.unwrap();
    let u = yunwei_store::users::by_username(&mut c, username)
        .await
        .unwrap()
        .unwrap();
    yunwei_core::auth::principal_of(&mut c, &u, None, app.platform.now_us())
        .await
        .unwrap()
}

/// The first CSRF token of a page's forms.
pub fn hidden_csrf(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Percent-encodes everything but ASCII letters and digits.
pub fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A urlencoded form POST with the session cookie.
pub fn form(uri: &str, cookie: &str, body: impl Into<String>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.into()))
        .unwrap()
}

/// Urlencodes form pairs.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlenc(k), urlenc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The file part of a multipart form.
pub struct FilePart<'f> {
    /// The form field's name.
    pub field: &'f str,
    pub filename: &'f str,
    pub content_type: &'f str,
    pub content: &'f [u8],
}

/// A logged-in browser: the session cookie and the page's CSRF token.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
    pub csrf: String,
}

impl<'a> Browser<'a> {
    /// Logs in (API login, the session cookie of the same session) and
    /// reads the CSRF token from the home page.
    pub async fn login(app: &'a TestApp, username: &str) -> Browser<'a> {
        let token = app.login(username).await;
        let mut b = Browser {
            app,
            cookie: format!("yw_session={token}"),
            csrf: String::new(),
        };
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{username}: {}", home.text());
        b.csrf = hidden_csrf(&home.text());
        b
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        let req = Request::builder()
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        self.app.request(req).await
    }

    /// Posts an urlencoded body as it is (no CSRF token added).
    pub async fn post_raw(&self, path: &str, body: String) -> TestResponse {
        self.app.request(form(path, &self.cookie, body)).await
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> TestResponse {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.post_raw(path, encode(&all)).await
    }

    /// Posts a multipart form of these text fields and one file, as it is
    /// (no CSRF token added).
    pub async fn multipart_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: FilePart<'_>,
    ) -> TestResponse {
        let boundary = "----yunwei-test-boundary-7d1f51c2";
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                file.field, file.filename, file.content_type
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.app.request(req).await
    }

    /// Posts a multipart form with the session's CSRF token first.
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: FilePart<'_>,
    ) -> TestResponse {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.multipart_raw(path, &all, file).await
    }
}

/// One turn of every job `yunwei jobs run` runs, in the order of
/// `yunwei_core::jobs::JOBS`, as the server runs them; the first failure is
/// returned. Returns how many overdue notices went out.
pub async fn run_jobs(p: &yunwei_core::Platform) -> Result<usize, yunwei_domain::AppError> {
    use yunwei_core::jobs::{run_turn, JobEnv, JOBS};
    let env = JobEnv::new(p.clone(), None);
    let mut notices = 0;
    for (job, r) in run_turn(JOBS, &env, |_, job| job.in_jobs_run).await {
        let n = r?;
        if job.name == "overdue_notices" {
            notices = n;
        }
    }
    Ok(notices)
}

/// The organisation `name` under `parent`, created when it is not there
/// (the demo may already have it).
pub async fn org_under(
    app: &TestApp,
    parent: &yunwei_store::orgs::OrgRow,
    name: &str,
    kind: yunwei_domain::org::OrgKind,
) -> yunwei_store::orgs::OrgRow {
    {
        let mut c = app.platform.db().read().await.unwrap();
        if let Some(o) = yunwei_store::orgs::find_child(&mut c, &parent.id, name)
            .await
            .unwrap()
        {
            return o;
        }
    }
    let id = yunwei_domain::ids::new_id();
    let o = yunwei_store::orgs::OrgRow {
        id: id.clone(),
        parent_id: Some(parent.id.clone()),
        path: yunwei_domain::org::child_path(&parent.path, &id),
        kind: kind.as_str().into(),
        name: name.into(),
        created_at: app.platform.now_us(),
    };
    let mut c = app.platform.db().begin().await.unwrap();
    yunwei_store::orgs::insert(&mut c, &o).await.unwrap();
    c.commit().await.unwrap();
    o
}

/// An account at `home` holding `role` over `scope` and everything below.
pub async fn account(
    app: &TestApp,
    username: &str,
    home: &yunwei_store::orgs::OrgRow,
    role: yunwei_domain::roles::Role,
    scope: &yunwei_store::orgs::OrgRow,
) -> yunwei_core::Principal {
    let p = &app.platform;
    let mut c = p.db().begin().await.unwrap();
    let u = yunwei_core::features::users::insert_unchecked(
        p,
        &mut c,
        home,
        username,
        username,
        TestApp::DEMO_PASSWORD,
        None,
        None,
        false,
    )
    .await
    .unwrap();
    yunwei_core::features::users::grant_unchecked(p, &mut c, &u, role, scope, true)
        .await
        .unwrap();
    c.commit().await.unwrap();
    principal(app, username).await
}

/// A login of the system vendor's engineer serving the organisation named
/// `org` (a grant over it), who submits its non-data changes (JSCZ-26 (1));
/// created once per app.
pub async fn vendor_serving(app: &TestApp, org: &str) -> String {
    // Short, so the name fits its column on the ticket's PDF.
    let id = org_id(app, org).await;
    let username = format!("v{}", &id[id.len() - 6..]);
    let exists = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::users::by_username(&mut c, &username)
            .await
            .unwrap()
            .is_some()
    };
    if !exists {
        let scope = {
            let mut c = app.platform.db().read().await.unwrap();
            yunwei_store::orgs::get(&mut c, &id).await.unwrap().unwrap()
        };
        account(
            app,
            &username,
            &scope,
            yunwei_domain::roles::Role::VendorEngineer,
            &scope,
        )
        .await;
    }
    app.login(&username).await
}

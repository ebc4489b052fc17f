//! Server-rendered Chinese UI. Every page re-checks permissions on the
//! server (in the use cases); menus only hide what would be refused.

mod archives;
mod calendar;
mod cmdb;
mod controls;
mod inspections;
mod knowledge;
mod registers;
mod tickets;

use crate::extract::Query;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use yunwei_core::auth::SessionView;
use yunwei_core::orgs::OrgView;
use yunwei_core::policy::OrgConfig;
use yunwei_core::roles::{GrantInput, GrantView};
use yunwei_core::users::{NewUser, UserUpdate, UserView};
use yunwei_core::{audit, auth, orgs, policy, roles, users, Principal};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::security_policy::SecurityPolicy;
use yunwei_domain::AppError;

use crate::api::{audit_filter, user_filter, AuditQuery, UserQuery};
use crate::error::WebError;
use crate::extract::{cookie, ReqCtx, UiUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::AppState;

/// What a UI handler answers: a page, or an error shown as the Chinese
/// error page.
type Page = Result<Response, UiError>;

/// An error of a UI handler. Any [`AppError`] (and any [`WebError`] of a
/// shared helper) turns into one with `?`, and leaves as the Chinese error
/// page with its status, stable code and the request id (or the redirect to
/// the login or password page): no UI handler can answer with JSON.
#[derive(Debug)]
pub struct UiError(pub AppError);

impl From<AppError> for UiError {
    fn from(err: AppError) -> Self {
        UiError(err)
    }
}

impl From<WebError> for UiError {
    fn from(e: WebError) -> Self {
        UiError(e.err)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        WebError::ui(self.0).into_response()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/login/ukey", get(login_ukey_page).post(login_ukey_submit))
        .route("/logout", post(logout))
        .route("/password/change", get(password_page).post(password_submit))
        .route("/mfa", get(mfa_page).post(mfa_enroll))
        .route("/mfa/confirm", post(mfa_confirm))
        .route("/orgs", get(orgs_page).post(org_create))
        .route("/users", get(users_page).post(user_create))
        .route("/users/export", post(users_export))
        .route("/users/{id}", get(user_page))
        .route("/users/{id}/edit", post(user_edit))
        .route("/users/{id}/disable", post(user_disable))
        .route("/users/{id}/enable", post(user_enable))
        .route("/users/{id}/departure", post(user_departure))
        .route("/users/{id}/reset-password", post(user_reset))
        .route("/users/{id}/roles", post(role_grant))
        .route("/users/{id}/roles/{gid}/revoke", post(role_revoke))
        .route("/sessions", get(sessions_page))
        .route("/sessions/{id}/revoke", post(session_revoke))
        .route("/tokens", get(tokens_page).post(token_create))
        .route("/tokens/{id}/revoke", post(token_revoke))
        .route("/security-policy", get(policy_page).post(policy_submit))
        .route("/config", get(config_page).post(config_submit))
        .route("/audit", get(audit_page))
        .route("/audit/export", post(audit_export))
        .route("/calendar", get(calendar::page))
        .route("/calendar/import", post(calendar::import_submit))
        .route("/tickets", get(tickets::list).post(tickets::open))
        .route("/tickets/new", get(tickets::new_page))
        .route("/tickets/export", post(tickets::export))
        .route("/tickets/attachments/{id}", get(tickets::download))
        .route("/tickets/{id}", get(tickets::page))
        .route("/tickets/{id}/transition", post(tickets::transition))
        .route("/tickets/{id}/vote", post(tickets::vote))
        .route("/tickets/{id}/comment", post(tickets::comment))
        .route(
            "/tickets/{id}/attachments",
            post(tickets::upload).layer(DefaultBodyLimit::max(tickets::UPLOAD_LIMIT)),
        )
        .route("/todo", get(tickets::todo))
        .route("/inbox", get(tickets::inbox))
        .route("/inbox/read-all", post(tickets::mark_all_read))
        .route("/inbox/{id}/read", post(tickets::mark_read))
        .route("/search", get(tickets::search))
        .route("/knowledge", get(knowledge::list).post(knowledge::create))
        .route("/knowledge/{id}", get(knowledge::page))
        .route("/knowledge/{id}/edit", post(knowledge::edit))
        .route("/knowledge/{id}/publish", post(knowledge::publish))
        .route("/registers", get(registers::index))
        .route("/registers/{register}", get(registers::list))
        .route(
            "/registers/{register}/new",
            get(registers::new_page).post(registers::create),
        )
        .route("/registers/{register}/export", post(registers::export))
        .route(
            "/registers/{register}/import",
            post(registers::import).layer(DefaultBodyLimit::max(
                yunwei_core::registers::MAX_IMPORT_BYTES + 64 * 1024,
            )),
        )
        .route("/registers/{register}/{id}", get(registers::page))
        .route(
            "/registers/{register}/{id}/edit",
            get(registers::edit_page).post(registers::edit),
        )
        .route(
            "/registers/{register}/{id}/steps/{step}",
            post(registers::step),
        )
        .route("/controls", get(controls::overview))
        .route("/controls/export", post(controls::export))
        .route(
            "/inspections",
            get(inspections::list).post(inspections::create),
        )
        .route("/inspections/export", post(inspections::export))
        .route("/inspections/{id}", get(inspections::page))
        .route(
            "/inspections/{id}/edit",
            get(inspections::edit_page).post(inspections::edit),
        )
        .route(
            "/inspections/{id}/records",
            post(inspections::file_record).layer(DefaultBodyLimit::max(inspections::RECORD_LIMIT)),
        )
        .route("/inspections/{id}/active", post(inspections::set_active))
        .route(
            "/inspections/records/{rid}/items/{n}",
            get(inspections::record_file),
        )
        .route(
            "/maintenance",
            get(inspections::maintenance).post(inspections::maintenance_create),
        )
        .route("/maintenance/export", post(inspections::maintenance_export))
        .route("/cmdb", get(cmdb::list))
        .route("/cmdb/new", get(cmdb::new_page).post(cmdb::create))
        .route("/cmdb/export", post(cmdb::export))
        .route(
            "/cmdb/import",
            post(cmdb::import).layer(DefaultBodyLimit::max(cmdb::IMPORT_LIMIT)),
        )
        .route("/cmdb/import-template", get(cmdb::template))
        .route("/cmdb/ip", get(cmdb::segments).post(cmdb::create_segment))
        .route("/cmdb/ip/{id}", get(cmdb::segment))
        .route("/cmdb/ip/{id}/allocate", post(cmdb::allocate))
        .route(
            "/cmdb/ip/{id}/allocations/{aid}/release",
            post(cmdb::release),
        )
        .route("/cmdb/{id}", get(cmdb::page))
        .route("/cmdb/{id}/edit", get(cmdb::edit_page).post(cmdb::edit))
        .route("/cmdb/{id}/relations", post(cmdb::add_relation))
        .route(
            "/cmdb/{id}/relations/{rid}/remove",
            post(cmdb::remove_relation),
        )
        .route(
            "/archives",
            get(archives::list)
                .post(archives::create)
                .layer(DefaultBodyLimit::max(archives::UPLOAD_LIMIT)),
        )
        .route("/archives/export", post(archives::export))
        .route("/archives/{id}", get(archives::page))
        .route(
            "/archives/{id}/versions",
            post(archives::add_version).layer(DefaultBodyLimit::max(archives::UPLOAD_LIMIT)),
        )
        .route("/archives/versions/{vid}/download", get(archives::download))
        .route("/tickets/{id}/cis", post(tickets::link_ci))
        .route("/tickets/{id}/cis/{ci}/remove", post(tickets::unlink_ci))
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
}

/// What every page's frame shows: who is logged in, the menu, messages.
pub struct Layout {
    pub user: Option<String>,
    pub roles: String,
    pub nav: Vec<(&'static str, &'static str)>,
    pub active: &'static str,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Layout {
    fn anonymous() -> Self {
        Layout {
            user: None,
            roles: String::new(),
            nav: vec![],
            active: "",
            csrf: String::new(),
            notice: None,
            error: None,
        }
    }

    fn for_user(u: &UiUser, active: &'static str) -> Self {
        let p = &u.principal;
        let mut nav = vec![("/", "首页")];
        let items: &[(&str, &str, Option<Action>)] = &[
            ("/todo", "我的待办", Some(Action::BusinessRead)),
            ("/tickets", "工单", Some(Action::BusinessRead)),
            ("/search", "搜索", Some(Action::BusinessRead)),
            ("/knowledge", "知识库", Some(Action::BusinessRead)),
            ("/cmdb", "配置管理", Some(Action::BusinessRead)),
            ("/archives", "技术档案", Some(Action::BusinessRead)),
            ("/controls", "到期事项", Some(Action::BusinessRead)),
            ("/registers", "运维台账", Some(Action::BusinessRead)),
            ("/inspections", "巡检计划", Some(Action::BusinessRead)),
            ("/maintenance", "维护记录", Some(Action::BusinessRead)),
            ("/inbox", "消息", Some(Action::BusinessRead)),
            ("/orgs", "组织机构", Some(Action::OrgView)),
            ("/registers/ukeys", "UKEY", Some(Action::RoleView)),
            ("/users", "用户管理", Some(Action::UserView)),
            ("/sessions", "会话", None),
            ("/tokens", "接口令牌", None),
            (
                "/security-policy",
                "安全策略",
                Some(Action::SecurityPolicyView),
            ),
            ("/config", "系统参数", Some(Action::ConfigView)),
            ("/audit", "审计日志", Some(Action::AuditRead)),
            ("/calendar", "工作日历", None),
        ];
        if !p.must_change_password {
            for &(href, label, action) in items {
                if action.is_none_or(|a| p.can_somewhere(a)) {
                    nav.push((href, label));
                }
            }
        }
        nav.push(("/password/change", "修改密码"));
        nav.push(("/mfa", "动态口令"));
        let roles: Vec<&str> = p.roles().iter().map(|r| r.label()).collect();
        Layout {
            user: Some(p.display_name.clone()),
            roles: if roles.is_empty() {
                "无角色".into()
            } else {
                roles.join("、")
            },
            nav,
            active,
            csrf: u.session.csrf_token.clone(),
            notice: None,
            error: None,
        }
    }

    fn with(mut self, notice: Option<String>, error: Option<String>) -> Self {
        self.notice = notice;
        self.error = error;
        self
    }
}

fn render(t: &impl Template) -> Page {
    match t.render() {
        Ok(html) => Ok(Html(html).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            Err(AppError::internal().into())
        }
    }
}

/// A multipart form of text fields and one `file`, read in full (the
/// route's body limit bounds it).
#[derive(Default)]
struct Upload {
    fields: std::collections::HashMap<String, String>,
    filename: String,
    content: Vec<u8>,
}

impl Upload {
    fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

fn bad_upload() -> AppError {
    AppError::bad_request("request.invalid_form", "上传内容不完整或格式不正确")
}

/// Reads an upload form; a file over `max_bytes` (or a body over the
/// route's limit) is refused with `too_big`, what says the limit.
async fn read_upload(
    mut m: axum::extract::Multipart,
    max_bytes: usize,
    too_big: fn() -> AppError,
) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err(bad_upload()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            up.filename = field.file_name().unwrap_or_default().to_string();
            up.content = match field.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
                Err(_) => return Err(bad_upload()),
            };
            if up.content.len() > max_bytes {
                return Err(too_big());
            }
        } else {
            let text = field.text().await.map_err(|_| bad_upload())?;
            up.fields.insert(name, text);
        }
    }
    Ok(up)
}

/// A page shown again with the error that refused the form; the status
/// says what happened.
fn refused(page: Page, e: &AppError) -> Page {
    let mut r = page?;
    *r.status_mut() = crate::error::status_of(e.kind);
    Ok(r)
}

/// Errors the user can correct are shown on the page; others go to the
/// error page.
fn correctable(e: &AppError) -> bool {
    matches!(
        e.kind,
        yunwei_domain::ErrorKind::BadRequest
            | yunwei_domain::ErrorKind::Conflict
            | yunwei_domain::ErrorKind::Forbidden
    ) && e.code != "auth.password_change_required"
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl {
    l: Layout,
    status: u16,
    message: String,
    request_id: String,
}

pub fn error_page(status: u16, message: &str, request_id: &str) -> String {
    ErrorTpl {
        l: Layout::anonymous(),
        status,
        message: message.into(),
        request_id: request_id.into(),
    }
    .render()
    .unwrap_or_else(|_| "服务器内部错误".into())
}

/// Form parsing with a Chinese rejection.
pub struct UiForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for UiForm<T> {
    type Rejection = UiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(UiForm(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(UiError(
                crate::error::error_for_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE),
            )),
            Err(_) => Err(UiError(AppError::bad_request(
                "request.invalid_form",
                "表单内容不完整或格式不正确",
            ))),
        }
    }
}

// ---- login, logout, password ----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    l: Layout,
    csrf: String,
    username: String,
    threshold: u32,
    lock_minutes: u32,
    idle: u32,
}

async fn login_form(
    s: &AppState,
    csrf: Option<String>,
    username: &str,
    error: Option<String>,
) -> Page {
    let pol = policy::current(&s.platform).await?;
    let fresh = csrf.is_none();
    let csrf =
        csrf.unwrap_or_else(|| yunwei_domain::crypto::random_token(s.platform.crypto.as_ref()));
    let mut r = render(&LoginTpl {
        l: Layout::anonymous().with(None, error),
        csrf: csrf.clone(),
        username: username.into(),
        threshold: pol.lockout_threshold,
        lock_minutes: pol.lockout_minutes,
        idle: pol.idle_timeout_minutes,
    })?;
    if fresh {
        let c = format!(
            "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}",
            secure(s)
        );
        r.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).map_err(|_| AppError::internal())?,
        );
    }
    Ok(r)
}

fn secure(s: &AppState) -> &'static str {
    if s.options.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

async fn login_page(State(s): State<AppState>) -> Page {
    login_form(&s, None, "", None).await
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp_code: String,
}

async fn login_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    headers: HeaderMap,
    UiForm(f): UiForm<LoginForm>,
) -> Page {
    let (parts, _) = axum::http::Request::new(()).into_parts();
    let mut parts = parts;
    parts.headers = headers;
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !yunwei_domain::crypto::constant_time_eq(expected.as_bytes(), f.csrf.as_bytes())
    {
        return login_form(&s, None, &f.username, Some("页面已过期，请重新登录".into())).await;
    }
    let code = Some(f.totp_code.as_str()).filter(|c| !c.trim().is_empty());
    match auth::login_step(&s.platform, &ctx, &f.username, &f.password, code).await {
        Ok(auth::LoginStep::Done(ok)) => logged_in(&s, ok),
        // The password was right; the UKEY signs the challenge next
        // (ADR 0008). The pending login's token stays in a cookie of the
        // login pages only.
        Ok(auth::LoginStep::Ukey(ch)) => {
            let mut r = Redirect::to("/login/ukey").into_response();
            let c = format!(
                "{LOGIN_UKEY_COOKIE}={}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={}{}",
                ch.login_token,
                yunwei_core::ukey::CHALLENGE_MINUTES * 60,
                secure(&s)
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&c).map_err(|_| AppError::internal())?,
            );
            Ok(r)
        }
        Err(e) if e.kind != yunwei_domain::ErrorKind::Internal => {
            let mut r = login_form(&s, Some(expected), &f.username, Some(e.message)).await?;
            *r.status_mut() = crate::error::status_of(e.kind);
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// The pending UKEY login of the login pages (ADR 0008).
const LOGIN_UKEY_COOKIE: &str = "yw_login_ukey";

/// Sets the session cookie, clears the login pages' cookies and goes on.
fn logged_in(s: &AppState, ok: auth::LoginOk) -> Page {
    let to = if ok.must_change_password {
        "/password/change"
    } else {
        "/"
    };
    let mut r = Redirect::to(to).into_response();
    let c = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{}",
        ok.token,
        secure(s)
    );
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).map_err(|_| AppError::internal())?,
    );
    for name in [LOGIN_CSRF_COOKIE, LOGIN_UKEY_COOKIE] {
        h.append(header::SET_COOKIE, clear_login_cookie(s, name)?);
    }
    Ok(r)
}

fn clear_login_cookie(s: &AppState, name: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(s)
    ))
    .map_err(|_| AppError::internal())
}

#[derive(Template)]
#[template(path = "login_ukey.html")]
struct LoginUkeyTpl {
    l: Layout,
    csrf: String,
    ch: auth::UkeyChallenge,
}

fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers.clone();
    cookie(&parts, name)
}

/// The UKEY step of the login: the challenge to sign and a field for the
/// signature. Without a pending login that can still be answered, back to
/// the login page.
async fn login_ukey_page(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let token = request_cookie(&headers, LOGIN_UKEY_COOKIE).unwrap_or_default();
    let csrf = request_cookie(&headers, LOGIN_CSRF_COOKIE).filter(|c| !c.is_empty());
    let pending = auth::pending_ukey(&s.platform, &token).await?;
    match (pending, csrf) {
        (Some(ch), Some(csrf)) => render(&LoginUkeyTpl {
            l: Layout::anonymous(),
            csrf,
            ch,
        }),
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

#[derive(Deserialize)]
struct LoginUkeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    signature: String,
}

async fn login_ukey_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    headers: HeaderMap,
    UiForm(f): UiForm<LoginUkeyForm>,
) -> Page {
    let expected = request_cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !yunwei_domain::crypto::constant_time_eq(expected.as_bytes(), f.csrf.as_bytes())
    {
        return login_form(&s, None, "", Some("页面已过期，请重新登录".into())).await;
    }
    let token = request_cookie(&headers, LOGIN_UKEY_COOKIE).unwrap_or_default();
    match auth::login_with_ukey(&s.platform, &ctx, &token, &f.signature).await {
        Ok(ok) => logged_in(&s, ok),
        // The challenge is used up: the login starts again.
        Err(e) if e.kind != yunwei_domain::ErrorKind::Internal => {
            let mut r = login_form(&s, Some(expected), "", Some(e.message)).await?;
            *r.status_mut() = crate::error::status_of(e.kind);
            r.headers_mut().append(
                header::SET_COOKIE,
                clear_login_cookie(&s, LOGIN_UKEY_COOKIE)?,
            );
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<CsrfForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    auth::logout(&s.platform, &ctx, &u.principal).await?;
    let mut r = Redirect::to("/login").into_response();
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(&s)
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(|_| AppError::internal())?,
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTpl {
    l: Layout,
    forced: bool,
    min_len: u32,
    history: u32,
}

async fn password_form(s: &AppState, u: &UiUser, error: Option<String>) -> Page {
    let pol = policy::current(&s.platform).await?;
    render(&PasswordTpl {
        l: Layout::for_user(u, "/password/change").with(None, error),
        forced: u.principal.must_change_password,
        min_len: pol.password_min_length,
        history: pol.password_history,
    })
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaTpl {
    l: Layout,
    status: yunwei_core::mfa::Status,
    /// Just generated: shown once.
    enrollment: Option<yunwei_core::mfa::Enrollment>,
    ukey: yunwei_core::ukey::Status,
}

async fn mfa_view(
    s: &AppState,
    u: &UiUser,
    enrollment: Option<yunwei_core::mfa::Enrollment>,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let status = yunwei_core::mfa::status(&s.platform, &u.principal).await?;
    let ukey = yunwei_core::ukey::status(&s.platform, &u.principal).await?;
    let page = render(&MfaTpl {
        l: Layout::for_user(u, "/mfa").with(notice, error.map(|e| e.message.clone())),
        status,
        enrollment,
        ukey,
    });
    match error {
        Some(e) => refused(page, e),
        None => page,
    }
}

async fn mfa_page(State(s): State<AppState>, u: UiUser) -> Page {
    mfa_view(&s, &u, None, None, None).await
}

async fn mfa_enroll(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let e = yunwei_core::mfa::enroll(&s.platform, &ctx, &u.principal).await?;
    mfa_view(&s, &u, Some(e), None, None).await
}

#[derive(Deserialize)]
struct MfaCodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn mfa_confirm(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<MfaCodeForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    match yunwei_core::mfa::confirm(&s.platform, &ctx, &u.principal, &f.code).await {
        Ok(()) => {
            mfa_view(
                &s,
                &u,
                None,
                Some("动态口令已启用，下次登录时请输入".into()),
                None,
            )
            .await
        }
        Err(e) if correctable(&e) => mfa_view(&s, &u, None, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn password_page(State(s): State<AppState>, u: UiUser) -> Page {
    password_form(&s, &u, None).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn password_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PasswordForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    match yunwei_core::auth::change_password(
        &s.platform,
        &ctx,
        &u.principal,
        &f.current_password,
        &f.new_password,
        &f.confirm_password,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/").into_response()),
        Err(e) if correctable(&e) => password_form(&s, &u, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

// ---- home ----

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    l: Layout,
    display_name: String,
    org_name: String,
    roles: Vec<(String, String, String)>,
    notice: String,
    /// (to-do items, unread messages) for those who do business.
    counts: Option<(usize, usize)>,
}

async fn home(State(s): State<AppState>, u: UiUser) -> Page {
    let counts = tickets::counts(&s, &u).await;
    let p = &u.principal;
    let sum = yunwei_core::home::summary(&s.platform, p).await?;
    render(&HomeTpl {
        l: Layout::for_user(&u, "/"),
        display_name: p.display_name.clone(),
        org_name: sum.org_name,
        roles: sum
            .roles
            .into_iter()
            .map(|r| (r.role, r.scope, r.duty))
            .collect(),
        notice: sum.notice,
        counts,
    })
}

// ---- organisations ----

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsTpl {
    l: Layout,
    orgs: Vec<OrgView>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn orgs_view(
    s: &AppState,
    u: &UiUser,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let list = orgs::list(&s.platform, &u.principal).await?;
    render(&OrgsTpl {
        l: Layout::for_user(u, "/orgs").with(notice, error),
        can_manage: u.principal.can_somewhere(Action::OrgManage),
        orgs: list,
        kinds: OrgKind::ALL
            .iter()
            .filter(|k| **k != OrgKind::Province)
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    })
}

async fn orgs_page(State(s): State<AppState>, u: UiUser) -> Page {
    orgs_view(&s, &u, None, None).await
}

#[derive(Deserialize)]
struct OrgForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

async fn org_create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<OrgForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    match orgs::create(
        &s.platform,
        &ctx,
        &u.principal,
        &f.parent_id,
        &f.kind,
        &f.name,
    )
    .await
    {
        Ok(o) => orgs_view(&s, &u, Some(format!("已新建机构：{}", o.name)), None).await,
        Err(e) if correctable(&e) => orgs_view(&s, &u, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

// ---- users ----

struct UserLine {
    id: String,
    username: String,
    display_name: String,
    org: String,
    phone: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl {
    l: Layout,
    users: Vec<UserLine>,
    orgs: Vec<OrgView>,
    q: String,
    org_id: String,
    status: String,
    total: i64,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
    can_create: bool,
}

const PER_PAGE: u64 = 50;

fn status_label(u: &UserView) -> &'static str {
    if u.status != "active" {
        "停用"
    } else if u.locked {
        "锁定"
    } else if u.must_change_password {
        "待改初始密码"
    } else {
        "正常"
    }
}

fn users_url(base: &str, q: &UserQuery, page: u64) -> String {
    let enc = |v: &Option<String>| urlencoding(v.as_deref().unwrap_or(""));
    format!(
        "{base}?q={}&org_id={}&status={}&page={page}",
        enc(&q.q),
        enc(&q.org_id),
        enc(&q.status)
    )
}

/// Minimal percent-encoding for query values we build ourselves.
fn urlencoding(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn users_view(
    s: &AppState,
    u: &UiUser,
    q: &UserQuery,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let f = user_filter(s, q).await?;
    let page_no = q.page.unwrap_or(1).max(1);
    let page = users::list(&s.platform, &u.principal, &f, page_no, PER_PAGE).await?;
    let org_list = orgs::list(&s.platform, &u.principal)
        .await
        .unwrap_or_default();
    let name_of = |path: &str| {
        org_list
            .iter()
            .find(|o| o.path == path)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "-".into())
    };
    let lines = page
        .users
        .iter()
        .map(|v| UserLine {
            id: v.id.clone(),
            username: v.username.clone(),
            display_name: v.display_name.clone(),
            org: name_of(&v.org_path),
            phone: v.phone.clone().unwrap_or_default(),
            status: status_label(v),
        })
        .collect();
    let pages = ((page.total as u64).div_ceil(PER_PAGE)).max(1);
    render(&UsersTpl {
        l: Layout::for_user(u, "/users").with(notice, error),
        users: lines,
        orgs: org_list,
        q: q.q.clone().unwrap_or_default(),
        org_id: q.org_id.clone().unwrap_or_default(),
        status: q.status.clone().unwrap_or_default(),
        total: page.total,
        page: page_no,
        pages,
        prev_url: users_url("/users", q, page_no.saturating_sub(1)),
        next_url: users_url("/users", q, page_no + 1),
        can_create: u.principal.can_somewhere(Action::UserCreate),
    })
}

async fn users_page(State(s): State<AppState>, u: UiUser, Query(q): Query<UserQuery>) -> Page {
    users_view(&s, &u, &q, None, None).await
}

#[derive(Deserialize)]
struct UserExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    q: UserQuery,
}

async fn users_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<UserExportForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let q = f.q;
    let filter = user_filter(&s, &q).await?;
    let reason = q.reason.as_deref().unwrap_or("");
    let bytes = match users::export(&s.platform, &ctx, &u.principal, &filter, reason).await {
        Ok(b) => b,
        Err(e) if correctable(&e) => return users_view(&s, &u, &q, None, Some(e.message)).await,
        Err(e) => return Err(e.into()),
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "secret.html")]
struct SecretTpl {
    l: Layout,
    title: &'static str,
    explain: String,
    secret: String,
    back: String,
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

async fn user_create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<UserForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let input = NewUser {
        username: f.username,
        display_name: f.display_name,
        org_id: f.org_id,
        phone: Some(f.phone),
        id_number: Some(f.id_number),
    };
    match users::create(&s.platform, &ctx, &u.principal, &input).await {
        Ok((user, password)) => render(&SecretTpl {
            l: Layout::for_user(&u, "/users")
                .with(Some(format!("已创建账号 {}", user.username)), None),
            title: "初始密码",
            explain: format!(
                "账号 {}（{}）的初始密码如下，用户首次登录须修改：",
                user.username, user.display_name
            ),
            secret: password,
            back: format!("/users/{}", user.id),
        }),
        Err(e) if correctable(&e) => {
            users_view(&s, &u, &UserQuery::default(), None, Some(e.message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserTpl {
    l: Layout,
    u: UserView,
    org_name: String,
    status: &'static str,
    phone: String,
    id_number: String,
    grants: Vec<GrantView>,
    roles: Vec<(&'static str, &'static str)>,
    orgs: Vec<OrgView>,
    can_update: bool,
    can_disable: bool,
    can_reset: bool,
    can_grant: bool,
}

async fn user_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let p: &Principal = &u.principal;
    let user = users::get(&s.platform, p, id).await?;
    let grants = roles::grants_of(&s.platform, p, id)
        .await
        .unwrap_or_default();
    let org_list = orgs::list(&s.platform, p).await.unwrap_or_default();
    let org_name = org_list
        .iter()
        .find(|o| o.id == user.org_id)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let path = user.org_path.clone();
    render(&UserTpl {
        l: Layout::for_user(u, "/users").with(notice, error),
        org_name,
        status: status_label(&user),
        phone: user.phone.clone().unwrap_or_else(|| "-".into()),
        id_number: user.id_number.clone().unwrap_or_else(|| "-".into()),
        grants,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        orgs: org_list,
        can_update: p.can(Action::UserUpdate, &path),
        can_disable: p.can(Action::UserDisable, &path) && user.id != p.user_id,
        can_reset: p.can(Action::UserResetPassword, &path),
        can_grant: p.can(Action::RoleGrant, &path) && user.id != p.user_id,
        u: user,
    })
}

async fn user_page(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Page {
    user_view(&s, &u, &id, None, None).await
}

/// Renders the user page after an action: its notice, or the error.
async fn after_user_action(
    s: &AppState,
    u: &UiUser,
    id: &str,
    r: Result<String, AppError>,
) -> Page {
    match r {
        Ok(msg) => user_view(s, u, id, Some(msg), None).await,
        Err(e) if correctable(&e) => user_view(s, u, id, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct UserEditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

async fn user_edit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<UserEditForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let input = UserUpdate {
        display_name: Some(f.display_name),
        phone: Some(f.phone),
        id_number: Some(f.id_number),
    };
    let r = users::update(&s.platform, &ctx, &u.principal, &id, &input)
        .await
        .map(|_| "已保存".to_string());
    after_user_action(&s, &u, &id, r).await
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn user_disable(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let r = users::set_enabled(&s.platform, &ctx, &u.principal, &id, false, &f.reason)
        .await
        .map(|_| "账号已停用".into());
    after_user_action(&s, &u, &id, r).await
}

async fn user_departure(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let r = users::register_departure(&s.platform, &ctx, &u.principal, &id, &f.reason)
        .await
        .map(|d| {
            format!(
                "已登记离岗：账号已停用，收回 {} 项授权、{} 个接口令牌，{} 项目标系统临时授权及数据库访问已收回（待系统管理员确认删除），已通知审计管理员审查",
                d.grants_removed, d.tokens_revoked, d.access_revoked
            )
        });
    after_user_action(&s, &u, &id, r).await
}

async fn user_enable(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let r = users::set_enabled(&s.platform, &ctx, &u.principal, &id, true, &f.reason)
        .await
        .map(|_| "账号已启用".into());
    after_user_action(&s, &u, &id, r).await
}

async fn user_reset(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    match users::reset_password(
        &s.platform,
        &ctx,
        audit::Actor::User(&u.principal),
        &id,
        &f.reason,
    )
    .await
    {
        Ok(pw) => render(&SecretTpl {
            l: Layout::for_user(&u, "/users")
                .with(Some("密码已重置，该用户的会话已全部结束".into()), None),
            title: "临时密码",
            explain: "临时密码如下，用户下次登录须修改：".into(),
            secret: pw,
            back: format!("/users/{id}"),
        }),
        Err(e) => after_user_action(&s, &u, &id, Err(e)).await,
    }
}

#[derive(Deserialize)]
struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope_org_id: String,
    #[serde(default)]
    subtree: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    valid_until: String,
}

async fn role_grant(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<GrantForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let input = GrantInput {
        user_id: id.clone(),
        role: f.role,
        scope_org_id: Some(f.scope_org_id),
        subtree: f.subtree.is_some(),
        reason: f.reason,
        valid_until: Some(f.valid_until),
    };
    let r = roles::grant(&s.platform, &ctx, &u.principal, &input)
        .await
        .map(|g| format!("已授予{}", g.role_label));
    after_user_action(&s, &u, &id, r).await
}

async fn role_revoke(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((id, gid)): Path<(String, String)>,
    UiForm(f): UiForm<ReasonForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let r = roles::revoke(&s.platform, &ctx, &u.principal, &gid, &f.reason)
        .await
        .map(|_| "已收回角色".into());
    after_user_action(&s, &u, &id, r).await
}

// ---- sessions and tokens ----

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsTpl {
    l: Layout,
    sessions: Vec<SessionView>,
    all: bool,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
struct SessionsQuery {
    #[serde(default)]
    all: bool,
}

async fn sessions_view(s: &AppState, u: &UiUser, all: bool, notice: Option<String>) -> Page {
    let can_manage = u.principal.can_somewhere(Action::SessionManage);
    let list = auth::sessions(&s.platform, &u.principal, all && can_manage).await?;
    render(&SessionsTpl {
        l: Layout::for_user(u, "/sessions").with(notice, None),
        sessions: list,
        all: all && can_manage,
        can_manage,
    })
}

async fn sessions_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<SessionsQuery>,
) -> Page {
    sessions_view(&s, &u, q.all, None).await
}

async fn session_revoke(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    auth::revoke_session(&s.platform, &ctx, &u.principal, &id).await?;
    if Some(id.as_str()) == u.principal.session_id.as_deref() {
        return Ok(Redirect::to("/login").into_response());
    }
    sessions_view(
        &s,
        &u,
        u.principal.can_somewhere(Action::SessionManage),
        Some("会话已结束".into()),
    )
    .await
}

struct TokenLine {
    id: String,
    name: String,
    created: String,
    expires: String,
    last_used: String,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensTpl {
    l: Layout,
    tokens: Vec<TokenLine>,
    max_days: u32,
}

async fn tokens_view(
    s: &AppState,
    u: &UiUser,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    use yunwei_core::export::fmt_us;
    let now = s.platform.now_us();
    let rows = auth::tokens(&s.platform, &u.principal).await?;
    let pol = policy::current(&s.platform).await?;
    let tokens = rows
        .into_iter()
        .map(|t| {
            let active = t.revoked_at.is_none() && t.expires_at > now;
            TokenLine {
                id: t.id,
                name: t.name,
                created: fmt_us(t.created_at),
                expires: fmt_us(t.expires_at),
                last_used: t.last_used_at.map(fmt_us).unwrap_or_else(|| "-".into()),
                state: if t.revoked_at.is_some() {
                    "已吊销"
                } else if active {
                    "有效"
                } else {
                    "已过期"
                },
                active,
            }
        })
        .collect();
    render(&TokensTpl {
        l: Layout::for_user(u, "/tokens").with(notice, error),
        tokens,
        max_days: pol.api_token_max_days,
    })
}

async fn tokens_page(State(s): State<AppState>, u: UiUser) -> Page {
    tokens_view(&s, &u, None, None).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

async fn token_create(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<TokenForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let days = f.days.trim().parse::<u32>().unwrap_or(0);
    match auth::create_token(&s.platform, &ctx, &u.principal, &f.name, days).await {
        Ok(t) => render(&SecretTpl {
            l: Layout::for_user(&u, "/tokens"),
            title: "接口令牌",
            explain: format!(
                "令牌“{}”如下，调用接口时放在请求头 Authorization: Bearer 之后：",
                t.row.name
            ),
            secret: t.token,
            back: "/tokens".into(),
        }),
        Err(e) if correctable(&e) => tokens_view(&s, &u, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

async fn token_revoke(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<CsrfForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    auth::revoke_token(&s.platform, &ctx, &u.principal, &id).await?;
    tokens_view(&s, &u, Some("令牌已吊销".into()), None).await
}

// ---- security policy and configuration ----

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyTpl {
    l: Layout,
    p: SecurityPolicy,
    can_edit: bool,
}

async fn policy_view(
    s: &AppState,
    u: &UiUser,
    shown: Option<SecurityPolicy>,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let current = policy::get(&s.platform, &u.principal).await?;
    render(&PolicyTpl {
        l: Layout::for_user(u, "/security-policy").with(notice, error),
        p: shown.unwrap_or(current),
        can_edit: u.principal.can_somewhere(Action::SecurityPolicyEdit),
    })
}

async fn policy_page(State(s): State<AppState>, u: UiUser) -> Page {
    policy_view(&s, &u, None, None, None).await
}

#[derive(Deserialize)]
struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password_min_length: String,
    #[serde(default)]
    password_history: String,
    #[serde(default)]
    lockout_threshold: String,
    #[serde(default)]
    lockout_minutes: String,
    #[serde(default)]
    idle_timeout_minutes: String,
    #[serde(default)]
    audit_retention_days: String,
    #[serde(default)]
    api_token_max_days: String,
    #[serde(default)]
    require_ukey_for_admins: Option<String>,
    #[serde(default)]
    reason: String,
}

async fn policy_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PolicyForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let n = |v: &str| v.trim().parse::<u32>().unwrap_or(0);
    let p = SecurityPolicy {
        password_min_length: n(&f.password_min_length),
        password_history: n(&f.password_history),
        lockout_threshold: n(&f.lockout_threshold),
        lockout_minutes: n(&f.lockout_minutes),
        idle_timeout_minutes: n(&f.idle_timeout_minutes),
        audit_retention_days: n(&f.audit_retention_days),
        api_token_max_days: n(&f.api_token_max_days),
        require_ukey_for_admins: f.require_ukey_for_admins.is_some(),
    };
    match policy::set(&s.platform, &ctx, &u.principal, &p, &f.reason).await {
        Ok(()) => policy_view(&s, &u, None, Some("安全策略已保存".into()), None).await,
        Err(e) if correctable(&e) => policy_view(&s, &u, Some(p), None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "config.html")]
struct ConfigTpl {
    l: Layout,
    orgs: Vec<OrgView>,
    org_id: String,
    c: OrgConfig,
    can_edit: bool,
}

#[derive(Deserialize, Default)]
struct ConfigQuery {
    #[serde(default)]
    org_id: Option<String>,
}

async fn config_view(
    s: &AppState,
    u: &UiUser,
    org_id: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let p = &u.principal;
    let org_list = orgs::list(&s.platform, p).await?;
    let org_list: Vec<OrgView> = org_list
        .into_iter()
        .filter(|o| p.can(Action::ConfigView, &o.path))
        .collect();
    let org = org_id
        .and_then(|id| org_list.iter().find(|o| o.id == id).cloned())
        .or_else(|| org_list.first().cloned())
        .ok_or_else(|| AppError::forbidden("无权查看系统参数"))?;
    let c = policy::org_config(&s.platform, p, &org.id).await?;
    render(&ConfigTpl {
        l: Layout::for_user(u, "/config").with(notice, error),
        can_edit: p.can(Action::ConfigEdit, &org.path),
        org_id: org.id,
        orgs: org_list,
        c,
    })
}

async fn config_page(State(s): State<AppState>, u: UiUser, Query(q): Query<ConfigQuery>) -> Page {
    config_view(&s, &u, q.org_id, None, None).await
}

#[derive(Deserialize)]
struct ConfigForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    business_hours_start: String,
    #[serde(default)]
    business_hours_end: String,
    #[serde(default)]
    notice: String,
}

async fn config_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ConfigForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let cfg = OrgConfig {
        business_hours_start: f.business_hours_start.trim().into(),
        business_hours_end: f.business_hours_end.trim().into(),
        notice: f.notice,
    };
    match policy::set_org_config(&s.platform, &ctx, &u.principal, &f.org_id, &cfg).await {
        Ok(()) => config_view(&s, &u, Some(f.org_id), Some("系统参数已保存".into()), None).await,
        Err(e) if correctable(&e) => {
            config_view(&s, &u, Some(f.org_id), None, Some(e.message)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- audit ----

struct AuditLine {
    seq: i64,
    at: String,
    actor: String,
    role: String,
    ip: String,
    action: String,
    object: String,
    summary: String,
    reason: String,
    result: String,
    result_label: &'static str,
}

#[derive(Default)]
struct AuditShown {
    from: String,
    to: String,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    l: Layout,
    q: AuditShown,
    records: Vec<AuditLine>,
    next_url: Option<String>,
    can_export: bool,
}

const AUDIT_PAGE: u64 = 100;

async fn audit_page(State(s): State<AppState>, u: UiUser, Query(q): Query<AuditQuery>) -> Page {
    let filter = match audit_filter(&q) {
        Ok(f) => f,
        Err(e) => return audit_render(&s, &u, &q, vec![], Some(e.message)),
    };
    let records = audit::search(&s.platform, &u.principal, &filter, AUDIT_PAGE).await?;
    audit_render(&s, &u, &q, records, None)
}

fn audit_render(
    _s: &AppState,
    u: &UiUser,
    q: &AuditQuery,
    records: Vec<yunwei_domain::audit::AuditRecord>,
    error: Option<String>,
) -> Page {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let shown = AuditShown {
        from: v(&q.from),
        to: v(&q.to),
        actor: v(&q.actor),
        action: v(&q.action),
        object_type: v(&q.object_type),
        object_id: v(&q.object_id),
    };
    let next_url = (records.len() as u64 >= AUDIT_PAGE).then(|| {
        format!(
            "/audit?from={}&to={}&actor={}&action={}&object_type={}&object_id={}&before_seq={}",
            urlencoding(&shown.from),
            urlencoding(&shown.to),
            urlencoding(&shown.actor),
            urlencoding(&shown.action),
            urlencoding(&shown.object_type),
            urlencoding(&shown.object_id),
            records.last().map(|r| r.seq).unwrap_or(0)
        )
    });
    let lines = records
        .into_iter()
        .map(|r| AuditLine {
            seq: r.seq,
            at: yunwei_core::export::fmt_us(r.at_us),
            actor: r.actor_name,
            role: r.actor_role,
            ip: r.source_ip,
            action: r.action,
            object: format!("{} {}", r.object_type, r.object_id),
            summary: if r.before.is_empty() {
                r.after
            } else {
                format!("{} → {}", r.before, r.after)
            },
            reason: r.reason,
            result_label: match r.result.as_str() {
                "success" => "成功",
                "failure" => "失败",
                _ => "拒绝",
            },
            result: r.result,
        })
        .collect();
    render(&AuditTpl {
        l: Layout::for_user(u, "/audit").with(None, error),
        q: shown,
        records: lines,
        next_url,
        can_export: u.principal.can_somewhere(Action::AuditExport),
    })
}

#[derive(Deserialize)]
struct AuditExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    q: AuditQuery,
}

async fn audit_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<AuditExportForm>,
) -> Page {
    u.check_csrf(&f.csrf)?;
    let filter = audit_filter(&f.q)?;
    match audit::export(
        &s.platform,
        &ctx,
        &u.principal,
        &filter,
        f.q.reason.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(bytes) => Ok((
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response()),
        Err(e) if correctable(&e) => audit_render(&s, &u, &f.q, vec![], Some(e.message)),
        Err(e) => Err(e.into()),
    }
}

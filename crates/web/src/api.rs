//! JSON API under `/api/v1`. Each handler maps to one use case.

pub(crate) mod archives;
pub(crate) mod calendar;
pub(crate) mod cmdb;
pub(crate) mod controls;
pub(crate) mod inspections;
pub(crate) mod knowledge;
pub(crate) mod registers;
pub(crate) mod reports;
pub(crate) mod tickets;

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use yunwei_core::audit::AuditFilter;
use yunwei_core::policy::OrgConfig;
use yunwei_core::roles::GrantInput;
use yunwei_core::users::UserFilter;
use yunwei_core::users::{NewUser, UserUpdate};
use yunwei_core::{audit, auth, orgs, policy, roles, users};
use yunwei_domain::roles::Role;
use yunwei_domain::security_policy::SecurityPolicy;
use yunwei_domain::AppError;

use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::AppState;

pub(crate) type ApiResult<T = Json<Value>> = Result<T, WebError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(crate::openapi::document))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/login/ukey/challenge", post(ukey_challenge))
        .route("/api/v1/auth/login/ukey", post(login_ukey))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/password", post(change_password))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/totp", get(totp_status).post(totp_enroll))
        .route("/api/v1/me/totp/confirm", post(totp_confirm))
        .route("/api/v1/users/{id}/totp/reset", post(totp_reset))
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{id}", get(get_org).put(rename_org))
        .route(
            "/api/v1/orgs/{id}/config",
            get(get_org_config).put(put_org_config),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/export.xlsx", get(export_users))
        .route("/api/v1/users/{id}", get(get_user).put(update_user))
        .route("/api/v1/users/{id}/disable", post(disable_user))
        .route("/api/v1/users/{id}/enable", post(enable_user))
        .route("/api/v1/users/{id}/departure", post(user_departure))
        .route("/api/v1/users/{id}/reset-password", post(reset_password))
        .route("/api/v1/users/{id}/roles", get(user_roles))
        .route("/api/v1/roles", get(role_catalog))
        .route("/api/v1/roles/grants", post(grant_role))
        .route("/api/v1/roles/grants/{id}/revoke", post(revoke_role))
        .route("/api/v1/sessions", get(list_sessions))
        .route("/api/v1/sessions/{id}/revoke", post(revoke_session))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}/revoke", post(revoke_token))
        .route("/api/v1/security-policy", get(get_policy).put(put_policy))
        .route("/api/v1/audit", get(search_audit))
        .route("/api/v1/audit/export.xlsx", get(export_audit))
        .route("/api/v1/packs", get(tickets::packs))
        .route("/api/v1/tickets", get(tickets::list).post(tickets::open))
        .route("/api/v1/tickets/export.xlsx", get(tickets::export))
        .route("/api/v1/tickets/{id}", get(tickets::detail))
        .route(
            "/api/v1/tickets/{id}/transitions",
            post(tickets::transition),
        )
        .route("/api/v1/tickets/{id}/votes", post(tickets::vote))
        .route("/api/v1/tickets/{id}/comments", post(tickets::comment))
        .route(
            "/api/v1/tickets/{id}/attachments",
            // The file is the body: allow what the core accepts.
            post(tickets::attach).layer(axum::extract::DefaultBodyLimit::max(
                yunwei_core::tickets::MAX_ATTACHMENT_BYTES + 64 * 1024,
            )),
        )
        .route("/api/v1/attachments/{id}", get(tickets::download))
        .route("/api/v1/todo", get(tickets::todo))
        .route("/api/v1/search", get(tickets::search))
        .route(
            "/api/v1/knowledge",
            get(knowledge::list).post(knowledge::create),
        )
        .route(
            "/api/v1/knowledge/{id}",
            get(knowledge::get).put(knowledge::update),
        )
        .route("/api/v1/knowledge/{id}/publish", post(knowledge::publish))
        .route(
            "/api/v1/archives",
            get(archives::list)
                .post(archives::create)
                .layer(axum::extract::DefaultBodyLimit::max(
                    yunwei_core::archives::MAX_FILE_BYTES + 64 * 1024,
                )),
        )
        .route("/api/v1/archives/export.xlsx", get(archives::export))
        .route("/api/v1/archives/{id}", get(archives::get))
        .route(
            "/api/v1/archives/{id}/versions",
            post(archives::add_version).layer(axum::extract::DefaultBodyLimit::max(
                yunwei_core::archives::MAX_FILE_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/api/v1/archive-versions/{id}/download",
            get(archives::download),
        )
        .route("/api/v1/cis", get(cmdb::list).post(cmdb::create))
        .route("/api/v1/cis/export.xlsx", get(cmdb::export))
        .route(
            "/api/v1/cis/import",
            post(cmdb::import).layer(axum::extract::DefaultBodyLimit::max(10 * 1024 * 1024)),
        )
        .route("/api/v1/cis/{id}", get(cmdb::get).put(cmdb::update))
        .route("/api/v1/cis/{id}/relations", post(cmdb::add_relation))
        .route(
            "/api/v1/ci-relations/{id}",
            axum::routing::delete(cmdb::remove_relation),
        )
        .route(
            "/api/v1/tickets/{id}/cis",
            get(cmdb::ticket_cis).post(cmdb::link_ticket),
        )
        .route(
            "/api/v1/tickets/{id}/cis/{ci}",
            axum::routing::delete(cmdb::unlink_ticket),
        )
        .route(
            "/api/v1/ip-segments",
            get(cmdb::segments).post(cmdb::create_segment),
        )
        .route("/api/v1/ip-segments/{id}", get(cmdb::segment))
        .route("/api/v1/ip-segments/{id}/allocations", post(cmdb::allocate))
        .route(
            "/api/v1/ip-allocations/{id}",
            axum::routing::delete(cmdb::release),
        )
        .route("/api/v1/registers", get(registers::index))
        .route(
            "/api/v1/registers/vendor_reports/draft",
            post(registers::draft_report),
        )
        .route(
            "/api/v1/registers/security_reviews/draft",
            post(registers::draft_review),
        )
        .route(
            "/api/v1/registers/{register}",
            get(registers::list).post(registers::create),
        )
        .route(
            "/api/v1/registers/{register}/export.xlsx",
            get(registers::export),
        )
        .route(
            "/api/v1/registers/{register}/import",
            post(registers::import).layer(axum::extract::DefaultBodyLimit::max(
                yunwei_core::registers::MAX_IMPORT_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/api/v1/registers/{register}/{id}",
            get(registers::get).put(registers::update),
        )
        .route(
            "/api/v1/registers/{register}/{id}/steps/{step}",
            post(registers::step),
        )
        .route("/api/v1/controls", get(controls::overview))
        .route("/api/v1/controls/export.xlsx", get(controls::export))
        .route(
            "/api/v1/inspection-plans",
            get(inspections::list_plans).post(inspections::create_plan),
        )
        .route(
            "/api/v1/inspection-plans/export.xlsx",
            get(inspections::export_plans),
        )
        .route(
            "/api/v1/inspection-plans/{id}",
            get(inspections::get_plan).put(inspections::update_plan),
        )
        .route(
            "/api/v1/inspection-plans/{id}/records",
            post(inspections::file_record),
        )
        .route(
            "/api/v1/maintenance-records",
            get(inspections::list_maintenance).post(inspections::create_maintenance),
        )
        .route(
            "/api/v1/maintenance-records/export.xlsx",
            get(inspections::export_maintenance),
        )
        .route("/api/v1/reports/sla", get(reports::sla))
        .route("/api/v1/reports/sla/export.xlsx", get(reports::sla_export))
        .route("/api/v1/notifications", get(tickets::notifications))
        .route("/api/v1/notifications/{id}/read", post(tickets::mark_read))
        .route("/api/v1/calendar/add-workdays", get(calendar::add_workdays))
        .route("/api/v1/calendar/import", post(calendar::import))
        .route("/api/v1/calendar/{year}", get(calendar::year))
}

/// Rejects malformed JSON bodies with a Chinese message instead of axum's
/// English text.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = WebError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(WebError::api(
                crate::error::error_for_status(StatusCode::PAYLOAD_TOO_LARGE),
            )),
            Err(e) => {
                tracing::debug!(error = %e, "bad json body");
                Err(WebError::api(AppError::bad_request(
                    "request.invalid_body",
                    "请求内容格式不正确，请检查必填字段",
                )))
            }
        }
    }
}

/// A raw upload body (imports, attachments, archive files). A body over
/// the route's limit is refused with a JSON `request.too_large` instead of
/// axum's plain-text 413 (issue 11).
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = WebError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => Ok(RawBody(b)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(WebError::api(crate::error::error_for_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                )))
            }
            Err(e) => {
                tracing::debug!(error = %e, "unreadable body");
                Err(WebError::api(AppError::bad_request(
                    "request.invalid_body",
                    "请求内容不完整或格式不正确",
                )))
            }
        }
    }
}

pub(crate) fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
    /// The current code of the user's second factor, once enrolled.
    #[serde(default)]
    totp_code: Option<String>,
}

async fn login(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Body(b): Body<LoginBody>,
) -> ApiResult {
    let ok = auth::login_with_code(
        &s.platform,
        &ctx,
        &b.username,
        &b.password,
        b.totp_code.as_deref(),
    )
    .await?;
    login_response(&s, ok).await
}

/// The answer to a login: the session token and the user.
async fn login_response(s: &AppState, ok: auth::LoginOk) -> ApiResult {
    let user = auth::user_of(&s.platform, &ok).await?;
    Ok(Json(json!({
        "token": ok.token,
        "must_change_password": ok.must_change_password,
        "user": user,
    })))
}

#[derive(Deserialize)]
struct UkeyChallengeBody {
    username: String,
    password: String,
}

/// The password step of a UKEY login: a challenge bound to this pending
/// login (ADR 0008).
async fn ukey_challenge(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Body(b): Body<UkeyChallengeBody>,
) -> ApiResult {
    Ok(Json(json!(
        auth::ukey_challenge(&s.platform, &ctx, &b.username, &b.password).await?
    )))
}

#[derive(Deserialize)]
struct UkeyLoginBody {
    login_token: String,
    /// Hex of the SM2 signature `r || s` of the challenge.
    signature: String,
}

async fn login_ukey(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Body(b): Body<UkeyLoginBody>,
) -> ApiResult {
    let ok = auth::login_with_ukey(&s.platform, &ctx, &b.login_token, &b.signature).await?;
    login_response(&s, ok).await
}

async fn totp_status(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(json!(
        yunwei_core::mfa::status(&s.platform, &pr).await?
    )))
}

async fn totp_enroll(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
) -> ApiResult {
    Ok(Json(json!(
        yunwei_core::mfa::enroll(&s.platform, &ctx, &pr).await?
    )))
}

#[derive(Deserialize)]
struct TotpCodeBody {
    code: String,
}

async fn totp_confirm(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<TotpCodeBody>,
) -> ApiResult<StatusCode> {
    yunwei_core::mfa::confirm(&s.platform, &ctx, &pr, &b.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn totp_reset(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<StatusCode> {
    yunwei_core::mfa::reset(&s.platform, &ctx, &pr, &id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
) -> ApiResult<StatusCode> {
    auth::logout(&s.platform, &ctx, &pr).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<PasswordBody>,
) -> ApiResult<StatusCode> {
    yunwei_core::auth::change_password(
        &s.platform,
        &ctx,
        &pr,
        &b.current_password,
        &b.new_password,
        &b.confirm_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    let user = users::get(&s.platform, &pr, &pr.user_id).await?;
    let roles: Vec<Value> = pr
        .grants
        .iter()
        .map(|g| json!({"role": g.role.as_str(), "label": g.role.label(), "scope_path": g.scope_path, "subtree": g.subtree}))
        .collect();
    Ok(Json(
        json!({ "user": user, "roles": roles, "must_change_password": pr.must_change_password }),
    ))
}

async fn list_orgs(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(json!({ "orgs": orgs::list(&s.platform, &pr).await? })))
}

#[derive(Deserialize)]
struct NewOrg {
    parent_id: String,
    kind: String,
    name: String,
}

async fn create_org(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<NewOrg>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let o = orgs::create(&s.platform, &ctx, &pr, &b.parent_id, &b.kind, &b.name).await?;
    Ok((StatusCode::CREATED, Json(json!(o))))
}

async fn get_org(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(orgs::get(&s.platform, &pr, &id).await?)))
}

#[derive(Deserialize)]
struct RenameOrg {
    name: String,
}

async fn rename_org(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RenameOrg>,
) -> ApiResult {
    Ok(Json(json!(
        orgs::rename(&s.platform, &ctx, &pr, &id, &b.name).await?
    )))
}

async fn get_org_config(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(
        policy::org_config(&s.platform, &pr, &id).await?
    )))
}

async fn put_org_config(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<OrgConfig>,
) -> ApiResult<StatusCode> {
    policy::set_org_config(&s.platform, &ctx, &pr, &id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub(crate) struct UserQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Why the list is exported (mandatory for exports).
    #[serde(default)]
    pub reason: Option<String>,
}

pub(crate) async fn user_filter(s: &AppState, q: &UserQuery) -> Result<UserFilter, WebError> {
    let org_path = match q.org_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => Some(yunwei_core::orgs::path_of(&s.platform, id).await?),
        None => None,
    };
    Ok(UserFilter {
        q: q.q.clone(),
        org_path,
        status: q.status.clone(),
    })
}

async fn list_users(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<UserQuery>,
) -> ApiResult {
    let f = user_filter(&s, &q).await?;
    let page = users::list(
        &s.platform,
        &pr,
        &f,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(json!({ "users": page.users, "total": page.total })))
}

async fn export_users(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<UserQuery>,
) -> Result<Response, WebError> {
    let f = user_filter(&s, &q).await?;
    let reason = q.reason.as_deref().unwrap_or("");
    Ok(xlsx(
        "users.xlsx",
        users::export(&s.platform, &ctx, &pr, &f, reason).await?,
    ))
}

async fn create_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (user, password) = users::create(&s.platform, &ctx, &pr, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "initial_password": password })),
    ))
}

async fn get_user(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(users::get(&s.platform, &pr, &id).await?)))
}

async fn update_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<UserUpdate>,
) -> ApiResult {
    Ok(Json(json!(
        users::update(&s.platform, &ctx, &pr, &id, &b).await?
    )))
}

#[derive(Deserialize)]
struct ReasonBody {
    #[serde(default)]
    reason: String,
}

async fn disable_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult {
    Ok(Json(json!(
        users::set_enabled(&s.platform, &ctx, &pr, &id, false, &b.reason).await?
    )))
}

async fn user_departure(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult {
    Ok(Json(json!(
        yunwei_core::departure::register_departure(&s.platform, &ctx, &pr, &id, &b.reason).await?
    )))
}

async fn enable_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult {
    Ok(Json(json!(
        users::set_enabled(&s.platform, &ctx, &pr, &id, true, &b.reason).await?
    )))
}

async fn reset_password(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult {
    let pw = users::reset_password(&s.platform, &ctx, &pr, &id, &b.reason).await?;
    Ok(Json(json!({ "temporary_password": pw })))
}

async fn user_roles(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(
        json!({ "grants": roles::grants_of(&s.platform, &pr, &id).await? }),
    ))
}

async fn role_catalog(ApiUser(_pr): ApiUser) -> ApiResult {
    let list: Vec<Value> = Role::ALL
        .iter()
        .map(|r| json!({"role": r.as_str(), "label": r.label(), "duty": r.duty(), "three_admin": r.is_three_admin()}))
        .collect();
    Ok(Json(json!({ "roles": list })))
}

async fn grant_role(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<GrantInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let g = roles::grant(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(g))))
}

async fn revoke_role(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<StatusCode> {
    roles::revoke(&s.platform, &ctx, &pr, &id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct SessionQuery {
    #[serde(default)]
    all: bool,
}

async fn list_sessions(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<SessionQuery>,
) -> ApiResult {
    Ok(Json(
        json!({ "sessions": auth::sessions(&s.platform, &pr, q.all).await? }),
    ))
}

async fn revoke_session(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    auth::revoke_session(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tokens(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(
        json!({ "tokens": auth::tokens(&s.platform, &pr).await? }),
    ))
}

#[derive(Deserialize)]
struct NewTokenBody {
    name: String,
    #[serde(default = "default_days")]
    days: u32,
}

fn default_days() -> u32 {
    90
}

async fn create_token(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let t = auth::create_token(&s.platform, &ctx, &pr, &b.name, b.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": t.token, "info": t.row })),
    ))
}

async fn revoke_token(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    auth::revoke_token(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_policy(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult {
    Ok(Json(json!(policy::get(&s.platform, &pr).await?)))
}

#[derive(Deserialize)]
struct PolicyBody {
    #[serde(flatten)]
    policy: SecurityPolicy,
    #[serde(default)]
    reason: String,
}

async fn put_policy(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<PolicyBody>,
) -> ApiResult<StatusCode> {
    policy::set(&s.platform, &ctx, &pr, &b.policy, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub(crate) struct AuditQuery {
    /// Start date (inclusive), `YYYY-MM-DD` in China time.
    #[serde(default)]
    pub from: Option<String>,
    /// End date (inclusive), `YYYY-MM-DD` in China time.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub object_type: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub before_seq: Option<i64>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub reason: Option<String>,
}

fn day_start_us(s: &str) -> Result<i64, AppError> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::bad_request("audit.date_invalid", "日期格式须为 YYYY-MM-DD"))?;
    let t = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    Ok((t - chrono::Duration::hours(8))
        .and_utc()
        .timestamp_micros())
}

pub(crate) fn audit_filter(q: &AuditQuery) -> Result<AuditFilter, AppError> {
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    Ok(AuditFilter {
        from_us: nonempty(&q.from).map(|s| day_start_us(&s)).transpose()?,
        to_us: nonempty(&q.to)
            .map(|s| day_start_us(&s).map(|t| t + 86_400_000_000))
            .transpose()?,
        actor: nonempty(&q.actor),
        action: nonempty(&q.action),
        object_type: nonempty(&q.object_type),
        object_id: nonempty(&q.object_id),
        before_seq: q.before_seq,
    })
}

async fn search_audit(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let f = audit_filter(&q)?;
    let limit = q.limit.unwrap_or(50);
    let records = audit::search(&s.platform, &pr, &f, limit).await?;
    let next = if records.len() as u64 >= limit.clamp(1, 500) {
        records.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(Json(json!({ "records": records, "next_before_seq": next })))
}

async fn export_audit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let f = audit_filter(&q)?;
    let bytes = audit::export(
        &s.platform,
        &ctx,
        &pr,
        &f,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(xlsx("audit.xlsx", bytes))
}

//! JSON API under `/api/v1`. Each handler maps to one use case.

pub(crate) mod alerts;
pub(crate) mod archives;
pub(crate) mod calendar;
pub(crate) mod cloud;
pub(crate) mod cloud_billing;
pub(crate) mod cloud_dashboard;
pub(crate) mod cloud_duties;
pub(crate) mod cloud_usage;
pub(crate) mod cmdb;
pub(crate) mod controls;
pub(crate) mod inspections;
pub(crate) mod knowledge;
pub(crate) mod owners;
pub(crate) mod pdf;
pub(crate) mod projects;
pub(crate) mod registers;
pub(crate) mod reports;
pub(crate) mod tickets;

use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use yunwei_core::audit::AuditFilter;
use yunwei_core::auth::{SessionView, UkeyChallenge};
use yunwei_core::departure::Departure;
use yunwei_core::mfa::{Enrollment as TotpEnrollment, Status as TotpStatus};
use yunwei_core::orgs::OrgView;
use yunwei_core::policy::OrgConfig;
use yunwei_core::roles::{GrantInput, GrantView};
use yunwei_core::users::UserFilter;
use yunwei_core::users::{NewUser, UserUpdate, UserView};
use yunwei_core::{audit, auth, orgs, policy, roles, users};
use yunwei_domain::audit::AuditRecord;
use yunwei_domain::roles::Role;
use yunwei_domain::security_policy::SecurityPolicy;
use yunwei_domain::AppError;

use crate::error::WebError;
use crate::extract::{ApiUser, ReqCtx};
use crate::openapi::{
    BadRequest, Binary, Conflict, Forbidden, Internal, Locked, NotFound, TooLarge, Unauthorized,
};
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
        .route("/api/v1/tickets/{id}/pdf", get(pdf::ticket))
        .route(
            "/api/v1/tickets/{id}/transitions",
            post(tickets::transition),
        )
        .route("/api/v1/tickets/{id}/claim", post(owners::claim))
        .route("/api/v1/tickets/{id}/assign", post(owners::assign))
        .route("/api/v1/tickets/{id}/reassign", post(owners::reassign))
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
        // The government cloud: bills, settlement and evaluation.
        .route(
            "/api/v1/cloud/bills",
            get(cloud_billing::list).post(cloud_billing::compute),
        )
        .route(
            "/api/v1/cloud/bills/year",
            post(cloud_billing::compute_year),
        )
        .route("/api/v1/cloud/bills/{id}", get(cloud_billing::get))
        .route(
            "/api/v1/cloud/bills/{id}/adjustments",
            post(cloud_billing::adjust),
        )
        .route(
            "/api/v1/cloud/bills/{id}/verify",
            post(cloud_billing::verify),
        )
        .route("/api/v1/cloud/bills/{id}/send", post(cloud_billing::send))
        .route(
            "/api/v1/cloud/bills/{id}/bill.xlsx",
            get(cloud_billing::excel),
        )
        .route("/api/v1/cloud/bills/{id}/pdf", get(cloud_billing::pdf))
        .route(
            "/api/v1/cloud/platforms/{id}/evaluation-schemes/{role}",
            get(cloud_billing::scheme).put(cloud_billing::put_scheme),
        )
        .route(
            "/api/v1/cloud/platforms/{id}/evaluations",
            get(cloud_billing::evaluations).post(cloud_billing::save_evaluation),
        )
        .route(
            "/api/v1/cloud/platforms/{id}/evaluations/{role}/{quarter}/confirm",
            post(cloud_billing::confirm_evaluation),
        )
        .route(
            "/api/v1/cloud/platforms/{id}/settlements/{year}",
            get(cloud_billing::settlement),
        )
        .route(
            "/api/v1/cloud/platforms/{id}/settlements/{year}/confirm",
            post(cloud_billing::confirm_settlement),
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
        // The government cloud's duties (issue 14 item 6).
        .route(
            "/api/v1/cloud-duties/platforms",
            get(cloud_duties::platforms),
        )
        .route(
            "/api/v1/cloud-duties/{platform_id}",
            get(cloud_duties::board),
        )
        .route(
            "/api/v1/cloud-duties/reports",
            post(cloud_duties::file_report).layer(axum::extract::DefaultBodyLimit::max(
                cloud_duties::UPLOAD_LIMIT,
            )),
        )
        .route(
            "/api/v1/cloud-duties/reports/{id}/file",
            get(cloud_duties::report_file),
        )
        .route(
            "/api/v1/cloud-duties/{platform_id}/commitments",
            get(cloud_duties::commitments),
        )
        .route(
            "/api/v1/cloud-duties/commitments",
            post(cloud_duties::sign_commitment).layer(axum::extract::DefaultBodyLimit::max(
                cloud_duties::UPLOAD_LIMIT,
            )),
        )
        .route(
            "/api/v1/cloud-duties/commitments/{id}/file",
            get(cloud_duties::commitment_file),
        )
        .route(
            "/api/v1/cloud-duties/{platform_id}/unit-scores",
            get(cloud_duties::scores),
        )
        .route(
            "/api/v1/cloud-duties/unit-scores",
            axum::routing::put(cloud_duties::set_score),
        )
        // The government cloud's utilisation and reclaim (issue 14).
        // Government IT projects (issue 15, ADR 0017).
        .route("/api/v1/projects", get(projects::list))
        .route("/api/v1/projects/export.xlsx", get(projects::export))
        .route("/api/v1/projects/dashboard", get(projects::get_dashboard))
        .route("/api/v1/projects/plan-call", post(projects::plan_call))
        .route("/api/v1/projects/{id}", get(projects::get))
        .route(
            "/api/v1/projects/{id}/findings",
            post(projects::record_finding),
        )
        .route(
            "/api/v1/projects/findings/{id}/rectify",
            post(projects::rectify),
        )
        .route(
            "/api/v1/projects/{id}/self-evaluation",
            get(projects::self_evaluation_file)
                .post(projects::file_self_evaluation)
                .layer(axum::extract::DefaultBodyLimit::max(projects::UPLOAD_LIMIT)),
        )
        .route("/api/v1/cloud/dashboard", get(cloud_dashboard::get))
        .route("/api/v1/cloud/usage", get(cloud_usage::month))
        .route(
            "/api/v1/cloud/usage/import",
            post(cloud_usage::import).layer(axum::extract::DefaultBodyLimit::max(
                yunwei_core::import::MAX_FILE_BYTES + 64 * 1024,
            )),
        )
        .route("/api/v1/cloud/usage/judge", post(cloud_usage::judge))
        .route("/api/v1/cloud/usage/export.xlsx", get(cloud_usage::export))
        .route("/api/v1/cloud/reclaims", get(cloud_usage::list))
        .route("/api/v1/cloud/reclaims/{id}", get(cloud_usage::get))
        .route("/api/v1/cloud/reclaims/{id}/plan", post(cloud_usage::plan))
        .route(
            "/api/v1/cloud/reclaims/{id}/confirm",
            post(cloud_usage::confirm),
        )
        .route(
            "/api/v1/cloud/reclaims/{id}/answer",
            post(cloud_usage::answer),
        )
        .route(
            "/api/v1/cloud/reclaims/{id}/decide",
            post(cloud_usage::decide),
        )
        .route(
            "/api/v1/cloud/reclaims/{id}/implement",
            post(cloud_usage::implement),
        )
        .route(
            "/api/v1/integrations/alertmanager/{source}",
            post(alerts::webhook).layer(axum::extract::DefaultBodyLimit::max(alerts::BODY_LIMIT)),
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
        .route("/api/v1/reports/sla/pdf", get(pdf::sla))
        .route("/api/v1/reports/faults", get(reports::faults))
        .route("/api/v1/publications", get(reports::publications))
        .route(
            "/api/v1/reports/faults/export.xlsx",
            get(reports::faults_export),
        )
        .route("/api/v1/notifications", get(tickets::notifications))
        .route("/api/v1/notifications/{id}/read", post(tickets::mark_read))
        .route("/api/v1/calendar/add-workdays", get(calendar::add_workdays))
        .route("/api/v1/calendar/import", post(calendar::import))
        .route("/api/v1/calendar/{year}", get(calendar::year))
        .route(
            "/api/v1/cloud/platforms",
            get(cloud::list_platforms).post(cloud::create_platform),
        )
        .route(
            "/api/v1/cloud/platforms/{id}",
            get(cloud::get_platform).put(cloud::update_platform),
        )
        .route("/api/v1/cloud/platforms/{id}/units", get(cloud::list_units))
        .route(
            "/api/v1/cloud/platforms/{id}/catalogue",
            get(cloud::list_catalogue).post(cloud::create_item),
        )
        .route("/api/v1/cloud/units", post(cloud::set_unit))
        .route(
            "/api/v1/cloud/catalogue/{id}",
            get(cloud::get_item).put(cloud::update_item),
        )
        .route(
            "/api/v1/cloud/catalogue/{id}/prices",
            post(cloud::add_price),
        )
        .route(
            "/api/v1/cloud/systems",
            get(cloud::list_systems).post(cloud::register_system),
        )
        .route(
            "/api/v1/cloud/systems/export.xlsx",
            get(cloud::export_systems),
        )
        .route(
            "/api/v1/cloud/systems/{id}",
            get(cloud::get_system).put(cloud::update_system),
        )
        .route(
            "/api/v1/cloud/systems/{id}/history",
            get(cloud::system_history),
        )
        .route(
            "/api/v1/cloud/systems/{id}/resources",
            post(cloud::request_resource),
        )
        .route(
            "/api/v1/cloud/resources/{id}/withdraw",
            post(cloud::withdraw_resource),
        )
}

/// A JSON object body (every request body of the API is an object, as
/// the OpenAPI document states). A body that is not `application/json`,
/// malformed JSON, another JSON value (serde would read a struct from an
/// array too) or missing fields are refused with a Chinese message instead
/// of axum's English text.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = WebError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let invalid = || {
            WebError::api(AppError::bad_request(
                "request.invalid_body",
                "请求内容格式不正确，请检查必填字段",
            ))
        };
        // As axum's `Json`: `application/json` or `application/*+json`.
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json_type {
            tracing::debug!("json body without a json content type");
            return Err(invalid());
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(WebError::api(crate::error::error_for_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                )))
            }
            Err(e) => {
                tracing::debug!(error = %e, "unreadable json body");
                return Err(invalid());
            }
        };
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            tracing::debug!("json body is not an object");
            return Err(invalid());
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => {
                tracing::debug!(error = %e, "bad json body");
                Err(invalid())
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

/// Page parameters of the paged lists; [`Query`] refuses anything but a
/// whole number from 1 to `MAX_PAGE` (`request.invalid_page`).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    /// Page number, from 1.
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Rows per page; a list clamps it to its own maximum.
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000000)]
    pub per_page: Option<u64>,
}

/// The reason of an export, recorded in the audit trail.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportReason {
    /// Why the data is exported (required).
    #[serde(default)]
    #[param(required = true, min_length = 1)]
    pub reason: Option<String>,
}

impl ExportReason {
    pub fn text(&self) -> &str {
        self.reason.as_deref().unwrap_or("")
    }
}

/// A body of `reason` only.
#[derive(Deserialize, ToSchema)]
struct ReasonBody {
    /// Why; recorded in the audit trail (a missing or blank reason is
    /// refused as `audit.reason_required`).
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    username: String,
    password: String,
    /// The current code of the user's second factor, once enrolled.
    #[serde(default)]
    totp_code: Option<String>,
}

/// The answer to a login: the session token and the user.
#[derive(Serialize, ToSchema)]
struct LoginReply {
    /// The session token, for `Authorization: Bearer`.
    token: String,
    /// The initial password must be changed before anything else.
    must_change_password: bool,
    user: UserView,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "认证",
    summary = "登录，返回会话令牌；已启用动态口令的账号须同时提交 totp_code（缺少为 auth.totp_required，错误为 auth.totp_invalid 并计入连续失败次数）；已登记 UKEY 签名公钥的管理员不提交 totp_code 时为 auth.ukey_required，改用 UKEY 签名登录",
    request_body = LoginBody,
    responses(
        (status = 200, description = "已登录", body = LoginReply),
        BadRequest, Unauthorized, Forbidden, TooLarge, Locked, Internal,
    )
)]
async fn login(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Body(b): Body<LoginBody>,
) -> ApiResult<Json<LoginReply>> {
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
async fn login_response(s: &AppState, ok: auth::LoginOk) -> ApiResult<Json<LoginReply>> {
    let user = auth::user_of(&s.platform, &ok).await?;
    Ok(Json(LoginReply {
        token: ok.token,
        must_change_password: ok.must_change_password,
        user,
    }))
}

#[derive(Deserialize, ToSchema)]
struct UkeyChallengeBody {
    username: String,
    password: String,
}

/// The password step of a UKEY login: a challenge bound to this pending
/// login (ADR 0008).
#[utoipa::path(
    post,
    path = "/api/v1/auth/login/ukey/challenge",
    tag = "认证",
    summary = "UKEY 签名登录第一步（等保三级双因素，JSCZ-53）：核对密码（错误计入连续失败次数），返回 login_token、挑战码 challenge（5 分钟内有效，仅可使用一次）、UKEY 序列号和到期时间；没有登记签名公钥的在用 UKEY 时为 auth.ukey_not_registered",
    request_body = UkeyChallengeBody,
    responses(
        (status = 200, description = "挑战码", body = UkeyChallenge),
        BadRequest, Unauthorized, Forbidden, TooLarge, Locked, Internal,
    )
)]
async fn ukey_challenge(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Body(b): Body<UkeyChallengeBody>,
) -> ApiResult<Json<UkeyChallenge>> {
    Ok(Json(
        auth::ukey_challenge(&s.platform, &ctx, &b.username, &b.password).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
struct UkeyLoginBody {
    login_token: String,
    /// Hex of the SM2 signature `r || s` of the challenge.
    signature: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login/ukey",
    tag = "认证",
    summary = "UKEY 签名登录第二步：提交 login_token 和 UKEY 对 challenge 原文（UTF-8）的 SM2 签名（SM3 杂凑，默认用户标识 1234567812345678，r‖s 共 64 字节的十六进制）；成功返回会话令牌，签名错误 auth.ukey_signature_invalid、挑战码已用 auth.ukey_challenge_used、已过期 auth.ukey_challenge_expired、UKEY 已挂失或更换 auth.ukey_not_in_use，均计入连续失败次数",
    request_body = UkeyLoginBody,
    responses(
        (status = 200, description = "已登录", body = LoginReply),
        BadRequest, Unauthorized, Forbidden, TooLarge, Locked, Internal,
    )
)]
async fn login_ukey(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Body(b): Body<UkeyLoginBody>,
) -> ApiResult<Json<LoginReply>> {
    let ok = auth::login_with_ukey(&s.platform, &ctx, &b.login_token, &b.signature).await?;
    login_response(&s, ok).await
}

#[utoipa::path(
    get,
    path = "/api/v1/me/totp",
    tag = "认证",
    summary = "本人动态口令（TOTP）状态：是否启用、是否有待确认的密钥",
    responses(
        (status = 200, description = "动态口令状态", body = TotpStatus),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
async fn totp_status(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<TotpStatus>> {
    Ok(Json(yunwei_core::mfa::status(&s.platform, &pr).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/totp",
    tag = "认证",
    summary = "生成动态口令密钥（等保三级双因素，JSCZ-53）：返回 secret（Base32）和 otpauth:// 地址，用验证器添加后确认",
    responses(
        (status = 200, description = "待确认的密钥", body = TotpEnrollment),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
async fn totp_enroll(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<TotpEnrollment>> {
    Ok(Json(
        yunwei_core::mfa::enroll(&s.platform, &ctx, &pr).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
struct TotpCodeBody {
    /// The 6 digits the authenticator shows.
    code: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/me/totp/confirm",
    tag = "认证",
    summary = "用验证器上的 6 位动态口令确认启用；此后登录须提交 totp_code",
    request_body = TotpCodeBody,
    responses(
        (status = 204, description = "已启用"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn totp_confirm(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<TotpCodeBody>,
) -> ApiResult<StatusCode> {
    yunwei_core::mfa::confirm(&s.platform, &ctx, &pr, &b.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/totp/reset",
    tag = "角色授权",
    summary = "安全管理员清除用户的动态口令（手机丢失等，须填原因），用户重新绑定",
    params(("id" = String, Path, description = "用户 ID")),
    request_body = ReasonBody,
    responses(
        (status = 204, description = "已清除"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "认证",
    summary = "退出登录",
    responses(
        (status = 204, description = "已退出"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
async fn logout(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
) -> ApiResult<StatusCode> {
    auth::logout(&s.platform, &ctx, &pr).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "认证",
    summary = "修改本人密码",
    request_body = PasswordBody,
    responses(
        (status = 204, description = "已修改"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Locked, Internal,
    ),
    security(("bearer" = []))
)]
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

/// One role grant of the caller.
#[derive(Serialize, ToSchema)]
struct MyRole {
    role: &'static str,
    label: &'static str,
    /// Materialised path of the scope organisation.
    scope_path: String,
    /// The organisation and everything below it.
    subtree: bool,
}

/// The caller and their roles.
#[derive(Serialize, ToSchema)]
struct MeReply {
    user: UserView,
    roles: Vec<MyRole>,
    must_change_password: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "认证",
    summary = "当前用户及其角色",
    responses(
        (status = 200, description = "当前用户", body = MeReply),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
async fn me(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult<Json<MeReply>> {
    let user = users::get(&s.platform, &pr, &pr.user_id).await?;
    let roles = pr
        .grants
        .iter()
        .map(|g| MyRole {
            role: g.role.as_str(),
            label: g.role.label(),
            scope_path: g.scope_path.clone(),
            subtree: g.subtree,
        })
        .collect();
    Ok(Json(MeReply {
        user,
        roles,
        must_change_password: pr.must_change_password,
    }))
}

/// The organisations in view.
#[derive(Serialize, ToSchema)]
struct OrgList {
    orgs: Vec<OrgView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs",
    tag = "组织机构",
    summary = "可见范围内的组织机构树",
    responses(
        (status = 200, description = "机构列表（树的先序）", body = OrgList),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
async fn list_orgs(State(s): State<AppState>, ApiUser(pr): ApiUser) -> ApiResult<Json<OrgList>> {
    Ok(Json(OrgList {
        orgs: orgs::list(&s.platform, &pr).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
struct NewOrg {
    parent_id: String,
    /// `province`, `city`, `county`, `department`, `section`, `vendor` or
    /// `budget_unit`.
    kind: String,
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs",
    tag = "组织机构",
    summary = "新建下级机构",
    request_body = NewOrg,
    responses(
        (status = 201, description = "已新建", body = OrgView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn create_org(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<NewOrg>,
) -> ApiResult<(StatusCode, Json<OrgView>)> {
    let o = orgs::create(&s.platform, &ctx, &pr, &b.parent_id, &b.kind, &b.name).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{id}",
    tag = "组织机构",
    summary = "机构详情",
    params(("id" = String, Path, description = "机构 ID")),
    responses(
        (status = 200, description = "机构", body = OrgView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn get_org(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(orgs::get(&s.platform, &pr, &id).await?))
}

#[derive(Deserialize, ToSchema)]
struct RenameOrg {
    name: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/orgs/{id}",
    tag = "组织机构",
    summary = "机构更名",
    params(("id" = String, Path, description = "机构 ID")),
    request_body = RenameOrg,
    responses(
        (status = 200, description = "已更名", body = OrgView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn rename_org(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<RenameOrg>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(
        orgs::rename(&s.platform, &ctx, &pr, &id, &b.name).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{id}/config",
    tag = "系统参数",
    summary = "机构参数（工作时间、通知）",
    params(("id" = String, Path, description = "机构 ID")),
    responses(
        (status = 200, description = "机构参数", body = OrgConfig),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn get_org_config(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrgConfig>> {
    Ok(Json(policy::org_config(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/orgs/{id}/config",
    tag = "系统参数",
    summary = "修改机构参数",
    params(("id" = String, Path, description = "机构 ID")),
    request_body = OrgConfig,
    responses(
        (status = 204, description = "已修改"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
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

/// The user list's filters (also the UI's, with its page and the export's
/// reason).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UserQuery {
    /// Part of the username or display name.
    #[serde(default)]
    pub q: Option<String>,
    /// This organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
    /// `active` or `disabled`.
    #[serde(default)]
    pub status: Option<String>,
    /// The UI's page; the API reads [`Paging`].
    #[serde(default)]
    #[param(ignore)]
    pub page: Option<u64>,
    /// Why the UI exports the list; the API reads [`ExportReason`].
    #[serde(default)]
    #[param(ignore)]
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

/// A page of users.
#[derive(Serialize, ToSchema)]
struct UserList {
    users: Vec<UserView>,
    /// Matching users over all pages.
    total: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "用户",
    summary = "用户列表（q, org_id, status, page, per_page）",
    params(UserQuery, Paging),
    responses(
        (status = 200, description = "一页用户", body = UserList),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn list_users(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<UserQuery>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<UserList>> {
    let f = user_filter(&s, &q).await?;
    let page = users::list(
        &s.platform,
        &pr,
        &f,
        paging.page.unwrap_or(1),
        paging.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(UserList {
        users: page.users,
        total: page.total,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/export.xlsx",
    tag = "用户",
    summary = "导出用户列表（Excel，须填 reason）",
    params(ExportReason, UserQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn export_users(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<UserQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let f = user_filter(&s, &q).await?;
    Ok(xlsx(
        "users.xlsx",
        users::export(&s.platform, &ctx, &pr, &f, r.text()).await?,
    ))
}

/// A new account and its one-time initial password.
#[derive(Serialize, ToSchema)]
struct CreatedUser {
    user: UserView,
    /// Shown once; the user must change it at the first login.
    initial_password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "用户",
    summary = "创建账号，返回一次性初始密码",
    request_body = NewUser,
    responses(
        (status = 201, description = "已创建", body = CreatedUser),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn create_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<NewUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let (user, password) = users::create(&s.platform, &ctx, &pr, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user,
            initial_password: password,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "用户",
    summary = "用户详情（个人信息脱敏）",
    params(("id" = String, Path, description = "用户 ID")),
    responses(
        (status = 200, description = "用户", body = UserView),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn get_user(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(users::get(&s.platform, &pr, &id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/users/{id}",
    tag = "用户",
    summary = "修改用户信息",
    params(("id" = String, Path, description = "用户 ID")),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "已修改", body = UserView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn update_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<UserUpdate>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(users::update(&s.platform, &ctx, &pr, &id, &b).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "用户",
    summary = "停用账号（须填原因）",
    params(("id" = String, Path, description = "用户 ID")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "已停用", body = UserView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn disable_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(
        users::set_enabled(&s.platform, &ctx, &pr, &id, false, &b.reason).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/departure",
    tag = "用户管理",
    summary = "登记人员离岗（须填原因）：停用账号、结束会话、吊销接口令牌、收回全部授权、厂商人员记录离场，并通知审计管理员和中心主任审查其操作记录（JSCZ-51）",
    params(("id" = String, Path, description = "用户 ID")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "已登记离岗", body = Departure),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn user_departure(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<Departure>> {
    Ok(Json(
        yunwei_core::departure::register_departure(&s.platform, &ctx, &pr, &id, &b.reason).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "用户",
    summary = "启用账号并解除锁定（须填原因）",
    params(("id" = String, Path, description = "用户 ID")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "已启用", body = UserView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn enable_user(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(
        users::set_enabled(&s.platform, &ctx, &pr, &id, true, &b.reason).await?,
    ))
}

/// A temporary password, shown once.
#[derive(Serialize, ToSchema)]
struct TemporaryPassword {
    temporary_password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/reset-password",
    tag = "用户",
    summary = "重置密码（须填原因）",
    params(("id" = String, Path, description = "用户 ID")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "临时密码（仅显示一次）", body = TemporaryPassword),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn reset_password(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<TemporaryPassword>> {
    let pw = users::reset_password(&s.platform, &ctx, &pr, &id, &b.reason).await?;
    Ok(Json(TemporaryPassword {
        temporary_password: pw,
    }))
}

/// A user's role grants.
#[derive(Serialize, ToSchema)]
struct GrantList {
    grants: Vec<GrantView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/roles",
    tag = "角色授权",
    summary = "用户的角色授权",
    params(("id" = String, Path, description = "用户 ID")),
    responses(
        (status = 200, description = "角色授权", body = GrantList),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn user_roles(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantList>> {
    Ok(Json(GrantList {
        grants: roles::grants_of(&s.platform, &pr, &id).await?,
    }))
}

/// One role of the catalogue.
#[derive(Serialize, ToSchema)]
struct RoleInfo {
    role: &'static str,
    label: &'static str,
    duty: &'static str,
    /// One of the three administrators (system, security, audit).
    three_admin: bool,
}

/// The role catalogue.
#[derive(Serialize, ToSchema)]
struct RoleCatalog {
    roles: Vec<RoleInfo>,
}

#[utoipa::path(
    get,
    path = "/api/v1/roles",
    tag = "角色授权",
    summary = "角色目录",
    responses(
        (status = 200, description = "角色目录", body = RoleCatalog),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
async fn role_catalog(ApiUser(_pr): ApiUser) -> ApiResult<Json<RoleCatalog>> {
    let roles = Role::ALL
        .iter()
        .map(|r| RoleInfo {
            role: r.as_str(),
            label: r.label(),
            duty: r.duty(),
            three_admin: r.is_three_admin(),
        })
        .collect();
    Ok(Json(RoleCatalog { roles }))
}

#[utoipa::path(
    post,
    path = "/api/v1/roles/grants",
    tag = "角色授权",
    summary = "授予角色（须填原因）；valid_until 为有效期（YYYY-MM-DD 当日有效，或 RFC 3339 时刻），第三方人员必填，到期由系统自动收回并通知（JSCZ-49）",
    request_body = GrantInput,
    responses(
        (status = 201, description = "已授予", body = GrantView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn grant_role(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<GrantInput>,
) -> ApiResult<(StatusCode, Json<GrantView>)> {
    let g = roles::grant(&s.platform, &ctx, &pr, &b).await?;
    Ok((StatusCode::CREATED, Json(g)))
}

#[utoipa::path(
    post,
    path = "/api/v1/roles/grants/{id}/revoke",
    tag = "角色授权",
    summary = "收回角色（须填原因）",
    params(("id" = String, Path, description = "授权 ID")),
    request_body = ReasonBody,
    responses(
        (status = 204, description = "已收回"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionQuery {
    /// `true`: every session in the caller's management scope.
    #[serde(default)]
    all: bool,
}

/// Sessions.
#[derive(Serialize, ToSchema)]
struct SessionList {
    sessions: Vec<SessionView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "会话",
    summary = "本人会话；all=true 时为管理范围内全部会话",
    params(SessionQuery),
    responses(
        (status = 200, description = "会话", body = SessionList),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn list_sessions(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<SessionQuery>,
) -> ApiResult<Json<SessionList>> {
    Ok(Json(SessionList {
        sessions: auth::sessions(&s.platform, &pr, q.all).await?,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/revoke",
    tag = "会话",
    summary = "强制结束会话",
    params(("id" = String, Path, description = "会话 ID")),
    responses(
        (status = 204, description = "已结束"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
async fn revoke_session(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    auth::revoke_session(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An integration API token as listed; its secret is shown only once, at
/// creation.
#[derive(Serialize, ToSchema)]
struct ApiToken {
    id: String,
    user_id: String,
    name: String,
    /// UTC microseconds.
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

/// The store's token row as the API shows it (a macro: web does not name
/// store types).
macro_rules! api_token {
    ($row:expr) => {{
        let t = $row;
        ApiToken {
            id: t.id,
            user_id: t.user_id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }};
}

/// The caller's API tokens.
#[derive(Serialize, ToSchema)]
struct TokenList {
    tokens: Vec<ApiToken>,
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "接口令牌",
    summary = "本人的接口令牌",
    responses(
        (status = 200, description = "接口令牌", body = TokenList),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
async fn list_tokens(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<TokenList>> {
    let tokens = auth::tokens(&s.platform, &pr).await?;
    Ok(Json(TokenList {
        tokens: tokens.into_iter().map(|t| api_token!(t)).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
struct NewTokenBody {
    name: String,
    /// Lifetime in days (at most the security policy's maximum).
    #[serde(default = "default_days")]
    #[schema(default = 90)]
    days: u32,
}

fn default_days() -> u32 {
    90
}

/// A new API token: the secret (shown once) and its row.
#[derive(Serialize, ToSchema)]
struct CreatedToken {
    /// `yw_...`, for `Authorization: Bearer`.
    token: String,
    info: ApiToken,
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "接口令牌",
    summary = "创建接口令牌（仅显示一次）",
    request_body = NewTokenBody,
    responses(
        (status = 201, description = "已创建", body = CreatedToken),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn create_token(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let t = auth::create_token(&s.platform, &ctx, &pr, &b.name, b.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: t.token,
            info: api_token!(t.row),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens/{id}/revoke",
    tag = "接口令牌",
    summary = "吊销接口令牌",
    params(("id" = String, Path, description = "接口令牌 ID")),
    responses(
        (status = 204, description = "已吊销"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Internal,
    ),
    security(("bearer" = []))
)]
async fn revoke_token(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    auth::revoke_token(&s.platform, &ctx, &pr, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/security-policy",
    tag = "安全策略",
    summary = "查看安全策略",
    responses(
        (status = 200, description = "安全策略", body = SecurityPolicy),
        Unauthorized, Forbidden, Internal,
    ),
    security(("bearer" = []))
)]
async fn get_policy(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
) -> ApiResult<Json<SecurityPolicy>> {
    Ok(Json(policy::get(&s.platform, &pr).await?))
}

/// The new policy and why it changes.
#[derive(Deserialize, ToSchema)]
struct PolicyBody {
    #[serde(flatten)]
    policy: SecurityPolicy,
    /// Why; recorded in the audit trail (required).
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    reason: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/security-policy",
    tag = "安全策略",
    summary = "修改安全策略（不得低于法规下限）",
    request_body = PolicyBody,
    responses(
        (status = 204, description = "已修改"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Internal,
    ),
    security(("bearer" = []))
)]
async fn put_policy(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Body(b): Body<PolicyBody>,
) -> ApiResult<StatusCode> {
    policy::set(&s.platform, &ctx, &pr, &b.policy, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit search's filters (also the UI's, with the export's reason).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Start date (inclusive), `YYYY-MM-DD` in China time.
    #[serde(default)]
    #[param(format = Date)]
    pub from: Option<String>,
    /// End date (inclusive), `YYYY-MM-DD` in China time.
    #[serde(default)]
    #[param(format = Date)]
    pub to: Option<String>,
    /// Actor's username.
    #[serde(default)]
    pub actor: Option<String>,
    /// Action, e.g. `user.create`.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub object_type: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    /// Records before this position in the chain (the next page).
    #[serde(default)]
    pub before_seq: Option<i64>,
    /// Records per answer (1 to 500, default 50); the search only.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Exports only; the API reads it through [`ExportReason`].
    #[serde(default)]
    #[param(ignore)]
    pub reason: Option<String>,
}

pub(crate) fn day_start_us(s: &str) -> Result<i64, AppError> {
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

/// A page of audit records, the newest first.
#[derive(Serialize, ToSchema)]
struct AuditPage {
    records: Vec<AuditRecord>,
    /// `before_seq` of the next page; absent on the last one.
    next_before_seq: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "审计",
    summary = "检索审计记录（from, to, actor, action, object_type, object_id, before_seq, limit）",
    params(AuditQuery),
    responses(
        (status = 200, description = "审计记录", body = AuditPage),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn search_audit(
    State(s): State<AppState>,
    ApiUser(pr): ApiUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let f = audit_filter(&q)?;
    let limit = q.limit.unwrap_or(50);
    let records = audit::search(&s.platform, &pr, &f, limit).await?;
    let next = if records.len() as u64 >= limit.clamp(1, 500) {
        records.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(Json(AuditPage {
        records,
        next_before_seq: next,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/export.xlsx",
    tag = "审计",
    summary = "导出审计记录（Excel，须填 reason）",
    params(ExportReason, AuditQuery),
    responses(
        (status = 200, description = "Excel 工作簿", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Binary),
        BadRequest, Unauthorized, Forbidden, NotFound, Internal,
    ),
    security(("bearer" = []))
)]
async fn export_audit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ApiUser(pr): ApiUser,
    Query(q): Query<AuditQuery>,
    Query(r): Query<ExportReason>,
) -> Result<Response, WebError> {
    let f = audit_filter(&q)?;
    let bytes = audit::export(&s.platform, &ctx, &pr, &f, r.text()).await?;
    Ok(xlsx("audit.xlsx", bytes))
}

//! Errors leave the server as a stable code and a Chinese message, with the
//! request id; internal detail stays in the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yunwei_domain::{AppError, ErrorKind};

/// An error from a handler; `ui` selects an HTML page instead of JSON.
#[derive(Debug, Clone)]
pub struct WebError {
    pub err: AppError,
    pub ui: bool,
}

impl WebError {
    pub fn api(err: AppError) -> Self {
        WebError { err, ui: false }
    }
    pub fn ui(err: AppError) -> Self {
        WebError { err, ui: true }
    }
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        WebError::api(err)
    }
}

/// The JSON body of every API error (the `Error` schema of the OpenAPI
/// document).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// Stable error code, e.g. `auth.invalid_credentials`.
    pub code: String,
    /// Chinese message for people.
    pub message: String,
    /// The request id, as in the log and the audit records.
    pub request_id: String,
}

/// Stable codes of errors about the request itself (ADR-free: see the
/// README's Platform foundation table).
pub const CODE_NOT_FOUND: &str = "request.not_found";
pub const CODE_METHOD_NOT_ALLOWED: &str = "request.method_not_allowed";
pub const CODE_TOO_LARGE: &str = "request.too_large";

/// The status of an error: its kind's, except the request errors whose
/// status has no kind of its own (405, 413).
pub fn status_for(err: &AppError) -> StatusCode {
    match err.code {
        CODE_METHOD_NOT_ALLOWED => StatusCode::METHOD_NOT_ALLOWED,
        CODE_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        _ => status_of(err.kind),
    }
}

/// The error for a bare status (an axum rejection or an empty error
/// response): a stable code and a Chinese message.
pub fn error_for_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::new(
            ErrorKind::NotFound,
            CODE_NOT_FOUND,
            "请求的页面或接口不存在",
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            AppError::bad_request(CODE_METHOD_NOT_ALLOWED, "该地址不支持此请求方法")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::bad_request(CODE_TOO_LARGE, "请求内容过大，超出了允许的大小")
        }
        StatusCode::UNAUTHORIZED => AppError::unauthorized(),
        StatusCode::FORBIDDEN => AppError::forbidden("没有权限执行此操作"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            AppError::bad_request("request.unsupported_media_type", "请求内容类型不受支持")
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            AppError::bad_request("request.invalid_body", "请求内容格式不正确，请检查必填字段")
        }
        s if s.is_server_error() => AppError::internal(),
        _ => AppError::bad_request("request.invalid", "请求无效"),
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Locked => StatusCode::LOCKED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        // The request-context middleware renders the body, since it knows
        // the request id.
        let mut r = status_for(&self.err).into_response();
        r.extensions_mut().insert(self);
        r
    }
}

//! The OpenAPI document of `/api/v1`, built from one table of operations
//! with utoipa's builders. The API test checks every routed path is listed.

use axum::Json;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder,
    Required, ResponseBuilder,
};

/// (method, path, tag, summary, JSON body fields `name:type`, `?` = optional)
type Op = (
    HttpMethod,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

pub const OPERATIONS: &[Op] = &[
    (
        HttpMethod::Post,
        "/api/v1/auth/login",
        "认证",
        "登录，返回会话令牌",
        &["username", "password"],
    ),
    (
        HttpMethod::Post,
        "/api/v1/auth/logout",
        "认证",
        "退出登录",
        &[],
    ),
    (
        HttpMethod::Post,
        "/api/v1/auth/password",
        "认证",
        "修改本人密码",
        &["current_password", "new_password", "confirm_password"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/me",
        "认证",
        "当前用户及其角色",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/orgs",
        "组织机构",
        "可见范围内的组织机构树",
        &[],
    ),
    (
        HttpMethod::Post,
        "/api/v1/orgs",
        "组织机构",
        "新建下级机构",
        &["parent_id", "kind", "name"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/orgs/{id}",
        "组织机构",
        "机构详情",
        &[],
    ),
    (
        HttpMethod::Put,
        "/api/v1/orgs/{id}",
        "组织机构",
        "机构更名",
        &["name"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/orgs/{id}/config",
        "系统参数",
        "机构参数（工作时间、通知）",
        &[],
    ),
    (
        HttpMethod::Put,
        "/api/v1/orgs/{id}/config",
        "系统参数",
        "修改机构参数",
        &["business_hours_start", "business_hours_end", "notice"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/users",
        "用户",
        "用户列表（q, org_id, status, page, per_page）",
        &[],
    ),
    (
        HttpMethod::Post,
        "/api/v1/users",
        "用户",
        "创建账号，返回一次性初始密码",
        &["username", "display_name", "org_id", "phone?", "id_number?"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/users/export.xlsx",
        "用户",
        "导出用户列表（Excel，须填 reason）",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/users/{id}",
        "用户",
        "用户详情（个人信息脱敏）",
        &[],
    ),
    (
        HttpMethod::Put,
        "/api/v1/users/{id}",
        "用户",
        "修改用户信息",
        &["display_name?", "phone?", "id_number?"],
    ),
    (
        HttpMethod::Post,
        "/api/v1/users/{id}/disable",
        "用户",
        "停用账号（须填原因）",
        &["reason"],
    ),
    (
        HttpMethod::Post,
        "/api/v1/users/{id}/enable",
        "用户",
        "启用账号并解除锁定（须填原因）",
        &["reason"],
    ),
    (
        HttpMethod::Post,
        "/api/v1/users/{id}/reset-password",
        "用户",
        "重置密码（须填原因）",
        &["reason"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/users/{id}/roles",
        "角色授权",
        "用户的角色授权",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/roles",
        "角色授权",
        "角色目录",
        &[],
    ),
    (
        HttpMethod::Post,
        "/api/v1/roles/grants",
        "角色授权",
        "授予角色（须填原因）",
        &[
            "user_id",
            "role",
            "scope_org_id?",
            "subtree?:boolean",
            "reason",
        ],
    ),
    (
        HttpMethod::Post,
        "/api/v1/roles/grants/{id}/revoke",
        "角色授权",
        "收回角色（须填原因）",
        &["reason"],
    ),
    (
        HttpMethod::Get,
        "/api/v1/sessions",
        "会话",
        "本人会话；all=true 时为管理范围内全部会话",
        &[],
    ),
    (
        HttpMethod::Post,
        "/api/v1/sessions/{id}/revoke",
        "会话",
        "强制结束会话",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/tokens",
        "接口令牌",
        "本人的接口令牌",
        &[],
    ),
    (
        HttpMethod::Post,
        "/api/v1/tokens",
        "接口令牌",
        "创建接口令牌（仅显示一次）",
        &["name", "days?:integer"],
    ),
    (
        HttpMethod::Post,
        "/api/v1/tokens/{id}/revoke",
        "接口令牌",
        "吊销接口令牌",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/security-policy",
        "安全策略",
        "查看安全策略",
        &[],
    ),
    (
        HttpMethod::Put,
        "/api/v1/security-policy",
        "安全策略",
        "修改安全策略（不得低于法规下限）",
        &[
            "password_min_length:integer",
            "password_history:integer",
            "lockout_threshold:integer",
            "lockout_minutes:integer",
            "idle_timeout_minutes:integer",
            "audit_retention_days:integer",
            "api_token_max_days:integer",
            "reason",
        ],
    ),
    (
        HttpMethod::Get,
        "/api/v1/audit",
        "审计",
        "检索审计记录（from, to, actor, action, object_type, object_id, before_seq, limit）",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/audit/export.xlsx",
        "审计",
        "导出审计记录（Excel，须填 reason）",
        &[],
    ),
    (
        HttpMethod::Get,
        "/api/v1/openapi.json",
        "文档",
        "本文档",
        &[],
    ),
];

fn body(fields: &[&str]) -> Option<utoipa::openapi::request_body::RequestBody> {
    if fields.is_empty() {
        return None;
    }
    let mut obj = ObjectBuilder::new();
    for f in fields {
        let (name, optional) = match f.strip_suffix('?') {
            Some(n) => (n, true),
            None => (*f, false),
        };
        let (name, ty) = match name.split_once(':') {
            Some((n, "integer")) => (n, Type::Integer),
            Some((n, "boolean")) => (n, Type::Boolean),
            Some((n, _)) => (n, Type::String),
            None => (name, Type::String),
        };
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, optional),
        };
        obj = obj.property(name, ObjectBuilder::new().schema_type(ty));
        if !optional {
            obj = obj.required(name);
        }
    }
    Some(
        RequestBodyBuilder::new()
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(obj.build())).build(),
            )
            .required(Some(Required::True))
            .build(),
    )
}

pub fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (method, path, tag, summary, fields) in OPERATIONS {
        let mut op = OperationBuilder::new()
            .tag(*tag)
            .summary(Some(*summary))
            .request_body(body(fields))
            .response("200", ResponseBuilder::new().description("成功"))
            .response(
                "4XX",
                ResponseBuilder::new()
                    .description("错误：{code, message, request_id}，message 为中文提示"),
            );
        if path.contains("{id}") {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True),
            );
        }
        if *path != "/api/v1/auth/login" && *path != "/api/v1/openapi.json" {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        paths = paths.path(*path, PathItem::new(method.clone(), op));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("yunwei 运维管理平台 API")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths)
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    "bearer",
                    SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
                )
                .build(),
        ))
        .build()
}

pub async fn document() -> Json<OpenApi> {
    Json(build())
}

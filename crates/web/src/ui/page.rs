//! Page rendering: the frame every page shares (who is logged in, the
//! menu, messages), templates to HTML, the error page, the page that shows
//! a secret once, and the static assets.

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;

use super::error::Page;
use super::session::UiUser;

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
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
    pub(super) fn anonymous() -> Self {
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

    pub(super) fn for_user(u: &UiUser, active: &'static str) -> Self {
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
            ("/reports", "SLA 月报", Some(Action::BusinessRead)),
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

    pub(super) fn with(mut self, notice: Option<String>, error: Option<String>) -> Self {
        self.notice = notice;
        self.error = error;
        self
    }
}

pub(super) fn render(t: &impl Template) -> Page {
    match t.render() {
        Ok(html) => Ok(Html(html).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            Err(AppError::internal().into())
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorTpl {
    pub(super) l: Layout,
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

#[derive(Template)]
#[template(path = "secret.html")]
pub(super) struct SecretTpl {
    pub(super) l: Layout,
    pub(super) title: &'static str,
    pub(super) explain: String,
    pub(super) secret: String,
    pub(super) back: String,
}

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

/// One menu of the navigation: its heading and its pages.
pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<(&'static str, &'static str)>,
    /// The current page is one of its items.
    pub active: bool,
}

/// The menus of the navigation, in order (issue 13, item 7).
const GROUPS: [&str; 7] = [
    "工作台",
    "工单",
    "配置与台账",
    "安全",
    "系统管理",
    "政务云",
    "信息化项目",
];

/// The pages of 信息化项目 (issue 15), shown to whoever reads projects
/// (`projects::may_list`: the units, the bureaus and the reviewers).
const PROJECT_NAV: [(&str, &str); 3] = [
    ("/projects/dashboard", "信息化项目总览"),
    ("/projects", "项目列表"),
    ("/projects/plan", "年度计划"),
];

/// Every page of the navigation: (menu index in [`GROUPS`], href, label,
/// the action the viewer needs somewhere, `None`: everyone). Pages a
/// viewer may not open are left out.
const NAV: &[(usize, &str, &str, Option<Action>)] = &[
    (0, "/", "首页", None),
    (0, "/todo", "我的待办", Some(Action::BusinessRead)),
    (0, "/inbox", "消息", Some(Action::BusinessRead)),
    (0, "/search", "搜索", Some(Action::BusinessRead)),
    (1, "/tickets", "工单", Some(Action::BusinessRead)),
    (1, "/tickets/new", "登记工单", Some(Action::BusinessRead)),
    (1, "/tickets/queue", "本组队列", Some(Action::BusinessRead)),
    (1, "/reports", "SLA 月报", Some(Action::BusinessRead)),
    (1, "/publications", "变更公告", Some(Action::BusinessRead)),
    (1, "/knowledge", "知识库", Some(Action::BusinessRead)),
    (2, "/cmdb", "配置管理", Some(Action::BusinessRead)),
    (2, "/archives", "技术档案", Some(Action::BusinessRead)),
    (2, "/registers", "运维台账", Some(Action::BusinessRead)),
    (2, "/controls", "到期事项", Some(Action::BusinessRead)),
    (2, "/inspections", "巡检计划", Some(Action::BusinessRead)),
    (2, "/maintenance", "维护记录", Some(Action::BusinessRead)),
    (3, "/registers/ukeys", "UKEY", Some(Action::RoleView)),
    (
        3,
        "/security-policy",
        "安全策略",
        Some(Action::SecurityPolicyView),
    ),
    (3, "/audit", "审计日志", Some(Action::AuditRead)),
    (3, "/sessions", "会话", None),
    (3, "/tokens", "接口令牌", None),
    (4, "/orgs", "组织机构", Some(Action::OrgView)),
    (4, "/users", "用户管理", Some(Action::UserView)),
    (4, "/config", "系统参数", Some(Action::ConfigView)),
    (4, "/calendar", "工作日历", None),
    (4, "/notify", "通知渠道", Some(Action::ConfigView)),
    // 政务云 (issue 14, ADR 0016): the register, utilisation and
    // reclaim, bills and evaluation, the providers' duties.
    (5, "/cloud", "政务云总览", Some(Action::BusinessRead)),
    (5, "/cloud", "政务云总览", Some(Action::CloudReport)),
    (5, "/cloud/systems", "上云系统", Some(Action::BusinessRead)),
    (5, "/cloud/units", "上云单位", Some(Action::BusinessRead)),
    (
        5,
        "/cloud/catalogue",
        "服务目录",
        Some(Action::BusinessRead),
    ),
    (5, "/cloud/usage", "资源使用率", Some(Action::BusinessRead)),
    (
        5,
        "/cloud/reclaims",
        "降配回收建议",
        Some(Action::BusinessRead),
    ),
    (5, "/cloud/bills", "云服务账单", Some(Action::CloudManage)),
    (
        5,
        "/cloud/evaluations",
        "服务考评",
        Some(Action::CloudManage),
    ),
    (
        5,
        "/cloud/settlement",
        "年度结算",
        Some(Action::CloudManage),
    ),
    (5, "/cloud/duties", "服务商报告", Some(Action::CloudReport)),
    (5, "/cloud/duties", "服务商报告", Some(Action::CloudManage)),
    (
        5,
        "/cloud/commitments",
        "安全承诺书",
        Some(Action::CloudManage),
    ),
    (
        5,
        "/cloud/scores",
        "单位监督评分",
        Some(Action::CloudManage),
    ),
];

/// What every page's frame shows: who is logged in, the menu, messages.
pub struct Layout {
    pub user: Option<String>,
    pub roles: String,
    pub nav: Vec<NavGroup>,
    /// The header's search box (for who may search).
    pub search: bool,
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
            search: false,
            active: "",
            csrf: String::new(),
            notice: None,
            error: None,
        }
    }

    pub(super) fn for_user(u: &UiUser, active: &'static str) -> Self {
        let p = &u.principal;
        let mut nav: Vec<NavGroup> = GROUPS
            .iter()
            .map(|g| NavGroup {
                label: g,
                items: vec![],
                active: false,
            })
            .collect();
        if !p.must_change_password {
            for &(g, href, label, action) in NAV {
                // A page open to several actions is listed once.
                if action.is_none_or(|a| p.can_somewhere(a))
                    && !nav[g].items.iter().any(|(h, _)| *h == href)
                {
                    nav[g].items.push((href, label));
                }
            }
            if yunwei_core::features::projects::may_list(p) {
                nav[6].items.extend(PROJECT_NAV);
            }
        } else {
            nav[0].items.push(("/", "首页"));
        }
        // The viewer's own account.
        nav[3].items.push(("/password/change", "修改密码"));
        nav[3].items.push(("/mfa", "动态口令"));
        nav[3].items.push(("/notify/mine", "我的通知设置"));
        nav.retain(|g| !g.items.is_empty());
        for g in &mut nav {
            g.active = g.items.iter().any(|(h, _)| *h == active);
        }
        let roles: Vec<&str> = p.roles().iter().map(|r| r.label()).collect();
        Layout {
            user: Some(p.display_name.clone()),
            roles: if roles.is_empty() {
                "无角色".into()
            } else {
                roles.join("、")
            },
            search: !p.must_change_password && p.can_somewhere(Action::BusinessRead),
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
    /// The page's heading: what happened, in a few words.
    title: &'static str,
    message: String,
    /// What the reader can do about it.
    advice: &'static str,
    request_id: String,
}

/// The heading and the advice of the error page for a status.
fn error_words(status: u16) -> (&'static str, &'static str) {
    match status {
        404 => (
            "页面不存在",
            "您访问的地址不存在或已被移除。请检查地址是否输入正确，或从首页重新进入。",
        ),
        403 => (
            "无权访问",
            "您当前的角色没有查看或办理此内容的权限。如确需办理，请联系本单位的系统管理员授予相应角色。",
        ),
        405 => ("不支持的操作", "该地址不支持此种请求方式，请从页面上的按钮或链接进入。"),
        413 => ("内容过大", "提交的内容或文件超过了大小限制，请缩小后重试。"),
        400 | 422 => ("请求有误", "请返回上一页，检查填写的内容后重试。"),
        409 => ("操作冲突", "该内容已被他人修改，请刷新页面后重试。"),
        s if s >= 500 => (
            "服务器内部错误",
            "系统处理时出现问题，请稍后重试；如仍无法完成，请将下方请求编号提供给运维人员。",
        ),
        _ => ("无法完成操作", "请返回上一页后重试。"),
    }
}

pub fn error_page(status: u16, message: &str, request_id: &str) -> String {
    let (title, advice) = error_words(status);
    ErrorTpl {
        l: Layout::anonymous(),
        status,
        title,
        message: message.into(),
        advice,
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

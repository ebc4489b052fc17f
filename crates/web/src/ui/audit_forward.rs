//! The audit trail's forwarding to syslog (ADR 0023) on the pages: the
//! status line of the audit page and of the system parameters, and the
//! system administrator's 「发送测试消息」.

use axum::extract::State;
use serde::Deserialize;
use yunwei_core::audit_forward;
use yunwei_domain::time::fmt_us;

use super::error::{correctable, Page};
use super::form::UiForm;
use super::session::UiUser;
use super::settings::config_view;
use crate::extract::ReqCtx;
use crate::AppState;

/// What the status line says, in Chinese.
pub(super) struct ForwardLine {
    pub state: String,
    /// A collector is configured (the backlog and times mean something).
    pub configured: bool,
    pub backlog: i64,
    pub forwarded_at: String,
    pub last_error: Option<String>,
    /// The 「发送测试消息」 button (system administrator).
    pub can_test: bool,
}

/// The status line for `u`, or nothing when `u` may not see it.
pub(super) async fn line(
    s: &AppState,
    u: &UiUser,
) -> Result<Option<ForwardLine>, super::error::UiError> {
    let p = &s.platform;
    let Some(st) = audit_forward::status(p, &u.principal).await? else {
        return Ok(None);
    };
    let state = match (&st.server, st.enabled) {
        (None, _) => "未配置".to_string(),
        (Some(server), false) => format!("已配置但未开启（{server}）"),
        (Some(server), true) => format!(
            "已开启，发送到 {server}（{}）",
            if st.transport == "tls" { "TLS" } else { "TCP" }
        ),
    };
    Ok(Some(ForwardLine {
        configured: st.server.is_some(),
        state,
        backlog: st.backlog,
        forwarded_at: st
            .forwarded_at_us
            .map(fmt_us)
            .unwrap_or_else(|| "尚未发送".into()),
        last_error: st.last_error.map(|e| match st.last_error_at_us {
            Some(at) => format!("{}（{}）", e, fmt_us(at)),
            None => e,
        }),
        can_test: audit_forward::may_send_test(p, &u.principal).await?,
    }))
}

#[derive(Deserialize)]
pub(super) struct TestForm {
    #[serde(default)]
    org_id: Option<String>,
}

/// 「发送测试消息」: one message to the configured collector.
pub(super) async fn send_test(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<TestForm>,
) -> Page {
    match audit_forward::send_test(&s.platform, &ctx, &u.principal).await {
        Ok(()) => {
            config_view(
                &s,
                &u,
                f.org_id,
                Some("测试消息已发送到日志服务器".into()),
                None,
            )
            .await
        }
        // A refusal is the error page (403); a failed send is told on the page.
        Err(e) if correctable(&e) && e.kind != yunwei_domain::ErrorKind::Forbidden => {
            config_view(&s, &u, f.org_id, None, Some(e.message)).await
        }
        Err(e) => Err(e.into()),
    }
}

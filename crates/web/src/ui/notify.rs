//! `/notify`: the notice channels for the system administrator (status,
//! a test button per channel, the organisations' default preferences, the
//! dead letters with retry), and `/notify/mine`: a user's own addresses
//! and which notices reach them where (ADR 0022).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;
use yunwei_core::channels::CHANNELS;
use yunwei_core::orgs::{self, OrgView};
use yunwei_core::outbox::{self, ChannelStatus, DeadLetter, PrefInput, KINDS};
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, Page};
use super::form::UiForm;
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::{Query, ReqCtx};
use crate::AppState;

/// One row of a preference grid: a notice kind and its choice.
struct PrefLine {
    /// The kind's key in the form (`all` for every kind).
    key: String,
    label: &'static str,
    /// Follows the organisation's default (no own preference).
    inherit: bool,
    /// (form name, checked) per channel, in [`CHANNELS`] order.
    boxes: Vec<(String, bool)>,
}

fn form_key(kind: &str) -> String {
    if kind == outbox::ALL_KINDS {
        "all".into()
    } else {
        kind.to_string()
    }
}

fn pref_lines(prefs: &[(String, Vec<String>)]) -> Vec<PrefLine> {
    KINDS
        .iter()
        .map(|(kind, label)| {
            let own = prefs.iter().find(|(k, _)| k == kind).map(|(_, c)| c);
            let key = form_key(kind);
            PrefLine {
                inherit: own.is_none(),
                boxes: CHANNELS
                    .iter()
                    .map(|(ch, _)| {
                        (
                            format!("ch.{key}.{ch}"),
                            own.is_some_and(|c| c.iter().any(|x| x == ch)),
                        )
                    })
                    .collect(),
                key,
                label,
            }
        })
        .collect()
}

/// The preferences a grid form posted: `mode.{kind}` is `inherit` or
/// `custom`, `ch.{kind}.{channel}` a ticked channel.
fn posted_prefs(f: &HashMap<String, String>) -> Vec<PrefInput> {
    KINDS
        .iter()
        .filter_map(|(kind, _)| {
            let key = form_key(kind);
            let mode = f.get(&format!("mode.{key}"))?;
            if mode != "custom" {
                return Some((kind.to_string(), None));
            }
            let chs = CHANNELS
                .iter()
                .filter(|(ch, _)| f.contains_key(&format!("ch.{key}.{ch}")))
                .map(|(ch, _)| ch.to_string())
                .collect();
            Some((kind.to_string(), Some(chs)))
        })
        .collect()
}

struct DeadRow {
    id: String,
    channel: String,
    kind: String,
    recipient: String,
    title: String,
    attempts: i64,
    error: String,
    failed_at: String,
}

impl From<DeadLetter> for DeadRow {
    fn from(d: DeadLetter) -> Self {
        DeadRow {
            id: d.id,
            channel: d.channel_label,
            kind: d.kind_label,
            recipient: if d.recipient.is_empty() {
                "（群）".into()
            } else {
                d.recipient
            },
            title: d.title,
            attempts: d.attempts,
            error: d.last_error,
            failed_at: fmt_minute(d.failed_at),
        }
    }
}

#[derive(Template)]
#[template(path = "notify.html")]
struct NotifyTpl {
    l: Layout,
    installation: bool,
    channels: Vec<ChannelStatus>,
    can_edit: bool,
    pending: i64,
    dead: i64,
    dead_rows: Vec<DeadRow>,
    orgs: Vec<OrgView>,
    org_id: String,
    can_edit_org: bool,
    lines: Vec<PrefLine>,
    channel_labels: Vec<&'static str>,
}

async fn admin_view(
    s: &AppState,
    u: &UiUser,
    org_id: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let p = &u.principal;
    // The channels and dead letters are the installation's (top-level
    // system administrator); an organisation's administrator below sees
    // only its default preferences.
    let (installation, channels, dead_rows) = match outbox::channel_status(&s.platform, p).await {
        Ok(channels) => {
            let dead = outbox::dead_letters(&s.platform, p).await?;
            (
                true,
                channels,
                dead.into_iter().map(DeadRow::from).collect(),
            )
        }
        Err(e) if e.kind == yunwei_domain::ErrorKind::Forbidden => (false, vec![], vec![]),
        Err(e) => return Err(e.into()),
    };
    let backlog = outbox::backlog(&s.platform).await?;
    let org_list: Vec<OrgView> = orgs::list(&s.platform, p)
        .await?
        .into_iter()
        .filter(|o| p.can(Action::ConfigView, &o.path))
        .collect();
    let org = org_id
        .and_then(|id| org_list.iter().find(|o| o.id == id).cloned())
        .or_else(|| org_list.first().cloned())
        .ok_or_else(|| AppError::forbidden("无权查看通知渠道"))?;
    let prefs = outbox::org_prefs(&s.platform, p, &org.id).await?;
    render(&NotifyTpl {
        l: Layout::for_user(u, "/notify").with(notice, error),
        installation,
        channels,
        can_edit: p.can_somewhere(Action::ConfigEdit),
        pending: backlog.pending,
        dead: backlog.dead,
        dead_rows,
        can_edit_org: p.can(Action::ConfigEdit, &org.path),
        org_id: org.id,
        orgs: org_list,
        lines: pref_lines(&prefs),
        channel_labels: CHANNELS.iter().map(|(_, l)| *l).collect(),
    })
}

#[derive(Deserialize, Default)]
pub(super) struct NotifyQuery {
    #[serde(default)]
    org_id: Option<String>,
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<NotifyQuery>,
) -> Page {
    admin_view(&s, &u, q.org_id, None, None).await
}

#[derive(Deserialize)]
pub(super) struct TestForm {
    #[serde(default)]
    channel: String,
}

pub(super) async fn test_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<TestForm>,
) -> Page {
    match outbox::send_test(&s.platform, &ctx, &u.principal, &f.channel).await {
        Ok(()) => {
            let label = yunwei_core::channels::channel_label(&f.channel);
            admin_view(&s, &u, None, Some(format!("{label}测试消息已发送")), None).await
        }
        Err(e) if correctable(&e) => admin_view(&s, &u, None, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
}

pub(super) async fn export_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    match outbox::export_dead_letters(&s.platform, &ctx, &u.principal, &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("notify-dead-letters.xlsx", bytes)),
        Err(e) if correctable(&e) => admin_view(&s, &u, None, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn retry_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    match outbox::retry(&s.platform, &ctx, &u.principal, &id).await {
        Ok(()) => admin_view(&s, &u, None, Some("已重新排队发送".into()), None).await,
        Err(e) if correctable(&e) => admin_view(&s, &u, None, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn org_prefs_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let org_id = f.get("org_id").cloned().unwrap_or_default();
    let prefs = posted_prefs(&f);
    match outbox::set_org_prefs(&s.platform, &ctx, &u.principal, &org_id, &prefs).await {
        Ok(()) => {
            admin_view(
                &s,
                &u,
                Some(org_id),
                Some("单位默认通知设置已保存".into()),
                None,
            )
            .await
        }
        Err(e) if correctable(&e) => admin_view(&s, &u, Some(org_id), None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "notify_mine.html")]
struct MineTpl {
    l: Layout,
    email: String,
    wecom_id: String,
    lines: Vec<PrefLine>,
    channel_labels: Vec<&'static str>,
}

async fn mine_view(
    s: &AppState,
    u: &UiUser,
    notice: Option<String>,
    error: Option<String>,
) -> Page {
    let mine = outbox::my_settings(&s.platform, &u.principal).await?;
    render(&MineTpl {
        l: Layout::for_user(u, "/notify/mine").with(notice, error),
        email: mine.email.unwrap_or_default(),
        wecom_id: mine.wecom_id.unwrap_or_default(),
        lines: pref_lines(&mine.prefs),
        channel_labels: CHANNELS.iter().map(|(_, l)| *l).collect(),
    })
}

pub(super) async fn mine_page(State(s): State<AppState>, u: UiUser) -> Page {
    mine_view(&s, &u, None, None).await
}

pub(super) async fn mine_submit(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let prefs = posted_prefs(&f);
    match outbox::set_my_settings(
        &s.platform,
        &ctx,
        &u.principal,
        f.get("email").map(String::as_str),
        f.get("wecom_id").map(String::as_str),
        &prefs,
    )
    .await
    {
        Ok(()) => mine_view(&s, &u, Some("通知设置已保存".into()), None).await,
        Err(e) if correctable(&e) => mine_view(&s, &u, None, Some(e.message)).await,
        Err(e) => Err(e.into()),
    }
}

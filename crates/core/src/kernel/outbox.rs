//! The outbox of the external notice channels (ADR 0022). A notice's
//! e-mail or chat message is a row of `notify_outbox`, written by
//! [`Outbox`] (a [`Notifier`]) in the transaction of the notice's cause,
//! so it exists exactly when the cause committed and no network call
//! runs inside a transaction. The dispatcher ([`dispatch`], a job of
//! `serve` and `yunwei jobs run`) claims due rows with a guarded update
//! and a lease, delivers them through [`Channels`], marks them sent or
//! schedules the next attempt with exponential backoff, and after the
//! last attempt leaves them dead for the system administrator to see and
//! retry. Non-urgent notices wait out quiet hours and non-working days.
//!
//! Who gets what where: a user's own preference for the notice kind (or
//! for every kind, `*`), else the nearest organisation's up the tree,
//! else nothing beyond the in-app inbox.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use yunwei_domain::calendar::HolidayCalendar;
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::notify::{self as store, Contacts, OutboxRow, PrefRow};
use yunwei_store::{in_tx, orgs, users, DbConn};

use crate::kernel::audit::{self, root_path, Actor, Event};
use crate::kernel::channels::{self, NotifyConfig, Outgoing};
use crate::kernel::notice::{Notice, Notifier, SendFuture};
use crate::{Authorized, Ctx, Platform, Principal};

/// Most organisation levels walked up looking for a preference.
const MAX_LEVELS: usize = 16;
/// Preference key for every kind without its own.
pub const ALL_KINDS: &str = "*";

/// The notice kinds a preference can name, with their Chinese labels.
pub const KINDS: [(&str, &str); 12] = [
    (ALL_KINDS, "全部通知（未单独设置的类型）"),
    ("transition", "工单流转"),
    ("opened", "新工单"),
    ("timer_warning", "工单即将超时"),
    ("timer_breach", "工单已超时"),
    ("ticket_todo", "工单待办"),
    ("register_todo", "台账待办与到期提醒"),
    ("comment", "工单评论"),
    ("grant_expired", "授权到期收回"),
    ("inspection", "巡检提醒"),
    ("vote", "审批表决"),
    ("password_expiry", "密码即将过期"),
];

pub fn kind_label(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or(kind)
}

/// Whether a notice of `kind` goes at once, even in quiet hours.
pub fn is_urgent(cfg: &NotifyConfig, kind: &str) -> bool {
    kind == "timer_breach" || cfg.urgent_kinds.iter().any(|k| k == kind)
}

/// Queues the external channels of a notice (see the module doc).
pub struct Outbox;

impl Notifier for Outbox {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn send<'a>(&'a self, c: &'a mut DbConn, n: &'a Notice<'a>) -> SendFuture<'a> {
        Box::pin(enqueue(c, n))
    }
}

/// Whether anyone chose an external channel: a fresh installation, and
/// every notice there, costs one read.
async fn any_prefs(c: &mut DbConn) -> Result<bool, AppError> {
    Ok(c.optional(
        &sea_query::Query::select()
            .column("id")
            .from("notify_prefs")
            .limit(1)
            .to_owned(),
    )
    .await?
    .is_some())
}

/// The channels `user_id` wants notices of `kind` on.
pub async fn channels_for(
    c: &mut DbConn,
    user_id: &str,
    kind: &str,
) -> Result<Vec<String>, AppError> {
    let pick = |rows: &[PrefRow], owner: &str| -> Option<Vec<String>> {
        let of = |k: &str| {
            rows.iter()
                .find(|r| r.owner_id == owner && r.kind == k)
                .map(|r| r.channels.clone())
        };
        of(kind).or_else(|| of(ALL_KINDS))
    };
    let own = store::prefs_of(c, "user", &[user_id.to_string()]).await?;
    if let Some(chs) = pick(&own, user_id) {
        return Ok(chs);
    }
    let Some(user) = users::get(c, user_id).await? else {
        return Ok(vec![]);
    };
    let mut chain = vec![];
    let mut next = Some(user.org_id);
    for _ in 0..MAX_LEVELS {
        let Some(id) = next else { break };
        next = orgs::get(c, &id).await?.and_then(|o| o.parent_id);
        chain.push(id);
    }
    let rows = store::prefs_of(c, "org", &chain).await?;
    Ok(chain
        .iter()
        .find_map(|org| pick(&rows, org))
        .unwrap_or_default())
}

/// Writes the outbox rows of one notice to one user, in the caller's
/// transaction. A group robot's row has an id derived from the notice,
/// so the notice sent to many users posts to the group once.
pub async fn enqueue(c: &mut DbConn, n: &Notice<'_>) -> Result<(), AppError> {
    if !any_prefs(c).await? {
        return Ok(());
    }
    let chosen = channels_for(c, n.user_id, n.kind).await?;
    let link = n
        .link
        .map(str::to_string)
        .or_else(|| n.ticket_id.map(|t| format!("/tickets/{t}")));
    for ch in chosen {
        if !channels::CHANNELS.iter().any(|(c, _)| *c == ch) {
            continue;
        }
        let group = channels::is_group(&ch);
        let id = if group {
            let mut h = Sha256::new();
            for part in [ch.as_str(), n.kind, n.title, n.body, &n.at_us.to_string()] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            format!("g{}", &hex::encode(h.finalize())[..32])
        } else {
            new_id()
        };
        let row = OutboxRow {
            id,
            user_id: (!group).then(|| n.user_id.to_string()),
            channel: ch.clone(),
            kind: n.kind.to_string(),
            title: n.title.to_string(),
            body: n.body.to_string(),
            link: link.clone(),
            // Stored with the row so a change of the urgent kinds does not
            // reorder what is queued; timer breaches always are.
            urgent: n.kind == "timer_breach",
            created_at: n.at_us,
            status: store::PENDING.into(),
            attempts: 0,
            next_at: n.at_us,
            lease_until: None,
            claim: None,
            last_error: None,
            sent_at: None,
        };
        if group {
            store::insert_outbox_once(c, &row).await?;
        } else {
            store::insert_outbox(c, &row).await?;
        }
    }
    Ok(())
}

/// Pending and dead messages, for the metrics and the administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Backlog {
    /// Waiting to be sent (including those being sent now).
    pub pending: i64,
    /// Given up after the last attempt.
    pub dead: i64,
}

/// The outbox's backlog (no permission: counts only, for `/metrics`).
pub async fn backlog(p: &Platform) -> Result<Backlog, AppError> {
    let mut c = p.db.read().await?;
    let (pending, dead) = store::backlog(&mut c).await?;
    Ok(Backlog { pending, dead })
}

/// When a held notice may go: `None` when `at` is outside quiet hours and
/// (if so configured) on a working day, else the start of the next
/// working period.
pub fn release_at(cal: &HolidayCalendar, cfg: &NotifyConfig, at: DateTime<Utc>) -> Option<i64> {
    let tz = yunwei_domain::calendar::shanghai();
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|v| NaiveTime::parse_from_str(v, "%H:%M").ok())
    };
    let quiet = match (parse(&cfg.quiet_start), parse(&cfg.quiet_end)) {
        (Some(a), Some(b)) if a != b => Some((a, b)),
        _ => None,
    };
    let held = |t: DateTime<Utc>| {
        let local = t.with_timezone(&tz);
        if cfg.quiet_on_non_working_days && !cal.kind(local.date_naive()).is_workday() {
            return true;
        }
        match quiet {
            Some((a, b)) if a < b => local.time() >= a && local.time() < b,
            Some((a, b)) => local.time() >= a || local.time() < b,
            None => false,
        }
    };
    if !held(at) {
        return None;
    }
    // The held time ends at a day's start or at the end of quiet hours.
    let mut day = at.with_timezone(&tz).date_naive();
    for _ in 0..400 {
        let mut starts = vec![NaiveTime::MIN];
        if let Some((_, end)) = quiet {
            starts.push(end);
        }
        for s in starts {
            let Some(t) = tz.from_local_datetime(&day.and_time(s)).single() else {
                continue;
            };
            let t = t.with_timezone(&Utc);
            if t > at && !held(t) {
                return Some(t.timestamp_micros());
            }
        }
        day = day.succ_opt()?;
    }
    None
}

/// The wait after the `attempts`-th failure: base × 2^(attempts−1),
/// at most the configured maximum.
pub fn backoff_us(cfg: &NotifyConfig, attempts: u32) -> i64 {
    let factor = 1u64 << attempts.saturating_sub(1).min(30);
    let secs = cfg
        .retry_base_seconds
        .saturating_mul(factor)
        .min(cfg.retry_max_seconds);
    i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000) * 1_000_000
}

/// What one dispatcher turn did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    pub held: usize,
}

impl Dispatched {
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.dead + self.held
    }
}

/// One dispatcher turn at the platform's clock: at most `limit` due rows.
pub async fn dispatch(p: &Platform, limit: u64) -> Result<usize, AppError> {
    Ok(dispatch_at(p, p.now_us(), limit).await?.handled())
}

/// One dispatcher turn at `now_us` (the tests drive it with an explicit
/// clock): claims due rows, delivers each outside any transaction and
/// records the outcome with a guarded update.
pub async fn dispatch_at(p: &Platform, now_us: i64, limit: u64) -> Result<Dispatched, AppError> {
    let cfg = &p.channels.config;
    let claim = new_id();
    let lease_until = now_us + (cfg.lease_seconds as i64) * 1_000_000;
    let rows = in_tx!(p.db, |c| {
        store::claim_due(&mut c, now_us, lease_until, &claim, limit).await
    })?;
    let mut out = Dispatched::default();
    if rows.is_empty() {
        return Ok(out);
    }
    let cal = crate::kernel::calendar::load(p).await?;
    let now = DateTime::<Utc>::from_timestamp_micros(now_us).unwrap_or_default();
    for row in rows {
        if !row.urgent && !is_urgent(cfg, &row.kind) {
            if let Some(release) = release_at(&cal, cfg, now) {
                finish(
                    p,
                    &row,
                    &claim,
                    store::PENDING,
                    row.attempts,
                    release,
                    row.last_error.as_deref(),
                    None,
                )
                .await?;
                out.held += 1;
                continue;
            }
        }
        let result = deliver_row(p, &row, now_us).await;
        match result {
            Ok(()) => {
                finish(
                    p,
                    &row,
                    &claim,
                    store::SENT,
                    row.attempts + 1,
                    now_us,
                    None,
                    Some(now_us),
                )
                .await?;
                out.sent += 1;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                tracing::warn!(id = %row.id, channel = %row.channel, attempts, error = %e, "notice delivery failed");
                if attempts >= i64::from(cfg.max_attempts) || e.permanent {
                    finish(
                        p,
                        &row,
                        &claim,
                        store::DEAD,
                        attempts,
                        now_us,
                        Some(&e.message),
                        None,
                    )
                    .await?;
                    out.dead += 1;
                } else {
                    let next = now_us + backoff_us(cfg, attempts as u32);
                    finish(
                        p,
                        &row,
                        &claim,
                        store::PENDING,
                        attempts,
                        next,
                        Some(&e.message),
                        None,
                    )
                    .await?;
                    out.retried += 1;
                }
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    p: &Platform,
    row: &OutboxRow,
    claim: &str,
    status: &str,
    attempts: i64,
    next_at: i64,
    error: Option<&str>,
    sent_at: Option<i64>,
) -> Result<(), AppError> {
    let done = in_tx!(p.db, |c| {
        store::finish(
            &mut c, &row.id, claim, status, attempts, next_at, error, sent_at,
        )
        .await
    })?;
    if !done {
        // The lease ran out and another node took the row over.
        tracing::warn!(id = %row.id, "outbox row taken over before its outcome was recorded");
    }
    Ok(())
}

struct RowError {
    message: String,
    /// Retrying cannot help (no address, channel not configured).
    permanent: bool,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

async fn deliver_row(p: &Platform, row: &OutboxRow, now_us: i64) -> Result<(), RowError> {
    let cfg = &p.channels.config;
    let permanent = |m: &str| RowError {
        message: m.to_string(),
        permanent: true,
    };
    if !cfg.configured(&row.channel) {
        return Err(permanent(&format!(
            "{}未配置",
            channels::channel_label(&row.channel)
        )));
    }
    let contacts = match &row.user_id {
        Some(u) => {
            let mut c = p.db.read().await.map_err(|e| RowError {
                message: e.message,
                permanent: false,
            })?;
            store::contacts(&mut c, u).await.map_err(|e| RowError {
                message: e.message,
                permanent: false,
            })?
        }
        None => Contacts::default(),
    };
    let to = match row.channel.as_str() {
        channels::EMAIL => Some(
            contacts
                .email
                .ok_or_else(|| permanent("收件人未填写邮箱"))?,
        ),
        channels::WECOM_APP => Some(
            contacts
                .wecom_id
                .ok_or_else(|| permanent("收件人未填写企业微信账号"))?,
        ),
        _ => None,
    };
    let link = row.link.as_deref().map(|l| cfg.absolute(l));
    p.channels
        .deliver(
            &row.channel,
            &Outgoing {
                title: &row.title,
                body: &row.body,
                link: link.as_deref(),
                to: to.as_deref(),
            },
            now_us,
        )
        .await
        .map_err(|e| RowError {
            message: e.0,
            permanent: false,
        })
}

/// The system administrator of the installation: configuration at the
/// top-level organisation.
async fn at_root<'a>(
    c: &mut DbConn,
    pr: &'a Principal,
    action: Action,
) -> Result<Authorized<'a>, AppError> {
    let root = root_path(c).await?;
    pr.authorize(action, &root)
}

/// One dead letter as the administrator sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeadLetter {
    pub id: String,
    pub channel: String,
    pub channel_label: String,
    pub kind_label: String,
    /// The recipient's display name; empty for a group robot.
    pub recipient: String,
    pub title: String,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    /// When the last attempt failed.
    pub failed_at: i64,
}

/// Most dead letters listed at once.
pub const MAX_DEAD_LISTED: u64 = 500;

/// The dead letters, newest first (system administrator of the
/// installation).
pub async fn dead_letters(p: &Platform, pr: &Principal) -> Result<Vec<DeadLetter>, AppError> {
    let mut c = p.db.read().await?;
    at_root(&mut c, pr, Action::ConfigView).await?;
    let rows = store::dead_letters(&mut c, MAX_DEAD_LISTED).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let recipient = match &r.user_id {
            Some(u) => users::get(&mut c, u)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push(DeadLetter {
            channel_label: channels::channel_label(&r.channel).to_string(),
            kind_label: kind_label(&r.kind).to_string(),
            id: r.id,
            channel: r.channel,
            recipient,
            title: r.title,
            attempts: r.attempts,
            last_error: r.last_error.unwrap_or_default(),
            created_at: r.created_at,
            failed_at: r.next_at,
        });
    }
    Ok(out)
}

/// The dead letters as an Excel workbook (system administrator of the
/// installation), with a reason, audited (`notify.export`).
pub async fn export_dead_letters(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = audit::require_reason(reason)?;
    let auth = {
        let mut c = p.db.read().await?;
        at_root(&mut c, pr, Action::ConfigView).await?
    };
    let rows: Vec<Vec<String>> = dead_letters(p, pr)
        .await?
        .into_iter()
        .map(|d| {
            vec![
                d.channel_label,
                d.kind_label,
                if d.recipient.is_empty() {
                    "（群）".into()
                } else {
                    d.recipient
                },
                d.title,
                d.attempts.to_string(),
                d.last_error,
                crate::kernel::export::fmt_us(d.created_at),
                crate::kernel::export::fmt_us(d.failed_at),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "发送失败的通知",
        &pr.display_name,
        p.clock.now(),
        &[
            "渠道",
            "类型",
            "收件人",
            "标题",
            "尝试次数",
            "失败原因",
            "产生时间",
            "失败时间",
        ],
        &rows,
    )?;
    audit::audit_export(
        p,
        ctx,
        auth,
        "notify.export",
        "notify_outbox",
        format!("导出 {} 条发送失败的通知", rows.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// Puts a dead letter back in the queue, audited (`notify.retry`).
pub async fn retry(p: &Platform, ctx: &Ctx, pr: &Principal, id: &str) -> Result<(), AppError> {
    let now = p.now_us();
    in_tx!(p.db, |c| {
        let auth = at_root(&mut c, pr, Action::ConfigEdit).await?;
        let Some(row) = store::get(&mut c, id).await? else {
            return Err(AppError::not_found("失败消息"));
        };
        if !store::revive(&mut c, id, now).await? {
            return Err(AppError::conflict(
                "notify.not_dead",
                "该消息不在失败列表中（可能已被重新发送）",
            ));
        }
        audit::record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("notify.retry", "notify_outbox", id)
                .before(format!(
                    "失败 {} 次：{}",
                    row.attempts,
                    row.last_error.unwrap_or_default()
                ))
                .after("重新排队发送"),
        )
        .await?;
        Ok(())
    })
}

/// Sends a test message on `channel` now: to the administrator's own
/// address for e-mail and WeCom application messages, to the configured
/// group for the robots. Audited (`notify.test`) with its outcome; a
/// failure is a Chinese error naming the cause.
pub async fn send_test(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    channel: &str,
) -> Result<(), AppError> {
    if !channels::CHANNELS.iter().any(|(c, _)| *c == channel) {
        return Err(AppError::bad_request(
            "notify.channel_unknown",
            "未知的通知渠道",
        ));
    }
    let contacts = {
        let mut c = p.db.read().await?;
        at_root(&mut c, pr, Action::ConfigEdit).await?;
        store::contacts(&mut c, &pr.user_id).await?
    };
    let to = match channel {
        channels::EMAIL => Some(contacts.email.ok_or_else(|| {
            AppError::bad_request(
                "notify.no_address",
                "请先在「我的通知设置」中填写您的邮箱，测试邮件将发给您本人",
            )
        })?),
        channels::WECOM_APP => Some(contacts.wecom_id.ok_or_else(|| {
            AppError::bad_request(
                "notify.no_address",
                "请先在「我的通知设置」中填写您的企业微信账号，测试消息将发给您本人",
            )
        })?),
        _ => None,
    };
    let now = p.now_us();
    let link = p.channels.config.absolute("/notify");
    let result = p
        .channels
        .deliver(
            channel,
            &Outgoing {
                title: "运维管理平台测试消息",
                body: &format!(
                    "这是一条测试消息，由 {} 发送，收到即表示该通知渠道可用。",
                    pr.display_name
                ),
                link: Some(&link),
                to: to.as_deref(),
            },
            now,
        )
        .await;
    let label = channels::channel_label(channel);
    in_tx!(p.db, |c| {
        let auth = at_root(&mut c, pr, Action::ConfigEdit).await?;
        let ev = Event::success("notify.test", "notify_channel", channel);
        let ev = match &result {
            Ok(()) => ev.after(format!("{label}测试消息已发送")),
            Err(e) => ev
                .with_result("failure")
                .after(format!("{label}测试失败：{e}")),
        };
        audit::record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        Ok(())
    })?;
    result.map_err(|e| AppError::bad_request("notify.test_failed", format!("{label}测试失败：{e}")))
}

/// A user's addresses and preferences, for their settings page.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct MySettings {
    pub email: Option<String>,
    pub wecom_id: Option<String>,
    /// (kind, channels) of the user's own preferences.
    pub prefs: Vec<(String, Vec<String>)>,
}

pub async fn my_settings(p: &Platform, pr: &Principal) -> Result<MySettings, AppError> {
    let mut c = p.db.read().await?;
    let contacts = store::contacts(&mut c, &pr.user_id).await?;
    let prefs = store::prefs_of(&mut c, "user", std::slice::from_ref(&pr.user_id)).await?;
    Ok(MySettings {
        email: contacts.email,
        wecom_id: contacts.wecom_id,
        prefs: prefs.into_iter().map(|r| (r.kind, r.channels)).collect(),
    })
}

/// Most characters of an e-mail address or WeCom id.
const MAX_ADDRESS_CHARS: usize = 254;

fn clean_email(s: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > MAX_ADDRESS_CHARS || s.parse::<lettre::Address>().is_err() {
        return Err(AppError::bad_request(
            "notify.email_invalid",
            "邮箱格式不正确",
        ));
    }
    Ok(Some(s.to_string()))
}

fn clean_wecom(s: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let ok = s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if !ok {
        return Err(AppError::bad_request(
            "notify.wecom_invalid",
            "企业微信账号只能包含字母、数字和 _ - . @，最长64位",
        ));
    }
    Ok(Some(s.to_string()))
}

/// A preference as a form gives it: the kind and its channels, `None` to
/// follow the organisation's default.
pub type PrefInput = (String, Option<Vec<String>>);

fn clean_prefs(prefs: &[PrefInput]) -> Result<Vec<PrefInput>, AppError> {
    let mut out = vec![];
    for (kind, chs) in prefs {
        if !KINDS.iter().any(|(k, _)| k == kind) {
            return Err(AppError::bad_request(
                "notify.kind_unknown",
                "未知的通知类型",
            ));
        }
        let Some(chs) = chs else {
            out.push((kind.clone(), None));
            continue;
        };
        let mut list = vec![];
        for ch in chs {
            if !channels::CHANNELS.iter().any(|(c, _)| c == ch) {
                return Err(AppError::bad_request(
                    "notify.channel_unknown",
                    "未知的通知渠道",
                ));
            }
            if !list.contains(ch) {
                list.push(ch.clone());
            }
        }
        out.push((kind.clone(), Some(list)));
    }
    Ok(out)
}

fn describe(prefs: &[PrefInput]) -> String {
    prefs
        .iter()
        .map(|(k, chs)| {
            let shown = match chs {
                None => "跟随单位默认".to_string(),
                Some(chs) if chs.is_empty() => "仅站内消息".to_string(),
                Some(chs) => {
                    let names: Vec<&str> = chs.iter().map(|c| channels::channel_label(c)).collect();
                    names.join("、")
                }
            };
            format!("{}：{}", kind_label(k), shown)
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// Writes an owner's preferences, kind by kind (`None`: the row goes, so
/// the owner follows the organisation's default again).
async fn save_prefs(
    c: &mut DbConn,
    owner_type: &str,
    owner_id: &str,
    prefs: &[PrefInput],
    now: i64,
) -> Result<(), AppError> {
    for (kind, chs) in prefs {
        let row = PrefRow {
            owner_type: owner_type.into(),
            owner_id: owner_id.into(),
            kind: kind.clone(),
            channels: chs.clone().unwrap_or_default(),
        };
        store::set_pref(c, &new_id(), &row, chs.is_some(), now).await?;
    }
    Ok(())
}

/// Saves a user's own addresses and preferences (their own account: no
/// role needed), audited (`notify.my_settings`).
pub async fn set_my_settings(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    email: Option<&str>,
    wecom_id: Option<&str>,
    prefs: &[PrefInput],
) -> Result<(), AppError> {
    let contacts = Contacts {
        email: clean_email(email)?,
        wecom_id: clean_wecom(wecom_id)?,
    };
    let prefs = clean_prefs(prefs)?;
    let now = p.now_us();
    in_tx!(p.db, |c| {
        store::set_contacts(&mut c, &pr.user_id, &contacts, now).await?;
        save_prefs(&mut c, "user", &pr.user_id, &prefs, now).await?;
        audit::record(
            p,
            &mut c,
            ctx,
            Actor::User(Authorized::own_account(pr)),
            Event::success("notify.my_settings", "user", &pr.user_id).after(format!(
                "邮箱{}，企业微信账号{}；{}",
                if contacts.email.is_some() {
                    "已填写"
                } else {
                    "未填写"
                },
                if contacts.wecom_id.is_some() {
                    "已填写"
                } else {
                    "未填写"
                },
                describe(&prefs)
            )),
        )
        .await?;
        Ok(())
    })
}

/// An organisation's default preferences (its system administrator).
pub async fn org_prefs(
    p: &Platform,
    pr: &Principal,
    org_id: &str,
) -> Result<Vec<(String, Vec<String>)>, AppError> {
    let mut c = p.db.read().await?;
    let org = orgs::get(&mut c, org_id)
        .await?
        .ok_or_else(|| AppError::not_found("组织机构"))?;
    pr.authorize(Action::ConfigView, &org.path)?;
    let rows = store::prefs_of(&mut c, "org", &[org.id]).await?;
    Ok(rows.into_iter().map(|r| (r.kind, r.channels)).collect())
}

/// Sets an organisation's default preferences, which its users (and those
/// of the organisations below without their own) follow unless they chose
/// otherwise; the system administrator whose scope holds the organisation
/// (`ConfigEdit` there). Audited (`notify.org_prefs`).
pub async fn set_org_prefs(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    org_id: &str,
    prefs: &[PrefInput],
) -> Result<(), AppError> {
    let prefs = clean_prefs(prefs)?;
    let now = p.now_us();
    in_tx!(p.db, |c| {
        let org = orgs::get(&mut c, org_id)
            .await?
            .ok_or_else(|| AppError::not_found("组织机构"))?;
        let auth = pr.authorize(Action::ConfigEdit, &org.path)?;
        save_prefs(&mut c, "org", &org.id, &prefs, now).await?;
        audit::record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("notify.org_prefs", "org", &org.id).after(format!(
                "{}：{}",
                org.name,
                describe(&prefs)
            )),
        )
        .await?;
        Ok(())
    })
}

/// The status of each channel for the administrator's page.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChannelStatus {
    pub channel: String,
    pub label: String,
    pub configured: bool,
}

pub async fn channel_status(p: &Platform, pr: &Principal) -> Result<Vec<ChannelStatus>, AppError> {
    let mut c = p.db.read().await?;
    at_root(&mut c, pr, Action::ConfigView).await?;
    Ok(channels::CHANNELS
        .iter()
        .map(|(ch, label)| ChannelStatus {
            channel: ch.to_string(),
            label: label.to_string(),
            configured: p.channels.config.configured(ch),
        })
        .collect())
}

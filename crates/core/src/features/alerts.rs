//! Alertmanager webhook -> incidents (ADR 0024; JSCZ-10 实时监测,
//! EEDS-1.4.2, EEDS-3.2). A source's alert group opens one incident of the
//! process its configuration names, as the source's service account
//! 「监控告警：<source>」; later notifications of the same group update it
//! (one timeline entry per change, repeats only counted), its resolution
//! is written on the timeline and, where the pack lets the service account
//! take the configured transition, moves the incident on. Beyond the
//! source's rate of new incidents, groups join one 「告警风暴」 incident.

use std::collections::BTreeMap;

use yunwei_domain::alerts::{self as rules, AlertSource, WebhookMessage};
use yunwei_domain::calendar::HolidayCalendar;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::{FieldValue, Fields, Pack, Process};
use yunwei_domain::roles::{Action, Role, ScopedRole};
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::alerts::{self as store, AlertIncidentRow};
use yunwei_store::tickets::{self as tstore, EventRow, TicketRow};
use yunwei_store::{in_tx, orgs, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::tickets::TransitionInput;
use crate::{Ctx, Platform, Principal};

/// Key of a source's storm incident in `alert_incidents`.
const STORM_KEY: &str = "storm";
/// Attempts of one delivery that lost the race for a new group to a
/// parallel delivery of the same group (the second finds the first's).
const MAX_ATTEMPTS: u32 = 3;

/// What a delivery did, for Alertmanager's log and the tests.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// The incident's number.
    pub ticket_number: String,
    /// `opened`, `updated`, `repeated` or `storm`.
    pub outcome: String,
}

fn unauthorized() -> AppError {
    AppError::new(
        ErrorKind::Unauthorized,
        "alerts.unauthorized",
        "告警来源未配置或令牌无效",
    )
}

/// Username of a source's service account.
pub fn service_username(source: &str) -> String {
    format!("alerts.{source}")
}

/// Checks the configuration against the loaded packs and the
/// organisations, and creates the missing service accounts (startup).
pub async fn prepare(p: &Platform) -> Result<(), AppError> {
    rules::check(&p.alertmanager, &p.packs)
        .map_err(|m| AppError::bad_request("config.alertmanager", m))?;
    let ctx = Ctx::system("alertmanager");
    for (name, s) in &p.alertmanager.sources {
        let org = {
            let mut c = p.db.read().await?;
            source_org(&mut c, name, s).await?
        };
        in_tx!(p.db, |c| {
            let username = service_username(name);
            if let Some(u) = ustore::by_username(&mut c, &username).await? {
                if u.org_id != org.id {
                    return Err(AppError::bad_request(
                        "config.alertmanager",
                        format!(
                            "alertmanager.sources.{name}.org：服务账号 {username} 已属于另一机构，不能改为「{}」",
                            org.name
                        ),
                    ));
                }
                return Ok(());
            }
            let now = p.now_us();
            let user = ustore::UserRow {
                id: new_id(),
                username: username.clone(),
                display_name: format!("监控告警：{name}"),
                org_id: org.id.clone(),
                org_path: org.path.clone(),
                // No password verifies against this and the account is
                // disabled: nobody logs in as a service account.
                password_hash: "!".into(),
                must_change_password: false,
                status: "disabled".into(),
                failed_attempts: 0,
                locked_until: None,
                phone_enc: None,
                phone_masked: None,
                id_number_enc: None,
                id_number_masked: None,
                builtin: true,
                created_at: now,
                updated_at: now,
                password_changed_at: now,
            };
            ustore::insert(&mut c, &user).await?;
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &org.path,
                },
                Event::success("user.create", "user", &user.id).after(format!(
                    "监控告警服务账号 {username}（{}，不可登录）",
                    org.name
                )),
            )
            .await?;
            Ok(())
        })?;
    }
    Ok(())
}

async fn source_org(c: &mut DbConn, name: &str, s: &AlertSource) -> Result<orgs::OrgRow, AppError> {
    let found = match orgs::get(c, s.org.trim()).await? {
        Some(o) => Some(o),
        None => orgs::by_name(c, s.org.trim()).await?,
    };
    found.ok_or_else(|| {
        AppError::bad_request(
            "config.alertmanager",
            format!("alertmanager.sources.{name}.org：机构「{}」不存在", s.org),
        )
    })
}

/// The service account of a source acting: a business role in the
/// source's organisation and below, nothing else.
async fn service_principal(c: &mut DbConn, name: &str) -> Result<Principal, AppError> {
    let user = ustore::by_username(c, &service_username(name))
        .await?
        .ok_or_else(|| {
            tracing::error!(
                source = name,
                "the alert source's service account is missing"
            );
            AppError::internal()
        })?;
    Ok(Principal {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        org_id: user.org_id.clone(),
        org_path: user.org_path.clone(),
        grants: vec![ScopedRole {
            role: Role::BusinessStaff,
            scope_path: user.org_path.clone(),
            subtree: true,
        }],
        session_id: None,
        must_change_password: false,
        contract_regions: vec![],
    })
}

/// Receives one webhook notification of `source`.
pub async fn receive(
    p: &Platform,
    ctx: &Ctx,
    source: &str,
    bearer: Option<&str>,
    body: &[u8],
) -> Result<Delivery, AppError> {
    let presented = bearer.unwrap_or("");
    let Some(s) = p.alertmanager.sources.get(source) else {
        // The same work as a wrong token: whether a source exists does not
        // show in the answer or its time.
        let _ = rules::token_matches(p.crypto.as_ref(), presented, "-");
        return Err(unauthorized());
    };
    if !rules::token_matches(p.crypto.as_ref(), presented, &s.token) {
        tracing::warn!(source, "alertmanager webhook with a wrong token");
        return Err(unauthorized());
    }
    // The web layer refused a body over `rules::MAX_BODY_BYTES` before
    // reading it.
    let mut msg: WebhookMessage = serde_json::from_slice(body).map_err(|e| {
        tracing::debug!(error = %e, "unreadable alertmanager notification");
        AppError::bad_request(
            "alerts.invalid_body",
            "告警通知格式不正确（须为 Alertmanager webhook 第4版 JSON）",
        )
    })?;
    if msg.version != "4" {
        return Err(AppError::bad_request(
            "alerts.unsupported_version",
            format!("不支持的告警通知版本「{}」（须为4）", msg.version),
        ));
    }
    if msg.group_key.is_empty() || msg.alerts.is_empty() {
        return Err(AppError::bad_request(
            "alerts.invalid_body",
            "告警通知缺少 groupKey 或告警",
        ));
    }
    // Bounded work per notification; the rest is counted, not read.
    if msg.alerts.len() > rules::MAX_ALERTS {
        msg.truncated_alerts += (msg.alerts.len() - rules::MAX_ALERTS) as u64;
        msg.alerts.truncate(rules::MAX_ALERTS);
    }
    let key = hex::encode(p.crypto.sm3(msg.group_key.as_bytes()));
    let cal = crate::kernel::calendar::load(p).await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match deliver(p, ctx, source, s, &msg, &key, &cal).await {
            // A parallel delivery of the same group opened its incident
            // first: this one now finds it and updates it.
            Err(e) if e.code == "alerts.concurrent_delivery" && attempt < MAX_ATTEMPTS => continue,
            other => return other,
        }
    }
}

/// What the read phase finds: who acts and which items the labels name.
struct Prepared {
    pr: Principal,
    org: orgs::OrgRow,
    cis: Vec<yunwei_store::cmdb::CiRow>,
}

async fn prepare_delivery(
    p: &Platform,
    source: &str,
    s: &AlertSource,
    msg: &WebhookMessage,
) -> Result<Prepared, AppError> {
    let mut c = p.db.read().await?;
    let pr = service_principal(&mut c, source).await?;
    let org = orgs::get(&mut c, &pr.org_id)
        .await?
        .ok_or_else(|| AppError::not_found("机构"))?;
    let mut cis = Vec::new();
    for a in &msg.alerts {
        if cis.len() >= 5 {
            break;
        }
        if let Some(ci) = match_ci(&mut c, s, &org, &a.labels).await? {
            if !cis
                .iter()
                .any(|x: &yunwei_store::cmdb::CiRow| x.id == ci.id)
            {
                cis.push(ci);
            }
        }
    }
    Ok(Prepared { pr, org, cis })
}

/// The configuration item the labels name, inside the source's
/// organisation: by code, then IP address, then name, label by label.
async fn match_ci(
    c: &mut DbConn,
    s: &AlertSource,
    org: &orgs::OrgRow,
    labels: &BTreeMap<String, String>,
) -> Result<Option<yunwei_store::cmdb::CiRow>, AppError> {
    let inside =
        |ci: &yunwei_store::cmdb::CiRow| yunwei_domain::org::is_within(&ci.org_path, &org.path);
    for label in &s.ci_labels {
        let Some(value) = labels.get(label) else {
            continue;
        };
        let value = if label == "instance" {
            rules::host_of(value)
        } else {
            value.trim()
        };
        if value.is_empty() || value.len() > 200 {
            continue;
        }
        if let Some(ci) = yunwei_store::cmdb::ci_by_code(c, value)
            .await?
            .filter(inside)
        {
            return Ok(Some(ci));
        }
        if let Some(a) = yunwei_store::cmdb::allocation_by_address(c, value).await? {
            if let Some(id) = a.ci_id {
                if let Some(ci) = yunwei_store::cmdb::get_ci(c, &id).await?.filter(inside) {
                    return Ok(Some(ci));
                }
            }
        }
        for id in store::ci_ids_by_name(c, value).await? {
            if let Some(ci) = yunwei_store::cmdb::get_ci(c, &id).await?.filter(inside) {
                return Ok(Some(ci));
            }
        }
    }
    Ok(None)
}

#[allow(clippy::too_many_arguments)]
async fn deliver(
    p: &Platform,
    ctx: &Ctx,
    source: &str,
    s: &AlertSource,
    msg: &WebhookMessage,
    key: &str,
    cal: &HolidayCalendar,
) -> Result<Delivery, AppError> {
    let prep = prepare_delivery(p, source, s, msg).await?;
    let pr = &prep.pr;
    in_tx!(p.db, |c| {
        let now_us = p.now_us();
        if let Some(row) = open_row(&mut c, source, key, now_us).await? {
            return update_group(p, &mut c, ctx, pr, s, msg, row, cal).await;
        }
        // A new group: within the source's rate, its own incident; beyond
        // it, the open storm incident. The counter row is updated first,
        // which makes parallel deliveries of the source take turns here.
        let window_us = i64::from(s.window_minutes) * 60 * 1_000_000;
        let window = now_us.div_euclid(window_us);
        let counter = format!("alerts:{source}:{window}");
        let n = tstore::next_counter(&mut c, &counter).await?;
        if n == 1 {
            store::prune_counters(&mut c, source, &counter).await?;
        }
        let alerts_json = alerts_json(msg);
        if n <= i64::from(s.max_new_incidents) {
            let t = open_incident(p, &mut c, ctx, &prep, s, msg, cal, false).await?;
            insert_row(&mut c, source, key, &t.id, false, msg, alerts_json, now_us).await?;
            return Ok(Delivery {
                ticket_number: t.number,
                outcome: "opened".into(),
            });
        }
        let storm = match open_row(&mut c, source, STORM_KEY, now_us).await? {
            Some(row) => {
                let t = tstore::get(&mut c, &row.ticket_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("工单"))?;
                let body = format!(
                    "告警风暴期间又有告警组加入：\n{}",
                    describe(msg, rules::MAX_ALERTS_LISTED)
                );
                timeline(p, &mut c, ctx, pr, &t, "告警风暴：新告警组", &body).await?;
                t
            }
            None => {
                let t = open_incident(p, &mut c, ctx, &prep, s, msg, cal, true).await?;
                insert_row(
                    &mut c,
                    source,
                    STORM_KEY,
                    &t.id,
                    true,
                    msg,
                    "{}".into(),
                    now_us,
                )
                .await?;
                t
            }
        };
        insert_row(
            &mut c,
            source,
            key,
            &storm.id,
            true,
            msg,
            alerts_json,
            now_us,
        )
        .await?;
        Ok(Delivery {
            ticket_number: storm.number,
            outcome: "storm".into(),
        })
    })
}

/// The open row of a group, closed first when its incident reached a final
/// state (a new firing then opens a new incident).
async fn open_row(
    c: &mut DbConn,
    source: &str,
    key: &str,
    now_us: i64,
) -> Result<Option<AlertIncidentRow>, AppError> {
    let Some(row) = store::open_row(c, source, key).await? else {
        return Ok(None);
    };
    let closed = tstore::get(c, &row.ticket_id)
        .await?
        .is_none_or(|t| t.closed_at.is_some());
    if closed {
        store::close(c, &row.id, now_us).await?;
        return Ok(None);
    }
    Ok(Some(row))
}

#[allow(clippy::too_many_arguments)]
async fn insert_row(
    c: &mut DbConn,
    source: &str,
    key: &str,
    ticket_id: &str,
    storm: bool,
    msg: &WebhookMessage,
    alerts_json: String,
    now_us: i64,
) -> Result<(), AppError> {
    store::insert(
        c,
        &AlertIncidentRow {
            id: new_id(),
            source: source.into(),
            group_key: key.into(),
            open_key: Some(key.into()),
            ticket_id: ticket_id.into(),
            storm,
            status: msg.status.clone(),
            alerts_json,
            repeats: 0,
            created_at: now_us,
            updated_at: now_us,
        },
    )
    .await
}

/// Fingerprint -> status of the alerts of a notification.
fn alert_states(msg: &WebhookMessage) -> BTreeMap<String, String> {
    msg.alerts
        .iter()
        .map(|a| {
            let id = if a.fingerprint.is_empty() {
                format!("{:?}", a.labels)
            } else {
                a.fingerprint.clone()
            };
            (id, a.status.clone())
        })
        .collect()
}

fn alerts_json(msg: &WebhookMessage) -> String {
    serde_json::to_string(&alert_states(msg)).unwrap_or_else(|_| "{}".into())
}

/// One line per alert (at most `max`), for the description and timeline.
fn describe(msg: &WebhookMessage, max: usize) -> String {
    let mut out = String::new();
    for a in msg.alerts.iter().take(max) {
        let name = a
            .labels
            .get("alertname")
            .map(String::as_str)
            .unwrap_or("告警");
        let instance = a.labels.get("instance").map(String::as_str).unwrap_or("");
        let summary = a
            .annotations
            .get("summary")
            .or_else(|| a.annotations.get("description"))
            .map(String::as_str)
            .unwrap_or("");
        let state = if a.status == "resolved" {
            "已恢复"
        } else {
            "告警中"
        };
        out.push_str(&format!(
            "【{state}】{name} {instance} {summary}（开始于 {}）\n",
            a.starts_at.as_deref().unwrap_or("-")
        ));
    }
    let rest = msg.alerts.len().saturating_sub(max) as u64 + msg.truncated_alerts;
    if rest > 0 {
        out.push_str(&format!("另有 {rest} 条告警未列出\n"));
    }
    clean_body(&out)
}

/// Text from outside made safe for a ticket: controls out, bounded.
fn clean_body(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .filter(|c| !matches!(*c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .take(3900)
        .collect();
    cleaned.trim().to_string()
}

fn title_of(source: &str, msg: &WebhookMessage, storm: bool) -> String {
    if storm {
        return format!("告警风暴：{source} 短时间内告警过多");
    }
    let first = msg.alerts.first();
    let name = msg
        .common_labels
        .get("alertname")
        .or_else(|| first.and_then(|a| a.labels.get("alertname")))
        .map(String::as_str)
        .unwrap_or("监控告警");
    let summary = msg
        .common_annotations
        .get("summary")
        .or_else(|| first.and_then(|a| a.annotations.get("summary")))
        .map(String::as_str)
        .unwrap_or("");
    let t = if summary.is_empty() {
        format!("监控告警：{name}")
    } else {
        format!("监控告警：{name}（{summary}）")
    };
    let t: String = clean_body(&t)
        .replace('\n', " ")
        .chars()
        .take(190)
        .collect();
    t
}

/// The fields of a new incident, from the source's configuration.
fn incident_fields(
    p: &Platform,
    s: &AlertSource,
    pr_: &Process,
    msg: &WebhookMessage,
    title: &str,
    cis: &[yunwei_store::cmdb::CiRow],
) -> Fields {
    let mut fields = Fields::new();
    for (k, v) in &s.fields {
        if let Some(f) = pr_.field(k) {
            if let Some(v) = FieldValue::from_pack_literal(f.ty, v) {
                fields.insert(k.clone(), v);
            }
        }
    }
    if pr_.field("title").is_some() {
        fields.insert("title".into(), FieldValue::Text(title.to_string()));
    }
    if let Some(lf) = &s.level_field {
        // The most severe label among the alerts that maps; the pack's
        // choices are ordered most severe first.
        let field = pr_.field(lf);
        let rank = |v: &str| {
            field
                .and_then(|f| f.choices.iter().position(|c| c.id == v))
                .unwrap_or(usize::MAX)
        };
        let level = msg
            .alerts
            .iter()
            .filter_map(|a| rules::level_for(s, &a.labels))
            .chain(rules::level_for(s, &msg.common_labels))
            .min_by_key(|v| rank(v));
        if let Some(level) = level {
            fields.insert(lf.clone(), FieldValue::Text(level));
        }
    }
    if let Some(d) = &s.description_field {
        fields.insert(
            d.clone(),
            FieldValue::Text(describe(msg, rules::MAX_ALERTS_LISTED)),
        );
    }
    if let Some(o) = &s.occurred_field {
        let now = p.clock.now();
        let earliest = msg
            .alerts
            .iter()
            .filter_map(|a| a.starts_at.as_deref())
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .min()
            .unwrap_or(now);
        // Never in the future of the platform's clock (not_future fields).
        fields.insert(o.clone(), FieldValue::DateTime(earliest.min(now)));
    }
    if let (Some(ci), Some(f)) = (cis.first(), pr_.ci_fields().next()) {
        fields.insert(f.id.clone(), FieldValue::Text(ci.code.clone()));
    }
    fields
}

#[allow(clippy::too_many_arguments)]
async fn open_incident(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    prep: &Prepared,
    s: &AlertSource,
    msg: &WebhookMessage,
    cal: &HolidayCalendar,
    storm: bool,
) -> Result<TicketRow, AppError> {
    let pr = &prep.pr;
    let pk: &Pack = crate::tickets::pack(p, &s.pack, None)?;
    let pr_ = pk
        .processes
        .iter()
        .find(|x| x.id == s.process)
        .ok_or_else(|| AppError::not_found("流程"))?;
    let source = pr.username.trim_start_matches("alerts.");
    let title = title_of(source, msg, storm);
    let cis: &[yunwei_store::cmdb::CiRow] = if storm { &[] } else { &prep.cis };
    let fields = incident_fields(p, s, pr_, msg, &title, cis);
    // The incident belongs to the organisation of the system it concerns
    // (ADR 0015), which is inside the source's; else to the source's.
    let org = match cis.first() {
        Some(ci) => orgs::get(c, &ci.org_id).await?.unwrap_or(prep.org.clone()),
        None => prep.org.clone(),
    };
    let auth = pr.authorize(Action::BusinessOperate, &org.path)?;
    let t = crate::tickets::insert_ticket(
        p,
        c,
        ctx,
        auth,
        pk,
        pr_,
        &title,
        &org,
        &pr.user_id,
        &fields,
        cal,
    )
    .await?;
    crate::tickets::link_cis(p, c, ctx, auth, &t, cis, t.created_at).await?;
    match &s.open_transition {
        Some(tr) => move_on(p, c, ctx, pr, &t, tr, cal, "告警登记后未能自动上报").await,
        None => Ok(t),
    }
}

/// Takes a configured transition as the service account; when the pack
/// does not let it (role, state, missing fields), the reason goes on the
/// timeline instead and the incident stays where it is.
#[allow(clippy::too_many_arguments)]
async fn move_on(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    t: &TicketRow,
    transition: &str,
    cal: &HolidayCalendar,
    failed_label: &str,
) -> Result<TicketRow, AppError> {
    let input = TransitionInput {
        transition: transition.to_string(),
        ..Default::default()
    };
    match crate::tickets::transition_in(p, c, ctx, pr, &t.id, &input, "", cal).await {
        Ok(next) => Ok(next),
        // A refusal of the engine or a gate is decided before anything is
        // written, so the transaction goes on.
        Err(e)
            if matches!(
                e.kind,
                ErrorKind::BadRequest | ErrorKind::Forbidden | ErrorKind::Conflict
            ) =>
        {
            timeline(p, c, ctx, pr, t, failed_label, &e.message).await?;
            Ok(t.clone())
        }
        Err(e) => Err(e),
    }
}

/// One timeline entry of the service account, audited.
async fn timeline(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    t: &TicketRow,
    label: &str,
    body: &str,
) -> Result<(), AppError> {
    let auth = pr.authorize(Action::BusinessOperate, &t.org_path)?;
    tstore::insert_event(
        c,
        &EventRow {
            id: new_id(),
            ticket_id: t.id.clone(),
            at: p.now_us(),
            actor_id: Some(pr.user_id.clone()),
            actor_name: pr.display_name.clone(),
            kind: "alert".into(),
            from_state: None,
            to_state: None,
            label: label.into(),
            body: body.into(),
        },
    )
    .await?;
    record(
        p,
        c,
        ctx,
        Actor::User(auth),
        Event::success("ticket.alert", "ticket", &t.id)
            .after(format!("{} {}：{label}", t.number, t.title)),
    )
    .await?;
    Ok(())
}

/// A later notification of a known group: a timeline entry when something
/// changed (new alerts firing, alerts resolved, the group resolved or
/// firing again), else only the repeat counted.
#[allow(clippy::too_many_arguments)]
async fn update_group(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    s: &AlertSource,
    msg: &WebhookMessage,
    mut row: AlertIncidentRow,
    cal: &HolidayCalendar,
) -> Result<Delivery, AppError> {
    let t = tstore::get(c, &row.ticket_id)
        .await?
        .ok_or_else(|| AppError::not_found("工单"))?;
    let before: BTreeMap<String, String> =
        serde_json::from_str(&row.alerts_json).unwrap_or_default();
    let now = alert_states(msg);
    let newly_firing = now
        .iter()
        .filter(|(k, v)| *v == "firing" && before.get(*k).is_none_or(|b| b != "firing"))
        .count();
    let newly_resolved = now
        .iter()
        .filter(|(k, v)| *v == "resolved" && before.get(*k).is_some_and(|b| b == "firing"))
        .count();
    let group_resolved = msg.is_resolved() && row.status != "resolved";
    let group_refired = !msg.is_resolved() && row.status == "resolved";
    let mut merged = before.clone();
    merged.extend(now);
    // The map stays bounded like the notification itself.
    while merged.len() > rules::MAX_ALERTS {
        let Some(k) = merged.keys().next().cloned() else {
            break;
        };
        merged.remove(&k);
    }
    let changed = newly_firing > 0 || newly_resolved > 0 || group_resolved || group_refired;
    row.updated_at = p.now_us();
    if !changed {
        row.repeats += 1;
        store::update(c, &row).await?;
        return Ok(Delivery {
            ticket_number: t.number,
            outcome: "repeated".into(),
        });
    }
    let label = if group_resolved {
        "告警已恢复"
    } else if group_refired {
        "告警再次触发"
    } else {
        "告警更新"
    };
    let mut body = String::new();
    if newly_firing > 0 {
        body.push_str(&format!("新触发 {newly_firing} 条；"));
    }
    if newly_resolved > 0 {
        body.push_str(&format!("已恢复 {newly_resolved} 条；"));
    }
    if row.repeats > 0 {
        body.push_str(&format!("期间重复通知 {} 次；", row.repeats));
    }
    body.push('\n');
    body.push_str(&describe(msg, 20));
    timeline(p, c, ctx, pr, &t, label, &clean_body(&body)).await?;
    row.alerts_json = serde_json::to_string(&merged).unwrap_or_else(|_| "{}".into());
    row.status = msg.status.clone();
    row.repeats = 0;
    store::update(c, &row).await?;
    if group_resolved && !row.storm {
        if let Some(tr) = &s.resolved_transition {
            move_on(p, c, ctx, pr, &t, tr, cal, "告警恢复后未能自动流转").await?;
        }
    }
    Ok(Delivery {
        ticket_number: t.number,
        outcome: "updated".into(),
    })
}

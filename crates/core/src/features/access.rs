//! Special access requests and temporary grants (JSCZ-8, JSCZ-47, JSCZ-49,
//! JSCZ-51; ADR 0007).
//!
//! The request is a ticket of a process whose transitions name the
//! `grantee` / `grantee_of_org` gates and the `temporary_grant`,
//! `account_grant` and `revoke_grant` effects (ADR 0010; in jscz the
//! special access request, four reviewers, all of them, and the account
//! request for a third party). When the system administrator records that
//! it was carried out, the platform files a temporary grant in the
//! `access_grants` register, in the same transaction. The grant names one person and cannot be amended.
//!
//! At the grant's end the job ([`expire_grants`], beside the ticket timers)
//! revokes it whether or not anyone logs in, asks the responsible
//! administrator to confirm that the access was removed in the target
//! system by the end of the next working day (a `grant_removal` control),
//! and the due-date engine escalates to the project leads when that
//! confirmation is late. A departure ([`person_departed`]) revokes every
//! grant of the person the same way.

use chrono::NaiveDate;
use yunwei_domain::ids::new_id;
use yunwei_domain::policy::model::{FieldValue, Fields};
use yunwei_domain::register::{spec, Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::tickets::TicketRow;
use yunwei_store::{in_tx, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, Subject};
use crate::registers::EntryInput;
use crate::{Authorized, Ctx, Platform, Principal};

/// The register of temporary grants.
pub const REGISTER: &str = "access_grants";
/// The control asking the administrator to confirm a removal.
pub const REMOVAL_KIND: &str = "grant_removal";
/// Why a grant the job revoked was revoked.
pub const EXPIRED: &str = "有效期届满，平台自动收回";

fn grants_spec() -> Result<&'static Spec, AppError> {
    spec(REGISTER).ok_or_else(AppError::internal)
}

fn text<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).and_then(|v| v.as_text()).unwrap_or("").trim()
}

fn date(f: &Fields, k: &str) -> Option<NaiveDate> {
    match f.get(k) {
        Some(FieldValue::Date(d)) => Some(*d),
        _ => None,
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn invalid(code: &'static str, msg: impl Into<String>) -> AppError {
    AppError::bad_request(code, msg)
}

/// The person a request names: an active account (of the requesting
/// organisation, for a vendor's special access request).
async fn grantee(
    c: &mut DbConn,
    username: &str,
    org_id: Option<&str>,
) -> Result<ustore::UserRow, AppError> {
    let u = ustore::by_username(c, username)
        .await?
        .filter(|u| u.status == "active")
        .ok_or_else(|| {
            invalid(
                "access.grantee_unknown",
                format!(
                    "使用人「{username}」不是平台中的有效账号，权限只能授予一名具体人员（JSCZ-8）"
                ),
            )
        })?;
    if org_id.is_some_and(|o| o != u.org_id) {
        return Err(invalid(
            "access.grantee_other_org",
            format!(
                "使用人「{}」不是申请单位的人员，授予的权限不得转交他人使用（JSCZ-8）",
                u.display_name
            ),
        ));
    }
    Ok(u)
}

/// Checks a request before the ticket moves (the `grantee` and
/// `grantee_of_org` gates, ADR 0010): the person it names (of the ticket's
/// organisation when `of_org`) and its dates (a grant always has an end,
/// not already past).
pub(crate) async fn check_grantee(
    c: &mut DbConn,
    today: NaiveDate,
    row: &TicketRow,
    fields: &Fields,
    of_org: bool,
) -> Result<(), AppError> {
    let named = text(fields, "grantee");
    let org = of_org.then_some(row.org_id.as_str());
    if !named.is_empty() {
        grantee(c, named, org).await?;
    }
    if let (Some(from), Some(until)) = (date(fields, "valid_from"), date(fields, "valid_until")) {
        if until < from {
            return Err(invalid("access.dates_reversed", "截止日期不能早于生效日期"));
        }
    }
    if let Some(until) = date(fields, "valid_until") {
        if until < today {
            return Err(invalid(
                "access.already_ended",
                format!(
                    "截止日期 {} 已过，请重新确定授权有效期（JSCZ-49）",
                    ymd(until)
                ),
            ));
        }
    }
    Ok(())
}

/// The `temporary_grant` effect (ADR 0010): a special access request's
/// opening files its temporary grant for the named person of the
/// requesting organisation, in the ticket's transaction.
pub(crate) async fn file_temporary_grant(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    row: &TicketRow,
    fields: &Fields,
) -> Result<(), AppError> {
    let today = due::today(p);
    let grant = Grant {
        kind: text(fields, "access_kind").to_string(),
        scope: text(fields, "scope").to_string(),
        from: date(fields, "valid_from").unwrap_or(today).max(today),
        of_org: true,
    };
    file_grant(p, c, ctx, pr, row, fields, grant).await
}

/// The `account_grant` effect (ADR 0010): an account created for a named
/// person becomes a temporary grant from today.
pub(crate) async fn file_account_grant(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    row: &TicketRow,
    fields: &Fields,
) -> Result<(), AppError> {
    if text(fields, "grantee").is_empty() {
        return Ok(());
    }
    let grant = Grant {
        kind: if fields
            .get("admin_account")
            .is_some_and(|v| *v == FieldValue::Bool(true))
        {
            "admin_account".to_string()
        } else {
            "system_account".to_string()
        },
        scope: format!(
            "账号 {}：{}",
            text(fields, "account"),
            text(fields, "rights")
        ),
        from: due::today(p),
        of_org: false,
    };
    file_grant(p, c, ctx, pr, row, fields, grant).await
}

/// What a grant gives, from which day, and whether its person must be of
/// the ticket's organisation.
struct Grant {
    kind: String,
    scope: String,
    from: NaiveDate,
    of_org: bool,
}

/// Files the temporary grant a ticket's last step carried out, in the
/// ticket's transaction.
async fn file_grant(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    row: &TicketRow,
    fields: &Fields,
    grant: Grant,
) -> Result<(), AppError> {
    let Grant {
        kind,
        scope,
        from,
        of_org,
    } = grant;
    let Some(until) = date(fields, "valid_until") else {
        return Err(invalid(
            "access.end_required",
            "授权必须写明截止日期（JSCZ-49）",
        ));
    };
    let org = if of_org {
        Some(row.org_id.as_str())
    } else {
        None
    };
    let person = grantee(c, text(fields, "grantee"), org).await?;
    let authorisation = match text(fields, "authoriser") {
        "" => String::new(),
        a => format!("{a}（书面授权书附于申请工单 {}）", row.number),
    };
    let values = [
        ("ticket_id", row.id.clone()),
        ("grantee", person.username.clone()),
        ("grantee_name", person.display_name.clone()),
        ("vendor_org_id", person.org_id.clone()),
        ("system", text(fields, "system").to_string()),
        ("access_kind", kind),
        ("scope", scope),
        ("valid_from", ymd(from)),
        ("valid_until", ymd(until)),
        ("authorisation", authorisation),
        ("responsible", pr.username.clone()),
    ];
    let input = EntryInput {
        org_id: Some(pr.org_id.clone()),
        values: values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    let spec = grants_spec()?;
    let e = crate::registers::prepare(p, c, pr, spec, &input).await?;
    crate::registers::persist(p, c, ctx, spec, &e).await?;
    Ok(())
}

/// The `revoke_grant` effect (ADR 0010): an account closed on request:
/// the person's grants on that system are revoked and, the administrator
/// having recorded the closing, confirmed.
pub(crate) async fn close_accounts(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    fields: &Fields,
) -> Result<(), AppError> {
    let pr = auth.principal();
    let username = text(fields, "grantee");
    if username.is_empty() {
        return Ok(());
    }
    let spec = grants_spec()?;
    for e in active_of(c, username).await? {
        if e.get("system").text() != Some(text(fields, "system")) {
            continue;
        }
        let revoked = revoke(
            p,
            c,
            ctx,
            Actor::User(auth),
            &pr.user_id,
            e,
            "账号注销申请已办理",
        )
        .await?;
        let confirm = spec
            .step("confirm_removed")
            .ok_or_else(AppError::internal)?;
        let note = text(fields, "done_record").to_string();
        step_as(
            p,
            c,
            ctx,
            Actor::User(auth),
            &pr.user_id,
            (spec, confirm),
            revoked,
            &note,
        )
        .await?;
    }
    Ok(())
}

async fn active_of(c: &mut DbConn, username: &str) -> Result<Vec<EntryRow>, AppError> {
    let spec = grants_spec()?;
    store::find(
        c,
        spec,
        &[
            ("grantee", Val::Text(username.to_string())),
            ("status", Val::Text("active".into())),
        ],
        1_000,
    )
    .await
}

/// Revokes an active grant on behalf of `actor`, with `reason`.
async fn revoke(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    actor: Actor<'_>,
    by: &str,
    e: EntryRow,
    reason: &str,
) -> Result<EntryRow, AppError> {
    let spec = grants_spec()?;
    let step = spec.step("revoke").ok_or_else(AppError::internal)?;
    step_as(p, c, ctx, actor, by, (spec, step), e, reason).await
}

/// Takes a step of a grant for the platform (the job, a departure, a
/// request carried out): the same writes as a user's step.
#[allow(clippy::too_many_arguments)]
async fn step_as(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    actor: Actor<'_>,
    by: &str,
    (spec, step): (&'static Spec, &'static yunwei_domain::register::Step),
    old: EntryRow,
    note: &str,
) -> Result<EntryRow, AppError> {
    let now = p.now_us();
    let mut e = EntryRow {
        version: old.version + 1,
        updated_by: by.to_string(),
        updated_at: now.max(old.updated_at + 1),
        ..old.clone()
    };
    e.values.insert("status", Val::Text(step.to.to_string()));
    let rules = p.seams.register(spec.key);
    (rules.before_step)(p, c, spec, step, &mut e, note).await?;
    store::insert_history(
        c,
        &crate::registers::history_of(spec, &old, step.name, by, now),
    )
    .await?;
    if !store::update(c, spec, &e, old.version).await? {
        return Err(AppError::conflict(
            "register.changed",
            format!("该{}已被他人修改，请重试", spec.label),
        ));
    }
    crate::registers::index_entry(c, spec, &e).await?;
    (rules.after_write)(p, c, spec, &e, crate::kernel::seams::Change::Step(step)).await?;
    let before = old.get("status").text().unwrap_or("").to_string();
    record(
        p,
        c,
        ctx,
        actor,
        Event::success("register.step", spec.key, &e.id)
            .before(before)
            .after(format!("{}：{} → {}", spec.label, step.label, step.to))
            .reason(note.to_string()),
    )
    .await?;
    Ok(e)
}

/// After a grant was revoked (by the job, a departure or by hand): the
/// responsible administrator confirms the removal in the target system by
/// the end of the next working day; told now, escalated by the due-date
/// engine when late. Runs in the revoking transaction.
pub(crate) async fn after_revoke(
    p: &Platform,
    c: &mut DbConn,
    e: &EntryRow,
) -> Result<(), AppError> {
    let spec = grants_spec()?;
    let cal = crate::kernel::calendar::load_with(c).await?;
    let today = due::today(p);
    let by = cal.add_workdays(today, 1).value;
    let system = e.get("system").text().unwrap_or("").to_string();
    let name = e.get("grantee_name").text().unwrap_or("").to_string();
    let title = format!("{system}（{name}）");
    due::ensure_once(
        c,
        &Subject {
            kind: REMOVAL_KIND,
            subject_type: spec.key,
            subject_id: &e.id,
            org_id: &e.org_id,
            org_path: &e.org_path,
            title: &title,
            source: "JSCZ-49",
        },
        crate::kernel::due::day_end(by),
        p.now_us(),
    )
    .await?;
    let mut to = vec![];
    for u in [
        e.get("responsible").text().unwrap_or(""),
        e.get("grantee").text().unwrap_or(""),
    ] {
        if let Some(u) = ustore::by_username(c, u).await? {
            to.push(u.id);
        }
    }
    let reason = e.get("revoke_reason").text().unwrap_or("");
    crate::kernel::notify::notify(
        c,
        &to,
        &crate::kernel::notify::Notice {
            user_id: "",
            ticket_id: e.get("ticket_id").text(),
            kind: "grant_revoked",
            title: &format!("临时授权已收回：{title}"),
            body: &format!(
                "{reason}。请系统管理员于 {} 前在目标系统删除相应账号和权限，并在临时授权台账中确认（JSCZ-49）。",
                ymd(by)
            ),
            at_us: p.now_us(),
            link: None,
            due_at: None,
        },
    )
    .await?;
    Ok(())
}

// ---- the job ----

/// Revokes every active grant whose end has come, each in its own
/// transaction with its audit record, whether or not anyone logs in.
/// Returns how many were revoked (at most `limit`).
pub async fn expire_grants(p: &Platform, limit: usize) -> Result<usize, AppError> {
    let spec = grants_spec()?;
    let now = p.now_us();
    let due: Vec<String> = {
        let mut c = p.db.read().await?;
        store::find(
            &mut c,
            spec,
            &[("status", Val::Text("active".into()))],
            100_000,
        )
        .await?
        .into_iter()
        .filter(|e| {
            e.get("valid_until")
                .date()
                .is_some_and(|d| due::day_end(d) <= now)
        })
        .map(|e| e.id)
        .take(limit)
        .collect()
    };
    let mut n = 0;
    for id in due {
        let ctx = Ctx::system(&new_id());
        let done = in_tx!(p.db, |c| {
            // Another node or a person may have revoked it meanwhile.
            let Some(e) = store::get(&mut c, spec, &id)
                .await?
                .filter(|e| e.get("status").text() == Some("active"))
            else {
                return Ok(false);
            };
            let org_path = e.org_path.clone();
            revoke(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &org_path,
                },
                "system",
                e,
                EXPIRED,
            )
            .await?;
            Ok(true)
        })?;
        if done {
            n += 1;
        }
    }
    Ok(n)
}

/// Database access follows its NDA and its end (JSCZ-36): a granted
/// access whose engineer has no NDA in force is suspended, one past its
/// last day is revoked, each by the platform in its own transaction,
/// audited, with a notice to whoever filed it. Returns how many changed.
pub async fn enforce_db_access(p: &Platform, limit: usize) -> Result<usize, AppError> {
    let db = spec("db_access").ok_or_else(AppError::internal)?;
    let today = due::today(p);
    // Read first; only the entries that must change take a write
    // transaction (the job runs every 15 s).
    let due = {
        let mut c = p.db.read().await?;
        let granted = store::find(
            &mut c,
            db,
            &[("status", Val::Text("granted".into()))],
            100_000,
        )
        .await?;
        let mut due = vec![];
        for e in granted {
            let ended = e.get("valid_to").date().is_some_and(|d| d < today);
            let staff = e.get("staff_id").text().unwrap_or("").to_string();
            if ended
                || !crate::features::rules::ndas::nda_of(&mut c, &staff, today)
                    .await?
                    .0
            {
                due.push((e, ended));
            }
            if due.len() >= limit {
                break;
            }
        }
        due
    };
    let mut n = 0;
    for (e, ended) in due {
        let ctx = Ctx::system(&new_id());
        let changed = in_tx!(p.db, |c| {
            let Some(e) = store::get(&mut c, db, &e.id)
                .await?
                .filter(|e| e.get("status").text() == Some("granted"))
            else {
                return Ok(false);
            };
            let staff = e.get("staff_id").text().unwrap_or("").to_string();
            let (step, note) = if ended {
                ("revoke", "有效期届满，平台自动收回（请删除堡垒机账号）")
            } else if !crate::features::rules::ndas::nda_of(&mut c, &staff, today)
                .await?
                .0
            {
                ("suspend", "保密协议已失效，平台自动暂停（JSCZ-36）")
            } else {
                return Ok(false);
            };
            let st = db.step(step).ok_or_else(AppError::internal)?;
            let org_path = e.org_path.clone();
            let creator = e.created_by.clone();
            let title = crate::registers::title_of(db, &e);
            let id = e.id.clone();
            step_as(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &org_path,
                },
                "system",
                (db, st),
                e,
                note,
            )
            .await?;
            crate::kernel::notify::notify(
                &mut c,
                &[creator],
                &crate::kernel::notify::Notice {
                    user_id: "",
                    ticket_id: None,
                    kind: "db_access_changed",
                    title: &format!("数据库访问授权{}：{title}", st.label),
                    body: &format!("{note}。详见 /registers/db_access/{id}"),
                    at_us: p.now_us(),
                    link: None,
                    due_at: None,
                },
            )
            .await?;
            Ok(true)
        })?;
        if changed {
            n += 1;
        }
    }
    Ok(n)
}

/// A person left (JSCZ-51): every active grant naming them and every
/// database access of theirs is revoked, in the departure's transaction.
/// Returns how many.
pub(crate) async fn person_departed(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    actor: Actor<'_>,
    actor_id: &str,
    username: &str,
    reason: &str,
) -> Result<usize, AppError> {
    let mut n = 0;
    for e in active_of(c, username).await? {
        revoke(
            p,
            c,
            ctx,
            actor,
            actor_id,
            e,
            &format!("人员离岗：{reason}"),
        )
        .await?;
        n += 1;
    }
    let (staff, db) = (
        spec("vendor_staff").ok_or_else(AppError::internal)?,
        spec("db_access").ok_or_else(AppError::internal)?,
    );
    let revoke_db = db.step("revoke").ok_or_else(AppError::internal)?;
    for person in store::find(
        c,
        staff,
        &[("username", Val::Text(username.to_string()))],
        100,
    )
    .await?
    {
        let granted = store::find(c, db, &[("staff_id", Val::Text(person.id.clone()))], 1_000)
            .await?
            .into_iter()
            .filter(|e| matches!(e.get("status").text(), Some("granted" | "suspended")));
        for e in granted {
            step_as(
                p,
                c,
                ctx,
                actor,
                actor_id,
                (db, revoke_db),
                e,
                &format!("人员离岗：{reason}"),
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

// ---- reading ----

/// The temporary grants a request filed that the caller may see, as
/// (id, one line: target, person, end and status) for the ticket page.
pub async fn grants_of_ticket(
    p: &Platform,
    pr: &Principal,
    ticket_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let spec = grants_spec()?;
    let mut c = p.db.read().await?;
    let rows = store::find(
        &mut c,
        spec,
        &[("ticket_id", Val::Text(ticket_id.to_string()))],
        50,
    )
    .await?;
    let status = spec.field("status").ok_or_else(AppError::internal)?;
    Ok(rows
        .iter()
        .filter(|e| crate::registers::can_read(pr, spec, e))
        .map(|e| {
            let t = |k: &str| e.get(k).text().unwrap_or("").to_string();
            (
                e.id.clone(),
                format!(
                    "{}：{}（{}），{} 至 {}，{}",
                    t("system"),
                    t("grantee_name"),
                    t("grantee"),
                    t("valid_from"),
                    t("valid_until"),
                    status.display(e.get("status"))
                ),
            )
        })
        .collect())
}

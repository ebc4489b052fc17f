//! The periodic security reviews (EEDS-3.7.1, JSCZ-10, NTCZ-6.3.1) in the
//! due-date engine: at every level where a security administrator or an
//! audit administrator holds the role, one occurrence per period of each
//! review they owe. Filing a review in 安全检查与审查 answers every
//! occurrence of its kind and organisation whose period ends within the
//! review's period; an overdue one is notified to the holders of the role
//! (and, as for every occurrence, the project leads covering it).

use chrono::NaiveDate;
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::controls::{ControlFilter, StatusFilter};
use yunwei_store::registers::EntryRow;
use yunwei_store::{in_tx, orgs, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, ControlView, Subject};
use crate::kernel::parameters;
use crate::{Ctx, Platform, Principal};

/// The subject type of the review occurrences; the subject is the
/// organisation.
pub const SUBJECT: &str = due::REVIEW_SCHEDULE;

/// A review owed periodically.
pub struct Duty {
    /// The review's kind in the register (`security_reviews.kind`).
    pub kind: &'static str,
    pub label: &'static str,
    /// Who files it.
    pub role: Role,
    /// The pack parameter prefix of its frequency and due rule
    /// (`<every>.every`, `<every>.due`; ADR 0018).
    pub every: &'static str,
    pub source: &'static str,
}

/// The regulations say 定期 / 定时 without a number: how often each review
/// is owed and when it is due are pack parameters, the organisation's
/// choice (shipped: the log review monthly, the access review and the
/// self-check quarterly, each due at its period's end).
pub const DUTIES: [Duty; 3] = [
    Duty {
        kind: "log_review",
        label: "操作和安全日志审查",
        role: Role::AudAdmin,
        every: "review.log_review",
        source: "EEDS-3.7.1",
    },
    Duty {
        kind: "access_review",
        label: "权限审查",
        role: Role::SecAdmin,
        every: "review.access_review",
        source: "JSCZ-10",
    },
    Duty {
        kind: "self_check",
        label: "安全自查",
        role: Role::SecAdmin,
        every: "review.self_check",
        source: "NTCZ-6.3.1",
    },
];

pub fn duty(kind: &str) -> Option<&'static Duty> {
    DUTIES.iter().find(|d| d.kind == kind)
}

/// Creates the occurrences up to the current period for every level that
/// has the role, each batch audited. Returns how many were created.
pub async fn roll_forward(p: &Platform) -> Result<usize, AppError> {
    let today = due::today(p);
    let mut created = 0;
    for d in &DUTIES {
        let every = parameters::every(p, &format!("{}.every", d.every))?;
        let due_rule = parameters::due(p, &format!("{}.due", d.every))?;
        // Read first: only a level whose current period is missing takes a
        // write transaction (the job runs every 15 s); it starts from the
        // period after its newest occurrence, or the current one.
        let behind = {
            let mut c = p.db.read().await?;
            let mut behind = vec![];
            for (org_id, _) in yunwei_store::users::scopes_of_role(&mut c, d.role.as_str()).await? {
                let from = yunwei_store::controls::of_subject(&mut c, SUBJECT, &org_id, 500)
                    .await?
                    .into_iter()
                    .filter(|ctl| ctl.kind == d.kind)
                    .filter_map(|ctl| ctl.period_end.as_deref().and_then(parse_day))
                    .max()
                    .map_or(today, |end| end + chrono::Duration::days(1));
                if from <= today {
                    behind.push((org_id, from));
                }
            }
            behind
        };
        for (org_id, from) in behind {
            let ctx = Ctx::system(&new_id());
            // Creating an occurrence that exists is a no-op, so another
            // node doing the same meanwhile does no harm.
            created += in_tx!(p.db, |c| {
                let Some(org) = orgs::get(&mut c, &org_id).await? else {
                    return Ok(0);
                };
                let title = format!("{}{}", org.name, d.label);
                let n = due::ensure_periodic_due(
                    &mut c,
                    &Subject {
                        kind: d.kind,
                        subject_type: SUBJECT,
                        subject_id: &org.id,
                        org_id: &org.id,
                        org_path: &org.path,
                        title: &title,
                        source: d.source,
                    },
                    (every, due_rule),
                    from,
                    today,
                    p.now_us(),
                )
                .await?;
                if n > 0 {
                    record(
                        p,
                        &mut c,
                        &ctx,
                        Actor::System {
                            org_path: &org.path,
                        },
                        Event::success("controls.schedule", SUBJECT, &org.id)
                            .after(format!("{title}：生成 {n} 个到期事项")),
                    )
                    .await?;
                }
                Ok(n)
            })?;
        }
    }
    Ok(created)
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A review was filed: it answers the open occurrences of its kind and
/// organisation whose period ends within its own.
pub(crate) async fn answered(
    c: &mut DbConn,
    e: &EntryRow,
    (done_ref, now): (&str, i64),
) -> Result<usize, AppError> {
    let kind = e.get("kind").text().unwrap_or("");
    let (Some(start), Some(end)) = (e.get("period_start").date(), e.get("period_end").date())
    else {
        return Ok(0);
    };
    let within = |ctl: &yunwei_store::controls::ControlRow| {
        ctl.period_end
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| start <= d && d <= end)
    };
    due::complete_open(
        c,
        (SUBJECT, &e.org_id),
        kind,
        within,
        due::MAX_PERIODS,
        (done_ref, now),
    )
    .await
}

/// Who answers for an occurrence: the holders of the duty's role covering
/// its organisation.
pub(crate) async fn owners(
    c: &mut DbConn,
    ctl: &yunwei_store::controls::ControlRow,
) -> Result<Vec<String>, AppError> {
    let Some(d) = duty(&ctl.kind) else {
        return Ok(vec![]);
    };
    yunwei_store::users::holders_covering(c, &[d.role.as_str().to_string()], &ctl.org_path).await
}

/// The open review occurrences the caller may see (administrators read
/// them over their role-view scope), overdue first.
pub async fn open_for(p: &Platform, pr: &Principal) -> Result<Vec<ControlView>, AppError> {
    if !pr.can_somewhere(Action::RoleView) {
        return Ok(vec![]);
    }
    let scope = pr.scope_for(Action::RoleView);
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let mut out = vec![];
    for d in &DUTIES {
        let f = ControlFilter {
            org_path: None,
            kind: Some(d.kind.to_string()),
            status: StatusFilter::Open,
            now,
            warn_us: due::WARN_US,
            subject_type_not: None,
        };
        let (rows, _) = yunwei_store::controls::list(&mut c, &scope, &f, 200).await?;
        for r in rows.iter().filter(|r| r.subject_type == SUBJECT) {
            let name = orgs::get(&mut c, &r.org_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            out.push(due::view(r, &name, now));
        }
    }
    out.sort_by_key(|v| v.due_at);
    Ok(out)
}

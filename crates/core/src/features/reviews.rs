//! The periodic duties of review and scanning in the due-date engine: at
//! every level where a holder of a duty's roles sits, one occurrence per
//! period of each duty they owe. The platform administrators' reviews
//! (JSCZ-10, NTCZ-6.3.1 and the audit administrator's review of the
//! platform's own trail) are answered by a review filed in 安全检查与审查;
//! the maintenance staff's review of the managed systems' logs
//! (EEDS-3.7.1) by one filed in 信息系统日志审查; the vulnerability scan
//! (JSCZ-10) by a scan recorded in 漏洞扫描记录 or the import of its
//! findings into the vulnerability register. A review answers every
//! occurrence of its kind and organisation whose period ends within the
//! review's period, a scan every open one whose period has started by the
//! scan's day; an overdue one is notified to the holders of the roles (and,
//! as for every occurrence, the project leads covering it).

use chrono::NaiveDate;
use yunwei_domain::ids::new_id;
use yunwei_domain::register::MAINTAINERS;
use yunwei_domain::roles::Role;
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

/// A review or scan owed periodically.
pub struct Duty {
    /// The occurrence's kind (for `security_reviews`, its `kind` field).
    pub kind: &'static str,
    pub label: &'static str,
    /// Who owes it: the holders of any of these roles.
    pub roles: &'static [Role],
    /// The register whose entries answer it.
    pub register: &'static str,
    /// The pack parameter prefix of its frequency and due rule
    /// (`<every>.every`, `<every>.due`; ADR 0018).
    pub every: &'static str,
    pub source: &'static str,
}

/// The regulations say 定期 / 定时 without a number: how often each duty
/// is owed and when it is due are pack parameters, the organisation's
/// choice (shipped: the log reviews monthly, the access review, the
/// self-check and the vulnerability scan quarterly, each due at its
/// period's end).
pub const DUTIES: [Duty; 5] = [
    // The audit administrator's review of the platform's own audit trail:
    // the 等保 security-audit duty of the 三员, and one of the 信息系统运行日志
    // JSCZ-10 asks analysed periodically. Not the maintenance staff's
    // review of the managed systems' logs (EEDS-3.7.1, below).
    Duty {
        kind: "log_review",
        label: "平台审计日志审查",
        roles: &[Role::AudAdmin],
        register: "security_reviews",
        every: "review.log_review",
        source: "JSCZ-10",
    },
    // EEDS-3.7.1 「维护人员应定时对操作日志、安全日志进行审查」: the staff of
    // the maintenance section review the application, operating-system and
    // database logs of the systems they maintain.
    Duty {
        kind: "system_log_review",
        label: "信息系统日志审查",
        roles: MAINTAINERS,
        register: "system_log_reviews",
        every: "review.system_log_review",
        source: "EEDS-3.7.1",
    },
    Duty {
        kind: "access_review",
        label: "权限审查",
        roles: &[Role::SecAdmin],
        register: "security_reviews",
        every: "review.access_review",
        source: "JSCZ-10",
    },
    Duty {
        kind: "self_check",
        label: "安全自查",
        roles: &[Role::SecAdmin],
        register: "security_reviews",
        every: "review.self_check",
        source: "NTCZ-6.3.1",
    },
    // JSCZ-10 「定期对系统进行漏洞扫描，对发现的系统漏洞及时修补」: owed by the
    // managed systems' security administrators (财政部门相关管理员); the scan
    // may be run by the system's vendor and recorded by either.
    Duty {
        kind: "vuln_scan",
        label: "漏洞扫描",
        roles: &[Role::SecurityOfficer],
        register: "vuln_scans",
        every: "scan.vulnerability",
        source: "JSCZ-10",
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
            let mut orgs_of_roles = vec![];
            for r in d.roles {
                for (org_id, _) in yunwei_store::users::scopes_of_role(&mut c, r.as_str()).await? {
                    if !orgs_of_roles.contains(&org_id) {
                        orgs_of_roles.push(org_id);
                    }
                }
            }
            for org_id in orgs_of_roles {
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

/// A review was filed: it answers the open occurrences of `kind` at its
/// organisation whose period ends within its own.
pub(crate) async fn answered(
    c: &mut DbConn,
    kind: &str,
    e: &EntryRow,
    (done_ref, now): (&str, i64),
) -> Result<usize, AppError> {
    let (Some(start), Some(end)) = (e.get("period_start").date(), e.get("period_end").date())
    else {
        return Ok(0);
    };
    let within = |ctl: &yunwei_store::controls::ControlRow| {
        ctl.period_end
            .as_deref()
            .and_then(parse_day)
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

/// A vulnerability scan run on `day` at `org_id` (JSCZ-10): it answers the
/// open scan occurrences of the organisation whose period has started by
/// then (the current one, and a missed earlier one, late).
pub(crate) async fn scanned(
    c: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
    (done_ref, now): (&str, i64),
) -> Result<usize, AppError> {
    let started = |ctl: &yunwei_store::controls::ControlRow| {
        ctl.period_start
            .as_deref()
            .and_then(parse_day)
            .is_some_and(|d| d <= day)
    };
    due::complete_open(
        c,
        (SUBJECT, org_id),
        "vuln_scan",
        started,
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
    let roles: Vec<String> = d.roles.iter().map(|r| r.as_str().to_string()).collect();
    yunwei_store::users::holders_covering(c, &roles, &ctl.org_path).await
}

/// Whether periodic duties are answered in `register` (its page lists them).
pub fn has_duties(register: &str) -> bool {
    DUTIES.iter().any(|d| d.register == register)
}

/// The open occurrences of the duties answered in `register`, for those
/// who may file in it, over the scope of its read action (the
/// administrators' reviews over their role-view scope), overdue first.
pub async fn open_for(
    p: &Platform,
    pr: &Principal,
    register: &str,
) -> Result<Vec<ControlView>, AppError> {
    let Some(spec) = yunwei_domain::register::spec(register) else {
        return Ok(vec![]);
    };
    if !pr.can_somewhere(spec.write) || !pr.can_somewhere(spec.read) {
        return Ok(vec![]);
    }
    let scope = pr.scope_for(spec.read);
    let now = p.now_us();
    let mut c = p.db.read().await?;
    let mut out = vec![];
    for d in DUTIES.iter().filter(|d| d.register == register) {
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

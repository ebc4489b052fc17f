//! 政务云总览 (issue 14 item 8): the bureau's dashboard of one platform,
//! computed under the caller's own scope. Every figure carries the link of
//! the list behind it and is counted by that list's own rule:
//! - systems by unit and by state: the rule of `systems::list` (reading
//!   scope over the unit, or the platform's provider/monitor staff);
//! - the month's utilisation verdicts: `usage::month_report`;
//! - applications in progress: open tickets of the processes of the
//!   platform's pack that carry an apply, change or exit gate (found by
//!   hook, never by id), as `tickets::list` shows them;
//! - overdue provider and monitor reports: `duties::board`;
//! - fees by payer of the latest month with a bill: `billing::get`.
//!
//! A part the caller may not see (the bills for a unit's staff, the
//! duties for a unit) is absent, not an error.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use yunwei_domain::cloud::{SystemState, Verdict};
use yunwei_domain::policy::hooks as names;
use yunwei_domain::roles::Action;
use yunwei_domain::{AppError, ErrorKind};
use yunwei_store::cloud::{self as store, SystemFilter};
use yunwei_store::tickets::{Sort, SortKey, TicketFilter};

use crate::{Platform, Principal};

/// Most systems counted (as many as the systems export).
const SYSTEM_LIMIT: u64 = super::systems::EXPORT_LIMIT;
/// Most applications listed per process.
const APPLICATION_LIMIT: u64 = 200;

/// The gates that mark a process as an application (apply, change, exit).
pub const APPLICATION_GATES: [&str; 3] = [
    names::CLOUD_APPLY_READY,
    names::CLOUD_CHANGE_READY,
    names::CLOUD_EXIT_READY,
];

/// One figure and the list behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Count {
    /// A stable key (a state, a verdict, an organisation id).
    pub key: String,
    pub label: String,
    pub count: usize,
    pub link: String,
}

/// A system of the month judged low, high, mixed or with too few data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlaggedSystem {
    pub system_id: String,
    pub system_name: String,
    pub org_name: String,
    pub verdict: Verdict,
    pub verdict_label: &'static str,
    pub link: String,
}

/// An open application ticket with its deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Application {
    pub ticket_id: String,
    pub number: String,
    pub title: String,
    pub process_name: String,
    pub state_label: String,
    /// The earliest running timer's deadline (UTC microseconds).
    pub due_at: Option<i64>,
    pub overdue: bool,
    pub link: String,
}

/// An overdue occurrence of a provider's or monitor's duty.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueReport {
    pub duty: String,
    pub who_label: &'static str,
    pub org_name: String,
    pub period_label: String,
    pub due_date: String,
}

/// The latest month with a bill: its state and totals by payer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BillFigure {
    pub month: String,
    pub state_label: &'static str,
    /// (payer, amount in 元) over the parts the caller sees.
    pub by_payer: Vec<(String, String)>,
    pub total: String,
    pub link: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub platform_id: String,
    pub platform_name: String,
    pub systems_total: usize,
    pub systems_link: String,
    /// Every state, in the order of the lifecycle.
    pub by_state: Vec<Count>,
    /// Units with systems, by name.
    pub by_unit: Vec<Count>,
    /// The month of utilisation shown (`YYYY-MM`); absent when the caller
    /// does not see the platform's utilisation.
    pub usage_month: Option<String>,
    /// Low, high, mixed and insufficient-data systems of that month.
    pub verdicts: Vec<Count>,
    pub flagged: Vec<FlaggedSystem>,
    /// Overdue first, then by deadline.
    pub applications: Vec<Application>,
    /// The ticket lists behind them, one per process: (process name, link).
    pub application_links: Vec<(String, String)>,
    /// Absent when the caller does not see the platform's duties.
    pub overdue_reports: Option<Vec<OverdueReport>>,
    pub reports_link: String,
    /// Absent for callers who do not see bills, or before the first bill.
    pub bill: Option<BillFigure>,
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A part the caller may not see: none.
fn shown<T>(r: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The link of the systems list of a platform, with more filters.
pub fn systems_link(platform_id: &str, more: &str) -> String {
    format!("/cloud/systems?platform_id={}{more}", enc(platform_id))
}

/// The dashboard of one platform the caller sees, for `month` (`YYYY-MM`;
/// the latest month with utilisation data when empty).
pub async fn dashboard(
    p: &Platform,
    pr: &Principal,
    platform_id: &str,
    month: Option<&str>,
) -> Result<Dashboard, AppError> {
    let mut c = p.db.read().await?;
    let pl = super::platforms::readable(&mut c, pr, platform_id).await?;
    let pid = pl.id.clone();

    // Systems: exactly the rows `systems::list` shows for this platform.
    let vendor = super::platforms::served(&mut c, pr).await?;
    let rows = store::systems(
        &mut c,
        &pr.scope_for(Action::BusinessRead),
        &vendor,
        &SystemFilter {
            platform_id: Some(pid.clone()),
            ..Default::default()
        },
        SYSTEM_LIMIT,
    )
    .await?;
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut units: BTreeMap<String, usize> = BTreeMap::new();
    for s in &rows {
        *states.entry(s.state.as_str()).or_default() += 1;
        *units.entry(s.org_id.clone()).or_default() += 1;
    }
    let by_state = SystemState::ALL
        .iter()
        .map(|st| Count {
            key: st.as_str().into(),
            label: st.label().into(),
            count: states.get(st.as_str()).copied().unwrap_or(0),
            link: systems_link(&pid, &format!("&state={}", st.as_str())),
        })
        .collect();
    let unit_names = crate::kernel::due::org_names(&mut c, units.keys()).await?;
    let mut by_unit: Vec<Count> = units
        .iter()
        .map(|(id, n)| Count {
            key: id.clone(),
            label: unit_names.get(id).cloned().unwrap_or_default(),
            count: *n,
            link: systems_link(&pid, &format!("&org_id={}", enc(id))),
        })
        .collect();
    by_unit.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    drop(c);

    // This month's utilisation, as the month report shows it.
    let (usage_month, verdicts, flagged) =
        match shown(super::usage::month_report(p, pr, &pid, month).await)? {
            None => (None, vec![], vec![]),
            Some(r) => {
                let link = |v: &str| {
                    format!(
                        "/cloud/usage?platform={}&month={}&verdict={v}",
                        enc(&pid),
                        enc(&r.month)
                    )
                };
                let wanted = [
                    Verdict::Low,
                    Verdict::High,
                    Verdict::Mixed,
                    Verdict::Insufficient,
                ];
                let verdicts = wanted
                    .iter()
                    .map(|v| Count {
                        key: v.as_str().into(),
                        label: v.label().into(),
                        count: r
                            .by_verdict
                            .iter()
                            .find(|x| x.verdict == *v)
                            .map(|x| x.systems)
                            .unwrap_or(0),
                        link: link(v.as_str()),
                    })
                    .collect();
                let flagged = r
                    .lines
                    .iter()
                    .filter(|l| wanted.contains(&l.verdict))
                    .map(|l| FlaggedSystem {
                        system_id: l.system_id.clone(),
                        system_name: l.system_name.clone(),
                        org_name: l.org_name.clone(),
                        verdict: l.verdict,
                        verdict_label: l.verdict_label,
                        link: format!("/cloud/systems/{}", enc(&l.system_id)),
                    })
                    .collect();
                (Some(r.month.clone()), verdicts, flagged)
            }
        };

    // Applications in progress: the processes of the pack with a gate of
    // the apply, change or exit lifecycle.
    let processes: Vec<(String, String)> = p
        .packs
        .iter()
        .filter(|pk| pk.id == pl.pack_id)
        .flat_map(|pk| pk.processes.iter())
        .filter(|pr_| {
            pr_.transitions.iter().any(|t| {
                t.gates
                    .iter()
                    .any(|g| APPLICATION_GATES.contains(&g.hook.as_str()))
            })
        })
        .map(|pr_| (pr_.id.clone(), pr_.name.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut applications = Vec::new();
    let mut application_links = Vec::new();
    for (process_id, process_name) in &processes {
        let f = TicketFilter {
            process_id: Some(process_id.clone()),
            open_only: true,
            sort: Sort {
                key: SortKey::Due,
                descending: false,
            },
            ..Default::default()
        };
        let page = crate::tickets::list(p, pr, &f, 1, APPLICATION_LIMIT).await?;
        for t in page.tickets.into_iter().filter(|t| t.pack == pl.pack_id) {
            applications.push(Application {
                link: format!("/tickets/{}", enc(&t.id)),
                ticket_id: t.id,
                number: t.number,
                title: t.title,
                process_name: t.process_name,
                state_label: t.state_label,
                due_at: t.due_at,
                overdue: t.overdue,
            });
        }
        application_links.push((
            process_name.clone(),
            format!("/tickets?process={}&open=true", enc(process_id)),
        ));
    }
    applications.sort_by_key(|a| (!a.overdue, a.due_at.is_none(), a.due_at));

    // Overdue reports of the provider and the monitor.
    let overdue_reports = if super::duties::may_view(pr) {
        shown(super::duties::board(p, pr, &pid).await)?.map(|b| {
            b.duties
                .iter()
                .filter(|d| matches!(d.who, "provider" | "monitor"))
                .flat_map(|d| {
                    d.occurrences
                        .iter()
                        .filter(|o| o.status == "overdue")
                        .map(move |o| OverdueReport {
                            duty: d.label.clone(),
                            who_label: d.who_label,
                            org_name: o.org_name.clone(),
                            period_label: o.period_label.clone(),
                            due_date: o.due_date.clone(),
                        })
                })
                .collect()
        })
    } else {
        None
    };

    // Fees by payer of the latest month with a bill.
    let bill = if pr.can_somewhere(Action::CloudManage) {
        match shown(super::billing::runs(p, pr, &pid).await)?
            .and_then(|runs| runs.into_iter().next())
        {
            Some(run) => shown(super::billing::get(p, pr, &run.id).await)?.map(|v| BillFigure {
                month: v.run.month.clone(),
                state_label: v.state_label,
                by_payer: v.by_payer.clone(),
                total: v.total.clone(),
                link: format!("/cloud/bills/{}", enc(&v.run.id)),
            }),
            None => None,
        }
    } else {
        None
    };

    Ok(Dashboard {
        platform_id: pid.clone(),
        platform_name: pl.name.clone(),
        systems_total: rows.len(),
        systems_link: systems_link(&pid, ""),
        by_state,
        by_unit,
        usage_month,
        verdicts,
        flagged,
        applications,
        application_links,
        overdue_reports,
        reports_link: format!("/cloud/duties?platform={}", enc(&pid)),
        bill,
    })
}

/// The platforms whose dashboard the caller may open: (id, name).
pub async fn platforms(p: &Platform, pr: &Principal) -> Result<Vec<(String, String)>, AppError> {
    Ok(super::platforms::list(p, pr)
        .await?
        .into_iter()
        .map(|v| (v.platform.id, v.platform.name))
        .collect())
}

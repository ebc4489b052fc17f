//! 信息化项目总览 (issue 15 item 11) and the project lists behind it.
//!
//! Everything is read under the rule of [`super::list`]: the business-read
//! scope and the review scope of the authorities (SNXM-23). The lists are
//! the project list with its filters, the annual plan of a year (SNXM-17)
//! and the dashboard's own lists; each is exported to Excel through
//! `kernel::export`, audited with the exporter's reason.
//!
//! Nothing here names a state of the project process: the stages and their
//! labels come from the pack (the process whose transitions carry the
//! `project_registered` effect), "waits on a review" is a state whose every
//! way out (transitions and approval steps) is taken by a pack role of the
//! bureau or the reviewing authorities, and "in trial" is a state left by a
//! transition gated by `project_trial_elapsed`. The numbers (trial months,
//! warning days) are the pack's `projects.toml`.
//!
//! Bounded: one query for the projects, one for the organisations' names,
//! one for the open findings, one for the urgent additions' reasons.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use yunwei_domain::policy::hooks as names;
use yunwei_domain::policy::{Pack, Process};
use yunwei_domain::roles::{role_allows, Action, Role};
use yunwei_domain::AppError;
use yunwei_store::projects::{self as store, FindingRow, ProjectFilter, ProjectRow};

use crate::kernel::audit::require_reason;
use crate::kernel::due;
use crate::kernel::principal::Authorized;
use crate::{Ctx, Platform, Principal};

use super::yuan;

/// Most open findings listed.
const FINDING_LIMIT: u64 = 500;

/// The dashboard's lists, as `?due=` of the project list.
pub const DUE_LISTS: [(&str, &str); 7] = [
    ("review", "待审查审批"),
    ("trial_ending", "试运行即将满期"),
    ("trial_done", "试运行已满期，可申请履约验收前置核准"),
    ("evaluation_overdue", "绩效自评价逾期未报"),
    ("evaluation_due", "绩效自评价即将到期"),
    ("warranty_ending", "免费运维期即将届满"),
    ("findings", "有未整改的监督检查问题"),
];

fn due_label(key: &str) -> Option<&'static str> {
    DUE_LISTS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

/// What a project list asks for; every field is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectListQuery {
    /// A stage: a state of the project process (see `stages`).
    #[serde(default)]
    pub stage: Option<String>,
    /// The annual plan's year.
    #[serde(default)]
    pub plan_year: Option<String>,
    /// `1` or `true`: only projects on an annual plan.
    #[serde(default)]
    pub planned: Option<String>,
    /// The 建设单位 (exactly this organisation).
    #[serde(default)]
    pub org_id: Option<String>,
    /// One of the dashboard's lists: `review`, `trial_ending`,
    /// `trial_done`, `evaluation_overdue`, `evaluation_due`,
    /// `warranty_ending`, `findings`.
    #[serde(default)]
    pub due: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ProjectListQuery {
    /// The query string of this filter (for links and the export form).
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("stage", &self.stage),
            ("plan_year", &self.plan_year),
            ("planned", &self.planned),
            ("org_id", &self.org_id),
            ("due", &self.due),
        ] {
            if let Some(v) = given(v) {
                parts.push(format!("{k}={}", enc(v)));
            }
        }
        parts.join("&")
    }

    pub fn planned_only(&self) -> bool {
        matches!(given(&self.planned), Some("1" | "true" | "on"))
    }
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

fn list_link(q: &str) -> String {
    if q.is_empty() {
        "/projects".into()
    } else {
        format!("/projects?{q}")
    }
}

// ------------------------------------------------------------ the pack

/// The project process of a pack: the one whose transitions register the
/// project (effect `project_registered`).
fn project_process(pack: &Pack) -> Option<&Process> {
    pack.processes.iter().find(|pr| {
        pr.transitions.iter().any(|t| {
            t.effects
                .iter()
                .any(|e| e.hook == names::PROJECT_REGISTERED)
        })
    })
}

/// The packs with project rules and their project process.
fn project_packs(p: &Platform) -> Vec<(&Pack, &Process)> {
    p.packs
        .iter()
        .filter(|pk| pk.projects.is_some())
        .filter_map(|pk| project_process(pk).map(|pr| (pk, pr)))
        .collect()
}

/// Every stage a project can be in: (state id, label), in the order of
/// the process (the first pack's order; states of further packs after).
pub fn stages(p: &Platform) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (_, proc_) in project_packs(p) {
        for s in &proc_.states {
            if !out.iter().any(|(id, _)| *id == s.id) {
                out.push((s.id.clone(), s.label.clone()));
            }
        }
    }
    out
}

/// Where a new project is applied for: (pack id, process id) of the first
/// pack with project rules.
pub fn new_project_target(p: &Platform) -> Option<(String, String)> {
    project_packs(p)
        .first()
        .map(|(pk, pr)| (pk.id.clone(), pr.id.clone()))
}

/// What the dashboard knows of one pack's project process.
struct PackInfo<'a> {
    process: &'a Process,
    /// States that wait on the bureau or a reviewing authority.
    review: BTreeSet<&'a str>,
    /// States of the trial run (left through the trial gate).
    trial: BTreeSet<&'a str>,
    trial_months: u32,
    warn_days: u32,
}

/// A pack role of the bureau or a reviewing authority: every platform role
/// holding it reviews or manages projects (the unit's staff and its CDO do
/// neither).
fn reviewer_side(pack: &Pack, role: &str) -> bool {
    match pack.roles.iter().find(|r| r.id == role) {
        // `requester` and other roles outside the pack: the unit's side.
        None => false,
        Some(r) => {
            !r.platform.is_empty()
                && r.platform.iter().all(|pr| {
                    Role::parse(pr).is_some_and(|role| {
                        role_allows(role, Action::ProjectReview)
                            || role_allows(role, Action::ProjectManage)
                    })
                })
        }
    }
}

fn pack_info<'a>(pack: &'a Pack, process: &'a Process) -> Option<PackInfo<'a>> {
    let rules = pack.projects.as_ref()?;
    let mut review = BTreeSet::new();
    let mut trial = BTreeSet::new();
    for s in &process.states {
        let leaving: Vec<&[String]> = process
            .transitions
            .iter()
            .filter(|t| t.from.contains(&s.id))
            .map(|t| t.roles.as_slice())
            .chain(
                process
                    .approvals
                    .iter()
                    .filter(|a| a.state == s.id)
                    .map(|a| a.steps.as_slice()),
            )
            .collect();
        if !leaving.is_empty()
            && leaving
                .iter()
                .all(|roles| !roles.is_empty() && roles.iter().all(|r| reviewer_side(pack, r)))
        {
            review.insert(s.id.as_str());
        }
        if process.transitions.iter().any(|t| {
            t.from.contains(&s.id)
                && t.gates
                    .iter()
                    .any(|g| g.hook == names::PROJECT_TRIAL_ELAPSED)
        }) {
            trial.insert(s.id.as_str());
        }
    }
    Some(PackInfo {
        process,
        review,
        trial,
        trial_months: rules.trial_min_months,
        warn_days: rules.warn_days,
    })
}

fn infos(p: &Platform) -> HashMap<String, PackInfo<'_>> {
    project_packs(p)
        .into_iter()
        .filter_map(|(pk, pr)| pack_info(pk, pr).map(|i| (pk.id.clone(), i)))
        .collect()
}

fn choice_label(process: Option<&Process>, field: &str, id: &str) -> String {
    process
        .and_then(|pr| pr.fields.iter().find(|f| f.id == field))
        .and_then(|f| f.choice(id))
        .map(|c| c.label.clone())
        .unwrap_or_else(|| id.to_string())
}

fn state_label(process: Option<&Process>, id: &str) -> String {
    process
        .and_then(|pr| pr.states.iter().find(|s| s.id == id))
        .map(|s| s.label.clone())
        .unwrap_or_else(|| id.to_string())
}

// ------------------------------------------------------------ the lines

/// One project as the lists show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectLine {
    pub id: String,
    /// The project ticket's number.
    pub number: String,
    pub name: String,
    pub org_id: String,
    /// The 建设单位's name.
    pub org_name: String,
    pub kind: String,
    pub kind_label: String,
    pub route: String,
    pub route_label: String,
    /// The ticket's state and its label (the stage).
    pub state: String,
    pub stage_label: String,
    pub total_fen: i64,
    /// 项目总投资 in 元 ("1,200,000.00").
    pub total: String,
    pub contract_fen: Option<i64>,
    pub contract: Option<String>,
    pub plan_year: Option<i64>,
    /// Added to the plan outside the yearly call (SNXM-17).
    pub urgent: bool,
    /// Its reason (the annual plan list only).
    pub urgent_reason: String,
    pub library_on: Option<String>,
    pub planned_on: Option<String>,
    pub trial_from: Option<String>,
    pub accepted_on: Option<String>,
    pub free_om_until: Option<String>,
    pub self_evaluation_due: Option<String>,
    pub self_evaluation_on: Option<String>,
    /// The date that put the project on a dashboard list (the end of the
    /// trial run, the deadline, the end of free O&M), when listed so.
    pub due_date: Option<String>,
    pub link: String,
    pub ticket_link: String,
}

fn line(
    r: &ProjectRow,
    info: Option<&PackInfo<'_>>,
    orgs: &HashMap<String, String>,
) -> ProjectLine {
    let process = info.map(|i| i.process);
    ProjectLine {
        id: r.id.clone(),
        number: r.number.clone(),
        name: r.name.clone(),
        org_id: r.org_id.clone(),
        org_name: orgs.get(&r.org_id).cloned().unwrap_or_default(),
        kind: r.kind.clone(),
        kind_label: choice_label(process, "kind", &r.kind),
        route: r.route.clone(),
        route_label: choice_label(process, "route", &r.route),
        state: r.state.clone(),
        stage_label: state_label(process, &r.state),
        total_fen: r.total_fen,
        total: yuan(r.total_fen),
        contract_fen: r.contract_fen,
        contract: r.contract_fen.map(yuan),
        plan_year: r.plan_year,
        urgent: r.urgent,
        urgent_reason: String::new(),
        library_on: r.library_on.clone(),
        planned_on: r.planned_on.clone(),
        trial_from: r.trial_from.clone(),
        accepted_on: r.accepted_on.clone(),
        free_om_until: r.free_om_until.clone(),
        self_evaluation_due: r.self_evaluation_due.clone(),
        self_evaluation_on: r.self_evaluation_on.clone(),
        due_date: None,
        link: format!("/projects/{}", enc(&r.id)),
        ticket_link: format!("/tickets/{}", enc(&r.id)),
    }
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Which dashboard list a project is on, with the date that put it there.
fn due_of(
    r: &ProjectRow,
    info: Option<&PackInfo<'_>>,
    today: NaiveDate,
    open_findings: &BTreeSet<String>,
    key: &str,
) -> Option<Option<String>> {
    let info = info?;
    let warn = today + Duration::days(i64::from(info.warn_days));
    match key {
        "review" => info.review.contains(r.state.as_str()).then_some(None),
        "trial_ending" | "trial_done" => {
            if !info.trial.contains(r.state.as_str()) || r.accepted_on.is_some() {
                return None;
            }
            let end = date(&r.trial_from)?.checked_add_months(Months::new(info.trial_months))?;
            let done = end <= today;
            let hit = if key == "trial_done" {
                done
            } else {
                !done && end <= warn
            };
            hit.then(|| Some(day(end)))
        }
        "evaluation_overdue" | "evaluation_due" => {
            if r.self_evaluation_on.is_some() {
                return None;
            }
            let d = date(&r.self_evaluation_due)?;
            let hit = if key == "evaluation_overdue" {
                d < today
            } else {
                d >= today && d <= warn
            };
            hit.then(|| Some(day(d)))
        }
        "warranty_ending" => {
            let d = date(&r.free_om_until)?;
            (d >= today && d <= warn).then(|| Some(day(d)))
        }
        "findings" => open_findings.contains(&r.id).then_some(None),
        _ => None,
    }
}

/// What the caller reads, with the names and the open findings: the
/// bounded reads every list starts from.
struct Read {
    rows: Vec<ProjectRow>,
    orgs: HashMap<String, String>,
    findings: Vec<FindingRow>,
}

async fn read(p: &Platform, pr: &Principal, f: &ProjectFilter) -> Result<Read, AppError> {
    // Exactly the rows of `projects::list`.
    let rows = super::list(p, pr, f).await?;
    let scope = super::read_scope(pr);
    let mut c = p.db.read().await?;
    let orgs = yunwei_store::orgs::list(&mut c, &scope)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let visible: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let findings = store::open_findings(&mut c, &scope, FINDING_LIMIT)
        .await?
        .into_iter()
        .filter(|f| visible.contains(f.project_id.as_str()))
        .collect();
    Ok(Read {
        rows,
        orgs,
        findings,
    })
}

/// The projects the caller reads matching `q`, newest first.
pub async fn lines(
    p: &Platform,
    pr: &Principal,
    q: &ProjectListQuery,
) -> Result<Vec<ProjectLine>, AppError> {
    let stage = given(&q.stage).map(str::to_string);
    if let Some(s) = &stage {
        if !stages(p).iter().any(|(id, _)| id == s) {
            return Err(AppError::bad_request(
                "project.stage_unknown",
                "没有这个项目阶段",
            ));
        }
    }
    let plan_year = match given(&q.plan_year) {
        None => None,
        Some(y) => Some(
            y.parse::<i64>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| {
                    AppError::bad_request("project.plan_year_filter", "年度应为四位数字年份")
                })?,
        ),
    };
    let due_key = given(&q.due).map(str::to_string);
    if let Some(k) = &due_key {
        if due_label(k).is_none() {
            return Err(AppError::bad_request(
                "project.due_list_unknown",
                "没有这个总览列表",
            ));
        }
    }
    let f = ProjectFilter {
        state: stage,
        plan_year,
        planned_only: q.planned_only(),
    };
    let read = read(p, pr, &f).await?;
    let infos = infos(p);
    let today = due::today(p);
    let open: BTreeSet<String> = read.findings.iter().map(|f| f.project_id.clone()).collect();
    let org = given(&q.org_id);
    let mut out = Vec::new();
    for r in &read.rows {
        if org.is_some_and(|o| o != r.org_id) {
            continue;
        }
        let info = infos.get(&r.pack_id);
        let due_date = match &due_key {
            None => None,
            Some(k) => match due_of(r, info, today, &open, k) {
                None => continue,
                Some(d) => d,
            },
        };
        let mut l = line(r, info, &read.orgs);
        l.due_date = due_date;
        out.push(l);
    }
    if due_key.is_some() {
        out.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.number.cmp(&b.number)));
    }
    Ok(out)
}

/// The annual plan list of `year` (SNXM-17): the projects on that year's
/// plan, the urgent additions marked with their reason.
pub async fn plan(p: &Platform, pr: &Principal, year: i64) -> Result<Vec<ProjectLine>, AppError> {
    let q = ProjectListQuery {
        plan_year: Some(year.to_string()),
        planned: Some("1".into()),
        ..Default::default()
    };
    let mut out = lines(p, pr, &q).await?;
    let urgent: Vec<String> = out
        .iter()
        .filter(|l| l.urgent)
        .map(|l| l.id.clone())
        .collect();
    if !urgent.is_empty() {
        let mut c = p.db.read().await?;
        let tickets = yunwei_store::tickets::by_ids(&mut c, &urgent).await?;
        let reasons: HashMap<String, String> = tickets
            .into_iter()
            .map(|t| {
                let reason = serde_json::from_str::<serde_json::Value>(&t.fields_json)
                    .ok()
                    .and_then(|v| v.get("urgent_reason")?.as_str().map(str::to_string))
                    .unwrap_or_default();
                (t.id, reason)
            })
            .collect();
        for l in out.iter_mut().filter(|l| l.urgent) {
            l.urgent_reason = reasons.get(&l.id).cloned().unwrap_or_default();
        }
    }
    out.sort_by(|a, b| {
        a.urgent
            .cmp(&b.urgent)
            .then(a.org_name.cmp(&b.org_name))
            .then(a.number.cmp(&b.number))
    });
    Ok(out)
}

// ------------------------------------------------------------ dashboard

/// One figure and the list behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectCount {
    pub key: String,
    pub label: String,
    pub count: usize,
    pub link: String,
}

/// The amounts of the projects of one plan year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YearAmount {
    pub year: i64,
    pub projects: usize,
    pub total_fen: i64,
    pub total: String,
    /// The contracts signed so far.
    pub contract_fen: i64,
    pub contract: String,
    pub link: String,
}

/// One of the dashboard's lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueList {
    pub key: String,
    pub label: String,
    pub projects: Vec<ProjectLine>,
    pub link: String,
}

/// An open supervision finding (SNXM-37) with its project.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenFinding {
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    pub project_number: String,
    pub org_name: String,
    pub area_label: String,
    pub major: bool,
    pub finding: String,
    pub deadline: String,
    /// Past its deadline.
    pub overdue: bool,
    pub link: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectDashboard {
    pub total: usize,
    pub list_link: String,
    /// Every stage of the process, in its order.
    pub by_stage: Vec<ProjectCount>,
    /// Units with projects, most first.
    pub by_unit: Vec<ProjectCount>,
    /// By plan year, the latest first; projects without a plan year apart.
    pub by_year: Vec<YearAmount>,
    /// How far ahead the lists warn (projects.toml `warn_days`).
    pub warn_days: u32,
    /// The lists of `DUE_LISTS` but the findings, in that order.
    pub lists: Vec<DueList>,
    /// Open findings, the earliest deadline first.
    pub findings: Vec<OpenFinding>,
    pub findings_link: String,
}

/// The label of a finding's area.
pub fn area_label(area: &str) -> &'static str {
    match area {
        "security" => "网络安全",
        "crypto" => "密码应用",
        _ => "其他",
    }
}

/// The bureau's dashboard over what the caller reads.
pub async fn dashboard(p: &Platform, pr: &Principal) -> Result<ProjectDashboard, AppError> {
    let read = read(p, pr, &ProjectFilter::default()).await?;
    let infos = infos(p);
    let today = due::today(p);
    let open: BTreeSet<String> = read.findings.iter().map(|f| f.project_id.clone()).collect();

    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut units: BTreeMap<&str, usize> = BTreeMap::new();
    let mut years: BTreeMap<i64, (usize, i64, i64)> = BTreeMap::new();
    for r in &read.rows {
        *states.entry(r.state.as_str()).or_default() += 1;
        *units.entry(r.org_id.as_str()).or_default() += 1;
        if let Some(y) = r.plan_year {
            let e = years.entry(y).or_default();
            e.0 += 1;
            e.1 += r.total_fen;
            e.2 += r.contract_fen.unwrap_or(0);
        }
    }
    let by_stage = stages(p)
        .into_iter()
        .map(|(id, label)| ProjectCount {
            count: states.get(id.as_str()).copied().unwrap_or(0),
            link: list_link(&format!("stage={}", enc(&id))),
            key: id,
            label,
        })
        .collect();
    let mut by_unit: Vec<ProjectCount> = units
        .iter()
        .map(|(id, n)| ProjectCount {
            key: id.to_string(),
            label: read.orgs.get(*id).cloned().unwrap_or_default(),
            count: *n,
            link: list_link(&format!("org_id={}", enc(id))),
        })
        .collect();
    by_unit.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    let by_year = years
        .iter()
        .rev()
        .map(|(y, (n, total, contract))| YearAmount {
            year: *y,
            projects: *n,
            total_fen: *total,
            total: yuan(*total),
            contract_fen: *contract,
            contract: yuan(*contract),
            link: list_link(&format!("plan_year={y}")),
        })
        .collect();
    let lists = DUE_LISTS
        .iter()
        .filter(|(k, _)| *k != "findings")
        .map(|(k, label)| {
            let mut projects: Vec<ProjectLine> = read
                .rows
                .iter()
                .filter_map(|r| {
                    let info = infos.get(&r.pack_id);
                    due_of(r, info, today, &open, k).map(|d| {
                        let mut l = line(r, info, &read.orgs);
                        l.due_date = d;
                        l
                    })
                })
                .collect();
            projects.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.number.cmp(&b.number)));
            DueList {
                key: k.to_string(),
                label: label.to_string(),
                projects,
                link: list_link(&format!("due={k}")),
            }
        })
        .collect();
    let by_id: HashMap<&str, &ProjectRow> = read.rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let today_s = day(today);
    let findings = read
        .findings
        .iter()
        .filter_map(|f| {
            let r = by_id.get(f.project_id.as_str())?;
            Some(OpenFinding {
                id: f.id.clone(),
                project_id: r.id.clone(),
                project_name: r.name.clone(),
                project_number: r.number.clone(),
                org_name: read.orgs.get(&r.org_id).cloned().unwrap_or_default(),
                area_label: area_label(&f.area).to_string(),
                major: f.major,
                finding: f.finding.clone(),
                deadline: f.deadline.clone(),
                overdue: f.deadline < today_s,
                link: format!("/projects/{}", enc(&r.id)),
            })
        })
        .collect();
    let warn_days = infos.values().map(|i| i.warn_days).max().unwrap_or(0);
    Ok(ProjectDashboard {
        total: read.rows.len(),
        list_link: list_link(""),
        by_stage,
        by_unit,
        by_year,
        warn_days,
        lists,
        findings,
        findings_link: list_link("due=findings"),
    })
}

// ------------------------------------------------------------ one project

/// A supplementary contract as the project page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplementLine {
    pub id: String,
    pub amount: String,
    pub state_label: String,
    /// Counts against the limit (held or approved).
    pub counted: bool,
    pub ticket_link: String,
}

/// A supervision finding as the project page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FindingLine {
    pub id: String,
    pub area_label: String,
    pub major: bool,
    pub finding: String,
    pub deadline: String,
    pub rectified_on: Option<String>,
    pub rectification: String,
    /// Open past its deadline.
    pub overdue: bool,
}

/// One project's page: the line, the supplements against the limit
/// (SNXM-30), the findings (SNXM-37), the self-evaluation (SNXM-36) and
/// what the caller may do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectDetail {
    pub project: ProjectLine,
    pub contractor: String,
    pub supervisor: String,
    pub unit_level_label: String,
    pub supplements: Vec<SupplementLine>,
    /// "已计入" of the supplements (held and approved), in 元.
    pub supplements_counted: String,
    /// The limit (the pack's share of the contract), once a contract is
    /// signed.
    pub supplements_limit: Option<String>,
    pub supplement_percent: u32,
    pub findings: Vec<FindingLine>,
    /// The report's file name, once filed.
    pub self_evaluation_file: Option<String>,
    /// The bureau over the unit: records findings.
    pub can_manage: bool,
    /// The unit's staff: rectifies, files the self-evaluation.
    pub can_operate: bool,
}

/// One project; 404 outside the list's scope (`projects::get`).
pub async fn detail(p: &Platform, pr: &Principal, id: &str) -> Result<ProjectDetail, AppError> {
    let v = super::get(p, pr, id.trim()).await?;
    let r = &v.project;
    let info_map = infos(p);
    let info = info_map.get(&r.pack_id);
    let org_name = {
        let mut c = p.db.read().await?;
        yunwei_store::orgs::get(&mut c, &r.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default()
    };
    let orgs = HashMap::from([(r.org_id.clone(), org_name)]);
    let pct = super::rules(p, &r.pack_id)?.supplement_max_percent;
    let today = day(due::today(p));
    let process = info.map(|i| i.process);
    Ok(ProjectDetail {
        project: line(r, info, &orgs),
        contractor: r.contractor.clone(),
        supervisor: r.supervisor.clone(),
        unit_level_label: choice_label(process, "unit_level", &r.unit_level),
        supplements: v
            .supplements
            .iter()
            .map(|s| SupplementLine {
                id: s.id.clone(),
                amount: yuan(s.amount_fen),
                state_label: match s.state.as_str() {
                    "held" => "办理中（已计入）",
                    "approved" => "已同意",
                    _ => "未同意或已撤回",
                }
                .to_string(),
                counted: s.state != "released",
                ticket_link: format!("/tickets/{}", enc(&s.id)),
            })
            .collect(),
        supplements_counted: yuan(v.counted_fen),
        supplements_limit: v.limit_fen.map(yuan),
        supplement_percent: pct,
        findings: v
            .findings
            .iter()
            .map(|f| FindingLine {
                id: f.id.clone(),
                area_label: area_label(&f.area).to_string(),
                major: f.major,
                finding: f.finding.clone(),
                deadline: f.deadline.clone(),
                rectified_on: f.rectified_on.clone(),
                rectification: f.rectification.clone(),
                overdue: f.rectified_on.is_none() && f.deadline < today,
            })
            .collect(),
        self_evaluation_file: r.self_evaluation_file.clone(),
        can_manage: pr.can(Action::ProjectManage, &r.org_path),
        can_operate: pr.can(Action::BusinessOperate, &r.org_path),
    })
}

// ------------------------------------------------------------ exports

const HEADERS: [&str; 14] = [
    "项目编号",
    "项目名称",
    "建设单位",
    "项目类型",
    "审批方式",
    "所处阶段",
    "项目总投资（元）",
    "合同采购金额（元）",
    "拟实施年度",
    "紧急增补",
    "增补理由",
    "入库日期",
    "验收日期",
    "相关日期",
];

fn row_of(l: &ProjectLine) -> Vec<String> {
    vec![
        l.number.clone(),
        l.name.clone(),
        l.org_name.clone(),
        l.kind_label.clone(),
        l.route_label.clone(),
        l.stage_label.clone(),
        l.total.clone(),
        l.contract.clone().unwrap_or_default(),
        l.plan_year.map(|y| y.to_string()).unwrap_or_default(),
        if l.urgent { "是" } else { "否" }.to_string(),
        l.urgent_reason.clone(),
        l.library_on.clone().unwrap_or_default(),
        l.accepted_on.clone().unwrap_or_default(),
        l.due_date.clone().unwrap_or_default(),
    ]
}

async fn export_lines(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    sheet: &str,
    what: String,
    lines: &[ProjectLine],
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let data: Vec<Vec<String>> = lines.iter().map(row_of).collect();
    let bytes =
        crate::kernel::export::table_xlsx(sheet, &pr.display_name, p.clock.now(), &HEADERS, &data)?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        Authorized::seen(pr),
        "it_project.export",
        "it_project",
        format!("导出{what} {} 个信息化项目", data.len()),
        reason,
    )
    .await?;
    Ok(bytes)
}

/// The project list of `q` (the dashboard's lists are `?due=`) as an
/// Excel sheet naming the exporter; needs a reason and is audited.
pub async fn export_xlsx(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    q: &ProjectListQuery,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = require_reason(reason)?;
    let lines = lines(p, pr, q).await?;
    let (sheet, what) = match given(&q.due).and_then(due_label) {
        Some(l) => ("信息化项目总览", format!("总览列表“{l}”")),
        None => ("信息化项目", "项目列表".to_string()),
    };
    export_lines(p, ctx, pr, sheet, what, &lines, &reason).await
}

/// The annual plan list of `year` as an Excel sheet; audited.
pub async fn export_plan_xlsx(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    year: i64,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = require_reason(reason)?;
    let lines = plan(p, pr, year).await?;
    export_lines(
        p,
        ctx,
        pr,
        "年度计划清单",
        format!("{year}年度计划清单"),
        &lines,
        &reason,
    )
    .await
}

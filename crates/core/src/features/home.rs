//! What the home page shows about the signed-in user.

use chrono::Datelike;
use serde::Serialize;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::{orgs, settings, Scope};

use crate::tickets::{GroupBy, TicketFilter};

use crate::features::policy::OrgConfig;
use crate::{Platform, Principal};

/// One of the caller's roles as the home page lists it.
#[derive(Debug, Clone)]
pub struct RoleLine {
    /// The role's name.
    pub role: String,
    /// The organisation it applies to, "及下级" added for a subtree.
    pub scope: String,
    /// What the role is for.
    pub duty: String,
}

#[derive(Debug, Clone)]
pub struct HomeSummary {
    /// The name of the caller's own organisation.
    pub org_name: String,
    pub roles: Vec<RoleLine>,
    /// The notice of the caller's organisation (empty when none or when
    /// its configuration cannot be read).
    pub notice: String,
}

/// The caller's organisation, roles and notice. Only names of the caller's
/// own organisation and of the organisations its grants name.
pub async fn summary(p: &Platform, pr: &Principal) -> Result<HomeSummary, AppError> {
    let mut c = p.db.read().await?;
    let org_name = orgs::get(&mut c, &pr.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let mut roles = Vec::new();
    for g in &pr.grants {
        let scope = orgs::list(&mut c, &Scope::ranges(vec![(g.scope_path.clone(), false)])).await?;
        let name = scope.first().map(|o| o.name.clone()).unwrap_or_default();
        let name = if g.subtree {
            format!("{name}及下级")
        } else {
            name
        };
        roles.push(RoleLine {
            role: g.role.label().to_string(),
            scope: name,
            duty: g.role.duty().to_string(),
        });
    }
    let notice = match settings::get(&mut c, &crate::features::policy::config_key(&pr.org_id)).await
    {
        Ok(Some(v)) => serde_json::from_str::<OrgConfig>(&v)
            .map(|c| c.notice)
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(HomeSummary {
        org_name,
        roles,
        notice,
    })
}

// ---- dashboards ----

/// One figure of a dashboard: a number (or a short state) and the list
/// behind it, which shows exactly that many rows.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// A stable name for the page and the tests, e.g. `open`.
    pub id: String,
    pub label: String,
    pub value: String,
    pub link: String,
    /// Needs attention (overdue, a failed check).
    pub alert: bool,
}

/// One bar (or point) of a chart, with the list behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub label: String,
    pub value: f64,
    /// The value as shown (`12`, `95.0%`).
    pub text: String,
    pub link: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChartKind {
    Bar,
    Line,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub kind: ChartKind,
    /// Values are shares 0..1 (the axis reads 0–100%).
    pub percent: bool,
    pub points: Vec<Point>,
}

/// A row of a dashboard's table (the overdue controls).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// `director`, `section`, `mine`, `vendor`, `accounts`, `sessions`,
    /// `audit`, `cloud`.
    pub id: &'static str,
    pub title: String,
    pub figures: Vec<Figure>,
    pub charts: Vec<Chart>,
    /// The heading of the table below the charts.
    pub table_title: String,
    pub table_head: Vec<String>,
    pub rows: Vec<Row>,
}

impl Panel {
    fn new(id: &'static str, title: &str) -> Panel {
        Panel {
            id,
            title: title.to_string(),
            figures: vec![],
            charts: vec![],
            table_title: String::new(),
            table_head: vec![],
            rows: vec![],
        }
    }

    fn figure(&mut self, id: &str, label: &str, n: i64, link: String, alert: bool) {
        self.figures.push(Figure {
            id: id.to_string(),
            label: label.to_string(),
            value: n.to_string(),
            link,
            alert: alert && n > 0,
        });
    }
}

/// The caller's dashboard: one panel per kind of work its roles do, every
/// figure computed under the caller's own scope (the lists it links to
/// apply the same scope, so a figure equals the rows its link shows).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Dashboard {
    pub panels: Vec<Panel>,
}

/// Bars of one chart at most.
const MAX_BARS: u64 = 8;
/// Months on the SLA trend.
const SLA_MONTHS: u32 = 6;
/// Days on the audit volume chart.
const AUDIT_DAYS: i64 = 7;
/// Overdue controls listed on the director's panel.
const CONTROL_ROWS: usize = 8;

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

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The tickets `tickets::list` shows for `f` (capped like the list).
async fn count(p: &Platform, pr: &Principal, f: &TicketFilter) -> Result<i64, AppError> {
    Ok(crate::tickets::list(p, pr, f, 1, 1).await?.total)
}

fn open() -> TicketFilter {
    TicketFilter {
        open_only: true,
        ..Default::default()
    }
}

/// The Monday of this week (Beijing time), `YYYY-MM-DD`, and its start.
fn week_start(now: chrono::DateTime<chrono::Utc>) -> (String, i64) {
    let today = yunwei_domain::calendar::date_in_shanghai(now);
    let monday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64);
    (monday.format("%Y-%m-%d").to_string(), day_start(monday))
}

fn day_start(d: chrono::NaiveDate) -> i64 {
    use chrono::TimeZone;
    yunwei_domain::calendar::shanghai()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .map(|t| t.timestamp_micros())
        .unwrap_or_default()
}

/// A figure the caller may not see (no scope for it) is left out; any
/// other error is the page's.
fn allowed<T>(r: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == yunwei_domain::ErrorKind::Forbidden => Ok(None),
        Err(e) => Err(e),
    }
}

/// The dashboard of the signed-in user.
pub async fn dashboard(p: &Platform, pr: &Principal) -> Result<Dashboard, AppError> {
    let mut d = Dashboard::default();
    if pr.must_change_password {
        return Ok(d);
    }
    let has = |r: Role| pr.grants.iter().any(|g| g.role == r);
    if has(Role::Director) || has(Role::DeputyDirector) {
        d.panels.push(director(p, pr).await?);
    }
    if has(Role::ProjectLead) {
        d.panels.push(section(p, pr).await?);
    }
    if has(Role::VendorEngineer) {
        d.panels.push(vendor(p, pr).await?);
    } else if pr.grants.iter().any(|g| g.role.is_business()) {
        d.panels.push(mine(p, pr).await?);
    }
    if pr.can_somewhere(Action::UserView) && has(Role::SysAdmin) {
        d.panels.push(accounts(p, pr).await?);
    }
    if pr.can_somewhere(Action::SessionManage) {
        d.panels.push(sessions(p, pr).await?);
    }
    if pr.can_somewhere(Action::AuditRead) {
        d.panels.push(audit(p, pr).await?);
    }
    if pr.can_somewhere(Action::CloudManage) {
        if let Some(panel) = cloud(p, pr).await? {
            d.panels.push(panel);
        }
    }
    Ok(d)
}

/// Platforms on the cloud block of the home page at most.
const CLOUD_PLATFORMS: usize = 3;

/// The government cloud in short for its managers: per platform the
/// systems, the applications in progress and the providers' overdue
/// reports, each linking to 政务云总览 (`/cloud`), which lists them.
async fn cloud(p: &Platform, pr: &Principal) -> Result<Option<Panel>, AppError> {
    use crate::features::cloud::dashboard;
    let platforms = dashboard::platforms(p, pr).await?;
    if platforms.is_empty() {
        return Ok(None);
    }
    let mut panel = Panel::new("cloud", "政务云");
    for (i, (id, name)) in platforms.iter().take(CLOUD_PLATFORMS).enumerate() {
        let d = dashboard::dashboard(p, pr, id, None).await?;
        let link = format!("/cloud?platform_id={}", enc(id));
        let prefix = if platforms.len() > 1 {
            format!("{name}：")
        } else {
            String::new()
        };
        panel.figure(
            &format!("cloud_systems_{i}"),
            &format!("{prefix}上云系统"),
            d.systems_total as i64,
            link.clone(),
            false,
        );
        panel.figure(
            &format!("cloud_applications_{i}"),
            &format!("{prefix}办理中的申请"),
            d.applications.len() as i64,
            format!("{link}#applications"),
            false,
        );
        if let Some(r) = &d.overdue_reports {
            panel.figure(
                &format!("cloud_overdue_reports_{i}"),
                &format!("{prefix}服务商逾期未报"),
                r.len() as i64,
                d.reports_link.clone(),
                true,
            );
        }
    }
    Ok(Some(panel))
}

async fn director(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("director", "管理概览");
    let now = p.clock.now();
    let (monday, monday_us) = week_start(now);
    let n = count(p, pr, &open()).await?;
    panel.figure("open", "未办结工单", n, "/tickets?open=true".into(), false);
    let overdue = TicketFilter {
        overdue: Some(true),
        ..open()
    };
    let n = count(p, pr, &overdue).await?;
    panel.figure(
        "overdue",
        "已超时未办结",
        n,
        "/tickets?open=true&overdue=true".into(),
        true,
    );
    let week = TicketFilter {
        created_from: Some(monday_us),
        ..Default::default()
    };
    let n = count(p, pr, &week).await?;
    panel.figure(
        "week",
        "本周登记",
        n,
        format!("/tickets?since={monday}"),
        false,
    );
    // The overdue controls (due dates of inspections, backups, reviews ...).
    let controls = crate::kernel::due::overview(
        p,
        pr,
        &crate::kernel::due::OverviewFilter {
            org_id: None,
            kind: None,
            status: Some("overdue".into()),
        },
    )
    .await;
    if let Some(o) = allowed(controls)? {
        panel.figure(
            "controls_overdue",
            "已逾期管控事项",
            o.total,
            "/controls?status=overdue".into(),
            true,
        );
        panel.table_title = format!("已逾期管控事项（最早到期的 {CONTROL_ROWS} 项）");
        panel.table_head = ["事项", "机构", "应完成日期"].map(String::from).to_vec();
        for c in o.overdue.iter().take(CONTROL_ROWS) {
            panel.rows.push(Row {
                cells: vec![
                    format!("{}：{}", c.kind_label, c.title),
                    c.org_name.clone(),
                    c.due_date.clone(),
                ],
                link: c.link.clone(),
            });
        }
    }

    // SLA compliance by month (the monthly report's on-time rate).
    let this_month = crate::features::reports::current_month(now);
    let mut points = Vec::new();
    let mut month = chrono::NaiveDate::parse_from_str(&format!("{this_month}-01"), "%Y-%m-%d")
        .map_err(|_| AppError::internal())?;
    let mut months = Vec::new();
    for _ in 0..SLA_MONTHS {
        months.push(month.format("%Y-%m").to_string());
        month = (month - chrono::Duration::days(1))
            .with_day0(0)
            .unwrap_or(month);
    }
    months.reverse();
    for m in &months {
        let r = crate::features::reports::monthly_sla(p, pr, m).await?;
        // A month without closed tickets has no rate: no point.
        if r.total.on_time_rate.is_none() {
            continue;
        }
        points.push(Point {
            label: m.clone(),
            value: r.total.on_time_rate.unwrap_or(0.0),
            text: pct(r.total.on_time_rate),
            link: format!("/reports?month={m}"),
        });
    }
    panel.charts.push(Chart {
        id: "sla_trend".into(),
        title: "按时办结率（近六个月）".into(),
        kind: ChartKind::Line,
        percent: true,
        points,
    });
    // ... and by process this month.
    let r = crate::features::reports::monthly_sla(p, pr, &this_month).await?;
    panel.charts.push(Chart {
        id: "sla_process".into(),
        title: format!("{this_month} 各流程按时办结率"),
        kind: ChartKind::Bar,
        percent: true,
        points: r
            .processes
            .iter()
            .map(|x| Point {
                label: x.process_name.clone(),
                value: x.counts.on_time_rate.unwrap_or(0.0),
                text: pct(x.counts.on_time_rate),
                link: format!("/reports?month={this_month}"),
            })
            .collect(),
    });

    // Open and overdue by organisation: the organisations with the most
    // open tickets; each bar counts the organisation with those below it,
    // as its link (the list's organisation filter) does.
    let groups = crate::tickets::tally(p, pr, &open(), GroupBy::Org, MAX_BARS).await?;
    let mut open_bars = Vec::new();
    let mut overdue_bars = Vec::new();
    {
        let mut named = Vec::new();
        {
            let mut c = p.db.read().await?;
            for (id, _) in &groups {
                let Some(id) = id else { continue };
                if let Some(o) = orgs::get(&mut c, id).await? {
                    named.push(o);
                }
            }
        }
        for o in named {
            let f = TicketFilter {
                org_path: Some(o.path.clone()),
                ..open()
            };
            let n = count(p, pr, &f).await?;
            open_bars.push(Point {
                label: o.name.clone(),
                value: n as f64,
                text: n.to_string(),
                link: format!("/tickets?org_id={}&open=true", enc(&o.id)),
            });
            let f = TicketFilter {
                overdue: Some(true),
                ..f
            };
            let n = count(p, pr, &f).await?;
            overdue_bars.push(Point {
                label: o.name.clone(),
                value: n as f64,
                text: n.to_string(),
                link: format!("/tickets?org_id={}&open=true&overdue=true", enc(&o.id)),
            });
        }
    }
    panel.charts.push(Chart {
        id: "open_by_org".into(),
        title: "各机构未办结工单（含下级）".into(),
        kind: ChartKind::Bar,
        percent: false,
        points: open_bars,
    });
    panel.charts.push(Chart {
        id: "overdue_by_org".into(),
        title: "各机构超时未办结工单（含下级）".into(),
        kind: ChartKind::Bar,
        percent: false,
        points: overdue_bars,
    });

    // Major tickets: open tickets whose level the pack names 重大 (特别重大
    // 事件, 重大事件, 重大变更, 重大故障).
    let groups = crate::tickets::tally(p, pr, &open(), GroupBy::ProcessLevel, 200).await?;
    let mut major = Vec::new();
    for (key, n) in groups {
        let Some((process, level)) = key.as_deref().and_then(|k| k.split_once('\n')) else {
            continue;
        };
        let Some((pname, label)) = p.packs.iter().find_map(|pk| {
            let x = pk.process(process)?;
            let c = x.field("level")?.choice(level)?;
            Some((x.name.clone(), c.label.clone()))
        }) else {
            continue;
        };
        if !label.contains("重大") {
            continue;
        }
        major.push(Point {
            label: format!("{pname}·{label}"),
            value: n as f64,
            text: n.to_string(),
            link: format!(
                "/tickets?process={}&level={}&open=true",
                enc(process),
                enc(level)
            ),
        });
    }
    panel.charts.push(Chart {
        id: "major".into(),
        title: "未办结的重大级别工单".into(),
        kind: ChartKind::Bar,
        percent: false,
        points: major,
    });

    // This week's new tickets by process (the changes among them).
    let groups = crate::tickets::tally(p, pr, &week, GroupBy::Process, MAX_BARS).await?;
    panel.charts.push(Chart {
        id: "week_by_process".into(),
        title: "本周登记（按流程）".into(),
        kind: ChartKind::Bar,
        percent: false,
        points: groups
            .into_iter()
            .filter_map(|(k, n)| {
                let k = k?;
                let name = p
                    .packs
                    .iter()
                    .find_map(|pk| pk.process(&k).map(|x| x.name.clone()))
                    .unwrap_or_else(|| k.clone());
                Some(Point {
                    label: name,
                    value: n as f64,
                    text: n.to_string(),
                    link: format!("/tickets?process={}&since={monday}", enc(&k)),
                })
            })
            .collect(),
    });
    Ok(panel)
}

/// The work of a section: the queue (unassigned), what is late or due
/// soon, and each person's open tickets.
async fn section(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("section", "科室工作");
    let now_us = p.now_us();
    let f = TicketFilter {
        unowned: true,
        ..open()
    };
    let n = count(p, pr, &f).await?;
    panel.figure(
        "unassigned",
        "待分派",
        n,
        "/tickets?open=true&unowned=true".into(),
        false,
    );
    let f = TicketFilter {
        overdue: Some(true),
        ..open()
    };
    let n = count(p, pr, &f).await?;
    panel.figure(
        "overdue",
        "已超时",
        n,
        "/tickets?open=true&overdue=true".into(),
        true,
    );
    let f = TicketFilter {
        due_before: Some(now_us + crate::tickets::DUE_SOON_US),
        ..open()
    };
    let n = count(p, pr, &f).await?;
    panel.figure(
        "due_soon",
        "24小时内到期",
        n,
        "/tickets?open=true&due_soon=true".into(),
        true,
    );
    let groups = crate::tickets::tally(p, pr, &open(), GroupBy::Assignee, MAX_BARS + 1).await?;
    let mut bars = Vec::new();
    {
        let mut c = p.db.read().await?;
        for (id, n) in groups {
            let Some(id) = id else { continue };
            let Some(u) = yunwei_store::users::get(&mut c, &id).await? else {
                continue;
            };
            bars.push(Point {
                label: u.display_name,
                value: n as f64,
                text: n.to_string(),
                link: format!("/tickets?assignee={}&open=true", enc(&u.username)),
            });
        }
    }
    bars.truncate(MAX_BARS as usize);
    panel.charts.push(Chart {
        id: "workload".into(),
        title: "人员工作量（负责的未办结工单）".into(),
        kind: ChartKind::Bar,
        percent: false,
        points: bars,
    });
    Ok(panel)
}

/// What the caller answers for.
async fn my_figures(p: &Platform, pr: &Principal, panel: &mut Panel) -> Result<(), AppError> {
    let assigned = TicketFilter {
        assignee_id: Some(pr.user_id.clone()),
        ..open()
    };
    let n = count(p, pr, &assigned).await?;
    panel.figure(
        "assigned",
        "我负责的未办结",
        n,
        "/tickets?mine=assigned&open=true".into(),
        false,
    );
    let f = TicketFilter {
        overdue: Some(true),
        ..assigned.clone()
    };
    let n = count(p, pr, &f).await?;
    panel.figure(
        "assigned_overdue",
        "其中已超时",
        n,
        "/tickets?mine=assigned&open=true&overdue=true".into(),
        true,
    );
    let f = TicketFilter {
        requester_id: Some(pr.user_id.clone()),
        ..open()
    };
    let n = count(p, pr, &f).await?;
    panel.figure(
        "requested",
        "我登记的未办结",
        n,
        "/tickets?mine=requested&open=true".into(),
        false,
    );
    Ok(())
}

async fn mine(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("mine", "我的工作");
    my_figures(p, pr, &mut panel).await?;
    Ok(panel)
}

/// A vendor's engineer: the work assigned, and the reports and other
/// dates due in its reach.
async fn vendor(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("vendor", "厂商工作");
    my_figures(p, pr, &mut panel).await?;
    for (id, label, status, alert) in [
        ("reports_due_soon", "7日内到期事项", "due_soon", false),
        ("reports_overdue", "已逾期事项", "overdue", true),
    ] {
        let o = crate::kernel::due::overview(
            p,
            pr,
            &crate::kernel::due::OverviewFilter {
                org_id: None,
                kind: None,
                status: Some(status.into()),
            },
        )
        .await;
        if let Some(o) = allowed(o)? {
            panel.figure(
                id,
                label,
                o.total,
                format!("/controls?status={status}"),
                alert,
            );
        }
    }
    Ok(panel)
}

async fn accounts(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("accounts", "账号");
    let all = crate::features::users::list(p, pr, &Default::default(), 1, 1).await?;
    panel.figure("users", "账号总数", all.total, "/users".into(), false);
    let f = yunwei_store::users::UserFilter {
        status: Some("disabled".into()),
        ..Default::default()
    };
    let disabled = crate::features::users::list(p, pr, &f, 1, 1).await?;
    panel.figure(
        "users_disabled",
        "已停用账号",
        disabled.total,
        "/users?status=disabled".into(),
        false,
    );
    Ok(panel)
}

async fn sessions(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("sessions", "会话");
    let n = crate::features::auth::sessions(p, pr, true).await?.len();
    panel.figure(
        "sessions",
        "在线会话",
        n as i64,
        "/sessions?all=true".into(),
        false,
    );
    Ok(panel)
}

/// The audit trail: records per day over the last week (in the caller's
/// audit scope) and whether the chain head matches its seal.
async fn audit(p: &Platform, pr: &Principal) -> Result<Panel, AppError> {
    let mut panel = Panel::new("audit", "审计");
    let scope = pr.scope_for(Action::AuditRead);
    let today = yunwei_domain::calendar::date_in_shanghai(p.clock.now());
    let mut points = Vec::new();
    {
        let mut c = p.db.read().await?;
        for back in (0..AUDIT_DAYS).rev() {
            let d = today - chrono::Duration::days(back);
            let from = day_start(d);
            let to = day_start(d + chrono::Duration::days(1));
            let n = yunwei_store::audit::count_between(&mut c, &scope, from, to).await?;
            let ymd = d.format("%Y-%m-%d").to_string();
            points.push(Point {
                label: d.format("%m-%d").to_string(),
                value: n as f64,
                text: n.to_string(),
                link: format!("/audit?from={ymd}&to={ymd}"),
            });
        }
    }
    let ok = crate::kernel::audit::anchor(p).await.is_ok();
    panel.figures.push(Figure {
        id: "audit_head".into(),
        label: "审计链头校验".into(),
        value: if ok { "通过" } else { "失败" }.into(),
        link: "/audit".into(),
        alert: !ok,
    });
    panel.charts.push(Chart {
        id: "audit_volume".into(),
        title: "审计记录（近七日）".into(),
        kind: ChartKind::Bar,
        percent: false,
        points,
    });
    Ok(panel)
}

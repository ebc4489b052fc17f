//! Dashboards, the SLA report page and the notices that link to their
//! object (issue 13): every figure and chart bar of every role's dashboard
//! equals the rows of the list it links to; the figures stay in the
//! caller's scope; `/reports` answers the browser session with its chart
//! and an .xlsx export; register steps and overdue controls tell the people
//! who can act, with a link, and not the actor.

use axum::http::StatusCode;
use serde_json::{json, Value};
use yunwei_core::controls;
use yunwei_core::inspections::{self, PlanInput};
use yunwei_core::Ctx;
use yunwei_store::tickets::{self as tstore, NotificationRow};
use yunwei_testkit::TestApp;

use crate::support::{org_id, principal, user_id, Browser};

/// An emergency application change of the Nanjing bureau, submitted by the
/// vendor serving it (JSCZ-26 (1)).
async fn open_change(app: &TestApp, staff: &str, title: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(staff),
            json!({
                "pack": "jscz",
                "process": "change",
                "title": title,
                "fields": {
                    "system": "预算管理一体化系统",
                    "description": "紧急修复",
                    "reason": "线上故障",
                    "level": "emergency",
                    "type": "application",
                    "launch": "none",
                    "planned_start": "2026-03-02T12:00:00+08:00"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let vendor = crate::support::vendor_serving(app, "南京市财政局").await;
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&vendor),
            json!({"transition": "submit", "fields": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

/// Sets a ticket's deadline (and whether it is breached) as the timer job
/// would.
async fn set_due(app: &TestApp, id: &str, due_at: i64, breached: bool) {
    let mut c = app.platform.db().begin().await.unwrap();
    tstore::set_due(&mut c, id, Some(due_at), breached)
        .await
        .unwrap();
    c.commit().await.unwrap();
}

/// Tickets of the demo's two organisations: two changes of the Nanjing
/// bureau (one breached, one due within the hour) and an incident of the
/// information centre.
async fn some_tickets(app: &TestApp) -> (String, String, String) {
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let late = open_change(app, &staff, "核心交换机配置变更").await;
    let soon = open_change(app, &staff, "堡垒机升级").await;
    let now = app.platform.now_us();
    set_due(app, &late, now - 60_000_000, true).await;
    set_due(app, &soon, now + 3_600_000_000, false).await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&lead),
            json!({"pack": "jscz", "process": "incident", "title": "机房空调故障"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let incident = r.json()["id"].as_str().unwrap().to_string();
    (late, soon, incident)
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// (id, value, link) of every figure on a home page.
fn figures(html: &str) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for part in html.split("id=\"fig-").skip(1) {
        let id = part.split('"').next().unwrap().to_string();
        let link = part
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = part
            .split("<span class=\"tile-n\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        out.push((id, value.trim().to_string(), unescape(link)));
    }
    out
}

/// (label, value, link) of every bar or point of the charts on a page.
fn chart_points(html: &str) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for part in html.split("<a href=\"").skip(1) {
        if !part.contains("class=\"chart-link\"><title>") {
            continue;
        }
        let link = part.split('"').next().unwrap();
        let title = part
            .split("<title>")
            .nth(1)
            .unwrap()
            .split("</title>")
            .next()
            .unwrap();
        let (label, value) = title.rsplit_once('：').unwrap();
        out.push((label.to_string(), value.to_string(), unescape(link)));
    }
    out
}

/// The rows of every table body on a page.
fn rows(html: &str) -> usize {
    html.split("<tbody>")
        .skip(1)
        .map(|b| b.split("</tbody>").next().unwrap().matches("<tr").count())
        .sum()
}

/// The link of a list's 下一页 (the pager of the paged lists), if any.
fn next_page(html: &str) -> Option<String> {
    let pager = html
        .split("<nav class=\"pager\">")
        .nth(1)?
        .split("</nav>")
        .next()?;
    pager
        .split("<a href=\"")
        .skip(1)
        .find(|a| a.contains("\">下一页</a>"))
        .and_then(|a| a.split('"').next())
        .map(unescape)
}

/// Follows a dashboard link and checks that the list shows `value` rows
/// (over all its pages).
async fn check_link(b: &Browser<'_>, who: &str, what: &str, value: &str, link: &str) -> bool {
    if link.starts_with("/reports") {
        // A rate; the report page itself is checked below.
        return false;
    }
    let Ok(n) = value.parse::<usize>() else {
        return false;
    };
    let r = b.get(link).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{who} {what} {link}: {}",
        r.text()
    );
    let html = r.text();
    // A paged list (the users, 50 a page) is counted over all its pages.
    let mut shown = rows(&html);
    let mut page = html.clone();
    let mut pages = 1;
    while let Some(next) = next_page(&page) {
        assert!(pages < 100, "{who} {what} {link}: pages without end");
        let r = b.get(&next).await;
        assert_eq!(r.status, StatusCode::OK, "{who} {what} {next}");
        page = r.text();
        shown += rows(&page);
        pages += 1;
    }
    if link.starts_with("/audit") && n >= 100 {
        // The audit page shows its newest hundred records.
        assert_eq!(shown, 100, "{who} {what} {link}");
    } else {
        assert_eq!(shown, n, "{who} {what}: {value} on the dashboard, {link}");
    }
    if link.starts_with("/tickets") {
        assert!(
            html.contains(&format!("共 {n} 张工单")),
            "{who} {what} {link}"
        );
    }
    true
}

/// Each role's dashboard, and the number of its figures.
async fn dashboard(app: &TestApp, who: &str) -> (String, Vec<(String, String, String)>) {
    let b = Browser::login(app, who).await;
    let html = b.get("/").await.text();
    let figs = figures(&html);
    let mut checked = 0;
    for (id, value, link) in &figs {
        if check_link(&b, who, id, value, link).await {
            checked += 1;
        }
    }
    for (label, value, link) in chart_points(&html) {
        if check_link(&b, who, &label, &value, &link).await {
            checked += 1;
        }
    }
    assert!(checked > 0, "{who}: no figure checked");
    (html, figs)
}

fn value_of(figs: &[(String, String, String)], id: &str) -> i64 {
    figs.iter()
        .find(|f| f.0 == id)
        .unwrap_or_else(|| panic!("no figure {id} in {figs:?}"))
        .1
        .parse()
        .unwrap()
}

#[tokio::test]
async fn every_roles_dashboard_figure_equals_the_rows_of_the_list_it_links_to() {
    let app = TestApp::new().await;
    some_tickets(&app).await;
    // A change reviewed and rejected: closed on time this month, so the
    // SLA trend has a point.
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let closed = open_change(&app, &staff, "网络设备固件升级").await;
    for (t, fields) in [
        ("organise_review", json!({})),
        ("review_reject", json!({"review_opinion": "不具备实施条件"})),
    ] {
        let r = app
            .post_json(
                &format!("/api/v1/tickets/{closed}/transitions"),
                Some(&lead),
                json!({"transition": t, "fields": fields}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{t}: {}", r.text());
    }

    let (html, figs) = dashboard(&app, "demo_director").await;
    // The charts: drawn as SVG, a line with one point (this month, 100%),
    // bars as links, the text escaped.
    let trend = html
        .split("<svg class=\"chart line\" id=\"chart-sla_trend\"")
        .nth(1)
        .expect("the SLA trend")
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(trend.matches("<circle").count(), 1, "{trend}");
    assert!(trend.contains("<polyline"));
    assert!(trend.contains("<title>2026-03：100.0%</title>"), "{trend}");
    let bars = html
        .split("<svg class=\"chart bar\" id=\"chart-open_by_org\"")
        .nth(1)
        .expect("open by organisation")
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(
        bars.matches("<a href=").count(),
        bars.matches("<rect").count()
    );
    assert!(bars.contains("&amp;open=true"), "{bars}");
    assert!(html.contains("id=\"dash-director\""));
    assert!(html.contains("按时办结率（近六个月）"));
    assert!(html.contains("<svg class=\"chart bar\" id=\"chart-open_by_org\""));
    assert!(value_of(&figs, "open") >= 3, "{figs:?}");
    assert!(value_of(&figs, "overdue") >= 1, "{figs:?}");
    assert!(value_of(&figs, "week") >= 3, "{figs:?}");
    assert!(html.contains("各机构未办结工单"));
    assert!(html.contains("南京市财政局"), "the bureau's bar");

    let (html, _) = dashboard(&app, "demo_deputy").await;
    assert!(html.contains("id=\"dash-director\""));

    let (html, figs) = dashboard(&app, "demo_lead").await;
    assert!(html.contains("id=\"dash-section\""));
    assert!(value_of(&figs, "unassigned") >= 3, "{figs:?}");
    assert!(value_of(&figs, "due_soon") >= 1, "{figs:?}");

    let (html, figs) = dashboard(&app, "demo_staff").await;
    assert!(html.contains("id=\"dash-mine\""));
    assert!(!html.contains("id=\"dash-director\""));
    assert_eq!(value_of(&figs, "requested"), 2);

    let (html, _) = dashboard(&app, "demo_vendor").await;
    assert!(html.contains("id=\"dash-vendor\""));

    let (html, figs) = dashboard(&app, "sysadmin").await;
    assert!(html.contains("id=\"dash-accounts\""));
    assert!(!html.contains("id=\"dash-mine\""));
    assert!(value_of(&figs, "users") > 10, "{figs:?}");

    let (html, figs) = dashboard(&app, "secadmin").await;
    assert!(html.contains("id=\"dash-sessions\""));
    assert!(value_of(&figs, "sessions") >= 1, "{figs:?}");

    let (html, figs) = dashboard(&app, "audadmin").await;
    assert!(html.contains("id=\"dash-audit\""));
    assert!(html.contains("审计链头校验"));
    let head = figs.iter().find(|f| f.0 == "audit_head").unwrap();
    assert_eq!(head.1, "通过");
    let today: usize = chart_points(&html).last().unwrap().1.parse().unwrap();
    assert!(today > 0, "today's audit records");
    app.cleanup().await;
}

#[tokio::test]
async fn dashboard_figures_stay_in_the_callers_scope() {
    let app = TestApp::new().await;
    let (_, _, incident) = some_tickets(&app).await;
    let p = &app.platform;
    // A director of the Nanjing bureau alone (granted for the test).
    {
        let mut c = p.db().begin().await.unwrap();
        let u = yunwei_store::users::by_username(&mut c, "demo_staff")
            .await
            .unwrap()
            .unwrap();
        let nj = yunwei_store::orgs::get(&mut c, &org_id(&app, "南京市财政局").await)
            .await
            .unwrap()
            .unwrap();
        yunwei_core::users::grant_unchecked(
            p,
            &mut c,
            &u,
            yunwei_domain::roles::Role::Director,
            &nj,
            true,
        )
        .await
        .unwrap();
        c.commit().await.unwrap();
    }
    let nj = principal(&app, "demo_staff").await;
    let center = principal(&app, "demo_director").await;
    let fig = |d: &yunwei_core::home::Dashboard, id: &str| -> i64 {
        d.panels
            .iter()
            .flat_map(|x| &x.figures)
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .value
            .parse()
            .unwrap()
    };
    let labels = |d: &yunwei_core::home::Dashboard| -> Vec<String> {
        d.panels
            .iter()
            .flat_map(|x| &x.charts)
            .flat_map(|c| c.points.iter().map(|p| p.label.clone()))
            .collect()
    };
    let dn = yunwei_core::home::dashboard(p, &nj).await.unwrap();
    let dc = yunwei_core::home::dashboard(p, &center).await.unwrap();
    let nj_open = yunwei_core::tickets::list(
        p,
        &nj,
        &yunwei_core::tickets::TicketFilter {
            open_only: true,
            ..Default::default()
        },
        1,
        200,
    )
    .await
    .unwrap();
    assert!(nj_open.tickets.iter().all(|t| t.id != incident));
    assert_eq!(fig(&dn, "open"), nj_open.total);
    assert!(fig(&dc, "open") > fig(&dn, "open"), "the centre sees more");
    // The centre's incident and its organisation's name never reach the
    // bureau's dashboard.
    assert!(
        labels(&dc).iter().any(|l| l == "信息中心"),
        "{:?}",
        labels(&dc)
    );
    assert!(
        !labels(&dn).iter().any(|l| l == "信息中心"),
        "{:?}",
        labels(&dn)
    );
    // Each bar of the bureau's own counts stays within its subtree.
    let by_org: i64 = dn
        .panels
        .iter()
        .flat_map(|x| &x.charts)
        .filter(|c| c.id == "open_by_org")
        .flat_map(|c| &c.points)
        .map(|p| p.value as i64)
        .max()
        .unwrap_or(0);
    assert!(by_org <= fig(&dn, "open"));
    // Someone without business roles gets no business figures.
    let sys = principal(&app, "sysadmin").await;
    let ds = yunwei_core::home::dashboard(p, &sys).await.unwrap();
    assert!(ds
        .panels
        .iter()
        .all(|x| !matches!(x.id, "director" | "section" | "mine" | "vendor")));
    app.cleanup().await;
}

#[tokio::test]
async fn the_sla_report_page_answers_the_session_with_its_chart_and_exports_xlsx() {
    let app = TestApp::new().await;
    some_tickets(&app).await;
    let b = Browser::login(&app, "demo_lead").await;
    // The navigation links the page.
    let home = b.get("/").await.text();
    assert!(home.contains("href=\"/reports\""));
    let r = b.get("/reports?month=2026-03").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("SLA 月报"));
    assert!(html.contains("value=\"2026-03\""));
    assert!(html.contains("<svg class=\"chart bar\" id=\"chart-sla_month\""));
    assert!(html.contains("<td>变更</td><td>紧急变更</td><td class=\"num\">2</td>"));
    assert!(html.contains("<td>合计</td>"));
    // The current month by default.
    let r = b.get("/reports").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("value=\"2026-03\""));
    // A wrong month is said in Chinese on the page.
    let r = b.get("/reports?month=2026-13").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("月份格式应为 YYYY-MM"));

    // The export needs a reason, and is a workbook with the report.
    let r = b
        .post("/reports/export", &[("month", "2026-03"), ("reason", "")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = b
        .post(
            "/reports/export",
            &[("month", "2026-03"), ("reason", "月度运维考核")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.clone())).unwrap();
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    let text: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        text.iter().any(|c| c.starts_with("导出人：陈思远")),
        "{text:?}"
    );
    assert!(text.iter().any(|c| c == "紧急变更"), "{text:?}");
    assert!(text.iter().any(|c| c == "合计"), "{text:?}");

    // The administrators read no business reports.
    let sys = Browser::login(&app, "sysadmin").await;
    assert!(!sys.get("/").await.text().contains("href=\"/reports\""));
    assert_eq!(sys.get("/reports").await.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

async fn notices(app: &TestApp, username: &str, kind: &str) -> Vec<NotificationRow> {
    let id = user_id(app, username).await;
    let mut c = app.platform.db().read().await.unwrap();
    tstore::notifications_of(&mut c, &id, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == kind)
        .collect()
}

#[tokio::test]
async fn a_register_step_tells_who_may_take_it_with_a_link_and_not_the_actor() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let deputy = app.login("demo_deputy").await;
    let center = org_id(&app, "信息中心").await;
    let r = app
        .post_json(
            "/api/v1/registers/backup_plans",
            Some(&hw),
            json!({
                "org_id": center,
                "values": {
                    "name": "预算一体化系统数据库备份",
                    "scope": "数据库全库、程序包、操作日志",
                    "covers_system": true,
                    "covers_business": true,
                    "covers_logs": true,
                    "frequency": "daily",
                    "location": "备份服务器 10.32.1.20",
                    "offsite_location": "灾备中心",
                    "retention_days": 180,
                    "review_every": "monthly"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let plan: Value = r.json();
    let plan = plan["id"].as_str().unwrap().to_string();
    let link = format!("/registers/backup_plans/{plan}");

    // The draft waits for the deputy director's approval (EEDS-3.7.2): he
    // is told, with the entry linked; the operator who filed it is not.
    // Changed for issue 16: the director and the project lead, who may
    // not approve a backup plan, are no longer told.
    let told = notices(&app, "demo_deputy", "register_todo").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].link.as_deref(), Some(link.as_str()));
    assert!(
        told[0].title.contains("备份计划") || told[0].title.contains("预算一体化系统数据库备份")
    );
    assert!(told[0].title.contains("批准"), "{}", told[0].title);
    assert!(notices(&app, "demo_director", "register_todo")
        .await
        .is_empty());
    assert!(notices(&app, "demo_lead", "register_todo").await.is_empty());
    assert!(notices(&app, "demo_hwops", "register_todo")
        .await
        .is_empty());
    // Nobody outside the plan's organisation.
    assert!(notices(&app, "demo_staff", "register_todo")
        .await
        .is_empty());

    // The deputy director opens it from 消息 and approves it there.
    let b = Browser::login(&app, "demo_deputy").await;
    let inbox = b.get("/inbox").await.text();
    assert!(inbox.contains(&format!("href=\"{link}\"")), "{inbox}");
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    let r = app
        .post_json(
            &format!("/api/v1/registers/backup_plans/{plan}/steps/approve"),
            Some(&deputy),
            json!({"note": "同意"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The approver is not told of the next step they just opened.
    assert_eq!(notices(&app, "demo_deputy", "register_todo").await.len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn an_overdue_control_notice_links_its_subject_and_carries_its_deadline() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let soft = principal(&app, "demo_soft").await;
    let center = org_id(&app, "信息中心").await;
    let input = PlanInput {
        name: "门户网站内容月度巡查".into(),
        kind: "patrol".into(),
        recurrence: "monthly".into(),
        checklist: vec!["首页及各栏目信息是否按时更新".into()],
        org_id: Some(center),
        first_date: Some("2026-03-01".into()),
        ..Default::default()
    };
    let plan = inspections::create_plan(p, &Ctx::system("test"), &soft, &input)
        .await
        .unwrap();
    let due_at = inspections::get_plan(p, &soft, &plan.id)
        .await
        .unwrap()
        .occurrences[0]
        .due_at;
    app.clock
        .set(chrono::DateTime::from_timestamp_micros(due_at + 1_000_000).unwrap());
    crate::support::run_jobs(p).await.unwrap();
    let link = format!("/inspections/{}", plan.id);
    for who in ["demo_soft", "demo_lead"] {
        let told: Vec<_> = notices(&app, who, controls::NOTICE_KIND)
            .await
            .into_iter()
            .filter(|n| n.title.contains("门户网站内容月度巡查"))
            .collect();
        assert_eq!(told.len(), 1, "{who}: {told:?}");
        assert_eq!(told[0].link.as_deref(), Some(link.as_str()), "{who}");
        assert_eq!(told[0].due_at, Some(due_at), "{who}");
    }
    // 消息 shows the link and the deadline, red now it has passed.
    let b = Browser::login(&app, "demo_soft").await;
    let inbox = b.get("/inbox").await.text();
    assert!(inbox.contains(&format!("href=\"{link}\"")), "{inbox}");
    assert!(inbox.contains("note-due overdue"), "{inbox}");
    app.cleanup().await;
}

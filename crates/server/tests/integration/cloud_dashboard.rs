//! 政务云总览 (issue 14 item 8): the bureau's dashboard of a platform.
//! One platform (the city of `cloud::city`) with a county, systems in
//! several states, a month of utilisation with low and high systems, an
//! application under review, providers' reports overdue and a computed
//! bill; the figures are checked against the lists they link to, under
//! the city manager's, the county manager's and a unit's scope, and the
//! page renders in Chinese without identifiers.

use axum::http::StatusCode;
use serde_json::{json, Value};
use yunwei_core::features::cloud::{billing, dashboard, duties, systems, usage};
use yunwei_core::tickets::TicketFilter;
use yunwei_core::{Ctx, Principal};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::Role;
use yunwei_testkit::{TestApp, TestResponse};

use crate::cloud::{city, item, system, City};
use crate::support::Browser;

fn ok(r: TestResponse) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

async fn exec(app: &TestApp, sql: &str) {
    let mut c = app.platform.db().begin().await.unwrap();
    c.exec_raw(sql).await.unwrap();
    c.commit().await.unwrap();
}

async fn org_path(app: &TestApp, id: &str) -> String {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::orgs::get(&mut c, id)
        .await
        .unwrap()
        .unwrap()
        .path
}

struct Fixture {
    app: TestApp,
    city: City,
    county_unit: String,
    /// The system under an application ticket, and the ticket.
    applying: String,
    ticket: String,
    /// Systems set on line / in trial directly.
    a_online: String,
    b_trial: String,
    county_online: String,
}

/// A system of `unit` in `state` with one resource row of `item` from
/// 2026-01-01 (billed), inserted as the rows of migration 22.
async fn placed(
    app: &TestApp,
    platform: &str,
    unit: &str,
    name: &str,
    state: &str,
    item: &str,
) -> String {
    let path = org_path(app, unit).await;
    let sys = yunwei_domain::ids::new_id();
    exec(
        app,
        &format!(
            "INSERT INTO cloud_systems (id, platform_id, org_id, org_path, name, ci_id, dengbao_level, \
             miping, important, nda_ref, state, trial_started_on, online_on, exit_approved_on, \
             reclaimed_on, created_by, created_at, updated_at, version) VALUES ('{sys}', '{platform}', \
             '{unit}', '{path}', '{name}', NULL, 2, 'not_required', 0, '', '{state}', NULL, \
             '2025-06-01', NULL, NULL, 'test', 0, 1, 1)"
        ),
    )
    .await;
    let rid = yunwei_domain::ids::new_id();
    exec(
        app,
        &format!(
            "INSERT INTO cloud_resources (id, system_id, platform_id, org_path, item_id, quantity, \
             state, from_day, to_day, replaces_id, ticket_id, created_at, updated_at) VALUES \
             ('{rid}', '{sys}', '{platform}', '{path}', '{item}', 4, 'online', '2026-01-01', NULL, \
             NULL, NULL, 0, 0)"
        ),
    )
    .await;
    sys
}

/// One system's month of utilisation, already judged `verdict`.
async fn usage_row(
    app: &TestApp,
    platform: &str,
    import: &str,
    sys: &str,
    unit: &str,
    verdict: &str,
) {
    let path = org_path(app, unit).await;
    let id = yunwei_domain::ids::new_id();
    exec(
        app,
        &format!(
            "INSERT INTO cloud_usage (id, platform_id, system_id, org_id, org_path, month, cpu_avg_e4, \
             mem_avg_e4, storage_used_e4, storage_total_e4, sample_days, verdict, findings, import_id, \
             imported_by, imported_at, judged_at) VALUES ('{id}', '{platform}', '{sys}', '{unit}', \
             '{path}', '2026-03', 50000, 500000, 1000000, 2000000, 31, '{verdict}', '', '{import}', \
             'test', 0, 0)"
        ),
    )
    .await;
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    let p = &app.platform;
    // A county of the city with one unit and its county manager (ZMDY-9).
    let (county, county_unit) = {
        let mut c = p.db().begin().await.unwrap();
        let all = yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
            .await
            .unwrap();
        let nanjing = all
            .iter()
            .find(|o| o.name == "南京市财政局")
            .unwrap()
            .clone();
        let now = p.now_us();
        let county = yunwei_core::orgs::insert_unchecked(
            &mut c,
            Some(&nanjing),
            OrgKind::County,
            "江宁区",
            now,
        )
        .await
        .unwrap();
        let unit = yunwei_core::orgs::insert_unchecked(
            &mut c,
            Some(&county),
            OrgKind::Department,
            "江宁区教育局",
            now,
        )
        .await
        .unwrap();
        let u = yunwei_core::users::insert_unchecked(
            p,
            &mut c,
            &county,
            "county_mgr",
            "县区云管理员",
            TestApp::DEMO_PASSWORD,
            None,
            None,
            false,
        )
        .await
        .unwrap();
        yunwei_core::users::grant_unchecked(p, &mut c, &u, Role::CountyCloudManager, &county, true)
            .await
            .unwrap();
        c.commit().await.unwrap();
        (county, unit)
    };
    ok(app
        .post_json(
            "/api/v1/cloud/units",
            Some(&city.mgr),
            json!({"platform_id": city.platform, "org_id": county_unit.id, "level": "county",
                   "funding": "party_gov", "county_bureau_org_id": county.id}),
        )
        .await);
    let item_id = item(&app, &city, "ECS-VCPU", "45.5").await;
    // An application under the bureau's review (ZMDY-15: 7 working days).
    let (applying, ci) = system(&app, &city.unit_a, "卫健委预约挂号系统").await;
    ok(app
        .post_json(
            &format!("/api/v1/cloud/systems/{applying}/resources"),
            Some(&city.unit_a),
            json!({"item": "ECS-VCPU", "quantity": 8}),
        )
        .await);
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&city.unit_a),
            json!({"pack": "zmdy", "process": "cloud_apply", "title": "预约挂号系统上云",
                   "fields": {"title": "预约挂号系统上云", "system": ci, "unit_level": "city",
                              "kind": "new", "purpose": "门诊预约挂号",
                              "dr_resources": "异地备份 1TB"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let ticket = r.json()["id"].as_str().unwrap().to_string();
    for kind in ["application_form", "plan", "project_approval"] {
        let req = axum::http::Request::builder()
            .method(axum::http::Method::POST)
            .uri(format!(
                "/api/v1/tickets/{ticket}/attachments?kind={kind}&filename={kind}.pdf"
            ))
            .header(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {}", city.unit_a),
            )
            .body(axum::body::Body::from("材料"))
            .unwrap();
        assert_eq!(app.request(req).await.status, StatusCode::CREATED);
    }
    ok(app
        .post_json(
            &format!("/api/v1/tickets/{ticket}/transitions"),
            Some(&city.unit_a),
            json!({"transition": "submit", "fields": {}}),
        )
        .await);
    let a_online = placed(
        &app,
        &city.platform,
        &city.unit_a_org,
        "卫健委门户网站",
        "online",
        &item_id,
    )
    .await;
    let b_trial = placed(
        &app,
        &city.platform,
        &city.unit_b_org,
        "教育局招生系统",
        "trial",
        &item_id,
    )
    .await;
    let county_online = placed(
        &app,
        &city.platform,
        &county_unit.id,
        "江宁区教育云",
        "online",
        &item_id,
    )
    .await;
    // March 2026: the portal low, the enrolment system high, the county's low.
    let import = yunwei_domain::ids::new_id();
    exec(
        &app,
        &format!(
            "INSERT INTO cloud_usage_imports (id, platform_id, file_name, sm3, rows, months, \
             imported_by, imported_at) VALUES ('{import}', '{}', 'usage.csv', '', 3, '2026-03', \
             'test', 0)",
            city.platform
        ),
    )
    .await;
    usage_row(
        &app,
        &city.platform,
        &import,
        &a_online,
        &city.unit_a_org,
        "low",
    )
    .await;
    usage_row(
        &app,
        &city.platform,
        &import,
        &b_trial,
        &city.unit_b_org,
        "high",
    )
    .await;
    usage_row(
        &app,
        &city.platform,
        &import,
        &county_online,
        &county_unit.id,
        "low",
    )
    .await;
    // The duties of March fall due by 5 April (ZMDY-20); on 7 April the
    // provider's reports not filed are overdue.
    crate::support::run_jobs(p).await.unwrap();
    app.clock.set(
        chrono::NaiveDate::from_ymd_opt(2026, 4, 7)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap()
            .and_utc(),
    );
    Fixture {
        app,
        city,
        county_unit: county_unit.id,
        applying,
        ticket,
        a_online,
        b_trial,
        county_online,
    }
}

async fn who(app: &TestApp, username: &str) -> Principal {
    crate::support::principal(app, username).await
}

fn count_of(counts: &[dashboard::Count], key: &str) -> usize {
    counts
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.count)
        .unwrap()
}

#[tokio::test]
async fn cloud_dashboard_figures_equal_the_lists_behind_them() {
    let f = fixture().await;
    let p = &f.app.platform;
    let mgr = who(&f.app, "cloud_mgr").await;
    let bill = billing::compute(p, &Ctx::system("test"), &mgr, &f.city.platform, "2026-03")
        .await
        .unwrap();
    let d = dashboard::dashboard(p, &mgr, &f.city.platform, Some("2026-03"))
        .await
        .unwrap();

    // Systems: four, by state and by unit, each equal to its list.
    assert_eq!(d.systems_total, 4);
    assert_eq!(count_of(&d.by_state, "applying"), 1);
    assert_eq!(count_of(&d.by_state, "online"), 2);
    assert_eq!(count_of(&d.by_state, "trial"), 1);
    assert_eq!(count_of(&d.by_state, "reclaimed"), 0);
    let online = systems::list(
        p,
        &mgr,
        &systems::ListFilter {
            platform_id: Some(f.city.platform.clone()),
            state: Some("online".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(online.items.len(), count_of(&d.by_state, "online"));
    let online_link = &d.by_state.iter().find(|c| c.key == "online").unwrap().link;
    assert_eq!(
        online_link,
        &format!(
            "/cloud/systems?platform_id={}&state=online",
            f.city.platform
        )
    );
    let unit_a = systems::list(
        p,
        &mgr,
        &systems::ListFilter {
            platform_id: Some(f.city.platform.clone()),
            org_id: Some(f.city.unit_a_org.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(unit_a.items.len(), count_of(&d.by_unit, &f.city.unit_a_org));
    assert_eq!(count_of(&d.by_unit, &f.city.unit_a_org), 2);
    assert_eq!(count_of(&d.by_unit, &f.county_unit), 1);

    // The month's verdicts equal the month report's; the flagged systems
    // are the low and high ones.
    assert_eq!(d.usage_month.as_deref(), Some("2026-03"));
    assert_eq!(count_of(&d.verdicts, "low"), 2);
    assert_eq!(count_of(&d.verdicts, "high"), 1);
    assert_eq!(count_of(&d.verdicts, "mixed"), 0);
    assert_eq!(count_of(&d.verdicts, "insufficient"), 0);
    let r = usage::month_report(p, &mgr, &f.city.platform, Some("2026-03"))
        .await
        .unwrap();
    let low = r
        .lines
        .iter()
        .filter(|l| l.verdict == yunwei_domain::cloud::Verdict::Low)
        .count();
    assert_eq!(low, count_of(&d.verdicts, "low"));
    let mut flagged: Vec<&str> = d.flagged.iter().map(|s| s.system_id.as_str()).collect();
    flagged.sort();
    let mut want = vec![
        f.a_online.as_str(),
        f.b_trial.as_str(),
        f.county_online.as_str(),
    ];
    want.sort();
    assert_eq!(flagged, want);
    assert!(d.verdicts[0].link.starts_with(&format!(
        "/cloud/usage?platform={}&month=2026-03&verdict=low",
        f.city.platform
    )));

    // The application under review, with its running review deadline; the
    // ticket list of its process shows the same open tickets.
    assert_eq!(d.applications.len(), 1, "{:?}", d.applications);
    let a = &d.applications[0];
    assert_eq!(a.ticket_id, f.ticket);
    assert!(a.due_at.is_some(), "the review timer runs");
    assert_eq!(a.link, format!("/tickets/{}", f.ticket));
    let process = d
        .application_links
        .iter()
        .find(|(_, l)| l.contains("process=cloud_apply"))
        .expect("the apply process is found by its gate");
    assert_eq!(process.1, "/tickets?process=cloud_apply&open=true");
    let listed = yunwei_core::tickets::list(
        p,
        &mgr,
        &TicketFilter {
            process_id: Some("cloud_apply".into()),
            open_only: true,
            ..Default::default()
        },
        1,
        50,
    )
    .await
    .unwrap();
    assert_eq!(listed.total, 1);
    assert!(!d.applications.iter().any(|a| a.ticket_id == f.applying));

    // Overdue reports of the provider and the monitor, as the duty board
    // counts them.
    let reports = d.overdue_reports.as_ref().expect("the manager sees duties");
    assert!(!reports.is_empty());
    let board = duties::board(p, &mgr, &f.city.platform).await.unwrap();
    let on_board: usize = board
        .duties
        .iter()
        .filter(|x| matches!(x.who, "provider" | "monitor"))
        .map(|x| {
            x.occurrences
                .iter()
                .filter(|o| o.status == "overdue")
                .count()
        })
        .sum();
    assert_eq!(reports.len(), on_board);
    assert!(
        reports.iter().any(|r| r.duty == "云资源利用情况表"),
        "{reports:?}"
    );

    // The latest bill by payer, computed and not yet verified.
    let b = d.bill.as_ref().expect("a bill was computed");
    assert_eq!(b.month, "2026-03");
    assert_eq!(b.state_label, "待核实");
    assert_eq!(b.link, format!("/cloud/bills/{}", bill.id));
    let full = billing::get(p, &mgr, &bill.id).await.unwrap();
    assert_eq!(b.by_payer, full.by_payer);
    assert_eq!(b.total, full.total);
    assert!(!b.by_payer.is_empty());
    f.app.cleanup().await;
}

#[tokio::test]
async fn cloud_dashboard_counts_under_the_callers_scope() {
    let f = fixture().await;
    let p = &f.app.platform;
    // The county manager: its county's unit only.
    let county = who(&f.app, "county_mgr").await;
    let d = dashboard::dashboard(p, &county, &f.city.platform, Some("2026-03"))
        .await
        .unwrap();
    assert_eq!(d.systems_total, 1);
    assert_eq!(d.by_unit.len(), 1);
    assert_eq!(d.by_unit[0].key, f.county_unit);
    assert_eq!(count_of(&d.verdicts, "low"), 1);
    assert_eq!(count_of(&d.verdicts, "high"), 0);
    assert!(d.applications.is_empty(), "{:?}", d.applications);

    // Another unit's staff: its own system only, no bills, no duties.
    let unit_b = who(&f.app, "unit_b").await;
    let d = dashboard::dashboard(p, &unit_b, &f.city.platform, Some("2026-03"))
        .await
        .unwrap();
    assert_eq!(d.systems_total, 1);
    assert_eq!(count_of(&d.by_state, "trial"), 1);
    assert_eq!(count_of(&d.verdicts, "low"), 0);
    assert_eq!(count_of(&d.verdicts, "high"), 1);
    assert!(d.applications.is_empty());
    assert!(d.overdue_reports.is_none());
    assert!(d.bill.is_none());

    // The provider sees every system of the platform it runs.
    let prov = who(&f.app, "cloud_prov").await;
    let d = dashboard::dashboard(p, &prov, &f.city.platform, Some("2026-03"))
        .await
        .unwrap();
    assert_eq!(d.systems_total, 4);
    assert!(d.bill.is_none());

    // A vendor with nothing to do with the cloud does not see it.
    let other = who(&f.app, "other_prov").await;
    let e = dashboard::dashboard(p, &other, &f.city.platform, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind, yunwei_domain::ErrorKind::NotFound);
    f.app.cleanup().await;
}

#[tokio::test]
async fn cloud_dashboard_page_and_api_render_in_chinese_without_identifiers() {
    let f = fixture().await;
    let app = &f.app;
    let b = Browser::login(app, "cloud_mgr").await;
    let r = b
        .get(&format!(
            "/cloud?platform_id={}&month=2026-03",
            f.city.platform
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    let scan = crate::page_walk::scan(&html);
    let text = scan.text.join("\n");
    for want in [
        "政务云总览",
        "各状态上云系统数",
        "利用率低",
        "办理中的申请",
        "服务商逾期未报的报告",
        "卫健委门户网站",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(
        crate::page_walk::uuids_in(&text).is_empty(),
        "{:?}",
        crate::page_walk::uuids_in(&text)
    );
    // The bars are links to the lists; overdue rows are red.
    assert!(scan.links.contains(&format!(
        "/cloud/systems?platform_id={}&state=online",
        f.city.platform
    )));
    assert!(scan.links.contains(&format!("/tickets/{}", f.ticket)));
    assert!(html.contains("<svg class=\"chart bar\""));
    assert!(html.contains("<tr class=\"overdue\">"));
    // The menu's first 政务云 entry, and the home page's block.
    assert!(scan.links.contains(&"/cloud".to_string()));
    let home = b.get("/").await.text();
    assert!(home.contains("id=\"dash-cloud\""), "{home}");
    assert!(home.contains("href=\"/cloud\""));

    // A unit's staff opens the page too, and sees no bill.
    let unit = Browser::login(app, "unit_b").await;
    let r = unit.get("/cloud").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!r.text().contains("云服务费用"));

    // The API answers the same figures (checked against the OpenAPI
    // document by the test kit).
    let token = app.login("cloud_mgr").await;
    let v = ok(app
        .get(
            &format!(
                "/api/v1/cloud/dashboard?platform_id={}&month=2026-03",
                f.city.platform
            ),
            Some(&token),
        )
        .await);
    assert_eq!(v["systems_total"], 4);
    assert_eq!(v["applications"].as_array().unwrap().len(), 1);
    f.app.cleanup().await;
}

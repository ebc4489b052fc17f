//! The monthly SLA report over the API: counts per process and level for a
//! month in China time, closed tickets counted in the month they closed,
//! breaches, the on-time rate, the Excel export, and the caller's scope.

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{json, Value};
use yunwei_domain::ids::new_id;
use yunwei_store::tickets::{self as tstore, TimerRow};
use yunwei_testkit::TestApp;

/// An emergency application change (no lead time), submitted at once by
/// the vendor serving the bureau (JSCZ-26 (1)).
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
    act(app, &vendor, &id, "submit", json!({})).await;
    id
}

async fn act(app: &TestApp, token: &str, id: &str, transition: &str, fields: Value) {
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(token),
            json!({"transition": transition, "fields": fields}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{transition}: {}", r.text());
}

/// Reviewed and rejected: the ticket reaches a final state.
async fn close(app: &TestApp, lead: &str, id: &str) {
    act(app, lead, id, "organise_review", json!({})).await;
    act(
        app,
        lead,
        id,
        "review_reject",
        json!({"review_opinion": "不具备实施条件"}),
    )
    .await;
}

/// A breached SLA timer, as the timer job leaves it, and the overdue flag.
async fn breach(app: &TestApp, id: &str) {
    let now = app.platform.now_us();
    let mut c = app.platform.db().begin().await.unwrap();
    tstore::upsert_timer(
        &mut c,
        &TimerRow {
            id: new_id(),
            ticket_id: id.to_string(),
            timer_id: "response".into(),
            status: "running".into(),
            started_at: now - 3_600_000_000,
            due_at: now - 60_000_000,
            warn_at: None,
            remaining_us: None,
            warned: true,
            breached: true,
            stopped_at: None,
        },
    )
    .await
    .unwrap();
    tstore::set_due(&mut c, id, Some(now - 60_000_000), true)
        .await
        .unwrap();
    c.commit().await.unwrap();
}

async fn report(app: &TestApp, token: &str, month: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/reports/sla?month={month}"), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn process<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["process"] == id)
        .unwrap_or_else(|| panic!("no process {id} in {r}"))
}

#[tokio::test]
async fn monthly_sla_report_counts_per_process_and_level_in_scope() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    // March (the clock stands at Monday 2026-03-02 09:00 in Beijing): three
    // changes in Nanjing, one closed now, one breached, and one incident at
    // the information centre without a level yet.
    let a = open_change(&app, &staff, "核心交换机配置变更").await;
    let b = open_change(&app, &staff, "堡垒机升级").await;
    let _still_open = open_change(&app, &staff, "等保整改").await;
    close(&app, &lead, &a).await;
    breach(&app, &b).await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&lead),
            json!({"pack": "jscz", "process": "incident", "title": "机房空调故障"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // April: the breached change closes late.
    app.clock.advance(Duration::days(31));
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    close(&app, &lead, &b).await;

    let march = report(&app, &lead, "2026-03").await;
    assert_eq!(march["month"], "2026-03");
    let change = process(&march, "change");
    assert_eq!(change["process_name"], "变更");
    assert_eq!(change["opened"], 3);
    assert_eq!(change["closed"], 1);
    assert_eq!(change["still_open"], 1, "{change}");
    assert_eq!(change["breached"], 1);
    assert_eq!(change["closed_on_time"], 1);
    assert_eq!(change["on_time_rate"], 1.0);
    let levels = change["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1);
    assert_eq!(levels[0]["level"], "emergency");
    assert_eq!(levels[0]["level_label"], "紧急变更");
    assert_eq!(levels[0]["opened"], 3);
    let incident = process(&march, "incident");
    assert_eq!(incident["opened"], 1);
    assert_eq!(incident["still_open"], 1);
    assert_eq!(incident["closed"], 0);
    assert_eq!(incident["on_time_rate"], Value::Null);
    assert_eq!(incident["levels"][0]["level"], Value::Null);
    assert_eq!(incident["levels"][0]["level_label"], "未定级");
    assert_eq!(march["total"]["opened"], 4);
    assert_eq!(march["total"]["still_open"], 2);

    // Closed tickets count in the month they closed; this one was late.
    let april = report(&app, &lead, "2026-04").await;
    assert_eq!(april["total"]["opened"], 0);
    assert_eq!(april["total"]["closed"], 1);
    assert_eq!(april["total"]["closed_on_time"], 0);
    assert_eq!(april["total"]["on_time_rate"], 0.0);
    // Nothing in February; the month boundary is midnight in Beijing.
    let feb = report(&app, &lead, "2026-02").await;
    assert_eq!(feb["total"]["opened"], 0);
    assert!(feb["processes"].as_array().unwrap().is_empty());
    assert_eq!(
        march["from"].as_i64().unwrap(),
        chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")
            .unwrap()
            .timestamp_micros()
    );

    // Scope: the Nanjing bureau sees its changes, not the centre's incident;
    // a user of another organisation sees nothing.
    let nj = report(&app, &staff, "2026-03").await;
    assert_eq!(nj["total"]["opened"], 3);
    assert_eq!(nj["processes"].as_array().unwrap().len(), 1);
    let unit = app.login("demo_unit").await;
    let other = report(&app, &unit, "2026-03").await;
    assert_eq!(other["total"]["opened"], 0);
    assert_eq!(other["total"]["closed"], 0);
    assert!(other["processes"].as_array().unwrap().is_empty());
    // System administrators read no business data.
    let sys = app.login("sysadmin").await;
    assert_eq!(
        app.get("/api/v1/reports/sla?month=2026-03", Some(&sys))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Bad months are refused with a clear message.
    for bad in ["2026-3", "2026-13", "March", "2026-03-01"] {
        let r = app
            .get(&format!("/api/v1/reports/sla?month={bad}"), Some(&lead))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.json()["code"], "report.month_invalid");
    }

    // The Excel export needs a reason and is audited.
    let r = app
        .get("/api/v1/reports/sla/export.xlsx?month=2026-03", Some(&lead))
        .await;
    assert_eq!(r.json()["code"], "audit.reason_required");
    let r = app
        .get(
            "/api/v1/reports/sla/export.xlsx?month=2026-03&reason=%E6%9C%88%E6%8A%A5",
            Some(&lead),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"));
    let aud = app.login("audadmin").await;
    let trail = app
        .get("/api/v1/audit?action=report.export", Some(&aud))
        .await
        .json();
    assert_eq!(trail["records"].as_array().unwrap().len(), 1, "{trail}");
    app.cleanup().await;
}

/// The fault statistics of a year, as (type, faults, still open, items).
async fn fault_lines(app: &TestApp, token: &str, year: &str) -> Vec<(String, i64, i64, i64)> {
    let r = app
        .get(&format!("/api/v1/reports/faults?year={year}"), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                format!(
                    "{}/{}",
                    l["category_label"].as_str().unwrap(),
                    l["ci_type"].as_str().unwrap()
                ),
                l["faults"].as_i64().unwrap(),
                l["still_open"].as_i64().unwrap(),
                l["items"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line_of(lines: &[(String, i64, i64, i64)], ty: &str) -> (i64, i64, i64) {
    lines
        .iter()
        .find(|l| l.0 == ty)
        .map_or((0, 0, 0), |l| (l.1, l.2, l.3))
}

/// EEDS-3.5.2 「统计出各类型设备在运行过程中曾出现的故障」: the fault tickets of
/// the year are counted per category and type of the items they name;
/// other processes are not faults; the export needs a reason and is
/// audited; the year is checked.
#[tokio::test]
async fn eeds_3_5_2_faults_are_counted_per_device_type() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let lead = app.login("demo_lead").await;
    let switch = "网络设备/数据中心交换机（华为 CE6881）";
    let storage = "硬件及存储/集中存储";
    let mut codes = vec![];
    for (name, cat, ty) in [
        ("核心交换机", "network", "数据中心交换机（华为 CE6881）"),
        ("核心存储阵列", "hardware", "集中存储"),
    ] {
        let r = app
            .post_json(
                "/api/v1/cis",
                Some(&lead),
                json!({"name": name, "category": cat, "ci_type": ty}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        codes.push(r.json()["ci"]["code"].as_str().unwrap().to_string());
    }
    let before = fault_lines(&app, &lead, "2026").await;
    let incident = |code: &str, title: &str| {
        json!({"pack": "eeds", "process": "incident", "title": title, "fields": {
            "title": title, "event_type": "fault", "system": code,
            "occurred_at": "2026-03-02T08:30:00+08:00", "description": "端口频繁翻转",
            "impact": "部分业务访问缓慢", "measures": "切换备用链路", "reported_to": "分管领导",
        }})
    };
    let mut ids = vec![];
    for (code, title) in [
        (&codes[0], "核心交换机端口故障"),
        (&codes[0], "核心交换机电源告警"),
        (&codes[1], "存储阵列控制器告警"),
    ] {
        let r = app
            .post_json("/api/v1/tickets", Some(&hw), incident(code, title))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    // The third one is solved and closed.
    act(&app, &hw, &ids[2], "report", json!({})).await;
    act(&app, &hw, &ids[2], "resolve", json!({})).await;
    act(
        &app,
        &hw,
        &ids[2],
        "record_and_close",
        json!({"cause": "控制器固件缺陷", "solution": "升级固件"}),
    )
    .await;
    let after = fault_lines(&app, &lead, "2026").await;
    let (f0, o0, _) = line_of(&before, switch);
    let (f1, o1, i1) = line_of(&after, switch);
    assert_eq!((f1 - f0, o1 - o0), (2, 2), "{after:?}");
    assert!(i1 >= 1);
    let (s0, so0, _) = line_of(&before, storage);
    let (s1, so1, _) = line_of(&after, storage);
    assert_eq!((s1 - s0, so1 - so0), (1, 0), "{after:?}");
    // Another year has none of them.
    let other = fault_lines(&app, &lead, "2025").await;
    assert_eq!(line_of(&other, switch).0, 0, "{other:?}");
    // The year is checked, in Chinese.
    let r = app.get("/api/v1/reports/faults?year=26", Some(&lead)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "report.year_invalid");
    // The export needs a reason.
    let r = app
        .get("/api/v1/reports/faults/export.xlsx?year=2026", Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = app
        .get(
            "/api/v1/reports/faults/export.xlsx?year=2026&reason=%E5%B9%B4%E5%BA%A6%E6%A3%80%E6%9F%A5",
            Some(&lead),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.body.starts_with(b"PK"));
    // The page shows the table, says a wrong year in Chinese, and exports.
    let b = crate::support::Browser::login(&app, "demo_lead").await;
    let page = b.get("/reports/faults?year=2026").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text()
            .contains("<td>网络设备</td><td>数据中心交换机（华为 CE6881）</td>"),
        "{}",
        page.text()
    );
    let page = b.get("/reports/faults?year=abc").await;
    assert!(page.text().contains("年份应为四位数字"), "{}", page.text());
    let r = b
        .post(
            "/reports/faults/export",
            &[("year", "2026"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = b
        .post(
            "/reports/faults/export",
            &[("year", "2026"), ("reason", "年度检查")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.cleanup().await;
}

//! The declarative registers (ADR 0006, issue 4) through the API, on the
//! test clock: backups and restore tests (EEDS-3.7, JSCZ-45), emergency
//! plans, drills and the go-live plan gate (JSCZ-7, NTCZ-3.4.1), asset
//! requisitions (JSCZ-9), vendor staff, NDAs and staff changes (JSCZ-37,
//! NTCZ-6.1.7), vendor reports drafted from the period's data (JSCZ-7),
//! clear errors, the permission matrix and the pages.

use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::org_id;
use crate::support::Browser;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

/// 10:00 in Beijing on that day.
fn beijing_morning(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    utc(y, m, d, 2, 0, 0)
}

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

async fn create(app: &TestApp, token: &str, register: &str, body: Value) -> Value {
    let r = app
        .post_json(&format!("/api/v1/registers/{register}"), Some(token), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{register}: {}", r.text());
    r.json()
}

async fn step(app: &TestApp, token: &str, register: &str, id: &str, step: &str) -> TestResponse {
    app.post_json(
        &format!("/api/v1/registers/{register}/{id}/steps/{step}"),
        Some(token),
        json!({"note": "测试"}),
    )
    .await
}

async fn detail(app: &TestApp, token: &str, register: &str, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/registers/{register}/{id}"), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn flags(d: &Value) -> Vec<String> {
    d["entry"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// The open and done occurrences of a kind, through the overview.
async fn controls_of(app: &TestApp, token: &str, kind: &str, status: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/api/v1/controls?kind={kind}&status={status}"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let o = r.json();
    ["overdue", "due_soon", "other"]
        .iter()
        .flat_map(|k| o[*k].as_array().unwrap().clone())
        .collect()
}

async fn backup_plan(app: &TestApp, token: &str, org: &str, frequency: &str) -> String {
    let plan = create(
        app,
        token,
        "backup_plans",
        json!({
            "org_id": org,
            "values": {
                "name": "预算一体化系统数据库备份",
                "scope": "数据库全库、程序包、操作日志",
                "covers_system": true,
                "covers_business": true,
                "covers_logs": true,
                "frequency": frequency,
                "location": "备份服务器 10.32.1.20",
                "offsite_location": "灾备中心",
                "retention_days": 180,
                "review_every": "monthly"
            }
        }),
    )
    .await;
    assert_eq!(plan["status"], "draft");
    id(&plan)
}

#[tokio::test]
async fn eeds_3_7_5_restore_test_older_than_a_year_flags_plan() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let deputy = app.login("demo_deputy").await;
    let center = org_id(&app, "信息中心").await;
    let plan = backup_plan(&app, &hw, &center, "daily").await;

    // EEDS-3.7.2: the plan runs once the deputy director approves it; the
    // operator who wrote it cannot.
    let r = step(&app, &hw, "backup_plans", &plan, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = step(&app, &deputy, "backup_plans", &plan, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "active");
    let r = step(&app, &deputy, "backup_plans", &plan, "approve").await;
    assert_eq!(code(&r), "register.step_not_allowed");

    // A restore test on 2026-03-02 (today on the test clock), and the
    // backup of the day.
    for (register, values) in [
        (
            "backup_logs",
            json!({"plan_id": plan, "performed_on": "2026-03-02", "outcome": "success", "size_mb": 5120, "checksum": "sm3:ab12"}),
        ),
        (
            "restore_tests",
            json!({"plan_id": plan, "tested_on": "2026-03-02", "backup_used": "2026-03-02 全库备份", "result": "pass"}),
        ),
    ] {
        create(&app, &hw, register, json!({ "values": values })).await;
    }
    let d = detail(&app, &hw, "backup_plans", &plan).await;
    assert!(flags(&d).is_empty(), "{:?}", flags(&d));
    assert_eq!(
        d["children"].as_array().unwrap().len(),
        3,
        "logs, reviews and restore tests"
    );
    // The next restore test is due a year later.
    let open = controls_of(&app, &hw, "restore_test", "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["due_date"], "2027-03-02");

    // Backups keep arriving; on the last day of the year the restore test
    // is not flagged (the monthly log reviews left undone are, apart).
    let restore_flags = |d: &Value| -> Vec<String> {
        flags(d)
            .into_iter()
            .filter(|f| f.contains("恢复测试") || f.contains("备份中断"))
            .collect()
    };
    app.clock.set(utc(2027, 3, 2, 15, 59, 59));
    let hw = app.login("demo_hwops").await;
    create(
        &app,
        &hw,
        "backup_logs",
        json!({"values": {"plan_id": plan, "performed_on": "2027-03-02", "outcome": "success"}}),
    )
    .await;
    let d = detail(&app, &hw, "backup_plans", &plan).await;
    assert!(restore_flags(&d).is_empty(), "{:?}", flags(&d));

    // From 00:00 on 2027-03-03 (Beijing) the test is more than a year old.
    app.clock.set(utc(2027, 3, 2, 16, 0, 0));
    let hw = app.login("demo_hwops").await;
    let d = detail(&app, &hw, "backup_plans", &plan).await;
    let f = flags(&d);
    assert!(
        f.iter()
            .any(|f| f.contains("恢复测试已超过一年") && f.contains("2026-03-02")),
        "{f:?}"
    );
    let overdue = controls_of(&app, &hw, "restore_test", "overdue").await;
    assert_eq!(overdue.len(), 1);
    // The list shows the flag too, and the job notifies once.
    let list = app
        .get("/api/v1/registers/backup_plans", Some(&hw))
        .await
        .json();
    assert!(list["entries"][0]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f.as_str().unwrap().contains("恢复测试已超过一年")));
    let sent = crate::support::run_jobs(&app.platform).await.unwrap();
    assert!(sent >= 1);
    assert_eq!(crate::support::run_jobs(&app.platform).await.unwrap(), 0);

    // A new, passed restore test clears the flag and answers the overdue
    // occurrence; a failed one would not.
    create(
        &app,
        &hw,
        "restore_tests",
        json!({"values": {"plan_id": plan, "tested_on": "2027-03-03", "backup_used": "2027-03-02 全库备份", "result": "fail"}}),
    )
    .await;
    assert!(flags(&detail(&app, &hw, "backup_plans", &plan).await)
        .iter()
        .any(|f| f.contains("恢复测试已超过一年")));
    create(
        &app,
        &hw,
        "restore_tests",
        json!({"values": {"plan_id": plan, "tested_on": "2027-03-03", "backup_used": "2027-03-02 全库备份", "result": "pass"}}),
    )
    .await;
    let d = detail(&app, &hw, "backup_plans", &plan).await;
    assert!(restore_flags(&d).is_empty(), "{:?}", flags(&d));
    assert!(controls_of(&app, &hw, "restore_test", "overdue")
        .await
        .is_empty());
    let open = controls_of(&app, &hw, "restore_test", "open").await;
    assert_eq!(open[0]["due_date"], "2028-03-03");
    app.cleanup().await;
}

/// EEDS-3.7.2 「制定备份计划，经过分管领导批准后组织实施」: the deputy
/// director approves a backup plan; a project lead or the director, who
/// hold the approval right of other registers, is refused (and audited)
/// and is not asked to approve it.
#[tokio::test]
async fn eeds_3_7_2_backup_plan_approved_by_deputy_director() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let center = org_id(&app, "信息中心").await;
    let plan = backup_plan(&app, &hw, &center, "daily").await;
    for who in ["demo_lead", "demo_director"] {
        let token = app.login(who).await;
        let r = step(&app, &token, "backup_plans", &plan, "approve").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.text());
        assert!(r.text().contains("中心分管主任"), "{}", r.text());
        let d = detail(&app, &token, "backup_plans", &plan).await;
        assert_eq!(d["entry"]["status"], "draft");
        assert_eq!(d["entry"]["steps"], json!([]), "{who}: {d}");
    }
    let deputy = app.login("demo_deputy").await;
    let d = detail(&app, &deputy, "backup_plans", &plan).await;
    assert_eq!(d["entry"]["steps"][0]["name"], "approve", "{d}");
    let r = step(&app, &deputy, "backup_plans", &plan, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "active");
    app.cleanup().await;
}

/// Changed for issue 16 (EEDS-3.7.2): the plan used to be approved here by
/// the project lead; it is now the deputy director (分管领导) who approves.
#[tokio::test]
async fn eeds_3_7_4_backups_that_stop_arriving_flag_the_plan_and_log_reviews_fall_due() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let deputy = app.login("demo_deputy").await;
    let center = org_id(&app, "信息中心").await;
    let plan = backup_plan(&app, &hw, &center, "daily").await;
    assert_eq!(
        step(&app, &deputy, "backup_plans", &plan, "approve")
            .await
            .status,
        StatusCode::OK
    );
    let log = |day: &str, outcome: &str| json!({"values": {"plan_id": plan, "performed_on": day, "outcome": outcome}});
    create(&app, &hw, "backup_logs", log("2026-03-02", "success")).await;
    // The next day the daily backup is not late yet.
    app.clock.set(beijing_morning(2026, 3, 3));
    let hw = app.login("demo_hwops").await;
    assert!(flags(&detail(&app, &hw, "backup_plans", &plan).await).is_empty());
    // Two days on, with only a failure logged, it is.
    app.clock.set(beijing_morning(2026, 3, 4));
    let hw = app.login("demo_hwops").await;
    create(&app, &hw, "backup_logs", log("2026-03-03", "failure")).await;
    let f = flags(&detail(&app, &hw, "backup_plans", &plan).await);
    assert!(
        f.iter()
            .any(|f| f.contains("备份中断") && f.contains("2026-03-02")),
        "{f:?}"
    );
    create(&app, &hw, "backup_logs", log("2026-03-04", "success")).await;
    assert!(flags(&detail(&app, &hw, "backup_plans", &plan).await).is_empty());

    // EEDS-3.7.4: the log is reviewed every month; March's review is
    // overdue from 1 April unless filed.
    let open = controls_of(&app, &hw, "backup_review", "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["due_date"], "2026-03-31");
    app.clock.set(beijing_morning(2026, 4, 1));
    let hw = app.login("demo_hwops").await;
    assert_eq!(
        controls_of(&app, &hw, "backup_review", "overdue")
            .await
            .len(),
        1
    );
    // The job rolls April's occurrence forward.
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(
        controls_of(&app, &hw, "backup_review", "open").await.len(),
        2
    );
    create(
        &app,
        &hw,
        "backup_reviews",
        json!({"values": {"plan_id": plan, "reviewed_on": "2026-04-01", "conclusion": "abnormal", "findings": "3月3日备份失败，已补做"}}),
    )
    .await;
    assert!(controls_of(&app, &hw, "backup_review", "overdue")
        .await
        .is_empty());
    let done = controls_of(&app, &hw, "backup_review", "done").await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["done_late"], true);

    // Records are filed once: a backup log cannot be amended.
    let logs = app
        .get(
            &format!("/api/v1/registers/backup_logs?parent_id={plan}"),
            Some(&hw),
        )
        .await
        .json();
    assert_eq!(logs["total"], 3);
    let first = logs["entries"][0]["id"].as_str().unwrap();
    let r = app
        .put_json(
            &format!("/api/v1/registers/backup_logs/{first}"),
            Some(&hw),
            json!({"expected_version": 1, "values": {"plan_id": plan, "performed_on": "2026-03-05", "outcome": "success"}}),
        )
        .await;
    assert_eq!(code(&r), "register.not_amendable");
    app.cleanup().await;
}

/// A ticket transition by `token`.
async fn take(
    app: &TestApp,
    token: &str,
    tid: &str,
    transition: &str,
    fields: Value,
) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{tid}/transitions"),
        Some(token),
        json!({"transition": transition, "fields": fields}),
    )
    .await
}

/// A change the vendor files (a simple application change, no launch):
/// (id, number), still a draft.
async fn change_draft(app: &TestApp, vendor: &str, fields: Value) -> (String, String) {
    let mut f = json!({
        "system": "统一公共支付系统", "description": "支付系统补丁", "reason": "修复批量支付超时",
        "level": "simple", "type": "application", "launch": "none",
        "planned_start": "2030-03-05T22:00:00+08:00"
    });
    for (k, v) in fields.as_object().unwrap() {
        f[k] = v.clone();
    }
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(vendor),
            json!({"pack": "jscz", "process": "change", "title": "支付系统补丁变更", "fields": f}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let t = r.json();
    (id(&t), t["number"].as_str().unwrap().to_string())
}

/// A simple application change submitted by `vendor` and approved by the
/// project lead (JSCZ-26 (3)): its number.
async fn approved_change(app: &TestApp, vendor: &str, lead: &str) -> String {
    let (cid, number) = change_draft(app, vendor, json!({})).await;
    for (token, transition, fields) in [
        (vendor, "submit", json!({})),
        (lead, "arrange_plan", json!({})),
        (
            vendor,
            "submit_plan",
            json!({"plan": "夜间补丁", "rollback_plan": "回退至 3.2.0"}),
        ),
        (lead, "approve_plan", json!({"plan_review_opinion": "同意"})),
    ] {
        let r = take(app, token, &cid, transition, fields).await;
        assert_eq!(r.status, StatusCode::OK, "{transition}: {}", r.text());
    }
    number
}

/// A release the vendor files, still a draft: (id, number).
async fn release_draft(app: &TestApp, vendor: &str) -> (String, String) {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(vendor),
            json!({
                "pack": "jscz",
                "process": "release",
                "title": "支付系统 3.2.1 补丁",
                "fields": {
                    "system": "统一公共支付系统",
                    "version_number": "3.2.1",
                    "upgrade_content": "修复批量支付超时",
                    "upgrade_plan": "3 月 5 日夜间升级"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let t = r.json();
    (id(&t), t["number"].as_str().unwrap().to_string())
}

/// A release through its route up to the patch installation: its checks
/// passed and its change approved before it is submitted.
async fn tested_release(app: &TestApp, vendor: &str, lead: &str) -> (String, String) {
    let (tid, number) = release_draft(app, vendor).await;
    let change = approved_change(app, vendor, lead).await;
    create(app, vendor, "prelaunch_checks", prelaunch(&number, "pass")).await;
    let act = |token: &str, body: Value| {
        let path = format!("/api/v1/tickets/{tid}/transitions");
        let token = token.to_string();
        async move {
            let r = app.post_json(&path, Some(&token), body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    };
    act(
        vendor,
        json!({"transition": "submit", "fields": {"change_number": change}}),
    )
    .await;
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/votes"),
            Some(lead),
            json!({"approval": "lead_approval", "approve": true, "comment": "同意"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    act(
        vendor,
        json!({"transition": "test_passed", "fields": {"test_result": "测试环境回归通过"}}),
    )
    .await;
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/tickets/{tid}/attachments?kind=backup&filename=backup.txt"
        ))
        .header(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {vendor}"),
        )
        .body(axum::body::Body::from("备份校验值"))
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::CREATED);
    (tid, number)
}

fn prelaunch(number: &str, vuln_scan: &str) -> Value {
    json!({"values": {
        "ticket_id": number, "package": "pay-3.2.1.tar.gz", "code_review": "pass",
        "reviewer": "李工（技术负责人）", "virus_scan": "pass", "vuln_scan": vuln_scan,
        "reports": "BD-2026-031, LD-2026-044", "fixes": "修复 2 个中危漏洞后复扫"
    }})
}

/// 「新信息系统或新功能上线前……必须对程序包进行病毒检测、漏洞扫描，按检测
/// 报告及时进行漏洞修复后方可启动变更流程」(JSCZ-42). Changed: the checks used
/// to gate only the patch installation (`start_patching`); the findings are
/// fixed before the upgrade is applied for, so they gate the submission.
#[tokio::test]
async fn jscz_42_release_is_submitted_only_after_passed_prelaunch_checks() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let (tid, number) = release_draft(&app, &vendor).await;
    let change = approved_change(&app, &vendor, &lead).await;
    let submit = json!({"change_number": change});
    let r = take(&app, &vendor, &tid, "submit", submit.clone()).await;
    assert_eq!(code(&r), "ticket.prelaunch_checks_required", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("JSCZ-42"));
    // A vulnerability scan that failed does not count.
    create(
        &app,
        &vendor,
        "prelaunch_checks",
        prelaunch(&number, "fail"),
    )
    .await;
    let r = take(&app, &vendor, &tid, "submit", submit.clone()).await;
    assert_eq!(code(&r), "ticket.prelaunch_checks_required");
    create(
        &app,
        &vendor,
        "prelaunch_checks",
        prelaunch(&number, "pass"),
    )
    .await;
    let r = take(&app, &vendor, &tid, "submit", submit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "requested");
    app.cleanup().await;
}

/// JSCZ-42 「新信息系统或新功能上线前」: a change that puts a new function or
/// a new system live (also as an infrastructure change) is submitted only
/// with passed checks on file; a service restart or an emergency fix is no
/// launch and is submitted without them.
#[tokio::test]
async fn jscz_42_only_new_systems_and_functions_need_checks_before_the_change_starts() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    for (level, kind, launch) in [
        ("normal", "application", "new_function"),
        ("major", "infrastructure", "new_system"),
    ] {
        let (cid, number) = change_draft(
            &app,
            &vendor,
            json!({"level": level, "type": kind, "launch": launch}),
        )
        .await;
        let r = take(&app, &vendor, &cid, "submit", json!({})).await;
        assert_eq!(
            code(&r),
            "ticket.prelaunch_checks_required",
            "{launch}: {}",
            r.text()
        );
        create(
            &app,
            &vendor,
            "prelaunch_checks",
            prelaunch(&number, "pass"),
        )
        .await;
        let r = take(&app, &vendor, &cid, "submit", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{launch}: {}", r.text());
        assert_eq!(r.json()["state"], "submitted");
    }
    // A restart and an emergency fix: no launch, no checks needed.
    for (level, kind) in [("simple", "application"), ("emergency", "application")] {
        let (cid, _) = change_draft(&app, &vendor, json!({"level": level, "type": kind})).await;
        let r = take(&app, &vendor, &cid, "submit", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{level}: {}", r.text());
    }
    app.cleanup().await;
}

/// 「具体按本制度第五章“变更管理流程”执行」(JSCZ-11) and 「启动变更程序且成功
/// 执行变更后」(JSCZ-16): the release's change number names a real change
/// ticket, approved, that the submitter may see; checked on submission,
/// the refusal naming the number.
#[tokio::test]
async fn jscz_11_release_change_number_names_an_approved_change_in_scope() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let (tid, number) = release_draft(&app, &vendor).await;
    create(
        &app,
        &vendor,
        "prelaunch_checks",
        prelaunch(&number, "pass"),
    )
    .await;
    let submit = |n: &str| json!({"change_number": n});
    // No such ticket.
    let r = take(&app, &vendor, &tid, "submit", submit("BG-20260302-00001")).await;
    assert_eq!(code(&r), "ticket.named_ticket_unknown", "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("BG-20260302-00001") && msg.contains("JSCZ-11"),
        "{msg}"
    );
    // A ticket that is not a change: the release itself.
    let r = take(&app, &vendor, &tid, "submit", submit(&number)).await;
    assert_eq!(code(&r), "ticket.named_ticket_unknown", "{}", r.text());
    // A change still waiting for its approval.
    let (cid, pending) = change_draft(&app, &vendor, json!({})).await;
    let r = take(&app, &vendor, &cid, "submit", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = take(&app, &vendor, &tid, "submit", submit(&pending)).await;
    assert_eq!(code(&r), "ticket.named_ticket_not_ready", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains(&pending));
    // An approved change of Suzhou, which this vendor does not see.
    let suzhou_vendor = crate::support::vendor_serving(&app, "苏州市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&suzhou_vendor),
            json!({"pack": "jscz", "process": "change", "title": "苏州非税补丁", "org_id": suzhou,
                   "fields": {"system": "苏州非税收入系统", "description": "补丁", "reason": "缺陷",
                              "level": "simple", "type": "application", "launch": "none",
                              "planned_start": "2030-03-05T22:00:00+08:00"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (sid, other) = (
        id(&r.json()),
        r.json()["number"].as_str().unwrap().to_string(),
    );
    for (token, transition, fields) in [
        (&suzhou_vendor, "submit", json!({})),
        (&lead, "arrange_plan", json!({})),
        (
            &suzhou_vendor,
            "submit_plan",
            json!({"plan": "补丁", "rollback_plan": "回退"}),
        ),
        (
            &lead,
            "approve_plan",
            json!({"plan_review_opinion": "同意"}),
        ),
    ] {
        let r = take(&app, token, &sid, transition, fields).await;
        assert_eq!(r.status, StatusCode::OK, "{transition}: {}", r.text());
    }
    let r = take(&app, &vendor, &tid, "submit", submit(&other)).await;
    assert_eq!(code(&r), "ticket.named_ticket_unknown", "{}", r.text());
    // Its own approved change.
    let change = approved_change(&app, &vendor, &lead).await;
    let r = take(&app, &vendor, &tid, "submit", submit(&change)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "requested");
    app.cleanup().await;
}

#[tokio::test]
async fn ntcz_3_4_1_release_without_golive_plan_cannot_be_implemented() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let (tid, number) = tested_release(&app, &vendor, &lead).await;
    let start =
        json!({"transition": "start_patching", "fields": {"backup_record": "已备份程序包及数据"}});
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/transitions"),
            Some(&vendor),
            start.clone(),
        )
        .await;
    assert_eq!(code(&r), "ticket.golive_plan_required", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains(&number));

    // A go-live plan names a release or change, with every part filled.
    let incomplete = app
        .post_json(
            "/api/v1/registers/golive_plans",
            Some(&vendor),
            json!({"values": {"ticket_id": number, "title": "3.2.1 上线应急方案", "scope": "支付系统"}}),
        )
        .await;
    assert_eq!(code(&incomplete), "register.field_required");
    let plan = create(
        &app,
        &vendor,
        "golive_plans",
        json!({"values": {
            "ticket_id": number,
            "title": "3.2.1 上线应急方案",
            "scope": "统一公共支付系统全部功能",
            "risks": "升级后批量支付可能失败",
            "pass_criteria": "批量支付 1000 笔全部成功",
            "fail_criteria": "任一笔支付失败或超时即回退",
            "method": "回退至 3.2.0 程序包并恢复数据库备份",
            "follow_up": "问题记入工单，次日复盘"
        }}),
    )
    .await;
    assert!(plan["title"].as_str().unwrap().contains("3.2.1"));
    let linked = plan["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ticket_id")
        .unwrap()
        .clone();
    assert_eq!(linked["value"], tid);
    assert!(linked["display"].as_str().unwrap().starts_with(&number));
    create(
        &app,
        &vendor,
        "prelaunch_checks",
        prelaunch(&number, "pass"),
    )
    .await;
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/transitions"),
            Some(&vendor),
            start,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "patching");
    // Only releases and changes take a go-live plan.
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&lead),
            json!({"pack": "jscz", "process": "incident", "title": "打印异常", "fields": {"system": "预算系统", "description": "无法打印"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let inc = r.json()["number"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            "/api/v1/registers/golive_plans",
            Some(&lead),
            json!({"values": {"ticket_id": inc, "title": "x", "scope": "x", "risks": "x", "pass_criteria": "x", "fail_criteria": "x", "method": "x", "follow_up": "x"}}),
        )
        .await;
    assert_eq!(code(&r), "register.golive_ticket", "{}", r.text());
    app.cleanup().await;
}

/// ZMDY-20: 「每年至少组织两次应急演练」. Changed for issue 16: the plan's
/// two drills were due one per half-year (overdue from 1 July without a
/// drill in the first half), which the text does not say; now the year's
/// drills are one occurrence, done when two were held within the year.
#[tokio::test]
async fn zmdy_20_two_drills_within_the_year_answer_the_plan_and_plans_keep_their_versions() {
    let app = TestApp::new().await;
    let soft = app.login("demo_soft").await;
    let center = org_id(&app, "信息中心").await;
    let plan = create(
        &app,
        &soft,
        "emergency_plans",
        json!({"org_id": center, "values": {
            "name": "预算一体化系统应急预案",
            "scope": "预算一体化系统",
            "content": "一、组织机构……",
            "contact": "赵雨婷 025-0000",
            "drills": "2"
        }}),
    )
    .await;
    let plan_id = id(&plan);
    let open = controls_of(&app, &soft, "drill", "open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["period_label"], "2026-01-01 至 2026-12-31");
    assert_eq!(open[0]["due_date"], "2026-12-31");
    let drill = |held_on: &str| json!({"values": {"plan_id": plan_id, "held_on": held_on, "kind": "tabletop", "scenario": "数据库主节点宕机", "participants": "软件科、厂商驻场", "findings": "切换脚本缺少权限", "follow_up": "7月10日前补齐"}});
    // One drill in the first half leaves the year's open.
    create(&app, &soft, "drills", drill("2026-04-10")).await;
    assert_eq!(controls_of(&app, &soft, "drill", "open").await.len(), 1);
    // No half-year deadline: nothing is overdue on 1 July.
    app.clock.set(utc(2026, 6, 30, 16, 0, 0));
    let soft = app.login("demo_soft").await;
    assert!(controls_of(&app, &soft, "drill", "overdue")
        .await
        .is_empty());
    // One drill by the end of the year is one too few.
    app.clock.set(utc(2026, 12, 31, 15, 59, 59));
    let soft = app.login("demo_soft").await;
    assert!(controls_of(&app, &soft, "drill", "overdue")
        .await
        .is_empty());
    app.clock.set(utc(2026, 12, 31, 16, 0, 0));
    let soft = app.login("demo_soft").await;
    assert_eq!(controls_of(&app, &soft, "drill", "overdue").await.len(), 1);
    assert!(
        flags(&detail(&app, &soft, "emergency_plans", &plan_id).await)
            .iter()
            .any(|f| f.starts_with("应急演练已逾期"))
    );
    // The second drill of the year, recorded late, completes it.
    create(&app, &soft, "drills", drill("2026-12-20")).await;
    assert!(controls_of(&app, &soft, "drill", "overdue")
        .await
        .is_empty());
    let d = detail(&app, &soft, "emergency_plans", &plan_id).await;
    let last = d["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "last_drill_on")
        .unwrap()
        .clone();
    assert_eq!(last["value"], "2026-12-20");

    // Amending the plan keeps the earlier version.
    let version = d["entry"]["version"].as_i64().unwrap();
    let r = app
        .put_json(
            &format!("/api/v1/registers/emergency_plans/{plan_id}"),
            Some(&soft),
            json!({"expected_version": version, "org_id": center, "values": {
                "name": "预算一体化系统应急预案（2026 修订）",
                "scope": "预算一体化系统",
                "content": "一、组织机构（调整）……",
                "contact": "赵雨婷 025-0000",
                "drills": "2"
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let stale = app
        .put_json(
            &format!("/api/v1/registers/emergency_plans/{plan_id}"),
            Some(&soft),
            json!({"expected_version": version, "org_id": center, "values": {
                "name": "x", "scope": "x", "content": "x", "contact": "x", "drills": "2"
            }}),
        )
        .await;
    assert_eq!(code(&stale), "register.changed");
    let d = detail(&app, &soft, "emergency_plans", &plan_id).await;
    assert_eq!(d["entry"]["version"], version + 1);
    let history = d["history"].as_array().unwrap();
    // The drill's date is the platform's, not a version of its own.
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["version"], version);
    assert!(history.iter().any(|h| h["values"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v[1] == "预算一体化系统应急预案")));
    app.cleanup().await;
}

/// JSCZ-7: 「定期形成工作计划、周报月报、总结报告」. Changed for issue 16: a
/// year's work plan was due at the end of the year it plans (on 1 January
/// of the next); a plan plans its year, so the pack's rule
/// (`vendor_report.plan.due = period_start`) makes it due before the year
/// starts, and the next year's plan is owed during this one. The summary
/// stays due at its year's end; a contract starting within a year owes
/// plans from its first whole year.
#[tokio::test]
async fn jscz_7_annual_plan_is_due_before_its_year() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let center = org_id(&app, "信息中心").await;
    create(
        &app,
        &lead,
        "vendor_contracts",
        json!({"org_id": center, "values": {
            "name": "2026-2027年预算一体化系统运维服务",
            "contract_no": "JS-2026-007",
            "vendor_org_id": vendor_org,
            "service_scope": "日常运维",
            "starts_on": "2026-03-02",
            "ends_on": "2027-12-31",
            "annual_plan": true,
            "annual_summary": true
        }}),
    )
    .await;
    let plans = controls_of(&app, &lead, "vendor_plan", "open").await;
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert_eq!(plans[0]["period_label"], "2027-01-01 至 2027-12-31");
    assert_eq!(plans[0]["due_date"], "2026-12-31");
    let summaries = controls_of(&app, &lead, "vendor_summary", "open").await;
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert_eq!(summaries[0]["period_label"], "2026-01-01 至 2026-12-31");
    assert_eq!(summaries[0]["due_date"], "2026-12-31");
    // The 2027 plan is overdue as 2027 begins (00:00 Beijing time), not
    // a year later.
    app.clock.set(utc(2026, 12, 31, 15, 59, 59));
    let lead = app.login("demo_lead").await;
    assert!(controls_of(&app, &lead, "vendor_plan", "overdue")
        .await
        .is_empty());
    app.clock.set(utc(2026, 12, 31, 16, 0, 0));
    let lead = app.login("demo_lead").await;
    let late = controls_of(&app, &lead, "vendor_plan", "overdue").await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["period_label"], "2027-01-01 至 2027-12-31");
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_9_asset_requisition_is_approved_by_the_owner_and_an_overdue_return_is_flagged() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let hw = app.login("demo_hwops").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let center = org_id(&app, "信息中心").await;
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"code": "HW-LAPTOP-01", "name": "运维笔记本", "category": "hardware", "org_id": center}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let values = |ci: &str| {
        json!({"values": {
            "ci_id": ci,
            "borrower_org_id": vendor_org,
            "borrower": "郑海峰",
            "purpose": "驻场巡检",
            "borrowed_on": "2026-03-02",
            "due_back": "2026-03-09"
        }})
    };
    let r = app
        .post_json(
            "/api/v1/registers/asset_requisitions",
            Some(&vendor),
            values("HW-NOPE"),
        )
        .await;
    assert_eq!(code(&r), "register.reference_unknown");
    assert!(r.json()["message"].as_str().unwrap().contains("HW-NOPE"));
    // The vendor requests the asset by its code; it belongs to the centre.
    let req = create(&app, &vendor, "asset_requisitions", values("HW-LAPTOP-01")).await;
    let rid = id(&req);
    assert_eq!(req["org_name"], "信息中心");
    assert_eq!(req["status"], "requested");
    // The borrower cannot approve, nor an operator without approval rights.
    for token in [&vendor, &hw] {
        let r = step(&app, token, "asset_requisitions", &rid, "approve").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    }
    let r = step(&app, &lead, "asset_requisitions", &rid, "approve").await;
    assert_eq!(r.json()["status"], "approved", "{}", r.text());
    // Due back on the 9th: flagged from the 10th.
    app.clock.set(utc(2026, 3, 9, 15, 59, 0));
    let vendor = app.login("demo_vendor").await;
    assert!(flags(&detail(&app, &vendor, "asset_requisitions", &rid).await).is_empty());
    app.clock.set(beijing_morning(2026, 3, 10));
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let f = flags(&detail(&app, &vendor, "asset_requisitions", &rid).await);
    assert!(
        f.iter()
            .any(|f| f.contains("逾期未归还") && f.contains("2026-03-09")),
        "{f:?}"
    );
    assert_eq!(
        controls_of(&app, &lead, "asset_return", "overdue")
            .await
            .len(),
        1
    );
    // The borrower returns it.
    let r = step(&app, &vendor, "asset_requisitions", &rid, "return").await;
    let e = r.json();
    assert_eq!(e["status"], "returned", "{e}");
    assert!(e["flags"].as_array().unwrap().is_empty());
    let returned = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "returned_on")
        .unwrap()
        .clone();
    assert_eq!(returned["value"], "2026-03-10");
    let r = step(&app, &vendor, "asset_requisitions", &rid, "return").await;
    assert_eq!(code(&r), "register.step_not_allowed");
    assert!(controls_of(&app, &lead, "asset_return", "overdue")
        .await
        .is_empty());
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_37_expired_nda_is_flagged_and_ntcz_6_1_7_staff_changes_need_the_purchaser() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let center = org_id(&app, "信息中心").await;
    let person = |name: &str| json!({"org_id": vendor_org, "values": {"name": name, "client_org_id": center, "username": "demo_vendor", "skills": "Oracle、Linux"}});
    let a = id(&create(&app, &vendor, "vendor_staff", person("郑海峰")).await);
    let b = id(&create(&app, &vendor, "vendor_staff", person("王磊")).await);
    // The purchaser sees the vendor's staff; no NDA yet.
    let d = detail(&app, &lead, "vendor_staff", &a).await;
    assert!(flags(&d).iter().any(|f| f.contains("未签订保密协议")));
    // Dates the wrong way round are refused.
    let r = app
        .post_json(
            "/api/v1/registers/ndas",
            Some(&vendor),
            json!({"values": {"staff_id": a, "signed_on": "2026-03-01", "valid_from": "2026-03-01", "valid_to": "2026-02-28", "counterparty": "江苏省财政厅"}}),
        )
        .await;
    assert_eq!(code(&r), "register.dates_reversed");
    create(
        &app,
        &vendor,
        "ndas",
        json!({"values": {"staff_id": a, "signed_on": "2026-03-01", "valid_from": "2026-03-01", "valid_to": "2026-12-31", "counterparty": "江苏省财政厅"}}),
    )
    .await;
    assert!(flags(&detail(&app, &lead, "vendor_staff", &a).await).is_empty());
    // Expired from 1 January.
    app.clock.set(beijing_morning(2027, 1, 1));
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let f = flags(&detail(&app, &lead, "vendor_staff", &a).await);
    assert!(
        f.iter().any(|f| f.contains("保密协议已于 2026-12-31 到期")),
        "{f:?}"
    );
    assert_eq!(controls_of(&app, &lead, "nda", "overdue").await.len(), 1);
    create(
        &app,
        &vendor,
        "ndas",
        json!({"values": {"staff_id": a, "signed_on": "2027-01-01", "valid_from": "2027-01-01", "valid_to": "2027-12-31", "counterparty": "江苏省财政厅"}}),
    )
    .await;
    assert!(flags(&detail(&app, &lead, "vendor_staff", &a).await)
        .iter()
        .all(|f| !f.contains("保密协议")));
    assert!(controls_of(&app, &lead, "nda", "overdue").await.is_empty());

    // NTCZ-6.1.7: the vendor may not make anyone project manager itself.
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_staff/{b}"),
            Some(&vendor),
            json!({"expected_version": 1, "org_id": vendor_org, "values": {"name": "王磊", "client_org_id": center, "post": "pm"}}),
        )
        .await;
    assert_eq!(code(&r), "register.field_unknown");
    let change = create(
        &app,
        &vendor,
        "staff_changes",
        json!({"org_id": center, "values": {"vendor_org_id": vendor_org, "change_kind": "pm", "leaving_id": a, "joining_id": b, "reason": "原项目经理调任"}}),
    )
    .await;
    let cid = id(&change);
    let r = step(&app, &vendor, "staff_changes", &cid, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let post = |d: &Value| {
        d["entry"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "post")
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(
        post(&detail(&app, &lead, "vendor_staff", &b).await),
        "engineer"
    );
    let r = step(&app, &lead, "staff_changes", &cid, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(post(&detail(&app, &lead, "vendor_staff", &b).await), "pm");
    assert_eq!(
        post(&detail(&app, &lead, "vendor_staff", &a).await),
        "engineer"
    );
    // A person of another organisation cannot be named.
    let other = id(&create(
        &app,
        &lead,
        "vendor_staff",
        json!({"org_id": center, "values": {"name": "李明", "client_org_id": center}}),
    )
    .await);
    let r = app
        .post_json(
            "/api/v1/registers/staff_changes",
            Some(&lead),
            json!({"org_id": center, "values": {"vendor_org_id": vendor_org, "change_kind": "onsite_in", "joining_id": other, "reason": "x"}}),
        )
        .await;
    assert_eq!(code(&r), "register.staff_change", "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_7_vendor_reports_are_drafted_from_the_period_and_due_every_week() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let hw = app.login("demo_hwops").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let center = org_id(&app, "信息中心").await;
    // Data of the week: a backup plan with a success and a failure.
    let plan = backup_plan(&app, &hw, &center, "daily").await;
    for (day, outcome) in [("2026-03-02", "success"), ("2026-03-03", "failure")] {
        create(
            &app,
            &hw,
            "backup_logs",
            json!({"values": {"plan_id": plan, "performed_on": day, "outcome": outcome}}),
        )
        .await;
    }
    let contract = create(
        &app,
        &lead,
        "vendor_contracts",
        json!({"org_id": center, "values": {
            "name": "2026年预算一体化系统运维服务",
            "contract_no": "JS-2026-001",
            "vendor_org_id": vendor_org,
            "service_scope": "日常运维、驻场服务",
            "starts_on": "2026-03-02",
            "ends_on": "2026-12-31",
            "weekly_report": true,
            "monthly_report": true
        }}),
    )
    .await;
    let cid = id(&contract);
    // The vendor sees its contract but neither files nor amends one.
    let seen = detail(&app, &vendor, "vendor_contracts", &cid).await;
    assert_eq!(seen["entry"]["can_amend"], false);
    let r = app
        .post_json(
            "/api/v1/registers/vendor_contracts",
            Some(&vendor),
            json!({"org_id": center, "values": {"name": "自拟合同", "contract_no": "X-1", "vendor_org_id": vendor_org, "service_scope": "x", "starts_on": "2026-03-02", "ends_on": "2026-12-31"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_contracts/{cid}"),
            Some(&vendor),
            json!({"expected_version": 1, "org_id": center, "values": {"name": "改", "contract_no": "JS-2026-001", "vendor_org_id": vendor_org, "service_scope": "x", "starts_on": "2026-03-02", "ends_on": "2027-12-31"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let weekly = controls_of(&app, &lead, "vendor_weekly", "open").await;
    assert_eq!(weekly.len(), 1);
    assert_eq!(weekly[0]["period_label"], "2026-03-02 至 2026-03-08");

    let r = app
        .post_json(
            "/api/v1/registers/vendor_reports/draft",
            Some(&vendor),
            json!({"contract_id": cid, "report_kind": "weekly", "period_start": "2026-03-02", "period_end": "2026-03-08"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json()["body"].as_str().unwrap().to_string();
    assert!(body.contains("2026年预算一体化系统运维服务周报"), "{body}");
    assert!(body.contains("备份 1 次成功、1 次失败"), "{body}");
    let r = app
        .post_json(
            "/api/v1/registers/vendor_reports/draft",
            Some(&vendor),
            json!({"contract_id": cid, "report_kind": "weekly", "period_start": "2026-03-08", "period_end": "2026-03-02"}),
        )
        .await;
    assert_eq!(code(&r), "register.dates_reversed");

    // Missed: overdue from Monday 9 March.
    app.clock.set(beijing_morning(2026, 3, 9));
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    assert_eq!(
        controls_of(&app, &lead, "vendor_weekly", "overdue")
            .await
            .len(),
        1
    );
    let report = create(
        &app,
        &vendor,
        "vendor_reports",
        json!({"values": {"contract_id": cid, "report_kind": "weekly", "period_start": "2026-03-02", "period_end": "2026-03-08", "body": body}}),
    )
    .await;
    let rid = id(&report);
    assert_eq!(report["status"], "draft");
    // Filing a draft is not submitting it.
    assert_eq!(
        controls_of(&app, &lead, "vendor_weekly", "overdue")
            .await
            .len(),
        1
    );
    let r = step(&app, &vendor, "vendor_reports", &rid, "submit").await;
    assert_eq!(r.json()["status"], "submitted", "{}", r.text());
    assert!(controls_of(&app, &lead, "vendor_weekly", "overdue")
        .await
        .is_empty());
    // Submitted reports are no longer amended; the purchaser accepts.
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_reports/{rid}"),
            Some(&vendor),
            json!({"expected_version": 2, "values": {"contract_id": cid, "report_kind": "weekly", "period_start": "2026-03-02", "period_end": "2026-03-08", "body": "改"}}),
        )
        .await;
    assert_eq!(code(&r), "register.not_amendable_now");
    assert_eq!(
        step(&app, &vendor, "vendor_reports", &rid, "accept")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        step(&app, &lead, "vendor_reports", &rid, "accept")
            .await
            .json()["status"],
        "accepted"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn register_input_errors_are_clear_and_write_nothing() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let center = org_id(&app, "信息中心").await;
    let cases = [
        (
            "backup_plans",
            json!({"org_id": center, "values": {"name": "x"}}),
            "register.field_required",
            "备份内容",
        ),
        (
            "trainings",
            json!({"org_id": center, "values": {"held_on": "2026-02-30", "topic": "t", "kind": "staff", "hours": 2, "participants": "p"}}),
            "register.field_invalid",
            "2026-02-30",
        ),
        (
            "trainings",
            json!({"org_id": center, "values": {"held_on": "2026-03-01", "topic": "t", "kind": "party", "hours": 2, "participants": "p"}}),
            "register.field_invalid",
            "最终用户培训",
        ),
        (
            "trainings",
            json!({"org_id": center, "values": {"held_on": "2026-03-01", "topic": "t", "kind": "staff", "hours": 0, "participants": "p"}}),
            "register.field_invalid",
            "学时",
        ),
        (
            "trainings",
            json!({"org_id": center, "values": {"held_on": "2026-03-01", "topic": "t", "kind": "staff", "hours": 2, "participants": "p", "teacher": "x"}}),
            "register.field_unknown",
            "teacher",
        ),
        (
            "trainings",
            json!({"values": {"held_on": "2026-03-01", "topic": "t", "kind": "staff", "hours": 2, "participants": "p"}}),
            "register.org_required",
            "所属机构",
        ),
        (
            "no_such_register",
            json!({"values": {}}),
            "not_found",
            "台账",
        ),
    ];
    for (register, body, expected, words) in cases {
        let r = app
            .post_json(&format!("/api/v1/registers/{register}"), Some(&hw), body)
            .await;
        assert_eq!(code(&r), expected, "{register}: {}", r.text());
        assert!(
            r.json()["message"].as_str().unwrap().contains(words),
            "{}",
            r.text()
        );
    }
    for register in ["backup_plans", "trainings"] {
        let r = app
            .get(&format!("/api/v1/registers/{register}"), Some(&hw))
            .await;
        assert_eq!(r.json()["total"], 0, "{register}");
    }
    app.cleanup().await;
}

/// Who may read, file and approve the registers: the centre's roles keep
/// and (leaders) approve across the province; business staff read their
/// own organisation; vendor engineers keep their own organisation's and
/// what names them as partner; the administrators see none (JSCZ-50).
#[tokio::test]
async fn registers_permission_matrix() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let training = |org: &str| json!({"org_id": org, "values": {"held_on": "2026-03-01", "topic": "等保培训", "kind": "security", "hours": 2, "participants": "全体"}});
    let in_nanjing = id(&create(&app, &lead, "trainings", training(&nanjing)).await);
    let in_vendor = id(&create(&app, &lead, "trainings", training(&vendor_org)).await);
    // Nanjing's technical archive and inspection plan (ADR 0005 registers).
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/archives?title=%E7%BD%91%E7%BB%9C%E5%9B%BE&kind=network_diagram&org_id={nanjing}&filename=net.txt"
        ))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {lead}"))
        .body(axum::body::Body::from("核心交换机—防火墙"))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json();
    let doc_id = id(&doc);
    let version_id = doc["versions"][0]["id"].as_str().unwrap().to_string();
    let plan_body = |org: &str| json!({"name": "机房巡检", "kind": "inspection", "recurrence": "weekly", "checklist": ["温湿度", "UPS"], "org_id": org});
    let r = app
        .post_json("/api/v1/inspection-plans", Some(&lead), plan_body(&nanjing))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let plan_id = r.json()["plan"]["id"].as_str().unwrap().to_string();
    // (actor, reads nanjing's, reads vendor's, files in nanjing, files in
    // vendor org, approves a backup plan); the archive and the inspection
    // plan follow the first and third columns, downloading an archive the
    // third. Issue 16: EEDS-3.7.2 names the 分管领导 alone as the backup
    // plan's approver, so the director and the project lead, who held the
    // approval right before, no longer approve it.
    let expected = [
        ("demo_director", true, true, true, true, false),
        ("demo_deputy", true, true, true, true, true),
        ("demo_lead", true, true, true, true, false),
        ("demo_hwops", true, true, true, true, false),
        ("demo_soft", true, true, true, true, false),
        ("demo_staff", true, false, false, false, false),
        ("demo_unit", false, false, false, false, false),
        ("demo_vendor", false, true, false, true, false),
        ("demo_vendor_admin", false, false, false, false, false),
        ("nj_sysadmin", false, false, false, false, false),
        ("nj_secadmin", false, false, false, false, false),
        ("nj_audadmin", false, false, false, false, false),
    ];
    let mut failures = vec![];
    for (actor, read_nj, read_v, file_nj, file_v, approve) in expected {
        let token = app.login(actor).await;
        let ok = |r: &TestResponse| r.status.is_success();
        let got_read_nj = ok(&app
            .get(
                &format!("/api/v1/registers/trainings/{in_nanjing}"),
                Some(&token),
            )
            .await);
        let got_read_v = ok(&app
            .get(
                &format!("/api/v1/registers/trainings/{in_vendor}"),
                Some(&token),
            )
            .await);
        let got_file_nj = ok(&app
            .post_json(
                "/api/v1/registers/trainings",
                Some(&token),
                training(&nanjing),
            )
            .await);
        let got_file_v = ok(&app
            .post_json(
                "/api/v1/registers/trainings",
                Some(&token),
                training(&vendor_org),
            )
            .await);
        let plan = backup_plan(&app, &lead, &nanjing, "weekly").await;
        let got_approve = ok(&step(&app, &token, "backup_plans", &plan, "approve").await);
        let got = (
            got_read_nj,
            got_read_v,
            got_file_nj,
            got_file_v,
            got_approve,
        );
        let want = (read_nj, read_v, file_nj, file_v, approve);
        if got != want {
            failures.push(format!("{actor}: got {got:?}, want {want:?}"));
        }
        let others = (
            ok(&app
                .get(&format!("/api/v1/archives/{doc_id}"), Some(&token))
                .await),
            ok(&app
                .get(
                    &format!("/api/v1/archive-versions/{version_id}/download"),
                    Some(&token),
                )
                .await),
            ok(&app
                .get(&format!("/api/v1/inspection-plans/{plan_id}"), Some(&token))
                .await),
            ok(&app
                .post_json(
                    "/api/v1/inspection-plans",
                    Some(&token),
                    plan_body(&nanjing),
                )
                .await),
        );
        if others != (read_nj, file_nj, read_nj, file_nj) {
            failures.push(format!(
                "{actor}: archive read/download, plan read/create got {others:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.cleanup().await;
}

#[tokio::test]
async fn register_pages_list_file_amend_step_and_export() {
    let app = TestApp::new().await;
    let b = Browser::login(&app, "demo_lead").await;
    let center = org_id(&app, "信息中心").await;
    let index = b.get("/registers").await;
    assert_eq!(index.status, StatusCode::OK);
    let html = index.text();
    for label in ["备份计划", "应急预案", "厂商人员", "资产领用", "培训记录"] {
        assert!(html.contains(label), "{label}");
    }
    // The form shows the fields; a bad date comes back with the values.
    let form = b.get("/registers/trainings/new").await.text();
    assert!(form.contains("name=\"held_on\"") && form.contains("培训类型"));
    let bad = b
        .post(
            "/registers/trainings/new",
            &[
                ("org_id", &center),
                ("held_on", "2026-13-01"),
                ("topic", "密评培训"),
                ("kind", "security"),
                ("hours", "3"),
                ("participants", "软件科全体"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let text = bad.text();
    assert!(
        text.contains("2026-13-01") && text.contains("密评培训"),
        "{text}"
    );
    let ok = b
        .post(
            "/registers/trainings/new",
            &[
                ("org_id", &center),
                ("held_on", "2026-03-01"),
                ("topic", "密评培训"),
                ("kind", "security"),
                ("hours", "3"),
                ("participants", "软件科全体"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let at = ok.header("location").unwrap().to_string();
    assert!(at.starts_with("/registers/trainings/"));
    let page = b.get(&at).await.text();
    assert!(page.contains("已登记") && page.contains("密评培训") && page.contains("安全保密培训"));
    // Amend it: the history keeps version 1.
    let entry_path = at.split('?').next().unwrap().to_string();
    let edit = b.get(&format!("{entry_path}/edit")).await.text();
    assert!(edit.contains("name=\"expected_version\" value=\"1\""));
    let saved = b
        .post(
            &format!("{entry_path}/edit"),
            &[
                ("expected_version", "1"),
                ("org_id", &center),
                ("held_on", "2026-03-01"),
                ("topic", "商用密码应用安全性评估培训"),
                ("kind", "security"),
                ("hours", "4"),
                ("participants", "软件科全体"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = b.get(&entry_path).await.text();
    assert!(page.contains("商用密码应用安全性评估培训") && page.contains("第 1 版"));
    // The list filters by name and exports with a reason (audited).
    let list = b
        .get("/registers/trainings?q=%E5%AF%86%E7%A0%81")
        .await
        .text();
    assert!(list.contains("商用密码应用安全性评估培训"));
    let none = b
        .get("/registers/trainings?q=%E9%98%B2%E7%81%AB")
        .await
        .text();
    assert!(none.contains("没有符合条件的培训记录"));
    let refused = b
        .post("/registers/trainings/export", &[("reason", "")])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let x = b
        .post("/registers/trainings/export", &[("reason", "年度培训统计")])
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with(b"PK"));
    // A step from the page: approve a backup plan.
    let hw = app.login("demo_hwops").await;
    let plan = backup_plan(&app, &hw, &center, "weekly").await;
    let page = b
        .get(&format!("/registers/backup_plans/{plan}"))
        .await
        .text();
    // Issue 16: the project lead is not offered the approval (EEDS-3.7.2:
    // the 分管领导 approves); the deputy director approves from the page.
    assert!(!page.contains("分管领导批准") && page.contains("登记备份日志"));
    let deputy = Browser::login(&app, "demo_deputy").await;
    let page = deputy
        .get(&format!("/registers/backup_plans/{plan}"))
        .await
        .text();
    assert!(page.contains("分管领导批准"), "{page}");
    let r = deputy
        .post(
            &format!("/registers/backup_plans/{plan}/steps/approve"),
            &[("note", "同意")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b
        .get(&format!("/registers/backup_plans/{plan}"))
        .await
        .text();
    assert!(page.contains("执行中") && page.contains("备份日志检查"));
    // The vendor-report form drafts the body from the period.
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let contract = create(
        &app,
        &app.login("demo_lead").await,
        "vendor_contracts",
        json!({"org_id": center, "values": {"name": "运维服务", "contract_no": "C-1", "vendor_org_id": vendor_org, "service_scope": "运维", "starts_on": "2026-03-02", "ends_on": "2026-12-31", "monthly_report": true}}),
    )
    .await;
    let draft = b
        .get(&format!(
            "/registers/vendor_reports/new?parent_id={}&report_kind=monthly&period_start=2026-03-01&period_end=2026-03-31&draft=1",
            id(&contract)
        ))
        .await
        .text();
    assert!(
        draft.contains("运维服务月报（2026-03-01 至 2026-03-31）"),
        "{draft}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn demo_registers_seed_plans_records_and_some_overdue_items_once() {
    let app = TestApp::new().await;
    let p = &app.platform;
    yunwei_core::demo::tickets::seed(p).await.unwrap();
    yunwei_core::demo::cmdb::seed(p).await.unwrap();
    let n = yunwei_core::demo::registers::seed(p).await.unwrap();
    assert!(n > 20, "{n}");
    assert_eq!(yunwei_core::demo::registers::seed(p).await.unwrap(), 0);
    let lead = app.login("demo_lead").await;
    let plans = app
        .get("/api/v1/registers/backup_plans", Some(&lead))
        .await
        .json();
    assert_eq!(plans["total"], 2);
    assert!(plans["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("恢复测试已超过一年"))));
    let overdue = app
        .get("/api/v1/controls?status=overdue", Some(&lead))
        .await
        .json();
    let kinds: Vec<&str> = overdue["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    for k in ["restore_test", "vendor_weekly", "nda", "asset_return"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    // The last week's report is the only one missing.
    assert_eq!(kinds.iter().filter(|k| **k == "vendor_weekly").count(), 1);
    let staff = app
        .get(
            "/api/v1/registers/vendor_staff?q=%E7%8E%8B%E7%A3%8A",
            Some(&lead),
        )
        .await
        .json();
    assert!(staff["entries"][0]["flags"][0]
        .as_str()
        .unwrap()
        .contains("保密协议已于"));
    let pending = app
        .get(
            "/api/v1/registers/staff_changes?status=requested",
            Some(&lead),
        )
        .await
        .json();
    assert_eq!(pending["total"], 1);
    // Two special access grants: one in force, one ended and revoked by
    // the job, its removal awaiting confirmation (JSCZ-49).
    let sysop = app.login("demo_sysop").await;
    for (status, total) in [("active", 1), ("revoked", 1)] {
        let r = app
            .get(
                &format!("/api/v1/registers/access_grants?status={status}"),
                Some(&sysop),
            )
            .await
            .json();
        assert_eq!(r["total"], total, "{status}: {r}");
    }
    // Issue 13 item 10: archives, published knowledge and vulnerabilities.
    let n = yunwei_core::demo::library::seed(p).await.unwrap();
    assert_eq!(n, 11);
    assert_eq!(yunwei_core::demo::library::seed(p).await.unwrap(), 0);
    let docs = app.get("/api/v1/archives", Some(&lead)).await.json();
    assert_eq!(docs.as_array().unwrap().len(), 4, "{docs}");
    let published = app
        .get("/api/v1/knowledge?status=published", Some(&lead))
        .await
        .json();
    assert_eq!(published["total"], 3, "{published}");
    let vulns = app
        .get("/api/v1/registers/vulnerabilities", Some(&lead))
        .await
        .json();
    let statuses: Vec<&str> = vulns["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses.len(), 4, "{vulns}");
    assert_eq!(
        statuses.iter().filter(|s| **s == "fixed").count(),
        2,
        "{statuses:?}"
    );
    app.cleanup().await;
}

/// Every spec field has a column of its type in the tables migration 10
/// created (frozen in `store::migrate`), and every column a field; and the
/// real tables answer a select of every column (ADR 0006).
#[tokio::test]
async fn register_specs_match_the_migrated_tables() {
    use yunwei_domain::register::SPECS;
    use yunwei_store::migrate::{
        REGISTER_COLUMNS_V18, REGISTER_COLUMNS_V31, REGISTER_TABLES_V10, REGISTER_TABLES_V12,
        REGISTER_TABLES_V13, REGISTER_TABLES_V14, REGISTER_TABLES_V15, REGISTER_TABLES_V17,
        REGISTER_TABLES_V27, REGISTER_TABLES_V29, REGISTER_TABLES_V31,
    };
    use yunwei_store::migrate::{REGISTER_COLUMNS_V30, REGISTER_TABLES_V30};
    // Tables as created, with the columns later migrations added to them.
    let tables: Vec<(&str, Vec<(&str, bool)>)> = REGISTER_TABLES_V10
        .iter()
        .chain(REGISTER_TABLES_V12)
        .chain(REGISTER_TABLES_V13)
        .chain(REGISTER_TABLES_V14)
        .chain(REGISTER_TABLES_V15)
        .chain(REGISTER_TABLES_V17)
        .chain(REGISTER_TABLES_V27)
        .chain(REGISTER_TABLES_V29)
        .chain(REGISTER_TABLES_V30)
        .chain(REGISTER_TABLES_V31)
        .map(|(t, cols)| {
            let mut cols = cols.to_vec();
            for (to, added) in REGISTER_COLUMNS_V18
                .iter()
                .chain(REGISTER_COLUMNS_V30)
                .chain(REGISTER_COLUMNS_V31)
            {
                if to == t {
                    cols.extend_from_slice(added);
                }
            }
            (*t, cols)
        })
        .collect();
    for (to, _) in REGISTER_COLUMNS_V18
        .iter()
        .chain(REGISTER_COLUMNS_V30)
        .chain(REGISTER_COLUMNS_V31)
    {
        assert!(tables.iter().any(|(t, _)| t == to), "no table {to}");
    }
    assert_eq!(SPECS.len(), tables.len());
    let app = TestApp::new().await;
    for s in SPECS {
        let (_, cols) = tables
            .iter()
            .find(|(t, _)| *t == s.key)
            .unwrap_or_else(|| panic!("no table for {}", s.key));
        assert_eq!(cols.len(), s.fields.len(), "{}", s.key);
        for f in s.fields {
            let col = cols.iter().find(|(c, _)| *c == f.name);
            assert_eq!(
                col.map(|(_, int)| *int),
                Some(f.kind.is_int()),
                "{}.{}",
                s.key,
                f.name
            );
        }
        let mut c = app.platform.db().read().await.unwrap();
        let rows = yunwei_store::registers::find(&mut c, s, &[], 1)
            .await
            .unwrap();
        assert!(rows.is_empty(), "{}", s.key);
    }
    app.cleanup().await;
}

/// JSCZ-53: each UKEY goes to one administrator; where the installation
/// requires UKEYs, an administrator whose UKEY was reported lost cannot act
/// as administrator until a new one is issued.
#[tokio::test]
async fn jscz_53_administrator_whose_ukey_is_reported_lost_cannot_act_as_administrator() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let sys = app.login("sysadmin").await;
    let root = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::root(&mut c).await.unwrap().unwrap().id
    };
    let ukey = |serial: &str, holder: &str| json!({"org_id": root, "values": {"serial": serial, "holder": holder, "issued_on": "2026-03-02", "cert_fingerprint": format!("sm3:{serial}")}});
    // Requiring UKEYs is refused while the security admin holds none.
    let policy = |require: bool| {
        json!({
            "password_min_length": 8, "password_history": 5, "lockout_threshold": 5,
            "lockout_minutes": 30, "idle_timeout_minutes": 30, "audit_retention_days": 365,
            "api_token_max_days": 365, "require_ukey_for_admins": require, "reason": "等保三级双因素"
        })
    };
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), policy(true))
        .await;
    assert_eq!(code(&r), "policy.ukey_missing", "{}", r.text());
    // Only administrators get UKEYs, one each, a serial once.
    let r = app
        .post_json(
            "/api/v1/registers/ukeys",
            Some(&sec),
            ukey("UK-001", "demo_lead"),
        )
        .await;
    assert_eq!(code(&r), "register.ukey_holder", "{}", r.text());
    create(&app, &sec, "ukeys", ukey("UK-001", "secadmin")).await;
    let r = app
        .post_json(
            "/api/v1/registers/ukeys",
            Some(&sec),
            ukey("UK-001", "sysadmin"),
        )
        .await;
    assert_eq!(code(&r), "register.ukey_in_use");
    let sys_key = id(&create(&app, &sec, "ukeys", ukey("UK-002", "sysadmin")).await);
    let r = app
        .post_json(
            "/api/v1/registers/ukeys",
            Some(&sec),
            ukey("UK-003", "sysadmin"),
        )
        .await;
    assert_eq!(code(&r), "register.ukey_in_use");
    // Business users do not see the register.
    let lead = app.login("demo_lead").await;
    assert_eq!(
        app.get("/api/v1/registers/ukeys", Some(&lead)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), policy(true))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(
        app.get("/api/v1/users", Some(&sys)).await.status,
        StatusCode::OK
    );
    // The system administrator reports the key lost: no longer an
    // administrator, at once.
    let r = step(&app, &sys, "ukeys", &sys_key, "report_lost").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "lost");
    assert!(r.json()["flags"][0].as_str().unwrap().contains("已挂失"));
    assert_eq!(
        app.get("/api/v1/users", Some(&sys)).await.status,
        StatusCode::FORBIDDEN
    );
    let d = detail(&app, &sec, "ukeys", &sys_key).await;
    assert_eq!(d["controls"][0]["kind"], "ukey_reissue");
    assert!(d["controls"][0]["done_at"].is_null());
    // A new UKEY is issued: administrator again, the reissue answered.
    create(&app, &sec, "ukeys", ukey("UK-004", "sysadmin")).await;
    assert_eq!(
        app.get("/api/v1/users", Some(&sys)).await.status,
        StatusCode::OK
    );
    let d = detail(&app, &sec, "ukeys", &sys_key).await;
    assert!(!d["controls"][0]["done_at"].is_null());
    // Without the requirement a lost key does not matter.
    let r = app
        .put_json("/api/v1/security-policy", Some(&sec), policy(false))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-36: the local finance department grants database access only to an
/// engineer named in an NDA in force, through the bastion host; when the
/// NDA lapses the platform suspends the access until a new NDA, and
/// revokes it after its last day.
#[tokio::test]
async fn jscz_36_database_access_without_a_valid_nda_is_refused() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let center = org_id(&app, "信息中心").await;
    for (code, name, category) in [
        ("DB-NJ-01", "南京预算库", "base_software"),
        ("BH-01", "堡垒机", "network"),
    ] {
        let r = app
            .post_json(
                "/api/v1/cis",
                Some(&lead),
                json!({"code": code, "name": name, "category": category, "org_id": center}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let person = id(&create(
        &app,
        &vendor,
        "vendor_staff",
        json!({"org_id": vendor_org, "values": {"name": "郑海峰", "client_org_id": nanjing}}),
    )
    .await);
    let request = json!({"org_id": nanjing, "values": {
        "staff_id": person, "vendor_org_id": vendor_org, "database": "DB-NJ-01",
        "bastion": "BH-01", "rights": "query", "purpose": "核对指标数据",
        "valid_from": "2026-03-02", "valid_to": "2026-06-30"
    }});
    // There is no write right to ask for (JSCZ-32).
    let mut write = request.clone();
    write["values"]["rights"] = json!("write");
    let r = app
        .post_json("/api/v1/registers/db_access", Some(&vendor), write)
        .await;
    assert_eq!(code(&r), "register.field_invalid");
    let access = id(&create(&app, &vendor, "db_access", request.clone()).await);
    // No NDA: the department cannot grant it.
    let r = step(&app, &lead, "db_access", &access, "grant").await;
    assert_eq!(code(&r), "register.nda_required", "{}", r.text());
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("没有签订保密协议"));
    // The vendor cannot grant it to itself.
    create(
        &app,
        &vendor,
        "ndas",
        json!({"values": {"staff_id": person, "signed_on": "2026-03-01", "valid_from": "2026-03-01", "valid_to": "2026-04-30", "counterparty": "南京市财政局"}}),
    )
    .await;
    let r = step(&app, &vendor, "db_access", &access, "grant").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = step(&app, &lead, "db_access", &access, "grant").await;
    assert_eq!(r.json()["status"], "granted", "{}", r.text());
    assert!(r.json()["flags"].as_array().unwrap().is_empty());
    // The NDA lapses on 30 April: the access is suspended from 1 May.
    app.clock.set(beijing_morning(2026, 5, 1));
    let lead = app.login("demo_lead").await;
    let f = flags(&detail(&app, &lead, "db_access", &access).await);
    assert!(f.iter().any(|f| f.contains("数据库访问暂停")), "{f:?}");
    // A second request for the same engineer is now refused at once.
    let again = id(&create(&app, &lead, "db_access", request).await);
    let r = step(&app, &lead, "db_access", &again, "grant").await;
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("已于 2026-04-30 到期"));
    // The job suspends the access itself; it resumes only with a new NDA.
    crate::support::run_jobs(&app.platform).await.unwrap();
    let d = detail(&app, &lead, "db_access", &access).await;
    assert_eq!(d["entry"]["status"], "suspended", "{d}");
    let r = step(&app, &lead, "db_access", &access, "resume").await;
    assert_eq!(code(&r), "register.nda_required", "{}", r.text());
    let vendor = app.login("demo_vendor").await;
    create(
        &app,
        &vendor,
        "ndas",
        json!({"values": {"staff_id": person, "signed_on": "2026-05-01", "valid_from": "2026-05-01", "valid_to": "2027-04-30", "counterparty": "南京市财政局"}}),
    )
    .await;
    let r = step(&app, &lead, "db_access", &access, "resume").await;
    assert_eq!(r.json()["status"], "granted", "{}", r.text());
    // After its last day the job revokes it.
    app.clock.set(beijing_morning(2026, 7, 1));
    crate::support::run_jobs(&app.platform).await.unwrap();
    let lead = app.login("demo_lead").await;
    let d = detail(&app, &lead, "db_access", &access).await;
    assert_eq!(d["entry"]["status"], "revoked", "{d}");
    app.cleanup().await;
}

async fn import(
    app: &TestApp,
    token: &str,
    register: &str,
    dry_run: bool,
    body: Vec<u8>,
) -> TestResponse {
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/registers/{register}/import?dry_run={dry_run}"
        ))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    app.request(req).await
}

/// NTCZ-6.3.1 / JSCZ-42: a scan report is imported; each finding is tracked
/// to remediation by a due date set by its severity and closed by a
/// re-scan; bad rows are reported with their line and nothing else of them
/// is written.
#[tokio::test]
async fn ntcz_6_3_1_scan_report_import_tracks_each_finding_to_remediation() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let center = org_id(&app, "信息中心").await;
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"code": "APP-01", "name": "预算系统", "category": "application", "org_id": center}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let csv = "\u{feff}系统或设备（配置项编号）,漏洞名称,漏洞编号（CVE/CNVD）,危险等级,扫描报告,发现日期\n\
APP-01,Struts2 远程代码执行,CVE-2023-50164,critical,LD-2026-001,2026-03-02\n\
APP-01,\"弱口令, 后台\",,中危,LD-2026-001,2026-03-02\n\
APP-01,跨站脚本,CNVD-2026-1,严重,LD-2026-001,2026-03-02\n\
APP-01,信息泄露,,low,LD-2026-001,2026-02-30\n\
APP-99,目录遍历,,high,LD-2026-001,2026-03-02\n\
APP-01,Struts2 远程代码执行,CVE-2023-50164,critical,LD-2026-001,2026-03-02\n";
    // A dry run writes nothing.
    let r = import(
        &app,
        &lead,
        "vulnerabilities",
        true,
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["valid"].as_i64(), r.json()["created"].as_i64()),
        (Some(3), Some(0))
    );
    let list = app
        .get("/api/v1/registers/vulnerabilities", Some(&lead))
        .await
        .json();
    assert_eq!(list["total"], 0);
    let r = import(
        &app,
        &lead,
        "vulnerabilities",
        false,
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rep = r.json();
    assert_eq!(rep["rows"], 6);
    assert_eq!(rep["created"], 2);
    let errors: Vec<(i64, String)> = rep["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors.iter().map(|e| e.0).collect::<Vec<_>>(),
        [4, 5, 6, 7],
        "{errors:?}"
    );
    assert!(errors[0].1.contains("危险等级"), "{errors:?}");
    assert!(errors[1].1.contains("2026-02-30"), "{errors:?}");
    assert!(errors[2].1.contains("APP-99"), "{errors:?}");
    assert!(errors[3].1.contains("已登记且未关闭"), "{errors:?}");
    // Due by severity: critical in 7 days, medium in 90.
    let list = app
        .get(
            "/api/v1/registers/vulnerabilities?sort=due_on&order=asc",
            Some(&lead),
        )
        .await
        .json();
    let due: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == "due_on")
                .unwrap()["value"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(due, ["2026-03-09", "2026-05-31"]);
    let critical = list["entries"][0]["id"].as_str().unwrap().to_string();
    app.clock.set(beijing_morning(2026, 3, 10));
    let lead = app.login("demo_lead").await;
    assert!(
        flags(&detail(&app, &lead, "vulnerabilities", &critical).await)
            .iter()
            .any(|f| f.starts_with("漏洞修复已逾期"))
    );
    // Fixed, then closed by a re-scan: the occurrence is done.
    for s in ["mark_fixed", "rescan_passed"] {
        let r = step(&app, &lead, "vulnerabilities", &critical, s).await;
        assert_eq!(r.status, StatusCode::OK, "{s}: {}", r.text());
    }
    let d = detail(&app, &lead, "vulnerabilities", &critical).await;
    assert_eq!(d["entry"]["status"], "closed");
    assert!(flags(&d).is_empty());
    assert!(!d["controls"][0]["done_at"].is_null());
    // Wrong columns or no rows refuse the file whole.
    let r = import(
        &app,
        &lead,
        "vulnerabilities",
        false,
        "系统,名称\nAPP-01,x\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(code(&r), "register.import_file");
    let r = import(
        &app,
        &lead,
        "vulnerabilities",
        false,
        "系统或设备（配置项编号）,漏洞名称,危险等级,扫描报告,发现日期\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    assert!(r.json()["message"].as_str().unwrap().contains("没有数据行"));
    let r = import(&app, &lead, "backup_plans", false, csv.as_bytes().to_vec()).await;
    assert_eq!(code(&r), "register.not_importable");
    app.cleanup().await;
}

#[tokio::test]
async fn training_records_import_from_excel_with_their_organisation() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [&[&str]; 3] = [
        &[
            "所属机构",
            "培训日期",
            "培训主题",
            "培训类型",
            "学时",
            "参加人员",
        ],
        &[
            "南京市财政局",
            "2026-03-01",
            "一体化系统操作",
            "end_user",
            "4",
            "业务处室 30 人",
        ],
        &[
            "不存在的机构",
            "2026-03-01",
            "保密培训",
            "security",
            "2",
            "全体",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let r = import(&app, &lead, "trainings", false, bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rep = r.json();
    assert_eq!(rep["created"], 1, "{rep}");
    assert_eq!(rep["errors"][0]["line"], 3);
    assert!(rep["errors"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("不存在的机构"));
    let list = app
        .get("/api/v1/registers/trainings", Some(&lead))
        .await
        .json();
    assert_eq!(list["entries"][0]["org_name"], "南京市财政局");
    app.cleanup().await;
}

/// Every register's list and form render for a user who may file there
/// (the security registers for the security administrator), and the index
/// lists what each may read.
#[tokio::test]
async fn every_register_list_and_form_renders() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let sec = Browser::login(&app, "secadmin").await;
    for s in yunwei_domain::register::SPECS {
        let b = if s.read == yunwei_domain::roles::Action::RoleView {
            &sec
        } else {
            &lead
        };
        let list = b.get(&format!("/registers/{}", s.key)).await;
        assert_eq!(list.status, StatusCode::OK, "{}: {}", s.key, list.text());
        assert!(list.text().contains(s.label), "{}", s.key);
        if s.platform_filed {
            // Filed by the platform only (ADR 0007): no form.
            let form = b.get(&format!("/registers/{}/new", s.key)).await;
            assert_eq!(form.status, StatusCode::BAD_REQUEST, "{}", s.key);
            assert!(form.text().contains("自动登记"), "{}", s.key);
            assert!(!list.text().contains("id=\"new-entry\""), "{}", s.key);
        } else if s.parent.is_none() {
            let form = b.get(&format!("/registers/{}/new", s.key)).await;
            assert_eq!(form.status, StatusCode::OK, "{}: {}", s.key, form.text());
            for f in s.fields.iter().filter(|f| !f.locked) {
                assert!(
                    form.text().contains(&format!("name=\"{}\"", f.name)),
                    "{}.{}",
                    s.key,
                    f.name
                );
            }
        }
    }
    let index = sec.get("/registers").await.text();
    assert!(index.contains("管理员 UKEY") && !index.contains("备份计划"));
    app.cleanup().await;
}

/// JSCZ-10 / NTCZ-6.3.1: the access review lists who holds which rights
/// and what needs attention; the review of the platform's own audit trail
/// is the audit administrator's (the 等保 duty), with findings and a
/// summary opinion, filed once under their name. Issue 16 point 5: this
/// test was `eeds_3_7_1_reviews_are_generated_as_checklists_and_kept`; the
/// audit administrator's review is not EEDS-3.7.1's log review, which is
/// the maintenance staff's (`eeds_3_7_1_log_review_by_maintenance_staff_…`).
#[tokio::test]
async fn jscz_10_platform_reviews_are_generated_as_checklists_and_kept() {
    let app = TestApp::new().await;
    let sec = app.login("secadmin").await;
    let aud = app.login("audadmin").await;
    let root = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::root(&mut c).await.unwrap().unwrap().id
    };
    // A third party with a grant and no NDA shows up in the access review;
    // one whose grant names no end (the demo's grants end, JSCZ-49: one
    // from before that rule) is flagged.
    sqlx::query(
        "UPDATE role_grants SET valid_until = NULL WHERE user_id = \
         (SELECT id FROM users WHERE username = 'demo_vendor')",
    )
    .execute(app.platform.db().pool())
    .await
    .unwrap();
    let r = app
        .post_json(
            "/api/v1/registers/security_reviews/draft",
            Some(&sec),
            json!({"kind": "access_review", "period_start": "2026-01-01", "period_end": "2026-03-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json()["checklist"].as_str().unwrap().to_string();
    assert!(
        list.contains("权限审查（2026-01-01 至 2026-03-31）"),
        "{list}"
    );
    assert!(list.contains("demo_vendor"), "{list}");
    assert!(
        list.contains("demo_vendor 为第三方人员，授权未写明有效期"),
        "{list}"
    );
    // Business users cannot generate one.
    let lead = app.login("demo_lead").await;
    let r = app
        .post_json(
            "/api/v1/registers/security_reviews/draft",
            Some(&lead),
            json!({"kind": "access_review", "period_start": "2026-01-01", "period_end": "2026-03-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The log review: the audit trail summarised, filed by the audit admin.
    let r = app
        .post_json(
            "/api/v1/registers/security_reviews/draft",
            Some(&aud),
            json!({"kind": "log_review", "period_start": "2026-03-01", "period_end": "2026-03-31"}),
        )
        .await;
    let checklist = r.json()["checklist"].as_str().unwrap().to_string();
    assert!(checklist.contains("一、操作记录（共"), "{checklist}");
    assert!(checklist.contains("auth.login"), "{checklist}");
    let review = |kind: &str| {
        json!({"org_id": root, "values": {
            "kind": kind, "period_start": "2026-03-01", "period_end": "2026-03-31",
            "checklist": checklist, "findings": "3 月 2 日 5 次登录失败，已核实为本人输错",
            "opinion": "未见异常操作，建议继续按月审查"
        }})
    };
    let r = app
        .post_json(
            "/api/v1/registers/security_reviews",
            Some(&sec),
            review("log_review"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("审计管理员"));
    let kept = create(&app, &aud, "security_reviews", review("log_review")).await;
    let aud_name = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::users::by_username(&mut c, "audadmin")
            .await
            .unwrap()
            .unwrap()
            .display_name
    };
    assert_eq!(kept["created_by"], aud_name.as_str());
    assert_eq!(kept["can_amend"], false, "signed and kept as filed");
    // Kept: not amended afterwards.
    let r = app
        .put_json(
            &format!("/api/v1/registers/security_reviews/{}", id(&kept)),
            Some(&aud),
            json!({"expected_version": 1, "org_id": root, "values": {"kind": "log_review", "period_start": "2026-03-01", "period_end": "2026-03-31", "checklist": "x", "opinion": "改"}}),
        )
        .await;
    assert_eq!(code(&r), "register.not_amendable");
    // A self-check counts what is overdue and open.
    let r = app
        .post_json(
            "/api/v1/registers/security_reviews/draft",
            Some(&sec),
            json!({"kind": "self_check", "period_start": "2026-03-01", "period_end": "2026-03-31"}),
        )
        .await;
    assert!(r.json()["checklist"].as_str().unwrap().contains("二、漏洞"));
    app.cleanup().await;
}

/// JSCZ-10 / NTCZ-6.3.1: the platform administrators' reviews fall due
/// periodically at every level with a security or audit administrator
/// (the audit trail review monthly, access review and self-check
/// quarterly); an overdue one is notified to the holders of the role;
/// filing a review for the period answers it. Issue 16 point 5: this test
/// was `eeds_3_7_1_periodic_reviews_fall_due_…` and its notice said
/// 操作和安全日志审查; the audit administrator's review of the platform's own
/// trail is now labelled 平台审计日志审查, apart from EEDS-3.7.1's log review
/// by the maintenance staff.
#[tokio::test]
async fn jscz_10_periodic_reviews_fall_due_and_a_filed_review_answers_them() {
    let app = TestApp::new().await;
    let root = org_id(&app, "江苏省财政厅").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    crate::support::run_jobs(&app.platform).await.unwrap();
    let page = Browser::login(&app, "audadmin").await;
    let html = page.get("/registers/security_reviews").await.text();
    assert!(html.contains("应完成的定期审查"), "{html}");
    async fn open(
        c: &mut yunwei_store::DbConn,
        org: String,
    ) -> Vec<yunwei_store::controls::ControlRow> {
        yunwei_store::controls::of_subject(c, yunwei_core::reviews::SUBJECT, &org, 100)
            .await
            .unwrap()
    }
    let mut c = app.platform.db().read().await.unwrap();
    let at_root = open(&mut c, root.clone()).await;
    let kinds = |rows: &[yunwei_store::controls::ControlRow]| {
        let mut k: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.kind.clone(), r.period_end.clone().unwrap_or_default()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds(&at_root),
        [
            ("access_review".to_string(), "2026-03-31".to_string()),
            ("log_review".to_string(), "2026-03-31".to_string()),
            ("self_check".to_string(), "2026-03-31".to_string()),
            // The demo's maintenance staff and the managed systems'
            // security administrator hold their roles over the province
            // too: their log review (EEDS-3.7.1) and scan (JSCZ-10).
            ("system_log_review".to_string(), "2026-03-31".to_string()),
            ("vuln_scan".to_string(), "2026-03-31".to_string()),
        ]
    );
    // Nanjing has its own three administrators: its own reviews.
    assert_eq!(open(&mut c, nanjing.clone()).await.len(), 3);
    drop(c);
    // April: March's log review is overdue, the audit administrators are
    // told; the next month's occurrence exists.
    app.clock.set(beijing_morning(2026, 4, 1));
    crate::support::run_jobs(&app.platform).await.unwrap();
    let mut c = app.platform.db().read().await.unwrap();
    let aud_id = yunwei_store::users::by_username(&mut c, "audadmin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let notices = yunwei_store::tickets::notifications_of(&mut c, &aud_id, 20)
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == "control_overdue" && n.title.contains("平台审计日志审查")),
        "{notices:?}"
    );
    let logs: Vec<_> = open(&mut c, root.clone())
        .await
        .into_iter()
        .filter(|r| r.kind == "log_review")
        .collect();
    assert_eq!(logs.len(), 2, "{logs:?}");
    drop(c);
    // The audit administrator files March's log review: March answered,
    // April still open.
    let aud = app.login("audadmin").await;
    create(
        &app,
        &aud,
        "security_reviews",
        json!({"org_id": root, "values": {
            "kind": "log_review", "period_start": "2026-03-01", "period_end": "2026-03-31",
            "checklist": "逐项核对", "opinion": "未见异常"
        }}),
    )
    .await;
    let mut c = app.platform.db().read().await.unwrap();
    let logs: Vec<_> = open(&mut c, root.clone())
        .await
        .into_iter()
        .filter(|r| r.kind == "log_review")
        .map(|r| (r.period_end.unwrap_or_default(), r.done_at.is_some()))
        .collect();
    drop(c);
    assert!(logs.contains(&("2026-03-31".to_string(), true)), "{logs:?}");
    assert!(
        logs.contains(&("2026-04-30".to_string(), false)),
        "{logs:?}"
    );
    app.cleanup().await;
}

/// A step with its note (the opinion a review step keeps).
async fn step_noting(
    app: &TestApp,
    token: &str,
    register: &str,
    id: &str,
    step: &str,
    note: &str,
) -> TestResponse {
    app.post_json(
        &format!("/api/v1/registers/{register}/{id}/steps/{step}"),
        Some(token),
        json!({ "note": note }),
    )
    .await
}

/// The open and done review occurrences of `kind` at `org`:
/// (period end, done).
async fn review_occurrences(app: &TestApp, org: &str, kind: &str) -> Vec<(String, bool)> {
    let mut c = app.platform.db().read().await.unwrap();
    let mut out: Vec<(String, bool)> =
        yunwei_store::controls::of_subject(&mut c, yunwei_core::reviews::SUBJECT, org, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.period_end.unwrap_or_default(), r.done_at.is_some()))
            .collect();
    out.sort();
    out
}

/// The stored value of field `name` of an entry's detail.
fn field(d: &Value, name: &str) -> Value {
    d["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| f["value"].clone())
        .unwrap_or_else(|| panic!("no field {name}: {d}"))
}

/// A log review of March 2026 by the maintenance staff, with `logs`
/// (app, os, db) ticked as given.
fn system_log_review(org: &str, logs: [&str; 3], abnormal: &str, follow_up: &str) -> Value {
    json!({"org_id": org, "values": {
        "period_start": "2026-03-01", "period_end": "2026-03-31",
        "systems": "预算管理一体化系统、国库集中支付系统",
        "app_logs": logs[0], "os_logs": logs[1], "db_logs": logs[2],
        "abnormal_events": abnormal, "follow_up": follow_up,
        "opinion": "本月日志未见越权操作，3 月 5 日异常登录已处置，建议继续按月审查"
    }})
}

/// EEDS-3.7.1 「维护人员应定时对操作日志、安全日志进行审查，对异常事件及时跟进解决」
/// with 3.7.1.1..3.7.1.3: the log review of the managed systems falls due
/// monthly (a pack parameter: 「定时」 sets no period) where the maintenance
/// staff (运行保障科: hardware operations and software staff) sit, is filed
/// by them, not by another administrator, covers the application,
/// operating-system and database logs (each required) and follows up the
/// abnormal events it found; filing it answers the month due.
#[tokio::test]
async fn eeds_3_7_1_log_review_by_maintenance_staff_covers_app_os_db() {
    let app = TestApp::new().await;
    // The demo's maintenance staff maintain the systems of the whole
    // province (their roles are held over it): their review falls due there.
    let hw = org_id(&app, "江苏省财政厅").await;
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(
        review_occurrences(&app, &hw, "system_log_review").await,
        [("2026-03-31".to_string(), false)]
    );
    // The register's page lists it for the maintenance staff.
    let page = Browser::login(&app, "demo_hwops").await;
    let html = page.get("/registers/system_log_reviews").await.text();
    assert!(html.contains("信息系统日志审查"), "{html}");
    assert!(html.contains("2026-03-01 至 2026-03-31"), "{html}");
    let all = ["1", "1", "1"];
    // The managed systems' administrator in the same section keeps
    // registers, but is not 维护人员.
    let sysop = app.login("demo_sysop").await;
    let r = app
        .post_json(
            "/api/v1/registers/system_log_reviews",
            Some(&sysop),
            system_log_review(&hw, all, "", ""),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("维护人员"));
    let hwops = app.login("demo_hwops").await;
    // Each class of log is required: without the database logs, refused.
    let r = app
        .post_json(
            "/api/v1/registers/system_log_reviews",
            Some(&hwops),
            system_log_review(&hw, ["1", "1", ""], "", ""),
        )
        .await;
    assert_eq!(code(&r), "register.log_classes_missing", "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("数据库系统日志") && !msg.contains("操作系统日志："),
        "{msg}"
    );
    // An abnormal event needs its follow-up.
    let r = app
        .post_json(
            "/api/v1/registers/system_log_reviews",
            Some(&hwops),
            system_log_review(&hw, all, "3 月 5 日 root 异地登录", ""),
        )
        .await;
    assert_eq!(code(&r), "register.follow_up_missing", "{}", r.text());
    assert_eq!(
        review_occurrences(&app, &hw, "system_log_review").await,
        [("2026-03-31".to_string(), false)],
        "a refused review answers nothing"
    );
    let kept = create(
        &app,
        &hwops,
        "system_log_reviews",
        system_log_review(
            &hw,
            all,
            "3 月 5 日 root 异地登录",
            "已核实为厂商工程师经堡垒机登录未报备，已约谈并补办授权",
        ),
    )
    .await;
    assert_eq!(kept["status"], "submitted", "{kept}");
    assert_eq!(
        review_occurrences(&app, &hw, "system_log_review").await,
        [("2026-03-31".to_string(), true)]
    );
    // The audit administrator's review of the platform's own trail is a
    // separate duty, still open.
    assert_eq!(
        review_occurrences(&app, &hw, "log_review").await,
        [("2026-03-31".to_string(), false)]
    );
    app.cleanup().await;
}

/// EEDS-3.7.1 「形成日志审查汇总意见报分管领导及上级部门审核」: the deputy director
/// is told of a filed review and reviews its summary (the project lead,
/// who may approve other registers, is refused; the opinion is required);
/// then the higher department's review is recorded with its opinion.
#[tokio::test]
async fn eeds_3_7_1_log_review_summary_is_reviewed_by_the_deputy_director() {
    let app = TestApp::new().await;
    let hw = org_id(&app, "硬件运维科").await;
    let hwops = app.login("demo_hwops").await;
    let review = create(
        &app,
        &hwops,
        "system_log_reviews",
        system_log_review(&hw, ["1", "1", "1"], "", ""),
    )
    .await;
    let rid = id(&review);
    {
        let deputy = crate::support::user_id(&app, "demo_deputy").await;
        let mut c = app.platform.db().read().await.unwrap();
        let told = yunwei_store::tickets::notifications_of(&mut c, &deputy, 50)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|n| n.title.contains("信息系统日志审查") && n.title.contains("分管领导审核")),
            "{told:?}"
        );
    }
    // Neither the project lead nor the reviewer takes the leader's step.
    let lead = app.login("demo_lead").await;
    let r = step_noting(
        &app,
        &lead,
        "system_log_reviews",
        &rid,
        "leader_review",
        "同意",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("中心分管主任"));
    let r = step_noting(
        &app,
        &hwops,
        "system_log_reviews",
        &rid,
        "leader_review",
        "同意",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // The higher department reviews only what the leader reviewed.
    let r = step_noting(
        &app,
        &hwops,
        "system_log_reviews",
        &rid,
        "superior_review",
        "同意",
    )
    .await;
    assert_eq!(code(&r), "register.step_not_allowed", "{}", r.text());
    let deputy = app.login("demo_deputy").await;
    let r = step_noting(
        &app,
        &deputy,
        "system_log_reviews",
        &rid,
        "leader_review",
        " ",
    )
    .await;
    assert_eq!(code(&r), "register.review_opinion_missing", "{}", r.text());
    let r = step_noting(
        &app,
        &deputy,
        "system_log_reviews",
        &rid,
        "leader_review",
        "同意汇总意见，报上级部门",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = detail(&app, &hwops, "system_log_reviews", &rid).await;
    assert_eq!(d["entry"]["status"], "reviewed", "{d}");
    assert_eq!(field(&d, "leader_opinion"), "同意汇总意见，报上级部门");
    let r = step_noting(
        &app,
        &hwops,
        "system_log_reviews",
        &rid,
        "superior_review",
        "市大数据中心 2026-04-08 审核通过",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = detail(&app, &hwops, "system_log_reviews", &rid).await;
    assert_eq!(d["entry"]["status"], "closed", "{d}");
    assert_eq!(
        field(&d, "superior_opinion"),
        "市大数据中心 2026-04-08 审核通过"
    );
    app.cleanup().await;
}

/// EEDS-3.8.4 「在外网设备上设定病毒与木马拦截，路由管理帐号禁止透漏给非信息管理人员，
/// 设定非工作需求的网络软件禁止联网，禁止非允许的网络设备、软件连接工程处信息系统」: a
/// network-security check confirms all four measures or is refused, and
/// what it found says how it was fixed.
#[tokio::test]
async fn eeds_3_8_4_network_check_confirms_every_measure() {
    let app = TestApp::new().await;
    let hw = org_id(&app, "硬件运维科").await;
    let netop = app.login("demo_netop").await;
    let check = |ticked: [&str; 4], findings: &str, fixes: &str| {
        json!({"org_id": hw, "values": {
            "checked_on": "2026-03-02", "scope": "外网防火墙、核心路由器、办公终端",
            "checker": "黄涛",
            "antivirus": ticked[0], "router_accounts": ticked[1],
            "non_work_software": ticked[2], "unapproved_devices": ticked[3],
            "findings": findings, "fixes": fixes
        }})
    };
    let r = app
        .post_json(
            "/api/v1/registers/network_checks",
            Some(&netop),
            check(["1", "1", "", "1"], "", ""),
        )
        .await;
    assert_eq!(
        code(&r),
        "register.network_check_incomplete",
        "{}",
        r.text()
    );
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("非工作需求的网络软件"), "{msg}");
    assert!(!msg.contains("病毒与木马"), "{msg}");
    let r = app
        .post_json(
            "/api/v1/registers/network_checks",
            Some(&netop),
            check(["1", "1", "1", "1"], "一台终端安装了网盘客户端", ""),
        )
        .await;
    assert_eq!(code(&r), "register.fixes_missing", "{}", r.text());
    create(
        &app,
        &netop,
        "network_checks",
        check(
            ["1", "1", "1", "1"],
            "一台终端安装了网盘客户端",
            "已卸载并在防火墙封禁其域名",
        ),
    )
    .await;
    app.cleanup().await;
}

/// JSCZ-10 「定期对系统进行漏洞扫描，对发现的系统漏洞及时修补」: a scan falls due
/// every period (quarterly, a pack parameter: 「定期」 sets no number)
/// where the managed systems' security administrator sits; recording the
/// scan answers it; a missed quarter is notified as overdue; a scan's
/// findings registered in the vulnerability register answer it too.
#[tokio::test]
async fn jscz_10_vulnerability_scan_is_a_periodic_duty() {
    let app = TestApp::new().await;
    // The demo's security administrator of the managed systems holds the
    // role over the province: the scan falls due there.
    let centre = org_id(&app, "江苏省财政厅").await;
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(
        review_occurrences(&app, &centre, "vuln_scan").await,
        [("2026-03-31".to_string(), false)]
    );
    let secop = app.login("demo_secop").await;
    let scan = |day: &str, found: &str, remediation: &str| {
        json!({"org_id": centre, "values": {
            "scanned_on": day, "scope": "预算管理一体化系统全部服务器",
            "tool": "绿盟 RSAS 6.0", "report": format!("SCAN-{day}"),
            "found": found, "remediation": remediation
        }})
    };
    // Found some: how they are fixed is required.
    let r = app
        .post_json(
            "/api/v1/registers/vuln_scans",
            Some(&secop),
            scan("2026-03-10", "2", ""),
        )
        .await;
    assert_eq!(code(&r), "register.remediation_missing", "{}", r.text());
    create(
        &app,
        &secop,
        "vuln_scans",
        scan("2026-03-10", "2", "已登记漏洞台账，按期限修补"),
    )
    .await;
    assert_eq!(
        review_occurrences(&app, &centre, "vuln_scan").await,
        [("2026-03-31".to_string(), true)]
    );
    // The next quarter passes without a scan: overdue, the security
    // administrator is told.
    app.clock.set(beijing_morning(2026, 7, 1));
    crate::support::run_jobs(&app.platform).await.unwrap();
    assert_eq!(
        review_occurrences(&app, &centre, "vuln_scan").await,
        [
            ("2026-03-31".to_string(), true),
            ("2026-06-30".to_string(), false),
            ("2026-09-30".to_string(), false),
        ]
    );
    {
        let who = crate::support::user_id(&app, "demo_secop").await;
        let mut c = app.platform.db().read().await.unwrap();
        let told = yunwei_store::tickets::notifications_of(&mut c, &who, 50)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|n| n.kind == "control_overdue" && n.title.contains("漏洞扫描")),
            "{told:?}"
        );
    }
    // The late scan's findings imported into the vulnerability register
    // answer the missed quarter and the current one.
    let lead = app.login("demo_lead").await;
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"code": "APP-10", "name": "预算系统", "category": "application", "org_id": centre}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let csv = "\u{feff}系统或设备（配置项编号）,漏洞名称,漏洞编号（CVE/CNVD）,危险等级,扫描报告,发现日期\n\
APP-10,OpenSSH 远程代码执行,CVE-2024-6387,high,SCAN-2026-07-01,2026-07-01\n";
    let r = import(
        &app,
        &lead,
        "vulnerabilities",
        false,
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 1, "{}", r.text());
    assert_eq!(
        review_occurrences(&app, &centre, "vuln_scan").await,
        [
            ("2026-03-31".to_string(), true),
            ("2026-06-30".to_string(), true),
            ("2026-09-30".to_string(), true),
        ]
    );
    app.cleanup().await;
}

/// The centre's project lead and the vendor's engineer logged in, with the
/// centre's and the vendor's organisation ids: the two sides of the
/// vendor registers of issue 16.
async fn centre_and_vendor(app: &TestApp) -> (String, String, String, String) {
    (
        app.login("demo_lead").await,
        app.login("demo_vendor").await,
        org_id(app, "信息中心").await,
        org_id(app, "金陵数智运维服务有限公司").await,
    )
}

/// JSCZ-38, JSCZ-44, JSCZ-46, JSCZ-52, JSCZ-57: a third party's security
/// undertaking holds every commitment the text asks (「严禁……以省财政厅或省厅
/// 信息中心名义……发布」「严禁……将私人无线路由设备接入财政专网」「严禁……转包、分包……
/// 严禁采用远程控制等不安全运维方式」) or is refused; the vendor reads it and
/// cannot file one for itself; it is flagged once expired.
#[tokio::test]
async fn jscz_52_security_undertaking_needs_every_commitment() {
    let app = TestApp::new().await;
    let (lead, vendor, center, vendor_org) = centre_and_vendor(&app).await;
    let mut values = json!({
        "vendor_org_id": vendor_org, "signatory": "郑海峰", "signed_on": "2026-03-02",
        "valid_to": "2026-12-31", "no_publicity": true, "no_private_wireless": true,
        "no_document_leak": true, "no_subcontract": true, "no_remote_control": true,
        "no_unapproved_function": true, "no_backdoor": true,
        "no_disclosure": true,
    });
    // Without the acceptance of accountability (JSCZ-57): refused, named.
    let r = app
        .post_json(
            "/api/v1/registers/security_undertakings",
            Some(&lead),
            json!({"org_id": center, "values": values.clone()}),
        )
        .await;
    assert_eq!(code(&r), "register.undertaking_incomplete", "{}", r.text());
    assert!(r.text().contains("接受通知所属组织处理"), "{}", r.text());
    values["accepts_accountability"] = json!(true);
    // The vendor reads undertakings but does not file them.
    let r = app
        .post_json(
            "/api/v1/registers/security_undertakings",
            Some(&vendor),
            json!({"org_id": center, "values": values.clone()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let u = id(&create(
        &app,
        &lead,
        "security_undertakings",
        json!({"org_id": center, "values": values}),
    )
    .await);
    assert!(flags(&detail(&app, &vendor, "security_undertakings", &u).await).is_empty());
    app.clock.set(beijing_morning(2027, 1, 1));
    let lead = app.login("demo_lead").await;
    let f = flags(&detail(&app, &lead, "security_undertakings", &u).await);
    assert!(f.iter().any(|f| f.contains("2026-12-31 到期")), "{f:?}");
    app.cleanup().await;
}

/// JSCZ-51 「对履职尽责差、网络数据安全制度不落实的运维人员要约谈问责」 and
/// JSCZ-57 「若有违反将通知行为人所属组织进行处理」: the record is notified to
/// the person's organisation, whose keepers are told at once, and closes
/// only with that organisation's handling result.
#[tokio::test]
async fn jscz_57_accountability_record_is_notified_and_closed_with_the_result() {
    let app = TestApp::new().await;
    let (lead, vendor, center, vendor_org) = centre_and_vendor(&app).await;
    let rec = id(&create(
        &app,
        &lead,
        "accountability_records",
        json!({"org_id": center, "values": {
            "vendor_org_id": vendor_org, "person": "王磊", "occurred_on": "2026-03-02",
            "breach": "remote_control", "measure": "interview",
            "facts": "使用远程控制软件登录生产服务器进行运维",
        }}),
    )
    .await);
    // The vendor may not take the steps.
    let r = step(&app, &vendor, "accountability_records", &rec, "notify").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = step(&app, &lead, "accountability_records", &rec, "notify").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let vendor_id = crate::support::user_id(&app, "demo_vendor").await;
    let mut c = app.platform.db().read().await.unwrap();
    let notices = yunwei_store::tickets::notifications_of(&mut c, &vendor_id, 20)
        .await
        .unwrap();
    drop(c);
    assert!(
        notices.iter().any(|n| n.kind == "accountability_notified"
            && n.title.contains("王磊")
            && n.body.contains("远程控制")),
        "{notices:?}"
    );
    // Closing without the organisation's result is refused.
    let r = step(&app, &lead, "accountability_records", &rec, "close").await;
    assert_eq!(
        code(&r),
        "register.accountability_result_missing",
        "{}",
        r.text()
    );
    let d = detail(&app, &lead, "accountability_records", &rec).await;
    let version = d["entry"]["version"].as_i64().unwrap();
    let r = app
        .put_json(
            &format!("/api/v1/registers/accountability_records/{rec}"),
            Some(&lead),
            json!({"expected_version": version, "org_id": center, "values": {
                "vendor_org_id": vendor_org, "person": "王磊", "occurred_on": "2026-03-02",
                "breach": "remote_control", "measure": "interview",
                "facts": "使用远程控制软件登录生产服务器进行运维",
                "handling_result": "已约谈本人并调离项目，公司内部通报批评",
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = step(&app, &lead, "accountability_records", &rec, "close").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.cleanup().await;
}

/// NTCZ-6.3.2 「严格控制运维工具的使用，经过采购人审核后才可接入财政网络进行操作」: the
/// vendor registers a tool, it is flagged until the purchaser approves it;
/// the vendor cannot approve its own tool.
#[tokio::test]
async fn ntcz_6_3_2_om_tool_is_approved_by_the_purchaser_before_use() {
    let app = TestApp::new().await;
    let (lead, vendor, center, vendor_org) = centre_and_vendor(&app).await;
    let tool = id(&create(
        &app,
        &vendor,
        "om_tools",
        json!({"org_id": center, "values": {
            "vendor_org_id": vendor_org, "tool_name": "DBeaver", "tool_version": "24.1",
            "purpose": "database", "publisher": "DBeaver Corp，官网下载",
            "reason": "预算管理一体化系统数据库只读查询，经堡垒机访问",
        }}),
    )
    .await);
    let f = flags(&detail(&app, &lead, "om_tools", &tool).await);
    assert!(f.iter().any(|f| f.contains("未经采购人审核")), "{f:?}");
    let r = step(&app, &vendor, "om_tools", &tool, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = step(&app, &lead, "om_tools", &tool, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(flags(&detail(&app, &vendor, "om_tools", &tool).await).is_empty());
    app.cleanup().await;
}

/// EEDS-2.2.2.10 「制定公共资源交易系软件统及硬件升级计划，审核通过后，具体实施」: a
/// plan is implemented only once approved, the day recorded; an approved
/// plan past its day is flagged.
#[tokio::test]
async fn eeds_2_2_2_10_upgrade_plan_is_implemented_only_after_approval() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let lead = app.login("demo_lead").await;
    let center = org_id(&app, "信息中心").await;
    let plan = id(&create(
        &app,
        &hw,
        "upgrade_plans",
        json!({"org_id": center, "values": {
            "title": "数据库服务器升级至 Oracle 19c", "scope": "software",
            "basis": "Oracle 12c 已停止扩展支持", "content": "测试环境验证后分两步迁移",
            "planned_on": "2026-03-20",
        }}),
    )
    .await);
    let r = step(&app, &hw, "upgrade_plans", &plan, "complete").await;
    assert_ne!(r.status, StatusCode::OK, "{}", r.text());
    let r = step(&app, &lead, "upgrade_plans", &plan, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.clock.set(beijing_morning(2026, 3, 23));
    let hw = app.login("demo_hwops").await;
    let f = flags(&detail(&app, &hw, "upgrade_plans", &plan).await);
    assert!(
        f.iter().any(|f| f.contains("2026-03-20 实施，尚未完成")),
        "{f:?}"
    );
    let r = step(&app, &hw, "upgrade_plans", &plan, "complete").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = detail(&app, &hw, "upgrade_plans", &plan).await;
    assert!(flags(&d).is_empty());
    let done = d["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "done_on")
        .unwrap()["value"]
        .clone();
    assert_eq!(done, json!("2026-03-23"));
    app.cleanup().await;
}

/// JSCZ-35 「各地财政部门对回流的财政业务数据安全承担主责任，应坚决确保回流数据安全存储及
/// 安全分析应用」: a returned batch is recorded with its storage, protection,
/// use and custodian; none of them may be left out.
#[tokio::test]
async fn jscz_35_returned_data_is_recorded_with_its_custodian() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let center = org_id(&app, "信息中心").await;
    let mut values = json!({
        "batch": "2026年第1批预算执行数据", "received_on": "2026-03-02",
        "data_scope": "本级预算指标、支付明细（2025年度）", "storage": "本地数据分析库（内网）",
        "security_measures": "专网隔离、数据库审计、访问经堡垒机", "use": "预算执行分析",
    });
    let r = app
        .post_json(
            "/api/v1/registers/data_returns",
            Some(&lead),
            json!({"org_id": center, "values": values.clone()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("数据安全责任人"), "{}", r.text());
    values["custodian"] = json!("信息中心 李明");
    create(
        &app,
        &lead,
        "data_returns",
        json!({"org_id": center, "values": values}),
    )
    .await;
    app.cleanup().await;
}

/// NTCZ-3.4.2 「为保障业务高峰期内系统平稳运行，需根据财政业务周期性特点，加大运维保障力度，
/// 增加驻场服务」: a peak period adds on-site staff to the usual, carries a
/// 24-hour duty roster, is confirmed by the purchaser, and while it runs
/// the vendor's staff on site (the staff register) are counted against
/// the commitment.
#[tokio::test]
async fn ntcz_3_4_2_peak_period_adds_on_site_staff_and_is_checked() {
    let app = TestApp::new().await;
    let (lead, vendor, center, vendor_org) = centre_and_vendor(&app).await;
    let mut values = json!({
        "name": "年初预算批复", "vendor_org_id": vendor_org, "starts_on": "2026-03-02",
        "ends_on": "2026-03-31", "onsite_usual": 2, "onsite_peak": 2,
        "duty_roster": "3月2日—3月31日 0:00—24:00：郑海峰 13800000001 / 王磊 13800000002 轮班",
    });
    let r = app
        .post_json(
            "/api/v1/registers/peak_periods",
            Some(&vendor),
            json!({"org_id": center, "values": values.clone()}),
        )
        .await;
    assert_eq!(code(&r), "register.peak_not_increased", "{}", r.text());
    values["onsite_peak"] = json!(2);
    values["onsite_usual"] = json!(1);
    let peak = id(&create(
        &app,
        &vendor,
        "peak_periods",
        json!({"org_id": center, "values": values}),
    )
    .await);
    let r = step(&app, &vendor, "peak_periods", &peak, "confirm").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = step(&app, &lead, "peak_periods", &peak, "confirm").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Nobody on site yet for this purchaser: short of the two committed.
    let f = flags(&detail(&app, &lead, "peak_periods", &peak).await);
    assert!(
        f.iter().any(|f| f.contains("驻场在岗 0 人，承诺 2 人")),
        "{f:?}"
    );
    // Two engineers come on site through approved staff changes.
    for name in ["郑海峰", "王磊"] {
        let person = id(&create(
            &app,
            &vendor,
            "vendor_staff",
            json!({"org_id": vendor_org, "values": {"name": name, "client_org_id": center}}),
        )
        .await);
        let change = id(&create(
            &app,
            &vendor,
            "staff_changes",
            json!({"org_id": center, "values": {"vendor_org_id": vendor_org, "change_kind": "onsite_in", "joining_id": person, "reason": "高峰期增派驻场"}}),
        )
        .await);
        let r = step(&app, &lead, "staff_changes", &change, "approve").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    assert!(flags(&detail(&app, &lead, "peak_periods", &peak).await).is_empty());
    app.cleanup().await;
}

/// A value of an entry's field, through the API.
fn field_value(d: &Value, name: &str) -> Value {
    d["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name}: {d}"))["value"]
        .clone()
}

/// JSCZ-7 「各服务厂商应强化对参与的信息化项目管理……重要项目应有实施方案」:
/// a contract marked important records its work as started (开始实施日期)
/// only once an implementation plan, its document uploaded to the
/// technical archives, was approved by the project lead; until then the
/// start is refused and the contract flagged. A contract not marked
/// important is not affected.
#[tokio::test]
async fn jscz_7_important_project_needs_an_implementation_plan_before_it_starts() {
    let app = TestApp::new().await;
    let (lead, vendor, center, vendor_org) = centre_and_vendor(&app).await;
    let contract = |no: &str, important: bool, started: &str| {
        json!({"org_id": center, "values": {
            "name": format!("{no} 预算一体化系统升级项目"),
            "contract_no": no,
            "vendor_org_id": vendor_org,
            "service_scope": "系统升级实施",
            "starts_on": "2026-03-01",
            "ends_on": "2026-12-31",
            "important": important,
            "work_started_on": started
        }})
    };
    // Filed already started without a plan: refused.
    let r = app
        .post_json(
            "/api/v1/registers/vendor_contracts",
            Some(&lead),
            contract("ZY-1", true, "2026-03-02"),
        )
        .await;
    assert_eq!(
        code(&r),
        "register.implementation_plan_missing",
        "{}",
        r.text()
    );
    // Filed before it starts: flagged until a plan is approved.
    let cid = id(&create(&app, &lead, "vendor_contracts", contract("ZY-1", true, "")).await);
    let f = flags(&detail(&app, &lead, "vendor_contracts", &cid).await);
    assert!(
        f.iter().any(|f| f.contains("尚无经批准的实施方案")),
        "{f:?}"
    );
    let start = |version: i64| {
        let mut body = contract("ZY-1", true, "2026-03-02");
        body["expected_version"] = json!(version);
        body
    };
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_contracts/{cid}"),
            Some(&lead),
            start(1),
        )
        .await;
    assert_eq!(
        code(&r),
        "register.implementation_plan_missing",
        "{}",
        r.text()
    );

    // The plan names its document in the technical archives.
    let plan = |doc: &str| json!({"values": {"contract_id": cid, "title": "升级实施方案", "document_id": doc, "summary": "实施范围、进度安排、回退与保障措施"}});
    let r = app
        .post_json(
            "/api/v1/registers/implementation_plans",
            Some(&vendor),
            plan("01NOSUCHDOCUMENT"),
        )
        .await;
    assert_eq!(
        code(&r),
        "register.implementation_plan_document",
        "{}",
        r.text()
    );
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/archives?title=%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88&kind=other&org_id={vendor_org}&filename=plan.txt"
        ))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {vendor}"))
        .body(axum::body::Body::from("升级实施方案全文"))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = id(&r.json());
    let pid = id(&create(&app, &vendor, "implementation_plans", plan(&doc)).await);
    // A plan not yet approved does not let the work start.
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_contracts/{cid}"),
            Some(&lead),
            start(1),
        )
        .await;
    assert_eq!(
        code(&r),
        "register.implementation_plan_missing",
        "{}",
        r.text()
    );
    // The vendor cannot approve its own plan; the project lead does.
    let r = step(&app, &vendor, "implementation_plans", &pid, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = step(&app, &lead, "implementation_plans", &pid, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "approved");
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_contracts/{cid}"),
            Some(&lead),
            start(1),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(field_value(&d, "work_started_on"), "2026-03-02");
    assert!(
        flags(&d).iter().all(|f| !f.contains("实施方案")),
        "{:?}",
        flags(&d)
    );

    // A contract not marked important starts without a plan.
    let other = create(
        &app,
        &lead,
        "vendor_contracts",
        contract("ZY-2", false, "2026-03-02"),
    )
    .await;
    let d = detail(&app, &lead, "vendor_contracts", &id(&other)).await;
    assert!(
        flags(&d).iter().all(|f| !f.contains("实施方案")),
        "{:?}",
        flags(&d)
    );
    app.cleanup().await;
}

/// NTCZ-6.1.4 「组建至少4人的开发服务团队，至少1人进行驻场运维服务，且具备相应开发
/// 能力」(the numbers are the pack's `dev_team.*` parameters): the vendor
/// staff register is counted for each contract in force; a team of three,
/// or of four with nobody on site, is flagged on the contract; four with
/// one on site satisfy it. The text is a requirement on the vendor, so a
/// person leaving the site is not refused: the shortfall reappears on the
/// contract and the project lead is told.
#[tokio::test]
async fn ntcz_6_1_4_team_of_at_least_four_developers_one_on_site() {
    let app = TestApp::new().await;
    app.clock.set(beijing_morning(2026, 3, 10));
    let (lead, _, center, _) = centre_and_vendor(&app).await;
    // A vendor of its own, so the demo's staff do not count.
    let center_row = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::get(&mut c, &center)
            .await
            .unwrap()
            .unwrap()
    };
    let dev_vendor = crate::support::org_under(
        &app,
        &center_row,
        "通州软件开发服务有限公司",
        yunwei_domain::org::OrgKind::Vendor,
    )
    .await
    .id;
    let cid = id(&create(
        &app,
        &lead,
        "vendor_contracts",
        json!({"org_id": center, "values": {
            "name": "综合业务管理系统运维项目",
            "contract_no": "NT-2026-001",
            "vendor_org_id": dev_vendor,
            "service_scope": "开发运维、驻场服务",
            "starts_on": "2026-03-01",
            "ends_on": "2026-12-31"
        }}),
    )
    .await);
    let shortfall = |d: &Value| {
        flags(d)
            .into_iter()
            .find(|f| f.contains("开发服务团队不足"))
    };
    let person = |name: &str, developer: bool| json!({"org_id": dev_vendor, "values": {"name": name, "client_org_id": center, "skills": "Java 开发", "developer": developer}});
    let mut team = vec![];
    for name in ["甲", "乙", "丙"] {
        team.push(id(
            &create(&app, &lead, "vendor_staff", person(name, true)).await
        ));
    }
    // Not of the development team: not counted.
    create(&app, &lead, "vendor_staff", person("丁（测试）", false)).await;
    let f = shortfall(&detail(&app, &lead, "vendor_contracts", &cid).await);
    assert!(
        f.as_deref()
            .is_some_and(|f| f.contains("开发服务团队 3 人（应至少 4 人）")),
        "{f:?}"
    );
    team.push(id(
        &create(&app, &lead, "vendor_staff", person("戊", true)).await
    ));
    let f = shortfall(&detail(&app, &lead, "vendor_contracts", &cid).await);
    assert!(
        f.as_deref()
            .is_some_and(|f| f.contains("4 人") && f.contains("驻场 0 人（应至少 1 人）")),
        "{f:?}"
    );
    // One of them comes on site (an approved staff change, NTCZ-6.1.7).
    let change = |kind: &str, who: &str| {
        let mut v = json!({"org_id": center, "values": {"vendor_org_id": dev_vendor, "change_kind": kind, "reason": "驻场安排"}});
        let f = if kind == "onsite_in" {
            "joining_id"
        } else {
            "leaving_id"
        };
        v["values"][f] = json!(who);
        v
    };
    let ch = id(&create(&app, &lead, "staff_changes", change("onsite_in", &team[0])).await);
    let r = step(&app, &lead, "staff_changes", &ch, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(shortfall(&d), None, "{:?}", flags(&d));

    // The on-site developer leaves the site: allowed, the shortfall is
    // shown again and the project lead told.
    let ch = id(&create(&app, &lead, "staff_changes", change("onsite_out", &team[0])).await);
    let r = step(&app, &lead, "staff_changes", &ch, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = shortfall(&detail(&app, &lead, "vendor_contracts", &cid).await);
    assert!(
        f.as_deref().is_some_and(|f| f.contains("驻场 0 人")),
        "{f:?}"
    );
    let lead_id = crate::support::user_id(&app, "demo_lead").await;
    let notices = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::tickets::notifications_of(&mut c, &lead_id, 50)
            .await
            .unwrap()
    };
    let told: Vec<_> = notices
        .iter()
        .filter(|n| n.kind == "dev_team_shortfall")
        .collect();
    assert_eq!(told.len(), 1, "{notices:?}");
    assert!(told[0].body.contains("驻场 0 人"), "{:?}", told[0]);
    assert_eq!(
        told[0].link.as_deref(),
        Some(format!("/registers/vendor_contracts/{cid}").as_str())
    );

    // Another developer comes on site; then one is no longer of the team
    // (amended): three left, flagged and told again.
    let ch = id(&create(&app, &lead, "staff_changes", change("onsite_in", &team[1])).await);
    let r = step(&app, &lead, "staff_changes", &ch, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(shortfall(&d), None, "{:?}", flags(&d));
    let mut body = person("丙", false);
    body["expected_version"] = json!(1);
    let r = app
        .put_json(
            &format!("/api/v1/registers/vendor_staff/{}", team[2]),
            Some(&lead),
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = shortfall(&detail(&app, &lead, "vendor_contracts", &cid).await);
    assert!(
        f.as_deref()
            .is_some_and(|f| f.contains("开发服务团队 3 人（应至少 4 人）")),
        "{f:?}"
    );
    let notices = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::tickets::notifications_of(&mut c, &lead_id, 50)
            .await
            .unwrap()
    };
    assert_eq!(
        notices
            .iter()
            .filter(|n| n.kind == "dev_team_shortfall")
            .count(),
        2,
        "{notices:?}"
    );
    app.cleanup().await;
}

// ---- NTCZ-5.1, NTCZ-7, NTCZ-8: the milestones of a vendor's contract ----

/// A contract of the centre with the demo vendor, 2026, with `extra`
/// values; filed by the project lead.
async fn ntcz_contract(app: &TestApp, lead: &str, extra: Value) -> String {
    let vendor_org = org_id(app, "金陵数智运维服务有限公司").await;
    let center = org_id(app, "信息中心").await;
    let mut values = json!({
        "name": "南通财政综合业务管理系统运维服务",
        "contract_no": "NT-2026-001",
        "vendor_org_id": vendor_org,
        "service_scope": "驻场运维服务",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31"
    });
    for (k, v) in extra.as_object().unwrap() {
        values[k] = v.clone();
    }
    id(&create(
        app,
        lead,
        "vendor_contracts",
        json!({"org_id": center, "values": values}),
    )
    .await)
}

/// The stored value of a field of the entry in a detail answer.
fn field_of(d: &Value, name: &str) -> Value {
    d["entry"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| f["value"].clone())
        .unwrap_or(Value::Null)
}

fn renewal(contract: &str, result: &str, starts: &str, ends: &str) -> Value {
    json!({"values": {
        "contract_id": contract,
        "assessed_on": "2026-12-20",
        "assessment_result": result,
        "assessment_note": "年度考核：服务响应及时，驻场人员稳定",
        "starts_on": starts,
        "ends_on": ends
    }})
}

/// NTCZ-5.1 「服务期满后……采购人考核合格的，可续签合同，合同一年一签，续签不超过
/// 两次」: a renewal needs the purchaser's passed assessment, follows the
/// current term, lasts a year at most (`vendor_contract.renewal.max_months`)
/// and extends the contract; a third is refused
/// (`vendor_contract.renewal.max_count`). The vendor files none.
#[tokio::test]
async fn ntcz_5_1_contract_renews_one_year_at_most_twice() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let vendor = app.login("demo_vendor").await;
    let cid = ntcz_contract(&app, &lead, json!({})).await;
    let post = |body: Value| {
        let app = &app;
        let lead = lead.clone();
        async move {
            app.post_json("/api/v1/registers/contract_renewals", Some(&lead), body)
                .await
        }
    };
    let r = post(renewal(&cid, "failed", "2027-01-01", "2027-12-31")).await;
    assert_eq!(
        code(&r),
        "register.renewal_needs_assessment",
        "{}",
        r.text()
    );
    let r = post(renewal(&cid, "passed", "2026-12-31", "2027-12-30")).await;
    assert_eq!(code(&r), "register.renewal_overlaps", "{}", r.text());
    let r = post(renewal(&cid, "passed", "2027-01-01", "2028-01-01")).await;
    assert_eq!(code(&r), "register.renewal_too_long", "{}", r.text());
    assert!(r.text().contains("2027-12-31"), "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/registers/contract_renewals",
            Some(&vendor),
            renewal(&cid, "passed", "2027-01-01", "2027-12-31"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    let r = post(renewal(&cid, "passed", "2027-01-01", "2027-12-31")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(field_of(&c, "ends_on"), "2027-12-31", "{c}");
    assert_eq!(field_of(&c, "renewals"), 1, "{c}");
    // A shorter second term is fine (一年一签 is a ceiling).
    let r = post(renewal(&cid, "passed", "2028-01-01", "2028-06-30")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = post(renewal(&cid, "passed", "2028-07-01", "2029-06-30")).await;
    assert_eq!(code(&r), "register.renewals_exhausted", "{}", r.text());
    assert_eq!(r.status, StatusCode::CONFLICT);
    let c = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(field_of(&c, "ends_on"), "2028-06-30", "{c}");
    assert_eq!(field_of(&c, "renewals"), 2, "{c}");
    // The vendor reads the renewals of its contract.
    let r = app
        .get(
            &format!("/api/v1/registers/contract_renewals?parent_id={cid}"),
            Some(&vendor),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["entries"].as_array().unwrap().len(), 2);
    app.cleanup().await;
}

/// NTCZ-5.1 under truly parallel requests: a contract renewed once gets
/// six renewals at once on several threads; the contract is held while
/// the renewals are counted, so exactly one passes and the others are
/// refused as over the limit (without the lock on PostgreSQL they fail as
/// `register.changed`, seen), never three renewals.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ntcz_5_1_parallel_renewals_never_exceed_two() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let cid = ntcz_contract(&app, &lead, json!({})).await;
    let r = app
        .post_json(
            "/api/v1/registers/contract_renewals",
            Some(&lead),
            renewal(&cid, "passed", "2027-01-01", "2027-12-31"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let pr = crate::support::principal(&app, "demo_lead").await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let p = app.platform.clone();
        let pr = pr.clone();
        let input: yunwei_core::registers::EntryInput = serde_json::from_value(renewal(
            &cid,
            "passed",
            "2028-01-01",
            &format!("2028-12-{}", 20 + i),
        ))
        .unwrap();
        tasks.push(tokio::spawn(async move {
            let ctx = yunwei_core::Ctx::system("parallel-renewal");
            yunwei_core::registers::create(&p, &ctx, &pr, "contract_renewals", &input)
                .await
                .map(|_| ())
                .map_err(|e| e.code)
        }));
    }
    let mut won = 0;
    let mut lost = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(code) => lost.push(code),
        }
    }
    assert_eq!(won, 1, "{lost:?}");
    assert_eq!(
        lost,
        vec!["register.renewals_exhausted"; 5],
        "the later ones wait for the contract and count two renewals"
    );
    let mut c = app.platform.db().read().await.unwrap();
    let spec = yunwei_domain::register::spec("contract_renewals").unwrap();
    let all = yunwei_store::registers::find(&mut c, spec, &[], 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    drop(c);
    let c = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(field_of(&c, "renewals"), 2, "{c}");
    app.cleanup().await;
}

fn acceptance(contract: &str, verdict: &str, panel: &str, on: &str) -> Value {
    json!({"values": {
        "contract_id": contract,
        "accepted_on": on,
        "panel": panel,
        "verdict": verdict,
        "panel_opinion": "按合同约定对履约情况逐项验收"
    }})
}

const PANEL: &str = "张华 南京大学 教授\n李强 市大数据局 高级工程师\n王敏 东南大学 副教授";

fn payment(contract: &str, milestone: &str, on: &str, amount: &str) -> Value {
    json!({"values": {
        "contract_id": contract,
        "milestone": milestone,
        "paid_on": on,
        "paid_amount": amount,
        "voucher": "PZ-2026-0001"
    }})
}

/// NTCZ-7 「邀请专家成立验收小组，按照采购合同的约定对供应商履约情况进行验收，并出具
/// 验收意见」 with NTCZ-8 「合同期满验收合格后……支付剩余50%合同款」: the final
/// payment is refused until a panel of experts (at least
/// `vendor_contract.acceptance.min_experts`) recorded a passed acceptance
/// with its opinion; a failed one does not count; the amount is the rest
/// of the contract after the first half, to the fen.
#[tokio::test]
async fn ntcz_7_final_payment_needs_expert_acceptance() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let vendor = app.login("demo_vendor").await;
    let cid = ntcz_contract(
        &app,
        &lead,
        json!({"signed_on": "2026-01-05", "contract_value": "1,000.01"}),
    )
    .await;
    let c = detail(&app, &lead, "vendor_contracts", &cid).await;
    assert_eq!(field_of(&c, "contract_value"), "1000.01", "{c}");
    let pay = |body: Value| {
        let app = &app;
        let lead = lead.clone();
        async move {
            app.post_json("/api/v1/registers/contract_payments", Some(&lead), body)
                .await
        }
    };
    let accept = |body: Value| {
        let app = &app;
        let lead = lead.clone();
        async move {
            app.post_json("/api/v1/registers/contract_acceptances", Some(&lead), body)
                .await
        }
    };
    let r = pay(payment(&cid, "final", "2027-01-05", "500.01")).await;
    assert_eq!(code(&r), "register.acceptance_required", "{}", r.text());
    // A panel is experts, at least three of them.
    let r = accept(acceptance(
        &cid,
        "passed",
        "张华 南京大学 教授\n李强",
        "2026-12-31",
    ))
    .await;
    assert_eq!(code(&r), "register.acceptance_panel", "{}", r.text());
    // The vendor does not accept its own work.
    let r = app
        .post_json(
            "/api/v1/registers/contract_acceptances",
            Some(&vendor),
            acceptance(&cid, "passed", PANEL, "2026-12-31"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // A failed acceptance is recorded but opens no final payment.
    let r = accept(acceptance(&cid, "failed", PANEL, "2026-12-31")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = pay(payment(&cid, "final", "2027-01-05", "500.01")).await;
    assert_eq!(code(&r), "register.acceptance_required", "{}", r.text());
    assert!(controls_of(&app, &lead, "contract_final_payment", "open")
        .await
        .is_empty());

    let r = accept(acceptance(&cid, "passed", PANEL, "2027-01-04")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = accept(acceptance(&cid, "passed", PANEL, "2027-01-05")).await;
    assert_eq!(code(&r), "register.acceptance_recorded", "{}", r.text());
    let open = controls_of(&app, &lead, "contract_final_payment", "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["source"], "NTCZ-8");
    // Not before the acceptance; the rest of the amount, to the fen.
    let r = pay(payment(&cid, "final", "2027-01-03", "500.01")).await;
    assert_eq!(code(&r), "register.payment_too_early", "{}", r.text());
    let r = pay(payment(&cid, "final", "2027-01-05", "500.00")).await;
    assert_eq!(code(&r), "register.payment_amount", "{}", r.text());
    assert!(r.text().contains("500.01"), "{}", r.text());
    let r = pay(payment(&cid, "final", "2027-01-05", "500.01")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(controls_of(&app, &lead, "contract_final_payment", "open")
        .await
        .is_empty());
    assert_eq!(
        controls_of(&app, &lead, "contract_final_payment", "done")
            .await
            .len(),
        1
    );
    let r = pay(payment(&cid, "final", "2027-01-06", "500.01")).await;
    assert_eq!(code(&r), "register.payment_recorded", "{}", r.text());
    app.cleanup().await;
}

/// NTCZ-8 「签订合同后7个工作日内，采购人支付合同款50%，合同期满验收合格后7个工作日
/// 内支付剩余50%合同款」: the first payment is due 7 working days after the
/// signing and the final 7 working days after the passed acceptance, on
/// the holiday calendar (国庆 2026: signed 30 September, due 15 October;
/// accepted 24 September, due 12 October, the make-up Saturday 10 October
/// counted); half of an odd amount rounds down to the fen for the first
/// payment. An overdue payment is listed with the overdue duties and told
/// to the purchaser's contract keeper who filed it and the project leads.
#[tokio::test]
async fn ntcz_8_payments_due_within_7_working_days() {
    let app = TestApp::new().await;
    app.clock.set(beijing_morning(2026, 9, 30));
    let lead = app.login("demo_lead").await;
    let cid = ntcz_contract(
        &app,
        &lead,
        json!({"signed_on": "2026-09-30", "contract_value": "1000.01"}),
    )
    .await;
    let first = controls_of(&app, &lead, "contract_first_payment", "open").await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["due_date"], "2026-10-15", "{first:?}");
    assert_eq!(first[0]["subject_id"], cid.as_str());
    let r = app
        .post_json(
            "/api/v1/registers/contract_payments",
            Some(&lead),
            payment(&cid, "first", "2026-10-14", "500.01"),
        )
        .await;
    assert_eq!(code(&r), "register.payment_amount", "{}", r.text());
    assert!(r.text().contains("500.00"), "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/registers/contract_payments",
            Some(&lead),
            payment(&cid, "first", "2026-10-14", "500.00"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(controls_of(&app, &lead, "contract_first_payment", "open")
        .await
        .is_empty());

    // The acceptance (dated before the holiday) sets the final payment's day.
    let r = app
        .post_json(
            "/api/v1/registers/contract_acceptances",
            Some(&lead),
            acceptance(&cid, "passed", PANEL, "2026-09-24"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let last = controls_of(&app, &lead, "contract_final_payment", "open").await;
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0]["due_date"], "2026-10-12", "{last:?}");
    // Still on time at the last minute of 12 October (Beijing), overdue at
    // 00:00 on the 13th; notified once, to the keeper who filed the
    // contract (the purchaser pays).
    app.clock.set(utc(2026, 10, 12, 15, 59, 59));
    let lead = app.login("demo_lead").await;
    assert!(
        controls_of(&app, &lead, "contract_final_payment", "overdue")
            .await
            .is_empty()
    );
    app.clock.set(utc(2026, 10, 12, 16, 0, 0));
    let lead = app.login("demo_lead").await;
    let overdue = controls_of(&app, &lead, "contract_final_payment", "overdue").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    crate::support::run_jobs(&app.platform).await.unwrap();
    let mut c = app.platform.db().read().await.unwrap();
    let lead_id = yunwei_store::users::by_username(&mut c, "demo_lead")
        .await
        .unwrap()
        .unwrap()
        .id;
    let notices = yunwei_store::tickets::notifications_of(&mut c, &lead_id, 50)
        .await
        .unwrap();
    assert_eq!(
        notices
            .iter()
            .filter(|n| n.kind == "control_overdue" && n.title.contains("剩余合同款支付"))
            .count(),
        1,
        "{notices:?}"
    );
    drop(c);
    app.cleanup().await;
}

//! Tickets through the API on the shipped JSCZ pack: routes, refusals with
//! their citations, attachments, search, lists and the audit trail.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use yunwei_testkit::{TestApp, TestResponse};

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    transition: &str,
    fields: Value,
) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/transitions"),
        Some(token),
        json!({"transition": transition, "fields": fields}),
    )
    .await
}

async fn act_ok(app: &TestApp, token: &str, id: &str, transition: &str, fields: Value) -> Value {
    let r = act(app, token, id, transition, fields).await;
    assert_eq!(r.status, StatusCode::OK, "{transition}: {}", r.text());
    r.json()
}

async fn attach(app: &TestApp, token: &str, id: &str, kind: &str, content: &str) -> TestResponse {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/tickets/{id}/attachments?kind={kind}&filename={kind}.txt"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(content.to_string()))
        .unwrap();
    app.request(req).await
}

/// A major data change requested by a city finance bureau (JSCZ-21 / JSCZ-26).
async fn open_data_change(app: &TestApp, staff: &str, planned: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(staff),
            json!({
                "pack": "jscz",
                "process": "change",
                "title": "更正南京市2026年指标文号",
                "fields": {
                    "system": "预算管理一体化系统",
                    "description": "指标文号录入错误，需要后台更正 3 条记录",
                    "reason": "业务处室发文更正",
                    "level": "major",
                    "type": "data",
                    "planned_start": planned
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let t = r.json();
    assert_eq!(t["state"], "draft");
    assert!(t["number"].as_str().unwrap().starts_with("BG-20260302-"));
    t["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn jscz_26_major_data_change_runs_its_route_end_to_end() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let deputy = app.login("demo_deputy").await;
    let director = app.login("demo_director").await;
    let vendor = app.login("demo_vendor").await;
    // The clock stands at Monday 2026-03-02 09:00; two working days ahead.
    let id = open_data_change(&app, &staff, "2026-03-05T09:00:00+08:00").await;

    // JSCZ-26 (1): the business department submits with the signed request.
    let r = act(&app, &staff, &id, "submit_data_change", json!({})).await;
    assert_eq!(code(&r), "policy.missing_attachment", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("JSCZ"));
    assert_eq!(
        attach(&app, &staff, &id, "signed_request", "分管厅领导审签件")
            .await
            .status,
        StatusCode::CREATED
    );
    act_ok(&app, &staff, &id, "submit_data_change", json!({})).await;

    // Nobody skips a step: the vendor cannot jump to implementation.
    let r = act(&app, &vendor, &id, "start_data_change", json!({})).await;
    assert!(r.status.is_client_error());
    // The requester cannot accept their own change.
    let r = act(&app, &staff, &id, "accept_data_change", json!({})).await;
    assert_eq!(code(&r), "policy.role");

    // JSCZ-26 (2): the centre plans with the vendor; deputy and director sign.
    act_ok(&app, &lead, &id, "accept_data_change", json!({})).await;
    let r = act(
        &app,
        &lead,
        &id,
        "submit_data_plan",
        json!({"plan": "执行更正脚本"}),
    )
    .await;
    assert_eq!(code(&r), "policy.missing_field");
    act_ok(
        &app,
        &lead,
        &id,
        "submit_data_plan",
        json!({"plan": "执行更正脚本", "rollback_plan": "按备份恢复"}),
    )
    .await;
    let detail = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&deputy))
        .await
        .json();
    assert_eq!(detail["approval"]["id"], "data_signoff");
    assert_eq!(detail["approval"]["can_vote"], true);
    // Sequential: the director cannot sign before the deputy.
    let vote =
        |approve: bool| json!({"approval": "data_signoff", "approve": approve, "comment": "同意"});
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/votes"),
            Some(&director),
            vote(true),
        )
        .await;
    assert_eq!(code(&r), "policy.not_your_step", "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/votes"),
            Some(&deputy),
            vote(true),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/votes"),
            Some(&director),
            vote(true),
        )
        .await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());

    // JSCZ-26 (4)-(5): publish, then the vendor implements after a backup (JSCZ-34).
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&lead),
            json!({"transition": "publish_plan", "assignee": "demo_vendor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = act(&app, &vendor, &id, "start_data_change", json!({})).await;
    assert_eq!(code(&r), "policy.missing_attachment");
    assert_eq!(
        attach(&app, &vendor, &id, "backup", "备份文件校验值")
            .await
            .status,
        StatusCode::CREATED
    );
    // NTCZ-3.4.1: not without its go-live emergency plan.
    let r = act(&app, &vendor, &id, "start_data_change", json!({})).await;
    assert_eq!(code(&r), "ticket.golive_plan_required");
    let number = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&vendor))
        .await
        .json()["ticket"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            "/api/v1/registers/golive_plans",
            Some(&vendor),
            json!({"values": {
                "ticket_id": number,
                "title": "指标文号更正应急方案",
                "scope": "预算指标数据",
                "risks": "误改其他记录",
                "pass_criteria": "3 条记录更正",
                "fail_criteria": "影响行数不为 3 即回退",
                "method": "按备份恢复",
                "follow_up": "问题记入工单"
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    act_ok(&app, &vendor, &id, "start_data_change", json!({})).await;
    act_ok(
        &app,
        &vendor,
        &id,
        "finish_implementation",
        json!({"implementation_record": "已执行脚本，更新3行"}),
    )
    .await;
    act_ok(
        &app,
        &vendor,
        &id,
        "verification_passed",
        json!({"verification_result": "核对无误"}),
    )
    .await;

    // JSCZ-34: the script and its result are archived before closing.
    let r = act(
        &app,
        &lead,
        &id,
        "close_data_change",
        json!({"success_report": "更正完成"}),
    )
    .await;
    assert_eq!(code(&r), "policy.missing_attachment");
    attach(&app, &vendor, &id, "script", "UPDATE ...").await;
    attach(&app, &vendor, &id, "result", "3 rows").await;
    let closed = act_ok(
        &app,
        &lead,
        &id,
        "close_data_change",
        json!({"success_report": "更正完成"}),
    )
    .await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["closed"], true);

    // The timeline holds every step; the audit trail every action.
    let detail = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&lead))
        .await
        .json();
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "transition").count(),
        8,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "vote").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "attachment").count(), 4);
    assert!(
        detail["transitions"].as_array().unwrap().is_empty(),
        "a closed change offers nothing"
    );
    let aud = app.login("audadmin").await;
    let trail = app
        .get(
            &format!("/api/v1/audit?object_id={id}&limit=100"),
            Some(&aud),
        )
        .await
        .json();
    assert!(trail["records"].as_array().unwrap().len() >= 15);
    // An attachment downloads for those who may see the ticket, not for others.
    let att = detail["attachments"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .get(&format!("/api/v1/attachments/{att}"), Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "分管厅领导审签件");
    let unit = app.login("demo_unit").await;
    assert_eq!(
        app.get(&format!("/api/v1/attachments/{att}"), Some(&unit))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // JSCZ-26 (4), (6) 「向各级财政部门发布变更实施方案」「向各级财政部门发布更新成功
    // 报告」: a business user elsewhere in the province, who may not read the
    // ticket, reads the plan and the report and was told of each.
    let list = app.get("/api/v1/publications", Some(&unit)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let titles: Vec<String> = list.json()["publications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}|{}",
                p["title"].as_str().unwrap(),
                p["body"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(
        titles[0].starts_with("归档备份、脚本及结果，发布更新成功报告并关闭变更：")
            && titles[0].contains("【更新成功报告】\n更正完成"),
        "{titles:?}"
    );
    assert!(
        titles[1].starts_with("向各级财政部门发布变更实施方案：")
            && titles[1].contains("执行更正脚本"),
        "{titles:?}"
    );
    let unit_id = crate::support::user_id(&app, "demo_unit").await;
    let mut c = app.platform.db().read().await.unwrap();
    let notices = yunwei_store::tickets::notifications_of(&mut c, &unit_id, 50)
        .await
        .unwrap();
    drop(c);
    assert_eq!(
        notices
            .iter()
            .filter(|n| n.kind == "change_publication")
            .count(),
        2,
        "{notices:?}"
    );
    let b = crate::support::Browser::login(&app, "demo_unit").await;
    let page = b.get("/publications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("向各级财政部门发布变更实施方案"),
        "{}",
        page.text()
    );
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_27_major_change_submitted_too_late_is_refused() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    // Monday for Tuesday: the second working day before 03-03 is 02-27.
    let id = open_data_change(&app, &staff, "2026-03-03T09:00:00+08:00").await;
    attach(&app, &staff, &id, "signed_request", "审签件").await;
    let r = act(&app, &staff, &id, "submit_data_change", json!({})).await;
    assert_eq!(code(&r), "policy.lead_time", "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("JSCZ-27"));
    // Wednesday is acceptable: the second working day before 03-04 is
    // 03-02, the day of submission (DESIGN.md section 6).
    act_ok(
        &app,
        &staff,
        &id,
        "submit_data_change",
        json!({"planned_start": "2026-03-04T09:00:00+08:00"}),
    )
    .await;
    app.cleanup().await;
}

#[tokio::test]
async fn tickets_are_scoped_listed_filtered_searched_and_exported() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let id = open_data_change(&app, &staff, "2026-03-05T09:00:00+08:00").await;
    // Another city's user neither lists nor opens it.
    let unit = app.login("demo_unit").await;
    assert_eq!(
        app.get("/api/v1/tickets", Some(&unit)).await.json()["total"],
        0
    );
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}"), Some(&unit))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = act(&app, &unit, &id, "submit_data_change", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The information centre sees it; filters narrow the list.
    let lead = app.login("demo_lead").await;
    let all = app
        .get("/api/v1/tickets?process=change&state=draft", Some(&lead))
        .await
        .json();
    assert_eq!(all["total"], 1);
    assert_eq!(
        app.get("/api/v1/tickets?process=incident", Some(&lead))
            .await
            .json()["total"],
        0
    );
    assert_eq!(
        app.get("/api/v1/tickets?mine=requested", Some(&staff))
            .await
            .json()["total"],
        1
    );
    // Chinese search finds it by words of its fields.
    let hits = app
        .get(
            "/api/v1/search?q=%E6%8C%87%E6%A0%87%E6%96%87%E5%8F%B7",
            Some(&lead),
        )
        .await
        .json();
    assert_eq!(hits["hits"][0]["doc_id"], id.as_str());
    let none = app
        .get("/api/v1/search?q=%E4%BA%A4%E6%8D%A2%E6%9C%BA", Some(&lead))
        .await
        .json();
    assert_eq!(none["total"], 0);
    // The requester's to-do list offers the submission.
    let todo = app.get("/api/v1/todo", Some(&staff)).await.json();
    assert_eq!(todo["tickets"][0]["ticket"]["id"], id.as_str());
    // Excel export needs a reason and is audited.
    assert_eq!(
        code(&app.get("/api/v1/tickets/export.xlsx", Some(&lead)).await),
        "audit.reason_required"
    );
    let r = app
        .get(
            "/api/v1/tickets/export.xlsx?reason=%E6%9C%88%E6%8A%A5",
            Some(&lead),
        )
        .await;
    assert!(r.body.starts_with(b"PK"));
    // System administrators read no business data.
    let sys = app.login("sysadmin").await;
    assert_eq!(
        app.get("/api/v1/tickets", Some(&sys)).await.json()["total"],
        0
    );
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}"), Some(&sys))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.cleanup().await;
}

#[tokio::test]
async fn invalid_ticket_input_gets_clear_chinese_errors() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let base = |fields: Value| json!({"pack": "jscz", "process": "change", "title": "测试", "fields": fields});
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            base(json!({"level": "huge"})),
        )
        .await;
    assert_eq!(code(&r), "policy.invalid_field");
    assert!(r.json()["message"].as_str().unwrap().contains("重大变更"));
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            base(json!({"planned_start": "明天"})),
        )
        .await;
    assert_eq!(code(&r), "ticket.field_invalid");
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            base(json!({"nonsense": "x"})),
        )
        .await;
    assert_eq!(code(&r), "ticket.field_unknown");
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            json!({"pack": "nope", "process": "change", "title": "x"}),
        )
        .await;
    assert_eq!(code(&r), "policy.pack_unavailable");
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            json!({"pack": "jscz", "process": "change", "title": " "}),
        )
        .await;
    assert_eq!(code(&r), "ticket.title_invalid");
    app.cleanup().await;
}

#[tokio::test]
async fn demo_tickets_cover_every_process_in_varied_states() {
    let app = TestApp::new().await;
    let opened = yunwei_core::demo::tickets::seed(&app.platform)
        .await
        .unwrap();
    assert!(opened >= 5, "{opened}");
    assert_eq!(
        yunwei_core::demo::tickets::seed(&app.platform)
            .await
            .unwrap(),
        0,
        "seeded once"
    );
    let lead = app.login("demo_lead").await;
    let list = app
        .get("/api/v1/tickets?per_page=200", Some(&lead))
        .await
        .json();
    let tickets = list["tickets"].as_array().unwrap();
    // The government cloud's processes are walked on the cloud's systems
    // by `demo::cloud` (run by `seed_work`, which the page walk covers).
    for pk in app.platform.packs.iter().filter(|pk| pk.cloud.is_none()) {
        for pr in &pk.processes {
            assert!(
                tickets
                    .iter()
                    .any(|t| t["pack"] == pk.id.as_str() && t["process"] == pr.id.as_str()),
                "no demo ticket for {}/{}",
                pk.id,
                pr.id
            );
        }
    }
    let states: std::collections::BTreeSet<&str> = tickets
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert!(states.len() >= 4, "{states:?}");
    let timed = app
        .platform
        .packs
        .iter()
        .any(|pk| pk.processes.iter().any(|p| !p.timers.is_empty()));
    if timed {
        assert!(
            tickets.iter().any(|t| t["overdue"] == true),
            "some demo tickets are overdue"
        );
    }
    // Issue 13 item 10: the demo reads like real work, spread over months.
    let months: std::collections::BTreeSet<String> = tickets
        .iter()
        .map(|t| {
            let us = t["created_at"].as_i64().unwrap();
            let at = chrono::DateTime::from_timestamp_micros(us).unwrap();
            at.format("%Y-%m").to_string()
        })
        .collect();
    assert!(months.len() >= 4, "demo tickets over {months:?}");
    assert!(
        tickets.iter().any(|t| t["closed"] == true),
        "some demo tickets reached their end"
    );
    for t in tickets {
        let id = t["id"].as_str().unwrap();
        let d = app
            .get(&format!("/api/v1/tickets/{id}"), Some(&lead))
            .await
            .json();
        let text = d.to_string();
        assert!(!text.contains("演示"), "demo wording in {text}");
    }
    app.cleanup().await;
}

async fn open_ticket(
    app: &TestApp,
    token: &str,
    process: &str,
    title: &str,
    fields: Value,
) -> String {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            json!({"pack": "jscz", "process": process, "title": title, "fields": fields}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

async fn vote(app: &TestApp, token: &str, id: &str, approval: &str, approve: bool) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/votes"),
        Some(token),
        json!({"approval": approval, "approve": approve, "comment": "意见"}),
    )
    .await
}

#[tokio::test]
async fn jscz_39_software_installation_needs_the_project_leads_approval() {
    let app = TestApp::new().await;
    let vendor = app.login("demo_vendor").await;
    let lead = app.login("demo_lead").await;
    let hw = app.login("demo_hwops").await;
    let id = open_ticket(
        &app,
        &vendor,
        "software_install",
        "应用服务器安装监控代理",
        json!({"server": "SRV-APP-01", "software": "Zabbix Agent 6.0"}),
    )
    .await;
    // Licence and purpose first.
    let r = act(&app, &vendor, &id, "submit", json!({})).await;
    assert_eq!(code(&r), "policy.missing_field", "{}", r.text());
    // The server must be an item of the CMDB, which the request is linked to.
    let r = act(
        &app,
        &vendor,
        &id,
        "submit",
        json!({"licence": "开源 GPLv2，官方发行包", "purpose": "性能监控"}),
    )
    .await;
    assert_eq!(code(&r), "cmdb.ci_unknown", "{}", r.text());
    let center = crate::support::org_id(&app, "信息中心").await;
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"code": "SRV-APP-01", "name": "应用服务器01", "category": "hardware", "org_id": center}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    act_ok(
        &app,
        &vendor,
        &id,
        "submit",
        json!({"licence": "开源 GPLv2，官方发行包", "purpose": "性能监控"}),
    )
    .await;
    // Installing before the approval is refused; only the project lead approves.
    let r = act(
        &app,
        &vendor,
        &id,
        "record_installation",
        json!({"install_record": "x"}),
    )
    .await;
    assert_eq!(code(&r), "policy.wrong_state", "{}", r.text());
    let r = vote(&app, &hw, &id, "lead_approval", true).await;
    assert_eq!(code(&r), "policy.not_your_step", "{}", r.text());
    let r = vote(&app, &lead, &id, "lead_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    let done = act_ok(
        &app,
        &vendor,
        &id,
        "record_installation",
        json!({"install_record": "3月2日 郑海峰 安装至 /opt/zabbix"}),
    )
    .await;
    assert_eq!(done["state"], "installed");
    let cis = app
        .get(&format!("/api/v1/tickets/{id}/cis"), Some(&lead))
        .await
        .json();
    assert_eq!(cis[0]["code"], "SRV-APP-01", "{cis}");
    app.cleanup().await;
}

/// The fields of a data export for `recipient_type` (JSCZ-54).
fn export_fields(recipient_type: &str) -> Value {
    json!({
        "system": "预算管理一体化系统",
        "data_scope": "2026年省级部门预算支出明细",
        "purpose": "审计署专项审计",
        "recipient_type": recipient_type,
        "recipient": "审计署南京特派办 王某",
        "transfer": "encrypted_media"
    })
}

/// Whether `token` is offered the vote on the open approval of ticket `id`.
async fn offered_vote(app: &TestApp, token: &str, id: &str) -> bool {
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), Some(token))
        .await
        .json();
    d["approval"]["can_vote"] == true
}

/// JSCZ-54 「不得未经本处（科）室负责人同意将数据转发其他处（科）室人员，不得未经本级财政
/// 负责人同意将数据转发其他第三方单位、组织等机构及个人」. Changed (issue 16): the
/// approvers were the information centre's deputy director or project lead
/// and its director, whoever held those roles; they are now the exporter's
/// own division head and the head of the finance department of its level
/// (ADR 0020). A third party: the division head, then the level's head, in
/// order.
#[tokio::test]
async fn jscz_54_data_export_to_a_third_party_needs_the_level_heads_approval() {
    let app = TestApp::new().await;
    let budget = app.login("demo_budget").await;
    let lead = app.login("demo_lead").await;
    let director = app.login("demo_director").await;
    let head = app.login("demo_division_head").await;
    let finance = app.login("demo_finance_head").await;
    let third = open_ticket(
        &app,
        &budget,
        "data_export",
        "审计数据提供",
        export_fields("third_party"),
    )
    .await;
    act_ok(&app, &budget, &third, "submit", json!({})).await;
    // The centre's leaders no longer consent to another division's data.
    for token in [&lead, &director] {
        let r = vote(&app, token, &third, "third_party_approval", true).await;
        assert!(!r.status.is_success(), "{}", r.text());
    }
    let r = vote(&app, &finance, &third, "third_party_approval", true).await;
    assert_eq!(code(&r), "policy.not_your_step", "{}", r.text());
    let r = vote(&app, &head, &third, "third_party_approval", true).await;
    assert_eq!(r.json()["state"], "requested", "{}", r.text());
    let r = act(
        &app,
        &budget,
        &third,
        "record_export",
        json!({"export_record": "x"}),
    )
    .await;
    assert_eq!(code(&r), "policy.wrong_state");
    let r = vote(&app, &finance, &third, "third_party_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    let done = act_ok(
        &app,
        &budget,
        &third,
        "record_export",
        json!({"export_record": "3月2日导出 1 个加密文件，12,000 行，当面交接"}),
    )
    .await;
    assert_eq!(done["state"], "exported");
    // Internet transfer is not a choice at all (JSCZ-56).
    let mut bad = export_fields("third_party");
    bad["transfer"] = json!("wechat");
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&budget),
            json!({"pack": "jscz", "process": "data_export", "title": "x", "fields": bad}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-54 「不得未经本级财政负责人同意将数据转发其他第三方单位、组织等机构及个人」: the head
/// of the city's finance bureau consents to a city's export; the head of the
/// provincial finance department, whose scope covers the city, does not,
/// nor the provincial centre's staff; and only the city's head is told.
#[tokio::test]
async fn jscz_54_city_export_is_not_approved_by_provincial_staff() {
    let app = TestApp::new().await;
    let exporter = app.login("nj_budget").await;
    let nj_head = app.login("nj_division_head").await;
    let nj_finance = app.login("nj_finance_head").await;
    let province_finance = app.login("demo_finance_head").await;
    let director = app.login("demo_director").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&exporter),
            json!({"pack": "jscz", "process": "data_export", "title": "市级预算数据提供", "fields": export_fields("third_party")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let number = r.json()["number"].as_str().unwrap().to_string();
    act_ok(&app, &exporter, &id, "submit", json!({})).await;
    let r = vote(&app, &nj_head, &id, "third_party_approval", true).await;
    assert_eq!(r.json()["state"], "requested", "{}", r.text());
    // The level head's step is open: the city's head is offered it and
    // told; the province's head sees the ticket but is neither.
    assert!(offered_vote(&app, &nj_finance, &id).await);
    assert_eq!(told(&app, &nj_finance, &number).await.len(), 1);
    assert!(!offered_vote(&app, &province_finance, &id).await);
    assert!(told(&app, &province_finance, &number).await.is_empty());
    for token in [&province_finance, &director] {
        let r = vote(&app, token, &id, "third_party_approval", true).await;
        assert!(!r.status.is_success(), "{}", r.text());
        let t = app
            .get(&format!("/api/v1/tickets/{id}"), Some(&nj_finance))
            .await
            .json();
        assert_eq!(t["ticket"]["state"], "requested", "{t}");
    }
    let r = vote(&app, &nj_finance, &id, "third_party_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    // And a provincial export is the province's head's, not the city's.
    let budget = app.login("demo_budget").await;
    let head = app.login("demo_division_head").await;
    let prov = open_ticket(
        &app,
        &budget,
        "data_export",
        "省级数据提供",
        export_fields("third_party"),
    )
    .await;
    act_ok(&app, &budget, &prov, "submit", json!({})).await;
    vote(&app, &head, &prov, "third_party_approval", true).await;
    let r = vote(&app, &nj_finance, &prov, "third_party_approval", true).await;
    assert!(!r.status.is_success(), "{}", r.text());
    let r = vote(&app, &province_finance, &prov, "third_party_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-54 「不得未经本处（科）室负责人同意将数据转发其他处（科）室人员」: the head is the
/// exporter's own division's. The head of another division does not
/// consent, nor one holding the division head's role over the whole
/// province, nor the centre's leaders; the head of the exporter's own
/// division (here the information centre, above its software section) does,
/// and is the one told.
#[tokio::test]
async fn jscz_54_section_head_is_the_exporters_own_division_head() {
    use yunwei_domain::roles::Role;
    let app = TestApp::new().await;
    let soft = app.login("demo_soft").await;
    let budget_head = app.login("demo_division_head").await;
    let deputy = app.login("demo_deputy").await;
    let lead = app.login("demo_lead").await;
    let (root, centre) = {
        let mut c = app.platform.db().read().await.unwrap();
        let root = yunwei_store::orgs::root(&mut c).await.unwrap().unwrap();
        let id = crate::support::org_id(&app, "信息中心").await;
        let centre = yunwei_store::orgs::get(&mut c, &id).await.unwrap().unwrap();
        (root, centre)
    };
    // The security administrator grants the division head's role like any
    // business role, on the division, and never to a 三员 account.
    crate::support::account(&app, "centre_head", &centre, Role::BusinessStaff, &centre).await;
    crate::support::account(&app, "wide_head", &root, Role::DivisionHead, &root).await;
    let sec = app.login("secadmin").await;
    let grant = |user: String| json!({"user_id": user, "role": "division_head", "scope_org_id": centre.id, "subtree": true, "reason": "信息中心负责人"});
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            grant(crate::support::user_id(&app, "centre_head").await),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/roles/grants",
            Some(&sec),
            grant(crate::support::user_id(&app, "sysadmin").await),
        )
        .await;
    assert_eq!(code(&r), "role.admin_no_business", "{}", r.text());
    let centre_head = app.login("centre_head").await;
    let wide_head = app.login("wide_head").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&soft),
            json!({"pack": "jscz", "process": "data_export", "title": "转发预算处", "fields": export_fields("other_division")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let number = r.json()["number"].as_str().unwrap().to_string();
    act_ok(&app, &soft, &id, "submit", json!({})).await;
    assert!(offered_vote(&app, &centre_head, &id).await);
    assert_eq!(told(&app, &centre_head, &number).await.len(), 1);
    assert!(!offered_vote(&app, &wide_head, &id).await);
    assert!(told(&app, &wide_head, &number).await.is_empty());
    assert!(told(&app, &budget_head, &number).await.is_empty());
    for token in [&budget_head, &wide_head, &deputy, &lead] {
        let r = vote(&app, token, &id, "section_approval", true).await;
        assert!(!r.status.is_success(), "{}", r.text());
    }
    let r = vote(&app, &centre_head, &id, "section_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    app.cleanup().await;
}

/// JSCZ-54 asks consent only for data passed to another division or a
/// third party: data used inside the exporter's own division need no
/// approval, the export is recorded at once and nobody is asked. Changed
/// (issue 16): such an export used to wait for the division's approval.
/// The approval-free way is not open to data leaving the division.
#[tokio::test]
async fn jscz_54_internal_use_needs_no_approval() {
    let app = TestApp::new().await;
    let budget = app.login("demo_budget").await;
    let head = app.login("demo_division_head").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&budget),
            json!({"pack": "jscz", "process": "data_export", "title": "处内分析", "fields": export_fields("own_division")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let number = r.json()["number"].as_str().unwrap().to_string();
    // Nothing to ask for.
    let r = act(&app, &budget, &id, "submit", json!({})).await;
    assert_eq!(code(&r), "policy.condition", "{}", r.text());
    let r = act(&app, &budget, &id, "record_internal_use", json!({})).await;
    assert_eq!(code(&r), "policy.missing_field", "{}", r.text());
    let done = act_ok(
        &app,
        &budget,
        &id,
        "record_internal_use",
        json!({"export_record": "3月2日导出 1 个文件，处内共享目录存放"}),
    )
    .await;
    assert_eq!(done["state"], "exported");
    assert!(told(&app, &head, &number).await.is_empty());
    // Data for another division go through the head's approval.
    let other = open_ticket(
        &app,
        &budget,
        "data_export",
        "转发其他处室",
        export_fields("other_division"),
    )
    .await;
    let r = act(
        &app,
        &budget,
        &other,
        "record_internal_use",
        json!({"export_record": "x"}),
    )
    .await;
    assert_eq!(code(&r), "policy.condition", "{}", r.text());
    act_ok(&app, &budget, &other, "submit", json!({})).await;
    let r = vote(&app, &head, &other, "section_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_47_third_party_account_is_requested_approved_created_and_closed() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let hw = app.login("demo_hwops").await;
    let vendor = app.login("demo_vendor").await;
    let fields = json!({
        "kind": "create", "system": "预算管理一体化系统", "person": "郑海峰（金陵数智）",
        "account": "zhenghf", "rights": "预算编制模块查询", "valid_until": "2026-12-31"
    });
    let id = open_ticket(
        &app,
        &staff,
        "account_request",
        "为驻场工程师开通查询账号",
        fields,
    )
    .await;
    // Least privilege must be argued.
    let r = act(&app, &staff, &id, "request_account", json!({})).await;
    assert_eq!(code(&r), "policy.missing_field", "{}", r.text());
    // A third party cannot request an account for itself.
    let r = act(
        &app,
        &vendor,
        &id,
        "request_account",
        json!({"least_privilege": "x"}),
    )
    .await;
    assert!(!r.status.is_success());
    act_ok(
        &app,
        &staff,
        &id,
        "request_account",
        json!({"least_privilege": "仅需查询，不授予编制和审核权限"}),
    )
    .await;
    let r = vote(&app, &lead, &id, "lead_approval", true).await;
    assert_eq!(r.json()["state"], "approved", "{}", r.text());
    let r = act(
        &app,
        &staff,
        &id,
        "record_done",
        json!({"done_record": "x"}),
    )
    .await;
    assert!(!r.status.is_success(), "only the system's administrators");
    let done = act_ok(
        &app,
        &hw,
        &id,
        "record_done",
        json!({"done_record": "3月2日创建 zhenghf，角色：查询"}),
    )
    .await;
    assert_eq!(done["state"], "done");
    // Closing when the work ends.
    let close = open_ticket(
        &app,
        &staff,
        "account_request",
        "注销驻场工程师账号",
        json!({"kind": "close", "system": "预算管理一体化系统", "person": "郑海峰", "account": "zhenghf"}),
    )
    .await;
    let r = act(&app, &staff, &close, "request_account", json!({})).await;
    assert!(!r.status.is_success(), "{}", r.text());
    act_ok(
        &app,
        &staff,
        &close,
        "request_closing",
        json!({"close_reason": "合同到期"}),
    )
    .await;
    vote(&app, &lead, &close, "lead_approval", true).await;
    let done = act_ok(
        &app,
        &hw,
        &close,
        "record_done",
        json!({"done_record": "已注销"}),
    )
    .await;
    assert_eq!(done["state"], "done");
    app.cleanup().await;
}

/// Drives a major data change to 实施方案已发布 with its backup attached,
/// ready for `start_data_change`.
async fn published_data_change(app: &TestApp) -> (String, String) {
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let deputy = app.login("demo_deputy").await;
    let director = app.login("demo_director").await;
    let vendor = app.login("demo_vendor").await;
    let id = open_data_change(app, &staff, "2026-03-05T09:00:00+08:00").await;
    attach(app, &staff, &id, "signed_request", "审签件").await;
    act_ok(app, &staff, &id, "submit_data_change", json!({})).await;
    act_ok(app, &lead, &id, "accept_data_change", json!({})).await;
    act_ok(
        app,
        &lead,
        &id,
        "submit_data_plan",
        json!({"plan": "执行更正脚本", "rollback_plan": "按备份恢复"}),
    )
    .await;
    for who in [&deputy, &director] {
        let r = app
            .post_json(
                &format!("/api/v1/tickets/{id}/votes"),
                Some(who),
                json!({"approval": "data_signoff", "approve": true, "comment": "同意"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&lead),
            json!({"transition": "publish_plan", "assignee": "demo_vendor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    attach(app, &vendor, &id, "backup", "备份文件校验值").await;
    (id, vendor)
}

/// ADR 0010: the go-live gate of a major change is the `golive_plan`
/// keyword on the transition in policies/jscz/change.toml, nothing else.
/// The shipped pack refuses `start_data_change` without a go-live plan; the
/// same pack with that one `[[transition.gate]]` removed lets it through.
#[tokio::test]
async fn ntcz_3_4_1_the_pack_keyword_is_what_gates_the_transition() {
    use std::sync::Arc;
    use yunwei_domain::policy::embedded::EMBEDDED;

    // The shipped pack: gated.
    let app = TestApp::new().await;
    let (id, vendor) = published_data_change(&app).await;
    let r = act(&app, &vendor, &id, "start_data_change", json!({})).await;
    assert_eq!(code(&r), "ticket.golive_plan_required", "{}", r.text());
    let detail = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&vendor))
        .await
        .json();
    assert!(detail["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h == "golive_plan"));
    app.cleanup().await;

    // A copy of jscz with the gate removed from `start_data_change`.
    let gate = "\n# A major change: its go-live emergency plan on file first.\n[[transition.gate]]\nhook = \"golive_plan\"\nsource = \"NTCZ-3.4.1\"\n";
    let jscz = EMBEDDED.iter().find(|p| p.id == "jscz").unwrap();
    let files: Vec<(String, String)> = jscz
        .files
        .iter()
        .map(|(path, text)| {
            let text = if path.ends_with("/change.toml") {
                assert!(text.contains(gate), "change.toml lacks the gate");
                text.replacen(gate, "\n", 1)
            } else {
                text.to_string()
            };
            (path.to_string(), text)
        })
        .collect();
    let modified = yunwei_domain::policy::load_pack(&files).expect("modified pack loads");
    assert!(modified
        .process("change")
        .unwrap()
        .transition("start_data_change")
        .unwrap()
        .gates
        .is_empty());
    let mut app = TestApp::new().await;
    let packs: Vec<_> = app
        .platform
        .packs
        .iter()
        .map(|p| {
            if p.id == "jscz" {
                modified.clone()
            } else {
                p.clone()
            }
        })
        .collect();
    app.platform.packs = Arc::new(packs);
    app.router = yunwei_web::router(app.platform.clone(), yunwei_web::WebOptions::default());
    let (id, vendor) = published_data_change(&app).await;
    let t = act_ok(&app, &vendor, &id, "start_data_change", json!({})).await;
    assert_eq!(t["state"], "implementing");
    app.cleanup().await;
}

/// The titles of `token`'s notices that tell them a ticket is theirs.
async fn told(app: &TestApp, token: &str, number: &str) -> Vec<String> {
    let r = app.get("/api/v1/notifications", Some(token)).await.json();
    r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "ticket_todo")
        .filter_map(|n| n["title"].as_str())
        .filter(|t| t.contains(number))
        .map(str::to_string)
        .collect()
}

/// JSCZ-31: 事件管理流程 (1) 上报省厅信息中心项目负责人 (2) 分类定级 (3) 基础设施类
/// 事件报硬件运维科 … 较大以上事件报中心分管主任. Whoever acts next is told, with
/// the ticket linked; nobody else is.
#[tokio::test]
async fn jscz_31_the_next_actor_is_told_at_every_step() {
    let app = TestApp::new().await;
    let hw = app.login("demo_hwops").await;
    let lead = app.login("demo_lead").await;
    let deputy = app.login("demo_deputy").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&hw),
            json!({
                "pack": "jscz",
                "process": "incident",
                "title": "统一公共支付系统登录超时",
                "fields": {
                    "system": "统一公共支付系统",
                    "description": "部分预算单位登录超时",
                    "occurred_at": "2026-03-02T08:30:00+08:00",
                    "origin": "inspection",
                    "source_ticket": "XJ-2026-0001"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let number = r.json()["number"].as_str().unwrap().to_string();
    // A draft is the filer's; nobody else is told yet.
    assert!(told(&app, &lead, &number).await.is_empty());
    act_ok(&app, &hw, &id, "report", json!({})).await;
    let to_lead = told(&app, &lead, &number).await;
    assert_eq!(to_lead.len(), 1, "{to_lead:?}");
    assert!(to_lead[0].starts_with("待您处理："), "{to_lead:?}");
    assert!(told(&app, &deputy, &number).await.is_empty());
    // Classified as an infrastructure incident of level 2: the hardware
    // section accepts it.
    act_ok(
        &app,
        &lead,
        &id,
        "classify",
        json!({"category": "infrastructure", "affected_pct": 30, "social_impact": "general"}),
    )
    .await;
    assert_eq!(told(&app, &hw, &number).await.len(), 1);
    act_ok(&app, &hw, &id, "accept_infrastructure", json!({})).await;
    assert_eq!(told(&app, &lead, &number).await.len(), 2);
    // Level 2 goes to the deputy director.
    act_ok(&app, &lead, &id, "escalate", json!({})).await;
    let to_deputy = told(&app, &deputy, &number).await;
    assert_eq!(to_deputy.len(), 1, "{to_deputy:?}");
    // The notice links the ticket.
    let n = app.get("/api/v1/notifications", Some(&deputy)).await.json();
    assert!(n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "ticket_todo" && x["ticket_id"] == id.as_str()));
    app.cleanup().await;
}

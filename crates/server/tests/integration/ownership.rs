//! Owners and queues (issue 13): 认领, 指派, 转派 with their audit records
//! and notices, who may do which, what a vendor sees through its
//! assignment, parallel claims, saved filters per user, sorting and the
//! 状态类别 filter.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use yunwei_core::audit::AuditFilter;
use yunwei_core::tickets::{self, TicketFilter};
use yunwei_store::Scope;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{org_id, principal, user_id, Browser};

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

/// A data change filed by the Nanjing bureau: it has no owning team yet
/// (the bureau is not a section).
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
                    "description": "指标文号录入错误，需要后台更正 3 条记录",
                    "reason": "业务处室发文更正",
                    "level": "major",
                    "type": "data",
                    "planned_start": "2026-03-20T09:00:00+08:00"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let t = r.json();
    assert!(t["team_id"].is_null(), "{t}");
    t["id"].as_str().unwrap().to_string()
}

async fn reassign(
    app: &TestApp,
    token: &str,
    id: &str,
    team: &str,
    assignee: Option<&str>,
    reason: &str,
) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/reassign"),
        Some(token),
        json!({"team_id": team, "assignee": assignee, "reason": reason}),
    )
    .await
}

async fn assign(app: &TestApp, token: &str, id: &str, assignee: &str) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/assign"),
        Some(token),
        json!({ "assignee": assignee }),
    )
    .await
}

async fn claim(app: &TestApp, token: &str, id: &str) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/claim"),
        Some(token),
        json!({}),
    )
    .await
}

/// The ids of the tickets a list query returns.
async fn ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let r = app
        .get(
            &format!("/api/v1/tickets?per_page=200&{query}"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

/// The O&M vendor's contract with the information centre, in force: what
/// lets a ticket of the province be routed to the vendor (ADR 0012).
async fn contract(app: &TestApp, lead: &str, vendor_org: &str) {
    let center = org_id(app, "信息中心").await;
    let r = app
        .post_json(
            "/api/v1/registers/vendor_contracts",
            Some(lead),
            json!({"org_id": center, "values": {
                "name": "省级统建系统运维服务", "contract_no": "JS-2026-017",
                "vendor_org_id": vendor_org, "service_scope": "统建系统运行维护",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

async fn audit_count(app: &TestApp, action: &str, object_id: &str) -> usize {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.object_id == object_id && r.result == "success")
        .count()
}

async fn notices(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/api/v1/notifications", Some(token)).await.json()["notifications"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_ticket_is_routed_claimed_assigned_and_moved_with_audit_and_notices() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let chief = app.login("demo_chief").await;
    let hwops = app.login("demo_hwops").await;
    let netop = app.login("demo_netop").await;
    let soft = app.login("demo_soft").await;
    let vendor = app.login("demo_vendor").await;
    let hw = org_id(&app, "硬件运维科").await;
    let ops_vendor = org_id(&app, "金陵数智运维服务有限公司").await;
    contract(&app, &lead, &ops_vendor).await;
    let id = open_change(&app, &staff, "更正南京市指标文号").await;

    // The 科长 leads his section only: the bureau's ticket is not his yet.
    let r = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&chief))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    // The lead finds it among the tickets no team owns yet.
    let lead_b = Browser::login(&app, "demo_lead").await;
    let unrouted = |html: String| {
        let at = html
            .find("id=\"queue-unrouted\"")
            .expect("the unrouted section");
        html[at..].contains(&format!("/tickets/{id}/owner"))
    };
    assert!(unrouted(lead_b.get("/tickets/queue").await.text()));
    assert!(ids(&app, &lead, "team_id=none").await.contains(&id));

    // 转派 needs a reason; the project lead routes it to the section's queue.
    let r = reassign(&app, &lead, &id, &hw, None, "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = reassign(&app, &lead, &id, &hw, None, "硬件运维科负责数据库后台").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["team_id"], json!(hw));
    assert!(r.json()["assignee_id"].is_null());
    assert_eq!(audit_count(&app, "ticket.reassign", &id).await, 1);
    assert!(
        notices(&app, &chief)
            .await
            .iter()
            .any(|n| n["ticket_id"] == json!(id) && n["title"].as_str().unwrap().contains("待分派")),
        "the chief is told the queue has a new ticket"
    );

    assert!(!unrouted(lead_b.get("/tickets/queue").await.text()));
    assert!(!ids(&app, &lead, "team_id=none").await.contains(&id));
    let chief_b = Browser::login(&app, "demo_chief").await;
    let html = chief_b.get("/tickets/queue").await.text();
    assert!(
        html.contains(&format!("/tickets/{id}/assign")),
        "in his queue, to assign"
    );
    assert!(!html.contains("id=\"queue-unrouted\"") || !unrouted(html.clone()));

    // Now the chief sees it by id and in the queue (read == list).
    let r = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&chief))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let queue = format!("team_id={hw}&unowned=true");
    assert!(ids(&app, &chief, &queue).await.contains(&id));

    // Only the team's own people claim; the first wins.
    let r = claim(&app, &soft, &id).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = claim(&app, &netop, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = claim(&app, &hwops, &id).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(code(&r), "ticket.taken");
    assert_eq!(audit_count(&app, "ticket.claim", &id).await, 1);
    assert!(ids(&app, &netop, "mine=assigned").await.contains(&id));
    assert!(!ids(&app, &chief, &queue).await.contains(&id));

    // Only who leads the team assigns, and only to its members.
    let r = assign(&app, &hwops, &id, "demo_hwops").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = assign(&app, &chief, &id, "demo_soft").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "ticket.assignee_not_in_team");
    let r = assign(&app, &chief, &id, "demo_hwops").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["assignee_id"],
        json!(user_id(&app, "demo_hwops").await)
    );
    assert_eq!(audit_count(&app, "ticket.assign", &id).await, 1);
    let told = notices(&app, &hwops).await;
    assert!(
        told.iter()
            .any(|n| n["ticket_id"] == json!(id) && n["kind"] == "ticket_todo"),
        "the new owner is told, with the ticket linked: {told:?}"
    );
    assert!(ids(&app, &hwops, "mine=assigned").await.contains(&id));
    assert!(!ids(&app, &netop, "mine=assigned").await.contains(&id));

    // The owner moves it to the vendor's engineer; the vendor sees it.
    let r = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&vendor))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = reassign(
        &app,
        &hwops,
        &id,
        &ops_vendor,
        Some("demo_vendor"),
        "需厂商现场处理",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(audit_count(&app, "ticket.reassign", &id).await, 2);
    let r = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&vendor))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(ids(&app, &vendor, "mine=assigned").await.contains(&id));
    // No longer hw's: the chief loses it (he never had the bureau's scope).
    let r = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&chief))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn a_vendor_sees_the_tickets_routed_to_it_and_no_other() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let vendor = app.login("demo_vendor").await;
    let hw = org_id(&app, "硬件运维科").await;
    let ops_vendor = org_id(&app, "金陵数智运维服务有限公司").await;
    contract(&app, &lead, &ops_vendor).await;
    let theirs = open_change(&app, &staff, "交厂商处理的变更").await;
    let ours = open_change(&app, &staff, "本科处理的变更").await;
    let r = reassign(&app, &lead, &theirs, &ops_vendor, None, "运维服务合同范围").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = reassign(&app, &lead, &ours, &hw, Some("demo_hwops"), "本科办理").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Routed to the vendor (its queue, nobody took it): seen by id and in
    // the list; the other one neither.
    let listed = ids(&app, &vendor, "").await;
    assert!(listed.contains(&theirs), "{listed:?}");
    assert!(!listed.contains(&ours), "{listed:?}");
    let r = app
        .get(&format!("/api/v1/tickets/{theirs}"), Some(&vendor))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .get(&format!("/api/v1/tickets/{ours}"), Some(&vendor))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // The vendor's engineer takes it from its queue.
    let r = claim(&app, &vendor, &theirs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // And cannot claim the section's.
    let r = claim(&app, &vendor, &ours).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_parallel_claims_exactly_one_wins() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let hw = org_id(&app, "硬件运维科").await;
    let id = open_change(&app, &staff, "并发认领").await;
    let r = reassign(&app, &lead, &id, &hw, None, "交硬件运维科").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut tasks = Vec::new();
    for who in ["demo_hwops", "demo_netop", "demo_sysop", "demo_chief"] {
        let pr = principal(&app, who).await;
        let p = app.platform.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let ctx = yunwei_core::Ctx::system("parallel-claim");
            tickets::claim(&p, &ctx, &pr, &id)
                .await
                .map(|t| t.assignee_id)
                .map_err(|e| e.code)
        }));
    }
    let mut won = Vec::new();
    let mut lost = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(owner) => won.push(owner),
            Err(code) => lost.push(code),
        }
    }
    assert_eq!(won.len(), 1, "won {won:?}, lost {lost:?}");
    assert_eq!(lost.len(), 3, "{lost:?}");
    assert!(
        lost.iter()
            .all(|c| *c == "ticket.taken" || *c == "ticket.changed"),
        "{lost:?}"
    );
    let stored = tickets::detail(&app.platform, &principal(&app, "demo_lead").await, &id)
        .await
        .unwrap();
    assert_eq!(stored.ticket.assignee_id, won[0]);
    assert_eq!(audit_count(&app, "ticket.claim", &id).await, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn saved_filters_belong_to_their_user() {
    let app = TestApp::new().await;
    let chief = Browser::login(&app, "demo_chief").await;
    let hwops = Browser::login(&app, "demo_hwops").await;
    let r = chief
        .post(
            "/tickets/filters",
            &[
                ("name", "本科待认领"),
                ("query", "unowned=true&sort=due&dir=asc&page=3"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("已保存筛选条件「本科待认领」"));
    let pr = principal(&app, "demo_chief").await;
    let mine = tickets::saved_filters(&app.platform, &pr).await.unwrap();
    assert_eq!(mine.len(), 1);
    let f = &mine[0];
    // Kept as the list writes it, without the page.
    assert_eq!(f.query, "unowned=true&sort=due&dir=asc");
    assert_eq!(audit_count(&app, "ticket_filter.save", &f.id).await, 1);

    // Applied by its owner: the list with its query.
    let r = chief.get(&format!("/tickets/filters/{}", f.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some("/tickets?unowned=true&sort=due&dir=asc")
    );
    // Another user neither sees, applies nor deletes it.
    let r = hwops.get("/tickets").await;
    assert!(!r.text().contains("本科待认领"));
    let r = hwops.get(&format!("/tickets/filters/{}", f.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = hwops
        .post(&format!("/tickets/filters/{}/delete", f.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let hw_pr = principal(&app, "demo_hwops").await;
    assert!(tickets::saved_filter(&app.platform, &hw_pr, &f.id)
        .await
        .is_err());
    // Its owner deletes it, audited.
    let r = chief
        .post(&format!("/tickets/filters/{}/delete", f.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(tickets::saved_filters(&app.platform, &pr)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(audit_count(&app, "ticket_filter.delete", &f.id).await, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn lists_sort_by_column_and_filter_by_state_category() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let a = open_change(&app, &staff, "甲 排序").await;
    let b = open_change(&app, &staff, "乙 排序").await;
    let c = open_change(&app, &staff, "丙 排序").await;
    let asc = ids(&app, &lead, "sort=title&dir=asc").await;
    let desc = ids(&app, &lead, "sort=title&dir=desc").await;
    assert_eq!(asc.len(), 3);
    let mut reversed = desc.clone();
    reversed.reverse();
    assert_eq!(asc, reversed);
    // Unicode order of the titles: 丙 (4E19) < 乙 (4E59) < 甲 (7532).
    assert_eq!(asc, vec![c.clone(), b.clone(), a.clone()]);
    // Newest first by default.
    assert_eq!(
        ids(&app, &lead, "").await,
        vec![c.clone(), b.clone(), a.clone()]
    );
    let r = app.get("/api/v1/tickets?sort=password", Some(&lead)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "ticket.sort_invalid");
    let r = app.get("/api/v1/tickets?category=soon", Some(&lead)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());

    // Submitted for approval, one ticket waits; the categories split the
    // list without overlap.
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/tickets/{a}/attachments?kind=signed_request&filename=s.txt"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {staff}"))
        .body(Body::from("分管厅领导审签件"))
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::CREATED);
    for (who, step, fields) in [
        (&staff, "submit_data_change", json!({})),
        (&lead, "accept_data_change", json!({})),
        (
            &lead,
            "submit_data_plan",
            json!({"plan": "执行更正脚本", "rollback_plan": "按备份恢复"}),
        ),
    ] {
        let r = app
            .post_json(
                &format!("/api/v1/tickets/{a}/transitions"),
                Some(who),
                json!({"transition": step, "fields": fields}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.text());
    }
    let open = ids(&app, &lead, "category=open").await;
    let waiting = ids(&app, &lead, "category=waiting").await;
    let closed = ids(&app, &lead, "category=closed").await;
    let state = app
        .get(&format!("/api/v1/tickets/{a}"), Some(&lead))
        .await
        .json()["ticket"]["state"]
        .as_str()
        .unwrap()
        .to_string();
    let waiting_states = yunwei_core::tickets::waiting_states(&app.platform);
    let a_waits = waiting_states.contains(&("change".to_string(), state.clone()));
    assert!(
        a_waits,
        "{state} of a submitted change waits for its approval"
    );
    assert_eq!(waiting, vec![a.clone()]);
    assert_eq!(open, vec![c.clone(), b.clone()]);
    assert!(closed.is_empty());

    // The grouped state filter of the page: `process:state`.
    let lead_b = Browser::login(&app, "demo_lead").await;
    let page = lead_b.get(&format!("/tickets?state=change:{state}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(&format!("/tickets/{a}\"")),
        "the waiting change is listed"
    );
    assert!(!html.contains(&format!("/tickets/{b}\"")), "a draft is not");
    assert!(
        html.contains("<optgroup label=\"变更"),
        "states grouped by process"
    );
    // Paging keeps the filters and the order.
    let page = lead_b
        .get("/tickets?sort=title&dir=asc&open=true")
        .await
        .text()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    // Another column's head keeps the filter; the current one turns round.
    assert!(page.contains("href=\"/tickets?open=true&sort=number&dir=asc&page=1\""));
    assert!(page.contains("href=\"/tickets?open=true&sort=title&dir=desc&page=1\""));
    assert!(page.contains("name=\"back\" value=\"open=true&sort=title&dir=asc\""));

    // A filter by team finds nothing before routing.
    let f = TicketFilter {
        team_id: Some(org_id(&app, "硬件运维科").await),
        ..Default::default()
    };
    let pr = principal(&app, "demo_lead").await;
    assert_eq!(
        tickets::list(&app.platform, &pr, &f, 1, 50)
            .await
            .unwrap()
            .total,
        0
    );
    app.cleanup().await;
}

#[tokio::test]
async fn bulk_assign_and_export_take_the_checked_rows() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let netop = app.login("demo_netop").await;
    let hw = org_id(&app, "硬件运维科").await;
    let mut routed = Vec::new();
    for title in ["批量一", "批量二", "批量三"] {
        let id = open_change(&app, &staff, title).await;
        let r = reassign(&app, &lead, &id, &hw, None, "交硬件运维科").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        routed.push(id);
    }
    let chief = Browser::login(&app, "demo_chief").await;
    // The list offers the chief his team's members.
    let html = chief.get(&format!("/tickets?team_id={hw}")).await.text();
    assert!(
        html.contains("<option value=\"demo_netop\">"),
        "bulk assign choices"
    );
    let back = format!("team_id={hw}");
    let checked = [
        ("back", back.as_str()),
        ("ids", routed[0].as_str()),
        ("ids", routed[1].as_str()),
    ];
    let mut form = checked.to_vec();
    form.extend([("action", "assign"), ("assignee", "demo_netop")]);
    let r = chief.post("/tickets/bulk", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("已指派 2 张工单"), "{}", r.text());
    let mine = ids(&app, &netop, "mine=assigned").await;
    assert!(
        mine.contains(&routed[0]) && mine.contains(&routed[1]),
        "{mine:?}"
    );
    assert!(!mine.contains(&routed[2]));
    assert_eq!(audit_count(&app, "ticket.assign", &routed[0]).await, 1);

    // One who does not lead the team: refused for each row, nothing moves.
    let hwops = Browser::login(&app, "demo_hwops").await;
    let mut form = vec![("back", ""), ("ids", routed[2].as_str())];
    form.extend([("action", "assign"), ("assignee", "demo_hwops")]);
    let r = hwops.post("/tickets/bulk", &form).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("已指派 0 张"));
    assert_eq!(audit_count(&app, "ticket.assign", &routed[2]).await, 0);

    // Export of the checked rows: a reason, then exactly those rows with
    // their team and owner.
    let mut form = checked.to_vec();
    form.extend([("action", "export"), ("reason", " ")]);
    let r = chief.post("/tickets/bulk", &form).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let mut form = checked.to_vec();
    form.extend([("action", "export"), ("reason", "科室周报")]);
    let r = chief.post("/tickets/bulk", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rows = crate::controls::xlsx_rows(&r.body);
    let all = rows.concat().join(" ");
    assert!(all.contains("批量一") && all.contains("批量二"), "{rows:?}");
    assert!(!all.contains("批量三"), "{rows:?}");
    assert!(
        all.contains("硬件运维科") && all.contains("黄涛"),
        "{rows:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_workload_counts_open_work_per_person_for_the_lead_only() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let hw = org_id(&app, "硬件运维科").await;
    for (title, who) in [
        ("工作量一", Some("demo_netop")),
        ("工作量二", Some("demo_netop")),
        ("工作量三", None),
    ] {
        let id = open_change(&app, &staff, title).await;
        let r = reassign(&app, &lead, &id, &hw, who, "交硬件运维科").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let chief = principal(&app, "demo_chief").await;
    let load = tickets::workload(&app.platform, &chief, &hw).await.unwrap();
    let of = |name: &str| {
        load.iter()
            .find(|l| l.display_name == name)
            .map(|l| l.open)
            .unwrap_or(-1)
    };
    assert_eq!(of("待认领"), 1, "{load:?}");
    assert_eq!(of("黄涛"), 2, "{load:?}");
    assert_eq!(of("刘建军"), 0, "every member is listed: {load:?}");
    let hwops = principal(&app, "demo_hwops").await;
    assert!(tickets::workload(&app.platform, &hwops, &hw).await.is_err());
    // The page links each figure to its list.
    let page = Browser::login(&app, "demo_chief")
        .await
        .get("/tickets/workload")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text().replace("&#38;", "&");
    assert!(html.contains(&format!(
        "/tickets?team_id={hw}&assignee=demo_netop&open=true\">2<"
    )));
    app.cleanup().await;
}

/// 转派 goes to a section the caller works in or one within the ticket's
/// organisation, or to a vendor whose contract in force covers the ticket;
/// 指派 and 转派 give a ticket only to a person who works tickets in the
/// team (never an account without a business role, such as one of the
/// three administrators). The choices offered are the ones allowed.
#[tokio::test]
async fn routing_and_assigning_keep_to_the_contracts_and_the_team() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let chief = app.login("demo_chief").await;
    let sys = app.login("sysadmin").await;
    let hw = org_id(&app, "硬件运维科").await;
    let sw = org_id(&app, "软件科").await;
    let ops_vendor = org_id(&app, "金陵数智运维服务有限公司").await;
    let builder = org_id(&app, "苏财信息技术有限公司").await;
    let id = open_change(&app, &staff, "核心交换机端口调整").await;

    // No contract of the vendor covers the ticket: refused, nothing moved.
    let r = reassign(&app, &lead, &id, &ops_vendor, None, "厂商处理").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "ticket.team_not_allowed");
    assert_eq!(audit_count(&app, "ticket.reassign", &id).await, 0);
    let pr = principal(&app, "demo_lead").await;
    let offered: Vec<String> = tickets::reassign_targets(&app.platform, &pr, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(
        offered.contains(&hw) && offered.contains(&sw),
        "{offered:?}"
    );
    assert!(!offered.contains(&ops_vendor) && !offered.contains(&builder));
    // With the contract the vendor is offered and accepted; the builder,
    // without one, still is not.
    contract(&app, &lead, &ops_vendor).await;
    let offered: Vec<String> = tickets::reassign_targets(&app.platform, &pr, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(offered.contains(&ops_vendor) && !offered.contains(&builder));
    let r = reassign(&app, &lead, &id, &builder, None, "厂商处理").await;
    assert_eq!(code(&r), "ticket.team_not_allowed");

    // The 科长 works in his section only: he may not push the bureau's
    // ticket into 软件科.
    let r = reassign(&app, &lead, &id, &hw, None, "硬件问题").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = reassign(&app, &chief, &id, &sw, None, "转软件科").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "ticket.team_not_allowed");

    // An account of the section without a business role is no member.
    let r = app
        .post_json(
            "/api/v1/users",
            Some(&sys),
            json!({"username": "zhou.kai", "display_name": "周凯", "org_id": hw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = assign(&app, &chief, &id, "zhou.kai").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "ticket.assignee_not_in_team");
    assert!(
        !r.text().contains("周凯"),
        "the refusal names nobody: {}",
        r.text()
    );
    let chief_pr = principal(&app, "demo_chief").await;
    let members: Vec<String> = tickets::members(&app.platform, &chief_pr, &hw)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.username)
        .collect();
    assert!(members.contains(&"demo_hwops".to_string()), "{members:?}");
    assert!(!members.contains(&"zhou.kai".to_string()), "{members:?}");
    let r = assign(&app, &chief, &id, "demo_hwops").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.cleanup().await;
}

/// Parallel saves of new filters never pass the limit of saved filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_saves_keep_the_saved_filter_limit() {
    let app = TestApp::new().await;
    let pr = principal(&app, "demo_chief").await;
    let ctx = yunwei_core::Ctx::system("test");
    for i in 0..48 {
        tickets::save_filter(&app.platform, &ctx, &pr, &format!("筛选{i}"), "open=true")
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (p, pr, ctx) = (app.platform.clone(), pr.clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            tickets::save_filter(&p, &ctx, &pr, &format!("并发{i}"), "open=true").await
        }));
    }
    let mut saved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => saved += 1,
            Err(e) => assert_eq!(e.code, "ticket.filter_too_many"),
        }
    }
    assert_eq!(saved, 2);
    let mine = tickets::saved_filters(&app.platform, &pr).await.unwrap();
    assert_eq!(mine.len(), 50);
    app.cleanup().await;
}

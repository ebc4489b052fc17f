//! Reads that show the objects of one organisation together with objects
//! linked from another (issue 12, item 4). The rule: a read by id applies
//! exactly the scope its list applies, and a response that shows an object
//! linked from an organisation the caller may not read does not reveal it:
//! it names it by its code or number only, marks it 「（无权查看）」, or
//! leaves it out. Each test has a caller who may see the main object but
//! not the linked one, and one who may see both (so the test fails when
//! the link is not there at all).
//!
//! The ticket's linked items (`GET /api/v1/tickets/{id}/cis`) are tested
//! in `cmdb.rs` (`ticket_cis_are_redacted_for_who_may_see_the_ticket_but_not_the_item`).

use axum::http::StatusCode;
use serde_json::{json, Value};
use yunwei_core::Principal;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{org_id, principal, urlenc, Browser};

/// What a redacted name reads.
const HIDDEN: &str = "（无权查看）";

/// The body of a successful answer.
fn ok(r: TestResponse) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

async fn get(app: &TestApp, token: &str, path: &str) -> TestResponse {
    app.get(path, Some(token)).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    ok(app.post_json(path, Some(token), body).await)
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    ok(app.put_json(path, Some(token), body).await)
}

/// Asserts the answer is a success that does not contain `secret`.
fn hides(r: &TestResponse, secret: &str) {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    assert!(
        !r.text().contains(secret),
        "「{secret}」 revealed: {}",
        r.text()
    );
}

/// A configuration item of `org`; returns its id.
async fn item(app: &TestApp, token: &str, code: &str, name: &str, org: &str) -> String {
    let v = post(
        app,
        token,
        "/api/v1/cis",
        json!({"code": code, "name": name, "category": "hardware", "org_id": org,
               "location": format!("{name}机房")}),
    )
    .await;
    v["ci"]["id"].as_str().unwrap().to_string()
}

/// Replaces an item's organisation and name (the other fields kept).
async fn move_item(app: &TestApp, token: &str, id: &str, org: &str, name: &str) {
    let d = ok(get(app, token, &format!("/api/v1/cis/{id}")).await);
    let ci = &d["ci"];
    let mut body = json!({});
    for f in [
        "code",
        "category",
        "ci_type",
        "vendor",
        "location",
        "status",
        "version",
        "patch_level",
        "licence",
        "licence_expires",
        "notes",
    ] {
        body[f] = ci[f].clone();
    }
    if body["licence_expires"].is_null() {
        body["licence_expires"] = json!("");
    }
    body["name"] = json!(name);
    body["org_id"] = json!(org);
    body["expected_updated_at"] = ci["updated_at"].clone();
    put(app, token, &format!("/api/v1/cis/{id}"), body).await;
}

/// An incident of `org` (the caller's own when None), filed for
/// `on_behalf_of` when given; returns (id, number).
async fn incident(
    app: &TestApp,
    token: &str,
    org: Option<&str>,
    title: &str,
    on_behalf_of: Option<&str>,
) -> (String, String) {
    let mut body = json!({"pack": "jscz", "process": "incident", "title": title});
    if let Some(o) = org {
        body["org_id"] = json!(o);
    }
    if let Some(u) = on_behalf_of {
        body["on_behalf_of"] = json!(u);
    }
    let t = post(app, token, "/api/v1/tickets", body).await;
    (
        t["id"].as_str().unwrap().to_string(),
        t["number"].as_str().unwrap().to_string(),
    )
}

/// An account of the organisation named `org_name` holding business
/// staff over that organisation alone; returns its bearer token.
async fn staff_of(app: &TestApp, username: &str, display_name: &str, org_name: &str) -> String {
    let p = &app.platform;
    let mut c = p.db().begin().await.unwrap();
    let org = yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == org_name)
        .unwrap();
    let user = yunwei_core::users::insert_unchecked(
        p,
        &mut c,
        &org,
        username,
        display_name,
        TestApp::DEMO_PASSWORD,
        None,
        None,
        false,
    )
    .await
    .unwrap();
    yunwei_core::users::grant_unchecked(
        p,
        &mut c,
        &user,
        yunwei_domain::roles::Role::BusinessStaff,
        &org,
        false,
    )
    .await
    .unwrap();
    c.commit().await.unwrap();
    app.login(username).await
}

/// The field `name` of an entry as the API shows it.
fn field<'v>(entry: &'v Value, name: &str) -> &'v Value {
    entry["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {entry}"))
}

// ---- the CMDB item (`cmdb::detail`) ----

#[tokio::test]
async fn ci_detail_relations_name_an_item_of_another_organisation_by_code_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let nj = item(&app, &lead, "NJ-GW-01", "南京财政网关", &nanjing).await;
    let sz = item(&app, &lead, "SZ-DB-01", "苏州预算库服务器", &suzhou).await;
    post(
        &app,
        &lead,
        &format!("/api/v1/cis/{nj}/relations"),
        json!({"to": "SZ-DB-01", "kind": "depends_on"}),
    )
    .await;
    // Who reads both sees the other item whole.
    let d = ok(get(&app, &lead, &format!("/api/v1/cis/{nj}")).await);
    assert_eq!(d["relations"][0]["other_code"], "SZ-DB-01");
    assert_eq!(d["relations"][0]["other_name"], "苏州预算库服务器");
    // Nanjing's staff read the Nanjing item; the Suzhou one by its code.
    let r = get(&app, &staff, &format!("/api/v1/cis/{nj}")).await;
    hides(&r, "苏州预算库服务器");
    hides(&r, "苏州预算库服务器机房");
    let d = r.json();
    assert_eq!(d["relations"][0]["other_code"], "SZ-DB-01");
    assert_eq!(d["relations"][0]["other_name"], HIDDEN);
    // By id, the Suzhou item is as missing as in the list.
    let r = get(&app, &staff, &format!("/api/v1/cis/{sz}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = ok(get(&app, &staff, "/api/v1/cis").await);
    assert!(!list.to_string().contains("SZ-DB-01"), "{list}");
    app.cleanup().await;
}

#[tokio::test]
async fn ci_detail_impact_names_an_item_of_another_organisation_by_code_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let nj = item(&app, &lead, "NJ-GW-01", "南京财政网关", &nanjing).await;
    let sz = item(&app, &lead, "SZ-APP-01", "苏州非税收入系统", &suzhou).await;
    // The Suzhou system depends on the Nanjing gateway: a failure of the
    // gateway hits it.
    post(
        &app,
        &lead,
        &format!("/api/v1/cis/{sz}/relations"),
        json!({"to": "NJ-GW-01", "kind": "depends_on"}),
    )
    .await;
    let d = ok(get(&app, &lead, &format!("/api/v1/cis/{nj}")).await);
    assert_eq!(d["impact"][0]["code"], "SZ-APP-01");
    assert_eq!(d["impact"][0]["visible"], true);
    assert_eq!(d["impact"][0]["name"], "苏州非税收入系统");
    let r = get(&app, &staff, &format!("/api/v1/cis/{nj}")).await;
    hides(&r, "苏州非税收入系统");
    let d = r.json();
    assert_eq!(d["impact"][0]["code"], "SZ-APP-01");
    assert_eq!(d["impact"][0]["visible"], false);
    assert_eq!(d["impact"][0]["name"], HIDDEN);
    assert_eq!(d["relations"][0]["other_name"], HIDDEN);
    app.cleanup().await;
}

#[tokio::test]
async fn ci_detail_tickets_omit_a_ticket_of_another_organisation() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let nj = item(&app, &lead, "NJ-GW-01", "南京财政网关", &nanjing).await;
    let (own, own_number) = incident(&app, &staff, None, "南京网关响应缓慢", None).await;
    let (other, other_number) =
        incident(&app, &lead, Some(&suzhou), "苏州非税系统无法登录", None).await;
    for t in [&own, &other] {
        post(
            &app,
            &lead,
            &format!("/api/v1/tickets/{t}/cis"),
            json!({"ci": "NJ-GW-01"}),
        )
        .await;
    }
    let d = ok(get(&app, &lead, &format!("/api/v1/cis/{nj}")).await);
    let numbers: Vec<&str> = d["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert!(numbers.contains(&other_number.as_str()), "{d}");
    assert!(numbers.contains(&own_number.as_str()), "{d}");
    let r = get(&app, &staff, &format!("/api/v1/cis/{nj}")).await;
    hides(&r, &other_number);
    hides(&r, "苏州非税系统无法登录");
    let d = r.json();
    assert_eq!(d["tickets"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["tickets"][0]["number"], own_number.as_str());
    app.cleanup().await;
}

#[tokio::test]
async fn ci_detail_addresses_show_the_items_own_address_not_the_segment_of_another_organisation() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let nj = item(&app, &lead, "NJ-GW-01", "南京财政网关", &nanjing).await;
    let seg = post(
        &app,
        &lead,
        "/api/v1/ip-segments",
        json!({"cidr": "10.40.1.0/24", "name": "苏州业务专网", "org_id": suzhou}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        &app,
        &lead,
        &format!("/api/v1/ip-segments/{seg}/allocations"),
        json!({"address": "10.40.1.5", "ci": "NJ-GW-01"}),
    )
    .await;
    // The address is the item's own: shown with the item.
    let r = get(&app, &staff, &format!("/api/v1/cis/{nj}")).await;
    hides(&r, "苏州业务专网");
    hides(&r, "10.40.1.0/24");
    assert_eq!(r.json()["addresses"][0]["address"], "10.40.1.5");
    // The segment itself is Suzhou's.
    let r = get(&app, &staff, &format!("/api/v1/ip-segments/{seg}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let d = ok(get(&app, &lead, &format!("/api/v1/ip-segments/{seg}")).await);
    assert_eq!(d["segment"]["name"], "苏州业务专网");
    app.cleanup().await;
}

// ---- IP segments (`cmdb::segment_detail`) ----

#[tokio::test]
async fn ip_segment_allocations_name_an_item_of_another_organisation_by_code_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    item(&app, &lead, "NJ-GW-01", "南京财政网关", &nanjing).await;
    item(&app, &lead, "SZ-DB-01", "苏州预算库服务器", &suzhou).await;
    let seg = post(
        &app,
        &lead,
        "/api/v1/ip-segments",
        json!({"cidr": "10.30.1.0/24", "name": "南京业务专网", "org_id": nanjing}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (addr, ci) in [("10.30.1.8", "NJ-GW-01"), ("10.30.1.9", "SZ-DB-01")] {
        post(
            &app,
            &lead,
            &format!("/api/v1/ip-segments/{seg}/allocations"),
            json!({"address": addr, "ci": ci, "purpose": "业务地址"}),
        )
        .await;
    }
    let names = |d: &Value| -> Vec<(String, String)> {
        d["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["ci_code"].as_str().unwrap().to_string(),
                    a["ci_name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let d = ok(get(&app, &lead, &format!("/api/v1/ip-segments/{seg}")).await);
    assert_eq!(
        names(&d),
        [
            ("NJ-GW-01".to_string(), "南京财政网关".to_string()),
            ("SZ-DB-01".to_string(), "苏州预算库服务器".to_string())
        ]
    );
    let staff = app.login("demo_staff").await;
    let r = get(&app, &staff, &format!("/api/v1/ip-segments/{seg}")).await;
    hides(&r, "苏州预算库服务器");
    assert_eq!(
        names(&r.json()),
        [
            ("NJ-GW-01".to_string(), "南京财政网关".to_string()),
            ("SZ-DB-01".to_string(), HIDDEN.to_string())
        ]
    );
    // The page says the same.
    let b = Browser::login(&app, "demo_staff").await;
    let page = b.get(&format!("/cmdb/ip/{seg}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("SZ-DB-01"));
    assert!(!page.text().contains("苏州预算库服务器"), "{}", page.text());
    app.cleanup().await;
}

// ---- the ticket (`tickets::detail`, the ticket page's panels) ----

#[tokio::test]
async fn ticket_detail_links_omit_a_linked_ticket_the_caller_may_not_see() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let (own, _) = incident(&app, &staff, None, "南京网关告警", None).await;
    let (other, other_number) = incident(&app, &lead, Some(&suzhou), "苏州预算库宕机", None).await;
    // No flow links tickets of two organisations today (a conversion
    // stays in its organisation); the read must not depend on that.
    {
        let mut c = app.platform.db().begin().await.unwrap();
        yunwei_store::tickets::insert_link(
            &mut c,
            &yunwei_domain::ids::new_id(),
            &own,
            &other,
            "converted_to",
            app.platform.now_us(),
        )
        .await
        .unwrap();
        c.commit().await.unwrap();
    }
    let d = ok(get(&app, &lead, &format!("/api/v1/tickets/{own}")).await);
    assert_eq!(d["links"][0][0], "converted_to");
    assert_eq!(d["links"][0][1]["number"], other_number.as_str());
    let r = get(&app, &staff, &format!("/api/v1/tickets/{own}")).await;
    hides(&r, &other_number);
    hides(&r, "苏州预算库宕机");
    assert_eq!(r.json()["links"], json!([]));
    assert_eq!(
        get(&app, &staff, &format!("/api/v1/tickets/{other}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The linked ticket seen from its side: the other way round.
    let d = ok(get(&app, &lead, &format!("/api/v1/tickets/{other}")).await);
    assert_eq!(d["links"][0][0], "converted_to_by");
    let b = Browser::login(&app, "demo_staff").await;
    let page = b.get(&format!("/tickets/{own}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains(&other_number), "{}", page.text());
    app.cleanup().await;
}

/// A release of Suzhou filed by the lead for Nanjing's staff member, with
/// its go-live plan and pre-launch checks; returns (id, number).
async fn suzhou_release_for_staff(app: &TestApp, lead: &str) -> (String, String) {
    let suzhou = org_id(app, "苏州市财政局").await;
    let t = post(
        app,
        lead,
        "/api/v1/tickets",
        json!({"pack": "jscz", "process": "release", "title": "苏州非税系统 2.4 补丁",
               "org_id": suzhou, "on_behalf_of": "demo_staff",
               "fields": {"system": "苏州非税收入系统", "version_number": "2.4",
                          "upgrade_content": "修复缴款书打印", "upgrade_plan": "3 月 6 日夜间升级"}}),
    )
    .await;
    let (id, number) = (
        t["id"].as_str().unwrap().to_string(),
        t["number"].as_str().unwrap().to_string(),
    );
    post(
        app,
        lead,
        "/api/v1/registers/golive_plans",
        json!({"values": {"ticket_id": number, "title": "苏州非税 2.4 上线应急方案",
               "scope": "苏州非税收入系统", "risks": "缴款书无法打印", "pass_criteria": "打印 100 张无误",
               "fail_criteria": "任一失败即回退", "method": "回退至 2.3", "follow_up": "记入工单"}}),
    )
    .await;
    post(
        app,
        lead,
        "/api/v1/registers/prelaunch_checks",
        json!({"values": {"ticket_id": number, "package": "sz-fs-2.4.tar.gz", "code_review": "pass",
               "reviewer": "苏州厂商技术负责人", "virus_scan": "pass", "vuln_scan": "pass",
               "reports": "SZ-BD-2026-01", "fixes": ""}}),
    )
    .await;
    (id, number)
}

#[tokio::test]
async fn ticket_golive_plans_and_prelaunch_checks_omit_entries_the_caller_may_not_read() {
    use yunwei_core::register_rules::entries_for_ticket;
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let (tid, _) = suzhou_release_for_staff(&app, &lead).await;
    let p = &app.platform;
    let lead_pr = principal(&app, "demo_lead").await;
    let staff_pr = principal(&app, "demo_staff").await;
    // Nanjing's staff member sees the ticket filed for her.
    let staff = app.login("demo_staff").await;
    ok(get(&app, &staff, &format!("/api/v1/tickets/{tid}")).await);
    yunwei_core::tickets::detail(p, &staff_pr, &tid)
        .await
        .unwrap();
    for (register, title) in [
        ("golive_plans", "苏州非税 2.4 上线应急方案"),
        ("prelaunch_checks", "sz-fs-2.4.tar.gz"),
    ] {
        let seen = entries_for_ticket(p, &lead_pr, register, &tid)
            .await
            .unwrap();
        assert_eq!(seen.len(), 1, "{register}");
        assert_eq!(seen[0].1, title);
        // The entries are Suzhou's (the ticket's organisation).
        let seen = entries_for_ticket(p, &staff_pr, register, &tid)
            .await
            .unwrap();
        assert!(seen.is_empty(), "{register}: {seen:?}");
    }
    // The ticket page's panels say the same.
    let b = Browser::login(&app, "demo_lead").await;
    let page = b.get(&format!("/tickets/{tid}")).await;
    assert!(page.text().contains("苏州非税 2.4 上线应急方案"));
    let b = Browser::login(&app, "demo_staff").await;
    let page = b.get(&format!("/tickets/{tid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for secret in ["苏州非税 2.4 上线应急方案", "sz-fs-2.4.tar.gz"] {
        assert!(!page.text().contains(secret), "{secret}: {}", page.text());
    }
    app.cleanup().await;
}

#[tokio::test]
async fn ticket_grants_omit_a_temporary_grant_the_caller_may_not_read() {
    let app = TestApp::new().await;
    let tid = crate::access::request_access(&app, "demo_vendor", "bastion").await;
    crate::access::grant_access(&app, &tid).await;
    let p = &app.platform;
    let lead_pr = principal(&app, "demo_lead").await;
    let lines = yunwei_core::access::grants_of_ticket(p, &lead_pr, &tid)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].1.contains("郑海峰"), "{lines:?}");
    // The requester once its own role has ended (a third party's grant
    // ends, JSCZ-49): it still sees the ticket it filed, not the grant
    // kept in the centre's register.
    let mut requester: Principal = principal(&app, "demo_vendor").await;
    requester.grants.clear();
    requester.contract_regions.clear();
    yunwei_core::tickets::detail(p, &requester, &tid)
        .await
        .unwrap();
    let lines = yunwei_core::access::grants_of_ticket(p, &requester, &tid)
        .await
        .unwrap();
    assert!(lines.is_empty(), "{lines:?}");
    app.cleanup().await;
}

// ---- register entries (`registers::get`, `list`, `export`: `Names`) ----

#[tokio::test]
async fn register_entry_names_a_ticket_the_caller_may_not_see_by_number_only() {
    let app = TestApp::new().await;
    let tid = crate::access::request_access(&app, "demo_vendor", "bastion").await;
    let gid = crate::access::grant_access(&app, &tid).await;
    let lead = app.login("demo_lead").await;
    let path = format!("/api/v1/registers/access_grants/{gid}");
    let d = ok(get(&app, &lead, &path).await);
    let number = field(&d["entry"], "ticket_id")["input"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        field(&d["entry"], "ticket_id")["display"],
        format!("{number} 预算库性能排查临时访问")
    );
    assert_eq!(
        field(&d["entry"], "ticket_id")["link"],
        format!("/tickets/{tid}")
    );
    // A clerk of the hardware section reads the section's register, not
    // the vendor's ticket.
    let clerk = staff_of(&app, "hw_clerk", "硬件科文员", "硬件运维科").await;
    assert_eq!(
        get(&app, &clerk, &format!("/api/v1/tickets/{tid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = get(&app, &clerk, &path).await;
    hides(&r, "预算库性能排查临时访问");
    let d = r.json();
    assert_eq!(field(&d["entry"], "ticket_id")["display"], number.as_str());
    assert_eq!(field(&d["entry"], "ticket_id")["link"], Value::Null);
    let r = get(&app, &clerk, "/api/v1/registers/access_grants").await;
    hides(&r, "预算库性能排查临时访问");
    app.cleanup().await;
}

#[tokio::test]
async fn register_entry_names_an_item_of_another_organisation_by_code_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let sz = item(&app, &lead, "SZ-DB-01", "苏州预算库服务器", &suzhou).await;
    let values = |name: &str| {
        json!({"name": name, "ci_id": "SZ-DB-01", "scope": "南京非税数据同步至苏州预算库",
               "content": "切换至备用链路", "contact": "南京值班室", "drills": "2"})
    };
    let plan = post(
        &app,
        &lead,
        "/api/v1/registers/emergency_plans",
        json!({"org_id": nanjing, "values": values("南京数据同步应急预案")}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Amended once, so the history shows the reference too.
    put(
        &app,
        &lead,
        &format!("/api/v1/registers/emergency_plans/{plan}"),
        json!({"expected_version": 1, "org_id": nanjing, "values": values("南京数据同步应急预案（修订）")}),
    )
    .await;
    let path = format!("/api/v1/registers/emergency_plans/{plan}");
    let d = ok(get(&app, &lead, &path).await);
    let ci = field(&d["entry"], "ci_id");
    assert_eq!(ci["display"], "SZ-DB-01 苏州预算库服务器");
    assert_eq!(ci["link"], format!("/cmdb/{sz}"));
    // Nanjing's staff read Nanjing's plan; the Suzhou item by its code.
    let r = get(&app, &staff, &path).await;
    hides(&r, "苏州预算库服务器");
    let d = r.json();
    let ci = field(&d["entry"], "ci_id");
    assert_eq!(ci["display"], "SZ-DB-01");
    assert_eq!(ci["link"], Value::Null);
    assert_eq!(ci["input"], "SZ-DB-01");
    assert!(!d["history"].as_array().unwrap().is_empty());
    let r = get(&app, &staff, "/api/v1/registers/emergency_plans").await;
    hides(&r, "苏州预算库服务器");
    assert!(r.text().contains("南京数据同步应急预案"));
    let r = get(
        &app,
        &staff,
        &format!(
            "/api/v1/registers/emergency_plans/export.xlsx?reason={}",
            urlenc("核对预案")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = crate::controls::xlsx_rows(&r.body);
    assert!(rows.iter().flatten().any(|c| c == "SZ-DB-01"), "{rows:?}");
    assert!(
        !rows
            .iter()
            .flatten()
            .any(|c| c.contains("苏州预算库服务器")),
        "{rows:?}"
    );
    let b = Browser::login(&app, "demo_staff").await;
    let page = b.get(&format!("/registers/emergency_plans/{plan}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("苏州预算库服务器"), "{}", page.text());
    app.cleanup().await;
}

#[tokio::test]
async fn register_entry_redacts_a_referenced_entry_the_caller_may_not_read() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let center = org_id(&app, "信息中心").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    // The vendor's engineer on site at the centre: the vendor's and the
    // centre's entry.
    let person = post(
        &app,
        &lead,
        "/api/v1/registers/vendor_staff",
        json!({"org_id": vendor_org, "values": {"name": "冯驻场", "client_org_id": center}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Nanjing's request naming that person.
    let change = post(
        &app,
        &lead,
        "/api/v1/registers/staff_changes",
        json!({"org_id": nanjing, "values": {"vendor_org_id": vendor_org, "change_kind": "onsite_out",
               "leaving_id": person, "reason": "合同调整"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/registers/staff_changes/{change}");
    let d = ok(get(&app, &lead, &path).await);
    let leaving = field(&d["entry"], "leaving_id");
    assert_eq!(leaving["display"], "冯驻场");
    assert_eq!(leaving["link"], format!("/registers/vendor_staff/{person}"));
    assert_eq!(
        get(
            &app,
            &staff,
            &format!("/api/v1/registers/vendor_staff/{person}")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let r = get(&app, &staff, &path).await;
    hides(&r, "冯驻场");
    let leaving = field(&r.json()["entry"], "leaving_id").clone();
    assert_eq!(leaving["display"], HIDDEN);
    assert_eq!(leaving["link"], Value::Null);
    let r = get(&app, &staff, "/api/v1/registers/staff_changes").await;
    hides(&r, "冯驻场");
    assert!(r.text().contains(&change));
    app.cleanup().await;
}

#[tokio::test]
async fn register_entry_detail_shows_its_parent_and_children_only_where_readable() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let sz_staff = staff_of(&app, "sz_staff", "苏州业务员", "苏州市财政局").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let values = |name: &str| json!({"name": name, "scope": "网关", "content": "切换至备用网关", "contact": "值班室", "drills": "2"});
    let plan = post(
        &app,
        &lead,
        "/api/v1/registers/emergency_plans",
        json!({"org_id": nanjing, "values": values("南京网关应急预案")}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let drill = post(
        &app,
        &lead,
        "/api/v1/registers/drills",
        json!({"values": {"plan_id": plan, "held_on": "2026-03-02", "kind": "tabletop",
               "scenario": "南京网关宕机切换演练", "participants": "南京值班员"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The plan moves to Suzhou; the drill stays Nanjing's record.
    let plan_path = format!("/api/v1/registers/emergency_plans/{plan}");
    let version = ok(get(&app, &lead, &plan_path).await)["entry"]["version"].clone();
    put(
        &app,
        &lead,
        &plan_path,
        json!({"expected_version": version, "org_id": suzhou, "values": values("苏州网关应急预案")}),
    )
    .await;
    let drill_path = format!("/api/v1/registers/drills/{drill}");
    // Who reads both sees both, each from the other.
    let d = ok(get(&app, &lead, &drill_path).await);
    assert_eq!(d["parent"][2], "苏州网关应急预案");
    let d = ok(get(&app, &lead, &plan_path).await);
    let drills = d["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["register"] == "drills")
        .unwrap()
        .clone();
    assert_eq!(drills["total"], 1);
    assert_eq!(drills["entries"][0]["id"], drill.as_str());
    // Nanjing reads its drill, not Suzhou's plan.
    assert_eq!(
        get(&app, &staff, &plan_path).await.status,
        StatusCode::NOT_FOUND
    );
    let r = get(&app, &staff, &drill_path).await;
    hides(&r, "苏州网关应急预案");
    let d = r.json();
    assert_eq!(d["parent"], Value::Null);
    assert_eq!(field(&d["entry"], "plan_id")["display"], HIDDEN);
    // Suzhou reads its plan, not Nanjing's drill.
    assert_eq!(
        get(&app, &sz_staff, &drill_path).await.status,
        StatusCode::NOT_FOUND
    );
    let r = get(&app, &sz_staff, &plan_path).await;
    hides(&r, "南京网关宕机切换演练");
    let drills = r.json()["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["register"] == "drills")
        .unwrap()
        .clone();
    assert_eq!(drills["total"], 0);
    app.cleanup().await;
}

// ---- knowledge (`knowledge::get`) ----

#[tokio::test]
async fn knowledge_article_names_its_source_ticket_only_to_who_may_see_it() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let a = post(
        &app,
        &lead,
        "/api/v1/knowledge",
        json!({"title": "网关证书过期导致登录失败", "cause": "证书过期", "solution": "更新证书", "org_id": nanjing}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        &app,
        &lead,
        &format!("/api/v1/knowledge/{a}/publish"),
        json!({}),
    )
    .await;
    let (t, number) = incident(&app, &lead, Some(&suzhou), "苏州网关证书过期", None).await;
    // An article records the ticket it came from, of its own organisation
    // (`record_from_ticket`); the read must hold should they ever differ.
    crate::audit_tamper::exec(
        &app,
        &format!("UPDATE kb_articles SET source_ticket_id = '{t}' WHERE id = '{a}'"),
    )
    .await;
    let path = format!("/api/v1/knowledge/{a}");
    let d = ok(get(&app, &lead, &path).await);
    assert_eq!(d["source_ticket_number"], number.as_str());
    let r = get(&app, &staff, &path).await;
    hides(&r, &number);
    hides(&r, "苏州网关证书过期");
    assert_eq!(r.json()["source_ticket_number"], Value::Null);
    app.cleanup().await;
}

// ---- inspections and maintenance (`inspections::get_plan`, `list_maintenance`) ----

#[tokio::test]
async fn inspection_plan_records_name_an_incident_only_to_who_may_see_it() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let plan = post(
        &app,
        &lead,
        "/api/v1/inspection-plans",
        json!({"name": "门户网站巡查", "kind": "patrol", "recurrence": "monthly",
               "checklist": ["栏目更新"], "org_id": suzhou}),
    )
    .await["plan"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let record = post(
        &app,
        &lead,
        &format!("/api/v1/inspection-plans/{plan}/records"),
        json!({"results": [{"status": "abnormal", "note": "首页栏目三天未更新"}], "open_incident": true}),
    )
    .await;
    let tid = record["record"]["ticket_id"].as_str().unwrap().to_string();
    let number = ok(get(&app, &lead, &format!("/api/v1/tickets/{tid}")).await)["ticket"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    // The plan moves to Nanjing; its incident stays Suzhou's.
    put(
        &app,
        &lead,
        &format!("/api/v1/inspection-plans/{plan}"),
        json!({"org_id": nanjing}),
    )
    .await;
    let path = format!("/api/v1/inspection-plans/{plan}");
    let d = ok(get(&app, &lead, &path).await);
    assert_eq!(d["records"][0]["ticket_number"], number.as_str());
    let r = get(&app, &staff, &path).await;
    hides(&r, &number);
    let d = r.json();
    assert_eq!(d["records"][0]["ticket_id"], tid.as_str());
    assert_eq!(d["records"][0]["ticket_number"], Value::Null);
    assert_eq!(
        get(&app, &staff, &format!("/api/v1/tickets/{tid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let b = Browser::login(&app, "demo_staff").await;
    let page = b.get(&format!("/inspections/{plan}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains(&number), "{}", page.text());
    app.cleanup().await;
}

#[tokio::test]
async fn maintenance_records_name_a_linked_ticket_only_to_who_may_see_it() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let (t, number) = incident(&app, &lead, Some(&suzhou), "苏州专线中断", None).await;
    post(
        &app,
        &lead,
        "/api/v1/maintenance-records",
        json!({"kind": "fault", "org_id": nanjing, "description": "南京侧专线路由调整",
               "result": "恢复", "ticket": number}),
    )
    .await;
    let r = get(&app, &staff, "/api/v1/maintenance-records").await;
    hides(&r, &number);
    hides(&r, "苏州专线中断");
    assert_eq!(r.json()["records"][0]["ticket_id"], t.as_str());
    let export = |token: String| {
        let app = &app;
        async move {
            let r = get(
                app,
                &token,
                &format!(
                    "/api/v1/maintenance-records/export.xlsx?reason={}",
                    urlenc("月度核对")
                ),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let rows = crate::controls::xlsx_rows(&r.body);
            rows.into_iter()
                .find(|row| row.iter().any(|c| c == "南京侧专线路由调整"))
                .unwrap_or_else(|| panic!("no row"))
        }
    };
    assert_eq!(export(lead.clone()).await.last().unwrap(), &number);
    let row = export(staff.clone()).await;
    assert_eq!(row.last().unwrap(), "", "{row:?}");
    app.cleanup().await;
}

// ---- archives (`archives::get`, `list`) ----

#[tokio::test]
async fn archive_document_names_its_item_by_code_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let ci = item(&app, &lead, "NJ-GW-01", "南京财政网关", &nanjing).await;
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/archives?title={}&kind=config_list&ci=NJ-GW-01&filename=gw.cfg",
            urlenc("网关配置清单")
        ))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {lead}"))
        .header(axum::http::header::CONTENT_TYPE, "application/octet-stream")
        .body(axum::body::Body::from("hostname gw-1\n"))
        .unwrap();
    let doc = ok(app.request(req).await)["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The item moves to Suzhou and is renamed there; the document stays
    // Nanjing's.
    move_item(&app, &lead, &ci, &suzhou, "苏州财政网关").await;
    let d = ok(get(&app, &lead, &format!("/api/v1/archives/{doc}")).await);
    assert_eq!(d["ci_code"], "NJ-GW-01");
    assert_eq!(
        get(&app, &staff, &format!("/api/v1/cis/{ci}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = get(&app, &staff, &format!("/api/v1/archives/{doc}")).await;
    hides(&r, "苏州财政网关");
    assert_eq!(r.json()["ci_code"], "NJ-GW-01");
    let r = get(&app, &staff, "/api/v1/archives").await;
    hides(&r, "苏州财政网关");
    assert!(r.text().contains("网关配置清单"));
    app.cleanup().await;
}

// ---- the controls overview (`controls::overview`) ----

#[tokio::test]
async fn controls_overview_shows_an_items_licence_to_the_items_organisation_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let sz_staff = staff_of(&app, "sz_staff", "苏州业务员", "苏州市财政局").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    let ci = post(
        &app,
        &lead,
        "/api/v1/cis",
        json!({"code": "NJ-SIG-01", "name": "南京电子签章服务", "category": "base_software",
               "org_id": nanjing, "licence": "正版授权 2 套", "licence_expires": "2026-03-20"}),
    )
    .await["ci"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let titles = |token: String| {
        let app = &app;
        async move {
            let o = ok(get(app, &token, "/api/v1/controls?kind=licence&status=all").await);
            ["overdue", "due_soon", "other"]
                .iter()
                .flat_map(|k| o[*k].as_array().unwrap().clone())
                .map(|c| c["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles(staff.clone()).await,
        ["NJ-SIG-01 南京电子签章服务（正版授权 2 套）"]
    );
    assert!(titles(sz_staff.clone()).await.is_empty());
    // The item moves to Suzhou, renamed: its licence goes with it.
    move_item(&app, &lead, &ci, &suzhou, "苏州电子签章服务").await;
    let now = ["NJ-SIG-01 苏州电子签章服务（正版授权 2 套）"];
    assert_eq!(titles(lead.clone()).await, now);
    assert_eq!(titles(sz_staff.clone()).await, now);
    let r = get(&app, &staff, "/api/v1/controls?status=all").await;
    hides(&r, "NJ-SIG-01");
    app.cleanup().await;
}

// ---- search (`search::search`) ----

#[tokio::test]
async fn search_finds_only_documents_of_organisations_the_caller_may_read() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let suzhou = org_id(&app, "苏州市财政局").await;
    item(&app, &lead, "SZ-DB-01", "苏州预算库服务器", &suzhou).await;
    let (_, number) = incident(&app, &lead, Some(&suzhou), "苏州预算库宕机", None).await;
    let q = format!("/api/v1/search?q={}", urlenc("苏州预算库"));
    let s = ok(get(&app, &lead, &q).await);
    let types: Vec<&str> = s["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["doc_type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"ci") && types.contains(&"ticket"), "{s}");
    let r = get(&app, &staff, &q).await;
    hides(&r, "苏州预算库服务器");
    hides(&r, &number);
    assert_eq!(r.json()["total"], 0);
    app.cleanup().await;
}

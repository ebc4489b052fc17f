//! The ticket forms and page (issue 13, item 5; ADR 0015): 涉及系统 is a
//! configuration item, linked both ways, whose owner organisation the
//! ticket belongs to (a vendor's incident about a bureau's system is the
//! bureau's); required fields marked; impossible values (an occurrence in
//! the future) refused in Chinese; one-step filing; attachments previewed
//! inline only when their content is an image or a PDF, with the
//! download's permission check.

use axum::http::StatusCode;
use serde_json::{json, Value};
use yunwei_testkit::{start_time, TestApp, TestResponse};

use crate::support::{org_id, Browser, FilePart};

fn ok(r: TestResponse) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

/// A configuration item of `org`; returns its id.
async fn item(app: &TestApp, token: &str, code: &str, name: &str, org: &str) -> String {
    let v = ok(app
        .post_json(
            "/api/v1/cis",
            Some(token),
            json!({"code": code, "name": name, "category": "application", "org_id": org}),
        )
        .await);
    v["ci"]["id"].as_str().unwrap().to_string()
}

/// An incident about `system`, a little before the test clock's now.
fn incident(title: &str, system: &str) -> Value {
    json!({
        "pack": "jscz",
        "process": "incident",
        "title": title,
        "fields": {
            "system": system,
            "description": "登录页面打开后长时间无响应",
            "occurred_at": "2026-03-02T08:30:00+08:00",
            "origin": "problem_report",
            "source_ticket": "WT-2026-0301"
        }
    })
}

async fn open(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post_json("/api/v1/tickets", Some(token), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

async fn ticket(app: &TestApp, token: &str, id: &str) -> TestResponse {
    app.get(&format!("/api/v1/tickets/{id}"), Some(token)).await
}

async fn listed(app: &TestApp, token: &str, id: &str) -> bool {
    ok(app.get("/api/v1/tickets?per_page=200", Some(token)).await)["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id)
}

#[tokio::test]
async fn a_vendors_incident_about_a_bureaus_system_is_the_bureaus_and_linked_both_ways() {
    let app = TestApp::new().await;
    // The vendor's operations contract covers the province (its intake
    // region), so it may name the province's items.
    assert!(
        yunwei_core::demo::registers::seed(&app.platform)
            .await
            .unwrap()
            > 0
    );
    let lead = app.login("demo_lead").await;
    let vendor = app.login("demo_vendor").await;
    let staff = app.login("demo_staff").await; // 南京市财政局
    let unit = app.login("demo_unit").await; // a budget unit, unrelated
    let nanjing = org_id(&app, "南京市财政局").await;
    let vendor_org = org_id(&app, "金陵数智运维服务有限公司").await;
    let app_ci = item(&app, &lead, "NJ-FIN-APP", "南京国库集中支付系统", &nanjing).await;
    let web_ci = item(&app, &lead, "NJ-FIN-WEB", "南京国库支付门户", &nanjing).await;
    // The portal depends on the application: its failure hits the portal.
    ok(app
        .post_json(
            &format!("/api/v1/cis/{web_ci}/relations"),
            Some(&lead),
            json!({"to": "NJ-FIN-APP", "kind": "depends_on"}),
        )
        .await);

    let id = open(
        &app,
        &vendor,
        incident("国库支付系统无法登录", " NJ-FIN-APP "),
    )
    .await;
    let d = ok(ticket(&app, &lead, &id).await);
    assert_eq!(d["ticket"]["org_id"], nanjing.as_str(), "the CI owner's");
    let number = d["ticket"]["number"].as_str().unwrap().to_string();
    let system = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "system")
        .unwrap()["value"]
        .clone();
    assert_eq!(system, "NJ-FIN-APP", "held by the item's code");
    // The bureau sees it, by id and in its list; an unrelated organisation
    // does neither.
    assert_eq!(ticket(&app, &staff, &id).await.status, StatusCode::OK);
    assert!(listed(&app, &staff, &id).await);
    assert_eq!(ticket(&app, &unit, &id).await.status, StatusCode::NOT_FOUND);
    assert!(!listed(&app, &unit, &id).await);
    // Linked both ways: the ticket's items and the item's 关联工单.
    let cis = ok(app
        .get(&format!("/api/v1/tickets/{id}/cis"), Some(&lead))
        .await);
    assert_eq!(cis[0]["code"], "NJ-FIN-APP", "{cis}");
    let ci = ok(app.get(&format!("/api/v1/cis/{app_ci}"), Some(&lead)).await);
    assert!(
        ci["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["number"] == number.as_str()),
        "{ci}"
    );
    let staff_b = Browser::login(&app, "demo_staff").await;
    let item_page = staff_b.get(&format!("/cmdb/{app_ci}")).await.text();
    assert!(item_page.contains(&number), "关联工单 on the item's page");
    // The ticket page shows the item and its impact (the portal).
    let page = staff_b.get(&format!("/tickets/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("影响范围"), "{html}");
    assert!(html.contains("id=\"impact-NJ-FIN-APP\""));
    assert!(html.contains("南京国库支付门户"));
    assert!(html.contains(&format!("href=\"/cmdb/{web_ci}\"")));
    // 涉及系统 shows the item by code and name, linked to its page.
    assert!(html.contains(&format!(
        "<a href=\"/cmdb/{app_ci}\">NJ-FIN-APP 南京国库集中支付系统</a>"
    )));
    // The link is audited.
    let audit = ok(app
        .get(
            "/api/v1/audit?action=cmdb.ticket_link",
            Some(&app.login("audadmin").await),
        )
        .await);
    assert!(audit.to_string().contains("NJ-FIN-APP"), "{audit}");

    // The vendor still sees its own request once its contract has ended
    // (as its requester, not by owning it).
    crate::audit_tamper::exec(&app, "UPDATE vendor_contracts SET ends_on = '2026-03-01'").await;
    let vendor = app.login("demo_vendor").await;
    assert_eq!(ticket(&app, &vendor, &id).await.status, StatusCode::OK);
    assert!(listed(&app, &vendor, &id).await);
    // Without its contract the vendor may no longer name the bureau's item:
    // the value stays text, the ticket is the requester's organisation's,
    // unlinked, and the bureau does not see it.
    let other = open(&app, &vendor, incident("门户打不开", "NJ-FIN-WEB")).await;
    let d = ok(ticket(&app, &vendor, &other).await);
    assert_eq!(d["ticket"]["org_id"], vendor_org.as_str());
    assert_eq!(
        ok(app
            .get(&format!("/api/v1/tickets/{other}/cis"), Some(&vendor))
            .await),
        json!([])
    );
    assert_eq!(
        ticket(&app, &staff, &other).await.status,
        StatusCode::NOT_FOUND
    );
    // A system not in the CMDB stays as typed, with the filer's organisation.
    let free = open(
        &app,
        &lead,
        incident("预算系统打印异常", "预算管理一体化系统"),
    )
    .await;
    let d = ok(ticket(&app, &lead, &free).await);
    assert_ne!(d["ticket"]["org_id"], nanjing.as_str());
    let lead_b = Browser::login(&app, "demo_lead").await;
    let html = lead_b.get(&format!("/tickets/{free}")).await.text();
    assert!(html.contains("预算管理一体化系统 <small class=\"hint\">（未关联配置项）</small>"));
    assert_eq!(
        ok(app
            .get(&format!("/api/v1/tickets/{free}/cis"), Some(&lead))
            .await),
        json!([])
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_picker_offers_the_items_the_caller_may_name() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    item(&app, &lead, "NJ-PICK-01", "南京非税收入系统", &nanjing).await;
    let staff = Browser::login(&app, "demo_staff").await;
    let form = staff.get("/tickets/new?pack=jscz&process=incident").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("list=\"new-system-options\""), "{html}");
    assert!(html.contains("<datalist id=\"new-system-options\">"));
    assert!(html.contains("<option value=\"NJ-PICK-01\">南京非税收入系统（"));
    // Matches as the user types, from the server.
    let r = staff.get("/tickets/ci-options?q=%E9%9D%9E%E7%A8%8E").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("<option value=\"NJ-PICK-01\">"),
        "{}",
        r.text()
    );
    let r = staff.get("/tickets/ci-options?q=NO-SUCH").await;
    assert!(!r.text().contains("<option"), "{}", r.text());
    // A budget unit elsewhere is offered nothing of Nanjing's.
    let unit = Browser::login(&app, "demo_unit").await;
    let r = unit.get("/tickets/ci-options?q=NJ").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("NJ-PICK-01"));
    app.cleanup().await;
}

#[tokio::test]
async fn required_fields_are_marked_and_filing_is_one_step_where_the_route_allows() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let nanjing = org_id(&app, "南京市财政局").await;
    item(&app, &lead, "NJ-ONE-01", "南京预算执行系统", &nanjing).await;
    let staff = Browser::login(&app, "demo_staff").await;
    let html = staff
        .get("/tickets/new?pack=jscz&process=incident")
        .await
        .text();
    // The report step's fields are marked and required; the incident's
    // route leaves its draft by one transition: 提交 files and reports.
    assert!(html.contains("id=\"new-description\" name=\"f.description\" rows=\"3\" required"));
    assert!(html.contains("<span class=\"req\" title=\"必填\">*</span>"));
    assert!(html.contains("id=\"submit-ticket\">提交（登记上报事件）</button>"));
    assert!(html.contains("name=\"draft\" value=\"1\" class=\"secondary\" formnovalidate"));

    let before = ok(app.get("/api/v1/tickets", Some(&lead)).await)["total"].clone();
    // A missing required field: refused, nothing filed, values kept.
    let r = staff
        .post(
            "/tickets",
            &[
                ("pack", "jscz"),
                ("process", "incident"),
                ("title", "预算执行系统报表错误"),
                ("f.system", "NJ-ONE-01"),
                ("f.description", "月报表合计数不对"),
                ("f.occurred_at", "2026-03-02T08:00"),
                ("f.origin", "problem_report"),
                ("submit", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("问题单/巡检单编号"),
        "names the missing field: {html}"
    );
    assert!(
        html.contains("value=\"预算执行系统报表错误\""),
        "title kept"
    );
    assert!(html.contains("月报表合计数不对"), "description kept");
    assert!(html.contains("value=\"NJ-ONE-01\""), "item kept");
    assert_eq!(
        ok(app.get("/api/v1/tickets", Some(&lead)).await)["total"],
        before,
        "nothing filed"
    );
    // Complete: opened and reported in one step, in the CI's organisation.
    let r = staff
        .post(
            "/tickets",
            &[
                ("pack", "jscz"),
                ("process", "incident"),
                ("title", "预算执行系统报表错误"),
                ("f.system", "NJ-ONE-01"),
                ("f.description", "月报表合计数不对"),
                ("f.occurred_at", "2026-03-02T08:00"),
                ("f.origin", "problem_report"),
                ("f.source_ticket", "WT-0302"),
                ("submit", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    assert!(loc.ends_with("?msg=submitted"), "{loc}");
    let id = loc
        .strip_prefix("/tickets/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let d = ok(ticket(&app, &lead, &id).await);
    assert_eq!(d["ticket"]["state"], "reported");
    assert_eq!(d["ticket"]["org_id"], nanjing.as_str());
    let page = staff.get(&loc).await.text();
    assert!(page.contains("工单已登记并提交"));
    // The next actor of the reported incident is told, once, of that state.
    let number = d["ticket"]["number"].as_str().unwrap();
    let notes = ok(app.get("/api/v1/notifications", Some(&lead)).await);
    let told: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "ticket_todo")
        .filter_map(|n| n["title"].as_str())
        .filter(|t| t.contains(number))
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].ends_with("（已上报，待分类定级）"), "{told:?}");
    // 保存草稿 keeps the draft.
    let r = staff
        .post(
            "/tickets",
            &[
                ("pack", "jscz"),
                ("process", "incident"),
                ("title", "草稿事件"),
                ("draft", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.header("location").unwrap().ends_with("?msg=opened"));
    // A process whose route leaves its draft in more than one way cannot
    // be filed in one step over the API's use case either.
    let pk = yunwei_core::tickets::pack(&app.platform, "jscz", None).unwrap();
    let several = pk
        .processes
        .iter()
        .find(|p| p.single_submit().is_none())
        .expect("a process with a choice after its draft");
    let input = yunwei_core::tickets::OpenInput {
        pack: "jscz".into(),
        process: several.id.clone(),
        title: "多路提交".into(),
        ..Default::default()
    };
    let pr = crate::support::principal(&app, "demo_lead").await;
    let e = yunwei_core::tickets::open_and_submit(
        &app.platform,
        &yunwei_core::Ctx::system("test"),
        &pr,
        &input,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ticket.no_single_submit");
    app.cleanup().await;
}

#[tokio::test]
async fn an_occurrence_in_the_future_is_refused_in_chinese_on_the_api_and_the_form() {
    let app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let tomorrow = (start_time() + chrono::Duration::days(1)).to_rfc3339();
    let mut body = incident("明天的事件", "预算管理一体化系统");
    body["fields"]["occurred_at"] = json!(tomorrow);
    let r = app.post_json("/api/v1/tickets", Some(&staff), body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["code"], "ticket.field_impossible");
    assert_eq!(r.json()["message"], "「发生时间」不能晚于当前时间");
    // A moment ago is fine.
    let mut body = incident("刚才的事件", "预算管理一体化系统");
    body["fields"]["occurred_at"] =
        json!((start_time() - chrono::Duration::minutes(1)).to_rfc3339());
    let id = open(&app, &staff, body).await;
    // Also when a later step sets it.
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&staff),
            json!({"transition": "report", "fields": {"occurred_at": tomorrow}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["code"], "ticket.field_impossible");
    // The form shows the refusal and keeps what was typed.
    let b = Browser::login(&app, "demo_staff").await;
    let r = b
        .post(
            "/tickets",
            &[
                ("pack", "jscz"),
                ("process", "incident"),
                ("title", "未来时间的事件"),
                ("f.occurred_at", "2026-03-09T10:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let html = r.text();
    assert!(html.contains("「发生时间」不能晚于当前时间"), "{html}");
    assert!(html.contains("value=\"未来时间的事件\""));
    assert!(html.contains("value=\"2026-03-09T10:00\""));
    app.cleanup().await;
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

#[tokio::test]
async fn attachments_are_previewed_inline_only_as_images_or_pdf_with_the_download_check() {
    let app = TestApp::new().await;
    let staff_token = app.login("demo_staff").await;
    let id = open(
        &app,
        &staff_token,
        incident("截图附件", "预算管理一体化系统"),
    )
    .await;
    let staff = Browser::login(&app, "demo_staff").await;
    for (name, content, ty) in [
        ("截图.png", PNG, "image/png"),
        ("报告.pdf", PDF, "application/pdf"),
        // Named as an image, but HTML: never shown inline.
        (
            "伪装.png",
            b"<html><script>alert(1)</script></html>" as &[u8],
            "image/png",
        ),
    ] {
        let r = staff
            .multipart(
                &format!("/tickets/{id}/attachments"),
                &[("kind", "other")],
                FilePart {
                    field: "file",
                    filename: name,
                    content_type: ty,
                    content,
                },
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    let d = ok(ticket(&app, &staff_token, &id).await);
    let att = |name: &str| {
        d["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["filename"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (png, pdf, fake) = (att("截图.png"), att("报告.pdf"), att("伪装.png"));
    let r = staff
        .get(&format!("/tickets/attachments/{png}/preview"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.body, PNG);
    let r = staff
        .get(&format!("/tickets/attachments/{pdf}/preview"))
        .await;
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));
    // Framed by our own ticket page only.
    assert_eq!(r.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'self'"));
    let r = staff
        .get(&format!("/tickets/attachments/{fake}/preview"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // The download stays a download.
    let r = staff.get(&format!("/tickets/attachments/{png}")).await;
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    // The page shows the image and the PDF.
    let html = staff.get(&format!("/tickets/{id}")).await.text();
    assert!(html.contains(&format!("<img src=\"/tickets/attachments/{png}/preview\"")));
    assert!(html.contains(&format!(
        "<iframe src=\"/tickets/attachments/{pdf}/preview\""
    )));
    // Whoever may not download it may not preview it either.
    let unit = Browser::login(&app, "demo_unit").await;
    for a in [&png, &pdf] {
        let r = unit.get(&format!("/tickets/attachments/{a}/preview")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(!r.body.starts_with(b"%PDF") && !r.body.starts_with(b"\x89PNG"));
    }
    app.cleanup().await;
}

#[test]
fn inline_type_judges_the_content_never_the_name() {
    use yunwei_core::files::inline_type;
    assert_eq!(inline_type(PNG), Some("image/png"));
    assert_eq!(inline_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
    assert_eq!(inline_type(b"GIF89a\x01\0"), Some("image/gif"));
    assert_eq!(inline_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
    assert_eq!(inline_type(PDF), Some("application/pdf"));
    for unsafe_or_unknown in [
        b"<svg onload=alert(1)>" as &[u8],
        b"<html><script>",
        b"plain text",
        b"RIFF\0\0\0\0WAVE",
        b"",
    ] {
        assert_eq!(inline_type(unsafe_or_unknown), None);
    }
}

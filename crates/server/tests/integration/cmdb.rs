//! The CMDB through the API (EEDS-1.3, EEDS-3.6, JSCZ-10): items of the
//! four categories, relations and impact, tickets linked to items, the IP
//! plan with conflicts refused, Excel import with row-level errors and
//! export, permissions and audit.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::TimeZone;
use serde_json::{json, Value};
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::{TestApp, TestResponse};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post_json("/api/v1/cis", Some(token), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 1000)
        .await
        .unwrap()
        .len()
}

async fn ci_count(app: &TestApp) -> i64 {
    let mut c = app.platform.db().read().await.unwrap();
    let (_, n) = yunwei_store::cmdb::list_cis(&mut c, &Scope::system(), &Default::default(), 0, 1)
        .await
        .unwrap();
    n
}

async fn upload(app: &TestApp, token: &str, path: &str, bytes: Vec<u8>) -> TestResponse {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(Body::from(bytes))
        .unwrap();
    app.request(req).await
}

/// An .xlsx with one sheet of these rows (the first is the header).
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn eeds_1_3_items_of_the_four_maintenance_categories() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    for (name, cat) in [
        ("核心存储阵列", "hardware"),
        ("核心交换机", "网络设备"),
        ("Oracle 数据库", "base_software"),
        ("预算管理一体化系统", "application"),
    ] {
        let v = create(
            &app,
            &lead,
            json!({"name": name, "category": cat, "vendor": "金陵数智"}),
        )
        .await;
        assert_eq!(v["ci"]["name"], name);
        assert_eq!(v["ci"]["status"], "in_use");
        assert!(v["ci"]["code"].as_str().unwrap().starts_with("CI-"));
    }
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"name": "打印机", "category": "外设"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "cmdb.category_invalid");
    assert!(r.json()["message"].as_str().unwrap().contains("硬件及存储"));

    let list = app
        .get("/api/v1/cis?category=network", Some(&lead))
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["category_label"], "网络设备");
    let list = app.get("/api/v1/cis?q=数据库", Some(&lead)).await.json();
    assert_eq!(list["total"], 1);
    assert_eq!(audit_count(&app, "cmdb.create").await, 4);
    // Items are found by the general search too.
    let s = app.get("/api/v1/search?q=交换机", Some(&lead)).await.json();
    assert!(
        s["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["doc_type"] == "ci"),
        "{s}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_2_software_versions_patches_and_licences_are_kept() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let v = create(
        &app,
        &lead,
        json!({"code": "DB-01", "name": "Oracle 数据库", "category": "base_software",
               "version": "19c", "patch_level": "19.21", "licence": "CPU 许可 2 个",
               "licence_expires": "2027/06/30"}),
    )
    .await;
    let id = v["ci"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["ci"]["licence_expires"], "2027-06-30");
    let updated_at = v["ci"]["updated_at"].as_i64().unwrap();
    let edit = |patch: &str, expected: i64| {
        json!({"name": "Oracle 数据库", "category": "base_software", "version": "19c",
               "patch_level": patch, "expected_updated_at": expected})
    };
    let r = app
        .put_json(
            &format!("/api/v1/cis/{id}"),
            Some(&lead),
            edit("19.23", updated_at),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["ci"]["patch_level"], "19.23");
    // The code is kept when the form leaves it empty.
    assert_eq!(r.json()["ci"]["code"], "DB-01");
    // A second editor working from the old version is refused.
    let r = app
        .put_json(
            &format!("/api/v1/cis/{id}"),
            Some(&lead),
            edit("19.22", updated_at),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["code"], "cmdb.changed");
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"code": "DB-01", "name": "另一个", "category": "hardware"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["code"], "cmdb.code_taken");
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&lead),
            json!({"name": "中间件", "category": "base_software", "licence_expires": "2027-13-01"}),
        )
        .await;
    assert_eq!(r.json()["code"], "cmdb.date_invalid");
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some("cmdb.update".into()),
        ..Default::default()
    };
    let recs = yunwei_store::audit::search(&mut c, &Scope::system(), &f, 10)
        .await
        .unwrap();
    assert_eq!(recs.len(), 1);
    assert!(
        recs[0].before.contains("补丁级别：19.21"),
        "{}",
        recs[0].before
    );
    assert!(recs[0].after.contains("补丁级别：19.23"));
    drop(c);
    app.cleanup().await;
}

/// The licence controls of the due-date engine, through the overview.
async fn licence_controls(app: &TestApp, token: &str, status: &str) -> Vec<Value> {
    let o = app
        .get(
            &format!("/api/v1/controls?kind=licence&status={status}"),
            Some(token),
        )
        .await
        .json();
    ["overdue", "due_soon", "other"]
        .iter()
        .flat_map(|k| o[*k].as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn eeds_3_6_2_licence_expiry_falls_due_and_a_renewal_answers_it() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let v = create(
        &app,
        &lead,
        json!({"code": "MW-01", "name": "中间件", "category": "base_software",
               "licence": "标准版 10 节点", "licence_expires": "2026-03-31"}),
    )
    .await;
    let id = v["ci"]["id"].as_str().unwrap().to_string();
    let open = licence_controls(&app, &lead, "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["due_date"], "2026-03-31");
    assert_eq!(open[0]["link"], format!("/cmdb/{id}"));
    // Overdue from 1 April (Beijing) if not renewed.
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap());
    let lead = app.login("demo_lead").await;
    assert_eq!(licence_controls(&app, &lead, "overdue").await.len(), 1);
    // Renewed for a year: the expiry is answered, the next one is open.
    let updated_at = app
        .get(&format!("/api/v1/cis/{id}"), Some(&lead))
        .await
        .json()["ci"]["updated_at"]
        .as_i64()
        .unwrap();
    let r = app
        .put_json(
            &format!("/api/v1/cis/{id}"),
            Some(&lead),
            json!({"name": "中间件", "category": "base_software", "licence": "标准版 10 节点",
                   "licence_expires": "2027-03-31", "expected_updated_at": updated_at}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(licence_controls(&app, &lead, "overdue").await.is_empty());
    assert_eq!(licence_controls(&app, &lead, "done").await.len(), 1);
    let open = licence_controls(&app, &lead, "open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["due_date"], "2027-03-31");
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_1_3_impact_follows_runs_on_and_depends_on() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let mk = |code: &'static str, cat: &'static str| json!({"code": code, "name": code, "category": cat});
    let server = create(&app, &lead, mk("SRV-1", "hardware")).await["ci"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let db = create(&app, &lead, mk("DB-1", "base_software")).await["ci"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let app_ci = create(&app, &lead, mk("APP-1", "application")).await["ci"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    create(&app, &lead, mk("SW-1", "network")).await;
    for (from, to, kind) in [
        (&db, "SRV-1", "runs_on"),
        (&app_ci, "DB-1", "depends_on"),
        (&server, "SW-1", "connects_to"),
    ] {
        let r = app
            .post_json(
                &format!("/api/v1/cis/{from}/relations"),
                Some(&lead),
                json!({"to": to, "kind": kind}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    // A cycle does not loop the walk.
    let r = app
        .post_json(
            &format!("/api/v1/cis/{server}/relations"),
            Some(&lead),
            json!({"to": "APP-1", "kind": "depends_on"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post_json(
            &format!("/api/v1/cis/{server}/relations"),
            Some(&lead),
            json!({"to": "APP-1", "kind": "depends_on"}),
        )
        .await;
    assert_eq!(r.json()["code"], "cmdb.relation_exists");
    let r = app
        .post_json(
            &format!("/api/v1/cis/{server}/relations"),
            Some(&lead),
            json!({"to": "SRV-1", "kind": "runs_on"}),
        )
        .await;
    assert_eq!(r.json()["code"], "cmdb.relation_self");

    let d = app
        .get(&format!("/api/v1/cis/{server}"), Some(&lead))
        .await
        .json();
    let impact: Vec<(String, i64)> = d["impact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["code"].as_str().unwrap().to_string(),
                i["depth"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(impact, [("DB-1".to_string(), 1), ("APP-1".to_string(), 2)]);
    let labels: Vec<&str> = d["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"承载") && labels.contains(&"连接"),
        "{labels:?}"
    );
    // The switch is connected, not depended on: no impact.
    let sw = app.get("/api/v1/cis?q=SW-1", Some(&lead)).await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = app
        .get(&format!("/api/v1/cis/{sw}"), Some(&lead))
        .await
        .json();
    assert_eq!(d["impact"].as_array().unwrap().len(), 0);
    // Removing the relation removes the impact.
    let rel = app
        .get(&format!("/api/v1/cis/{app_ci}"), Some(&lead))
        .await
        .json()["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "depends_on" && r["outgoing"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .delete(&format!("/api/v1/ci-relations/{rel}"), Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let d = app
        .get(&format!("/api/v1/cis/{server}"), Some(&lead))
        .await
        .json();
    assert_eq!(d["impact"].as_array().unwrap().len(), 1);
    assert_eq!(audit_count(&app, "cmdb.relation_add").await, 4);
    assert_eq!(audit_count(&app, "cmdb.relation_remove").await, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn jscz_10_incidents_name_the_items_they_touch() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let ci = create(
        &app,
        &lead,
        json!({"code": "SW-CORE", "name": "核心交换机", "category": "network"}),
    )
    .await;
    let ci_id = ci["ci"]["id"].as_str().unwrap().to_string();
    let t = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            json!({"pack": "jscz", "process": "incident", "title": "核心交换机端口故障"}),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text());
    let tid = t.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/cis"),
            Some(&lead),
            json!({"ci": "SW-CORE"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/cis"),
            Some(&lead),
            json!({"ci": "SW-CORE"}),
        )
        .await;
    assert_eq!(r.json()["code"], "cmdb.link_exists");
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/cis"),
            Some(&lead),
            json!({"ci": "NO-SUCH"}),
        )
        .await;
    assert_eq!(r.json()["code"], "cmdb.ci_unknown");
    let linked = app
        .get(&format!("/api/v1/tickets/{tid}/cis"), Some(&lead))
        .await
        .json();
    assert_eq!(linked[0]["code"], "SW-CORE");
    let d = app
        .get(&format!("/api/v1/cis/{ci_id}"), Some(&lead))
        .await
        .json();
    assert_eq!(d["tickets"][0]["ticket_id"], tid.as_str());
    assert_eq!(d["tickets"][0]["title"], "核心交换机端口故障");
    let r = app
        .delete(&format!("/api/v1/tickets/{tid}/cis/{ci_id}"), Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let d = app
        .get(&format!("/api/v1/cis/{ci_id}"), Some(&lead))
        .await
        .json();
    assert_eq!(d["tickets"].as_array().unwrap().len(), 0);
    assert_eq!(audit_count(&app, "cmdb.ticket_link").await, 1);
    assert_eq!(audit_count(&app, "cmdb.ticket_unlink").await, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_1_2_ip_plan_refuses_conflicts() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    create(
        &app,
        &lead,
        json!({"code": "SRV-9", "name": "应用服务器", "category": "hardware"}),
    )
    .await;
    let r = app
        .post_json(
            "/api/v1/ip-segments",
            Some(&lead),
            json!({"cidr": "10.12.0.0/24", "name": "业务网"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let seg = r.json()["id"].as_str().unwrap().to_string();
    for (cidr, code) in [
        ("10.12.0.128/25", "cmdb.segment_overlap"),
        ("10.12.0.0/16", "cmdb.segment_overlap"),
        ("10.12.0.0/24", "cmdb.segment_overlap"),
        ("10.12.0.7/24", "cmdb.segment_not_network"),
    ] {
        let r = app
            .post_json("/api/v1/ip-segments", Some(&lead), json!({"cidr": cidr}))
            .await;
        assert_eq!(r.json()["code"], code, "{cidr}");
    }
    let alloc = |addr: &str| json!({"address": addr, "ci": "SRV-9", "purpose": "业务地址"});
    let path = format!("/api/v1/ip-segments/{seg}/allocations");
    let r = app.post_json(&path, Some(&lead), alloc("10.12.0.21")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let first = r.json()["id"].as_str().unwrap().to_string();
    let r = app.post_json(&path, Some(&lead), alloc("10.12.0.21")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["code"], "cmdb.address_taken");
    assert!(r.json()["message"].as_str().unwrap().contains("SRV-9"));
    for (addr, code) in [
        ("10.12.1.21", "cmdb.address_outside_segment"),
        ("10.12.0.255", "cmdb.address_reserved"),
        ("10.12.0.300", "cmdb.address_invalid"),
    ] {
        assert_eq!(
            app.post_json(&path, Some(&lead), alloc(addr)).await.json()["code"],
            code
        );
    }
    let d = app
        .get(&format!("/api/v1/ip-segments/{seg}"), Some(&lead))
        .await
        .json();
    assert_eq!(d["allocations"][0]["ci_code"], "SRV-9");
    assert_eq!(d["segment"]["used"], 1);
    assert_eq!(d["segment"]["capacity"], 254);
    // Released, the address can be given again.
    let r = app
        .delete(&format!("/api/v1/ip-allocations/{first}"), Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.post_json(&path, Some(&lead), alloc("10.12.0.21"))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(audit_count(&app, "cmdb.ip_allocate").await, 2);
    assert_eq!(audit_count(&app, "cmdb.ip_release").await, 1);
    app.cleanup().await;
}

const HEADER: &[&str] = &["编号", "名称", "类别", "所属机构", "IP地址", "许可到期"];

#[tokio::test]
async fn eeds_3_6_import_reports_bad_rows_and_keeps_the_good_ones() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    app.post_json(
        "/api/v1/ip-segments",
        Some(&lead),
        json!({"cidr": "10.20.0.0/24"}),
    )
    .await;
    let before = ci_count(&app).await;
    let file = xlsx(&[
        HEADER,
        &[
            "SRV-A",
            "前置服务器",
            "硬件及存储",
            "南京市财政局",
            "10.20.0.5",
            "2027-01-31",
        ],
        &[
            "SRV-B",
            "备份服务器",
            "hardware",
            "南京市财政局",
            "10.20.0.5",
            "",
        ],
        &[],
        &["SRV-C", "网闸", "网络设备", "南京市财政局", "", "明年"],
        &["SRV-A", "重复编号", "network", "南京市财政局", "", ""],
        &["SRV-D", "", "network", "南京市财政局", "", ""],
        &["SRV-E", "堡垒机", "network", "不存在的机构", "", ""],
        &[
            "SRV-F",
            "防火墙",
            "network",
            "南京市财政局",
            "192.168.9.9",
            "",
        ],
        &[
            "SRV-G",
            "日志审计",
            "base_software",
            "南京市财政局",
            "10.20.0.6",
            "",
        ],
    ]);
    // A dry run reports and writes nothing.
    let r = upload(&app, &lead, "/api/v1/cis/import?dry_run=true", file.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["valid"], 2);
    assert_eq!(r.json()["created"], 0);
    assert_eq!(ci_count(&app).await, before);

    let r = upload(&app, &lead, "/api/v1/cis/import", file).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rep = r.json();
    assert_eq!(rep["rows"], 8);
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
    let lines: Vec<i64> = errors.iter().map(|e| e.0).collect();
    // Excel line numbers: header on 1, blank line 4 skipped.
    assert_eq!(lines, [3, 5, 6, 7, 8, 9], "{errors:?}");
    assert!(errors[0].1.contains("与第 2 行重复"), "{}", errors[0].1);
    assert!(errors[1].1.contains("不是有效日期"));
    assert!(errors[2].1.contains("与第 2 行重复"));
    assert!(errors[3].1.contains("名称不能为空"));
    assert!(errors[4].1.contains("不存在"));
    assert!(errors[5].1.contains("不属于任何已登记的网段"));
    assert_eq!(ci_count(&app).await, before + 2);
    let d = app.get("/api/v1/cis?q=SRV-A", Some(&lead)).await.json();
    assert_eq!(d["items"][0]["org_name"], "南京市财政局");
    assert_eq!(d["items"][0]["licence_expires"], "2027-01-31");
    assert_eq!(audit_count(&app, "cmdb.import").await, 1);
    // Importing the same file again: every row now conflicts.
    let again = xlsx(&[
        HEADER,
        &["SRV-A", "前置服务器", "hardware", "南京市财政局", "", ""],
    ]);
    let rep = upload(&app, &lead, "/api/v1/cis/import", again)
        .await
        .json();
    assert_eq!(rep["created"], 0);
    assert!(rep["errors"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("已存在"));
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_import_refuses_malformed_files_whole() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let before = ci_count(&app).await;
    for (file, needle) in [
        (
            xlsx(&[
                &["编号", "名称", "类别", "所属机构", "颜色"],
                &["X", "Y", "hardware", "南京市财政局", "红"],
            ]),
            "无法识别的列：颜色",
        ),
        (
            xlsx(&[&["编号", "名称", "所属机构"], &["X", "Y", "南京市财政局"]]),
            "缺少必需的列：类别",
        ),
        (xlsx(&[HEADER]), "没有数据行"),
        (xlsx(&[]), "找不到表头"),
        (b"not a spreadsheet".to_vec(), "请上传 Excel"),
    ] {
        let r = upload(&app, &lead, "/api/v1/cis/import", file).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{needle}: {}", r.text());
        assert_eq!(r.json()["code"], "cmdb.import_file");
        assert!(
            r.json()["message"].as_str().unwrap().contains(needle),
            "{}",
            r.text()
        );
    }
    assert_eq!(ci_count(&app).await, before);
    assert_eq!(audit_count(&app, "cmdb.import").await, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_export_round_trips_and_is_audited() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    create(&app, &lead, json!({"code": "EXP-1", "name": "导出测试服务器", "category": "hardware", "location": "3 楼机房"})).await;
    let r = app.get("/api/v1/cis/export.xlsx?q=EXP", Some(&lead)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a reason is required");
    let r = app
        .get("/api/v1/cis/export.xlsx?q=EXP&reason=年度核查", Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    assert_eq!(audit_count(&app, "cmdb.export").await, 1);
    // The exported file imports as it is (the code now conflicts, which
    // proves the row was read back with every column understood).
    let rep = upload(
        &app,
        &lead,
        "/api/v1/cis/import?dry_run=true",
        r.body.to_vec(),
    )
    .await;
    assert_eq!(rep.status, StatusCode::OK, "{}", rep.text());
    let rep = rep.json();
    assert_eq!(rep["rows"], 1);
    assert!(
        rep["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("EXP-1 已存在"),
        "{rep}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_registers_are_kept_by_the_centre_and_vendors_only() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let sys = app.login("nj_sysadmin").await;
    let unit = app.login("demo_unit").await;
    // A Nanjing item, kept by the centre.
    let nanjing = app.get("/api/v1/orgs", Some(&lead)).await.json();
    let nj_id = nanjing
        .as_array()
        .or_else(|| nanjing["orgs"].as_array())
        .unwrap()
        .iter()
        .find(|o| o["name"] == "南京市财政局")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = create(
        &app,
        &lead,
        json!({"code": "NJ-1", "name": "南京前置机", "category": "hardware", "org_id": nj_id}),
    )
    .await;
    let id = v["ci"]["id"].as_str().unwrap().to_string();
    // Business staff of Nanjing read it but may not keep the register.
    let r = app.get(&format!("/api/v1/cis/{id}"), Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["can_edit"], false);
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&staff),
            json!({"name": "x", "category": "hardware"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put_json(
            &format!("/api/v1/cis/{id}"),
            Some(&staff),
            json!({"name": "x", "category": "hardware"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        upload(&app, &staff, "/api/v1/cis/import", xlsx(&[HEADER]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Another unit does not see it at all.
    assert_eq!(
        app.get(&format!("/api/v1/cis/{id}"), Some(&unit))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/cis?q=NJ-1", Some(&unit)).await.json()["total"],
        0
    );
    // The three administrators read no business registers.
    assert_eq!(
        app.get("/api/v1/cis", Some(&sys)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/cis/{id}"), Some(&sys))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The centre's hardware section keeps items (JSCZ-10).
    let hw = app.login("demo_hwops").await;
    let r = app
        .post_json(
            "/api/v1/cis",
            Some(&hw),
            json!({"name": "机房 UPS", "category": "hardware"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    app.cleanup().await;
}

#[tokio::test]
async fn demo_cmdb_seeds_a_connected_system_once() {
    let app = TestApp::new().await;
    assert_eq!(
        yunwei_core::demo::cmdb::seed(&app.platform).await.unwrap(),
        11
    );
    assert_eq!(
        yunwei_core::demo::cmdb::seed(&app.platform).await.unwrap(),
        0
    );
    let lead = app.login("demo_lead").await;
    let sto = app.get("/api/v1/cis?q=STO-01", Some(&lead)).await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = app
        .get(&format!("/api/v1/cis/{sto}"), Some(&lead))
        .await
        .json();
    let impact: Vec<&str> = d["impact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    // Storage <- database server <- Oracle <- both applications.
    assert_eq!(impact, ["SRV-DB-01", "DB-ORA-01", "APP-GKZF", "APP-YSYTH"]);
    let segs = app.get("/api/v1/ip-segments", Some(&lead)).await.json();
    assert_eq!(segs[0]["used"], 4);
    app.cleanup().await;
}

async fn upload_file(app: &TestApp, token: &str, path: &str, bytes: &[u8]) -> TestResponse {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    app.request(req).await
}

#[tokio::test]
async fn eeds_3_6_archives_are_versioned_with_their_hash() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    create(
        &app,
        &lead,
        json!({"code": "SW-ARC", "name": "核心交换机", "category": "network"}),
    )
    .await;
    let title = urlencoding("核心交换机配置清单");
    let r = upload_file(
        &app,
        &lead,
        &format!("/api/v1/archives?title={title}&kind=config_list&ci=SW-ARC&filename=sw.cfg"),
        b"hostname core-1\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json();
    let id = doc["id"].as_str().unwrap().to_string();
    assert_eq!(doc["kind_label"], "软硬件配置清单");
    assert_eq!(doc["ci_code"], "SW-ARC");
    // The recorded digest is the SM3 of the uploaded content.
    let digest = hex::encode(yunwei_domain::crypto::Crypto::sm3(
        &yunwei_domain::crypto::SoftwareCrypto,
        b"hostname core-1\n",
    ));
    assert_eq!(doc["versions"][0]["sm3"], digest.as_str());
    let r = upload_file(
        &app,
        &lead,
        &format!("/api/v1/archives/{id}/versions?filename=sw-v2.cfg&note=%E6%89%A9%E5%AE%B9"),
        b"hostname core-1\nvlan 20\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["current_version"], 2);
    let versions = doc["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["note"], "扩容");
    // The first version is still there, byte for byte.
    let v1 = versions[1]["id"].as_str().unwrap();
    let r = app
        .get(
            &format!("/api/v1/archive-versions/{v1}/download"),
            Some(&lead),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"hostname core-1\n");
    let list = app.get("/api/v1/archives", Some(&lead)).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    for (q, code) in [
        ("title=x&kind=blueprint&filename=a", "archive.kind_invalid"),
        ("title=&kind=manual&filename=a", "cmdb.field_required"),
    ] {
        let r = upload_file(&app, &lead, &format!("/api/v1/archives?{q}"), b"x").await;
        assert_eq!(r.json()["code"], code, "{q}");
    }
    let r = upload_file(
        &app,
        &lead,
        "/api/v1/archives?title=x&kind=manual&filename=a",
        b"",
    )
    .await;
    assert_eq!(r.json()["code"], "archive.size");
    assert_eq!(audit_count(&app, "archive.create").await, 1);
    assert_eq!(audit_count(&app, "archive.version").await, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_archive_downloads_only_by_the_permitted_and_every_one_audited() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let unit = app.login("demo_unit").await;
    let orgs = app.get("/api/v1/orgs", Some(&lead)).await.json();
    let nj = orgs
        .as_array()
        .or_else(|| orgs["orgs"].as_array())
        .unwrap()
        .iter()
        .find(|o| o["name"] == "南京市财政局")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = upload_file(
        &app,
        &lead,
        &format!("/api/v1/archives?title=ip&kind=ip_map&org_id={nj}&filename=ip.xlsx"),
        b"10.32.1.0/24",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json();
    let v = doc["versions"][0]["id"].as_str().unwrap().to_string();
    let dl = format!("/api/v1/archive-versions/{v}/download");
    // Nanjing's business staff see that the document exists, not its content.
    let seen = app.get("/api/v1/archives", Some(&staff)).await.json();
    assert_eq!(seen[0]["can_download"], false);
    assert_eq!(
        app.get(&dl, Some(&staff)).await.status,
        StatusCode::FORBIDDEN
    );
    // Another unit does not even see it.
    assert_eq!(
        app.get(&dl, Some(&unit)).await.status,
        StatusCode::NOT_FOUND
    );
    // Those who keep the register download it.
    assert_eq!(app.get(&dl, Some(&lead)).await.status, StatusCode::OK);
    assert_eq!(app.get(&dl, Some(&lead)).await.status, StatusCode::OK);
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some("archive.download".into()),
        ..Default::default()
    };
    let recs = yunwei_store::audit::search(&mut c, &Scope::system(), &f, 10)
        .await
        .unwrap();
    drop(c);
    let results: Vec<&str> = recs.iter().map(|r| r.result.as_str()).collect();
    assert_eq!(results, ["success", "success", "denied"], "{recs:?}");
    assert!(recs[0].after.contains("SM3="));
    // Staff may not upload either.
    let r = upload_file(
        &app,
        &staff,
        &format!("/api/v1/archives?title=x&kind=manual&org_id={nj}&filename=a"),
        b"x",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Issue 12: a ticket's linked items through the API are redacted inside
/// core exactly as on the ticket page: the Nanjing requester sees her
/// ticket, and of a Suzhou item linked to it only its code and category.
#[tokio::test]
async fn ticket_cis_are_redacted_for_who_may_see_the_ticket_but_not_the_item() {
    let app = TestApp::new().await;
    let lead = app.login("demo_lead").await;
    let staff = app.login("demo_staff").await;
    let orgs = app.get("/api/v1/orgs", Some(&lead)).await.json();
    let suzhou = orgs["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "苏州市财政局")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    create(
        &app,
        &lead,
        json!({"code": "SZ-DB-01", "name": "苏州预算库服务器", "category": "hardware", "org_id": suzhou, "location": "苏州机房A区"}),
    )
    .await;
    let t = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff),
            json!({"pack": "jscz", "process": "incident", "title": "预算系统访问缓慢"}),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text());
    let tid = t.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{tid}/cis"),
            Some(&lead),
            json!({"ci": "SZ-DB-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The lead reads the item whole.
    let linked = app
        .get(&format!("/api/v1/tickets/{tid}/cis"), Some(&lead))
        .await
        .json();
    assert_eq!(linked[0]["visible"], true);
    assert_eq!(linked[0]["name"], "苏州预算库服务器");
    assert_eq!(linked[0]["item"]["location"], "苏州机房A区");
    // The requester sees her ticket but not the Suzhou item.
    let r = app
        .get(&format!("/api/v1/tickets/{tid}/cis"), Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let linked = r.json();
    assert_eq!(linked[0]["code"], "SZ-DB-01");
    assert_eq!(linked[0]["visible"], false);
    assert_eq!(linked[0]["name"], "（无权查看）");
    assert!(linked[0].get("item").is_none(), "{linked}");
    assert!(!r.text().contains("苏州机房A区"), "{}", r.text());
    // Someone who may not see the ticket gets 404, as for the ticket.
    let unit = app.login("demo_unit").await;
    let r = app
        .get(&format!("/api/v1/tickets/{tid}/cis"), Some(&unit))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

//! The CMDB pages driven like a browser (EEDS-1.3, EEDS-3.6, JSCZ-10):
//! items registered through the form, listed and shown with their
//! relations and impact; the IP plan with a conflict refused on the page;
//! Excel import with row errors and their line numbers; items linked on a
//! ticket page; business staff read but do not edit.

use axum::http::StatusCode;
use serde_json::json;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{urlenc, Browser, FilePart};

/// The import form: the file and, when asked, 仅校验不导入.
async fn import(b: &Browser<'_>, file: Vec<u8>, dry_run: bool) -> TestResponse {
    let fields: &[(&str, &str)] = if dry_run { &[("dry_run", "true")] } else { &[] };
    b.multipart(
        "/cmdb/import",
        fields,
        FilePart {
            field: "file",
            filename: "cmdb.xlsx",
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            content: &file,
        },
    )
    .await
}

fn location(r: &TestResponse) -> String {
    r.header("location").unwrap_or_default().to_string()
}

/// The error banner of a page shown again after a refusal.
fn error_banner(html: &str) -> String {
    let at = html.find("id=\"error\"").expect("error banner");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split("</div>").next().unwrap().to_string()
}

/// The part of a page from the element with this id to the end of its
/// section.
fn section<'h>(html: &'h str, id: &str) -> &'h str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} missing"));
    let rest = &html[at..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// Registers an item through the form; returns its id from the redirect.
async fn register(b: &Browser<'_>, fields: &[(&str, &str)]) -> String {
    let r = b.post("/cmdb/new", fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = location(&r);
    loc.strip_prefix("/cmdb/")
        .and_then(|s| s.strip_suffix("?msg=created"))
        .unwrap_or_else(|| panic!("redirect to the item, got {loc}"))
        .to_string()
}

fn server_fields<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("code", "SRV-001"),
        ("name", "核心数据库服务器"),
        ("category", "hardware"),
        ("ci_type", "服务器"),
        ("org_id", ""),
        ("vendor", "金陵数智运维服务有限公司"),
        ("location", "省厅机房A-03"),
        ("status", "in_use"),
        ("version", "BIOS 2.1"),
        ("patch_level", ""),
        ("licence", "维保合同 2026-018"),
        ("licence_expires", "2027-06-30"),
        ("notes", ""),
    ]
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
async fn eeds_1_3_items_are_registered_related_and_their_impact_shown() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;

    let list = lead.get("/cmdb").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let html = list.text();
    assert!(html.contains("<a href=\"/cmdb\" class=\"active\" aria-current=\"page\">配置管理</a>"));
    assert!(
        html.contains("href=\"/cmdb/new\""),
        "登记 link for an editor"
    );
    assert!(html.contains("id=\"import-form\""));
    assert!(html.contains("<option value=\"network\">网络设备</option>"));
    assert!(html.contains("<option value=\"retired\">已退役</option>"));
    assert!(html.contains("共 0 个配置项"));

    // The form: categories and statuses as selects, the date as a date.
    let form = lead.get("/cmdb/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    for needle in [
        "<option value=\"hardware\">硬件及存储</option>",
        "<option value=\"in_use\" selected>在用</option>",
        "type=\"date\" name=\"licence_expires\"",
        "name=\"org_id\"",
        "信息中心",
    ] {
        assert!(html.contains(needle), "{needle} missing from the form");
    }
    assert!(!html.contains("style=\""), "no inline style");

    // Refusals come back on the form with what was typed.
    let mut unnamed = server_fields();
    unnamed[1] = ("name", " ");
    let r = lead.post("/cmdb/new", &unnamed).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("名称不能为空"));
    assert!(
        r.text().contains("value=\"省厅机房A-03\""),
        "typed value kept"
    );
    assert!(r.text().contains("<option value=\"hardware\" selected>"));
    let mut bad_date = server_fields();
    bad_date[11] = ("licence_expires", "明年六月");
    let r = lead.post("/cmdb/new", &bad_date).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("许可到期"));

    let srv = register(&lead, &server_fields()).await;
    let app_id = register(
        &lead,
        &[
            ("code", "APP-001"),
            ("name", "预算管理一体化系统"),
            ("category", "application"),
            ("ci_type", "应用系统"),
            ("status", "in_use"),
            ("version", "V3.2"),
        ],
    )
    .await;

    // The list: number linking to the page, labels, filters.
    let html = lead.get("/cmdb").await.text();
    assert!(html.contains("共 2 个配置项"), "{html}");
    assert!(html.contains(&format!("<a href=\"/cmdb/{srv}\">SRV-001</a>")));
    assert!(html
        .contains("<td>核心数据库服务器</td><td>硬件及存储</td><td>服务器</td><td>信息中心</td>"));
    let html = lead.get("/cmdb?category=application").await.text();
    assert!(html.contains("APP-001") && !html.contains("SRV-001"));
    assert!(html.contains("<option value=\"application\" selected>"));
    let html = lead
        .get(&format!("/cmdb?q={}", urlenc("机房A")))
        .await
        .text();
    assert!(html.contains("SRV-001") && !html.contains("APP-001"));
    let html = lead.get("/cmdb?status=retired").await.text();
    assert!(html.contains("没有符合条件的配置项"));
    let r = lead.get("/cmdb?category=printer").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("类别无效"));

    // The item page.
    let page = lead.get(&format!("/cmdb/{srv}?msg=created")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("配置项已登记"));
    for needle in [
        "核心数据库服务器",
        "硬件及存储",
        "金陵数智运维服务有限公司",
        "省厅机房A-03",
        "2027-06-30",
        "href=\"/cmdb/",
        "id=\"edit-ci\"",
        "id=\"relation-form\"",
        "id=\"no-impact\"",
    ] {
        assert!(html.contains(needle), "{needle} missing from the item page");
    }

    // A relation: the system runs on the server. An unknown target is
    // refused on the page with the typed code kept.
    let r = lead
        .post(
            &format!("/cmdb/{app_id}/relations"),
            &[("kind", "runs_on"), ("to", "SRV-404")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("找不到配置项“SRV-404”"));
    assert!(r.text().contains("value=\"SRV-404\""));
    let r = lead
        .post(
            &format!("/cmdb/{app_id}/relations"),
            &[("kind", "runs_on"), ("to", "SRV-001")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), format!("/cmdb/{app_id}?msg=relation_added"));
    let html = lead.get(&format!("/cmdb/{app_id}")).await.text();
    let rels = section(&html, "relations");
    assert!(rels.contains("<td>运行于</td>"), "{rels}");
    assert!(rels.contains(&format!("<a href=\"/cmdb/{srv}\">SRV-001</a>")));
    let at = rels.find("/relations/").expect("delete button") + "/relations/".len();
    let rel_id = rels[at..].split('/').next().unwrap().to_string();

    // The server's page: who it carries, and the impact of its failure.
    let html = lead.get(&format!("/cmdb/{srv}")).await.text();
    let rels = section(&html, "relations");
    assert!(rels.contains("<td>承载</td>"));
    assert!(
        rels.contains("在对方配置项中维护"),
        "incoming: no delete here"
    );
    let impact = section(&html, "impact");
    assert!(
        impact.contains(&format!(
            "<td>1</td><td><a href=\"/cmdb/{app_id}\">APP-001</a></td><td>预算管理一体化系统</td><td>应用系统</td>"
        )),
        "{impact}"
    );

    // Editing: the form carries the version read; a stale one is refused.
    let html = lead.get(&format!("/cmdb/{srv}/edit")).await.text();
    let at = html.find("name=\"expected_updated_at\" value=\"").unwrap()
        + "name=\"expected_updated_at\" value=\"".len();
    let seen = html[at..].split('"').next().unwrap().to_string();
    assert!(html.contains("value=\"BIOS 2.1\""));
    let mut edited = server_fields();
    edited[8] = ("version", "BIOS 2.3");
    edited.push(("expected_updated_at", seen.as_str()));
    let r = lead.post(&format!("/cmdb/{srv}/edit"), &edited).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), format!("/cmdb/{srv}?msg=saved"));
    let html = lead.get(&format!("/cmdb/{srv}?msg=saved")).await.text();
    assert!(html.contains("BIOS 2.3") && html.contains("已保存"));
    let mut stale = server_fields();
    stale[8] = ("version", "BIOS 9");
    stale.push(("expected_updated_at", seen.as_str()));
    let r = lead.post(&format!("/cmdb/{srv}/edit"), &stale).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(error_banner(&r.text()).contains("已被他人修改"));
    assert!(r.text().contains("value=\"BIOS 9\""), "typed value kept");

    // The IP plan: a segment, an address, a conflict.
    let r = lead
        .post(
            "/cmdb/ip",
            &[
                ("cidr", "10.12.0.5/24"),
                ("name", "核心业务区"),
                ("org_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("网段应写网络地址"));
    assert!(r.text().contains("value=\"10.12.0.5/24\""));
    let r = lead
        .post(
            "/cmdb/ip",
            &[
                ("cidr", "10.12.0.0/24"),
                ("name", "核心业务区"),
                ("org_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = location(&r);
    let seg = loc
        .strip_prefix("/cmdb/ip/")
        .and_then(|s| s.strip_suffix("?msg=segment_created"))
        .unwrap_or_else(|| panic!("redirect to the segment, got {loc}"))
        .to_string();
    let html = lead.get("/cmdb/ip").await.text();
    assert!(html.contains(&format!("<a href=\"/cmdb/ip/{seg}\">10.12.0.0/24</a>")));
    assert!(html.contains("<td>0 / 254</td>"));

    let r = lead
        .post(
            &format!("/cmdb/ip/{seg}/allocate"),
            &[
                ("address", "10.12.0.10"),
                ("ci", "SRV-001"),
                ("purpose", "管理口"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), format!("/cmdb/ip/{seg}?msg=allocated"));
    let html = lead.get(&format!("/cmdb/ip/{seg}")).await.text();
    assert!(html.contains("<td class=\"mono\">10.12.0.10</td>"));
    assert!(html.contains(&format!("<a href=\"/cmdb/{srv}\">SRV-001</a>")));
    assert!(html.contains("1 / 254"));
    let r = lead
        .post(
            &format!("/cmdb/ip/{seg}/allocate"),
            &[
                ("address", "10.12.0.10"),
                ("ci", "APP-001"),
                ("purpose", "业务口"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let err = error_banner(&r.text());
    assert!(
        err.contains("10.12.0.10") && err.contains("SRV-001") && err.contains("地址冲突"),
        "{err}"
    );
    assert!(r.text().contains("value=\"业务口\""), "typed value kept");
    let r = lead
        .post(
            &format!("/cmdb/ip/{seg}/allocate"),
            &[("address", "10.12.0.255"), ("ci", ""), ("purpose", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("广播地址"));
    let html = lead.get(&format!("/cmdb/{srv}")).await.text();
    assert!(section(&html, "ci-addresses").contains("10.12.0.10"));

    // Release the address and remove the relation.
    let html = lead.get(&format!("/cmdb/ip/{seg}")).await.text();
    let at = html.find("/allocations/").expect("release button") + "/allocations/".len();
    let alloc = html[at..].split('/').next().unwrap().to_string();
    let r = lead
        .post(&format!("/cmdb/ip/{seg}/allocations/{alloc}/release"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = lead
        .get(&format!("/cmdb/ip/{seg}?msg=released"))
        .await
        .text();
    assert!(html.contains("地址已释放") && html.contains("id=\"no-allocations\""));
    let r = lead
        .post(&format!("/cmdb/{app_id}/relations/{rel_id}/remove"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = lead.get(&format!("/cmdb/{srv}")).await.text();
    assert!(html.contains("id=\"no-impact\""));

    // Search finds the item and links to its page.
    let html = lead
        .get(&format!("/search?q={}", urlenc("核心数据库服务器")))
        .await
        .text();
    assert!(html.contains(&format!("href=\"/cmdb/{srv}\"")), "{html}");
    app.cleanup().await;
}

#[tokio::test]
async fn cmdb_import_page_reports_row_errors_with_their_line_numbers() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let file = xlsx(&[
        &["编号", "名称", "类别", "所属机构", "状态", "许可到期"],
        &[
            "SW-01",
            "核心交换机",
            "网络设备",
            "信息中心",
            "在用",
            "2027-01-31",
        ],
        &["PR-01", "打印服务器", "打印机", "信息中心", "", ""],
        &["DB-01", "Oracle 数据库", "基础软件", "信息中心", "备用", ""],
    ]);

    // 仅校验不导入: the report, nothing written.
    let r = import(&lead, file.clone(), true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("读取 3 行、可导入 2 行、有错误 1 行"),
        "{html}"
    );
    let errors = section(&html, "import-result");
    assert!(errors.contains("<td>第 3 行</td>"), "{errors}");
    assert!(errors.contains("类别无效"));
    assert!(lead.get("/cmdb").await.text().contains("共 0 个配置项"));

    // The import: the good rows written, the bad one named by its line.
    let r = import(&lead, file, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("读取 3 行、导入 2 行"), "{html}");
    assert!(html.contains("<td>第 3 行</td>"));
    let list = lead.get("/cmdb").await.text();
    assert!(list.contains("共 2 个配置项"));
    assert!(list.contains(">SW-01</a>") && list.contains(">DB-01</a>"));
    assert!(!list.contains("PR-01"));
    assert!(list.contains("<td>备用</td>"));

    // A file with unknown columns is refused as a whole, on the list page.
    let r = import(
        &lead,
        xlsx(&[&["名称", "类别", "所属机构", "颜色"], &["a", "b", "c", "d"]]),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("无法识别的列：颜色"));
    assert!(r.text().contains("id=\"ci-list\""), "the list again");
    let r = import(&lead, b"not a workbook".to_vec(), false).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("Excel"));

    // The template has the columns the import reads (and no rows yet).
    let t = lead.get("/cmdb/import-template").await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body.starts_with(b"PK"));
    assert!(t
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    let r = import(&lead, t.body.to_vec(), true).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("表中没有数据行"));

    // Export needs a reason; the exported file imports back (its codes
    // now exist, so every row is refused by line).
    let r = lead
        .post(
            "/cmdb/export",
            &[("reason", " "), ("category", ""), ("q", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("请填写操作原因"));
    let r = lead
        .post(
            "/cmdb/export",
            &[
                ("reason", "年度配置核查"),
                ("category", "network"),
                ("q", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"PK"));
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let back = import(&lead, r.body.to_vec(), true).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text());
    assert!(back.text().contains("读取 1 行、可导入 0 行"));
    assert!(back.text().contains("编号 SW-01 已存在"));
    app.cleanup().await;
}

#[tokio::test]
async fn configuration_items_are_linked_on_the_ticket_page() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let srv = register(&lead, &server_fields()).await;
    let staff_token = app.login("demo_staff").await;
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(&staff_token),
            json!({
                "pack": "jscz",
                "process": "change",
                "title": "核心数据库服务器扩容",
                "fields": {
                    "system": "预算管理一体化系统",
                    "description": "增加内存",
                    "level": "major",
                    "type": "data",
                    "planned_start": "2026-03-05T09:00:00+08:00"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let ticket = r.json()["id"].as_str().unwrap().to_string();

    let html = lead.get(&format!("/tickets/{ticket}")).await.text();
    let cis = section(&html, "ticket-cis");
    assert!(cis.contains("关联配置项") && cis.contains("id=\"no-cis\""));
    assert!(cis.contains("id=\"link-ci-form\""));

    // An unknown code is refused on the ticket page, the code kept.
    let r = lead
        .post(&format!("/tickets/{ticket}/cis"), &[("ci", "SRV-404")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(error_banner(&r.text()).contains("找不到配置项“SRV-404”"));
    assert!(r.text().contains("value=\"SRV-404\""));
    assert!(
        r.text().contains("id=\"ticket-head\""),
        "the ticket page again"
    );

    let r = lead
        .post(&format!("/tickets/{ticket}/cis"), &[("ci", "SRV-001")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), format!("/tickets/{ticket}?msg=ci_linked"));
    let html = lead
        .get(&format!("/tickets/{ticket}?msg=ci_linked"))
        .await
        .text();
    assert!(html.contains("已关联配置项"));
    let cis = section(&html, "ticket-cis");
    assert!(
        cis.contains(&format!(
            "<a href=\"/cmdb/{srv}\">SRV-001</a></td><td>核心数据库服务器</td>"
        )),
        "{cis}"
    );

    // The item lists the ticket.
    let html = lead.get(&format!("/cmdb/{srv}")).await.text();
    let tickets = section(&html, "ci-tickets");
    assert!(
        tickets.contains(&format!("<a href=\"/tickets/{ticket}\">BG-")),
        "{tickets}"
    );
    assert!(tickets.contains("核心数据库服务器扩容") && tickets.contains("办理中"));

    // The requester sees the link but not the centre's item.
    let staff = Browser::login(&app, "demo_staff").await;
    let html = staff.get(&format!("/tickets/{ticket}")).await.text();
    let cis = section(&html, "ticket-cis");
    assert!(
        cis.contains("<td>SRV-001</td><td>（无权查看）</td>"),
        "{cis}"
    );
    assert_eq!(
        staff.get(&format!("/cmdb/{srv}")).await.status,
        StatusCode::NOT_FOUND
    );

    let r = lead
        .post(&format!("/tickets/{ticket}/cis/{srv}/remove"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/tickets/{ticket}?msg=ci_unlinked"));
    let html = lead.get(&format!("/tickets/{ticket}")).await.text();
    assert!(section(&html, "ticket-cis").contains("id=\"no-cis\""));
    app.cleanup().await;
}

#[tokio::test]
async fn business_staff_read_the_cmdb_but_do_not_keep_it() {
    let app = TestApp::new().await;
    let staff = Browser::login(&app, "demo_staff").await;
    let home = staff.get("/").await.text();
    assert!(home.contains("<a href=\"/cmdb\">配置管理</a>"));
    for path in ["/cmdb", "/cmdb/ip"] {
        let r = staff.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        let html = r.text();
        assert!(!html.contains("/cmdb/new"), "{path}: no 登记 link");
        assert!(!html.contains("id=\"import-form\""), "{path}");
        assert!(!html.contains("id=\"segment-form\""), "{path}");
        assert!(!html.contains("style=\""), "{path}: no inline style");
    }
    assert_eq!(staff.get("/cmdb/new").await.status, StatusCode::FORBIDDEN);
    let r = staff
        .post(
            "/cmdb/new",
            &[("name", "私自登记"), ("category", "hardware")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = import(
        &staff,
        xlsx(&[
            &["名称", "类别", "所属机构"],
            &["a", "网络设备", "南京市财政局"],
        ]),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = staff
        .post(
            "/cmdb/ip",
            &[("cidr", "10.9.0.0/24"), ("name", ""), ("org_id", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // An item of the staff's own city: readable, but no edit link.
    let lead = Browser::login(&app, "demo_lead").await;
    let html = lead.get("/cmdb/new").await.text();
    let at = html
        .find("南京市财政局")
        .expect("nanjing in the org select");
    let before = &html[..at];
    let vat = before.rfind("<option value=\"").unwrap() + "<option value=\"".len();
    let nanjing = before[vat..].split('"').next().unwrap().to_string();
    let mut fields = server_fields();
    fields[0] = ("code", "NJ-001");
    fields[4] = ("org_id", nanjing.as_str());
    let id = register(&lead, &fields).await;
    let r = staff.get(&format!("/cmdb/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("NJ-001") && html.contains("南京市财政局"));
    assert!(!html.contains("id=\"edit-ci\"") && !html.contains("id=\"relation-form\""));
    assert_eq!(
        staff.get(&format!("/cmdb/{id}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    let list = staff.get("/cmdb").await.text();
    assert!(list.contains("共 1 个配置项") && list.contains(">NJ-001</a>"));

    // The three administrators do not see the register.
    let admin = Browser::login(&app, "sysadmin").await;
    assert!(!admin.get("/").await.text().contains("href=\"/cmdb\""));
    assert_eq!(admin.get("/cmdb").await.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

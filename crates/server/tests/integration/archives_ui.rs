//! The technical archive pages driven like a browser (EEDS-3.6,
//! NTCZ-3.1.7): a document registered with its first file through the
//! page, listed and filtered, opened, given a second version, each version
//! downloaded byte for byte and audited; business staff see the documents
//! but a download is refused on the error page and audited as refused.

use axum::http::StatusCode;
use yunwei_domain::audit::AuditRecord;
use yunwei_domain::crypto::{Crypto, SoftwareCrypto};
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{urlenc, Browser, FilePart};

/// The first version: not text, so a re-encoding would show.
const V1: &[u8] = b"hostname core-1\n\x00\xff\xfe\x80 vlan 10\n";
const V2: &[u8] = b"hostname core-1\nvlan 10\nvlan 20\n";

fn sm3(content: &[u8]) -> String {
    hex::encode(SoftwareCrypto.sm3(content))
}

fn file<'f>(filename: &'f str, content: &'f [u8]) -> FilePart<'f> {
    FilePart {
        field: "file",
        filename,
        content_type: "application/octet-stream",
        content,
    }
}

fn location(r: &TestResponse) -> String {
    r.header("location").unwrap_or_default().to_string()
}

/// The error banner of a page shown again after a refusal.
fn error_banner(html: &str) -> String {
    let at = html.find("id=\"error\"").expect("error banner");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split('<').next().unwrap().to_string()
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

/// The row of a version on the document page.
fn version_row(html: &str, version: u32) -> &str {
    let at = html
        .find(&format!("<tr id=\"version-{version}\">"))
        .unwrap_or_else(|| panic!("version {version} missing"));
    let rest = &html[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// The download link of a row.
fn download_link(row: &str) -> String {
    let at = row
        .find("href=\"/archives/versions/")
        .expect("download link")
        + "href=\"".len();
    row[at..].split('"').next().unwrap().to_string()
}

/// The value of the `<option>` whose label (without the indentation) is
/// `label`.
fn option_value(html: &str, label: &str) -> String {
    let at = html
        .find(&format!("{label}</option>"))
        .unwrap_or_else(|| panic!("option {label} missing"));
    let before = &html[..at];
    let v = before.rfind("value=\"").unwrap() + "value=\"".len();
    before[v..].split('"').next().unwrap().to_string()
}

/// Registers a document through the list page's form; returns its id from
/// the redirect.
async fn register(b: &Browser<'_>, fields: &[(&str, &str)], f: FilePart<'_>) -> String {
    let r = b.multipart("/archives", fields, f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = location(&r);
    loc.strip_prefix("/archives/")
        .and_then(|s| s.strip_suffix("?msg=created"))
        .unwrap_or_else(|| panic!("redirect to the document, got {loc}"))
        .to_string()
}

/// Registers an item through the CMDB form; returns its id.
async fn register_item(b: &Browser<'_>, code: &str, name: &str) -> String {
    let r = b
        .post(
            "/cmdb/new",
            &[
                ("code", code),
                ("name", name),
                ("category", "network"),
                ("org_id", ""),
                ("status", "in_use"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = location(&r);
    loc.strip_prefix("/cmdb/")
        .and_then(|s| s.strip_suffix("?msg=created"))
        .unwrap_or_else(|| panic!("redirect to the item, got {loc}"))
        .to_string()
}

async fn audits(app: &TestApp, action: &str) -> Vec<AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
}

#[tokio::test]
async fn eeds_3_6_archives_are_registered_versioned_and_downloaded_through_the_pages() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let ci_id = register_item(&lead, "SW-CORE-01", "核心交换机").await;
    register_item(&lead, "FW-01", "边界防火墙").await;

    // The menu leads to the page; nothing is registered yet.
    let home = lead.get("/").await;
    assert!(home.text().contains("<a href=\"/archives\">技术档案</a>"));
    let list = lead.get("/archives").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(html.contains("id=\"no-archives\""), "{html}");
    let form = section(&html, "archive-new");
    assert!(form.contains("enctype=\"multipart/form-data\""));
    assert!(form.contains(&format!("name=\"csrf\" value=\"{}\"", lead.csrf)));
    assert!(form.contains("<option value=\"config_list\">软硬件配置清单</option>"));

    // A refusal comes back on the page with what was typed.
    let r = lead
        .multipart(
            "/archives",
            &[
                ("title", " "),
                ("kind", "config_list"),
                ("ci", "SW-CORE-01"),
                ("org_id", ""),
                ("note", "割接前的配置"),
            ],
            file("sw.cfg", V1),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_banner(&r.text()), "资料名称不能为空");
    assert!(r.text().contains(">割接前的配置</textarea>"));
    assert!(r.text().contains("value=\"SW-CORE-01\""));
    let r = lead
        .multipart(
            "/archives",
            &[
                ("title", "配置"),
                ("kind", "config_list"),
                ("ci", "NO-SUCH"),
            ],
            file("sw.cfg", V1),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_banner(&r.text()), "找不到配置项“NO-SUCH”");
    assert!(audits(&app, "archive.create").await.is_empty());

    // Registered with the first file, the document opens with its version.
    let id = register(
        &lead,
        &[
            ("title", "核心交换机配置清单"),
            ("kind", "config_list"),
            ("ci", "SW-CORE-01"),
            ("org_id", ""),
            ("note", "割接前的配置"),
        ],
        file("sw.cfg", V1),
    )
    .await;
    let page = lead.get(&format!("/archives/{id}?msg=created")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("技术资料已登记"));
    assert!(html.contains("核心交换机配置清单"));
    let props = section(&html, "archive-props");
    assert!(props.contains("软硬件配置清单"));
    assert!(props.contains(">SW-CORE-01</a>"), "{props}");
    let row = version_row(&html, 1);
    for needle in [
        "第 1 版（当前）",
        "sw.cfg",
        &sm3(V1),
        "割接前的配置",
        "陈思远",
        &format!("{} 字节", V1.len()),
    ] {
        assert!(row.contains(needle), "{needle} missing from {row}");
    }
    assert!(
        props.contains(&format!("href=\"/cmdb/{ci_id}\"")),
        "{props}"
    );

    // Listed, and found by kind and by item; other filters leave it out.
    let list = lead.get("/archives").await.text();
    let rows = section(&list, "archive-list");
    assert!(rows.contains(&format!(
        "<a href=\"/archives/{id}\">核心交换机配置清单</a>"
    )));
    assert!(rows.contains("第 1 版"));
    assert!(list.contains("共 1 份资料"));
    for (q, found) in [
        ("kind=config_list", true),
        ("kind=manual", false),
        ("ci=SW-CORE-01", true),
        ("ci=FW-01", false),
        (&format!("ci_id={ci_id}") as &str, true),
    ] {
        let html = lead.get(&format!("/archives?{q}")).await.text();
        assert_eq!(
            html.contains(&format!("/archives/{id}\"")),
            found,
            "{q}: {html}"
        );
    }
    let r = lead.get("/archives?ci=NO-SUCH").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_banner(&r.text()), "找不到配置项“NO-SUCH”");
    // The item's page links to its archives.
    let item = lead.get(&format!("/cmdb/{ci_id}")).await.text();
    let link = format!("/archives?ci_id={ci_id}");
    assert!(item.contains(&link), "{item}");
    let from_item = lead.get(&link).await.text();
    assert!(from_item.contains(&format!("/archives/{id}\"")));
    assert!(from_item.contains("value=\"SW-CORE-01\""), "the code shown");

    // A second version through the page's form; the first stays.
    let page = lead.get(&format!("/archives/{id}")).await.text();
    let upload = section(&page, "archive-upload");
    assert!(upload.contains(&format!("action=\"/archives/{id}/versions\"")));
    assert!(upload.contains(&format!("name=\"csrf\" value=\"{}\"", lead.csrf)));
    let r = lead
        .multipart(
            &format!("/archives/{id}/versions"),
            &[("note", "扩容后增加 VLAN 20")],
            file("sw-v2.cfg", V2),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(location(&r), format!("/archives/{id}?msg=version_added"));
    let html = lead.get(&location(&r)).await.text();
    assert!(html.contains("新版本已上传"));
    assert!(html.contains("第 2 版</span>"));
    let v2 = version_row(&html, 2);
    assert!(v2.contains("第 2 版（当前）") && v2.contains("sw-v2.cfg"));
    assert!(v2.contains(&sm3(V2)) && v2.contains("扩容后增加 VLAN 20"));
    let v1 = version_row(&html, 1);
    assert!(!v1.contains("（当前）") && v1.contains(&sm3(V1)));
    // An empty file is refused on the page, the note kept.
    let r = lead
        .multipart(
            &format!("/archives/{id}/versions"),
            &[("note", "空文件")],
            file("empty.cfg", b""),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_banner(&r.text()), "文件不能为空，且不超过50MB");
    assert!(r.text().contains(">空文件</textarea>"));
    // A form without the session's token is refused and writes nothing.
    let r = lead
        .multipart_raw(
            &format!("/archives/{id}/versions"),
            &[("csrf", "forged"), ("note", "伪造")],
            file("forged.cfg", b"forged"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("页面已过期"));
    assert_eq!(audits(&app, "archive.version").await.len(), 1);

    // Each version downloads byte for byte as an attachment, audited.
    let html = lead.get(&format!("/archives/{id}")).await.text();
    let r = lead.get(&download_link(version_row(&html, 1))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], V1);
    let disposition = r.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("sw.cfg"),
        "{disposition}"
    );
    let r = lead.get(&download_link(version_row(&html, 2))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], V2);
    let downloads = audits(&app, "archive.download").await;
    let seen: Vec<(&str, &str, bool)> = downloads
        .iter()
        .map(|a| {
            (
                a.result.as_str(),
                a.object_id.as_str(),
                a.after.contains("第 2 版"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("success", id.as_str(), true),
            ("success", id.as_str(), false)
        ]
    );
    assert!(downloads[1].after.contains(&format!("SM3={}", sm3(V1))));
    assert_eq!(downloads[0].actor_name, "demo_lead");
    assert_eq!(audits(&app, "archive.create").await.len(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_business_staff_see_archives_but_their_download_is_refused_and_audited() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let staff = Browser::login(&app, "demo_staff").await;
    let unit = Browser::login(&app, "demo_unit").await;

    // The lead registers Nanjing's IP map (no item: the organisation's
    // systems).
    let list = lead.get("/archives").await.text();
    let nj = option_value(section(&list, "archive-new"), "南京市财政局");
    let id = register(
        &lead,
        &[
            ("title", "南京市财政局IP地址分布图"),
            ("kind", "ip_map"),
            ("ci", ""),
            ("org_id", &nj),
            ("note", ""),
        ],
        file("ip.xlsx", b"10.32.1.0/24"),
    )
    .await;
    let html = lead.get(&format!("/archives/{id}")).await.text();
    let dl = download_link(version_row(&html, 1));
    assert!(section(&html, "archive-props").contains("南京市财政局"));

    // Nanjing's business staff see that it exists, not its content.
    let list = staff.get("/archives").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(html.contains(">技术档案</a>"));
    let rows = section(&html, "archive-list");
    assert!(rows.contains("南京市财政局IP地址分布图"));
    assert!(rows.contains("无下载权限"));
    assert!(!html.contains("id=\"archive-form\""), "no upload form");
    let org_filter = format!("/archives?org_id={}", urlenc(&nj));
    assert!(staff
        .get(&org_filter)
        .await
        .text()
        .contains(&format!("/archives/{id}\"")));
    let page = staff.get(&format!("/archives/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"no-download\""));
    assert!(!html.contains("/archives/versions/"), "no download link");
    assert!(!html.contains("id=\"version-form\""), "no version form");
    assert!(version_row(&html, 1).contains(&sm3(b"10.32.1.0/24")));

    // Following the link anyway: the error page in Chinese, no bytes.
    let r = staff.get(&dl).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert!(r.header("content-disposition").is_none());
    let html = r.text();
    assert!(html.contains("<h1>无权访问</h1>"), "{html}");
    assert!(html.contains("无权维护运维台账"), "{html}");
    assert!(!html.contains("10.32.1.0/24"));
    // A new version through the form is refused on the page.
    let r = staff
        .multipart(
            &format!("/archives/{id}/versions"),
            &[("note", "更新")],
            file("ip2.xlsx", b"10.32.2.0/24"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(error_banner(&r.text()).contains("无权维护运维台账"));
    assert!(audits(&app, "archive.version").await.is_empty());
    // Another unit does not even see it.
    let r = unit.get(&dl).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!unit
        .get("/archives")
        .await
        .text()
        .contains("南京市财政局IP地址分布图"));

    // The refusal is audited: who, which document, refused.
    let recs = audits(&app, "archive.download").await;
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].result, "denied");
    assert_eq!(recs[0].actor_name, "demo_staff");
    assert_eq!(recs[0].object_id, id);
    assert_eq!(recs[0].object_type, "archive");
    assert!(
        recs[0].after.contains("无权维护运维台账"),
        "{}",
        recs[0].after
    );
    // The lead's download is allowed and audited after it.
    let r = lead.get(&dl).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"10.32.1.0/24");
    let results: Vec<String> = audits(&app, "archive.download")
        .await
        .into_iter()
        .map(|a| a.result)
        .collect();
    assert_eq!(results, ["success", "denied"]);

    // The system administrator has no business data: no menu, refused.
    let admin = Browser::login(&app, "sysadmin").await;
    assert!(!admin.get("/").await.text().contains("href=\"/archives\""));
    assert_eq!(admin.get("/archives").await.status, StatusCode::FORBIDDEN);
    app.cleanup().await;
}

#[tokio::test]
async fn eeds_3_6_archive_export_needs_a_reason_keeps_to_the_callers_scope_and_is_audited() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let staff = Browser::login(&app, "demo_staff").await;
    let token = staff.cookie.trim_start_matches("yw_session=").to_string();
    let lead_token = lead.cookie.trim_start_matches("yw_session=").to_string();
    let ci_id = register_item(&lead, "SW-CORE-01", "核心交换机").await;
    let list = lead.get("/archives").await.text();
    let nj = option_value(section(&list, "archive-new"), "南京市财政局");
    // Nanjing's IP map, two versions; the centre's plan of its switch.
    let nj_doc = register(
        &lead,
        &[
            ("title", "南京市财政局IP地址分布图"),
            ("kind", "ip_map"),
            ("ci", ""),
            ("org_id", &nj),
            ("note", ""),
        ],
        file("ip.xlsx", V1),
    )
    .await;
    let r = lead
        .multipart(
            &format!("/archives/{nj_doc}/versions"),
            &[("note", "新增网段")],
            file("ip-v2.xlsx", V2),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    register(
        &lead,
        &[
            ("title", "信息中心应急预案"),
            ("kind", "emergency_plan"),
            ("ci", "SW-CORE-01"),
            ("org_id", ""),
            ("note", ""),
        ],
        file("plan.docx", V1),
    )
    .await;

    // The API: refused without a reason, and not taken for a document id.
    for q in ["", "?reason=", "?kind=ip_map&reason=%20"] {
        let r = app
            .get(&format!("/api/v1/archives/export.xlsx{q}"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
        assert_eq!(r.json()["code"], "audit.reason_required");
        assert_eq!(r.json()["message"], "请填写操作原因");
    }
    assert!(audits(&app, "archives.export").await.is_empty());
    let r = app
        .get(
            &format!("/api/v1/archives/export.xlsx?reason={}", urlenc("档案核查")),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let rows = crate::controls::xlsx_rows(&r.body);
    assert!(rows[0][0].contains("导出人：孙晓梅"), "{:?}", rows[0]);
    assert_eq!(
        rows[1],
        [
            "资料名称",
            "类别",
            "配置项",
            "机构",
            "当前版本",
            "当前版本SM3",
            "更新时间"
        ]
    );
    let row = crate::controls::xlsx_row(&rows, "南京市财政局IP地址分布图").expect("Nanjing's map");
    assert_eq!(
        &row[..6],
        [
            "南京市财政局IP地址分布图",
            "IP地址分布图",
            "",
            "南京市财政局",
            "第 2 版",
            sm3(V2).as_str(),
        ]
    );
    assert!(row[6].starts_with("2026-03-02 "), "{row:?}");
    assert!(
        crate::controls::xlsx_row(&rows, "信息中心应急预案").is_none(),
        "the centre's plan is outside demo_staff's scope"
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    // The filters of the page: kind, organisation, item.
    for (q, found) in [
        ("kind=ip_map", vec!["南京市财政局IP地址分布图"]),
        ("kind=manual", vec![]),
        (
            &format!("org_id={nj}") as &str,
            vec!["南京市财政局IP地址分布图"],
        ),
        (&format!("ci_id={ci_id}") as &str, vec!["信息中心应急预案"]),
        ("ci_id=nothing", vec![]),
    ] {
        let r = app
            .get(
                &format!("/api/v1/archives/export.xlsx?{q}&reason={}", urlenc("核对")),
                Some(&lead_token),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
        let rows = crate::controls::xlsx_rows(&r.body);
        let titles: Vec<&str> = rows[2..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(titles, found, "{q}");
    }
    let r = app
        .get(
            &format!("/api/v1/archives/export.xlsx?reason={}", urlenc("核对")),
            Some(&lead_token),
        )
        .await;
    let rows = crate::controls::xlsx_rows(&r.body);
    let plan = crate::controls::xlsx_row(&rows, "信息中心应急预案").expect("the centre's plan");
    assert_eq!(
        &plan[1..5],
        ["应急预案", "SW-CORE-01", "信息中心", "第 1 版"]
    );
    assert_eq!(plan[5], sm3(V1));
    assert!(crate::controls::xlsx_row(&rows, "南京市财政局IP地址分布图").is_some());
    assert_eq!(rows.len(), 4, "{rows:?}");
    let r = app
        .get(
            &format!(
                "/api/v1/archives/export.xlsx?kind=photo&reason={}",
                urlenc("核对")
            ),
            Some(&lead_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "archive.kind_invalid");
    let recs = audits(&app, "archives.export").await;
    assert_eq!(recs.len(), 7, "{recs:?}");
    let mine: Vec<&AuditRecord> = recs
        .iter()
        .filter(|a| a.actor_name == "demo_staff")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].reason, "档案核查");
    assert_eq!(mine[0].result, "success");
    assert!(mine[0].after.contains("导出 1 份"), "{}", mine[0].after);

    // The page: the form carries the filters; no reason, the list again
    // with the Chinese error and the filters; then the file.
    let html = staff
        .get(&format!("/archives?kind=ip_map&org_id={}", urlenc(&nj)))
        .await
        .text();
    let form = section(&html, "export-archives");
    assert!(html.contains("action=\"/archives/export\" class=\"filters\" id=\"export-archives\""));
    for needle in [
        &format!("name=\"csrf\" value=\"{}\"", staff.csrf) as &str,
        "name=\"kind\" value=\"ip_map\"",
        &format!("name=\"org_id\" value=\"{nj}\""),
        "name=\"reason\"",
    ] {
        assert!(form.contains(needle), "{needle}: {form}");
    }
    let r = staff
        .post(
            "/archives/export",
            &[("reason", " "), ("kind", "ip_map"), ("org_id", &nj)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let html = r.text();
    assert_eq!(error_banner(&html), "请填写操作原因");
    assert!(section(&html, "archive-list").contains("南京市财政局IP地址分布图"));
    assert!(
        html.contains("name=\"kind\" value=\"ip_map\""),
        "filters kept"
    );
    let r = staff
        .post(
            "/archives/export",
            &[("reason", "页面导出"), ("ci", "NO-SUCH")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_banner(&r.text()), "找不到配置项“NO-SUCH”");
    let r = staff
        .post_raw(
            "/archives/export",
            format!("csrf=forged&reason={}", urlenc("核对")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(audits(&app, "archives.export").await.len(), 7);
    let r = staff
        .post(
            "/archives/export",
            &[("reason", "页面导出"), ("kind", "ip_map"), ("org_id", &nj)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let rows = crate::controls::xlsx_rows(&r.body);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[2][0], "南京市财政局IP地址分布图");
    let r = lead
        .post(
            "/archives/export",
            &[("reason", "页面导出"), ("ci", "SW-CORE-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = crate::controls::xlsx_rows(&r.body);
    let titles: Vec<&str> = rows[2..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(titles, ["信息中心应急预案"], "the item's documents only");
    let page: Vec<AuditRecord> = audits(&app, "archives.export")
        .await
        .into_iter()
        .filter(|a| a.reason == "页面导出")
        .collect();
    assert_eq!(page.len(), 2);
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    assert!(doc["paths"]["/api/v1/archives/export.xlsx"]
        .get("get")
        .is_some());
    app.cleanup().await;
}

//! PDFs of a ticket and of the monthly SLA report (ADR 0013): rendered to
//! an image by poppler (`pdftoppm`) and read back (`pdftotext`,
//! `pdffonts`), so the Chinese text is really there in the CJK font the
//! package installs, subset; the same scope as the ticket page; the
//! download audited; a missing font answers a Chinese error.

use std::path::Path;
use std::process::Command;

use axum::http::StatusCode;
use serde_json::{json, Value};
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::Browser;

const TITLE: &str = "国库集中支付系统数据库补丁紧急变更";
const COMMENT: &str = "变更窗口定于今晚二十二点，请运维组提前备份。";

/// Runs a poppler tool; a missing tool fails the test with what to install.
fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} not runnable ({e}): apt-get install poppler-utils"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The PDF's text, page by page in reading order, each line trimmed.
fn text_lines(pdf: &Path) -> Vec<String> {
    let out = poppler("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"]);
    String::from_utf8(out)
        .expect("UTF-8 text")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Renders the first page at 40 dpi in grey and returns the share of
/// dark pixels (text and rules); a blank page has none.
fn dark_share(pdf: &Path, dir: &Path) -> f64 {
    let stem = dir.join("page");
    poppler(
        "pdftoppm",
        &[
            "-gray",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    let pgm = std::fs::read(dir.join("page.pgm")).expect("rendered page");
    // Binary PGM: "P5", width, height, maxval, then one byte a pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).to_string());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), w * h, "one byte a pixel");
    // A4 at 40 dpi is 331 x 468.
    assert_eq!((w, h), (331, 468));
    pixels.iter().filter(|&&p| p < 128).count() as f64 / pixels.len() as f64
}

/// The embedded fonts (`pdffonts`): every one embedded and subset.
fn assert_font_subset(pdf: &Path) {
    let out = String::from_utf8(poppler("pdffonts", &[pdf.to_str().unwrap()])).unwrap();
    let fonts: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(fonts.len(), 1, "one font: {out}");
    let cols: Vec<&str> = fonts[0].split_whitespace().collect();
    // name, type..., encoding, emb, sub, uni, object, id
    let n = cols.len();
    assert!(
        cols[0].contains("+NotoSansCJKsc"),
        "the SC face, subset-tagged: {out}"
    );
    assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{out}");
}

/// Whether consecutive lines (a cell's text wrapped) make up `text` exactly.
fn wrapped(lines: &[String], text: &str) -> bool {
    (0..lines.len()).any(|i| {
        let mut joined = String::new();
        lines[i..].iter().take(4).any(|l| {
            joined.push_str(l);
            joined == text
        })
    })
}

fn save(dir: &Path, name: &str, r: &TestResponse) -> std::path::PathBuf {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r.body.starts_with(b"%PDF-"), "a PDF");
    let path = dir.join(name);
    std::fs::write(&path, &r.body).unwrap();
    path
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

/// A submitted emergency change with a comment, taken into review.
async fn change(app: &TestApp, staff: &str, lead: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(staff),
            json!({
                "pack": "jscz",
                "process": "change",
                "title": TITLE,
                "fields": {
                    "system": "国库集中支付系统",
                    "description": "数据库补丁升级",
                    "reason": "厂商发布安全补丁",
                    "level": "emergency",
                    "type": "application",
                    "launch": "none",
                    "planned_start": "2026-03-02T22:00:00+08:00"
                }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    // The vendor serving the bureau submits it (JSCZ-26 (1)).
    let vendor = crate::support::vendor_serving(app, "南京市财政局").await;
    act(app, &vendor, &id, "submit", json!({})).await;
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/comments"),
            Some(staff),
            json!({"body": COMMENT}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    act(app, lead, &id, "organise_review", json!({})).await;
    id
}

#[tokio::test]
async fn ticket_pdf_renders_its_chinese_text_in_scope_and_is_audited() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let id = change(&app, &staff, &lead).await;
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&staff))
        .await
        .json();
    let number = d["ticket"]["number"].as_str().unwrap().to_string();
    let state = d["ticket"]["state_label"].as_str().unwrap().to_string();
    let route: Vec<String> = d["route"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect();
    let events: Vec<String> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap().to_string())
        .collect();
    assert!(route.len() >= 3, "{route:?}");

    let r = app
        .get(&format!("/api/v1/tickets/{id}/pdf"), Some(&staff))
        .await;
    let pdf = save(dir.path(), "ticket.pdf", &r);
    assert!(
        r.header("content-disposition")
            .is_some_and(|v| v.contains(&format!("{number}.pdf"))),
        "{:?}",
        r.header("content-disposition")
    );
    // Subset: the whole font is some 19 MB; the ticket a few dozen KB.
    assert!(r.body.len() < 150_000, "{} bytes", r.body.len());
    assert_font_subset(&pdf);
    let share = dark_share(&pdf, dir.path());
    assert!(share > 0.01 && share < 0.5, "dark share {share}");

    let lines = text_lines(&pdf);
    let has = |s: &str| lines.iter().any(|l| l == s);
    // The title is the first line; then the number, the process and the
    // state (pdftotext splits the line at its wide spaces).
    assert_eq!(lines[0], TITLE, "{lines:#?}");
    assert_eq!(
        lines[1..4],
        [
            number.clone(),
            d["ticket"]["process_name"].as_str().unwrap().to_string(),
            format!("当前状态：{state}")
        ],
        "{lines:#?}"
    );
    for heading in [
        "基本信息",
        "工单内容",
        "办理流程",
        "办理记录",
        "经办人：",
        "审核人：",
        "日期：",
    ] {
        assert!(has(heading), "{heading}: {lines:#?}");
    }
    for step in &route {
        assert!(has(step), "route step {step}: {lines:#?}");
    }
    for label in &events {
        assert!(has(label), "timeline {label}: {lines:#?}");
    }
    // The comment wraps in its cell: its lines, joined, are the comment.
    assert!(wrapped(&lines, COMMENT), "{lines:#?}");
    assert!(has("国库集中支付系统"), "{lines:#?}");
    assert!(has(&state), "{lines:#?}");
    // The footer names the exporter and the time (Beijing).
    let name = crate::support::principal(&app, "demo_staff")
        .await
        .display_name;
    assert!(has(&format!("导出人：{name}")), "{lines:#?}");
    assert!(has("导出时间：2026-03-02 09:00（北京时间）"), "{lines:#?}");
    assert!(
        has("第 1 页，共 1 页") || has("第 1 页，共 2 页"),
        "{lines:#?}"
    );

    // The browser session downloads the same document.
    let b = Browser::login(&app, "demo_staff").await;
    let r = b.get(&format!("/tickets/{id}/pdf")).await;
    let ui = save(dir.path(), "ui.pdf", &r);
    assert_eq!(text_lines(&ui)[0], TITLE);

    // Out of scope: not found, as the ticket page.
    let unit = app.login("demo_unit").await;
    for path in [
        format!("/api/v1/tickets/{id}"),
        format!("/api/v1/tickets/{id}/pdf"),
    ] {
        let r = app.get(&path, Some(&unit)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
    }
    let b = Browser::login(&app, "demo_unit").await;
    assert_eq!(
        b.get(&format!("/tickets/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = b.get(&format!("/tickets/{id}/pdf")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("<html"), "a page, not JSON");
    // A system administrator reads no business data: as the ticket.
    let sys = app.login("sysadmin").await;
    for path in [
        format!("/api/v1/tickets/{id}"),
        format!("/api/v1/tickets/{id}/pdf"),
    ] {
        let r = app.get(&path, Some(&sys)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
    }

    // Two downloads by demo_staff, audited with the ticket; none refused.
    let aud = app.login("audadmin").await;
    let trail = app
        .get("/api/v1/audit?action=ticket.pdf", Some(&aud))
        .await
        .json();
    let records = trail["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{trail}");
    assert!(
        records.iter().all(|r| r["object_id"] == id.as_str()),
        "{trail}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn sla_report_pdf_renders_the_report_in_scope() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    change(&app, &staff, &lead).await;
    let month = yunwei_core::reports::current_month(app.platform.clock.now());
    let report = app
        .get(&format!("/api/v1/reports/sla?month={month}"), Some(&lead))
        .await
        .json();
    let processes: Vec<String> = report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["process_name"].as_str().unwrap().to_string())
        .collect();
    assert!(!processes.is_empty(), "{report}");

    let r = app
        .get(
            &format!("/api/v1/reports/sla/pdf?month={month}"),
            Some(&lead),
        )
        .await;
    let pdf = save(dir.path(), "sla.pdf", &r);
    assert_font_subset(&pdf);
    let share = dark_share(&pdf, dir.path());
    assert!(share > 0.01 && share < 0.5, "dark share {share}");
    let lines = text_lines(&pdf);
    let has = |s: &str| lines.iter().any(|l| l == s);
    assert_eq!(lines[0], format!("{month} SLA 月报"), "{lines:#?}");
    for p in &processes {
        assert!(has(p), "process {p}: {lines:#?}");
    }
    for cell in ["流程", "按时办结率", "小计", "合计", "经办人："] {
        assert!(has(cell), "{cell}: {lines:#?}");
    }
    let total = report["total"]["opened"].as_i64().unwrap().to_string();
    let at = lines.iter().position(|l| l == "合计").unwrap();
    assert!(lines[at..].contains(&total), "{lines:#?}");

    // The browser session; a bad month answers the Chinese error page.
    let b = Browser::login(&app, "demo_lead").await;
    let r = b.get(&format!("/reports/sla.pdf?month={month}")).await;
    save(dir.path(), "ui.pdf", &r);
    let r = b.get("/reports/sla.pdf?month=2026-13").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("月份格式应为 YYYY-MM"), "{}", r.text());
    // No business role: refused.
    let sys = app.login("sysadmin").await;
    let r = app.get("/api/v1/reports/sla/pdf", Some(&sys)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let aud = app.login("audadmin").await;
    let trail = app
        .get("/api/v1/audit?action=report.pdf", Some(&aud))
        .await
        .json();
    assert_eq!(trail["records"].as_array().unwrap().len(), 2, "{trail}");
    app.cleanup().await;
}

#[tokio::test]
async fn missing_font_answers_a_chinese_error_not_a_crash() {
    let mut app = TestApp::new().await;
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let id = change(&app, &staff, &lead).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = app
        .platform
        .clone()
        .with_pdf_font(yunwei_core::pdf::PdfFont {
            path: dir.path().join("没有这个字体.ttc"),
            index: 0,
        });
    app.router = yunwei_web::router(missing.clone(), yunwei_web::WebOptions::default());
    for path in [
        format!("/api/v1/tickets/{id}/pdf"),
        "/api/v1/reports/sla/pdf".to_string(),
    ] {
        let r = app.get(&path, Some(&staff)).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        let e = r.json();
        assert_eq!(e["code"], "pdf.font_missing", "{e}");
        assert!(
            e["message"].as_str().unwrap().contains("fonts-noto-cjk"),
            "{e}"
        );
    }
    let b = Browser::login(&app, "demo_staff").await;
    let r = b.get(&format!("/tickets/{id}/pdf")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let page = r.text();
    assert!(
        page.contains("服务器未安装生成 PDF 所需的中文字体"),
        "{page}"
    );
    // The ticket page itself still works.
    assert_eq!(
        b.get(&format!("/tickets/{id}")).await.status,
        StatusCode::OK
    );

    // A file that is not a CJK font: its own code.
    let not_cjk = dir.path().join("plain.ttf");
    std::fs::write(&not_cjk, b"not a font").unwrap();
    let bad = app
        .platform
        .clone()
        .with_pdf_font(yunwei_core::pdf::PdfFont {
            path: not_cjk,
            index: 0,
        });
    assert_eq!(
        yunwei_core::pdf::check_font(&bad.pdf_font)
            .unwrap_err()
            .code,
        "pdf.font_invalid"
    );
    // Nothing was exported, so nothing is audited as exported.
    let aud = app.login("audadmin").await;
    let trail = app
        .get("/api/v1/audit?action=ticket.pdf", Some(&aud))
        .await
        .json();
    assert_eq!(trail["records"].as_array().unwrap().len(), 0, "{trail}");
    drop(missing);
    app.cleanup().await;
}

#[tokio::test]
async fn a_long_cell_breaks_across_pages_with_the_heading_repeated() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let staff = app.login("demo_staff").await;
    let lead = app.login("demo_lead").await;
    let id = change(&app, &staff, &lead).await;
    let short = app
        .get(&format!("/api/v1/tickets/{id}/pdf"), Some(&staff))
        .await;
    let short = save(dir.path(), "short.pdf", &short);
    let pages = |pdf: &Path| -> usize {
        let info = String::from_utf8(poppler("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .expect("page count")
            .trim()
            .parse()
            .unwrap()
    };
    let before = pages(&short);

    // Sixty numbered sentences in one comment: some 90 lines of its cell.
    let long: String = (1..=60)
        .map(|i| format!("〔第{i:02}段〕国库集中支付系统数据库补丁升级说明。"))
        .collect();
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/comments"),
            Some(&staff),
            json!({ "body": long }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = app
        .get(&format!("/api/v1/tickets/{id}/pdf"), Some(&staff))
        .await;
    let pdf = save(dir.path(), "long.pdf", &r);
    let after = pages(&pdf);
    assert!(after > before, "{before} -> {after} pages");
    let lines = text_lines(&pdf);
    // Every sentence is there, in order, whatever page it fell on.
    let joined: String = lines.concat();
    let mut at = 0;
    for i in 1..=60 {
        let marker = format!("〔第{i:02}段〕");
        let found = joined[at..]
            .find(&marker)
            .unwrap_or_else(|| panic!("{marker} after byte {at}: {lines:#?}"));
        at += found + marker.len();
    }
    // The timeline's heading row is repeated on the page it continues on,
    // and every page after the first carries the ticket's number and title.
    let headings = lines.iter().filter(|l| *l == "办理人").count();
    assert!(headings >= 2, "{lines:#?}");
    assert_eq!(
        lines.iter().filter(|l| *l == TITLE).count(),
        after,
        "the title once on the first page and in each running head: {lines:#?}"
    );
    assert!(has_page_footers(&lines, after), "{lines:#?}");
    app.cleanup().await;
}

/// `第 n 页，共 m 页` on every page.
fn has_page_footers(lines: &[String], pages: usize) -> bool {
    (1..=pages).all(|n| {
        lines
            .iter()
            .any(|l| *l == format!("第 {n} 页，共 {pages} 页"))
    })
}

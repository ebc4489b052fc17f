//! The working-day calendar (DESIGN.md section 6): built-in data, imports
//! of a year's file (validated, permission-checked, audited), the API, the
//! page and the command line.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use yunwei_domain::audit::AuditRecord;
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::{TestApp, TestResponse, ADMIN_PASSWORD, ROOT_ORG};

use crate::cli::{run, Bin};

/// A 2027 file for the tests. Made up (the 2027 notice is not out at the
/// time of writing), but shaped like the real ones: 2027-01-01 is a
/// Friday, 2027-01-31 a Sunday, 2027-02-20 a Saturday.
fn file_2027() -> Value {
    let mut days = vec![];
    for d in ["2027-01-01", "2027-01-02", "2027-01-03"] {
        days.push(json!({"name": "元旦", "date": d, "isOffDay": true}));
    }
    for day in 6..=14 {
        days.push(json!({"name": "春节", "date": format!("2027-02-{day:02}"), "isOffDay": true}));
    }
    days.push(json!({"name": "春节", "date": "2027-01-31", "isOffDay": false}));
    days.push(json!({"name": "春节", "date": "2027-02-20", "isOffDay": false}));
    json!({
        "$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
        "year": 2027,
        "papers": ["https://www.gov.cn/zhengce/test-2027.htm"],
        "days": days,
    })
}

const SUMMARY_2027: &str = "2027年：节假日12天，调休上班2天";

async fn import(app: &TestApp, token: &str, body: &Value, reason: &str) -> TestResponse {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/calendar/import?reason={}", urlenc(reason)))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

async fn add_workdays(app: &TestApp, token: &str, date: &str, n: u32) -> Value {
    let r = app
        .get(
            &format!("/api/v1/calendar/add-workdays?date={date}&n={n}"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{date} + {n}: {}", r.text());
    r.json()
}

async fn calendar_imports(app: &TestApp) -> Vec<AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some("calendar.import".into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn design_6_add_workdays_fixtures_via_api() {
    let app = TestApp::new().await;
    // Any logged-in user may compute deadlines.
    let token = app.login("demo_staff").await;
    for (from, n, want) in [
        ("2026-09-30", 7, "2026-10-15"),
        ("2026-09-25", 7, "2026-10-12"),
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2025-01-24", 5, "2025-02-07"),
        ("2024-12-31", 3, "2025-01-06"),
    ] {
        let r = add_workdays(&app, &token, from, n).await;
        assert_eq!(r["date"], want, "{from} + {n}: {r}");
        assert_eq!(r["due_at"], format!("{want}T23:59:59+08:00"), "{r}");
        assert_eq!(r["unannounced_years"], json!([]), "{r}");
        assert_eq!(r["warning"], Value::Null, "{r}");
    }
    // Crossing into 2027, whose notice is not in the data: flagged.
    let r = add_workdays(&app, &token, "2026-12-30", 3).await;
    assert_eq!(r["date"], "2027-01-04");
    assert_eq!(r["unannounced_years"], json!([2027]));
    assert!(r["warning"].as_str().unwrap().contains("2027年"), "{r}");
    // Bad input is refused in Chinese.
    for q in [
        "date=2026-02-30&n=1",
        "date=2026-9-1&n=1",
        "n=1",
        "date=2026-09-30&n=-1",
        "date=2026-09-30&n=abc",
        "date=2026-09-30&n=100000",
    ] {
        let r = app
            .get(&format!("/api/v1/calendar/add-workdays?{q}"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
        assert!(
            r.json()["message"].as_str().unwrap().contains("须为"),
            "{q}: {}",
            r.text()
        );
    }
    let r = app
        .get("/api/v1/calendar/add-workdays?date=2026-09-30&n=7", None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

#[tokio::test]
async fn design_6_builtin_years_are_seeded_once_and_audited() {
    let app = TestApp::new().await;
    let token = app.login("demo_staff").await;
    let y = app.get("/api/v1/calendar/2026", Some(&token)).await;
    assert_eq!(y.status, StatusCode::OK, "{}", y.text());
    let y = y.json();
    assert_eq!(y["announced"], true);
    assert_eq!(y["days"].as_array().unwrap().len(), 39);
    assert_eq!(
        y["papers"][0],
        "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm"
    );
    let feb14 = y["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2026-02-14")
        .unwrap();
    assert_eq!(feb14["off_day"], false);
    assert_eq!(feb14["kind"], "makeup_workday");
    assert_eq!(feb14["name"], "春节");
    let y2027 = app.get("/api/v1/calendar/2027", Some(&token)).await.json();
    assert_eq!(y2027["announced"], false);
    assert_eq!(y2027["days"], json!([]));
    let r = app.get("/api/v1/calendar/twenty", Some(&token)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let records = calendar_imports(&app).await;
    let mut years: Vec<&str> = records.iter().map(|r| r.object_id.as_str()).collect();
    years.sort();
    assert_eq!(years, ["2024", "2025", "2026"]);
    assert!(records.iter().all(|r| r.actor_name == "system"));
    assert!(records
        .iter()
        .any(|r| r.after == "2026年：节假日33天，调休上班6天"));
    // Starting again writes nothing.
    yunwei_core::bootstrap::ensure(&app.platform, ROOT_ORG, Some(ADMIN_PASSWORD))
        .await
        .unwrap();
    assert_eq!(calendar_imports(&app).await.len(), 3);
    app.cleanup().await;
}

#[tokio::test]
async fn design_6_import_of_next_year_removes_the_warning_and_is_audited() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let before = add_workdays(&app, &sys, "2026-12-30", 3).await;
    assert_eq!(before["unannounced_years"], json!([2027]));

    let r = import(&app, &sys, &file_2027(), "国务院公布2027年安排").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let out = r.json();
    assert_eq!(out["summary"], SUMMARY_2027);
    assert_eq!(out["year"], 2027);
    assert_eq!(out["replaced"], false);

    // 2027-01-01 (a Friday) is now a holiday, and nothing is flagged.
    let after = add_workdays(&app, &sys, "2026-12-30", 3).await;
    assert_eq!(after["date"], "2027-01-05", "{after}");
    assert_eq!(after["unannounced_years"], json!([]));
    assert_eq!(after["warning"], Value::Null);
    // The made-up Sunday 2027-01-31 is worked.
    let r = add_workdays(&app, &sys, "2027-01-29", 1).await;
    assert_eq!(r["date"], "2027-01-31");
    let y = app.get("/api/v1/calendar/2027", Some(&sys)).await.json();
    assert_eq!(y["announced"], true);
    assert_eq!(y["days"].as_array().unwrap().len(), 14);
    assert_eq!(y["source"], "用户 sysadmin 导入");

    let rec = calendar_imports(&app)
        .await
        .into_iter()
        .find(|r| r.object_id == "2027")
        .expect("import audited");
    assert_eq!(rec.actor_name, "sysadmin");
    assert_eq!(rec.object_type, "calendar_year");
    assert_eq!(rec.after, SUMMARY_2027);
    assert_eq!(rec.before, "");
    assert_eq!(rec.reason, "国务院公布2027年安排");
    assert_eq!(rec.result, "success");

    // Importing the year again replaces it: a day fewer, recorded as such.
    let mut smaller = file_2027();
    smaller["days"].as_array_mut().unwrap().remove(0);
    let r = import(&app, &sys, &smaller, "更正").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["replaced"], true);
    let y = app.get("/api/v1/calendar/2027", Some(&sys)).await.json();
    assert_eq!(y["days"].as_array().unwrap().len(), 13);
    let again = add_workdays(&app, &sys, "2026-12-30", 3).await;
    assert_eq!(again["date"], "2027-01-04");
    let rec = calendar_imports(&app)
        .await
        .into_iter()
        .find(|r| r.object_id == "2027" && r.reason == "更正")
        .unwrap();
    assert_eq!(rec.before, SUMMARY_2027);
    assert_eq!(rec.after, "2027年：节假日11天，调休上班2天");

    let report = yunwei_core::audit::verify(&app.platform, |_| {})
        .await
        .unwrap();
    assert_eq!(report.fault, None);
    app.cleanup().await;
}

/// Asserts the import is refused with `code` and a message naming `needle`,
/// and that 2027 is still without data.
async fn assert_refused(app: &TestApp, token: &str, body: &Value, code: &str, needle: &str) {
    let r = import(app, token, body, "测试").await;
    assert!(
        r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::CONFLICT,
        "{needle}: {} {}",
        r.status,
        r.text()
    );
    let b = r.json();
    assert_eq!(b["code"], code, "{b}");
    let msg = b["message"].as_str().unwrap();
    assert!(msg.contains(needle), "{needle}: {msg}");
}

#[tokio::test]
async fn design_6_import_refuses_bad_files_and_writes_nothing() {
    let app = TestApp::new().await;
    let sys = app.login("sysadmin").await;
    let audit_before = calendar_imports(&app).await.len();

    // A make-up working day on a Wednesday.
    let mut wednesday = file_2027();
    wednesday["days"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "春节", "date": "2027-03-03", "isOffDay": false}));
    assert_refused(
        &app,
        &sys,
        &wednesday,
        "calendar.invalid_file",
        "2027-03-03",
    )
    .await;
    let r = import(&app, &sys, &wednesday, "x").await;
    assert!(r.json()["message"].as_str().unwrap().contains("星期三"));

    // A date that does not exist.
    let mut bad_date = file_2027();
    bad_date["days"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "春节", "date": "2027-02-30", "isOffDay": true}));
    assert_refused(&app, &sys, &bad_date, "calendar.invalid_file", "2027-02-30").await;

    // The same date twice, once off and once worked.
    let mut twice = file_2027();
    twice["days"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "元旦", "date": "2027-01-02", "isOffDay": false}));
    assert_refused(&app, &sys, &twice, "calendar.invalid_file", "2027-01-02").await;

    // No year.
    let mut no_year = file_2027();
    no_year.as_object_mut().unwrap().remove("year");
    assert_refused(&app, &sys, &no_year, "calendar.invalid_file", "year").await;

    // Not JSON at all.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/calendar/import")
        .header(header::AUTHORIZATION, format!("Bearer {sys}"))
        .body(Body::from("year: 2027"))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].as_str().unwrap().contains("JSON"));

    let y = app.get("/api/v1/calendar/2027", Some(&sys)).await.json();
    assert_eq!(y["announced"], false);
    assert_eq!(y["days"], json!([]));
    assert_eq!(calendar_imports(&app).await.len(), audit_before);

    // A date listed by two notices must mean the same in both: the 2028
    // file may list December 2027, but not contradict the 2027 file.
    let mut with_dec = file_2027();
    with_dec["days"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "元旦", "date": "2027-12-25", "isOffDay": true}));
    let r = import(&app, &sys, &with_dec, "测试").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let y2028 = json!({"year": 2028, "papers": ["https://www.gov.cn/zhengce/test-2028.htm"],
        "days": [{"name": "元旦", "date": "2027-12-25", "isOffDay": false}]});
    assert_refused(&app, &sys, &y2028, "calendar.conflict", "2027-12-25").await;
    let y = app.get("/api/v1/calendar/2028", Some(&sys)).await.json();
    assert_eq!(y["announced"], false);
    app.cleanup().await;
}

#[tokio::test]
async fn design_7_import_requires_calendar_manage_at_the_top_level() {
    let app = TestApp::new().await;
    for user in [
        "secadmin",
        "audadmin",
        "demo_staff",
        "demo_director",
        "demo_vendor_admin",
        // A city's system administrator configures its city, not the
        // installation's calendar.
        "nj_sysadmin",
    ] {
        let token = app.login(user).await;
        let r = import(&app, &token, &file_2027(), "越权测试").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.text());
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("维护工作日历"),
            "{user}: {}",
            r.text()
        );
        // Even an invalid file gets the refusal, not a validation hint.
        let r = import(&app, &token, &json!({}), "越权测试").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
        // Reading is for everyone.
        let r = app.get("/api/v1/calendar/2026", Some(&token)).await;
        assert_eq!(r.status, StatusCode::OK, "{user}");
    }
    let sys = app.login("sysadmin").await;
    let y = app.get("/api/v1/calendar/2027", Some(&sys)).await.json();
    assert_eq!(y["days"], json!([]));
    assert!(calendar_imports(&app)
        .await
        .iter()
        .all(|r| r.object_id != "2027"));
    app.cleanup().await;
}

fn page_request(path: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// The `<td>` of `date` in the page.
fn day_cell<'a>(html: &'a str, date: &str) -> &'a str {
    let needle = format!("data-date=\"{date}\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no cell for {date}"));
    let start = html[..at].rfind("<td").unwrap();
    let end = at + html[at..].find("</td>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn design_6_calendar_page_marks_holidays_and_make_up_days() {
    let app = TestApp::new().await;
    let staff = format!("yw_session={}", app.login("demo_staff").await);
    let r = app
        .request(page_request("/calendar?year=2026", &staff))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("2026年工作日历"));
    assert!(html.contains("href=\"/calendar\""), "nav entry");
    assert!(html.contains("工作日历"));
    let feb14 = day_cell(&html, "2026-02-14");
    assert!(feb14.contains("class=\"cal-makeup\""), "{feb14}");
    assert!(feb14.contains("title=\"春节 · 调休上班\""), "{feb14}");
    let oct1 = day_cell(&html, "2026-10-01");
    assert!(oct1.contains("class=\"cal-holiday\""), "{oct1}");
    assert!(day_cell(&html, "2026-03-07").contains("cal-weekend"));
    assert!(day_cell(&html, "2026-03-09").contains("cal-work"));
    // Monday first: 2026-02-01 is a Sunday, the seventh column.
    let feb = &html[html.find("<caption>2月</caption>").unwrap()..];
    let first_row = &feb[feb.find("<tbody>").unwrap()..feb.find("</tr>\n").unwrap()];
    assert_eq!(first_row.matches("cal-empty").count(), 6, "{first_row}");
    assert!(html.contains("调休上班"));
    assert!(!html.contains("该年度节假日安排尚未公布"));
    // No import form for a business user.
    assert!(!html.contains("id=\"import-form\""));

    // The calculator.
    let r = app
        .request(page_request(
            "/calendar?year=2026&from=2026-09-30&n=7",
            &staff,
        ))
        .await;
    let html = r.text();
    assert!(html.contains("<strong>2026-10-15</strong>"), "{html}");
    assert!(html.contains("2026-10-15 23:59:59"));

    // A year without data says so.
    let r = app
        .request(page_request("/calendar?year=2027", &staff))
        .await;
    assert!(r
        .text()
        .contains("该年度节假日安排尚未公布，期限按周末计算，可能不准确"));

    // The system administrator imports through the form (CSRF checked).
    let sys = format!("yw_session={}", app.login("sysadmin").await);
    let page = app
        .request(page_request("/calendar?year=2027", &sys))
        .await
        .text();
    assert!(page.contains("id=\"import-form\""));
    let csrf = {
        let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        page[at..].split('"').next().unwrap().to_string()
    };
    let post = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/calendar/import")
            .header(header::COOKIE, &sys)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let json_text = urlenc(&file_2027().to_string());
    let r = app
        .request(post(format!("csrf=forged&year=2027&json={json_text}")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut bad = file_2027();
    bad["days"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "x", "date": "2027-03-03", "isOffDay": false}));
    let r = app
        .request(post(format!(
            "csrf={csrf}&year=2027&json={}",
            urlenc(&bad.to_string())
        )))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("2027-03-03"), "error shown on the page");
    assert!(r.text().contains("该年度节假日安排尚未公布"));
    let r = app
        .request(post(format!(
            "csrf={csrf}&year=2027&json={json_text}&reason={}",
            urlenc("页面导入")
        )))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains(&format!("已导入 {SUMMARY_2027}")), "{html}");
    assert!(!html.contains("该年度节假日安排尚未公布"));
    assert!(day_cell(&html, "2027-01-31").contains("cal-makeup"));
    let rec = calendar_imports(&app)
        .await
        .into_iter()
        .find(|r| r.object_id == "2027")
        .unwrap();
    assert_eq!(rec.reason, "页面导入");
    app.cleanup().await;
}

#[tokio::test]
async fn cli_calendar_add_and_sub_workdays_and_import() {
    let app = TestApp::new().await;
    let bin = Bin::new();
    let db = app.db_url.clone();
    let out = run(&mut bin.cmd(&[
        "--database-url",
        &db,
        "calendar",
        "add-workdays",
        "2026-09-30",
        "7",
    ]))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2026-10-15\n", "{out}");
    assert!(!out.stderr.contains("警告"), "{out}");

    let out = run(&mut bin.cmd(&[
        "--database-url",
        &db,
        "calendar",
        "sub-workdays",
        "2026-10-08",
        "2",
    ]))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2026-09-29\n", "{out}");

    let flagged = [
        "--database-url",
        &db,
        "calendar",
        "add-workdays",
        "2026-12-30",
        "3",
    ];
    let out = run(&mut bin.cmd(&flagged)).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2027-01-04\n", "{out}");
    assert!(
        out.stderr.contains("警告") && out.stderr.contains("2027年"),
        "{out}"
    );

    let out = run(&mut bin.cmd(&[
        "--database-url",
        &db,
        "calendar",
        "add-workdays",
        "2026-02-30",
        "1",
    ]))
    .await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("YYYY-MM-DD"), "{out}");

    // Import 2027 from a file, audited as the system.
    let path = bin.dir.path().join("2027.json");
    std::fs::write(&path, file_2027().to_string()).unwrap();
    let path = path.to_str().unwrap();
    let out = run(&mut bin.cmd_with_keys(
        &app,
        &[
            "--database-url",
            &db,
            "calendar",
            "import",
            path,
            "--reason",
            "2027年安排已公布",
        ],
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stdout.contains(SUMMARY_2027), "{out}");
    let out = run(&mut bin.cmd(&flagged)).await;
    assert_eq!(out.stdout, "2027-01-05\n", "{out}");
    assert!(!out.stderr.contains("警告"), "{out}");

    let rec = calendar_imports(&app)
        .await
        .into_iter()
        .find(|r| r.object_id == "2027")
        .expect("audited");
    assert_eq!(rec.actor_name, "system");
    assert_eq!(rec.reason, "2027年安排已公布");
    assert_eq!(rec.source_ip, "local");
    let report = yunwei_core::audit::verify(&app.platform, |_| {})
        .await
        .unwrap();
    assert_eq!(report.fault, None);

    // A bad file is refused with the reason, exit 2.
    let bad = bin.dir.path().join("bad.json");
    let mut b = file_2027();
    b["days"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "x", "date": "2027-03-03", "isOffDay": false}));
    std::fs::write(&bad, b.to_string()).unwrap();
    let out = run(&mut bin.cmd_with_keys(
        &app,
        &[
            "--database-url",
            &db,
            "calendar",
            "import",
            bad.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains("导入失败") && out.stderr.contains("2027-03-03"),
        "{out}"
    );
    app.cleanup().await;
}

/// The calendar commands need no database: with no data directory at all,
/// with `./data` there but empty (the repository root's old clash), with a
/// SQLite URL naming a missing file, they compute on the built-in years,
/// and create nothing.
#[tokio::test]
async fn cli_calendar_works_without_a_database_and_creates_none() {
    let bin = Bin::new();
    let dir = bin.dir.path();
    let lookup = |extra: &[&str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["calendar", "add-workdays", "2026-09-30", "7"]);
        bin.cmd(&args)
    };
    // No data directory at all.
    let out = run(&mut lookup(&[])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2026-10-15\n", "{out}");
    assert_eq!(out.stderr, "", "{out}");
    assert!(!dir.join("data").exists(), "a lookup created ./data");
    // `./data` there, without a database.
    std::fs::create_dir(dir.join("data")).unwrap();
    let out = run(&mut bin.cmd(&["calendar", "sub-workdays", "2026-10-08", "2"])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2026-09-29\n", "{out}");
    assert_eq!(std::fs::read_dir(dir.join("data")).unwrap().count(), 0);
    // A year without a built-in notice still warns.
    let out = run(&mut bin.cmd(&["calendar", "add-workdays", "2026-12-30", "3"])).await;
    assert_eq!(out.stdout, "2027-01-04\n", "{out}");
    assert!(
        out.stderr.contains("警告") && out.stderr.contains("2027年"),
        "{out}"
    );
    // A SQLite URL naming a missing file: not created.
    let missing = dir.join("none.db");
    let url = format!("sqlite://{}?mode=rwc", missing.display());
    let out = run(&mut lookup(&["--database-url", &url])).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2026-10-15\n", "{out}");
    assert!(!missing.exists(), "a lookup created {}", missing.display());
}

/// With a database holding an imported year, the lookup uses it (here
/// 2027, imported through the API); the same command without the database
/// falls back to the built-in years and warns about 2027.
#[tokio::test]
async fn cli_calendar_uses_the_imported_years_of_an_existing_database() {
    let app = TestApp::new().await;
    let token = app.login("sysadmin").await;
    let r = import(&app, &token, &file_2027(), "2027年安排已公布").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let bin = Bin::new();
    let args = ["calendar", "add-workdays", "2026-12-30", "3"];
    let mut with_db = vec!["--database-url", app.db_url.as_str()];
    with_db.extend(args);
    let out = run(&mut bin.cmd(&with_db)).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2027-01-05\n", "{out}");
    assert!(!out.stderr.contains("警告"), "{out}");
    let out = run(&mut bin.cmd(&args)).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "2027-01-04\n", "{out}");
    assert!(out.stderr.contains("2027年"), "{out}");
    app.cleanup().await;
}

//! The government cloud's duties (issue 14 item 6): the pack's `[[duty]]`
//! entries become occurrences in the due-date engine, due at their offset
//! ("每月5日前", ZMDY-20), done when the right party files its report,
//! notified once when overdue; the security commitments (ZMDY-40) and the
//! units' supervision scores (SNYP-32). On the test clock, SQLite and
//! PostgreSQL.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use yunwei_core::controls::{self, OverviewFilter};
use yunwei_core::features::cloud::duties::{self, FileReport, NewCommitment, ScoreInput};
use yunwei_core::{Ctx, Principal};
use yunwei_domain::ErrorKind;
use yunwei_store::audit::AuditFilter;
use yunwei_store::Scope;
use yunwei_testkit::TestApp;

use crate::support::{urlenc, Browser, FilePart};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

fn ctx() -> Ctx {
    Ctx::system("test")
}

/// A city's cloud for the tests: the bureau, the provider, (SNYP) the
/// monitor, another vendor, two units, and one account of each side.
struct Cloud {
    platform_id: String,
    units: Vec<String>,
    provider_org: String,
    monitor_org: Option<String>,
}

const MANAGER: &str = "cloud_mgr";
const PROVIDER: &str = "cloud_vendor";
const MONITOR: &str = "cloud_watch";
const OTHER_VENDOR: &str = "other_vendor";

async fn org(
    c: &mut yunwei_store::DbConn,
    parent: &yunwei_store::orgs::OrgRow,
    kind: yunwei_domain::org::OrgKind,
    name: &str,
    now: i64,
) -> yunwei_store::orgs::OrgRow {
    yunwei_core::orgs::insert_unchecked(c, Some(parent), kind, name, now)
        .await
        .unwrap()
}

/// An account with the demo password (changed at its first login) and
/// one role on its own organisation.
async fn account(
    app: &TestApp,
    c: &mut yunwei_store::DbConn,
    username: &str,
    o: &yunwei_store::orgs::OrgRow,
    role: yunwei_domain::roles::Role,
) {
    let p = &app.platform;
    let now = p.now_us();
    let id = yunwei_domain::ids::new_id();
    yunwei_store::users::insert(
        c,
        &yunwei_store::users::UserRow {
            id: id.clone(),
            username: username.into(),
            display_name: format!("{username} 测试"),
            org_id: o.id.clone(),
            org_path: o.path.clone(),
            password_hash: yunwei_domain::crypto::hash_password(
                p.crypto.as_ref(),
                TestApp::DEMO_PASSWORD,
                p.password_iterations,
            ),
            must_change_password: true,
            status: "active".into(),
            failed_attempts: 0,
            locked_until: None,
            phone_enc: None,
            phone_masked: None,
            id_number_enc: None,
            id_number_masked: None,
            builtin: false,
            created_at: now,
            updated_at: now,
            password_changed_at: now,
        },
    )
    .await
    .unwrap();
    yunwei_store::users::insert_grant(
        c,
        &yunwei_store::users::GrantRow {
            id: yunwei_domain::ids::new_id(),
            user_id: id.clone(),
            role: role.as_str().into(),
            scope_org_id: o.id.clone(),
            scope_path: o.path.clone(),
            subtree: true,
            granted_by: id,
            created_at: now,
            valid_until: None,
        },
    )
    .await
    .unwrap();
}

/// Creates the cloud governed by the pack with cloud rules named `pack`.
async fn cloud(app: &TestApp, pack: &str, with_monitor: bool) -> Cloud {
    use yunwei_domain::org::OrgKind;
    use yunwei_domain::roles::Role;
    let p = &app.platform;
    let now = p.now_us();
    let mut c = p.db().begin().await.unwrap();
    let root = yunwei_store::orgs::root(&mut c).await.unwrap().unwrap();
    let city = org(&mut c, &root, OrgKind::City, "云测试市", now).await;
    let bureau = org(&mut c, &city, OrgKind::Department, "云测试市大数据局", now).await;
    let provider = org(&mut c, &city, OrgKind::Vendor, "云测试服务商", now).await;
    let monitor = org(&mut c, &city, OrgKind::Vendor, "云测试监管服务商", now).await;
    let other = org(&mut c, &city, OrgKind::Vendor, "另一家厂商", now).await;
    let u1 = org(&mut c, &city, OrgKind::BudgetUnit, "云测试市教育局", now).await;
    let u2 = org(&mut c, &city, OrgKind::BudgetUnit, "云测试市卫健委", now).await;
    account(app, &mut c, MANAGER, &bureau, Role::CloudManager).await;
    account(app, &mut c, PROVIDER, &provider, Role::CloudProvider).await;
    account(app, &mut c, MONITOR, &monitor, Role::CloudMonitor).await;
    account(app, &mut c, OTHER_VENDOR, &other, Role::CloudProvider).await;
    let platform_id = yunwei_domain::ids::new_id();
    yunwei_store::cloud::insert_platform(
        &mut c,
        &yunwei_store::cloud::PlatformRow {
            id: platform_id.clone(),
            name: "云测试市政务云".into(),
            pack_id: pack.into(),
            bureau_org_id: bureau.id.clone(),
            bureau_path: bureau.path.clone(),
            region_path: city.path.clone(),
            provider_org_id: provider.id.clone(),
            monitor_org_id: with_monitor.then(|| monitor.id.clone()),
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    for u in [&u1, &u2] {
        yunwei_store::cloud::insert_unit(
            &mut c,
            &yunwei_store::cloud::UnitRow {
                org_id: u.id.clone(),
                org_path: u.path.clone(),
                platform_id: platform_id.clone(),
                level: "city".into(),
                funding: "party_gov".into(),
                local_finance_pays: false,
                county_bureau_org_id: None,
                updated_at: now,
                version: 1,
            },
        )
        .await
        .unwrap();
    }
    c.commit().await.unwrap();
    Cloud {
        platform_id,
        units: vec![u1.id, u2.id],
        provider_org: provider.id,
        monitor_org: with_monitor.then_some(monitor.id),
    }
}

async fn who(app: &TestApp, username: &str) -> Principal {
    crate::support::principal(app, username).await
}

fn report(cl: &Cloud, duty: &str, period: &str) -> FileReport {
    FileReport {
        platform_id: cl.platform_id.clone(),
        duty_id: duty.into(),
        period: period.into(),
        unit_org_id: String::new(),
        filename: format!("{duty}.pdf"),
        note: String::new(),
    }
}

/// The occurrences of a duty of the platform (of one unit, if named).
async fn occurrences(
    app: &TestApp,
    cl: &Cloud,
    duty: &str,
) -> Vec<yunwei_store::controls::ControlRow> {
    let mut c = app.platform.db().read().await.unwrap();
    let mut rows = yunwei_store::controls::of_subject(
        &mut c,
        yunwei_core::controls::CLOUD_DUTY,
        &format!("{}/{duty}", cl.platform_id),
        100,
    )
    .await
    .unwrap();
    rows.sort_by_key(|r| r.due_at);
    rows
}

async fn notices(app: &TestApp, username: &str) -> Vec<String> {
    let id = crate::support::user_id(app, username).await;
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::tickets::notifications_of(&mut c, &id, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == controls::NOTICE_KIND)
        .map(|n| n.title)
        .collect()
}

async fn audits(app: &TestApp, action: &str) -> Vec<yunwei_domain::audit::AuditRecord> {
    let mut c = app.platform.db().read().await.unwrap();
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &Scope::system(), &f, 100)
        .await
        .unwrap()
}

/// The pack ids with cloud rules, by whether their duties have a monitor.
fn pack_with_duty(duty: &str) -> String {
    yunwei_domain::policy::embedded::packs()
        .into_iter()
        .find(|pk| {
            pk.cloud.as_ref().is_some_and(|r| {
                r.duties
                    .iter()
                    .any(|d| d.id == duty && d.source.starts_with("ZMDY"))
            })
        })
        .map(|pk| pk.id)
        .expect("a pack with this duty")
}

fn snyp_pack() -> String {
    yunwei_domain::policy::embedded::packs()
        .into_iter()
        .find(|pk| {
            pk.cloud
                .as_ref()
                .is_some_and(|r| r.duties.iter().any(|d| d.source.starts_with("SNYP")))
        })
        .map(|pk| pk.id)
        .expect("the SNYP pack")
}

#[tokio::test]
async fn zmdy_20_monthly_report_is_due_by_the_fifth_of_the_next_month() {
    // ZMDY-20: 每月5日前向政务云主管部门提供云资源利用情况表、运行维护报告和
    // 优化建议. "5日前" is read as by the end of the 5th: the 5th is still on
    // time, 00:00 on the 6th (Beijing) is late. The article names a last
    // day to hand in; reading it as "before the 5th begins" would make
    // the 4th the last day, which nobody reading 5日前 expects.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("ops_report"), false).await;
    crate::support::run_jobs(p).await.unwrap();
    let occ = occurrences(&app, &cl, "ops_report").await;
    assert_eq!(occ.len(), 1, "{occ:?}");
    assert_eq!(occ[0].period_start.as_deref(), Some("2026-03-01"));
    assert_eq!(occ[0].period_end.as_deref(), Some("2026-03-31"));
    assert_eq!(occ[0].source, "ZMDY-20");
    // Due at 2026-04-06 00:00 +08:00.
    assert_eq!(occ[0].due_at, utc(2026, 4, 5, 16, 0, 0).timestamp_micros());

    // The bureau's overview of due items lists it.
    let mgr = who(&app, MANAGER).await;
    let o = controls::overview(p, &mgr, &OverviewFilter::default())
        .await
        .unwrap();
    let all: Vec<_> = o
        .overdue
        .iter()
        .chain(&o.due_soon)
        .chain(&o.other)
        .collect();
    let mine = all
        .iter()
        .find(|v| v.subject_id.ends_with("/ops_report"))
        .expect("listed in the overview");
    assert_eq!(mine.due_date, "2026-04-05");
    assert_eq!(mine.kind_label, "云服务商报告");
    assert_eq!(
        mine.link,
        format!("/cloud/duties?platform={}", cl.platform_id)
    );

    // 23:59:59 on the 5th: not yet overdue, and filed then it is on time.
    let vendor = who(&app, PROVIDER).await;
    app.clock.set(utc(2026, 4, 5, 15, 59, 59));
    let o = controls::overview(p, &mgr, &OverviewFilter::default())
        .await
        .unwrap();
    assert!(
        !o.overdue
            .iter()
            .any(|v| v.subject_id.ends_with("/ops_report")),
        "not overdue on the 5th"
    );
    let f = duties::file_report(
        p,
        &ctx(),
        &vendor,
        &report(&cl, "ops_report", ""),
        b"%PDF march",
    )
    .await
    .unwrap();
    assert_eq!(
        f.report.period_start, "2026-03-01",
        "the oldest open period"
    );
    assert!(f.period_done);
    assert!(!f.late, "filed on the 5th is on time");

    // 00:00 on the 6th: the utilisation table not filed is overdue, and
    // filed now it is late.
    app.clock.set(utc(2026, 4, 5, 16, 0, 0));
    let o = controls::overview(p, &mgr, &OverviewFilter::default())
        .await
        .unwrap();
    let overdue: Vec<_> = o.overdue.iter().map(|v| v.subject_id.clone()).collect();
    assert!(
        overdue.iter().any(|s| s.ends_with("/utilisation_table")),
        "{overdue:?}"
    );
    assert!(!overdue.iter().any(|s| s.ends_with("/ops_report")));
    let f = duties::file_report(
        p,
        &ctx(),
        &vendor,
        &report(&cl, "utilisation_table", "2026-03-15"),
        b"table",
    )
    .await
    .unwrap();
    assert!(f.period_done);
    assert!(f.late, "filed on the 6th is late");
    let done = occurrences(&app, &cl, "utilisation_table").await;
    assert!(done[0].done_at.is_some());
    assert_eq!(
        done[0].done_ref.as_deref(),
        Some(format!("cloud_duty_report:{}", f.report.id).as_str())
    );
    // The board shows the history, the late one marked.
    let b = duties::board(p, &mgr, &cl.platform_id).await.unwrap();
    assert_eq!(b.history.len(), 2);
    let late: Vec<_> = b
        .history
        .iter()
        .map(|h| (h.report.duty_id.as_str(), h.late))
        .collect();
    assert!(late.contains(&("utilisation_table", true)), "{late:?}");
    assert!(late.contains(&("ops_report", false)), "{late:?}");
    let recs = audits(&app, "cloud.duty_report").await;
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().any(|r| r.after.contains("逾期报送")));
}

#[tokio::test]
async fn an_existing_periodic_duty_keeps_its_due_time_with_the_offset() {
    // The offset is optional: an inspection plan's monthly patrol is still
    // due at the end of its month (EEDS-1.4.1), not on the 5th after.
    let app = TestApp::new().await;
    let p = &app.platform;
    let soft = who(&app, "demo_soft").await;
    let center = crate::support::org_id(&app, "信息中心").await;
    let plan = yunwei_core::inspections::create_plan(
        p,
        &ctx(),
        &soft,
        &yunwei_core::inspections::PlanInput {
            name: "门户网站内容月度巡查".into(),
            kind: "patrol".into(),
            recurrence: "monthly".into(),
            checklist: vec!["首页及各栏目信息是否按时更新".into()],
            org_id: Some(center),
            first_date: Some("2026-03-01".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let d = yunwei_core::inspections::get_plan(p, &soft, &plan.id)
        .await
        .unwrap();
    assert_eq!(d.occurrences[0].due_date, "2026-03-31");
    assert_eq!(
        d.occurrences[0].due_at,
        utc(2026, 3, 31, 16, 0, 0).timestamp_micros()
    );
    // Rolled forward by the job beside the cloud duties: April's too.
    app.clock.set(utc(2026, 4, 2, 2, 0, 0));
    crate::support::run_jobs(p).await.unwrap();
    let d = yunwei_core::inspections::get_plan(p, &soft, &plan.id)
        .await
        .unwrap();
    let dues: Vec<_> = d.occurrences.iter().map(|o| o.due_date.clone()).collect();
    assert!(dues.contains(&"2026-04-30".to_string()), "{dues:?}");
    assert!(dues.contains(&"2026-03-31".to_string()), "{dues:?}");
}

#[tokio::test]
async fn zmdy_28_yearly_level_three_test_is_due_each_year() {
    // ZMDY-28: 云服务商负责每年组织第三方安全测评机构，对政务云平台进行安全
    // 等级保护测评和风险评估 ... 备案证明、测评报告和整改结果报政务云主管部门备案.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("dengbao_test"), false).await;
    crate::support::run_jobs(p).await.unwrap();
    let occ = occurrences(&app, &cl, "dengbao_test").await;
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].period_start.as_deref(), Some("2026-01-01"));
    assert_eq!(occ[0].period_end.as_deref(), Some("2026-12-31"));
    assert_eq!(occ[0].source, "ZMDY-28");
    assert_eq!(
        occ[0].due_at,
        utc(2026, 12, 31, 16, 0, 0).timestamp_micros()
    );

    // Not filed in 2026: on 2 January 2027 it is overdue and 2027 has its own.
    app.clock.set(utc(2027, 1, 2, 1, 0, 0));
    let sent = crate::support::run_jobs(p).await.unwrap();
    assert!(sent >= 1);
    let occ = occurrences(&app, &cl, "dengbao_test").await;
    assert_eq!(occ.len(), 2, "{occ:?}");
    assert!(occ[0].done_at.is_none() && occ[0].notified_at.is_some());
    assert_eq!(occ[1].period_start.as_deref(), Some("2027-01-01"));
    assert_eq!(
        occ[1].due_at,
        utc(2027, 12, 31, 16, 0, 0).timestamp_micros()
    );
    // The filing for 2026 (late) answers 2026, not 2027.
    let vendor = who(&app, PROVIDER).await;
    let f = duties::file_report(
        p,
        &ctx(),
        &vendor,
        &report(&cl, "dengbao_test", "2026-06-30"),
        b"certificate, report and fixes",
    )
    .await
    .unwrap();
    assert!(f.late && f.period_done);
    let occ = occurrences(&app, &cl, "dengbao_test").await;
    assert!(occ[0].done_at.is_some());
    assert!(occ[1].done_at.is_none());
}

#[tokio::test]
async fn zmdy_20_two_drills_a_year_need_two_reports() {
    // ZMDY-20: 每年至少组织两次应急演练.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("drill"), false).await;
    let vendor = who(&app, PROVIDER).await;
    let one = duties::file_report(
        p,
        &ctx(),
        &vendor,
        &report(&cl, "drill", "2026-03-02"),
        b"d1",
    )
    .await
    .unwrap();
    assert!(!one.period_done, "one drill is not two");
    let two = duties::file_report(
        p,
        &ctx(),
        &vendor,
        &report(&cl, "drill", "2026-03-02"),
        b"d2",
    )
    .await
    .unwrap();
    assert!(two.period_done);
    let occ = occurrences(&app, &cl, "drill").await;
    assert_eq!(occ.len(), 1);
    assert!(occ[0].done_at.is_some());
}

#[tokio::test]
async fn zmdy_20_another_vendor_cannot_file_a_providers_report() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("ops_report"), false).await;
    let other = who(&app, OTHER_VENDOR).await;
    let content = b"forged report of another vendor".as_slice();
    let digest = hex::encode(p.crypto.sm3(content));
    let e = duties::file_report(p, &ctx(), &other, &report(&cl, "ops_report", ""), content)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    // Refused before storing: no file, no row, the refusal audited.
    let stored = p.files_dir.join(&digest[..2]).join(&digest);
    assert!(!stored.exists(), "the file must not touch disk");
    let mgr = who(&app, MANAGER).await;
    let b = duties::board(p, &mgr, &cl.platform_id).await.unwrap();
    assert!(b.history.is_empty());
    let recs = audits(&app, "cloud.duty_report").await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].result, "denied");
    // The monitor's staff may not file the provider's report either (a
    // SNYP platform with a monitor), and the bureau may not file it.
    let snyp = cloud_second(&app).await;
    let monitor = who(&app, MONITOR).await;
    let e = duties::file_report(
        p,
        &ctx(),
        &monitor,
        &report(&snyp, "ops_report", ""),
        content,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden, "{e:?}");
    let e = duties::file_report(p, &ctx(), &mgr, &report(&cl, "ops_report", ""), content)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden, "{e:?}");
    assert!(!stored.exists());
    // Its own: the monitor files the monitor's report.
    let f = duties::file_report(
        p,
        &ctx(),
        &monitor,
        &report(&snyp, "resource_usage", ""),
        b"usage",
    )
    .await
    .unwrap();
    assert!(f.period_done);
    assert_eq!(Some(f.report.org_id), snyp.monitor_org.clone());
    // The API answers the same.
    let token = app.login(OTHER_VENDOR).await;
    let r = upload(
        &app,
        &token,
        &format!(
            "/api/v1/cloud-duties/reports?platform_id={}&duty_id=ops_report&filename=x.pdf",
            cl.platform_id
        ),
        content,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert!(!stored.exists());
}

/// A second, SNYP, cloud beside the first (the same accounts: the monitor
/// is its monitoring provider, the vendor its provider).
async fn cloud_second(app: &TestApp) -> Cloud {
    let p = &app.platform;
    let now = p.now_us();
    let mut c = p.db().begin().await.unwrap();
    let first = yunwei_store::cloud::platforms(&mut c)
        .await
        .unwrap()
        .remove(0);
    let monitor_user = yunwei_store::users::by_username(&mut c, MONITOR)
        .await
        .unwrap()
        .unwrap();
    let platform_id = yunwei_domain::ids::new_id();
    yunwei_store::cloud::insert_platform(
        &mut c,
        &yunwei_store::cloud::PlatformRow {
            id: platform_id.clone(),
            name: "云测试市政务云（二期）".into(),
            pack_id: snyp_pack(),
            monitor_org_id: Some(monitor_user.org_id.clone()),
            created_at: now,
            updated_at: now,
            ..first.clone()
        },
    )
    .await
    .unwrap();
    c.commit().await.unwrap();
    Cloud {
        platform_id,
        units: vec![],
        provider_org: first.provider_org_id,
        monitor_org: Some(monitor_user.org_id),
    }
}

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    bytes: &[u8],
) -> yunwei_testkit::TestResponse {
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
async fn zmdy_20_overdue_report_is_notified_once() {
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("ops_report"), false).await;
    crate::support::run_jobs(p).await.unwrap();
    assert!(notices(&app, PROVIDER).await.is_empty());
    app.clock.set(utc(2026, 4, 5, 16, 0, 0));
    // Two nodes at once: each occurrence notified once.
    let (a, b) = tokio::join!(crate::support::run_jobs(p), crate::support::run_jobs(p));
    a.unwrap();
    b.unwrap();
    crate::support::run_jobs(p).await.unwrap();
    let told = notices(&app, PROVIDER).await;
    let ops: Vec<_> = told.iter().filter(|t| t.contains("运行维护报告")).collect();
    assert_eq!(ops.len(), 1, "{told:?}");
    assert!(ops[0].contains("ZMDY-20"), "{ops:?}");
    assert!(ops[0].contains("云服务商报告"), "{ops:?}");
    // The bureau's manager is told too; another vendor is not.
    let mgr: Vec<_> = notices(&app, MANAGER)
        .await
        .into_iter()
        .filter(|t| t.contains("运行维护报告"))
        .collect();
    assert_eq!(mgr.len(), 1);
    assert!(notices(&app, OTHER_VENDOR).await.is_empty());
    assert_eq!(occurrences(&app, &cl, "ops_report").await.len(), 2);
}

#[tokio::test]
async fn zmdy_40_units_without_a_security_commitment_are_listed() {
    // ZMDY-40: 使用单位及云服务提供商必须签订安全承诺书.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("ops_report"), false).await;
    let mgr = who(&app, MANAGER).await;
    let before = duties::commitments(p, &mgr, &cl.platform_id).await.unwrap();
    assert_eq!(before.missing.len(), 3, "the provider and two units");
    assert!(before.signed.is_empty());
    for party in [&cl.units[0], &cl.provider_org] {
        duties::sign_commitment(
            p,
            &ctx(),
            &mgr,
            &NewCommitment {
                platform_id: cl.platform_id.clone(),
                party_org_id: party.clone(),
                signed_on: "2026-03-01".into(),
                filename: "承诺书.pdf".into(),
                note: String::new(),
            },
            b"signed and sealed",
        )
        .await
        .unwrap();
    }
    let after = duties::commitments(p, &mgr, &cl.platform_id).await.unwrap();
    assert_eq!(after.signed.len(), 2);
    let missing: Vec<_> = after
        .missing
        .iter()
        .map(|m| (m.name.as_str(), m.kind))
        .collect();
    assert_eq!(missing, [("云测试市卫健委", "unit")]);
    // A date in the future and a party not on the platform are refused.
    let mut bad = NewCommitment {
        platform_id: cl.platform_id.clone(),
        party_org_id: cl.units[1].clone(),
        signed_on: "2026-03-03".into(),
        filename: "a.pdf".into(),
        note: String::new(),
    };
    let e = duties::sign_commitment(p, &ctx(), &mgr, &bad, b"x")
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_duty.date_future");
    bad.signed_on = "2026-03-01".into();
    bad.party_org_id = crate::support::org_id(&app, "信息中心").await;
    let e = duties::sign_commitment(p, &ctx(), &mgr, &bad, b"x")
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_duty.party_unknown");
    // The provider cannot register commitments; another vendor sees nothing.
    let vendor = who(&app, PROVIDER).await;
    bad.party_org_id = cl.units[1].clone();
    let e = duties::sign_commitment(p, &ctx(), &vendor, &bad, b"x")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    let other = who(&app, OTHER_VENDOR).await;
    let e = duties::commitments(p, &other, &cl.platform_id)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        audits(&app, "cloud.commitment")
            .await
            .iter()
            .filter(|r| r.result == "success")
            .count(),
        2
    );

    // The page lists who has not signed.
    let b = Browser::login(&app, MANAGER).await;
    let r = b
        .get(&format!("/cloud/commitments?platform={}", cl.platform_id))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("尚未签订（1）"), "{html}");
    assert!(html.contains("云测试市卫健委"));
    let r = b
        .multipart(
            "/cloud/commitments",
            &[
                ("platform_id", &cl.platform_id),
                ("party_org_id", &cl.units[1]),
                ("signed_on", "2026-03-02"),
            ],
            FilePart {
                field: "file",
                filename: "卫健委承诺书.pdf",
                content_type: "application/pdf",
                content: b"sealed",
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = b
        .get(&format!("/cloud/commitments?platform={}", cl.platform_id))
        .await
        .text();
    assert!(html.contains("各使用单位和服务商均已签订"), "{html}");
}

#[tokio::test]
async fn snyp_32_bureau_scores_units_on_four_aspects() {
    // SNYP-32: 管理部门负责对各地各部门应用系统整合共享、迁移上云、政务云资源
    // 利用率及应用系统安全等级保护实施等情况进行监督评分.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &snyp_pack(), true).await;
    let mgr = who(&app, MANAGER).await;
    let input = ScoreInput {
        platform_id: cl.platform_id.clone(),
        unit_org_id: cl.units[0].clone(),
        year: 2026,
        integration: 90,
        migration: 85,
        utilisation: 70,
        dengbao: 95,
        note: "年度评分".into(),
    };
    duties::set_score(p, &ctx(), &mgr, &input).await.unwrap();
    let again = ScoreInput {
        utilisation: 75,
        ..input.clone()
    };
    let v = duties::set_score(p, &ctx(), &mgr, &again).await.unwrap();
    assert_eq!(v.score.as_ref().unwrap().version, 2);
    let s = duties::scores(p, &mgr, &cl.platform_id, Some(2026))
        .await
        .unwrap();
    assert_eq!(s.units.len(), 2);
    let scored = s
        .units
        .iter()
        .find(|u| u.unit_org_id == cl.units[0])
        .unwrap();
    assert_eq!(scored.score.as_ref().unwrap().utilisation, 75);
    assert!(s.units.iter().any(|u| u.score.is_none()));
    let recs = audits(&app, "cloud.unit_score").await;
    assert_eq!(recs.len(), 2);
    assert!(recs
        .iter()
        .any(|r| r.before.contains("资源利用率 70") && r.after.contains("资源利用率 75")));
    // Out of range and the wrong party are refused.
    let e = duties::set_score(
        p,
        &ctx(),
        &mgr,
        &ScoreInput {
            dengbao: 101,
            ..input.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_score.out_of_range");
    let vendor = who(&app, PROVIDER).await;
    let e = duties::set_score(p, &ctx(), &vendor, &input)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    // Through the API.
    let token = app.login(MANAGER).await;
    let r = app
        .put_json(
            "/api/v1/cloud-duties/unit-scores",
            Some(&token),
            serde_json::json!({
                "platform_id": cl.platform_id, "unit_org_id": cl.units[1], "year": 2026,
                "integration": 60, "migration": 60, "utilisation": 60, "dengbao": 60
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .get(
            &format!(
                "/api/v1/cloud-duties/{}/unit-scores?year=2026",
                cl.platform_id
            ),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let units = r.json()["units"].as_array().unwrap().clone();
    assert!(units.iter().all(|u| !u["score"].is_null()), "{units:?}");

    // The page: the bureau corrects a score through the form; a score out
    // of range comes back on the page with its reason.
    let b = Browser::login(&app, MANAGER).await;
    let page = format!("/cloud/scores?platform={}&year=2026", cl.platform_id);
    let html = b.get(&page).await.text();
    assert!(
        html.contains("云测试市教育局") && html.contains("单位监督评分"),
        "{html}"
    );
    assert!(html.contains("value=\"75\""), "{html}");
    let fields = |dengbao: &'static str| {
        vec![
            ("platform_id", cl.platform_id.clone()),
            ("unit_org_id", cl.units[1].clone()),
            ("year", "2026".to_string()),
            ("integration", "80".to_string()),
            ("migration", "80".to_string()),
            ("utilisation", "80".to_string()),
            ("dengbao", dengbao.to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post("/cloud/scores", &pairs).await
        }
    };
    let r = post(fields("150")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("0 到 100"), "{}", r.text());
    let r = post(fields("88")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = b.get(r.header("location").unwrap()).await.text();
    assert!(
        html.contains("评分已保存") && html.contains("value=\"88\""),
        "{html}"
    );
    // The menu of the bureau names the three pages; a provider's only the
    // reports.
    assert!(html.contains("href=\"/cloud/commitments\""));
    let vb = Browser::login(&app, PROVIDER).await;
    let html = vb.get("/cloud/duties").await.text();
    assert!(html.contains("href=\"/cloud/duties\""));
    assert!(!html.contains("href=\"/cloud/scores\""));
    let r = vb.get(&page).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "scores are the bureau's");
}

#[tokio::test]
async fn snyp_19_28_monthly_reports_and_the_pages() {
    // SNYP-19 (运行维护报告, 资源使用情况 by the monitor) and SNYP-28
    // (安全运维报告、安全态势报告): a platform with a monitoring provider.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &snyp_pack(), true).await;
    crate::support::run_jobs(p).await.unwrap();
    let mgr = who(&app, MANAGER).await;
    let b = duties::board(p, &mgr, &cl.platform_id).await.unwrap();
    let ids: Vec<_> = b.duties.iter().map(|d| (d.id.as_str(), d.who)).collect();
    for want in [
        ("ops_report", "provider"),
        ("resource_usage", "monitor"),
        ("security_ops_report", "provider"),
        ("security_posture_report", "provider"),
        ("miping", "provider"),
        ("dengbao_test", "provider"),
    ] {
        assert!(ids.contains(&want), "{want:?} in {ids:?}");
    }
    assert!(b.duties.iter().all(|d| !d.occurrences.is_empty()));

    // The vendor files through the API; the page shows it; overdue in red.
    let token = app.login(PROVIDER).await;
    let r = upload(
        &app,
        &token,
        &format!(
            "/api/v1/cloud-duties/reports?platform_id={}&duty_id=security_posture_report&filename={}",
            cl.platform_id,
            urlenc("三月安全态势报告.pdf")
        ),
        b"posture",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["period_done"], true);
    let id = r.json()["report"]["id"].as_str().unwrap().to_string();
    let r = app
        .get(
            &format!("/api/v1/cloud-duties/reports/{id}/file"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"posture");
    let r = app
        .get(
            &format!("/api/v1/cloud-duties/{}", cl.platform_id),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Another vendor does not see the platform.
    let other = app.login(OTHER_VENDOR).await;
    let r = app
        .get(
            &format!("/api/v1/cloud-duties/{}", cl.platform_id),
            Some(&other),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .get(
            &format!("/api/v1/cloud-duties/reports/{id}/file"),
            Some(&other),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    app.clock.set(utc(2026, 4, 6, 1, 0, 0));
    let browser = Browser::login(&app, MANAGER).await;
    let html = browser.get("/cloud/duties").await.text();
    assert!(html.contains("三月安全态势报告.pdf"), "{html}");
    assert!(html.contains("class=\"due-overdue overdue\""), "{html}");
    assert!(html.contains("服务商报告"));
    // The vendor files from the page.
    let vb = Browser::login(&app, PROVIDER).await;
    let r = vb
        .multipart(
            "/cloud/duties",
            &[
                ("platform_id", &cl.platform_id),
                ("duty_id", "ops_report"),
                ("period", "2026-03-31"),
                ("note", "三月运维"),
            ],
            FilePart {
                field: "file",
                filename: "三月运维报告.docx",
                content_type: "application/octet-stream",
                content: b"ops",
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = vb.get(r.header("location").unwrap()).await.text();
    assert!(html.contains("报告已报送，本期事项已完成"), "{html}");
    assert!(html.contains("三月运维报告.docx"));
    assert!(html.contains("（逾期）"), "filed on the 6th: late");
}

#[tokio::test]
async fn zmdy_37_every_unit_applies_by_the_end_of_september() {
    // ZMDY-37: 政务云资源使用，每年申请一次，每年9月底前报送政务云主管部门统一审核.
    let app = TestApp::new().await;
    let p = &app.platform;
    let cl = cloud(&app, &pack_with_duty("annual_application"), false).await;
    crate::support::run_jobs(p).await.unwrap();
    let mut c = p.db().read().await.unwrap();
    for u in &cl.units {
        let rows = yunwei_store::controls::of_subject(
            &mut c,
            yunwei_core::controls::CLOUD_DUTY,
            &format!("{}/annual_application/{u}", cl.platform_id),
            10,
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "one occurrence per unit");
        assert_eq!(rows[0].org_id, *u, "it belongs to the unit");
        // By the end of 30 September (2026-10-01 00:00 Beijing).
        assert_eq!(
            rows[0].due_at,
            utc(2026, 9, 30, 16, 0, 0).timestamp_micros()
        );
    }
    drop(c);
    // The bureau files the application of one unit; the other stays open.
    let mgr = who(&app, MANAGER).await;
    let mut r = report(&cl, "annual_application", "");
    r.unit_org_id = cl.units[0].clone();
    let f = duties::file_report(p, &ctx(), &mgr, &r, b"2027 application")
        .await
        .unwrap();
    assert!(f.period_done && !f.late);
    assert_eq!(f.report.unit_org_id.as_deref(), Some(cl.units[0].as_str()));
    // Without a unit it is refused; a provider may not file it.
    r.unit_org_id = String::new();
    let e = duties::file_report(p, &ctx(), &mgr, &r, b"x")
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_duty.unit_required");
    let vendor = who(&app, PROVIDER).await;
    r.unit_org_id = cl.units[1].clone();
    let e = duties::file_report(p, &ctx(), &vendor, &r, b"x")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    app.clock.set(utc(2026, 9, 30, 16, 0, 0));
    let b = duties::board(p, &mgr, &cl.platform_id).await.unwrap();
    let d = b
        .duties
        .iter()
        .find(|d| d.id == "annual_application")
        .unwrap();
    let overdue: Vec<_> = d
        .occurrences
        .iter()
        .filter(|o| o.status == "overdue")
        .map(|o| o.org_name.as_str())
        .collect();
    assert_eq!(overdue, ["云测试市卫健委"]);
}

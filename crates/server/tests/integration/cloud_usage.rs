//! The government cloud's utilisation and reclaim (issue 14 item 4,
//! SNYP-13, SNYP-14, ZMDY-20, ZMDY-22): the monthly import, judging, the
//! 降配/回收 proposals and the bar on a unit that refuses one.
//!
//! The demo tenant has no cloud: [`cloud`] builds one under the SNYP pack
//! (found by its rules, not by name) with the demo's organisations: the
//! information centre is the competent department, 金陵数智 the provider,
//! the 机关服务中心 a unit with two systems.

use chrono::{TimeZone, Utc};
use yunwei_core::features::cloud::{reclaim, usage};
use yunwei_core::{Ctx, Principal};
use yunwei_domain::ids::new_id;
use yunwei_domain::ErrorKind;
use yunwei_testkit::TestApp;

use crate::support::{org_id, principal, user_id};

struct Cloud {
    platform_id: String,
    unit_org: String,
    /// CMDB codes of the two systems.
    sys_a: (String, String),
    sys_b: (String, String),
    /// sys_a's running rows: 8 vCPU, 500 GB.
    cpu_row: String,
    disk_row: String,
}

async fn exec(app: &TestApp, sql: &str) {
    let mut c = app.platform.db().begin().await.unwrap();
    c.exec_raw(sql).await.unwrap();
    c.commit().await.unwrap();
}

async fn grant(app: &TestApp, username: &str, role: &str, org: &str, subtree: bool) {
    let uid = user_id(app, username).await;
    let mut c = app.platform.db().begin().await.unwrap();
    let o = yunwei_store::orgs::get(&mut c, org).await.unwrap().unwrap();
    yunwei_store::users::insert_grant(
        &mut c,
        &yunwei_store::users::GrantRow {
            id: new_id(),
            user_id: uid,
            role: role.into(),
            scope_org_id: o.id.clone(),
            scope_path: o.path.clone(),
            subtree,
            granted_by: "system".into(),
            created_at: app.platform.now_us(),
            valid_until: None,
        },
    )
    .await
    .unwrap();
    c.commit().await.unwrap();
}

/// The SNYP pack: the one whose refusals bar applications.
fn snyp_pack(app: &TestApp) -> String {
    app.platform
        .packs
        .iter()
        .find(|p| {
            p.cloud
                .as_ref()
                .is_some_and(|c| c.refusal_bars_applications && c.monitor_after_months == 3)
        })
        .expect("a pack whose refusals bar applications")
        .id
        .clone()
}

/// A cloud under SNYP: sys_a online since `online_a`, sys_b since
/// `online_b`; the centre's lead is a cloud manager, demo_vendor the
/// provider's engineer, demo_vendor_admin (another vendor) holds the
/// provider role in its own company.
async fn cloud(app: &TestApp, online_a: &str, online_b: &str) -> Cloud {
    let center = org_id(app, "信息中心").await;
    let unit = org_id(app, "江苏省财政厅机关服务中心").await;
    let vendor = org_id(app, "金陵数智运维服务有限公司").await;
    let other = org_id(app, "苏财信息技术有限公司").await;
    let (root_id, root_path, center_path, unit_path) = {
        let mut c = app.platform.db().read().await.unwrap();
        let root = yunwei_store::orgs::root(&mut c).await.unwrap().unwrap();
        let cp = yunwei_store::orgs::get(&mut c, &center)
            .await
            .unwrap()
            .unwrap()
            .path;
        let up = yunwei_store::orgs::get(&mut c, &unit)
            .await
            .unwrap()
            .unwrap()
            .path;
        (root.id, root.path, cp, up)
    };
    grant(app, "demo_lead", "cloud_manager", &root_id, true).await;
    grant(app, "demo_vendor", "cloud_provider", &vendor, false).await;
    grant(app, "demo_vendor_admin", "cloud_provider", &other, false).await;
    let platform_id = new_id();
    let now = app.platform.now_us();
    {
        let mut c = app.platform.db().begin().await.unwrap();
        yunwei_store::cloud::insert_platform(
            &mut c,
            &yunwei_store::cloud::PlatformRow {
                id: platform_id.clone(),
                name: "市级政务云".into(),
                pack_id: snyp_pack(app),
                bureau_org_id: center.clone(),
                bureau_path: center_path,
                region_path: root_path,
                provider_org_id: vendor.clone(),
                monitor_org_id: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .unwrap();
        yunwei_store::cloud::insert_unit(
            &mut c,
            &yunwei_store::cloud::UnitRow {
                org_id: unit.clone(),
                org_path: unit_path.clone(),
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
        c.commit().await.unwrap();
    }
    let tag = &new_id()[..8];
    let mk_system = |code: String, online: &str| {
        let ci = new_id();
        let sys = new_id();
        let sql = format!(
            "INSERT INTO cis (id, code, name, category, ci_type, org_id, org_path, vendor, location, status, version, patch_level, licence, licence_expires, notes, created_at, updated_at) \
             VALUES ('{ci}', '{code}', '系统{code}', 'application', 'app', '{unit}', '{unit_path}', '', '', 'in_use', '', '', '', NULL, '', {now}, {now}); \
             INSERT INTO cloud_systems (id, platform_id, org_id, org_path, name, ci_id, dengbao_level, miping, important, nda_ref, state, trial_started_on, online_on, exit_approved_on, reclaimed_on, created_by, created_at, updated_at, version) \
             VALUES ('{sys}', '{platform_id}', '{unit}', '{unit_path}', '业务系统{code}', '{ci}', 2, 'not_required', 0, 'NDA-1', 'online', NULL, '{online}', NULL, NULL, 'system', {now}, {now}, 1)"
        );
        (sys, code, sql)
    };
    let (a_id, a_code, a_sql) = mk_system(format!("SYS-A-{tag}"), online_a);
    let (b_id, b_code, b_sql) = mk_system(format!("SYS-B-{tag}"), online_b);
    let item_cpu = new_id();
    let item_disk = new_id();
    let cpu_row = new_id();
    let disk_row = new_id();
    let items = format!(
        "INSERT INTO cloud_catalogue_items (id, platform_id, code, name, category, unit, mode, valid_from, valid_to, source, created_at, updated_at) \
         VALUES ('{item_cpu}', '{platform_id}', 'VCPU', '云主机vCPU', 'compute', '核', 'ordinary', '2025-01-01', NULL, 'SNYP-7', {now}, {now}); \
         INSERT INTO cloud_catalogue_items (id, platform_id, code, name, category, unit, mode, valid_from, valid_to, source, created_at, updated_at) \
         VALUES ('{item_disk}', '{platform_id}', 'DISK', '云硬盘', 'storage', 'GB', 'ordinary', '2025-01-01', NULL, 'SNYP-7', {now}, {now}); \
         INSERT INTO cloud_resources (id, system_id, platform_id, org_path, item_id, quantity, state, from_day, to_day, replaces_id, ticket_id, created_at, updated_at) \
         VALUES ('{cpu_row}', '{a_id}', '{platform_id}', '{unit_path}', '{item_cpu}', 8, 'online', '{online_a}', NULL, NULL, NULL, {now}, {now}); \
         INSERT INTO cloud_resources (id, system_id, platform_id, org_path, item_id, quantity, state, from_day, to_day, replaces_id, ticket_id, created_at, updated_at) \
         VALUES ('{disk_row}', '{a_id}', '{platform_id}', '{unit_path}', '{item_disk}', 500, 'online', '{online_a}', NULL, NULL, NULL, {now}, {now})"
    );
    for sql in [a_sql, b_sql, items] {
        for stmt in sql.split("; ") {
            exec(app, stmt).await;
        }
    }
    Cloud {
        platform_id,
        unit_org: unit,
        sys_a: (a_id, a_code),
        sys_b: (b_id, b_code),
        cpu_row,
        disk_row,
    }
}

fn ctx() -> Ctx {
    Ctx::system("cloud-usage-test")
}

const HEADER: &str =
    "系统编码,月份,CPU平均利用率(%),内存平均利用率(%),存储已用(GB),存储总量(GB),采样天数\n";

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

async fn vendor(app: &TestApp) -> Principal {
    principal(app, "demo_vendor").await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut c = app.platform.db().read().await.unwrap();
    let rows = c.all_raw(sql, vec![]).await.unwrap();
    use yunwei_store::RowExt;
    rows[0].i("n").unwrap()
}

async fn usage_rows(
    app: &TestApp,
    cl: &Cloud,
    month: &str,
) -> Vec<yunwei_store::cloud_usage::UsageRow> {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::cloud_usage::usage_of_month(
        &mut c,
        &cl.platform_id,
        month,
        &yunwei_store::Scope::system(),
    )
    .await
    .unwrap()
}

fn verdict_of<'a>(rows: &'a [yunwei_store::cloud_usage::UsageRow], system: &str) -> &'a str {
    &rows
        .iter()
        .find(|r| r.system_id == system)
        .unwrap_or_else(|| panic!("no row of {system}"))
        .verdict
}

async fn proposals(app: &TestApp, cl: &Cloud) -> Vec<yunwei_store::cloud_usage::ReclaimRow> {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::cloud_usage::reclaims(&mut c, &yunwei_store::Scope::system(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.platform_id == cl.platform_id)
        .collect()
}

#[tokio::test]
async fn cloud_usage_import_errors_are_reported_by_line_and_nothing_is_written() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let pr = vendor(&app).await;
    let a = &cl.sys_a.1;
    let b = &cl.sys_b.1;
    let file = csv(&[
        &format!("{a},2026-01,5,40,100,1000,31"),
        "NO-SUCH-SYSTEM,2026-01,5,40,100,1000,31",
        &format!("{b},2026-01,120,40,100,1000,31"),
        &format!("{b},2026-13,5,40,100,1000,31"),
        &format!("{a},2026-01,5,40,100,1000,31"),
        &format!("{b},2026-02,5,40,1000,100,28"),
        &format!("{b},2026-02,5,40,,100,28"),
        &format!("{b},2026-02,5,40,10,100,29"),
        &format!("{b},2026-12,5,40,10,100,20"),
        &format!("{b},2026-01,5.123456,40,10,100,20"),
    ]);
    let r = usage::import(
        &app.platform,
        &ctx(),
        &pr,
        &cl.platform_id,
        "usage.csv",
        &file,
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 0);
    let lines: Vec<u32> = r.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9, 10, 11], "{:?}", r.errors);
    let reason = |l: u32| {
        r.errors
            .iter()
            .find(|e| e.line == l)
            .unwrap()
            .reason
            .clone()
    };
    assert!(reason(3).contains("NO-SUCH-SYSTEM"), "{}", reason(3));
    assert!(reason(4).contains("不能超过 100"), "{}", reason(4));
    assert!(reason(5).contains("月份"), "{}", reason(5));
    assert!(reason(6).contains("第 2 行重复"), "{}", reason(6));
    assert!(reason(7).contains("不能大于"), "{}", reason(7));
    assert!(reason(8).contains("同时"), "{}", reason(8));
    assert!(reason(9).contains("0 到 28"), "{}", reason(9));
    assert!(reason(10).contains("尚未到来"), "{}", reason(10));
    assert!(reason(11).contains("4 位小数"), "{}", reason(11));
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cloud_usage").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cloud_usage_imports").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cloud_reclaims").await,
        0
    );
    // A header without a needed column is refused as a file.
    let e = usage::import(
        &app.platform,
        &ctx(),
        &pr,
        &cl.platform_id,
        "usage.csv",
        "系统编码,月份\nX,2026-01\n".as_bytes(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_usage.file");
    assert!(e.message.contains("采样天数"), "{}", e.message);
    app.cleanup().await;
}

#[tokio::test]
async fn cloud_usage_another_vendor_is_refused_before_anything_is_stored() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let a = &cl.sys_a.1;
    let file = csv(&[&format!("{a},2026-01,5,40,100,1000,31")]);
    // Holds the provider role, but in a company that is not this cloud's.
    let other = principal(&app, "demo_vendor_admin").await;
    let e = usage::import(
        &app.platform,
        &ctx(),
        &other,
        &cl.platform_id,
        "u.csv",
        &file,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    // A unit's staff cannot report either.
    let unit = principal(&app, "demo_unit").await;
    let e = usage::import(
        &app.platform,
        &ctx(),
        &unit,
        &cl.platform_id,
        "u.csv",
        &file,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cloud_usage").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cloud_usage_imports").await,
        0
    );
    // The file was not kept: its digest is not in the store.
    let digest = hex::encode(app.platform.crypto.sm3(&file));
    assert!(yunwei_core::files::read(&app.platform, &digest).is_err());
    // The refusal is audited.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'cloud_usage.import' AND result = 'denied'"
        )
        .await,
        2
    );
    // The cloud manager over the region may import.
    let lead = principal(&app, "demo_lead").await;
    let r = usage::import(
        &app.platform,
        &ctx(),
        &lead,
        &cl.platform_id,
        "u.csv",
        &file,
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.errors.len()), (1, 0));
    assert!(yunwei_core::files::read(&app.platform, &digest).is_ok());
    app.cleanup().await;
}

/// SNYP-14: "新上云系统稳定运行3个月后开始监测资源使用率". A system online
/// on 2025-10-01 is monitored from 2026-01-01: December is not judged,
/// January is. One online on 2025-10-02 is monitored from 2026-01-02, so
/// January (which starts before that) is not judged yet.
#[tokio::test]
async fn snyp_14_new_system_is_monitored_after_three_months_of_stable_operation() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-10-01", "2025-10-02").await;
    let pr = vendor(&app).await;
    let (a, b) = (&cl.sys_a.1, &cl.sys_b.1);
    let file = csv(&[
        &format!("{a},2025-12,5,40,,,31"),
        &format!("{a},2026-01,5,40,,,31"),
        &format!("{b},2026-01,5,40,,,31"),
        &format!("{b},2026-02,5,40,,,28"),
    ]);
    let r = usage::import(&app.platform, &ctx(), &pr, &cl.platform_id, "u.csv", &file)
        .await
        .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let dec = usage_rows(&app, &cl, "2025-12").await;
    let jan = usage_rows(&app, &cl, "2026-01").await;
    let feb = usage_rows(&app, &cl, "2026-02").await;
    assert_eq!(verdict_of(&dec, &cl.sys_a.0), "not_monitored");
    assert_eq!(verdict_of(&jan, &cl.sys_a.0), "low");
    assert_eq!(verdict_of(&jan, &cl.sys_b.0), "not_monitored");
    assert_eq!(verdict_of(&feb, &cl.sys_b.0), "low");
    // Only judged low months open proposals.
    let mut opened: Vec<(String, String)> = proposals(&app, &cl)
        .await
        .into_iter()
        .map(|p| (p.system_id, p.month))
        .collect();
    opened.sort();
    let mut want = vec![
        (cl.sys_a.0.clone(), "2026-01".to_string()),
        (cl.sys_b.0.clone(), "2026-02".to_string()),
    ];
    want.sort();
    assert_eq!(opened, want);
    app.cleanup().await;
}

/// SNYP-14 judges "平均利用率"; a month with fewer sample days than the
/// pack's `min_sample_days` (20, left to the contract) is 数据不足, never
/// low, however low its averages.
#[tokio::test]
async fn snyp_14_insufficient_sample_days_are_never_low() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let pr = vendor(&app).await;
    let (a, b) = (&cl.sys_a.1, &cl.sys_b.1);
    let file = csv(&[
        &format!("{a},2026-01,1,5,10,2000,19"),
        &format!("{b},2026-01,1,5,10,2000,20"),
    ]);
    usage::import(&app.platform, &ctx(), &pr, &cl.platform_id, "u.csv", &file)
        .await
        .unwrap();
    let jan = usage_rows(&app, &cl, "2026-01").await;
    assert_eq!(verdict_of(&jan, &cl.sys_a.0), "insufficient");
    assert_eq!(verdict_of(&jan, &cl.sys_b.0), "low");
    let p = proposals(&app, &cl).await;
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].system_id, cl.sys_b.0);
    app.cleanup().await;
}

#[tokio::test]
async fn snyp_14_a_low_month_opens_exactly_one_proposal_and_a_high_one_tells_the_unit() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let pr = vendor(&app).await;
    let (a, b) = (&cl.sys_a.1, &cl.sys_b.1);
    // sys_a low (CPU 5 %), sys_b high (memory 85 %).
    let file = csv(&[
        &format!("{a},2026-01,5,40,,,31"),
        &format!("{b},2026-01,30,85,,,31"),
    ]);
    let r1 = usage::import(&app.platform, &ctx(), &pr, &cl.platform_id, "u.csv", &file)
        .await
        .unwrap();
    assert_eq!((r1.imported, r1.replaced, r1.proposals), (2, 0, 1));
    // Re-importing the month replaces its rows and opens nothing again.
    let r2 = usage::import(&app.platform, &ctx(), &pr, &cl.platform_id, "u2.csv", &file)
        .await
        .unwrap();
    assert_eq!((r2.imported, r2.replaced, r2.proposals), (2, 2, 0));
    assert_eq!(usage_rows(&app, &cl, "2026-01").await.len(), 2);
    // Judging the month again opens nothing either.
    let lead = principal(&app, "demo_lead").await;
    let j = usage::judge_month(&app.platform, &ctx(), &lead, &cl.platform_id, "2026-01")
        .await
        .unwrap();
    assert_eq!((j.systems, j.proposals), (2, 0));
    assert_eq!(j.verdicts.get("low"), Some(&1));
    assert_eq!(j.verdicts.get("high"), Some(&1));
    let p = proposals(&app, &cl).await;
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].system_id.as_str(), p[0].state.as_str()),
        (cl.sys_a.0.as_str(), "opened")
    );
    // The provider's engineer was told, with a link to the proposal.
    let vendor_id = user_id(&app, "demo_vendor").await;
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{vendor_id}' AND link = '/cloud/reclaims/{}'",
                p[0].id
            )
        )
        .await,
        1
    );
    // The unit of the high system may ask for an expansion: one notice per
    // import of that month; judging again, still high, does not repeat it.
    let unit_user = user_id(&app, "demo_unit").await;
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{unit_user}' AND link = '/cloud/systems/{}'",
                cl.sys_b.0
            )
        )
        .await,
        2
    );
    // The month report counts them.
    let rep = usage::month_report(&app.platform, &lead, &cl.platform_id, Some("2026-01"))
        .await
        .unwrap();
    assert_eq!(rep.lines.len(), 2);
    assert_eq!(rep.by_unit.len(), 1);
    assert_eq!((rep.by_unit[0].low, rep.by_unit[0].high), (1, 1));
    app.cleanup().await;
}

/// Several low systems in one month: each gets its proposal, and the
/// provider's and monitor's people get ONE notice for the month, linking
/// to the open proposals, not one per system (a large cloud opens
/// thousands in a month). Its body cites the pack's article.
#[tokio::test]
async fn snyp_14_many_low_systems_in_a_month_make_one_notice_per_person() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let pr = vendor(&app).await;
    let (a, b) = (&cl.sys_a.1, &cl.sys_b.1);
    let file = csv(&[
        &format!("{a},2026-01,5,40,,,31"),
        &format!("{b},2026-01,8,20,,,31"),
    ]);
    let r = usage::import(&app.platform, &ctx(), &pr, &cl.platform_id, "u.csv", &file)
        .await
        .unwrap();
    assert_eq!(r.proposals, 2);
    assert_eq!(proposals(&app, &cl).await.len(), 2);
    let vendor_id = user_id(&app, "demo_vendor").await;
    let notices = count(
        &app,
        &format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{vendor_id}' \
             AND kind = 'cloud_reclaim'"
        ),
    )
    .await;
    assert_eq!(notices, 1);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{vendor_id}' \
                 AND link = '/cloud/reclaims?state=opened' AND title LIKE '%2 个系统%' \
                 AND body LIKE '%SNYP-14%'"
            ),
        )
        .await,
        1
    );
    app.cleanup().await;
}

async fn low_proposal(app: &TestApp, cl: &Cloud) -> reclaim::ReclaimView {
    let pr = vendor(app).await;
    let a = &cl.sys_a.1;
    usage::import(
        &app.platform,
        &ctx(),
        &pr,
        &cl.platform_id,
        "u.csv",
        &csv(&[&format!("{a},2026-02,5,40,100,500,28")]),
    )
    .await
    .unwrap();
    let id = proposals(app, cl).await.pop().expect("a proposal").id;
    let lead = principal(app, "demo_lead").await;
    let v = reclaim::get(&app.platform, &lead, &id).await.unwrap();
    assert_eq!(v.row.state, "opened");
    // The unit cannot draft the plan; the provider can.
    let unit = principal(app, "demo_unit").await;
    let input = reclaim::PlanInput {
        plan: "CPU 减半，云硬盘回收".into(),
        changes: vec![
            reclaim::PlannedChange {
                resource_id: cl.cpu_row.clone(),
                action: "resize".into(),
                quantity: Some(4),
            },
            reclaim::PlannedChange {
                resource_id: cl.disk_row.clone(),
                action: "reclaim".into(),
                quantity: None,
            },
        ],
        version: v.row.version,
    };
    let e = reclaim::plan(&app.platform, &ctx(), &unit, &id, &input)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    // A resize must make the row smaller.
    let bigger = reclaim::PlanInput {
        changes: vec![reclaim::PlannedChange {
            resource_id: cl.cpu_row.clone(),
            action: "resize".into(),
            quantity: Some(8),
        }],
        ..input.clone()
    };
    let e = reclaim::plan(&app.platform, &ctx(), &pr, &id, &bigger)
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_reclaim.quantity");
    let v = reclaim::plan(&app.platform, &ctx(), &pr, &id, &input)
        .await
        .unwrap();
    assert_eq!(v.row.state, "planned");
    // The provider cannot confirm its own plan; the department does.
    let e = reclaim::confirm(&app.platform, &ctx(), &pr, &id, v.row.version)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    let v = reclaim::confirm(&app.platform, &ctx(), &lead, &id, v.row.version)
        .await
        .unwrap();
    assert_eq!(v.row.state, "notified");
    // The unit was told, with a link.
    let unit_user = user_id(app, "demo_unit").await;
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{unit_user}' AND link = '/cloud/reclaims/{id}'"
            )
        )
        .await,
        1
    );
    v
}

/// The unit is told what its pack says of a refusal: under SNYP-14 the
/// year's applications are barred; a pack that bars nothing (ZMDY-22:
/// refusal_bars_applications = false) says nothing of a bar.
#[tokio::test]
async fn reclaim_texts_follow_the_platform_pack() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let v = low_proposal(&app, &cl).await;
    assert!(v.refusal_bars);
    assert_eq!(v.refusal_source, "SNYP-14");
    let unit_user = user_id(&app, "demo_unit").await;
    let barred = |user: String| {
        format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{user}' \
             AND body LIKE '%不再受理资源申请（SNYP-14）%'"
        )
    };
    assert_eq!(count(&app, &barred(unit_user.clone())).await, 1);
    let other = app
        .platform
        .packs
        .iter()
        .find(|p| {
            p.cloud
                .as_ref()
                .is_some_and(|c| !c.refusal_bars_applications)
        })
        .expect("a pack whose refusals bar nothing")
        .id
        .clone();
    exec(
        &app,
        &format!(
            "UPDATE cloud_platforms SET pack_id = '{other}' WHERE id = '{}'",
            cl.platform_id
        ),
    )
    .await;
    let lead = principal(&app, "demo_lead").await;
    let v = reclaim::get(&app.platform, &lead, &v.row.id).await.unwrap();
    assert!(!v.refusal_bars);
    assert_eq!(v.rule_source, "ZMDY-22");
    app.cleanup().await;
}

#[tokio::test]
async fn snyp_14_full_reclaim_flow_replaces_the_resource_rows() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let v = low_proposal(&app, &cl).await;
    let id = v.row.id.clone();
    let unit = principal(&app, "demo_unit").await;
    let v = reclaim::answer(&app.platform, &ctx(), &unit, &id, true, "", v.row.version)
        .await
        .unwrap();
    assert_eq!(v.row.state, "accepted");
    // Only the provider implements.
    let lead = principal(&app, "demo_lead").await;
    let e = reclaim::implement(&app.platform, &ctx(), &lead, &id, None, v.row.version)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    let pr = vendor(&app).await;
    let v = reclaim::implement(&app.platform, &ctx(), &pr, &id, None, v.row.version)
        .await
        .unwrap();
    assert_eq!(v.row.state, "implemented");
    assert_eq!(v.row.implemented_on.as_deref(), Some("2026-03-02"));
    // A step taken twice is refused.
    let e = reclaim::implement(&app.platform, &ctx(), &pr, &id, None, v.row.version)
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_reclaim.state");
    let mut c = app.platform.db().read().await.unwrap();
    use yunwei_store::RowExt;
    let rows = c
        .all_raw(
            &format!(
                "SELECT id, quantity, state, from_day, to_day, replaces_id FROM cloud_resources WHERE system_id = '{}' ORDER BY created_at, id",
                cl.sys_a.0
            ),
            vec![],
        )
        .await
        .unwrap();
    let get = |id: &str| rows.iter().find(|r| r.s("id").unwrap() == id).unwrap();
    let old_cpu = get(&cl.cpu_row);
    assert_eq!(old_cpu.s("state").unwrap(), "replaced");
    assert_eq!(old_cpu.os("to_day").unwrap().as_deref(), Some("2026-03-02"));
    let disk = get(&cl.disk_row);
    assert_eq!(disk.s("state").unwrap(), "reclaimed");
    assert_eq!(disk.os("to_day").unwrap().as_deref(), Some("2026-03-02"));
    let new_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.os("replaces_id").unwrap().is_some())
        .collect();
    assert_eq!(new_rows.len(), 1);
    let n = new_rows[0];
    assert_eq!(
        n.os("replaces_id").unwrap().as_deref(),
        Some(cl.cpu_row.as_str())
    );
    assert_eq!(n.i("quantity").unwrap(), 4);
    assert_eq!(n.s("state").unwrap(), "online");
    assert_eq!(n.os("from_day").unwrap().as_deref(), Some("2026-03-02"));
    assert!(n.os("to_day").unwrap().is_none());
    drop(c);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM cloud_system_events WHERE system_id = '{}' AND kind = 'reclaim'",
                cl.sys_a.0
            )
        )
        .await,
        1
    );
    // Every step audited.
    for action in [
        "cloud_reclaim.plan",
        "cloud_reclaim.confirm",
        "cloud_reclaim.accept",
        "cloud_reclaim.implement",
    ] {
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE action = '{action}' AND object_id = '{id}' AND result = 'success'"
                )
            )
            .await,
            1,
            "{action}"
        );
    }
    app.cleanup().await;
}

async fn gate(app: &TestApp, cl: &Cloud, pr: &Principal) -> Result<(), yunwei_domain::AppError> {
    use yunwei_domain::policy::hooks as names;
    let hook = yunwei_core::SEAMS
        .gates
        .iter()
        .find(|h| h.name == names::CLOUD_NOT_BARRED)
        .expect("the gate is registered");
    let mut c = app.platform.db().read().await.unwrap();
    let unit_path = yunwei_store::orgs::get(&mut c, &cl.unit_org)
        .await
        .unwrap()
        .unwrap()
        .path;
    let now = app.platform.now_us();
    let ticket = yunwei_store::tickets::TicketRow {
        id: new_id(),
        number: "T-1".into(),
        pack_id: snyp_pack(app),
        pack_version: "1".into(),
        process_id: "apply".into(),
        title: "资源申请".into(),
        state: "draft".into(),
        state_since: now,
        org_id: cl.unit_org.clone(),
        org_path: unit_path,
        requester_id: pr.user_id.clone(),
        assignee_id: None,
        fields_json: "{}".into(),
        level: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
        due_at: None,
        overdue: false,
        team_id: None,
        team_path: None,
    };
    let fields = Default::default();
    let ctx = ctx();
    let call = yunwei_core::kernel::seams::HookCall {
        p: &app.platform,
        ctx: &ctx,
        pr,
        auth: pr
            .authorize(yunwei_domain::roles::Action::BusinessOperate, &pr.org_path)
            .unwrap(),
        ticket: &ticket,
        transition: "submit",
        fields: &fields,
        now_us: now,
    };
    (hook.run)(&mut c, &call).await
}

/// SNYP-14: "使用单位无充分合理的理由，拒不降配或回收资源的，由此产生的额外
/// 云服务费用由使用单位自行解决，并且管理部门不再受理该单位本年度的资源申请".
/// The bar is of the year of the decision: the next year the unit applies
/// again.
#[tokio::test]
async fn snyp_14_unit_refusing_reclaim_cannot_apply_again_this_year() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let unit = principal(&app, "demo_unit").await;
    assert!(gate(&app, &cl, &unit).await.is_ok());
    let v = low_proposal(&app, &cl).await;
    let id = v.row.id.clone();
    // Refusing needs a reason.
    let e = reclaim::answer(&app.platform, &ctx(), &unit, &id, false, " ", v.row.version)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    let v = reclaim::answer(
        &app.platform,
        &ctx(),
        &unit,
        &id,
        false,
        "年底业务高峰需要",
        v.row.version,
    )
    .await
    .unwrap();
    assert_eq!(v.row.state, "refused");
    let lead = principal(&app, "demo_lead").await;
    let v = reclaim::decide(
        &app.platform,
        &ctx(),
        &lead,
        &id,
        false,
        "监测数据显示全年利用率低",
        v.row.version,
    )
    .await
    .unwrap();
    assert_eq!(v.row.state, "rejected");
    let e = gate(&app, &cl, &unit).await.unwrap_err();
    assert_eq!(e.code, "cloud.barred");
    assert!(
        e.message.contains("SNYP-14") && e.message.contains("2026"),
        "{}",
        e.message
    );
    // The last day of the year still barred; the next year not.
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 12, 31, 15, 0, 0)
            .single()
            .unwrap(),
    );
    assert!(
        gate(&app, &cl, &unit).await.is_err(),
        "23:00 on 31 December in Beijing"
    );
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0)
            .single()
            .unwrap(),
    );
    assert!(
        gate(&app, &cl, &unit).await.is_ok(),
        "00:00 on 1 January in Beijing"
    );
    app.cleanup().await;
}

/// A refusal whose reason the department accepts closes the proposal and
/// bars nothing.
#[tokio::test]
async fn snyp_14_a_refusal_with_good_reason_closes_without_a_bar() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let unit = principal(&app, "demo_unit").await;
    let v = low_proposal(&app, &cl).await;
    let id = v.row.id.clone();
    let v = reclaim::answer(
        &app.platform,
        &ctx(),
        &unit,
        &id,
        false,
        "下月新业务上线",
        v.row.version,
    )
    .await
    .unwrap();
    let lead = principal(&app, "demo_lead").await;
    let v = reclaim::decide(&app.platform, &ctx(), &lead, &id, true, "", v.row.version)
        .await
        .unwrap();
    assert_eq!(v.row.state, "closed");
    assert!(gate(&app, &cl, &unit).await.is_ok());
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM cloud_bars").await, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn cloud_usage_imports_an_xlsx() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let pr = vendor(&app).await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in usage::COLUMNS.iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    ws.write_string(1, 0, &cl.sys_a.1).unwrap();
    ws.write_string(1, 1, "2026-01").unwrap();
    ws.write_number(1, 2, 9.99).unwrap();
    ws.write_number(1, 3, 45).unwrap();
    ws.write_number(1, 4, 100).unwrap();
    ws.write_number(1, 5, 200).unwrap();
    ws.write_number(1, 6, 31).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let r = usage::import(
        &app.platform,
        &ctx(),
        &pr,
        &cl.platform_id,
        "u.xlsx",
        &bytes,
    )
    .await
    .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let jan = usage_rows(&app, &cl, "2026-01").await;
    assert_eq!(jan[0].cpu_avg_e4, Some(99_900));
    // 9.99 % < 10 %: low (SNYP-14: CPU平均利用率低于10%).
    assert_eq!(jan[0].verdict, "low");
    app.cleanup().await;
}

/// Two imports of the same month at once leave one consistent set: every
/// row of the month comes from one of the two imports, never a mix, and
/// each system has exactly one row.
#[tokio::test]
async fn cloud_usage_parallel_imports_of_a_month_leave_one_consistent_set() {
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let pr = vendor(&app).await;
    let (a, b) = (&cl.sys_a.1, &cl.sys_b.1);
    let f1 = csv(&[
        &format!("{a},2026-01,5,40,,,31"),
        &format!("{b},2026-01,5,40,,,31"),
    ]);
    let f2 = csv(&[
        &format!("{a},2026-01,50,50,,,31"),
        &format!("{b},2026-01,50,50,,,31"),
    ]);
    let ctx = ctx();
    let (r1, r2) = tokio::join!(
        usage::import(&app.platform, &ctx, &pr, &cl.platform_id, "1.csv", &f1),
        usage::import(&app.platform, &ctx, &pr, &cl.platform_id, "2.csv", &f2),
    );
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(r1.imported + r2.imported, 4);
    assert_eq!(
        r1.replaced + r2.replaced,
        2,
        "the later replaced the earlier"
    );
    let jan = usage_rows(&app, &cl, "2026-01").await;
    assert_eq!(jan.len(), 2);
    assert_eq!(jan[0].import_id, jan[1].import_id);
    let cpu = jan[0].cpu_avg_e4;
    assert!(jan.iter().all(|r| r.cpu_avg_e4 == cpu));
    app.cleanup().await;
}

/// The pages: the provider imports through the form (errors shown by line,
/// nothing written), then a good file; the month report shows the table
/// and the charts with no bare ids; the unit answers the proposal on its
/// page; the export needs a reason.
#[tokio::test]
async fn cloud_usage_pages_import_report_and_answer() {
    use crate::support::{Browser, FilePart};
    use axum::http::StatusCode;
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let v = Browser::login(&app, "demo_vendor").await;
    let page = v.get("/cloud/usage/import").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("导入资源使用情况表"));
    let a = &cl.sys_a.1;
    let bad = csv(&[&format!("{a},2026-01,5,40,,,31"), "NOPE,2026-01,5,40,,,31"]);
    let r = v
        .multipart(
            "/cloud/usage/import",
            &[("platform", &cl.platform_id)],
            FilePart {
                field: "file",
                filename: "usage.csv",
                content_type: "text/csv",
                content: &bad,
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let t = r.text();
    assert!(t.contains("第 3 行") && t.contains("NOPE"), "{t}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM cloud_usage").await,
        0
    );
    let good = csv(&[&format!("{a},2026-02,5,40,100,500,28")]);
    let r = v
        .multipart(
            "/cloud/usage/import",
            &[("platform", &cl.platform_id)],
            FilePart {
                field: "file",
                filename: "usage.csv",
                content_type: "text/csv",
                content: &good,
            },
        )
        .await;
    assert!(r.text().contains("导入完成"), "{}", r.text());
    let lead = Browser::login(&app, "demo_lead").await;
    let r = lead
        .get(&format!(
            "/cloud/usage?platform={}&month=2026-02",
            cl.platform_id
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let t = r.text();
    assert!(t.contains("usage-table") && t.contains(a.as_str()), "{t}");
    assert!(
        t.contains("chart-cloud-verdicts") && t.contains("利用率低"),
        "{t}"
    );
    assert!(!t.contains(cl.sys_a.0.as_str()), "no bare ids on the page");
    // The export without a reason comes back on the page.
    let r = lead
        .post(
            "/cloud/usage/export",
            &[
                ("platform", &cl.platform_id),
                ("month", "2026-02"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = lead
        .post(
            "/cloud/usage/export",
            &[
                ("platform", &cl.platform_id),
                ("month", "2026-02"),
                ("reason", "月度通报"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    // The provider drafts the plan on the proposal's page.
    let id = proposals(&app, &cl).await.pop().unwrap().id;
    let r = v.get(&format!("/cloud/reclaims/{id}")).await;
    assert!(r.text().contains("plan-form"), "{}", r.text());
    let r = v
        .post(
            &format!("/cloud/reclaims/{id}/plan"),
            &[
                ("version", "1"),
                (&format!("action_{}", cl.cpu_row), "resize"),
                (&format!("quantity_{}", cl.cpu_row), "2"),
                ("plan", "CPU 降为 2 核"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = lead
        .post(
            &format!("/cloud/reclaims/{id}/confirm"),
            &[("version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // The unit sees the answer form; a refusal without reason comes back.
    let unit = Browser::login(&app, "demo_unit").await;
    let r = unit.get(&format!("/cloud/reclaims/{id}")).await;
    assert!(r.text().contains("answer-form"), "{}", r.text());
    let r = unit
        .post(
            &format!("/cloud/reclaims/{id}/answer"),
            &[("version", "3"), ("answer", "refuse"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = unit
        .post(
            &format!("/cloud/reclaims/{id}/answer"),
            &[("version", "3"), ("answer", "accept")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let list = unit.get("/cloud/reclaims").await;
    assert!(list.text().contains("待云服务商实施"), "{}", list.text());
    // Another unit's people do not see it.
    let other = Browser::login(&app, "demo_staff").await;
    let r = other.get(&format!("/cloud/reclaims/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.cleanup().await;
}

/// The API answers as documented (the test kit checks every status
/// against the OpenAPI document).
#[tokio::test]
async fn cloud_usage_api_import_report_and_steps() {
    use axum::body::Body;
    use axum::http::{header, Method, Request, StatusCode};
    let app = TestApp::new().await;
    let cl = cloud(&app, "2025-06-01", "2025-06-01").await;
    let token = app.login("demo_vendor").await;
    let a = &cl.sys_a.1;
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/cloud/usage/import?platform_id={}&file_name=u.csv",
            cl.platform_id
        ))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(csv(&[&format!("{a},2026-02,5,40,100,500,28")])))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["proposals"], 1);
    let r = app
        .get(
            &format!("/api/v1/cloud/usage?platform_id={}", cl.platform_id),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["month"], "2026-02");
    let r = app.get("/api/v1/cloud/reclaims", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let id = r.json()[0]["id"].as_str().unwrap().to_string();
    let r = app
        .post_json(
            &format!("/api/v1/cloud/reclaims/{id}/plan"),
            Some(&token),
            serde_json::json!({"plan": "回收云硬盘", "changes": [{"resource_id": cl.disk_row, "action": "reclaim"}], "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "planned");
    // A stale version is a conflict.
    let lead = app.login("demo_lead").await;
    let r = app
        .post_json(
            &format!("/api/v1/cloud/reclaims/{id}/confirm"),
            Some(&lead),
            serde_json::json!({"version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/cloud/reclaims/{id}/confirm"),
            Some(&lead),
            serde_json::json!({"version": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The unit may not implement.
    let unit = app.login("demo_unit").await;
    let r = app
        .post_json(
            &format!("/api/v1/cloud/reclaims/{id}/implement"),
            Some(&unit),
            serde_json::json!({"version": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    app.cleanup().await;
}

//! Hostile probes of the government cloud (issue 14, round two review):
//! reads by id no wider than the lists, who may change what decides who
//! pays, and what a page or an answer lets slip. Each test here failed
//! before the fix it names, or guards a rule a probe found holding.

use axum::http::StatusCode;
use yunwei_core::features::cloud::{billing, units};
use yunwei_core::{Ctx, Principal};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::Role;
use yunwei_store::orgs::OrgRow;
use yunwei_testkit::TestApp;

use crate::cloud_billing::{cloud, Cloud};

use crate::support::{account as user, org_under as org};

fn ctx() -> Ctx {
    Ctx::system("test")
}

async fn org_row(app: &TestApp, id: &str) -> OrgRow {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::orgs::get(&mut c, id).await.unwrap().unwrap()
}

/// A month's bill with a city part (市民政局: 2 × 100 元) and a county part
/// (县教育局: 1 × 100 元): 300 元 in all, 100 元 of it the county's.
async fn two_part_bill(k: &Cloud) -> String {
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    k.resource(&k.gov, &item, 2, "2025-01-01", None).await;
    k.resource(&k.county_unit, &item, 1, "2025-01-01", None)
        .await;
    let v = k.compute("2026-01").await.unwrap();
    assert_eq!(v.total_fen, 30_000);
    v.run.id
}

/// ZMDY-36: 县(区)……由各县(区)政务服务和大数据管理局统一结算和支付. A
/// county's cloud manager opens the bill to see its own part; the list
/// hides the city-wide total from it, and so must the bill itself: the
/// answer carried the whole run's `total_fen`, `lines_fen` and
/// `line_count` (the run row, flattened) next to the county's figures.
#[tokio::test]
async fn zmdy_36_a_county_manager_reading_a_bill_sees_no_city_wide_totals() {
    let k = cloud("zmdy").await;
    let id = two_part_bill(&k).await;
    let token = k.app.login("cloudcounty1").await;
    let r = k
        .app
        .get(&format!("/api/v1/cloud/bills/{id}"), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = r.text();
    assert!(text.contains("10000"), "the county's part is shown: {text}");
    assert!(
        !text.contains("30000") && !text.contains("300.00"),
        "the city-wide total leaks to a county: {text}"
    );
    assert!(
        !text.contains("\"line_count\":2"),
        "the city-wide line count leaks to a county: {text}"
    );
    // The core view agrees with itself: the run's figures are the part's.
    let v = billing::get(&k.app.platform, &k.county, &id).await.unwrap();
    assert_eq!(v.run.total_fen, 10_000);
    assert_eq!(v.run.lines_fen, 10_000);
    assert_eq!(v.run.line_count, 1);
    // The city's managers still see the whole bill.
    let v = billing::get(&k.app.platform, &k.city, &id).await.unwrap();
    assert_eq!(v.run.total_fen, 30_000);
    assert_eq!(v.run.line_count, 2);
}

/// A bill is not found for whoever has no part in it: a cloud manager of
/// another county of the same city, a unit's staff, the 三员, a vendor.
#[tokio::test]
async fn a_bill_and_its_files_are_not_found_outside_its_settlers() {
    let k = cloud("zmdy").await;
    let id = two_part_bill(&k).await;
    let city_org = {
        let bureau = org_row(&k.app, &k.platform.bureau_org_id).await;
        org_row(&k.app, bureau.parent_id.as_deref().unwrap()).await
    };
    let other_county = org(&k.app, &city_org, "别县", OrgKind::County).await;
    let other_bureau = org(&k.app, &other_county, "别县大数据局", OrgKind::Department).await;
    user(
        &k.app,
        "probecounty2",
        &other_bureau,
        Role::CountyCloudManager,
        &other_county,
    )
    .await;
    let gov = org_row(&k.app, &k.gov).await;
    user(&k.app, "probestaff", &gov, Role::BusinessStaff, &gov).await;
    let provider = org_row(&k.app, &k.platform.provider_org_id).await;
    user(
        &k.app,
        "probeprov",
        &provider,
        Role::CloudProvider,
        &provider,
    )
    .await;
    let paths = [
        format!("/api/v1/cloud/bills/{id}"),
        format!("/api/v1/cloud/bills/{id}/bill.xlsx"),
        format!("/api/v1/cloud/bills/{id}/pdf"),
    ];
    for who in [
        "probecounty2",
        "probestaff",
        "probeprov",
        "sysadmin",
        "secadmin",
        "audadmin",
    ] {
        let token = k.app.login(who).await;
        for path in &paths {
            let r = k.app.get(path, Some(&token)).await;
            assert!(
                matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{who} {path}: {} {}",
                r.status,
                r.text()
            );
            assert!(!r.text().contains("10000"), "{who} {path}: {}", r.text());
        }
    }
}

async fn county_manager(k: &Cloud) -> (Principal, OrgRow) {
    let unit = org_row(&k.app, &k.county_unit).await;
    let county = org_row(&k.app, unit.parent_id.as_deref().unwrap()).await;
    let bureau = org_row(&k.app, &k.county_bureau).await;
    let pr = user(
        &k.app,
        "probecountywide",
        &bureau,
        Role::CountyCloudManager,
        &county,
    )
    .await;
    (pr, county)
}

fn profile(
    k: &Cloud,
    level: &str,
    funding: &str,
    county_bureau: &str,
    version: i64,
) -> units::UnitInput {
    units::UnitInput {
        platform_id: k.platform.id.clone(),
        org_id: k.county_unit.clone(),
        level: level.into(),
        funding: funding.into(),
        local_finance_pays: false,
        county_bureau_org_id: county_bureau.into(),
        version,
    }
}

/// ZMDY-36 / SNYP-17: who pays follows the unit's level (市本级 or 县区).
/// A county's cloud manager keeps the profiles of its own units, but may
/// not declare one of them 市本级 (its costs would move to the city's
/// finance and the city's settlement), nor name another county's bureau
/// (or the city's) as the one that settles it.
#[tokio::test]
async fn zmdy_36_a_county_manager_cannot_move_its_units_costs_to_the_city() {
    let k = cloud("snyp").await;
    let (pr, county) = county_manager(&k).await;
    let p = &k.app.platform;
    // Its own unit as a county unit settled by its own bureau: allowed.
    let v = units::set(
        p,
        &ctx(),
        &pr,
        &profile(&k, "county", "fully_funded", &k.county_bureau, 1),
    )
    .await
    .unwrap();
    assert_eq!(v.unit.level, "county");
    // Declared 市本级: refused.
    let e = units::set(
        p,
        &ctx(),
        &pr,
        &profile(&k, "city", "party_gov", "", v.unit.version),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, yunwei_domain::ErrorKind::Forbidden, "{e:?}");
    // Settled by the city's bureau, or by another county's: refused.
    let city_org = org_row(&k.app, county.parent_id.as_deref().unwrap()).await;
    let other_county = org(&k.app, &city_org, "邻县", OrgKind::County).await;
    let other_bureau = org(&k.app, &other_county, "邻县大数据局", OrgKind::Department).await;
    for settler in [&k.platform.bureau_org_id, &other_bureau.id] {
        let e = units::set(
            p,
            &ctx(),
            &pr,
            &profile(&k, "county", "party_gov", settler, v.unit.version),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind, yunwei_domain::ErrorKind::Forbidden, "{e:?}");
    }
    // Nothing changed: the unit is still the county's, fully funded.
    let mut c = p.db().read().await.unwrap();
    let u = yunwei_store::cloud::get_unit(&mut c, &k.county_unit)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            u.level.as_str(),
            u.funding.as_str(),
            u.county_bureau_org_id.as_deref()
        ),
        ("county", "fully_funded", Some(k.county_bureau.as_str()))
    );
}

/// Money never wraps: the catalogue allows a price up to 10,000,000 元 a
/// month and a line up to 1,000,000 of an item, so one line reaches 10^15
/// 分 and some 9,300 of them overflow i64. A month that large is refused
/// with a Chinese message (it panicked in debug and wrapped in release).
#[tokio::test]
async fn a_bill_beyond_any_real_amount_is_refused_not_wrapped() {
    let k = cloud("zmdy").await;
    let item = k
        .item("专享物理机", "ordinary", 100_000_000_000, "2025-01-01")
        .await;
    let rid = k
        .resource(&k.gov, &item, 1_000_000, "2025-01-01", None)
        .await;
    {
        let mut c = k.app.platform.db().begin().await.unwrap();
        c.exec_raw(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9400) \
             INSERT INTO cloud_resources (id, system_id, platform_id, org_path, item_id, quantity, \
             state, from_day, to_day, replaces_id, ticket_id, created_at, updated_at) \
             SELECT 'bulk' || CAST(n.i AS TEXT), r.system_id, r.platform_id, r.org_path, r.item_id, \
             r.quantity, r.state, r.from_day, r.to_day, NULL, NULL, 0, 0 \
             FROM n, cloud_resources r WHERE r.id = '{rid}'"
        ))
        .await
        .unwrap();
        c.commit().await.unwrap();
    }
    let e = k.compute("2026-01").await.unwrap_err();
    assert_eq!(e.code, "cloud_bill.too_large", "{e:?}");
    assert!(e.message.contains("超出"), "{e:?}");
    let runs = billing::runs(&k.app.platform, &k.city, &k.platform.id)
        .await
        .unwrap();
    assert!(runs.is_empty(), "nothing is stored");
}

/// The pages by id of the cloud answer a stranger with the Chinese 404
/// page (or 403 where the route refuses the role), never with the record,
/// an internal code or the id asked for; the county's bill page shows its
/// own part, not the city's total.
#[tokio::test]
async fn cloud_pages_by_id_answer_strangers_with_a_chinese_page() {
    let k = cloud("zmdy").await;
    let id = two_part_bill(&k).await;
    let gov = org_row(&k.app, &k.gov).await;
    user(&k.app, "probepagestaff", &gov, Role::BusinessStaff, &gov).await;
    let county = crate::support::Browser::login(&k.app, "cloudcounty1").await;
    let r = county.get(&format!("/cloud/bills/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.text();
    assert!(page.contains("100.00"), "{page}");
    assert!(!page.contains("300.00"), "the city total on a county page");
    let b = crate::support::Browser::login(&k.app, "probepagestaff").await;
    let missing = "0199aaaa-0000-7000-8000-000000000000";
    for path in [
        format!("/cloud/bills/{id}"),
        format!("/cloud/bills/{id}/bill.xlsx"),
        format!("/cloud/systems/{missing}"),
        format!("/cloud/reclaims/{missing}"),
        format!("/cloud/duties/reports/{missing}/file"),
        format!("/cloud/commitments/{missing}/file"),
    ] {
        let r = b.get(&path).await;
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            r.status
        );
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{path}"
        );
        let page = r.text();
        assert!(
            page.contains("不存在") || page.contains("无权") || page.contains("找不到"),
            "{path}: {page}"
        );
        assert!(
            !page.contains(&id) && !page.contains(missing),
            "{path}: {page}"
        );
        assert!(
            !page.contains("cloud_bill.") && !page.contains("cloud_reclaim."),
            "{path}: {page}"
        );
    }
}

/// The audit log is read on a page (审计日志) by the audit administrator:
/// a platform's record names its pack and region, not the pack's internal
/// id and the region's path of ids.
#[tokio::test]
async fn a_platform_audit_record_shows_names_not_ids() {
    let k = cloud("zmdy").await;
    let bureau = org_row(&k.app, &k.platform.bureau_org_id).await;
    let city = org_row(&k.app, bureau.parent_id.as_deref().unwrap()).await;
    let pr = user(&k.app, "probecitywide", &bureau, Role::CloudManager, &city).await;
    let input = yunwei_core::features::cloud::platforms::PlatformInput {
        name: "云测市第二政务云".into(),
        pack_id: "zmdy".into(),
        bureau_org_id: bureau.id.clone(),
        region_org_id: city.id.clone(),
        provider_org_id: k.platform.provider_org_id.clone(),
        monitor_org_id: String::new(),
    };
    let v = yunwei_core::features::cloud::platforms::create(&k.app.platform, &ctx(), &pr, &input)
        .await
        .unwrap();
    let mut c = k.app.platform.db().read().await.unwrap();
    let rows = c
        .all_raw(
            &format!(
                "SELECT after_summary AS t FROM audit_log WHERE object_id = '{}'",
                v.platform.id
            ),
            vec![],
        )
        .await
        .unwrap();
    use yunwei_store::RowExt;
    let after: String = rows[0].s("t").unwrap();
    assert!(after.contains("服务区域 云测市）"), "{after}");
    assert!(
        !after.contains(&city.id) && !after.contains("zmdy"),
        "ids on the audit page: {after}"
    );
}

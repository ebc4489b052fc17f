//! The government cloud's register (issue 14 items 1 and 2, ADR 0016):
//! platforms, units, the catalogue with its effective-dated, append-only
//! prices, 上云系统 and their resources, who sees them, and the lifecycle
//! hooks through real tickets. Every answer goes through the router and is
//! checked against the OpenAPI document by the test kit.

use axum::http::StatusCode;
use serde_json::{json, Value};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::Role;
use yunwei_testkit::{TestApp, TestResponse};

use crate::support::{urlenc, Browser};

/// The body of a successful answer.
fn ok(r: TestResponse) -> Value {
    assert!(r.status.is_success(), "{}: {}", r.status, r.text());
    r.json()
}

fn code(r: &TestResponse) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_string()
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    let mut c = app.platform.db().read().await.unwrap();
    let f = yunwei_store::audit::AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    yunwei_store::audit::search(&mut c, &yunwei_store::Scope::system(), &f, 500)
        .await
        .unwrap()
        .len()
}

/// A city's cloud on the demo tenant: 南京市财政局 is the region; its data
/// bureau runs the cloud; two units of the city; a provider, a monitor and
/// a vendor with nothing to do with the cloud; one account of each.
pub(crate) struct City {
    pub platform: String,
    pub mgr: String,
    pub unit_a: String,
    pub unit_b: String,
    pub provider: String,
    pub monitor: String,
    pub other_vendor: String,
    pub unit_a_org: String,
    pub unit_b_org: String,
}

async fn account(
    app: &TestApp,
    org: &yunwei_store::orgs::OrgRow,
    username: &str,
    name: &str,
    role: Role,
    scope: &yunwei_store::orgs::OrgRow,
    subtree: bool,
) {
    let p = &app.platform;
    let mut c = p.db().begin().await.unwrap();
    let user = yunwei_core::users::insert_unchecked(
        p,
        &mut c,
        org,
        username,
        name,
        TestApp::DEMO_PASSWORD,
        None,
        None,
        false,
    )
    .await
    .unwrap();
    yunwei_core::users::grant_unchecked(p, &mut c, &user, role, scope, subtree)
        .await
        .unwrap();
    c.commit().await.unwrap();
}

/// Sets up the city on a platform governed by `pack` (the pack's id).
pub(crate) async fn city(app: &TestApp, pack: &str) -> City {
    let p = &app.platform;
    let (nanjing, bureau, a, b, prov, mon, other) = {
        let mut c = p.db().begin().await.unwrap();
        let all = yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
            .await
            .unwrap();
        let root = yunwei_store::orgs::root(&mut c).await.unwrap().unwrap();
        let nanjing = all
            .iter()
            .find(|o| o.name == "南京市财政局")
            .unwrap()
            .clone();
        let now = p.now_us();
        let mk = |parent: &yunwei_store::orgs::OrgRow, kind: OrgKind, name: &'static str| {
            (parent.clone(), kind, name)
        };
        let specs = [
            mk(&nanjing, OrgKind::Department, "南京市数据局"),
            mk(&nanjing, OrgKind::Department, "南京市卫生健康委员会"),
            mk(&nanjing, OrgKind::Department, "南京市教育局"),
            mk(&root, OrgKind::Vendor, "紫金政务云服务有限公司"),
            mk(&root, OrgKind::Vendor, "钟山云监管有限公司"),
            mk(&root, OrgKind::Vendor, "无关软件有限公司"),
        ];
        let mut made = Vec::new();
        for (parent, kind, name) in specs {
            made.push(
                yunwei_core::orgs::insert_unchecked(&mut c, Some(&parent), kind, name, now)
                    .await
                    .unwrap(),
            );
        }
        c.commit().await.unwrap();
        let mut it = made.into_iter();
        (
            nanjing,
            it.next().unwrap(),
            it.next().unwrap(),
            it.next().unwrap(),
            it.next().unwrap(),
            it.next().unwrap(),
            it.next().unwrap(),
        )
    };
    account(
        app,
        &bureau,
        "cloud_mgr",
        "云管理员",
        Role::CloudManager,
        &nanjing,
        true,
    )
    .await;
    account(
        app,
        &a,
        "unit_a",
        "卫健委信息科",
        Role::BusinessStaff,
        &a,
        false,
    )
    .await;
    account(
        app,
        &b,
        "unit_b",
        "教育局信息科",
        Role::BusinessStaff,
        &b,
        false,
    )
    .await;
    account(
        app,
        &prov,
        "cloud_prov",
        "云服务商工程师",
        Role::CloudProvider,
        &prov,
        true,
    )
    .await;
    account(
        app,
        &mon,
        "cloud_mon",
        "云监管工程师",
        Role::CloudMonitor,
        &mon,
        true,
    )
    .await;
    account(
        app,
        &other,
        "other_prov",
        "无关厂商工程师",
        Role::CloudProvider,
        &other,
        true,
    )
    .await;
    let mgr = app.login("cloud_mgr").await;
    let pl = ok(app
        .post_json(
            "/api/v1/cloud/platforms",
            Some(&mgr),
            json!({"name": "南京市政务云", "pack_id": pack, "bureau_org_id": bureau.id,
                   "region_org_id": nanjing.id, "provider_org_id": prov.id,
                   "monitor_org_id": mon.id}),
        )
        .await);
    let platform = pl["id"].as_str().unwrap().to_string();
    for (org, funding) in [(&a, "party_gov"), (&b, "fully_funded")] {
        ok(app
            .post_json(
                "/api/v1/cloud/units",
                Some(&mgr),
                json!({"platform_id": platform, "org_id": org.id, "level": "city",
                       "funding": funding}),
            )
            .await);
    }
    City {
        platform,
        mgr,
        unit_a: app.login("unit_a").await,
        unit_b: app.login("unit_b").await,
        provider: app.login("cloud_prov").await,
        monitor: app.login("cloud_mon").await,
        other_vendor: app.login("other_prov").await,
        unit_a_org: a.id,
        unit_b_org: b.id,
    }
}

/// A catalogue item of the city's platform; returns its id.
pub(crate) async fn item(app: &TestApp, city: &City, code: &str, price: &str) -> String {
    let v = ok(app
        .post_json(
            &format!("/api/v1/cloud/platforms/{}/catalogue", city.platform),
            Some(&city.mgr),
            json!({"code": code, "name": format!("{code} 服务"), "category": "compute",
                   "unit": "核", "mode": "ordinary", "valid_from": "2026-01-01",
                   "price": price, "source": "南京市政务云服务目录（2026版）"}),
        )
        .await);
    v["id"].as_str().unwrap().to_string()
}

/// A system of `token`'s unit, 申请中; returns (id, CMDB code).
pub(crate) async fn system(app: &TestApp, token: &str, name: &str) -> (String, String) {
    let v = ok(app
        .post_json(
            "/api/v1/cloud/systems",
            Some(token),
            json!({"name": name, "dengbao_level": 3, "miping": "planned"}),
        )
        .await);
    (
        v["system"]["id"].as_str().unwrap().to_string(),
        v["system"]["ci_code"].as_str().unwrap().to_string(),
    )
}

// ---- the catalogue ----

/// ZMDY-34 (政务云服务目录及价格) and the ADR's money rule: a price applies
/// from its day on; prices are never edited; no back-dating into a month
/// whose bill may be verified.
#[tokio::test]
async fn zmdy_34_prices_are_effective_dated_and_append_only() {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    let id = item(&app, &city, "ECS-VCPU", "45.5").await;
    let path = format!("/api/v1/cloud/catalogue/{id}");
    let v = ok(app.get(&path, Some(&city.unit_a)).await);
    assert_eq!(v["price_today"], "45.50");
    assert_eq!(v["price_today_e4"], 455_000);
    // The first price is from the first of this month (2026-03-01).
    assert_eq!(v["prices"][0]["effective_from"], "2026-03-01");
    // A new price from April.
    let prices = format!("{path}/prices");
    let r = app
        .post_json(
            &prices,
            Some(&city.mgr),
            json!({"price": "50", "effective_from": "2026-04-01", "note": "年度调价"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Never edited: a second price from the same day is refused.
    let r = app
        .post_json(
            &prices,
            Some(&city.mgr),
            json!({"price": "48", "effective_from": "2026-04-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(code(&r), "cloud.price_exists");
    // Not back-dated before the first of the current month.
    let r = app
        .post_json(
            &prices,
            Some(&city.mgr),
            json!({"price": "40", "effective_from": "2026-02-28"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "cloud.price_backdated");
    // The first of the month itself may still be corrected forward... but
    // it holds a price already: refused as an edit.
    let r = app
        .post_json(
            &prices,
            Some(&city.mgr),
            json!({"price": "40", "effective_from": "2026-03-01"}),
        )
        .await;
    assert_eq!(code(&r), "cloud.price_exists");
    // Floating point never: more than 4 decimals is refused.
    let r = app
        .post_json(
            &prices,
            Some(&city.mgr),
            json!({"price": "1.23456", "effective_from": "2026-05-01"}),
        )
        .await;
    assert_eq!(code(&r), "cloud.price_invalid");
    // The price on each day is the latest from that day or before.
    {
        let mut c = app.platform.db().read().await.unwrap();
        for (day, want) in [
            ("2026-03-01", Some(455_000)),
            ("2026-03-31", Some(455_000)),
            ("2026-04-01", Some(500_000)),
            ("2027-01-01", Some(500_000)),
            ("2026-02-28", None),
        ] {
            let got = yunwei_store::cloud::price_on(&mut c, &id, day)
                .await
                .unwrap()
                .map(|p| p.price_e4);
            assert_eq!(got, want, "price on {day}");
        }
    }
    // Today's price follows the clock.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-04-02T01:00:00Z")
            .unwrap()
            .into(),
    );
    let unit_a = app.login("unit_a").await;
    let mgr = app.login("cloud_mgr").await;
    let v = ok(app.get(&path, Some(&unit_a)).await);
    assert_eq!(v["price_today"], "50.00");
    // Only the bureau adjusts it.
    let r = app
        .post_json(
            &prices,
            Some(&unit_a),
            json!({"price": "1", "effective_from": "2026-05-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // In April, March is closed: no price from March any more.
    let r = app
        .post_json(
            &prices,
            Some(&mgr),
            json!({"price": "1", "effective_from": "2026-03-15"}),
        )
        .await;
    assert_eq!(code(&r), "cloud.price_backdated", "{}", r.text());
    assert_eq!(audit_count(&app, "cloud.item_create").await, 1);
    assert_eq!(audit_count(&app, "cloud.price_add").await, 1);
    app.cleanup().await;
}

/// ZMDY-34, SNYP-7: an application picks only catalogue items in force.
#[tokio::test]
async fn zmdy_34_requests_pick_only_items_in_force() {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    let live = item(&app, &city, "ECS-VCPU", "45.5").await;
    let old = ok(app
        .post_json(
            &format!("/api/v1/cloud/platforms/{}/catalogue", city.platform),
            Some(&city.mgr),
            json!({"code": "OLD-DISK", "name": "旧版云硬盘", "category": "storage",
                   "unit": "GB", "mode": "ordinary", "valid_from": "2025-01-01",
                   "valid_to": "2025-12-31", "price": "0.5"}),
        )
        .await)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let list = ok(app
        .get(
            &format!(
                "/api/v1/cloud/platforms/{}/catalogue?in_force=true",
                city.platform
            ),
            Some(&city.unit_a),
        )
        .await);
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["ECS-VCPU"]);
    let (sys, _) = system(&app, &city.unit_a, "卫健委预约挂号系统").await;
    let res = format!("/api/v1/cloud/systems/{sys}/resources");
    let r = app
        .post_json(
            &res,
            Some(&city.unit_a),
            json!({"item": old, "quantity": 100}),
        )
        .await;
    assert_eq!(code(&r), "cloud.item_not_in_force", "{}", r.text());
    for q in [0, -1, 1_000_001] {
        let r = app
            .post_json(
                &res,
                Some(&city.unit_a),
                json!({"item": live, "quantity": q}),
            )
            .await;
        assert_eq!(code(&r), "cloud.quantity_invalid", "quantity {q}");
    }
    let d = ok(app
        .post_json(
            &res,
            Some(&city.unit_a),
            json!({"item": "ECS-VCPU", "quantity": 8}),
        )
        .await);
    let row = &d["resources"][0];
    assert_eq!(row["state"], "requested");
    assert_eq!(row["quantity"], 8);
    assert!(row["from_day"].is_null(), "a request is not billed: {row}");
    // Withdrawn before allocation.
    let rid = row["id"].as_str().unwrap();
    let d = ok(app
        .post_json(
            &format!("/api/v1/cloud/resources/{rid}/withdraw"),
            Some(&city.unit_a),
            json!({}),
        )
        .await);
    assert_eq!(d["resources"][0]["state"], "withdrawn");
    let h = ok(app
        .get(
            &format!("/api/v1/cloud/systems/{sys}/history"),
            Some(&city.unit_a),
        )
        .await);
    let kinds: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["registered", "requested", "request_withdrawn"]);
    assert_eq!(audit_count(&app, "cloud.resource_request").await, 1);
    assert_eq!(audit_count(&app, "cloud.resource_withdraw").await, 1);
    app.cleanup().await;
}

// ---- who sees a system ----

#[tokio::test]
async fn a_unit_neither_reads_nor_lists_another_units_system() {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    item(&app, &city, "ECS-VCPU", "45.5").await;
    let (sys, _) = system(&app, &city.unit_a, "卫健委预约挂号系统").await;
    // Its own unit reads and lists it.
    ok(app
        .get(&format!("/api/v1/cloud/systems/{sys}"), Some(&city.unit_a))
        .await);
    let mine = ok(app.get("/api/v1/cloud/systems", Some(&city.unit_a)).await);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    // The other unit: 404 by id, on the history, on a request; not listed.
    for path in [
        format!("/api/v1/cloud/systems/{sys}"),
        format!("/api/v1/cloud/systems/{sys}/history"),
    ] {
        let r = app.get(&path, Some(&city.unit_b)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
    }
    let r = app
        .post_json(
            &format!("/api/v1/cloud/systems/{sys}/resources"),
            Some(&city.unit_b),
            json!({"item": "ECS-VCPU", "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let theirs = ok(app.get("/api/v1/cloud/systems", Some(&city.unit_b)).await);
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    // Nor filtered by the other unit's organisation.
    let theirs = ok(app
        .get(
            &format!("/api/v1/cloud/systems?org_id={}", city.unit_a_org),
            Some(&city.unit_b),
        )
        .await);
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    // The bureau sees both units' systems.
    let (sys_b, _) = system(&app, &city.unit_b, "教育局学籍系统").await;
    let all = ok(app.get("/api/v1/cloud/systems", Some(&city.mgr)).await);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let filtered = ok(app
        .get(
            &format!("/api/v1/cloud/systems?org_id={}", city.unit_b_org),
            Some(&city.mgr),
        )
        .await);
    let ids: Vec<&str> = filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![sys_b.as_str()]);
    app.cleanup().await;
}

#[tokio::test]
async fn the_provider_and_monitor_see_the_platforms_systems_another_vendor_does_not() {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    let (sys, _) = system(&app, &city.unit_a, "卫健委预约挂号系统").await;
    for token in [&city.provider, &city.monitor] {
        let l = ok(app.get("/api/v1/cloud/systems", Some(token)).await);
        assert_eq!(l["items"][0]["id"], sys.as_str(), "{l}");
        ok(app
            .get(&format!("/api/v1/cloud/systems/{sys}"), Some(token))
            .await);
        let pls = ok(app.get("/api/v1/cloud/platforms", Some(token)).await);
        assert_eq!(pls.as_array().unwrap().len(), 1);
    }
    let r = app
        .get(
            &format!("/api/v1/cloud/systems/{sys}"),
            Some(&city.other_vendor),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let l = ok(app
        .get("/api/v1/cloud/systems", Some(&city.other_vendor))
        .await);
    assert!(l["items"].as_array().unwrap().is_empty(), "{l}");
    let pls = ok(app
        .get("/api/v1/cloud/platforms", Some(&city.other_vendor))
        .await);
    assert!(pls.as_array().unwrap().is_empty(), "{pls}");
    let r = app
        .get(
            &format!("/api/v1/cloud/platforms/{}", city.platform),
            Some(&city.other_vendor),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // The provider reads; it does not register requests for the unit.
    let r = app
        .post_json(
            &format!("/api/v1/cloud/systems/{sys}/resources"),
            Some(&city.provider),
            json!({"item": "X", "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    app.cleanup().await;
}

// ---- SNYP-27 ----

/// SNYP-27: 涉及重要数据的……须与云服务商签订保密协议. An important system
/// without an NDA reference cannot be registered for the cloud.
#[tokio::test]
async fn snyp_27_an_important_system_without_an_nda_is_refused() {
    let app = TestApp::new().await;
    let city = city(&app, "snyp").await;
    let r = app
        .post_json(
            "/api/v1/cloud/systems",
            Some(&city.unit_a),
            json!({"name": "医保结算系统", "dengbao_level": 3, "important": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "cloud.nda_required");
    assert!(r.json()["message"].as_str().unwrap().contains("SNYP-27"));
    let d = ok(app
        .post_json(
            "/api/v1/cloud/systems",
            Some(&city.unit_a),
            json!({"name": "医保结算系统", "dengbao_level": 3, "important": true,
                   "nda_ref": "NDA-2026-007"}),
        )
        .await);
    assert_eq!(d["system"]["important"], true);
    // Nor can the NDA be removed afterwards.
    let id = d["system"]["id"].as_str().unwrap();
    let r = app
        .put_json(
            &format!("/api/v1/cloud/systems/{id}"),
            Some(&city.unit_a),
            json!({"name": "医保结算系统", "dengbao_level": 3, "important": true,
                   "nda_ref": "", "version": d["system"]["version"]}),
        )
        .await;
    assert_eq!(code(&r), "cloud.nda_required", "{}", r.text());
    app.cleanup().await;
}

// ---- platforms and units ----

#[tokio::test]
async fn platforms_and_units_are_kept_by_the_cloud_manager_and_audited() {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    let pl = ok(app
        .get(
            &format!("/api/v1/cloud/platforms/{}", city.platform),
            Some(&city.mgr),
        )
        .await);
    assert_eq!(pl["provider_name"], "紫金政务云服务有限公司");
    assert_eq!(pl["can_manage"], true);
    // A unit's staff may not create a platform nor profile a unit.
    let r = app
        .post_json(
            "/api/v1/cloud/units",
            Some(&city.unit_a),
            json!({"platform_id": city.platform, "org_id": city.unit_a_org,
                   "level": "city", "funding": "self_funded", "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // An edit carries the version read.
    let units = ok(app
        .get(
            &format!("/api/v1/cloud/platforms/{}/units", city.platform),
            Some(&city.mgr),
        )
        .await);
    assert_eq!(units.as_array().unwrap().len(), 2);
    let r = app
        .post_json(
            "/api/v1/cloud/units",
            Some(&city.mgr),
            json!({"platform_id": city.platform, "org_id": city.unit_a_org,
                   "level": "city", "funding": "self_funded", "version": 7}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let u = ok(app
        .post_json(
            "/api/v1/cloud/units",
            Some(&city.mgr),
            json!({"platform_id": city.platform, "org_id": city.unit_a_org,
                   "level": "city", "funding": "self_funded", "version": 1}),
        )
        .await);
    assert_eq!(u["funding_label"], "自收自支单位");
    assert_eq!(u["version"], 2);
    // A pack without cloud rules cannot govern a cloud.
    let r = app
        .put_json(
            &format!("/api/v1/cloud/platforms/{}", city.platform),
            Some(&city.mgr),
            json!({"name": "南京市政务云", "pack_id": "jscz",
                   "bureau_org_id": pl["bureau_org_id"], "region_org_id": pl["bureau_org_id"],
                   "provider_org_id": pl["provider_org_id"],
                   "expected_updated_at": pl["updated_at"]}),
        )
        .await;
    assert_eq!(code(&r), "cloud.pack_invalid", "{}", r.text());
    assert_eq!(audit_count(&app, "cloud.platform_create").await, 1);
    assert_eq!(audit_count(&app, "cloud.unit_set").await, 3);
    assert_eq!(audit_count(&app, "cloud.system_register").await, 0);
    app.cleanup().await;
}

// ---- the pages ----

#[tokio::test]
async fn cloud_pages_show_the_catalogue_units_and_systems() {
    let app = TestApp::new().await;
    let city = city(&app, "zmdy").await;
    item(&app, &city, "ECS-VCPU", "45.5").await;
    let (sys, ci) = system(&app, &city.unit_a, "卫健委预约挂号系统").await;
    let mgr = Browser::login(&app, "cloud_mgr").await;
    let r = mgr.get("/cloud/catalogue").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("ECS-VCPU") && r.text().contains("45.50"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("item-form"),
        "the bureau adjusts the catalogue"
    );
    let r = mgr.get("/cloud/units").await;
    assert!(r.text().contains("南京市卫生健康委员会") && r.text().contains("党政机关"));
    let r = mgr.get("/cloud/systems").await;
    assert!(r.text().contains("卫健委预约挂号系统"), "{}", r.text());
    // The unit's page of its system: a request form and its history.
    let unit = Browser::login(&app, "unit_a").await;
    let r = unit
        .post(
            &format!("/cloud/systems/{sys}/resources"),
            &[("item", "ECS-VCPU"), ("quantity", "4")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = unit.get(&format!("/cloud/systems/{sys}")).await;
    let html = r.text();
    assert!(
        html.contains("request-form") && html.contains("申请中"),
        "{html}"
    );
    assert!(html.contains(&ci));
    // 提交上云申请 opens the pack's apply process with the system filled in.
    let at = html.find("/tickets/new?").expect("the apply button");
    let href = html[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(href.contains("process=cloud_apply"), "{href}");
    assert!(html.contains("提交上云申请"));
    let form = unit.get(&href).await.text();
    assert!(form.contains(&format!("value=\"{ci}\"")), "{form}");
    // A refused request comes back on the page with the message.
    let r = unit
        .post(
            &format!("/cloud/systems/{sys}/resources"),
            &[("item", "ECS-VCPU"), ("quantity", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("数量应为"));
    // The other unit: not found; the catalogue reads without the form.
    let other = Browser::login(&app, "unit_b").await;
    assert_eq!(
        other.get(&format!("/cloud/systems/{sys}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = other.get("/cloud/catalogue").await;
    assert!(r.text().contains("ECS-VCPU") && !r.text().contains("item-form"));
    // The systems list exports to Excel with a reason, audited.
    let r = mgr
        .post("/cloud/systems/export", &[("reason", "年度统计")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(audit_count(&app, "cloud.systems_export").await, 1);
    // The new-ticket form is prefilled from its query.
    let r = unit
        .get(&format!(
            "/tickets/new?pack=jscz&process=incident&title={}",
            urlenc("预填标题")
        ))
        .await;
    assert!(r.text().contains("预填标题"), "{}", r.text());
    app.cleanup().await;
}

// ---- the lifecycle through real tickets ----

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    transition: &str,
    fields: Value,
) -> TestResponse {
    app.post_json(
        &format!("/api/v1/tickets/{id}/transitions"),
        Some(token),
        json!({"transition": transition, "fields": fields}),
    )
    .await
}

/// Takes a transition that must succeed; returns the ticket.
async fn step(app: &TestApp, token: &str, id: &str, transition: &str, fields: Value) -> Value {
    let r = act(app, token, id, transition, fields).await;
    assert_eq!(r.status, StatusCode::OK, "{transition}: {}", r.text());
    r.json()
}

async fn attach(app: &TestApp, token: &str, id: &str, kind: &str) {
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(format!(
            "/api/v1/tickets/{id}/attachments?kind={kind}&filename={kind}.pdf"
        ))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::from("材料"))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "attach {kind}: {}", r.text());
}

async fn open(app: &TestApp, token: &str, pack: &str, process: &str, fields: Value) -> String {
    let r = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            json!({"pack": pack, "process": process, "title": fields["title"], "fields": fields}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

async fn system_json(app: &TestApp, token: &str, id: &str) -> Value {
    ok(app
        .get(&format!("/api/v1/cloud/systems/{id}"), Some(token))
        .await)
}

/// Sets the clock to 09:00 in Beijing of `day` and logs everyone in again
/// (a jump of days ends the sessions).
async fn on_day(app: &TestApp, city: &mut City, day: &str) {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    app.clock.set(d.and_hms_opt(1, 0, 0).unwrap().and_utc());
    city.mgr = app.login("cloud_mgr").await;
    city.unit_a = app.login("unit_a").await;
    city.unit_b = app.login("unit_b").await;
    city.provider = app.login("cloud_prov").await;
    city.monitor = app.login("cloud_mon").await;
}

/// The controls of a system: (kind, due_at, done).
async fn controls_of(app: &TestApp, sys: &str) -> Vec<(String, i64, bool)> {
    let mut c = app.platform.db().read().await.unwrap();
    yunwei_store::controls::of_subject(&mut c, "cloud_system", sys, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|ctl| (ctl.kind, ctl.due_at, ctl.done_at.is_some()))
        .collect()
}

/// The end of `day` in Beijing as a `due_at`.
fn end_of(day: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    yunwei_domain::schedule::start_of_day_shanghai(d + chrono::Duration::days(1)).timestamp_micros()
}

/// A system of unit A asking for 8 vCPU, with its ZMDY application
/// approved by the bureau: (system id, ticket id).
async fn zmdy_approved(app: &TestApp, city: &City) -> (String, String) {
    item(app, city, "ECS-VCPU", "45.5").await;
    let (sys, ci) = system(app, &city.unit_a, "卫健委预约挂号系统").await;
    ok(app
        .post_json(
            &format!("/api/v1/cloud/systems/{sys}/resources"),
            Some(&city.unit_a),
            json!({"item": "ECS-VCPU", "quantity": 8}),
        )
        .await);
    let t = open(
        app,
        &city.unit_a,
        "zmdy",
        "cloud_apply",
        json!({"title": "预约挂号系统上云", "system": ci, "unit_level": "city", "kind": "new",
               "purpose": "门诊预约挂号", "dr_resources": "异地备份 1TB"}),
    )
    .await;
    for kind in ["application_form", "plan", "project_approval"] {
        attach(app, &city.unit_a, &t, kind).await;
    }
    step(app, &city.unit_a, &t, "submit", json!({})).await;
    step(
        app,
        &city.mgr,
        &t,
        "approve",
        json!({"review_opinion": "方案可行，资源合理"}),
    )
    .await;
    (sys, t)
}

/// ZMDY-16: 云服务商应在5个工作日内完成资源分配……试用时间为15-30天.
/// The allocation starts the trial and the billing on its day; go-live is
/// refused before the shortest trial.
#[tokio::test]
async fn zmdy_16_allocation_starts_the_trial_and_billing() {
    let app = TestApp::new().await;
    let mut city = city(&app, "zmdy").await;
    let (sys, t) = zmdy_approved(&app, &city).await;
    // The approval routed the ticket to the provider, whose staff see it.
    let ticket = ok(app
        .get(&format!("/api/v1/tickets/{t}"), Some(&city.provider))
        .await);
    assert_eq!(ticket["ticket"]["state"], "allocating");
    let pl = ok(app
        .get(
            &format!("/api/v1/cloud/platforms/{}", city.platform),
            Some(&city.mgr),
        )
        .await);
    assert_eq!(ticket["ticket"]["team_id"], pl["provider_org_id"]);
    // Not yet allocated: requested, not billed.
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "applying");
    assert!(s["resources"][0]["from_day"].is_null());
    step(
        &app,
        &city.provider,
        &t,
        "allocate",
        json!({"allocation_record": "已开通 8 核"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "trial");
    assert_eq!(s["system"]["trial_started_on"], "2026-03-02");
    let r = &s["resources"][0];
    assert_eq!(r["state"], "trial");
    assert_eq!(
        r["from_day"], "2026-03-02",
        "billing starts on the allocation day"
    );
    assert!(r["to_day"].is_null());
    assert_eq!(r["ticket_id"], t.as_str());
    // Day 14 of the trial: too short (ZMDY-16: 15 days at least).
    on_day(&app, &mut city, "2026-03-16").await;
    attach(&app, &city.unit_a, &t, "report").await;
    let r = act(&app, &city.unit_a, &t, "request_golive", json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(code(&r), "cloud.trial_too_short");
    assert!(r.json()["message"].as_str().unwrap().contains("ZMDY-16"));
    // Day 15: allowed.
    on_day(&app, &mut city, "2026-03-17").await;
    step(&app, &city.unit_a, &t, "request_golive", json!({})).await;
    let h = ok(app
        .get(
            &format!("/api/v1/cloud/systems/{sys}/history"),
            Some(&city.unit_a),
        )
        .await);
    let allocated = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "cloud_allocate")
        .expect("allocation in the history");
    assert_eq!(allocated["ticket_id"], t.as_str());
    assert_eq!(allocated["state_after"], "trial");
    assert_eq!(audit_count(&app, "cloud.allocate").await, 1);
    assert_eq!(audit_count(&app, "cloud.route_provider").await, 1);
    app.cleanup().await;
}

/// ZMDY-17: 正式上线后，原系统至少保留3个月，作为应急回退措施. Go-live files
/// the keeping as a due control.
#[tokio::test]
async fn zmdy_17_go_live_keeps_the_old_system_three_months_as_a_due_control() {
    let app = TestApp::new().await;
    let mut city = city(&app, "zmdy").await;
    let (sys, t) = zmdy_approved(&app, &city).await;
    step(
        &app,
        &city.provider,
        &t,
        "allocate",
        json!({"allocation_record": "已开通"}),
    )
    .await;
    on_day(&app, &mut city, "2026-03-17").await;
    attach(&app, &city.unit_a, &t, "report").await;
    step(&app, &city.unit_a, &t, "request_golive", json!({})).await;
    assert!(controls_of(&app, &sys).await.is_empty());
    step(
        &app,
        &city.mgr,
        &t,
        "golive",
        json!({"golive_opinion": "测评通过"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "online");
    assert_eq!(s["system"]["online_on"], "2026-03-17");
    assert_eq!(s["resources"][0]["state"], "online");
    assert_eq!(s["resources"][0]["from_day"], "2026-03-02");
    // Kept through 16 June: three months from 17 March.
    assert_eq!(
        controls_of(&app, &sys).await,
        vec![("cloud_keep_old".to_string(), end_of("2026-06-16"), false)]
    );
    // The page offers the change and the exit processes.
    let kinds: Vec<&str> = s["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["申请变更", "申请退出"]);
    app.cleanup().await;
}

/// A ZMDY system on line since 17 March: (system id).
async fn zmdy_online(app: &TestApp, city: &mut City) -> String {
    let (sys, t) = zmdy_approved(app, city).await;
    step(
        app,
        &city.provider,
        &t,
        "allocate",
        json!({"allocation_record": "已开通"}),
    )
    .await;
    on_day(app, city, "2026-03-17").await;
    attach(app, &city.unit_a, &t, "report").await;
    step(app, &city.unit_a, &t, "request_golive", json!({})).await;
    step(
        app,
        &city.mgr,
        &t,
        "golive",
        json!({"golive_opinion": "测评通过"}),
    )
    .await;
    sys
}

async fn vote(app: &TestApp, token: &str, id: &str, approval: &str) {
    let r = app
        .post_json(
            &format!("/api/v1/tickets/{id}/votes"),
            Some(token),
            json!({"approval": approval, "approve": true, "comment": "确认"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "vote: {}", r.text());
}

/// ZMDY-19: 使用单位在30天内完成信息系统下线和数据迁移备份工作……云服务商和
/// 使用单位共同确认数据清除后，回收资源. The approval starts the 30 days
/// as a due control; the joint clearing ends the billing and answers it.
#[tokio::test]
async fn zmdy_19_exit_then_joint_clearing_reclaims_the_resources() {
    let app = TestApp::new().await;
    let mut city = city(&app, "zmdy").await;
    let sys = zmdy_online(&app, &mut city).await;
    let ci = system_json(&app, &city.unit_a, &sys).await["system"]["ci_code"]
        .as_str()
        .unwrap()
        .to_string();
    on_day(&app, &mut city, "2026-04-01").await;
    let t = open(
        &app,
        &city.unit_a,
        "zmdy",
        "cloud_exit",
        json!({"title": "预约挂号系统退出政务云", "system": ci, "reason": "not_used",
               "explanation": "系统停用"}),
    )
    .await;
    step(&app, &city.unit_a, &t, "submit", json!({})).await;
    step(
        &app,
        &city.mgr,
        &t,
        "approve",
        json!({"review_opinion": "同意退出"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "exiting");
    assert_eq!(s["system"]["exit_approved_on"], "2026-04-01");
    assert_eq!(s["resources"][0]["state"], "exiting");
    assert!(
        s["resources"][0]["to_day"].is_null(),
        "still billed in the transition"
    );
    let exit: Vec<_> = controls_of(&app, &sys)
        .await
        .into_iter()
        .filter(|c| c.0 == "cloud_exit_transition")
        .collect();
    assert_eq!(
        exit,
        vec![(
            "cloud_exit_transition".to_string(),
            end_of("2026-05-01"),
            false
        )]
    );
    on_day(&app, &mut city, "2026-04-20").await;
    step(
        &app,
        &city.unit_a,
        &t,
        "migrated",
        json!({"migration_record": "数据已迁移备份"}),
    )
    .await;
    vote(&app, &city.unit_a, &t, "joint_clearing").await;
    // Not reclaimed before both confirm.
    let r = act(
        &app,
        &city.provider,
        &t,
        "reclaim",
        json!({"clearing_record": "已清除"}),
    )
    .await;
    assert!(!r.status.is_success(), "{}", r.text());
    vote(&app, &city.provider, &t, "joint_clearing").await;
    step(
        &app,
        &city.provider,
        &t,
        "reclaim",
        json!({"clearing_record": "数据已清除"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "reclaimed");
    assert_eq!(s["system"]["reclaimed_on"], "2026-04-20");
    let r = &s["resources"][0];
    assert_eq!(r["state"], "reclaimed");
    assert_eq!(r["from_day"], "2026-03-02");
    assert_eq!(r["to_day"], "2026-04-20", "billing ends on the reclaim day");
    assert!(controls_of(&app, &sys)
        .await
        .iter()
        .any(|c| c.0 == "cloud_exit_transition" && c.2));
    assert_eq!(audit_count(&app, "cloud.reclaimed").await, 1);
    app.cleanup().await;
}

/// Opens a change of the unit's system (ZMDY-18): the ticket and the
/// system's first resource row.
async fn open_change(app: &TestApp, city: &City, sys: &str) -> (String, String) {
    let s = system_json(app, &city.unit_a, sys).await;
    let row = s["resources"][0]["id"].as_str().unwrap().to_string();
    let ci = s["system"]["ci_code"].as_str().unwrap().to_string();
    let t = open(
        app,
        &city.unit_a,
        "zmdy",
        "cloud_change",
        json!({"title": "预约挂号系统扩容", "system": ci, "major": false, "reason": "门诊量增长"}),
    )
    .await;
    (t, row)
}

/// ZMDY-18: the provider carries out an approved change; the changed row
/// ends on that day and the next one starts on it (a bill is a range
/// join: 8 vCPU through 9 April, 16 from 10 April).
#[tokio::test]
async fn zmdy_18_an_applied_change_closes_the_row_and_opens_the_next() {
    let app = TestApp::new().await;
    let mut city = city(&app, "zmdy").await;
    let sys = zmdy_online(&app, &mut city).await;
    let (t, row) = open_change(&app, &city, &sys).await;
    // Nothing asked for yet: the gate refuses the submission.
    let r = act(&app, &city.unit_a, &t, "submit", json!({})).await;
    assert_eq!(code(&r), "cloud.nothing_requested", "{}", r.text());
    ok(app
        .post_json(
            &format!("/api/v1/cloud/systems/{sys}/resources"),
            Some(&city.unit_a),
            json!({"replaces_id": row, "quantity": 16}),
        )
        .await);
    step(&app, &city.unit_a, &t, "submit", json!({})).await;
    // Submitted: the system and the row it changes are 变更中, still
    // billed as they run.
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "changing");
    assert_eq!(s["resources"][0]["state"], "changing");
    assert!(s["resources"][0]["to_day"].is_null());
    step(
        &app,
        &city.mgr,
        &t,
        "approve",
        json!({"review_opinion": "同意"}),
    )
    .await;
    on_day(&app, &mut city, "2026-04-10").await;
    step(
        &app,
        &city.provider,
        &t,
        "complete",
        json!({"change_record": "已扩容至 16 核"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    let rows = s["resources"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["state"], "replaced");
    assert_eq!(rows[0]["quantity"], 8);
    assert_eq!(rows[0]["from_day"], "2026-03-02");
    assert_eq!(rows[0]["to_day"], "2026-04-10");
    assert_eq!(rows[1]["state"], "online");
    assert_eq!(rows[1]["quantity"], 16);
    assert_eq!(rows[1]["from_day"], "2026-04-10");
    assert_eq!(rows[1]["replaces_id"], row.as_str());
    assert!(rows[1]["to_day"].is_null());
    assert_eq!(s["system"]["state"], "online");
    app.cleanup().await;
}

/// ZMDY-3: 市县两级政务部门应使用全市统一的政务云; ZMDY-35: 政务云主管部门作为
/// 采购人统一进行政务云服务的采购. A county's cloud manager reviews its
/// units (ZMDY-14) but does not build a cloud of its own.
#[tokio::test]
async fn zmdy_3_a_county_cloud_manager_cannot_create_a_platform() {
    let app = TestApp::new().await;
    let _city = city(&app, "zmdy").await;
    let p = &app.platform;
    let (county, county_bureau, vendor) = {
        let mut c = p.db().begin().await.unwrap();
        let all = yunwei_store::orgs::list(&mut c, &yunwei_store::Scope::system())
            .await
            .unwrap();
        let find = |n: &str| all.iter().find(|o| o.name == n).unwrap().clone();
        let (nanjing, vendor) = (find("南京市财政局"), find("紫金政务云服务有限公司"));
        let now = p.now_us();
        let county = yunwei_core::orgs::insert_unchecked(
            &mut c,
            Some(&nanjing),
            OrgKind::County,
            "高淳区",
            now,
        )
        .await
        .unwrap();
        let bureau = yunwei_core::orgs::insert_unchecked(
            &mut c,
            Some(&county),
            OrgKind::Department,
            "高淳区数据局",
            now,
        )
        .await
        .unwrap();
        c.commit().await.unwrap();
        (county, bureau, vendor)
    };
    account(
        &app,
        &county_bureau,
        "county_mgr",
        "县区云管理员",
        Role::CountyCloudManager,
        &county,
        true,
    )
    .await;
    let token = app.login("county_mgr").await;
    let r = app
        .post_json(
            "/api/v1/cloud/platforms",
            Some(&token),
            json!({"name": "高淳区政务云", "pack_id": "zmdy", "bureau_org_id": county_bureau.id,
                   "region_org_id": county.id, "provider_org_id": vendor.id,
                   "monitor_org_id": ""}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("统一建设"), "{}", r.text());
    app.cleanup().await;
}

/// ZMDY-18: a refused change leaves 变更中: the rows it would have changed
/// run on as 已上线 and what was asked for is withdrawn.
#[tokio::test]
async fn zmdy_18_a_refused_change_returns_the_system_to_online() {
    let app = TestApp::new().await;
    let mut city = city(&app, "zmdy").await;
    let sys = zmdy_online(&app, &mut city).await;
    let (t, row) = open_change(&app, &city, &sys).await;
    ok(app
        .post_json(
            &format!("/api/v1/cloud/systems/{sys}/resources"),
            Some(&city.unit_a),
            json!({"replaces_id": row, "quantity": 32}),
        )
        .await);
    step(&app, &city.unit_a, &t, "submit", json!({})).await;
    assert_eq!(
        system_json(&app, &city.unit_a, &sys).await["system"]["state"],
        "changing"
    );
    // A second change while one is pending is refused by the gate.
    let (t2, _) = open_change(&app, &city, &sys).await;
    let r = act(&app, &city.unit_a, &t2, "submit", json!({})).await;
    assert_eq!(code(&r), "cloud.state_invalid", "{}", r.text());
    assert!(r.text().contains("变更中"), "{}", r.text());
    step(
        &app,
        &city.mgr,
        &t,
        "reject",
        json!({"review_opinion": "资源需求不合理"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "online");
    let rows = s["resources"].as_array().unwrap();
    assert_eq!(rows[0]["state"], "online");
    assert!(rows[0]["to_day"].is_null());
    assert_eq!(rows[1]["state"], "withdrawn");
    app.cleanup().await;
}

/// SNYP-16: 使用单位……3个月的过渡期. The approval of the exit starts a
/// three-month transition as a due control.
#[tokio::test]
async fn snyp_16_exit_transition_is_three_months() {
    let app = TestApp::new().await;
    let mut city = city(&app, "snyp").await;
    item(&app, &city, "ECS-VCPU", "45.5").await;
    let (sys, ci) = system(&app, &city.unit_a, "教育缴费系统").await;
    ok(app
        .post_json(
            &format!("/api/v1/cloud/systems/{sys}/resources"),
            Some(&city.unit_a),
            json!({"item": "ECS-VCPU", "quantity": 4}),
        )
        .await);
    let t = open(
        &app,
        &city.unit_a,
        "snyp",
        "cloud_apply",
        json!({"title": "教育缴费系统上云", "system": ci, "unit_level": "city", "kind": "new",
               "purpose": "学费缴纳"}),
    )
    .await;
    for kind in ["application_form", "plan", "report", "project_approval"] {
        attach(&app, &city.unit_a, &t, kind).await;
    }
    step(&app, &city.unit_a, &t, "submit", json!({})).await;
    step(&app, &city.mgr, &t, "accept", json!({})).await;
    step(
        &app,
        &city.mgr,
        &t,
        "approve",
        json!({"review_opinion": "同意"}),
    )
    .await;
    step(
        &app,
        &city.provider,
        &t,
        "allocate",
        json!({"allocation_record": "已开通"}),
    )
    .await;
    // SNYP has no trial: the system is deployed, billed from today.
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "deploying");
    assert!(s["system"]["trial_started_on"].is_null());
    assert_eq!(s["resources"][0]["from_day"], "2026-03-02");
    step(
        &app,
        &city.unit_a,
        &t,
        "deployed",
        json!({"deployment_record": "部署完成"}),
    )
    .await;
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "online");
    // SNYP keeps no old system as a control.
    assert!(controls_of(&app, &sys).await.is_empty());
    on_day(&app, &mut city, "2026-05-11").await;
    let t = open(
        &app,
        &city.unit_a,
        "snyp",
        "cloud_exit",
        json!({"title": "教育缴费系统退出", "system": ci, "stopped_using_on": "2026-05-01",
               "explanation": "并入省级平台"}),
    )
    .await;
    step(&app, &city.unit_a, &t, "submit", json!({})).await;
    step(
        &app,
        &city.mgr,
        &t,
        "approve",
        json!({"review_opinion": "同意"}),
    )
    .await;
    // 11 May + 3 months: the transition ends with 11 August.
    assert_eq!(
        controls_of(&app, &sys).await,
        vec![(
            "cloud_exit_transition".to_string(),
            end_of("2026-08-11"),
            false
        )]
    );
    let s = system_json(&app, &city.unit_a, &sys).await;
    assert_eq!(s["system"]["state"], "exiting");
    app.cleanup().await;
}

/// The demo's two clouds (demo/cloud.toml, demo/cloud_huaian.toml): each
/// manager sees their own; on the one whose pack has a trial (ZMDY-16), a
/// system is in the middle of it, between the pack's shortest and longest
/// length, and one online, monitored system has every month but the last,
/// for the browser journey to end the trial and import a low month.
#[tokio::test]
async fn zmdy_16_demo_cloud_with_a_trial_has_a_system_in_its_trial_and_an_unfiled_month() {
    use chrono::{Datelike, NaiveDate};
    use yunwei_core::features::cloud::{platforms, systems, usage};

    let app = TestApp::new().await;
    let p = &app.platform;
    yunwei_core::demo::seed_work(p).await.expect("demo work");
    // Seeding again changes nothing.
    yunwei_core::demo::seed_work(p)
        .await
        .expect("demo work again");
    let today = yunwei_domain::calendar::date_in_shanghai(p.clock.now());
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let last_month = (first - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string();
    let mut trial_packs = 0;
    for manager in ["demo_cloud_manager", "demo_ha_cloud_manager"] {
        let mgr = crate::support::principal(&app, manager).await;
        let pls = platforms::list(p, &mgr).await.unwrap();
        assert_eq!(pls.len(), 1, "{manager} sees one platform");
        let pl = &pls[0].platform;
        let rules = p
            .packs
            .iter()
            .find(|pk| pk.id == pl.pack_id)
            .and_then(|pk| pk.cloud.as_ref())
            .expect("a cloud pack");
        let list = systems::list(
            p,
            &mgr,
            &systems::ListFilter {
                platform_id: Some(pl.id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let in_trial: Vec<_> = list
            .items
            .iter()
            .filter(|s| s.system.state == "trial")
            .collect();
        let Some((min, max)) = rules.trial_days else {
            assert!(in_trial.is_empty(), "{}: no trial in its pack", pl.name);
            continue;
        };
        trial_packs += 1;
        assert_eq!(in_trial.len(), 1, "{}: one system in its trial", pl.name);
        let began = NaiveDate::parse_from_str(
            in_trial[0].system.trial_started_on.as_deref().unwrap(),
            "%Y-%m-%d",
        )
        .unwrap();
        let days = (today - began).num_days();
        assert!(
            days >= i64::from(min) && days < i64::from(max),
            "trial began {days} days ago"
        );
        // Every monitored online system has last month's row but one.
        let report = usage::month_report(p, &mgr, &pl.id, Some(&last_month))
            .await
            .unwrap();
        let online: Vec<_> = list
            .items
            .iter()
            .filter(|s| s.system.state == "online")
            .collect();
        assert!(online.len() >= 2, "{}: {} online", pl.name, online.len());
        let unfiled: Vec<_> = online
            .iter()
            .filter(|s| !report.lines.iter().any(|l| l.system_id == s.system.id))
            .collect();
        assert_eq!(
            unfiled.len(),
            1,
            "{}: one system without {last_month}; months {:?}, lines {:?}, online {:?}",
            pl.name,
            report.months,
            report
                .lines
                .iter()
                .map(|l| &l.system_name)
                .collect::<Vec<_>>(),
            online
                .iter()
                .map(|s| (&s.system.name, &s.system.online_on))
                .collect::<Vec<_>>()
        );
        let since =
            NaiveDate::parse_from_str(unfiled[0].system.online_on.as_deref().unwrap(), "%Y-%m-%d")
                .unwrap();
        let monitored = usage::monitoring_starts(rules, &since.format("%Y-%m-%d").to_string())
            .expect("a start of monitoring");
        assert!(
            monitored
                <= NaiveDate::parse_from_str(&format!("{last_month}-01"), "%Y-%m-%d").unwrap(),
            "{} monitored from {monitored}",
            unfiled[0].system.name
        );
    }
    assert_eq!(trial_packs, 1, "one demo cloud runs a pack with a trial");
}

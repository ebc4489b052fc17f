//! Government cloud bills by payer, reductions, verification, evaluation
//! and settlement (issue 14 items 5 and 7; ZMDY-34..39, SNYP-6, SNYP-14,
//! SNYP-17, SNYP-18, SNYP-35). The demo tenant has no cloud: every test
//! builds one (a city with a bureau, units, a county with its bureau and
//! unit, the two vendors) and inserts the catalogue, prices, systems and
//! resources it needs as rows of migration 22.

use yunwei_core::features::cloud::{billing, evaluation};
use yunwei_core::{Ctx, Principal};
use yunwei_domain::org::OrgKind;
use yunwei_domain::roles::Role;
use yunwei_store::cloud::{PlatformRow, UnitRow};
use yunwei_store::orgs::OrgRow;
use yunwei_testkit::TestApp;

use crate::support::{account as user, org_under as org};

pub struct Cloud {
    pub app: TestApp,
    pub platform: PlatformRow,
    /// The city's cloud manager (政务云主管部门).
    pub city: Principal,
    /// A second city cloud manager (for the parallel verification).
    pub city2: Principal,
    /// The county bureau's cloud manager (ZMDY-36).
    pub county: Principal,
    /// Units: 党政机关, 全额保障事业单位, 自收自支, and a county unit.
    pub gov: String,
    pub hospital: String,
    pub bus: String,
    pub county_unit: String,
    pub county_bureau: String,
    seq: std::cell::Cell<u32>,
}

fn ctx() -> Ctx {
    Ctx::system("test")
}

async fn unit(
    app: &TestApp,
    o: &OrgRow,
    platform: &str,
    level: &str,
    funding: &str,
    local_finance_pays: bool,
    county_bureau: Option<&str>,
) {
    let mut c = app.platform.db().begin().await.unwrap();
    yunwei_store::cloud::insert_unit(
        &mut c,
        &UnitRow {
            org_id: o.id.clone(),
            org_path: o.path.clone(),
            platform_id: platform.into(),
            level: level.into(),
            funding: funding.into(),
            local_finance_pays,
            county_bureau_org_id: county_bureau.map(str::to_string),
            updated_at: 0,
            version: 1,
        },
    )
    .await
    .unwrap();
    c.commit().await.unwrap();
}

/// A cloud governed by `pack` ("zmdy" or "snyp").
pub async fn cloud(pack: &str) -> Cloud {
    let app = TestApp::new().await;
    let root = {
        let mut c = app.platform.db().read().await.unwrap();
        yunwei_store::orgs::root(&mut c).await.unwrap().unwrap()
    };
    let city = org(&app, &root, "云测市", OrgKind::City).await;
    let bureau = org(&app, &city, "云测市大数据局", OrgKind::Department).await;
    let gov = org(&app, &city, "云测市民政局", OrgKind::Department).await;
    let hospital = org(&app, &city, "云测市中心医院", OrgKind::BudgetUnit).await;
    let bus = org(&app, &city, "云测市公交公司", OrgKind::BudgetUnit).await;
    let county = org(&app, &city, "云测县", OrgKind::County).await;
    let county_bureau = org(&app, &county, "云测县大数据局", OrgKind::Department).await;
    let county_unit = org(&app, &county, "云测县教育局", OrgKind::Department).await;
    let provider = org(&app, &root, "云测云服务商", OrgKind::Vendor).await;
    let monitor = org(&app, &root, "云测监管服务商", OrgKind::Vendor).await;
    let platform = PlatformRow {
        id: yunwei_domain::ids::new_id(),
        name: "云测市政务云".into(),
        pack_id: pack.into(),
        bureau_org_id: bureau.id.clone(),
        bureau_path: bureau.path.clone(),
        region_path: city.path.clone(),
        provider_org_id: provider.id.clone(),
        monitor_org_id: Some(monitor.id.clone()),
        created_at: 0,
        updated_at: 0,
    };
    {
        let mut c = app.platform.db().begin().await.unwrap();
        yunwei_store::cloud::insert_platform(&mut c, &platform)
            .await
            .unwrap();
        c.commit().await.unwrap();
    }
    unit(&app, &gov, &platform.id, "city", "party_gov", false, None).await;
    unit(
        &app,
        &hospital,
        &platform.id,
        "city",
        "fully_funded",
        false,
        None,
    )
    .await;
    unit(&app, &bus, &platform.id, "city", "self_funded", false, None).await;
    unit(
        &app,
        &county_unit,
        &platform.id,
        "county",
        "party_gov",
        true,
        Some(&county_bureau.id),
    )
    .await;
    let city_p = user(&app, "cloudcity1", &bureau, Role::CloudManager, &bureau).await;
    let city2 = user(&app, "cloudcity2", &bureau, Role::CloudManager, &bureau).await;
    let county_p = user(
        &app,
        "cloudcounty1",
        &county_bureau,
        Role::CountyCloudManager,
        &county_bureau,
    )
    .await;
    Cloud {
        app,
        platform,
        city: city_p,
        city2,
        county: county_p,
        gov: gov.id,
        hospital: hospital.id,
        bus: bus.id,
        county_unit: county_unit.id,
        county_bureau: county_bureau.id,
        seq: std::cell::Cell::new(0),
    }
}

impl Cloud {
    fn next(&self) -> u32 {
        self.seq.set(self.seq.get() + 1);
        self.seq.get()
    }

    async fn sql(&self, sql: &str) {
        let mut c = self.app.platform.db().begin().await.unwrap();
        c.exec_raw(sql).await.unwrap();
        c.commit().await.unwrap();
    }

    /// A catalogue item of `mode` with its first price (0.0001 元) from `from`.
    pub async fn item(&self, name: &str, mode: &str, price_e4: i64, from: &str) -> String {
        let id = format!("item{}", self.next());
        self.sql(&format!(
            "INSERT INTO cloud_catalogue_items (id, platform_id, code, name, category, unit, mode, \
             valid_from, valid_to, source, created_at, updated_at) VALUES ('{id}', '{pl}', '{id}', \
             '{name}', 'compute', '核', '{mode}', '2020-01-01', NULL, 'ZMDY-34', 0, 0)",
            pl = self.platform.id
        ))
        .await;
        self.price(&id, price_e4, from).await;
        id
    }

    pub async fn price(&self, item: &str, price_e4: i64, from: &str) {
        let id = format!("price{}", self.next());
        self.sql(&format!(
            "INSERT INTO cloud_prices (id, item_id, price_e4, effective_from, note, created_by, \
             created_at) VALUES ('{id}', '{item}', {price_e4}, '{from}', '', 'test', 0)"
        ))
        .await;
    }

    /// A system of `unit` with one resource row over `[from, to)`.
    pub async fn resource(
        &self,
        unit: &str,
        item: &str,
        qty: i64,
        from: &str,
        to: Option<&str>,
    ) -> String {
        let n = self.next();
        let sys = format!("sys{n}");
        let path = {
            let mut c = self.app.platform.db().read().await.unwrap();
            yunwei_store::orgs::get(&mut c, unit)
                .await
                .unwrap()
                .unwrap()
                .path
        };
        self.sql(&format!(
            "INSERT INTO cloud_systems (id, platform_id, org_id, org_path, name, ci_id, dengbao_level, \
             miping, important, nda_ref, state, trial_started_on, online_on, exit_approved_on, \
             reclaimed_on, created_by, created_at, updated_at, version) VALUES ('{sys}', '{pl}', \
             '{unit}', '{path}', '系统{n}', NULL, 2, 'not_required', 0, '', 'online', NULL, NULL, \
             NULL, NULL, 'test', 0, 0, 1)",
            pl = self.platform.id
        ))
        .await;
        let rid = format!("res{n}");
        let to = to
            .map(|t| format!("'{t}'"))
            .unwrap_or_else(|| "NULL".into());
        self.sql(&format!(
            "INSERT INTO cloud_resources (id, system_id, platform_id, org_path, item_id, quantity, \
             state, from_day, to_day, replaces_id, ticket_id, created_at, updated_at) VALUES \
             ('{rid}', '{sys}', '{pl}', '{path}', '{item}', {qty}, 'online', '{from}', {to}, NULL, \
             NULL, 0, 0)",
            pl = self.platform.id
        ))
        .await;
        rid
    }

    pub async fn compute(&self, month: &str) -> Result<billing::RunView, yunwei_domain::AppError> {
        let run = billing::compute(
            &self.app.platform,
            &ctx(),
            &self.city,
            &self.platform.id,
            month,
        )
        .await?;
        billing::get(&self.app.platform, &self.city, &run.id).await
    }
}

fn lines(v: &billing::RunView) -> Vec<&billing::LineView> {
    v.parts
        .iter()
        .flat_map(|p| p.payers.iter())
        .flat_map(|g| g.units.iter())
        .flat_map(|u| u.lines.iter())
        .collect()
}

/// SNYP-17: 市本级……全额保障的事业单位……的“普通云服务”和“托管服务”费用……由市级
/// 财政承担，“专享云服务”费用由各单位自行承担。市本级差额保障、自收自支企事业单位的
/// 所有政务云服务费用由各单位自行承担。
#[tokio::test]
async fn snyp_17_exclusive_cloud_of_a_fully_funded_unit_is_paid_by_the_unit() {
    let k = cloud("snyp").await;
    let ordinary = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    let exclusive = k
        .item("专享物理机", "exclusive", 5_000_000, "2025-01-01")
        .await;
    let hosting = k.item("托管机位", "hosting", 2_000_000, "2025-01-01").await;
    let r_ord = k
        .resource(&k.hospital, &ordinary, 4, "2025-06-01", None)
        .await;
    let r_exc = k
        .resource(&k.hospital, &exclusive, 1, "2025-06-01", None)
        .await;
    let r_host = k
        .resource(&k.hospital, &hosting, 1, "2025-06-01", None)
        .await;
    let r_bus = k.resource(&k.bus, &ordinary, 2, "2025-06-01", None).await;
    let v = k.compute("2026-01").await.unwrap();
    let payer_of = |rid: &str| {
        lines(&v)
            .into_iter()
            .find(|l| l.line.resource_id == rid)
            .unwrap()
            .line
            .payer
            .clone()
    };
    assert_eq!(
        payer_of(&r_exc),
        "unit",
        "专享云服务 of a fully funded unit"
    );
    assert_eq!(payer_of(&r_ord), "city_finance");
    assert_eq!(payer_of(&r_host), "city_finance");
    assert_eq!(payer_of(&r_bus), "unit", "a self-funded unit pays all");
    // Full month: 4 × 100 元, 1 × 500 元, 1 × 200 元, 2 × 100 元.
    let l = |rid: &str| {
        lines(&v)
            .into_iter()
            .find(|l| l.line.resource_id == rid)
            .unwrap()
            .line
            .amount_fen
    };
    assert_eq!(l(&r_ord), 40_000);
    assert_eq!(l(&r_exc), 50_000);
    assert_eq!(l(&r_bus), 20_000);
    let by: std::collections::HashMap<_, _> = v.by_payer.iter().cloned().collect();
    assert_eq!(by["市级财政"], "600.00");
    assert_eq!(by["使用单位自行承担"], "700.00");
    k.app.cleanup().await;
}

/// Proration by the real month length: February 2026 has 28 days.
#[tokio::test]
async fn proration_uses_the_real_length_of_february() {
    let k = cloud("snyp").await;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    // From the 15th: 14 of 28 days = exactly half (a 31-day convention
    // would give 45.16).
    let half = k.resource(&k.gov, &item, 1, "2026-02-15", None).await;
    // Ends on the 11th (exclusive): 10 days of 28 = 35.714… -> 35.71.
    let ten = k
        .resource(&k.gov, &item, 1, "2026-01-01", Some("2026-02-11"))
        .await;
    let v = k.compute("2026-02").await.unwrap();
    let get = |rid: &str| {
        lines(&v)
            .into_iter()
            .find(|l| l.line.resource_id == rid)
            .unwrap()
            .line
            .clone()
    };
    let h = get(&half);
    assert_eq!((h.days, h.month_days, h.amount_fen), (14, 28, 5_000));
    let t = get(&ten);
    assert_eq!((t.days, t.month_days, t.amount_fen), (10, 28, 3_571));
    // January of the same resource: 31 of 31 days, the whole price.
    let jan = k.compute("2026-01").await.unwrap();
    let j = lines(&jan)
        .into_iter()
        .find(|l| l.line.resource_id == ten)
        .unwrap();
    assert_eq!(
        (j.line.days, j.line.month_days, j.line.amount_fen),
        (31, 31, 10_000)
    );
    // A month not yet over is not billed (today is 2026-03-02).
    let e = k.compute("2026-03").await.unwrap_err();
    assert_eq!(e.code, "cloud_bill.month_open");
    k.app.cleanup().await;
}

#[tokio::test]
async fn a_price_change_mid_month_splits_the_line() {
    let k = cloud("zmdy").await;
    let item = k.item("云存储", "ordinary", 1_000_000, "2025-01-01").await;
    k.price(&item, 2_000_000, "2026-01-11").await;
    let rid = k.resource(&k.gov, &item, 1, "2025-12-20", None).await;
    let v = k.compute("2026-01").await.unwrap();
    let mine: Vec<_> = lines(&v)
        .into_iter()
        .filter(|l| l.line.resource_id == rid)
        .map(|l| {
            (
                l.line.from_day.clone(),
                l.line.days,
                l.line.price_e4,
                l.line.amount_fen,
            )
        })
        .collect();
    // 10 days at 100 元 (32.258 -> 32.26) and 21 at 200 元 (135.483 -> 135.48).
    assert_eq!(
        mine,
        vec![
            ("2026-01-01".to_string(), 10, 1_000_000, 3_226),
            ("2026-01-11".to_string(), 21, 2_000_000, 13_548),
        ]
    );
    // A day without any price in force is refused, not billed at zero.
    let late = k
        .item("新目录项", "ordinary", 1_000_000, "2026-01-20")
        .await;
    k.resource(&k.gov, &late, 1, "2026-01-10", None).await;
    let e = k.compute("2026-01").await.unwrap_err();
    assert_eq!(e.code, "cloud_bill.unpriced", "{e:?}");
    k.app.cleanup().await;
}

#[tokio::test]
async fn recomputing_a_past_month_after_a_new_price_gives_the_same_bill() {
    let k = cloud("snyp").await;
    let item = k
        .item("云主机vCPU", "ordinary", 455_000, "2025-01-01")
        .await;
    k.resource(&k.gov, &item, 3, "2025-11-05", None).await;
    k.resource(&k.bus, &item, 7, "2025-12-10", Some("2026-01-17"))
        .await;
    let first = k.compute("2026-01").await.unwrap();
    let amounts = |v: &billing::RunView| {
        let mut a: Vec<_> = lines(v)
            .into_iter()
            .map(|l| (l.line.resource_id.clone(), l.line.days, l.line.amount_fen))
            .collect();
        a.sort();
        a
    };
    // The catalogue gets cheaper from February: January stays as it was.
    k.price(&item, 300_000, "2026-02-01").await;
    let again = k.compute("2026-01").await.unwrap();
    assert_eq!(amounts(&first), amounts(&again));
    assert_eq!(first.total_fen, again.total_fen);
    assert_eq!(first.run.id, again.run.id, "a draft is recomputed in place");
    assert_eq!(again.run.line_count, 2);
    k.app.cleanup().await;
}

#[tokio::test]
async fn a_verified_bill_cannot_be_recomputed_or_reduced() {
    let k = cloud("snyp").await;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    k.resource(&k.gov, &item, 1, "2025-01-01", None).await;
    let v = k.compute("2026-01").await.unwrap();
    let p = &k.app.platform;
    let run = billing::verify(p, &ctx(), &k.city, &v.run.id, "")
        .await
        .unwrap();
    assert_eq!(run.state, billing::VERIFIED);
    let e = k.compute("2026-01").await.unwrap_err();
    assert_eq!(e.code, "cloud_bill.frozen");
    let e = billing::adjust(
        p,
        &ctx(),
        &k.city,
        &v.run.id,
        &billing::NewAdjustment {
            unit_org_id: k.gov.clone(),
            payer: "city_finance".into(),
            kind: billing::REDUCTION.into(),
            amount: "1".into(),
            reason: "利用率低".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_bill.frozen");
    // Sent to finance (SNYP-6), with its Excel and PDF.
    let sent = billing::send(p, &ctx(), &k.city, &v.run.id).await.unwrap();
    assert_eq!(sent.state, billing::SENT);
    let xlsx = billing::excel(p, &ctx(), &k.city, &v.run.id).await.unwrap();
    assert!(xlsx.starts_with(b"PK"));
    let pdf = billing::pdf(p, &ctx(), &k.city, &v.run.id).await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let e = k.compute("2026-01").await.unwrap_err();
    assert_eq!(e.code, "cloud_bill.frozen");
    k.app.cleanup().await;
}

async fn stored_lines(k: &Cloud, run_id: &str) -> i64 {
    let mut c = k.app.platform.db().read().await.unwrap();
    yunwei_store::cloud_billing::lines(&mut c, run_id)
        .await
        .unwrap()
        .len() as i64
}

/// ZMDY-36: 政务云服务费按年度结算. The year's bills are computed at once,
/// from one read of the year's resources and prices; a verified month is
/// kept as verified. A draft's lines are derived from the history until
/// the first verification freezes them, and a draft whose data moved
/// since it was computed must be recomputed before anyone verifies it.
#[tokio::test]
async fn zmdy_36_a_year_of_bills_at_once_and_verification_freezes_the_lines() {
    let k = cloud("zmdy").await;
    let p = &k.app.platform;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await; // 100 元 a month
    k.resource(&k.gov, &item, 2, "2025-01-01", None).await;
    k.resource(&k.gov, &item, 2, "2025-03-10", None).await;
    let jan = k.compute("2025-01").await.unwrap();
    billing::verify(p, &ctx(), &k.city, &jan.run.id, "")
        .await
        .unwrap();
    assert_eq!(
        stored_lines(&k, &jan.run.id).await,
        1,
        "frozen when verified"
    );

    let y = billing::compute_year(p, &ctx(), &k.city, &k.platform.id, 2025)
        .await
        .unwrap();
    assert_eq!(y.frozen, vec!["2025-01".to_string()]);
    assert_eq!(y.runs.len(), 11);
    let march = y.runs.iter().find(|r| r.month == "2025-03").unwrap();
    // 2 × 100 元 the whole month, and 2 × 100 元 × 22/31 from the 10th
    // (141.935… → 141.94 元).
    assert_eq!(march.lines_fen, 20_000 + 14_194);
    assert_eq!(stored_lines(&k, &march.id).await, 0, "a draft is derived");
    let v = billing::get(p, &k.city, &march.id).await.unwrap();
    assert!(!v.stale);
    assert_eq!(v.lines_fen, march.lines_fen);
    let jan_after = billing::get(p, &k.city, &jan.run.id).await.unwrap();
    assert_eq!(jan_after.run.state, billing::VERIFIED);

    // A day added to March after the computation: the draft says so and
    // cannot be verified until recomputed.
    k.resource(&k.gov, &item, 1, "2025-03-01", Some("2025-03-02"))
        .await;
    assert!(billing::get(p, &k.city, &march.id).await.unwrap().stale);
    let e = billing::verify(p, &ctx(), &k.city, &march.id, "")
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_bill.stale", "{e:?}");
    let again = k.compute("2025-03").await.unwrap();
    assert!(!again.stale);
    assert_eq!(again.run.line_count, 3);
    // A line a draft kept from before drafts were derived gives way to
    // the lines verified.
    k.sql(&format!(
        "INSERT INTO cloud_bill_lines SELECT 'legacy', '{}', unit_org_id, unit_path, \
         settler_org_id, settler_path, system_id, resource_id, item_id, mode, payer, quantity, \
         from_day, to_day, days, month_days, price_e4, amount_fen FROM cloud_bill_lines \
         WHERE run_id = '{}'",
        march.id, jan.run.id
    ))
    .await;
    billing::verify(p, &ctx(), &k.city, &march.id, "")
        .await
        .unwrap();
    assert_eq!(stored_lines(&k, &march.id).await, 3);
    // Later data no longer moves the verified bill.
    k.resource(&k.gov, &item, 5, "2025-03-20", Some("2025-03-25"))
        .await;
    let frozen = billing::get(p, &k.city, &march.id).await.unwrap();
    assert_eq!(frozen.run.line_count, 3);
    assert_eq!(lines(&frozen).len(), 3);

    // This year: only the months that have ended (today is 2026-03-02).
    let y = billing::compute_year(p, &ctx(), &k.city, &k.platform.id, 2026)
        .await
        .unwrap();
    let months: Vec<&str> = y.runs.iter().map(|r| r.month.as_str()).collect();
    assert_eq!(months, ["2026-01", "2026-02"]);
    let e = billing::compute_year(p, &ctx(), &k.city, &k.platform.id, 2027)
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_bill.year_open");
    // A county's manager does not compute the city's bills.
    let e = billing::compute_year(p, &ctx(), &k.county, &k.platform.id, 2025)
        .await
        .unwrap_err();
    assert_eq!(e.kind, yunwei_domain::ErrorKind::Forbidden, "{e:?}");
    k.app.cleanup().await;
}

/// ZMDY-36: 市级政务部门的政务云服务使用费由政务云主管部门进行统一结算和支付。县(区)
/// 政务部门的政务云服务费用由各县(区)政务服务和大数据管理局统一结算和支付。
#[tokio::test]
async fn zmdy_36_county_lines_are_verified_by_the_county_bureau_only() {
    let k = cloud("zmdy").await;
    let p = &k.app.platform;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    k.resource(&k.gov, &item, 2, "2025-01-01", None).await;
    k.resource(&k.county_unit, &item, 3, "2025-01-01", None)
        .await;
    let v = k.compute("2026-01").await.unwrap();
    assert_eq!(v.parts.len(), 2);
    let county_part = v
        .parts
        .iter()
        .find(|pt| pt.settler_org_id == k.county_bureau)
        .unwrap();
    assert_eq!(county_part.payers.len(), 1);
    assert_eq!(county_part.payers[0].payer, "local_finance");
    assert_eq!(county_part.total_fen, 30_000);
    assert!(
        !county_part.can_verify,
        "the city does not verify the county's part"
    );
    // The city's manager may not verify the county's part, nor the
    // county's the city's.
    let e = billing::verify(p, &ctx(), &k.city, &v.run.id, &k.county_bureau)
        .await
        .unwrap_err();
    assert_eq!(e.kind, yunwei_domain::ErrorKind::Forbidden);
    let e = billing::verify(p, &ctx(), &k.county, &v.run.id, "")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind,
            yunwei_domain::ErrorKind::Forbidden | yunwei_domain::ErrorKind::NotFound
        ),
        "{e:?}"
    );
    // The county sees its own part only.
    let cv = billing::get(p, &k.county, &v.run.id).await.unwrap();
    assert_eq!(cv.parts.len(), 1);
    assert_eq!(cv.total_fen, 30_000);
    assert!(cv.parts[0].can_verify);
    let r = billing::verify(p, &ctx(), &k.county, &v.run.id, &k.county_bureau)
        .await
        .unwrap();
    assert_eq!(r.state, billing::DRAFT, "the city's part is still open");
    let e = billing::send(p, &ctx(), &k.city, &v.run.id)
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_bill.not_verified");
    let r = billing::verify(p, &ctx(), &k.city, &v.run.id, "")
        .await
        .unwrap();
    assert_eq!(r.state, billing::VERIFIED);
    k.app.cleanup().await;
}

/// Money is exact: every total is the sum of its rounded lines minus the
/// reductions; a rate cut (SNYP-18) is an exact percentage rounded once.
#[tokio::test]
async fn money_is_exact_sums_equal_the_sum_of_lines() {
    let k = cloud("snyp").await;
    let p = &k.app.platform;
    let a = k.item("小额目录项", "ordinary", 150, "2025-01-01").await; // 0.0150 元
    let b = k.item("三分之一", "exclusive", 333_333, "2025-01-01").await; // 33.3333 元
    let c = k.item("托管", "hosting", 12_345_678, "2025-01-01").await;
    for (i, unit) in [&k.gov, &k.hospital, &k.bus, &k.county_unit]
        .into_iter()
        .enumerate()
    {
        let i = i as i64;
        k.resource(unit, &a, 7 + i, "2026-01-03", None).await;
        k.resource(unit, &b, 3 + i, "2025-12-30", Some("2026-01-29"))
            .await;
        k.resource(unit, &c, 1 + i, "2026-01-17", None).await;
    }
    let v = k.compute("2026-01").await.unwrap();
    let sum: i64 = lines(&v).iter().map(|l| l.line.amount_fen).sum();
    assert_eq!(v.run.lines_fen, sum);
    assert_eq!(v.lines_fen, sum);
    for l in lines(&v) {
        assert_eq!(
            l.line.amount_fen,
            yunwei_domain::cloud::prorate(
                l.line.price_e4,
                l.line.quantity,
                l.line.days as u32,
                l.line.month_days as u32
            )
        );
    }
    let parts_sum: i64 = v.parts.iter().map(|p| p.total_fen).sum();
    assert_eq!(parts_sum, v.total_fen);
    // A 2.5 % rate cut of the hospital's city-finance share.
    let hospital_city: i64 = lines(&v)
        .iter()
        .filter(|l| l.line.unit_org_id == k.hospital && l.line.payer == "city_finance")
        .map(|l| l.line.amount_fen)
        .sum();
    let adj = billing::adjust(
        p,
        &ctx(),
        &k.city,
        &v.run.id,
        &billing::NewAdjustment {
            unit_org_id: k.hospital.clone(),
            payer: "city_finance".into(),
            kind: billing::RATE_CUT.into(),
            rate: "2.5".into(),
            reason: "参考省级政务云费率协商下调".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(adj.amount_fen, (hospital_city * 250 * 2 + 10_000) / 20_000);
    // A 核减 of 12.34 元 of the bus company's own share.
    billing::adjust(
        p,
        &ctx(),
        &k.city,
        &v.run.id,
        &billing::NewAdjustment {
            unit_org_id: k.bus.clone(),
            payer: "unit".into(),
            kind: billing::REDUCTION.into(),
            amount: "12.34".into(),
            reason: "资源利用率低产生的额外费用".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // More than the unit pays is refused.
    let e = billing::adjust(
        p,
        &ctx(),
        &k.city,
        &v.run.id,
        &billing::NewAdjustment {
            unit_org_id: k.bus.clone(),
            payer: "unit".into(),
            kind: billing::REDUCTION.into(),
            amount: "99999999".into(),
            reason: "过多".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_bill.too_much");
    let v = billing::get(p, &k.city, &v.run.id).await.unwrap();
    assert_eq!(v.adjustments_fen, adj.amount_fen + 1_234);
    assert_eq!(v.total_fen, sum - adj.amount_fen - 1_234);
    assert_eq!(v.run.total_fen, v.total_fen);
    let units_sum: i64 = v
        .parts
        .iter()
        .flat_map(|p| p.payers.iter())
        .flat_map(|g| g.units.iter())
        .map(|u| u.total_fen)
        .sum();
    assert_eq!(units_sum, v.total_fen);
    // A recompute keeps the reductions; the rate cut follows its lines.
    let again = k.compute("2026-01").await.unwrap();
    assert_eq!(again.total_fen, v.total_fen);
    k.app.cleanup().await;
}

async fn sent_month(k: &Cloud, month: &str) -> billing::RunView {
    let p = &k.app.platform;
    let v = k.compute(month).await.unwrap();
    for part in &v.parts {
        let who = if part.settler_org_id == k.county_bureau {
            &k.county
        } else {
            &k.city
        };
        billing::verify(p, &ctx(), who, &v.run.id, &part.settler_org_id)
            .await
            .unwrap();
    }
    billing::send(p, &ctx(), &k.city, &v.run.id).await.unwrap();
    billing::get(p, &k.city, &v.run.id).await.unwrap()
}

fn scheme(ids: &[&str], weights: &[&str]) -> evaluation::SchemeInput {
    evaluation::SchemeInput {
        weights: ids
            .iter()
            .zip(weights)
            .map(|(i, w)| (i.to_string(), w.to_string()))
            .collect(),
        bands: vec![
            evaluation::Band {
                min_score: "90".into(),
                deduction: "0".into(),
            },
            evaluation::Band {
                min_score: "80".into(),
                deduction: "2".into(),
            },
            evaluation::Band {
                min_score: "0".into(),
                deduction: "5".into(),
            },
        ],
    }
}

/// ZMDY-39: 定期对政务云服务提供方的技术保障能力、云资源使用率、安全状况、服务响应、
/// 服务满意度、服务质量等指标进行考评，考评结果作为服务费用结算的重要依据.
#[tokio::test]
async fn zmdy_39_evaluation_deduction_reduces_the_settlement() {
    let k = cloud("zmdy").await;
    let p = &k.app.platform;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2024-01-01")
        .await;
    k.resource(&k.gov, &item, 3, "2024-06-01", None).await;
    k.resource(&k.county_unit, &item, 1, "2024-06-01", None)
        .await;
    let jan = sent_month(&k, "2025-01").await;
    let apr = sent_month(&k, "2025-04").await;
    assert_eq!(jan.total_fen, 40_000);
    let ids = [
        "tech_support",
        "utilisation",
        "security",
        "response",
        "satisfaction",
        "quality",
    ];
    // Weights must add up to 100.
    let e = evaluation::set_scheme(
        p,
        &ctx(),
        &k.city,
        &k.platform.id,
        "provider",
        &scheme(&ids, &["20", "20", "20", "20", "10", "5"]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_eval.weight_sum");
    evaluation::set_scheme(
        p,
        &ctx(),
        &k.city,
        &k.platform.id,
        "provider",
        &scheme(&ids, &["20", "20", "20", "20", "10", "10"]),
    )
    .await
    .unwrap();
    let scores = |vals: [&str; 6]| evaluation::EvaluationInput {
        quarter: "2025-Q1".into(),
        vendor_role: "provider".into(),
        scores: ids
            .iter()
            .zip(vals)
            .map(|(i, v)| (i.to_string(), v.to_string()))
            .collect(),
        note: String::new(),
    };
    // 85.5×.2 + 80×.2 + 90×.2 + 88×.2 + 79.5×.1 + 84×.1 = 85.05 exactly: 2 %.
    let ev = evaluation::save(
        p,
        &ctx(),
        &k.city,
        &k.platform.id,
        &scores(["85.5", "80", "90", "88", "79.5", "84"]),
    )
    .await
    .unwrap();
    assert_eq!(ev.total, "85.05");
    assert_eq!(ev.row.total_milli, 85_050);
    assert_eq!(ev.row.deduction_bp, 200);
    // Two decimals in a score are refused.
    let e = evaluation::save(
        p,
        &ctx(),
        &k.city,
        &k.platform.id,
        &scores(["85.55", "80", "90", "88", "79.5", "84"]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_eval.score");
    // Not confirmed yet: nothing is deducted.
    let s = evaluation::settlement(p, &k.city, &k.platform.id, 2025)
        .await
        .unwrap();
    assert_eq!(s.deduction, "0.00");
    evaluation::confirm(p, &ctx(), &k.city, &k.platform.id, "provider", "2025-Q1")
        .await
        .unwrap();
    let s = evaluation::settlement(p, &k.city, &k.platform.id, 2025)
        .await
        .unwrap();
    let city = s.payers.iter().find(|x| x.payer == "city_finance").unwrap();
    let local = s
        .payers
        .iter()
        .find(|x| x.payer == "local_finance")
        .unwrap();
    // City: 300 元 in January and 300 元 in April; Q1 loses 2 % = 6 元.
    assert_eq!(city.billed_fen, 60_000);
    assert_eq!(city.quarters[0].deduction_fen, 600);
    assert_eq!(city.quarters[1].deduction_fen, 0, "Q2 not evaluated");
    assert_eq!(city.net_fen, 59_400);
    assert_eq!(local.billed_fen, 20_000);
    assert_eq!(local.net_fen, 19_800);
    assert_eq!(
        s.billed,
        yunwei_domain::cloud::format_fen(jan.total_fen + apr.total_fen)
    );
    assert!(s.months_missing.contains(&"2025-02".to_string()));
    // The year is over (today 2026-03-02): the bureau records it, once.
    let done = evaluation::confirm_settlement(p, &ctx(), &k.city, &k.platform.id, 2025)
        .await
        .unwrap();
    assert_eq!(done.confirmed.len(), 2);
    let e = evaluation::confirm_settlement(p, &ctx(), &k.city, &k.platform.id, 2025)
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_settlement.confirmed");
    // A confirmed evaluation is final.
    let e = evaluation::save(
        p,
        &ctx(),
        &k.city,
        &k.platform.id,
        &scores(["95", "95", "95", "95", "95", "95"]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "cloud_eval.confirmed");
    k.app.cleanup().await;
}

/// SNYP-35: 从服务响应、服务满意度、保密情况、保障情况和服务质量等方面对服务情况进行
/// 监督，并将监督结果与年度结算挂钩. Both vendors are evaluated each quarter; the
/// provider's result reduces the settlement of the units' bills, the
/// monitoring provider's is shown for its own contract.
#[tokio::test]
async fn snyp_35_quarterly_supervision_is_tied_to_the_annual_settlement() {
    let k = cloud("snyp").await;
    let p = &k.app.platform;
    let item = k
        .item("云主机vCPU", "ordinary", 333_333, "2024-01-01")
        .await;
    k.resource(&k.gov, &item, 1, "2025-07-01", None).await;
    let aug = sent_month(&k, "2025-08").await;
    let ids = [
        "response",
        "satisfaction",
        "confidentiality",
        "assurance",
        "quality",
    ];
    // The pack's indicators are SNYP's: ZMDY's 技术保障能力 is unknown here.
    let mut bad = scheme(&ids, &["20", "20", "20", "20", "20"]);
    bad.weights.insert("tech_support".into(), "0".into());
    let e = evaluation::set_scheme(p, &ctx(), &k.city, &k.platform.id, "provider", &bad)
        .await
        .unwrap_err();
    assert_eq!(e.code, "cloud_eval.indicator");
    for role in ["provider", "monitor"] {
        evaluation::set_scheme(
            p,
            &ctx(),
            &k.city,
            &k.platform.id,
            role,
            &scheme(&ids, &["20", "20", "20", "20", "20"]),
        )
        .await
        .unwrap();
        let score = if role == "provider" { "70" } else { "95" };
        evaluation::save(
            p,
            &ctx(),
            &k.city,
            &k.platform.id,
            &evaluation::EvaluationInput {
                quarter: "2025-Q3".into(),
                vendor_role: role.into(),
                scores: ids.iter().map(|i| (i.to_string(), score.into())).collect(),
                note: String::new(),
            },
        )
        .await
        .unwrap();
        evaluation::confirm(p, &ctx(), &k.city, &k.platform.id, role, "2025-Q3")
            .await
            .unwrap();
    }
    // Only the bureau evaluates.
    let e = evaluation::confirm(p, &ctx(), &k.county, &k.platform.id, "provider", "2025-Q3")
        .await
        .unwrap_err();
    assert!(matches!(
        e.kind,
        yunwei_domain::ErrorKind::Forbidden | yunwei_domain::ErrorKind::NotFound
    ));
    let s = evaluation::settlement(p, &k.city, &k.platform.id, 2025)
        .await
        .unwrap();
    let city = &s.payers[0];
    // 33.3333 元 × 31/31 = 33.33; 5 % of it = 1.6665 -> 1.67 (half away from zero).
    assert_eq!(aug.total_fen, 3_333);
    assert_eq!(city.quarters[2].deduction_bp, Some(500));
    assert_eq!(city.quarters[2].deduction_fen, 167);
    assert_eq!(city.net_fen, 3_333 - 167);
    assert_eq!(
        s.monitor,
        vec![("2025-Q3".to_string(), "95.0".to_string(), "0%".to_string())]
    );
    k.app.cleanup().await;
}

/// Two cloud managers verify the same part at once: exactly one wins (on
/// PostgreSQL with `YUNWEI_TEST_DATABASE_URL`, on SQLite otherwise).
#[tokio::test]
async fn parallel_verify_exactly_one_wins() {
    let k = cloud("snyp").await;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    for _ in 0..20 {
        k.resource(&k.gov, &item, 1, "2025-01-01", None).await;
    }
    let v = k.compute("2026-01").await.unwrap();
    let p1 = k.app.platform.clone();
    let p2 = k.app.platform.clone();
    let (a, b) = (k.city.clone(), k.city2.clone());
    let (id1, id2) = (v.run.id.clone(), v.run.id.clone());
    let t1 = tokio::spawn(async move { billing::verify(&p1, &ctx(), &a, &id1, "").await });
    let t2 = tokio::spawn(async move { billing::verify(&p2, &ctx(), &b, &id2, "").await });
    let (r1, r2) = (t1.await.unwrap(), t2.await.unwrap());
    let ok = [&r1, &r2].iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{r1:?} {r2:?}");
    let loser = if r1.is_err() { r1 } else { r2 };
    let e = loser.unwrap_err();
    assert_eq!(e.kind, yunwei_domain::ErrorKind::Conflict, "{e:?}");
    let mut c = k.app.platform.db().read().await.unwrap();
    let ver = yunwei_store::cloud_billing::verifications(&mut c, &v.run.id)
        .await
        .unwrap();
    assert_eq!(ver.len(), 1);
    drop(c);
    k.app.cleanup().await;
}

/// The pages: the city's manager computes a month, reduces a unit's fee,
/// verifies, sends to finance, downloads the Excel; a county's manager
/// verifies its own part only; the evaluation and settlement pages.
#[tokio::test]
async fn cloud_bill_pages_walk_compute_verify_send() {
    use crate::support::Browser;
    use axum::http::StatusCode;
    let k = cloud("zmdy").await;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    k.resource(&k.gov, &item, 2, "2025-01-01", None).await;
    k.resource(&k.county_unit, &item, 1, "2025-01-01", None)
        .await;
    let city = Browser::login(&k.app, "cloudcity1").await;
    let home = city.get("/").await.text();
    assert!(
        home.contains("云服务账单") && home.contains("年度结算"),
        "menu"
    );
    let list = city.get("/cloud/bills").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("云测市政务云"));
    // A month not over comes back on the page with the reason.
    let r = city
        .post(
            "/cloud/bills/compute",
            &[("platform_id", &k.platform.id), ("month", "2026-03")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("该月尚未结束"), "{}", r.text());
    // 计算全年账单: a bad year comes back with the reason; 2025 computes
    // its twelve months and the list says so.
    let r = city
        .post(
            "/cloud/bills/compute-year",
            &[("platform_id", &k.platform.id), ("year", "二〇二五")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("年度应为四位数字"), "{}", r.text());
    let r = city
        .post(
            "/cloud/bills/compute-year",
            &[("platform_id", &k.platform.id), ("year", "2025")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.header("location").unwrap().to_string();
    let page = city.get(&at).await.text();
    assert!(page.contains("已计算全年账单"), "{page}");
    assert!(
        page.contains("bill-2025-12") && page.contains("bill-2025-01"),
        "{page}"
    );
    let r = city
        .post(
            "/cloud/bills/compute",
            &[("platform_id", &k.platform.id), ("month", "2026-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.header("location").unwrap().to_string();
    let id = at
        .trim_start_matches("/cloud/bills/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = city.get(&at).await.text();
    assert!(page.contains("账单已计算"), "{page}");
    assert!(page.contains("300.00"), "the whole bill: {page}");
    assert!(page.contains("云测县大数据局 结算部分"), "{page}");
    // Ids only in form values and links, never as text.
    let text_only: String = page
        .split('<')
        .filter_map(|t| t.split_once('>').map(|(_, text)| text))
        .collect();
    assert!(!text_only.contains(&k.gov), "no bare id on the page");
    let r = city
        .post(
            &format!("/cloud/bills/{id}/adjust"),
            &[
                ("unit_org_id", &k.gov),
                ("payer", "city_finance"),
                ("kind", "reduction"),
                ("amount", "10.50"),
                ("reason", "资源利用率低"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = city.get(&format!("/cloud/bills/{id}")).await.text();
    assert!(page.contains("289.50"), "{page}");
    assert!(page.contains("资源利用率低"));
    // Excel before verification is refused.
    let r = city.get(&format!("/cloud/bills/{id}/bill.xlsx")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = city
        .post(
            &format!("/cloud/bills/{id}/verify"),
            &[("settler_org_id", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let county = Browser::login(&k.app, "cloudcounty1").await;
    let page = county.get(&format!("/cloud/bills/{id}")).await.text();
    assert!(page.contains("云测县大数据局 结算部分"), "{page}");
    assert!(!page.contains("云测市大数据局 结算部分"), "{page}");
    let r = county
        .post(
            &format!("/cloud/bills/{id}/verify"),
            &[("settler_org_id", &k.county_bureau)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = city.post(&format!("/cloud/bills/{id}/send"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = city.get(&format!("/cloud/bills/{id}")).await.text();
    assert!(page.contains("已报送财政"));
    let x = city.get(&format!("/cloud/bills/{id}/bill.xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.starts_with(b"PK"));
    // The county's manager does not send, and does not evaluate.
    let r = county.post(&format!("/cloud/bills/{id}/send"), &[]).await;
    assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::CONFLICT);
    let ev = city.get("/cloud/evaluations").await;
    assert_eq!(ev.status, StatusCode::OK);
    assert!(ev.text().contains("技术保障能力"), "ZMDY-39's indicators");
    let st = city.get("/cloud/settlement?year=2026").await;
    assert_eq!(st.status, StatusCode::OK);
    assert!(st.text().contains("结算"), "{}", st.text());
    // Someone without CloudManage gets no menu entry and a refusal.
    let other = Browser::login(&k.app, "sysadmin").await;
    let r = other.get("/cloud/bills").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    k.app.cleanup().await;
}

/// The API: compute, read, verify, send, the documents.
#[tokio::test]
async fn cloud_bill_api_compute_verify_send() {
    use axum::http::StatusCode;
    let k = cloud("snyp").await;
    let item = k
        .item("云主机vCPU", "ordinary", 1_000_000, "2025-01-01")
        .await;
    k.resource(&k.gov, &item, 2, "2025-01-01", None).await;
    let token = k.app.login("cloudcity1").await;
    let r = k
        .app
        .post_json(
            "/api/v1/cloud/bills",
            Some(&token),
            serde_json::json!({ "platform_id": k.platform.id, "month": "2026-01" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["total_fen"], 20_000);
    let id = v["id"].as_str().unwrap().to_string();
    // The year at once (ZMDY-36): the twelve months of 2025.
    let r = k
        .app
        .post_json(
            "/api/v1/cloud/bills/year",
            Some(&token),
            serde_json::json!({ "platform_id": k.platform.id, "year": 2025 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let y = r.json();
    assert_eq!(y["runs"].as_array().unwrap().len(), 12);
    assert_eq!(y["runs"][1]["month"], "2025-02");
    assert_eq!(y["runs"][1]["total_fen"], 20_000);
    assert!(y["frozen"].as_array().unwrap().is_empty());
    let r = k
        .app
        .get(
            &format!("/api/v1/cloud/bills?platform_id={}", k.platform.id),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()[0]["month"], "2026-01");
    let r = k
        .app
        .post_json(
            &format!("/api/v1/cloud/bills/{id}/adjustments"),
            Some(&token),
            serde_json::json!({
                "unit_org_id": k.gov, "payer": "city_finance", "kind": "rate_cut",
                "rate": "5", "reason": "参考省级费率下调"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["total_fen"], 19_000);
    let r = k
        .app
        .post_json(
            &format!("/api/v1/cloud/bills/{id}/verify"),
            Some(&token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "verified");
    let r = k
        .app
        .post_json(
            &format!("/api/v1/cloud/bills/{id}/send"),
            Some(&token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = k
        .app
        .get(&format!("/api/v1/cloud/bills/{id}/bill.xlsx"), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = k
        .app
        .get(
            &format!("/api/v1/cloud/platforms/{}/settlements/2026", k.platform.id),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["billed"], "190.00");
    // Another role is refused.
    let admin = k.app.login("sysadmin").await;
    let r = k
        .app
        .get(&format!("/api/v1/cloud/bills/{id}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    k.app.cleanup().await;
}

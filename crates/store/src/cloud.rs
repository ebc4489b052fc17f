//! The government cloud's shared tables (migration 22, ADR 0016): the
//! platforms a city runs and the units on them. Systems, resources and the
//! catalogue have their own functions below; utilisation, bills and
//! evaluations live in their own modules.

use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

/// One city's government cloud: the pack that governs it, the competent
/// department (its cloud managers' scope), the region whose units it
/// serves, its provider and, under SNYP, its monitoring provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PlatformRow {
    pub id: String,
    pub name: String,
    pub pack_id: String,
    pub bureau_org_id: String,
    pub bureau_path: String,
    pub region_path: String,
    pub provider_org_id: String,
    pub monitor_org_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const PLATFORM_COLS: [&str; 10] = [
    "id",
    "name",
    "pack_id",
    "bureau_org_id",
    "bureau_path",
    "region_path",
    "provider_org_id",
    "monitor_org_id",
    "created_at",
    "updated_at",
];

fn platform_from_row(r: &AnyRow) -> Result<PlatformRow, AppError> {
    Ok(PlatformRow {
        id: r.s("id")?,
        name: r.s("name")?,
        pack_id: r.s("pack_id")?,
        bureau_org_id: r.s("bureau_org_id")?,
        bureau_path: r.s("bureau_path")?,
        region_path: r.s("region_path")?,
        provider_org_id: r.s("provider_org_id")?,
        monitor_org_id: r.os("monitor_org_id")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

pub async fn insert_platform(c: &mut DbConn, p: &PlatformRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_platforms")
            .columns(PLATFORM_COLS)
            .values_panic([
                p.id.clone().into(),
                p.name.clone().into(),
                p.pack_id.clone().into(),
                p.bureau_org_id.clone().into(),
                p.bureau_path.clone().into(),
                p.region_path.clone().into(),
                p.provider_org_id.clone().into(),
                p.monitor_org_id.clone().into(),
                p.created_at.into(),
                p.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_platform(c: &mut DbConn, id: &str) -> Result<Option<PlatformRow>, AppError> {
    let q = Query::select()
        .columns(PLATFORM_COLS)
        .from("cloud_platforms")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(platform_from_row)
        .transpose()
}

/// Every platform, by name (a handful per installation).
pub async fn platforms(c: &mut DbConn) -> Result<Vec<PlatformRow>, AppError> {
    let q = Query::select()
        .columns(PLATFORM_COLS)
        .from("cloud_platforms")
        .order_by("name", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(platform_from_row).collect()
}

/// A unit on the cloud: its level and funding decide who pays (SNYP-17);
/// `local_finance_pays` is the county's or park's own funding order;
/// `county_bureau_org_id` reviews its applications first (ZMDY-14).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UnitRow {
    pub org_id: String,
    pub org_path: String,
    pub platform_id: String,
    pub level: String,
    pub funding: String,
    pub local_finance_pays: bool,
    pub county_bureau_org_id: Option<String>,
    pub updated_at: i64,
    pub version: i64,
}

const UNIT_COLS: [&str; 9] = [
    "org_id",
    "org_path",
    "platform_id",
    "level",
    "funding",
    "local_finance_pays",
    "county_bureau_org_id",
    "updated_at",
    "version",
];

fn unit_from_row(r: &AnyRow) -> Result<UnitRow, AppError> {
    Ok(UnitRow {
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        platform_id: r.s("platform_id")?,
        level: r.s("level")?,
        funding: r.s("funding")?,
        local_finance_pays: r.i("local_finance_pays")? != 0,
        county_bureau_org_id: r.os("county_bureau_org_id")?,
        updated_at: r.i("updated_at")?,
        version: r.i("version")?,
    })
}

pub async fn insert_unit(c: &mut DbConn, u: &UnitRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_units")
            .columns(UNIT_COLS)
            .values_panic([
                u.org_id.clone().into(),
                u.org_path.clone().into(),
                u.platform_id.clone().into(),
                u.level.clone().into(),
                u.funding.clone().into(),
                i64::from(u.local_finance_pays).into(),
                u.county_bureau_org_id.clone().into(),
                u.updated_at.into(),
                u.version.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Updates a unit's profile, guarded by the version read.
pub async fn update_unit(c: &mut DbConn, u: &UnitRow, read_version: i64) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_units")
                .values([
                    ("level", u.level.clone().into()),
                    ("funding", u.funding.clone().into()),
                    ("local_finance_pays", i64::from(u.local_finance_pays).into()),
                    (
                        "county_bureau_org_id",
                        u.county_bureau_org_id.clone().into(),
                    ),
                    ("updated_at", u.updated_at.into()),
                    ("version", (read_version + 1).into()),
                ])
                .and_where(Expr::col("org_id").eq(&u.org_id))
                .and_where(Expr::col("version").eq(read_version))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_unit(c: &mut DbConn, org_id: &str) -> Result<Option<UnitRow>, AppError> {
    let q = Query::select()
        .columns(UNIT_COLS)
        .from("cloud_units")
        .and_where(Expr::col("org_id").eq(org_id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(unit_from_row)
        .transpose()
}

/// The units of a platform in `scope`, by path.
pub async fn units(
    c: &mut DbConn,
    platform_id: &str,
    scope: &Scope,
) -> Result<Vec<UnitRow>, AppError> {
    let q = Query::select()
        .columns(UNIT_COLS)
        .from("cloud_units")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .cond_where(scope.condition("org_path"))
        .order_by("org_path", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(unit_from_row).collect()
}

/// The platforms whose provider or monitor is the organisation `org_id`.
pub async fn platforms_of_vendor(
    c: &mut DbConn,
    org_id: &str,
) -> Result<Vec<PlatformRow>, AppError> {
    let q = Query::select()
        .columns(PLATFORM_COLS)
        .from("cloud_platforms")
        .cond_where(
            Cond::any()
                .add(Expr::col("provider_org_id").eq(org_id))
                .add(Expr::col("monitor_org_id").eq(org_id)),
        )
        .order_by("name", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(platform_from_row).collect()
}

/// Updates a platform's editable fields, guarded by the `updated_at` read.
pub async fn update_platform(
    c: &mut DbConn,
    p: &PlatformRow,
    read_updated_at: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_platforms")
                .values([
                    ("name", p.name.clone().into()),
                    ("pack_id", p.pack_id.clone().into()),
                    ("bureau_org_id", p.bureau_org_id.clone().into()),
                    ("bureau_path", p.bureau_path.clone().into()),
                    ("region_path", p.region_path.clone().into()),
                    ("provider_org_id", p.provider_org_id.clone().into()),
                    ("monitor_org_id", p.monitor_org_id.clone().into()),
                    ("updated_at", p.updated_at.into()),
                ])
                .and_where(Expr::col("id").eq(&p.id))
                .and_where(Expr::col("updated_at").eq(read_updated_at))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

// ------------------------------------------------------------ catalogue

/// One item of a platform's service catalogue (ZMDY-34, SNYP-7), in force
/// over `[valid_from, valid_to]` (days, `YYYY-MM-DD`; `valid_to` None:
/// open-ended).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CatalogueItemRow {
    pub id: String,
    pub platform_id: String,
    pub code: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub mode: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ITEM_COLS: [&str; 12] = [
    "id",
    "platform_id",
    "code",
    "name",
    "category",
    "unit",
    "mode",
    "valid_from",
    "valid_to",
    "source",
    "created_at",
    "updated_at",
];

fn item_from_row(r: &AnyRow) -> Result<CatalogueItemRow, AppError> {
    Ok(CatalogueItemRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        code: r.s("code")?,
        name: r.s("name")?,
        category: r.s("category")?,
        unit: r.s("unit")?,
        mode: r.s("mode")?,
        valid_from: r.s("valid_from")?,
        valid_to: r.os("valid_to")?,
        source: r.s("source")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

pub async fn insert_item(c: &mut DbConn, i: &CatalogueItemRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_catalogue_items")
            .columns(ITEM_COLS)
            .values_panic([
                i.id.clone().into(),
                i.platform_id.clone().into(),
                i.code.clone().into(),
                i.name.clone().into(),
                i.category.clone().into(),
                i.unit.clone().into(),
                i.mode.clone().into(),
                i.valid_from.clone().into(),
                i.valid_to.clone().into(),
                i.source.clone().into(),
                i.created_at.into(),
                i.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Updates an item's name, unit, validity and source (its code, category
/// and mode stay), guarded by the `updated_at` read.
pub async fn update_item(
    c: &mut DbConn,
    i: &CatalogueItemRow,
    read_updated_at: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_catalogue_items")
                .values([
                    ("name", i.name.clone().into()),
                    ("unit", i.unit.clone().into()),
                    ("valid_from", i.valid_from.clone().into()),
                    ("valid_to", i.valid_to.clone().into()),
                    ("source", i.source.clone().into()),
                    ("updated_at", i.updated_at.into()),
                ])
                .and_where(Expr::col("id").eq(&i.id))
                .and_where(Expr::col("updated_at").eq(read_updated_at))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_item(c: &mut DbConn, id: &str) -> Result<Option<CatalogueItemRow>, AppError> {
    let q = Query::select()
        .columns(ITEM_COLS)
        .from("cloud_catalogue_items")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
}

pub async fn item_by_code(
    c: &mut DbConn,
    platform_id: &str,
    code: &str,
) -> Result<Option<CatalogueItemRow>, AppError> {
    let q = Query::select()
        .columns(ITEM_COLS)
        .from("cloud_catalogue_items")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("code").eq(code))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
}

/// The catalogue of a platform, by code (a catalogue has tens of items;
/// capped at `limit`). With `in_force_on`, only the items valid that day.
pub async fn items(
    c: &mut DbConn,
    platform_id: &str,
    in_force_on: Option<&str>,
    limit: u64,
) -> Result<Vec<CatalogueItemRow>, AppError> {
    let mut q = Query::select();
    q.columns(ITEM_COLS)
        .from("cloud_catalogue_items")
        .and_where(Expr::col("platform_id").eq(platform_id));
    if let Some(day) = in_force_on {
        q.and_where(Expr::col("valid_from").lte(day)).cond_where(
            Cond::any()
                .add(Expr::col("valid_to").is_null())
                .add(Expr::col("valid_to").gte(day)),
        );
    }
    q.order_by("code", Order::Asc).limit(limit);
    c.all(&q).await?.iter().map(item_from_row).collect()
}

/// One price of an item from a day on (append-only): the price on day D
/// is the row with the greatest `effective_from <= D`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CloudPriceRow {
    pub id: String,
    pub item_id: String,
    /// 0.0001 元 per unit per month.
    pub price_e4: i64,
    pub effective_from: String,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
}

const PRICE_COLS: [&str; 7] = [
    "id",
    "item_id",
    "price_e4",
    "effective_from",
    "note",
    "created_by",
    "created_at",
];

fn price_from_row(r: &AnyRow) -> Result<CloudPriceRow, AppError> {
    Ok(CloudPriceRow {
        id: r.s("id")?,
        item_id: r.s("item_id")?,
        price_e4: r.i("price_e4")?,
        effective_from: r.s("effective_from")?,
        note: r.s("note")?,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
    })
}

/// Appends a price. False when the item already has a price from that day
/// (prices are never edited).
pub async fn insert_price(c: &mut DbConn, p: &CloudPriceRow) -> Result<bool, AppError> {
    if price_from(c, &p.item_id, &p.effective_from)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    c.exec(
        &Query::insert()
            .into_table("cloud_prices")
            .columns(PRICE_COLS)
            .values_panic([
                p.id.clone().into(),
                p.item_id.clone().into(),
                p.price_e4.into(),
                p.effective_from.clone().into(),
                p.note.clone().into(),
                p.created_by.clone().into(),
                p.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(true)
}

async fn price_from(
    c: &mut DbConn,
    item_id: &str,
    day: &str,
) -> Result<Option<CloudPriceRow>, AppError> {
    let q = Query::select()
        .columns(PRICE_COLS)
        .from("cloud_prices")
        .and_where(Expr::col("item_id").eq(item_id))
        .and_where(Expr::col("effective_from").eq(day))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(price_from_row)
        .transpose()
}

/// The price of an item in force on `day` (`YYYY-MM-DD`), if any.
pub async fn price_on(
    c: &mut DbConn,
    item_id: &str,
    day: &str,
) -> Result<Option<CloudPriceRow>, AppError> {
    let q = Query::select()
        .columns(PRICE_COLS)
        .from("cloud_prices")
        .and_where(Expr::col("item_id").eq(item_id))
        .and_where(Expr::col("effective_from").lte(day))
        .order_by("effective_from", Order::Desc)
        .limit(1)
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(price_from_row)
        .transpose()
}

/// Every price of an item, the latest first.
pub async fn prices(c: &mut DbConn, item_id: &str) -> Result<Vec<CloudPriceRow>, AppError> {
    let q = Query::select()
        .columns(PRICE_COLS)
        .from("cloud_prices")
        .and_where(Expr::col("item_id").eq(item_id))
        .order_by("effective_from", Order::Desc)
        .limit(1000)
        .to_owned();
    c.all(&q).await?.iter().map(price_from_row).collect()
}

// -------------------------------------------------------------- systems

/// One 上云系统 of a unit (ADR 0016).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SystemRow {
    pub id: String,
    pub platform_id: String,
    pub org_id: String,
    pub org_path: String,
    pub name: String,
    pub ci_id: Option<String>,
    pub dengbao_level: i64,
    pub miping: String,
    pub important: bool,
    pub nda_ref: String,
    pub state: String,
    pub trial_started_on: Option<String>,
    pub online_on: Option<String>,
    pub exit_approved_on: Option<String>,
    pub reclaimed_on: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

const SYSTEM_COLS: [&str; 19] = [
    "id",
    "platform_id",
    "org_id",
    "org_path",
    "name",
    "ci_id",
    "dengbao_level",
    "miping",
    "important",
    "nda_ref",
    "state",
    "trial_started_on",
    "online_on",
    "exit_approved_on",
    "reclaimed_on",
    "created_by",
    "created_at",
    "updated_at",
    "version",
];

fn system_from_row(r: &AnyRow) -> Result<SystemRow, AppError> {
    Ok(SystemRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        name: r.s("name")?,
        ci_id: r.os("ci_id")?,
        dengbao_level: r.i("dengbao_level")?,
        miping: r.s("miping")?,
        important: r.i("important")? != 0,
        nda_ref: r.s("nda_ref")?,
        state: r.s("state")?,
        trial_started_on: r.os("trial_started_on")?,
        online_on: r.os("online_on")?,
        exit_approved_on: r.os("exit_approved_on")?,
        reclaimed_on: r.os("reclaimed_on")?,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
        version: r.i("version")?,
    })
}

pub async fn insert_system(c: &mut DbConn, s: &SystemRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_systems")
            .columns(SYSTEM_COLS)
            .values_panic([
                s.id.clone().into(),
                s.platform_id.clone().into(),
                s.org_id.clone().into(),
                s.org_path.clone().into(),
                s.name.clone().into(),
                s.ci_id.clone().into(),
                s.dengbao_level.into(),
                s.miping.clone().into(),
                i64::from(s.important).into(),
                s.nda_ref.clone().into(),
                s.state.clone().into(),
                s.trial_started_on.clone().into(),
                s.online_on.clone().into(),
                s.exit_approved_on.clone().into(),
                s.reclaimed_on.clone().into(),
                s.created_by.clone().into(),
                s.created_at.into(),
                s.updated_at.into(),
                s.version.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Writes every mutable field of a system, guarded by the version read;
/// the stored version becomes `read_version + 1`.
pub async fn update_system(
    c: &mut DbConn,
    s: &SystemRow,
    read_version: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_systems")
                .values([
                    ("name", s.name.clone().into()),
                    ("ci_id", s.ci_id.clone().into()),
                    ("dengbao_level", s.dengbao_level.into()),
                    ("miping", s.miping.clone().into()),
                    ("important", i64::from(s.important).into()),
                    ("nda_ref", s.nda_ref.clone().into()),
                    ("state", s.state.clone().into()),
                    ("trial_started_on", s.trial_started_on.clone().into()),
                    ("online_on", s.online_on.clone().into()),
                    ("exit_approved_on", s.exit_approved_on.clone().into()),
                    ("reclaimed_on", s.reclaimed_on.clone().into()),
                    ("updated_at", s.updated_at.into()),
                    ("version", (read_version + 1).into()),
                ])
                .and_where(Expr::col("id").eq(&s.id))
                .and_where(Expr::col("version").eq(read_version))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_system(c: &mut DbConn, id: &str) -> Result<Option<SystemRow>, AppError> {
    let q = Query::select()
        .columns(SYSTEM_COLS)
        .from("cloud_systems")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(system_from_row)
        .transpose()
}

/// The system of a CMDB item that is not reclaimed (the latest if several).
pub async fn system_of_ci(c: &mut DbConn, ci_id: &str) -> Result<Option<SystemRow>, AppError> {
    let q = Query::select()
        .columns(SYSTEM_COLS)
        .from("cloud_systems")
        .and_where(Expr::col("ci_id").eq(ci_id))
        .and_where(Expr::col("state").ne("reclaimed"))
        .order_by("created_at", Order::Desc)
        .limit(1)
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(system_from_row)
        .transpose()
}

/// What the systems list filters by.
#[derive(Debug, Clone, Default)]
pub struct SystemFilter {
    pub platform_id: Option<String>,
    /// This organisation's path and below.
    pub org_path: Option<String>,
    pub state: Option<String>,
    /// Keyset: systems updated before this (`updated_at`, `id`).
    pub before: Option<(i64, String)>,
}

/// The systems in `scope` or on one of `vendor_platforms` (whose provider
/// or monitor the caller works for), the latest updated first, at most
/// `limit`.
pub async fn systems(
    c: &mut DbConn,
    scope: &Scope,
    vendor_platforms: &[String],
    f: &SystemFilter,
    limit: u64,
) -> Result<Vec<SystemRow>, AppError> {
    let mut vis = Cond::any().add(scope.condition("org_path"));
    if !vendor_platforms.is_empty() {
        vis = vis.add(Expr::col("platform_id").is_in(vendor_platforms.iter().cloned()));
    }
    let mut q = Query::select();
    q.columns(SYSTEM_COLS).from("cloud_systems").cond_where(vis);
    if let Some(pl) = &f.platform_id {
        q.and_where(Expr::col("platform_id").eq(pl.clone()));
    }
    if let Some(path) = &f.org_path {
        q.cond_where(Scope::ranges(vec![(path.clone(), true)]).condition("org_path"));
    }
    if let Some(s) = &f.state {
        q.and_where(Expr::col("state").eq(s.clone()));
    }
    if let Some((at, id)) = &f.before {
        q.cond_where(
            Cond::any().add(Expr::col("updated_at").lt(*at)).add(
                Cond::all()
                    .add(Expr::col("updated_at").eq(*at))
                    .add(Expr::col("id").lt(id.clone())),
            ),
        );
    }
    q.order_by("updated_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit);
    c.all(&q).await?.iter().map(system_from_row).collect()
}

// ------------------------------------------------------------ resources

/// One quantity of one catalogue item over `[from_day, to_day)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ResourceRow {
    pub id: String,
    pub system_id: String,
    pub platform_id: String,
    pub org_path: String,
    pub item_id: String,
    pub quantity: i64,
    pub state: String,
    pub from_day: Option<String>,
    pub to_day: Option<String>,
    pub replaces_id: Option<String>,
    pub ticket_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const RES_COLS: [&str; 13] = [
    "id",
    "system_id",
    "platform_id",
    "org_path",
    "item_id",
    "quantity",
    "state",
    "from_day",
    "to_day",
    "replaces_id",
    "ticket_id",
    "created_at",
    "updated_at",
];

fn res_from_row(r: &AnyRow) -> Result<ResourceRow, AppError> {
    Ok(ResourceRow {
        id: r.s("id")?,
        system_id: r.s("system_id")?,
        platform_id: r.s("platform_id")?,
        org_path: r.s("org_path")?,
        item_id: r.s("item_id")?,
        quantity: r.i("quantity")?,
        state: r.s("state")?,
        from_day: r.os("from_day")?,
        to_day: r.os("to_day")?,
        replaces_id: r.os("replaces_id")?,
        ticket_id: r.os("ticket_id")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

pub async fn insert_resource(c: &mut DbConn, r: &ResourceRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_resources")
            .columns(RES_COLS)
            .values_panic([
                r.id.clone().into(),
                r.system_id.clone().into(),
                r.platform_id.clone().into(),
                r.org_path.clone().into(),
                r.item_id.clone().into(),
                r.quantity.into(),
                r.state.clone().into(),
                r.from_day.clone().into(),
                r.to_day.clone().into(),
                r.replaces_id.clone().into(),
                r.ticket_id.clone().into(),
                r.created_at.into(),
                r.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Moves a resource row on, guarded by the state and `updated_at` read.
pub async fn update_resource(
    c: &mut DbConn,
    r: &ResourceRow,
    read: (&str, i64),
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_resources")
                .values([
                    ("quantity", r.quantity.into()),
                    ("state", r.state.clone().into()),
                    ("from_day", r.from_day.clone().into()),
                    ("to_day", r.to_day.clone().into()),
                    ("ticket_id", r.ticket_id.clone().into()),
                    ("updated_at", r.updated_at.into()),
                ])
                .and_where(Expr::col("id").eq(&r.id))
                .and_where(Expr::col("state").eq(read.0))
                .and_where(Expr::col("updated_at").eq(read.1))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_resource(c: &mut DbConn, id: &str) -> Result<Option<ResourceRow>, AppError> {
    let q = Query::select()
        .columns(RES_COLS)
        .from("cloud_resources")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(res_from_row).transpose()
}

/// Every resource row of a system (its history), oldest first; a system
/// has at most a few hundred rows, capped at 2000.
pub async fn resources_of(c: &mut DbConn, system_id: &str) -> Result<Vec<ResourceRow>, AppError> {
    let q = Query::select()
        .columns(RES_COLS)
        .from("cloud_resources")
        .and_where(Expr::col("system_id").eq(system_id))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(2000)
        .to_owned();
    c.all(&q).await?.iter().map(res_from_row).collect()
}

// --------------------------------------------------------------- events

/// One state change of a system, with its ticket and actor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SystemEventRow {
    pub id: String,
    pub system_id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub kind: String,
    pub ticket_id: Option<String>,
    pub state_before: String,
    pub state_after: String,
    pub note: String,
}

const EVENT_COLS: [&str; 9] = [
    "id",
    "system_id",
    "at",
    "actor_id",
    "kind",
    "ticket_id",
    "state_before",
    "state_after",
    "note",
];

pub async fn insert_event(c: &mut DbConn, e: &SystemEventRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_system_events")
            .columns(EVENT_COLS)
            .values_panic([
                e.id.clone().into(),
                e.system_id.clone().into(),
                e.at.into(),
                e.actor_id.clone().into(),
                e.kind.clone().into(),
                e.ticket_id.clone().into(),
                e.state_before.clone().into(),
                e.state_after.clone().into(),
                e.note.clone().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A system's events, oldest first (capped at 2000).
pub async fn events_of(c: &mut DbConn, system_id: &str) -> Result<Vec<SystemEventRow>, AppError> {
    let q = Query::select()
        .columns(EVENT_COLS)
        .from("cloud_system_events")
        .and_where(Expr::col("system_id").eq(system_id))
        .order_by("at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(2000)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(SystemEventRow {
                id: r.s("id")?,
                system_id: r.s("system_id")?,
                at: r.i("at")?,
                actor_id: r.os("actor_id")?,
                kind: r.s("kind")?,
                ticket_id: r.os("ticket_id")?,
                state_before: r.s("state_before")?,
                state_after: r.s("state_after")?,
                note: r.s("note")?,
            })
        })
        .collect()
}

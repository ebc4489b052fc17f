//! The government cloud's shared tables (migration 22, ADR 0016): the
//! platforms a city runs and the units on them. Systems, resources and the
//! catalogue have their own functions below; utilisation, bills and
//! evaluations live in their own modules.

use sea_query::{Expr, ExprTrait, Order, Query};
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

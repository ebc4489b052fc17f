//! The government cloud's duties (migration 25, issue 14 item 6): the
//! reports filed against a pack's `[[duty]]` entries (one row per filing,
//! naming the period it answers), the security commitments of units and
//! providers (ZMDY-40) and the bureau's supervision scores of units
//! (SNYP-32). Files live in the content-addressed store, named by SM3.

use sea_query::{Expr, ExprTrait, Func, OnConflict, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

/// One report filed against a duty's period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub id: String,
    pub platform_id: String,
    pub duty_id: String,
    /// The unit, for a duty every unit owes.
    pub unit_org_id: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub filename: String,
    pub sm3: String,
    pub size: i64,
    pub note: String,
    /// The organisation of the party that filed it.
    pub org_id: String,
    pub org_path: String,
    pub filed_by: String,
    pub filed_at: i64,
}

const REPORT_COLS: [&str; 14] = [
    "id",
    "platform_id",
    "duty_id",
    "unit_org_id",
    "period_start",
    "period_end",
    "filename",
    "sm3",
    "size",
    "note",
    "org_id",
    "org_path",
    "filed_by",
    "filed_at",
];

fn report_from_row(r: &AnyRow) -> Result<ReportRow, AppError> {
    Ok(ReportRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        duty_id: r.s("duty_id")?,
        unit_org_id: r.os("unit_org_id")?,
        period_start: r.s("period_start")?,
        period_end: r.s("period_end")?,
        filename: r.s("filename")?,
        sm3: r.s("sm3")?,
        size: r.i("size")?,
        note: r.s("note")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        filed_by: r.s("filed_by")?,
        filed_at: r.i("filed_at")?,
    })
}

pub async fn insert_report(c: &mut DbConn, r: &ReportRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_duty_reports")
            .columns(REPORT_COLS)
            .values_panic([
                r.id.clone().into(),
                r.platform_id.clone().into(),
                r.duty_id.clone().into(),
                r.unit_org_id.clone().into(),
                r.period_start.clone().into(),
                r.period_end.clone().into(),
                r.filename.clone().into(),
                r.sm3.clone().into(),
                r.size.into(),
                r.note.clone().into(),
                r.org_id.clone().into(),
                r.org_path.clone().into(),
                r.filed_by.clone().into(),
                r.filed_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_report(c: &mut DbConn, id: &str) -> Result<Option<ReportRow>, AppError> {
    let q = Query::select()
        .columns(REPORT_COLS)
        .from("cloud_duty_reports")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(report_from_row)
        .transpose()
}

/// How many reports answer one period of a duty (of one unit, for a
/// unit's duty).
pub async fn count_for_period(
    c: &mut DbConn,
    platform_id: &str,
    duty_id: &str,
    unit_org_id: Option<&str>,
    period_start: &str,
) -> Result<i64, AppError> {
    let mut q = Query::select()
        .expr_as(Func::count(Expr::col("id")), "n")
        .from("cloud_duty_reports")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("duty_id").eq(duty_id))
        .and_where(Expr::col("period_start").eq(period_start))
        .to_owned();
    match unit_org_id {
        Some(u) => q.and_where(Expr::col("unit_org_id").eq(u)),
        None => q.and_where(Expr::col("unit_org_id").is_null()),
    };
    c.one(&q).await?.i("n")
}

/// The reports of a platform, newest first (at most `limit`).
pub async fn reports(
    c: &mut DbConn,
    platform_id: &str,
    limit: u64,
) -> Result<Vec<ReportRow>, AppError> {
    let q = Query::select()
        .columns(REPORT_COLS)
        .from("cloud_duty_reports")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .order_by("filed_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(report_from_row).collect()
}

/// A signed security commitment (安全承诺书, ZMDY-40).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CommitmentRow {
    pub id: String,
    pub platform_id: String,
    pub party_org_id: String,
    pub party_path: String,
    /// `unit`, `provider` or `monitor`.
    pub party_kind: String,
    /// The day it was signed (`YYYY-MM-DD`).
    pub signed_on: String,
    pub filename: String,
    pub sm3: String,
    pub size: i64,
    pub note: String,
    pub filed_by: String,
    pub filed_at: i64,
}

const COMMITMENT_COLS: [&str; 12] = [
    "id",
    "platform_id",
    "party_org_id",
    "party_path",
    "party_kind",
    "signed_on",
    "filename",
    "sm3",
    "size",
    "note",
    "filed_by",
    "filed_at",
];

fn commitment_from_row(r: &AnyRow) -> Result<CommitmentRow, AppError> {
    Ok(CommitmentRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        party_org_id: r.s("party_org_id")?,
        party_path: r.s("party_path")?,
        party_kind: r.s("party_kind")?,
        signed_on: r.s("signed_on")?,
        filename: r.s("filename")?,
        sm3: r.s("sm3")?,
        size: r.i("size")?,
        note: r.s("note")?,
        filed_by: r.s("filed_by")?,
        filed_at: r.i("filed_at")?,
    })
}

pub async fn insert_commitment(c: &mut DbConn, r: &CommitmentRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_commitments")
            .columns(COMMITMENT_COLS)
            .values_panic([
                r.id.clone().into(),
                r.platform_id.clone().into(),
                r.party_org_id.clone().into(),
                r.party_path.clone().into(),
                r.party_kind.clone().into(),
                r.signed_on.clone().into(),
                r.filename.clone().into(),
                r.sm3.clone().into(),
                r.size.into(),
                r.note.clone().into(),
                r.filed_by.clone().into(),
                r.filed_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The commitments of a platform, newest signature first.
pub async fn commitments(
    c: &mut DbConn,
    platform_id: &str,
) -> Result<Vec<CommitmentRow>, AppError> {
    let q = Query::select()
        .columns(COMMITMENT_COLS)
        .from("cloud_commitments")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .order_by("signed_on", Order::Desc)
        .order_by("filed_at", Order::Desc)
        .to_owned();
    c.all(&q).await?.iter().map(commitment_from_row).collect()
}

pub async fn get_commitment(c: &mut DbConn, id: &str) -> Result<Option<CommitmentRow>, AppError> {
    let q = Query::select()
        .columns(COMMITMENT_COLS)
        .from("cloud_commitments")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(commitment_from_row)
        .transpose()
}

/// A unit's supervision scores of one year (SNYP-32), each 0-100.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ScoreRow {
    pub id: String,
    pub platform_id: String,
    pub unit_org_id: String,
    pub unit_path: String,
    pub year: i64,
    /// 应用系统整合共享.
    pub integration: i64,
    /// 迁移上云.
    pub migration: i64,
    /// 政务云资源利用率.
    pub utilisation: i64,
    /// 应用系统安全等级保护实施.
    pub dengbao: i64,
    pub note: String,
    pub scored_by: String,
    pub scored_at: i64,
    pub version: i64,
}

const SCORE_COLS: [&str; 13] = [
    "id",
    "platform_id",
    "unit_org_id",
    "unit_path",
    "year",
    "integration",
    "migration",
    "utilisation",
    "dengbao",
    "note",
    "scored_by",
    "scored_at",
    "version",
];

fn score_from_row(r: &AnyRow) -> Result<ScoreRow, AppError> {
    Ok(ScoreRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        unit_org_id: r.s("unit_org_id")?,
        unit_path: r.s("unit_path")?,
        year: r.i("year")?,
        integration: r.i("integration")?,
        migration: r.i("migration")?,
        utilisation: r.i("utilisation")?,
        dengbao: r.i("dengbao")?,
        note: r.s("note")?,
        scored_by: r.s("scored_by")?,
        scored_at: r.i("scored_at")?,
        version: r.i("version")?,
    })
}

/// Records a unit's scores of a year, replacing the earlier ones of the
/// same year (the version counts the entries).
pub async fn upsert_score(c: &mut DbConn, r: &ScoreRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_unit_scores")
            .columns(SCORE_COLS)
            .values_panic([
                r.id.clone().into(),
                r.platform_id.clone().into(),
                r.unit_org_id.clone().into(),
                r.unit_path.clone().into(),
                r.year.into(),
                r.integration.into(),
                r.migration.into(),
                r.utilisation.into(),
                r.dengbao.into(),
                r.note.clone().into(),
                r.scored_by.clone().into(),
                r.scored_at.into(),
                r.version.into(),
            ])
            .on_conflict(
                OnConflict::columns(["platform_id", "unit_org_id", "year"])
                    .update_columns([
                        "integration",
                        "migration",
                        "utilisation",
                        "dengbao",
                        "note",
                        "scored_by",
                        "scored_at",
                        "version",
                    ])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_score(
    c: &mut DbConn,
    platform_id: &str,
    unit_org_id: &str,
    year: i64,
) -> Result<Option<ScoreRow>, AppError> {
    let q = Query::select()
        .columns(SCORE_COLS)
        .from("cloud_unit_scores")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("unit_org_id").eq(unit_org_id))
        .and_where(Expr::col("year").eq(year))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(score_from_row)
        .transpose()
}

/// The scores of a platform's units in a year, by unit path.
pub async fn scores(
    c: &mut DbConn,
    platform_id: &str,
    year: i64,
) -> Result<Vec<ScoreRow>, AppError> {
    let q = Query::select()
        .columns(SCORE_COLS)
        .from("cloud_unit_scores")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("year").eq(year))
        .order_by("unit_path", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(score_from_row).collect()
}

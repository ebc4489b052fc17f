//! The working-day calendar: listed days of the holiday notices (merged by
//! date) and the imported notice years. Tiny tables, loaded whole.

use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};

/// One listed date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDayRow {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// true: rest day; false: make-up working day.
    pub off_day: bool,
    pub name: String,
    /// The notice year whose file lists the date.
    pub year: i64,
}

/// One imported notice year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYearRow {
    pub year: i64,
    /// JSON array of the notice addresses; `[]` = not announced.
    pub papers: String,
    pub imported_at: i64,
    /// Where the data came from (built-in, a user, the command line).
    pub source: String,
}

/// Every listed date, in date order.
pub async fn days(c: &mut DbConn) -> Result<Vec<CalendarDayRow>, AppError> {
    select_days(c, None).await
}

/// The dates listed by the file of `year`, in date order.
pub async fn days_of_year(c: &mut DbConn, year: i64) -> Result<Vec<CalendarDayRow>, AppError> {
    select_days(c, Some(year)).await
}

async fn select_days(c: &mut DbConn, year: Option<i64>) -> Result<Vec<CalendarDayRow>, AppError> {
    let mut q = Query::select();
    q.columns(["date", "off_day", "name", "year"])
        .from("calendar_days")
        .order_by("date", Order::Asc);
    if let Some(y) = year {
        q.and_where(Expr::col("year").eq(y));
    }
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(CalendarDayRow {
                date: r.s("date")?,
                off_day: r.i("off_day")? != 0,
                name: r.s("name")?,
                year: r.i("year")?,
            })
        })
        .collect()
}

fn year_row(r: &sqlx::any::AnyRow) -> Result<CalendarYearRow, AppError> {
    Ok(CalendarYearRow {
        year: r.i("year")?,
        papers: r.s("papers")?,
        imported_at: r.i("imported_at")?,
        source: r.s("source")?,
    })
}

/// Every imported year, in year order.
pub async fn years(c: &mut DbConn) -> Result<Vec<CalendarYearRow>, AppError> {
    let q = Query::select()
        .columns(["year", "papers", "imported_at", "source"])
        .from("calendar_years")
        .order_by("year", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(year_row).collect()
}

/// One imported year.
pub async fn year(c: &mut DbConn, year: i64) -> Result<Option<CalendarYearRow>, AppError> {
    let q = Query::select()
        .columns(["year", "papers", "imported_at", "source"])
        .from("calendar_years")
        .and_where(Expr::col("year").eq(year))
        .to_owned();
    c.optional(&q).await?.as_ref().map(year_row).transpose()
}

/// True when no year was ever imported.
pub async fn is_empty(c: &mut DbConn) -> Result<bool, AppError> {
    let q = Query::select()
        .column("year")
        .from("calendar_years")
        .order_by("year", Order::Asc)
        .limit(1)
        .to_owned();
    Ok(c.optional(&q).await?.is_none())
}

/// Replaces the data of `year.year`: its year row and every date its file
/// lists. A date already listed by another year's file is taken over (the
/// caller has checked that both agree on it). Run inside a transaction.
pub async fn replace_year(
    c: &mut DbConn,
    year: &CalendarYearRow,
    days: &[CalendarDayRow],
) -> Result<(), AppError> {
    c.exec(
        &Query::delete()
            .from_table("calendar_days")
            .and_where(Expr::col("year").eq(year.year))
            .to_owned(),
    )
    .await?;
    c.exec(
        &Query::insert()
            .into_table("calendar_years")
            .columns(["year", "papers", "imported_at", "source"])
            .values_panic([
                year.year.into(),
                year.papers.clone().into(),
                year.imported_at.into(),
                year.source.clone().into(),
            ])
            .on_conflict(
                OnConflict::column("year")
                    .update_columns(["papers", "imported_at", "source"])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    for chunk in days.chunks(200) {
        let mut q = Query::insert();
        q.into_table("calendar_days")
            .columns(["date", "off_day", "name", "year"])
            .on_conflict(
                OnConflict::column("date")
                    .update_columns(["off_day", "name", "year"])
                    .to_owned(),
            );
        for d in chunk {
            q.values_panic([
                d.date.clone().into(),
                i64::from(d.off_day).into(),
                d.name.clone().into(),
                d.year.into(),
            ]);
        }
        c.exec(&q).await?;
    }
    Ok(())
}

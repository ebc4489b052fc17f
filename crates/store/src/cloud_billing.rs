//! Bills, adjustments, verification, evaluations and settlements of the
//! government cloud (migration 24, ADR 0016). Reads the resources, prices,
//! units and systems of migration 22 by SQL of its own.
//!
//! Money is integers: amounts in 分, unit prices in 0.0001 元, rates and
//! deduction percentages in basis points (0.01 %), scores in tenths of a
//! point, weighted totals in thousandths.

use sea_query::{Expr, ExprTrait, Order, Query, Value};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Backend;

// ------------------------------------------------------- month's lines
//
// A month's bill is computed in the database, set-based (issue 14: "bills
// computed set-based in the database"): one INSERT … SELECT joins the
// resource rows in service during the month with the price rows of their
// items (each price over its span, up to the next one, from a window over
// the append-only price rows) and writes one line per (resource row, price
// span) with its days and amount. Nothing of the month travels through
// Rust row by row.
//
// The amount is the rule of `yunwei_domain::cloud::prorate_integer`:
// price (0.0001 元) × quantity × days ÷ (month days × 100), rounded once
// to the 分 half away from zero, i.e. (2·num + den) ÷ (2·den) on
// non-negative integers. The bounds the use cases accept (a price of at
// most 10,000,000 元 = 10^11, a quantity of at most 1,000,000, 31 days)
// keep 2·num below 6.2·10^18 < 2^63: no overflow (SQLite would otherwise
// turn to floating point). The integration tests compare every line
// with the decimal rule `prorate`.

fn placeholders(b: Backend, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match b {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${i}"),
        })
        .collect()
}

/// Bound values of a raw statement built in pieces: `bind` returns a
/// marker, `finish` turns the markers into the backend's placeholders
/// (SQLite's `?` take the values in the order they appear in the text, so
/// the values are put in that order; PostgreSQL's are numbered).
struct Binds {
    backend: Backend,
    values: Vec<Value>,
}

const MARK: char = '\u{1}';

impl Binds {
    fn new(backend: Backend) -> Self {
        Binds {
            backend,
            values: Vec::new(),
        }
    }
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("{MARK}{}{MARK}", self.values.len() - 1)
    }
    fn finish(self, sql: &str) -> Result<(String, Vec<Value>), AppError> {
        let mut out = String::with_capacity(sql.len());
        let mut values = Vec::with_capacity(self.values.len());
        let mut parts = sql.split(MARK);
        out.push_str(parts.next().unwrap_or(""));
        while let Some(index) = parts.next() {
            let i: usize = index.parse().map_err(|_| AppError::internal())?;
            let v = self.values.get(i).ok_or_else(AppError::internal)?;
            values.push(v.clone());
            match self.backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => out.push_str(&format!("${}", values.len())),
            }
            out.push_str(parts.next().unwrap_or(""));
        }
        Ok((out, values))
    }
}

/// The greatest and least of ISO day texts, and the days between two.
fn greatest(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "MAX",
        Backend::Postgres => "GREATEST",
    }
}
fn least(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "MIN",
        Backend::Postgres => "LEAST",
    }
}
fn days_between(b: Backend, from: &str, to: &str) -> String {
    match b {
        Backend::Sqlite => format!("CAST(julianday({to}) - julianday({from}) AS INTEGER)"),
        Backend::Postgres => format!("(CAST({to} AS DATE) - CAST({from} AS DATE))"),
    }
}
/// A fresh line id (lines are never referred to by id from elsewhere).
fn fresh_id(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "lower(hex(randomblob(16)))",
        Backend::Postgres => "CAST(gen_random_uuid() AS TEXT)",
    }
}

/// The resource rows of a platform in service on some day of
/// `[start, end)` (from the alias `r`); binds platform, start and end.
fn in_service(bs: &mut Binds, platform_id: &str, start: &str, end: &str) -> String {
    format!(
        "r.platform_id = {pl} AND r.from_day IS NOT NULL AND r.from_day < {e} \
         AND (r.to_day IS NULL OR r.to_day > {s}) AND r.quantity > 0",
        pl = bs.bind(platform_id),
        e = bs.bind(end),
        s = bs.bind(start),
    )
}

/// A resource in service during the month for some day of which its item
/// had no price yet: the month cannot be billed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpriced {
    pub item_name: String,
    /// First day of the month or of the resource, whichever is later.
    pub from_day: String,
    /// The resource's end, when it ends within the month.
    pub to_day: Option<String>,
}

/// The first resource of `[start, end)` with a day before the first price
/// of its item (the price spans are contiguous after it), if any.
pub async fn unpriced(
    c: &mut DbConn,
    platform_id: &str,
    start: &str,
    end: &str,
) -> Result<Option<Unpriced>, AppError> {
    let b = c.backend();
    let mut bs = Binds::new(b);
    let cond = in_service(&mut bs, platform_id, start, end);
    let s2 = bs.bind(start);
    let e2 = bs.bind(end);
    let s3 = bs.bind(start);
    let sql = format!(
        "SELECT i.name AS item_name, {g}(r.from_day, {s2}) AS from_day, \
                CASE WHEN r.to_day < {e2} THEN r.to_day END AS to_day \
         FROM cloud_resources r \
         JOIN cloud_catalogue_items i ON i.id = r.item_id \
         LEFT JOIN (SELECT item_id, MIN(effective_from) AS first_from \
                    FROM cloud_prices GROUP BY item_id) fp ON fp.item_id = r.item_id \
         WHERE {cond} AND (fp.first_from IS NULL OR fp.first_from > {g}(r.from_day, {s3})) \
         ORDER BY i.name, r.from_day LIMIT 1",
        g = greatest(b),
    );
    let (sql, values) = bs.finish(&sql)?;
    let rows = c.all_raw(&sql, values).await?;
    rows.first()
        .map(|r| {
            Ok(Unpriced {
                item_name: r.s("item_name")?,
                from_day: r.s("from_day")?,
                to_day: r.os("to_day")?,
            })
        })
        .transpose()
}

/// A combination of a unit's level, funding, local-funding flag and an
/// item's service mode: what decides the payer (SNYP-17, ZMDY-36).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PayerProfile {
    pub level: String,
    pub funding: String,
    pub mode: String,
    pub local_finance_pays: bool,
}

/// The payer profiles of the resources of `[start, end)`.
pub async fn payer_profiles(
    c: &mut DbConn,
    platform_id: &str,
    start: &str,
    end: &str,
) -> Result<Vec<PayerProfile>, AppError> {
    let mut bs = Binds::new(c.backend());
    let cond = in_service(&mut bs, platform_id, start, end);
    let sql = format!(
        "SELECT DISTINCT u.level, u.funding, i.mode, u.local_finance_pays \
         FROM cloud_resources r \
         JOIN cloud_systems s ON s.id = r.system_id \
         JOIN cloud_units u ON u.org_id = s.org_id \
         JOIN cloud_catalogue_items i ON i.id = r.item_id \
         WHERE {cond}"
    );
    let (sql, values) = bs.finish(&sql)?;
    let rows = c.all_raw(&sql, values).await?;
    rows.iter()
        .map(|r| {
            Ok(PayerProfile {
                level: r.s("level")?,
                funding: r.s("funding")?,
                mode: r.s("mode")?,
                local_finance_pays: r.i("local_finance_pays")? != 0,
            })
        })
        .collect()
}

/// What one month's lines are computed from.
pub struct MonthLines<'a> {
    pub run_id: &'a str,
    pub platform_id: &'a str,
    /// `[start, end)`, 'YYYY-MM-DD'.
    pub start: &'a str,
    pub end: &'a str,
    pub month_days: i64,
    /// Who settles a unit without a county bureau of its own (ZMDY-36).
    pub bureau_org_id: &'a str,
    pub bureau_path: &'a str,
    /// Unit levels settled by their own county bureau, where they name one.
    pub locally_settled_levels: &'a [&'a str],
    /// Every payer profile of the month with its payer.
    pub payers: &'a [(PayerProfile, String)],
}

/// Writes the lines of one month (see the comment above): one statement.
pub async fn insert_month_lines(c: &mut DbConn, m: &MonthLines<'_>) -> Result<(), AppError> {
    let b = c.backend();
    let mut bs = Binds::new(b);
    let run = bs.bind(m.run_id);
    let month_days = bs.bind(m.month_days);
    let den = bs.bind(m.month_days * 100);
    let den2 = bs.bind(m.month_days * 200);
    let bureau_id = bs.bind(m.bureau_org_id);
    let bureau_path = bs.bind(m.bureau_path);
    let start = bs.bind(m.start);
    let end = [bs.bind(m.end), bs.bind(m.end), bs.bind(m.end)];
    let (e1, e2, e3) = (&end[0], &end[1], &end[2]);
    let p_end = bs.bind(m.end);
    let p_start = bs.bind(m.start);
    let p_end2 = bs.bind(m.end);
    let levels: Vec<String> = if m.locally_settled_levels.is_empty() {
        vec!["NULL".into()]
    } else {
        m.locally_settled_levels
            .iter()
            .map(|l| bs.bind(*l))
            .collect()
    };
    // The payer of each profile, as a CASE: a join with a VALUES list
    // would let SQLite's planner scan the resources once per profile.
    let profiles: Vec<String> = m
        .payers
        .iter()
        .map(|(pp, payer)| {
            format!(
                "WHEN u.level = {} AND u.funding = {} AND i.mode = {} \
                 AND u.local_finance_pays = {} THEN {}",
                bs.bind(pp.level.as_str()),
                bs.bind(pp.funding.as_str()),
                bs.bind(pp.mode.as_str()),
                bs.bind(i64::from(pp.local_finance_pays)),
                bs.bind(payer.as_str()),
            )
        })
        .collect();
    if profiles.is_empty() {
        return Ok(());
    }
    let cond = in_service(&mut bs, m.platform_id, m.start, m.end);
    let sql = format!(
        "INSERT INTO cloud_bill_lines (id, run_id, unit_org_id, unit_path, settler_org_id, \
             settler_path, system_id, resource_id, item_id, mode, payer, quantity, from_day, \
             to_day, days, month_days, price_e4, amount_fen) \
         SELECT {id}, {run}, x.unit_org_id, x.unit_path, x.settler_org_id, x.settler_path, \
                x.system_id, x.resource_id, x.item_id, x.mode, x.payer, x.quantity, x.a, x.b, \
                x.days, {month_days}, x.price_e4, \
                (2 * x.price_e4 * x.quantity * x.days + {den}) / {den2} \
         FROM (SELECT y.*, {days} AS days FROM ( \
             SELECT r.id AS resource_id, r.system_id, r.item_id, r.quantity, \
                    s.org_id AS unit_org_id, s.org_path AS unit_path, \
                    COALESCE(cb.id, {bureau_id}) AS settler_org_id, \
                    COALESCE(cb.path, {bureau_path}) AS settler_path, \
                    i.mode, CASE {profiles} END AS payer, p.price_e4, \
                    {g}(r.from_day, {start}, p.effective_from) AS a, \
                    {l}(COALESCE(r.to_day, {e1}), {e2}, COALESCE(p.next_from, {e3})) AS b \
             FROM cloud_resources r \
             JOIN cloud_systems s ON s.id = r.system_id \
             JOIN cloud_units u ON u.org_id = s.org_id \
             JOIN cloud_catalogue_items i ON i.id = r.item_id \
             JOIN (SELECT item_id, price_e4, effective_from, \
                      LEAD(effective_from) OVER (PARTITION BY item_id ORDER BY effective_from) \
                        AS next_from \
                   FROM cloud_prices) p \
               ON p.item_id = r.item_id \
              AND p.effective_from < {p_end} \
              AND (p.next_from IS NULL OR p.next_from > {p_start}) \
              AND p.effective_from < COALESCE(r.to_day, {p_end2}) \
              AND (p.next_from IS NULL OR p.next_from > r.from_day) \
             LEFT JOIN orgs cb \
               ON cb.id = u.county_bureau_org_id AND u.level IN ({levels}) \
             WHERE {cond}) y) x \
         WHERE x.days > 0",
        id = fresh_id(b),
        days = days_between(b, "y.a", "y.b"),
        g = greatest(b),
        l = least(b),
        profiles = profiles.join(" "),
        levels = levels.join(", "),
    );
    let (sql, values) = bs.finish(&sql)?;
    c.defer_raw(&sql, values).await
}

/// Splits a sum so that no database sum can overflow: the sum of the
/// millions and the sum of the remainders (each line is below 2^63).
fn split_sum(col: &str) -> String {
    format!(
        "CAST(COALESCE(SUM({col} / 1000000), 0) AS BIGINT) AS hi, \
         CAST(COALESCE(SUM({col} % 1000000), 0) AS BIGINT) AS lo"
    )
}

fn joined_sum(r: &AnyRow) -> Result<i128, AppError> {
    Ok(r.i("hi")? as i128 * 1_000_000 + r.i("lo")? as i128)
}

/// Lines of a run and their sum in 分 (exact, as i128).
pub async fn line_totals(c: &mut DbConn, run_id: &str) -> Result<(i64, i128), AppError> {
    let mut bs = Binds::new(c.backend());
    let sql = format!(
        "SELECT COUNT(*) AS n, {} FROM cloud_bill_lines WHERE run_id = {}",
        split_sum("amount_fen"),
        bs.bind(run_id)
    );
    let (sql, values) = bs.finish(&sql)?;
    let rows = c.all_raw(&sql, values).await?;
    let r = rows.first().ok_or_else(AppError::internal)?;
    Ok((r.i("n")?, joined_sum(r)?))
}

/// The sum in 分 of a run's lines of one unit and payer, of one system if
/// named: what an adjustment covers.
pub async fn covered_fen(
    c: &mut DbConn,
    run_id: &str,
    unit_org_id: &str,
    payer: &str,
    system_id: Option<&str>,
) -> Result<i128, AppError> {
    let mut bs = Binds::new(c.backend());
    let mut sql = format!(
        "SELECT {} FROM cloud_bill_lines WHERE run_id = {} AND unit_org_id = {} AND payer = {}",
        split_sum("amount_fen"),
        bs.bind(run_id),
        bs.bind(unit_org_id),
        bs.bind(payer),
    );
    if let Some(s) = system_id {
        sql.push_str(&format!(" AND system_id = {}", bs.bind(s)));
    }
    let (sql, values) = bs.finish(&sql)?;
    let rows = c.all_raw(&sql, values).await?;
    joined_sum(rows.first().ok_or_else(AppError::internal)?)
}

// ---------------------------------------------------------------- runs

/// One month's bill of a platform.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RunRow {
    pub id: String,
    pub platform_id: String,
    /// 'YYYY-MM'.
    pub month: String,
    /// `draft`, `verified` or `sent`.
    pub state: String,
    pub computed_at: i64,
    pub computed_by: String,
    pub verified_by: Option<String>,
    pub verified_at: Option<i64>,
    pub sent_by: Option<String>,
    pub sent_at: Option<i64>,
    pub line_count: i64,
    /// Sum of the lines, 分.
    pub lines_fen: i64,
    /// Sum of the adjustments (reductions), 分, not negative.
    pub adjustments_fen: i64,
    /// `lines_fen - adjustments_fen`.
    pub total_fen: i64,
    pub version: i64,
}

const RUN_COLS: [&str; 15] = [
    "id",
    "platform_id",
    "month",
    "state",
    "computed_at",
    "computed_by",
    "verified_by",
    "verified_at",
    "sent_by",
    "sent_at",
    "line_count",
    "lines_fen",
    "adjustments_fen",
    "total_fen",
    "version",
];

fn run_from_row(r: &AnyRow) -> Result<RunRow, AppError> {
    Ok(RunRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        month: r.s("month")?,
        state: r.s("state")?,
        computed_at: r.i("computed_at")?,
        computed_by: r.s("computed_by")?,
        verified_by: r.os("verified_by")?,
        verified_at: r.oi("verified_at")?,
        sent_by: r.os("sent_by")?,
        sent_at: r.oi("sent_at")?,
        line_count: r.i("line_count")?,
        lines_fen: r.i("lines_fen")?,
        adjustments_fen: r.i("adjustments_fen")?,
        total_fen: r.i("total_fen")?,
        version: r.i("version")?,
    })
}

pub async fn insert_run(c: &mut DbConn, r: &RunRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_bill_runs")
            .columns(RUN_COLS)
            .values_panic([
                r.id.clone().into(),
                r.platform_id.clone().into(),
                r.month.clone().into(),
                r.state.clone().into(),
                r.computed_at.into(),
                r.computed_by.clone().into(),
                r.verified_by.clone().into(),
                r.verified_at.into(),
                r.sent_by.clone().into(),
                r.sent_at.into(),
                r.line_count.into(),
                r.lines_fen.into(),
                r.adjustments_fen.into(),
                r.total_fen.into(),
                r.version.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_run(c: &mut DbConn, id: &str) -> Result<Option<RunRow>, AppError> {
    let q = Query::select()
        .columns(RUN_COLS)
        .from("cloud_bill_runs")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(run_from_row).transpose()
}

pub async fn run_of_month(
    c: &mut DbConn,
    platform_id: &str,
    month: &str,
) -> Result<Option<RunRow>, AppError> {
    let q = Query::select()
        .columns(RUN_COLS)
        .from("cloud_bill_runs")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("month").eq(month))
        .to_owned();
    c.optional(&q).await?.as_ref().map(run_from_row).transpose()
}

/// The runs of a platform, the latest month first.
pub async fn runs(c: &mut DbConn, platform_id: &str) -> Result<Vec<RunRow>, AppError> {
    let q = Query::select()
        .columns(RUN_COLS)
        .from("cloud_bill_runs")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .order_by("month", Order::Desc)
        .limit(240)
        .to_owned();
    c.all(&q).await?.iter().map(run_from_row).collect()
}

/// Writes a run's state and totals if it is still at `version`; false
/// when someone else changed it first (the caller reports a conflict).
pub async fn update_run(
    c: &mut DbConn,
    r: &RunRow,
    expected_version: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_bill_runs")
                .values([
                    ("state", r.state.clone().into()),
                    ("computed_at", r.computed_at.into()),
                    ("computed_by", r.computed_by.clone().into()),
                    ("verified_by", r.verified_by.clone().into()),
                    ("verified_at", r.verified_at.into()),
                    ("sent_by", r.sent_by.clone().into()),
                    ("sent_at", r.sent_at.into()),
                    ("line_count", r.line_count.into()),
                    ("lines_fen", r.lines_fen.into()),
                    ("adjustments_fen", r.adjustments_fen.into()),
                    ("total_fen", r.total_fen.into()),
                    ("version", (expected_version + 1).into()),
                ])
                .and_where(Expr::col("id").eq(r.id.as_str()))
                .and_where(Expr::col("version").eq(expected_version))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// The totals of a run just inserted in the same transaction (its lines
/// are written after it), version unchanged.
pub async fn set_run_totals(c: &mut DbConn, r: &RunRow) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("cloud_bill_runs")
            .values([
                ("line_count", r.line_count.into()),
                ("lines_fen", r.lines_fen.into()),
                ("adjustments_fen", r.adjustments_fen.into()),
                ("total_fen", r.total_fen.into()),
            ])
            .and_where(Expr::col("id").eq(r.id.as_str()))
            .to_owned(),
    )
    .await?;
    Ok(())
}

// --------------------------------------------------------------- lines

/// One bill line: one resource row at one price over its days in the month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LineRow {
    pub id: String,
    pub run_id: String,
    pub unit_org_id: String,
    pub unit_path: String,
    /// The competent department that verifies and settles the line: the
    /// city's for city units, the county's for county units (ZMDY-36).
    pub settler_org_id: String,
    pub settler_path: String,
    pub system_id: String,
    pub resource_id: String,
    pub item_id: String,
    pub mode: String,
    pub payer: String,
    pub quantity: i64,
    /// First billed day.
    pub from_day: String,
    /// Day after the last billed day.
    pub to_day: String,
    pub days: i64,
    pub month_days: i64,
    pub price_e4: i64,
    pub amount_fen: i64,
}

const LINE_COLS: [&str; 18] = [
    "id",
    "run_id",
    "unit_org_id",
    "unit_path",
    "settler_org_id",
    "settler_path",
    "system_id",
    "resource_id",
    "item_id",
    "mode",
    "payer",
    "quantity",
    "from_day",
    "to_day",
    "days",
    "month_days",
    "price_e4",
    "amount_fen",
];

fn line_from_row(r: &AnyRow) -> Result<LineRow, AppError> {
    Ok(LineRow {
        id: r.s("id")?,
        run_id: r.s("run_id")?,
        unit_org_id: r.s("unit_org_id")?,
        unit_path: r.s("unit_path")?,
        settler_org_id: r.s("settler_org_id")?,
        settler_path: r.s("settler_path")?,
        system_id: r.s("system_id")?,
        resource_id: r.s("resource_id")?,
        item_id: r.s("item_id")?,
        mode: r.s("mode")?,
        payer: r.s("payer")?,
        quantity: r.i("quantity")?,
        from_day: r.s("from_day")?,
        to_day: r.s("to_day")?,
        days: r.i("days")?,
        month_days: r.i("month_days")?,
        price_e4: r.i("price_e4")?,
        amount_fen: r.i("amount_fen")?,
    })
}

/// Rows per INSERT statement: 18 parameters each stays far below the
/// parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const LINES_PER_INSERT: usize = 500;

/// Inserts the lines in batches of multi-row INSERTs.
pub async fn insert_lines(c: &mut DbConn, lines: &[LineRow]) -> Result<(), AppError> {
    for chunk in lines.chunks(LINES_PER_INSERT) {
        let mut q = Query::insert();
        q.into_table("cloud_bill_lines").columns(LINE_COLS);
        for l in chunk {
            q.values_panic([
                l.id.clone().into(),
                l.run_id.clone().into(),
                l.unit_org_id.clone().into(),
                l.unit_path.clone().into(),
                l.settler_org_id.clone().into(),
                l.settler_path.clone().into(),
                l.system_id.clone().into(),
                l.resource_id.clone().into(),
                l.item_id.clone().into(),
                l.mode.clone().into(),
                l.payer.clone().into(),
                l.quantity.into(),
                l.from_day.clone().into(),
                l.to_day.clone().into(),
                l.days.into(),
                l.month_days.into(),
                l.price_e4.into(),
                l.amount_fen.into(),
            ]);
        }
        c.exec(&q).await?;
    }
    Ok(())
}

pub async fn delete_lines(c: &mut DbConn, run_id: &str) -> Result<u64, AppError> {
    c.exec(
        &Query::delete()
            .from_table("cloud_bill_lines")
            .and_where(Expr::col("run_id").eq(run_id))
            .to_owned(),
    )
    .await
}

/// The lines of a run, by settler, payer, unit, system and day.
pub async fn lines(c: &mut DbConn, run_id: &str) -> Result<Vec<LineRow>, AppError> {
    let q = Query::select()
        .columns(LINE_COLS)
        .from("cloud_bill_lines")
        .and_where(Expr::col("run_id").eq(run_id))
        .order_by("settler_path", Order::Asc)
        .order_by("payer", Order::Asc)
        .order_by("unit_path", Order::Asc)
        .order_by("system_id", Order::Asc)
        .order_by("resource_id", Order::Asc)
        .order_by("from_day", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(line_from_row).collect()
}

// ------------------------------------------------------- verifications

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VerificationRow {
    pub id: String,
    pub run_id: String,
    pub settler_org_id: String,
    pub settler_path: String,
    pub total_fen: i64,
    pub verified_by: String,
    pub verified_at: i64,
}

const VER_COLS: [&str; 7] = [
    "id",
    "run_id",
    "settler_org_id",
    "settler_path",
    "total_fen",
    "verified_by",
    "verified_at",
];

pub async fn insert_verification(c: &mut DbConn, v: &VerificationRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_bill_verifications")
            .columns(VER_COLS)
            .values_panic([
                v.id.clone().into(),
                v.run_id.clone().into(),
                v.settler_org_id.clone().into(),
                v.settler_path.clone().into(),
                v.total_fen.into(),
                v.verified_by.clone().into(),
                v.verified_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn verifications(c: &mut DbConn, run_id: &str) -> Result<Vec<VerificationRow>, AppError> {
    let q = Query::select()
        .columns(VER_COLS)
        .from("cloud_bill_verifications")
        .and_where(Expr::col("run_id").eq(run_id))
        .order_by("verified_at", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(VerificationRow {
                id: r.s("id")?,
                run_id: r.s("run_id")?,
                settler_org_id: r.s("settler_org_id")?,
                settler_path: r.s("settler_path")?,
                total_fen: r.i("total_fen")?,
                verified_by: r.s("verified_by")?,
                verified_at: r.i("verified_at")?,
            })
        })
        .collect()
}

// --------------------------------------------------------- adjustments

/// A reduction of a run: `reduction` (核减, SNYP-14: fees that low
/// utilisation caused) by an amount, or `rate_cut` (费率下调, SNYP-18) by an
/// exact percentage (`rate_bp`, 0.01 %) of the lines it covers, whose
/// amount is derived again whenever the draft is recomputed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AdjustmentRow {
    pub id: String,
    pub run_id: String,
    pub unit_org_id: String,
    pub unit_path: String,
    pub settler_org_id: String,
    pub system_id: Option<String>,
    pub payer: String,
    pub kind: String,
    pub rate_bp: Option<i64>,
    pub amount_fen: i64,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

const ADJ_COLS: [&str; 13] = [
    "id",
    "run_id",
    "unit_org_id",
    "unit_path",
    "settler_org_id",
    "system_id",
    "payer",
    "kind",
    "rate_bp",
    "amount_fen",
    "reason",
    "created_by",
    "created_at",
];

pub async fn insert_adjustment(c: &mut DbConn, a: &AdjustmentRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_bill_adjustments")
            .columns(ADJ_COLS)
            .values_panic([
                a.id.clone().into(),
                a.run_id.clone().into(),
                a.unit_org_id.clone().into(),
                a.unit_path.clone().into(),
                a.settler_org_id.clone().into(),
                a.system_id.clone().into(),
                a.payer.clone().into(),
                a.kind.clone().into(),
                a.rate_bp.into(),
                a.amount_fen.into(),
                a.reason.clone().into(),
                a.created_by.clone().into(),
                a.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn set_adjustment_amount(
    c: &mut DbConn,
    id: &str,
    amount_fen: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::update()
            .table("cloud_bill_adjustments")
            .value("amount_fen", amount_fen)
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn adjustments(c: &mut DbConn, run_id: &str) -> Result<Vec<AdjustmentRow>, AppError> {
    let q = Query::select()
        .columns(ADJ_COLS)
        .from("cloud_bill_adjustments")
        .and_where(Expr::col("run_id").eq(run_id))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(AdjustmentRow {
                id: r.s("id")?,
                run_id: r.s("run_id")?,
                unit_org_id: r.s("unit_org_id")?,
                unit_path: r.s("unit_path")?,
                settler_org_id: r.s("settler_org_id")?,
                system_id: r.os("system_id")?,
                payer: r.s("payer")?,
                kind: r.s("kind")?,
                rate_bp: r.oi("rate_bp")?,
                amount_fen: r.i("amount_fen")?,
                reason: r.s("reason")?,
                created_by: r.s("created_by")?,
                created_at: r.i("created_at")?,
            })
        })
        .collect()
}

/// A platform's sent runs of the months starting with `year_prefix`
/// ('2026-'), with the lines' and adjustments' sums per payer: what the
/// annual settlement adds up. (month, payer, lines_fen, adjustments_fen).
pub async fn sent_totals_by_payer(
    c: &mut DbConn,
    platform_id: &str,
    year_prefix: &str,
) -> Result<Vec<(String, String, i64, i64)>, AppError> {
    let ph = placeholders(c.backend(), 4);
    let sql = format!(
        "SELECT t.month, t.payer, CAST(SUM(t.lines_fen) AS BIGINT) AS lines_fen, CAST(SUM(t.adj_fen) AS BIGINT) AS adj_fen FROM ( \
           SELECT r.month, l.payer, l.amount_fen AS lines_fen, CAST(0 AS BIGINT) AS adj_fen \
             FROM cloud_bill_lines l JOIN cloud_bill_runs r ON r.id = l.run_id \
            WHERE r.platform_id = {a} AND r.state = 'sent' AND r.month LIKE {b} \
           UNION ALL \
           SELECT r.month, a.payer, CAST(0 AS BIGINT) AS lines_fen, a.amount_fen AS adj_fen \
             FROM cloud_bill_adjustments a JOIN cloud_bill_runs r ON r.id = a.run_id \
            WHERE r.platform_id = {c2} AND r.state = 'sent' AND r.month LIKE {d} \
         ) t GROUP BY t.month, t.payer ORDER BY t.month, t.payer",
        a = ph[0],
        b = ph[1],
        c2 = ph[2],
        d = ph[3],
    );
    let like = format!("{year_prefix}%");
    let rows = c
        .all_raw(
            &sql,
            vec![
                platform_id.into(),
                like.clone().into(),
                platform_id.into(),
                like.into(),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.s("month")?,
                r.s("payer")?,
                r.i("lines_fen")?,
                r.i("adj_fen")?,
            ))
        })
        .collect()
}

// ---------------------------------------------------------- evaluation

/// The contract's weights (indicator id → weight in whole percent, summing
/// to 100) and score-to-deduction bands (`[[min_total_milli,
/// deduction_bp]]`) for one vendor role of a platform, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SchemeRow {
    pub id: String,
    pub platform_id: String,
    pub vendor_role: String,
    pub weights: String,
    pub bands: String,
    pub updated_by: String,
    pub updated_at: i64,
    pub version: i64,
}

const SCHEME_COLS: [&str; 8] = [
    "id",
    "platform_id",
    "vendor_role",
    "weights",
    "bands",
    "updated_by",
    "updated_at",
    "version",
];

pub async fn scheme(
    c: &mut DbConn,
    platform_id: &str,
    vendor_role: &str,
) -> Result<Option<SchemeRow>, AppError> {
    let q = Query::select()
        .columns(SCHEME_COLS)
        .from("cloud_eval_schemes")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("vendor_role").eq(vendor_role))
        .to_owned();
    c.optional(&q)
        .await?
        .map(|r| {
            Ok(SchemeRow {
                id: r.s("id")?,
                platform_id: r.s("platform_id")?,
                vendor_role: r.s("vendor_role")?,
                weights: r.s("weights")?,
                bands: r.s("bands")?,
                updated_by: r.s("updated_by")?,
                updated_at: r.i("updated_at")?,
                version: r.i("version")?,
            })
        })
        .transpose()
}

pub async fn insert_scheme(c: &mut DbConn, s: &SchemeRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_eval_schemes")
            .columns(SCHEME_COLS)
            .values_panic([
                s.id.clone().into(),
                s.platform_id.clone().into(),
                s.vendor_role.clone().into(),
                s.weights.clone().into(),
                s.bands.clone().into(),
                s.updated_by.clone().into(),
                s.updated_at.into(),
                s.version.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn update_scheme(
    c: &mut DbConn,
    s: &SchemeRow,
    expected_version: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_eval_schemes")
                .values([
                    ("weights", s.weights.clone().into()),
                    ("bands", s.bands.clone().into()),
                    ("updated_by", s.updated_by.clone().into()),
                    ("updated_at", s.updated_at.into()),
                    ("version", (expected_version + 1).into()),
                ])
                .and_where(Expr::col("id").eq(s.id.as_str()))
                .and_where(Expr::col("version").eq(expected_version))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// A quarter's evaluation of one vendor: scores per indicator (JSON,
/// indicator id → tenths of a point), the weighted total in thousandths,
/// the deduction in basis points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluationRow {
    pub id: String,
    pub platform_id: String,
    pub vendor_org_id: String,
    pub vendor_role: String,
    /// 'YYYY-Qn'.
    pub quarter: String,
    pub scores: String,
    pub total_milli: i64,
    pub deduction_bp: i64,
    pub note: String,
    /// `draft` or `confirmed`.
    pub state: String,
    pub created_by: String,
    pub created_at: i64,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<i64>,
    pub version: i64,
}

const EVAL_COLS: [&str; 15] = [
    "id",
    "platform_id",
    "vendor_org_id",
    "vendor_role",
    "quarter",
    "scores",
    "total_milli",
    "deduction_bp",
    "note",
    "state",
    "created_by",
    "created_at",
    "confirmed_by",
    "confirmed_at",
    "version",
];

fn eval_from_row(r: &AnyRow) -> Result<EvaluationRow, AppError> {
    Ok(EvaluationRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        vendor_org_id: r.s("vendor_org_id")?,
        vendor_role: r.s("vendor_role")?,
        quarter: r.s("quarter")?,
        scores: r.s("scores")?,
        total_milli: r.i("total_milli")?,
        deduction_bp: r.i("deduction_bp")?,
        note: r.s("note")?,
        state: r.s("state")?,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
        confirmed_by: r.os("confirmed_by")?,
        confirmed_at: r.oi("confirmed_at")?,
        version: r.i("version")?,
    })
}

pub async fn insert_evaluation(c: &mut DbConn, e: &EvaluationRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_evaluations")
            .columns(EVAL_COLS)
            .values_panic([
                e.id.clone().into(),
                e.platform_id.clone().into(),
                e.vendor_org_id.clone().into(),
                e.vendor_role.clone().into(),
                e.quarter.clone().into(),
                e.scores.clone().into(),
                e.total_milli.into(),
                e.deduction_bp.into(),
                e.note.clone().into(),
                e.state.clone().into(),
                e.created_by.clone().into(),
                e.created_at.into(),
                e.confirmed_by.clone().into(),
                e.confirmed_at.into(),
                e.version.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn update_evaluation(
    c: &mut DbConn,
    e: &EvaluationRow,
    expected_version: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_evaluations")
                .values([
                    ("vendor_org_id", e.vendor_org_id.clone().into()),
                    ("scores", e.scores.clone().into()),
                    ("total_milli", e.total_milli.into()),
                    ("deduction_bp", e.deduction_bp.into()),
                    ("note", e.note.clone().into()),
                    ("state", e.state.clone().into()),
                    ("confirmed_by", e.confirmed_by.clone().into()),
                    ("confirmed_at", e.confirmed_at.into()),
                    ("version", (expected_version + 1).into()),
                ])
                .and_where(Expr::col("id").eq(e.id.as_str()))
                .and_where(Expr::col("version").eq(expected_version))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn evaluation(
    c: &mut DbConn,
    platform_id: &str,
    vendor_role: &str,
    quarter: &str,
) -> Result<Option<EvaluationRow>, AppError> {
    let q = Query::select()
        .columns(EVAL_COLS)
        .from("cloud_evaluations")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("vendor_role").eq(vendor_role))
        .and_where(Expr::col("quarter").eq(quarter))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(eval_from_row)
        .transpose()
}

/// The evaluations of a platform, latest quarter first.
pub async fn evaluations(
    c: &mut DbConn,
    platform_id: &str,
) -> Result<Vec<EvaluationRow>, AppError> {
    let q = Query::select()
        .columns(EVAL_COLS)
        .from("cloud_evaluations")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .order_by("quarter", Order::Desc)
        .order_by("vendor_role", Order::Asc)
        .limit(400)
        .to_owned();
    c.all(&q).await?.iter().map(eval_from_row).collect()
}

// ---------------------------------------------------------- settlement

/// A year's settlement for one payer, recorded when the bureau confirms
/// it; `working` is the computation shown on the page (JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SettlementRow {
    pub id: String,
    pub platform_id: String,
    pub year: i64,
    pub payer: String,
    pub billed_fen: i64,
    pub deduction_fen: i64,
    pub net_fen: i64,
    pub working: String,
    pub state: String,
    pub confirmed_by: String,
    pub confirmed_at: i64,
}

const SET_COLS: [&str; 11] = [
    "id",
    "platform_id",
    "year",
    "payer",
    "billed_fen",
    "deduction_fen",
    "net_fen",
    "working",
    "state",
    "confirmed_by",
    "confirmed_at",
];

pub async fn insert_settlement(c: &mut DbConn, s: &SettlementRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_settlements")
            .columns(SET_COLS)
            .values_panic([
                s.id.clone().into(),
                s.platform_id.clone().into(),
                s.year.into(),
                s.payer.clone().into(),
                s.billed_fen.into(),
                s.deduction_fen.into(),
                s.net_fen.into(),
                s.working.clone().into(),
                s.state.clone().into(),
                s.confirmed_by.clone().into(),
                s.confirmed_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn settlements(
    c: &mut DbConn,
    platform_id: &str,
    year: i64,
) -> Result<Vec<SettlementRow>, AppError> {
    let q = Query::select()
        .columns(SET_COLS)
        .from("cloud_settlements")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("year").eq(year))
        .order_by("payer", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(SettlementRow {
                id: r.s("id")?,
                platform_id: r.s("platform_id")?,
                year: r.i("year")?,
                payer: r.s("payer")?,
                billed_fen: r.i("billed_fen")?,
                deduction_fen: r.i("deduction_fen")?,
                net_fen: r.i("net_fen")?,
                working: r.s("working")?,
                state: r.s("state")?,
                confirmed_by: r.s("confirmed_by")?,
                confirmed_at: r.i("confirmed_at")?,
            })
        })
        .collect()
}

/// Names of a platform's systems (`cloud_systems`) or catalogue items
/// (`cloud_catalogue_items`, with their unit) by id, for the bill pages.
pub async fn names(
    c: &mut DbConn,
    table: &'static str,
    platform_id: &str,
) -> Result<std::collections::HashMap<String, (String, String)>, AppError> {
    let items = table == "cloud_catalogue_items";
    let mut q = Query::select();
    q.columns(["id", "name"]).from(table);
    if items {
        q.column("unit");
    }
    q.and_where(Expr::col("platform_id").eq(platform_id));
    let mut out = std::collections::HashMap::new();
    for r in c.all(&q).await? {
        let unit = if items { r.s("unit")? } else { String::new() };
        out.insert(r.s("id")?, (r.s("name")?, unit));
    }
    Ok(out)
}

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

// ------------------------------------------------------- priced spans

/// One resource row in service during a period, with what decides its
/// payer and settling department: its system's unit and the unit's
/// profile, its item's service mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableRow {
    pub resource_id: String,
    pub system_id: String,
    pub item_id: String,
    pub item_name: String,
    pub quantity: i64,
    pub from_day: String,
    pub to_day: Option<String>,
    pub unit_org_id: String,
    pub unit_path: String,
    pub level: String,
    pub funding: String,
    pub local_finance_pays: bool,
    pub county_bureau_org_id: Option<String>,
    pub mode: String,
}

fn placeholders(b: Backend, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match b {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${i}"),
        })
        .collect()
}

/// Every resource row of `platform_id` in service on some day of
/// `[start, end)` ('YYYY-MM-DD'): one query, set-based.
pub async fn billable_rows(
    c: &mut DbConn,
    platform_id: &str,
    start: &str,
    end: &str,
) -> Result<Vec<BillableRow>, AppError> {
    let ph = placeholders(c.backend(), 3);
    let sql = format!(
        "SELECT r.id AS resource_id, r.system_id, r.item_id, i.name AS item_name, \
                r.quantity, r.from_day, r.to_day, s.org_id AS unit_org_id, \
                s.org_path AS unit_path, u.level, u.funding, u.local_finance_pays, \
                u.county_bureau_org_id, i.mode \
         FROM cloud_resources r \
         JOIN cloud_systems s ON s.id = r.system_id \
         JOIN cloud_units u ON u.org_id = s.org_id \
         JOIN cloud_catalogue_items i ON i.id = r.item_id \
         WHERE r.platform_id = {pl} \
           AND r.from_day IS NOT NULL \
           AND r.from_day < {e} \
           AND (r.to_day IS NULL OR r.to_day > {s}) \
           AND r.quantity > 0 \
         ORDER BY s.org_path, r.system_id, r.id",
        pl = ph[0],
        e = ph[1],
        s = ph[2],
    );
    let values: Vec<Value> = vec![platform_id.into(), end.into(), start.into()];
    let rows = c.all_raw(&sql, values).await?;
    rows.iter()
        .map(|r| {
            Ok(BillableRow {
                resource_id: r.s("resource_id")?,
                system_id: r.s("system_id")?,
                item_id: r.s("item_id")?,
                item_name: r.s("item_name")?,
                quantity: r.i("quantity")?,
                from_day: r.s("from_day")?,
                to_day: r.os("to_day")?,
                unit_org_id: r.s("unit_org_id")?,
                unit_path: r.s("unit_path")?,
                level: r.s("level")?,
                funding: r.s("funding")?,
                local_finance_pays: r.i("local_finance_pays")? != 0,
                county_bureau_org_id: r.os("county_bureau_org_id")?,
                mode: r.s("mode")?,
            })
        })
        .collect()
}

/// One price of an item over its span: from `effective_from` up to the
/// next price's (`to_day`, none for the price in force now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSpan {
    pub item_id: String,
    pub price_e4: i64,
    pub from_day: String,
    pub to_day: Option<String>,
}

/// The price spans of the platform's items overlapping `[start, end)`,
/// by item and day (a window over the append-only price rows).
pub async fn price_spans(
    c: &mut DbConn,
    platform_id: &str,
    start: &str,
    end: &str,
) -> Result<Vec<PriceSpan>, AppError> {
    let ph = placeholders(c.backend(), 3);
    let sql = format!(
        "SELECT item_id, price_e4, effective_from, next_from FROM ( \
             SELECT p.item_id, p.price_e4, p.effective_from, \
                    LEAD(p.effective_from) OVER (PARTITION BY p.item_id ORDER BY p.effective_from) \
                      AS next_from \
             FROM cloud_prices p JOIN cloud_catalogue_items i ON i.id = p.item_id \
             WHERE i.platform_id = {pl}) w \
         WHERE effective_from < {e} AND (next_from IS NULL OR next_from > {s}) \
         ORDER BY item_id, effective_from",
        pl = ph[0],
        e = ph[1],
        s = ph[2],
    );
    let values: Vec<Value> = vec![platform_id.into(), end.into(), start.into()];
    let rows = c.all_raw(&sql, values).await?;
    rows.iter()
        .map(|r| {
            Ok(PriceSpan {
                item_id: r.s("item_id")?,
                price_e4: r.i("price_e4")?,
                from_day: r.s("effective_from")?,
                to_day: r.os("next_from")?,
            })
        })
        .collect()
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

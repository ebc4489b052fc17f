//! Inspection and maintenance plans (`inspection_plans`), the records
//! filed against their occurrences (`inspection_records`) and the
//! maintenance records (`maintenance_records`): EEDS-1.4.1, EEDS-2.2.1.4,
//! EEDS-2.2.2.2, EEDS-2.2.2.6, EEDS-3.4, EEDS-3.5.

use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sqlx::any::AnyRow;
use yunwei_domain::org::subtree_upper_bound;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

// ---- plans ----

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanRow {
    pub id: String,
    pub name: String,
    /// `inspection` 巡检, `patrol` 网站内容巡查, `maintenance` 维护作业计划.
    pub kind: String,
    /// `yunwei_domain::schedule::Recurrence` code (`monthly`, ...).
    pub recurrence: String,
    /// JSON array of the checklist items' texts, in order.
    pub checklist_json: String,
    pub org_id: String,
    pub org_path: String,
    /// The configuration item inspected, if any (no foreign key: the CMDB
    /// is a register of its own).
    pub ci_id: Option<String>,
    /// The article that demands the plan, e.g. `EEDS-1.4.1`.
    pub source: String,
    /// `YYYY-MM-DD`: the first period is the one containing this day.
    pub first_date: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const PLAN_COLS: [&str; 14] = [
    "id",
    "name",
    "kind",
    "recurrence",
    "checklist_json",
    "org_id",
    "org_path",
    "ci_id",
    "source",
    "first_date",
    "active",
    "created_by",
    "created_at",
    "updated_at",
];

fn plan_from_row(r: &AnyRow) -> Result<PlanRow, AppError> {
    Ok(PlanRow {
        id: r.s("id")?,
        name: r.s("name")?,
        kind: r.s("kind")?,
        recurrence: r.s("recurrence")?,
        checklist_json: r.s("checklist_json")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        ci_id: r.os("ci_id")?,
        source: r.s("source")?,
        first_date: r.s("first_date")?,
        active: r.i("active")? != 0,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

pub async fn insert_plan(c: &mut DbConn, p: &PlanRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("inspection_plans")
            .columns(PLAN_COLS)
            .values_panic([
                p.id.clone().into(),
                p.name.clone().into(),
                p.kind.clone().into(),
                p.recurrence.clone().into(),
                p.checklist_json.clone().into(),
                p.org_id.clone().into(),
                p.org_path.clone().into(),
                p.ci_id.clone().into(),
                p.source.clone().into(),
                p.first_date.clone().into(),
                i64::from(p.active).into(),
                p.created_by.clone().into(),
                p.created_at.into(),
                p.updated_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_plan(c: &mut DbConn, id: &str) -> Result<Option<PlanRow>, AppError> {
    let q = Query::select()
        .columns(PLAN_COLS)
        .from("inspection_plans")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(plan_from_row)
        .transpose()
}

/// Writes every changeable column of a plan; guarded by the `updated_at`
/// it was read with, false when someone else changed it meanwhile.
pub async fn update_plan(
    c: &mut DbConn,
    p: &PlanRow,
    expected_updated: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("inspection_plans")
                .values([
                    ("name", p.name.clone().into()),
                    ("kind", p.kind.clone().into()),
                    ("recurrence", p.recurrence.clone().into()),
                    ("checklist_json", p.checklist_json.clone().into()),
                    ("org_id", p.org_id.clone().into()),
                    ("org_path", p.org_path.clone().into()),
                    ("ci_id", p.ci_id.clone().into()),
                    ("source", p.source.clone().into()),
                    ("first_date", p.first_date.clone().into()),
                    ("active", i64::from(p.active).into()),
                    ("updated_at", p.updated_at.into()),
                ])
                .and_where(Expr::col("id").eq(p.id.clone()))
                .and_where(Expr::col("updated_at").eq(expected_updated))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    /// Only this organisation and its subtree (a materialised path).
    pub org_path: Option<String>,
    pub kind: Option<String>,
    /// Only active (true) or inactive (false) plans.
    pub active: Option<bool>,
}

/// Plans in the scope matching the filter, by organisation and name (at
/// most `limit`).
pub async fn list_plans(
    c: &mut DbConn,
    scope: &Scope,
    f: &PlanFilter,
    limit: u64,
) -> Result<Vec<PlanRow>, AppError> {
    let mut q = Query::select();
    q.columns(PLAN_COLS)
        .from("inspection_plans")
        .cond_where(scope.condition("org_path"));
    if let Some(p) = &f.org_path {
        q.and_where(Expr::col("org_path").gte(p.clone()));
        q.and_where(Expr::col("org_path").lt(subtree_upper_bound(p)));
    }
    if let Some(k) = &f.kind {
        q.and_where(Expr::col("kind").eq(k.clone()));
    }
    if let Some(a) = f.active {
        q.and_where(Expr::col("active").eq(i64::from(a)));
    }
    q.order_by("org_path", Order::Asc)
        .order_by("name", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit);
    c.all(&q).await?.iter().map(plan_from_row).collect()
}

/// Every active plan (the job rolls them forward), at most `limit`.
pub async fn active_plans(c: &mut DbConn, limit: u64) -> Result<Vec<PlanRow>, AppError> {
    list_plans(
        c,
        &Scope::system(),
        &PlanFilter {
            active: Some(true),
            ..Default::default()
        },
        limit,
    )
    .await
}

// ---- inspection records ----

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordRow {
    pub id: String,
    pub plan_id: String,
    /// The occurrence (`controls` row) the record satisfied.
    pub control_id: String,
    pub performed_at: i64,
    pub performer_id: String,
    /// JSON array, one entry per checklist item: `{item, status, note,
    /// attachment?}`.
    pub results_json: String,
    pub abnormal_count: i64,
    /// The incident opened for an abnormal finding, if any.
    pub ticket_id: Option<String>,
    pub summary: String,
    pub created_at: i64,
}

const RECORD_COLS: [&str; 10] = [
    "id",
    "plan_id",
    "control_id",
    "performed_at",
    "performer_id",
    "results_json",
    "abnormal_count",
    "ticket_id",
    "summary",
    "created_at",
];

fn record_from_row(r: &AnyRow) -> Result<RecordRow, AppError> {
    Ok(RecordRow {
        id: r.s("id")?,
        plan_id: r.s("plan_id")?,
        control_id: r.s("control_id")?,
        performed_at: r.i("performed_at")?,
        performer_id: r.s("performer_id")?,
        results_json: r.s("results_json")?,
        abnormal_count: r.i("abnormal_count")?,
        ticket_id: r.os("ticket_id")?,
        summary: r.s("summary")?,
        created_at: r.i("created_at")?,
    })
}

fn select_records() -> SelectStatement {
    Query::select()
        .columns(RECORD_COLS)
        .from("inspection_records")
        .to_owned()
}

pub async fn insert_record(c: &mut DbConn, r: &RecordRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("inspection_records")
            .columns(RECORD_COLS)
            .values_panic([
                r.id.clone().into(),
                r.plan_id.clone().into(),
                r.control_id.clone().into(),
                r.performed_at.into(),
                r.performer_id.clone().into(),
                r.results_json.clone().into(),
                r.abnormal_count.into(),
                r.ticket_id.clone().into(),
                r.summary.clone().into(),
                r.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_record(c: &mut DbConn, id: &str) -> Result<Option<RecordRow>, AppError> {
    let q = select_records()
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(record_from_row)
        .transpose()
}

/// The records of a plan, the most recent first (at most `limit`).
pub async fn records_of_plan(
    c: &mut DbConn,
    plan_id: &str,
    limit: u64,
) -> Result<Vec<RecordRow>, AppError> {
    let q = select_records()
        .and_where(Expr::col("plan_id").eq(plan_id))
        .order_by("performed_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(record_from_row).collect()
}

// ---- maintenance records ----

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaintenanceRow {
    pub id: String,
    pub org_id: String,
    pub org_path: String,
    /// The configuration item maintained, if any.
    pub ci_id: Option<String>,
    /// One of the kinds of EEDS-2.2.2.2 (`routine`, `fault`, ...).
    pub kind: String,
    pub performed_at: i64,
    pub performer_id: String,
    pub description: String,
    pub result: String,
    /// The ticket the work belongs to, if any.
    pub ticket_id: Option<String>,
    pub created_at: i64,
}

const MAINT_COLS: [&str; 11] = [
    "id",
    "org_id",
    "org_path",
    "ci_id",
    "kind",
    "performed_at",
    "performer_id",
    "description",
    "result",
    "ticket_id",
    "created_at",
];

fn maint_from_row(r: &AnyRow) -> Result<MaintenanceRow, AppError> {
    Ok(MaintenanceRow {
        id: r.s("id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        ci_id: r.os("ci_id")?,
        kind: r.s("kind")?,
        performed_at: r.i("performed_at")?,
        performer_id: r.s("performer_id")?,
        description: r.s("description")?,
        result: r.s("result")?,
        ticket_id: r.os("ticket_id")?,
        created_at: r.i("created_at")?,
    })
}

pub async fn insert_maintenance(c: &mut DbConn, m: &MaintenanceRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("maintenance_records")
            .columns(MAINT_COLS)
            .values_panic([
                m.id.clone().into(),
                m.org_id.clone().into(),
                m.org_path.clone().into(),
                m.ci_id.clone().into(),
                m.kind.clone().into(),
                m.performed_at.into(),
                m.performer_id.clone().into(),
                m.description.clone().into(),
                m.result.clone().into(),
                m.ticket_id.clone().into(),
                m.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct MaintenanceFilter {
    /// Only this organisation and its subtree (a materialised path).
    pub org_path: Option<String>,
    pub kind: Option<String>,
    pub ci_id: Option<String>,
}

/// One page of the maintenance records in the scope, the most recent work
/// first, with the total.
pub async fn list_maintenance(
    c: &mut DbConn,
    scope: &Scope,
    f: &MaintenanceFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<MaintenanceRow>, i64), AppError> {
    let mut base = Query::select();
    base.from("maintenance_records")
        .cond_where(scope.condition("org_path"));
    if let Some(p) = &f.org_path {
        base.and_where(Expr::col("org_path").gte(p.clone()));
        base.and_where(Expr::col("org_path").lt(subtree_upper_bound(p)));
    }
    if let Some(k) = &f.kind {
        base.and_where(Expr::col("kind").eq(k.clone()));
    }
    if let Some(ci) = &f.ci_id {
        base.and_where(Expr::col("ci_id").eq(ci.clone()));
    }
    let count = base
        .clone()
        .expr_as(Func::count(Expr::col("id")), "n")
        .to_owned();
    let total = c.one(&count).await?.i("n")?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let q = base
        .columns(MAINT_COLS)
        .order_by("performed_at", Order::Desc)
        .order_by("id", Order::Desc)
        .offset(offset)
        .limit(limit)
        .to_owned();
    let rows = c
        .all(&q)
        .await?
        .iter()
        .map(maint_from_row)
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// A ticket named by its id or its number: (id, number, org_path).
pub async fn ticket_ref(
    c: &mut DbConn,
    id_or_number: &str,
) -> Result<Option<(String, String, String)>, AppError> {
    let q = Query::select()
        .columns(["id", "number", "org_path"])
        .from("tickets")
        .cond_where(
            sea_query::Cond::any()
                .add(Expr::col("id").eq(id_or_number))
                .add(Expr::col("number").eq(id_or_number)),
        )
        .limit(1)
        .to_owned();
    c.optional(&q)
        .await?
        .map(|r| Ok((r.s("id")?, r.s("number")?, r.s("org_path")?)))
        .transpose()
}

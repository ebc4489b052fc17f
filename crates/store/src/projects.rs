//! Government IT projects (migration 26, ADR 0017): the money and dates of
//! a project ticket, its supplementary contracts and the supervision
//! findings against it. Amounts are fen (`i64`).

use sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

/// One project: the `it_projects` row with its ticket's number and state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectRow {
    /// The project ticket's id.
    pub id: String,
    pub pack_id: String,
    /// The 建设单位.
    pub org_id: String,
    pub org_path: String,
    pub name: String,
    /// `investment`, `service` or `om` (SNXM-22).
    pub kind: String,
    /// `approval`, `regular` or `periodic` (SNXM-14, SNXM-15).
    pub route: String,
    /// `city` or `county` (SNXM-13).
    pub unit_level: String,
    /// 项目总投资, fen.
    pub total_fen: i64,
    /// 合同采购金额, fen, once the contract is signed.
    pub contract_fen: Option<i64>,
    pub contractor: String,
    pub supervisor: String,
    pub plan_year: Option<i64>,
    /// Added to the plan outside the yearly call (SNXM-17).
    pub urgent: bool,
    pub library_on: Option<String>,
    pub planned_on: Option<String>,
    pub trial_from: Option<String>,
    pub accepted_on: Option<String>,
    /// Last day of the free O&M period (SNXM-34).
    pub free_om_until: Option<String>,
    /// Last day for the self-evaluation (SNXM-36).
    pub self_evaluation_due: Option<String>,
    pub self_evaluation_on: Option<String>,
    pub self_evaluation_sm3: Option<String>,
    pub self_evaluation_file: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The ticket's number and state (read only).
    pub number: String,
    pub state: String,
}

const COLS: [&str; 25] = [
    "id",
    "pack_id",
    "org_id",
    "org_path",
    "name",
    "kind",
    "route",
    "unit_level",
    "total_fen",
    "contract_fen",
    "contractor",
    "supervisor",
    "plan_year",
    "urgent",
    "library_on",
    "planned_on",
    "trial_from",
    "accepted_on",
    "free_om_until",
    "self_evaluation_due",
    "self_evaluation_on",
    "self_evaluation_sm3",
    "self_evaluation_file",
    "created_at",
    "updated_at",
];

fn from_row(r: &AnyRow) -> Result<ProjectRow, AppError> {
    Ok(ProjectRow {
        id: r.s("id")?,
        pack_id: r.s("pack_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        name: r.s("name")?,
        kind: r.s("kind")?,
        route: r.s("route")?,
        unit_level: r.s("unit_level")?,
        total_fen: r.i("total_fen")?,
        contract_fen: r.oi("contract_fen")?,
        contractor: r.s("contractor")?,
        supervisor: r.s("supervisor")?,
        plan_year: r.oi("plan_year")?,
        urgent: r.i("urgent")? != 0,
        library_on: r.os("library_on")?,
        planned_on: r.os("planned_on")?,
        trial_from: r.os("trial_from")?,
        accepted_on: r.os("accepted_on")?,
        free_om_until: r.os("free_om_until")?,
        self_evaluation_due: r.os("self_evaluation_due")?,
        self_evaluation_on: r.os("self_evaluation_on")?,
        self_evaluation_sm3: r.os("self_evaluation_sm3")?,
        self_evaluation_file: r.os("self_evaluation_file")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
        number: r.s("number")?,
        state: r.s("state")?,
    })
}

/// The stored columns (all but the ticket's number and state).
fn stored() -> &'static [&'static str] {
    &COLS
}

fn joined() -> SelectStatement {
    let mut q = Query::select();
    for c in stored() {
        q.expr_as(Expr::col(("it_projects", *c)), Alias::new(*c));
    }
    q.expr_as(Expr::col(("tickets", "number")), Alias::new("number"))
        .expr_as(Expr::col(("tickets", "state")), Alias::new("state"))
        .from("it_projects")
        .inner_join(
            "tickets",
            Expr::col(("tickets", "id")).equals(("it_projects", "id")),
        );
    q
}

/// Inserts the project or replaces its stored columns.
pub async fn save(c: &mut DbConn, p: &ProjectRow) -> Result<(), AppError> {
    let values: Vec<sea_query::SimpleExpr> = vec![
        p.id.clone().into(),
        p.pack_id.clone().into(),
        p.org_id.clone().into(),
        p.org_path.clone().into(),
        p.name.clone().into(),
        p.kind.clone().into(),
        p.route.clone().into(),
        p.unit_level.clone().into(),
        p.total_fen.into(),
        p.contract_fen.into(),
        p.contractor.clone().into(),
        p.supervisor.clone().into(),
        p.plan_year.into(),
        i64::from(p.urgent).into(),
        p.library_on.clone().into(),
        p.planned_on.clone().into(),
        p.trial_from.clone().into(),
        p.accepted_on.clone().into(),
        p.free_om_until.clone().into(),
        p.self_evaluation_due.clone().into(),
        p.self_evaluation_on.clone().into(),
        p.self_evaluation_sm3.clone().into(),
        p.self_evaluation_file.clone().into(),
        p.created_at.into(),
        p.updated_at.into(),
    ];
    c.exec(
        &Query::insert()
            .into_table("it_projects")
            .columns(stored().iter().copied())
            .values_panic(values)
            .on_conflict(
                OnConflict::column("id")
                    .update_columns(stored()[1..].iter().copied())
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<ProjectRow>, AppError> {
    let mut q = joined();
    q.and_where(Expr::col(("it_projects", "id")).eq(id));
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Locks the project's row until the transaction ends on PostgreSQL
/// (SQLite write transactions are exclusive already): the supplementary
/// contracts of one project are counted one after the other.
pub async fn lock(c: &mut DbConn, id: &str) -> Result<bool, AppError> {
    let mut q = Query::select();
    q.column("id")
        .from("it_projects")
        .and_where(Expr::col("id").eq(id));
    if c.backend() == crate::Backend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    Ok(c.optional(&q).await?.is_some())
}

pub async fn by_number(c: &mut DbConn, number: &str) -> Result<Option<ProjectRow>, AppError> {
    let mut q = joined();
    q.and_where(Expr::col(("tickets", "number")).eq(number));
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// What a project list asks for.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub state: Option<String>,
    pub plan_year: Option<i64>,
    /// Only those on some annual plan.
    pub planned_only: bool,
}

/// The projects in `scope`, newest first, at most `limit`.
pub async fn list(
    c: &mut DbConn,
    scope: &Scope,
    f: &ProjectFilter,
    limit: u64,
) -> Result<Vec<ProjectRow>, AppError> {
    let mut q = joined();
    q.cond_where(scope.condition_on(|| Expr::col(("it_projects", "org_path"))));
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        q.and_where(Expr::col(("tickets", "state")).eq(s));
    }
    if let Some(y) = f.plan_year {
        q.and_where(Expr::col(("it_projects", "plan_year")).eq(y));
    }
    if f.planned_only {
        q.and_where(Expr::col(("it_projects", "planned_on")).is_not_null());
    }
    q.order_by(("it_projects", "created_at"), Order::Desc)
        .order_by(("it_projects", "id"), Order::Desc)
        .limit(limit);
    c.all(&q).await?.iter().map(from_row).collect()
}

// ------------------------------------------------------------ supplements

/// A supplementary contract counted against its project's limit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SupplementRow {
    /// The supplement ticket's id.
    pub id: String,
    pub project_id: String,
    pub amount_fen: i64,
    /// `held` (being decided), `approved` or `released`.
    pub state: String,
    pub created_at: i64,
}

pub async fn put_supplement(c: &mut DbConn, s: &SupplementRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("it_project_supplements")
            .columns(["id", "project_id", "amount_fen", "state", "created_at"])
            .values_panic([
                s.id.clone().into(),
                s.project_id.clone().into(),
                s.amount_fen.into(),
                s.state.clone().into(),
                s.created_at.into(),
            ])
            .on_conflict(
                OnConflict::column("id")
                    .update_columns(["project_id", "amount_fen", "state"])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn supplement(c: &mut DbConn, id: &str) -> Result<Option<SupplementRow>, AppError> {
    let q = Query::select()
        .columns(["id", "project_id", "amount_fen", "state", "created_at"])
        .from("it_project_supplements")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .map(|r| {
            Ok(SupplementRow {
                id: r.s("id")?,
                project_id: r.s("project_id")?,
                amount_fen: r.i("amount_fen")?,
                state: r.s("state")?,
                created_at: r.i("created_at")?,
            })
        })
        .transpose()
}

/// The supplements of a project, oldest first.
pub async fn supplements_of(
    c: &mut DbConn,
    project_id: &str,
) -> Result<Vec<SupplementRow>, AppError> {
    let q = Query::select()
        .columns(["id", "project_id", "amount_fen", "state", "created_at"])
        .from("it_project_supplements")
        .and_where(Expr::col("project_id").eq(project_id))
        .order_by("created_at", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(SupplementRow {
                id: r.s("id")?,
                project_id: r.s("project_id")?,
                amount_fen: r.i("amount_fen")?,
                state: r.s("state")?,
                created_at: r.i("created_at")?,
            })
        })
        .collect()
}

/// The fen the project's held and approved supplements add, but `except`.
pub async fn counted_fen(c: &mut DbConn, project_id: &str, except: &str) -> Result<i64, AppError> {
    let q = Query::select()
        .expr_as(
            // SUM of a bigint is numeric on PostgreSQL: cast back.
            Expr::cust("CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)"),
            Alias::new("total"),
        )
        .from("it_project_supplements")
        .and_where(Expr::col("project_id").eq(project_id))
        .and_where(Expr::col("id").ne(except))
        .and_where(Expr::col("state").is_in(["held", "approved"]))
        .to_owned();
    c.one(&q).await?.i("total")
}

// --------------------------------------------------------------- findings

/// A supervision finding with its deadline (SNXM-37).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FindingRow {
    pub id: String,
    pub project_id: String,
    pub org_id: String,
    pub org_path: String,
    /// `security` (网络安全), `crypto` (密码应用) or `other`.
    pub area: String,
    /// A major security or cryptography problem blocks new projects of the
    /// unit until rectified (SNXM-43).
    pub major: bool,
    pub finding: String,
    /// Last day for the rectification.
    pub deadline: String,
    pub rectified_on: Option<String>,
    pub rectification: String,
    pub created_by: String,
    pub created_at: i64,
}

const FINDING_COLS: [&str; 12] = [
    "id",
    "project_id",
    "org_id",
    "org_path",
    "area",
    "major",
    "finding",
    "deadline",
    "rectified_on",
    "rectification",
    "created_by",
    "created_at",
];

fn finding_from_row(r: &AnyRow) -> Result<FindingRow, AppError> {
    Ok(FindingRow {
        id: r.s("id")?,
        project_id: r.s("project_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        area: r.s("area")?,
        major: r.i("major")? != 0,
        finding: r.s("finding")?,
        deadline: r.s("deadline")?,
        rectified_on: r.os("rectified_on")?,
        rectification: r.s("rectification")?,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
    })
}

pub async fn insert_finding(c: &mut DbConn, f: &FindingRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("it_project_findings")
            .columns(FINDING_COLS)
            .values_panic([
                f.id.clone().into(),
                f.project_id.clone().into(),
                f.org_id.clone().into(),
                f.org_path.clone().into(),
                f.area.clone().into(),
                i64::from(f.major).into(),
                f.finding.clone().into(),
                f.deadline.clone().into(),
                f.rectified_on.clone().into(),
                f.rectification.clone().into(),
                f.created_by.clone().into(),
                f.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_finding(c: &mut DbConn, id: &str) -> Result<Option<FindingRow>, AppError> {
    let q = Query::select()
        .columns(FINDING_COLS)
        .from("it_project_findings")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(finding_from_row)
        .transpose()
}

/// Records the rectification; false when it was already recorded.
pub async fn rectify_finding(
    c: &mut DbConn,
    id: &str,
    on: &str,
    rectification: &str,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("it_project_findings")
                .values([
                    ("rectified_on", on.into()),
                    ("rectification", rectification.into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("rectified_on").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn findings_of(c: &mut DbConn, project_id: &str) -> Result<Vec<FindingRow>, AppError> {
    let q = Query::select()
        .columns(FINDING_COLS)
        .from("it_project_findings")
        .and_where(Expr::col("project_id").eq(project_id))
        .order_by("created_at", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(finding_from_row).collect()
}

/// The open major security or cryptography findings of a unit (SNXM-43).
pub async fn open_major_findings(
    c: &mut DbConn,
    org_id: &str,
) -> Result<Vec<FindingRow>, AppError> {
    let q = Query::select()
        .columns(FINDING_COLS)
        .from("it_project_findings")
        .and_where(Expr::col("org_id").eq(org_id))
        .and_where(Expr::col("major").eq(1))
        .and_where(Expr::col("area").is_in(["security", "crypto"]))
        .and_where(Expr::col("rectified_on").is_null())
        .order_by("created_at", Order::Asc)
        .limit(20)
        .to_owned();
    c.all(&q).await?.iter().map(finding_from_row).collect()
}

/// The open findings in scope, the earliest deadline first.
pub async fn open_findings(
    c: &mut DbConn,
    scope: &Scope,
    limit: u64,
) -> Result<Vec<FindingRow>, AppError> {
    let mut q = Query::select();
    q.columns(FINDING_COLS)
        .from("it_project_findings")
        .cond_where(scope.condition("org_path"))
        .and_where(Expr::col("rectified_on").is_null())
        .order_by("deadline", Order::Asc)
        .limit(limit);
    c.all(&q).await?.iter().map(finding_from_row).collect()
}

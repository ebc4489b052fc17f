//! The government cloud's utilisation (migration 23, SNYP-14): monthly
//! usage rows, their imports, the 降配/回收 proposals and the bars on units
//! that refused one. The systems and resources of migration 22 are read
//! here by small queries of this module's own.

use sea_query::{Expr, ExprTrait, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

/// Rows per multi-row insert: 17 values a row stays far under the
/// parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const INSERT_CHUNK: usize = 500;
/// Values per `IN (...)` list.
const IN_CHUNK: usize = 900;
/// Ids per verdict UPDATE on PostgreSQL (below its 65,535 parameters).
const VERDICT_CHUNK: usize = 10_000;

// ---------------------------------------------------------------- systems

/// What judging and importing need of a system on the cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRef {
    pub id: String,
    pub platform_id: String,
    pub org_id: String,
    pub org_path: String,
    pub name: String,
    /// The CMDB code of its item (系统编码).
    pub code: String,
    pub state: String,
    pub online_on: Option<String>,
}

fn system_from_row(r: &AnyRow) -> Result<SystemRef, AppError> {
    Ok(SystemRef {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        name: r.s("name")?,
        code: r.os("code")?.unwrap_or_default(),
        state: r.s("state")?,
        online_on: r.os("online_on")?,
    })
}

fn system_select() -> sea_query::SelectStatement {
    Query::select()
        .column(("cloud_systems", "id"))
        .column(("cloud_systems", "platform_id"))
        .column(("cloud_systems", "org_id"))
        .column(("cloud_systems", "org_path"))
        .column(("cloud_systems", "name"))
        .column(("cloud_systems", "state"))
        .column(("cloud_systems", "online_on"))
        .expr_as(Expr::col(("cis", "code")), "code")
        .from("cloud_systems")
        .left_join(
            "cis",
            Expr::col(("cis", "id")).equals(("cloud_systems", "ci_id")),
        )
        .to_owned()
}

/// The systems of a platform whose CMDB codes are among `codes`.
pub async fn systems_by_codes(
    c: &mut DbConn,
    platform_id: &str,
    codes: &[String],
) -> Result<Vec<SystemRef>, AppError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(IN_CHUNK) {
        let q = system_select()
            .and_where(Expr::col(("cloud_systems", "platform_id")).eq(platform_id))
            .and_where(Expr::col(("cis", "code")).is_in(chunk.iter().cloned()))
            .to_owned();
        for r in c.all(&q).await? {
            out.push(system_from_row(&r)?);
        }
    }
    Ok(out)
}

/// The systems of a platform with the given ids.
pub async fn systems_by_ids(
    c: &mut DbConn,
    platform_id: &str,
    ids: &[String],
) -> Result<Vec<SystemRef>, AppError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let q = system_select()
            .and_where(Expr::col(("cloud_systems", "platform_id")).eq(platform_id))
            .and_where(Expr::col(("cloud_systems", "id")).is_in(chunk.iter().cloned()))
            .to_owned();
        for r in c.all(&q).await? {
            out.push(system_from_row(&r)?);
        }
    }
    Ok(out)
}

pub async fn system(c: &mut DbConn, id: &str) -> Result<Option<SystemRef>, AppError> {
    let q = system_select()
        .and_where(Expr::col(("cloud_systems", "id")).eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(system_from_row)
        .transpose()
}

/// Locks the platform's row until the transaction ends on PostgreSQL
/// (SQLite write transactions are exclusive already): the imports of one
/// platform run one after the other.
pub async fn lock_platform(c: &mut DbConn, platform_id: &str) -> Result<bool, AppError> {
    let mut q = Query::select();
    q.column("id")
        .from("cloud_platforms")
        .and_where(Expr::col("id").eq(platform_id));
    if c.backend() == crate::Backend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    Ok(c.optional(&q).await?.is_some())
}

// -------------------------------------------------------------- resources

/// One resource row of a system, with its item's name and unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ResourceRef {
    pub id: String,
    pub system_id: String,
    pub platform_id: String,
    pub org_path: String,
    pub item_id: String,
    pub item_name: String,
    pub item_unit: String,
    pub quantity: i64,
    pub state: String,
    pub from_day: Option<String>,
    pub to_day: Option<String>,
    pub replaces_id: Option<String>,
}

fn resource_from_row(r: &AnyRow) -> Result<ResourceRef, AppError> {
    Ok(ResourceRef {
        id: r.s("id")?,
        system_id: r.s("system_id")?,
        platform_id: r.s("platform_id")?,
        org_path: r.s("org_path")?,
        item_id: r.s("item_id")?,
        item_name: r.s("item_name")?,
        item_unit: r.s("item_unit")?,
        quantity: r.i("quantity")?,
        state: r.s("state")?,
        from_day: r.os("from_day")?,
        to_day: r.os("to_day")?,
        replaces_id: r.os("replaces_id")?,
    })
}

/// The rows of a system in service now (allocated, not ended).
pub async fn running_resources(
    c: &mut DbConn,
    system_id: &str,
) -> Result<Vec<ResourceRef>, AppError> {
    let q = Query::select()
        .column(("cloud_resources", "id"))
        .column(("cloud_resources", "system_id"))
        .column(("cloud_resources", "platform_id"))
        .column(("cloud_resources", "org_path"))
        .column(("cloud_resources", "item_id"))
        .column(("cloud_resources", "quantity"))
        .column(("cloud_resources", "state"))
        .column(("cloud_resources", "from_day"))
        .column(("cloud_resources", "to_day"))
        .column(("cloud_resources", "replaces_id"))
        .expr_as(Expr::col(("cloud_catalogue_items", "name")), "item_name")
        .expr_as(Expr::col(("cloud_catalogue_items", "unit")), "item_unit")
        .from("cloud_resources")
        .inner_join(
            "cloud_catalogue_items",
            Expr::col(("cloud_catalogue_items", "id")).equals(("cloud_resources", "item_id")),
        )
        .and_where(Expr::col(("cloud_resources", "system_id")).eq(system_id))
        .and_where(Expr::col(("cloud_resources", "from_day")).is_not_null())
        .and_where(Expr::col(("cloud_resources", "to_day")).is_null())
        .order_by(("cloud_resources", "from_day"), Order::Asc)
        .order_by(("cloud_resources", "id"), Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(resource_from_row).collect()
}

/// Ends a running row on `day` in `state` (`replaced`, `reclaimed`);
/// false when it is no longer running.
pub async fn close_resource(
    c: &mut DbConn,
    id: &str,
    day: &str,
    state: &str,
    now: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("cloud_resources")
                .values([
                    ("to_day", day.into()),
                    ("state", state.into()),
                    ("updated_at", now.into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("to_day").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Opens the row that replaces `old` from `day` with `quantity`.
pub async fn open_replacement(
    c: &mut DbConn,
    id: &str,
    old: &ResourceRef,
    quantity: i64,
    day: &str,
    now: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_resources")
            .columns([
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
            ])
            .values_panic([
                id.into(),
                old.system_id.clone().into(),
                old.platform_id.clone().into(),
                old.org_path.clone().into(),
                old.item_id.clone().into(),
                quantity.into(),
                old.state.clone().into(),
                day.into(),
                Option::<String>::None.into(),
                old.id.clone().into(),
                Option::<String>::None.into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// One `cloud_system_events` row (the system's state does not change).
#[allow(clippy::too_many_arguments)]
pub async fn insert_system_event(
    c: &mut DbConn,
    id: &str,
    system_id: &str,
    at: i64,
    actor_id: &str,
    kind: &str,
    state: &str,
    note: &str,
) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_system_events")
            .columns([
                "id",
                "system_id",
                "at",
                "actor_id",
                "kind",
                "ticket_id",
                "state_before",
                "state_after",
                "note",
            ])
            .values_panic([
                id.into(),
                system_id.into(),
                at.into(),
                actor_id.into(),
                kind.into(),
                Option::<String>::None.into(),
                state.into(),
                state.into(),
                note.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ people

/// Active users of the organisations `org_ids` holding one of `roles`
/// (a provider's engineers, a monitor's).
pub async fn staff_with_roles(
    c: &mut DbConn,
    org_ids: &[String],
    roles: &[&str],
) -> Result<Vec<String>, AppError> {
    if org_ids.is_empty() || roles.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .distinct()
        .column(("users", "id"))
        .from("users")
        .inner_join(
            "role_grants",
            Expr::col(("role_grants", "user_id")).equals(("users", "id")),
        )
        .and_where(Expr::col(("users", "org_id")).is_in(org_ids.iter().cloned()))
        .and_where(Expr::col(("users", "status")).eq("active"))
        .and_where(Expr::col(("role_grants", "role")).is_in(roles.iter().copied()))
        .order_by(("users", "id"), Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(|r| r.s("id")).collect()
}

/// Active users of one organisation (a unit's people).
pub async fn org_users(c: &mut DbConn, org_id: &str) -> Result<Vec<String>, AppError> {
    let q = Query::select()
        .column("id")
        .from("users")
        .and_where(Expr::col("org_id").eq(org_id))
        .and_where(Expr::col("status").eq("active"))
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(|r| r.s("id")).collect()
}

/// The active users of each of `org_ids`, in one query per chunk.
pub async fn users_of_orgs(
    c: &mut DbConn,
    org_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<String>>, AppError> {
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    for chunk in org_ids.chunks(IN_CHUNK) {
        let q = Query::select()
            .columns(["id", "org_id"])
            .from("users")
            .and_where(Expr::col("org_id").is_in(chunk.iter().cloned()))
            .and_where(Expr::col("status").eq("active"))
            .order_by("id", Order::Asc)
            .to_owned();
        for r in c.all(&q).await? {
            out.entry(r.s("org_id")?).or_default().push(r.s("id")?);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------- usage

/// One import of a 资源使用情况表.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    pub id: String,
    pub platform_id: String,
    pub file_name: String,
    pub sm3: String,
    pub rows: i64,
    pub months: String,
    pub imported_by: String,
    pub imported_at: i64,
}

pub async fn insert_import(c: &mut DbConn, r: &ImportRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_usage_imports")
            .columns([
                "id",
                "platform_id",
                "file_name",
                "sm3",
                "rows",
                "months",
                "imported_by",
                "imported_at",
            ])
            .values_panic([
                r.id.clone().into(),
                r.platform_id.clone().into(),
                r.file_name.clone().into(),
                r.sm3.clone().into(),
                r.rows.into(),
                r.months.clone().into(),
                r.imported_by.clone().into(),
                r.imported_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn imports(
    c: &mut DbConn,
    platform_id: &str,
    limit: u64,
) -> Result<Vec<ImportRow>, AppError> {
    let q = Query::select()
        .columns([
            "id",
            "platform_id",
            "file_name",
            "sm3",
            "rows",
            "months",
            "imported_by",
            "imported_at",
        ])
        .from("cloud_usage_imports")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .order_by("imported_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(ImportRow {
                id: r.s("id")?,
                platform_id: r.s("platform_id")?,
                file_name: r.s("file_name")?,
                sm3: r.s("sm3")?,
                rows: r.i("rows")?,
                months: r.s("months")?,
                imported_by: r.s("imported_by")?,
                imported_at: r.i("imported_at")?,
            })
        })
        .collect()
}

/// One system's month. Percentages and GB in ten-thousandths (×10,000).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UsageRow {
    pub id: String,
    pub platform_id: String,
    pub system_id: String,
    pub org_id: String,
    pub org_path: String,
    pub month: String,
    pub cpu_avg_e4: Option<i64>,
    pub mem_avg_e4: Option<i64>,
    pub storage_used_e4: Option<i64>,
    pub storage_total_e4: Option<i64>,
    pub sample_days: i64,
    pub verdict: String,
    pub findings: String,
    pub import_id: String,
    pub imported_by: String,
    pub imported_at: i64,
    pub judged_at: i64,
}

const USAGE_COLS: [&str; 17] = [
    "id",
    "platform_id",
    "system_id",
    "org_id",
    "org_path",
    "month",
    "cpu_avg_e4",
    "mem_avg_e4",
    "storage_used_e4",
    "storage_total_e4",
    "sample_days",
    "verdict",
    "findings",
    "import_id",
    "imported_by",
    "imported_at",
    "judged_at",
];

fn usage_from_row(r: &AnyRow) -> Result<UsageRow, AppError> {
    Ok(UsageRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        system_id: r.s("system_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        month: r.s("month")?,
        cpu_avg_e4: r.oi("cpu_avg_e4")?,
        mem_avg_e4: r.oi("mem_avg_e4")?,
        storage_used_e4: r.oi("storage_used_e4")?,
        storage_total_e4: r.oi("storage_total_e4")?,
        sample_days: r.i("sample_days")?,
        verdict: r.s("verdict")?,
        findings: r.s("findings")?,
        import_id: r.s("import_id")?,
        imported_by: r.s("imported_by")?,
        imported_at: r.i("imported_at")?,
        judged_at: r.i("judged_at")?,
    })
}

/// Removes the rows of `month` of the given systems (a re-import
/// replaces them); returns how many went.
pub async fn delete_usage(
    c: &mut DbConn,
    month: &str,
    system_ids: &[String],
) -> Result<u64, AppError> {
    let mut n = 0;
    for chunk in system_ids.chunks(IN_CHUNK) {
        n += c
            .exec(
                &Query::delete()
                    .from_table("cloud_usage")
                    .and_where(Expr::col("month").eq(month))
                    .and_where(Expr::col("system_id").is_in(chunk.iter().cloned()))
                    .to_owned(),
            )
            .await?;
    }
    Ok(n)
}

/// Inserts rows in multi-row statements.
pub async fn insert_usage(c: &mut DbConn, rows: &[UsageRow]) -> Result<(), AppError> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut q = Query::insert();
        q.into_table("cloud_usage").columns(USAGE_COLS);
        for u in chunk {
            q.values_panic([
                u.id.clone().into(),
                u.platform_id.clone().into(),
                u.system_id.clone().into(),
                u.org_id.clone().into(),
                u.org_path.clone().into(),
                u.month.clone().into(),
                u.cpu_avg_e4.into(),
                u.mem_avg_e4.into(),
                u.storage_used_e4.into(),
                u.storage_total_e4.into(),
                u.sample_days.into(),
                u.verdict.clone().into(),
                u.findings.clone().into(),
                u.import_id.clone().into(),
                u.imported_by.clone().into(),
                u.imported_at.into(),
                u.judged_at.into(),
            ]);
        }
        c.exec(&q).await?;
    }
    Ok(())
}

/// The rows of a platform's month in `scope`, by organisation.
pub async fn usage_of_month(
    c: &mut DbConn,
    platform_id: &str,
    month: &str,
    scope: &Scope,
) -> Result<Vec<UsageRow>, AppError> {
    let q = Query::select()
        .columns(USAGE_COLS)
        .from("cloud_usage")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .and_where(Expr::col("month").eq(month))
        .cond_where(scope.condition("org_path"))
        .order_by("org_path", Order::Asc)
        .order_by("system_id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(usage_from_row).collect()
}

/// What judging a month reads of each row, with its system's go-live day
/// and name, in one query.
#[derive(Debug, Clone)]
pub struct JudgeInput {
    pub usage: UsageRow,
    pub online_on: Option<String>,
    pub system_name: String,
}

pub async fn judge_inputs(
    c: &mut DbConn,
    platform_id: &str,
    month: &str,
) -> Result<Vec<JudgeInput>, AppError> {
    let u = |col: &'static str| ("cloud_usage", col);
    let q = Query::select()
        .column(u("id"))
        .column(u("system_id"))
        .column(u("org_id"))
        .column(u("org_path"))
        .column(u("cpu_avg_e4"))
        .column(u("mem_avg_e4"))
        .column(u("storage_used_e4"))
        .column(u("storage_total_e4"))
        .column(u("sample_days"))
        .column(u("verdict"))
        .column(u("findings"))
        .column(("cloud_systems", "online_on"))
        .expr_as(Expr::col(("cloud_systems", "name")), "system_name")
        .from("cloud_usage")
        .inner_join(
            "cloud_systems",
            Expr::col(("cloud_systems", "id")).equals(("cloud_usage", "system_id")),
        )
        .and_where(Expr::col(u("platform_id")).eq(platform_id))
        .and_where(Expr::col(u("month")).eq(month))
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(JudgeInput {
                usage: UsageRow {
                    id: r.s("id")?,
                    platform_id: platform_id.to_string(),
                    system_id: r.s("system_id")?,
                    org_id: r.s("org_id")?,
                    org_path: r.s("org_path")?,
                    month: month.to_string(),
                    cpu_avg_e4: r.oi("cpu_avg_e4")?,
                    mem_avg_e4: r.oi("mem_avg_e4")?,
                    storage_used_e4: r.oi("storage_used_e4")?,
                    storage_total_e4: r.oi("storage_total_e4")?,
                    sample_days: r.i("sample_days")?,
                    verdict: r.s("verdict")?,
                    findings: r.s("findings")?,
                    import_id: String::new(),
                    imported_by: String::new(),
                    imported_at: 0,
                    judged_at: 0,
                },
                online_on: r.os("online_on")?,
                system_name: r.s("system_name")?,
            })
        })
        .collect()
}

/// Sets one verdict and findings on many rows at once.
pub async fn set_verdicts(
    c: &mut DbConn,
    platform_id: &str,
    month: &str,
    ids: &[String],
    verdict: &str,
    findings: &str,
    now: i64,
) -> Result<(), AppError> {
    // SQLite finds each id by its key; PostgreSQL's planner scanned the
    // whole table once per small chunk, so there the chunks are large and
    // narrowed to the month by its index.
    let postgres = c.backend() == crate::Backend::Postgres;
    let size = if postgres { VERDICT_CHUNK } else { IN_CHUNK };
    for chunk in ids.chunks(size) {
        let mut q = Query::update()
            .table("cloud_usage")
            .values([
                ("verdict", verdict.into()),
                ("findings", findings.into()),
                ("judged_at", now.into()),
            ])
            .and_where(Expr::col("id").is_in(chunk.iter().cloned()))
            .to_owned();
        if postgres {
            q.and_where(Expr::col("platform_id").eq(platform_id))
                .and_where(Expr::col("month").eq(month));
        }
        c.exec(&q).await?;
    }
    Ok(())
}

/// The months a platform has rows for, newest first.
pub async fn months(c: &mut DbConn, platform_id: &str) -> Result<Vec<String>, AppError> {
    let q = Query::select()
        .distinct()
        .column("month")
        .from("cloud_usage")
        .and_where(Expr::col("platform_id").eq(platform_id))
        .order_by("month", Order::Desc)
        .limit(120)
        .to_owned();
    c.all(&q).await?.iter().map(|r| r.s("month")).collect()
}

// ---------------------------------------------------------------- reclaims

/// A 降配/回收 proposal of one system's month (SNYP-14).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReclaimRow {
    pub id: String,
    pub platform_id: String,
    pub system_id: String,
    pub org_id: String,
    pub org_path: String,
    pub month: String,
    pub verdict: String,
    pub findings: String,
    pub state: String,
    pub plan: String,
    /// JSON list of the changes planned per resource row.
    pub changes: String,
    pub planned_by: Option<String>,
    pub planned_at: Option<i64>,
    pub notified_by: Option<String>,
    pub notified_at: Option<i64>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    pub refusal_reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: String,
    pub implemented_by: Option<String>,
    pub implemented_at: Option<i64>,
    pub implemented_on: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

const RECLAIM_COLS: [&str; 27] = [
    "id",
    "platform_id",
    "system_id",
    "org_id",
    "org_path",
    "month",
    "verdict",
    "findings",
    "state",
    "plan",
    "changes",
    "planned_by",
    "planned_at",
    "notified_by",
    "notified_at",
    "answered_by",
    "answered_at",
    "refusal_reason",
    "decided_by",
    "decided_at",
    "decision_note",
    "implemented_by",
    "implemented_at",
    "implemented_on",
    "created_at",
    "updated_at",
    "version",
];

fn reclaim_from_row(r: &AnyRow) -> Result<ReclaimRow, AppError> {
    Ok(ReclaimRow {
        id: r.s("id")?,
        platform_id: r.s("platform_id")?,
        system_id: r.s("system_id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        month: r.s("month")?,
        verdict: r.s("verdict")?,
        findings: r.s("findings")?,
        state: r.s("state")?,
        plan: r.s("plan")?,
        changes: r.s("changes")?,
        planned_by: r.os("planned_by")?,
        planned_at: r.oi("planned_at")?,
        notified_by: r.os("notified_by")?,
        notified_at: r.oi("notified_at")?,
        answered_by: r.os("answered_by")?,
        answered_at: r.oi("answered_at")?,
        refusal_reason: r.s("refusal_reason")?,
        decided_by: r.os("decided_by")?,
        decided_at: r.oi("decided_at")?,
        decision_note: r.s("decision_note")?,
        implemented_by: r.os("implemented_by")?,
        implemented_at: r.oi("implemented_at")?,
        implemented_on: r.os("implemented_on")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
        version: r.i("version")?,
    })
}

fn reclaim_values(r: &ReclaimRow) -> Vec<sea_query::SimpleExpr> {
    vec![
        r.id.clone().into(),
        r.platform_id.clone().into(),
        r.system_id.clone().into(),
        r.org_id.clone().into(),
        r.org_path.clone().into(),
        r.month.clone().into(),
        r.verdict.clone().into(),
        r.findings.clone().into(),
        r.state.clone().into(),
        r.plan.clone().into(),
        r.changes.clone().into(),
        r.planned_by.clone().into(),
        r.planned_at.into(),
        r.notified_by.clone().into(),
        r.notified_at.into(),
        r.answered_by.clone().into(),
        r.answered_at.into(),
        r.refusal_reason.clone().into(),
        r.decided_by.clone().into(),
        r.decided_at.into(),
        r.decision_note.clone().into(),
        r.implemented_by.clone().into(),
        r.implemented_at.into(),
        r.implemented_on.clone().into(),
        r.created_at.into(),
        r.updated_at.into(),
        r.version.into(),
    ]
}

/// The (system, month) pairs among `system_ids` that already have a
/// proposal for `month`.
pub async fn reclaimed_systems(
    c: &mut DbConn,
    month: &str,
    system_ids: &[String],
) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for chunk in system_ids.chunks(IN_CHUNK) {
        let q = Query::select()
            .column("system_id")
            .from("cloud_reclaims")
            .and_where(Expr::col("month").eq(month))
            .and_where(Expr::col("system_id").is_in(chunk.iter().cloned()))
            .to_owned();
        for r in c.all(&q).await? {
            out.push(r.s("system_id")?);
        }
    }
    Ok(out)
}

pub async fn insert_reclaims(c: &mut DbConn, rows: &[ReclaimRow]) -> Result<(), AppError> {
    for chunk in rows.chunks(INSERT_CHUNK / 2) {
        let mut q = Query::insert();
        q.into_table("cloud_reclaims").columns(RECLAIM_COLS);
        for r in chunk {
            q.values_panic(reclaim_values(r));
        }
        c.exec(&q).await?;
    }
    Ok(())
}

pub async fn get_reclaim(c: &mut DbConn, id: &str) -> Result<Option<ReclaimRow>, AppError> {
    let q = Query::select()
        .columns(RECLAIM_COLS)
        .from("cloud_reclaims")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(reclaim_from_row)
        .transpose()
}

/// Writes a proposal's step, guarded by the version read; false when
/// someone else moved it first.
pub async fn update_reclaim(
    c: &mut DbConn,
    r: &ReclaimRow,
    read_version: i64,
) -> Result<bool, AppError> {
    let cols = RECLAIM_COLS;
    let vals = reclaim_values(&ReclaimRow {
        version: read_version + 1,
        ..r.clone()
    });
    let pairs: Vec<(&str, sea_query::SimpleExpr)> = cols
        .iter()
        .copied()
        .zip(vals)
        .filter(|(c, _)| *c != "id")
        .collect();
    let n = c
        .exec(
            &Query::update()
                .table("cloud_reclaims")
                .values(pairs)
                .and_where(Expr::col("id").eq(&r.id))
                .and_where(Expr::col("version").eq(read_version))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Proposals in `scope`, optionally of one state, newest first.
pub async fn reclaims(
    c: &mut DbConn,
    scope: &Scope,
    state: Option<&str>,
    limit: u64,
) -> Result<Vec<ReclaimRow>, AppError> {
    let mut q = Query::select();
    q.columns(RECLAIM_COLS)
        .from("cloud_reclaims")
        .cond_where(scope.condition("org_path"));
    if let Some(s) = state {
        q.and_where(Expr::col("state").eq(s));
    }
    q.order_by("updated_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit);
    c.all(&q).await?.iter().map(reclaim_from_row).collect()
}

/// Proposals of the platforms whose provider or monitor is `org_id`.
pub async fn reclaims_of_vendor(
    c: &mut DbConn,
    org_id: &str,
    state: Option<&str>,
    limit: u64,
) -> Result<Vec<ReclaimRow>, AppError> {
    let platforms = Query::select()
        .column("id")
        .from("cloud_platforms")
        .cond_where(
            sea_query::Cond::any()
                .add(Expr::col("provider_org_id").eq(org_id))
                .add(Expr::col("monitor_org_id").eq(org_id)),
        )
        .to_owned();
    let mut q = Query::select();
    q.columns(RECLAIM_COLS)
        .from("cloud_reclaims")
        .and_where(Expr::col("platform_id").in_subquery(platforms));
    if let Some(s) = state {
        q.and_where(Expr::col("state").eq(s));
    }
    q.order_by("updated_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit);
    c.all(&q).await?.iter().map(reclaim_from_row).collect()
}

// -------------------------------------------------------------------- bars

/// A unit barred from applying for resources for the rest of a year
/// (SNYP-14).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BarRow {
    pub id: String,
    pub platform_id: String,
    pub org_id: String,
    pub org_path: String,
    pub year: i64,
    pub reclaim_id: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

pub async fn insert_bar(c: &mut DbConn, b: &BarRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cloud_bars")
            .columns([
                "id",
                "platform_id",
                "org_id",
                "org_path",
                "year",
                "reclaim_id",
                "reason",
                "created_by",
                "created_at",
            ])
            .values_panic([
                b.id.clone().into(),
                b.platform_id.clone().into(),
                b.org_id.clone().into(),
                b.org_path.clone().into(),
                b.year.into(),
                b.reclaim_id.clone().into(),
                b.reason.clone().into(),
                b.created_by.clone().into(),
                b.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The bars on an organisation in `year`.
pub async fn bars_of(c: &mut DbConn, org_id: &str, year: i64) -> Result<Vec<BarRow>, AppError> {
    let q = Query::select()
        .columns([
            "id",
            "platform_id",
            "org_id",
            "org_path",
            "year",
            "reclaim_id",
            "reason",
            "created_by",
            "created_at",
        ])
        .from("cloud_bars")
        .and_where(Expr::col("org_id").eq(org_id))
        .and_where(Expr::col("year").eq(year))
        .order_by("created_at", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(BarRow {
                id: r.s("id")?,
                platform_id: r.s("platform_id")?,
                org_id: r.s("org_id")?,
                org_path: r.s("org_path")?,
                year: r.i("year")?,
                reclaim_id: r.s("reclaim_id")?,
                reason: r.s("reason")?,
                created_by: r.s("created_by")?,
                created_at: r.i("created_at")?,
            })
        })
        .collect()
}

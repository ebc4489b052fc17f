//! The CMDB tables (migration 7): configuration items (`cis`), their
//! relations, the tickets that touch them and the IP address plan.
//! Authorisation and validation are the caller's (`core::cmdb`).

use sea_query::{Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CiRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub category: String,
    pub ci_type: String,
    pub org_id: String,
    pub org_path: String,
    pub vendor: String,
    pub location: String,
    pub status: String,
    pub version: String,
    pub patch_level: String,
    pub licence: String,
    /// `YYYY-MM-DD`.
    pub licence_expires: Option<String>,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const CI_COLS: [&str; 17] = [
    "id",
    "code",
    "name",
    "category",
    "ci_type",
    "org_id",
    "org_path",
    "vendor",
    "location",
    "status",
    "version",
    "patch_level",
    "licence",
    "licence_expires",
    "notes",
    "created_at",
    "updated_at",
];

fn ci_from_row(r: &AnyRow) -> Result<CiRow, AppError> {
    Ok(CiRow {
        id: r.s("id")?,
        code: r.s("code")?,
        name: r.s("name")?,
        category: r.s("category")?,
        ci_type: r.s("ci_type")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        vendor: r.s("vendor")?,
        location: r.s("location")?,
        status: r.s("status")?,
        version: r.s("version")?,
        patch_level: r.s("patch_level")?,
        licence: r.s("licence")?,
        licence_expires: r.os("licence_expires")?,
        notes: r.s("notes")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
    })
}

fn ci_values(a: &CiRow) -> Vec<sea_query::SimpleExpr> {
    vec![
        a.id.clone().into(),
        a.code.clone().into(),
        a.name.clone().into(),
        a.category.clone().into(),
        a.ci_type.clone().into(),
        a.org_id.clone().into(),
        a.org_path.clone().into(),
        a.vendor.clone().into(),
        a.location.clone().into(),
        a.status.clone().into(),
        a.version.clone().into(),
        a.patch_level.clone().into(),
        a.licence.clone().into(),
        a.licence_expires.clone().into(),
        a.notes.clone().into(),
        a.created_at.into(),
        a.updated_at.into(),
    ]
}

pub async fn insert_ci(c: &mut DbConn, a: &CiRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("cis")
            .columns(CI_COLS)
            .values_panic(ci_values(a))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Writes every column but id and created_at, guarded by the
/// `updated_at` it was read with; false when someone changed it meanwhile.
pub async fn update_ci(c: &mut DbConn, a: &CiRow, expected_updated: i64) -> Result<bool, AppError> {
    let values: Vec<(&str, sea_query::SimpleExpr)> = CI_COLS
        .iter()
        .zip(ci_values(a))
        .filter(|(col, _)| !matches!(**col, "id" | "created_at"))
        .map(|(col, v)| (*col, v))
        .collect();
    let n = c
        .exec(
            &Query::update()
                .table("cis")
                .values(values)
                .and_where(Expr::col("id").eq(a.id.clone()))
                .and_where(Expr::col("updated_at").eq(expected_updated))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_ci(c: &mut DbConn, id: &str) -> Result<Option<CiRow>, AppError> {
    let q = Query::select()
        .columns(CI_COLS)
        .from("cis")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(ci_from_row).transpose()
}

pub async fn ci_by_code(c: &mut DbConn, code: &str) -> Result<Option<CiRow>, AppError> {
    let q = Query::select()
        .columns(CI_COLS)
        .from("cis")
        .and_where(Expr::col("code").eq(code))
        .to_owned();
    c.optional(&q).await?.as_ref().map(ci_from_row).transpose()
}

/// The items among `ids`, any order.
pub async fn cis_by_ids(c: &mut DbConn, ids: &[String]) -> Result<Vec<CiRow>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = Query::select()
        .columns(CI_COLS)
        .from("cis")
        .and_where(Expr::col("id").is_in(ids.iter().cloned()))
        .order_by("code", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(ci_from_row).collect()
}

/// Which of `codes` exist already (import duplicate check).
pub async fn existing_codes(c: &mut DbConn, codes: &[String]) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let q = Query::select()
            .column("code")
            .from("cis")
            .and_where(Expr::col("code").is_in(chunk.iter().cloned()))
            .to_owned();
        for r in c.all(&q).await? {
            out.push(r.s("code")?);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct CiFilter {
    pub category: Option<String>,
    pub status: Option<String>,
    /// Items of this organisation and below.
    pub org_path: Option<String>,
    /// Part of the code, name, type, vendor or location.
    pub text: Option<String>,
}

fn filtered(scope: &Scope, f: &CiFilter) -> SelectStatement {
    let mut q = Query::select();
    q.from("cis").cond_where(scope.condition("org_path"));
    if let Some(v) = &f.category {
        q.and_where(Expr::col("category").eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q.and_where(Expr::col("status").eq(v.clone()));
    }
    if let Some(p) = &f.org_path {
        q.cond_where(Scope::ranges(vec![(p.clone(), true)]).condition("org_path"));
    }
    if let Some(t) = f.text.as_ref().filter(|t| !t.is_empty()) {
        let like = crate::db::like_contains(t);
        q.cond_where(
            Cond::any()
                .add(Expr::col("code").like(like.clone()))
                .add(Expr::col("name").like(like.clone()))
                .add(Expr::col("ci_type").like(like.clone()))
                .add(Expr::col("vendor").like(like.clone()))
                .add(Expr::col("location").like(like)),
        );
    }
    q
}

/// One page of items in `scope`, by code, with the total.
pub async fn list_cis(
    c: &mut DbConn,
    scope: &Scope,
    f: &CiFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<CiRow>, i64), AppError> {
    let base = filtered(scope, f);
    let total = c
        .one(
            &base
                .clone()
                .expr_as(Func::count(Expr::col("id")), "n")
                .to_owned(),
        )
        .await?
        .i("n")?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let q = base
        .clone()
        .columns(CI_COLS)
        .order_by("code", Order::Asc)
        .order_by("id", Order::Asc)
        .offset(offset)
        .limit(limit)
        .to_owned();
    let rows = c
        .all(&q)
        .await?
        .iter()
        .map(ci_from_row)
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

// ---- relations ----

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RelationRow {
    pub id: String,
    pub from_ci: String,
    pub to_ci: String,
    pub kind: String,
    pub created_at: i64,
}

fn rel_from_row(r: &AnyRow) -> Result<RelationRow, AppError> {
    Ok(RelationRow {
        id: r.s("id")?,
        from_ci: r.s("from_ci")?,
        to_ci: r.s("to_ci")?,
        kind: r.s("kind")?,
        created_at: r.i("created_at")?,
    })
}

const REL_COLS: [&str; 5] = ["id", "from_ci", "to_ci", "kind", "created_at"];

pub async fn insert_relation(c: &mut DbConn, r: &RelationRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("ci_relations")
            .columns(REL_COLS)
            .values_panic([
                r.id.clone().into(),
                r.from_ci.clone().into(),
                r.to_ci.clone().into(),
                r.kind.clone().into(),
                r.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_relation(c: &mut DbConn, id: &str) -> Result<Option<RelationRow>, AppError> {
    let q = Query::select()
        .columns(REL_COLS)
        .from("ci_relations")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(rel_from_row).transpose()
}

pub async fn delete_relation(c: &mut DbConn, id: &str) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::delete()
                .from_table("ci_relations")
                .and_where(Expr::col("id").eq(id))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Relations from or to `ci`, oldest first.
pub async fn relations_of(c: &mut DbConn, ci: &str) -> Result<Vec<RelationRow>, AppError> {
    let q = Query::select()
        .columns(REL_COLS)
        .from("ci_relations")
        .cond_where(
            Cond::any()
                .add(Expr::col("from_ci").eq(ci))
                .add(Expr::col("to_ci").eq(ci)),
        )
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(rel_from_row).collect()
}

/// The items with a relation of one of `kinds` to one of `targets`
/// (`from_ci` of `from_ci -> target`): one step of the impact walk.
pub async fn dependents(
    c: &mut DbConn,
    targets: &[String],
    kinds: &[&str],
) -> Result<Vec<(String, String)>, AppError> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let q = Query::select()
        .columns(["from_ci", "to_ci"])
        .from("ci_relations")
        .and_where(Expr::col("to_ci").is_in(targets.iter().cloned()))
        .and_where(Expr::col("kind").is_in(kinds.iter().map(|k| k.to_string())))
        .order_by("from_ci", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| Ok((r.s("from_ci")?, r.s("to_ci")?)))
        .collect()
}

// ---- tickets ----

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LinkedTicket {
    pub link_id: String,
    pub ticket_id: String,
    pub number: String,
    pub title: String,
    pub process_id: String,
    pub state: String,
    pub org_path: String,
    pub closed: bool,
    pub linked_at: i64,
}

pub async fn link_ticket(
    c: &mut DbConn,
    id: &str,
    ticket_id: &str,
    ci_id: &str,
    by: &str,
    at: i64,
) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("ticket_cis")
            .columns(["id", "ticket_id", "ci_id", "linked_by", "created_at"])
            .values_panic([
                id.into(),
                ticket_id.into(),
                ci_id.into(),
                by.into(),
                at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn unlink_ticket(c: &mut DbConn, ticket_id: &str, ci_id: &str) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::delete()
                .from_table("ticket_cis")
                .and_where(Expr::col("ticket_id").eq(ticket_id))
                .and_where(Expr::col("ci_id").eq(ci_id))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// The tickets linked to `ci`, newest link first (at most `limit`).
pub async fn tickets_of_ci(
    c: &mut DbConn,
    ci: &str,
    limit: u64,
) -> Result<Vec<LinkedTicket>, AppError> {
    let q = Query::select()
        .expr_as(Expr::col(("l", "id")), "link_id")
        .expr_as(Expr::col(("t", "id")), "ticket_id")
        .columns([
            ("t", "number"),
            ("t", "title"),
            ("t", "process_id"),
            ("t", "state"),
            ("t", "org_path"),
            ("t", "closed_at"),
        ])
        .expr_as(Expr::col(("l", "created_at")), "linked_at")
        .from_as("ticket_cis", "l")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "tickets",
            "t",
            Expr::col(("t", "id")).equals(("l", "ticket_id")),
        )
        .and_where(Expr::col(("l", "ci_id")).eq(ci))
        .order_by(("l", "created_at"), Order::Desc)
        .order_by(("l", "id"), Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(linked_from_row).collect()
}

fn linked_from_row(r: &AnyRow) -> Result<LinkedTicket, AppError> {
    Ok(LinkedTicket {
        link_id: r.s("link_id")?,
        ticket_id: r.s("ticket_id")?,
        number: r.s("number")?,
        title: r.s("title")?,
        process_id: r.s("process_id")?,
        state: r.s("state")?,
        org_path: r.s("org_path")?,
        closed: r.oi("closed_at")?.is_some(),
        linked_at: r.i("linked_at")?,
    })
}

/// The items linked to a ticket, by code.
pub async fn cis_of_ticket(c: &mut DbConn, ticket_id: &str) -> Result<Vec<CiRow>, AppError> {
    let q = Query::select()
        .columns(CI_COLS.map(|col| ("c", col)))
        .from_as("cis", "c")
        .inner_join(
            sea_query::Alias::new("ticket_cis"),
            Expr::col(("ticket_cis", "ci_id")).equals(("c", "id")),
        )
        .and_where(Expr::col(("ticket_cis", "ticket_id")).eq(ticket_id))
        .order_by(("c", "code"), Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(ci_from_row).collect()
}

// ---- IP plan ----

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SegmentRow {
    pub id: String,
    pub cidr: String,
    pub name: String,
    pub org_id: String,
    pub org_path: String,
    pub created_at: i64,
}

const SEG_COLS: [&str; 6] = ["id", "cidr", "name", "org_id", "org_path", "created_at"];

fn seg_from_row(r: &AnyRow) -> Result<SegmentRow, AppError> {
    Ok(SegmentRow {
        id: r.s("id")?,
        cidr: r.s("cidr")?,
        name: r.s("name")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        created_at: r.i("created_at")?,
    })
}

pub async fn insert_segment(c: &mut DbConn, s: &SegmentRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("ip_segments")
            .columns(SEG_COLS)
            .values_panic([
                s.id.clone().into(),
                s.cidr.clone().into(),
                s.name.clone().into(),
                s.org_id.clone().into(),
                s.org_path.clone().into(),
                s.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_segment(c: &mut DbConn, id: &str) -> Result<Option<SegmentRow>, AppError> {
    let q = Query::select()
        .columns(SEG_COLS)
        .from("ip_segments")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q).await?.as_ref().map(seg_from_row).transpose()
}

/// Segments in `scope` (all of them with [`Scope::system`]), by address.
pub async fn list_segments(c: &mut DbConn, scope: &Scope) -> Result<Vec<SegmentRow>, AppError> {
    let q = Query::select()
        .columns(SEG_COLS)
        .from("ip_segments")
        .cond_where(scope.condition("org_path"))
        .order_by("cidr", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(seg_from_row).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AllocationRow {
    pub id: String,
    pub segment_id: String,
    pub address: String,
    pub ci_id: Option<String>,
    pub purpose: String,
    pub created_at: i64,
}

const ALLOC_COLS: [&str; 6] = [
    "id",
    "segment_id",
    "address",
    "ci_id",
    "purpose",
    "created_at",
];

fn alloc_from_row(r: &AnyRow) -> Result<AllocationRow, AppError> {
    Ok(AllocationRow {
        id: r.s("id")?,
        segment_id: r.s("segment_id")?,
        address: r.s("address")?,
        ci_id: r.os("ci_id")?,
        purpose: r.s("purpose")?,
        created_at: r.i("created_at")?,
    })
}

pub async fn insert_allocation(c: &mut DbConn, a: &AllocationRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("ip_allocations")
            .columns(ALLOC_COLS)
            .values_panic([
                a.id.clone().into(),
                a.segment_id.clone().into(),
                a.address.clone().into(),
                a.ci_id.clone().into(),
                a.purpose.clone().into(),
                a.created_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn get_allocation(c: &mut DbConn, id: &str) -> Result<Option<AllocationRow>, AppError> {
    let q = Query::select()
        .columns(ALLOC_COLS)
        .from("ip_allocations")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(alloc_from_row)
        .transpose()
}

pub async fn allocation_by_address(
    c: &mut DbConn,
    address: &str,
) -> Result<Option<AllocationRow>, AppError> {
    let q = Query::select()
        .columns(ALLOC_COLS)
        .from("ip_allocations")
        .and_where(Expr::col("address").eq(address))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(alloc_from_row)
        .transpose()
}

pub async fn delete_allocation(c: &mut DbConn, id: &str) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::delete()
                .from_table("ip_allocations")
                .and_where(Expr::col("id").eq(id))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Allocations of a segment (`Some`) or of an item (`ci`), by address text.
pub async fn allocations(
    c: &mut DbConn,
    segment: Option<&str>,
    ci: Option<&str>,
) -> Result<Vec<AllocationRow>, AppError> {
    let mut q = Query::select();
    q.columns(ALLOC_COLS).from("ip_allocations");
    if let Some(s) = segment {
        q.and_where(Expr::col("segment_id").eq(s));
    }
    if let Some(ci) = ci {
        q.and_where(Expr::col("ci_id").eq(ci));
    }
    q.order_by("address", Order::Asc).order_by("id", Order::Asc);
    c.all(&q).await?.iter().map(alloc_from_row).collect()
}

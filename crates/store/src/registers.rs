//! The declarative registers' tables (migration 10, ADR 0006): one real
//! table per register, named by its spec, with the common columns below
//! and one typed column per field; and `register_history`, the value of
//! an entry before each change.

use std::collections::BTreeMap;

use sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr, Value};
use sqlx::any::AnyRow;
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

/// Columns every register table has, besides its fields.
pub const COMMON: [&str; 10] = [
    "id",
    "org_id",
    "org_path",
    "partner_path",
    "parent_id",
    "version",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EntryRow {
    pub id: String,
    /// The owner organisation.
    pub org_id: String,
    pub org_path: String,
    /// The partner organisation's path (vendor, borrower), if any.
    pub partner_path: Option<String>,
    pub parent_id: Option<String>,
    /// 1 when filed, +1 at every change.
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_by: String,
    pub updated_at: i64,
    pub values: BTreeMap<&'static str, Val>,
}

impl EntryRow {
    pub fn get(&self, field: &str) -> &Val {
        self.values.get(field).unwrap_or(&Val::Null)
    }
}

fn table(spec: &Spec) -> Alias {
    Alias::new(spec.key)
}

fn value_of(v: &Val) -> Value {
    match v {
        Val::Null => Value::String(None),
        Val::Text(t) => t.clone().into(),
        Val::Int(i) => (*i).into(),
    }
}

fn from_row(spec: &Spec, r: &AnyRow) -> Result<EntryRow, AppError> {
    let mut values = BTreeMap::new();
    for f in spec.fields {
        let v = if f.kind.is_int() {
            r.oi(f.name)?.map(Val::Int)
        } else {
            r.os(f.name)?.map(Val::Text)
        };
        values.insert(f.name, v.unwrap_or(Val::Null));
    }
    Ok(EntryRow {
        id: r.s("id")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        partner_path: r.os("partner_path")?,
        parent_id: r.os("parent_id")?,
        version: r.i("version")?,
        created_by: r.s("created_by")?,
        created_at: r.i("created_at")?,
        updated_by: r.s("updated_by")?,
        updated_at: r.i("updated_at")?,
        values,
    })
}

fn select(spec: &Spec) -> SelectStatement {
    let mut q = Query::select();
    q.from(table(spec)).columns(COMMON);
    for f in spec.fields {
        q.column(f.name);
    }
    q.to_owned()
}

fn null_int(v: Option<i64>) -> Value {
    Value::BigInt(v)
}

fn null_text(v: &Option<String>) -> Value {
    Value::String(v.clone())
}

pub async fn insert(c: &mut DbConn, spec: &Spec, e: &EntryRow) -> Result<(), AppError> {
    let mut cols: Vec<&str> = COMMON.to_vec();
    let mut vals: Vec<SimpleExpr> = vec![
        e.id.clone().into(),
        e.org_id.clone().into(),
        e.org_path.clone().into(),
        null_text(&e.partner_path).into(),
        null_text(&e.parent_id).into(),
        e.version.into(),
        e.created_by.clone().into(),
        e.created_at.into(),
        e.updated_by.clone().into(),
        e.updated_at.into(),
    ];
    for f in spec.fields {
        cols.push(f.name);
        let v = e.get(f.name);
        vals.push(match (v, f.kind.is_int()) {
            (Val::Null, true) => null_int(None).into(),
            (v, _) => value_of(v).into(),
        });
    }
    c.exec(
        &Query::insert()
            .into_table(table(spec))
            .columns(cols)
            .values_panic(vals)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Writes every field, the organisation and the version of `e`, if the
/// stored version is still `expected_version`; false when someone else
/// changed it first.
pub async fn update(
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
    expected_version: i64,
) -> Result<bool, AppError> {
    let mut q = Query::update();
    q.table(table(spec))
        .value("org_id", e.org_id.clone())
        .value("org_path", e.org_path.clone())
        .value("partner_path", null_text(&e.partner_path))
        .value("version", e.version)
        .value("updated_by", e.updated_by.clone())
        .value("updated_at", e.updated_at);
    for f in spec.fields {
        let v = e.get(f.name);
        q.value(
            f.name,
            match (v, f.kind.is_int()) {
                (Val::Null, true) => null_int(None),
                (v, _) => value_of(v),
            },
        );
    }
    q.and_where(Expr::col("id").eq(e.id.clone()))
        .and_where(Expr::col("version").eq(expected_version));
    Ok(c.exec(&q).await? == 1)
}

pub async fn get(c: &mut DbConn, spec: &Spec, id: &str) -> Result<Option<EntryRow>, AppError> {
    let q = select(spec)
        .and_where(Expr::col("id").eq(id.to_string()))
        .to_owned();
    c.optional(&q)
        .await?
        .map(|r| from_row(spec, &r))
        .transpose()
}

/// Like [`get`], and on PostgreSQL locks the row until the transaction
/// ends (SQLite write transactions are already exclusive): a rule that
/// counts the records under an entry (a contract's renewals, NTCZ-5.1)
/// holds its parent so parallel filings are counted one after the other.
pub async fn get_for_update(
    c: &mut DbConn,
    spec: &Spec,
    id: &str,
) -> Result<Option<EntryRow>, AppError> {
    let mut q = select(spec)
        .and_where(Expr::col("id").eq(id.to_string()))
        .to_owned();
    if c.backend() == crate::Backend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    c.optional(&q)
        .await?
        .map(|r| from_row(spec, &r))
        .transpose()
}

/// Entries whose fields equal the given values, oldest first (rules).
pub async fn find(
    c: &mut DbConn,
    spec: &Spec,
    eq: &[(&str, Val)],
    limit: u64,
) -> Result<Vec<EntryRow>, AppError> {
    let mut q = select(spec);
    for (col, v) in eq {
        q.and_where(Expr::col(Alias::new(*col)).eq(value_of(v)));
    }
    q.order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit);
    c.all(&q).await?.iter().map(|r| from_row(spec, r)).collect()
}

/// A list query: the scope (owner or partner organisation), optional
/// filters, the sort column and a page.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub scope: Scope,
    /// Only this organisation's subtree (owner or partner).
    pub org_path: Option<String>,
    pub parent_id: Option<String>,
    /// Field equal to value (status, kind).
    pub eq: Vec<(&'static str, Val)>,
    /// Title contains this text.
    pub text: Option<(&'static str, String)>,
    pub sort: &'static str,
    pub desc: bool,
    pub offset: u64,
    pub limit: u64,
}

fn conditions(q: &ListQuery) -> Cond {
    let mut cond = Cond::all().add(
        Cond::any().add(q.scope.condition("org_path")).add(
            Cond::all()
                .add(Expr::col("partner_path").is_not_null())
                .add(q.scope.condition("partner_path")),
        ),
    );
    if let Some(p) = &q.org_path {
        let within = |col: &'static str| {
            Cond::all()
                .add(Expr::col(col).gte(p.clone()))
                .add(Expr::col(col).lt(yunwei_domain::org::subtree_upper_bound(p)))
        };
        cond = cond.add(
            Cond::any()
                .add(within("org_path"))
                .add(within("partner_path")),
        );
    }
    if let Some(parent) = &q.parent_id {
        cond = cond.add(Expr::col("parent_id").eq(parent.clone()));
    }
    for (col, v) in &q.eq {
        cond = cond.add(Expr::col(Alias::new(*col)).eq(value_of(v)));
    }
    if let Some((col, text)) = &q.text {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        cond = cond.add(
            Expr::col(Alias::new(*col))
                .like(sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    cond
}

/// One page of entries and how many match.
pub async fn list(
    c: &mut DbConn,
    spec: &Spec,
    q: &ListQuery,
) -> Result<(Vec<EntryRow>, i64), AppError> {
    let cond = conditions(q);
    let order = if q.desc { Order::Desc } else { Order::Asc };
    let stmt = select(spec)
        .cond_where(cond.clone())
        .order_by(Alias::new(q.sort), order.clone())
        .order_by("created_at", order.clone())
        .order_by("id", order)
        .offset(q.offset)
        .limit(q.limit)
        .to_owned();
    let rows = c
        .all(&stmt)
        .await?
        .iter()
        .map(|r| from_row(spec, r))
        .collect::<Result<Vec<_>, _>>()?;
    let total = c
        .one(
            &Query::select()
                .expr_as(Expr::col("id").count(), "n")
                .from(table(spec))
                .cond_where(cond)
                .to_owned(),
        )
        .await?
        .i("n")?;
    Ok((rows, total))
}

/// How many entries in `org_path`'s subtree have `date_field` within
/// `[from, to]` (`YYYY-MM-DD`), per value of `group_field`.
pub async fn count_between(
    c: &mut DbConn,
    spec: &Spec,
    org_path: &str,
    date_field: &'static str,
    from: &str,
    to: &str,
    group_field: &'static str,
) -> Result<Vec<(String, i64)>, AppError> {
    let rows = c
        .all(
            &Query::select()
                .expr_as(Expr::col(Alias::new(group_field)), "g")
                .expr_as(Expr::col("id").count(), "n")
                .from(table(spec))
                .and_where(Expr::col("org_path").gte(org_path.to_string()))
                .and_where(
                    Expr::col("org_path").lt(yunwei_domain::org::subtree_upper_bound(org_path)),
                )
                .and_where(Expr::col(Alias::new(date_field)).gte(from.to_string()))
                .and_where(Expr::col(Alias::new(date_field)).lte(to.to_string()))
                .group_by_col(Alias::new(group_field))
                .order_by(Alias::new(group_field), Order::Asc)
                .to_owned(),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.os("g")?.unwrap_or_default(), r.i("n")?)))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub id: String,
    pub register: String,
    pub entry_id: String,
    /// The version these values were.
    pub version: i64,
    /// The entry's values then, as a JSON object.
    pub data: String,
    /// What replaced them: `update` or a step's name.
    pub change: String,
    pub changed_by: String,
    pub changed_at: i64,
}

const HISTORY_COLS: [&str; 8] = [
    "id",
    "register",
    "entry_id",
    "version",
    "data",
    "change",
    "changed_by",
    "changed_at",
];

pub async fn insert_history(c: &mut DbConn, h: &HistoryRow) -> Result<(), AppError> {
    c.exec(
        &Query::insert()
            .into_table("register_history")
            .columns(HISTORY_COLS)
            .values_panic([
                h.id.clone().into(),
                h.register.clone().into(),
                h.entry_id.clone().into(),
                h.version.into(),
                h.data.clone().into(),
                h.change.clone().into(),
                h.changed_by.clone().into(),
                h.changed_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The earlier versions of an entry, the newest first.
pub async fn history(
    c: &mut DbConn,
    register: &str,
    entry_id: &str,
) -> Result<Vec<HistoryRow>, AppError> {
    let rows = c
        .all(
            &Query::select()
                .columns(HISTORY_COLS)
                .from("register_history")
                .and_where(Expr::col("register").eq(register.to_string()))
                .and_where(Expr::col("entry_id").eq(entry_id.to_string()))
                .order_by("version", Order::Desc)
                .limit(200)
                .to_owned(),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                id: r.s("id")?,
                register: r.s("register")?,
                entry_id: r.s("entry_id")?,
                version: r.i("version")?,
                data: r.s("data")?,
                change: r.s("change")?,
                changed_by: r.s("changed_by")?,
                changed_at: r.i("changed_at")?,
            })
        })
        .collect()
}

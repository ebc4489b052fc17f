//! The full-text search index (docs/adr/0004-chinese-search.md).
//!
//! `search_docs` holds one row per searchable document with the path it is
//! scoped by; the tokens (computed in Rust by `yunwei_domain::search`) go
//! into the database's own full-text index: a contentless FTS5 table on
//! SQLite (row linked by `search_docs.fts_rowid`), a weighted `tsvector`
//! column with a GIN index on PostgreSQL. Title tokens weigh more than body
//! tokens in the ranking.
//!
//! [`upsert`] and [`remove`] run inside the caller's transaction, next to
//! the change of the document itself, so the index never drifts from the
//! data. Query terms are bound as parameters and quoted for the full-text
//! query syntax; user text is never part of the SQL.

use sea_query::{Cond, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sqlx::any::AnyRow;
use yunwei_domain::search::parse_term;
use yunwei_domain::AppError;

use crate::db::{Backend, DbConn, RowExt};
use crate::Scope;

/// One document to index.
#[derive(Debug, Clone, Copy)]
pub struct SearchDoc<'a> {
    /// Short lower-case type name, e.g. `ticket`, `article`.
    pub doc_type: &'a str,
    pub doc_id: &'a str,
    /// Materialised path of the organisation the document belongs to.
    pub org_path: &'a str,
    /// A second organisation whose readers find it too (the vendor of a
    /// contract, the borrower of an asset).
    pub partner_path: Option<&'a str>,
    /// Who may find it: the action a reader needs over `org_path` or
    /// `partner_path` (see [`Reader`]).
    pub audience: &'a str,
    /// Shown in the result list.
    pub title: &'a str,
    /// Space-separated index tokens of the title.
    pub title_tokens: &'a str,
    /// Space-separated index tokens of the body.
    pub tokens: &'a str,
    pub updated_at: i64,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub doc_type: String,
    /// The kind of document in Chinese (工单, 知识, 配置项, 技术资料 or the
    /// register's name), filled in by `core`.
    pub kind: String,
    pub doc_id: String,
    pub title: String,
    pub org_path: String,
    pub updated_at: i64,
}

/// Those who may find documents of one audience: the documents whose
/// `audience` is this and whose `org_path` or `partner_path` lies in
/// `scope`.
#[derive(Debug, Clone)]
pub struct Reader {
    pub audience: &'static str,
    pub scope: Scope,
}

/// The documents any of `readers` may find; none when `readers` is empty.
fn readable(readers: &[Reader]) -> Cond {
    if readers.is_empty() {
        return Cond::all().add(Expr::val(1).eq(0));
    }
    let mut any = Cond::any();
    for r in readers {
        any = any.add(
            Cond::all()
                .add(Expr::col(("search_docs", "audience")).eq(r.audience))
                .add(
                    Cond::any().add(r.scope.condition("org_path")).add(
                        Cond::all()
                            .add(Expr::col("partner_path").is_not_null())
                            .add(r.scope.condition("partner_path")),
                    ),
                ),
        );
    }
    any
}

/// The primary key of a document: `<doc_type>:<doc_id>`.
pub fn doc_key(doc_type: &str, doc_id: &str) -> String {
    format!("{doc_type}:{doc_id}")
}

/// Weight of title tokens against body tokens (FTS5 `bm25` column weights;
/// on PostgreSQL title lexemes carry weight A, body lexemes weight D).
const SQLITE_RANK: &str = "bm25(search_fts, 4.0, 1.0)";

/// Adds or replaces a document in the index. Call it inside the
/// transaction that writes the document.
pub async fn upsert(c: &mut DbConn, d: &SearchDoc<'_>) -> Result<(), AppError> {
    let key = doc_key(d.doc_type, d.doc_id);
    match c.backend() {
        Backend::Postgres => {
            let tokens = Expr::cust_with_values(
                "setweight(to_tsvector('simple', $1), 'A') || to_tsvector('simple', $2)",
                [d.title_tokens, d.tokens],
            );
            c.exec(
                &Query::insert()
                    .into_table("search_docs")
                    .columns([
                        "doc_key",
                        "doc_type",
                        "doc_id",
                        "org_path",
                        "partner_path",
                        "audience",
                        "title",
                        "updated_at",
                        "tokens",
                    ])
                    .values_panic([
                        key.into(),
                        d.doc_type.into(),
                        d.doc_id.into(),
                        d.org_path.into(),
                        d.partner_path.into(),
                        d.audience.into(),
                        d.title.into(),
                        d.updated_at.into(),
                        tokens,
                    ])
                    .on_conflict(
                        OnConflict::column("doc_key")
                            .update_columns([
                                "doc_type",
                                "doc_id",
                                "org_path",
                                "partner_path",
                                "audience",
                                "title",
                                "updated_at",
                                "tokens",
                            ])
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        }
        Backend::Sqlite => {
            // Three writes, deferred to travel with the caller's next
            // statement (`DbConn::defer`). The document's old FTS row goes
            // first (contentless: deleted by rowid).
            c.defer_raw(
                "DELETE FROM search_fts WHERE rowid = \
                 (SELECT fts_rowid FROM search_docs WHERE doc_key = ?)",
                vec![key.as_str().into()],
            )
            .await?;
            // The document row, inserted with the next FTS rowid (writers are
            // serialised on SQLite, so a number cannot be taken twice) or
            // updated keeping its rowid.
            c.defer(
                &Query::insert()
                    .into_table("search_docs")
                    .columns([
                        "doc_key",
                        "doc_type",
                        "doc_id",
                        "org_path",
                        "partner_path",
                        "audience",
                        "title",
                        "updated_at",
                        "fts_rowid",
                    ])
                    .values_panic([
                        key.into(),
                        d.doc_type.into(),
                        d.doc_id.into(),
                        d.org_path.into(),
                        d.partner_path.into(),
                        d.audience.into(),
                        d.title.into(),
                        d.updated_at.into(),
                        Expr::cust("(SELECT COALESCE(MAX(fts_rowid), 0) + 1 FROM search_docs)"),
                    ])
                    .on_conflict(
                        OnConflict::column("doc_key")
                            .update_columns([
                                "doc_type",
                                "doc_id",
                                "org_path",
                                "partner_path",
                                "audience",
                                "title",
                                "updated_at",
                            ])
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
            c.defer_raw(
                "INSERT INTO search_fts (rowid, title_tokens, tokens) VALUES \
                 ((SELECT fts_rowid FROM search_docs WHERE doc_key = ?), ?, ?)",
                vec![
                    doc_key(d.doc_type, d.doc_id).into(),
                    d.title_tokens.into(),
                    d.tokens.into(),
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// Adds many documents that are not in the index yet, with multi-row
/// statements (bulk loading). Run inside a write transaction; a document
/// already indexed makes the statement fail.
pub async fn insert_many(c: &mut DbConn, docs: &[SearchDoc<'_>]) -> Result<(), AppError> {
    let cols = [
        "doc_key",
        "doc_type",
        "doc_id",
        "org_path",
        "partner_path",
        "audience",
        "title",
        "updated_at",
    ];
    match c.backend() {
        Backend::Postgres => {
            for chunk in docs.chunks(500) {
                let mut q = Query::insert();
                q.into_table("search_docs")
                    .columns(cols.into_iter().chain(["tokens"]));
                for d in chunk {
                    q.values_panic([
                        doc_key(d.doc_type, d.doc_id).into(),
                        d.doc_type.into(),
                        d.doc_id.into(),
                        d.org_path.into(),
                        d.partner_path.into(),
                        d.audience.into(),
                        d.title.into(),
                        d.updated_at.into(),
                        Expr::cust_with_values(
                            "setweight(to_tsvector('simple', $1), 'A') || to_tsvector('simple', $2)",
                            [d.title_tokens, d.tokens],
                        ),
                    ]);
                }
                c.exec(&q).await?;
            }
        }
        Backend::Sqlite => {
            let mut next = c
                .one(
                    &Query::select()
                        .expr_as(Expr::cust("COALESCE(MAX(fts_rowid), 0) + 1"), "next")
                        .from("search_docs")
                        .to_owned(),
                )
                .await?
                .i("next")?;
            for chunk in docs.chunks(500) {
                let mut q = Query::insert();
                q.into_table("search_docs")
                    .columns(cols.into_iter().chain(["fts_rowid"]));
                let mut sql =
                    String::from("INSERT INTO search_fts (rowid, title_tokens, tokens) VALUES ");
                let mut values = Vec::with_capacity(chunk.len() * 3);
                for (i, d) in chunk.iter().enumerate() {
                    let rowid = next + i as i64;
                    q.values_panic([
                        doc_key(d.doc_type, d.doc_id).into(),
                        d.doc_type.into(),
                        d.doc_id.into(),
                        d.org_path.into(),
                        d.partner_path.into(),
                        d.audience.into(),
                        d.title.into(),
                        d.updated_at.into(),
                        rowid.into(),
                    ]);
                    sql.push_str(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" });
                    values.extend([rowid.into(), d.title_tokens.into(), d.tokens.into()]);
                }
                c.exec(&q).await?;
                c.all_raw(&sql, values).await?;
                next += chunk.len() as i64;
            }
        }
    }
    Ok(())
}

/// Removes a document from the index; false when it was not there. Call it
/// inside the transaction that deletes the document.
pub async fn remove(c: &mut DbConn, doc_key: &str) -> Result<bool, AppError> {
    if c.backend() == Backend::Sqlite {
        match sqlite_rowid(c, doc_key).await? {
            Some(rowid) => delete_fts_row(c, rowid).await?,
            None => return Ok(false),
        }
    }
    let n = c
        .exec(
            &Query::delete()
                .from_table("search_docs")
                .and_where(Expr::col("doc_key").eq(doc_key))
                .to_owned(),
        )
        .await?;
    Ok(n > 0)
}

/// The FTS5 row of a document, `None` when the document is not indexed.
async fn sqlite_rowid(c: &mut DbConn, doc_key: &str) -> Result<Option<i64>, AppError> {
    let row = c
        .optional(
            &Query::select()
                .column("fts_rowid")
                .from("search_docs")
                .and_where(Expr::col("doc_key").eq(doc_key))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|r| r.oi("fts_rowid")).transpose()?.flatten())
}

async fn delete_fts_row(c: &mut DbConn, rowid: i64) -> Result<(), AppError> {
    c.all_raw("DELETE FROM search_fts WHERE rowid = ?", vec![rowid.into()])
        .await?;
    Ok(())
}

/// The full-text query for `terms` in the backend's syntax, every term
/// quoted as a literal and all of them required; `boost` terms are offered
/// in an `OR` with the first required term, so they never narrow the
/// matches but count in the rank of the documents holding them. `None`
/// for no terms.
fn match_expression(
    backend: Backend,
    terms: &[String],
    boost: &[String],
) -> Result<Option<String>, AppError> {
    let Some(all) = quoted(backend, terms)? else {
        return Ok(None);
    };
    let Some(optional) = quoted(backend, boost)? else {
        return Ok(Some(all.join(and(backend))));
    };
    let or = match backend {
        Backend::Sqlite => " OR ",
        Backend::Postgres => " | ",
    };
    let any: Vec<&str> = optional
        .iter()
        .chain(all.first())
        .map(String::as_str)
        .collect();
    Ok(Some(format!(
        "{}{}({})",
        all.join(and(backend)),
        and(backend),
        any.join(or)
    )))
}

fn and(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => " AND ",
        Backend::Postgres => " & ",
    }
}

/// Each term validated and quoted as a literal; `None` for no terms.
fn quoted(backend: Backend, terms: &[String]) -> Result<Option<Vec<String>>, AppError> {
    let mut parts = Vec::with_capacity(terms.len());
    for t in terms {
        let (text, prefix) =
            parse_term(t).ok_or_else(|| AppError::bad_request("search.bad_term", "搜索词无效"))?;
        parts.push(match backend {
            // FTS5 string: double quotes doubled; `*` after it = prefix.
            Backend::Sqlite => format!(
                "\"{}\"{}",
                text.replace('"', "\"\""),
                if prefix { "*" } else { "" }
            ),
            // tsquery lexeme: single quotes doubled, backslashes escaped;
            // `:*` = prefix.
            Backend::Postgres => format!(
                "'{}'{}",
                text.replace('\\', "\\\\").replace('\'', "''"),
                if prefix { ":*" } else { "" }
            ),
        });
    }
    Ok((!parts.is_empty()).then_some(parts))
}

fn from_row(r: &AnyRow) -> Result<SearchHit, AppError> {
    Ok(SearchHit {
        doc_type: r.s("doc_type")?,
        kind: String::new(),
        doc_id: r.s("doc_id")?,
        title: r.s("title")?,
        org_path: r.s("org_path")?,
        updated_at: r.i("updated_at")?,
    })
}

/// Matches are counted up to this many. A larger result set reports
/// `COUNT_CAP + 1` as its total and comes newest first (SQLite: by when the
/// document entered the index; PostgreSQL: by `updated_at`) instead of
/// best first: ranking, like counting, costs time in proportion to the
/// matches, and a word found in a fifth of a million documents must still
/// answer in milliseconds. Small enough that PostgreSQL finds that many
/// matches of a common word by reading a few hundred rows.
pub const COUNT_CAP: i64 = 500;

/// Documents `readers` may find (optionally of one type) containing every
/// term, best first (rank, then most recently updated), with the total
/// count (at most `COUNT_CAP + 1`, see [`COUNT_CAP`]). `terms` and `boost`
/// come from `yunwei_domain::search::search_query`; no terms, no hits.
pub async fn query(
    c: &mut DbConn,
    readers: &[Reader],
    doc_type: Option<&str>,
    terms: &[String],
    boost: &[String],
    limit: u64,
    offset: u64,
) -> Result<(Vec<SearchHit>, i64), AppError> {
    let backend = c.backend();
    let Some(m) = match_expression(backend, terms, boost)? else {
        return Ok((Vec::new(), 0));
    };
    let mut base = Query::select();
    let rank = match backend {
        Backend::Sqlite => {
            base.from("search_fts")
                .inner_join(
                    "search_docs",
                    Expr::cust("search_docs.fts_rowid = search_fts.rowid"),
                )
                .and_where(Expr::cust_with_values("search_fts MATCH ?", [m]));
            (Expr::cust(SQLITE_RANK), Order::Asc)
        }
        Backend::Postgres => {
            base.from("search_docs").and_where(Expr::cust_with_values(
                "search_docs.tokens @@ to_tsquery('simple', $1)",
                [m.clone()],
            ));
            (
                Expr::cust_with_values(
                    "ts_rank(search_docs.tokens, to_tsquery('simple', $1))",
                    [m],
                ),
                Order::Desc,
            )
        }
    };
    base.cond_where(readable(readers));
    if let Some(t) = doc_type {
        base.and_where(Expr::col(("search_docs", "doc_type")).eq(t));
    }
    let total = c.one(&count(&base)).await?.i("n")?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let mut page = base
        .columns([
            ("search_docs", "doc_type"),
            ("search_docs", "doc_id"),
            ("search_docs", "title"),
            ("search_docs", "org_path"),
            ("search_docs", "updated_at"),
        ])
        .to_owned();
    match (total > COUNT_CAP, backend) {
        // The FTS5 rowid is unique and FTS5 walks its matches in rowid
        // order, so this needs no sort.
        (true, Backend::Sqlite) => {
            page.order_by_expr(Expr::cust("search_fts.rowid"), Order::Desc);
        }
        // Backwards along `ix_search_docs_updated`.
        (true, Backend::Postgres) => {
            page.order_by(("search_docs", "updated_at"), Order::Desc)
                .order_by(("search_docs", "doc_key"), Order::Desc);
        }
        (false, _) => {
            page.order_by_expr(rank.0, rank.1)
                .order_by(("search_docs", "updated_at"), Order::Desc)
                .order_by(("search_docs", "doc_key"), Order::Asc);
        }
    }
    page.limit(limit).offset(offset);
    let hits = c
        .all(&page)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<_, _>>()?;
    Ok((hits, total))
}

/// The matches counted up to `COUNT_CAP + 1`.
fn count(base: &SelectStatement) -> SelectStatement {
    let capped = base
        .clone()
        .expr_as(Expr::val(1), "one")
        .limit(COUNT_CAP as u64 + 1)
        .to_owned();
    Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(capped, "matches")
        .to_owned()
}

/// The ids of `table` after `after` in id order, at most `limit` (walking
/// a table to re-index it). `table` is a table name of the code, never
/// user input.
pub async fn ids_after(
    c: &mut DbConn,
    table: &'static str,
    after: &str,
    limit: u64,
) -> Result<Vec<String>, AppError> {
    c.all(
        &Query::select()
            .column("id")
            .from(table)
            .and_where(Expr::col("id").gt(after))
            .order_by("id", Order::Asc)
            .limit(limit)
            .to_owned(),
    )
    .await?
    .iter()
    .map(|r| r.s("id"))
    .collect()
}

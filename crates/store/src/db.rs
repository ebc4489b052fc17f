//! Connection handling, dialect rendering, parameter binding, transactions
//! with a bounded retry, and mapping of database errors to [`AppError`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, QueryStatementWriter, SqliteQueryBuilder, Value, Values};
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Arguments, ConnectOptions, Executor, Row, Transaction};
use yunwei_domain::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Writers of this process queue here,
    /// in order, before `BEGIN IMMEDIATE`, instead of in SQLite's busy
    /// handler, which polls with sleeps of up to 100 ms and so turns a
    /// burst of concurrent writes into long, unfair waits. Other processes
    /// (the command line) still meet `busy_timeout`.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// Connections in the SQLite pool. Statements run on one thread per
/// connection; more threads than this only contend for SQLite's shared
/// page-cache mutex on a small machine (BENCHMARKS.md).
const SQLITE_CONNECTIONS: u32 = 3;
/// Longest wait for the SQLite writer turn (as `busy_timeout`).
const WRITER_WAIT: Duration = Duration::from_secs(10);
/// Page cache of each SQLite connection, in KiB (the default is 2 MB).
const SQLITE_CACHE_KIB: u32 = 16 * 1024;

/// How many times a transaction is tried when the database reports a
/// serialisation failure, deadlock or busy lock.
pub const MAX_TX_ATTEMPTS: u32 = 4;

impl Db {
    /// Opens `sqlite://...` or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Db, AppError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(AppError::bad_request(
                "config.database_url",
                "数据库地址须以 sqlite: 或 postgres: 开头",
            ));
        };
        let opts = AnyConnectOptions::from_str(url)
            .map_err(|e| internal("parse database url", e))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool_opts = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(SQLITE_CONNECTIONS)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL for concurrent readers, FULL sync so an
                            // acknowledged write survives a crash, foreign keys on.
                            conn.execute(
                                format!(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                                     PRAGMA cache_size = -{SQLITE_CACHE_KIB};"
                                )
                                .as_str(),
                            )
                            .await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = pool_opts
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|e| internal("connect to database", e))?;
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Db {
            pool,
            backend,
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A pooled connection for reads.
    pub async fn read(&self) -> Result<DbConn, AppError> {
        let conn = self.pool.acquire().await.map_err(map_err)?;
        Ok(DbConn {
            inner: Inner::Pooled(conn),
            backend: self.backend,
            _writer: None,
            pending: Vec::new(),
        })
    }

    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers queue on busy_timeout
    /// instead of failing on lock upgrade.
    pub async fn begin(&self) -> Result<DbConn, AppError> {
        let writer = match &self.writer {
            // Bounded like busy_timeout: a transaction opened while the same
            // task holds one fails instead of waiting forever.
            Some(w) => Some(
                tokio::time::timeout(WRITER_WAIT, w.clone().lock_owned())
                    .await
                    .map_err(|_| {
                        tracing::warn!("waited too long for the SQLite writer turn");
                        AppError::new(
                            yunwei_domain::ErrorKind::Internal,
                            "storage.busy",
                            "系统繁忙，请稍后重试",
                        )
                    })?,
            ),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .map_err(map_err)?;
        Ok(DbConn {
            inner: Inner::Tx(tx),
            backend: self.backend,
            _writer: writer,
            pending: Vec::new(),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

enum Inner {
    Tx(Transaction<'static, Any>),
    Pooled(PoolConnection<Any>),
}

/// A connection or a transaction, with the dialect to render queries in.
pub struct DbConn {
    // Dropped first: the transaction ends before the writer turn passes on.
    inner: Inner,
    backend: Backend,
    /// The writer turn of a SQLite transaction (see [`Db`]).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Deferred writes of a SQLite transaction (see [`DbConn::defer`]).
    pending: Vec<(String, Values)>,
}

/// Most deferred writes held before they are sent on their own.
const MAX_PENDING: usize = 32;

impl DbConn {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.inner {
            Inner::Tx(tx) => tx,
            Inner::Pooled(c) => c,
        }
    }

    pub fn render<S: QueryStatementWriter>(&self, stmt: &S) -> (String, Values) {
        match self.backend {
            Backend::Sqlite => stmt.build(SqliteQueryBuilder),
            Backend::Postgres => stmt.build(PostgresQueryBuilder),
        }
    }

    /// Queues a write whose result nobody reads (a new row, an unchecked
    /// update). Inside a SQLite transaction it is sent together with the
    /// next statement that returns rows, or before the next other
    /// statement or the commit, as one multi-statement call: each call
    /// costs two thread hand-overs in the SQLite driver, and the writer's
    /// turn is held meanwhile. Order is kept; an error of a deferred write
    /// fails that later call, and so the transaction, all the same.
    /// Elsewhere (PostgreSQL, no transaction) the write runs at once.
    ///
    /// Several statements in one prepared query is SQLite-only behaviour of
    /// sqlx that its authors call deprecated; should it go, `defer` becomes
    /// an immediate `exec` and nothing else changes.
    pub async fn defer<S: QueryStatementWriter>(&mut self, stmt: &S) -> Result<(), AppError> {
        let (sql, values) = self.render(stmt);
        self.defer_sql(sql, values).await
    }

    /// [`DbConn::defer`] for raw SQL with bound values.
    pub async fn defer_raw(&mut self, sql: &str, values: Vec<Value>) -> Result<(), AppError> {
        self.defer_sql(sql.to_string(), Values(values)).await
    }

    async fn defer_sql(&mut self, sql: String, values: Values) -> Result<(), AppError> {
        if self.backend == Backend::Sqlite && matches!(self.inner, Inner::Tx(_)) {
            self.pending.push((sql, values));
            if self.pending.len() >= MAX_PENDING {
                self.flush().await?;
            }
            return Ok(());
        }
        let args = bind(values)?;
        sqlx::query_with(&sql, args)
            .execute(self.conn())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// Sends the deferred writes on their own.
    async fn flush(&mut self) -> Result<(), AppError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (sql, values) = self.with_pending(String::new(), Values(Vec::new()));
        let args = bind(values)?;
        sqlx::query_with(&sql, args)
            .execute(self.conn())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// The deferred writes, then `sql`, as one multi-statement query. The
    /// deferred writes return no rows, so the rows are those of `sql`.
    fn with_pending(&mut self, sql: String, values: Values) -> (String, Values) {
        if self.pending.is_empty() {
            return (sql, values);
        }
        let mut all_sql = String::new();
        let mut all_values = Vec::new();
        for (s, v) in self.pending.drain(..) {
            if !all_sql.is_empty() {
                all_sql.push_str(";\n");
            }
            all_sql.push_str(&s);
            all_values.extend(v.0);
        }
        if !sql.is_empty() {
            all_sql.push_str(";\n");
            all_sql.push_str(&sql);
            all_values.extend(values.0);
        }
        (all_sql, Values(all_values))
    }

    pub async fn all<S: QueryStatementWriter>(
        &mut self,
        stmt: &S,
    ) -> Result<Vec<AnyRow>, AppError> {
        let (sql, values) = self.render(stmt);
        let (sql, values) = self.with_pending(sql, values);
        let args = bind(values)?;
        sqlx::query_with(&sql, args)
            .fetch_all(self.conn())
            .await
            .map_err(map_err)
    }

    pub async fn optional<S: QueryStatementWriter>(
        &mut self,
        stmt: &S,
    ) -> Result<Option<AnyRow>, AppError> {
        if !self.pending.is_empty() {
            // The `Any` driver's fetch_optional stops at the first result of
            // a multi-statement query, a deferred write's: collect instead.
            return Ok(self.all(stmt).await?.into_iter().next());
        }
        let (sql, values) = self.render(stmt);
        let args = bind(values)?;
        sqlx::query_with(&sql, args)
            .fetch_optional(self.conn())
            .await
            .map_err(map_err)
    }

    pub async fn one<S: QueryStatementWriter>(&mut self, stmt: &S) -> Result<AnyRow, AppError> {
        if !self.pending.is_empty() {
            return self
                .all(stmt)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| map_err(sqlx::Error::RowNotFound));
        }
        let (sql, values) = self.render(stmt);
        let args = bind(values)?;
        sqlx::query_with(&sql, args)
            .fetch_one(self.conn())
            .await
            .map_err(map_err)
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn exec<S: QueryStatementWriter>(&mut self, stmt: &S) -> Result<u64, AppError> {
        // The count of this statement alone: deferred writes go first.
        self.flush().await?;
        let (sql, values) = self.render(stmt);
        let args = bind(values)?;
        let r = sqlx::query_with(&sql, args)
            .execute(self.conn())
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }

    /// Raw SQL without parameters (migrations, pragmas).
    pub async fn exec_raw(&mut self, sql: &str) -> Result<(), AppError> {
        self.flush().await?;
        sqlx::raw_sql(sql)
            .execute(self.conn())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// Raw SQL with already-bound values, for the few statements sea-query
    /// cannot express portably.
    pub async fn all_raw(
        &mut self,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<AnyRow>, AppError> {
        let (sql, values) = self.with_pending(sql.to_string(), Values(values));
        let args = bind(values)?;
        sqlx::query_with(&sql, args)
            .fetch_all(self.conn())
            .await
            .map_err(map_err)
    }

    pub async fn commit(mut self) -> Result<(), AppError> {
        self.flush().await?;
        match self.inner {
            Inner::Tx(tx) => tx.commit().await.map_err(map_err),
            Inner::Pooled(_) => Ok(()),
        }
    }
}

/// Runs `$body` in a write transaction, committing on `Ok` and retrying the
/// whole transaction (bounded) on serialisation failures or busy locks.
#[macro_export]
macro_rules! in_tx {
    ($db:expr, |$c:ident| $body:block) => {{
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut $c = $db.begin().await?;
            let result: Result<_, yunwei_domain::AppError> = async { $body }.await;
            let result = match result {
                Ok(v) => $c.commit().await.map(|_| v),
                Err(e) => Err(e),
            };
            match result {
                Err(e) if $crate::db::is_retryable(&e) && attempt < $crate::db::MAX_TX_ATTEMPTS => {
                    continue
                }
                other => break other,
            }
        }
    }};
}

/// A LIKE pattern matching `text` literally anywhere in a column: `%`, `_`
/// and the escape character itself are escaped (`ESCAPE '!'`, the same on
/// SQLite and PostgreSQL), so `SZ_SRV_01` finds itself and `SZ%` matches
/// only a literal `SZ%`.
pub fn like_contains(text: &str) -> sea_query::LikeExpr {
    let escaped = text
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    sea_query::LikeExpr::new(format!("%{escaped}%")).escape('!')
}

pub fn is_retryable(e: &AppError) -> bool {
    e.code == "storage.busy"
}

fn bind(values: Values) -> Result<AnyArguments<'static>, AppError> {
    let mut args = AnyArguments::default();
    for v in values.0 {
        let r = match v {
            Value::Bool(b) => args.add(b.map(i64::from)),
            Value::TinyInt(i) => args.add(i.map(i64::from)),
            Value::SmallInt(i) => args.add(i.map(i64::from)),
            Value::Int(i) => args.add(i.map(i64::from)),
            Value::BigInt(i) => args.add(i),
            Value::TinyUnsigned(i) => args.add(i.map(i64::from)),
            Value::SmallUnsigned(i) => args.add(i.map(i64::from)),
            Value::Unsigned(i) => args.add(i.map(i64::from)),
            Value::BigUnsigned(i) => args.add(i.map(|u| u as i64)),
            Value::Float(f) => args.add(f.map(f64::from)),
            Value::Double(f) => args.add(f),
            Value::String(s) => args.add(s),
            Value::Char(c) => args.add(c.map(|c| c.to_string())),
            Value::Bytes(b) => args.add(b),
            other => {
                tracing::error!(?other, "unsupported sql parameter type");
                return Err(AppError::internal());
            }
        };
        r.map_err(|e| internal("bind parameter", e))?;
    }
    Ok(args)
}

/// Maps a database error to a user-facing error; detail goes to the log.
pub fn map_err(e: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().map(|c| c.to_string()).unwrap_or_default();
        // PostgreSQL: 40001 serialization_failure, 40P01 deadlock;
        // SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED (and extended codes).
        if matches!(code.as_str(), "40001" | "40P01" | "5" | "6" | "517" | "262") {
            tracing::warn!(error = %db, "retryable database conflict");
            return AppError::new(
                yunwei_domain::ErrorKind::Internal,
                "storage.busy",
                "系统繁忙，请稍后重试",
            );
        }
        if db.is_unique_violation() {
            let msg = db.message().to_string();
            let constraint = db.constraint().map(str::to_string).unwrap_or(msg);
            return unique_violation(&constraint);
        }
        if db.is_foreign_key_violation() {
            return AppError::conflict("db.reference", "关联的数据不存在或仍被引用");
        }
    }
    internal("database", e)
}

/// Named unique constraints mapped to clear messages. SQLite reports the
/// columns (`users.username`), PostgreSQL the index name.
fn unique_violation(what: &str) -> AppError {
    let table: &[(&str, &'static str, &str)] = &[
        ("username", "user.username_taken", "用户名已存在"),
        (
            "uq_orgs_parent_name",
            "org.name_taken",
            "同级下已有同名机构",
        ),
        (
            "orgs.parent_id, orgs.name",
            "org.name_taken",
            "同级下已有同名机构",
        ),
        (
            "uq_role_grants",
            "role.already_granted",
            "该账号已在此范围拥有该角色",
        ),
        (
            "role_grants.user_id",
            "role.already_granted",
            "该账号已在此范围拥有该角色",
        ),
        ("uq_cis_code", "cmdb.code_taken", "配置项编号已存在"),
        ("cis.code", "cmdb.code_taken", "配置项编号已存在"),
        ("uq_ci_relations", "cmdb.relation_exists", "该关系已存在"),
        (
            "ci_relations.from_ci",
            "cmdb.relation_exists",
            "该关系已存在",
        ),
        ("uq_ticket_cis", "cmdb.link_exists", "该工单已关联此配置项"),
        (
            "ticket_cis.ticket_id",
            "cmdb.link_exists",
            "该工单已关联此配置项",
        ),
        (
            "uq_alert_incidents_open",
            "alerts.concurrent_delivery",
            "同一告警组正在同时处理，请稍后重试",
        ),
        (
            "alert_incidents.source",
            "alerts.concurrent_delivery",
            "同一告警组正在同时处理，请稍后重试",
        ),
        ("uq_ip_segments_cidr", "cmdb.segment_taken", "该网段已登记"),
        ("ip_segments.cidr", "cmdb.segment_taken", "该网段已登记"),
        (
            "uq_ip_allocations_address",
            "cmdb.address_taken",
            "该 IP 地址已分配，地址冲突",
        ),
        (
            "ip_allocations.address",
            "cmdb.address_taken",
            "该 IP 地址已分配，地址冲突",
        ),
    ];
    for (needle, code, msg) in table {
        if what.contains(needle) {
            return AppError::conflict(code, *msg);
        }
    }
    tracing::warn!(constraint = what, "unmapped unique violation");
    AppError::conflict("db.duplicate", "数据重复")
}

pub fn internal(ctx: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, context = ctx, "internal storage error");
    AppError::internal()
}

/// Column readers that turn decode problems into internal errors.
pub trait RowExt {
    fn s(&self, col: &str) -> Result<String, AppError>;
    fn os(&self, col: &str) -> Result<Option<String>, AppError>;
    fn i(&self, col: &str) -> Result<i64, AppError>;
    fn oi(&self, col: &str) -> Result<Option<i64>, AppError>;
}

impl RowExt for AnyRow {
    fn s(&self, col: &str) -> Result<String, AppError> {
        self.try_get::<String, _>(col).map_err(|e| internal(col, e))
    }
    fn os(&self, col: &str) -> Result<Option<String>, AppError> {
        self.try_get::<Option<String>, _>(col)
            .map_err(|e| internal(col, e))
    }
    fn i(&self, col: &str) -> Result<i64, AppError> {
        self.try_get::<i64, _>(col).map_err(|e| internal(col, e))
    }
    fn oi(&self, col: &str) -> Result<Option<i64>, AppError> {
        self.try_get::<Option<i64>, _>(col)
            .map_err(|e| internal(col, e))
    }
}

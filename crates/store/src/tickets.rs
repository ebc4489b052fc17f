//! Tickets of every process, their timeline, votes, attachments, links,
//! SLA timers and the in-app inbox.

use sea_query::{Cond, Expr, ExprTrait, OnConflict, Order, Query};
use sqlx::any::AnyRow;
use yunwei_domain::AppError;

use crate::db::{DbConn, RowExt};
use crate::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    pub id: String,
    /// Human number such as `BG-20260302-0007`.
    pub number: String,
    pub pack_id: String,
    /// The pack version the ticket was opened under; its route never changes.
    pub pack_version: String,
    pub process_id: String,
    pub title: String,
    pub state: String,
    /// When the ticket entered its current state (approval rounds).
    pub state_since: i64,
    pub org_id: String,
    pub org_path: String,
    pub requester_id: String,
    pub assignee_id: Option<String>,
    /// Field values as a JSON object.
    pub fields_json: String,
    /// Denormalised for filters: the `level` field, if the process has one.
    pub level: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// Earliest deadline of the running timers.
    pub due_at: Option<i64>,
    /// Some timer breached.
    pub overdue: bool,
    /// The owning team (an organisation of kind section or vendor), null
    /// until the ticket is routed to one, and its path.
    pub team_id: Option<String>,
    pub team_path: Option<String>,
}

const COLS: [&str; 21] = [
    "id",
    "number",
    "pack_id",
    "pack_version",
    "process_id",
    "title",
    "state",
    "state_since",
    "org_id",
    "org_path",
    "requester_id",
    "assignee_id",
    "fields_json",
    "level",
    "created_at",
    "updated_at",
    "closed_at",
    "due_at",
    "overdue",
    "team_id",
    "team_path",
];

fn from_row(r: &AnyRow) -> Result<TicketRow, AppError> {
    Ok(TicketRow {
        id: r.s("id")?,
        number: r.s("number")?,
        pack_id: r.s("pack_id")?,
        pack_version: r.s("pack_version")?,
        process_id: r.s("process_id")?,
        title: r.s("title")?,
        state: r.s("state")?,
        state_since: r.i("state_since")?,
        org_id: r.s("org_id")?,
        org_path: r.s("org_path")?,
        requester_id: r.s("requester_id")?,
        assignee_id: r.os("assignee_id")?,
        fields_json: r.s("fields_json")?,
        level: r.os("level")?,
        created_at: r.i("created_at")?,
        updated_at: r.i("updated_at")?,
        closed_at: r.oi("closed_at")?,
        due_at: r.oi("due_at")?,
        overdue: r.i("overdue")? != 0,
        team_id: r.os("team_id")?,
        team_path: r.os("team_path")?,
    })
}

fn select() -> sea_query::SelectStatement {
    Query::select().columns(COLS).from("tickets").to_owned()
}

pub async fn insert(c: &mut DbConn, t: &TicketRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("tickets")
            .columns(COLS)
            .values_panic([
                t.id.clone().into(),
                t.number.clone().into(),
                t.pack_id.clone().into(),
                t.pack_version.clone().into(),
                t.process_id.clone().into(),
                t.title.clone().into(),
                t.state.clone().into(),
                t.state_since.into(),
                t.org_id.clone().into(),
                t.org_path.clone().into(),
                t.requester_id.clone().into(),
                t.assignee_id.clone().into(),
                t.fields_json.clone().into(),
                t.level.clone().into(),
                t.created_at.into(),
                t.updated_at.into(),
                t.closed_at.into(),
                t.due_at.into(),
                i64::from(t.overdue).into(),
                t.team_id.clone().into(),
                t.team_path.clone().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Inserts many new tickets with multi-row statements (bulk loading: the
/// benchmark, imports). Run inside a transaction; search entries, events
/// and audit records are the caller's business.
pub async fn insert_many(c: &mut DbConn, rows: &[TicketRow]) -> Result<(), AppError> {
    // 21 parameters a row keeps a statement well under SQLite's 32766.
    for chunk in rows.chunks(500) {
        let mut q = Query::insert();
        q.into_table("tickets").columns(COLS);
        for t in chunk {
            q.values_panic([
                t.id.clone().into(),
                t.number.clone().into(),
                t.pack_id.clone().into(),
                t.pack_version.clone().into(),
                t.process_id.clone().into(),
                t.title.clone().into(),
                t.state.clone().into(),
                t.state_since.into(),
                t.org_id.clone().into(),
                t.org_path.clone().into(),
                t.requester_id.clone().into(),
                t.assignee_id.clone().into(),
                t.fields_json.clone().into(),
                t.level.clone().into(),
                t.created_at.into(),
                t.updated_at.into(),
                t.closed_at.into(),
                t.due_at.into(),
                i64::from(t.overdue).into(),
                t.team_id.clone().into(),
                t.team_path.clone().into(),
            ]);
        }
        c.exec(&q).await?;
    }
    Ok(())
}

pub async fn get(c: &mut DbConn, id: &str) -> Result<Option<TicketRow>, AppError> {
    let q = select().and_where(Expr::col("id").eq(id)).to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// The ticket with this human number (`BG-20260302-0007`).
pub async fn by_number(c: &mut DbConn, number: &str) -> Result<Option<TicketRow>, AppError> {
    let q = select()
        .and_where(Expr::col("number").eq(number))
        .to_owned();
    c.optional(&q).await?.as_ref().map(from_row).transpose()
}

/// Writes a ticket's new state and fields, guarded by the state it was
/// read in: returns false when someone else moved it meanwhile.
pub async fn update(
    c: &mut DbConn,
    t: &TicketRow,
    expected_state: &str,
    expected_updated: i64,
) -> Result<bool, AppError> {
    // RETURNING rather than a count of changed rows, so the deferred writes
    // before it travel in the same call (see `DbConn::defer`).
    let n = c
        .all(
            &Query::update()
                .table("tickets")
                .values([
                    ("title", t.title.clone().into()),
                    ("state", t.state.clone().into()),
                    ("state_since", t.state_since.into()),
                    ("assignee_id", t.assignee_id.clone().into()),
                    ("fields_json", t.fields_json.clone().into()),
                    ("level", t.level.clone().into()),
                    ("updated_at", t.updated_at.into()),
                    ("closed_at", t.closed_at.into()),
                    ("due_at", t.due_at.into()),
                    ("overdue", i64::from(t.overdue).into()),
                ])
                .and_where(Expr::col("id").eq(t.id.clone()))
                .and_where(Expr::col("state").eq(expected_state))
                .and_where(Expr::col("updated_at").eq(expected_updated))
                .returning_col("id")
                .to_owned(),
        )
        .await?
        .len();
    Ok(n == 1)
}

pub async fn set_due(
    c: &mut DbConn,
    id: &str,
    due_at: Option<i64>,
    overdue: bool,
) -> Result<(), AppError> {
    c.defer(
        &Query::update()
            .table("tickets")
            .values([
                ("due_at", due_at.into()),
                ("overdue", i64::from(overdue).into()),
            ])
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub process_id: Option<String>,
    pub state: Option<String>,
    pub level: Option<String>,
    /// Subtree of this organisation path.
    pub org_path: Option<String>,
    pub assignee_id: Option<String>,
    pub requester_id: Option<String>,
    pub overdue: Option<bool>,
    /// Only tickets not in a final state.
    pub open_only: bool,
    /// Owned by this team (organisation id).
    pub team_id: Option<String>,
    /// Only tickets no team owns yet (to be routed).
    pub no_team: bool,
    /// Only tickets nobody has taken yet.
    pub unowned: bool,
    /// Only tickets in one of these (process, state) pairs (a state of
    /// one process, or a 状态类别 across processes).
    pub states_in: Option<Vec<(String, String)>>,
    /// No ticket in one of these (process, state) pairs.
    pub states_not_in: Vec<(String, String)>,
    /// Only closed tickets.
    pub closed_only: bool,
    /// Only these tickets (checked rows of a list); empty: no such limit.
    pub ids: Vec<String>,
    /// Only tickets opened at or after this instant (UTC microseconds).
    pub created_from: Option<i64>,
    /// Only tickets not breached whose deadline falls before this instant
    /// (due soon).
    pub due_before: Option<i64>,
    /// The order of the page; newest first by default.
    pub sort: Sort,
}

/// A column a ticket list sorts by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Created,
    Number,
    Title,
    Process,
    State,
    Level,
    Due,
    Updated,
}

impl SortKey {
    pub const ALL: [SortKey; 8] = [
        SortKey::Created,
        SortKey::Number,
        SortKey::Title,
        SortKey::Process,
        SortKey::State,
        SortKey::Level,
        SortKey::Due,
        SortKey::Updated,
    ];

    /// The name in a query string (`?sort=due`).
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Created => "created",
            SortKey::Number => "number",
            SortKey::Title => "title",
            SortKey::Process => "process",
            SortKey::State => "state",
            SortKey::Level => "level",
            SortKey::Due => "due",
            SortKey::Updated => "updated",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn column(self) -> &'static str {
        match self {
            SortKey::Created => "created_at",
            SortKey::Number => "number",
            SortKey::Title => "title",
            SortKey::Process => "process_id",
            SortKey::State => "state",
            SortKey::Level => "level",
            SortKey::Due => "due_at",
            SortKey::Updated => "updated_at",
        }
    }
}

/// Column and direction; ties are broken by the id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Created,
            descending: true,
        }
    }
}

fn pairs_cond(pairs: &[(String, String)]) -> Cond {
    let mut by_process: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (p, s) in pairs {
        by_process.entry(p.as_str()).or_default().push(s.as_str());
    }
    let mut any = Cond::any();
    for (p, states) in by_process {
        any = any.add(
            Cond::all()
                .add(Expr::col("process_id").eq(p))
                .add(Expr::col("state").is_in(states)),
        );
    }
    any
}

/// Who is looking: the business-read scope, the user, and the scope in
/// which unassigned tickets are visible too (a vendor engineer's contract
/// regions; empty for everybody else).
pub struct Visible<'a> {
    pub scope: &'a Scope,
    pub user_id: &'a str,
    pub unassigned: &'a Scope,
    /// The review scope and the (pack, process) pairs it reads (the
    /// processes a pack marks `reviewers_read`); empty for most callers.
    pub reviewed: &'a Scope,
    pub reviewed_processes: &'a [(String, String)],
}

/// Visibility: tickets in the scope or owned by a team in it, those the user opened or is assigned
/// to (a vendor engineer works on tickets of other organisations), and
/// unassigned tickets in the `unassigned` scope.
///
/// With `walk`, SQLite is told not to answer the condition from indexes
/// (`+column`): for a large result the fast plan for a newest-first page
/// walks an index in `created_at` order and checks each row, while the
/// planner, which cannot tell how much of the table a path range covers,
/// would otherwise collect every visible row from three indexes and sort
/// them all. PostgreSQL plans from its statistics and gets plain columns.
fn visibility(v: &Visible<'_>, walk: bool) -> Cond {
    let col = |name: &'static str| {
        if walk {
            Expr::cust(format!("+{name}"))
        } else {
            Expr::col(name)
        }
    };
    let mut any = Cond::any()
        .add(v.scope.condition_on(|| col("org_path")))
        .add(v.scope.condition_on(|| col("team_path")))
        .add(col("requester_id").eq(v.user_id))
        .add(col("assignee_id").eq(v.user_id));
    if !v.reviewed.is_empty() && !v.reviewed_processes.is_empty() {
        let mut processes = Cond::any();
        for (pack, process) in v.reviewed_processes {
            processes = processes.add(
                Cond::all()
                    .add(col("pack_id").eq(pack.as_str()))
                    .add(col("process_id").eq(process.as_str())),
            );
        }
        any = any.add(
            Cond::all()
                .add(processes)
                .add(v.reviewed.condition_on(|| col("org_path"))),
        );
    }
    if !v.unassigned.is_empty() {
        any = any.add(
            Cond::all()
                .add(col("assignee_id").is_null())
                .add(v.unassigned.condition_on(|| col("org_path"))),
        );
    }
    any
}

fn filtered(v: &Visible<'_>, f: &TicketFilter, walk: bool) -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.from("tickets").cond_where(visibility(v, walk));
    let mut c = Cond::all();
    let eq = |c: Cond, col: &'static str, v: &Option<String>| match v
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(v) => c.add(Expr::col(col).eq(v)),
        None => c,
    };
    c = eq(c, "process_id", &f.process_id);
    c = eq(c, "state", &f.state);
    c = eq(c, "level", &f.level);
    c = eq(c, "assignee_id", &f.assignee_id);
    c = eq(c, "requester_id", &f.requester_id);
    if let Some(p) = f.org_path.as_deref().filter(|s| !s.is_empty()) {
        c = c.add(Scope::ranges(vec![(p.to_string(), true)]).condition("org_path"));
    }
    if let Some(o) = f.overdue {
        c = c.add(Expr::col("overdue").eq(i64::from(o)));
    }
    if f.open_only {
        c = c.add(Expr::col("closed_at").is_null());
    }
    if let Some(t) = f.created_from {
        c = c.add(Expr::col("created_at").gte(t));
    }
    if let Some(t) = f.due_before {
        c = c
            .add(Expr::col("overdue").eq(0i64))
            .add(Expr::col("due_at").lt(t));
    }
    if f.closed_only {
        c = c.add(Expr::col("closed_at").is_not_null());
    }
    c = eq(c, "team_id", &f.team_id);
    if f.no_team {
        c = c.add(Expr::col("team_id").is_null());
    }
    if f.unowned {
        c = c.add(Expr::col("assignee_id").is_null());
    }
    if let Some(pairs) = &f.states_in {
        // No pair: nothing matches.
        c = c.add(if pairs.is_empty() {
            Cond::all().add(Expr::cust("1 = 0"))
        } else {
            pairs_cond(pairs)
        });
    }
    if !f.ids.is_empty() {
        c = c.add(Expr::col("id").is_in(f.ids.iter().cloned()));
    }
    if !f.states_not_in.is_empty() {
        c = c.add(pairs_cond(&f.states_not_in).not());
    }
    q.cond_where(c);
    q
}

/// What [`count_by`] groups visible tickets by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Assignee,
    Org,
    Process,
    /// Process and level, the key `process_id` + `\n` + level.
    ProcessLevel,
}

/// Visible tickets matching `f`, counted per group (exact counts, the
/// largest first, at most `limit` groups). A ticket without the grouped
/// value (no assignee) counts under `None`.
pub async fn count_by(
    c: &mut DbConn,
    v: &Visible<'_>,
    f: &TicketFilter,
    by: GroupBy,
    limit: u64,
) -> Result<Vec<(Option<String>, i64)>, AppError> {
    let cols: &[&'static str] = match by {
        GroupBy::Assignee => &["assignee_id"],
        GroupBy::Org => &["org_id"],
        GroupBy::Process => &["process_id"],
        GroupBy::ProcessLevel => &["process_id", "level"],
    };
    let mut q = filtered(v, f, false);
    for col in cols {
        q.column(*col).group_by_col(*col);
    }
    q.expr_as(Expr::cust("COUNT(*)"), "n")
        .order_by_expr(Expr::cust("COUNT(*)"), Order::Desc)
        .limit(limit);
    let mut out = Vec::new();
    for r in c.all(&q).await? {
        let key = if by == GroupBy::ProcessLevel {
            match (r.os("process_id")?, r.os("level")?) {
                (Some(p), Some(l)) => Some(format!("{p}\n{l}")),
                _ => None,
            }
        } else {
            r.os(cols[0])?
        };
        out.push((key, r.i("n")?));
    }
    Ok(out)
}

/// Lists count their tickets up to this many: a total above it is
/// reported as `COUNT_CAP + 1` (callers show "more than COUNT_CAP"), so a
/// page costs the same with a million tickets as with a thousand.
pub const COUNT_CAP: i64 = 1_000;

/// One page of visible tickets, newest first, and the total, counted up to
/// `COUNT_CAP + 1`.
pub async fn list(
    c: &mut DbConn,
    v: &Visible<'_>,
    f: &TicketFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<TicketRow>, i64), AppError> {
    // `1`, not a column: the count is answered from the index when the
    // visibility and the filters are (no row is read).
    let capped = filtered(v, f, false)
        .expr_as(Expr::val(1), "one")
        .limit(COUNT_CAP as u64 + 1)
        .to_owned();
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(capped, "matches")
        .to_owned();
    let total = c.one(&count).await?.i("n")?;
    // A few visible rows are found through the indexes and sorted; many are
    // walked newest first (see `visibility`).
    let walk = total > COUNT_CAP && c.backend() == crate::Backend::Sqlite;
    let dir = if f.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut page = filtered(v, f, walk);
    page.columns(COLS);
    if f.sort.key == SortKey::Due || f.sort.key == SortKey::Level {
        // Rows without a deadline or level last either way, on both
        // backends (SQLite and PostgreSQL order NULL differently).
        page.order_by_expr(
            Expr::cust(format!(
                "CASE WHEN {} IS NULL THEN 1 ELSE 0 END",
                f.sort.key.column()
            )),
            Order::Asc,
        );
    }
    let page = page
        .order_by(f.sort.key.column(), dir.clone())
        .order_by("id", dir)
        .offset(offset)
        .limit(limit)
        .to_owned();
    let rows = c
        .all(&page)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Takes an unowned ticket for `user_id` (认领), guarded: returns false
/// when somebody took it first or it changed since it was read at
/// `expected_updated`. Of parallel claims exactly one gets true.
pub async fn claim_owner(
    c: &mut DbConn,
    id: &str,
    user_id: &str,
    expected_updated: i64,
    now: i64,
) -> Result<bool, AppError> {
    let n = c
        .all(
            &Query::update()
                .table("tickets")
                .values([
                    ("assignee_id", user_id.into()),
                    ("updated_at", Ord::max(now, expected_updated + 1).into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("assignee_id").is_null())
                .and_where(Expr::col("updated_at").eq(expected_updated))
                .returning_col("id")
                .to_owned(),
        )
        .await?
        .len();
    Ok(n == 1)
}

/// Sets a ticket's team and owner (指派, 转派), guarded by the owner and
/// the time it was read with: false when it changed meanwhile.
pub async fn set_owner(
    c: &mut DbConn,
    t: &TicketRow,
    team: Option<(&str, &str)>,
    assignee_id: Option<&str>,
    now: i64,
) -> Result<bool, AppError> {
    let mut guard = Cond::all()
        .add(Expr::col("id").eq(t.id.clone()))
        .add(Expr::col("updated_at").eq(t.updated_at));
    guard = match &t.assignee_id {
        Some(a) => guard.add(Expr::col("assignee_id").eq(a.clone())),
        None => guard.add(Expr::col("assignee_id").is_null()),
    };
    let n = c
        .all(
            &Query::update()
                .table("tickets")
                .values([
                    ("team_id", team.map(|t| t.0.to_string()).into()),
                    ("team_path", team.map(|t| t.1.to_string()).into()),
                    ("assignee_id", assignee_id.map(str::to_string).into()),
                    ("updated_at", Ord::max(now, t.updated_at + 1).into()),
                ])
                .cond_where(guard)
                .returning_col("id")
                .to_owned(),
        )
        .await?
        .len();
    Ok(n == 1)
}

/// One person's open tickets in a team's hands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRow {
    /// None: the team's queue (nobody took them yet).
    pub assignee_id: Option<String>,
    pub open: i64,
    pub overdue: i64,
    /// Not overdue, due before the `soon` time given.
    pub due_soon: i64,
}

/// Open tickets of the team at `team_path` per owner: how many, how many
/// overdue (breached), how many not breached with a deadline before
/// `soon`: the same conditions as the list's `overdue` and `due_before`
/// filters, so a figure equals the rows of the list it links to.
pub async fn workload(
    c: &mut DbConn,
    team_path: &str,
    soon: i64,
) -> Result<Vec<LoadRow>, AppError> {
    let q = Query::select()
        .column("assignee_id")
        .expr_as(Expr::cust("COUNT(*)"), "n_open")
        .expr_as(
            Expr::cust("SUM(CASE WHEN overdue <> 0 THEN 1 ELSE 0 END)"),
            "n_overdue",
        )
        .expr_as(
            Expr::cust(format!(
                "SUM(CASE WHEN overdue = 0 AND due_at IS NOT NULL AND due_at < {soon} THEN 1 ELSE 0 END)"
            )),
            "n_soon",
        )
        .from("tickets")
        .and_where(Expr::col("team_path").eq(team_path))
        .and_where(Expr::col("closed_at").is_null())
        .group_by_col("assignee_id")
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(LoadRow {
                assignee_id: r.os("assignee_id")?,
                open: r.i("n_open")?,
                overdue: r.i("n_overdue")?,
                due_soon: r.i("n_soon")?,
            })
        })
        .collect()
}

/// A saved filter of the ticket list: a name and the list's query string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SavedFilterRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub query: String,
    pub created_at: i64,
}

const FILTER_COLS: [&str; 5] = ["id", "user_id", "name", "query", "created_at"];

fn filter_from_row(r: &AnyRow) -> Result<SavedFilterRow, AppError> {
    Ok(SavedFilterRow {
        id: r.s("id")?,
        user_id: r.s("user_id")?,
        name: r.s("name")?,
        query: r.s("query")?,
        created_at: r.i("created_at")?,
    })
}

/// Saves a filter, replacing the user's filter of the same name.
pub async fn save_filter(c: &mut DbConn, f: &SavedFilterRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("saved_filters")
            .columns(FILTER_COLS)
            .values_panic([
                f.id.clone().into(),
                f.user_id.clone().into(),
                f.name.clone().into(),
                f.query.clone().into(),
                f.created_at.into(),
            ])
            .on_conflict(
                OnConflict::columns(["user_id", "name"])
                    .update_columns(["query", "created_at"])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await
}

/// The user's saved filters by name.
pub async fn filters_of(c: &mut DbConn, user_id: &str) -> Result<Vec<SavedFilterRow>, AppError> {
    let q = Query::select()
        .columns(FILTER_COLS)
        .from("saved_filters")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("name", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(filter_from_row).collect()
}

/// The user's filter with this id; another user's is None.
pub async fn filter_of(
    c: &mut DbConn,
    user_id: &str,
    id: &str,
) -> Result<Option<SavedFilterRow>, AppError> {
    let q = Query::select()
        .columns(FILTER_COLS)
        .from("saved_filters")
        .and_where(Expr::col("user_id").eq(user_id))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(filter_from_row)
        .transpose()
}

pub async fn delete_filter(c: &mut DbConn, user_id: &str, id: &str) -> Result<(), AppError> {
    c.defer(
        &Query::delete()
            .from_table("saved_filters")
            .and_where(Expr::col("user_id").eq(user_id))
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await
}

/// Tickets whose id is in `ids` (search hits), any order.
pub async fn by_ids(c: &mut DbConn, ids: &[String]) -> Result<Vec<TicketRow>, AppError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let q = select()
        .and_where(Expr::col("id").is_in(ids.iter().cloned()))
        .to_owned();
    c.all(&q).await?.iter().map(from_row).collect()
}

/// Next value of a named counter (ticket numbers), inside the caller's
/// transaction: one upsert that returns the new value (1 for a new key).
pub async fn next_counter(c: &mut DbConn, key: &str) -> Result<i64, AppError> {
    let q = Query::insert()
        .into_table("counters")
        .columns(["key", "value"])
        .values_panic([key.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column("key")
                .value("value", Expr::col(("counters", "value")).add(1))
                .to_owned(),
        )
        .returning_col("value")
        .to_owned();
    c.one(&q).await?.i("value")
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub id: String,
    pub ticket_id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// `opened`, `transition`, `vote`, `comment`, `attachment`, `timer_warning`,
    /// `timer_breach`, `converted`.
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub label: String,
    pub body: String,
}

const EVENT_COLS: [&str; 10] = [
    "id",
    "ticket_id",
    "at",
    "actor_id",
    "actor_name",
    "kind",
    "from_state",
    "to_state",
    "label",
    "body",
];

pub async fn insert_event(c: &mut DbConn, e: &EventRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("ticket_events")
            .columns(EVENT_COLS)
            .values_panic([
                e.id.clone().into(),
                e.ticket_id.clone().into(),
                e.at.into(),
                e.actor_id.clone().into(),
                e.actor_name.clone().into(),
                e.kind.clone().into(),
                e.from_state.clone().into(),
                e.to_state.clone().into(),
                e.label.clone().into(),
                e.body.clone().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn events_of(c: &mut DbConn, ticket_id: &str) -> Result<Vec<EventRow>, AppError> {
    let q = Query::select()
        .columns(EVENT_COLS)
        .from("ticket_events")
        .and_where(Expr::col("ticket_id").eq(ticket_id))
        .order_by("at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(EventRow {
                id: r.s("id")?,
                ticket_id: r.s("ticket_id")?,
                at: r.i("at")?,
                actor_id: r.os("actor_id")?,
                actor_name: r.s("actor_name")?,
                kind: r.s("kind")?,
                from_state: r.os("from_state")?,
                to_state: r.os("to_state")?,
                label: r.s("label")?,
                body: r.s("body")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VoteRow {
    pub id: String,
    pub ticket_id: String,
    pub approval_id: String,
    pub pack_role: String,
    pub user_id: String,
    pub approve: bool,
    pub comment: String,
    pub at: i64,
}

const VOTE_COLS: [&str; 8] = [
    "id",
    "ticket_id",
    "approval_id",
    "pack_role",
    "user_id",
    "approve",
    "comment",
    "at",
];

pub async fn insert_vote(c: &mut DbConn, v: &VoteRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("ticket_votes")
            .columns(VOTE_COLS)
            .values_panic([
                v.id.clone().into(),
                v.ticket_id.clone().into(),
                v.approval_id.clone().into(),
                v.pack_role.clone().into(),
                v.user_id.clone().into(),
                i64::from(v.approve).into(),
                v.comment.clone().into(),
                v.at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Votes cast on the ticket at or after `since` (the current round).
pub async fn votes_since(
    c: &mut DbConn,
    ticket_id: &str,
    since: i64,
) -> Result<Vec<VoteRow>, AppError> {
    let q = Query::select()
        .columns(VOTE_COLS)
        .from("ticket_votes")
        .and_where(Expr::col("ticket_id").eq(ticket_id))
        .and_where(Expr::col("at").gte(since))
        .order_by("at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(VoteRow {
                id: r.s("id")?,
                ticket_id: r.s("ticket_id")?,
                approval_id: r.s("approval_id")?,
                pack_role: r.s("pack_role")?,
                user_id: r.s("user_id")?,
                approve: r.i("approve")? != 0,
                comment: r.s("comment")?,
                at: r.i("at")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentRow {
    pub id: String,
    pub ticket_id: String,
    /// Kind the policy may require (`backup`, `script`, `result`, `report`...).
    pub kind: String,
    pub filename: String,
    /// SM3 of the content; the file is stored under this name.
    pub sm3: String,
    pub size: i64,
    pub uploaded_by: String,
    pub at: i64,
}

const ATT_COLS: [&str; 8] = [
    "id",
    "ticket_id",
    "kind",
    "filename",
    "sm3",
    "size",
    "uploaded_by",
    "at",
];

pub async fn insert_attachment(c: &mut DbConn, a: &AttachmentRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("ticket_attachments")
            .columns(ATT_COLS)
            .values_panic([
                a.id.clone().into(),
                a.ticket_id.clone().into(),
                a.kind.clone().into(),
                a.filename.clone().into(),
                a.sm3.clone().into(),
                a.size.into(),
                a.uploaded_by.clone().into(),
                a.at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn attachments_of(
    c: &mut DbConn,
    ticket_id: &str,
) -> Result<Vec<AttachmentRow>, AppError> {
    let q = Query::select()
        .columns(ATT_COLS)
        .from("ticket_attachments")
        .and_where(Expr::col("ticket_id").eq(ticket_id))
        .order_by("at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(attachment_from_row).collect()
}

pub async fn get_attachment(c: &mut DbConn, id: &str) -> Result<Option<AttachmentRow>, AppError> {
    let q = Query::select()
        .columns(ATT_COLS)
        .from("ticket_attachments")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    c.optional(&q)
        .await?
        .as_ref()
        .map(attachment_from_row)
        .transpose()
}

fn attachment_from_row(r: &AnyRow) -> Result<AttachmentRow, AppError> {
    Ok(AttachmentRow {
        id: r.s("id")?,
        ticket_id: r.s("ticket_id")?,
        kind: r.s("kind")?,
        filename: r.s("filename")?,
        sm3: r.s("sm3")?,
        size: r.i("size")?,
        uploaded_by: r.s("uploaded_by")?,
        at: r.i("at")?,
    })
}

pub async fn insert_link(
    c: &mut DbConn,
    id: &str,
    from: &str,
    to: &str,
    kind: &str,
    at: i64,
) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("ticket_links")
            .columns(["id", "from_ticket", "to_ticket", "kind", "created_at"])
            .values_panic([id.into(), from.into(), to.into(), kind.into(), at.into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Links touching the ticket: (kind, other ticket id), `kind` seen from it.
pub async fn links_of(c: &mut DbConn, ticket_id: &str) -> Result<Vec<(String, String)>, AppError> {
    let q = Query::select()
        .columns(["from_ticket", "to_ticket", "kind"])
        .from("ticket_links")
        .cond_where(
            Cond::any()
                .add(Expr::col("from_ticket").eq(ticket_id))
                .add(Expr::col("to_ticket").eq(ticket_id)),
        )
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            let (from, to, kind) = (r.s("from_ticket")?, r.s("to_ticket")?, r.s("kind")?);
            Ok(if from == ticket_id {
                (kind, to)
            } else {
                (format!("{kind}_by"), from)
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TimerRow {
    pub id: String,
    pub ticket_id: String,
    pub timer_id: String,
    /// `running`, `paused`, `stopped`.
    pub status: String,
    pub started_at: i64,
    pub due_at: i64,
    pub warn_at: Option<i64>,
    /// Time left when paused (microseconds).
    pub remaining_us: Option<i64>,
    pub warned: bool,
    pub breached: bool,
    pub stopped_at: Option<i64>,
}

const TIMER_COLS: [&str; 11] = [
    "id",
    "ticket_id",
    "timer_id",
    "status",
    "started_at",
    "due_at",
    "warn_at",
    "remaining_us",
    "warned",
    "breached",
    "stopped_at",
];

fn timer_from_row(r: &AnyRow) -> Result<TimerRow, AppError> {
    Ok(TimerRow {
        id: r.s("id")?,
        ticket_id: r.s("ticket_id")?,
        timer_id: r.s("timer_id")?,
        status: r.s("status")?,
        started_at: r.i("started_at")?,
        due_at: r.i("due_at")?,
        warn_at: r.oi("warn_at")?,
        remaining_us: r.oi("remaining_us")?,
        warned: r.i("warned")? != 0,
        breached: r.i("breached")? != 0,
        stopped_at: r.oi("stopped_at")?,
    })
}

pub async fn upsert_timer(c: &mut DbConn, t: &TimerRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("ticket_timers")
            .columns(TIMER_COLS)
            .values_panic([
                t.id.clone().into(),
                t.ticket_id.clone().into(),
                t.timer_id.clone().into(),
                t.status.clone().into(),
                t.started_at.into(),
                t.due_at.into(),
                t.warn_at.into(),
                t.remaining_us.into(),
                i64::from(t.warned).into(),
                i64::from(t.breached).into(),
                t.stopped_at.into(),
            ])
            .on_conflict(
                OnConflict::column("id")
                    .update_columns([
                        "status",
                        "started_at",
                        "due_at",
                        "warn_at",
                        "remaining_us",
                        "warned",
                        "breached",
                        "stopped_at",
                    ])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn timers_of(c: &mut DbConn, ticket_id: &str) -> Result<Vec<TimerRow>, AppError> {
    let q = Query::select()
        .columns(TIMER_COLS)
        .from("ticket_timers")
        .and_where(Expr::col("ticket_id").eq(ticket_id))
        .order_by("started_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.all(&q).await?.iter().map(timer_from_row).collect()
}

/// Running timers whose warning or deadline has come, oldest first.
pub async fn due_timers(c: &mut DbConn, now: i64, limit: u64) -> Result<Vec<TimerRow>, AppError> {
    let q = Query::select()
        .columns(TIMER_COLS)
        .from("ticket_timers")
        .and_where(Expr::col("status").eq("running"))
        .cond_where(
            Cond::any()
                .add(
                    Cond::all()
                        .add(Expr::col("breached").eq(0))
                        .add(Expr::col("due_at").lte(now)),
                )
                .add(
                    Cond::all()
                        .add(Expr::col("warned").eq(0))
                        .add(Expr::col("warn_at").lte(now)),
                ),
        )
        .order_by("due_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    c.all(&q).await?.iter().map(timer_from_row).collect()
}

/// Claims the warning (or breach) of a timer exactly once across nodes:
/// true for the one caller whose guarded update changed the row.
pub async fn claim(c: &mut DbConn, id: &str, breach: bool) -> Result<bool, AppError> {
    let col = if breach { "breached" } else { "warned" };
    let mut q = Query::update();
    q.table("ticket_timers").value(col, 1i64);
    if breach {
        // A breach supersedes a warning that never went out.
        q.value("warned", 1i64);
    }
    let n = c
        .exec(
            &q.and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("status").eq("running"))
                .and_where(Expr::col(col).eq(0))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: String,
    pub ticket_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    /// The page of the object the notice is about (a register entry, a
    /// control's subject); `None` for a ticket's notice (`ticket_id`).
    pub link: Option<String>,
    /// The deadline of the to-do, where one is known.
    pub due_at: Option<i64>,
}

const NOTE_COLS: [&str; 10] = [
    "id",
    "user_id",
    "ticket_id",
    "kind",
    "title",
    "body",
    "created_at",
    "read_at",
    "link",
    "due_at",
];

pub async fn insert_notification(c: &mut DbConn, n: &NotificationRow) -> Result<(), AppError> {
    c.defer(
        &Query::insert()
            .into_table("notifications")
            .columns(NOTE_COLS)
            .values_panic([
                n.id.clone().into(),
                n.user_id.clone().into(),
                n.ticket_id.clone().into(),
                n.kind.clone().into(),
                n.title.clone().into(),
                n.body.clone().into(),
                n.created_at.into(),
                n.read_at.into(),
                n.link.clone().into(),
                n.due_at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn notifications_of(
    c: &mut DbConn,
    user_id: &str,
    limit: u64,
) -> Result<Vec<NotificationRow>, AppError> {
    let q = Query::select()
        .columns(NOTE_COLS)
        .from("notifications")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("created_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    c.all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(NotificationRow {
                id: r.s("id")?,
                user_id: r.s("user_id")?,
                ticket_id: r.os("ticket_id")?,
                kind: r.s("kind")?,
                title: r.s("title")?,
                body: r.s("body")?,
                created_at: r.i("created_at")?,
                read_at: r.oi("read_at")?,
                link: r.os("link")?,
                due_at: r.oi("due_at")?,
            })
        })
        .collect()
}

pub async fn mark_read(
    c: &mut DbConn,
    user_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, AppError> {
    let n = c
        .exec(
            &Query::update()
                .table("notifications")
                .value("read_at", now)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("user_id").eq(user_id))
                .and_where(Expr::col("read_at").is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

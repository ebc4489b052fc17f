//! The ticket lists (issue 13): the list with sortable columns, owner and
//! team columns, the state filter grouped by process, the 状态类别 filter,
//! bulk assign and bulk export of checked rows, saved filters and paging
//! that keeps all of it; a team's queue (认领, 指派), the owner page of a
//! ticket (转派), the workload of a team and 待办. Due soon is amber
//! (`due-soon`), overdue red (`due-overdue`).

use std::collections::BTreeMap;

use crate::extract::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::tickets::{self, AssignInput, ReassignInput, TicketSummary};
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{indented, opts, org_choices, urlencoding, Opt, UiForm};
use super::page::{render, Layout};
use super::session::{business, ticket_user, UiUser};
use crate::api::tickets::{ticket_filter, TicketQuery};
use crate::extract::ReqCtx;
use crate::AppState;

const PER_PAGE: u64 = 50;

/// `due-overdue` (red), `due-soon` (amber) or nothing, for a ticket's
/// deadline at `now`.
fn due_class(t: &TicketSummary, now: i64) -> &'static str {
    if t.closed {
        ""
    } else if t.overdue || t.due_at.is_some_and(|d| d < now) {
        "due-overdue"
    } else if t.due_at.is_some_and(|d| d < now + tickets::DUE_SOON_US) {
        "due-soon"
    } else {
        ""
    }
}

// ---- the list ----

/// The list's query: every filter, the order and the page.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ListQuery {
    #[serde(default)]
    process: String,
    /// `process:state` from the grouped select, or a bare state id.
    #[serde(default)]
    state: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    open: String,
    #[serde(default)]
    unowned: String,
    #[serde(default)]
    mine: String,
    /// `YYYY-MM-DD`: opened on or after.
    #[serde(default)]
    since: String,
    /// `true`: due within a day and not overdue.
    #[serde(default)]
    due_soon: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    fn api(&self) -> TicketQuery {
        let opt = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let (process, state) = match self.state.split_once(':') {
            Some((p, s)) if self.process.trim().is_empty() => (opt(p), opt(s)),
            Some((_, s)) => (opt(&self.process), opt(s)),
            None => (opt(&self.process), opt(&self.state)),
        };
        TicketQuery {
            process,
            state,
            level: opt(&self.level),
            org_id: opt(&self.org_id),
            assignee: opt(&self.assignee),
            overdue: opt(&self.overdue),
            mine: opt(&self.mine),
            open: opt(&self.open),
            category: opt(&self.category),
            team_id: opt(&self.team_id),
            unowned: opt(&self.unowned),
            since: opt(&self.since),
            due_soon: opt(&self.due_soon),
            sort: opt(&self.sort),
            dir: opt(&self.dir),
        }
    }

    /// The query of a list's query string (unknown names ignored).
    fn from_query(s: &str) -> ListQuery {
        let mut q = ListQuery::default();
        for (k, v) in form_urlencoded::parse(s.trim_start_matches('?').as_bytes()) {
            let v = v.into_owned();
            match &*k {
                "process" => q.process = v,
                "state" => q.state = v,
                "category" => q.category = v,
                "level" => q.level = v,
                "org_id" => q.org_id = v,
                "team_id" => q.team_id = v,
                "assignee" => q.assignee = v,
                "overdue" => q.overdue = v,
                "open" => q.open = v,
                "unowned" => q.unowned = v,
                "mine" => q.mine = v,
                "since" => q.since = v,
                "due_soon" => q.due_soon = v,
                "sort" => q.sort = v,
                "dir" => q.dir = v,
                "page" => q.page = v,
                _ => {}
            }
        }
        q
    }

    fn page(&self) -> u64 {
        self.page.trim().parse::<u64>().unwrap_or(1).max(1)
    }

    /// The filters and the order as a query string (no page): what a saved
    /// filter keeps.
    fn filters(&self) -> String {
        let pairs = [
            ("process", &self.process),
            ("state", &self.state),
            ("category", &self.category),
            ("level", &self.level),
            ("org_id", &self.org_id),
            ("team_id", &self.team_id),
            ("assignee", &self.assignee),
            ("overdue", &self.overdue),
            ("open", &self.open),
            ("unowned", &self.unowned),
            ("mine", &self.mine),
            ("since", &self.since),
            ("due_soon", &self.due_soon),
            ("sort", &self.sort),
            ("dir", &self.dir),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencoding(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn url(&self, page: u64) -> String {
        let f = self.filters();
        if f.is_empty() {
            format!("/tickets?page={page}")
        } else {
            format!("/tickets?{f}&page={page}")
        }
    }

    /// The first page ordered by `key`: the other direction when it is the
    /// current order.
    fn sorted(&self, key: &str) -> String {
        let mut q = self.clone();
        let current = crate::api::tickets::sort_of(Some(&self.sort), Some(&self.dir)).ok();
        let dir = match current {
            Some(c) if c.key.as_str() == key => {
                if c.descending {
                    "asc"
                } else {
                    "desc"
                }
            }
            _ if key == "created" || key == "updated" => "desc",
            _ => "asc",
        };
        q.sort = key.into();
        q.dir = dir.into();
        q.url(1)
    }
}

/// A sortable column head: its label, the link and the arrow shown.
struct Head {
    label: &'static str,
    href: String,
    arrow: &'static str,
}

struct Line {
    id: String,
    number: String,
    title: String,
    process: String,
    state: String,
    level: String,
    org: String,
    team: String,
    owner: String,
    created: String,
    due: String,
    due_class: &'static str,
    closed: bool,
}

/// The states of one process for the grouped select.
struct StateGroup {
    label: String,
    states: Vec<Opt>,
}

struct SavedLine {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListTpl {
    l: Layout,
    q: ListQuery,
    processes: Vec<Opt>,
    state_groups: Vec<StateGroup>,
    categories: Vec<Opt>,
    levels: Vec<Opt>,
    orgs: Vec<Opt>,
    teams: Vec<Opt>,
    heads: Vec<Head>,
    lines: Vec<Line>,
    total: i64,
    /// More than `total` match: shown as "1000+", pages as "N / …".
    capped: bool,
    page: u64,
    pages: u64,
    prev_url: String,
    next_url: String,
    reason: String,
    /// The members of the teams the caller leads: (username, name) for bulk
    /// assign; empty hides it.
    assignable: Vec<(String, String)>,
    saved: Vec<SavedLine>,
    /// The current filters as a query string (what 保存 keeps).
    current: String,
    /// The caller does business (files tickets, has a queue); a project
    /// reviewer only reads the project tickets of its scope.
    business: bool,
}

/// Joins the distinct labels of one id across packs (`草稿／事件登记`).
fn merge_labels(items: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut order: Vec<String> = Vec::new();
    let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, label) in items {
        let e = labels.entry(id.clone()).or_default();
        if e.is_empty() {
            order.push(id);
        }
        if !e.contains(&label) {
            e.push(label);
        }
    }
    order
        .into_iter()
        .map(|id| {
            let l = labels[&id].join("／");
            (id, l)
        })
        .collect()
}

/// The states grouped by process (an `<optgroup>` each, the process's
/// Chinese name), values `process:state`.
fn state_groups(s: &AppState, q: &ListQuery) -> Vec<StateGroup> {
    let p = &s.platform;
    let all = || p.packs.iter().flat_map(|pk| pk.processes.iter());
    // A bare state with its process (`?process=change&state=draft`) is
    // the same choice.
    let current = if q.state.contains(':') || q.process.is_empty() {
        q.state.clone()
    } else {
        format!("{}:{}", q.process, q.state)
    };
    let processes = merge_labels(all().map(|pr| (pr.id.clone(), pr.name.clone())));
    processes
        .into_iter()
        .filter(|(id, _)| q.process.is_empty() || *id == q.process)
        .map(|(id, label)| {
            let states = merge_labels(
                all()
                    .filter(|pr| pr.id == id)
                    .flat_map(|pr| pr.states.iter())
                    .map(|st| (format!("{id}:{}", st.id), st.label.clone())),
            );
            StateGroup {
                label,
                states: opts(states, &current),
            }
        })
        .collect()
}

/// Members of every team the caller leads: (username, name (team)).
async fn assignable(s: &AppState, u: &UiUser) -> Result<Vec<(String, String)>, AppError> {
    let mut out = Vec::new();
    for t in tickets::my_teams(&s.platform, &u.principal).await? {
        if !t.lead {
            continue;
        }
        for m in tickets::members(&s.platform, &u.principal, &t.id).await? {
            if !out.iter().any(|(n, _): &(String, String)| *n == m.username) {
                out.push((m.username, format!("{}（{}）", m.display_name, t.name)));
            }
        }
    }
    Ok(out)
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    q: ListQuery,
    reason: String,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let p = &s.platform;
    let filter = ticket_filter(s, &u.principal.user_id, &q.api()).await?;
    let page_no = q.page();
    let page = tickets::list(p, &u.principal, &filter, page_no, PER_PAGE).await?;
    let org_list = org_choices(s, u, Action::BusinessRead).await?;
    let now = p.now_us();
    let processes = merge_labels(
        p.packs
            .iter()
            .flat_map(|pk| pk.processes.iter())
            .map(|pr| (pr.id.clone(), pr.name.clone())),
    );
    let levels = merge_labels(
        p.packs
            .iter()
            .flat_map(|pk| pk.processes.iter())
            .filter(|pr| q.process.is_empty() || pr.id == q.process)
            .filter_map(|pr| pr.field("level"))
            .flat_map(|f| f.choices.iter())
            .map(|c| (c.id.clone(), c.label.clone())),
    );
    let teams = tickets::all_teams(p, &u.principal)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let lines: Vec<Line> = page
        .tickets
        .into_iter()
        .map(|t| Line {
            due_class: due_class(&t, now),
            org: org_list
                .iter()
                .find(|o| o.id == t.org_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            team: t.team_name.clone().unwrap_or_default(),
            owner: t.assignee_name.clone().unwrap_or_default(),
            id: t.id,
            number: t.number,
            title: t.title,
            process: t.process_name,
            state: t.state_label,
            level: t.level_label.unwrap_or_default(),
            created: fmt_minute(t.created_at),
            due: t.due_at.map(fmt_minute).unwrap_or_default(),
            closed: t.closed,
        })
        .collect();
    let pages = yunwei_domain::paging::page_count(
        page.total,
        page.total_capped,
        page_no,
        PER_PAGE,
        lines.len(),
    );
    let current_sort = filter.sort;
    let heads = [
        ("number", "编号"),
        ("title", "标题"),
        ("process", "流程"),
        ("state", "状态"),
        ("level", "级别"),
        ("created", "登记时间"),
        ("due", "期限"),
    ]
    .into_iter()
    .map(|(key, label)| Head {
        label,
        href: q.sorted(key),
        arrow: if current_sort.key.as_str() != key {
            ""
        } else if current_sort.descending {
            "▼"
        } else {
            "▲"
        },
    })
    .collect();
    let saved = tickets::saved_filters(p, &u.principal)
        .await?
        .into_iter()
        .map(|f| SavedLine {
            id: f.id,
            name: f.name,
        })
        .collect();
    let page_view = render(&ListTpl {
        l: Layout::for_user(u, "/tickets").with(notice, error.map(|e| e.message.clone())),
        processes: opts(processes, &q.process),
        state_groups: state_groups(s, &q),
        categories: opts(
            vec![
                ("open".into(), "未完成（本组办理中）".into()),
                ("waiting".into(), "等待中（待审批或待用户）".into()),
                ("closed".into(), "已关闭".into()),
            ],
            &q.category,
        ),
        levels: opts(levels, &q.level),
        orgs: opts(
            org_list
                .iter()
                .map(|o| (o.id.clone(), indented(o)))
                .collect(),
            &q.org_id,
        ),
        teams: opts(teams, &q.team_id),
        heads,
        lines,
        total: page.total,
        capped: page.total_capped,
        page: page_no,
        pages,
        prev_url: q.url(page_no.saturating_sub(1).max(1)),
        next_url: q.url(page_no + 1),
        reason,
        assignable: assignable(s, u).await?,
        saved,
        current: q.filters(),
        q,
        business: u.principal.can_somewhere(Action::BusinessRead),
    });
    with_error(page_view, error)
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Page {
    ticket_user(&u)?;
    list_view(&s, &u, q, String::new(), None, None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: ListQuery,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    business(&u)?;
    let filter = ticket_filter(&s, &u.principal.user_id, &f.q.api()).await?;
    match tickets::export(&s.platform, &ctx, &u.principal, &filter, &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("tickets.xlsx", bytes)),
        Err(e) if correctable(&e) => list_view(&s, &u, f.q, f.reason, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// Most rows one bulk action takes.
const BULK_MAX: usize = 200;

/// Bulk actions on the checked rows (`ids`, repeated): `assign` to
/// `assignee`, or `export` with a `reason`. The form also carries the
/// list's query (`back`) to return to.
pub(super) async fn bulk(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(pairs): UiForm<Vec<(String, String)>>,
) -> Page {
    business(&u)?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(n, v)| n == "ids" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect();
    let back: ListQuery = ListQuery::from_query(&get("back"));
    let refuse = |msg: &str| AppError::bad_request("ticket.bulk_invalid", msg.to_string());
    if ids.is_empty() {
        let e = refuse("请先勾选工单");
        return list_view(&s, &u, back, String::new(), None, Some(&e)).await;
    }
    if ids.len() > BULK_MAX {
        let e = refuse("一次最多处理 200 张工单");
        return list_view(&s, &u, back, String::new(), None, Some(&e)).await;
    }
    match get("action").as_str() {
        "export" => {
            let filter = yunwei_core::tickets::TicketFilter {
                ids,
                ..Default::default()
            };
            let reason = get("reason");
            match tickets::export(&s.platform, &ctx, &u.principal, &filter, &reason).await {
                Ok(bytes) => Ok(crate::api::xlsx("tickets.xlsx", bytes)),
                Err(e) if correctable(&e) => list_view(&s, &u, back, reason, None, Some(&e)).await,
                Err(e) => Err(e.into()),
            }
        }
        "assign" => {
            let input = AssignInput {
                assignee: get("assignee"),
            };
            if input.assignee.is_empty() {
                let e = refuse("请选择负责人");
                return list_view(&s, &u, back, String::new(), None, Some(&e)).await;
            }
            let mut done = 0;
            let mut failed: Vec<String> = Vec::new();
            for id in &ids {
                match tickets::assign(&s.platform, &ctx, &u.principal, id, &input).await {
                    Ok(_) => done += 1,
                    Err(e) => failed.push(e.message),
                }
            }
            failed.dedup();
            if failed.is_empty() {
                let notice = Some(format!("已指派 {done} 张工单"));
                list_view(&s, &u, back, String::new(), notice, None).await
            } else {
                let e = AppError::bad_request(
                    "ticket.bulk_partial",
                    format!(
                        "已指派 {done} 张，{} 张未能指派：{}",
                        ids.len() - done,
                        failed.join("；")
                    ),
                );
                list_view(&s, &u, back, String::new(), None, Some(&e)).await
            }
        }
        _ => Err(refuse("请选择批量操作").into()),
    }
}

// ---- saved filters ----

#[derive(Deserialize)]
pub(super) struct SaveFilterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

pub(super) async fn save_filter(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<SaveFilterForm>,
) -> Page {
    business(&u)?;
    let back: ListQuery = ListQuery::from_query(&f.query);
    // Kept as the list writes it: only the fields it knows, no page.
    match tickets::save_filter(&s.platform, &ctx, &u.principal, &f.name, &back.filters()).await {
        Ok(saved) => {
            let notice = Some(format!("已保存筛选条件「{}」", saved.name));
            list_view(&s, &u, back, String::new(), notice, None).await
        }
        Err(e) if correctable(&e) => list_view(&s, &u, back, String::new(), None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// Applies a saved filter: the list with its query (only the caller's).
pub(super) async fn apply_filter(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    business(&u)?;
    let f = tickets::saved_filter(&s.platform, &u.principal, &id).await?;
    Ok(Redirect::to(&format!("/tickets?{}", f.query)).into_response())
}

pub(super) async fn delete_filter(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    business(&u)?;
    tickets::delete_filter(&s.platform, &ctx, &u.principal, &id).await?;
    list_view(
        &s,
        &u,
        ListQuery::default(),
        String::new(),
        Some("已删除筛选条件".into()),
        None,
    )
    .await
}

// ---- the queue of a team, the owner of a ticket ----

struct QueueLine {
    id: String,
    number: String,
    title: String,
    process: String,
    state: String,
    created: String,
    due: String,
    due_class: &'static str,
}

fn queue_line(x: TicketSummary, now: i64) -> QueueLine {
    QueueLine {
        due_class: due_class(&x, now),
        id: x.id,
        number: x.number,
        title: x.title,
        process: x.process_name,
        state: x.state_label,
        created: fmt_minute(x.created_at),
        due: x.due_at.map(fmt_minute).unwrap_or_default(),
    }
}

struct QueueTeam {
    id: String,
    name: String,
    lead: bool,
    member: bool,
    lines: Vec<QueueLine>,
    /// (username, name) of its members, for 指派 (leads only).
    members: Vec<(String, String)>,
    more: bool,
}

#[derive(Template)]
#[template(path = "ticket_queue.html")]
struct QueueTpl {
    l: Layout,
    teams: Vec<QueueTeam>,
    /// For who leads somewhere: open tickets in reach no team owns yet
    /// (to route with 转派); None for everybody else.
    unrouted: Option<Vec<QueueLine>>,
}

const QUEUE_MAX: u64 = 100;

async fn queue_view(
    s: &AppState,
    u: &UiUser,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let p = &s.platform;
    let now = p.now_us();
    let mut teams = Vec::new();
    for t in tickets::my_teams(p, &u.principal).await? {
        let f = yunwei_core::tickets::TicketFilter {
            team_id: Some(t.id.clone()),
            unowned: true,
            open_only: true,
            sort: yunwei_core::tickets::Sort {
                key: yunwei_core::tickets::SortKey::Due,
                descending: false,
            },
            ..Default::default()
        };
        let page = tickets::list(p, &u.principal, &f, 1, QUEUE_MAX).await?;
        let members = if t.lead {
            tickets::members(p, &u.principal, &t.id)
                .await?
                .into_iter()
                .map(|m| (m.username, m.display_name))
                .collect()
        } else {
            vec![]
        };
        teams.push(QueueTeam {
            member: tickets::member_of(&u.principal, &t.path),
            more: page.total as u64 > QUEUE_MAX || page.total_capped,
            lines: page
                .tickets
                .into_iter()
                .map(|x| queue_line(x, now))
                .collect(),
            id: t.id,
            name: t.name,
            lead: t.lead,
            members,
        });
    }
    let leads_somewhere = u
        .principal
        .grants
        .iter()
        .any(|g| tickets::LEAD_ROLES.contains(&g.role));
    let unrouted = if leads_somewhere {
        let f = yunwei_core::tickets::TicketFilter {
            no_team: true,
            open_only: true,
            sort: yunwei_core::tickets::Sort {
                key: yunwei_core::tickets::SortKey::Due,
                descending: false,
            },
            ..Default::default()
        };
        let page = tickets::list(p, &u.principal, &f, 1, QUEUE_MAX).await?;
        Some(
            page.tickets
                .into_iter()
                .map(|x| queue_line(x, now))
                .collect(),
        )
    } else {
        None
    };
    let page = render(&QueueTpl {
        l: Layout::for_user(u, "/tickets").with(notice, error.map(|e| e.message.clone())),
        teams,
        unrouted,
    });
    with_error(page, error)
}

pub(super) async fn queue(State(s): State<AppState>, u: UiUser) -> Page {
    business(&u)?;
    queue_view(&s, &u, None, None).await
}

/// Where a form of the queue or the owner page returns to.
#[derive(Deserialize, Default)]
pub(super) struct OwnerForm {
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    reason: String,
    /// `queue`: back to the queue; else the ticket's owner page.
    #[serde(default)]
    back: String,
}

async fn after_owner(
    s: &AppState,
    u: &UiUser,
    id: &str,
    back: &str,
    r: Result<String, AppError>,
) -> Page {
    match (r, back) {
        (Ok(msg), "queue") => queue_view(s, u, Some(msg), None).await,
        (Ok(msg), _) => owner_view(s, u, id, Some(msg), None).await,
        (Err(e), "queue") if correctable(&e) => queue_view(s, u, None, Some(&e)).await,
        (Err(e), _) if correctable(&e) => owner_view(s, u, id, None, Some(&e)).await,
        (Err(e), _) => Err(e.into()),
    }
}

pub(super) async fn claim(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<OwnerForm>,
) -> Page {
    business(&u)?;
    let r = tickets::claim(&s.platform, &ctx, &u.principal, &id)
        .await
        .map(|t| format!("已认领 {}", t.number));
    after_owner(&s, &u, &id, &f.back, r).await
}

pub(super) async fn assign(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<OwnerForm>,
) -> Page {
    business(&u)?;
    let input = AssignInput {
        assignee: f.assignee.clone(),
    };
    let r = tickets::assign(&s.platform, &ctx, &u.principal, &id, &input)
        .await
        .map(|t| format!("已指派 {}", t.number));
    after_owner(&s, &u, &id, &f.back, r).await
}

pub(super) async fn reassign(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<OwnerForm>,
) -> Page {
    business(&u)?;
    let input = ReassignInput {
        team_id: f.team_id.clone(),
        assignee: Some(f.assignee.clone()).filter(|a| !a.trim().is_empty()),
        reason: f.reason.clone(),
    };
    let r = tickets::reassign(&s.platform, &ctx, &u.principal, &id, &input)
        .await
        .map(|t| format!("已转派 {}", t.number));
    after_owner(&s, &u, &id, &f.back, r).await
}

#[derive(Template)]
#[template(path = "ticket_owner.html")]
struct OwnerTpl {
    l: Layout,
    id: String,
    number: String,
    title: String,
    team: String,
    owner: String,
    can_claim: bool,
    /// Members of its team, when the caller leads it.
    members: Vec<(String, String)>,
    teams: Vec<Opt>,
}

async fn owner_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let p = &s.platform;
    let d = tickets::detail(p, &u.principal, id).await?;
    let t = d.ticket;
    let mine = tickets::my_teams(p, &u.principal).await?;
    let team = mine
        .iter()
        .find(|m| Some(&m.id) == t.team_id.as_ref())
        .cloned();
    let members = match &team {
        Some(tm) if tm.lead => tickets::members(p, &u.principal, &tm.id)
            .await?
            .into_iter()
            .map(|m| (m.username, m.display_name))
            .collect(),
        _ => vec![],
    };
    let can_claim = !t.closed
        && t.assignee_id.is_none()
        && team
            .as_ref()
            .is_some_and(|tm| tickets::member_of(&u.principal, &tm.path));
    let names = tickets::names(
        p,
        &t.assignee_id.iter().cloned().collect::<Vec<_>>(),
        &t.team_id.iter().cloned().collect::<Vec<_>>(),
    )
    .await?;
    let teams = tickets::reassign_targets(p, &u.principal, &t.id)
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    let page = render(&OwnerTpl {
        l: Layout::for_user(u, "/tickets").with(notice, error.map(|e| e.message.clone())),
        id: t.id.clone(),
        number: t.number.clone(),
        title: t.title.clone(),
        team: t
            .team_id
            .as_ref()
            .and_then(|x| names.get(x).cloned())
            .unwrap_or_else(|| "未分配科室".into()),
        owner: t
            .assignee_id
            .as_ref()
            .and_then(|x| names.get(x).cloned())
            .unwrap_or_else(|| "待认领".into()),
        can_claim,
        members,
        teams: opts(teams, ""),
    });
    with_error(page, error)
}

/// A ticket's owner page: its team and owner, 认领, 指派 and 转派.
pub(super) async fn owner(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Page {
    business(&u)?;
    owner_view(&s, &u, &id, None, None).await
}

// ---- workload ----

struct LoadLine {
    name: String,
    open: i64,
    overdue: i64,
    due_soon: i64,
    open_href: String,
    overdue_href: String,
    soon_href: String,
}

struct LoadTeam {
    name: String,
    lines: Vec<LoadLine>,
}

#[derive(Template)]
#[template(path = "ticket_workload.html")]
struct WorkloadTpl {
    l: Layout,
    teams: Vec<LoadTeam>,
}

/// The workload of every team the caller leads: per person open, overdue
/// and due soon, each linking to the list behind it.
pub(super) async fn workload(State(s): State<AppState>, u: UiUser) -> Page {
    business(&u)?;
    let p = &s.platform;
    let mut teams = Vec::new();
    for t in tickets::my_teams(p, &u.principal).await? {
        if !t.lead {
            continue;
        }
        let lines = tickets::workload(p, &u.principal, &t.id)
            .await?
            .into_iter()
            .map(|l| {
                let who = match &l.username {
                    Some(name) => format!("assignee={}", urlencoding(name)),
                    None => "unowned=true".into(),
                };
                let base = format!("/tickets?team_id={}&{who}&open=true", urlencoding(&t.id));
                LoadLine {
                    name: l.display_name,
                    open: l.open,
                    overdue: l.overdue,
                    due_soon: l.due_soon,
                    overdue_href: format!("{base}&overdue=true"),
                    soon_href: format!("{base}&due_soon=true&sort=due&dir=asc"),
                    open_href: base,
                }
            })
            .collect();
        teams.push(LoadTeam {
            name: t.name,
            lines,
        });
    }
    render(&WorkloadTpl {
        l: Layout::for_user(&u, "/tickets"),
        teams,
    })
}

// ---- 待办 ----

struct TodoLine {
    id: String,
    number: String,
    title: String,
    process: String,
    state: String,
    due: String,
    due_class: &'static str,
    actions: Vec<String>,
}

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoTpl {
    l: Layout,
    items: Vec<TodoLine>,
}

pub(super) async fn todo(State(s): State<AppState>, u: UiUser) -> Page {
    business(&u)?;
    let now = s.platform.now_us();
    let items = tickets::todo(&s.platform, &u.principal)
        .await?
        .into_iter()
        .map(|i| TodoLine {
            due_class: due_class(&i.ticket, now),
            id: i.ticket.id,
            number: i.ticket.number,
            title: i.ticket.title,
            process: i.ticket.process_name,
            state: i.ticket.state_label,
            due: i.ticket.due_at.map(fmt_minute).unwrap_or_default(),
            actions: i.actions,
        })
        .collect();
    render(&TodoTpl {
        l: Layout::for_user(&u, "/todo"),
        items,
    })
}

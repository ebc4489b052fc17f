//! Owners and queues (issue 13, ADR 0012): a ticket's owning team (an
//! organisation of kind section or vendor) and, once taken, its owner
//! (`assignee_id`). 认领 takes an unowned ticket of one's own team, 指派
//! gives it to a member of the team by one who leads the team, 转派 moves
//! it to another team or person with a reason. Each writes its audit record
//! in its transaction and tells the new owner. The team's queue, the
//! workload of a team and the saved filters of the ticket list are read
//! here too.

use super::*;
use yunwei_domain::org::{is_within, OrgKind};
use yunwei_store::orgs::OrgRow;

/// The roles that lead a team: a 科长 holds 项目负责人 on the section, the
/// center's 项目负责人, 分管主任 and 主任 lead every team of their scope.
pub const LEAD_ROLES: [Role; 3] = [Role::ProjectLead, Role::DeputyDirector, Role::Director];

/// Whether an organisation can own tickets: a section or a vendor.
pub fn is_team(o: &OrgRow) -> bool {
    o.kind == OrgKind::Section.as_str() || o.kind == OrgKind::Vendor.as_str()
}

/// Whether the principal leads the team at `team_path`: a lead role
/// granted on the team or above it.
pub fn leads(pr: &Principal, team_path: &str) -> bool {
    !pr.must_change_password
        && pr
            .grants
            .iter()
            .any(|g| LEAD_ROLES.contains(&g.role) && g.covers(team_path))
}

/// Whether the principal belongs to the team at `team_path` (its account's
/// organisation is the team or below it) and works tickets.
pub fn member_of(pr: &Principal, team_path: &str) -> bool {
    !pr.must_change_password
        && is_within(&pr.org_path, team_path)
        && pr.grants.iter().any(|g| g.role.is_business())
}

/// A new ticket's owning team: the requester's organisation when it is a
/// section or a vendor; else none, and the leads of the ticket's scope
/// route it (转派).
pub(super) async fn default_team(
    c: &mut DbConn,
    requester_id: &str,
) -> Result<(Option<String>, Option<String>), AppError> {
    let Some(u) = ustore::get(c, requester_id).await? else {
        return Ok((None, None));
    };
    match orgs::get(c, &u.org_id).await? {
        Some(o) if is_team(&o) => Ok((Some(o.id), Some(o.path))),
        _ => Ok((None, None)),
    }
}

fn not_yours() -> AppError {
    AppError::forbidden("无权处理该工单的分派：只有本组人员可认领，只有本组负责人可指派")
}

/// The user ids of the team who work tickets there: a business role whose
/// grant covers the team (so never one of the three administrators).
async fn workers_of(c: &mut DbConn, team: &OrgRow) -> Result<Vec<String>, AppError> {
    let roles: Vec<String> = Role::ALL
        .iter()
        .filter(|r| r.is_business())
        .map(|r| r.as_str().to_string())
        .collect();
    ustore::holders_covering(c, &roles, &team.path).await
}

async fn user_in_team(
    c: &mut DbConn,
    username: &str,
    team: &OrgRow,
) -> Result<ustore::UserRow, AppError> {
    let not_member = || {
        AppError::bad_request(
            "ticket.assignee_not_in_team",
            format!("该用户不是{}的业务人员，不能负责该组的工单", team.name),
        )
    };
    let u = ustore::by_username(c, username.trim())
        .await?
        .filter(|u| u.status == "active")
        .ok_or_else(|| {
            AppError::bad_request("ticket.assignee_unknown", "没有这个用户或该用户已停用")
        })?;
    if !is_within(&u.org_path, &team.path) || !workers_of(c, team).await?.contains(&u.id) {
        return Err(not_member());
    }
    Ok(u)
}

/// Whether `pr` may route a ticket of `org_path` to `team` (转派): a
/// section the caller works in, or one within the ticket's organisation;
/// a vendor whose contract in force covers the ticket's region (the
/// vendor then sees the ticket through its team, ADR 0009).
async fn may_route(
    c: &mut DbConn,
    p: &Platform,
    pr: &Principal,
    org_path: &str,
    team: &OrgRow,
) -> Result<bool, AppError> {
    if team.kind == OrgKind::Vendor.as_str() {
        let today = crate::kernel::due::today(p);
        let regions = crate::kernel::contracts::contract_regions(c, &team.id, today).await?;
        return Ok(regions.iter().any(|r| is_within(org_path, r)));
    }
    Ok(pr.can(Action::BusinessOperate, &team.path) || is_within(&team.path, org_path))
}

async fn tell_owner(
    c: &mut DbConn,
    t: &TicketRow,
    owner: &str,
    actor: &Principal,
    how: &str,
    now_us: i64,
) -> Result<(), AppError> {
    if owner == actor.user_id {
        return Ok(());
    }
    let title = format!("待您处理：{} {}（{}）", t.number, t.title, how);
    let body = format!("{}将该工单交由您负责", actor.display_name);
    super::transition::notify_users(
        c,
        &[owner.to_string()],
        t,
        "ticket_todo",
        &title,
        &body,
        now_us,
    )
    .await
}

async fn team_of(c: &mut DbConn, t: &TicketRow) -> Result<Option<OrgRow>, AppError> {
    match &t.team_id {
        Some(id) => orgs::get(c, id).await,
        None => Ok(None),
    }
}

/// 认领: the caller takes an unowned ticket of its own team. Of parallel
/// claims exactly one wins; the others get `ticket.taken`.
pub async fn claim(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
) -> Result<TicketRow, AppError> {
    in_tx!(p.db, |c| {
        let Loaded { row, .. } = load(&mut c, p, pr, id).await?;
        let team_path = row.team_path.clone().unwrap_or_default();
        if row.team_path.is_none() || !member_of(pr, &team_path) {
            return Err(not_yours());
        }
        let auth = pr.authorize(Action::BusinessOperate, &team_path)?;
        if row.assignee_id.is_some() || row.closed_at.is_some() {
            return Err(taken());
        }
        let now_us = p.now_us();
        if !store::claim_owner(&mut c, &row.id, &pr.user_id, row.updated_at, now_us).await? {
            return Err(taken());
        }
        let ev = Event::success("ticket.claim", "ticket", &row.id)
            .after(format!("{} 由{}认领", row.number, pr.display_name));
        record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        let mut out = row;
        out.assignee_id = Some(pr.user_id.clone());
        Ok(out)
    })
}

fn taken() -> AppError {
    AppError::conflict(
        "ticket.taken",
        "该工单已有负责人或刚被他人处理，请刷新后查看",
    )
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AssignInput {
    /// Username of the new owner, a member of the ticket's team.
    pub assignee: String,
}

/// 指派: one who leads the ticket's team gives it to a member of the team.
pub async fn assign(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &AssignInput,
) -> Result<TicketRow, AppError> {
    in_tx!(p.db, |c| {
        let Loaded { row, .. } = load(&mut c, p, pr, id).await?;
        let Some(team) = team_of(&mut c, &row).await? else {
            return Err(AppError::bad_request(
                "ticket.no_team",
                "该工单尚未交给任何科室或厂商，请先转派",
            ));
        };
        if !leads(pr, &team.path) {
            return Err(not_yours());
        }
        if row.closed_at.is_some() {
            return Err(AppError::conflict("ticket.closed", "工单已关闭"));
        }
        let auth = pr.authorize(Action::BusinessOperate, &team.path)?;
        let owner = user_in_team(&mut c, &input.assignee, &team).await?;
        let now_us = p.now_us();
        if !store::set_owner(
            &mut c,
            &row,
            Some((&team.id, &team.path)),
            Some(&owner.id),
            now_us,
        )
        .await?
        {
            return Err(super::transition::busy());
        }
        let before = match &row.assignee_id {
            Some(id) => ustore::get(&mut c, id)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let ev = Event::success("ticket.assign", "ticket", &row.id)
            .before(before)
            .after(format!(
                "{} 指派给{}（{}）",
                row.number, owner.display_name, team.name
            ));
        record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        tell_owner(&mut c, &row, &owner.id, pr, "指派", now_us).await?;
        let mut out = row;
        out.assignee_id = Some(owner.id);
        Ok(out)
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ReassignInput {
    /// The organisation (a section or a vendor) that owns the ticket next.
    pub team_id: String,
    /// Username of the new owner in that team; none leaves it in the
    /// team's queue.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Why (required).
    #[serde(default)]
    pub reason: String,
}

/// 转派: moves a ticket to another team (its queue) or a person of it,
/// with a reason. Allowed to the ticket's owner and to one who leads its
/// current team, or, for a ticket without a team, its scope (a 项目负责人
/// of the ticket's organisation).
pub async fn reassign(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &ReassignInput,
) -> Result<TicketRow, AppError> {
    let reason = crate::kernel::audit::require_reason(&input.reason)?;
    in_tx!(p.db, |c| {
        let Loaded { row, .. } = load(&mut c, p, pr, id).await?;
        let current = team_of(&mut c, &row).await?;
        let owner = row.assignee_id.as_deref() == Some(pr.user_id.as_str());
        let lead_path = current
            .as_ref()
            .map(|t| t.path.as_str())
            .unwrap_or(&row.org_path);
        if !owner && !leads(pr, lead_path) {
            return Err(not_yours());
        }
        if row.closed_at.is_some() {
            return Err(AppError::conflict("ticket.closed", "工单已关闭"));
        }
        let team = orgs::get(&mut c, input.team_id.trim())
            .await?
            .filter(is_team)
            .ok_or_else(|| AppError::bad_request("ticket.team_invalid", "请选择一个科室或厂商"))?;
        if !may_route(&mut c, p, pr, &row.org_path, &team).await? {
            return Err(AppError::bad_request(
                "ticket.team_not_allowed",
                format!(
                    "不能转派给{}：科室须在您的业务范围或工单所属机构内，厂商须有覆盖该机构的在用运维合同",
                    team.name
                ),
            ));
        }
        let auth = pr.authorize(Action::BusinessOperate, lead_path)?;
        let new_owner = match input
            .assignee
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(u) => Some(user_in_team(&mut c, u, &team).await?),
            None => None,
        };
        let now_us = p.now_us();
        if !store::set_owner(
            &mut c,
            &row,
            Some((&team.id, &team.path)),
            new_owner.as_ref().map(|u| u.id.as_str()),
            now_us,
        )
        .await?
        {
            return Err(super::transition::busy());
        }
        let to = match &new_owner {
            Some(u) => format!("{}（{}）", team.name, u.display_name),
            None => team.name.clone(),
        };
        let from = current.map(|t| t.name).unwrap_or_default();
        let ev = Event::success("ticket.reassign", "ticket", &row.id)
            .before(from)
            .after(format!("{} 转派给{to}", row.number))
            .reason(reason.clone());
        record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        match &new_owner {
            Some(u) => tell_owner(&mut c, &row, &u.id, pr, "转派", now_us).await?,
            None => {
                // The team's leads learn that its queue has a new ticket.
                let roles: Vec<String> =
                    LEAD_ROLES.iter().map(|r| r.as_str().to_string()).collect();
                let mut leads = ustore::holders_covering(&mut c, &roles, &team.path).await?;
                leads.retain(|u| u != &pr.user_id);
                leads.truncate(MAX_TOLD);
                let title = format!("待分派：{} {}（转入{}）", row.number, row.title, team.name);
                super::transition::notify_users(
                    &mut c,
                    &leads,
                    &row,
                    "ticket_todo",
                    &title,
                    "",
                    now_us,
                )
                .await?;
            }
        }
        let mut out = row;
        out.team_id = Some(team.id);
        out.team_path = Some(team.path);
        out.assignee_id = new_owner.map(|u| u.id);
        Ok(out)
    })
}

// ---- teams, queue, workload ----

/// A team the caller works in or leads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamShown {
    pub id: String,
    pub name: String,
    pub path: String,
    /// The caller leads it (may assign, sees the workload).
    pub lead: bool,
}

/// The teams whose queue the caller sees: its own organisation's team
/// (and the team above it), and every team in the scope of its lead
/// roles, by path.
pub async fn my_teams(p: &Platform, pr: &Principal) -> Result<Vec<TeamShown>, AppError> {
    if pr.must_change_password {
        return Ok(vec![]);
    }
    let mut c = p.db.read().await?;
    let lead_scope = yunwei_store::Scope::ranges(
        pr.grants
            .iter()
            .filter(|g| LEAD_ROLES.contains(&g.role))
            .map(|g| (g.scope_path.clone(), g.subtree))
            .collect(),
    );
    let mut out: Vec<TeamShown> = Vec::new();
    if !lead_scope.is_empty() {
        for o in orgs::list(&mut c, &lead_scope).await? {
            if is_team(&o) {
                out.push(TeamShown {
                    id: o.id,
                    name: o.name,
                    path: o.path,
                    lead: true,
                });
            }
        }
    }
    if pr.grants.iter().any(|g| g.role.is_business()) {
        if let Some(o) = orgs::get(&mut c, &pr.org_id).await? {
            if is_team(&o) && !out.iter().any(|t| t.id == o.id) {
                out.push(TeamShown {
                    lead: leads(pr, &o.path),
                    id: o.id,
                    name: o.name,
                    path: o.path,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Every team a ticket may be moved to (转派), by name.
pub async fn all_teams(p: &Platform, pr: &Principal) -> Result<Vec<TeamShown>, AppError> {
    if !pr.can_somewhere(Action::BusinessOperate) {
        return Ok(vec![]);
    }
    let mut c = p.db.read().await?;
    Ok(orgs::list(&mut c, &yunwei_store::Scope::whole_tree())
        .await?
        .into_iter()
        .filter(is_team)
        .map(|o| TeamShown {
            lead: leads(pr, &o.path),
            id: o.id,
            name: o.name,
            path: o.path,
        })
        .collect())
}

/// Most vendors whose contracts are read for one ticket's 转派 choices.
const MAX_VENDORS_READ: usize = 200;

/// The teams the caller may move ticket `id` to (转派 choices): the same
/// rule as [`reassign`] applies.
pub async fn reassign_targets(
    p: &Platform,
    pr: &Principal,
    id: &str,
) -> Result<Vec<TeamShown>, AppError> {
    let mut c = p.db.read().await?;
    let Loaded { row, .. } = load(&mut c, p, pr, id).await?;
    let mut out = Vec::new();
    let mut vendors = 0;
    for o in orgs::list(&mut c, &yunwei_store::Scope::whole_tree()).await? {
        if !is_team(&o) {
            continue;
        }
        if o.kind == OrgKind::Vendor.as_str() {
            vendors += 1;
            if vendors > MAX_VENDORS_READ {
                continue;
            }
        }
        if may_route(&mut c, p, pr, &row.org_path, &o).await? {
            out.push(TeamShown {
                lead: leads(pr, &o.path),
                id: o.id,
                name: o.name,
                path: o.path,
            });
        }
    }
    Ok(out)
}

/// A person a ticket of the team can be given to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberShown {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
}

/// The active members of a team the caller leads (指派 choices).
pub async fn members(
    p: &Platform,
    pr: &Principal,
    team_id: &str,
) -> Result<Vec<MemberShown>, AppError> {
    let mut c = p.db.read().await?;
    let team = orgs::get(&mut c, team_id)
        .await?
        .filter(is_team)
        .ok_or_else(|| AppError::not_found("科室"))?;
    if !leads(pr, &team.path) {
        return Err(not_yours());
    }
    let f = ustore::UserFilter {
        status: Some("active".into()),
        ..Default::default()
    };
    let scope = yunwei_store::Scope::ranges(vec![(team.path.clone(), true)]);
    let (rows, _) = ustore::list(&mut c, &scope, &f, 0, 500).await?;
    let workers = workers_of(&mut c, &team).await?;
    Ok(rows
        .into_iter()
        .filter(|u| workers.contains(&u.id))
        .map(|u| MemberShown {
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
        })
        .collect())
}

/// One row of a team's workload.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoadShown {
    /// None: the team's queue.
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub display_name: String,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
}

/// A team's open tickets per owner (the queue first, then every member,
/// those with nothing too), for one who leads it.
pub async fn workload(
    p: &Platform,
    pr: &Principal,
    team_id: &str,
) -> Result<Vec<LoadShown>, AppError> {
    let people = members(p, pr, team_id).await?;
    let mut c = p.db.read().await?;
    let team = orgs::get(&mut c, team_id)
        .await?
        .ok_or_else(|| AppError::not_found("科室"))?;
    let now = p.now_us();
    let rows = store::workload(&mut c, &team.path, now + super::read::DUE_SOON_US).await?;
    let of = |id: Option<&str>| rows.iter().find(|r| r.assignee_id.as_deref() == id);
    let mut out = vec![LoadShown {
        user_id: None,
        username: None,
        display_name: "待认领".into(),
        open: of(None).map(|r| r.open).unwrap_or(0),
        overdue: of(None).map(|r| r.overdue).unwrap_or(0),
        due_soon: of(None).map(|r| r.due_soon).unwrap_or(0),
    }];
    for m in people {
        let r = of(Some(&m.user_id));
        out.push(LoadShown {
            open: r.map(|r| r.open).unwrap_or(0),
            overdue: r.map(|r| r.overdue).unwrap_or(0),
            due_soon: r.map(|r| r.due_soon).unwrap_or(0),
            user_id: Some(m.user_id),
            username: Some(m.username),
            display_name: m.display_name,
        });
    }
    // Tickets still held by people who left the team.
    for r in &rows {
        if let Some(a) = &r.assignee_id {
            if !out.iter().any(|o| o.user_id.as_deref() == Some(a)) {
                let u = ustore::get(&mut c, a).await?;
                out.push(LoadShown {
                    user_id: Some(a.clone()),
                    username: u.as_ref().map(|u| u.username.clone()),
                    display_name: u.map(|u| u.display_name).unwrap_or_default(),
                    open: r.open,
                    overdue: r.overdue,
                    due_soon: r.due_soon,
                });
            }
        }
    }
    Ok(out)
}

/// Display names of these users and organisations (the owner and team
/// columns of the lists), by id.
pub async fn names(
    p: &Platform,
    user_ids: &[String],
    org_ids: &[String],
) -> Result<BTreeMap<String, String>, AppError> {
    let mut c = p.db.read().await?;
    let mut out = BTreeMap::new();
    for id in user_ids.iter().collect::<BTreeSet<_>>() {
        if let Some(u) = ustore::get(&mut c, id).await? {
            out.insert(id.clone(), u.display_name);
        }
    }
    for id in org_ids.iter().collect::<BTreeSet<_>>() {
        if let Some(o) = orgs::get(&mut c, id).await? {
            out.insert(id.clone(), o.name);
        }
    }
    Ok(out)
}

// ---- saved filters ----

pub use yunwei_store::tickets::SavedFilterRow as SavedFilter;

/// Most saved filters per user.
pub const MAX_SAVED_FILTERS: usize = 50;

/// The caller's saved filters of the ticket list, by name.
pub async fn saved_filters(p: &Platform, pr: &Principal) -> Result<Vec<SavedFilter>, AppError> {
    let mut c = p.db.read().await?;
    store::filters_of(&mut c, &pr.user_id).await
}

/// The caller's saved filter; another user's is not found.
pub async fn saved_filter(p: &Platform, pr: &Principal, id: &str) -> Result<SavedFilter, AppError> {
    let mut c = p.db.read().await?;
    store::filter_of(&mut c, &pr.user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("筛选条件"))
}

/// Saves the list's query string under a name (the same name replaces
/// it), audited.
pub async fn save_filter(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    name: &str,
    query: &str,
) -> Result<SavedFilter, AppError> {
    let name = yunwei_domain::text::clean_name(name, 40)
        .map_err(|e| e.error("ticket.filter_name_invalid", "筛选名称"))?;
    let query = query.trim().trim_start_matches('?');
    if query.len() > 2000 || query.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "ticket.filter_invalid",
            "筛选条件过长或含非法字符",
        ));
    }
    pr.authorize_somewhere(Action::BusinessRead)?;
    in_tx!(p.db, |c| {
        let auth = pr.authorize_somewhere(Action::BusinessRead)?;
        // One save of this user at a time, so the count below holds under
        // parallel saves (PostgreSQL; SQLite writes one at a time anyway).
        ustore::get_for_update(&mut c, &pr.user_id).await?;
        let mine = store::filters_of(&mut c, &pr.user_id).await?;
        if mine.len() >= MAX_SAVED_FILTERS && !mine.iter().any(|f| f.name == name) {
            return Err(AppError::bad_request(
                "ticket.filter_too_many",
                format!("最多保存 {MAX_SAVED_FILTERS} 个筛选条件，请先删除不用的"),
            ));
        }
        let row = SavedFilter {
            id: new_id(),
            user_id: pr.user_id.clone(),
            name: name.clone(),
            query: query.to_string(),
            created_at: p.now_us(),
        };
        store::save_filter(&mut c, &row).await?;
        let saved = store::filters_of(&mut c, &pr.user_id)
            .await?
            .into_iter()
            .find(|f| f.name == name)
            .ok_or_else(|| AppError::not_found("筛选条件"))?;
        // The name only: the query names organisations by id.
        let ev =
            Event::success("ticket_filter.save", "ticket_filter", &saved.id).after(name.clone());
        record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        Ok(saved)
    })
}

/// Deletes one of the caller's saved filters, audited.
pub async fn delete_filter(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        let auth = pr.authorize_somewhere(Action::BusinessRead)?;
        let f = store::filter_of(&mut c, &pr.user_id, id)
            .await?
            .ok_or_else(|| AppError::not_found("筛选条件"))?;
        store::delete_filter(&mut c, &pr.user_id, id).await?;
        let ev = Event::success("ticket_filter.delete", "ticket_filter", &f.id).before(f.name);
        record(p, &mut c, ctx, Actor::User(auth), ev).await?;
        Ok(())
    })
}

// ---- 状态类别 ----

/// A state category across processes (the lists' 状态类别 filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateCategory {
    /// Not final and not waiting: with its team.
    Open,
    /// Not final, waiting on somebody outside the team: a state the pack
    /// marks `waiting` (the clock pauses for the user) or one in which an
    /// approval is open (the approvers).
    Waiting,
    /// A final state.
    Closed,
}

impl StateCategory {
    pub fn parse(s: &str) -> Option<StateCategory> {
        match s {
            "open" => Some(StateCategory::Open),
            "waiting" => Some(StateCategory::Waiting),
            "closed" => Some(StateCategory::Closed),
            _ => None,
        }
    }
}

/// The (process, state) pairs of every enabled pack that count as waiting.
pub fn waiting_states(p: &Platform) -> Vec<(String, String)> {
    let mut out = BTreeSet::new();
    for pr_ in p.packs.iter().flat_map(|pk| pk.processes.iter()) {
        for st in &pr_.states {
            let approval = pr_.approvals.iter().any(|a| a.state == st.id);
            if !st.is_final && (st.waiting || approval) {
                out.insert((pr_.id.clone(), st.id.clone()));
            }
        }
    }
    out.into_iter().collect()
}

/// Narrows a list filter to a state category.
pub fn filter_category(p: &Platform, f: &mut TicketFilter, cat: StateCategory) {
    match cat {
        StateCategory::Open => {
            f.open_only = true;
            f.states_not_in = waiting_states(p);
        }
        StateCategory::Waiting => {
            f.open_only = true;
            f.states_in = Some(waiting_states(p));
        }
        StateCategory::Closed => f.closed_only = true,
    }
}

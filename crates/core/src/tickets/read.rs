//! Reading tickets: the list, the ticket page with its route and timers,
//! the export, the to-do list and the notices.

use super::*;

// ---- reading ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketSummary {
    pub id: String,
    pub number: String,
    pub pack: String,
    pub process: String,
    pub process_name: String,
    pub title: String,
    pub state: String,
    pub state_label: String,
    pub level: Option<String>,
    pub level_label: Option<String>,
    pub org_id: String,
    pub org_path: String,
    pub requester_id: String,
    pub assignee_id: Option<String>,
    /// The owner's name (filled by the lists).
    pub assignee_name: Option<String>,
    /// The owning team (a section or a vendor) and its name (filled by the
    /// lists).
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub created_at: i64,
    pub due_at: Option<i64>,
    pub overdue: bool,
    pub closed: bool,
}

pub fn summary(p: &Platform, t: &TicketRow) -> TicketSummary {
    let pk = pack(p, &t.pack_id, Some(&t.pack_version)).ok();
    let pr_ = pk.and_then(|pk| pk.process(&t.process_id));
    let state_label = pr_
        .and_then(|x| x.state(&t.state))
        .map(|s| s.label.clone())
        .unwrap_or_else(|| t.state.clone());
    let level_label = match (pr_.and_then(|x| x.field("level")), &t.level) {
        (Some(f), Some(l)) => f.choice(l).map(|c| c.label.clone()).or(Some(l.clone())),
        _ => t.level.clone(),
    };
    TicketSummary {
        id: t.id.clone(),
        number: t.number.clone(),
        pack: t.pack_id.clone(),
        process: t.process_id.clone(),
        process_name: pr_
            .map(|x| x.name.clone())
            .unwrap_or_else(|| t.process_id.clone()),
        title: t.title.clone(),
        state: t.state.clone(),
        state_label,
        level: t.level.clone(),
        level_label,
        org_id: t.org_id.clone(),
        org_path: t.org_path.clone(),
        requester_id: t.requester_id.clone(),
        assignee_id: t.assignee_id.clone(),
        assignee_name: None,
        team_id: t.team_id.clone(),
        team_name: None,
        created_at: t.created_at,
        due_at: t.due_at,
        overdue: t.overdue,
        closed: t.closed_at.is_some(),
    }
}

pub struct TicketPage {
    pub tickets: Vec<TicketSummary>,
    /// Matching tickets, counted up to [`store::COUNT_CAP`].
    pub total: i64,
    /// More than `total` tickets match (show "1000+"; filters narrow it).
    pub total_capped: bool,
}

pub async fn list(
    p: &Platform,
    pr: &Principal,
    f: &TicketFilter,
    page: u64,
    per_page: u64,
) -> Result<TicketPage, AppError> {
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let unassigned = pr.unassigned_ticket_scope();
    let reviewed = pr.scope_for(Action::ProjectReview);
    let per_page = per_page.clamp(1, 200);
    let mut c = p.db.read().await?;
    let (rows, total) = store::list(
        &mut c,
        &visible_to(pr, &scope, &unassigned, &reviewed),
        f,
        page.saturating_sub(1) * per_page,
        per_page,
    )
    .await?;
    drop(c);
    let mut tickets: Vec<TicketSummary> = rows.iter().map(|t| summary(p, t)).collect();
    let users: Vec<String> = rows.iter().filter_map(|t| t.assignee_id.clone()).collect();
    let teams: Vec<String> = rows.iter().filter_map(|t| t.team_id.clone()).collect();
    let names = super::assign::names(p, &users, &teams).await?;
    for t in &mut tickets {
        t.assignee_name = t.assignee_id.as_ref().and_then(|a| names.get(a).cloned());
        t.team_name = t.team_id.as_ref().and_then(|a| names.get(a).cloned());
    }
    Ok(TicketPage {
        tickets,
        total: total.min(store::COUNT_CAP),
        total_capped: total > store::COUNT_CAP,
    })
}

/// "Due soon" in lists and dashboards: a deadline within 24 hours.
pub const DUE_SOON_US: i64 = 24 * 3_600 * 1_000_000;

pub use yunwei_store::tickets::GroupBy;

/// The tickets `list` would show for `f`, counted per group (the largest
/// `limit` groups), under the same visibility as the list.
pub async fn tally(
    p: &Platform,
    pr: &Principal,
    f: &TicketFilter,
    by: GroupBy,
    limit: u64,
) -> Result<Vec<(Option<String>, i64)>, AppError> {
    if pr.must_change_password {
        return Ok(vec![]);
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let unassigned = pr.unassigned_ticket_scope();
    let reviewed = pr.scope_for(Action::ProjectReview);
    let mut c = p.db.read().await?;
    store::count_by(
        &mut c,
        &visible_to(pr, &scope, &unassigned, &reviewed),
        f,
        by,
        limit,
    )
    .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldShown {
    pub id: String,
    pub label: String,
    pub ty: &'static str,
    pub value: String,
    pub choices: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransitionShown {
    pub id: String,
    pub label: String,
    pub to_label: String,
    pub source: String,
    pub require: Vec<FieldShown>,
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalShown {
    pub id: String,
    pub label: String,
    pub source: String,
    pub steps: Vec<(String, String)>,
    pub can_vote: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimerShown {
    pub label: String,
    pub source: String,
    pub status: String,
    pub due_at: i64,
    pub overdue: bool,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepShown {
    pub id: String,
    pub label: String,
    /// `done`, `current` or `todo`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    pub ticket: TicketSummary,
    pub pack_version: String,
    pub fields: Vec<FieldShown>,
    pub route: Vec<StepShown>,
    /// Who must act next, in words.
    pub next_actors: Vec<String>,
    pub transitions: Vec<TransitionShown>,
    pub approval: Option<ApprovalShown>,
    pub timers: Vec<TimerShown>,
    pub events: Vec<EventRow>,
    pub attachments: Vec<store::AttachmentRow>,
    pub links: Vec<(String, TicketSummary)>,
    pub requester_name: String,
    pub assignee_name: Option<String>,
    /// The hook names the process uses on any transition (ADR 0010): the
    /// ticket page shows a hook's panel by them.
    pub hooks: BTreeSet<String>,
}

pub(super) fn show_value(
    f: &yunwei_domain::policy::model::Field,
    v: Option<&FieldValue>,
) -> String {
    match v {
        None => String::new(),
        Some(FieldValue::Text(s)) => f
            .choice(s)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| s.clone()),
        Some(FieldValue::DateTime(t)) => yunwei_domain::time::fmt_minute(t.timestamp_micros()),
        Some(FieldValue::Bool(b)) => {
            if *b {
                "是".into()
            } else {
                "否".into()
            }
        }
        Some(v) => value_to_json(v).to_string().trim_matches('"').to_string(),
    }
}

pub(super) fn field_shown(pr_: &Process, id: &str, fields: &Fields) -> Option<FieldShown> {
    let f = pr_.field(id)?;
    Some(FieldShown {
        id: f.id.clone(),
        label: f.label.clone(),
        ty: f.ty.as_str(),
        value: show_value(f, fields.get(id)),
        choices: f
            .choices
            .iter()
            .map(|c| (c.id.clone(), c.label.clone()))
            .collect(),
    })
}

/// The states along the ticket's route: those it has been in, then the
/// ones reachable from here in a simple forward walk.
pub(super) fn route(
    pr_: &Process,
    events: &[EventRow],
    current: &str,
    fields: &Fields,
) -> Vec<StepShown> {
    let mut visited: Vec<String> = Vec::new();
    for e in events {
        if let Some(s) = &e.to_state {
            if !visited.contains(s) {
                visited.push(s.clone());
            }
        }
    }
    let mut steps: Vec<StepShown> = visited
        .iter()
        .map(|s| StepShown {
            id: s.clone(),
            label: pr_
                .state(s)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| s.clone()),
            status: if s == current { "current" } else { "done" },
        })
        .collect();
    // Ahead: follow the first outgoing approval or transition whose
    // condition holds for the ticket's fields until a final state.
    let holds = |w: Option<&yunwei_domain::policy::Condition>| {
        yunwei_domain::policy::Condition::holds_opt(w, fields)
    };
    let mut at = current.to_string();
    for _ in 0..pr_.states.len() {
        if pr_.state(&at).is_some_and(|s| s.is_final) {
            break;
        }
        let next = pr_
            .approvals
            .iter()
            .find(|a| a.state == at && holds(a.when.as_ref()))
            .map(|a| a.approved.clone())
            .or_else(|| {
                pr_.transitions
                    .iter()
                    .find(|t| t.from.contains(&at) && t.to != at && holds(t.when.as_ref()))
                    .map(|t| t.to.clone())
            });
        let Some(n) = next else { break };
        if steps.iter().any(|s| s.id == n) {
            break;
        }
        steps.push(StepShown {
            id: n.clone(),
            label: pr_
                .state(&n)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| n.clone()),
            status: "todo",
        });
        at = n;
    }
    steps
}

pub async fn detail(p: &Platform, pr: &Principal, id: &str) -> Result<TicketDetail, AppError> {
    let cal = crate::kernel::calendar::load(p).await?;
    let mut c = p.db.read().await?;
    let Loaded {
        row,
        snapshot,
        votes,
    } = load(&mut c, p, pr, id).await?;
    let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
    let pr_ = process(pk, &row.process_id)?;
    let level = level_of(&mut c, &row.org_path).await?;
    let roles = pack_roles(pk, pr, &row.org_path, level.as_deref());
    let actor = PackActor {
        user_id: pr.user_id.clone(),
        pack_roles: roles,
    };
    let fields = engine::derive_fields(pr_, &snapshot.fields);
    let transitions = engine::available(pr_, &snapshot, &actor)
        .into_iter()
        .map(|t| TransitionShown {
            id: t.id.clone(),
            label: t.label.clone(),
            to_label: pr_
                .state(&t.to)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            source: t.source.clone(),
            // Conditional requirements (`required_if`) included, so the
            // form asks for everything the engine will check.
            require: engine::required_fields(pr_, t, &fields)
                .into_iter()
                .filter_map(|f| field_shown(pr_, f, &fields))
                .collect(),
            attachments: engine::required_attachments(pr_, t, &fields)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
        .collect();
    let approval = pr_.open_approval(&row.state, &fields).map(|a| {
        let voted: BTreeMap<&str, bool> = votes
            .iter()
            .filter(|v| v.approval_id == a.id)
            .map(|v| (v.pack_role.as_str(), v.approve))
            .collect();
        ApprovalShown {
            id: a.id.clone(),
            label: a.label.clone().unwrap_or_else(|| a.id.clone()),
            source: a.source.clone(),
            steps: a
                .steps
                .iter()
                .map(|s| {
                    let status = match voted.get(s.as_str()) {
                        Some(true) => "已同意",
                        Some(false) => "已驳回",
                        None => "待审批",
                    };
                    (pk.role_label(s).to_string(), status.to_string())
                })
                .collect(),
            can_vote: engine::vote(pr_, &snapshot, &a.id, &actor, true).is_ok(),
        }
    });
    let mut next_actors: Vec<String> = Vec::new();
    if let Some(a) = pr_.open_approval(&row.state, &fields) {
        for s in &a.steps {
            if !votes
                .iter()
                .any(|v| v.approval_id == a.id && &v.pack_role == s)
            {
                next_actors.push(format!("{}（审批）", pk.role_label(s)));
                if a.order == yunwei_domain::policy::model::ApprovalOrder::Sequential {
                    break;
                }
            }
        }
    }
    for t in pr_
        .transitions
        .iter()
        .filter(|t| t.from.contains(&row.state))
    {
        if yunwei_domain::policy::Condition::holds_opt(t.when.as_ref(), &fields) {
            for r in &t.roles {
                let l = format!("{}（{}）", pk.role_label(r), t.label);
                if !next_actors.contains(&l) {
                    next_actors.push(l);
                }
            }
        }
    }
    let now = p.clock.now().timestamp_micros();
    let timers = store::timers_of(&mut c, &row.id)
        .await?
        .into_iter()
        .filter(|t| t.status != "stopped")
        .filter_map(|t| {
            let def = pr_.timer(&t.timer_id)?;
            let crosses = match def.duration {
                TimerDuration::WorkingDays(n) => {
                    let start = chrono::TimeZone::timestamp_micros(&Utc, t.started_at).single()?;
                    cal.due_end_of_workdays(start, n).warning()
                }
                _ => None,
            };
            Some(TimerShown {
                label: def.label.clone(),
                source: def.source.clone(),
                status: t.status.clone(),
                due_at: t.due_at,
                overdue: t.breached || (t.status == "running" && t.due_at < now),
                warning: crosses,
            })
        })
        .collect();
    let events = store::events_of(&mut c, &row.id).await?;
    let attachments = store::attachments_of(&mut c, &row.id).await?;
    let mut links = Vec::new();
    for (kind, other) in store::links_of(&mut c, &row.id).await? {
        if let Some(t) = store::get(&mut c, &other).await? {
            if can_see(pr, &t) {
                links.push((kind, summary(p, &t)));
            }
        }
    }
    let name_of = |u: Option<ustore::UserRow>| u.map(|u| u.display_name).unwrap_or_default();
    let requester_name = name_of(ustore::get(&mut c, &row.requester_id).await?);
    let assignee_name = match &row.assignee_id {
        Some(a) => Some(name_of(ustore::get(&mut c, a).await?)),
        None => None,
    };
    Ok(TicketDetail {
        ticket: summary(p, &row),
        pack_version: row.pack_version.clone(),
        fields: pr_
            .fields
            .iter()
            .filter_map(|f| field_shown(pr_, &f.id, &fields))
            .collect(),
        route: route(pr_, &events, &row.state, &fields),
        next_actors,
        transitions,
        approval,
        timers,
        events,
        attachments,
        links,
        requester_name,
        assignee_name,
        hooks: pr_.hooks_used(),
    })
}

/// The caller's inbox.
pub async fn notifications(
    p: &Platform,
    pr: &Principal,
    limit: u64,
) -> Result<Vec<NotificationRow>, AppError> {
    let mut c = p.db.read().await?;
    store::notifications_of(&mut c, &pr.user_id, limit.clamp(1, 200)).await
}

pub async fn mark_read(p: &Platform, pr: &Principal, id: &str) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        store::mark_read(&mut c, &pr.user_id, id, p.now_us()).await?;
        Ok(())
    })
}

/// Visible tickets matching the filter as .xlsx, marked with the exporter's
/// name; the export is audited with its reason.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &TicketFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    if pr.must_change_password {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "auth.password_change_required",
            "请先修改密码（初始密码或已到期的密码）",
        ));
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let unassigned = pr.unassigned_ticket_scope();
    let reviewed = pr.scope_for(Action::ProjectReview);
    // The rows are those the caller's lists show.
    let auth = Authorized::seen(pr);
    let rows = {
        let mut c = p.db.read().await?;
        store::list(
            &mut c,
            &visible_to(pr, &scope, &unassigned, &reviewed),
            f,
            0,
            EXPORT_LIMIT,
        )
        .await?
        .0
    };
    let fmt = |us: Option<i64>| us.map(crate::kernel::export::fmt_us).unwrap_or_default();
    let names = super::assign::names(
        p,
        &rows
            .iter()
            .filter_map(|t| t.assignee_id.clone())
            .collect::<Vec<_>>(),
        &rows
            .iter()
            .filter_map(|t| t.team_id.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    let name = |id: &Option<String>| {
        id.as_ref()
            .and_then(|i| names.get(i).cloned())
            .unwrap_or_default()
    };
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|t| {
            let s = summary(p, t);
            vec![
                s.number,
                s.process_name,
                s.title,
                s.state_label,
                name(&t.team_id),
                name(&t.assignee_id),
                s.level_label.unwrap_or_default(),
                crate::kernel::export::fmt_us(s.created_at),
                fmt(s.due_at),
                if s.overdue {
                    "是".into()
                } else {
                    "否".into()
                },
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "工单",
        &pr.display_name,
        p.clock.now(),
        &[
            "编号",
            "流程",
            "标题",
            "状态",
            "负责科室",
            "负责人",
            "级别",
            "登记时间",
            "期限",
            "超时",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "ticket.export",
        "ticket",
        format!("导出 {} 张工单", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// Most rows in one export.
pub const EXPORT_LIMIT: u64 = 50_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodoItem {
    pub ticket: TicketSummary,
    /// What the user can do now, e.g. `分类定级`, `审批：中心主任`.
    pub actions: Vec<String>,
}

/// 待办: open tickets where the caller can take a transition or cast a vote
/// now (the newest 500 open tickets in reach are considered), by deadline:
/// overdue first, then the nearest deadline, those without one last.
pub async fn todo(p: &Platform, pr: &Principal) -> Result<Vec<TodoItem>, AppError> {
    if pr.must_change_password {
        return Ok(vec![]);
    }
    let scope = pr.scope_for(Action::BusinessRead);
    let mut c = p.db.read().await?;
    let f = TicketFilter {
        open_only: true,
        ..Default::default()
    };
    let unassigned = pr.unassigned_ticket_scope();
    let reviewed = pr.scope_for(Action::ProjectReview);
    let (rows, _) = store::list(
        &mut c,
        &visible_to(pr, &scope, &unassigned, &reviewed),
        &f,
        0,
        500,
    )
    .await?;
    let mut out = Vec::new();
    // The level of each organisation, read once (ADR 0020).
    let mut levels: BTreeMap<String, Option<String>> = BTreeMap::new();
    for row in rows {
        let Ok(pk) = pack(p, &row.pack_id, Some(&row.pack_version)) else {
            continue;
        };
        let Some(pr_) = pk.process(&row.process_id) else {
            continue;
        };
        let level = match levels.get(&row.org_path) {
            Some(l) => l.clone(),
            None => {
                let l = level_of(&mut c, &row.org_path).await?;
                levels.insert(row.org_path.clone(), l.clone());
                l
            }
        };
        let roles = pack_roles(pk, pr, &row.org_path, level.as_deref());
        let actor = PackActor {
            user_id: pr.user_id.clone(),
            pack_roles: roles,
        };
        let votes = store::votes_since(&mut c, &row.id, row.state_since).await?;
        let snapshot = snapshot_of(pr_, &row, &votes, Default::default());
        let mut actions: Vec<String> = engine::available(pr_, &snapshot, &actor)
            .iter()
            .map(|t| t.label.clone())
            .collect();
        let fields = engine::derive_fields(pr_, &snapshot.fields);
        if let Some(a) = pr_.open_approval(&row.state, &fields) {
            if engine::vote(pr_, &snapshot, &a.id, &actor, true).is_ok() {
                actions.push(format!(
                    "审批：{}",
                    a.label.clone().unwrap_or_else(|| a.id.clone())
                ));
            }
        }
        if !actions.is_empty() {
            out.push(TodoItem {
                ticket: summary(p, &row),
                actions,
            });
        }
    }
    out.sort_by_key(|t| {
        (
            !t.ticket.overdue,
            t.ticket.due_at.is_none(),
            t.ticket.due_at,
            std::cmp::Reverse(t.ticket.created_at),
        )
    });
    Ok(out)
}

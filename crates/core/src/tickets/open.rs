//! Opening a ticket: the form checked against the process, the number, the
//! timers, the search index, the notices and the audit record, in one
//! transaction.

use super::*;

// ---- opening ----

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OpenInput {
    pub pack: String,
    pub process: String,
    pub title: String,
    /// Organisation the ticket belongs to; defaults to the caller's.
    #[serde(default)]
    pub org_id: Option<String>,
    /// Registered by staff for a caller (hotline): the requester's username.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    #[serde(default)]
    pub fields: Map<String, Value>,
}

pub fn validate_title(s: &str) -> Result<String, AppError> {
    yunwei_domain::text::clean_name(s, 200).map_err(|e| e.error("ticket.title_invalid", "标题"))
}

pub(super) fn ticket_number(prefix: &str, now: DateTime<Utc>, n: i64) -> String {
    format!(
        "{prefix}-{}-{n:05}",
        yunwei_domain::calendar::date_in_shanghai(now).format("%Y%m%d")
    )
}

pub(super) fn search_text(pr_: &Process, title: &str, fields: &Fields) -> String {
    let mut s = title.to_string();
    for f in &pr_.fields {
        if let Some(FieldValue::Text(v)) = fields.get(&f.id) {
            let shown = f
                .choice(v)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| v.clone());
            s.push(' ');
            s.push_str(&shown);
        }
    }
    s
}

/// Keeps the ticket's search entry in step, in the same transaction.
pub(super) async fn index(c: &mut DbConn, t: &TicketRow, body: &str) -> Result<(), AppError> {
    let title = format!("{} {}", t.number, t.title);
    let doc = crate::kernel::search::Document {
        doc_type: "ticket",
        doc_id: &t.id,
        org_path: &t.org_path,
        title: &title,
        body,
        updated_at: t.updated_at,
    };
    crate::kernel::search::index_document(c, &doc).await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_ticket(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    pk: &Pack,
    pr_: &Process,
    title: &str,
    org: &orgs::OrgRow,
    requester_id: &str,
    fields_in: &Fields,
    cal: &HolidayCalendar,
) -> Result<TicketRow, AppError> {
    let new = NewTicket {
        pk,
        pr_,
        title,
        org,
        requester_id,
        fields_in,
    };
    insert_ticket_telling(p, c, ctx, auth, &new, cal, true).await
}

/// What a new ticket is made of.
#[derive(Clone, Copy)]
struct NewTicket<'a> {
    pk: &'a Pack,
    pr_: &'a Process,
    title: &'a str,
    org: &'a orgs::OrgRow,
    requester_id: &'a str,
    fields_in: &'a Fields,
}

/// The fields with the values the platform sets at opening (`set_at_open`)
/// written in, over anything a conversion copied.
async fn set_at_open(
    c: &mut DbConn,
    pr_: &Process,
    org: &orgs::OrgRow,
    cal: &HolidayCalendar,
    now: DateTime<Utc>,
    fields_in: &Fields,
) -> Result<Fields, AppError> {
    let mut fields = fields_in.clone();
    for f in &pr_.fields {
        match f.set_at_open {
            None => {}
            Some(SetAtOpen::OutsideWorkingHours) => {
                let cfg = crate::kernel::org_config::governing(c, &org.id).await?;
                let outside = crate::kernel::org_config::outside_working_hours(cal, &cfg, now);
                fields.insert(f.id.clone(), FieldValue::Bool(outside));
            }
        }
    }
    Ok(fields)
}

/// [`insert_ticket`]; `tell` false when the ticket moves on in the same
/// transaction (filed in one step), whose next actors are told then.
async fn insert_ticket_telling(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    new: &NewTicket<'_>,
    cal: &HolidayCalendar,
    tell: bool,
) -> Result<TicketRow, AppError> {
    let NewTicket {
        pk,
        pr_,
        title,
        org,
        requester_id,
        fields_in,
    } = *new;
    let pr = auth.principal();
    let now = p.clock.now();
    let fields_in = &set_at_open(c, pr_, org, cal, now, fields_in).await?;
    let opening = engine::open(pr_, fields_in).map_err(refusal)?;
    let now_us = now.timestamp_micros();
    let prefix = pr_
        .number_prefix
        .clone()
        .unwrap_or_else(|| pr_.id.to_uppercase());
    let n = store::next_counter(c, &format!("ticket:{prefix}")).await?;
    let mut row = TicketRow {
        id: new_id(),
        number: ticket_number(&prefix, now, n),
        pack_id: pk.id.clone(),
        pack_version: pk.version.clone(),
        process_id: pr_.id.clone(),
        title: title.to_string(),
        state: opening.state.clone(),
        state_since: now_us,
        org_id: org.id.clone(),
        org_path: org.path.clone(),
        requester_id: requester_id.to_string(),
        assignee_id: None,
        fields_json: fields_to_json(&opening.fields),
        level: opening
            .fields
            .get("level")
            .and_then(|v| v.as_text())
            .map(str::to_string),
        created_at: now_us,
        updated_at: now_us,
        closed_at: None,
        due_at: None,
        overdue: false,
        team_id: None,
        team_path: None,
    };
    (row.team_id, row.team_path) = super::assign::default_team(c, requester_id).await?;
    // A new ticket has no timers: the opening starts them, and its deadline
    // follows from them without reading them back.
    let timers: Vec<TimerRow> = opening
        .timers
        .iter()
        .filter(|op| matches!(op.op, TimerAction::Start | TimerAction::Restart))
        .filter_map(|op| pr_.timer(&op.timer_id))
        .map(|def| started_timer(cal, def, &row.id, now))
        .collect();
    row.due_at = timers.iter().map(|t| t.due_at).min();
    store::insert(c, &row).await?;
    for t in &timers {
        store::upsert_timer(c, t).await?;
    }
    store::insert_event(
        c,
        &EventRow {
            id: new_id(),
            ticket_id: row.id.clone(),
            at: now_us,
            actor_id: Some(pr.user_id.clone()),
            actor_name: pr.display_name.clone(),
            kind: "opened".into(),
            from_state: None,
            to_state: Some(row.state.clone()),
            label: format!("登记{}", pr_.name),
            body: String::new(),
        },
    )
    .await?;
    index(c, &row, &search_text(pr_, title, &opening.fields)).await?;
    if tell {
        tell_next_actors(c, pk, pr_, &row, &pr.user_id, now_us).await?;
    }
    record(
        p,
        c,
        ctx,
        Actor::User(auth),
        Event::success("ticket.open", "ticket", &row.id)
            .after(format!("{} {}（{}）", row.number, row.title, pr_.name)),
    )
    .await?;
    Ok(row)
}

/// The transition the caller may take right after opening a ticket of
/// `pr_` in its own organisation, when the route leaves the initial state
/// by exactly one: the form's 提交 (open and submit in one step).
pub fn one_step_submit<'a>(
    pk: &Pack,
    pr_: &'a Process,
    pr: &Principal,
) -> Option<&'a yunwei_domain::policy::model::Transition> {
    let t = pr_.single_submit()?;
    // Filing needs no level: the roles that submit have no holder rule.
    let held = pack_roles(pk, pr, &pr.org_path, None);
    t.roles
        .iter()
        .any(|r| r == yunwei_domain::policy::model::ROLE_REQUESTER || held.contains(r))
        .then_some(t)
}

/// Opens a ticket of a process of an enabled pack.
pub async fn open(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &OpenInput,
) -> Result<TicketRow, AppError> {
    open_then(p, ctx, pr, input, false).await
}

/// Opens a ticket and, in the same transaction, takes the one transition
/// that submits it ([`Process::single_submit`]): filing in one step. A
/// process whose route leaves its initial state in more than one way is
/// refused with `ticket.no_single_submit` (open it, then choose).
pub async fn open_and_submit(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &OpenInput,
) -> Result<TicketRow, AppError> {
    open_then(p, ctx, pr, input, true).await
}

async fn open_then(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &OpenInput,
    submit: bool,
) -> Result<TicketRow, AppError> {
    let title = validate_title(&input.title)?;
    let pk = pack(p, &input.pack, None)?;
    let pr_ = process(pk, &input.process)?;
    let submit = match submit {
        false => None,
        true => Some(pr_.single_submit().ok_or_else(|| {
            AppError::bad_request(
                "ticket.no_single_submit",
                format!("「{}」登记后须选择下一步办理，不能一步提交", pr_.name),
            )
        })?),
    };
    let mut fields = parse_fields(pr_, &input.fields)?;
    check_values(pr_, &fields, p.clock.now())?;
    // The title is a column and, when the process declares it, a field.
    if pr_.field("title").is_some() {
        fields.insert("title".into(), FieldValue::Text(title.clone()));
    }
    let cal = crate::kernel::calendar::load(p).await?;
    // What the ticket refers to is read before the write transaction (an
    // organisation's path never changes; the references are checked again
    // by the foreign keys), so the writer's turn holds only the writes.
    let (org, requester, auth, cis) = {
        let mut c = p.db.read().await?;
        let org_id = input
            .org_id
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| pr.org_id.clone());
        let org = orgs::get(&mut c, &org_id)
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        let auth = pr.authorize(Action::BusinessOperate, &org.path)?;
        // The ticket belongs to the organisation whose system it concerns:
        // the owner of the configuration item it names, else the one it is
        // filed for (ADR 0015). The filer keeps it as its requester.
        let cis = resolve_cis(&mut c, pr, pr_, &mut fields).await?;
        let org = match cis.first() {
            Some(a) => orgs::get(&mut c, &a.org_id)
                .await?
                .ok_or_else(|| AppError::not_found("机构"))?,
            None => org,
        };
        let requester = match input
            .on_behalf_of
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(username) => {
                let u = ustore::by_username(&mut c, username.trim())
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "ticket.requester_unknown",
                            format!("用户「{username}」不存在"),
                        )
                    })?;
                u.id
            }
            None => pr.user_id.clone(),
        };
        (org, requester, auth, cis)
    };
    in_tx!(p.db, |c| {
        let new = NewTicket {
            pk,
            pr_,
            title: &title,
            org: &org,
            requester_id: &requester,
            fields_in: &fields,
        };
        let row = insert_ticket_telling(p, &mut c, ctx, auth, &new, &cal, submit.is_none()).await?;
        link_cis(p, &mut c, ctx, auth, &row, &cis, row.created_at).await?;
        match submit {
            None => Ok(row),
            Some(t) => {
                let input = TransitionInput {
                    transition: t.id.clone(),
                    ..Default::default()
                };
                take_transition(p, &mut c, ctx, pr, &row.id, &input, "", &cal).await
            }
        }
    })
}

//! Moving a ticket: transitions (with the gates and effects its pack
//! names, ADR 0010), votes on approvals, comments and attachments, each in
//! one transaction with its audit record.

use super::*;

// ---- transitions and votes ----

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransitionInput {
    pub transition: String,
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub comment: String,
    /// Username to assign the ticket to.
    #[serde(default)]
    pub assignee: Option<String>,
}

pub(super) fn busy() -> AppError {
    AppError::conflict("ticket.changed", "工单已被他人处理，请刷新后重试")
}

pub(super) async fn notify_users(
    c: &mut DbConn,
    users: &[String],
    ticket: &TicketRow,
    kind: &str,
    title: &str,
    body: &str,
    now_us: i64,
) -> Result<(), AppError> {
    let template = crate::kernel::notify::Notice {
        user_id: "",
        ticket_id: Some(&ticket.id),
        kind,
        title,
        body,
        at_us: now_us,
        link: None,
        due_at: None,
    };
    crate::kernel::notify::notify(c, users, &template).await
}

/// Takes a transition of the ticket's route.
pub async fn transition(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &TransitionInput,
) -> Result<TicketRow, AppError> {
    let cal = crate::kernel::calendar::load(p).await?;
    let comment = input.comment.trim().to_string();
    if comment.chars().count() > 4000 {
        return Err(AppError::bad_request(
            "ticket.comment_too_long",
            "说明不得超过4000字",
        ));
    }
    in_tx!(p.db, |c| {
        take_transition(p, &mut c, ctx, pr, id, input, &comment, &cal).await
    })
}

/// [`take_transition`] for a feature that moves a ticket in its own
/// transaction (an alert's resolution, ADR 0024).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn transition_in(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &TransitionInput,
    comment: &str,
    cal: &HolidayCalendar,
) -> Result<TicketRow, AppError> {
    take_transition(p, c, ctx, pr, id, input, comment, cal).await
}

/// The transition of [`transition`] in the caller's transaction (also
/// taken right after opening by [`super::open_and_submit`]).
// The body is `transition`'s as it was inside `in_tx!` (`&mut c` on the
// connection), kept unchanged and in its own block.
#[allow(clippy::too_many_arguments, clippy::needless_borrow)]
pub(super) async fn take_transition(
    p: &Platform,
    mut c: &mut DbConn,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &TransitionInput,
    comment: &str,
    cal: &HolidayCalendar,
) -> Result<TicketRow, AppError> {
    let comment = comment.to_string();
    {
        let Loaded { row, snapshot, .. } = load(&mut c, p, pr, id).await?;
        let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
        let pr_ = process(pk, &row.process_id)?;
        let mut fields = parse_fields(pr_, &input.fields)?;
        let now = p.clock.now();
        check_values(pr_, &fields, now)?;
        let cis = resolve_cis(&mut c, pr, pr_, &mut fields).await?;
        let level = level_of(&mut c, &row.org_path).await?;
        let actor = PackActor {
            user_id: pr.user_id.clone(),
            pack_roles: pack_roles(pk, pr, &row.org_path, level.as_deref()),
        };
        let now_us = now.timestamp_micros();
        let outcome = engine::apply(
            pr_,
            &snapshot,
            &input.transition,
            &actor,
            &fields,
            now,
            &CalendarDays(cal),
        );
        let outcome = match outcome {
            Ok(o) => o,
            Err(r) => return Err(refusal(r)),
        };
        // The engine found a pack role of the caller's that may take it.
        let auth = Authorized::pack_role(pr);
        // The gates the pack names on the transition: a go-live plan, passed
        // pre-launch checks, the person an access request names (ADR 0010).
        let call = crate::kernel::seams::HookCall {
            p,
            ctx,
            pr,
            auth,
            ticket: &row,
            transition: &outcome.transition.id,
            fields: &outcome.fields,
            now_us,
        };
        p.seams
            .run_gates(&mut c, &call, outcome.transition.gates_for(&outcome.fields))
            .await?;
        let mut next = row.clone();
        if let Some(username) = input.assignee.as_deref().filter(|s| !s.trim().is_empty()) {
            let u = ustore::by_username(&mut c, username.trim())
                .await?
                .ok_or_else(|| {
                    AppError::bad_request(
                        "ticket.assignee_unknown",
                        format!("用户「{username}」不存在"),
                    )
                })?;
            next.assignee_id = Some(u.id);
        }
        let to_final = pr_.state(&outcome.to_state).is_some_and(|s| s.is_final);
        next.state = outcome.to_state.clone();
        if next.state != row.state {
            next.state_since = now_us;
        }
        next.fields_json = fields_to_json(&outcome.fields);
        next.level = outcome
            .fields
            .get("level")
            .and_then(|v| v.as_text())
            .map(str::to_string);
        next.updated_at = now_us.max(row.updated_at + 1);
        next.closed_at = if to_final { Some(now_us) } else { None };
        apply_timers(&mut c, &cal, pr_, &row.id, &outcome.timers, now).await?;
        let (due, overdue) = due_summary(&mut c, &row.id).await?;
        next.due_at = due;
        next.overdue = overdue;
        if !store::update(&mut c, &next, &row.state, row.updated_at).await? {
            return Err(busy());
        }
        link_cis(p, &mut c, ctx, auth, &next, &cis, now_us).await?;
        // The effects the pack names, in this transaction: a CMDB link, a
        // temporary grant filed or revoked (ADR 0010).
        let call = crate::kernel::seams::HookCall {
            ticket: &next,
            ..call
        };
        p.seams
            .run_effects(
                &mut c,
                &call,
                outcome.transition.effects_for(&outcome.fields),
            )
            .await?;
        let label = outcome.transition.label.clone();
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "transition".into(),
                from_state: Some(row.state.clone()),
                to_state: Some(next.state.clone()),
                label: format!("{label}（{}）", outcome.transition.source),
                body: comment.clone(),
            },
        )
        .await?;
        // Conversions open the linked ticket of another process (JSCZ-21).
        for conv in &outcome.conversions {
            let target = process(pk, &conv.process)?;
            let conv_fields = conversion_fields(conv, &outcome.fields, target);
            let org = orgs::get(&mut c, &row.org_id)
                .await?
                .ok_or_else(AppError::internal)?;
            let created = insert_ticket(
                p,
                &mut c,
                ctx,
                auth,
                pk,
                target,
                &row.title,
                &org,
                &row.requester_id,
                &conv_fields,
                &cal,
            )
            .await?;
            store::insert_link(
                &mut c,
                &new_id(),
                &row.id,
                &created.id,
                "converted_to",
                now_us,
            )
            .await?;
            store::insert_event(
                &mut c,
                &EventRow {
                    id: new_id(),
                    ticket_id: row.id.clone(),
                    at: now_us,
                    actor_id: Some(pr.user_id.clone()),
                    actor_name: pr.display_name.clone(),
                    kind: "converted".into(),
                    from_state: None,
                    to_state: None,
                    label: format!("转为{} {}（{}）", target.name, created.number, conv.source),
                    body: String::new(),
                },
            )
            .await?;
        }
        let body = format!(
            "{} {}",
            search_text(pr_, &next.title, &outcome.fields),
            comment
        );
        index(&mut c, &next, &body).await?;
        // What runs whenever a ticket closes: its cause and solution as
        // knowledge (EEDS-3.2.4).
        if to_final {
            p.seams.run_on_final(&mut c, &call).await?;
        }
        // The next actors are told it is theirs; the requester and the
        // assignee who are not are told of the move.
        let told = tell_next_actors(&mut c, pk, pr_, &next, &pr.user_id, now_us).await?;
        let mut to_notify = vec![next.requester_id.clone()];
        to_notify.extend(next.assignee_id.clone());
        to_notify.retain(|u| u != &pr.user_id && !told.contains(u));
        let state_label = pr_
            .state(&next.state)
            .map(|s| s.label.clone())
            .unwrap_or_default();
        notify_users(
            &mut c,
            &to_notify,
            &next,
            "transition",
            &format!("{} {}：{}", next.number, label, state_label),
            &comment,
            now_us,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("ticket.transition", "ticket", &row.id)
                .before(row.state.clone())
                .after(format!(
                    "{} → {}（{}）",
                    label, next.state, outcome.transition.source
                ))
                .reason(comment.clone()),
        )
        .await?;
        Ok(next)
    }
}

/// Casts a vote on the approval open in the ticket's state.
pub async fn vote(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    approval_id: &str,
    approve: bool,
    comment: &str,
) -> Result<TicketRow, AppError> {
    let cal = crate::kernel::calendar::load(p).await?;
    let comment = comment.trim().to_string();
    if !approve && comment.is_empty() {
        return Err(AppError::bad_request(
            "ticket.reject_reason_required",
            "驳回须填写意见",
        ));
    }
    in_tx!(p.db, |c| {
        let Loaded { row, snapshot, .. } = load(&mut c, p, pr, id).await?;
        let pk = pack(p, &row.pack_id, Some(&row.pack_version))?;
        let pr_ = process(pk, &row.process_id)?;
        let level = level_of(&mut c, &row.org_path).await?;
        let actor = PackActor {
            user_id: pr.user_id.clone(),
            pack_roles: pack_roles(pk, pr, &row.org_path, level.as_deref()),
        };
        let out = engine::vote(pr_, &snapshot, approval_id, &actor, approve).map_err(refusal)?;
        // The engine found a pack role of the caller's that may vote.
        let auth = Authorized::pack_role(pr);
        let now = p.clock.now();
        let now_us = now.timestamp_micros();
        store::insert_vote(
            &mut c,
            &VoteRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                approval_id: approval_id.into(),
                pack_role: out.vote.pack_role.clone(),
                user_id: pr.user_id.clone(),
                approve,
                comment: comment.clone(),
                at: now_us,
            },
        )
        .await?;
        let mut next = row.clone();
        next.updated_at = now_us.max(row.updated_at + 1);
        if let Some(to) = &out.complete {
            next.state = to.clone();
            next.state_since = now_us.max(row.state_since + 1);
            next.closed_at = pr_.state(to).is_some_and(|s| s.is_final).then_some(now_us);
        }
        apply_timers(&mut c, &cal, pr_, &row.id, &out.timers, now).await?;
        let (due, overdue) = due_summary(&mut c, &row.id).await?;
        next.due_at = due;
        next.overdue = overdue;
        if !store::update(&mut c, &next, &row.state, row.updated_at).await? {
            return Err(busy());
        }
        if pr_.state(&next.state).is_some_and(|s| s.is_final) {
            let call = crate::kernel::seams::HookCall {
                p,
                ctx,
                pr,
                auth,
                ticket: &next,
                transition: "",
                fields: &snapshot.fields,
                now_us,
            };
            p.seams.run_on_final(&mut c, &call).await?;
        }
        let approval = pr_.approval(approval_id).ok_or_else(AppError::internal)?;
        let verdict = if approve { "同意" } else { "驳回" };
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "vote".into(),
                from_state: Some(row.state.clone()),
                to_state: out.complete.clone(),
                label: format!(
                    "{}：{}{}（{}）",
                    approval
                        .label
                        .clone()
                        .unwrap_or_else(|| approval.id.clone()),
                    pk.role_label(&out.vote.pack_role),
                    verdict,
                    approval.source
                ),
                body: comment.clone(),
            },
        )
        .await?;
        // The next step's approvers, or whoever acts in the state the
        // approval decided, are told it is theirs.
        tell_next_actors(&mut c, pk, pr_, &next, &pr.user_id, now_us).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("ticket.vote", "ticket", &row.id)
                .after(format!("{approval_id} {verdict}（{}）", approval.source))
                .reason(comment.clone()),
        )
        .await?;
        Ok(next)
    })
}

/// Adds a comment to the timeline.
pub async fn comment(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    body: &str,
) -> Result<(), AppError> {
    let body = body.trim().to_string();
    if body.is_empty() || body.chars().count() > 4000 {
        return Err(AppError::bad_request(
            "ticket.comment_invalid",
            "评论不能为空，且不超过4000字",
        ));
    }
    in_tx!(p.db, |c| {
        let row = store::get(&mut c, id)
            .await?
            .ok_or_else(|| AppError::not_found("工单"))?;
        let auth = seen_by(pr, &row).ok_or_else(|| AppError::not_found("工单"))?;
        let now_us = p.now_us();
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "comment".into(),
                from_state: None,
                to_state: None,
                label: "评论".into(),
                body: body.clone(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("ticket.comment", "ticket", &row.id).after(body.clone()),
        )
        .await?;
        Ok(())
    })
}

/// Largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// Stores a file content-addressed (by SM3) under the data directory and
/// records it as an attachment of `kind`. The file is written only after
/// the caller is found to see the ticket.
pub async fn attach(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    kind: &str,
    filename: &str,
    content: &[u8],
) -> Result<store::AttachmentRow, AppError> {
    let kind = kind.trim();
    if kind.is_empty()
        || kind.len() > 50
        || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::bad_request(
            "ticket.attachment_kind",
            "附件类型无效",
        ));
    }
    let filename = yunwei_domain::text::clean_file_name(filename, 200)
        .map_err(|e| e.error("ticket.attachment_name", "文件名"))?;
    if content.is_empty() || content.len() > MAX_ATTACHMENT_BYTES {
        return Err(AppError::bad_request(
            "ticket.attachment_size",
            "附件不能为空，且不超过20MB",
        ));
    }
    let digest = hex::encode(p.crypto.sm3(content));
    in_tx!(p.db, |c| {
        let row = store::get(&mut c, id)
            .await?
            .ok_or_else(|| AppError::not_found("工单"))?;
        let auth = seen_by(pr, &row).ok_or_else(|| AppError::not_found("工单"))?;
        // Only now, with the ticket seen, does a byte reach the disk; the
        // row naming it follows in this transaction (issue 11).
        crate::kernel::files::store(p, &digest, content)?;
        let now_us = p.now_us();
        let a = store::AttachmentRow {
            id: new_id(),
            ticket_id: row.id.clone(),
            kind: kind.to_string(),
            filename: filename.clone(),
            sm3: digest.clone(),
            size: content.len() as i64,
            uploaded_by: pr.user_id.clone(),
            at: now_us,
        };
        store::insert_attachment(&mut c, &a).await?;
        store::insert_event(
            &mut c,
            &EventRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                at: now_us,
                actor_id: Some(pr.user_id.clone()),
                actor_name: pr.display_name.clone(),
                kind: "attachment".into(),
                from_state: None,
                to_state: None,
                label: format!(
                    "上传附件（{}）",
                    yunwei_domain::labels::attachment_kind_label(kind)
                ),
                body: filename.clone(),
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("ticket.attach", "ticket", &row.id)
                .after(format!("{kind} {filename} SM3={digest}")),
        )
        .await?;
        Ok(a)
    })
}

/// An attachment's metadata and content, for those who may see the ticket.
pub async fn download(
    p: &Platform,
    pr: &Principal,
    attachment_id: &str,
) -> Result<(store::AttachmentRow, Vec<u8>), AppError> {
    let mut c = p.db.read().await?;
    let a = store::get_attachment(&mut c, attachment_id)
        .await?
        .ok_or_else(|| AppError::not_found("附件"))?;
    let t = store::get(&mut c, &a.ticket_id)
        .await?
        .ok_or_else(|| AppError::not_found("附件"))?;
    if !can_see(pr, &t) {
        return Err(AppError::not_found("附件"));
    }
    let bytes = crate::kernel::files::read(p, &a.sm3)?;
    Ok((a, bytes))
}

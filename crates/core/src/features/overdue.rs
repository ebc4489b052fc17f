//! The overdue notices of the due-date engine (ADR 0005): every open
//! occurrence that became overdue is claimed with a guarded update on
//! `notified_at IS NULL` and notified once, to the people who answer for
//! its subject and the project leads, audited in the same transaction, so
//! several nodes notify once.

use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Role;
use yunwei_domain::AppError;
use yunwei_store::controls::{self as store, ControlRow};
use yunwei_store::{in_tx, users as ustore, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due::{self, kind_label, last_day, period_label, NOTICE_KIND};
use crate::{Ctx, Platform};

/// Most people told at once about one overdue control.
const MAX_TOLD: usize = 200;

/// Sends the notice of every open occurrence that became overdue, each
/// exactly once even with several app nodes (guarded claim). Returns how
/// many notices went out (at most `limit`).
pub async fn send_overdue_notices(p: &Platform, limit: u64) -> Result<usize, AppError> {
    let now = p.now_us();
    let due = {
        let mut c = p.db.read().await?;
        store::overdue_unnotified(&mut c, now, limit).await?
    };
    let mut sent = 0;
    for ctl in due {
        let ctx = Ctx::system(&new_id());
        let fired = in_tx!(p.db, |c| {
            if !store::claim_overdue(&mut c, &ctl.id, now).await? {
                return Ok(false);
            }
            let title = format!(
                "{}已逾期：{}（{}）",
                kind_label(&ctl.kind),
                ctl.title,
                ctl.source
            );
            let period = period_label(&ctl);
            let body = format!(
                "{}应于 {} 前完成，至今未登记记录。",
                if period.is_empty() {
                    String::new()
                } else {
                    format!("周期 {period} 的{}", kind_label(&ctl.kind))
                },
                last_day(ctl.due_at).format("%Y-%m-%d")
            );
            let mut users = owners(&mut c, &ctl).await?;
            // Escalated to the project leads, except the administrators'
            // own reviews (三员 are kept apart from the business roles).
            if ctl.subject_type != due::REVIEW_SCHEDULE {
                users.extend(
                    ustore::holders_covering(
                        &mut c,
                        &[Role::ProjectLead.as_str().to_string()],
                        &ctl.org_path,
                    )
                    .await?,
                );
            }
            users.sort();
            users.dedup();
            users.truncate(MAX_TOLD);
            // The notice links to the control's subject (the register entry,
            // the inspection plan, the review schedule).
            let link = due::link_of(&ctl);
            let template = crate::kernel::notify::Notice {
                user_id: "",
                ticket_id: None,
                kind: NOTICE_KIND,
                title: &title,
                body: &body,
                at_us: now,
                link: (!link.is_empty()).then_some(link.as_str()),
                due_at: Some(ctl.due_at),
            };
            crate::kernel::notify::notify(&mut c, &users, &template).await?;
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &ctl.org_path,
                },
                Event::success("controls.overdue", "control", &ctl.id)
                    .after(format!("{title} {period}"))
                    .reason(format!("通知 {} 人", users.len())),
            )
            .await?;
            Ok(true)
        })?;
        if fired {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Who answers for the subject of an occurrence (the plan's creator).
async fn owners(c: &mut DbConn, ctl: &ControlRow) -> Result<Vec<String>, AppError> {
    Ok(match ctl.subject_type.as_str() {
        due::INSPECTION_PLAN => yunwei_store::inspections::get_plan(c, &ctl.subject_id)
            .await?
            .map(|p| vec![p.created_by])
            .unwrap_or_default(),
        due::REVIEW_SCHEDULE => crate::features::reviews::owners(c, ctl).await?,
        due::CLOUD_DUTY => crate::features::cloud::duties::owners(c, ctl).await?,
        t => match yunwei_domain::register::spec(t) {
            Some(spec) => yunwei_store::registers::get(c, spec, &ctl.subject_id)
                .await?
                .map(|e| vec![e.created_by])
                .unwrap_or_default(),
            None => vec![],
        },
    })
}

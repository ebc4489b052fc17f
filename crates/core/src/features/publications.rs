//! Publishing a change to the finance departments of every level
//! (JSCZ-26 (4) 向各级财政部门发布变更实施方案; (6) 发布更新成功报告 …… 发布变更
//! 延期说明). The pack's effect `publish_to_finance` on a transition files
//! what the transition requires (the plan, the success report and guide,
//! the postponement note) as a publication addressed to the ticket's
//! top-level organisation, tells the business staff of every level under
//! it at once, and audits it; everyone in that tree reads the list.

use serde::Serialize;
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::publications::{self as store, PublicationRow};
use yunwei_store::DbConn;

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::notify::{notify, Notice};
use crate::kernel::seams::HookCall;
use crate::{Platform, Principal};

/// The top-level organisation's path of `org_path` (`/a/` of `/a/b/c/`).
fn top_of(org_path: &str) -> String {
    org_path
        .trim_start_matches('/')
        .split('/')
        .next()
        .map(|id| format!("/{id}/"))
        .unwrap_or_default()
}

/// The effect: files the publication, tells the finance departments.
pub async fn publish(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let t = h.ticket;
    let pack = crate::tickets::pack(h.p, &t.pack_id, Some(&t.pack_version))?;
    let process = pack.process(&t.process_id).ok_or_else(AppError::internal)?;
    let transition = process
        .transition(h.transition)
        .ok_or_else(AppError::internal)?;
    let mut body = String::new();
    for id in &transition.require {
        let (Some(f), Some(v)) = (
            process.field(id),
            h.fields.get(id).and_then(|v| v.as_text()),
        ) else {
            continue;
        };
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&format!("【{}】\n{}", f.label, v.trim()));
    }
    let audience = top_of(&t.org_path);
    let title = format!("{}：{}", transition.label, t.title);
    let row = PublicationRow {
        id: new_id(),
        ticket_id: t.id.clone(),
        ticket_number: t.number.clone(),
        title: title.clone(),
        body,
        org_path: t.org_path.clone(),
        audience_path: audience.clone(),
        published_by: h.pr.user_id.clone(),
        published_at: h.now_us,
    };
    store::insert(c, &row).await?;
    let roles: Vec<String> = Role::ALL
        .into_iter()
        .filter(|r| r.is_business())
        .map(|r| r.as_str().to_string())
        .collect();
    let told = store::holders_within(c, &roles, &audience).await?;
    notify(
        c,
        &told,
        &Notice {
            user_id: "",
            ticket_id: None,
            kind: "change_publication",
            title: &title,
            body: &format!(
                "{}（变更单 {}）已发布，详见变更公告",
                transition.label, t.number
            ),
            at_us: h.now_us,
            link: Some("/publications"),
            due_at: None,
        },
    )
    .await?;
    record(
        h.p,
        c,
        h.ctx,
        Actor::User(h.auth),
        Event::success("publication.publish", "ticket", &t.id)
            .after(format!("{title}（{}）", t.number)),
    )
    .await?;
    Ok(())
}

/// One publication as read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Publication {
    pub ticket_number: String,
    pub title: String,
    pub body: String,
    /// UTC microseconds.
    pub published_at: i64,
}

/// The newest publications addressed to the reader's tree: the top-level
/// organisation of the reader's own organisation and of every scope the
/// reader may read business in.
pub async fn list(p: &Platform, pr: &Principal, limit: u64) -> Result<Vec<Publication>, AppError> {
    if !pr.can_somewhere(Action::BusinessRead) {
        return Err(AppError::forbidden("无权查看变更公告"));
    }
    let mut audiences = vec![top_of(&pr.org_path)];
    for g in &pr.grants {
        let top = top_of(&g.scope_path);
        if !audiences.contains(&top) {
            audiences.push(top);
        }
    }
    let mut c = p.db.read().await?;
    Ok(store::for_audiences(&mut c, &audiences, limit.min(500))
        .await?
        .into_iter()
        .map(|r| Publication {
            ticket_number: r.ticket_number,
            title: r.title,
            body: r.body,
            published_at: r.published_at,
        })
        .collect())
}

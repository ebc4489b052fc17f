//! The `named_ticket` gate (ADR 0010): a field with `ticket_of` names, by
//! number, a ticket of that process of the same pack, which the caller
//! may see, in the state `ticket_reached` or one its route reaches from
//! it. A release names the approved change it belongs to (JSCZ-11: 「具体
//! 按本制度第五章“变更管理流程”执行」; JSCZ-16: 「启动变更程序且成功执行
//! 变更后」).

use yunwei_domain::policy::Fields;
use yunwei_domain::AppError;
use yunwei_store::tickets::{self as store, TicketRow};
use yunwei_store::DbConn;

use super::{can_see, pack};
use crate::{Platform, Principal};

/// Refuses unless every ticket the ticket's `ticket_of` fields name is
/// there for the caller and far enough on its route.
pub(crate) async fn check_named_tickets(
    p: &Platform,
    c: &mut DbConn,
    pr: &Principal,
    t: &TicketRow,
    fields: &Fields,
) -> Result<(), AppError> {
    let pk = pack(p, &t.pack_id, Some(&t.pack_version))?;
    let Some(process) = pk.process(&t.process_id) else {
        return Err(AppError::internal());
    };
    for f in &process.fields {
        let Some(of) = f.ticket_of.as_deref() else {
            continue;
        };
        let Some(number) = fields
            .get(&f.id)
            .and_then(|v| v.as_text())
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let cite = f
            .source
            .as_deref()
            .map(|s| format!("（{s}）"))
            .unwrap_or_default();
        let target_name = pk.process(of).map(|x| x.name.as_str()).unwrap_or(of);
        let named = store::by_number(c, number)
            .await?
            .filter(|n| n.pack_id == t.pack_id && n.process_id == of && can_see(pr, n));
        let Some(named) = named else {
            return Err(AppError::bad_request(
                "ticket.named_ticket_unknown",
                format!(
                    "「{}」{number} 不是您可查看的{target_name}工单{cite}",
                    f.label
                ),
            ));
        };
        let Some(reached) = f.ticket_reached.as_deref() else {
            continue;
        };
        let route = pack(p, &named.pack_id, Some(&named.pack_version))?
            .process(&named.process_id)
            .ok_or_else(AppError::internal)?;
        if !route.reachable_from(reached).contains(&named.state) {
            let label = |s: &str| {
                route
                    .state(s)
                    .map(|x| x.label.clone())
                    .unwrap_or_else(|| s.to_string())
            };
            return Err(AppError::bad_request(
                "ticket.named_ticket_not_ready",
                format!(
                    "{target_name}工单 {number} 当前为「{}」，尚未到达「{}」，不能办理{cite}",
                    label(&named.state),
                    label(reached)
                ),
            ));
        }
    }
    Ok(())
}

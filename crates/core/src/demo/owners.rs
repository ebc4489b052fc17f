//! Owners of the demo tickets (issue 13): the first open tickets are routed
//! to 硬件运维科 by the project lead, some left in its queue, others given
//! to its engineers, so the queue, the workload and 我负责的 show
//! something.

use yunwei_domain::AppError;
use yunwei_store::orgs;

use crate::demo::demo_principal;
use crate::tickets::{self, ReassignInput, TicketFilter};
use crate::{Ctx, Platform};

/// How many open demo tickets get an owning team.
const ROUTED: u64 = 9;

/// Routes some open demo tickets; returns how many were routed.
pub async fn seed(p: &Platform) -> Result<usize, AppError> {
    let Some(lead) = demo_principal(p, "demo_lead").await? else {
        return Ok(0);
    };
    let team = {
        let mut c = p.db.read().await?;
        let Some(center) = orgs::get(&mut c, &lead.org_id).await? else {
            return Ok(0);
        };
        match orgs::find_child(&mut c, &center.id, "硬件运维科").await? {
            Some(t) => t,
            None => return Ok(0),
        }
    };
    let f = TicketFilter {
        open_only: true,
        ..Default::default()
    };
    let open = tickets::list(p, &lead, &f, 1, ROUTED).await?.tickets;
    let owners = [None, Some("demo_hwops"), Some("demo_sysop")];
    let ctx = Ctx::system("demo-owners");
    let mut routed = 0;
    for (i, t) in open.iter().enumerate() {
        if t.team_id.is_some() {
            continue;
        }
        let input = ReassignInput {
            team_id: team.id.clone(),
            assignee: owners[i % owners.len()].map(str::to_string),
            reason: "属硬件运维科职责，请科室安排处理".into(),
        };
        if tickets::reassign(p, &ctx, &lead, &t.id, &input)
            .await
            .is_ok()
        {
            routed += 1;
        }
    }
    Ok(routed)
}

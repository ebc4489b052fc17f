//! The yearly call for next year's needs (SNXM-17: 市数据局每年征集市直各部门
//! 下一年度信息化建设需求。各部门根据自身需求从已入库项目中筛选拟实施项目报送至
//! 市数据局). The bureau sends the call; every unit with projects in the
//! library, not yet on a plan, is told to pick and propose them.

use std::collections::BTreeMap;

use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::projects::{self as store, ProjectFilter};
use yunwei_store::{in_tx, users};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::notify::{notify, Notice};
use crate::{Ctx, Platform, Principal};

/// What a call reached.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CallSent {
    pub year: i64,
    /// Units told (those with library projects off the plan).
    pub units: usize,
    /// People told.
    pub people: usize,
}

/// Sends the call for `year`'s needs to the units in the caller's
/// `ProjectManage` scope that have projects in the library.
pub async fn call_for_needs(
    p: &Platform,
    pr: &Principal,
    ctx: &Ctx,
    year: i64,
) -> Result<CallSent, AppError> {
    let this_year = i64::from(chrono::Datelike::year(&crate::kernel::due::today(p)));
    if year != this_year + 1 {
        return Err(AppError::bad_request(
            "project.call_year",
            format!("征集的是下一年度（{}年）的需求", this_year + 1),
        ));
    }
    pr.authorize_somewhere(Action::ProjectManage)?;
    let scope = pr.scope_for(Action::ProjectManage);
    in_tx!(p.db, |c| {
        let auth = pr.authorize_somewhere(Action::ProjectManage)?;
        let rows =
            store::list(&mut c, &scope, &ProjectFilter::default(), super::LIST_LIMIT).await?;
        // Units with a project in the library and on no plan.
        let mut units: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for r in rows
            .iter()
            .filter(|r| r.library_on.is_some() && r.planned_on.is_none() && r.accepted_on.is_none())
        {
            units
                .entry(r.org_id.clone())
                .or_insert((r.org_path.clone(), 0))
                .1 += 1;
        }
        let roles = vec![
            Role::BusinessStaff.as_str().to_string(),
            Role::ChiefDataOfficer.as_str().to_string(),
        ];
        let now = p.now_us();
        let title = format!("征集{year}年度信息化建设需求");
        let mut people = 0;
        for (path, n) in units.values() {
            let told = users::holders_covering(&mut c, &roles, path).await?;
            people += told.len();
            let body = format!(
                "市数据局征集{year}年度信息化建设需求：本单位有 {n} 个已入库项目尚未纳入年度计划，请根据需求从中筛选拟实施项目报送（SNXM-17）"
            );
            notify(
                &mut c,
                &told,
                &Notice {
                    user_id: "",
                    ticket_id: None,
                    kind: "project_plan_call",
                    title: &title,
                    body: &body,
                    at_us: now,
                    link: Some("/projects?stage=library"),
                    due_at: None,
                },
            )
            .await?;
        }
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("it_project.plan_call", "it_project", "")
                .after(format!("{title}：通知 {} 个单位 {people} 人", units.len())),
        )
        .await?;
        Ok(CallSent {
            year,
            units: units.len(),
            people,
        })
    })
}

//! 降配/回收 proposals (SNYP-14): a low month of a system opens one
//! ([`super::usage`]); people carry it through, never an automatic
//! downsizing.
//!
//! 1. The provider or the monitor drafts the plan, per running resource
//!    row a smaller quantity or a reclaim (由云服务商、云监管服务商按照合同
//!    约定配合管理部门确定资源降配或回收方案).
//! 2. The competent department confirms it and notifies the unit.
//! 3. The unit accepts, or refuses with a reason.
//! 4. On a refusal the department accepts the reason (closed) or does not
//!    (rejected); where the pack says so the unit is then barred from
//!    applying for resources for the rest of that year (由此产生的额外云
//!    服务费用由使用单位自行解决，并且管理部门不再受理该单位本年度的资源
//!    申请), which the gate [`check_not_barred`] enforces.
//! 5. The provider implements an accepted plan from a day: each row is
//!    closed (`replaced`) and a new one opened with the new quantity, or
//!    closed as `reclaimed`, with a `cloud_system_events` row.
//!
//! Every step is audited in its transaction and notifies the next actor.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use yunwei_domain::ids::new_id;
use yunwei_domain::org::is_within;
use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::cloud::PlatformRow;
use yunwei_store::cloud_usage::{self as store, BarRow, ReclaimRow, ResourceRef, SystemRef};
use yunwei_store::tickets::TicketRow;
use yunwei_store::{in_tx, DbConn};

use super::usage::{findings_labels, is_platform_vendor, platform_of};
use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::notify::{notify, Notice};
use crate::{Authorized, Ctx, Platform, Principal};

/// Most proposals on one list.
pub const LIST_LIMIT: u64 = 500;

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Opened by a low month; the provider or monitor drafts the plan.
    Opened,
    /// Drafted; the department confirms it.
    Planned,
    /// Confirmed and sent to the unit, which accepts or refuses.
    Notified,
    /// Accepted by the unit; the provider implements it.
    Accepted,
    /// Refused by the unit with a reason; the department decides.
    Refused,
    Implemented,
    /// The department accepted the unit's reason.
    Closed,
    /// The department did not accept the unit's reason.
    Rejected,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Opened,
        State::Planned,
        State::Notified,
        State::Accepted,
        State::Refused,
        State::Implemented,
        State::Closed,
        State::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            State::Opened => "opened",
            State::Planned => "planned",
            State::Notified => "notified",
            State::Accepted => "accepted",
            State::Refused => "refused",
            State::Implemented => "implemented",
            State::Closed => "closed",
            State::Rejected => "rejected",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            State::Opened => "待拟定方案",
            State::Planned => "待管理部门确认",
            State::Notified => "待使用单位答复",
            State::Accepted => "待云服务商实施",
            State::Refused => "单位拒绝，待管理部门认定理由",
            State::Implemented => "已实施",
            State::Closed => "理由成立，已关闭",
            State::Rejected => "理由不成立",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One planned change of one resource row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedChange {
    pub resource_id: String,
    /// `resize` (a smaller quantity) or `reclaim`.
    pub action: String,
    /// The new quantity of a resize.
    #[serde(default)]
    pub quantity: Option<i64>,
}

/// The plan the provider or monitor drafts.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    pub plan: String,
    pub changes: Vec<PlannedChange>,
    /// The version read (a concurrent step fails rather than overwrites).
    pub version: i64,
}

/// One planned change for a page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub resource_id: String,
    pub item_name: String,
    pub item_unit: String,
    pub quantity_now: Option<i64>,
    pub action_label: &'static str,
    pub quantity_new: Option<i64>,
}

/// A proposal as its page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReclaimView {
    #[serde(flatten)]
    pub row: ReclaimRow,
    pub state_label: &'static str,
    pub verdict_label: &'static str,
    pub findings_labels: Vec<&'static str>,
    pub system_name: String,
    pub system_code: String,
    pub org_name: String,
    pub platform_name: String,
    /// The system's rows in service now.
    pub resources: Vec<ResourceRef>,
    /// The plan's changes with the rows' items (the row's `changes` is
    /// the same list as stored).
    pub plan_changes: Vec<ChangeView>,
    pub can_plan: bool,
    pub can_confirm: bool,
    pub can_answer: bool,
    pub can_decide: bool,
    pub can_implement: bool,
    /// The article the platform's pack judges utilisation by.
    pub rule_source: String,
    /// Whether a refusal without a good reason bars the unit's
    /// applications for the year (the pack's `refusal_bars_applications`).
    pub refusal_bars: bool,
    pub refusal_source: String,
}

fn not_found() -> AppError {
    AppError::not_found("降配回收建议")
}

fn wrong_state(r: &ReclaimRow) -> AppError {
    AppError::conflict(
        "cloud_reclaim.state",
        format!(
            "该建议当前为“{}”，不能办理此步骤",
            State::parse(&r.state).map(|s| s.label()).unwrap_or("")
        ),
    )
}

fn changed() -> AppError {
    AppError::conflict("cloud_reclaim.changed", "该建议刚被他人办理，请刷新后重试")
}

/// The platform's provider's people (implement) — the monitor drafts but
/// does not run the platform.
fn is_provider(pr: &Principal, pl: &PlatformRow) -> bool {
    pr.org_id == pl.provider_org_id && pr.can(Action::CloudReport, &pr.org_path)
}

/// The unit's own people (its organisation or below) who may act on its
/// business.
fn is_unit(pr: &Principal, r: &ReclaimRow) -> bool {
    is_within(&pr.org_path, &r.org_path) && pr.can(Action::BusinessOperate, &r.org_path)
}

/// Whether the caller sees the proposal: the platform's provider or
/// monitor, or `BusinessRead` over the unit (the list applies the same).
fn visible(pr: &Principal, pl: &PlatformRow, r: &ReclaimRow) -> bool {
    is_platform_vendor(pr, pl) || pr.can(Action::BusinessRead, &r.org_path)
}

async fn readable(
    c: &mut DbConn,
    pr: &Principal,
    id: &str,
) -> Result<(ReclaimRow, PlatformRow), AppError> {
    let r = store::get_reclaim(c, id).await?.ok_or_else(not_found)?;
    let pl = platform_of(c, &r.platform_id).await?;
    if !visible(pr, &pl, &r) {
        return Err(not_found());
    }
    Ok((r, pl))
}

fn planned(r: &ReclaimRow) -> Vec<PlannedChange> {
    serde_json::from_str(&r.changes).unwrap_or_default()
}

async fn view(
    p: &Platform,
    c: &mut DbConn,
    pr: &Principal,
    pl: PlatformRow,
    r: ReclaimRow,
) -> Result<ReclaimView, AppError> {
    let rules = super::rules(p, &pl)?;
    let s = store::system(c, &r.system_id).await?;
    let resources = store::running_resources(c, &r.system_id).await?;
    let org_name = yunwei_store::orgs::get(c, &r.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let plan_changes = planned(&r)
        .into_iter()
        .map(|ch| {
            let now = resources.iter().find(|x| x.id == ch.resource_id);
            ChangeView {
                item_name: now.map(|x| x.item_name.clone()).unwrap_or_default(),
                item_unit: now.map(|x| x.item_unit.clone()).unwrap_or_default(),
                quantity_now: now.map(|x| x.quantity),
                action_label: if ch.action == "reclaim" {
                    "回收"
                } else {
                    "降配"
                },
                quantity_new: ch.quantity,
                resource_id: ch.resource_id,
            }
        })
        .collect();
    let state = State::parse(&r.state);
    let manager = pr.can(Action::CloudManage, &r.org_path);
    Ok(ReclaimView {
        state_label: state.map(|s| s.label()).unwrap_or(""),
        verdict_label: yunwei_domain::cloud::Verdict::parse(&r.verdict)
            .map(|v| v.label())
            .unwrap_or(""),
        findings_labels: findings_labels(&r.findings),
        system_name: s.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        system_code: s.as_ref().map(|s| s.code.clone()).unwrap_or_default(),
        org_name,
        can_plan: matches!(state, Some(State::Opened | State::Planned))
            && is_platform_vendor(pr, &pl),
        can_confirm: state == Some(State::Planned) && manager,
        can_answer: state == Some(State::Notified) && is_unit(pr, &r),
        can_decide: state == Some(State::Refused) && manager,
        can_implement: state == Some(State::Accepted) && is_provider(pr, &pl),
        platform_name: pl.name,
        resources,
        plan_changes,
        rule_source: rules.source_of("utilisation.low_cpu_below_pct").to_string(),
        refusal_bars: rules.refusal_bars_applications,
        refusal_source: rules
            .source_of("utilisation.refusal_bars_applications")
            .to_string(),
        row: r,
    })
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<ReclaimView, AppError> {
    let mut c = p.db.read().await?;
    let (r, pl) = readable(&mut c, pr, id).await?;
    view(p, &mut c, pr, pl, r).await
}

/// A proposal on a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReclaimItem {
    pub id: String,
    pub month: String,
    pub system_name: String,
    pub org_name: String,
    pub state: String,
    pub state_label: &'static str,
    pub findings_labels: Vec<&'static str>,
    pub updated_at: i64,
}

/// The proposals the caller sees: of the platforms whose provider or
/// monitor they work for, and of the units their `BusinessRead` covers.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    state: Option<&str>,
) -> Result<Vec<ReclaimItem>, AppError> {
    let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            State::parse(s)
                .ok_or_else(|| AppError::bad_request("cloud_reclaim.state_invalid", "状态无效"))?
                .as_str(),
        ),
    };
    let mut c = p.db.read().await?;
    let mut rows = store::reclaims(
        &mut c,
        &pr.scope_for(Action::BusinessRead),
        state,
        LIST_LIMIT,
    )
    .await?;
    // A provider's or monitor's people: the proposals of their platforms,
    // by the same rule as `visible`.
    if pr.can(Action::CloudReport, &pr.org_path) {
        for r in store::reclaims_of_vendor(&mut c, &pr.org_id, state, LIST_LIMIT).await? {
            if !rows.iter().any(|x| x.id == r.id) {
                rows.push(r);
            }
        }
        rows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        rows.truncate(LIST_LIMIT as usize);
    }
    let ids: Vec<String> = rows.iter().map(|r| r.system_id.clone()).collect();
    let mut systems: std::collections::HashMap<String, SystemRef> = Default::default();
    for pl in rows
        .iter()
        .map(|r| r.platform_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
    {
        for s in store::systems_by_ids(&mut c, &pl, &ids).await? {
            systems.insert(s.id.clone(), s);
        }
    }
    let org_ids: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r.org_id).collect();
    let names = crate::kernel::due::org_names(&mut c, org_ids.into_iter()).await?;
    Ok(rows
        .iter()
        .map(|r| ReclaimItem {
            id: r.id.clone(),
            month: r.month.clone(),
            system_name: systems
                .get(&r.system_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            org_name: names.get(&r.org_id).cloned().unwrap_or_default(),
            state: r.state.clone(),
            state_label: State::parse(&r.state).map(|s| s.label()).unwrap_or(""),
            findings_labels: findings_labels(&r.findings),
            updated_at: r.updated_at,
        })
        .collect())
}

// ------------------------------------------------------------------ steps

async fn notify_users(
    c: &mut DbConn,
    users: &[String],
    r: &ReclaimRow,
    title: &str,
    body: &str,
    now: i64,
) -> Result<(), AppError> {
    let link = format!("/cloud/reclaims/{}", r.id);
    notify(
        c,
        users,
        &Notice {
            user_id: "",
            ticket_id: None,
            kind: "cloud_reclaim",
            title,
            body,
            at_us: now,
            link: Some(&link),
            due_at: None,
        },
    )
    .await
}

async fn managers(c: &mut DbConn, r: &ReclaimRow) -> Result<Vec<String>, AppError> {
    yunwei_store::users::holders_covering(
        c,
        &[
            Role::CloudManager.as_str().to_string(),
            Role::CountyCloudManager.as_str().to_string(),
        ],
        &r.org_path,
    )
    .await
}

async fn provider_staff(c: &mut DbConn, pl: &PlatformRow) -> Result<Vec<String>, AppError> {
    store::staff_with_roles(
        c,
        std::slice::from_ref(&pl.provider_org_id),
        &[Role::CloudProvider.as_str()],
    )
    .await
}

fn system_label(s: &Option<SystemRef>, r: &ReclaimRow) -> String {
    format!(
        "{} {}",
        s.as_ref().map(|s| s.name.as_str()).unwrap_or(""),
        r.month
    )
}

/// Writes the step (version-guarded) and its audit record.
#[allow(clippy::too_many_arguments)]
async fn commit_step(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    auth: Authorized<'_>,
    before: &ReclaimRow,
    after: &ReclaimRow,
    action: &'static str,
    text: String,
) -> Result<(), AppError> {
    if !store::update_reclaim(c, after, before.version).await? {
        return Err(changed());
    }
    record(
        p,
        c,
        ctx,
        Actor::User(auth),
        Event::success(action, "cloud_reclaim", &after.id)
            .before(State::parse(&before.state).map(|s| s.label()).unwrap_or(""))
            .after(text),
    )
    .await?;
    Ok(())
}

fn check_version(r: &ReclaimRow, version: i64) -> Result<(), AppError> {
    if r.version != version {
        return Err(changed());
    }
    Ok(())
}

/// The provider or monitor drafts (or redrafts, before confirmation) the
/// plan: per running row of the system a smaller quantity or a reclaim.
pub async fn plan(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    input: &PlanInput,
) -> Result<ReclaimView, AppError> {
    let text = yunwei_domain::cmdb::clean_text(&input.plan, "方案说明", 2000, true)?;
    if input.changes.is_empty() {
        return Err(AppError::bad_request(
            "cloud_reclaim.no_change",
            "请至少对一项资源提出降配或回收",
        ));
    }
    if input.changes.len() > 500 {
        return Err(AppError::bad_request(
            "cloud_reclaim.too_many",
            "一个方案最多 500 项资源",
        ));
    }
    let (r, pl) = in_tx!(p.db, |c| {
        let (r, pl) = readable(&mut c, pr, id).await?;
        if !is_platform_vendor(pr, &pl) {
            return Err(AppError::forbidden(
                "只有本平台的云服务商、云监管服务商可以拟定降配或回收方案",
            ));
        }
        let auth = pr.authorize(Action::CloudReport, &pr.org_path)?;
        if !matches!(State::parse(&r.state), Some(State::Opened | State::Planned)) {
            return Err(wrong_state(&r));
        }
        check_version(&r, input.version)?;
        let running = store::running_resources(&mut c, &r.system_id).await?;
        let mut seen = std::collections::BTreeSet::new();
        let mut lines = Vec::new();
        for ch in &input.changes {
            let res = running
                .iter()
                .find(|x| x.id == ch.resource_id)
                .ok_or_else(|| {
                    AppError::bad_request(
                        "cloud_reclaim.resource",
                        "方案中的资源不是该系统正在使用的资源",
                    )
                })?;
            if !seen.insert(res.id.clone()) {
                return Err(AppError::bad_request(
                    "cloud_reclaim.resource_twice",
                    format!("资源“{}”在方案中出现了两次", res.item_name),
                ));
            }
            match (ch.action.as_str(), ch.quantity) {
                ("reclaim", _) => lines.push(format!("{} 回收", res.item_name)),
                ("resize", Some(q)) if q >= 1 && q < res.quantity => lines.push(format!(
                    "{} {} → {}{}",
                    res.item_name, res.quantity, q, res.item_unit
                )),
                ("resize", _) => {
                    return Err(AppError::bad_request(
                        "cloud_reclaim.quantity",
                        format!(
                            "资源“{}”降配后的数量应在 1 到 {} 之间；不再需要请选择回收",
                            res.item_name,
                            res.quantity - 1
                        ),
                    ))
                }
                _ => {
                    return Err(AppError::bad_request(
                        "cloud_reclaim.action",
                        "每项资源应选择降配（resize）或回收（reclaim）",
                    ))
                }
            }
        }
        let now = p.now_us();
        let changes: Vec<PlannedChange> = input
            .changes
            .iter()
            .map(|ch| PlannedChange {
                resource_id: ch.resource_id.clone(),
                action: ch.action.clone(),
                quantity: if ch.action == "reclaim" {
                    None
                } else {
                    ch.quantity
                },
            })
            .collect();
        let next = ReclaimRow {
            state: State::Planned.as_str().into(),
            plan: text.clone(),
            changes: serde_json::to_string(&changes).map_err(|_| AppError::internal())?,
            planned_by: Some(pr.user_id.clone()),
            planned_at: Some(now),
            updated_at: now,
            version: r.version + 1,
            ..r.clone()
        };
        commit_step(
            p,
            &mut c,
            ctx,
            auth,
            &r,
            &next,
            "cloud_reclaim.plan",
            format!("拟定方案：{}；{}", lines.join("；"), text),
        )
        .await?;
        let s = store::system(&mut c, &r.system_id).await?;
        let to = managers(&mut c, &r).await?;
        notify_users(
            &mut c,
            &to,
            &next,
            &format!("{} 降配回收方案待确认", system_label(&s, &r)),
            "云服务商已拟定资源降配或回收方案，请确认后通知使用单位。",
            now,
        )
        .await?;
        Ok((next, pl))
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl, r).await
}

/// The department confirms the plan and notifies the unit.
pub async fn confirm(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    version: i64,
) -> Result<ReclaimView, AppError> {
    let (r, pl) = in_tx!(p.db, |c| {
        let (r, pl) = readable(&mut c, pr, id).await?;
        let auth = pr.authorize(Action::CloudManage, &r.org_path)?;
        if State::parse(&r.state) != Some(State::Planned) {
            return Err(wrong_state(&r));
        }
        check_version(&r, version)?;
        let now = p.now_us();
        let next = ReclaimRow {
            state: State::Notified.as_str().into(),
            notified_by: Some(pr.user_id.clone()),
            notified_at: Some(now),
            updated_at: now,
            version: r.version + 1,
            ..r.clone()
        };
        commit_step(
            p,
            &mut c,
            ctx,
            auth,
            &r,
            &next,
            "cloud_reclaim.confirm",
            "确认方案并通知使用单位".into(),
        )
        .await?;
        let s = store::system(&mut c, &r.system_id).await?;
        let to = store::org_users(&mut c, &r.org_id).await?;
        let rules = super::rules(p, &pl)?;
        let body = if rules.refusal_bars_applications {
            format!(
                "管理部门已确认资源降配或回收方案，请接受或说明理由拒绝。无充分合理理由拒不降配或回收的，额外费用由单位自行解决，且本年度不再受理资源申请（{}）。",
                rules.source_of("utilisation.refusal_bars_applications")
            )
        } else {
            format!(
                "管理部门已确认资源降配或回收方案，请接受或说明理由拒绝（{}）。",
                rules.source_of("utilisation.low_cpu_below_pct")
            )
        };
        notify_users(
            &mut c,
            &to,
            &next,
            &format!("{} 资源利用率低，请答复降配回收方案", system_label(&s, &r)),
            &body,
            now,
        )
        .await?;
        Ok((next, pl))
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl, r).await
}

/// The unit accepts the plan, or refuses it with a reason.
pub async fn answer(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    accept: bool,
    reason: &str,
    version: i64,
) -> Result<ReclaimView, AppError> {
    let reason = yunwei_domain::cmdb::clean_text(reason, "拒绝理由", 2000, !accept)?;
    let (r, pl) = in_tx!(p.db, |c| {
        let (r, pl) = readable(&mut c, pr, id).await?;
        if !is_unit(pr, &r) {
            return Err(AppError::forbidden("只有使用单位可以答复降配回收方案"));
        }
        let auth = pr.authorize(Action::BusinessOperate, &r.org_path)?;
        if State::parse(&r.state) != Some(State::Notified) {
            return Err(wrong_state(&r));
        }
        check_version(&r, version)?;
        let now = p.now_us();
        let next = ReclaimRow {
            state: if accept {
                State::Accepted
            } else {
                State::Refused
            }
            .as_str()
            .into(),
            answered_by: Some(pr.user_id.clone()),
            answered_at: Some(now),
            refusal_reason: if accept {
                String::new()
            } else {
                reason.clone()
            },
            updated_at: now,
            version: r.version + 1,
            ..r.clone()
        };
        let s = store::system(&mut c, &r.system_id).await?;
        if accept {
            commit_step(
                p,
                &mut c,
                ctx,
                auth,
                &r,
                &next,
                "cloud_reclaim.accept",
                "使用单位接受方案".into(),
            )
            .await?;
            let to = provider_staff(&mut c, &pl).await?;
            notify_users(
                &mut c,
                &to,
                &next,
                &format!("{} 降配回收方案已接受，请实施", system_label(&s, &r)),
                "使用单位已接受资源降配或回收方案，请按方案实施。",
                now,
            )
            .await?;
        } else {
            commit_step(
                p,
                &mut c,
                ctx,
                auth,
                &r,
                &next,
                "cloud_reclaim.refuse",
                format!("使用单位拒绝方案，理由：{reason}"),
            )
            .await?;
            let to = managers(&mut c, &r).await?;
            notify_users(
                &mut c,
                &to,
                &next,
                &format!("{} 使用单位拒绝降配回收，请认定理由", system_label(&s, &r)),
                &format!("拒绝理由：{reason}"),
                now,
            )
            .await?;
        }
        Ok((next, pl))
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl, r).await
}

/// The department decides on a refusal: the reason holds (closed) or not
/// (rejected; where the pack says so, the unit is barred for the rest of
/// the year, SNYP-14).
pub async fn decide(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    reason_holds: bool,
    note: &str,
    version: i64,
) -> Result<ReclaimView, AppError> {
    let note = yunwei_domain::cmdb::clean_text(note, "认定意见", 2000, !reason_holds)?;
    let (r, pl) = in_tx!(p.db, |c| {
        let (r, pl) = readable(&mut c, pr, id).await?;
        let auth = pr.authorize(Action::CloudManage, &r.org_path)?;
        if State::parse(&r.state) != Some(State::Refused) {
            return Err(wrong_state(&r));
        }
        check_version(&r, version)?;
        let rules = super::rules(p, &pl)?;
        let now = p.now_us();
        let today = crate::kernel::due::today(p);
        let next = ReclaimRow {
            state: if reason_holds {
                State::Closed
            } else {
                State::Rejected
            }
            .as_str()
            .into(),
            decided_by: Some(pr.user_id.clone()),
            decided_at: Some(now),
            decision_note: note.clone(),
            updated_at: now,
            version: r.version + 1,
            ..r.clone()
        };
        let barred = !reason_holds && rules.refusal_bars_applications;
        let text = if reason_holds {
            format!("认定拒绝理由成立，建议关闭。{note}")
        } else if barred {
            format!(
                "认定拒绝理由不成立，{} 年度不再受理该单位的资源申请。{note}",
                today.year()
            )
        } else {
            format!("认定拒绝理由不成立。{note}")
        };
        commit_step(
            p,
            &mut c,
            ctx,
            auth,
            &r,
            &next,
            if reason_holds {
                "cloud_reclaim.close"
            } else {
                "cloud_reclaim.reject"
            },
            text.clone(),
        )
        .await?;
        if barred {
            store::insert_bar(
                &mut c,
                &BarRow {
                    id: new_id(),
                    platform_id: pl.id.clone(),
                    org_id: r.org_id.clone(),
                    org_path: r.org_path.clone(),
                    year: today.year() as i64,
                    reclaim_id: r.id.clone(),
                    reason: note.clone(),
                    created_by: pr.user_id.clone(),
                    created_at: now,
                },
            )
            .await?;
        }
        let s = store::system(&mut c, &r.system_id).await?;
        let to = store::org_users(&mut c, &r.org_id).await?;
        notify_users(
            &mut c,
            &to,
            &next,
            &format!(
                "{} 降配回收：{}",
                system_label(&s, &r),
                State::parse(&next.state).map(|x| x.label()).unwrap_or("")
            ),
            &text,
            now,
        )
        .await?;
        Ok((next, pl))
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl, r).await
}

/// The provider implements an accepted plan from `day` (today when not
/// given; not in the future, not before a row started): each row is
/// closed and replaced by one with the new quantity, or closed as
/// reclaimed.
pub async fn implement(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    day: Option<&str>,
    version: i64,
) -> Result<ReclaimView, AppError> {
    let today = crate::kernel::due::today(p);
    let day = match day.map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::bad_request("cloud_reclaim.day", "实施日期应为 YYYY-MM-DD"))?,
    };
    if day > today {
        return Err(AppError::bad_request(
            "cloud_reclaim.day",
            "实施日期不能晚于今天",
        ));
    }
    let day_text = day.format("%Y-%m-%d").to_string();
    let (r, pl) = in_tx!(p.db, |c| {
        let (r, pl) = readable(&mut c, pr, id).await?;
        if !is_provider(pr, &pl) {
            return Err(AppError::forbidden(
                "只有本平台的云服务商可以实施降配或回收",
            ));
        }
        let auth = pr.authorize(Action::CloudReport, &pr.org_path)?;
        if State::parse(&r.state) != Some(State::Accepted) {
            return Err(wrong_state(&r));
        }
        check_version(&r, version)?;
        let now = p.now_us();
        let running = store::running_resources(&mut c, &r.system_id).await?;
        let mut lines = Vec::new();
        for ch in planned(&r) {
            let res = running
                .iter()
                .find(|x| x.id == ch.resource_id)
                .ok_or_else(|| {
                    AppError::conflict(
                        "cloud_reclaim.resource_gone",
                        "方案中的资源已发生变更，请重新拟定方案",
                    )
                })?;
            if res
                .from_day
                .as_deref()
                .is_some_and(|f| f > day_text.as_str())
            {
                return Err(AppError::bad_request(
                    "cloud_reclaim.day",
                    format!("实施日期不能早于资源“{}”的开始日期", res.item_name),
                ));
            }
            let reclaim = ch.action == "reclaim";
            let state = if reclaim {
                yunwei_domain::cloud::ResourceState::Reclaimed
            } else {
                yunwei_domain::cloud::ResourceState::Replaced
            };
            if !store::close_resource(&mut c, &res.id, &day_text, state.as_str(), now).await? {
                return Err(changed());
            }
            if reclaim {
                lines.push(format!("{} 回收", res.item_name));
            } else {
                let q = ch.quantity.ok_or_else(AppError::internal)?;
                store::open_replacement(&mut c, &new_id(), res, q, &day_text, now).await?;
                lines.push(format!(
                    "{} {} → {}{}",
                    res.item_name, res.quantity, q, res.item_unit
                ));
            }
        }
        let s = store::system(&mut c, &r.system_id).await?;
        let note = format!(
            "{} 起降配回收（{} 资源利用率低）：{}",
            day_text,
            r.month,
            lines.join("；")
        );
        store::insert_system_event(
            &mut c,
            &new_id(),
            &r.system_id,
            now,
            &pr.user_id,
            "reclaim",
            s.as_ref().map(|s| s.state.as_str()).unwrap_or(""),
            &note,
        )
        .await?;
        let next = ReclaimRow {
            state: State::Implemented.as_str().into(),
            implemented_by: Some(pr.user_id.clone()),
            implemented_at: Some(now),
            implemented_on: Some(day_text.clone()),
            updated_at: now,
            version: r.version + 1,
            ..r.clone()
        };
        commit_step(
            p,
            &mut c,
            ctx,
            auth,
            &r,
            &next,
            "cloud_reclaim.implement",
            note.clone(),
        )
        .await?;
        let mut to = store::org_users(&mut c, &r.org_id).await?;
        to.extend(managers(&mut c, &r).await?);
        notify_users(
            &mut c,
            &to,
            &next,
            &format!("{} 降配回收已实施", system_label(&s, &r)),
            &note,
            now,
        )
        .await?;
        Ok((next, pl))
    })?;
    let mut c = p.db.read().await?;
    view(p, &mut c, pr, pl, r).await
}

// ------------------------------------------------------------------ gate

/// The gate `cloud_not_barred`: refuses a resource application of an
/// organisation barred in `today`'s year (SNYP-14: 管理部门不再受理该单位
/// 本年度的资源申请).
pub async fn check_not_barred(
    c: &mut DbConn,
    today: NaiveDate,
    ticket: &TicketRow,
) -> Result<(), AppError> {
    let bars = store::bars_of(c, &ticket.org_id, today.year() as i64).await?;
    if bars.is_empty() {
        return Ok(());
    }
    Err(AppError::bad_request(
        "cloud.barred",
        format!(
            "该单位无充分合理理由拒不降配或回收政务云资源，管理部门{}年度不再受理其资源申请（SNYP-14）",
            today.year()
        ),
    ))
}

/// Whether an organisation is barred in `year` (for pages).
pub async fn is_barred(p: &Platform, org_id: &str, year: i32) -> Result<bool, AppError> {
    let mut c = p.db.read().await?;
    Ok(!store::bars_of(&mut c, org_id, year as i64)
        .await?
        .is_empty())
}

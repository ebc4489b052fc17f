//! The gates and effects of the cloud lifecycle processes (ADR 0010,
//! ADR 0016; names in [`yunwei_domain::policy::hooks`]). A pack's apply,
//! change and exit processes name them on their transitions; the ticket's
//! `system` field (a `ci`) names the CMDB item of a system of the ticket's
//! organisation. Effects run in the ticket's transaction: they move the
//! system and its resource rows on, write the system's history with the
//! ticket and the actor, and file the due controls the pack asks for (the
//! old system kept after go-live, the end of the exit transition). Every
//! number comes from the platform's pack (`cloud.toml`), with its citation.

use chrono::{Days, Months, NaiveDate};
use yunwei_domain::cloud::{ResourceState, SystemState, UnitLevel};
use yunwei_domain::policy::cloud::{CloudRules, Period};
use yunwei_domain::policy::hooks as names;
use yunwei_domain::AppError;
use yunwei_store::cloud::{self as store, PlatformRow, ResourceRow, SystemRow};
use yunwei_store::{cmdb as cistore, orgs, DbConn};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::seams::HookCall;

/// The ticket field naming the system's CMDB item.
pub const SYSTEM_FIELD: &str = "system";
/// The ticket field naming the unit's level (the route of its review).
pub const UNIT_LEVEL_FIELD: &str = "unit_level";
/// The subject type of a system's due controls.
pub const SUBJECT: &str = crate::kernel::due::CLOUD_SYSTEM;
/// The control kind: the old system kept after go-live (ZMDY-17).
pub const KEEP_OLD: &str = "cloud_keep_old";
/// The control kind: the end of the exit transition (ZMDY-19, SNYP-16).
pub const EXIT_END: &str = "cloud_exit_transition";

fn day(d: NaiveDate) -> String {
    super::catalogue::day(d)
}

fn cite(rules: &CloudRules, key: &str) -> String {
    rules.source_of(key).to_string()
}

fn refuse(code: &'static str, msg: String) -> AppError {
    AppError::bad_request(code, msg)
}

/// The system the ticket's `system` field names, of the ticket's
/// organisation, and its platform.
async fn system_of(c: &mut DbConn, h: &HookCall<'_>) -> Result<(SystemRow, PlatformRow), AppError> {
    let named = h
        .fields
        .get(SYSTEM_FIELD)
        .and_then(|v| v.as_text())
        .unwrap_or("")
        .trim()
        .to_string();
    if named.is_empty() {
        return Err(refuse(
            "cloud.system_missing",
            "请在“系统”一栏填写上云系统的配置项编号".into(),
        ));
    }
    let ci = match cistore::ci_by_code(c, &named).await? {
        Some(a) => Some(a),
        None => cistore::get_ci(c, &named).await?,
    }
    .filter(|a| a.org_id == h.ticket.org_id)
    .ok_or_else(|| {
        refuse(
            "cloud.system_unknown",
            format!("申请单位没有编号为“{named}”的配置项"),
        )
    })?;
    let s = store::system_of_ci(c, &ci.id).await?.ok_or_else(|| {
        refuse(
            "cloud.system_unregistered",
            format!(
                "配置项 {} 尚未登记为上云系统，请先在“上云系统”中登记",
                ci.code
            ),
        )
    })?;
    let pl = store::get_platform(c, &s.platform_id)
        .await?
        .ok_or_else(AppError::internal)?;
    Ok((s, pl))
}

fn state_of(s: &SystemRow) -> Result<SystemState, AppError> {
    SystemState::parse(&s.state).ok_or_else(AppError::internal)
}

fn wrong_state(s: &SystemRow, wanted: &str) -> AppError {
    AppError::conflict(
        "cloud.state_invalid",
        format!(
            "系统“{}”当前为“{}”，{wanted}",
            s.name,
            SystemState::parse(&s.state)
                .map(|x| x.label())
                .unwrap_or("")
        ),
    )
}

fn requested(rows: &[ResourceRow]) -> impl Iterator<Item = &ResourceRow> {
    rows.iter()
        .filter(|r| r.state == ResourceState::Requested.as_str())
}

/// Rows allocated and not ended.
fn running(rows: &[ResourceRow]) -> impl Iterator<Item = &ResourceRow> {
    rows.iter()
        .filter(|r| r.from_day.is_some() && r.to_day.is_none())
}

// ---------------------------------------------------------------- gates

/// CLOUD_APPLY_READY: 申请中, resources asked for, an important system
/// has its NDA (SNYP-27), and the ticket's `unit_level` is the unit's.
pub async fn apply_ready(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    if state_of(&s)? != SystemState::Applying {
        return Err(wrong_state(&s, "不能再提交上云申请"));
    }
    super::systems::nda_required(&s)?;
    let rows = store::resources_of(c, &s.id).await?;
    if requested(&rows).next().is_none() {
        return Err(refuse(
            "cloud.nothing_requested",
            format!(
                "系统“{}”还没有申请任何云资源，请先在系统页面添加资源申请",
                s.name
            ),
        ));
    }
    if let Some(level) = h.fields.get(UNIT_LEVEL_FIELD).and_then(|v| v.as_text()) {
        let unit = store::get_unit(c, &s.org_id).await?.ok_or_else(|| {
            refuse(
                "cloud.not_a_unit",
                "申请单位尚未登记为政务云使用单位".into(),
            )
        })?;
        // A park settles like a county (ZMDY-36) and applies on either
        // route; a city or county unit names its own level.
        if unit.level != level.trim() && unit.level != UnitLevel::Park.as_str() {
            let label = UnitLevel::parse(&unit.level)
                .map(|l| l.label())
                .unwrap_or("");
            return Err(refuse(
                "cloud.unit_level_mismatch",
                format!("单位层级应为登记的“{label}”"),
            ));
        }
    }
    Ok(())
}

/// CLOUD_TRIAL_ELAPSED: the trial has lasted its shortest length (where
/// the pack has a trial); else the system is being deployed.
pub async fn trial_elapsed(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, pl) = system_of(c, h).await?;
    let rules = super::rules(h.p, &pl)?;
    let state = state_of(&s)?;
    match rules.trial_days {
        Some((min, _)) => {
            if state != SystemState::Trial {
                return Err(wrong_state(&s, "不在试用期，不能申请上线"));
            }
            let start = s
                .trial_started_on
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(AppError::internal)?;
            let ready = start + Days::new(u64::from(min));
            if crate::kernel::due::today(h.p) < ready {
                return Err(refuse(
                    "cloud.trial_too_short",
                    format!(
                        "试用期至少{min}天（{}）：{} 开始试用，{} 起方可申请上线",
                        cite(rules, "lifecycle.trial_min_days"),
                        day(start),
                        day(ready)
                    ),
                ));
            }
        }
        None => {
            if !matches!(state, SystemState::Deploying | SystemState::Trial) {
                return Err(wrong_state(&s, "不能申请上线"));
            }
        }
    }
    Ok(())
}

/// CLOUD_CHANGE_READY: 已上线 with changes asked for.
pub async fn change_ready(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    if state_of(&s)? != SystemState::Online {
        return Err(wrong_state(&s, "只有已上线的系统可以申请变更"));
    }
    let rows = store::resources_of(c, &s.id).await?;
    if requested(&rows).next().is_none() {
        return Err(refuse(
            "cloud.nothing_requested",
            format!("系统“{}”没有待办的资源变更，请先在系统页面提出变更", s.name),
        ));
    }
    Ok(())
}

/// CLOUD_EXIT_READY: the system is on the cloud.
pub async fn exit_ready(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    if !matches!(
        state_of(&s)?,
        SystemState::Deploying | SystemState::Trial | SystemState::Online
    ) {
        return Err(wrong_state(&s, "不能申请退出"));
    }
    Ok(())
}

// -------------------------------------------------------------- effects

/// Writes the system (guarded by its version), its history and the audit
/// record of an effect.
async fn save(
    c: &mut DbConn,
    h: &HookCall<'_>,
    before: &SystemRow,
    after: &mut SystemRow,
    (kind, action): (&str, &'static str),
    note: String,
) -> Result<(), AppError> {
    after.updated_at = h.now_us.max(before.updated_at + 1);
    if !store::update_system(c, after, before.version).await? {
        return Err(AppError::conflict(
            "cloud.changed",
            "该系统刚被他人修改，请刷新后重试",
        ));
    }
    after.version = before.version + 1;
    super::systems::event(
        c,
        after,
        kind,
        &before.state,
        &h.pr.user_id,
        Some(&h.ticket.id),
        note.clone(),
        h.now_us,
    )
    .await?;
    record(
        h.p,
        c,
        h.ctx,
        Actor::User(h.auth),
        Event::success(action, "cloud_system", &after.id)
            .before(before.state.clone())
            .after(format!("{}（{}）：{note}", after.name, h.ticket.number)),
    )
    .await?;
    Ok(())
}

async fn move_row(
    c: &mut DbConn,
    h: &HookCall<'_>,
    r: &ResourceRow,
    f: impl FnOnce(&mut ResourceRow),
) -> Result<(), AppError> {
    let mut n = r.clone();
    f(&mut n);
    n.ticket_id = Some(h.ticket.id.clone());
    n.updated_at = h.now_us.max(r.updated_at + 1);
    if !store::update_resource(c, &n, (&r.state, r.updated_at)).await? {
        return Err(AppError::conflict(
            "cloud.changed",
            "该系统的资源刚被他人修改，请刷新后重试",
        ));
    }
    Ok(())
}

/// CLOUD_ROUTE_PROVIDER: the ticket goes to the platform's provider (its
/// owning team), whose staff see and act on it.
pub async fn route_provider(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, pl) = system_of(c, h).await?;
    let team = orgs::get(c, &pl.provider_org_id)
        .await?
        .ok_or_else(AppError::internal)?;
    if h.ticket.team_id.as_deref() == Some(team.id.as_str()) {
        return Ok(());
    }
    if !yunwei_store::tickets::set_owner(c, h.ticket, Some((&team.id, &team.path)), None, h.now_us)
        .await?
    {
        return Err(AppError::conflict(
            "ticket.busy",
            "工单刚被他人处理，请刷新后重试",
        ));
    }
    record(
        h.p,
        c,
        h.ctx,
        Actor::User(h.auth),
        Event::success("cloud.route_provider", "ticket", &h.ticket.id).after(format!(
            "{}（{}）转交云服务商{}办理",
            h.ticket.number, s.name, team.name
        )),
    )
    .await?;
    Ok(())
}

/// CLOUD_ALLOCATE: the requested rows are allocated from today (billing
/// starts); the system enters its trial, or deployment where the pack has
/// no trial.
pub async fn allocate(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, pl) = system_of(c, h).await?;
    let rules = super::rules(h.p, &pl)?;
    if state_of(&s)? != SystemState::Applying {
        return Err(wrong_state(&s, "不能再分配资源"));
    }
    let today = day(crate::kernel::due::today(h.p));
    let rows = store::resources_of(c, &s.id).await?;
    let (sys_state, res_state) = if rules.trial_days.is_some() {
        (SystemState::Trial, ResourceState::Trial)
    } else {
        (SystemState::Deploying, ResourceState::Online)
    };
    let mut n = 0;
    for r in requested(&rows) {
        move_row(c, h, r, |x| {
            x.state = res_state.as_str().into();
            x.from_day = Some(today.clone());
        })
        .await?;
        n += 1;
    }
    if n == 0 {
        return Err(refuse(
            "cloud.nothing_requested",
            format!("系统“{}”没有待分配的资源", s.name),
        ));
    }
    let mut after = s.clone();
    after.state = sys_state.as_str().into();
    if rules.trial_days.is_some() {
        after.trial_started_on = Some(today.clone());
    }
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_ALLOCATE, "cloud.allocate"),
        format!("分配 {n} 项资源，自 {today} 起计费"),
    )
    .await
}

/// CLOUD_GO_LIVE: the system and its running rows go live; where the pack
/// keeps the old system (ZMDY-17), that keeping is a due control.
pub async fn go_live(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, pl) = system_of(c, h).await?;
    let rules = super::rules(h.p, &pl)?;
    if !matches!(state_of(&s)?, SystemState::Trial | SystemState::Deploying) {
        return Err(wrong_state(&s, "不能上线"));
    }
    let today = crate::kernel::due::today(h.p);
    let rows = store::resources_of(c, &s.id).await?;
    for r in running(&rows).filter(|r| r.state == ResourceState::Trial.as_str()) {
        move_row(c, h, r, |x| x.state = ResourceState::Online.as_str().into()).await?;
    }
    let mut after = s.clone();
    after.state = SystemState::Online.as_str().into();
    after.online_on = Some(day(today));
    let mut note = format!("{} 正式上线", day(today));
    if let Some(m) = rules.keep_old_system_months {
        let until = today
            .checked_add_months(Months::new(m))
            .ok_or_else(AppError::internal)?;
        // Kept "at least" m months: through the day before the same date
        // m months on; the control is due at the end of that day.
        let last = until.pred_opt().unwrap_or(until);
        let title = format!("{} 原系统保留至 {}", s.name, day(last));
        let source = cite(rules, "lifecycle.keep_old_system_months");
        crate::kernel::due::ensure_once(
            c,
            &crate::kernel::due::Subject {
                kind: KEEP_OLD,
                subject_type: SUBJECT,
                subject_id: &s.id,
                org_id: &s.org_id,
                org_path: &s.org_path,
                title: &title,
                source: &source,
            },
            crate::kernel::due::day_end(last),
            h.now_us,
        )
        .await?;
        note.push_str(&format!(
            "；原系统至少保留{m}个月（{source}），至 {}",
            day(last)
        ));
    }
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_GO_LIVE, "cloud.go_live"),
        note,
    )
    .await
}

/// CLOUD_WITHDRAW: rows asked for and not allocated are withdrawn; a
/// refused change leaves 变更中 (the rows it would have changed run on).
pub async fn withdraw(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    let rows = store::resources_of(c, &s.id).await?;
    let mut n = 0;
    for r in requested(&rows) {
        move_row(c, h, r, |x| {
            x.state = ResourceState::Withdrawn.as_str().into()
        })
        .await?;
        n += 1;
    }
    for r in rows
        .iter()
        .filter(|r| r.state == ResourceState::Changing.as_str())
    {
        move_row(c, h, r, |x| x.state = ResourceState::Online.as_str().into()).await?;
    }
    let mut after = s.clone();
    if state_of(&s)? == SystemState::Changing {
        after.state = SystemState::Online.as_str().into();
    }
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_WITHDRAW, "cloud.withdraw"),
        format!("撤回 {n} 项未分配的资源申请"),
    )
    .await
}

/// CLOUD_CHANGE_OPENED: the change is submitted; the system and each row
/// a requested row replaces are 变更中 (still billed as they run).
pub async fn change_opened(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    if state_of(&s)? != SystemState::Online {
        return Err(wrong_state(&s, "只有已上线的系统可以申请变更"));
    }
    let rows = store::resources_of(c, &s.id).await?;
    let changed: Vec<&ResourceRow> = running(&rows)
        .filter(|x| requested(&rows).any(|r| r.replaces_id.as_deref() == Some(x.id.as_str())))
        .collect();
    for r in &changed {
        move_row(c, h, r, |x| {
            x.state = ResourceState::Changing.as_str().into()
        })
        .await?;
    }
    let added = requested(&rows).count();
    let mut after = s.clone();
    after.state = SystemState::Changing.as_str().into();
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_CHANGE_OPENED, "cloud.change_opened"),
        format!(
            "提交变更：{added} 项资源申请，其中变更现有资源 {} 项",
            changed.len()
        ),
    )
    .await
}

/// CLOUD_CHANGE_APPLIED: each requested row replaces the row it changes
/// from today (that row ends today), or is added from today.
pub async fn change_applied(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    if !matches!(state_of(&s)?, SystemState::Online | SystemState::Changing) {
        return Err(wrong_state(&s, "不能变更资源"));
    }
    let today = day(crate::kernel::due::today(h.p));
    let rows = store::resources_of(c, &s.id).await?;
    let mut n = 0;
    for r in requested(&rows) {
        if let Some(old) = r
            .replaces_id
            .as_deref()
            .and_then(|id| running(&rows).find(|x| x.id == id))
        {
            move_row(c, h, old, |x| {
                x.state = ResourceState::Replaced.as_str().into();
                x.to_day = Some(today.clone());
            })
            .await?;
        }
        move_row(c, h, r, |x| {
            x.state = ResourceState::Online.as_str().into();
            x.from_day = Some(today.clone());
        })
        .await?;
        n += 1;
    }
    let mut after = s.clone();
    after.state = SystemState::Online.as_str().into();
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_CHANGE_APPLIED, "cloud.change_applied"),
        format!("按申请调整 {n} 项资源，自 {today} 起"),
    )
    .await
}

/// CLOUD_EXIT_APPROVED: the system enters its exit; its running rows are
/// still billed until reclaimed; rows asked for are withdrawn; the end of
/// the transition is a due control.
pub async fn exit_approved(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, pl) = system_of(c, h).await?;
    let rules = super::rules(h.p, &pl)?;
    if !matches!(
        state_of(&s)?,
        SystemState::Deploying | SystemState::Trial | SystemState::Online
    ) {
        return Err(wrong_state(&s, "不能退出"));
    }
    let today = crate::kernel::due::today(h.p);
    let rows = store::resources_of(c, &s.id).await?;
    for r in requested(&rows) {
        move_row(c, h, r, |x| {
            x.state = ResourceState::Withdrawn.as_str().into()
        })
        .await?;
    }
    for r in running(&rows) {
        move_row(c, h, r, |x| {
            x.state = ResourceState::Exiting.as_str().into()
        })
        .await?;
    }
    let (end, key) = match rules.exit_transition {
        Period::Days(d) => (
            today.checked_add_days(Days::new(u64::from(d))),
            "lifecycle.exit_transition_days",
        ),
        Period::Months(m) => (
            today.checked_add_months(Months::new(m)),
            "lifecycle.exit_transition_months",
        ),
    };
    let end = end.ok_or_else(AppError::internal)?;
    let source = cite(rules, key);
    let title = format!("{} 退出过渡期至 {}", s.name, day(end));
    crate::kernel::due::ensure_once(
        c,
        &crate::kernel::due::Subject {
            kind: EXIT_END,
            subject_type: SUBJECT,
            subject_id: &s.id,
            org_id: &s.org_id,
            org_path: &s.org_path,
            title: &title,
            source: &source,
        },
        crate::kernel::due::day_end(end),
        h.now_us,
    )
    .await?;
    let mut after = s.clone();
    after.state = SystemState::Exiting.as_str().into();
    after.exit_approved_on = Some(day(today));
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_EXIT_APPROVED, "cloud.exit_approved"),
        format!(
            "退出审核通过，过渡期{}（{source}），至 {} 完成下线和数据迁移",
            rules.exit_transition.label(),
            day(end)
        ),
    )
    .await
}

/// CLOUD_RECLAIMED: data cleared and resources reclaimed; billing ends
/// today; the exit's due control is answered.
pub async fn reclaimed(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let (s, _) = system_of(c, h).await?;
    if state_of(&s)? != SystemState::Exiting {
        return Err(wrong_state(&s, "须先通过退出审核才能回收"));
    }
    let today = day(crate::kernel::due::today(h.p));
    let rows = store::resources_of(c, &s.id).await?;
    for r in requested(&rows) {
        move_row(c, h, r, |x| {
            x.state = ResourceState::Withdrawn.as_str().into()
        })
        .await?;
    }
    let mut n = 0;
    for r in running(&rows) {
        move_row(c, h, r, |x| {
            x.state = ResourceState::Reclaimed.as_str().into();
            x.to_day = Some(today.clone());
        })
        .await?;
        n += 1;
    }
    crate::kernel::due::complete_open(
        c,
        (SUBJECT, &s.id),
        EXIT_END,
        |_| true,
        usize::MAX,
        (&h.ticket.number, h.now_us),
    )
    .await?;
    let mut after = s.clone();
    after.state = SystemState::Reclaimed.as_str().into();
    after.reclaimed_on = Some(today.clone());
    save(
        c,
        h,
        &s,
        &mut after,
        (names::CLOUD_RECLAIMED, "cloud.reclaimed"),
        format!("数据已清除，回收 {n} 项资源，{today} 起停止计费"),
    )
    .await
}

//! The gates and effects of the project processes (ADR 0010, ADR 0017;
//! names in [`yunwei_domain::policy::hooks`]). The project ticket is the
//! project; its effects keep the `it_projects` row (money in fen, dates)
//! in step, in the ticket's transaction, and file the due controls of
//! acceptance. Every number comes from the pack's `projects.toml`, with
//! its citation; the thresholds that route a project are conditions of
//! the pack's processes.

use chrono::{Months, NaiveDate};
use yunwei_domain::cmdb::CiStatus;
use yunwei_domain::policy::model::{money_to_fen, FieldValue, Process};
use yunwei_domain::policy::projects::ProjectRules;
use yunwei_domain::roles::Role;
use yunwei_domain::AppError;
use yunwei_store::projects::{self as store, ProjectRow, SupplementRow};
use yunwei_store::{cmdb as cistore, orgs, users, DbConn};

use crate::kernel::notify::{notify, Notice};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due;
use crate::kernel::seams::HookCall;

fn refuse(code: &'static str, msg: String) -> AppError {
    AppError::bad_request(code, msg)
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The project rules of the ticket's pack.
pub(crate) fn rules_of<'a>(h: &'a HookCall<'_>) -> Result<&'a ProjectRules, AppError> {
    super::rules(h.p, &h.ticket.pack_id)
}

fn process_of<'a>(h: &'a HookCall<'_>) -> Result<&'a Process, AppError> {
    h.p.packs
        .iter()
        .find(|pk| pk.id == h.ticket.pack_id)
        .and_then(|pk| pk.processes.iter().find(|p| p.id == h.ticket.process_id))
        .ok_or_else(AppError::internal)
}

/// The citation the pack gives the gate `hook` on the transition being
/// taken (the article the refusal rests on).
fn gate_source(h: &HookCall<'_>, hook: &str) -> String {
    process_of(h)
        .ok()
        .and_then(|pr| pr.transition(h.transition))
        .and_then(|t| t.gates.iter().find(|g| g.hook == hook))
        .map(|g| g.source.clone())
        .unwrap_or_default()
}

fn text(h: &HookCall<'_>, id: &str) -> String {
    h.fields
        .get(id)
        .and_then(|v| v.as_text())
        .unwrap_or("")
        .trim()
        .to_string()
}

fn money_fen(h: &HookCall<'_>, id: &str) -> Option<i64> {
    match h.fields.get(id) {
        Some(FieldValue::Money(m)) => Some(money_to_fen(*m)),
        _ => None,
    }
}

fn integer(h: &HookCall<'_>, id: &str) -> Option<i64> {
    match h.fields.get(id) {
        Some(FieldValue::Integer(i)) => Some(*i),
        _ => None,
    }
}

fn ticked(h: &HookCall<'_>, id: &str) -> bool {
    matches!(h.fields.get(id), Some(FieldValue::Bool(true)))
}

/// Amounts as 元 with thousands separators: 4,000,000.00.
pub fn yuan(fen: i64) -> String {
    let neg = fen < 0;
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, fen % 100)
}

async fn project(c: &mut DbConn, h: &HookCall<'_>) -> Result<ProjectRow, AppError> {
    store::get(c, &h.ticket.id).await?.ok_or_else(|| {
        refuse(
            "project.not_registered",
            "该项目尚未提交申报，请先提交".into(),
        )
    })
}

async fn save(
    c: &mut DbConn,
    h: &HookCall<'_>,
    p: &mut ProjectRow,
    action: &'static str,
    note: String,
) -> Result<(), AppError> {
    p.updated_at = h.now_us.max(p.updated_at + 1);
    store::save(c, p).await?;
    record(
        h.p,
        c,
        h.ctx,
        Actor::User(h.auth),
        Event::success(action, "it_project", &p.id)
            .after(format!("{}（{}）：{note}", p.name, h.ticket.number)),
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ gates

/// CHECKLIST_TICKED: every bool field the transition asks for is ticked.
pub async fn checklist_ticked(_c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let pr = process_of(h)?;
    let Some(t) = pr.transition(h.transition) else {
        return Ok(());
    };
    let mut asked: Vec<&str> = t.require.iter().map(String::as_str).collect();
    for r in pr
        .required_ifs
        .iter()
        .filter(|r| r.transition == t.id && r.when.holds(h.fields))
    {
        asked.extend(r.fields.iter().map(String::as_str));
    }
    let missing: Vec<String> = asked
        .into_iter()
        .filter_map(|id| pr.field(id))
        .filter(|f| f.ty == yunwei_domain::policy::model::FieldType::Bool && !ticked(h, &f.id))
        .map(|f| format!("「{}」", f.label))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // The gate's own citation (the article that asks for the checklist).
    let cite = t
        .gates
        .iter()
        .find(|g| g.hook == yunwei_domain::policy::hooks::CHECKLIST_TICKED)
        .map_or_else(|| t.source.clone(), |g| g.source.clone());
    Err(refuse(
        "project.checklist_unticked",
        format!(
            "以下各项须逐项确认后方可「{}」（{cite}）：{}",
            t.label,
            missing.join("、")
        ),
    ))
}

/// PROJECT_UNIT_UNBLOCKED (SNXM-43).
pub async fn unit_unblocked(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let open = store::open_major_findings(c, &h.ticket.org_id).await?;
    if open.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = open
        .iter()
        .map(|f| format!("「{}」（整改期限 {}）", f.finding, f.deadline))
        .collect();
    Err(refuse(
        "project.unit_blocked",
        format!(
            "本单位存在未完成整改的重大安全隐患或密码应用问题：{}。完成整改前不得新建信息化项目（{}）",
            list.join("、"),
            gate_source(h, yunwei_domain::policy::hooks::PROJECT_UNIT_UNBLOCKED)
        ),
    ))
}

/// PROJECT_NO_REFUSAL_CASE (SNXM-19(二)).
pub async fn no_refusal_case(_c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let rules = rules_of(h)?;
    let pr = process_of(h)?;
    let cases: Vec<String> = rules
        .refusal_fields
        .iter()
        .filter(|(f, _)| ticked(h, f))
        .map(|(f, source)| {
            let label = pr.field(f).map(|x| x.label.as_str()).unwrap_or(f);
            format!("{label}（{source}）")
        })
        .collect();
    if cases.is_empty() {
        return Ok(());
    }
    Err(refuse(
        "project.refusal_case",
        format!(
            "项目属于不予审批情形，不能审核通过，请选择“不予审批”：{}",
            cases.join("；")
        ),
    ))
}

/// PROJECT_ON_PLAN (SNXM-17: 项目纳入年度计划清单后，可按程序实施).
pub async fn on_plan(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let p = project(c, h).await?;
    if p.planned_on.is_some() && p.plan_year.is_some() {
        return Ok(());
    }
    Err(refuse(
        "project.not_planned",
        format!(
            "项目尚未纳入年度计划清单，不能实施（{}）",
            gate_source(h, yunwei_domain::policy::hooks::PROJECT_ON_PLAN)
        ),
    ))
}

/// PROJECT_CONTRACT_TERMS (SNXM-34).
pub async fn contract_terms(_c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let rules = rules_of(h)?;
    let months = integer(h, "free_om_months").unwrap_or(0);
    let least = i64::from(rules.free_om_min_months);
    if months >= least {
        return Ok(());
    }
    Err(refuse(
        "project.free_om_too_short",
        format!(
            "合同约定的保修和免费运维期为{months}个月，应自竣工验收合格之日起不少于{least}个月（{}）",
            cite(rules, "free_om_min_months")
        ),
    ))
}

fn cite(rules: &ProjectRules, key: &str) -> String {
    rules.source_of(key).to_string()
}

/// PROJECT_TRIAL_ELAPSED (SNXM-32: 时间不低于1个月).
pub async fn trial_elapsed(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let rules = rules_of(h)?;
    let p = project(c, h).await?;
    let Some(from) = p
        .trial_from
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return Err(refuse(
            "project.trial_not_started",
            "项目尚未开始试运行".into(),
        ));
    };
    let earliest = from
        .checked_add_months(Months::new(rules.trial_min_months))
        .ok_or_else(AppError::internal)?;
    let today = due::today(h.p);
    if today >= earliest {
        return Ok(());
    }
    Err(refuse(
        "project.trial_too_short",
        format!(
            "试运行自 {} 开始，时间不低于{}个月（{}），{} 起方可申请履约验收前置核准",
            day(from),
            rules.trial_min_months,
            cite(rules, "trial_min_months"),
            day(earliest)
        ),
    ))
}

/// The project a supplement ticket names, of the same unit, locked.
async fn supplemented(c: &mut DbConn, h: &HookCall<'_>) -> Result<ProjectRow, AppError> {
    let number = text(h, "project_number");
    let p = store::by_number(c, &number)
        .await?
        .filter(|p| p.org_id == h.ticket.org_id)
        .ok_or_else(|| {
            refuse(
                "project.unknown",
                format!("本单位没有编号为“{number}”的信息化项目"),
            )
        })?;
    store::lock(c, &p.id).await?;
    Ok(p)
}

/// PROJECT_SUPPLEMENT_WITHIN_LIMIT (SNXM-30: 所有补充合同的采购金额不得超过
/// 原合同采购金额的百分之十). The project's row is locked first, so two
/// supplements decided at once are counted one after the other.
pub async fn supplement_within_limit(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let rules = rules_of(h)?;
    let p = supplemented(c, h).await?;
    // 合同履行中: the contract signed, not yet accepted, the project open.
    let open = yunwei_store::tickets::get(c, &p.id)
        .await?
        .is_some_and(|t| t.closed_at.is_none());
    if p.contract_fen.is_none() || p.accepted_on.is_some() || !open {
        return Err(refuse(
            "project.not_performing",
            format!(
                "项目 {} 不在合同履行中，不能签订补充合同（{}）",
                p.number,
                cite(rules, "supplement_max_percent")
            ),
        ));
    }
    let route = text(h, "route");
    let project_route = if p.route == "approval" {
        "approval"
    } else {
        "regular"
    };
    if route != project_route {
        return Err(refuse(
            "project.route_mismatch",
            format!(
                "“原项目审批方式”与项目不一致：调整须报原审批批复单位（{}）",
                cite(rules, "supplement_max_percent")
            ),
        ));
    }
    let Some(contract) = p.contract_fen else {
        return Err(refuse(
            "project.no_contract",
            "项目尚未登记合同采购金额".into(),
        ));
    };
    let amount = money_fen(h, "amount").unwrap_or(0);
    if amount <= 0 {
        return Err(refuse(
            "project.supplement_amount",
            "补充合同采购金额应大于0".into(),
        ));
    }
    let counted = store::counted_fen(c, &p.id, &h.ticket.id).await?;
    let pct = i64::from(rules.supplement_max_percent);
    // Exact: total × 100 ≤ contract × pct, in fen (i128 against overflow).
    let total = i128::from(counted) + i128::from(amount);
    if total * 100 <= i128::from(contract) * i128::from(pct) {
        return Ok(());
    }
    let cap = i128::from(contract) * i128::from(pct) / 100;
    let left = (cap - i128::from(counted)).max(0);
    Err(refuse(
        "project.supplement_over_limit",
        format!(
            "所有补充合同的采购金额不得超过原合同采购金额的{pct}%（{}）：原合同 {} 元，上限 {} 元，已计入 {} 元，本次 {} 元，最多还可 {} 元",
            cite(rules, "supplement_max_percent"),
            yuan(contract),
            yuan(cap as i64),
            yuan(counted),
            yuan(amount),
            yuan(left as i64)
        ),
    ))
}

/// DISPOSAL_CASE_HOLDS (SNXM-48: 每年固定时间使用，且停用周期超过4个月).
pub async fn disposal_case_holds(_c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    if text(h, "kind") != "freeze" || text(h, "freeze_case") != "seasonal" {
        return Ok(());
    }
    let rules = rules_of(h)?;
    let idle = integer(h, "idle_months").unwrap_or(0);
    let over = i64::from(rules.freeze_idle_over_months);
    if idle > over {
        return Ok(());
    }
    Err(refuse(
        "project.freeze_case",
        format!(
            "每年停用周期为{idle}个月，须超过{over}个月方属暂停冻结情形（{}）",
            cite(rules, "freeze_idle_over_months")
        ),
    ))
}

// ---------------------------------------------------------------- effects

/// PROJECT_REGISTERED: the project's row from the application's fields
/// (kept across a return and a resubmission).
pub async fn registered(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let existing = store::get(c, &h.ticket.id).await?;
    let mut p = existing.unwrap_or_else(|| ProjectRow {
        id: h.ticket.id.clone(),
        pack_id: h.ticket.pack_id.clone(),
        org_id: h.ticket.org_id.clone(),
        org_path: h.ticket.org_path.clone(),
        name: String::new(),
        kind: String::new(),
        route: String::new(),
        unit_level: String::new(),
        total_fen: 0,
        contract_fen: None,
        contractor: String::new(),
        supervisor: String::new(),
        plan_year: None,
        urgent: false,
        library_on: None,
        planned_on: None,
        trial_from: None,
        accepted_on: None,
        free_om_until: None,
        self_evaluation_due: None,
        self_evaluation_on: None,
        self_evaluation_sm3: None,
        self_evaluation_file: None,
        created_at: h.now_us,
        updated_at: h.now_us,
        number: h.ticket.number.clone(),
        state: h.ticket.state.clone(),
    });
    p.name = h.ticket.title.clone();
    p.kind = text(h, "kind");
    p.route = text(h, "route");
    p.unit_level = text(h, "unit_level");
    p.total_fen = money_fen(h, "total_investment").unwrap_or(0);
    let note = format!("申报，总投资 {} 元", yuan(p.total_fen));
    save(c, h, &mut p, "it_project.register", note).await
}

/// PROJECT_ENTER_LIBRARY (SNXM-16).
pub async fn enter_library(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let mut p = project(c, h).await?;
    let today = day(due::today(h.p));
    p.library_on = Some(today.clone());
    save(
        c,
        h,
        &mut p,
        "it_project.library",
        format!("{today} 纳入信息化项目库"),
    )
    .await
}

/// PROJECT_PLANNED (SNXM-17).
pub async fn planned(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let mut p = project(c, h).await?;
    let Some(year) = integer(h, "plan_year").filter(|y| (2000..=2100).contains(y)) else {
        return Err(refuse(
            "project.plan_year",
            "请填写拟实施年度（如 2027）".into(),
        ));
    };
    p.plan_year = Some(year);
    p.urgent = !text(h, "urgent_reason").is_empty();
    p.planned_on = Some(day(due::today(h.p)));
    let note = if p.urgent {
        format!("紧急增补纳入{year}年度计划清单")
    } else {
        format!("纳入{year}年度计划清单")
    };
    save(c, h, &mut p, "it_project.plan", note).await
}

/// PROJECT_UNPLANNED.
pub async fn unplanned(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let mut p = project(c, h).await?;
    p.plan_year = None;
    p.planned_on = None;
    p.urgent = false;
    save(c, h, &mut p, "it_project.plan", "暂不纳入年度计划".into()).await
}

/// PROJECT_CONTRACT_SIGNED.
pub async fn contract_signed(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let mut p = project(c, h).await?;
    let fen = money_fen(h, "contract_amount").unwrap_or(0);
    p.contract_fen = Some(fen);
    p.contractor = text(h, "contractor");
    let note = format!("合同采购金额 {} 元，承建企业 {}", yuan(fen), p.contractor);
    save(c, h, &mut p, "it_project.contract", note).await
}

/// PROJECT_STARTED: construction starts; the supervisor a project of the
/// pack's size needs (SNXM-29) is on the project's row from then on.
pub async fn started(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let mut p = project(c, h).await?;
    p.supervisor = text(h, "supervisor");
    let note = if p.supervisor.is_empty() {
        "开工建设".to_string()
    } else {
        format!("开工建设，监理单位 {}", p.supervisor)
    };
    save(c, h, &mut p, "it_project.start", note).await
}

/// PROJECT_TRIAL_STARTED (SNXM-32).
pub async fn trial_started(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let mut p = project(c, h).await?;
    let today = day(due::today(h.p));
    p.trial_from = Some(today.clone());
    save(
        c,
        h,
        &mut p,
        "it_project.trial",
        format!("{today} 开始试运行"),
    )
    .await
}

/// PROJECT_ACCEPTED: the free O&M period (SNXM-34) and the
/// self-evaluation (SNXM-36) become due controls.
pub async fn accepted(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let rules = rules_of(h)?;
    let mut p = project(c, h).await?;
    let today = due::today(h.p);
    let om_months = integer(h, "free_om_months")
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(rules.free_om_min_months)
        .max(rules.free_om_min_months);
    // "自竣工验收合格之日起不少于一年": through the day before the same date
    // a year on; each control is due at the end of its last day.
    let last = |months: u32| -> Result<NaiveDate, AppError> {
        let until = today
            .checked_add_months(Months::new(months))
            .ok_or_else(AppError::internal)?;
        Ok(until.pred_opt().unwrap_or(until))
    };
    let om_last = last(om_months)?;
    let eval_last = last(rules.self_evaluation_within_months)?;
    p.accepted_on = Some(day(today));
    p.free_om_until = Some(day(om_last));
    p.self_evaluation_due = Some(day(eval_last));
    for (kind, last, title, source) in [
        (
            due::PROJECT_FREE_OM,
            om_last,
            format!("{} 免费运维期至 {}", p.name, day(om_last)),
            cite(rules, "free_om_min_months"),
        ),
        (
            due::PROJECT_SELF_EVALUATION,
            eval_last,
            format!("{} 绩效自评价报告报送期限 {}", p.name, day(eval_last)),
            cite(rules, "self_evaluation_within_months"),
        ),
    ] {
        due::ensure_once(
            c,
            &due::Subject {
                kind,
                subject_type: due::IT_PROJECT,
                subject_id: &p.id,
                org_id: &p.org_id,
                org_path: &p.org_path,
                title: &title,
                source: &source,
            },
            due::day_end(last),
            h.now_us,
        )
        .await?;
    }
    let note = format!(
        "{} 验收合格，免费运维期至 {}，绩效自评价报告须于 {} 前报送",
        day(today),
        day(om_last),
        day(eval_last)
    );
    save(c, h, &mut p, "it_project.accept", note).await
}

async fn put_supplement(c: &mut DbConn, h: &HookCall<'_>, state: &str) -> Result<(), AppError> {
    let p = supplemented(c, h).await?;
    let amount = money_fen(h, "amount").unwrap_or(0);
    store::put_supplement(
        c,
        &SupplementRow {
            id: h.ticket.id.clone(),
            project_id: p.id.clone(),
            amount_fen: amount,
            state: state.into(),
            created_at: h.now_us,
        },
    )
    .await?;
    let label = match state {
        "held" => "计入累计（审批中）",
        "approved" => "获批",
        _ => "不再计入",
    };
    record(
        h.p,
        c,
        h.ctx,
        Actor::User(h.auth),
        Event::success("it_project.supplement", "it_project", &p.id).after(format!(
            "{}（{}）：补充合同 {} {} 元{label}",
            p.name,
            p.number,
            h.ticket.number,
            yuan(amount)
        )),
    )
    .await?;
    Ok(())
}

/// PROJECT_SUPPLEMENT_HELD.
pub async fn supplement_held(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    put_supplement(c, h, "held").await
}

/// PROJECT_SUPPLEMENT_RELEASED.
pub async fn supplement_released(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    put_supplement(c, h, "released").await
}

/// PROJECT_SUPPLEMENT_APPROVED.
pub async fn supplement_approved(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    put_supplement(c, h, "approved").await
}

/// SYSTEM_DISPOSED (SNXM-44..SNXM-48): closing and merging retire the
/// item (合并整合后原有应用需关闭注销); freezing puts it out of use (备用)
/// until it is restarted; a transfer (SNXM-47) moves the item to the new
/// owner when that is an organisation of the platform; a promotion keeps
/// it and records the new owner. A system that leaves use while it still
/// runs on the government cloud: the cloud's managers are told to start
/// its exit, so its resources are reclaimed through the cloud's own
/// process (and billing stops there, not here).
pub async fn system_disposed(c: &mut DbConn, h: &HookCall<'_>) -> Result<(), AppError> {
    let named = text(h, "system");
    let ci = match cistore::ci_by_code(c, &named).await? {
        Some(a) => Some(a),
        None => cistore::get_ci(c, &named).await?,
    }
    .filter(|a| a.org_id == h.ticket.org_id)
    .ok_or_else(|| {
        refuse(
            "project.system_unknown",
            format!("申请单位没有编号为“{named}”的信息系统"),
        )
    })?;
    let kind = text(h, "kind");
    let new_owner = text(h, "new_owner");
    let mut after = ci.clone();
    let mut leaves_use = false;
    let what = match kind.as_str() {
        "close" => {
            after.status = CiStatus::Retired.as_str().into();
            leaves_use = true;
            "关闭注销".to_string()
        }
        "merge" => {
            after.status = CiStatus::Retired.as_str().into();
            leaves_use = true;
            format!("合并整合至 {}", text(h, "merged_into"))
        }
        "freeze" => {
            after.status = CiStatus::Spare.as_str().into();
            leaves_use = true;
            "暂停冻结".to_string()
        }
        "promote" => format!("提级推广，建设主体 {new_owner}"),
        "transfer" => {
            let owner = orgs::by_name(c, &new_owner).await?;
            match owner {
                Some(o) => {
                    after.org_id = o.id.clone();
                    after.org_path = o.path.clone();
                    format!("转移管理至 {}", o.name)
                }
                None => format!("转移管理，建设主体 {new_owner}"),
            }
        }
        _ => return Err(refuse("project.disposal_kind", "处置方式无效".into())),
    };
    let stamp = format!("{} {}（{}）", day(due::today(h.p)), what, h.ticket.number);
    after.notes = if ci.notes.trim().is_empty() {
        stamp.clone()
    } else {
        format!("{}\n{stamp}", ci.notes)
    };
    after.updated_at = h.now_us.max(ci.updated_at + 1);
    if !cistore::update_ci(c, &after, ci.updated_at).await? {
        return Err(AppError::conflict(
            "cmdb.changed",
            "该配置项刚被他人修改，请刷新后重试",
        ));
    }
    if leaves_use {
        tell_cloud_managers(c, h, &ci, &what).await?;
    }
    record(
        h.p,
        c,
        h.ctx,
        Actor::User(h.auth),
        Event::success("ci.dispose", "ci", &ci.id)
            .before(
                CiStatus::parse(&ci.status)
                    .map(|s| s.label())
                    .unwrap_or("未知")
                    .to_string(),
            )
            .after(format!("{} {}：{stamp}", ci.code, ci.name)),
    )
    .await?;
    Ok(())
}

/// Tells the managers of the cloud a disposed system still runs on.
async fn tell_cloud_managers(
    c: &mut DbConn,
    h: &HookCall<'_>,
    ci: &yunwei_store::cmdb::CiRow,
    what: &str,
) -> Result<(), AppError> {
    let Some(s) = yunwei_store::cloud::system_of_ci(c, &ci.id).await? else {
        return Ok(());
    };
    if matches!(
        yunwei_domain::cloud::SystemState::parse(&s.state),
        Some(
            yunwei_domain::cloud::SystemState::Exiting
                | yunwei_domain::cloud::SystemState::Reclaimed
        )
    ) {
        return Ok(());
    }
    let Some(pl) = yunwei_store::cloud::get_platform(c, &s.platform_id).await? else {
        return Ok(());
    };
    let roles = vec![Role::CloudManager.as_str().to_string()];
    let told = users::holders_covering(c, &roles, &pl.bureau_path).await?;
    let title = format!("{} 已{what}，请办理政务云退出", s.name);
    let body = format!(
        "{}（{}）经 {} 批准{what}，该系统仍在使用{}资源，请按退出流程回收资源",
        s.name, ci.code, h.ticket.number, pl.name
    );
    let link = format!("/cloud/systems/{}", s.id);
    notify(
        c,
        &told,
        &Notice {
            user_id: "",
            ticket_id: Some(&h.ticket.id),
            kind: "system_disposed",
            title: &title,
            body: &body,
            at_us: h.now_us,
            link: Some(&link),
            due_at: None,
        },
    )
    .await
}

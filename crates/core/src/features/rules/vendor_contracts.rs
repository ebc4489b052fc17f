//! Vendor contracts and the reports they call for (JSCZ-7): weekly and
//! monthly reports, a yearly plan and summary, due period by period while
//! the contract is in force and answered when submitted; the draft of a
//! report from the platform's data; the regions a vendor's engineers
//! serve under the contracts in force (issue 11). An important project
//! (重要项目应有实施方案, JSCZ-7) records its work as started only once an
//! implementation plan, its document in the technical archives, was
//! approved by the project lead; until then it is flagged. A contract in
//! force whose development team falls short (NTCZ-6.1.4) is flagged.

use std::future::ready;

use chrono::NaiveDate;
use yunwei_domain::org::is_within;
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::schedule::{start_of_day_shanghai, DueOffset, Recurrence};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{date, done_ref, invalid, order, period_of, spec_named, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, Rolling, SeamFuture};
use crate::{Platform, Principal};

pub static VENDOR_CONTRACTS: RegisterRules = RegisterRules {
    register: "vendor_contracts",
    derive: super::contract_milestones::derive_contract,
    check: check_contract,
    after_write: contract_written,
    flags: contract_flags,
    rolling: Some(Rolling {
        recurrence: contract_recurrence,
        schedule: contract_schedule,
    }),
    ..RegisterRules::NONE
};

pub static VENDOR_REPORTS: RegisterRules = RegisterRules {
    register: "vendor_reports",
    check: check_report,
    after_write: report_written,
    ..RegisterRules::NONE
};

pub static IMPLEMENTATION_PLANS: RegisterRules = RegisterRules {
    register: "implementation_plans",
    check: check_plan,
    ..RegisterRules::NONE
};

fn check_contract<'a>(
    _: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        order(e, "starts_on", "ends_on", "服务结束日期不能早于开始日期")?;
        // JSCZ-7 「重要项目应有实施方案」: an important project's work is
        // recorded as started only once its implementation plan is approved.
        if e.get("important").is_true()
            && e.get("work_started_on").text().is_some()
            && !has_approved_plan(c, &e.id).await?
        {
            return Err(invalid(
                "register.implementation_plan_missing",
                "重要项目须有经项目负责人批准的实施方案，方可开始实施（JSCZ-7）：请先登记实施方案并报批",
            ));
        }
        Ok(())
    })
}

/// Whether the contract `id` has an approved implementation plan (JSCZ-7).
async fn has_approved_plan(c: &mut DbConn, id: &str) -> Result<bool, AppError> {
    let plans = spec_named("implementation_plans")?;
    let found = store::find(
        c,
        plans,
        &[
            ("contract_id", Val::Text(id.to_string())),
            ("status", Val::Text("approved".into())),
        ],
        1,
    )
    .await?;
    Ok(!found.is_empty())
}

/// The plan's document is a technical archive (its file kept with its SM3)
/// of the contract's organisation or of the vendor.
fn check_plan<'a>(
    _: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let id = text(e, "document_id");
        let doc = yunwei_store::archives::get_doc(c, id).await?;
        let ours = doc.is_some_and(|d| {
            is_within(&d.org_path, &e.org_path)
                || e.partner_path
                    .as_deref()
                    .is_some_and(|pp| is_within(&d.org_path, pp))
        });
        if !ours {
            return Err(invalid(
                "register.implementation_plan_document",
                format!("方案文件：技术资料中没有编号为「{id}」的本单位或服务厂商的资料，请先上传实施方案文件"),
            ));
        }
        Ok(())
    })
}

fn check_report<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(ready(order(
        e,
        "period_start",
        "period_end",
        "周期结束不能早于周期开始",
    )))
}

/// (contract field, control kind, recurrence) of each report a contract
/// may call for.
const REPORTS: [(&str, &str, Recurrence); 4] = [
    ("weekly_report", "vendor_weekly", Recurrence::Weekly),
    ("monthly_report", "vendor_monthly", Recurrence::Monthly),
    ("annual_plan", "vendor_plan", Recurrence::Yearly),
    ("annual_summary", "vendor_summary", Recurrence::Yearly),
];

/// The pack parameter holding the due rule of a report's control kind
/// (JSCZ-7 sets no day; ADR 0018): a plan is due before its year starts,
/// the reports at their period's end, as shipped.
fn due_rule_key(kind: &str) -> &'static str {
    match kind {
        "vendor_weekly" => "vendor_report.weekly.due",
        "vendor_monthly" => "vendor_report.monthly.due",
        "vendor_plan" => "vendor_report.plan.due",
        _ => "vendor_report.summary.due",
    }
}

fn report_control_kind(report_kind: &str) -> &'static str {
    match report_kind {
        "weekly" => "vendor_weekly",
        "monthly" => "vendor_monthly",
        "plan" => "vendor_plan",
        _ => "vendor_summary",
    }
}

/// The reports of a contract in force recur; the first it calls for sets
/// the periods the job checks.
fn contract_recurrence(e: &EntryRow, today: NaiveDate) -> Option<Recurrence> {
    let end = date(e, "ends_on")?;
    if date(e, "starts_on")? > today || end < today {
        return None;
    }
    REPORTS
        .iter()
        .filter(|(f, _, _)| e.get(f).is_true())
        .map(|(_, _, r)| *r)
        .next()
}

fn contract_schedule<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    from: NaiveDate,
) -> SeamFuture<'a, ()> {
    Box::pin(schedule_reports(p, c, spec, e, Some(from)))
}

/// The reports a contract calls for, period by period from its start (or
/// `from`) to today or its end.
async fn schedule_reports(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
    from: Option<NaiveDate>,
) -> Result<(), AppError> {
    let (Some(start), Some(end)) = (date(e, "starts_on"), date(e, "ends_on")) else {
        return Ok(());
    };
    let today = due::today(p);
    let first = from.map_or(start, |f| f.max(start));
    let through = today.min(end);
    if first > through {
        return Ok(());
    }
    let title = crate::registers::title_of(spec, e);
    for (field, kind, r) in REPORTS {
        if e.get(field).is_true() {
            let rule = crate::kernel::parameters::due(p, due_rule_key(kind))?;
            // A report due before its period starts (a plan) is owed
            // before the period: the next period's is created with the
            // current one, within the contract.
            // A contract starting within a period owes such a report from
            // its first whole period (a plan due before the contract).
            let (first, through) = if rule == DueOffset::PeriodStart {
                let p0 = r.period_of(first);
                let first = if p0.start < start {
                    p0.end + chrono::Duration::days(1)
                } else {
                    first
                };
                let next = r.period_of(today).end + chrono::Duration::days(1);
                (first, next.min(end))
            } else {
                (first, through)
            };
            due::ensure_periodic_due(
                c,
                &subject(spec, e, kind, &title, "JSCZ-7"),
                (r, rule),
                first,
                through,
                p.now_us(),
            )
            .await?;
        }
    }
    Ok(())
}

/// A new contract gets its reports; a changed one has those not yet due
/// rescheduled from today.
fn contract_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        match change {
            Change::Created => {
                schedule_reports(p, c, spec, e, None).await?;
                // NTCZ-8: the payments due from the signing.
                super::contract_milestones::schedule_payments(p, c, e).await?;
            }
            Change::Updated(_) => {
                let now = p.now_us();
                let today = due::today(p);
                let title = crate::registers::title_of(spec, e);
                yunwei_store::controls::retitle_open(
                    c,
                    spec.key,
                    &e.id,
                    &title,
                    &e.org_id,
                    &e.org_path,
                )
                .await?;
                yunwei_store::controls::delete_open_not_due(c, spec.key, &e.id, now).await?;
                schedule_reports(p, c, spec, e, Some(today)).await?;
                // NTCZ-8: the payments not yet due, from the signing day
                // as amended.
                super::contract_milestones::schedule_payments(p, c, e).await?;
            }
            Change::Step(_) => {}
        }
        Ok(())
    })
}

/// A submitted report answers its contract's report of the period.
fn report_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let Change::Step(st) = change else {
            return Ok(());
        };
        if st.name != "submit" {
            return Ok(());
        }
        let kind = report_control_kind(text(e, "report_kind"));
        let end = text(e, "period_end").to_string();
        due::complete_open(
            c,
            ("vendor_contracts", e.parent_id.as_deref().unwrap_or("")),
            kind,
            |ctl| {
                ctl.period_start
                    .as_deref()
                    .is_some_and(|s| s <= end.as_str())
            },
            1,
            (&done_ref(spec, e), p.now_us()),
        )
        .await?;
        Ok(())
    })
}

fn contract_flags<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    Box::pin(async move {
        let mut out = vec![];
        if date(e, "ends_on").is_some_and(|end| end < due::today(p)) {
            out.push("合同服务期已结束".to_string());
        }
        if e.get("important").is_true()
            && e.get("work_started_on").text().is_none()
            && !has_approved_plan(c, &e.id).await?
        {
            out.push("重要项目尚无经批准的实施方案，批准前不得开始实施（JSCZ-7）".to_string());
        }
        if let Some(short) = super::vendor_staff::team_shortfall(p, c, e).await? {
            out.push(short);
        }
        Ok(out)
    })
}

// ---- vendor report drafts (JSCZ-7) ----

/// The draft of a vendor report for a period, from the data of the
/// contract's organisation: tickets opened and closed with their SLA,
/// changes, the controls done (inspections, reviews, drills), backups and
/// restore tests. The vendor completes and submits it.
pub async fn draft_report(
    p: &Platform,
    pr: &Principal,
    contract_id: &str,
    report_kind: &str,
    period_start: &str,
    period_end: &str,
) -> Result<String, AppError> {
    let contracts = spec_named("vendor_contracts")?;
    let reports = spec_named("vendor_reports")?;
    let kind_field = reports
        .field("report_kind")
        .ok_or_else(AppError::internal)?;
    let kind_label = kind_field.display(&yunwei_domain::register::parse_value(
        kind_field,
        report_kind,
    )?);
    let (start, end) = period_of(
        reports,
        period_start,
        period_end,
        "周期结束不能早于周期开始",
    )?;
    if (end - start).num_days() > 366 {
        return Err(invalid("register.period_too_long", "报告周期不能超过一年"));
    }
    let mut c = p.db.read().await?;
    let contract = store::get(&mut c, contracts, contract_id)
        .await?
        .filter(|e| crate::registers::can_read(pr, contracts, e))
        .ok_or_else(|| AppError::not_found(contracts.label))?;
    let from = start_of_day_shanghai(start).timestamp_micros();
    let to = due::day_end(end);
    let scope = yunwei_store::Scope::ranges(vec![(contract.org_path.clone(), true)]);
    let groups = yunwei_store::reports::sla_groups(&mut c, &scope, from, to).await?;
    let mut names = crate::registers::Names::default();
    let org = names.org(&mut c, &contract.org_id).await?;
    let mut out = format!(
        "{}{}（{} 至 {}）\n服务单位：{org}    合同编号：{}\n\n一、工单处理情况\n",
        text(&contract, "name"),
        kind_label,
        ymd(start),
        ymd(end),
        text(&contract, "contract_no"),
    );
    let mut per_process: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
    for g in &groups {
        let name = p
            .packs
            .iter()
            .find(|k| k.id == g.pack_id)
            .and_then(|k| k.processes.iter().find(|pr| pr.id == g.process_id))
            .map(|pr| pr.name.clone())
            .unwrap_or_else(|| g.process_id.clone());
        let t = per_process.entry(name).or_default();
        t.0 += g.opened;
        t.1 += g.closed;
        t.2 += g.closed_breached;
    }
    let (mut closed, mut breached) = (0, 0);
    if per_process.is_empty() {
        out.push_str("本期无工单。\n");
    }
    for (name, (o, cl, b)) in &per_process {
        out.push_str(&format!(
            "- {name}：新建 {o} 张，办结 {cl} 张，其中超时 {b} 张\n"
        ));
        closed += cl;
        breached += b;
    }
    out.push_str("\n二、服务水平（SLA）\n");
    if closed > 0 {
        out.push_str(&format!(
            "本期办结 {closed} 张，按时 {} 张，按时率 {:.1}%。\n",
            closed - breached,
            (closed - breached) as f64 * 100.0 / closed as f64
        ));
    } else {
        out.push_str("本期无办结工单。\n");
    }
    out.push_str("\n三、巡检、检查与演练\n");
    let done = yunwei_store::controls::done_between(&mut c, &contract.org_path, from, to).await?;
    if done.is_empty() {
        out.push_str("本期无完成的巡检、检查或演练记录。\n");
    }
    for (kind, n, late) in &done {
        out.push_str(&format!(
            "- {}：完成 {n} 次{}\n",
            due::kind_label(kind),
            if *late > 0 {
                format!("（其中逾期完成 {late} 次）")
            } else {
                String::new()
            }
        ));
    }
    out.push_str("\n四、备份与恢复\n");
    let (s, e) = (ymd(start), ymd(end));
    let logs = store::count_between(
        &mut c,
        spec_named("backup_logs")?,
        &contract.org_path,
        "performed_on",
        &s,
        &e,
        "outcome",
    )
    .await?;
    let count = |rows: &[(String, i64)], k: &str| {
        rows.iter()
            .find(|(g, _)| g == k)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let tests = store::count_between(
        &mut c,
        spec_named("restore_tests")?,
        &contract.org_path,
        "tested_on",
        &s,
        &e,
        "result",
    )
    .await?;
    out.push_str(&format!(
        "备份 {} 次成功、{} 次失败；恢复测试 {} 次成功、{} 次失败。\n",
        count(&logs, "success"),
        count(&logs, "failure"),
        count(&tests, "pass"),
        count(&tests, "fail"),
    ));
    out.push_str("\n五、存在问题\n（请填写）\n\n六、下阶段工作计划\n（请填写）\n");
    Ok(out)
}

//! The platform administrators' security reviews (JSCZ-10, NTCZ-6.3.1,
//! and the audit administrator's 等保 review of the platform's own trail):
//! the period in order, who files which kind, the reviews due that one
//! answers, and the checklist a reviewer starts from. The managed systems'
//! log review of EEDS-3.7.1 is the maintenance staff's
//! (`system_log_reviews`).

use std::future::ready;

use yunwei_domain::register::{Spec, Val};
use yunwei_domain::schedule::start_of_day_shanghai;
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::ndas::nda_of;
use super::{date, done_ref, order, period_of, spec_named, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::{Platform, Principal};

pub static RULES: RegisterRules = RegisterRules {
    register: "security_reviews",
    check,
    check_filer,
    after_write,
    ..RegisterRules::NONE
};

fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(ready(order(
        e,
        "period_start",
        "period_end",
        "审查期间的结束不能早于开始",
    )))
}

/// Who may file a review beyond the register's action: the review of the
/// platform's own audit trail is the audit administrator's (the 三员's
/// separation of duties), the access review the security administrator's.
fn check_filer(_: &'static Spec, e: &EntryRow, pr: &Principal) -> Result<(), AppError> {
    use yunwei_domain::roles::Role;
    let (role, kind) = match text(e, "kind") {
        "log_review" => (Role::AudAdmin, "平台审计日志审查"),
        "access_review" => (Role::SecAdmin, "权限审查"),
        _ => return Ok(()),
    };
    if pr.has_role(role) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("{kind}由{}登记", role.label())))
    }
}

/// A review filed answers the reviews due (`reviews`).
fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if let Change::Created = change {
            let kind = text(e, "kind");
            crate::features::reviews::answered(c, kind, e, (&done_ref(spec, e), p.now_us()))
                .await?;
        }
        Ok(())
    })
}

// ---- review checklists (JSCZ-10, NTCZ-6.3.1) ----

/// Accounts not used for this long count as stale in an access review.
pub const STALE_DAYS: i64 = 90;

/// The checklist of a review for a period, from the data the reviewer may
/// see: who holds which rights (stale accounts, disabled accounts still
/// holding grants, third parties without an end or an NDA); the audit
/// trail summarised (refusals, failed logins, exports, the administrators'
/// actions); the self-check (overdue controls, open vulnerabilities, backup
/// plans flagged, grants ending soon).
pub async fn draft_review(
    p: &Platform,
    pr: &Principal,
    kind: &str,
    period_start: &str,
    period_end: &str,
) -> Result<String, AppError> {
    use std::fmt::Write;
    use yunwei_domain::roles::{Action, Role};
    let reviews = spec_named("security_reviews")?;
    let kind_field = reviews.field("kind").ok_or_else(AppError::internal)?;
    let kind_val = yunwei_domain::register::parse_value(kind_field, kind)?;
    let (start, end) = period_of(
        reviews,
        period_start,
        period_end,
        "审查期间的结束不能早于开始",
    )?;
    if !pr.can_somewhere(Action::RoleView) {
        return Err(AppError::forbidden("无权生成审查清单"));
    }
    let from = start_of_day_shanghai(start).timestamp_micros();
    let to = due::day_end(end);
    let now = p.now_us();
    let today = due::today(p);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}（{} 至 {}）\n",
        kind_field.display(&kind_val),
        ymd(start),
        ymd(end)
    );
    let mut c = p.db.read().await?;
    match kind_val.text().unwrap_or("") {
        "access_review" => {
            let scope = pr.scope_for(Action::RoleView);
            let users = yunwei_store::users::list(
                &mut c,
                &scope,
                &yunwei_store::users::UserFilter::default(),
                0,
                10_000,
            )
            .await?;
            let staff = spec_named("vendor_staff")?;
            let _ = writeln!(out, "一、账号与授权（逐项核对是否仍需要）");
            let mut problems = vec![];
            for u in &users.0 {
                let grants = yunwei_store::users::grants_of(&mut c, &u.id).await?;
                let last = yunwei_store::sessions::last_login(&mut c, &u.id).await?;
                let roles: Vec<String> = grants
                    .iter()
                    .map(|g| {
                        let label = Role::parse(&g.role).map(|r| r.label()).unwrap_or("");
                        match g.valid_until {
                            Some(t) => {
                                format!("{label}（至 {}）", crate::kernel::export::fmt_us(t))
                            }
                            None => label.to_string(),
                        }
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "□ {}（{}）{}：{}；最近登录 {}",
                    u.display_name,
                    u.username,
                    if u.status == "active" {
                        ""
                    } else {
                        "【已停用】"
                    },
                    if roles.is_empty() {
                        "无授权".to_string()
                    } else {
                        roles.join("、")
                    },
                    last.map(crate::kernel::export::fmt_us)
                        .unwrap_or_else(|| "从未".into())
                );
                let idle = last.unwrap_or(u.created_at);
                if u.status == "active" && now - idle > STALE_DAYS * 86_400_000_000 {
                    problems.push(format!(
                        "{} 超过 {STALE_DAYS} 天未登录，建议停用",
                        u.username
                    ));
                }
                if u.status != "active" && !grants.is_empty() {
                    problems.push(format!(
                        "{} 已停用但仍有 {} 项授权",
                        u.username,
                        grants.len()
                    ));
                }
                let third = grants.iter().any(|g| {
                    matches!(
                        Role::parse(&g.role),
                        Some(Role::VendorEngineer | Role::VendorAdmin)
                    )
                });
                if third && grants.iter().any(|g| g.valid_until.is_none()) {
                    problems.push(format!(
                        "{} 为第三方人员，授权未写明有效期（JSCZ-49）",
                        u.username
                    ));
                }
                for e in store::find(
                    &mut c,
                    staff,
                    &[("username", Val::Text(u.username.clone()))],
                    10,
                )
                .await?
                {
                    if !nda_of(&mut c, &e.id, today).await?.0 {
                        problems.push(format!("{} 的保密协议缺失或已过期（JSCZ-37）", u.username));
                    }
                }
            }
            // Rights in the managed systems: temporary grants and database
            // access (JSCZ-8, JSCZ-36, JSCZ-49).
            let _ = writeln!(out, "\n目标系统临时授权及数据库访问（逐项核对是否仍需要）");
            let mut listed = 0;
            for key in [crate::features::access::REGISTER, "db_access"] {
                let rs = spec_named(key)?;
                for e in store::find(&mut c, rs, &[], 10_000).await? {
                    if !pr.can(Action::RoleView, &e.org_path) {
                        continue;
                    }
                    let status = text(&e, "status");
                    let title = crate::registers::title_of(rs, &e);
                    let label = rs
                        .field("status")
                        .map(|f| f.display(e.get("status")))
                        .unwrap_or_default();
                    let (who, until) = if key == "db_access" {
                        ("", text(&e, "valid_to"))
                    } else {
                        (text(&e, "grantee"), text(&e, "valid_until"))
                    };
                    match status {
                        "active" | "granted" | "suspended" | "revoked" => {
                            let _ =
                                writeln!(out, "□ {}：{title} {who}，至 {until}，{label}", rs.label);
                            listed += 1;
                        }
                        _ => {}
                    }
                    if status == "revoked" && key == crate::features::access::REGISTER {
                        problems.push(format!(
                            "{title}（{who}）的临时授权已收回，尚未确认在目标系统删除（JSCZ-49）"
                        ));
                    }
                    if status == "active"
                        && date(&e, "valid_until").is_some_and(|d| due::day_end(d) <= now)
                    {
                        problems.push(format!("{title}（{who}）的临时授权已到期仍未收回"));
                    }
                }
            }
            if listed == 0 {
                let _ = writeln!(out, "无。");
            }
            let _ = writeln!(out, "\n二、需要处理的问题");
            if problems.is_empty() {
                let _ = writeln!(out, "未发现。");
            }
            for p in problems {
                let _ = writeln!(out, "□ {p}");
            }
        }
        "log_review" => {
            let scope = pr.scope_for(Action::RoleView);
            let f = yunwei_store::audit::AuditFilter {
                from_us: Some(from),
                to_us: Some(to),
                ..Default::default()
            };
            let recs = yunwei_store::audit::search(&mut c, &scope, &f, 100_000).await?;
            let mut by_action: std::collections::BTreeMap<&str, usize> = Default::default();
            for r in &recs {
                *by_action.entry(r.action.as_str()).or_default() += 1;
            }
            let _ = writeln!(out, "一、操作记录（共 {} 条）", recs.len());
            for (a, n) in &by_action {
                let _ = writeln!(out, "□ {a}：{n} 条");
            }
            let count = |pred: &dyn Fn(&yunwei_domain::audit::AuditRecord) -> bool| {
                recs.iter().filter(|r| pred(r)).count()
            };
            let _ = writeln!(out, "\n二、安全事件");
            let _ = writeln!(
                out,
                "□ 被拒绝的操作：{} 条",
                count(&|r| r.result == "denied")
            );
            let _ = writeln!(
                out,
                "□ 登录失败：{} 条",
                count(&|r| r.action.contains("login") && r.result != "success")
            );
            let _ = writeln!(
                out,
                "□ 导出：{} 次",
                count(&|r| r.action.ends_with("export"))
            );
            let _ = writeln!(
                out,
                "□ 系统、安全、审计管理员的操作：{} 条",
                count(&|r| ["sys_admin", "sec_admin", "aud_admin"]
                    .iter()
                    .any(|a| r.actor_role.contains(a)))
            );
            let _ = writeln!(
                out,
                "\n三、完整性\n□ 运行 yunwei audit verify，审计链校验通过"
            );
        }
        _ => {
            let scope = pr.scope_for(Action::RoleView);
            let _ = writeln!(out, "一、到期事项");
            let filter = yunwei_store::controls::ControlFilter {
                org_path: None,
                kind: None,
                status: yunwei_store::controls::StatusFilter::Overdue,
                now,
                warn_us: due::WARN_US,
                subject_type_not: None,
            };
            let (overdue, total) =
                yunwei_store::controls::list(&mut c, &scope, &filter, 1_000).await?;
            let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
            for o in &overdue {
                *by_kind.entry(due::kind_label(&o.kind)).or_default() += 1;
            }
            let _ = writeln!(out, "□ 已逾期 {total} 项");
            for (k, n) in by_kind {
                let _ = writeln!(out, "  - {k}：{n} 项");
            }
            let vulns = spec_named("vulnerabilities")?;
            let open = store::find(
                &mut c,
                vulns,
                &[("status", Val::Text("open".into()))],
                10_000,
            )
            .await?;
            let _ = writeln!(out, "\n二、漏洞\n□ 待修复 {} 个", open.len());
            for sev in ["critical", "high", "medium", "low"] {
                let n = open.iter().filter(|v| text(v, "severity") == sev).count();
                if n > 0 {
                    let label = vulns
                        .field("severity")
                        .map(|f| f.display(&Val::Text(sev.into())))
                        .unwrap_or_default();
                    let _ = writeln!(out, "  - {label}：{n} 个");
                }
            }
            let soon = now + 30 * 86_400_000_000;
            let ending = yunwei_store::users::expired_grants(&mut c, soon, 10_000).await?;
            let _ = writeln!(out, "\n三、授权\n□ 30 日内到期的授权 {} 项", ending.len());
            let _ = writeln!(
                out,
                "\n四、备份与恢复\n□ 逐一查看备份计划的提示（备份中断、恢复测试超过一年）"
            );
        }
    }
    Ok(out)
}

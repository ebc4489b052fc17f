//! The managed systems' log review (EEDS-3.7.1: 维护人员应定时对操作日志、安全
//! 日志进行审查，对异常事件及时跟进解决，并形成日志审查汇总意见报分管领导及上级部门审核):
//! filed by the maintenance staff over the application, operating-system
//! and database logs (3.7.1.1..3.7.1.3, each required), an abnormal event
//! only with its follow-up; it answers the log reviews due (`reviews`);
//! the deputy director reviews the summary (the step is theirs only, with
//! their opinion), then the higher department's review is recorded with
//! its opinion.

use std::future::ready;

use yunwei_domain::register::{Spec, Step, Val, MAINTAINERS};
use yunwei_domain::AppError;
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{done_ref, invalid, order, text};
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::{Platform, Principal};

pub static RULES: RegisterRules = RegisterRules {
    register: "system_log_reviews",
    check,
    check_filer,
    before_step,
    after_write,
    ..RegisterRules::NONE
};

/// The classes of log 3.7.1.1..3.7.1.3 name: every one reviewed.
const LOG_CLASSES: [&str; 3] = ["app_logs", "os_logs", "db_logs"];

fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    let missing: Vec<&str> = LOG_CLASSES
        .iter()
        .filter(|f| !e.get(f).is_true())
        .filter_map(|f| spec.field(f).map(|f| f.label))
        .collect();
    let result = if !missing.is_empty() {
        Err(invalid(
            "register.log_classes_missing",
            format!(
                "日志审查须覆盖应用系统、操作系统和数据库系统日志（EEDS-3.7.1.1～3.7.1.3），缺少：{}",
                missing.join("；")
            ),
        ))
    } else if !text(e, "abnormal_events").trim().is_empty()
        && text(e, "follow_up").trim().is_empty()
    {
        Err(invalid(
            "register.follow_up_missing",
            "发现异常事件的，须填写跟进解决情况（EEDS-3.7.1：对异常事件及时跟进解决）",
        ))
    } else {
        order(
            e,
            "period_start",
            "period_end",
            "审查期间的结束不能早于开始",
        )
    };
    Box::pin(ready(result))
}

/// The review is the maintenance staff's (维护人员, EEDS-3.7.1).
fn check_filer(_: &'static Spec, _: &EntryRow, pr: &Principal) -> Result<(), AppError> {
    if MAINTAINERS.iter().any(|r| pr.has_role(*r)) {
        Ok(())
    } else {
        let who: Vec<&str> = MAINTAINERS.iter().map(|r| r.label()).collect();
        Err(AppError::forbidden(format!(
            "信息系统日志审查由维护人员（{}）登记（EEDS-3.7.1）",
            who.join("、")
        )))
    }
}

/// The deputy director's and the higher department's review each keep
/// their opinion (the step's note), which they cannot leave out.
fn before_step<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    note: &'a str,
) -> SeamFuture<'a, ()> {
    let field = match step.name {
        "leader_review" => Some(("leader_opinion", "请填写分管领导审核意见")),
        "superior_review" => Some(("superior_opinion", "请填写上级部门审核意见")),
        _ => None,
    };
    let result = match field {
        Some((_, msg)) if note.trim().is_empty() => {
            Err(invalid("register.review_opinion_missing", msg))
        }
        Some((name, _)) => {
            e.values.insert(name, Val::Text(note.trim().to_string()));
            Ok(())
        }
        None => Ok(()),
    };
    Box::pin(ready(result))
}

/// A review filed answers the log reviews due (`reviews`).
fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if let Change::Created = change {
            crate::features::reviews::answered(
                c,
                "system_log_review",
                e,
                (&done_ref(spec, e), p.now_us()),
            )
            .await?;
        }
        Ok(())
    })
}

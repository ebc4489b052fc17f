//! UKEYs of the administrators (JSCZ-53, ADR 0008, ADR 0009): one in use
//! per administrator and per serial, left only by the holder or an
//! administrator of the same role, a loss reissued within three days;
//! whether someone holds one in use.

use std::future::ready;

use yunwei_domain::register::{Spec, Step, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{done_ref, invalid, spec_named, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::{Platform, Principal};

pub static RULES: RegisterRules = RegisterRules {
    register: "ukeys",
    check,
    step_refusal,
    before_step,
    after_write,
    flags,
    ..RegisterRules::NONE
};

fn check<'a>(
    _: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(check_ukey(c, spec, e))
}

/// A UKEY goes to one administrator, who holds at most one in use; a
/// serial is not in use twice (JSCZ-53).
async fn check_ukey(c: &mut DbConn, spec: &Spec, e: &EntryRow) -> Result<(), AppError> {
    use yunwei_domain::roles::Role;
    let holder = text(e, "holder");
    let user = yunwei_store::users::by_username(c, holder)
        .await?
        .ok_or_else(|| invalid("register.ukey_holder", format!("账号「{holder}」不存在")))?;
    let admin = yunwei_store::users::grants_of(c, &user.id)
        .await?
        .iter()
        .filter_map(|g| Role::parse(&g.role))
        .any(|r| r.is_three_admin() || r == Role::VendorAdmin);
    if !admin {
        return Err(invalid(
            "register.ukey_holder",
            format!(
                "「{}」不是管理员，UKEY 只发给系统、安全、审计管理员和第三方系统管理员",
                user.display_name
            ),
        ));
    }
    // The SM2 key the holder logs in with, if given (ADR 0008).
    crate::features::ukey::check_public_key(e)?;
    let in_use = |field: &'static str, value: &str| {
        vec![
            (field, Val::Text(value.to_string())),
            ("status", Val::Text("issued".into())),
        ]
    };
    for (field, value, msg) in [
        (
            "serial",
            text(e, "serial"),
            "该 UKEY 已发给他人在用，请先登记归还或挂失",
        ),
        (
            "holder",
            holder,
            "该管理员已有在用的 UKEY，请先登记归还或挂失",
        ),
    ] {
        let others = store::find(c, spec, &in_use(field, value), 10).await?;
        if others.iter().any(|o| o.id != e.id) {
            return Err(AppError::conflict("register.ukey_in_use", msg));
        }
    }
    Ok(())
}

/// Whether `username` holds a UKEY in use (JSCZ-53).
pub async fn holds_ukey(c: &mut DbConn, username: &str) -> Result<bool, AppError> {
    let ukeys = spec_named("ukeys")?;
    Ok(!store::find(
        c,
        ukeys,
        &[
            ("holder", Val::Text(username.to_string())),
            ("status", Val::Text("issued".into())),
        ],
        1,
    )
    .await?
    .is_empty())
}

fn step_refusal<'a>(
    c: &'a mut DbConn,
    pr: &'a Principal,
    _: &'static Spec,
    step: &'static Step,
    e: &'a EntryRow,
) -> SeamFuture<'a, Option<AppError>> {
    Box::pin(three_admin_step_refusal(c, pr, step, e))
}

/// 三员分立 (ADR 0009): a UKEY of a holder with a 三员 role leaves use
/// (reported lost, returned) only by the holder or an administrator of the
/// same role, since with the UKEY requirement on that takes the holder's
/// administrator duties (JSCZ-53). The refusal to return, if any.
async fn three_admin_step_refusal(
    c: &mut DbConn,
    pr: &Principal,
    step: &Step,
    e: &EntryRow,
) -> Result<Option<AppError>, AppError> {
    if !matches!(step.name, "report_lost" | "return") {
        return Ok(None);
    }
    let holder = text(e, "holder");
    if holder == pr.username {
        return Ok(None);
    }
    let Some(user) = yunwei_store::users::by_username(c, holder).await? else {
        return Ok(None);
    };
    Ok(crate::features::users::three_admin_refusal(
        c,
        Some(pr),
        &user,
        yunwei_domain::roles::AccountAct::Disable,
    )
    .await?
    .map(|e| {
        AppError::new(
            e.kind,
            "register.three_admin_protected",
            "三员分立：不能挂失或收回其他管理员的 UKEY（启用 UKEY 要求时这会取消其管理员职权），请由持有人本人或同类管理员办理",
        )
    }))
}

/// The return date is the day it is returned.
fn before_step<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    _: &'a str,
) -> SeamFuture<'a, ()> {
    if step.name == "return" {
        e.values
            .insert("returned_on", Val::Text(ymd(due::today(p))));
    }
    Box::pin(ready(Ok(())))
}

fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let now = p.now_us();
        let today = due::today(p);
        match change {
            Change::Step(st) if st.name == "report_lost" => {
                // A loss opens the reissue: a new UKEY within the pack's
                // days (JSCZ-53 sets none; the organisation's choice).
                let days = crate::kernel::parameters::int(p, "ukey.reissue_days")?;
                let title = format!("{}（{}）", text(e, "serial"), text(e, "holder"));
                due::ensure_once(
                    c,
                    &subject(spec, e, "ukey_reissue", &title, "JSCZ-53"),
                    due::day_end(today + chrono::Duration::days((days - 1).max(0))),
                    now,
                )
                .await?;
            }
            Change::Created => {
                // A new UKEY answers the reissue of the holder's lost ones.
                let lost = store::find(
                    c,
                    spec,
                    &[
                        ("holder", e.get("holder").clone()),
                        ("status", Val::Text("lost".into())),
                    ],
                    100,
                )
                .await?;
                let done_ref = done_ref(spec, e);
                for old in lost {
                    due::complete_open(
                        c,
                        (spec.key, &old.id),
                        "ukey_reissue",
                        |_| true,
                        usize::MAX,
                        (&done_ref, now),
                    )
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    })
}

fn flags<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let mut out = vec![];
    if text(e, "status") == "lost" {
        out.push("已挂失：持有人在补发前不能以管理员身份操作（JSCZ-53）".to_string());
    }
    Box::pin(ready(Ok(out)))
}

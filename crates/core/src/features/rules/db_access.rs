//! A vendor engineer's access to a database (JSCZ-36): granted to one of
//! the vendor's people for a period, only while an NDA is in force.

use yunwei_domain::register::{Spec, Step};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::ndas::nda_of;
use super::{date, invalid, order, spec_named, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "db_access",
    check,
    before_step,
    flags,
    ..RegisterRules::NONE
};

/// The period in order; the engineer is one of the vendor's people.
fn check<'a>(
    _: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        order(e, "valid_from", "valid_to", "截止日期不能早于生效日期")?;
        let staff = spec_named("vendor_staff")?;
        let person = store::get(c, staff, text(e, "staff_id"))
            .await?
            .ok_or_else(AppError::internal)?;
        if person.org_id != text(e, "vendor_org_id") {
            return Err(invalid(
                "register.staff_vendor",
                format!("「{}」不是该服务厂商的人员", text(&person, "name")),
            ));
        }
        Ok(())
    })
}

/// Access only for an engineer named in an NDA in force (JSCZ-36).
fn before_step<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    step: &'static Step,
    e: &'a mut EntryRow,
    _: &'a str,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if !matches!(step.name, "grant" | "resume") {
            return Ok(());
        }
        let staff = text(e, "staff_id").to_string();
        let (valid, latest) = nda_of(c, &staff, due::today(p)).await?;
        if !valid {
            return Err(AppError::conflict(
                "register.nda_required",
                match latest {
                    Some(d) => format!(
                        "该运维人员的保密协议已于 {} 到期，不能授权访问数据库（JSCZ-36）",
                        ymd(d)
                    ),
                    None => "该运维人员没有签订保密协议，不能授权访问数据库（JSCZ-36）".to_string(),
                },
            ));
        }
        Ok(())
    })
}

fn flags<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    Box::pin(async move {
        let today = due::today(p);
        let mut out = vec![];
        match text(e, "status") {
            "granted" => {
                if date(e, "valid_to").is_some_and(|end| end < today) {
                    out.push("授权已到期，请收回并确认堡垒机账号已删除".to_string());
                }
                let (valid, _) = nda_of(c, text(e, "staff_id"), today).await?;
                if !valid {
                    out.push("保密协议已失效，数据库访问暂停（JSCZ-36）".to_string());
                }
            }
            "suspended" => {
                out.push("保密协议已失效，访问已暂停；续签保密协议后可恢复（JSCZ-36）".to_string());
            }
            _ => {}
        }
        Ok(out)
    })
}

//! Peak periods of the finance business (NTCZ-3.4.2: 加大运维保障力度，增加
//! 驻场服务): a period must add on-site staff to the usual, and while a
//! confirmed period runs, the vendor's staff on site for the purchaser
//! (the vendor staff register) are counted against the
//! commitment and a shortfall is flagged.

use std::future::ready;

use yunwei_domain::register::{Spec, Val};
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{date, invalid, order, spec_named, text};
use crate::kernel::due;
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "peak_periods",
    check,
    flags,
    ..RegisterRules::NONE
};

fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    let usual = e.get("onsite_usual").int().unwrap_or(0);
    let peak = e.get("onsite_peak").int().unwrap_or(0);
    let result =
        order(e, "starts_on", "ends_on", "高峰期结束日期不能早于开始日期").and_then(|()| {
            if peak <= usual {
                Err(invalid(
                    "register.peak_not_increased",
                    format!("高峰期须增加驻场服务：高峰期驻场人数（{peak}）应多于平时（{usual}）"),
                ))
            } else {
                Ok(())
            }
        });
    Box::pin(ready(result))
}

fn flags<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    Box::pin(async move {
        let today = due::today(p);
        let running = matches!((date(e, "starts_on"), date(e, "ends_on")), (Some(a), Some(b)) if a <= today && today <= b);
        if text(e, "status") != "confirmed" || !running {
            return Ok(vec![]);
        }
        let staff = spec_named("vendor_staff")?;
        let on_site = store::find(
            c,
            staff,
            &[
                ("client_org_id", Val::Text(e.org_id.clone())),
                ("presence", Val::Text("on_site".into())),
            ],
            1000,
        )
        .await?
        .into_iter()
        .filter(|s| s.org_id == text(e, "vendor_org_id"))
        .count() as i64;
        let peak = e.get("onsite_peak").int().unwrap_or(0);
        Ok(if on_site < peak {
            vec![format!(
                "高峰期驻场人员不足：厂商人员台账中驻场在岗 {on_site} 人，承诺 {peak} 人（NTCZ-3.4.2）"
            )]
        } else {
            vec![]
        })
    })
}

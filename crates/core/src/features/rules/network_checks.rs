//! Network-security checks (EEDS-3.8.4: 在外网设备上设定病毒与木马拦截，路由管理
//! 帐号禁止透漏给非信息管理人员，设定非工作需求的网络软件禁止联网，禁止非允许的网络设备、
//! 软件连接工程处信息系统): a check holds every one of the four measures
//! confirmed in place or is refused (a measure found missing is fixed
//! first); what was found says how it was fixed.

use std::future::ready;

use yunwei_domain::register::{Kind, Spec};
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{invalid, text};
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "network_checks",
    check,
    ..RegisterRules::NONE
};

/// Every measure of the article (the spec's yes/no fields) confirmed.
fn check<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    let missing: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| matches!(f.kind, Kind::Bool) && !e.get(f.name).is_true())
        .map(|f| f.label)
        .collect();
    let result = if !missing.is_empty() {
        Err(invalid(
            "register.network_check_incomplete",
            format!(
                "网络安全检查须确认 EEDS-3.8.4 的全部措施均已落实（未落实的先整改），未确认：{}",
                missing.join("；")
            ),
        ))
    } else if !text(e, "findings").trim().is_empty() && text(e, "fixes").trim().is_empty() {
        Err(invalid(
            "register.fixes_missing",
            "检查发现问题的，须填写整改措施及结果",
        ))
    } else {
        Ok(())
    };
    Box::pin(ready(result))
}

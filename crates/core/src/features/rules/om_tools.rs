//! O&M tools a vendor wants to use on the finance network (NTCZ-6.3.2:
//! 严格控制运维工具的使用，经过采购人审核后才可接入财政网络进行操作): a tool is
//! flagged until the purchaser approves it, and a rejected one for good.

use std::future::ready;

use yunwei_domain::register::Spec;
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::text;
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "om_tools",
    flags,
    ..RegisterRules::NONE
};

fn flags<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let out = match text(e, "status") {
        "requested" => vec!["未经采购人审核，不得接入财政网络操作（NTCZ-6.3.2）".to_string()],
        "rejected" => vec!["采购人未予通过，不得使用（NTCZ-6.3.2）".to_string()],
        _ => vec![],
    };
    Box::pin(ready(Ok(out)))
}

//! A vendor's people (JSCZ-37, JSCZ-51): flagged without an NDA in force;
//! off site once they leave.

use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::ndas::nda_of;
use super::{set_values, spec_named, text, ymd};
use crate::kernel::due;
use crate::kernel::seams::{RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "vendor_staff",
    // The flag says an expired NDA better than the occurrence.
    covered_kinds: &["nda"],
    flags,
    ..RegisterRules::NONE
};

fn flags<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    Box::pin(async move {
        let mut out = vec![];
        let (valid, latest) = nda_of(c, &e.id, due::today(p)).await?;
        if !valid {
            out.push(match latest {
                Some(to) => format!("保密协议已于 {} 到期（JSCZ-37）", ymd(to)),
                None => "未签订保密协议（JSCZ-37）".to_string(),
            });
        }
        Ok(out)
    })
}

/// A person left (JSCZ-51): their vendor staff entries (by platform
/// account) go off site. Returns how many entries changed.
pub async fn staff_departed(c: &mut DbConn, username: &str, now: i64) -> Result<usize, AppError> {
    let staff = spec_named("vendor_staff")?;
    let rows = store::find(
        c,
        staff,
        &[("username", Val::Text(username.to_string()))],
        100,
    )
    .await?;
    let mut n = 0;
    for e in rows {
        if text(&e, "presence") != "off_site" || text(&e, "post") != "engineer" {
            set_values(
                c,
                staff,
                &e.id,
                &[
                    ("presence", Val::Text("off_site".into())),
                    ("post", Val::Text("engineer".into())),
                ],
                now,
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

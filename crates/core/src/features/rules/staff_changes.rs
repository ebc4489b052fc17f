//! Changes of a vendor's project manager or on-site staff (NTCZ-6.1.7):
//! the people named belong to the vendor and take the change once it is
//! approved.

use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{invalid, set_values, spec_named, text};
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "staff_changes",
    check,
    after_write,
    ..RegisterRules::NONE
};

/// The people the change needs are named, differ, and belong to the
/// vendor named on the request.
fn check<'a>(
    _: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let kind = text(e, "change_kind");
        let leaving = e.get("leaving_id").text();
        let joining = e.get("joining_id").text();
        match kind {
            "pm" | "onsite_in" if joining.is_none() => {
                return Err(invalid("register.staff_change", "请选择接任或进场的人员"))
            }
            "onsite_out" if leaving.is_none() => {
                return Err(invalid("register.staff_change", "请选择离场的人员"))
            }
            _ => {}
        }
        if leaving.is_some() && leaving == joining {
            return Err(invalid("register.staff_change", "离任和接任不能是同一人"));
        }
        // Both people belong to the vendor named on the request.
        let staff = spec_named("vendor_staff")?;
        let vendor = text(e, "vendor_org_id");
        for id in [leaving, joining].into_iter().flatten() {
            let s = store::get(c, staff, id)
                .await?
                .ok_or_else(AppError::internal)?;
            if s.org_id != vendor {
                return Err(invalid(
                    "register.staff_change",
                    format!("「{}」不是该服务厂商的人员", text(&s, "name")),
                ));
            }
        }
        Ok(())
    })
}

fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        match change {
            Change::Step(st) if st.name == "approve" => {
                apply_staff_change(c, e, p.now_us()).await?;
                // A person of the development team leaving the site may
                // leave a contract short of its on-site developer
                // (NTCZ-6.1.4): its project lead is told.
                let leaving = e.get("leaving_id").text().unwrap_or("");
                if text(e, "change_kind") == "onsite_out" {
                    let staff = spec_named("vendor_staff")?;
                    if let Some(s) = store::get(c, staff, leaving).await? {
                        super::vendor_staff::tell_team_shortfall(
                            p,
                            c,
                            &s.org_id,
                            text(&s, "client_org_id"),
                        )
                        .await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    })
}

/// An approved change of project manager or on-site staff takes effect on
/// the people it names (NTCZ-6.1.7).
async fn apply_staff_change(c: &mut DbConn, e: &EntryRow, now: i64) -> Result<(), AppError> {
    let staff = spec_named("vendor_staff")?;
    let leaving = e.get("leaving_id").text().map(str::to_string);
    let joining = e.get("joining_id").text().map(str::to_string);
    let t = |s: &str| Val::Text(s.to_string());
    match text(e, "change_kind") {
        "pm" => {
            if let Some(id) = leaving {
                set_values(c, staff, &id, &[("post", t("engineer"))], now).await?;
            }
            if let Some(id) = joining {
                set_values(c, staff, &id, &[("post", t("pm"))], now).await?;
            }
        }
        "onsite_in" => {
            if let Some(id) = joining {
                let keep_pm = store::get(c, staff, &id)
                    .await?
                    .is_some_and(|s| text(&s, "post") == "pm");
                let mut v = vec![("presence", t("on_site"))];
                if !keep_pm {
                    v.push(("post", t("onsite")));
                }
                set_values(c, staff, &id, &v, now).await?;
            }
        }
        "onsite_out" => {
            if let Some(id) = leaving {
                set_values(c, staff, &id, &[("presence", t("off_site"))], now).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

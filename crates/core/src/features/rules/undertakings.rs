//! Third parties' security undertakings and the accountability records of
//! their people (JSCZ-38, JSCZ-40, JSCZ-44, JSCZ-46, JSCZ-48, JSCZ-51,
//! JSCZ-52, JSCZ-57):
//! an undertaking holds every commitment the text asks of a third party or
//! is refused; an expired one is flagged; an accountability record is
//! notified to the person's organisation, whose keepers are told at once,
//! and closes only with that organisation's handling result.

use std::future::ready;

use yunwei_domain::register::{Spec, Step};
use yunwei_domain::roles::{role_allows, Action, Role};
use yunwei_domain::AppError;
use yunwei_store::registers::EntryRow;
use yunwei_store::DbConn;

use super::{date, invalid, order, text, ymd};
use crate::kernel::due;
use crate::kernel::notify::{notify, Notice};
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::{Platform, Principal};

pub static UNDERTAKINGS: RegisterRules = RegisterRules {
    register: "security_undertakings",
    check: check_undertaking,
    flags: undertaking_flags,
    ..RegisterRules::NONE
};

pub static ACCOUNTABILITY: RegisterRules = RegisterRules {
    register: "accountability_records",
    step_refusal: accountability_step_refusal,
    after_write: accountability_written,
    ..RegisterRules::NONE
};

/// The commitments of an undertaking: every bool field of the spec.
fn commitments(
    spec: &'static Spec,
) -> impl Iterator<Item = &'static yunwei_domain::register::Field> {
    spec.fields
        .iter()
        .filter(|f| matches!(f.kind, yunwei_domain::register::Kind::Bool))
}

/// Every commitment is ticked: an undertaking without one of them is not
/// the one the text asks for.
fn check_undertaking<'a>(
    _: &'a Platform,
    _: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    let missing: Vec<&str> = commitments(spec)
        .filter(|f| !e.get(f.name).is_true())
        .map(|f| f.label)
        .collect();
    let result = if missing.is_empty() {
        order(e, "signed_on", "valid_to", "有效期不能早于签署日期")
    } else {
        Err(invalid(
            "register.undertaking_incomplete",
            format!("安全承诺书须包含全部承诺事项，缺少：{}", missing.join("；")),
        ))
    };
    Box::pin(ready(result))
}

fn undertaking_flags<'a>(
    p: &'a Platform,
    _: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, Vec<String>> {
    let today = due::today(p);
    let out = match date(e, "valid_to") {
        Some(to) if to < today => vec![format!("承诺书已于 {} 到期，请重新签署", ymd(to))],
        _ => vec![],
    };
    Box::pin(ready(Ok(out)))
}

/// A record closes only with the handling result of the person's
/// organisation (JSCZ-57: 通知行为人所属组织进行处理).
fn accountability_step_refusal<'a>(
    _: &'a mut DbConn,
    _: &'a Principal,
    _: &'static Spec,
    step: &'static Step,
    e: &'a EntryRow,
) -> SeamFuture<'a, Option<AppError>> {
    let refusal =
        (step.name == "close" && text(e, "handling_result").trim().is_empty()).then(|| {
            invalid(
                "register.accountability_result_missing",
                "请先填写所属组织处理结果，再办结",
            )
        });
    Box::pin(ready(Ok(refusal)))
}

/// Notified, the third party's register keepers are told at once: it is
/// their turn to handle the person and report the result.
fn accountability_written<'a>(
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
        if st.name != "notify" {
            return Ok(());
        }
        let Some(vendor_path) = e.partner_path.as_deref() else {
            return Ok(());
        };
        let roles: Vec<String> = Role::ALL
            .into_iter()
            .filter(|r| r.is_vendor_side() && role_allows(*r, Action::RegisterEdit))
            .map(|r| r.as_str().to_string())
            .collect();
        let told = yunwei_store::users::holders_covering(c, &roles, vendor_path).await?;
        let breach = spec
            .field("breach")
            .map(|f| f.display(e.get("breach")))
            .unwrap_or_default();
        let measure = spec
            .field("measure")
            .map(|f| f.display(e.get("measure")))
            .unwrap_or_default();
        let link = format!("/registers/{}/{}", spec.key, e.id);
        notify(
            c,
            &told,
            &Notice {
                user_id: "",
                ticket_id: None,
                kind: "accountability_notified",
                title: &format!("请处理本单位人员{}的违规事项", text(e, "person")),
                body: &format!(
                    "违反事项：{breach}；处理措施：{measure}。请处理后向财政部门报告处理结果，由其记入约谈问责记录（JSCZ-57）"
                ),
                at_us: p.now_us(),
                link: Some(&link),
                due_at: None,
            },
        )
        .await
    })
}

//! A vendor's people (JSCZ-37, JSCZ-51, NTCZ-6.1.4): flagged without an
//! NDA in force; off site and out of the team once they leave; the
//! development team serving each contract in force counted against the
//! pack's numbers, a shortfall flagged on the contract and told to the
//! purchaser's project lead when a person leaves the team or its site.

use yunwei_domain::register::{Spec, Val};
use yunwei_domain::roles::Role;
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::ndas::nda_of;
use super::{date, set_values, spec_named, text, ymd};
use crate::kernel::due;
use crate::kernel::notify::{notify, Notice};
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RULES: RegisterRules = RegisterRules {
    register: "vendor_staff",
    // The flag says an expired NDA better than the occurrence.
    covered_kinds: &["nda"],
    after_write,
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
        if let Some(left) = date(e, "left_on") {
            out.push(format!("已于 {} 离开", ymd(left)));
            return Ok(out);
        }
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

/// A person of the development team who is no longer counted for their
/// client (unmarked, moved to another client) leaves a shortfall that the
/// client's project lead is told of.
fn after_write<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let Change::Updated(old) = change else {
            return Ok(());
        };
        let client = text(old, "client_org_id");
        if in_team(old) && (!in_team(e) || text(e, "client_org_id") != client) {
            tell_team_shortfall(p, c, &old.org_id, client).await?;
        }
        Ok(())
    })
}

/// A person left (JSCZ-51): their vendor staff entries (by platform
/// account) go off site and out of the development team, and the project
/// leads of the contracts left short are told (NTCZ-6.1.4). Returns how
/// many entries were marked off site.
pub async fn staff_departed(
    p: &Platform,
    c: &mut DbConn,
    username: &str,
    now: i64,
) -> Result<usize, AppError> {
    let staff = spec_named("vendor_staff")?;
    let rows = store::find(
        c,
        staff,
        &[("username", Val::Text(username.to_string()))],
        100,
    )
    .await?;
    let today = ymd(due::today(p));
    let mut n = 0;
    for e in rows {
        let moved = text(&e, "presence") != "off_site" || text(&e, "post") != "engineer";
        let leaves = e.get("left_on").text().is_none();
        if !moved && !leaves {
            continue;
        }
        let mut values = vec![
            ("presence", Val::Text("off_site".into())),
            ("post", Val::Text("engineer".into())),
        ];
        if leaves {
            values.push(("left_on", Val::Text(today.clone())));
        }
        set_values(c, staff, &e.id, &values, now).await?;
        if moved {
            n += 1;
        }
        if in_team(&e) {
            tell_team_shortfall(p, c, &e.org_id, text(&e, "client_org_id")).await?;
        }
    }
    Ok(n)
}

// ---- the development team (NTCZ-6.1.4) ----

/// Counted in the development team: marked as such and not left.
fn in_team(e: &EntryRow) -> bool {
    e.get("developer").is_true() && e.get("left_on").text().is_none()
}

/// The loaded packs' (least developers, least of them on site), None when
/// no loaded pack sets them (the requirement is a tender's, NTCZ-6.1.4).
fn team_minimum(p: &Platform) -> Option<(i64, i64)> {
    let int = |key: &str| crate::kernel::parameters::int(p, key).ok();
    Some((
        int("dev_team.min_developers")?,
        int("dev_team.min_on_site")?,
    ))
}

/// The shortfall of the development team serving contract `contract`
/// while it is in force (NTCZ-6.1.4 「组建至少4人的开发服务团队，至少1人进行
/// 驻场运维服务，且具备相应开发能力」): the vendor's people serving the
/// contract's organisation marked as of the development team and not
/// left, and those of them on site, against the pack's numbers. None when
/// the team is complete, the contract is not in force, or no loaded pack
/// sets the numbers.
pub async fn team_shortfall(
    p: &Platform,
    c: &mut DbConn,
    contract: &EntryRow,
) -> Result<Option<String>, AppError> {
    let Some((min_dev, min_on_site)) = team_minimum(p) else {
        return Ok(None);
    };
    let today = due::today(p);
    let in_force = matches!(
        (date(contract, "starts_on"), date(contract, "ends_on")),
        (Some(a), Some(b)) if a <= today && today <= b
    );
    if !in_force {
        return Ok(None);
    }
    let staff = spec_named("vendor_staff")?;
    let vendor = text(contract, "vendor_org_id");
    let team: Vec<EntryRow> = store::find(
        c,
        staff,
        &[
            ("client_org_id", Val::Text(contract.org_id.clone())),
            ("developer", Val::Int(1)),
        ],
        10_000,
    )
    .await?
    .into_iter()
    .filter(|s| s.org_id == vendor && in_team(s))
    .collect();
    let developers = team.len() as i64;
    let on_site = team
        .iter()
        .filter(|s| text(s, "presence") == "on_site")
        .count() as i64;
    Ok((developers < min_dev || on_site < min_on_site).then(|| {
        format!(
            "开发服务团队不足：厂商人员台账中开发服务团队 {developers} 人（应至少 {min_dev} 人），其中驻场 {on_site} 人（应至少 {min_on_site} 人）（NTCZ-6.1.4）"
        )
    }))
}

/// Tells the project leads over each contract in force of `vendor` with
/// `client` whose development team is now short (NTCZ-6.1.4): the text is
/// a requirement on the vendor, so the person's leaving is not refused;
/// the shortfall is shown on the contract and its project lead told.
pub async fn tell_team_shortfall(
    p: &Platform,
    c: &mut DbConn,
    vendor: &str,
    client: &str,
) -> Result<(), AppError> {
    if team_minimum(p).is_none() {
        return Ok(());
    }
    let contracts = spec_named("vendor_contracts")?;
    let rows = store::find(
        c,
        contracts,
        &[("vendor_org_id", Val::Text(vendor.to_string()))],
        10_000,
    )
    .await?;
    for k in rows.iter().filter(|k| k.org_id == client) {
        let Some(short) = team_shortfall(p, c, k).await? else {
            continue;
        };
        let leads = yunwei_store::users::holders_covering(
            c,
            &[Role::ProjectLead.as_str().to_string()],
            &k.org_path,
        )
        .await?;
        let link = format!("/registers/{}/{}", contracts.key, k.id);
        notify(
            c,
            &leads,
            &Notice {
                user_id: "",
                ticket_id: None,
                kind: "dev_team_shortfall",
                title: &format!("合同「{}」开发服务团队人员不足", text(k, "name")),
                body: &format!("{short}。请督促服务厂商补足人员。"),
                at_us: p.now_us(),
                link: Some(&link),
                due_at: None,
            },
        )
        .await?;
    }
    Ok(())
}

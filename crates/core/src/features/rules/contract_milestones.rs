//! The milestones of a vendor's contract (issue 16): its renewals after
//! the purchaser's assessment (NTCZ-5.1), the expert panel's acceptance
//! (NTCZ-7) and the two payments, each due on working days (NTCZ-8).
//!
//! The numbers are parameters of the pack that cites these articles
//! (`vendor_contract.*`, ADR 0018): a key names one parameter across the
//! loaded packs, so the rules ask by key; a deployment without that pack
//! answers `parameters.missing` rather than guess a number.
//!
//! Money is exact: amounts are parsed as decimal yuan with at most two
//! decimals and computed in fen (integers). The first payment is the
//! contract amount times the pack's percentage, rounded DOWN to the fen;
//! the final payment is the rest, so the two always add up to the amount
//! and an odd fen falls in the final payment (1,000.01 元 at 50 %: 500.00
//! then 500.01).

use chrono::{Months, NaiveDate};
use yunwei_domain::policy::model::{fen_to_money, money_to_fen, parse_money};
use yunwei_domain::register::{Spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use super::{date, done_ref, invalid, set_values, spec_named, subject, text, ymd};
use crate::kernel::due;
use crate::kernel::parameters;
use crate::kernel::seams::{Change, RegisterRules, SeamFuture};
use crate::Platform;

pub static RENEWALS: RegisterRules = RegisterRules {
    register: "contract_renewals",
    check: check_renewal,
    after_write: renewal_written,
    ..RegisterRules::NONE
};

pub static ACCEPTANCES: RegisterRules = RegisterRules {
    register: "contract_acceptances",
    check: check_acceptance,
    after_write: acceptance_written,
    ..RegisterRules::NONE
};

pub static PAYMENTS: RegisterRules = RegisterRules {
    register: "contract_payments",
    derive: derive_payment,
    check: check_payment,
    after_write: payment_written,
    ..RegisterRules::NONE
};

/// The occurrence of the first payment (NTCZ-8), on the contract.
pub const FIRST_PAYMENT: &str = "contract_first_payment";
/// The occurrence of the final payment (NTCZ-8), on the contract.
pub const FINAL_PAYMENT: &str = "contract_final_payment";

const CONTRACTS: &str = "vendor_contracts";

fn contract_id(e: &EntryRow) -> &str {
    e.parent_id.as_deref().unwrap_or("")
}

fn of_contract(e: &EntryRow) -> [(&'static str, Val); 1] {
    [("contract_id", Val::Text(contract_id(e).to_string()))]
}

/// An amount field in yuan, normalised to two decimals, or a refusal
/// naming the field.
fn money_field(spec: &Spec, e: &mut EntryRow, name: &str) -> Result<(), AppError> {
    let Some(raw) = e.get(name).text().map(str::to_string) else {
        return Ok(());
    };
    let label = spec.field(name).map_or(name, |f| f.label);
    let d = parse_money(&raw).ok_or_else(|| {
        invalid(
            "register.field_invalid",
            format!("{label}：「{raw}」不是有效金额，应为元，最多两位小数，如 1200000.00"),
        )
    })?;
    let name = spec.field(name).ok_or_else(AppError::internal)?.name;
    e.values
        .insert(name, Val::Text(fen_to_money(money_to_fen(d)).to_string()));
    Ok(())
}

/// The contract's amount, normalised (NTCZ-8 computes the payments from
/// it).
pub(super) fn derive_contract(
    _: &Platform,
    spec: &'static Spec,
    e: &mut EntryRow,
) -> Result<(), AppError> {
    money_field(spec, e, "contract_value")
}

fn amount_fen(e: &EntryRow, name: &str) -> Option<i64> {
    e.get(name).text().and_then(parse_money).map(money_to_fen)
}

/// The two payments of an amount: the first `percent` of it rounded down
/// to the fen, the final the rest (NTCZ-8; exact in integers).
pub fn payment_shares(total_fen: i64, percent: i64) -> (i64, i64) {
    let first = (i128::from(total_fen) * i128::from(percent.clamp(0, 100)) / 100) as i64;
    (first, total_fen - first)
}

async fn contract_of(c: &mut DbConn, e: &EntryRow, lock: bool) -> Result<EntryRow, AppError> {
    let contracts = spec_named(CONTRACTS)?;
    let found = if lock {
        store::get_for_update(c, contracts, contract_id(e)).await?
    } else {
        store::get(c, contracts, contract_id(e)).await?
    };
    found.ok_or_else(|| AppError::not_found(contracts.label))
}

// ---- renewals (NTCZ-5.1) ----

fn check_renewal<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(renewal_allowed(p, c, spec, e))
}

/// NTCZ-5.1 「采购人考核合格的，可续签合同，合同一年一签，续签不超过两次」: the
/// purchaser's assessment passed, a term after the current one of at most
/// `vendor_contract.renewal.max_months`, and at most
/// `vendor_contract.renewal.max_count` renewals. The contract is held
/// (row lock) while the renewals are counted, so renewals filed at once
/// are counted one after the other and never pass the limit together.
async fn renewal_allowed(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
) -> Result<(), AppError> {
    let contract = contract_of(c, e, true).await?;
    if text(e, "assessment_result") != "passed" {
        return Err(invalid(
            "register.renewal_needs_assessment",
            "采购人考核合格的方可续签合同（NTCZ-5.1）",
        ));
    }
    let max = parameters::int(p, "vendor_contract.renewal.max_count")?;
    let done = store::find(c, spec, &of_contract(e), 1_000)
        .await?
        .iter()
        .filter(|r| r.id != e.id)
        .count() as i64;
    if done >= max {
        return Err(AppError::conflict(
            "register.renewals_exhausted",
            format!("续签不超过{max}次：该合同已续签{done}次，不能再续签（NTCZ-5.1）"),
        ));
    }
    let (Some(start), Some(end)) = (date(e, "starts_on"), date(e, "ends_on")) else {
        return Err(AppError::internal());
    };
    if end < start {
        return Err(invalid(
            "register.dates_reversed",
            "续签服务结束不能早于开始",
        ));
    }
    if let Some(current) = date(&contract, "ends_on") {
        if start <= current {
            return Err(invalid(
                "register.renewal_overlaps",
                format!("续签服务应在原服务期满（{}）后开始", ymd(current)),
            ));
        }
    }
    let months = parameters::int(p, "vendor_contract.renewal.max_months")?;
    let last = start
        .checked_add_months(Months::new(u32::try_from(months).unwrap_or(0)))
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX);
    if end > last {
        return Err(invalid(
            "register.renewal_too_long",
            format!(
                "合同一年一签：续签服务期限不超过{months}个月，应不晚于 {}（NTCZ-5.1）",
                ymd(last)
            ),
        ));
    }
    Ok(())
}

/// A renewal extends the contract to its end and counts on it; the
/// contract's reports roll on through the new term.
fn renewal_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        let Change::Created = change else {
            return Ok(());
        };
        let count = store::find(c, spec, &of_contract(e), 1_000).await?.len() as i64;
        set_values(
            c,
            spec_named(CONTRACTS)?,
            contract_id(e),
            &[
                ("ends_on", e.get("ends_on").clone()),
                ("renewals", Val::Int(count)),
            ],
            p.now_us(),
        )
        .await
    })
}

// ---- acceptance (NTCZ-7) ----

fn check_acceptance<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(acceptance_allowed(p, c, spec, e))
}

/// NTCZ-7 「邀请专家成立验收小组……并出具验收意见」: a panel of at least
/// `vendor_contract.acceptance.min_experts` experts (one a line) and its
/// opinion; a contract accepted once is not accepted again.
async fn acceptance_allowed(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
) -> Result<(), AppError> {
    contract_of(c, e, true).await?;
    let min = parameters::int(p, "vendor_contract.acceptance.min_experts")?;
    let experts = text(e, "panel")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as i64;
    if experts < min {
        return Err(invalid(
            "register.acceptance_panel",
            format!("验收小组应由邀请的专家组成，至少{min}人，每行填写一人（NTCZ-7）"),
        ));
    }
    let passed = store::find(c, spec, &of_contract(e), 100).await?;
    if passed
        .iter()
        .any(|a| a.id != e.id && text(a, "verdict") == "passed")
    {
        return Err(AppError::conflict(
            "register.acceptance_recorded",
            "该合同已验收合格，不能重复验收",
        ));
    }
    Ok(())
}

/// A passed acceptance lets the final payment fall due (NTCZ-8).
fn acceptance_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    _: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if matches!(change, Change::Created) && text(e, "verdict") == "passed" {
            let contract = contract_of(c, e, false).await?;
            schedule_payments(p, c, &contract).await?;
        }
        Ok(())
    })
}

/// The day of the contract's passed acceptance, if any.
async fn accepted_on(c: &mut DbConn, contract: &EntryRow) -> Result<Option<NaiveDate>, AppError> {
    let acceptances = spec_named("contract_acceptances")?;
    Ok(store::find(
        c,
        acceptances,
        &[
            ("contract_id", Val::Text(contract.id.clone())),
            ("verdict", Val::Text("passed".into())),
        ],
        1,
    )
    .await?
    .first()
    .and_then(|a| date(a, "accepted_on")))
}

// ---- payments (NTCZ-8) ----

/// The occurrences of the payments not yet made: the first due
/// `vendor_contract.first_payment.working_days` working days after the
/// signing, the final as many after the passed acceptance (on the
/// platform's holiday calendar), each by the end of that day, on the
/// contract. One still open (overdue) is kept; a paid one is not asked
/// again. Run in the caller's transaction when the contract is filed or
/// amended and when an acceptance passes.
pub(super) async fn schedule_payments(
    p: &Platform,
    c: &mut DbConn,
    contract: &EntryRow,
) -> Result<(), AppError> {
    let spec = spec_named(CONTRACTS)?;
    let payments = store::find(
        c,
        spec_named("contract_payments")?,
        &[("contract_id", Val::Text(contract.id.clone()))],
        10,
    )
    .await?;
    let controls = yunwei_store::controls::of_subject(c, spec.key, &contract.id, 500).await?;
    let owed = |milestone: &str, kind: &str| {
        !payments.iter().any(|x| text(x, "milestone") == milestone)
            && !controls
                .iter()
                .any(|ctl| ctl.kind == kind && ctl.done_at.is_none())
    };
    let due_first = date(contract, "signed_on")
        .filter(|_| owed("first", FIRST_PAYMENT))
        .map(|d| {
            (
                d,
                FIRST_PAYMENT,
                "vendor_contract.first_payment.working_days",
            )
        });
    let due_final = match accepted_on(c, contract).await? {
        Some(d) if owed("final", FINAL_PAYMENT) => Some((
            d,
            FINAL_PAYMENT,
            "vendor_contract.final_payment.working_days",
        )),
        _ => None,
    };
    if due_first.is_none() && due_final.is_none() {
        return Ok(());
    }
    let cal = crate::kernel::calendar::snapshot_with(c).await?.calendar;
    let title = crate::registers::title_of(spec, contract);
    for (from, kind, key) in due_first.into_iter().chain(due_final) {
        let n = u32::try_from(parameters::int(p, key)?).unwrap_or(0);
        let last = cal.add_workdays(from, n).value;
        due::ensure_once(
            c,
            &subject(spec, contract, kind, &title, "NTCZ-8"),
            due::day_end(last),
            p.now_us(),
        )
        .await?;
    }
    Ok(())
}

fn derive_payment(_: &Platform, spec: &'static Spec, e: &mut EntryRow) -> Result<(), AppError> {
    money_field(spec, e, "paid_amount")
}

fn check_payment<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
) -> SeamFuture<'a, ()> {
    Box::pin(payment_allowed(p, c, spec, e))
}

/// NTCZ-8 with NTCZ-7: each payment once; the final one only after the
/// expert panel's passed acceptance and not before its day; the amount
/// the contract's share of it, to the fen.
async fn payment_allowed(
    p: &Platform,
    c: &mut DbConn,
    spec: &Spec,
    e: &EntryRow,
) -> Result<(), AppError> {
    let contract = contract_of(c, e, true).await?;
    let milestone = text(e, "milestone");
    let label = spec
        .field("milestone")
        .map(|f| f.display(e.get("milestone")))
        .unwrap_or_default();
    if store::find(c, spec, &of_contract(e), 10)
        .await?
        .iter()
        .any(|x| x.id != e.id && text(x, "milestone") == milestone)
    {
        return Err(AppError::conflict(
            "register.payment_recorded",
            format!("该合同的{label}已登记"),
        ));
    }
    let paid_on = date(e, "paid_on");
    let not_before = if milestone == "final" {
        let Some(accepted) = accepted_on(c, &contract).await? else {
            return Err(AppError::conflict(
                "register.acceptance_required",
                "剩余合同款须在合同期满、专家验收小组验收合格后支付，请先登记验收合格的合同验收（NTCZ-7、NTCZ-8）",
            ));
        };
        Some(accepted)
    } else {
        date(&contract, "signed_on")
    };
    if let (Some(paid), Some(from)) = (paid_on, not_before) {
        if paid < from {
            return Err(invalid(
                "register.payment_too_early",
                format!("{label}的支付日期不能早于 {}", ymd(from)),
            ));
        }
    }
    if let (Some(total), Some(paid)) = (
        amount_fen(&contract, "contract_value"),
        amount_fen(e, "paid_amount"),
    ) {
        let percent = parameters::int(p, "vendor_contract.first_payment.percent")?;
        let (first, last) = payment_shares(total, percent);
        let want = if milestone == "final" { last } else { first };
        if paid != want {
            return Err(invalid(
                "register.payment_amount",
                format!(
                    "{label}应为 {} 元（合同金额 {} 元，首笔 {percent}% 按分向下取整，剩余为差额）",
                    fen_to_money(want),
                    fen_to_money(total)
                ),
            ));
        }
    }
    Ok(())
}

/// A recorded payment answers its occurrence on the contract.
fn payment_written<'a>(
    p: &'a Platform,
    c: &'a mut DbConn,
    spec: &'static Spec,
    e: &'a EntryRow,
    change: Change<'a>,
) -> SeamFuture<'a, ()> {
    Box::pin(async move {
        if !matches!(change, Change::Created) {
            return Ok(());
        }
        let kind = if text(e, "milestone") == "final" {
            FINAL_PAYMENT
        } else {
            FIRST_PAYMENT
        };
        due::complete_open(
            c,
            (CONTRACTS, contract_id(e)),
            kind,
            |_| true,
            1,
            (&done_ref(spec, e), p.now_us()),
        )
        .await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::payment_shares;

    #[test]
    fn ntcz_8_shares_add_up_and_the_odd_fen_goes_last() {
        assert_eq!(payment_shares(100_001, 50), (50_000, 50_001));
        assert_eq!(payment_shares(120_000_000, 50), (60_000_000, 60_000_000));
        assert_eq!(payment_shares(1, 50), (0, 1));
        assert_eq!(
            payment_shares(99_999_999_999_999, 50).0 * 2 + 1,
            99_999_999_999_999
        );
    }
}

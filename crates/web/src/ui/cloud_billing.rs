//! The government cloud's bills, evaluations and settlement pages (issue
//! 14 items 5 and 7): 云服务账单 (the months of a platform, computing a
//! month, a bill grouped by settling department, payer and unit with its
//! reductions, verification, sending to finance, Excel and PDF), 服务考评
//! (the contract's weights and bands, a quarter's scores, confirmation)
//! and 年度结算. Every check is in `yunwei_core::features::cloud`; a
//! refused form comes back on its page with the message.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::BTreeMap;
use yunwei_core::features::cloud::billing::{self, NewAdjustment, RunSummary, RunView};
use yunwei_core::features::cloud::evaluation::{
    self, Band, EvaluationInput, EvaluationView, SchemeInput, SchemeView, SettlementView,
};
use yunwei_domain::cloud::Payer;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{urlencoding, UiForm};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::{Query, ReqCtx};
use crate::AppState;

fn managers(u: &UiUser) -> Result<(), AppError> {
    u.principal
        .authorize_somewhere(Action::CloudManage)
        .map(|_| ())
}

struct Choice {
    id: String,
    name: String,
    selected: bool,
}

/// The platforms the caller sees and the one chosen (the first when none).
async fn choose(
    s: &AppState,
    u: &UiUser,
    wanted: &str,
) -> Result<(Vec<Choice>, Option<String>), AppError> {
    let all = billing::platform_choices(&s.platform, &u.principal).await?;
    chosen_of(all, wanted)
}

/// As [`choose`], among the platforms the caller evaluates and settles.
async fn choose_city(
    s: &AppState,
    u: &UiUser,
    wanted: &str,
) -> Result<(Vec<Choice>, Option<String>), AppError> {
    let all = billing::city_platform_choices(&s.platform, &u.principal).await?;
    chosen_of(all, wanted)
}

fn chosen_of(
    all: Vec<(String, String)>,
    wanted: &str,
) -> Result<(Vec<Choice>, Option<String>), AppError> {
    let chosen = all
        .iter()
        .find(|(id, _)| id == wanted.trim())
        .or(all.first())
        .map(|(id, _)| id.clone());
    Ok((
        all.into_iter()
            .map(|(id, name)| Choice {
                selected: Some(&id) == chosen.as_ref(),
                id,
                name,
            })
            .collect(),
        chosen,
    ))
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "computed" => "账单已计算",
            "year" => "已计算全年账单（已核实或已报送的月份保持不变）",
            "adjusted" => "核减已记录",
            "verified" => "已核实",
            "sent" => "账单已报送财政",
            "scheme" => "考评办法已保存",
            "saved" => "考评得分已保存",
            "confirmed" => "已确认",
            _ => return None,
        }
        .to_string(),
    )
}

// ------------------------------------------------------------ bills

#[derive(Deserialize, Default)]
pub(super) struct BillsQuery {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    msg: String,
}

#[derive(Template)]
#[template(path = "cloud_bills.html")]
struct BillsTpl {
    l: Layout,
    platforms: Vec<Choice>,
    platform_id: String,
    month: String,
    year: String,
    runs: Vec<RunSummary>,
    can_compute: bool,
}

async fn bills_view(s: &AppState, u: &UiUser, q: BillsQuery, error: Option<&AppError>) -> Page {
    managers(u)?;
    let (platforms, chosen) = choose(s, u, &q.platform_id).await?;
    let runs = match &chosen {
        Some(id) => billing::runs(&s.platform, &u.principal, id).await?,
        None => vec![],
    };
    let can_compute = chosen.is_some()
        && u.principal
            .has_role(yunwei_domain::roles::Role::CloudManager);
    let page = render(&BillsTpl {
        l: Layout::for_user(u, "/cloud/bills")
            .with(notice_of(&q.msg), error.map(|e| e.message.clone())),
        platforms,
        platform_id: chosen.unwrap_or_default(),
        month: q.month,
        year: if q.year.is_empty() {
            yunwei_domain::time::date_in_shanghai(s.platform.clock.now())
                .format("%Y")
                .to_string()
        } else {
            q.year
        },
        runs,
        can_compute,
    });
    with_error(page, error)
}

pub(super) async fn bills(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<BillsQuery>,
) -> Page {
    bills_view(&s, &u, q, None).await
}

#[derive(Deserialize, Default)]
pub(super) struct ComputeForm {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    month: String,
}

pub(super) async fn compute(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ComputeForm>,
) -> Page {
    managers(&u)?;
    match billing::compute(&s.platform, &ctx, &u.principal, &f.platform_id, &f.month).await {
        Ok(run) => Ok(Redirect::to(&format!(
            "/cloud/bills/{}?msg=computed",
            urlencoding(&run.id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let q = BillsQuery {
                platform_id: f.platform_id,
                month: f.month,
                ..Default::default()
            };
            bills_view(&s, &u, q, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct ComputeYearForm {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    year: String,
}

/// 计算全年账单: every ended month of the year not yet verified.
pub(super) async fn compute_year(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ComputeYearForm>,
) -> Page {
    managers(&u)?;
    let result = match f.year.trim().parse::<i32>() {
        Ok(year) => {
            billing::compute_year(&s.platform, &ctx, &u.principal, &f.platform_id, year).await
        }
        Err(_) => Err(AppError::bad_request(
            "cloud_bill.year",
            "年度应为四位数字，例如 2025",
        )),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/bills?platform_id={}&msg=year",
            urlencoding(&f.platform_id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let q = BillsQuery {
                platform_id: f.platform_id,
                year: f.year,
                ..Default::default()
            };
            bills_view(&s, &u, q, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

struct Opt {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "cloud_bill.html")]
struct BillTpl {
    l: Layout,
    v: RunView,
    computed: String,
    /// Units a reduction may name: (unit id, name).
    units: Vec<Opt>,
    payers: Vec<Opt>,
    can_adjust: bool,
    f: AdjustForm,
}

#[derive(Deserialize, Default)]
pub(super) struct AdjustForm {
    #[serde(default)]
    unit_org_id: String,
    #[serde(default)]
    payer: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    reason: String,
}

async fn bill_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
    f: AdjustForm,
) -> Page {
    managers(u)?;
    let v = billing::get(&s.platform, &u.principal, id).await?;
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    for part in v.parts.iter().filter(|p| p.can_adjust) {
        for g in &part.payers {
            for un in &g.units {
                units.insert(un.unit_org_id.clone(), un.unit_name.clone());
            }
        }
    }
    let mut units: Vec<Opt> = units
        .into_iter()
        .map(|(value, label)| Opt { value, label })
        .collect();
    units.sort_by(|a, b| a.label.cmp(&b.label));
    let page = render(&BillTpl {
        l: Layout::for_user(u, "/cloud/bills").with(notice, error.map(|e| e.message.clone())),
        computed: yunwei_domain::time::fmt_minute(v.run.computed_at),
        can_adjust: !units.is_empty(),
        units,
        payers: Payer::ALL
            .iter()
            .map(|p| Opt {
                value: p.as_str().into(),
                label: p.label().into(),
            })
            .collect(),
        v,
        f,
    });
    with_error(page, error)
}

#[derive(Deserialize, Default)]
pub(super) struct MsgQuery {
    #[serde(default)]
    msg: String,
}

pub(super) async fn bill(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Page {
    bill_view(&s, &u, &id, notice_of(&q.msg), None, AdjustForm::default()).await
}

fn back(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/cloud/bills/{}?msg={msg}", urlencoding(id))).into_response())
}

pub(super) async fn adjust(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<AdjustForm>,
) -> Page {
    managers(&u)?;
    let input = NewAdjustment {
        unit_org_id: f.unit_org_id.clone(),
        system_id: String::new(),
        payer: f.payer.clone(),
        kind: f.kind.clone(),
        amount: f.amount.clone(),
        rate: f.rate.clone(),
        reason: f.reason.clone(),
    };
    match billing::adjust(&s.platform, &ctx, &u.principal, &id, &input).await {
        Ok(_) => back(&id, "adjusted"),
        Err(e) if correctable(&e) => bill_view(&s, &u, &id, None, Some(&e), f).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct VerifyForm {
    #[serde(default)]
    settler_org_id: String,
}

pub(super) async fn verify(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<VerifyForm>,
) -> Page {
    managers(&u)?;
    match billing::verify(&s.platform, &ctx, &u.principal, &id, &f.settler_org_id).await {
        Ok(_) => back(&id, "verified"),
        Err(e) if correctable(&e) => {
            bill_view(&s, &u, &id, None, Some(&e), AdjustForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Empty {}

pub(super) async fn send(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(_): UiForm<Empty>,
) -> Page {
    managers(&u)?;
    match billing::send(&s.platform, &ctx, &u.principal, &id).await {
        Ok(_) => back(&id, "sent"),
        Err(e) if correctable(&e) => {
            bill_view(&s, &u, &id, None, Some(&e), AdjustForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The verified bill as Excel (audited in the use case).
pub(super) async fn excel(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    managers(&u)?;
    let bytes = billing::excel(&s.platform, &ctx, &u.principal, &id).await?;
    Ok(crate::api::xlsx("cloud-bill.xlsx", bytes))
}

/// The printable statement (audited in the use case).
pub(super) async fn pdf(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    managers(&u)?;
    let bytes = billing::pdf(&s.platform, &ctx, &u.principal, &id).await?;
    Ok(crate::api::pdf::pdf_response(
        "cloud-bill-statement.pdf",
        bytes,
    ))
}

// -------------------------------------------------------- evaluation

#[derive(Deserialize, Default)]
pub(super) struct EvalQuery {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    msg: String,
}

struct SchemeBlock {
    s: SchemeView,
    /// Band rows to fill: the saved ones and blank ones up to five.
    bands: Vec<Band>,
}

#[derive(Template)]
#[template(path = "cloud_evaluations.html")]
struct EvalTpl {
    l: Layout,
    platforms: Vec<Choice>,
    platform_id: String,
    quarter: String,
    schemes: Vec<SchemeBlock>,
    evaluations: Vec<EvaluationView>,
}

fn default_quarter(s: &AppState) -> String {
    use chrono::Datelike;
    let d = yunwei_domain::time::date_in_shanghai(s.platform.clock.now());
    // The quarter that ended last.
    let q = (d.month() - 1) / 3;
    if q == 0 {
        format!("{}-Q4", d.year() - 1)
    } else {
        format!("{}-Q{q}", d.year())
    }
}

async fn eval_view(s: &AppState, u: &UiUser, q: EvalQuery, error: Option<&AppError>) -> Page {
    managers(u)?;
    let (platforms, chosen) = choose_city(s, u, &q.platform_id).await?;
    let mut schemes = Vec::new();
    let mut evaluations = Vec::new();
    if let Some(id) = &chosen {
        for role in [evaluation::PROVIDER, evaluation::MONITOR] {
            let sv = evaluation::scheme(&s.platform, &u.principal, id, role).await?;
            let mut bands: Vec<Band> = sv
                .bands_text
                .iter()
                .map(|(m, d)| Band {
                    min_score: m.clone(),
                    deduction: d.trim_end_matches('%').to_string(),
                })
                .collect();
            while bands.len() < 5 {
                bands.push(Band::default());
            }
            schemes.push(SchemeBlock { s: sv, bands });
        }
        evaluations = evaluation::list(&s.platform, &u.principal, id).await?;
    }
    let quarter = if q.quarter.trim().is_empty() {
        default_quarter(s)
    } else {
        q.quarter.clone()
    };
    let page = render(&EvalTpl {
        l: Layout::for_user(u, "/cloud/evaluations")
            .with(notice_of(&q.msg), error.map(|e| e.message.clone())),
        platforms,
        platform_id: chosen.unwrap_or_default(),
        quarter,
        schemes,
        evaluations,
    });
    with_error(page, error)
}

pub(super) async fn evaluations(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<EvalQuery>,
) -> Page {
    eval_view(&s, &u, q, None).await
}

fn back_eval(platform_id: &str, quarter: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!(
        "/cloud/evaluations?platform_id={}&quarter={}&msg={msg}",
        urlencoding(platform_id),
        urlencoding(quarter)
    ))
    .into_response())
}

/// A form whose fields are `w_<indicator>`, `s_<indicator>`, `min_<n>`,
/// `ded_<n>` and the named ones.
type Fields = BTreeMap<String, String>;

fn field(f: &Fields, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

pub(super) async fn save_scheme(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<Fields>,
) -> Page {
    managers(&u)?;
    let platform_id = field(&f, "platform_id");
    let role = field(&f, "vendor_role");
    let input = SchemeInput {
        weights: f
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("w_").map(|id| (id.to_string(), v.clone())))
            .collect(),
        bands: (0..10)
            .map(|i| Band {
                min_score: field(&f, &format!("min_{i}")),
                deduction: field(&f, &format!("ded_{i}")),
            })
            .collect(),
    };
    match evaluation::set_scheme(&s.platform, &ctx, &u.principal, &platform_id, &role, &input).await
    {
        Ok(_) => back_eval(&platform_id, &field(&f, "quarter"), "scheme"),
        Err(e) if correctable(&e) => {
            let q = EvalQuery {
                platform_id,
                quarter: field(&f, "quarter"),
                msg: String::new(),
            };
            eval_view(&s, &u, q, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn save_scores(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<Fields>,
) -> Page {
    managers(&u)?;
    let platform_id = field(&f, "platform_id");
    let input = EvaluationInput {
        quarter: field(&f, "quarter"),
        vendor_role: field(&f, "vendor_role"),
        scores: f
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("s_").map(|id| (id.to_string(), v.clone())))
            .collect(),
        note: field(&f, "note"),
    };
    match evaluation::save(&s.platform, &ctx, &u.principal, &platform_id, &input).await {
        Ok(_) => back_eval(&platform_id, &input.quarter, "saved"),
        Err(e) if correctable(&e) => {
            let q = EvalQuery {
                platform_id,
                quarter: input.quarter,
                msg: String::new(),
            };
            eval_view(&s, &u, q, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn confirm_evaluation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<Fields>,
) -> Page {
    managers(&u)?;
    let platform_id = field(&f, "platform_id");
    let quarter = field(&f, "quarter");
    match evaluation::confirm(
        &s.platform,
        &ctx,
        &u.principal,
        &platform_id,
        &field(&f, "vendor_role"),
        &quarter,
    )
    .await
    {
        Ok(_) => back_eval(&platform_id, &quarter, "confirmed"),
        Err(e) if correctable(&e) => {
            let q = EvalQuery {
                platform_id,
                quarter,
                msg: String::new(),
            };
            eval_view(&s, &u, q, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// -------------------------------------------------------- settlement

#[derive(Deserialize, Default)]
pub(super) struct SettlementQuery {
    #[serde(default)]
    platform_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    msg: String,
}

#[derive(Template)]
#[template(path = "cloud_settlement.html")]
struct SettlementTpl {
    l: Layout,
    platforms: Vec<Choice>,
    year: i32,
    v: Option<SettlementView>,
}

async fn settlement_view(
    s: &AppState,
    u: &UiUser,
    q: SettlementQuery,
    error: Option<&AppError>,
) -> Page {
    use chrono::Datelike;
    managers(u)?;
    let (platforms, chosen) = choose_city(s, u, &q.platform_id).await?;
    let this_year = yunwei_domain::time::date_in_shanghai(s.platform.clock.now()).year();
    let year = q
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(this_year - 1);
    let v = match &chosen {
        Some(id) => Some(evaluation::settlement(&s.platform, &u.principal, id, year).await?),
        None => None,
    };
    let page = render(&SettlementTpl {
        l: Layout::for_user(u, "/cloud/settlement")
            .with(notice_of(&q.msg), error.map(|e| e.message.clone())),
        platforms,
        year,
        v,
    });
    with_error(page, error)
}

pub(super) async fn settlement(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<SettlementQuery>,
) -> Page {
    settlement_view(&s, &u, q, None).await
}

pub(super) async fn confirm_settlement(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<Fields>,
) -> Page {
    managers(&u)?;
    let platform_id = field(&f, "platform_id");
    let year_s = field(&f, "year");
    let year: i32 = year_s
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("cloud_settlement.year", "年度无效"))?;
    match evaluation::confirm_settlement(&s.platform, &ctx, &u.principal, &platform_id, year).await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/settlement?platform_id={}&year={year}&msg=confirmed",
            urlencoding(&platform_id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let q = SettlementQuery {
                platform_id,
                year: year_s,
                msg: String::new(),
            };
            settlement_view(&s, &u, q, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

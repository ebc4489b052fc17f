//! `/cloud/usage` and `/cloud/reclaims`: the government cloud's monthly
//! utilisation report (month picker, charts of systems by verdict and of
//! low/high systems by unit, the table, its audited Excel export), the
//! import of the provider's 资源使用情况表, and the 降配/回收 proposals
//! with a form for whichever step the viewer may take (SNYP-14). Every
//! check is in `yunwei_core::features::cloud`.

use std::collections::HashMap;

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::features::cloud::reclaim::{
    self, PlanInput, PlannedChange, ReclaimItem, ReclaimView,
};
use yunwei_core::features::cloud::usage::{self, MonthReport, RowError, UsageLine};
use yunwei_core::home::{Chart, ChartKind, Point};
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{bad_upload, read_upload, urlencoding, UiForm};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

/// Largest upload request: the file plus the form around it.
pub(super) const IMPORT_LIMIT: usize = yunwei_core::import::MAX_FILE_BYTES + 64 * 1024;

#[derive(Deserialize, Default, Clone)]
pub(super) struct MonthQuery {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    month: String,
    /// Only the systems of this verdict (the charts' links).
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    msg: String,
}

#[derive(Template)]
#[template(path = "cloud_usage.html")]
struct MonthTpl {
    l: Layout,
    platforms: Vec<(String, String, bool)>,
    r: Option<MonthReport>,
    q: MonthQuery,
    lines: Vec<UsageLine>,
    verdict_chart: String,
    unit_chart: String,
    reason: String,
}

/// The platform of the query, or the first the viewer deals with.
async fn platform_choice(
    s: &AppState,
    u: &UiUser,
    wanted: &str,
) -> Result<(Vec<(String, String, bool)>, Option<String>), AppError> {
    let all = usage::platforms(&s.platform, &u.principal).await?;
    let chosen = all
        .iter()
        .find(|p| p.id == wanted)
        .or_else(|| all.first())
        .map(|p| p.id.clone());
    Ok((
        all.iter()
            .map(|p| (p.id.clone(), p.name.clone(), Some(&p.id) == chosen.as_ref()))
            .collect(),
        chosen,
    ))
}

fn link(platform: &str, month: &str, verdict: &str) -> String {
    format!(
        "/cloud/usage?platform={}&month={}&verdict={}",
        urlencoding(platform),
        urlencoding(month),
        urlencoding(verdict)
    )
}

async fn month_view(
    s: &AppState,
    u: &UiUser,
    q: MonthQuery,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    let (platforms, chosen) = platform_choice(s, u, &q.platform).await?;
    let r = match &chosen {
        Some(id) => Some(
            usage::month_report(
                &s.platform,
                &u.principal,
                id,
                Some(q.month.as_str()).filter(|m| !m.trim().is_empty()),
            )
            .await?,
        ),
        None => None,
    };
    let (lines, verdict_chart, unit_chart) = match &r {
        None => (vec![], String::new(), String::new()),
        Some(r) => {
            let lines = r
                .lines
                .iter()
                .filter(|l| q.verdict.is_empty() || l.verdict.as_str() == q.verdict)
                .cloned()
                .collect();
            let verdicts = Chart {
                id: "cloud-verdicts".into(),
                title: format!("{} 各判定系统数", r.month),
                kind: ChartKind::Bar,
                percent: false,
                points: r
                    .by_verdict
                    .iter()
                    .map(|v| Point {
                        label: v.label.to_string(),
                        value: v.systems as f64,
                        text: v.systems.to_string(),
                        link: link(&r.platform.id, &r.month, v.verdict.as_str()),
                    })
                    .collect(),
            };
            let mut points = Vec::new();
            for unit in &r.by_unit {
                if unit.low > 0 {
                    points.push(Point {
                        label: format!("{} 利用率低", unit.org_name),
                        value: unit.low as f64,
                        text: unit.low.to_string(),
                        link: link(&r.platform.id, &r.month, "low"),
                    });
                }
                if unit.high > 0 {
                    points.push(Point {
                        label: format!("{} 利用率高", unit.org_name),
                        value: unit.high as f64,
                        text: unit.high.to_string(),
                        link: link(&r.platform.id, &r.month, "high"),
                    });
                }
            }
            let units = Chart {
                id: "cloud-units".into(),
                title: format!("{} 各单位利用率低、高的系统数", r.month),
                kind: ChartKind::Bar,
                percent: false,
                points,
            };
            (
                lines,
                super::charts::svg(&verdicts),
                super::charts::svg(&units),
            )
        }
    };
    let notice = match q.msg.as_str() {
        "judged" => Some("已按政策包阈值重新判定".to_string()),
        _ => None,
    };
    with_error(
        render(&MonthTpl {
            l: Layout::for_user(u, "/cloud/usage").with(notice, None),
            platforms,
            r,
            q,
            lines,
            verdict_chart,
            unit_chart,
            reason,
        }),
        error,
    )
}

pub(super) async fn month(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<MonthQuery>,
) -> Page {
    month_view(&s, &u, q, String::new(), None).await
}

#[derive(Deserialize, Default)]
pub(super) struct ExportForm {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    match usage::export(
        &s.platform,
        &ctx,
        &u.principal,
        &f.platform,
        Some(f.month.as_str()),
        &f.reason,
    )
    .await
    {
        Ok(bytes) => Ok(crate::api::xlsx("cloud-usage.xlsx", bytes)),
        Err(e) if correctable(&e) => {
            let q = MonthQuery {
                platform: f.platform,
                month: f.month,
                ..Default::default()
            };
            month_view(&s, &u, q, f.reason, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct JudgeForm {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    month: String,
}

pub(super) async fn judge(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<JudgeForm>,
) -> Page {
    match usage::judge_month(&s.platform, &ctx, &u.principal, &f.platform, &f.month).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/usage?platform={}&month={}&msg=judged",
            urlencoding(&f.platform),
            urlencoding(&f.month)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let q = MonthQuery {
                platform: f.platform,
                month: f.month,
                ..Default::default()
            };
            month_view(&s, &u, q, String::new(), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- import ----

#[derive(Template)]
#[template(path = "cloud_usage_import.html")]
struct ImportTpl {
    l: Layout,
    platforms: Vec<(String, String, bool)>,
    platform: String,
    /// After an import: the file, what was read and written, the errors.
    done: bool,
    filename: String,
    rows: usize,
    imported: usize,
    replaced: u64,
    proposals: usize,
    months: String,
    errors: Vec<RowError>,
}

#[derive(Deserialize, Default)]
pub(super) struct ImportQuery {
    #[serde(default)]
    platform: String,
}

async fn import_view(
    s: &AppState,
    u: &UiUser,
    platform: &str,
    report: Option<(String, usage::UsageImportReport)>,
    error: Option<&AppError>,
) -> Page {
    let (platforms, chosen) = platform_choice(s, u, platform).await?;
    let (done, filename, r) = match report {
        Some((f, r)) => (true, f, Some(r)),
        None => (false, String::new(), None),
    };
    let notice = r.as_ref().filter(|r| r.errors.is_empty()).map(|r| {
        format!(
            "导入完成：{} 行，新开降配回收建议 {} 条",
            r.imported, r.proposals
        )
    });
    with_error(
        render(&ImportTpl {
            l: Layout::for_user(u, "/cloud/usage/import").with(notice, None),
            platforms,
            platform: chosen.unwrap_or_default(),
            done,
            filename,
            rows: r.as_ref().map_or(0, |r| r.rows),
            imported: r.as_ref().map_or(0, |r| r.imported),
            replaced: r.as_ref().map_or(0, |r| r.replaced),
            proposals: r.as_ref().map_or(0, |r| r.proposals),
            months: r.as_ref().map(|r| r.months.join("、")).unwrap_or_default(),
            errors: r.map(|r| r.errors).unwrap_or_default(),
        }),
        error,
    )
}

pub(super) async fn import_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<ImportQuery>,
) -> Page {
    import_view(&s, &u, &q.platform, None, None).await
}

fn too_big() -> AppError {
    AppError::bad_request(
        "cloud_usage.size",
        "请选择要导入的 Excel（.xlsx）或 CSV 文件（不超过10MB）",
    )
}

pub(super) async fn import(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let m = m.map_err(|_| bad_upload())?;
    let up = read_upload(m, yunwei_core::import::MAX_FILE_BYTES, too_big).await?;
    let platform = up.field("platform");
    if up.content.is_empty() {
        return import_view(&s, &u, &platform, None, Some(&too_big())).await;
    }
    match usage::import(
        &s.platform,
        &ctx,
        &u.principal,
        &platform,
        &up.filename,
        &up.content,
    )
    .await
    {
        Ok(r) => import_view(&s, &u, &platform, Some((up.filename, r)), None).await,
        Err(e) if correctable(&e) => import_view(&s, &u, &platform, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn template(u: UiUser) -> Page {
    let _ = u;
    Ok(crate::api::xlsx(
        "cloud-usage-template.xlsx",
        usage::template()?,
    ))
}

// ---- proposals ----

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    state: String,
}

#[derive(Template)]
#[template(path = "cloud_reclaims.html")]
struct ListTpl {
    l: Layout,
    states: Vec<(&'static str, &'static str, bool)>,
    items: Vec<(ReclaimItem, String)>,
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Page {
    let items = reclaim::list(&s.platform, &u.principal, Some(q.state.as_str())).await?;
    render(&ListTpl {
        l: Layout::for_user(&u, "/cloud/reclaims"),
        states: reclaim::State::ALL
            .iter()
            .map(|st| (st.as_str(), st.label(), st.as_str() == q.state))
            .collect(),
        items: items
            .into_iter()
            .map(|i| {
                let at = fmt_minute(i.updated_at);
                (i, at)
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "cloud_reclaim.html")]
struct PageTpl {
    l: Layout,
    v: ReclaimView,
    steps: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    #[serde(default)]
    msg: String,
}

fn at(v: Option<i64>) -> String {
    v.map(fmt_minute).unwrap_or_default()
}

async fn page_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    msg: &str,
    error: Option<&AppError>,
) -> Page {
    let v = reclaim::get(&s.platform, &u.principal, id).await?;
    let mut steps = vec![("建议生成", fmt_minute(v.row.created_at))];
    for (label, when) in [
        ("方案拟定", at(v.row.planned_at)),
        ("管理部门确认并通知单位", at(v.row.notified_at)),
        ("单位答复", at(v.row.answered_at)),
        ("管理部门认定理由", at(v.row.decided_at)),
        ("云服务商实施", at(v.row.implemented_at)),
    ] {
        if !when.is_empty() {
            steps.push((label, when));
        }
    }
    let notice = (!msg.is_empty()).then(|| "已办理".to_string());
    with_error(
        render(&PageTpl {
            l: Layout::for_user(u, "/cloud/reclaims").with(notice, None),
            v,
            steps,
        }),
        error,
    )
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Page {
    page_view(&s, &u, &id, &q.msg, None).await
}

fn done(id: &str) -> Page {
    Ok(Redirect::to(&format!("/cloud/reclaims/{}?msg=done", urlencoding(id))).into_response())
}

async fn after(s: &AppState, u: &UiUser, id: &str, r: Result<ReclaimView, AppError>) -> Page {
    match r {
        Ok(_) => done(id),
        Err(e) if correctable(&e) => page_view(s, u, id, "", Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

fn version_of(f: &HashMap<String, String>) -> i64 {
    f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The plan form: `action_<row>` (none, resize, reclaim) and
/// `quantity_<row>` per running resource row, `plan`, `version`.
pub(super) async fn plan(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let mut changes = Vec::new();
    let mut keys: Vec<&String> = f.keys().filter(|k| k.starts_with("action_")).collect();
    keys.sort();
    for k in keys {
        let row = &k["action_".len()..];
        let action = f.get(k).map(String::as_str).unwrap_or("");
        if action != "resize" && action != "reclaim" {
            continue;
        }
        let quantity = f
            .get(&format!("quantity_{row}"))
            .and_then(|q| q.trim().parse().ok());
        changes.push(PlannedChange {
            resource_id: row.to_string(),
            action: action.to_string(),
            quantity,
        });
    }
    let input = PlanInput {
        plan: f.get("plan").cloned().unwrap_or_default(),
        changes,
        version: version_of(&f),
    };
    let r = reclaim::plan(&s.platform, &ctx, &u.principal, &id, &input).await;
    after(&s, &u, &id, r).await
}

pub(super) async fn confirm(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let r = reclaim::confirm(&s.platform, &ctx, &u.principal, &id, version_of(&f)).await;
    after(&s, &u, &id, r).await
}

pub(super) async fn answer(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let accept = f.get("answer").map(String::as_str) == Some("accept");
    let reason = f.get("reason").cloned().unwrap_or_default();
    let r = reclaim::answer(
        &s.platform,
        &ctx,
        &u.principal,
        &id,
        accept,
        &reason,
        version_of(&f),
    )
    .await;
    after(&s, &u, &id, r).await
}

pub(super) async fn decide(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let holds = f.get("decision").map(String::as_str) == Some("holds");
    let note = f.get("note").cloned().unwrap_or_default();
    let r = reclaim::decide(
        &s.platform,
        &ctx,
        &u.principal,
        &id,
        holds,
        &note,
        version_of(&f),
    )
    .await;
    after(&s, &u, &id, r).await
}

pub(super) async fn implement(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<HashMap<String, String>>,
) -> Page {
    let day = f.get("day").cloned().unwrap_or_default();
    let r = reclaim::implement(
        &s.platform,
        &ctx,
        &u.principal,
        &id,
        Some(day.as_str()),
        version_of(&f),
    )
    .await;
    after(&s, &u, &id, r).await
}

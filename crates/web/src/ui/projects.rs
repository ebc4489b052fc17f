//! `/projects`: 信息化项目 (SNXM, issue 15, ADR 0017). The list with its
//! filters and audited Excel export, the annual plan of a year with the
//! bureau's yearly call for needs (SNXM-17), 信息化项目总览 (the bureau's
//! dashboard as inline SVG bars and tables, every figure a link to its
//! list), and a project's page: stage, amounts, dates, supplementary
//! contracts against the 10 % limit (SNXM-30), supervision findings
//! (SNXM-37) and the self-evaluation report (SNXM-36). Every check is in
//! `yunwei_core::features::projects`; a refused form comes back on its
//! page with the message.

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use yunwei_core::features::projects::dashboard::{
    self, ProjectCount, ProjectDashboard, ProjectDetail, ProjectLine, ProjectListQuery,
};
use yunwei_core::features::projects::evaluation::{self, MAX_REPORT_BYTES};
use yunwei_core::features::projects::{self, plan, NewFinding};
use yunwei_core::home::{Chart, ChartKind, Point};
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{bad_upload, opts, read_upload, urlencoding, Opt, UiForm};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

/// Largest upload request: the report plus the form around it.
pub(super) const UPLOAD_LIMIT: usize = MAX_REPORT_BYTES + 64 * 1024;

fn too_big() -> AppError {
    AppError::bad_request("project.report_size", "自评报告文件不能为空，且不超过50MB")
}

fn reader(u: &UiUser) -> Result<(), AppError> {
    if projects::may_list(&u.principal) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "无权查看信息化项目：仅项目建设单位、数据主管部门和审查审批部门",
        ))
    }
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "finding" => "整改要求已下达",
            "rectified" => "整改情况已登记",
            "filed" => "绩效自评报告已报送备案",
            "filed_late" => "绩效自评报告已报送备案（已超过期限）",
            _ => return None,
        }
        .to_string(),
    )
}

fn this_year(s: &AppState) -> i64 {
    i64::from(yunwei_core::kernel::due::today(&s.platform).year())
}

// ---- 项目列表 ----

#[derive(Deserialize, Default, Clone)]
pub(super) struct ListForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    plan_year: String,
    #[serde(default)]
    planned: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    due: String,
}

impl ListForm {
    fn query(&self) -> ProjectListQuery {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        ProjectListQuery {
            stage: some(&self.stage),
            plan_year: some(&self.plan_year),
            planned: some(&self.planned),
            org_id: some(&self.org_id),
            due: some(&self.due),
        }
    }
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ListTpl {
    l: Layout,
    q: ListForm,
    planned_only: bool,
    /// The dashboard list shown, if any.
    due_label: String,
    stages: Vec<Opt>,
    items: Vec<ProjectLine>,
    reason: String,
    new_link: String,
}

async fn list_view(
    s: &AppState,
    u: &UiUser,
    q: ListForm,
    reason: String,
    error: Option<&AppError>,
) -> Page {
    let pr = &u.principal;
    let mut filter_error = None;
    let items = match dashboard::lines(&s.platform, pr, &q.query()).await {
        Ok(v) => v,
        Err(e) if correctable(&e) => {
            filter_error = Some(e);
            vec![]
        }
        Err(e) => return Err(e.into()),
    };
    // The ticket form is for who files business (not the reviewers).
    let new_link = dashboard::new_project_target(&s.platform)
        .filter(|_| pr.can_somewhere(yunwei_domain::roles::Action::BusinessRead))
        .map(|(pack, process)| {
            format!(
                "/tickets/new?pack={}&process={}",
                urlencoding(&pack),
                urlencoding(&process)
            )
        })
        .unwrap_or_default();
    let shown = error.or(filter_error.as_ref());
    let page = render(&ListTpl {
        l: Layout::for_user(u, "/projects").with(None, shown.map(|e| e.message.clone())),
        planned_only: q.query().planned_only(),
        due_label: dashboard::DUE_LISTS
            .iter()
            .find(|(k, _)| *k == q.due.trim())
            .map(|(_, l)| l.to_string())
            .unwrap_or_default(),
        stages: opts(dashboard::stages(&s.platform), q.stage.trim()),
        items,
        reason,
        new_link,
        q,
    });
    with_error(page, shown)
}

pub(super) async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListForm>) -> Page {
    reader(&u)?;
    list_view(&s, &u, q, String::new(), None).await
}

#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    reason: String,
    #[serde(flatten)]
    q: ListForm,
}

pub(super) async fn export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ExportForm>,
) -> Page {
    reader(&u)?;
    match dashboard::export_xlsx(&s.platform, &ctx, &u.principal, &f.q.query(), &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx("it-projects.xlsx", bytes)),
        Err(e) if correctable(&e) => list_view(&s, &u, f.q, f.reason, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

// ---- 年度计划 ----

#[derive(Deserialize, Default)]
pub(super) struct YearQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    msg: String,
}

#[derive(Template)]
#[template(path = "projects_plan.html")]
struct PlanTpl {
    l: Layout,
    year: i64,
    items: Vec<ProjectLine>,
    urgent: usize,
    reason: String,
    can_call: bool,
    call_year: i64,
}

fn year_of(s: &AppState, y: &str) -> Result<i64, AppError> {
    let y = y.trim();
    if y.is_empty() {
        return Ok(this_year(s));
    }
    y.parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::bad_request("project.plan_year_filter", "年度应为四位数字年份"))
}

async fn plan_view(
    s: &AppState,
    u: &UiUser,
    year: i64,
    reason: String,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let pr = &u.principal;
    let items = dashboard::plan(&s.platform, pr, year).await?;
    let page = render(&PlanTpl {
        l: Layout::for_user(u, "/projects/plan").with(notice, error.map(|e| e.message.clone())),
        year,
        urgent: items.iter().filter(|l| l.urgent).count(),
        items,
        reason,
        can_call: pr.can_somewhere(yunwei_domain::roles::Action::ProjectManage),
        call_year: this_year(s) + 1,
    });
    with_error(page, error)
}

pub(super) async fn plan_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<YearQuery>,
) -> Page {
    reader(&u)?;
    let year = year_of(&s, &q.year)?;
    let notice = q
        .msg
        .strip_prefix("called-")
        .and_then(|rest| {
            let mut it = rest.split('-');
            Some((
                it.next()?.parse::<usize>().ok()?,
                it.next()?.parse::<usize>().ok()?,
            ))
        })
        .map(|(units, people)| format!("已发起年度需求征集：通知 {units} 个单位、{people} 人"));
    plan_view(&s, &u, year, String::new(), notice, None).await
}

#[derive(Deserialize)]
pub(super) struct PlanExportForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn plan_export(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<PlanExportForm>,
) -> Page {
    reader(&u)?;
    let year = year_of(&s, &f.year)?;
    match dashboard::export_plan_xlsx(&s.platform, &ctx, &u.principal, year, &f.reason).await {
        Ok(bytes) => Ok(crate::api::xlsx(&format!("plan-{year}.xlsx"), bytes)),
        Err(e) if correctable(&e) => plan_view(&s, &u, year, f.reason, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct CallForm {
    #[serde(default)]
    year: String,
}

pub(super) async fn plan_call(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<CallForm>,
) -> Page {
    reader(&u)?;
    let year = f.year.trim().parse::<i64>().unwrap_or(0);
    match plan::call_for_needs(&s.platform, &u.principal, &ctx, year).await {
        Ok(sent) => Ok(Redirect::to(&format!(
            "/projects/plan?year={}&msg=called-{}-{}",
            this_year(&s),
            sent.units,
            sent.people
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            plan_view(&s, &u, this_year(&s), String::new(), None, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- 信息化项目总览 ----

#[derive(Template)]
#[template(path = "projects_dashboard.html")]
struct DashTpl {
    l: Layout,
    d: ProjectDashboard,
    stage_chart: String,
    unit_chart: String,
}

fn chart(id: &str, title: &str, counts: &[ProjectCount]) -> String {
    super::charts::svg(&Chart {
        id: id.into(),
        title: title.into(),
        kind: ChartKind::Bar,
        percent: false,
        points: counts
            .iter()
            .map(|c| Point {
                label: c.label.clone(),
                value: c.count as f64,
                text: c.count.to_string(),
                link: c.link.clone(),
            })
            .collect(),
    })
}

pub(super) async fn dashboard_page(State(s): State<AppState>, u: UiUser) -> Page {
    reader(&u)?;
    let d = dashboard::dashboard(&s.platform, &u.principal).await?;
    // The stages with projects (all of them would be a long chart).
    let staged: Vec<ProjectCount> = d.by_stage.iter().filter(|c| c.count > 0).cloned().collect();
    render(&DashTpl {
        l: Layout::for_user(&u, "/projects/dashboard"),
        stage_chart: chart("project-stages", "各阶段项目数", &staged),
        unit_chart: chart("project-units", "各建设单位项目数", &d.by_unit),
        d,
    })
}

// ---- 一个项目 ----

#[derive(Default)]
struct FindingInput {
    area: String,
    major: bool,
    finding: String,
    deadline: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectTpl {
    l: Layout,
    d: ProjectDetail,
    /// The systems the project builds or runs: the configuration items
    /// linked to its ticket (and through them their cloud systems).
    systems: Vec<SystemLine>,
    areas: Vec<Opt>,
    kept: FindingInput,
    today: String,
}

struct SystemLine {
    id: String,
    code: String,
    name: String,
    visible: bool,
}

async fn project_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    kept: FindingInput,
    notice: Option<String>,
    error: Option<&AppError>,
) -> Page {
    let d = dashboard::detail(&s.platform, &u.principal, id).await?;
    let systems = yunwei_core::cmdb::cis_of_ticket(&s.platform, &u.principal, &d.project.id)
        .await?
        .into_iter()
        .map(|c| SystemLine {
            id: c.id,
            code: c.code,
            name: c.name,
            visible: c.visible,
        })
        .collect();
    let page = render(&ProjectTpl {
        systems,
        l: Layout::for_user(u, "/projects").with(notice, error.map(|e| e.message.clone())),
        areas: opts(
            vec![
                ("security".into(), "网络安全".into()),
                ("crypto".into(), "密码应用".into()),
                ("other".into(), "其他".into()),
            ],
            &kept.area,
        ),
        kept,
        today: yunwei_core::kernel::due::today(&s.platform)
            .format("%Y-%m-%d")
            .to_string(),
        d,
    });
    with_error(page, error)
}

#[derive(Deserialize, Default)]
pub(super) struct MsgQuery {
    #[serde(default)]
    msg: String,
}

pub(super) async fn project_page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Page {
    reader(&u)?;
    project_view(
        &s,
        &u,
        &id,
        FindingInput::default(),
        notice_of(&q.msg),
        None,
    )
    .await
}

fn back(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/projects/{}?msg={msg}", urlencoding(id))).into_response())
}

#[derive(Deserialize)]
pub(super) struct FindingForm {
    #[serde(default)]
    area: String,
    #[serde(default)]
    major: String,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    deadline: String,
}

pub(super) async fn record_finding(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<FindingForm>,
) -> Page {
    reader(&u)?;
    let kept = FindingInput {
        area: f.area.clone(),
        major: !f.major.is_empty(),
        finding: f.finding.clone(),
        deadline: f.deadline.clone(),
    };
    let Ok(deadline) = NaiveDate::parse_from_str(f.deadline.trim(), "%Y-%m-%d") else {
        let e = AppError::bad_request("project.finding_deadline", "请填写整改期限（年-月-日）");
        return project_view(&s, &u, &id, kept, None, Some(&e)).await;
    };
    let input = NewFinding {
        project_id: id.clone(),
        area: f.area,
        major: kept.major,
        finding: f.finding,
        deadline,
    };
    match projects::record_finding(&s.platform, &u.principal, &ctx, input).await {
        Ok(_) => back(&id, "finding"),
        Err(e) if correctable(&e) => project_view(&s, &u, &id, kept, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct RectifyForm {
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    rectification: String,
}

pub(super) async fn rectify(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(fid): Path<String>,
    UiForm(f): UiForm<RectifyForm>,
) -> Page {
    reader(&u)?;
    match projects::rectify_finding(&s.platform, &u.principal, &ctx, &fid, &f.rectification).await {
        Ok(()) => back(&f.project_id, "rectified"),
        Err(e) if correctable(&e) => {
            project_view(
                &s,
                &u,
                &f.project_id,
                FindingInput::default(),
                None,
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn file_self_evaluation(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let up = read_upload(m.map_err(|_| bad_upload())?, MAX_REPORT_BYTES, too_big).await?;
    reader(&u)?;
    match evaluation::file_self_evaluation(
        &s.platform,
        &u.principal,
        &ctx,
        &id,
        &up.filename,
        &up.content,
    )
    .await
    {
        Ok(f) => back(&id, if f.late { "filed_late" } else { "filed" }),
        Err(e) if correctable(&e) => {
            project_view(&s, &u, &id, FindingInput::default(), None, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn self_evaluation_file(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    reader(&u)?;
    let (name, bytes) =
        evaluation::self_evaluation_file(&s.platform, &u.principal, &ctx, &id).await?;
    Ok(crate::api::tickets::attachment_response(&name, bytes))
}

//! The government cloud's duty pages (issue 14 item 6): `/cloud/duties`
//! (服务商报告: per platform, each duty with this period's status, the
//! form that files a report, the history, overdue in red),
//! `/cloud/commitments` (安全承诺书, ZMDY-40: who signed, who has not) and
//! `/cloud/scores` (单位监督评分, SNYP-32). Every check is in
//! `yunwei_core::features::cloud::duties`; a refused form comes back on its
//! page with what was typed.

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use yunwei_core::features::cloud::duties::{
    self, DutyBoard, FileReport, NewCommitment, ScoreInput, MAX_FILE_BYTES,
};
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{bad_upload, opts, read_upload, urlencoding, Opt, UiForm, Upload};
use super::page::{render, Layout};
use super::session::UiUser;
use crate::extract::ReqCtx;
use crate::AppState;

/// Largest upload request: the file plus the form around it.
pub(super) const UPLOAD_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

fn too_big() -> AppError {
    AppError::bad_request("cloud_duty.size", "文件不能为空，且不超过50MB")
}

async fn multipart_form(
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Upload, AppError> {
    read_upload(m.map_err(|_| bad_upload())?, MAX_FILE_BYTES, too_big).await
}

fn viewer(u: &UiUser) -> Result<(), AppError> {
    if duties::may_view(&u.principal) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "无权查看政务云报送事项：仅政务云管理人员、云服务商和云监管服务商",
        ))
    }
}

fn fmt_size(n: i64) -> String {
    if n < 1024 {
        format!("{n} 字节")
    } else if n < 1024 * 1024 {
        format!("{} KB", (n + 1023) / 1024)
    } else {
        format!("{} MB", (n + 1024 * 1024 - 1) / (1024 * 1024))
    }
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct PlatformQuery {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    year: String,
}

/// The platforms the caller may see, and the one chosen (the first when
/// none is named).
async fn choose(
    s: &AppState,
    u: &UiUser,
    wanted: &str,
) -> Result<(Vec<Opt>, Option<String>), AppError> {
    let all = duties::platforms(&s.platform, &u.principal).await?;
    let chosen = all
        .iter()
        .find(|p| p.id == wanted.trim())
        .or(all.first())
        .map(|p| p.id.clone());
    let o = opts(
        all.into_iter().map(|p| (p.id, p.name)).collect(),
        chosen.as_deref().unwrap_or(""),
    );
    Ok((o, chosen))
}

// ---------------------------------------------------------------- duties

struct OccLine {
    period: String,
    due_date: String,
    status: &'static str,
    status_label: &'static str,
    overdue: bool,
    org: String,
    done_at: String,
    done_late: bool,
}

struct DutyLine {
    label: String,
    who_label: &'static str,
    schedule: String,
    source: String,
    open: String,
    times: u32,
    occ: Vec<OccLine>,
}

struct HistLine {
    id: String,
    duty: String,
    period: String,
    filename: String,
    sm3: String,
    size: String,
    at: String,
    org: String,
    unit: String,
    late: bool,
    note: String,
}

/// The filing form as typed (kept when refused; the file is not).
#[derive(Default)]
struct FileForm {
    duty_id: String,
    period: String,
    unit_org_id: String,
    note: String,
}

#[derive(Template)]
#[template(path = "cloud_duties.html")]
struct DutiesTpl {
    l: Layout,
    platforms: Vec<Opt>,
    platform_id: String,
    name: String,
    duties: Vec<DutyLine>,
    history: Vec<HistLine>,
    overdue: usize,
    file_duties: Vec<Opt>,
    units: Vec<Opt>,
    f: FileForm,
}

fn lines(b: &DutyBoard) -> (Vec<DutyLine>, Vec<HistLine>) {
    let duties = b
        .duties
        .iter()
        .map(|d| DutyLine {
            label: d.label.clone(),
            who_label: d.who_label,
            schedule: d.schedule.clone(),
            source: d.source.clone(),
            open: d.open.clone().unwrap_or_default(),
            times: d.times,
            occ: d
                .occurrences
                .iter()
                .map(|o| OccLine {
                    period: o.period_label.clone(),
                    due_date: o.due_date.clone(),
                    status: o.status,
                    status_label: o.status_label,
                    overdue: o.status == "overdue",
                    org: o.org_name.clone(),
                    done_at: o.done_at.map(fmt_minute).unwrap_or_default(),
                    done_late: o.done_late,
                })
                .collect(),
        })
        .collect();
    let history = b
        .history
        .iter()
        .map(|h| HistLine {
            id: h.report.id.clone(),
            duty: h.duty_label.clone(),
            period: if h.report.period_start == h.report.period_end {
                h.report.period_start.clone()
            } else {
                format!("{} 至 {}", h.report.period_start, h.report.period_end)
            },
            filename: h.report.filename.clone(),
            sm3: h.report.sm3.clone(),
            size: fmt_size(h.report.size),
            at: fmt_minute(h.report.filed_at),
            org: h.org_name.clone(),
            unit: h.unit_name.clone(),
            late: h.late,
            note: h.report.note.clone(),
        })
        .collect();
    (duties, history)
}

async fn duties_view(
    s: &AppState,
    u: &UiUser,
    q: &PlatformQuery,
    f: FileForm,
    error: Option<&AppError>,
) -> Page {
    viewer(u)?;
    let (platforms, chosen) = choose(s, u, &q.platform).await?;
    let notice = match q.msg.as_str() {
        "filed" => Some("报告已报送".to_string()),
        "filed_done" => Some("报告已报送，本期事项已完成".to_string()),
        _ => None,
    };
    let (name, duties, history, overdue, file_duties, units, platform_id) = match &chosen {
        Some(id) => {
            let b = duties::board(&s.platform, &u.principal, id).await?;
            let (d, h) = lines(&b);
            let file_duties = opts(
                b.duties
                    .iter()
                    .filter(|d| d.can_file)
                    .map(|d| (d.id.clone(), format!("{}（{}）", d.label, d.who_label)))
                    .collect(),
                &f.duty_id,
            );
            let units = if b.duties.iter().any(|d| d.can_file && d.who == "unit") {
                let sc = duties::commitments(&s.platform, &u.principal, id).await?;
                opts(
                    sc.parties
                        .into_iter()
                        .filter(|p| p.kind == "unit")
                        .map(|p| (p.org_id, p.name))
                        .collect(),
                    &f.unit_org_id,
                )
            } else {
                vec![]
            };
            (
                b.platform.name.clone(),
                d,
                h,
                b.overdue,
                file_duties,
                units,
                id.clone(),
            )
        }
        None => Default::default(),
    };
    let page = render(&DutiesTpl {
        l: Layout::for_user(u, "/cloud/duties").with(notice, error.map(|e| e.message.clone())),
        platforms,
        platform_id,
        name,
        duties,
        history,
        overdue,
        file_duties,
        units,
        f,
    });
    with_error(page, error)
}

pub(super) async fn duties_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<PlatformQuery>,
) -> Page {
    duties_view(&s, &u, &q, FileForm::default(), None).await
}

/// 报送报告: the report file with its duty, period and note.
pub(super) async fn file_report(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let up = multipart_form(m).await?;
    viewer(&u)?;
    let input = FileReport {
        platform_id: up.field("platform_id"),
        duty_id: up.field("duty_id"),
        period: up.field("period"),
        unit_org_id: up.field("unit_org_id"),
        filename: up.filename.clone(),
        note: up.field("note"),
    };
    match duties::file_report(&s.platform, &ctx, &u.principal, &input, &up.content).await {
        Ok(f) => Ok(Redirect::to(&format!(
            "/cloud/duties?platform={}&msg={}",
            urlencoding(&input.platform_id),
            if f.period_done { "filed_done" } else { "filed" }
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let q = PlatformQuery {
                platform: input.platform_id.clone(),
                ..Default::default()
            };
            let kept = FileForm {
                duty_id: input.duty_id,
                period: input.period,
                unit_org_id: input.unit_org_id,
                note: input.note,
            };
            duties_view(&s, &u, &q, kept, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn report_file(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    viewer(&u)?;
    let (r, bytes) = duties::report_file(&s.platform, &ctx, &u.principal, &id).await?;
    Ok(crate::api::tickets::attachment_response(&r.filename, bytes))
}

// ---------------------------------------------------------------- commitments

struct SignedLine {
    id: String,
    party: String,
    kind: &'static str,
    signed_on: String,
    filename: String,
    sm3: String,
    at: String,
}

struct MissingLine {
    name: String,
    kind: &'static str,
}

#[derive(Default)]
struct CommitForm {
    party_org_id: String,
    signed_on: String,
    note: String,
}

#[derive(Template)]
#[template(path = "cloud_commitments.html")]
struct CommitmentsTpl {
    l: Layout,
    platforms: Vec<Opt>,
    platform_id: String,
    name: String,
    signed: Vec<SignedLine>,
    missing: Vec<MissingLine>,
    can_upload: bool,
    parties: Vec<Opt>,
    f: CommitForm,
}

async fn commitments_view(
    s: &AppState,
    u: &UiUser,
    q: &PlatformQuery,
    f: CommitForm,
    error: Option<&AppError>,
) -> Page {
    viewer(u)?;
    let (platforms, chosen) = choose(s, u, &q.platform).await?;
    let notice = (q.msg == "signed").then(|| "安全承诺书已登记".to_string());
    let mut t = CommitmentsTpl {
        l: Layout::for_user(u, "/cloud/commitments").with(notice, error.map(|e| e.message.clone())),
        platforms,
        platform_id: String::new(),
        name: String::new(),
        signed: vec![],
        missing: vec![],
        can_upload: false,
        parties: vec![],
        f: CommitForm::default(),
    };
    if let Some(id) = chosen {
        let c = duties::commitments(&s.platform, &u.principal, &id).await?;
        t.platform_id = id;
        t.name = c.platform.name;
        t.signed = c
            .signed
            .into_iter()
            .map(|v| SignedLine {
                id: v.commitment.id,
                party: v.party_name,
                kind: v.kind_label,
                signed_on: v.commitment.signed_on,
                filename: v.commitment.filename,
                sm3: v.commitment.sm3,
                at: fmt_minute(v.commitment.filed_at),
            })
            .collect();
        t.missing = c
            .missing
            .into_iter()
            .map(|p| MissingLine {
                name: p.name,
                kind: p.kind_label,
            })
            .collect();
        t.can_upload = c.can_upload;
        t.parties = opts(
            c.parties
                .into_iter()
                .map(|p| (p.org_id, format!("{}（{}）", p.name, p.kind_label)))
                .collect(),
            &f.party_org_id,
        );
    }
    t.f = f;
    let page = render(&t);
    with_error(page, error)
}

pub(super) async fn commitments_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<PlatformQuery>,
) -> Page {
    commitments_view(&s, &u, &q, CommitForm::default(), None).await
}

pub(super) async fn sign_commitment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let up = multipart_form(m).await?;
    viewer(&u)?;
    let input = NewCommitment {
        platform_id: up.field("platform_id"),
        party_org_id: up.field("party_org_id"),
        signed_on: up.field("signed_on"),
        filename: up.filename.clone(),
        note: up.field("note"),
    };
    match duties::sign_commitment(&s.platform, &ctx, &u.principal, &input, &up.content).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cloud/commitments?platform={}&msg=signed",
            urlencoding(&input.platform_id)
        ))
        .into_response()),
        Err(e) if correctable(&e) => {
            let q = PlatformQuery {
                platform: input.platform_id.clone(),
                ..Default::default()
            };
            let kept = CommitForm {
                party_org_id: input.party_org_id,
                signed_on: input.signed_on,
                note: input.note,
            };
            commitments_view(&s, &u, &q, kept, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn commitment_file(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    viewer(&u)?;
    let (r, bytes) = duties::commitment_file(&s.platform, &ctx, &u.principal, &id).await?;
    Ok(crate::api::tickets::attachment_response(&r.filename, bytes))
}

// ---------------------------------------------------------------- scores

struct ScoreLine {
    unit_org_id: String,
    unit: String,
    scored: bool,
    integration: i64,
    migration: i64,
    utilisation: i64,
    dengbao: i64,
    note: String,
    at: String,
}

#[derive(Template)]
#[template(path = "cloud_scores.html")]
struct ScoresTpl {
    l: Layout,
    platforms: Vec<Opt>,
    platform_id: String,
    name: String,
    year: i64,
    lines: Vec<ScoreLine>,
    can_score: bool,
}

async fn scores_view(
    s: &AppState,
    u: &UiUser,
    q: &PlatformQuery,
    error: Option<&AppError>,
) -> Page {
    viewer(u)?;
    let (platforms, chosen) = choose(s, u, &q.platform).await?;
    let notice = (q.msg == "scored").then(|| "评分已保存".to_string());
    let year = q.year.trim().parse::<i64>().ok();
    let mut t = ScoresTpl {
        l: Layout::for_user(u, "/cloud/scores").with(notice, error.map(|e| e.message.clone())),
        platforms,
        platform_id: String::new(),
        name: String::new(),
        year: year.unwrap_or_default(),
        lines: vec![],
        can_score: false,
    };
    if let Some(id) = chosen {
        let sc = duties::scores(&s.platform, &u.principal, &id, year).await?;
        t.platform_id = id;
        t.name = sc.platform.name;
        t.year = sc.year;
        t.can_score = sc.can_score;
        t.lines = sc
            .units
            .into_iter()
            .map(|v| {
                let sc = v.score.as_ref();
                ScoreLine {
                    unit_org_id: v.unit_org_id.clone(),
                    unit: v.unit_name.clone(),
                    scored: sc.is_some(),
                    integration: sc.map_or(0, |x| x.integration),
                    migration: sc.map_or(0, |x| x.migration),
                    utilisation: sc.map_or(0, |x| x.utilisation),
                    dengbao: sc.map_or(0, |x| x.dengbao),
                    note: sc.map(|x| x.note.clone()).unwrap_or_default(),
                    at: sc.map(|x| fmt_minute(x.scored_at)).unwrap_or_default(),
                }
            })
            .collect();
    }
    let page = render(&t);
    with_error(page, error)
}

pub(super) async fn scores_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<PlatformQuery>,
) -> Page {
    scores_view(&s, &u, &q, None).await
}

#[derive(Deserialize)]
pub(super) struct ScoreForm {
    platform_id: String,
    unit_org_id: String,
    year: String,
    integration: String,
    migration: String,
    utilisation: String,
    dengbao: String,
    #[serde(default)]
    note: String,
}

fn score_of(v: &str, label: &str) -> Result<i64, AppError> {
    v.trim().parse::<i64>().map_err(|_| {
        AppError::bad_request(
            "cloud_score.out_of_range",
            format!("「{label}」评分应为 0 到 100 的整数"),
        )
    })
}

pub(super) async fn set_score(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<ScoreForm>,
) -> Page {
    viewer(&u)?;
    let q = PlatformQuery {
        platform: f.platform_id.clone(),
        year: f.year.clone(),
        ..Default::default()
    };
    let parsed = (|| {
        Ok::<_, AppError>(ScoreInput {
            platform_id: f.platform_id.clone(),
            unit_org_id: f.unit_org_id.clone(),
            year: score_of(&f.year, "年度")?,
            integration: score_of(&f.integration, duties::ASPECTS[0].1)?,
            migration: score_of(&f.migration, duties::ASPECTS[1].1)?,
            utilisation: score_of(&f.utilisation, duties::ASPECTS[2].1)?,
            dengbao: score_of(&f.dengbao, duties::ASPECTS[3].1)?,
            note: f.note.clone(),
        })
    })();
    let r = match parsed {
        Ok(input) => duties::set_score(&s.platform, &ctx, &u.principal, &input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/cloud/scores?platform={}&year={}&msg=scored",
            urlencoding(&f.platform_id),
            urlencoding(&f.year)
        ))
        .into_response()),
        Err(e) if correctable(&e) => scores_view(&s, &u, &q, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

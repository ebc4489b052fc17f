//! Government IT projects (SNXM, issue 15, ADR 0017).
//!
//! A project is a ticket of its pack's project process: the application,
//! the CDO's consent, the approvals, the library, the annual plan, the
//! technical review, procurement, construction, trial run and acceptance
//! are its states, each with its citation (`policies/snxm/project.toml`).
//! `lifecycle` holds the gates and effects the pack names; they keep the
//! `it_projects` row (money in fen and the dates) in step. This module
//! reads projects with the tickets' own rule: the business-read scope, or
//! the review scope of the authorities that give opinions (SNXM-23), and
//! keeps the supervision findings (SNXM-37) that block a unit's new
//! projects while a major one is open (SNXM-43).

pub mod dashboard;
pub mod evaluation;
pub mod lifecycle;
pub mod plan;

use chrono::NaiveDate;
use yunwei_domain::policy::projects::ProjectRules;
use yunwei_domain::roles::Action;
use yunwei_domain::text::clean_body;
use yunwei_domain::{ids::new_id, AppError};
use yunwei_store::projects::{self as store, FindingRow, ProjectFilter, ProjectRow, SupplementRow};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due;
use crate::{Ctx, Platform, Principal};
use yunwei_store::in_tx;

pub use lifecycle::yuan;

/// The project rules of a pack (its `projects.toml`).
pub fn rules<'a>(p: &'a Platform, pack_id: &str) -> Result<&'a ProjectRules, AppError> {
    p.packs
        .iter()
        .find(|pk| pk.id == pack_id)
        .and_then(|pk| pk.projects.as_ref())
        .ok_or_else(|| {
            AppError::bad_request(
                "project.no_rules",
                "该策略包没有信息化项目规则（projects.toml）",
            )
        })
}

/// What the caller reads projects in: the business-read scope and the
/// review scope (the same rule as the project tickets).
pub(crate) fn read_scope(pr: &Principal) -> yunwei_store::Scope {
    pr.scope_for_any(&[Action::BusinessRead, Action::ProjectReview])
}

fn may_read(pr: &Principal, p: &ProjectRow) -> bool {
    pr.can(Action::BusinessRead, &p.org_path) || pr.can(Action::ProjectReview, &p.org_path)
}

/// Whether the caller reads any project (the menu).
pub fn may_list(pr: &Principal) -> bool {
    pr.can_somewhere(Action::ProjectReview) || pr.can_somewhere(Action::BusinessRead)
}

/// Most projects in one list.
pub const LIST_LIMIT: u64 = 2_000;

/// The projects the caller reads, newest first.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    f: &ProjectFilter,
) -> Result<Vec<ProjectRow>, AppError> {
    let scope = read_scope(pr);
    let mut c = p.db.read().await?;
    store::list(&mut c, &scope, f, LIST_LIMIT).await
}

/// One project with its supplements and findings; 404 outside the list's
/// scope.
pub struct ProjectView {
    pub project: ProjectRow,
    pub supplements: Vec<SupplementRow>,
    pub findings: Vec<FindingRow>,
    /// The supplements' fen that count against the limit (held and
    /// approved) and the limit itself, once a contract is signed.
    pub counted_fen: i64,
    pub limit_fen: Option<i64>,
}

/// The project if the caller reads it (the list's rule), else 404.
pub(crate) async fn readable(
    p: &Platform,
    pr: &Principal,
    id: &str,
) -> Result<ProjectRow, AppError> {
    let mut c = p.db.read().await?;
    store::get(&mut c, id.trim())
        .await?
        .filter(|x| may_read(pr, x))
        .ok_or_else(|| AppError::not_found("信息化项目"))
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<ProjectView, AppError> {
    let project = readable(p, pr, id).await?;
    let mut c = p.db.read().await?;
    let supplements = store::supplements_of(&mut c, id).await?;
    let findings = store::findings_of(&mut c, id).await?;
    let counted_fen = supplements
        .iter()
        .filter(|s| s.state != "released")
        .map(|s| s.amount_fen)
        .sum();
    let pct = rules(p, &project.pack_id)?.supplement_max_percent;
    let limit_fen = project
        .contract_fen
        .map(|f| (i128::from(f) * i128::from(pct) / 100) as i64);
    Ok(ProjectView {
        project,
        supplements,
        findings,
        counted_fen,
        limit_fen,
    })
}

/// What the bureau records when supervision finds a problem (SNXM-37).
pub struct NewFinding {
    pub project_id: String,
    /// `security`, `crypto` or `other`.
    pub area: String,
    pub major: bool,
    pub finding: String,
    /// Last day for the rectification.
    pub deadline: NaiveDate,
}

/// Records a supervision finding with its deadline (SNXM-37); a major
/// security or cryptography one blocks the unit's new projects until
/// rectified (SNXM-43). Only the bureau (`ProjectManage` over the unit).
pub async fn record_finding(
    p: &Platform,
    pr: &Principal,
    ctx: &Ctx,
    f: NewFinding,
) -> Result<FindingRow, AppError> {
    if !matches!(f.area.as_str(), "security" | "crypto" | "other") {
        return Err(AppError::bad_request(
            "project.finding_area",
            "问题类别应为网络安全、密码应用或其他",
        ));
    }
    let finding =
        clean_body(&f.finding, 2_000).map_err(|e| e.error("project.finding_text", "发现的问题"))?;
    let today = due::today(p);
    if f.deadline < today {
        return Err(AppError::bad_request(
            "project.finding_deadline",
            "整改期限不能早于今天",
        ));
    }
    in_tx!(p.db, |c| {
        let project = store::get(&mut c, &f.project_id)
            .await?
            .filter(|x| may_read(pr, x))
            .ok_or_else(|| AppError::not_found("信息化项目"))?;
        let auth = pr.authorize(Action::ProjectManage, &project.org_path)?;
        let row = FindingRow {
            id: new_id(),
            project_id: project.id.clone(),
            org_id: project.org_id.clone(),
            org_path: project.org_path.clone(),
            area: f.area.clone(),
            major: f.major,
            finding: finding.clone(),
            deadline: f.deadline.format("%Y-%m-%d").to_string(),
            rectified_on: None,
            rectification: String::new(),
            created_by: pr.user_id.clone(),
            created_at: p.clock.now().timestamp_micros(),
        };
        store::insert_finding(&mut c, &row).await?;
        // The deadline is a due control: overdue notices, 到期事项总览.
        let subject = format!("{}/{}", project.id, row.id);
        let title = format!("{} 限期整改：{}", project.name, row.finding);
        due::ensure_once(
            &mut c,
            &due::Subject {
                kind: due::PROJECT_RECTIFICATION,
                subject_type: due::IT_PROJECT_FINDING,
                subject_id: &subject,
                org_id: &project.org_id,
                org_path: &project.org_path,
                title: &title,
                source: rules(p, &project.pack_id)?.source_of("rectification_days"),
            },
            due::day_end(f.deadline),
            row.created_at,
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("it_project.finding", "it_project", &project.id).after(format!(
                "{}（{}）：{}问题“{}”，限期 {} 整改",
                project.name,
                project.number,
                if row.major { "重大" } else { "" },
                row.finding,
                row.deadline
            )),
        )
        .await?;
        Ok(row)
    })
}

/// Records that a finding was rectified: the unit's staff or the bureau.
pub async fn rectify_finding(
    p: &Platform,
    pr: &Principal,
    ctx: &Ctx,
    finding_id: &str,
    rectification: &str,
) -> Result<(), AppError> {
    let text = clean_body(rectification, 2_000)
        .map_err(|e| e.error("project.rectification_text", "整改情况"))?;
    let today = due::today(p).format("%Y-%m-%d").to_string();
    in_tx!(p.db, |c| {
        let f = store::get_finding(&mut c, finding_id)
            .await?
            .filter(|f| {
                pr.can(Action::BusinessRead, &f.org_path)
                    || pr.can(Action::ProjectReview, &f.org_path)
            })
            .ok_or_else(|| AppError::not_found("整改事项"))?;
        let auth = pr.authorize(Action::BusinessOperate, &f.org_path)?;
        if !store::rectify_finding(&mut c, &f.id, &today, &text).await? {
            return Err(AppError::conflict(
                "project.finding_rectified",
                "该问题已登记整改完成",
            ));
        }
        let subject = format!("{}/{}", f.project_id, f.id);
        due::complete_open(
            &mut c,
            (due::IT_PROJECT_FINDING, &subject),
            due::PROJECT_RECTIFICATION,
            |_| true,
            1,
            (
                &format!("it_project_finding:{}", f.id),
                p.clock.now().timestamp_micros(),
            ),
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("it_project.rectify", "it_project", &f.project_id)
                .before(f.finding.clone())
                .after(format!("{today} 整改完成：{text}")),
        )
        .await?;
        Ok(())
    })
}

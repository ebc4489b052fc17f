//! The performance self-evaluation (SNXM-36: 项目投入运行后12个月内，建设单位
//! 应开展绩效自评价……编制项目绩效评价自评报告报市数据局、市财政局备案). The
//! unit files the report of an accepted project; the due control made at
//! acceptance is done, and the bureau and finance are told.

use yunwei_domain::roles::{Action, Role};
use yunwei_domain::AppError;
use yunwei_store::projects as store;
use yunwei_store::{in_tx, users};

use crate::kernel::audit::{record, Actor, Event};
use crate::kernel::due;
use crate::kernel::notify::{notify, Notice};
use crate::{Ctx, Platform, Principal};

/// Largest report accepted.
pub const MAX_REPORT_BYTES: usize = 50 * 1024 * 1024;

/// What a filing did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SelfEvaluationFiled {
    pub project_id: String,
    pub filed_on: String,
    /// Filed after its deadline (SNXM-36).
    pub late: bool,
}

/// Files the self-evaluation report of an accepted project: the unit's
/// staff (`BusinessOperate` over the project's organisation). Checked
/// before the file touches disk.
pub async fn file_self_evaluation(
    p: &Platform,
    pr: &Principal,
    ctx: &Ctx,
    project_id: &str,
    filename: &str,
    content: &[u8],
) -> Result<SelfEvaluationFiled, AppError> {
    if content.is_empty() || content.len() > MAX_REPORT_BYTES {
        return Err(AppError::bad_request(
            "project.report_size",
            "自评报告文件不能为空，且不超过50MB",
        ));
    }
    let filename = yunwei_domain::text::clean_file_name(filename, 200)
        .map_err(|e| e.error("project.report_name", "文件名"))?;
    let project = super::readable(p, pr, project_id).await?;
    pr.authorize(Action::BusinessOperate, &project.org_path)?;
    let source = super::rules(p, &project.pack_id)?
        .source_of("self_evaluation_within_months")
        .to_string();
    if project.accepted_on.is_none() {
        return Err(AppError::bad_request(
            "project.not_accepted",
            format!("项目尚未验收投入运行，不能报送绩效自评报告（{source}）"),
        ));
    }
    let digest = hex::encode(p.crypto.sm3(content));
    let today = due::today(p).format("%Y-%m-%d").to_string();
    let now = p.now_us();
    let filed = in_tx!(p.db, |c| {
        let auth = pr.authorize(Action::BusinessOperate, &project.org_path)?;
        let mut row = store::get(&mut c, &project.id)
            .await?
            .ok_or_else(AppError::internal)?;
        if row.self_evaluation_on.is_some() {
            return Err(AppError::conflict(
                "project.report_filed",
                "该项目的绩效自评报告已报送备案",
            ));
        }
        // Written only once the filing is allowed.
        crate::kernel::files::store(p, &digest, content)?;
        let late = row
            .self_evaluation_due
            .as_deref()
            .is_some_and(|d| today.as_str() > d);
        row.self_evaluation_on = Some(today.clone());
        row.self_evaluation_sm3 = Some(digest.clone());
        row.self_evaluation_file = Some(filename.clone());
        row.updated_at = now.max(row.updated_at + 1);
        store::save(&mut c, &row).await?;
        due::complete_open(
            &mut c,
            (due::IT_PROJECT, &row.id),
            due::PROJECT_SELF_EVALUATION,
            |_| true,
            1,
            (&format!("it_project_self_evaluation:{}", row.id), now),
        )
        .await?;
        // 报市数据局、市财政局备案: both are told.
        let roles = vec![
            Role::ProjectManager.as_str().to_string(),
            Role::ProjectFinance.as_str().to_string(),
        ];
        let told = users::holders_covering(&mut c, &roles, &row.org_path).await?;
        let title = format!("{} 绩效自评报告已报送备案", row.name);
        let body = format!(
            "{}（{}）的绩效自评报告“{}”已于 {} 报送{}（{source}）",
            row.name,
            row.number,
            filename,
            today,
            if late { "，已超过期限" } else { "" }
        );
        let link = format!("/projects/{}", row.id);
        notify(
            &mut c,
            &told,
            &Notice {
                user_id: "",
                ticket_id: Some(&row.id),
                kind: "project_self_evaluation",
                title: &title,
                body: &body,
                at_us: now,
                link: Some(&link),
                due_at: None,
            },
        )
        .await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("it_project.self_evaluation", "it_project", &row.id).after(format!(
                "{}（{}）：绩效自评报告 {}，SM3 {}{}",
                row.name,
                row.number,
                filename,
                digest,
                if late { "，逾期报送" } else { "" }
            )),
        )
        .await?;
        Ok(SelfEvaluationFiled {
            project_id: row.id.clone(),
            filed_on: today.clone(),
            late,
        })
    })?;
    Ok(filed)
}

/// The report file of a project's self-evaluation, for whoever reads the
/// project (audited).
pub async fn self_evaluation_file(
    p: &Platform,
    pr: &Principal,
    ctx: &Ctx,
    project_id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let row = super::readable(p, pr, project_id).await?;
    let (Some(sm3), Some(name)) = (
        row.self_evaluation_sm3.clone(),
        row.self_evaluation_file.clone(),
    ) else {
        return Err(AppError::not_found("绩效自评报告"));
    };
    let content = crate::kernel::files::read(p, &sm3)?;
    let auth = crate::kernel::principal::Authorized::seen(pr);
    let mut c = p.db.begin().await?;
    record(
        p,
        &mut c,
        ctx,
        Actor::User(auth),
        Event::success("it_project.report_download", "it_project", &row.id).after(format!(
            "{}（{}）：下载绩效自评报告 {name}",
            row.name, row.number
        )),
    )
    .await?;
    c.commit().await?;
    Ok((name, content))
}

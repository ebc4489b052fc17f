//! The PDF of a ticket, to print, sign and file (ADR 0013): its fields,
//! route, approval, time limits, timeline and a signature block.

use super::*;
use crate::kernel::pdf::{col, PdfDoc};

/// The ticket as a PDF, for whoever may read it (the same scope as the
/// ticket page: otherwise not found); the download is audited.
pub async fn ticket_pdf(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
) -> Result<(TicketSummary, Vec<u8>), AppError> {
    let d = detail(p, pr, id).await?;
    let t = &d.ticket;
    let mut doc = PdfDoc::new(
        &p.pdf_font,
        &format!("{} {}", t.number, t.title),
        &format!("{}　{}", t.number, t.title),
    )?;
    let org = {
        let mut c = p.db.read().await?;
        orgs::get(&mut c, &t.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default()
    };
    let fmt = yunwei_domain::time::fmt_minute;
    doc.heading_title(&t.title);
    doc.note(&format!(
        "{}　{}　当前状态：{}",
        t.number, t.process_name, t.state_label
    ));

    doc.heading("基本信息");
    let mut basics = vec![
        ("编号".to_string(), t.number.clone()),
        ("流程".to_string(), t.process_name.clone()),
        ("状态".to_string(), t.state_label.clone()),
    ];
    if let Some(l) = &t.level_label {
        basics.push(("级别".into(), l.clone()));
    }
    basics.push(("机构".into(), org));
    basics.push(("登记人".into(), d.requester_name.clone()));
    basics.push((
        "负责人".into(),
        d.assignee_name.clone().unwrap_or_else(|| "未指定".into()),
    ));
    basics.push(("登记时间".into(), fmt(t.created_at)));
    if let Some(due) = t.due_at {
        let late = if t.overdue { "（已超时）" } else { "" };
        basics.push(("办理期限".into(), format!("{}{late}", fmt(due))));
    }
    doc.fields(&basics);

    let fields: Vec<(String, String)> = d
        .fields
        .iter()
        .filter(|f| !f.value.is_empty() && f.id != "title")
        .map(|f| (f.label.clone(), f.value.clone()))
        .collect();
    doc.heading("工单内容");
    if fields.is_empty() {
        doc.paragraph("尚未填写。");
    } else {
        doc.fields(&fields);
    }

    doc.heading("办理流程");
    let steps: Vec<Vec<String>> = d
        .route
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let status = match s.status {
                "done" => "已完成",
                "current" => "当前环节",
                _ => "待办理",
            };
            vec![(i + 1).to_string(), s.label.clone(), status.to_string()]
        })
        .collect();
    doc.table(
        &[col("序号", 0.1), col("环节", 0.6), col("状态", 0.3)],
        &steps,
    );
    if t.closed {
        doc.paragraph("流程已结束。");
    } else if !d.next_actors.is_empty() {
        doc.paragraph(&format!("下一步由谁办理：{}", d.next_actors.join("；")));
    }

    if let Some(a) = &d.approval {
        doc.heading(&format!("审批：{}", a.label));
        doc.note(&format!("依据 {}", a.source));
        let votes: Vec<Vec<String>> = a
            .steps
            .iter()
            .map(|(role, status)| vec![role.clone(), status.clone()])
            .collect();
        doc.table(&[col("审批人", 0.6), col("审批结果", 0.4)], &votes);
    }

    if !d.timers.is_empty() {
        doc.heading("办理时限");
        let rows: Vec<Vec<String>> = d
            .timers
            .iter()
            .map(|x| {
                let status = if x.overdue {
                    "已超时"
                } else if x.status == "paused" {
                    "已暂停计时"
                } else if x.status == "running" {
                    "计时中"
                } else {
                    "已结束"
                };
                vec![
                    x.label.clone(),
                    fmt(x.due_at),
                    status.to_string(),
                    x.source.clone(),
                ]
            })
            .collect();
        doc.table(
            &[
                col("时限", 0.34),
                col("截止时间", 0.24),
                col("状态", 0.16),
                col("依据", 0.26),
            ],
            &rows,
        );
    }

    doc.heading("办理记录");
    let events: Vec<Vec<String>> = d
        .events
        .iter()
        .map(|e| {
            vec![
                fmt(e.at),
                e.actor_name.clone(),
                e.label.clone(),
                e.body.clone(),
            ]
        })
        .collect();
    doc.table(
        &[
            col("时间", 0.19),
            col("办理人", 0.13),
            col("事项", 0.33),
            col("说明", 0.35),
        ],
        &events,
    );

    if !d.attachments.is_empty() {
        doc.heading("附件");
        let rows: Vec<Vec<String>> = d
            .attachments
            .iter()
            .map(|a| {
                vec![
                    a.filename.clone(),
                    format!("{:.1} KB", a.size as f64 / 1024.0),
                    fmt(a.at),
                    a.sm3.chars().take(16).collect(),
                ]
            })
            .collect();
        doc.table(
            &[
                col("文件", 0.4),
                col("大小", 0.14),
                col("上传时间", 0.22),
                col("SM3（前16位）", 0.24),
            ],
            &rows,
        );
    }

    if !d.links.is_empty() {
        doc.heading("关联工单");
        let rows: Vec<Vec<String>> = d
            .links
            .iter()
            .map(|(_, l)| {
                vec![
                    l.number.clone(),
                    l.title.clone(),
                    l.process_name.clone(),
                    l.state_label.clone(),
                ]
            })
            .collect();
        doc.table(
            &[
                col("编号", 0.22),
                col("标题", 0.42),
                col("流程", 0.18),
                col("状态", 0.18),
            ],
            &rows,
        );
    }

    doc.signatures(&["经办人", "审核人", "日期"]);
    let bytes = doc.finish(&pr.display_name, p.clock.now())?;

    let auth = Authorized::seen(pr);
    in_tx!(p.db, |c| {
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("ticket.pdf", "ticket", t.id.clone())
                .after(format!("下载工单 {} 的 PDF", t.number)),
        )
        .await?;
        Ok(())
    })?;
    Ok((d.ticket, bytes))
}

//! Excel (.xlsx) exports. Every sheet names who exported it and when.

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook};
use yunwei_domain::audit::AuditRecord;
use yunwei_domain::AppError;

pub use yunwei_domain::time::{fmt_minute, fmt_us};

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> AppError {
    tracing::error!(error = %e, "xlsx export failed");
    AppError::internal()
}

/// Writes a sheet with a title line naming the exporter, a header row and
/// the rows; returns the workbook bytes.
pub fn table_xlsx(
    sheet: &str,
    exporter: &str,
    at: DateTime<Utc>,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, AppError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(xlsx_err)?;
    let bold = Format::new().set_bold();
    let title = format!(
        "导出人：{exporter}    导出时间：{}    共 {} 条",
        fmt_us(at.timestamp_micros()),
        rows.len()
    );
    ws.write_string(0, 0, &title).map_err(xlsx_err)?;
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, *h, &bold)
            .map_err(xlsx_err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (i, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 2, i as u16, v)
                .map_err(xlsx_err)?;
        }
    }
    wb.save_to_buffer().map_err(xlsx_err)
}

pub fn audit_xlsx(
    rows: &[AuditRecord],
    packs: &[yunwei_domain::policy::Pack],
    exporter: &str,
    at: DateTime<Utc>,
) -> Result<Vec<u8>, AppError> {
    let headers = [
        "序号",
        "时间",
        "操作人",
        "角色",
        "来源地址",
        "操作",
        "对象类型",
        "对象",
        "变更前",
        "变更后",
        "原因",
        "结果",
        "请求号",
    ];
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            use yunwei_domain::labels;
            // Codes in Chinese (one table with the audit page); the ids
            // stay, an export is evidence.
            let (before, after) = labels::before_after(&r.action, &r.before, &r.after, packs);
            vec![
                r.seq.to_string(),
                fmt_us(r.at_us),
                labels::actor_name_label(&r.actor_name).to_string(),
                labels::actor_role_label(&r.actor_role),
                r.source_ip.clone(),
                labels::action_label(&r.action),
                labels::object_type_label(&r.object_type),
                r.object_id.clone(),
                before,
                after,
                r.reason.clone(),
                labels::result_label(&r.result).to_string(),
                r.request_id.clone(),
            ]
        })
        .collect();
    table_xlsx("审计记录", exporter, at, &headers, &data)
}

/// An import template: the first sheet holds only the header row (the
/// columns marked required in bold red), a second sheet the notes, one
/// row each (e.g. column, required, what to write).
pub fn template_xlsx(
    sheet: &str,
    columns: &[(&str, bool)],
    notes_sheet: &str,
    notes: &[Vec<String>],
) -> Result<Vec<u8>, AppError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(xlsx_err)?;
    let bold = Format::new().set_bold();
    let required = Format::new()
        .set_bold()
        .set_font_color(rust_xlsxwriter::Color::Red);
    for (i, (h, req)) in columns.iter().enumerate() {
        let f = if *req { &required } else { &bold };
        ws.write_string_with_format(0, i as u16, *h, f)
            .map_err(xlsx_err)?;
        ws.set_column_width(i as u16, 14).map_err(xlsx_err)?;
    }
    let ns = wb.add_worksheet();
    ns.set_name(notes_sheet).map_err(xlsx_err)?;
    for (r, row) in notes.iter().enumerate() {
        for (i, v) in row.iter().enumerate() {
            if r == 0 {
                ns.write_string_with_format(0, i as u16, v, &bold)
                    .map_err(xlsx_err)?;
            } else {
                ns.write_string(r as u32, i as u16, v).map_err(xlsx_err)?;
            }
        }
    }
    ns.set_column_width(2, 80).map_err(xlsx_err)?;
    wb.save_to_buffer().map_err(xlsx_err)
}

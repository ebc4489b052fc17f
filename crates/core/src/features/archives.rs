//! Technical archives (EEDS-3.6, NTCZ-3.1.7; ADR 0005): documents of an
//! item or of an organisation's systems (device layout, IP maps, network
//! diagrams, configuration lists, manuals, licences, emergency plans ...),
//! versioned; every version is a file of the content-addressed store kept
//! with its SM3 digest. Everyone who may read the registers sees which
//! documents exist; only those who keep the registers there
//! (`RegisterEdit`) may upload or download them, and every download, and
//! every refused one, is audited. The list exports to Excel (audited,
//! with a reason).

use serde::{Deserialize, Serialize};
use yunwei_domain::cmdb::{clean_text, ArchiveKind};
use yunwei_domain::ids::new_id;
use yunwei_domain::org::is_within;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::archives::{self as store, DocRow, VersionRow};
use yunwei_store::{cmdb as cistore, in_tx, orgs, DbConn};

use crate::kernel::audit::{deny, record, Actor, Event};
use crate::{Ctx, Platform, Principal};

/// Largest file of one version.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;
/// Most documents in one export.
pub const EXPORT_LIMIT: u64 = 50_000;

fn not_found() -> AppError {
    AppError::not_found("技术资料")
}

fn clean_filename(name: &str) -> Result<String, AppError> {
    yunwei_domain::text::clean_file_name(name, 200)
        .map_err(|e| e.error("archive.filename", "文件名"))
}

fn check_size(content: &[u8]) -> Result<(), AppError> {
    if content.is_empty() || content.len() > MAX_FILE_BYTES {
        return Err(AppError::bad_request(
            "archive.size",
            "文件不能为空，且不超过50MB",
        ));
    }
    Ok(())
}

/// A new document and its first version.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewDoc {
    pub title: String,
    pub kind: String,
    /// The item it documents (id or code); else the organisation's systems.
    #[serde(default)]
    pub ci: String,
    /// The owning organisation when no item is named (the caller's when empty).
    #[serde(default)]
    pub org_id: String,
    pub filename: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocView {
    #[serde(flatten)]
    pub doc: DocRow,
    pub kind_label: &'static str,
    pub ci_code: String,
    pub versions: Vec<VersionRow>,
    pub can_download: bool,
}

async fn view(c: &mut DbConn, pr: &Principal, d: DocRow) -> Result<DocView, AppError> {
    let ci_code = match &d.ci_id {
        Some(id) => cistore::get_ci(c, id)
            .await?
            .map(|a| a.code)
            .unwrap_or_default(),
        None => String::new(),
    };
    let versions = store::versions(c, &d.id).await?;
    Ok(DocView {
        kind_label: ArchiveKind::parse(&d.kind)
            .map(|k| k.label())
            .unwrap_or("其他资料"),
        can_download: pr.can(Action::RegisterEdit, &d.org_path),
        ci_code,
        versions,
        doc: d,
    })
}

/// The type of an archive in the search index.
pub const DOC_TYPE: &str = "archive";

/// Indexes the document for search in the caller's transaction: found by
/// those who see it in the list (`BusinessRead` over its organisation)
/// by its title, kind, item and the current version's file name and note.
pub(crate) async fn index(c: &mut DbConn, d: &DocRow) -> Result<(), AppError> {
    let ci_code = match &d.ci_id {
        Some(id) => cistore::get_ci(c, id)
            .await?
            .map(|a| format!("{} {}", a.code, a.name))
            .unwrap_or_default(),
        None => String::new(),
    };
    let current = store::versions(c, &d.id)
        .await?
        .into_iter()
        .find(|v| v.version == d.current_version);
    let kind = ArchiveKind::parse(&d.kind)
        .map(|k| k.label())
        .unwrap_or("其他资料");
    let body = match current {
        Some(v) => format!("{kind} {ci_code} {} {}", v.filename, v.note),
        None => format!("{kind} {ci_code}"),
    };
    crate::kernel::search::index_document(
        c,
        &crate::kernel::search::Document {
            doc_type: DOC_TYPE,
            doc_id: &d.id,
            org_path: &d.org_path,
            title: &d.title,
            body: &body,
            updated_at: d.updated_at,
        },
    )
    .await
}

async fn readable(c: &mut DbConn, pr: &Principal, id: &str) -> Result<DocRow, AppError> {
    store::get_doc(c, id)
        .await?
        .filter(|d| pr.can(Action::BusinessRead, &d.org_path))
        .ok_or_else(not_found)
}

pub async fn create(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    input: &NewDoc,
    content: &[u8],
) -> Result<DocView, AppError> {
    let title = clean_text(&input.title, "资料名称", 200, true)?;
    let kind = ArchiveKind::parse(&input.kind)?;
    let filename = clean_filename(&input.filename)?;
    let note = clean_text(&input.note, "说明", 1000, false)?;
    check_size(content)?;
    let digest = hex::encode(p.crypto.sm3(content));
    let doc = in_tx!(p.db, |c| {
        let (ci, org_id) = if input.ci.trim().is_empty() {
            let id = if input.org_id.trim().is_empty() {
                pr.org_id.clone()
            } else {
                input.org_id.trim().to_string()
            };
            (None, id)
        } else {
            let r = input.ci.trim();
            let a = match cistore::get_ci(&mut c, r).await? {
                Some(a) => Some(a),
                None => cistore::ci_by_code(&mut c, r).await?,
            }
            .filter(|a| pr.can(Action::BusinessRead, &a.org_path))
            .ok_or_else(|| {
                AppError::bad_request("cmdb.ci_unknown", format!("找不到配置项“{r}”"))
            })?;
            let org = a.org_id.clone();
            (Some(a), org)
        };
        let org = orgs::get(&mut c, &org_id)
            .await?
            .ok_or_else(|| AppError::not_found("机构"))?;
        let auth = pr.authorize(Action::RegisterEdit, &org.path)?;
        // Written only once the upload is allowed, before the row naming
        // it in this transaction (issue 11).
        crate::kernel::files::store(p, &digest, content)?;
        let now = p.now_us();
        let d = DocRow {
            id: new_id(),
            title: title.clone(),
            kind: kind.as_str().into(),
            ci_id: ci.as_ref().map(|a| a.id.clone()),
            org_id: org.id.clone(),
            org_path: org.path.clone(),
            current_version: 1,
            created_by: pr.user_id.clone(),
            created_at: now,
            updated_at: now,
        };
        store::insert_doc(&mut c, &d).await?;
        store::insert_version(
            &mut c,
            &VersionRow {
                id: new_id(),
                doc_id: d.id.clone(),
                version: 1,
                filename: filename.clone(),
                sm3: digest.clone(),
                size: content.len() as i64,
                note: note.clone(),
                uploaded_by: pr.user_id.clone(),
                uploaded_at: now,
            },
        )
        .await?;
        index(&mut c, &d).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("archive.create", "archive", &d.id).after(format!(
                "{}《{}》第 1 版 {} SM3={}",
                kind.label(),
                d.title,
                filename,
                digest
            )),
        )
        .await?;
        Ok(d)
    })?;
    let mut c = p.db.read().await?;
    view(&mut c, pr, doc).await
}

/// Uploads a new version; earlier versions stay downloadable.
pub async fn add_version(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    id: &str,
    filename: &str,
    note: &str,
    content: &[u8],
) -> Result<DocView, AppError> {
    let filename = clean_filename(filename)?;
    let note = clean_text(note, "说明", 1000, false)?;
    check_size(content)?;
    let digest = hex::encode(p.crypto.sm3(content));
    let doc = in_tx!(p.db, |c| {
        let d = readable(&mut c, pr, id).await?;
        let auth = pr.authorize(Action::RegisterEdit, &d.org_path)?;
        crate::kernel::files::store(p, &digest, content)?;
        let now = p.now_us();
        let next = d.current_version + 1;
        if !store::bump_version(&mut c, &d.id, d.current_version, next, now).await? {
            return Err(AppError::conflict(
                "archive.changed",
                "该资料刚被他人更新，请刷新后重试",
            ));
        }
        store::insert_version(
            &mut c,
            &VersionRow {
                id: new_id(),
                doc_id: d.id.clone(),
                version: next,
                filename: filename.clone(),
                sm3: digest.clone(),
                size: content.len() as i64,
                note: note.clone(),
                uploaded_by: pr.user_id.clone(),
                uploaded_at: now,
            },
        )
        .await?;
        let bumped = store::get_doc(&mut c, &d.id).await?.ok_or_else(not_found)?;
        index(&mut c, &bumped).await?;
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success("archive.version", "archive", &d.id)
                .before(format!("第 {} 版", d.current_version))
                .after(format!(
                    "《{}》第 {next} 版 {filename} SM3={digest}",
                    d.title
                )),
        )
        .await?;
        Ok(bumped)
    })?;
    let mut c = p.db.read().await?;
    view(&mut c, pr, doc).await
}

pub async fn get(p: &Platform, pr: &Principal, id: &str) -> Result<DocView, AppError> {
    let mut c = p.db.read().await?;
    let d = readable(&mut c, pr, id).await?;
    view(&mut c, pr, d).await
}

/// Documents the caller may see, of one item (`ci_id`) or all.
pub async fn list(
    p: &Platform,
    pr: &Principal,
    ci_id: Option<&str>,
) -> Result<Vec<DocView>, AppError> {
    crate::features::cmdb::may_read(pr)?;
    let mut c = p.db.read().await?;
    let rows = store::list_docs(&mut c, &pr.scope_for(Action::BusinessRead), ci_id, 500).await?;
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        out.push(view(&mut c, pr, d).await?);
    }
    Ok(out)
}

/// What the list page filters by; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListFilter {
    /// Documents of this item only.
    #[serde(default)]
    pub ci_id: Option<String>,
    /// One [`ArchiveKind`].
    #[serde(default)]
    pub kind: Option<String>,
    /// This organisation and the ones below it.
    #[serde(default)]
    pub org_id: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The documents of [`list`] matching the page's filters (up to
/// [`EXPORT_LIMIT`], the most recently updated first) as an Excel sheet
/// naming the exporter: title, kind, item, organisation, current version
/// with its SM3 and when it was updated. Needs a reason and is audited.
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &ListFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let auth = crate::features::cmdb::may_read(pr)?;
    let kind = given(&f.kind).map(ArchiveKind::parse).transpose()?;
    let mut c = p.db.read().await?;
    let org_path = match given(&f.org_id) {
        None => None,
        Some(id) => Some(
            orgs::get(&mut c, id)
                .await?
                .filter(|o| pr.can(Action::BusinessRead, &o.path))
                .ok_or_else(|| {
                    AppError::bad_request("archive.org_unknown", "找不到该机构，或超出您的查看范围")
                })?
                .path,
        ),
    };
    let rows = store::list_docs(
        &mut c,
        &pr.scope_for(Action::BusinessRead),
        given(&f.ci_id),
        EXPORT_LIMIT,
    )
    .await?;
    let mut docs = Vec::new();
    for d in rows {
        if kind.is_some_and(|k| d.kind != k.as_str())
            || org_path
                .as_ref()
                .is_some_and(|p| !is_within(&d.org_path, p))
        {
            continue;
        }
        docs.push(view(&mut c, pr, d).await?);
    }
    let names = crate::kernel::due::org_names(&mut c, docs.iter().map(|d| &d.doc.org_id)).await?;
    drop(c);
    let data: Vec<Vec<String>> = docs
        .iter()
        .map(|d| {
            vec![
                d.doc.title.clone(),
                d.kind_label.to_string(),
                d.ci_code.clone(),
                names.get(&d.doc.org_id).cloned().unwrap_or_default(),
                format!("第 {} 版", d.doc.current_version),
                d.versions
                    .iter()
                    .find(|v| v.version == d.doc.current_version)
                    .map(|v| v.sm3.clone())
                    .unwrap_or_default(),
                crate::kernel::export::fmt_us(d.doc.updated_at),
            ]
        })
        .collect();
    let bytes = crate::kernel::export::table_xlsx(
        "技术档案",
        &pr.display_name,
        p.clock.now(),
        &[
            "资料名称",
            "类别",
            "配置项",
            "机构",
            "当前版本",
            "当前版本SM3",
            "更新时间",
        ],
        &data,
    )?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "archives.export",
        "archive",
        format!("导出 {} 份技术资料", data.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

/// A version's file, for those who keep the registers of its organisation;
/// the download is audited (with the digest) before the bytes leave, and
/// a refused download is audited as refused.
pub async fn download(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    version_id: &str,
) -> Result<(VersionRow, Vec<u8>), AppError> {
    let (v, d) = {
        let mut c = p.db.read().await?;
        let v = store::get_version(&mut c, version_id)
            .await?
            .ok_or_else(not_found)?;
        let d = readable(&mut c, pr, &v.doc_id).await?;
        (v, d)
    };
    let ev = Event::success("archive.download", "archive", &d.id).after(format!(
        "《{}》第 {} 版 {} SM3={}",
        d.title, v.version, v.filename, v.sm3
    ));
    let auth = match pr.authorize(Action::RegisterEdit, &d.org_path) {
        Ok(auth) => auth,
        Err(e) => return deny(p, ctx, pr, ev, e).await,
    };
    let bytes = crate::kernel::files::read(p, &v.sm3)?;
    in_tx!(p.db, |c| {
        record(p, &mut c, ctx, Actor::User(auth), ev.clone()).await?;
        Ok(())
    })?;
    Ok((v, bytes))
}

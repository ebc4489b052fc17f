//! Content-addressed file store on disk (attachments, archives): a file is
//! kept once under the hex SM3 of its content, outside any web root
//! (DESIGN.md section 9).
//!
//! A file is written only once the caller's permission is checked, inside
//! the transaction that inserts the row naming it (issue 11). A file that
//! no row references (its transaction failed after the write, or a crash)
//! is removed by [`collect_orphans`], run by the background jobs, once it
//! is older than [`ORPHAN_GRACE`].

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use yunwei_domain::ids::new_id;
use yunwei_domain::AppError;
use yunwei_store::in_tx;

use crate::kernel::audit::{record, Actor, Event};
use crate::{Ctx, Platform};

/// The media type under which a stored file may be shown in the browser
/// (`Content-Disposition: inline`), judged by its content, never by its
/// name: PNG, JPEG, GIF, WebP images and PDF. Anything else (SVG and HTML
/// included, which could run script) is only downloaded.
pub fn inline_type(content: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| content.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if content.len() >= 12 && starts(b"RIFF") && &content[8..12] == b"WEBP" {
        Some("image/webp")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// How old an unreferenced file must be before it is removed: an upload
/// writes its file and then inserts its row in the same transaction, which
/// takes well under a second even for 50 MB; an hour leaves room for slow
/// disks and retried transactions and never races an upload in flight.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(3600);

fn path_of(p: &Platform, digest: &str) -> Result<PathBuf, AppError> {
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::internal());
    }
    Ok(p.files_dir.join(&digest[..2]).join(digest))
}

fn io_err(ctx: &str, e: std::io::Error) -> AppError {
    tracing::error!(error = %e, context = ctx, "file store error");
    AppError::internal()
}

/// Writes the content if it is not there yet. Written to a temporary name,
/// synced and renamed, so a crash never leaves a partial file under the
/// final name.
pub fn store(p: &Platform, digest: &str, content: &[u8]) -> Result<(), AppError> {
    let path = path_of(p, digest)?;
    if path.exists() {
        // Fresh again, so the orphan collection leaves it to the row about
        // to reference it.
        if let Ok(f) = std::fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        return Ok(());
    }
    let dir = path.parent().ok_or_else(AppError::internal)?;
    std::fs::create_dir_all(dir).map_err(|e| io_err("create file dir", e))?;
    let tmp = dir.join(format!(".{digest}.{}", yunwei_domain::ids::new_id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_err("create temp file", e))?;
    f.write_all(content).map_err(|e| io_err("write file", e))?;
    f.sync_all().map_err(|e| io_err("sync file", e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_err("rename file", e))?;
    Ok(())
}

/// Reads a stored file and checks it still has its digest.
pub fn read(p: &Platform, digest: &str) -> Result<Vec<u8>, AppError> {
    let bytes = std::fs::read(path_of(p, digest)?).map_err(|e| io_err("read file", e))?;
    if hex::encode(p.crypto.sm3(&bytes)) != digest {
        tracing::error!(digest, "stored file does not match its digest");
        return Err(AppError::new(
            yunwei_domain::ErrorKind::Internal,
            "file.corrupt",
            "文件已损坏，请联系管理员",
        ));
    }
    Ok(bytes)
}

/// Whether `name` is a digest (the final name of a stored file).
fn is_digest(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes the files of the store that no row references (ticket
/// attachments, archive versions, inspection record files) and that were
/// last modified more than `grace` ago (file time, the wall clock: the
/// age of a file on disk), and leftover temporary files as old. Audited
/// as one `files.collect` record (actor system) when anything was
/// removed. Returns how many files were removed.
pub async fn collect_orphans(p: &Platform, grace: Duration) -> Result<usize, AppError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let old = |meta: &std::fs::Metadata| meta.modified().map(|m| m < cutoff).unwrap_or(false);
    let mut candidates = vec![];
    let mut removed = 0usize;
    let dirs = match std::fs::read_dir(&p.files_dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("list file store", e)),
    };
    for dir in dirs.flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        if name.len() != 2 || !dir.path().is_dir() {
            continue;
        }
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for f in files.flatten() {
            let fname = f.file_name().to_string_lossy().into_owned();
            let Ok(meta) = f.metadata() else { continue };
            if !meta.is_file() || !old(&meta) {
                continue;
            }
            if is_digest(&fname) && fname.starts_with(&name) {
                candidates.push((fname, f.path()));
            } else if fname.starts_with('.') && std::fs::remove_file(f.path()).is_ok() {
                // A temporary file of a write that never finished.
                removed += 1;
            }
        }
    }
    let mut c = p.db.read().await?;
    let mut gone = vec![];
    for (digest, path) in candidates {
        if yunwei_store::files::is_referenced(&mut c, &digest).await? {
            continue;
        }
        // Written again meanwhile by an upload about to reference it.
        if !std::fs::metadata(&path).map(|m| old(&m)).unwrap_or(false) {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => gone.push(digest),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove orphan file", e)),
        }
    }
    drop(c);
    removed += gone.len();
    if removed > 0 {
        let ctx = Ctx::system(&new_id());
        let summary = format!(
            "删除未被引用的文件 {removed} 个{}",
            if gone.is_empty() {
                String::new()
            } else {
                format!("（SM3：{}）", gone.join("、"))
            }
        );
        in_tx!(p.db, |c| {
            let org_path = yunwei_store::orgs::root(&mut c)
                .await?
                .map(|o| o.path)
                .unwrap_or_default();
            record(
                p,
                &mut c,
                &ctx,
                Actor::System {
                    org_path: &org_path,
                },
                Event::success("files.collect", "file_store", "orphans")
                    .after(summary.clone())
                    .reason(format!("超过 {} 分钟未被引用", grace.as_secs() / 60)),
            )
            .await?;
            Ok(())
        })?;
    }
    Ok(removed)
}

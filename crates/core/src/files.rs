//! Content-addressed file store on disk (attachments, archives): a file is
//! kept once under the hex SM3 of its content, outside any web root
//! (DESIGN.md section 9).

use std::io::Write;
use std::path::PathBuf;

use yunwei_domain::AppError;

use crate::Platform;

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

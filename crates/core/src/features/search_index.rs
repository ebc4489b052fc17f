//! Keeping the search index whole across upgrades (docs/adr/0004): the
//! documents a newer version indexes that an older one did not (technical
//! archives and register entries, issue 13), or whose tokens a tokeniser
//! change alters, are indexed again once, by the job `search_reindex`,
//! after the upgrade. The index version done is kept in the settings
//! (`search.index_version`); a fresh database indexes its documents as
//! they are written, so there the job only walks what the demo or the
//! first users filed.
//!
//! Tickets are not walked: their tokens did not change, and their entry
//! holds the latest comment, which only the transition that added it has.

use yunwei_domain::register::SPECS;
use yunwei_domain::AppError;
use yunwei_store::{archives, cmdb, in_tx, knowledge, registers, settings, DbConn};

use crate::Platform;

/// The version of the index this build writes. 2: archives and register
/// entries indexed, documents carry their audience (issue 13).
pub const INDEX_VERSION: i64 = 2;
const SETTING: &str = "search.index_version";
/// Documents re-indexed per transaction.
const BATCH: u64 = 200;

/// The index version the database holds (1 before this job first ran).
pub async fn stored_version(p: &Platform) -> Result<i64, AppError> {
    let mut c = p.db.read().await?;
    Ok(settings::get(&mut c, SETTING)
        .await?
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1))
}

/// Re-indexes every document (see the module documentation) when the
/// stored index version is older than [`INDEX_VERSION`], then records it;
/// how many documents it indexed (0 when the index was current).
pub async fn reindex_if_stale(p: &Platform) -> Result<usize, AppError> {
    if stored_version(p).await? >= INDEX_VERSION {
        return Ok(0);
    }
    let n = reindex(p).await?;
    let now = p.now_us();
    in_tx!(p.db, |c| {
        settings::put(&mut c, SETTING, &INDEX_VERSION.to_string(), now).await
    })?;
    tracing::info!(
        documents = n,
        version = INDEX_VERSION,
        "search index rebuilt"
    );
    Ok(n)
}

/// What one kind of document is walked by: its table and how one row,
/// read in the writing transaction, is indexed (false: no such row).
enum Kind {
    Articles,
    Items,
    Archives,
    Register(&'static yunwei_domain::register::Spec),
}

impl Kind {
    fn table(&self) -> &'static str {
        match self {
            Kind::Articles => "kb_articles",
            Kind::Items => "cis",
            Kind::Archives => "archive_docs",
            Kind::Register(spec) => spec.key,
        }
    }

    async fn index(&self, c: &mut DbConn, id: &str) -> Result<bool, AppError> {
        match self {
            Kind::Articles => match knowledge::get(c, id).await? {
                Some(a) => crate::features::knowledge::index(c, &a).await.map(|_| true),
                None => Ok(false),
            },
            Kind::Items => match cmdb::get_ci(c, id).await? {
                Some(a) => crate::features::cmdb::index(c, &a).await.map(|_| true),
                None => Ok(false),
            },
            Kind::Archives => match archives::get_doc(c, id).await? {
                Some(d) => crate::features::archives::index(c, &d).await.map(|_| true),
                None => Ok(false),
            },
            Kind::Register(spec) => match registers::get(c, spec, id).await? {
                Some(e) => crate::registers::index_entry(c, spec, &e)
                    .await
                    .map(|_| true),
                None => Ok(false),
            },
        }
    }
}

/// Indexes every knowledge article, configuration item, technical archive
/// and register entry again, in batches of [`BATCH`], each row read and
/// indexed in one write transaction (so the entry written is the row as it
/// stands). Returns how many it indexed.
pub async fn reindex(p: &Platform) -> Result<usize, AppError> {
    let kinds = [Kind::Articles, Kind::Items, Kind::Archives]
        .into_iter()
        .chain(SPECS.iter().map(Kind::Register));
    let mut n = 0;
    for kind in kinds {
        let mut after = String::new();
        loop {
            let ids = {
                let mut c = p.db.read().await?;
                yunwei_store::search::ids_after(&mut c, kind.table(), &after, BATCH).await?
            };
            let Some(last) = ids.last().cloned() else {
                break;
            };
            n += in_tx!(p.db, |c| {
                let mut done = 0;
                for id in &ids {
                    if kind.index(&mut c, id).await? {
                        done += 1;
                    }
                }
                Ok(done)
            })?;
            after = last;
        }
    }
    Ok(n)
}

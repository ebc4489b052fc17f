//! Audit writer, search, export and chain verification (`JSCZ-41`,
//! `EEDS-3.7.1`, `ZMDY-26`).

use std::time::Instant;

use yunwei_domain::audit::{AuditRecord, ChainFault, ChainVerifier};
use yunwei_domain::ids::new_id;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::audit as store;
use yunwei_store::{in_tx, orgs, DbConn, Scope};

use crate::{Authorized, Ctx, Platform, Principal};

pub use yunwei_store::audit::AuditFilter;

/// Who did it.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    /// A user, with the proof of the check that let them do it.
    User(Authorized<'a>),
    /// A user refused or failing: the record's result is never `success`.
    Refused(&'a Principal),
    /// Someone not (yet) authenticated, e.g. a failed login for `name`.
    Anonymous { name: &'a str, org_path: &'a str },
    /// The platform itself or its command line.
    System { org_path: &'a str },
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: String,
    pub before: String,
    pub after: String,
    pub reason: String,
    /// `success`, `failure` or `denied`.
    pub result: &'static str,
}

impl Event {
    pub fn success(
        action: &'static str,
        object_type: &'static str,
        object_id: impl Into<String>,
    ) -> Self {
        Event {
            action,
            object_type,
            object_id: object_id.into(),
            result: "success",
            ..Default::default()
        }
    }
    pub fn with_result(mut self, result: &'static str) -> Self {
        self.result = result;
        self
    }
    pub fn before(mut self, v: impl Into<String>) -> Self {
        self.before = v.into();
        self
    }
    pub fn after(mut self, v: impl Into<String>) -> Self {
        self.after = v.into();
        self
    }
    pub fn reason(mut self, v: impl Into<String>) -> Self {
        self.reason = v.into();
        self
    }
}

/// Appends the audit record inside the caller's transaction.
pub(crate) async fn record(
    p: &Platform,
    c: &mut DbConn,
    ctx: &Ctx,
    actor: Actor<'_>,
    ev: Event,
) -> Result<AuditRecord, AppError> {
    if matches!(actor, Actor::Refused(_)) && ev.result == "success" {
        // A success needs the proof of the check (Actor::User).
        return Err(AppError::internal());
    }
    let (actor_id, actor_name, actor_role, org_path) = match actor {
        Actor::User(auth) => {
            let pr = auth.principal();
            (
                Some(pr.user_id.clone()),
                pr.username.clone(),
                pr.role_names(),
                pr.org_path.clone(),
            )
        }
        Actor::Refused(pr) => (
            Some(pr.user_id.clone()),
            pr.username.clone(),
            pr.role_names(),
            pr.org_path.clone(),
        ),
        Actor::Anonymous { name, org_path } => (
            None,
            name.to_string(),
            "anonymous".to_string(),
            org_path.to_string(),
        ),
        Actor::System { org_path } => (
            None,
            "system".to_string(),
            "system".to_string(),
            org_path.to_string(),
        ),
    };
    let rec = AuditRecord {
        seq: 0,
        id: new_id(),
        at_us: p.now_us(),
        actor_id,
        actor_name,
        actor_role,
        org_path,
        source_ip: ctx.source_ip.clone(),
        action: ev.action.to_string(),
        object_type: ev.object_type.to_string(),
        object_id: ev.object_id,
        before: ev.before,
        after: ev.after,
        reason: ev.reason,
        result: ev.result.to_string(),
        request_id: ctx.request_id.clone(),
    };
    store::append(c, p.crypto.as_ref(), &p.keys.audit_mac, rec).await
}

/// Records an event in a transaction of its own: refusals and failed
/// attempts, where the attempted change itself is not written.
pub(crate) async fn record_alone(
    p: &Platform,
    ctx: &Ctx,
    actor: Actor<'_>,
    ev: Event,
) -> Result<(), AppError> {
    in_tx!(p.db, |c| {
        record(p, &mut c, ctx, actor, ev.clone()).await?;
        Ok(())
    })
}

/// Refuses with `err` after auditing the refusal.
pub(crate) async fn deny<T>(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    ev: Event,
    err: AppError,
) -> Result<T, AppError> {
    let ev = Event {
        after: format!("{}: {}", err.code, err.message),
        ..ev.with_result("denied")
    };
    record_alone(p, ctx, Actor::Refused(pr), ev).await?;
    Err(err)
}

/// The root organisation's path, used for events with no better scope.
pub async fn root_path(c: &mut DbConn) -> Result<String, AppError> {
    Ok(orgs::root(c)
        .await?
        .map(|o| o.path)
        .unwrap_or_else(|| "/".into()))
}

/// Newest-first page of the audit trail visible to the principal.
pub async fn search(
    p: &Platform,
    pr: &Principal,
    f: &AuditFilter,
    limit: u64,
) -> Result<Vec<AuditRecord>, AppError> {
    let scope = pr.scope_for(Action::AuditRead);
    if scope.is_empty() {
        return Err(AppError::forbidden("无权查询审计记录"));
    }
    let mut c = p.db.read().await?;
    let scope = widest(&mut c, scope).await?;
    store::search(&mut c, &scope, f, limit.clamp(1, 500)).await
}

/// Every record lies in the root's subtree, so a scope that covers the root
/// with its subtree needs no path condition; dropping it lets the database
/// walk the chain index newest-first instead of sorting a range of paths
/// (the first page over a million records: seconds -> milliseconds).
async fn widest(c: &mut DbConn, scope: Scope) -> Result<Scope, AppError> {
    let root = root_path(c).await?;
    Ok(if scope.covers_subtree(&root) {
        Scope::whole_tree()
    } else {
        scope
    })
}

/// Most records one export may contain.
pub const EXPORT_LIMIT: u64 = 100_000;

/// Exports matching records to .xlsx, marked with the exporter's name, and
/// audits the export (reason mandatory).
pub async fn export(
    p: &Platform,
    ctx: &Ctx,
    pr: &Principal,
    f: &AuditFilter,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    let reason = crate::kernel::audit::require_reason(reason)?;
    let auth = pr
        .authorize_somewhere(Action::AuditExport)
        .map_err(|_| AppError::forbidden("无权导出审计记录"))?;
    let scope = pr.scope_for(Action::AuditExport);
    let scope = widest(&mut p.db.read().await?, scope).await?;
    let mut rows = Vec::new();
    let mut filter = f.clone();
    {
        let mut c = p.db.read().await?;
        loop {
            let page = store::search(&mut c, &scope, &filter, 5_000).await?;
            let Some(last) = page.last() else { break };
            filter.before_seq = Some(last.seq);
            let done = page.len() < 5_000;
            rows.extend(page);
            if done || rows.len() as u64 >= EXPORT_LIMIT {
                break;
            }
        }
    }
    rows.truncate(EXPORT_LIMIT as usize);
    let bytes =
        crate::kernel::export::audit_xlsx(&rows, &p.packs, &pr.display_name, p.clock.now())?;
    crate::kernel::audit::audit_export(
        p,
        ctx,
        auth,
        "audit.export",
        "audit_log",
        format!("导出 {} 条审计记录", rows.len()),
        &reason,
    )
    .await?;
    Ok(bytes)
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub checked: u64,
    pub seconds: f64,
    pub fault: Option<ChainFault>,
}

impl VerifyReport {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.checked as f64 / self.seconds
        } else {
            self.checked as f64
        }
    }
}

/// Walks the whole chain in `seq` order and checks every MAC and the head.
/// `progress` is called after each batch with the count so far.
pub async fn verify(p: &Platform, progress: impl FnMut(u64)) -> Result<VerifyReport, AppError> {
    verify_with_anchors(p, &[], progress).await
}

/// A chain head recorded outside the database (`yunwei audit anchor`): the
/// record at `seq` had `mac`. Each MAC covers everything before it, so a
/// chain that still holds this MAC at this position is the anchored one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anchor {
    /// When it was taken, RFC 3339 UTC.
    pub at: String,
    pub seq: i64,
    pub mac: String,
    /// The head's seal (HMAC-SM3 of seq and MAC), as stored.
    pub seal: String,
}

/// The current head, checked against its seal, to be kept outside the
/// database; None for a new database without records.
pub async fn anchor(p: &Platform) -> Result<Option<Anchor>, AppError> {
    let mut c = p.db.read().await?;
    let Some(h) = store::head(&mut c).await? else {
        return Ok(None);
    };
    let mac = hex::decode(&h.mac).unwrap_or_default();
    let seal = yunwei_domain::audit::head_seal(p.crypto.as_ref(), &p.keys.audit_mac, h.seq, &mac);
    if hex::encode(seal) != h.seal {
        return Err(AppError::new(
            yunwei_domain::ErrorKind::Internal,
            "audit.head_invalid",
            "审计链头校验失败，不能锚定；请先运行 yunwei audit verify",
        ));
    }
    Ok(Some(Anchor {
        at: p
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        seq: h.seq,
        mac: h.mac,
        seal: h.seal,
    }))
}

/// How often a walk that ended below the head goes on (a live server
/// appending meanwhile) before the difference is reported.
const MAX_CATCH_UPS: u32 = 5;

/// [`verify`], and also: every anchored head is in the chain at its
/// position with its MAC and the chain reaches the newest anchor (a wiped
/// trail restarted from genesis, or a tail cut back to an older copy of
/// the head, fails); an empty trail in a database with accounts fails; a
/// stored record the walk did not reach (a `seq` of 0 or below) fails.
pub async fn verify_with_anchors(
    p: &Platform,
    anchors: &[Anchor],
    mut progress: impl FnMut(u64),
) -> Result<VerifyReport, AppError> {
    let started = Instant::now();
    let mut c = p.db.read().await?;
    let mut v = ChainVerifier::new(p.crypto.as_ref(), &p.keys.audit_mac);
    let mut anchored: std::collections::HashMap<i64, &str> = Default::default();
    for a in anchors {
        // Two different heads anchored at one position are themselves the
        // evidence of a rebuilt chain.
        if anchored
            .insert(a.seq, a.mac.as_str())
            .is_some_and(|m| !m.eq_ignore_ascii_case(&a.mac))
        {
            return Ok(VerifyReport {
                checked: 0,
                seconds: started.elapsed().as_secs_f64(),
                fault: Some(ChainFault::AnchorMismatch { seq: a.seq }),
            });
        }
    }
    let newest_anchor = anchors.iter().map(|a| a.seq).max();
    // From the lowest possible seq: a record numbered 0 or below is walked
    // too, and breaks the sequence, instead of being skipped.
    let mut after = i64::MIN;
    // A live server may append while the walk runs: when the walk ends
    // below the head read then, it goes on walking (a record and its head
    // commit together), a bounded number of times.
    let mut catch_ups = 0;
    let fault = loop {
        let batch = store::chain_batch(&mut c, after, i64::MAX, 10_000).await?;
        if batch.is_empty() {
            let head = store::head(&mut c).await?;
            let last_seq = v.checked as i64;
            if let Some(h) = &head {
                if h.seq > last_seq && catch_ups < MAX_CATCH_UPS {
                    catch_ups += 1;
                    continue;
                }
            }
            let head_fault = match &head {
                Some(h) => {
                    let mac = hex::decode(&h.mac).unwrap_or_default();
                    let seal = hex::decode(&h.seal).unwrap_or_default();
                    v.finish(h.seq, &mac, &seal).err()
                }
                None if v.checked == 0 => None,
                None => Some(ChainFault::BadHead {
                    head_seq: 0,
                    last_seq,
                }),
            };
            if head_fault.is_some() {
                break head_fault;
            }
            if let Some(anchor_seq) = newest_anchor.filter(|s| *s > last_seq) {
                break Some(ChainFault::BehindAnchor {
                    anchor_seq,
                    last_seq,
                });
            }
            // Records up to the last one walked, zero and negative numbers
            // included: one more than walked is one outside the chain.
            let stored = store::count_records_upto(&mut c, last_seq).await?;
            if stored != v.checked as i64 {
                break Some(ChainFault::Unchecked {
                    stored,
                    checked: v.checked,
                });
            }
            if v.checked == 0 {
                let users = store::count_users(&mut c).await?;
                if users > 0 {
                    break Some(ChainFault::EmptyTrail { users });
                }
            }
            break None;
        }
        let mut fault = None;
        for (rec, mac_hex) in &batch {
            let mac = hex::decode(mac_hex).unwrap_or_default();
            if let Err(f) = v.push(rec, &mac) {
                fault = Some(f);
                break;
            }
            if anchored
                .get(&rec.seq)
                .is_some_and(|m| !m.eq_ignore_ascii_case(mac_hex))
            {
                fault = Some(ChainFault::AnchorMismatch { seq: rec.seq });
                break;
            }
        }
        if fault.is_some() {
            break fault;
        }
        after = batch.last().map(|(r, _)| r.seq).unwrap_or(after);
        progress(v.checked);
    };
    Ok(VerifyReport {
        checked: v.checked,
        seconds: started.elapsed().as_secs_f64(),
        fault,
    })
}

/// A reason is mandatory for sensitive operations (`JSCZ-41`).
pub fn require_reason(reason: &str) -> Result<String, AppError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(AppError::bad_request(
            "audit.reason_required",
            "请填写操作原因",
        ));
    }
    if r.chars().count() > 500 {
        return Err(AppError::bad_request(
            "audit.reason_too_long",
            "操作原因不得超过500字",
        ));
    }
    Ok(r.to_string())
}

/// Records an export in a transaction of its own, after the file was
/// written: what and how much (`after`), with the exporter's reason.
pub(crate) async fn audit_export(
    p: &crate::Platform,
    ctx: &crate::Ctx,
    auth: Authorized<'_>,
    action: &'static str,
    object_type: &'static str,
    after: String,
    reason: &str,
) -> Result<(), AppError> {
    yunwei_store::in_tx!(p.db, |c| {
        record(
            p,
            &mut c,
            ctx,
            Actor::User(auth),
            Event::success(action, object_type, "")
                .after(after.clone())
                .reason(reason.to_string()),
        )
        .await?;
        Ok(())
    })
}

/// Appends the current head of the trail to the anchor file (a line of
/// JSON, synced before returning) and returns it; nothing when the trail
/// is empty. The file is kept where the database's administrators cannot
/// rewrite it (ADR 0009).
pub async fn write_anchor(
    p: &Platform,
    path: &std::path::Path,
) -> Result<Option<Anchor>, AppError> {
    use std::io::Write;
    let Some(a) = anchor(p).await? else {
        return Ok(None);
    };
    let failed = |what: String| {
        tracing::warn!(file = %path.display(), error = %what, "audit anchor failed");
        AppError::new(
            yunwei_domain::ErrorKind::Internal,
            "audit.anchor_failed",
            format!("审计链锚定失败：{what}"),
        )
    };
    let line = serde_json::to_string(&a).map_err(|e| failed(e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| failed(format!("无法创建目录 {}：{e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| failed(format!("无法写入锚点文件 {}：{e}", path.display())))?;
    writeln!(f, "{line}").map_err(|e| failed(e.to_string()))?;
    f.sync_all().map_err(|e| failed(e.to_string()))?;
    Ok(Some(a))
}

//! Every audit record also sent to the security team's syslog collector
//! (issue 17, 等保 L3 centralised audit; ADR 0023).
//!
//! The audit trail is its own outbox: a record is written in the
//! transaction of its change, and the forwarder sends records in `seq`
//! order after a persistent cursor (`store::audit_forward`, migration 34)
//! that moves only after a batch was written and flushed to the
//! connection. A clean stop loses and repeats nothing; a crash between the
//! flush and the cursor's update repeats that one batch, with the same
//! MSGID (the record's id) so the collector can drop the copies. One node
//! forwards at a time, the holder of the lease row.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use yunwei_domain::audit::AuditRecord;
use yunwei_domain::ids::new_id;
use yunwei_domain::labels;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;
use yunwei_store::audit_forward as store;
use yunwei_store::in_tx;

use crate::kernel::audit::{record_alone, root_path, Actor, Event};
use crate::kernel::syslog::{self, Connection, Header, SdElement, SendError, Target, TlsTarget};
use crate::{Ctx, Platform, Principal};

/// The SD-ID of the record's element. 32473 is the private enterprise
/// number reserved for documentation (RFC 5612): a collector matches on
/// the whole SD-ID, and the platform has no number of its own.
pub const SD_ID: &str = "yunwei@32473";
/// Facility 13, "log audit" (RFC 5424 table 1).
pub const DEFAULT_FACILITY: u8 = 13;
/// Records per batch: one write, one flush, one move of the cursor.
pub const BATCH: u64 = 200;
/// How long a node's claim to forward lasts unless renewed; each batch
/// renews it. A node that dies is replaced after at most this long.
pub const LEASE: Duration = Duration::from_secs(60);
/// How often an idle forwarder looks for new records.
pub const IDLE_POLL: Duration = Duration::from_secs(2);
/// The longest wait between attempts while the collector is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// `transport` of [`AuditSyslogSettings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogTransport {
    /// RFC 6587 octet counting over plain TCP.
    #[default]
    Tcp,
    /// RFC 5425: the same frames over TLS.
    Tls,
}

/// `[audit_syslog]` of `yunwei.toml` (`YUNWEI_AUDIT_SYSLOG_*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSyslogSettings {
    /// Whether `serve` forwards (the section may stay while paused).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The collector, `host:port`.
    pub server: String,
    #[serde(default)]
    pub transport: SyslogTransport,
    /// PEM CA certificate(s) of the collector's certificate (TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca_file: Option<PathBuf>,
    /// The name the collector's certificate carries; default the host of
    /// `server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_server_name: Option<String>,
    /// PEM client certificate and key, for collectors that authenticate
    /// their senders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_cert_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_key_file: Option<PathBuf>,
    /// RFC 5424 facility, 0..=23; default 13 (log audit).
    #[serde(default = "default_facility")]
    pub facility: u8,
    /// APP-NAME; default `yunwei`.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// HOSTNAME; default this machine's host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

fn yes() -> bool {
    true
}
fn default_facility() -> u8 {
    DEFAULT_FACILITY
}
fn default_app_name() -> String {
    "yunwei".into()
}

impl AuditSyslogSettings {
    /// Settings for `server` with every default.
    pub fn tcp(server: impl Into<String>) -> AuditSyslogSettings {
        AuditSyslogSettings {
            enabled: true,
            server: server.into(),
            transport: SyslogTransport::Tcp,
            tls_ca_file: None,
            tls_server_name: None,
            tls_client_cert_file: None,
            tls_client_key_file: None,
            facility: DEFAULT_FACILITY,
            app_name: default_app_name(),
            hostname: None,
        }
    }

    /// The checks of `yunwei.toml`, in Chinese.
    pub fn validate(&self) -> Result<(), String> {
        let (host, port) = self.server.rsplit_once(':').ok_or_else(|| {
            format!(
                "audit_syslog.server 应为「主机:端口」，收到「{}」",
                self.server
            )
        })?;
        if host.is_empty() || !port.parse::<u16>().is_ok_and(|p| p != 0) {
            return Err(format!(
                "audit_syslog.server 应为「主机:端口」，收到「{}」",
                self.server
            ));
        }
        if self.facility > 23 {
            return Err(format!(
                "audit_syslog.facility 应在 0 到 23 之间（当前为 {}）",
                self.facility
            ));
        }
        if self.app_name.is_empty()
            || self.app_name.len() > 48
            || !self.app_name.chars().all(|c| ('!'..='~').contains(&c))
        {
            return Err("audit_syslog.app_name 应为 1 到 48 个可见 ASCII 字符".into());
        }
        match self.transport {
            SyslogTransport::Tls if self.tls_ca_file.is_none() => {
                return Err(
                    "audit_syslog.transport 为 tls 时须配置 tls_ca_file（日志服务器证书的 CA）"
                        .into(),
                )
            }
            SyslogTransport::Tcp
                if self.tls_ca_file.is_some() || self.tls_client_cert_file.is_some() =>
            {
                return Err("audit_syslog 配置了 TLS 证书，但 transport 不是 tls".into())
            }
            _ => {}
        }
        if self.tls_client_cert_file.is_some() != self.tls_client_key_file.is_some() {
            return Err(
                "audit_syslog.tls_client_cert_file 与 tls_client_key_file 须同时配置".into(),
            );
        }
        Ok(())
    }

    fn target(&self) -> Target {
        let tls = match self.transport {
            SyslogTransport::Tcp => None,
            SyslogTransport::Tls => Some(TlsTarget {
                ca_file: self.tls_ca_file.clone().unwrap_or_default(),
                server_name: self.tls_server_name.clone().unwrap_or_else(|| {
                    let host = self.server.rsplit_once(':').map_or("", |(h, _)| h);
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string()
                }),
                client_cert: self
                    .tls_client_cert_file
                    .clone()
                    .zip(self.tls_client_key_file.clone()),
            }),
        };
        Target {
            server: self.server.clone(),
            tls,
        }
    }

    fn hostname(&self) -> String {
        self.hostname.clone().unwrap_or_else(syslog::local_hostname)
    }
}

/// The RFC 5424 message of one audit record: the record's fields and its
/// chain MAC as structured data, a Chinese summary as MSG, the record's id
/// (without hyphens, MSGID holds 32 characters) as MSGID.
pub fn record_message(
    cfg: &AuditSyslogSettings,
    hostname: &str,
    rec: &AuditRecord,
    mac: &str,
) -> String {
    let at = chrono::DateTime::from_timestamp_micros(rec.at_us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default();
    let params: Vec<(&str, String)> = vec![
        ("id", rec.id.clone()),
        ("seq", rec.seq.to_string()),
        ("at", at),
        ("actor", rec.actor_name.clone()),
        ("actor_id", rec.actor_id.clone().unwrap_or_default()),
        ("role", rec.actor_role.clone()),
        ("org", rec.org_path.clone()),
        ("action", rec.action.clone()),
        ("object_type", rec.object_type.clone()),
        ("object", rec.object_id.clone()),
        ("result", rec.result.clone()),
        ("ip", rec.source_ip.clone()),
        ("request_id", rec.request_id.clone()),
        ("before", rec.before.clone()),
        ("after", rec.after.clone()),
        ("reason", rec.reason.clone()),
        ("mac", mac.to_string()),
    ];
    let sd = [SdElement {
        id: SD_ID.into(),
        params: params
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }];
    let severity = if rec.result == "success" { 5 } else { 4 };
    let msgid = rec.id.replace('-', "");
    let procid = std::process::id().to_string();
    let mut msg = format!(
        "{} {}：{}",
        labels::actor_name_label(&rec.actor_name),
        labels::action_label(&rec.action),
        labels::result_label(&rec.result),
    );
    if !rec.object_id.is_empty() {
        msg.push_str(&format!(
            "（{} {}）",
            labels::object_type_label(&rec.object_type),
            rec.object_id
        ));
    }
    syslog::format_message(
        &Header {
            facility: cfg.facility,
            severity,
            at_us: rec.at_us,
            hostname,
            app_name: &cfg.app_name,
            procid: &procid,
            msgid: &msgid,
        },
        &sd,
        &msg,
    )
}

fn system_now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The forwarder of one node: its lease, its connection, its position.
pub struct Forwarder {
    p: Platform,
    cfg: Arc<AuditSyslogSettings>,
    holder: String,
    hostname: String,
    conn: Option<Connection>,
    lease: Duration,
    batch: u64,
}

impl Forwarder {
    pub fn new(p: &Platform, cfg: Arc<AuditSyslogSettings>) -> Forwarder {
        Forwarder {
            p: p.clone(),
            hostname: cfg.hostname(),
            cfg,
            holder: new_id(),
            conn: None,
            lease: LEASE,
            batch: BATCH,
        }
    }

    /// A shorter lease (tests of a node that dies) or another batch size.
    pub fn with_lease(mut self, lease: Duration) -> Forwarder {
        self.lease = lease;
        self
    }
    pub fn with_batch(mut self, batch: u64) -> Forwarder {
        self.batch = batch.max(1);
        self
    }

    /// Forwards one batch: `Ok(None)` when another node holds the lease,
    /// else how many records were sent (0: nothing waiting). The cursor
    /// moves only after the batch was flushed; on an error it stays, the
    /// error is noted for the status line, and the next call sends the
    /// same records again.
    pub async fn forward_once(&mut self) -> Result<Option<usize>, AppError> {
        let now = system_now_us();
        let until = now + self.lease.as_micros() as i64;
        let holder = self.holder.clone();
        let (held, cursor) = in_tx!(self.p.db, |c| {
            if !store::claim_lease(&mut c, &holder, now, until).await? {
                return Ok((false, 0));
            }
            Ok((true, store::state(&mut c).await?.cursor_seq))
        })?;
        if !held {
            if let Some(conn) = self.conn.take() {
                conn.close().await;
            }
            return Ok(None);
        }
        let batch = {
            let mut c = self.p.db.read().await?;
            yunwei_store::audit::chain_batch(&mut c, cursor, i64::MAX, self.batch).await?
        };
        let Some((last, _)) = batch.last() else {
            return Ok(Some(0));
        };
        let last_seq = last.seq;
        let mut bytes = Vec::with_capacity(batch.len() * 512);
        for (rec, mac) in &batch {
            syslog::frame(
                &record_message(&self.cfg, &self.hostname, rec, mac),
                &mut bytes,
            );
        }
        if let Err(e) = self.send(&bytes).await {
            let err = e.to_app_error(&self.cfg.server);
            tracing::warn!(
                server = %self.cfg.server,
                detail = e.detail(),
                from_seq = cursor + 1,
                "audit forwarding failed; the records stay queued and are sent again"
            );
            let _ = in_tx!(self.p.db, |c| {
                store::note_error(&mut c, &holder, &err.message, system_now_us()).await
            });
            return Err(err);
        }
        let moved = in_tx!(self.p.db, |c| {
            store::advance(&mut c, &holder, cursor, last_seq, system_now_us()).await
        })?;
        if !moved {
            // The lease ran out while sending and another node took over:
            // it sends this batch again (same MSGIDs); this node stops.
            tracing::warn!("audit forwarding lease lost during a batch; another node goes on");
            if let Some(conn) = self.conn.take() {
                conn.close().await;
            }
            return Ok(None);
        }
        Ok(Some(batch.len()))
    }

    /// Forwards until nothing waits (or another node holds the lease).
    pub async fn forward_all(&mut self) -> Result<usize, AppError> {
        let mut total = 0;
        loop {
            match self.forward_once().await? {
                Some(n) => {
                    total += n;
                    if (n as u64) < self.batch {
                        return Ok(total);
                    }
                }
                None => return Ok(total),
            }
        }
    }

    /// A clean stop: closes the connection and gives the lease up, so the
    /// next start (this node or another) goes on at once from the cursor.
    pub async fn stop(mut self) {
        if let Some(conn) = self.conn.take() {
            conn.close().await;
        }
        let holder = self.holder.clone();
        let released: Result<(), AppError> = async {
            in_tx!(self.p.db, |c| {
                store::release_lease(&mut c, &holder).await
            })
        }
        .await;
        if let Err(e) = released {
            tracing::warn!(
                code = e.code,
                "could not release the audit forwarding lease"
            );
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        if let Some(conn) = self.conn.as_mut() {
            if conn.peer_closed().await {
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            self.conn = Some(Connection::open(&self.cfg.target()).await?);
        }
        let conn = self.conn.as_mut().expect("connected above");
        if let Err(e) = conn.send(bytes).await {
            self.conn = None;
            return Err(e);
        }
        Ok(())
    }
}

/// `serve`'s forwarding loop, until `stop` resolves: forwards what waits,
/// then looks again every [`IDLE_POLL`]; while the collector is
/// unreachable, waits longer after each failure (up to a minute). At the
/// stop it sends what waits once more, then gives the lease up.
pub async fn run_forever(
    p: Platform,
    cfg: Arc<AuditSyslogSettings>,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut f = Forwarder::new(&p, cfg);
    let mut backoff = Duration::from_secs(1);
    tokio::pin!(stop);
    loop {
        let wait = match f.forward_all().await {
            Ok(_) => {
                backoff = Duration::from_secs(1);
                IDLE_POLL
            }
            Err(e) => {
                tracing::warn!(code = e.code, "audit forwarding turn failed");
                let w = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                w
            }
        };
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    // What the last requests wrote goes out before the lease is given up
    // (the caller bounds how long a stop may take).
    if let Err(e) = f.forward_all().await {
        tracing::warn!(
            code = e.code,
            "audit forwarding at stop failed; the next start sends the rest"
        );
    }
    f.stop().await;
}

/// How many audit records wait to be forwarded (for the status line and
/// the metrics): the chain's head minus the cursor (`seq` has no gaps).
pub async fn backlog(p: &Platform) -> Result<i64, AppError> {
    let mut c = p.db.read().await?;
    let head = yunwei_store::audit::head(&mut c)
        .await?
        .map_or(0, |h| h.seq);
    let cursor = store::state(&mut c).await?.cursor_seq;
    Ok((head - cursor).max(0))
}

/// What the audit and system administrators see of the forwarding.
#[derive(Debug, Clone)]
pub struct ForwardStatus {
    /// Configured and enabled.
    pub enabled: bool,
    /// The collector and its transport (`tcp`, `tls`), when configured.
    pub server: Option<String>,
    pub transport: &'static str,
    pub backlog: i64,
    pub forwarded_at_us: Option<i64>,
    /// The last failure, when the last turn failed.
    pub last_error: Option<String>,
    pub last_error_at_us: Option<i64>,
}

/// Whether `pr` may see the forwarding's status: the audit administrator
/// (the trail's reader) or the system administrator (its configuration),
/// each over the whole platform.
async fn may_see_status(p: &Platform, pr: &Principal) -> Result<bool, AppError> {
    if !pr.can_somewhere(Action::AuditRead) && !pr.can_somewhere(Action::ConfigEdit) {
        return Ok(false);
    }
    let root = root_path(&mut p.db.read().await?).await?;
    Ok(pr.can(Action::AuditRead, &root) || pr.can(Action::ConfigEdit, &root))
}

/// The status line, or `None` for a caller who may not see it.
pub async fn status(p: &Platform, pr: &Principal) -> Result<Option<ForwardStatus>, AppError> {
    if !may_see_status(p, pr).await? {
        return Ok(None);
    }
    let st = {
        let mut c = p.db.read().await?;
        store::state(&mut c).await?
    };
    let cfg = p.audit_syslog.as_deref();
    Ok(Some(ForwardStatus {
        enabled: cfg.is_some_and(|c| c.enabled),
        server: cfg.map(|c| c.server.clone()),
        transport: match cfg.map(|c| c.transport) {
            Some(SyslogTransport::Tls) => "tls",
            _ => "tcp",
        },
        backlog: backlog(p).await?,
        forwarded_at_us: st.forwarded_at_us,
        last_error: Some(st.last_error).filter(|e| !e.is_empty()),
        last_error_at_us: st.last_error_at_us,
    }))
}

/// Whether `pr` may send a test message: the system administrator, who
/// keeps the platform's configuration (ConfigEdit over the root).
pub async fn may_send_test(p: &Platform, pr: &Principal) -> Result<bool, AppError> {
    if !pr.can_somewhere(Action::ConfigEdit) {
        return Ok(false);
    }
    let root = root_path(&mut p.db.read().await?).await?;
    Ok(pr.can(Action::ConfigEdit, &root))
}

/// Sends one test message (MSGID `test`) to the configured collector on a
/// connection of its own; the attempt and its outcome are audited (and so
/// forwarded in turn). The error says in Chinese what failed.
pub async fn send_test(p: &Platform, ctx: &Ctx, pr: &Principal) -> Result<(), AppError> {
    let root = root_path(&mut p.db.read().await?).await?;
    let auth = pr
        .authorize(Action::ConfigEdit, &root)
        .map_err(|_| AppError::forbidden("无权测试审计日志转发"))?;
    let Some(cfg) = p.audit_syslog.clone() else {
        return Err(AppError::bad_request(
            "audit_forward.not_configured",
            "未配置审计日志转发：请先在配置文件中配置日志服务器",
        ));
    };
    let hostname = cfg.hostname();
    let procid = std::process::id().to_string();
    let msg = syslog::format_message(
        &Header {
            facility: cfg.facility,
            severity: 6,
            at_us: p.now_us(),
            hostname: &hostname,
            app_name: &cfg.app_name,
            procid: &procid,
            msgid: "test",
        },
        &[SdElement {
            id: SD_ID.into(),
            params: vec![
                ("test".into(), "true".into()),
                ("actor".into(), pr.username.clone()),
                ("request_id".into(), ctx.request_id.clone()),
            ],
        }],
        "yunwei 审计日志转发测试消息",
    );
    let mut bytes = Vec::new();
    syslog::frame(&msg, &mut bytes);
    let sent = async {
        let mut conn = Connection::open(&cfg.target()).await?;
        conn.send(&bytes).await?;
        conn.close().await;
        Ok::<(), SendError>(())
    }
    .await;
    let ev = Event::success("audit.syslog_test", "audit_forward", cfg.server.clone());
    match sent {
        Ok(()) => {
            record_alone(p, ctx, Actor::User(auth), ev).await?;
            Ok(())
        }
        Err(e) => {
            tracing::warn!(server = %cfg.server, detail = e.detail(), request_id = %ctx.request_id, "audit forwarding test failed");
            let err = e.to_app_error(&cfg.server);
            record_alone(
                p,
                ctx,
                Actor::User(auth),
                ev.with_result("failure").after(err.message.clone()),
            )
            .await?;
            Err(err)
        }
    }
}

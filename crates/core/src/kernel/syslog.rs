//! Syslog out: RFC 5424 messages, RFC 6587 octet-counting frames, and a
//! connection to a collector over TCP or TLS (RFC 5425; rustls with the
//! ring provider). Hand-written: the format is small and its escaping is
//! what a collector's parser depends on (ADR 0023).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use yunwei_domain::{AppError, ErrorKind};

/// How long a connection, a TLS handshake or the write of a batch may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a new TLS connection is watched for the collector's refusal
/// before the first write ([`Connection::refused_within`]).
pub const REFUSAL_WINDOW: Duration = Duration::from_millis(500);

/// RFC 5424 NILVALUE.
const NIL: &str = "-";
/// The byte order mark that marks MSG as UTF-8 (RFC 5424 section 6.4).
const BOM: &str = "\u{feff}";

/// One SD-ELEMENT: `[id name="value" ...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdElement {
    pub id: String,
    pub params: Vec<(String, String)>,
}

/// The header fields of one message.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    /// 0..=23; 13 is "log audit".
    pub facility: u8,
    /// 0 (emergency) ..= 7 (debug).
    pub severity: u8,
    /// Microseconds since the epoch, written in UTC with microseconds.
    pub at_us: i64,
    pub hostname: &'a str,
    pub app_name: &'a str,
    pub procid: &'a str,
    pub msgid: &'a str,
}

/// A header field: printable US-ASCII without spaces (33..=126), at most
/// `max` characters; anything else becomes `_`, nothing becomes NILVALUE.
pub fn header_field(s: &str, max: usize) -> String {
    let v: String = s
        .chars()
        .take(max)
        .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
        .collect();
    if v.is_empty() {
        NIL.to_string()
    } else {
        v
    }
}

/// An SD-NAME (SD-ID or PARAM-NAME): printable US-ASCII but `=`, space,
/// `]` and `"`, at most 32 characters.
pub fn sd_name(s: &str) -> String {
    s.chars()
        .filter(|c| ('!'..='~').contains(c) && !matches!(c, '=' | ']' | '"'))
        .take(32)
        .collect()
}

/// A PARAM-VALUE: `"`, `\` and `]` are escaped with a backslash (RFC 5424
/// section 6.3.3); everything else is kept as UTF-8.
pub fn escape_param_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The STRUCTURED-DATA part: the elements, or NILVALUE when none.
pub fn structured_data(sd: &[SdElement]) -> String {
    if sd.is_empty() {
        return NIL.to_string();
    }
    let mut out = String::new();
    for e in sd {
        out.push('[');
        out.push_str(&sd_name(&e.id));
        for (k, v) in &e.params {
            out.push(' ');
            out.push_str(&sd_name(k));
            out.push_str("=\"");
            out.push_str(&escape_param_value(v));
            out.push('"');
        }
        out.push(']');
    }
    out
}

/// One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
/// SD BOM MSG`.
pub fn format_message(h: &Header<'_>, sd: &[SdElement], msg: &str) -> String {
    let pri = u32::from(h.facility.min(23)) * 8 + u32::from(h.severity.min(7));
    let timestamp = chrono::DateTime::from_timestamp_micros(h.at_us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_else(|| NIL.to_string());
    let mut out = format!(
        "<{pri}>1 {timestamp} {} {} {} {} {}",
        header_field(h.hostname, 255),
        header_field(h.app_name, 48),
        header_field(h.procid, 128),
        header_field(h.msgid, 32),
        structured_data(sd),
    );
    if !msg.is_empty() {
        out.push(' ');
        out.push_str(BOM);
        out.push_str(msg);
    }
    out
}

/// RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes.
pub fn frame(msg: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(msg.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(msg.as_bytes());
}

/// This machine's host name, for HOSTNAME when none is configured.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`.
    pub server: String,
    pub tls: Option<TlsTarget>,
}

#[derive(Debug, Clone)]
pub struct TlsTarget {
    /// PEM file of the CA(s) the server's certificate must chain to.
    pub ca_file: PathBuf,
    /// The name the server's certificate must carry (a DNS name or an IP
    /// address).
    pub server_name: String,
    /// PEM files of a client certificate and its key, for servers that
    /// authenticate their senders.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// Why a send failed, each with its Chinese message for the pages and
/// its internal detail for the log.
#[derive(Debug)]
pub enum SendError {
    /// No TCP connection (refused, unreachable, timed out).
    Connect(String),
    /// The TLS handshake failed (certificate, name, protocol).
    Tls(String),
    /// The TLS settings could not be used (unreadable CA, key).
    TlsConfig(String),
    /// The connection broke while writing.
    Write(String),
}

impl SendError {
    /// The detail for the log only.
    pub fn detail(&self) -> &str {
        match self {
            SendError::Connect(d)
            | SendError::Tls(d)
            | SendError::TlsConfig(d)
            | SendError::Write(d) => d,
        }
    }

    pub fn to_app_error(&self, server: &str) -> AppError {
        let (code, message) = match self {
            SendError::Connect(_) => (
                "audit_forward.connect_failed",
                format!("无法连接日志服务器 {server}，请检查地址、端口和网络"),
            ),
            SendError::Tls(_) => (
                "audit_forward.tls_failed",
                format!(
                    "TLS 握手失败：日志服务器 {server} 的证书未通过校验、不接受本机的客户端证书或协议不匹配"
                ),
            ),
            SendError::TlsConfig(_) => (
                "audit_forward.tls_config",
                "TLS 配置无效：无法读取 CA 证书或客户端证书、私钥".to_string(),
            ),
            SendError::Write(_) => (
                "audit_forward.send_failed",
                format!("发送到日志服务器 {server} 时连接中断"),
            ),
        };
        AppError::new(ErrorKind::Conflict, code, message)
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open connection to the collector.
pub struct Connection {
    stream: Box<dyn Stream>,
}

impl Connection {
    /// Connects (and for TLS, completes the handshake) within
    /// [`IO_TIMEOUT`] each; a TLS connection the collector refuses right
    /// after the handshake (its client certificate check) fails here too.
    pub async fn open(t: &Target) -> Result<Connection, SendError> {
        let mut conn = Connection::connect(t).await?;
        if t.tls.is_some() {
            if let Some(refused) = conn.refused_within(REFUSAL_WINDOW).await {
                return Err(refused);
            }
        }
        Ok(conn)
    }

    async fn connect(t: &Target) -> Result<Connection, SendError> {
        let tcp = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(&t.server))
            .await
            .map_err(|_| SendError::Connect(format!("connect to {} timed out", t.server)))?
            .map_err(|e| SendError::Connect(format!("connect to {}: {e}", t.server)))?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &t.tls else {
            return Ok(Connection {
                stream: Box::new(tcp),
            });
        };
        let config = client_config(tls)?;
        let name = ServerName::try_from(tls.server_name.clone())
            .map_err(|e| SendError::TlsConfig(format!("server name {}: {e}", tls.server_name)))?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let stream = tokio::time::timeout(IO_TIMEOUT, connector.connect(name, tcp))
            .await
            .map_err(|_| SendError::Tls("TLS handshake timed out".into()))?
            .map_err(|e| SendError::Tls(format!("TLS handshake: {e}")))?;
        Ok(Connection {
            stream: Box::new(stream),
        })
    }

    /// Whether the collector closes a new connection within `wait`: with
    /// TLS 1.3 a collector refuses a client certificate (or its absence)
    /// only after the client's side of the handshake is done, so a
    /// refusal shows as the connection closing (an alert) right after
    /// `open`. Waited for once per connection, before the first write.
    pub async fn refused_within(&mut self, wait: Duration) -> Option<SendError> {
        let mut buf = [0u8; 512];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0)) => {
                    return Some(SendError::Tls(
                        "the collector closed the connection after the handshake".into(),
                    ))
                }
                Ok(Err(e)) => {
                    return Some(SendError::Tls(format!(
                        "the collector refused the connection after the handshake: {e}"
                    )))
                }
                Ok(Ok(_)) => continue,
            }
        }
    }

    /// Writes `bytes` and flushes them to the socket. TCP has no
    /// application acknowledgement: done means handed to the kernel.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        tokio::time::timeout(IO_TIMEOUT, write)
            .await
            .map_err(|_| SendError::Write("write timed out".into()))?
            .map_err(|e| SendError::Write(format!("write: {e}")))
    }

    /// Whether the collector closed the connection. A collector never
    /// sends, so a readable end of stream (or an error) means it is gone;
    /// checked before each batch, so a batch is not written into a socket
    /// the other side already closed.
    pub async fn peer_closed(&mut self) -> bool {
        let mut buf = [0u8; 512];
        loop {
            // `timeout` polls the read once before looking at the clock.
            match tokio::time::timeout(Duration::ZERO, self.stream.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
            }
        }
    }

    /// Closes the connection (TLS: with close_notify).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.stream.shutdown()).await;
    }
}

fn client_config(t: &TlsTarget) -> Result<rustls::ClientConfig, SendError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| SendError::TlsConfig(format!("{what}: {e}"));
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&t.ca_file)
        .map_err(|e| bad(&format!("CA file {}", t.ca_file.display()), &e))?;
    for cert in certs {
        let cert = cert.map_err(|e| bad("CA certificate", &e))?;
        roots.add(cert).map_err(|e| bad("CA certificate", &e))?;
    }
    if roots.is_empty() {
        return Err(SendError::TlsConfig(format!(
            "no certificate in {}",
            t.ca_file.display()
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS versions", &e))?
        .with_root_certificates(roots);
    match &t.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert_file, key_file)) => {
            let chain = CertificateDer::pem_file_iter(cert_file)
                .map_err(|e| bad("client certificate", &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("client certificate", &e))?;
            let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| bad("client key", &e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad("client certificate", &e))
        }
    }
}

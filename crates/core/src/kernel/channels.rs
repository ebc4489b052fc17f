//! The external notice channels (ADR 0022): e-mail over SMTP, the WeCom
//! (企业微信) group robot and application messages, the DingTalk (钉钉)
//! robot. Their settings ([`NotifyConfig`], the `[notify]` section of
//! `yunwei.toml`) and one delivery each. Nothing here runs inside a
//! transaction: the outbox ([`crate::kernel::outbox`]) calls these after
//! it claimed a row.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// E-mail.
pub const EMAIL: &str = "email";
/// WeCom group robot (one message to the group, not per user).
pub const WECOM_ROBOT: &str = "wecom_robot";
/// WeCom application message to the user's WeCom account.
pub const WECOM_APP: &str = "wecom_app";
/// DingTalk group robot.
pub const DINGTALK_ROBOT: &str = "dingtalk_robot";

/// Every external channel, with its Chinese name.
pub const CHANNELS: [(&str, &str); 4] = [
    (EMAIL, "电子邮件"),
    (WECOM_APP, "企业微信应用消息"),
    (WECOM_ROBOT, "企业微信群机器人"),
    (DINGTALK_ROBOT, "钉钉群机器人"),
];

/// Whether a channel posts to a group (one message per notice, whoever
/// the recipients are).
pub fn is_group(channel: &str) -> bool {
    channel == WECOM_ROBOT || channel == DINGTALK_ROBOT
}

pub fn channel_label(channel: &str) -> &'static str {
    CHANNELS
        .iter()
        .find(|(c, _)| *c == channel)
        .map(|(_, l)| *l)
        .unwrap_or("未知渠道")
}

/// Most bytes of a chat service's answer that are read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The `[notify]` section of `yunwei.toml`. Every number has a default
/// here (they are operational, not a regulation's, so no pack holds them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// The address users open the platform at; links in e-mails and chat
    /// messages start with it.
    pub public_url: String,
    /// Notice kinds sent at once even in quiet hours (timer breaches
    /// always are).
    pub urgent_kinds: Vec<String>,
    /// Attempts of one message before it goes to the dead letters.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub retry_base_seconds: u64,
    /// Longest wait between two attempts.
    pub retry_max_seconds: u64,
    /// How long a dispatcher holds a claimed message before another node
    /// may take it over (it died mid-delivery).
    pub lease_seconds: u64,
    /// Longest wait for one delivery (connect, send, answer).
    pub timeout_seconds: u64,
    /// Quiet hours, "HH:MM" China time (e.g. 20:00 to 08:00): non-urgent
    /// notices wait for their end. Unset: no quiet hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_end: Option<String>,
    /// Hold non-urgent notices on the holiday calendar's non-working days.
    pub quiet_on_non_working_days: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wecom: Option<WecomConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dingtalk: Option<DingtalkConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            public_url: "http://127.0.0.1:8080".into(),
            urgent_kinds: vec!["timer_breach".into()],
            max_attempts: 8,
            retry_base_seconds: 60,
            retry_max_seconds: 3600,
            lease_seconds: 300,
            timeout_seconds: 30,
            quiet_start: None,
            quiet_end: None,
            quiet_on_non_working_days: false,
            email: None,
            wecom: None,
            dingtalk: None,
        }
    }
}

/// `[notify.email]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default, required) or `plain` (no encryption: only for
    /// a relay on the same host, and only when said explicitly).
    #[serde(default = "default_security")]
    pub security: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Secret: better from `YUNWEI_NOTIFY_EMAIL_PASSWORD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The sender, `运维管理平台 <yunwei@example.gov.cn>`.
    pub from: String,
    /// A PEM file of a certificate authority trusted besides the public
    /// ones (a department's own CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_security() -> String {
    "starttls".into()
}

/// `[notify.wecom]`: the group robot (`robot_key`) and/or application
/// messages (`corp_id`, `corp_secret`, `agent_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WecomConfig {
    #[serde(default = "default_wecom_url")]
    pub base_url: String,
    /// Secret: better from `YUNWEI_NOTIFY_WECOM_ROBOT_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_id: Option<String>,
    /// Secret: better from `YUNWEI_NOTIFY_WECOM_CORP_SECRET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<i64>,
}

fn default_wecom_url() -> String {
    "https://qyapi.weixin.qq.com".into()
}

/// `[notify.dingtalk]`: a custom robot with 加签 (signed timestamps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DingtalkConfig {
    #[serde(default = "default_dingtalk_url")]
    pub base_url: String,
    /// Secret: better from `YUNWEI_NOTIFY_DINGTALK_ACCESS_TOKEN`.
    #[serde(default)]
    pub access_token: String,
    /// The robot's signing secret (`SEC…`). Secret: better from
    /// `YUNWEI_NOTIFY_DINGTALK_SECRET`.
    #[serde(default)]
    pub secret: String,
}

fn default_dingtalk_url() -> String {
    "https://oapi.dingtalk.com".into()
}

impl NotifyConfig {
    /// Whether `channel` has the settings it needs.
    pub fn configured(&self, channel: &str) -> bool {
        match channel {
            EMAIL => self.email.is_some(),
            WECOM_ROBOT => self.wecom.as_ref().is_some_and(|w| w.robot_key.is_some()),
            WECOM_APP => self.wecom.as_ref().is_some_and(|w| {
                w.corp_id.is_some() && w.corp_secret.is_some() && w.agent_id.is_some()
            }),
            DINGTALK_ROBOT => self
                .dingtalk
                .as_ref()
                .is_some_and(|d| !d.access_token.is_empty() && !d.secret.is_empty()),
            _ => false,
        }
    }

    /// Checks the values a wrong setting would only show at the first
    /// delivery; the message is Chinese and names the key.
    pub fn validate(&self) -> Result<(), String> {
        let hm = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").is_ok();
        match (&self.quiet_start, &self.quiet_end) {
            (None, None) => {}
            (Some(a), Some(b)) if hm(a) && hm(b) && a != b => {}
            _ => {
                return Err(
                    "notify.quiet_start 与 notify.quiet_end 须同时设置，格式 HH:MM，且不相同"
                        .into(),
                )
            }
        }
        if self.max_attempts == 0 || self.max_attempts > 100 {
            return Err("notify.max_attempts 须在 1 到 100 之间".into());
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return Err("notify.retry_base_seconds 须大于 0 且不大于 retry_max_seconds".into());
        }
        if self.lease_seconds == 0 || self.timeout_seconds == 0 {
            return Err("notify.lease_seconds 与 notify.timeout_seconds 须大于 0".into());
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err("notify.public_url 须以 http:// 或 https:// 开头".into());
        }
        if let Some(e) = &self.email {
            if e.security != "starttls" && e.security != "plain" {
                return Err("notify.email.security 只能是 starttls 或 plain".into());
            }
            if e.from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(format!("notify.email.from 不是有效的邮件地址：{}", e.from));
            }
        }
        Ok(())
    }

    /// The absolute address of a page of the platform.
    pub fn absolute(&self, link: &str) -> String {
        format!("{}{}", self.public_url.trim_end_matches('/'), link)
    }
}

/// One message for a channel.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub title: &'a str,
    pub body: &'a str,
    /// Absolute link to the object, if any.
    pub link: Option<&'a str>,
    /// The address on the channel: the e-mail address or WeCom user id
    /// (none for the group robots).
    pub to: Option<&'a str>,
}

/// Why a delivery failed, in Chinese for the dead letters and the test
/// button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError(pub String);

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail(msg: impl Into<String>) -> DeliveryError {
    DeliveryError(msg.into())
}

/// The channels of one platform: their settings and the HTTP client the
/// chat services share.
pub struct Channels {
    pub config: NotifyConfig,
    http: reqwest::Client,
    /// The WeCom application's access token and when it expires (µs);
    /// WeCom limits how often a token may be fetched.
    wecom_token: tokio::sync::Mutex<Option<(String, i64)>>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels").finish_non_exhaustive()
    }
}

impl Default for Channels {
    fn default() -> Self {
        Channels::new(NotifyConfig::default())
    }
}

impl Channels {
    pub fn new(config: NotifyConfig) -> Channels {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds.max(1)))
            // The chat services answer directly; a redirect is not theirs.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Channels {
            config,
            http,
            wecom_token: tokio::sync::Mutex::new(None),
        }
    }

    pub fn shared(config: NotifyConfig) -> Arc<Channels> {
        Arc::new(Channels::new(config))
    }

    /// Delivers one message on `channel`; `now_us` signs DingTalk's
    /// timestamp and ages the WeCom token.
    pub async fn deliver(
        &self,
        channel: &str,
        m: &Outgoing<'_>,
        now_us: i64,
    ) -> Result<(), DeliveryError> {
        if !self.config.configured(channel) {
            return Err(fail(format!("{}未配置", channel_label(channel))));
        }
        let timeout = Duration::from_secs(self.config.timeout_seconds.max(1));
        let work = async {
            match channel {
                EMAIL => self.email(m).await,
                WECOM_ROBOT => self.wecom_robot(m).await,
                WECOM_APP => self.wecom_app(m, now_us).await,
                DINGTALK_ROBOT => self.dingtalk(m, now_us).await,
                _ => Err(fail("未知渠道")),
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(fail(format!("{}超时未响应", channel_label(channel)))),
        }
    }

    async fn email(&self, m: &Outgoing<'_>) -> Result<(), DeliveryError> {
        use lettre::message::{header::ContentType, Mailbox};
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

        let cfg = self
            .config
            .email
            .as_ref()
            .ok_or_else(|| fail("邮件未配置"))?;
        let to: Mailbox =
            m.to.ok_or_else(|| fail("收件人未填写邮箱"))?
                .parse()
                .map_err(|_| fail("收件人邮箱格式不正确"))?;
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|_| fail("发件人地址（notify.email.from）格式不正确"))?;
        let mut text = m.body.to_string();
        if let Some(link) = m.link {
            text.push_str("\n\n查看详情：");
            text.push_str(link);
        }
        text.push_str("\n\n（本邮件由运维管理平台自动发送，请勿直接回复）\n");
        let msg = Message::builder()
            .from(from)
            .to(to)
            .subject(m.title)
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|_| fail("邮件内容无法生成"))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
            .port(cfg.port)
            .timeout(Some(Duration::from_secs(
                self.config.timeout_seconds.max(1),
            )));
        if cfg.security != "plain" {
            let mut tls = TlsParameters::builder(cfg.host.clone());
            if let Some(path) = &cfg.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|_| fail(format!("无法读取证书文件 {}", path.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|_| fail(format!("证书文件 {} 格式不正确", path.display())))?;
                tls = tls.add_root_certificate(cert);
            }
            let params = tls.build_rustls().map_err(|_| fail("邮件加密参数无效"))?;
            builder = builder.tls(Tls::Required(params));
        }
        if let Some(user) = &cfg.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                cfg.password.clone().unwrap_or_default(),
            ));
        }
        let transport = builder.build();
        match transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) => Err(smtp_error(&e)),
        }
    }

    async fn post_json(
        &self,
        url: &str,
        query: &[(&str, String)],
        body: &serde_json::Value,
        service: &str,
    ) -> Result<serde_json::Value, DeliveryError> {
        let resp = self
            .http
            .post(url)
            .query(query)
            .json(body)
            .send()
            .await
            .map_err(|_| fail(format!("无法连接{service}")))?;
        read_answer(resp, service).await
    }

    async fn wecom_robot(&self, m: &Outgoing<'_>) -> Result<(), DeliveryError> {
        let w = self
            .config
            .wecom
            .as_ref()
            .ok_or_else(|| fail("企业微信未配置"))?;
        let key = w.robot_key.clone().unwrap_or_default();
        let url = format!("{}/cgi-bin/webhook/send", w.base_url.trim_end_matches('/'));
        let body = serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "content": markdown(m) },
        });
        let answer = self
            .post_json(&url, &[("key", key)], &body, "企业微信")
            .await?;
        errcode_ok(&answer, "企业微信")
    }

    async fn wecom_token(&self, now_us: i64) -> Result<String, DeliveryError> {
        let mut cached = self.wecom_token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if *until > now_us {
                return Ok(token.clone());
            }
        }
        let w = self
            .config
            .wecom
            .as_ref()
            .ok_or_else(|| fail("企业微信未配置"))?;
        let url = format!("{}/cgi-bin/gettoken", w.base_url.trim_end_matches('/'));
        let resp = self
            .http
            .get(&url)
            .query(&[
                ("corpid", w.corp_id.clone().unwrap_or_default()),
                ("corpsecret", w.corp_secret.clone().unwrap_or_default()),
            ])
            .send()
            .await
            .map_err(|_| fail("无法连接企业微信"))?;
        let answer = read_answer(resp, "企业微信").await?;
        errcode_ok(&answer, "企业微信")?;
        let token = answer["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail("企业微信未返回 access_token"))?
            .to_string();
        // Renewed a minute before WeCom's own expiry.
        let secs = answer["expires_in"].as_i64().unwrap_or(7200).max(120) - 60;
        *cached = Some((token.clone(), now_us + secs * 1_000_000));
        Ok(token)
    }

    async fn wecom_app(&self, m: &Outgoing<'_>, now_us: i64) -> Result<(), DeliveryError> {
        let w = self
            .config
            .wecom
            .as_ref()
            .ok_or_else(|| fail("企业微信未配置"))?;
        let to = m.to.ok_or_else(|| fail("收件人未填写企业微信账号"))?;
        let token = self.wecom_token(now_us).await?;
        let url = format!("{}/cgi-bin/message/send", w.base_url.trim_end_matches('/'));
        let body = serde_json::json!({
            "touser": to,
            "msgtype": "text",
            "agentid": w.agent_id.unwrap_or_default(),
            "text": { "content": plain(m) },
        });
        let answer = self
            .post_json(&url, &[("access_token", token)], &body, "企业微信")
            .await?;
        if matches!(answer["errcode"].as_i64(), Some(40014 | 42001)) {
            // The token was revoked or expired early: fetch anew next time.
            *self.wecom_token.lock().await = None;
        }
        errcode_ok(&answer, "企业微信")
    }

    async fn dingtalk(&self, m: &Outgoing<'_>, now_us: i64) -> Result<(), DeliveryError> {
        let d = self
            .config
            .dingtalk
            .as_ref()
            .ok_or_else(|| fail("钉钉未配置"))?;
        let ms = now_us / 1000;
        let url = format!("{}/robot/send", d.base_url.trim_end_matches('/'));
        let body = serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "title": m.title, "text": markdown(m) },
        });
        let answer = self
            .post_json(
                &url,
                &[
                    ("access_token", d.access_token.clone()),
                    ("timestamp", ms.to_string()),
                    ("sign", dingtalk_sign(&d.secret, ms)),
                ],
                &body,
                "钉钉",
            )
            .await?;
        errcode_ok(&answer, "钉钉")
    }
}

/// DingTalk's signature of a robot call: Base64 of HMAC-SHA256 over
/// "{timestamp}\n{secret}" keyed with the secret (the query encoding is
/// the HTTP client's).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn markdown(m: &Outgoing<'_>) -> String {
    let mut s = format!("**{}**\n\n{}", m.title, m.body);
    if let Some(link) = m.link {
        s.push_str(&format!("\n\n[查看详情]({link})"));
    }
    s
}

fn plain(m: &Outgoing<'_>) -> String {
    let mut s = format!("{}\n{}", m.title, m.body);
    if let Some(link) = m.link {
        s.push_str(&format!("\n查看详情：{link}"));
    }
    s
}

/// Reads a chat service's JSON answer, at most [`MAX_ANSWER_BYTES`].
async fn read_answer(
    mut resp: reqwest::Response,
    service: &str,
) -> Result<serde_json::Value, DeliveryError> {
    let status = resp.status();
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(fail(format!("{service}的应答过大")));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|_| fail(format!("{service}的应答中断")))?
    {
        if buf.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(fail(format!("{service}的应答过大")));
        }
        buf.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        return Err(fail(format!("{service}返回 HTTP {}", status.as_u16())));
    }
    serde_json::from_slice(&buf).map_err(|_| fail(format!("{service}的应答不是有效的 JSON")))
}

fn errcode_ok(answer: &serde_json::Value, service: &str) -> Result<(), DeliveryError> {
    match answer["errcode"].as_i64() {
        Some(0) => Ok(()),
        Some(code) => {
            let msg: String = answer["errmsg"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            Err(fail(format!("{service}返回错误：{code} {msg}")))
        }
        None => Err(fail(format!("{service}的应答缺少 errcode"))),
    }
}

/// Whether the TLS handshake failed somewhere in `e`'s causes (lettre
/// reports a refused certificate as a connection error).
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                return true;
            }
        }
        cause = c.source();
    }
    false
}

/// The Chinese message of an SMTP failure.
fn smtp_error(e: &lettre::transport::smtp::Error) -> DeliveryError {
    if let Some(code) = e.status() {
        let code = code.to_string();
        if matches!(code.as_str(), "535" | "534" | "530" | "454") {
            return fail(format!("邮件服务器拒绝登录（{code}）"));
        }
        return fail(format!("邮件服务器拒绝了邮件（{code}）"));
    }
    if e.is_tls() || tls_failure(e) {
        return fail("无法与邮件服务器建立加密连接（STARTTLS）：证书不受信任或与地址不符，请检查 notify.email.ca_file");
    }
    if e.is_timeout() {
        return fail("邮件服务器超时未响应");
    }
    let detail = e.to_string();
    if detail.contains("authentication") || detail.contains("mechanism") {
        return fail("邮件服务器拒绝登录（不支持的认证方式）");
    }
    tracing::warn!(error = %detail, "smtp delivery failed");
    fail("无法连接邮件服务器")
}

//! Audit forwarding to syslog (issue 17 item 5, ADR 0023), against a real
//! `rsyslogd` (Debian `rsyslog`, `rsyslog-gnutls` for TLS) that each test
//! starts on 127.0.0.1 with a configuration of its own in a temporary
//! directory: every record arrives exactly once with its fields and chain
//! MAC, across a clean restart and a collector that was down; one node
//! forwards at a time; TLS with a throwaway CA made by `openssl`; the
//! system administrator's 「发送测试消息」.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use yunwei_core::audit_forward::{self, AuditSyslogSettings, Forwarder, SyslogTransport};
use yunwei_core::syslog;
use yunwei_core::Ctx;
use yunwei_testkit::TestApp;

use crate::support::{principal, Browser};

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";
const DEADLINE: Duration = Duration::from_secs(30);

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// The files of a throwaway CA and a server certificate for 127.0.0.1.
pub(crate) struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("openssl is needed for the TLS test (apt-get install openssl): {e}")
        });
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA named `name` and a server certificate it signed for 127.0.0.1
/// and localhost.
pub(crate) fn make_certs(dir: &Path, name: &str) -> Certs {
    std::fs::create_dir_all(dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca_args = vec!["req", "-x509", "-days", "2", "-subj"];
    let ca_subj = format!("/CN={name} test CA");
    ca_args.push(&ca_subj);
    ca_args.extend(ec);
    ca_args.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    ca_args.extend([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca_args);
    issue(
        dir,
        "server",
        "/CN=127.0.0.1",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    issue(
        dir,
        "client",
        "/CN=yunwei-01",
        "extendedKeyUsage=clientAuth\n",
    );
    Certs {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    }
}

/// `<stem>.pem` and `<stem>.key`: a leaf certificate the CA of `dir`
/// signed for `subject` with the extensions `ext`.
fn issue(dir: &Path, stem: &str, subject: &str, ext: &str) {
    let (key, csr, pem, cnf) = (
        format!("{stem}.key"),
        format!("{stem}.csr"),
        format!("{stem}.pem"),
        format!("{stem}.cnf"),
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-subj",
            subject,
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
    );
    std::fs::write(dir.join(&cnf), format!("{ext}basicConstraints=CA:FALSE\n")).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &cnf,
            "-out",
            &pem,
        ],
    );
}

/// A running `rsyslogd` listening on 127.0.0.1:`port`, writing each
/// message's MSGID, structured data and MSG as one line of `out`. Killed
/// on drop.
struct Rsyslog {
    dir: PathBuf,
    port: u16,
    tls: bool,
    child: Option<Child>,
    out: PathBuf,
}

impl Rsyslog {
    /// `tls`: the certificates and the gtls driver's authentication mode
    /// (`anon`, or `x509/certvalid` to require a client certificate).
    async fn start(dir: &Path, port: u16, tls: Option<(&Certs, &str)>) -> Rsyslog {
        assert!(
            Path::new(RSYSLOGD).exists(),
            "{RSYSLOGD} is missing: the audit forwarding tests need Debian's rsyslog and rsyslog-gnutls (apt-get install rsyslog rsyslog-gnutls)"
        );
        std::fs::create_dir_all(dir).unwrap();
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let out = dir.join("out.log");
        let mut conf = format!(
            "global(workDirectory=\"{}\" maxMessageSize=\"256k\")\n",
            work.display()
        );
        match tls {
            Some((c, authmode)) => {
                conf.push_str(&format!(
                    "global(defaultNetstreamDriverCAFile=\"{}\" defaultNetstreamDriverCertFile=\"{}\" defaultNetstreamDriverKeyFile=\"{}\")\n\
                     module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.Authmode=\"{authmode}\")\n",
                    c.ca.display(),
                    c.cert.display(),
                    c.key.display()
                ));
            }
            None => conf.push_str("module(load=\"imtcp\")\n"),
        }
        conf.push_str(&format!(
            "input(type=\"imtcp\" port=\"{port}\" address=\"127.0.0.1\")\n\
             template(name=\"line\" type=\"string\" string=\"%msgid%\\t%structured-data%\\t%msg%\\n\")\n\
             action(type=\"omfile\" file=\"{}\" template=\"line\")\n",
            out.display()
        ));
        std::fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        let mut r = Rsyslog {
            dir: dir.to_path_buf(),
            port,
            tls: tls.is_some(),
            child: None,
            out,
        };
        r.spawn().await;
        r
    }

    async fn spawn(&mut self) {
        let child = Command::new(RSYSLOGD)
            .arg("-n")
            .arg("-f")
            .arg(self.dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("stderr.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("start {RSYSLOGD}: {e}"));
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "rsyslogd exited ({status}): {}",
                    std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "rsyslogd did not listen on 127.0.0.1:{} within {DEADLINE:?}: {}",
                self.port,
                std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops it (killed: a collector that goes away).
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The messages written so far.
    fn received(&self) -> Vec<Received> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(Received::parse)
            .collect()
    }

    /// Waits until the messages with the MSGIDs `want` have all arrived.
    async fn wait_for(&self, want: &[String]) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            let ids: std::collections::HashSet<&str> =
                got.iter().map(|r| r.msgid.as_str()).collect();
            let missing = want.iter().filter(|w| !ids.contains(w.as_str())).count();
            if missing == 0 {
                return got;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{missing} of {} messages did not reach rsyslogd (tls: {}) within {DEADLINE:?}",
                want.len(),
                self.tls
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One line of rsyslogd's output.
#[derive(Debug)]
struct Received {
    msgid: String,
    params: HashMap<String, String>,
    sd_id: String,
    msg: String,
}

/// Undoes rsyslogd's escaping of control characters on receipt (`#012`).
fn unescape_control(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        if b[i] == b'#'
            && i + 4 <= s.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u8::from_str_radix(&s[i + 1..i + 4], 8).unwrap();
            if v < 0x20 {
                out.push(v as char);
                i += 4;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

impl Received {
    fn parse(line: &str) -> Received {
        let mut parts = line.splitn(3, '\t');
        let msgid = parts.next().unwrap_or_default().to_string();
        let sd = parts.next().unwrap_or_default();
        let msg = parts.next().unwrap_or_default();
        let (sd_id, params) = parse_sd(sd);
        Received {
            msgid,
            sd_id,
            params: params
                .into_iter()
                .map(|(k, v)| (k, unescape_control(&v)))
                .collect(),
            msg: unescape_control(msg.trim_start_matches('\u{feff}')),
        }
    }
}

/// The first SD-ELEMENT of `[id k="v" ...]`, its values unescaped.
fn parse_sd(sd: &str) -> (String, HashMap<String, String>) {
    let mut params = HashMap::new();
    let Some(body) = sd.strip_prefix('[') else {
        return (String::new(), params);
    };
    let (id, mut rest) = body
        .split_once(' ')
        .unwrap_or((body.trim_end_matches(']'), ""));
    loop {
        rest = rest.trim_start();
        let Some((name, after)) = rest.split_once("=\"") else {
            break;
        };
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        if !matches!(n, '"' | '\\' | ']') {
                            value.push('\\');
                        }
                        value.push(n);
                    }
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        params.insert(name.to_string(), value);
        rest = &after[end..];
        if rest.starts_with(']') {
            break;
        }
    }
    (id.to_string(), params)
}

/// Every stored audit record with its MAC, in chain order.
async fn all_records(app: &TestApp) -> Vec<(yunwei_domain::audit::AuditRecord, String)> {
    records_in(app.platform.db()).await
}

async fn records_in(db: &yunwei_store::Db) -> Vec<(yunwei_domain::audit::AuditRecord, String)> {
    let mut c = db.read().await.unwrap();
    yunwei_store::audit::chain_batch(&mut c, 0, i64::MAX, 1_000_000)
        .await
        .unwrap()
}

fn msgid_of(id: &str) -> String {
    id.replace('-', "")
}

/// Asserts each stored record arrived exactly once, with its fields and
/// MAC as stored; returns how many arrived.
async fn assert_each_once(app: &TestApp, r: &Rsyslog) -> usize {
    assert_each_once_in(app.platform.db(), r).await
}

async fn assert_each_once_in(db: &yunwei_store::Db, r: &Rsyslog) -> usize {
    let records = records_in(db).await;
    let want: Vec<String> = records.iter().map(|(rec, _)| msgid_of(&rec.id)).collect();
    let got = r.wait_for(&want).await;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for g in &got {
        *seen.entry(g.msgid.as_str()).or_default() += 1;
    }
    let by_id: HashMap<&str, &Received> = got.iter().map(|g| (g.msgid.as_str(), g)).collect();
    for (rec, mac) in &records {
        let m = msgid_of(&rec.id);
        assert_eq!(
            seen.get(m.as_str()),
            Some(&1),
            "record {} arrived once",
            rec.seq
        );
        let g = by_id[m.as_str()];
        assert_eq!(g.sd_id, audit_forward::SD_ID);
        let p = &g.params;
        assert_eq!(p["id"], rec.id);
        assert_eq!(p["seq"], rec.seq.to_string());
        assert_eq!(p["mac"], *mac, "record {}", rec.seq);
        assert_eq!(p["actor"], rec.actor_name);
        assert_eq!(p["role"], rec.actor_role);
        assert_eq!(p["org"], rec.org_path);
        assert_eq!(p["action"], rec.action);
        assert_eq!(p["object_type"], rec.object_type);
        assert_eq!(p["object"], rec.object_id);
        assert_eq!(p["result"], rec.result);
        assert_eq!(p["ip"], rec.source_ip);
        assert_eq!(p["request_id"], rec.request_id);
        assert_eq!(p["before"], rec.before, "record {}", rec.seq);
        assert_eq!(p["after"], rec.after, "record {}", rec.seq);
        assert_eq!(p["reason"], rec.reason, "record {}", rec.seq);
        assert!(
            g.msg
                .contains(&yunwei_domain::labels::action_label(&rec.action)),
            "the Chinese summary survives: {}",
            g.msg
        );
    }
    // Test messages aside, nothing but the trail arrived, none twice (a
    // live server may have added records since they were read above).
    let later: std::collections::HashSet<String> = records_in(db)
        .await
        .iter()
        .map(|(rec, _)| msgid_of(&rec.id))
        .collect();
    for (msgid, n) in &seen {
        if *msgid != "test" {
            assert!(later.contains(*msgid), "{msgid} is no record of the trail");
            assert_eq!(*n, 1, "{msgid} arrived {n} times");
        }
    }
    records.len()
}

fn tcp_settings(port: u16) -> AuditSyslogSettings {
    AuditSyslogSettings {
        hostname: Some("yunwei-test".into()),
        ..AuditSyslogSettings::tcp(format!("127.0.0.1:{port}"))
    }
}

async fn backlog(app: &TestApp) -> i64 {
    audit_forward::backlog(&app.platform).await.unwrap()
}

#[test]
fn syslog_messages_follow_rfc5424_and_escape_sd_values() {
    use syslog::{
        escape_param_value, format_message, frame, header_field, sd_name, Header, SdElement,
    };
    assert_eq!(escape_param_value(r#"a"b\c]d"#), r#"a\"b\\c\]d"#);
    assert_eq!(escape_param_value("修改[安全]策略="), "修改[安全\\]策略=");
    assert_eq!(escape_param_value("line\nnext"), "line\nnext");
    assert_eq!(sd_name("yun wei@32473"), "yunwei@32473");
    assert_eq!(sd_name("a=b]\"c"), "abc");
    assert_eq!(header_field("host name", 255), "host_name");
    assert_eq!(header_field("", 48), "-");
    assert_eq!(header_field("审计", 48), "__");
    assert_eq!(header_field(&"x".repeat(40), 32).len(), 32);
    let h = Header {
        facility: 13,
        severity: 5,
        at_us: 1_772_413_200_123_456,
        hostname: "node1",
        app_name: "yunwei",
        procid: "42",
        msgid: "0193abcd",
    };
    let sd = [SdElement {
        id: "yunwei@32473".into(),
        params: vec![("actor".into(), "张\"三\"]\\".into())],
    }];
    let m = format_message(&h, &sd, "修改安全策略");
    assert_eq!(
        m,
        "<109>1 2026-03-02T01:00:00.123456Z node1 yunwei 42 0193abcd \
         [yunwei@32473 actor=\"张\\\"三\\\"\\]\\\\\"] \u{feff}修改安全策略"
    );
    let (_, parsed) = parse_sd(&m[m.find('[').unwrap()..]);
    assert_eq!(parsed["actor"], "张\"三\"]\\", "the escaping reads back");
    let mut out = Vec::new();
    frame(&m, &mut out);
    let text = String::from_utf8(out).unwrap();
    let (len, rest) = text.split_once(' ').unwrap();
    assert_eq!(
        len.parse::<usize>().unwrap(),
        rest.len(),
        "octets, not characters"
    );
    assert_eq!(rest, m);
    assert_eq!(
        format_message(&h, &[], ""),
        "<109>1 2026-03-02T01:00:00.123456Z node1 yunwei 42 0193abcd -"
    );
}

#[test]
fn syslog_settings_are_checked() {
    let ok = AuditSyslogSettings::tcp("127.0.0.1:514");
    assert_eq!(ok.validate(), Ok(()));
    for bad in ["127.0.0.1", ":514", "host:0", "host:x"] {
        assert!(AuditSyslogSettings::tcp(bad).validate().is_err(), "{bad}");
    }
    let tls_without_ca = AuditSyslogSettings {
        transport: SyslogTransport::Tls,
        ..ok.clone()
    };
    assert!(tls_without_ca
        .validate()
        .unwrap_err()
        .contains("tls_ca_file"));
    let facility = AuditSyslogSettings {
        facility: 24,
        ..ok.clone()
    };
    assert!(facility.validate().is_err());
    let half_client = AuditSyslogSettings {
        transport: SyslogTransport::Tls,
        tls_ca_file: Some("/ca.pem".into()),
        tls_client_cert_file: Some("/c.pem".into()),
        ..ok
    };
    assert!(half_client.validate().is_err());
}

#[tokio::test]
async fn audit_syslog_every_record_arrives_once_across_restarts_and_outages() {
    let app = TestApp::new().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut rsyslog = Rsyslog::start(&tmp.path().join("rsyslog"), port, None).await;
    let cfg = Arc::new(tcp_settings(port));

    // Nothing sent yet: the whole demo trail waits.
    let head = all_records(&app).await.len() as i64;
    assert!(head > 50, "the demo trail has records: {head}");
    assert_eq!(backlog(&app).await, head);

    let mut f = Forwarder::new(&app.platform, cfg.clone()).with_batch(97);
    let sent = f.forward_all().await.expect("forward to rsyslogd");
    assert_eq!(sent as i64, head);
    assert_eq!(backlog(&app).await, 0);
    assert_eq!(assert_each_once(&app, &rsyslog).await as i64, head);
    // Chinese text survives the trip: a record whose fields hold it.
    let records = all_records(&app).await;
    assert!(
        records
            .iter()
            .any(|(r, _)| !(r.after.is_ascii() && r.before.is_ascii() && r.reason.is_ascii())),
        "the demo trail has Chinese summaries, compared above"
    );
    assert_eq!(f.forward_once().await.unwrap(), Some(0), "nothing left");

    // A clean restart: stop, more records, a new forwarder goes on from
    // the cursor, sending only the new ones.
    f.stop().await;
    app.login("sysadmin").await;
    app.login("audadmin").await;
    assert!(backlog(&app).await > 0);
    let mut f = Forwarder::new(&app.platform, cfg.clone());
    let more = f.forward_all().await.unwrap();
    assert_eq!(more as i64, all_records(&app).await.len() as i64 - head);
    assert_each_once(&app, &rsyslog).await;

    // The collector goes away: the records stay queued, the cursor stays,
    // the failure is noted in Chinese.
    rsyslog.kill();
    app.login("secadmin").await;
    let waiting = backlog(&app).await;
    assert!(waiting > 0);
    let err = f.forward_once().await.expect_err("rsyslogd is down");
    assert_eq!(err.code, "audit_forward.connect_failed");
    assert!(
        err.message.contains("无法连接日志服务器"),
        "{}",
        err.message
    );
    assert_eq!(backlog(&app).await, waiting, "the cursor did not move");
    let st = audit_forward::status(&app.platform, &principal(&app, "audadmin").await)
        .await
        .unwrap()
        .expect("the audit administrator sees the status");
    assert!(st.last_error.unwrap().contains("无法连接日志服务器"));

    // Back again on the same port: delivered, each record still once.
    rsyslog.spawn().await;
    f.forward_all().await.expect("rsyslogd is back");
    assert_eq!(backlog(&app).await, 0);
    assert_each_once(&app, &rsyslog).await;
    f.stop().await;
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_syslog_one_node_forwards_at_a_time() {
    let app = TestApp::new().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let rsyslog = Rsyslog::start(&tmp.path().join("rsyslog"), port, None).await;
    let cfg = Arc::new(tcp_settings(port));

    // Eight nodes at once, truly in parallel (one task each on a
    // multi-threaded runtime, released together): exactly one takes the
    // lease and sends.
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let mut f = Forwarder::new(&app.platform, cfg.clone()).with_batch(50);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let r = f.forward_once().await.unwrap();
                (f, r)
            })
        })
        .collect();
    let mut nodes = Vec::new();
    for t in tasks {
        nodes.push(t.await.unwrap());
    }
    let winners = nodes.iter().filter(|(_, r)| r.is_some()).count();
    assert_eq!(
        winners,
        1,
        "exactly one node forwards: {:?}",
        nodes.iter().map(|n| n.1).collect::<Vec<_>>()
    );
    let at = nodes.iter().position(|(_, r)| r.is_some()).unwrap();
    let (mut holder, _) = nodes.remove(at);
    let mut others: Vec<Forwarder> = nodes.into_iter().map(|(f, _)| f).collect();
    let mut other = others.pop().unwrap();
    assert_eq!(other.forward_all().await.unwrap(), 0, "the other waits");
    holder.forward_all().await.unwrap();
    assert_eq!(backlog(&app).await, 0);

    // A clean stop hands over at once.
    for f in others {
        f.stop().await;
    }
    holder.stop().await;
    app.login("sysadmin").await;
    assert!(other.forward_all().await.unwrap() > 0);
    assert_each_once(&app, &rsyslog).await;

    // A node that dies keeps the lease until it runs out, then another
    // takes over from the cursor.
    other.stop().await;
    let mut dying =
        Forwarder::new(&app.platform, cfg.clone()).with_lease(Duration::from_millis(300));
    assert_eq!(dying.forward_once().await.unwrap(), Some(0));
    drop(dying);
    app.login("audadmin").await;
    let mut next = Forwarder::new(&app.platform, cfg.clone());
    let started = Instant::now();
    let sent = loop {
        if let Some(n) = next.forward_once().await.unwrap() {
            break n;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the lease of a dead node never ran out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(sent > 0);
    assert_each_once(&app, &rsyslog).await;
    next.stop().await;
    app.cleanup().await;
}

#[tokio::test]
async fn audit_syslog_over_tls_and_its_errors() {
    let app = TestApp::new().await;
    let tmp = tempfile::tempdir().unwrap();
    let certs = make_certs(&tmp.path().join("pki"), "yunwei");
    let stranger = make_certs(&tmp.path().join("other-pki"), "stranger");
    let port = free_port();
    let rsyslog = Rsyslog::start(&tmp.path().join("rsyslog"), port, Some((&certs, "anon"))).await;
    let tls = AuditSyslogSettings {
        transport: SyslogTransport::Tls,
        tls_ca_file: Some(certs.ca.clone()),
        ..tcp_settings(port)
    };
    assert_eq!(tls.validate(), Ok(()));
    let mut f = Forwarder::new(&app.platform, Arc::new(tls.clone()));
    f.forward_all().await.expect("forward over TLS");
    assert_eq!(backlog(&app).await, 0);
    assert_each_once(&app, &rsyslog).await;
    f.stop().await;

    // The test message over TLS, by the system administrator.
    let p = app.platform.clone().with_audit_syslog(Some(tls.clone()));
    let sysadmin = principal(&app, "sysadmin").await;
    let ctx = Ctx::system("test-tls");
    audit_forward::send_test(&p, &ctx, &sysadmin)
        .await
        .expect("test message over TLS");
    let got = rsyslog.wait_for(&["test".to_string()]).await;
    let t = got.iter().find(|g| g.msgid == "test").unwrap();
    assert_eq!(t.params["actor"], "sysadmin");
    assert!(t.msg.contains("测试消息"), "{}", t.msg);

    // A collector whose certificate another CA signed: the handshake fails.
    let wrong_ca = AuditSyslogSettings {
        tls_ca_file: Some(stranger.ca.clone()),
        ..tls.clone()
    };
    let p = app.platform.clone().with_audit_syslog(Some(wrong_ca));
    let err = audit_forward::send_test(&p, &ctx, &sysadmin)
        .await
        .expect_err("unknown CA");
    assert_eq!(err.code, "audit_forward.tls_failed");
    assert!(err.message.contains("TLS 握手失败"), "{}", err.message);
    // A name the certificate does not carry fails too.
    let wrong_name = AuditSyslogSettings {
        tls_server_name: Some("syslog.example".into()),
        ..tls.clone()
    };
    let p = app.platform.clone().with_audit_syslog(Some(wrong_name));
    let err = audit_forward::send_test(&p, &ctx, &sysadmin)
        .await
        .unwrap_err();
    assert_eq!(err.code, "audit_forward.tls_failed");
    // Nobody listening.
    let closed = AuditSyslogSettings {
        server: format!("127.0.0.1:{}", free_port()),
        ..tls.clone()
    };
    let p = app.platform.clone().with_audit_syslog(Some(closed));
    let err = audit_forward::send_test(&p, &ctx, &sysadmin)
        .await
        .unwrap_err();
    assert_eq!(err.code, "audit_forward.connect_failed");
    assert!(
        err.message.contains("无法连接日志服务器"),
        "{}",
        err.message
    );
    // Only the system administrator tests; the attempts are audited.
    let audadmin = principal(&app, "audadmin").await;
    let err = audit_forward::send_test(&p, &ctx, &audadmin)
        .await
        .unwrap_err();
    assert_eq!(err.kind, yunwei_domain::ErrorKind::Forbidden);
    let tests: Vec<_> = all_records(&app)
        .await
        .into_iter()
        .filter(|(r, _)| r.action == "audit.syslog_test")
        .map(|(r, _)| r.result)
        .collect();
    assert_eq!(tests, ["success", "failure", "failure", "failure"]);

    // A collector that accepts only senders with a certificate of its CA:
    // the configured client certificate is presented.
    let port = free_port();
    let strict = Rsyslog::start(
        &tmp.path().join("rsyslog-x509"),
        port,
        Some((&certs, "x509/certvalid")),
    )
    .await;
    // Without the client certificate the collector refuses the sender:
    // an error, and the cursor stays.
    app.login("secadmin").await;
    let waiting = backlog(&app).await;
    let without = AuditSyslogSettings {
        server: format!("127.0.0.1:{port}"),
        ..tls.clone()
    };
    let mut f = Forwarder::new(&app.platform, Arc::new(without));
    let err = f.forward_all().await.expect_err("no client certificate");
    assert_eq!(err.code, "audit_forward.tls_failed");
    assert_eq!(backlog(&app).await, waiting, "the cursor did not move");
    f.stop().await;
    let with_client = AuditSyslogSettings {
        server: format!("127.0.0.1:{port}"),
        tls_client_cert_file: Some(certs.client_cert.clone()),
        tls_client_key_file: Some(certs.client_key.clone()),
        ..tls
    };
    assert_eq!(with_client.validate(), Ok(()));
    let mut f = Forwarder::new(&app.platform, Arc::new(with_client));
    // The cursor was at the head: this collector gets what came since.
    assert!(
        f.forward_all()
            .await
            .expect("forward with a client certificate")
            > 0
    );
    let last = all_records(&app).await.last().unwrap().0.id.clone();
    strict.wait_for(&[msgid_of(&last)]).await;
    f.stop().await;
    app.cleanup().await;
}

#[tokio::test]
async fn audit_syslog_pages_status_and_test_button() {
    let mut app = TestApp::new().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let rsyslog = Rsyslog::start(&tmp.path().join("rsyslog"), port, None).await;
    let cfg = tcp_settings(port);
    app.platform = app.platform.clone().with_audit_syslog(Some(cfg.clone()));
    app.router = yunwei_web::router(app.platform.clone(), yunwei_web::WebOptions::default());

    // The audit administrator sees the status line on the audit page.
    let aud = Browser::login(&app, "audadmin").await;
    let page = aud.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("审计日志转发：已开启"), "{html}");
    assert!(html.contains("待发送"), "{html}");
    assert!(!html.contains("发送测试消息"));

    // The system administrator has the button; it sends.
    let sys = Browser::login(&app, "sysadmin").await;
    let html = sys.get("/config").await.text();
    assert!(html.contains("发送测试消息"), "{html}");
    let sent = sys.post("/config/audit-syslog/test", &[]).await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(
        sent.text().contains("测试消息已发送到日志服务器"),
        "{}",
        sent.text()
    );
    let got = rsyslog.wait_for(&["test".to_string()]).await;
    assert_eq!(
        got.iter().find(|g| g.msgid == "test").unwrap().params["actor"],
        "sysadmin"
    );

    // A vendor's administrator keeps its own organisation's parameters,
    // not the platform's: no status, no button, and a post is refused.
    let vendor = Browser::login(&app, "demo_vendor_admin").await;
    let html = vendor.get("/config").await.text();
    assert!(!html.contains("审计日志转发"), "{html}");
    let refused = vendor.post("/config/audit-syslog/test", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert!(refused.text().contains("无权测试审计日志转发"));

    // The collector gone: a clear Chinese error on the page.
    drop(rsyslog);
    let failed = sys.post("/config/audit-syslog/test", &[]).await;
    let html = failed.text();
    assert!(html.contains("无法连接日志服务器"), "{html}");
    assert!(
        !html.contains("Connection refused"),
        "no internal detail: {html}"
    );

    // A forwarder's outcome shows on the audit page.
    let mut f = Forwarder::new(&app.platform, Arc::new(cfg));
    assert!(f.forward_once().await.is_err());
    let html = aud.get("/audit").await.text();
    assert!(html.contains("最近一次失败：无法连接日志服务器"), "{html}");
    f.stop().await;
    app.cleanup().await;
}

/// `yunwei serve` configured from the environment forwards the trail by
/// itself and, stopped with SIGTERM, gives up the lease with the cursor
/// at the head.
#[tokio::test]
async fn audit_syslog_serve_forwards_and_stops_cleanly() {
    let db = yunwei_testkit::TestDatabase::new().await;
    let bin = crate::cli::Bin::new();
    let port = free_port();
    let rsyslog = Rsyslog::start(&bin.dir.path().join("rsyslog"), port, None).await;
    let mut cmd = bin.cmd(&[
        "serve",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.url.as_str(),
    ]);
    cmd.env("YUNWEI_AUDIT_SYSLOG_SERVER", format!("127.0.0.1:{port}"))
        .env("YUNWEI_AUDIT_SYSLOG_HOSTNAME", "yunwei-serve-test");
    let server = crate::cli::Server::start(cmd, &bin.dir.path().join("serve.err"));
    let conn = yunwei_store::Db::connect(&db.url).await.unwrap();
    let arrived = assert_each_once_in(&conn, &rsyslog).await;
    assert!(arrived > 50, "{arrived}");
    server.stop();
    let mut c = conn.read().await.unwrap();
    let st = yunwei_store::audit_forward::state(&mut c).await.unwrap();
    let head = yunwei_store::audit::head(&mut c).await.unwrap().unwrap();
    assert_eq!(st.cursor_seq, head.seq, "everything sent");
    assert_eq!(st.lease_holder, "", "the lease is given up at a clean stop");
    assert!(st.forwarded_at_us.is_some());
    drop(c);
    assert_each_once_in(&conn, &rsyslog).await;
    conn.close().await;
}

//! A minimal HTTP/1.1 client over one keep-alive TCP connection: enough
//! for the benchmark's JSON requests to the server on 127.0.0.1
//! (Content-Length or chunked bodies, no pipelining, no TLS).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Longest a single request may take before the connection is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response accepted (a ticket page is some tens of KB).
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "response {} is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

pub struct Client {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            stream: None,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends one request and reads its response, reconnecting first when
    /// the previous exchange failed or the server closed the connection.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(method, path, token, body)).await
        {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => {
                self.stream = None;
                Err(e)
            }
            Err(_) => {
                self.stream = None;
                bail!("{method} {path}: no response within {REQUEST_TIMEOUT:?}")
            }
        }
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connect {}", self.addr))?;
            s.set_nodelay(true)?;
            self.stream = Some(s);
            self.buf.clear();
        }
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        req.push_str("User-Agent: yunwei-bench\r\nAccept: application/json\r\n");
        if let Some(t) = token {
            req.push_str("Authorization: Bearer ");
            req.push_str(t);
            req.push_str("\r\n");
        }
        let body = body.unwrap_or_default();
        if !body.is_empty() || method == "POST" {
            req.push_str("Content-Type: application/json\r\n");
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(&bytes).await.context("send request")?;
        let (resp, close) = read_response(stream, &mut self.buf).await?;
        if close {
            self.stream = None;
        }
        Ok(resp)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    if buf.len() > MAX_RESPONSE {
        bail!("response larger than {MAX_RESPONSE} bytes");
    }
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await.context("read response")?;
    if n == 0 {
        bail!("server closed the connection");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Reads one response; returns it and whether the server will close.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> anyhow::Result<(Response, bool)> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(stream, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("response head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    for l in lines {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = Some(v.parse().context("content-length")?),
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            "connection" => close = v.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    buf.drain(..head_end);
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                fill(stream, buf).await?;
            };
            let size_text = std::str::from_utf8(&buf[..line_end])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .context("chunk size")?;
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                fill(stream, buf).await?;
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
        body
    } else {
        let len = length.unwrap_or(0);
        while buf.len() < len {
            fill(stream, buf).await?;
        }
        buf.drain(..len).collect()
    };
    Ok((Response { status, body }, close))
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

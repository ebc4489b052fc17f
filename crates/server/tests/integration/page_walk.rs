//! The page walker (issue 13, "done means"): as every demo account, start
//! at `/` and follow every same-origin link breadth-first, and fail on
//!
//! - a link answering anything but 200 to the account whose page shows it
//!   (downloads such as Excel and PDF files are fetched and checked, not
//!   parsed; `/logout` is never followed);
//! - visible text that holds an internal code (`ticket.transition`, the
//!   pattern `\b[a-z_]+\.[a-z_]+\b`) or a UUID;
//! - a UUID in an attribute the reader sees (`title`, `placeholder`, `alt`,
//!   `aria-label`, the value of a visible input or button). Attributes the
//!   reader does not see (`href`, `action`, `name`, option values, hidden
//!   inputs) may carry ids.
//!
//! Every finding of every account is collected and reported at once.
//! The walk is bounded: at most [`PER_SHAPE`] pages of one shape (the path
//! with ids and numbers taken out, plus the names of the query parameters)
//! and [`MAX_PAGES`] pages per account.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use axum::http::{header, StatusCode};
use yunwei_testkit::TestApp;

use crate::support::Browser;

/// Pages fetched per account at most.
const MAX_PAGES: usize = 400;
/// Pages of one shape (e.g. `/tickets/{id}`) fetched per account at most.
const PER_SHAPE: usize = 3;

/// What a page shows and where it leads.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The visible text nodes (outside tags, scripts and styles), entities
    /// decoded.
    pub text: Vec<String>,
    /// Attributes the reader sees: `(tag, attribute, value)`.
    pub shown_attrs: Vec<(String, String, String)>,
    /// The `href` of every `<a>`, entities decoded.
    pub links: Vec<String>,
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of a start tag's inside (after the name).
fn attributes(mut s: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return out;
        }
        let name_end = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(s.len());
        let name = s[..name_end].to_ascii_lowercase();
        s = s[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = s.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &after[1..];
                let end = body.find(q).unwrap_or(body.len());
                value = decode_entities(&body[..end]);
                s = body.get(end + 1..).unwrap_or("");
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                value = decode_entities(&after[..end]);
                s = &after[end..];
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
}

/// Reads a page: its visible text, its visible attributes and its links.
pub(crate) fn scan(html: &str) -> Scan {
    let mut scan = Scan::default();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push_text(&mut scan, rest);
            break;
        };
        push_text(&mut scan, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map(|e| &after[e + 3..]).unwrap_or("");
            continue;
        }
        // The tag up to its `>`, quotes respected.
        let mut quote = None;
        let mut end = rest.len();
        for (i, c) in rest.char_indices().skip(1) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let inner = &rest[1..end.min(rest.len())];
        rest = rest.get(end + 1..).unwrap_or("");
        if inner.starts_with('/') || inner.starts_with('!') || inner.starts_with('?') {
            continue;
        }
        let name_end = inner
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let tag = inner[..name_end].to_ascii_lowercase();
        let attrs = attributes(&inner[name_end..]);
        let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        if tag == "a" {
            if let Some(h) = get("href") {
                scan.links.push(h.to_string());
            }
        }
        // A hidden input's value, and a checkbox's or radio button's, is
        // never shown.
        let hidden_input = tag == "input"
            && get("type").is_some_and(|t| matches!(t, "hidden" | "checkbox" | "radio"));
        for (k, v) in &attrs {
            let shown = matches!(k.as_str(), "title" | "placeholder" | "alt" | "aria-label")
                || (k == "value" && (tag == "input" || tag == "button") && !hidden_input);
            if shown && !v.is_empty() {
                scan.shown_attrs.push((tag.clone(), k.clone(), v.clone()));
            }
        }
        if tag == "script" || tag == "style" {
            let close = format!("</{tag}");
            rest = rest
                .to_ascii_lowercase()
                .find(&close)
                .map(|i| &rest[i..])
                .unwrap_or("");
        }
    }
    scan
}

fn push_text(scan: &mut Scan, raw: &str) {
    let t = decode_entities(raw);
    let t = t.trim();
    if !t.is_empty() {
        scan.text.push(t.to_string());
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Endings of file names: `backup.txt` is a file a user uploaded, not a
/// code.
const FILE_ENDINGS: &[&str] = &[
    "txt", "pdf", "doc", "docx", "xls", "xlsx", "csv", "png", "jpg", "jpeg", "gif", "zip", "sql",
    "sh", "log", "json", "xml", "html", "md", "tar", "gz", "toml",
];

/// The internal codes in `s`: `[a-z_]+\.[a-z_]+` standing alone (no ASCII
/// letter, digit, `_` or `.` on either side), e.g. `ticket.transition`;
/// file names (`backup.txt`) are not codes.
pub(crate) fn codes_in(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let lower = |c: char| c.is_ascii_lowercase() || c == '_';
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        if !lower(chars[i]) || (i > 0 && (is_word(chars[i - 1]) || chars[i - 1] == '.')) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && lower(chars[j]) {
            j += 1;
        }
        if j + 1 < chars.len() && chars[j] == '.' && lower(chars[j + 1]) {
            let mut k = j + 1;
            while k < chars.len() && lower(chars[k]) {
                k += 1;
            }
            let ending: String = chars[j + 1..k].iter().collect();
            let alone = k == chars.len() || !(is_word(chars[k]) || chars[k] == '.');
            if alone && !FILE_ENDINGS.contains(&ending.as_str()) {
                out.push(chars[i..k].iter().collect());
            }
            i = k;
        } else {
            i = j.max(i + 1);
        }
    }
    out
}

/// The snake_case identifiers in `s` (`project_lead`, `sla_breach`):
/// lower-case ASCII words holding `_`, standing alone, other than the
/// `allowed` ones (login names, which users type and see).
pub(crate) fn identifiers_in(s: &str, allowed: &HashSet<String>) -> Vec<String> {
    s.split(|c: char| !(is_word(c) || c == '.' || c == '-' || c == '@'))
        .filter(|w| {
            w.contains('_')
                && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && w.chars().any(|c| c.is_ascii_lowercase())
                && !allowed.contains(*w)
        })
        .map(str::to_string)
        .collect()
}

/// The UUIDs (8-4-4-4-12 hex digits) in `s`.
pub(crate) fn uuids_in(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let groups = [8, 4, 4, 4, 12];
    let mut out = vec![];
    let mut i = 0;
    'outer: while i + 36 <= b.len() {
        let mut p = i;
        for (g, &n) in groups.iter().enumerate() {
            for _ in 0..n {
                if !b[p].is_ascii_hexdigit() {
                    i += 1;
                    continue 'outer;
                }
                p += 1;
            }
            if g < 4 {
                if b[p] != b'-' {
                    i += 1;
                    continue 'outer;
                }
                p += 1;
            }
        }
        out.push(s[i..p].to_string());
        i = p;
    }
    out
}

/// What is wrong with a page's text and attributes.
pub(crate) fn text_findings(scan: &Scan, usernames: &HashSet<String>) -> Vec<String> {
    let mut out = vec![];
    for t in &scan.text {
        if t.contains("（）") || t.contains("()") {
            out.push(format!("empty brackets in text 「{}」", clip(t)));
        }
        for c in identifiers_in(t, usernames) {
            out.push(format!("identifier `{c}` in text 「{}」", clip(t)));
        }
        for c in codes_in(t) {
            out.push(format!("code `{c}` in text 「{}」", clip(t)));
        }
        for u in uuids_in(t) {
            out.push(format!("UUID {u} in text 「{}」", clip(t)));
        }
    }
    for (tag, k, v) in &scan.shown_attrs {
        for u in uuids_in(v) {
            out.push(format!("UUID {u} in <{tag} {k}>"));
        }
        if k != "value" {
            for c in codes_in(v) {
                out.push(format!("code `{c}` in <{tag} {k}=「{}」>", clip(v)));
            }
        }
    }
    out
}

fn clip(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// The page a link leads to (same origin, no fragment), or `None` for a
/// link to elsewhere, to `/logout`, or not a page (`mailto:`, `#`).
fn target(href: &str) -> Option<String> {
    let href = href.split('#').next().unwrap_or("");
    if !href.starts_with('/') || href.starts_with("//") {
        return None;
    }
    if href == "/logout" || href.starts_with("/logout?") {
        return None;
    }
    Some(href.to_string())
}

/// The shape of a page: ids and numbers of the path taken out, plus the
/// names of its query parameters.
fn shape(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let segs: Vec<String> = path
        .split('/')
        .map(|s| {
            if !uuids_in(s).is_empty() || (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())) {
                "{id}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{}?{}", segs.join("/"), keys.join("&"))
}

/// Walks the pages of one account; returns its findings.
async fn walk(app: &TestApp, username: &str, usernames: &HashSet<String>) -> (usize, Vec<String>) {
    let b = Browser::login(app, username).await;
    let mut findings = vec![];
    let mut queue: VecDeque<(String, String)> = VecDeque::from([("/".to_string(), "-".into())]);
    let mut seen: HashSet<String> = HashSet::from(["/".to_string()]);
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut fetched = 0;
    while let Some((url, from)) = queue.pop_front() {
        if fetched >= MAX_PAGES {
            break;
        }
        let n = shapes.entry(shape(&url)).or_default();
        if *n >= PER_SHAPE {
            continue;
        }
        *n += 1;
        fetched += 1;
        let r = b.get(&url).await;
        if r.status != StatusCode::OK {
            findings.push(format!("{url} (linked from {from}) answers {}", r.status));
            continue;
        }
        let html = r
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
        if !html {
            continue;
        }
        let page = scan(&r.text());
        for f in text_findings(&page, usernames) {
            findings.push(format!("{url}: {f}"));
        }
        for href in &page.links {
            if let Some(t) = target(href) {
                if seen.insert(t.clone()) {
                    queue.push_back((t, url.clone()));
                }
            }
        }
    }
    (fetched, findings)
}

/// Every demo account and the three built-in administrators.
fn accounts() -> Vec<&'static str> {
    let mut all: Vec<&str> = yunwei_core::demo::accounts()
        .iter()
        .map(|a| a.username)
        .collect();
    all.extend(yunwei_core::bootstrap::BUILTIN_ADMINS.iter().map(|a| a.0));
    all
}

#[tokio::test]
async fn every_page_reachable_from_the_navigation_is_chinese_and_answers_200() {
    let app = TestApp::new().await;
    // The demo as `yunwei serve --demo` seeds it, then one turn of the jobs
    // (notices, overdue items) as a running server would have done.
    let p = &app.platform;
    yunwei_core::demo::seed_work(p).await.expect("demo work");
    crate::support::run_jobs(p).await.expect("jobs");
    let mut report: Vec<String> = vec![];
    let mut pages = 0;
    let all = accounts();
    let usernames: HashSet<String> = all.iter().map(|u| u.to_string()).collect();
    let walks = futures_util::future::join_all(all.iter().map(|u| walk(&app, u, &usernames))).await;
    for (u, (fetched, findings)) in all.iter().zip(walks) {
        pages += fetched;
        assert!(fetched > 1, "{u}: only the home page was reached");
        // One line per distinct finding, with the accounts that met it.
        report.extend(findings.into_iter().map(|f| format!("[{u}] {f}")));
    }
    let report: BTreeSet<String> = report.into_iter().collect();
    assert!(
        report.is_empty(),
        "{} findings over {pages} pages:\n{}",
        report.len(),
        report.into_iter().collect::<Vec<_>>().join("\n")
    );
    app.cleanup().await;
}

#[test]
fn the_detector_flags_codes_and_uuids_in_visible_text_only() {
    let html = r#"<html><head><style>a.x{color:red}</style><script>var a = b.c;</script></head>
<body><p>操作：ticket.transition</p><td>0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b</td>
<a href="/tickets/0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b?x=1&amp;y=2">查看</a>
<input type="hidden" name="id" value="0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b">
<input type="checkbox" name="ids" value="0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b">
<input name="q" title="auth.login" value="0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5c">
<!-- user.create --><p>JSCZ-41、版本 1.2、文件 a1.b2 与 审批通过</p><p>许可证（）</p></body></html>"#;
    let s = scan(html);
    let f = text_findings(&s, &HashSet::new());
    assert_eq!(
        f,
        vec![
            "code `ticket.transition` in text 「操作：ticket.transition」".to_string(),
            "UUID 0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b in text 「0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b」"
                .to_string(),
            "empty brackets in text 「许可证（）」".to_string(),
            "code `auth.login` in <input title=「auth.login」>".to_string(),
            "UUID 0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5c in <input value>".to_string(),
        ],
        "{s:?}"
    );
    assert_eq!(
        s.links,
        vec!["/tickets/0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b?x=1&y=2".to_string()]
    );
    assert_eq!(codes_in("见ticket.transition。"), vec!["ticket.transition"]);
    let users = HashSet::from(["demo_lead".to_string()]);
    assert_eq!(
        identifiers_in("demo_lead（project_lead）SZ_SRV_01 a_b.txt", &users),
        vec!["project_lead"]
    );
    assert!(codes_in("audit.xlsx2 或 www.example.com 或 backup.txt").is_empty());
    assert_eq!(
        shape("/tickets/0190a3b4-7c1d-7e2f-8a9b-0c1d2e3f4a5b?b=1&a=2"),
        "/tickets/{id}?a&b"
    );
}

/// The visible text of a page, joined.
fn visible(html: &str) -> String {
    scan(html).text.join("\n")
}

#[tokio::test]
async fn unknown_pages_and_refusals_answer_chinese_pages_and_api_paths_json() {
    let app = TestApp::new().await;
    let lead = Browser::login(&app, "demo_lead").await;
    let r = lead.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "{:?}",
        r.headers
    );
    let text = visible(&r.text());
    assert!(text.contains("页面不存在"), "{text}");
    assert!(text.contains("返回首页"), "{text}");
    assert!(r
        .text()
        .contains("<title>页面不存在 - 运维管理平台</title>"));
    // The project lead may not open the user list: the Chinese 403 page.
    let r = lead.get("/users").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let text = visible(&r.text());
    assert!(text.contains("无权访问"), "{text}");
    // An unknown API path keeps its JSON error.
    let r = lead.get("/api/v1/no-such-thing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "request.not_found");
    // 查看用户 only where the viewer may open the list.
    let orgs = lead.get("/orgs").await.text();
    assert!(orgs.contains("江苏省财政厅"), "{orgs}");
    assert!(!orgs.contains("/users?org_id="), "{orgs}");
    let admin = Browser::login(&app, "sysadmin").await;
    assert!(admin.get("/orgs").await.text().contains("/users?org_id="));
    app.cleanup().await;
}

#[tokio::test]
async fn the_audit_page_names_actions_roles_objects_and_states_in_chinese() {
    let app = TestApp::new().await;
    yunwei_core::demo::tickets::seed(&app.platform)
        .await
        .expect("demo tickets");
    let aud = Browser::login(&app, "audadmin").await;
    let r = aud.get("/audit?action=ticket.transition").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    let page = scan(&html);
    let text = page.text.join("\n");
    assert!(text.contains("工单流转"), "{text}");
    assert!(text.contains("工单"), "{text}");
    // The filter offers the actions as grouped choices, this one chosen.
    assert!(html.contains(r#"<optgroup label="工单">"#), "{html}");
    assert!(
        html.contains(r#"<option value="ticket.transition" selected>工单流转</option>"#),
        "{html}"
    );
    // No code, role id or state id in the text.
    let usernames: HashSet<String> = accounts().iter().map(|u| u.to_string()).collect();
    let findings = text_findings(&page, &usernames);
    assert!(findings.is_empty(), "{findings:#?}");
    // No state id of any process (the summaries name states by label).
    let states: HashSet<&str> = app
        .platform
        .packs
        .iter()
        .flat_map(|pk| pk.processes.iter())
        .flat_map(|pr| pr.states.iter())
        .map(|st| st.id.as_str())
        .collect();
    let words: Vec<&str> = page
        .text
        .iter()
        .flat_map(|t| t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|w| states.contains(w))
        .collect();
    assert!(words.is_empty(), "state ids shown: {words:?}\n{text}");
    assert!(text.contains(" → "), "{text}");
    // The Excel export names the action in Chinese too.
    let x = aud
        .post(
            "/audit/export",
            &[("action", "ticket.transition"), ("reason", "检查")],
        )
        .await;
    assert_eq!(x.status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.body.to_vec())).expect("xlsx");
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("range");
    let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "工单流转"), "{cells:?}");
    assert!(!cells.iter().any(|c| c == "ticket.transition"), "{cells:?}");
    app.cleanup().await;
}

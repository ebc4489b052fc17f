//! `yunwei policy check DIR` and `yunwei policy trace`: policy packs
//! (ADR 0003) from the command line. Neither needs the database or the
//! configuration.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use yunwei_domain::policy::check::{load_pack, PACK_FILE};
use yunwei_domain::policy::embedded;
use yunwei_domain::policy::model::{citation_test_prefix, parse_citation, Pack, RuleRef};

/// Reads the `*.toml` files of a pack folder, `pack.toml` first, the
/// processes in name order.
pub fn read_pack_dir(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("无法读取策略包目录 {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("无法读取策略包目录 {}", dir.display()))?
            .path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort_by_key(|p| (p.file_name().is_none_or(|n| n != PACK_FILE), p.clone()));
    paths
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("无法读取 {}", p.display()))?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

/// Number of cited rules of a pack, as reported by `check`.
fn rule_count(pack: &Pack) -> usize {
    pack.rules().len()
}

/// `yunwei policy check DIR`: exit 0 when the pack is valid, 1 with one
/// `file:line:col: message` line per problem otherwise.
pub fn check(dir: &Path) -> anyhow::Result<ExitCode> {
    let files = read_pack_dir(dir)?;
    match load_pack(&files) {
        Ok(pack) => {
            println!(
                "策略包 {} {} 检查通过：{} 个流程，{} 条规则",
                pack.id,
                pack.version,
                pack.processes.len(),
                rule_count(&pack)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                println!("{e}");
            }
            eprintln!(
                "策略包 {} 检查未通过：{} 个错误",
                dir.display(),
                errors.len()
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// A test function found in the sources: file and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TestFn {
    pub file: String,
    pub name: String,
}

/// Finds `fn name` items in the `.rs` files under `root` (recursively),
/// or `None` when `root` does not exist.
pub fn scan_test_fns(root: &Path) -> Option<Vec<TestFn>> {
    if !root.is_dir() {
        return None;
    }
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "target") {
                    continue;
                }
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                for line in text.lines() {
                    if let Some(name) = fn_name(line) {
                        out.push(TestFn {
                            file: path.display().to_string(),
                            name: name.to_string(),
                        });
                    }
                }
            }
        }
    }
    out.sort();
    Some(out)
}

/// The name of a function declared on this line, if any.
fn fn_name(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("pub ").unwrap_or(t);
    let t = t.strip_prefix("async ").unwrap_or(t);
    let rest = t.strip_prefix("fn ")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Article paths of a regulation text, in document order, without
/// repeats. Three numbering styles are recognised, the first that occurs:
/// `第…条` articles (JSCZ, ZMDY, SNXM: `[27]`), a Chinese outline of parts
/// `六、`, sections `（一）` and items `3.` (NTCZ: `[6, 1, 3]`), and dotted
/// section numbers `3.2.5` (EEDS: `[3, 2, 5]`).
pub fn document_articles(text: &str) -> Vec<Vec<u32>> {
    let articles = numbered_articles(text);
    if !articles.is_empty() {
        return articles.into_iter().map(|n| vec![n]).collect();
    }
    let outline = chinese_outline(text);
    if !outline.is_empty() {
        return outline;
    }
    dotted_sections(text)
}

fn push_unique(out: &mut Vec<Vec<u32>>, path: Vec<u32>) {
    if !out.contains(&path) {
        out.push(path);
    }
}

/// A line without the markers a converted document leaves before its
/// text (`[bookmark: _Toc23416]`, `[image: ]`).
fn without_markers(line: &str) -> &str {
    let mut l = line.trim_start();
    while let Some(rest) = l.strip_prefix('[') {
        match rest.split_once(']') {
            Some((_, after)) => l = after.trim_start(),
            None => break,
        }
    }
    l
}

/// `六、…` / `（一）…` / `3.…` or `（3）…` at the start of lines.
fn chinese_outline(text: &str) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let (mut part, mut section) = (0u32, 0u32);
    for line in text.lines().map(without_markers) {
        if let Some((head, _)) = line.split_once('、') {
            if let Some(n) = chinese_number(head) {
                part = n;
                section = 0;
                push_unique(&mut out, vec![part]);
                continue;
            }
        }
        if let Some(rest) = line.strip_prefix('（') {
            if let Some((head, _)) = rest.split_once('）') {
                if let Some(n) = chinese_number(head) {
                    if part > 0 {
                        section = n;
                        push_unique(&mut out, vec![part, section]);
                    }
                    continue;
                }
                // `（3）` numbers the items of a section, as `3.` does.
                if let Ok(n) = head.parse::<u32>() {
                    if part > 0 && !head.is_empty() && head.bytes().all(|b| b.is_ascii_digit()) {
                        let path = if section > 0 {
                            vec![part, section, n]
                        } else {
                            vec![part, n]
                        };
                        push_unique(&mut out, path);
                    }
                    continue;
                }
            }
        }
        let digits: String = line.chars().take_while(char::is_ascii_digit).collect();
        let after = line[digits.len()..].chars().next();
        if !digits.is_empty() && matches!(after, Some('.') | Some('．') | Some('、')) && part > 0
        {
            if let Ok(n) = digits.parse::<u32>() {
                let path = if section > 0 {
                    vec![part, section, n]
                } else {
                    vec![part, n]
                };
                push_unique(&mut out, path);
            }
        }
    }
    out
}

/// `3.2.5` (two levels or more) at the start of lines.
fn dotted_sections(text: &str) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim_start) {
        let head: String = line
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let parts: Vec<u32> = head
            .split('.')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect();
        if parts.len() >= 2 {
            push_unique(&mut out, parts);
        }
    }
    out
}

/// Article numbers written `第…条` followed by whitespace or opening a line.
fn numbered_articles(text: &str) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '第' {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && "零一二三四五六七八九十百".contains(chars[j]) {
                j += 1;
            }
            let followed_by_space = chars.get(j + 1).is_none_or(|c| c.is_whitespace());
            // ZMDY writes its headings without a space (`第十五条审核。`):
            // an article also starts where `第…条` opens a line, while a
            // reference inside a sentence (`参见第一条的规定`) does not.
            let line_start = chars[..i]
                .iter()
                .rev()
                .take_while(|c| **c != '\n')
                .all(|c| c.is_whitespace());
            if j > start && chars.get(j) == Some(&'条') && (followed_by_space || line_start) {
                let numeral: String = chars[start..j].iter().collect();
                if let Some(n) = chinese_number(&numeral) {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `五十六` -> 56, `十一` -> 11, `一百零二` -> 102.
pub fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|b| (b / 3) as u32);
    let mut total = 0;
    let mut current: Option<u32> = None;
    for c in s.chars() {
        match c {
            '百' => {
                total += current.unwrap_or(1) * 100;
                current = None;
            }
            '十' => {
                total += current.unwrap_or(1) * 10;
                current = None;
            }
            c => current = Some(digit(c)?),
        }
    }
    let n = total + current.unwrap_or(0);
    (n > 0).then_some(n)
}

/// Sort key of a citation: code, numeric article path, and the raw text
/// for citations of another form.
type CitationKey = (String, Vec<u32>, String);

/// Sort key of a citation: code, then numeric article path.
fn citation_key(s: &str) -> CitationKey {
    match parse_citation(s) {
        Some((code, parts)) => (code.to_string(), parts, String::new()),
        None => (String::new(), Vec::new(), s.to_string()),
    }
}

/// The citation code most rules of a pack use (`JSCZ` for jscz).
fn main_code(pack: &Pack) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in pack.rules() {
        if let Some((code, _)) = parse_citation(&r.source) {
            *counts.entry(code.to_string()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(code, _)| code)
}

fn rule_line(r: &RuleRef) -> String {
    let process = r.process.as_deref().unwrap_or("pack");
    let line = format!("{process} / {} / {}  （{}）", r.kind, r.id, r.origin);
    match &r.open {
        Some(open) => format!("{line}  组织自定：{open}"),
        None => line,
    }
}

/// The regulations the packs cite, compiled in from `docs/regulations/`
/// (official documents, which Chinese copyright law leaves free to copy),
/// so `policy trace` lists every article without a copy beside it.
pub const DOCUMENTS: &[(&str, &str)] = &[
    (
        "000_4b969e8bf2fe8a51.txt",
        include_str!("../../../docs/regulations/000_4b969e8bf2fe8a51.txt"),
    ),
    (
        "001_f6adb2158a143b50.txt",
        include_str!("../../../docs/regulations/001_f6adb2158a143b50.txt"),
    ),
    (
        "002_4173cf33c2d599b7.txt",
        include_str!("../../../docs/regulations/002_4173cf33c2d599b7.txt"),
    ),
    (
        "003_43c74e801230f715.txt",
        include_str!("../../../docs/regulations/003_43c74e801230f715.txt"),
    ),
    (
        "004_8c07ce9ebe16c861.txt",
        include_str!("../../../docs/regulations/004_8c07ce9ebe16c861.txt"),
    ),
];

/// The text of a pack's regulation, as compiled in.
pub fn pack_document(pack: &Pack) -> Option<&'static str> {
    let name = pack.document.as_deref()?;
    DOCUMENTS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Where a citation is made outside the packs' rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cite {
    /// A declarative register's spec cites it (`source`).
    Register { key: String, label: String },
    /// A doc comment (`///`, `//!`) in the platform's sources names it:
    /// the code says it implements the article.
    Code { file: String, line: usize },
}

/// The citations of `codes` in the register specs and in the doc
/// comments of the `.rs` files under `root` (tests, demo data and
/// benchmarks excluded: a test is evidence, not an implementation); the
/// flag is false when `root` does not exist.
pub fn scan_citations(root: &Path, codes: &[String]) -> (Vec<(String, Cite)>, bool) {
    let mut out = Vec::new();
    for spec in yunwei_domain::register::SPECS {
        for c in citations_in(spec.source, codes) {
            out.push((
                c,
                Cite::Register {
                    key: spec.key.to_string(),
                    label: spec.label.to_string(),
                },
            ));
        }
    }
    if !root.is_dir() {
        return (out, false);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                // Demo data, benchmarks and test support cite articles
                // without enforcing them.
                if !matches!(name, "target" | "tests" | "demo" | "bench" | "testkit") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let mut in_tests = false;
                for (i, line) in text.lines().enumerate() {
                    let t = line.trim_start();
                    // Unit tests at the end of a file are not the code.
                    if t.starts_with("#[cfg(test)]") {
                        in_tests = true;
                    }
                    if in_tests || !(t.starts_with("///") || t.starts_with("//!")) {
                        continue;
                    }
                    for c in citations_in(t, codes) {
                        out.push((
                            c,
                            Cite::Code {
                                file: path.display().to_string(),
                                line: i + 1,
                            },
                        ));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    (out, true)
}

/// The citations `CODE-1.2.3` of the given codes in `text`.
fn citations_in(text: &str, codes: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for code in codes {
        let needle = format!("{code}-");
        let mut from = 0;
        while let Some(at) = text[from..].find(&needle) {
            let start = from + at;
            let rest = &text[start + needle.len()..];
            let len = rest
                .char_indices()
                .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
                .map(|(i, c)| i + c.len_utf8())
                .last()
                .unwrap_or(0);
            let article = rest[..len].trim_end_matches('.');
            let preceded = text[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric());
            if !article.is_empty() && !preceded {
                out.push(format!("{code}-{article}"));
            }
            from = start + needle.len();
        }
    }
    out
}

/// What the sources hold for the trace: test functions and the
/// citations outside the packs. `None`: the sources were not found.
pub struct Sources {
    pub tests: Option<Vec<TestFn>>,
    pub cites: Vec<(String, Cite)>,
    pub code_scanned: bool,
}

impl Sources {
    /// Reads `root` (the `crates/` folder) for the citation codes of the
    /// embedded packs.
    pub fn scan(root: &Path) -> Sources {
        let codes: Vec<String> = {
            let mut c: Vec<String> = embedded::packs().iter().filter_map(main_code).collect();
            c.sort();
            c.dedup();
            c
        };
        let (cites, code_scanned) = scan_citations(root, &codes);
        Sources {
            tests: scan_test_fns(root),
            cites,
            code_scanned,
        }
    }

    /// No sources: only the packs and the register specs.
    pub fn none() -> Sources {
        Sources {
            tests: None,
            cites: Vec::new(),
            code_scanned: false,
        }
    }
}

/// The trace report for one pack. `document` is the regulation's text
/// (the pack's own when `None` is passed by [`trace`]).
pub fn trace_report(pack: &Pack, sources: &Sources, document: Option<&str>) -> String {
    let tests = sources.tests.as_deref();
    let mut out = String::new();
    let _ = writeln!(out, "策略包 {} {}：{}", pack.id, pack.version, pack.name);
    let mut by_article: BTreeMap<CitationKey, (String, Vec<RuleRef>)> = BTreeMap::new();
    for r in pack.rules() {
        by_article
            .entry(citation_key(&r.source))
            .or_insert_with(|| (r.source.clone(), Vec::new()))
            .1
            .push(r);
    }
    let tests_for = |citation: &str| -> Option<Vec<&TestFn>> {
        let prefix = citation_test_prefix(citation);
        tests.map(|t| t.iter().filter(|f| f.name.starts_with(&prefix)).collect())
    };
    for (citation, rules) in by_article.values() {
        let _ = writeln!(out, "\n{citation}");
        for r in rules {
            let _ = writeln!(out, "  规则  {}", rule_line(r));
            // A parameter shows its value and who chose it (ADR 0018).
            if let Some(v) = (r.kind == "parameter")
                .then(|| pack.cited_value(&r.id))
                .flatten()
            {
                let open = v
                    .open
                    .as_deref()
                    .map(|o| format!("；{o}"))
                    .unwrap_or_default();
                let _ = writeln!(out, "        {}：{}{open}", v.label, v.value);
            }
        }
        match tests_for(citation) {
            None => {
                let _ = writeln!(out, "  测试  （未找到测试源码）");
            }
            Some(found) if found.is_empty() => {
                let _ = writeln!(out, "  测试  （无）");
            }
            Some(found) => {
                for t in found {
                    let _ = writeln!(out, "  测试  {}  （{}）", t.name, t.file);
                }
            }
        }
    }
    let _ = writeln!(out);
    let Some(code) = main_code(pack) else {
        let _ = writeln!(out, "（策略包没有可识别的条款引用，无法对照文档）");
        return out;
    };
    let Some(text) = document else {
        let _ = writeln!(out, "（策略包没有指明规章原文，无法逐条对照）");
        return out;
    };
    let Some(part) = pack.document_part(text) else {
        let _ = writeln!(
            out,
            "（文档中找不到本策略包的起始标题「{}」，无法对照文档）",
            pack.document_from.as_deref().unwrap_or("")
        );
        return out;
    };
    document_section(&mut out, pack, &code, part, sources);
    out
}

/// Whether a citation's article path is the article, or a part of it.
fn within(cited: &[u32], article: &[u32]) -> bool {
    cited.starts_with(article)
}

/// Every article of the document in order, each with what enforces it:
/// the pack's rules, register specs and code that cite it (or a part of
/// it), or the reason it is left out (`coverage.toml`), or "未执行".
/// Headings (an article with parts of its own in the document) are listed
/// but not counted: their parts are.
fn document_section(out: &mut String, pack: &Pack, code: &str, text: &str, sources: &Sources) {
    let articles = document_articles(text);
    let path_of = |s: &str| -> Option<Vec<u32>> {
        parse_citation(s)
            .filter(|(c, _)| *c == code)
            .map(|(_, p)| p)
    };
    let rules: Vec<(Vec<u32>, RuleRef)> = pack
        .rules()
        .into_iter()
        .filter_map(|r| path_of(&r.source).map(|p| (p, r)))
        .collect();
    let cites: Vec<(Vec<u32>, &Cite)> = sources
        .cites
        .iter()
        .filter_map(|(c, cite)| path_of(c).map(|p| (p, cite)))
        .collect();
    let omitted: Vec<(Vec<u32>, &yunwei_domain::policy::coverage::Omission)> = pack
        .omissions
        .iter()
        .filter_map(|o| path_of(&o.source).map(|p| (p, o)))
        .collect();
    let tests_named = |path: &[u32]| -> usize {
        let prefix = citation_test_prefix(&format!("{code}-{}", dotted(path)));
        sources.tests.as_deref().map_or(0, |t| {
            t.iter().filter(|f| f.name.starts_with(&prefix)).count()
        })
    };
    let (mut total, mut by_rule, mut by_code_only, mut left_out, mut not_enforced) =
        (0, 0, 0, 0, 0);
    let mut lines = Vec::new();
    for a in &articles {
        let citation = format!("{code}-{}", dotted(a));
        let heading = articles
            .iter()
            .any(|b| b.len() > a.len() && b.starts_with(a));
        let n_rules = rules.iter().filter(|(p, _)| within(p, a)).count();
        let mut registers: Vec<&str> = Vec::new();
        let mut places: Vec<String> = Vec::new();
        for (p, cite) in &cites {
            if !within(p, a) {
                continue;
            }
            match cite {
                Cite::Register { key, .. } => {
                    if !registers.contains(&key.as_str()) {
                        registers.push(key);
                    }
                }
                Cite::Code { file, line } => places.push(format!("{file}:{line}")),
            }
        }
        let omission = omitted.iter().find(|(p, _)| p == a).map(|(_, o)| *o);
        let n_tests = tests_named(a);
        let mut what = Vec::new();
        if n_rules > 0 {
            what.push(format!("规则 {n_rules} 条"));
        }
        if !registers.is_empty() {
            what.push(format!("登记册 {}", registers.join("、")));
        }
        if !places.is_empty() {
            let shown: Vec<&str> = places.iter().take(3).map(String::as_str).collect();
            let more = if places.len() > 3 {
                format!(" 等 {} 处", places.len())
            } else {
                String::new()
            };
            what.push(format!("代码 {}{more}", shown.join("、")));
        }
        let tests_note = if n_tests > 0 {
            format!("；测试 {n_tests} 个")
        } else {
            String::new()
        };
        let line = if heading {
            format!("{citation}  （章节标题，见下级条款）")
        } else if let Some(o) = omission {
            total += 1;
            left_out += 1;
            let clash = if what.is_empty() {
                String::new()
            } else {
                format!("  （但有引用：{}）", what.join("，"))
            };
            format!(
                "{citation}  不执行：{}。{}{clash}",
                o.reason.label(),
                o.note
            )
        } else if !what.is_empty() {
            total += 1;
            if n_rules > 0 {
                by_rule += 1;
            } else {
                by_code_only += 1;
            }
            format!("{citation}  执行：{}{tests_note}", what.join("，"))
        } else {
            total += 1;
            not_enforced += 1;
            format!("{citation}  未执行{tests_note}")
        };
        lines.push(line);
    }
    let _ = writeln!(
        out,
        "逐条对照（章节标题不计）：共 {total} 条，策略包规则执行 {by_rule} 条，仅登记册或代码执行 {by_code_only} 条，有意不执行 {left_out} 条，未执行 {not_enforced} 条"
    );
    if !sources.code_scanned {
        let _ = writeln!(out, "（未找到源码 crates/，代码注释中的引用未计入）");
    }
    for l in lines {
        let _ = writeln!(out, "  {l}");
    }
    // Citations of articles the document does not have: a typo or an
    // outdated number.
    let mut unknown: Vec<String> = Vec::new();
    let known = |p: &Vec<u32>| articles.iter().any(|a| within(p, a) || within(a, p));
    for (p, _) in &rules {
        if !known(p) {
            unknown.push(format!("{code}-{}", dotted(p)));
        }
    }
    for (p, _) in &omitted {
        if !known(p) {
            unknown.push(format!("{code}-{}", dotted(p)));
        }
    }
    unknown.sort_by_key(|c| citation_key(c));
    unknown.dedup();
    if !unknown.is_empty() {
        let _ = writeln!(out, "文档中没有的条款引用：{}", unknown.join("、"));
    }
}

fn dotted(path: &[u32]) -> String {
    path.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// `yunwei policy trace [--pack ID] [--document FILE]`: every pack (or
/// one) with its regulation, compiled in; `--document` reads another copy
/// of the text and traces only the packs that name that file, so a
/// document no pack belongs to reports no coverage.
pub fn trace(pack_id: Option<&str>, document: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut packs: Vec<Pack> = embedded::packs()
        .into_iter()
        .filter(|p| pack_id.is_none_or(|id| p.id == id))
        .collect();
    if packs.is_empty() {
        let ids: Vec<&str> = embedded::EMBEDDED.iter().map(|p| p.id).collect();
        anyhow::bail!(
            "没有策略包「{}」，内置策略包：{}",
            pack_id.unwrap_or(""),
            ids.join("、")
        );
    }
    let given = match document {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("无法读取文档 {}", p.display()))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            packs.retain(|pk| pk.document.as_deref() == Some(name.as_str()));
            if packs.is_empty() {
                anyhow::bail!(
                    "没有策略包以文档「{name}」为依据，不报告覆盖情况；各策略包的文档见 docs/regulations/"
                );
            }
            Some(text)
        }
        None => None,
    };
    let sources = Sources::scan(Path::new("crates"));
    for (i, pack) in packs.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let text = given.as_deref().or_else(|| pack_document(pack));
        print!("{}", trace_report(pack, &sources, text));
    }
    Ok(ExitCode::SUCCESS)
}

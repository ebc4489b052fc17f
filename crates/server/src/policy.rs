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

/// `六、…` / `（一）…` / `3.…` at the start of lines.
fn chinese_outline(text: &str) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let (mut part, mut section) = (0u32, 0u32);
    for line in text.lines().map(str::trim_start) {
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

/// The trace report for one pack. `tests` is `None` when the sources were
/// not found; `document` is the regulation's text, when given.
pub fn trace_report(pack: &Pack, tests: Option<&[TestFn]>, document: Option<&str>) -> String {
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
    let part = document.map(|text| pack.document_part(text));
    match (part, main_code(pack)) {
        (Some(None), _) => {
            let _ = writeln!(
                out,
                "（文档中找不到本策略包的起始标题「{}」，无法对照文档）",
                pack.document_from.as_deref().unwrap_or("")
            );
        }
        (Some(Some(text)), Some(code)) => {
            let articles = document_articles(text);
            let cited: Vec<&Vec<u32>> = by_article
                .keys()
                .filter(|(c, parts, _)| *c == code && !parts.is_empty())
                .map(|(_, parts, _)| parts)
                .collect();
            // An article counts as cited when a rule cites it, a part of
            // it, or the section containing it.
            let covered = |a: &Vec<u32>| cited.iter().any(|c| c.starts_with(a) || a.starts_with(c));
            let uncited: Vec<&Vec<u32>> = articles.iter().filter(|a| !covered(a)).collect();
            let _ = writeln!(
                out,
                "条款覆盖：文档共 {} 条，被规则引用 {} 条，未被引用 {} 条",
                articles.len(),
                articles.len() - uncited.len(),
                uncited.len()
            );
            if !uncited.is_empty() {
                let _ = writeln!(out, "未被任何规则引用的条款：");
            }
            for a in uncited {
                let path: Vec<String> = a.iter().map(u32::to_string).collect();
                let citation = format!("{code}-{}", path.join("."));
                let note = match tests_for(&citation) {
                    Some(found) if !found.is_empty() => {
                        let names: Vec<&str> = found.iter().map(|t| t.name.as_str()).collect();
                        format!("  （由代码实现，测试：{}）", names.join("、"))
                    }
                    _ => String::new(),
                };
                let _ = writeln!(out, "  {citation}{note}");
            }
        }
        (Some(Some(_)), None) => {
            let _ = writeln!(out, "（策略包没有可识别的条款引用，无法对照文档）");
        }
        (None, _) => {
            let document = pack.document.as_deref().unwrap_or("规章原文");
            let _ = writeln!(
                out,
                "（未指定 --document，跳过未引用条款清单；可用 --document 指向 {document}）"
            );
        }
    }
    out
}

/// `yunwei policy trace [--pack ID] [--document FILE]`.
pub fn trace(pack_id: Option<&str>, document: Option<&Path>) -> anyhow::Result<ExitCode> {
    let packs: Vec<Pack> = embedded::packs()
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
    let document = document
        .map(|p| {
            std::fs::read_to_string(p).with_context(|| format!("无法读取文档 {}", p.display()))
        })
        .transpose()?;
    let tests = scan_test_fns(Path::new("crates"));
    for (i, pack) in packs.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!(
            "{}",
            trace_report(pack, tests.as_deref(), document.as_deref())
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! The crates' direction (ARCHITECTURE.md, issue 12): `web` reaches the
//! database only through `core`'s use cases, which take the caller's
//! principal and apply its scope. These tests fail when `web` gains a
//! store dependency or reaches into the database again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::policy::repo_root;

fn web_dir() -> PathBuf {
    repo_root().join("crates/web")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn web_does_not_depend_on_store() {
    let text = std::fs::read_to_string(web_dir().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    let deps = manifest["dependencies"].as_table().unwrap();
    assert!(
        deps.contains_key("yunwei-core"),
        "web depends on core (sanity check of this test)"
    );
    // Normal and build dependencies, also per target.
    let mut tables = vec![("dependencies", deps.clone())];
    if let Some(b) = manifest
        .get("build-dependencies")
        .and_then(|b| b.as_table())
    {
        tables.push(("build-dependencies", b.clone()));
    }
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for t in targets.values() {
            for key in ["dependencies", "build-dependencies"] {
                if let Some(d) = t.get(key).and_then(|d| d.as_table()) {
                    tables.push((key, d.clone()));
                }
            }
        }
    }
    for (key, table) in tables {
        for (name, spec) in &table {
            let package = spec.get("package").and_then(|p| p.as_str()).unwrap_or(name);
            assert!(
                name != "yunwei-store" && package != "yunwei-store",
                "crates/web/Cargo.toml [{key}] names yunwei-store: web goes through core only"
            );
        }
    }
}

#[test]
fn web_source_does_not_reach_the_database() {
    let mut files = Vec::new();
    rust_files(&web_dir().join("src"), &mut files);
    assert!(files.len() > 10, "found web's sources: {files:?}");
    let forbidden = [
        "yunwei_store",
        ".db.read(",
        ".db.write(",
        "platform.db()",
        "in_tx!",
    ];
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for pat in forbidden {
                if line.contains(pat) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "web reaches past core into the store (add a core use case instead):\n{}",
        found.join("\n")
    );
}

/// The use cases of the server's own command line act as the system,
/// without a role check (三员 recovery, ADR 0009 and 0011): no web handler
/// may call them.
#[test]
fn web_does_not_call_the_command_line_use_cases() {
    let mut files = Vec::new();
    rust_files(&web_dir().join("src"), &mut files);
    let forbidden = [
        "_on_server",
        "Importer::CommandLine",
        "set_ukey_requirement",
        "bootstrap::",
        "Actor::System",
    ];
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for pat in forbidden {
                if line.contains(pat) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "web calls a use case of the command line:\n{}",
        found.join("\n")
    );
}

/// The floor of a module of `core` (lib.rs's doc and ARCHITECTURE.md): a
/// module imports modules of its own floor or below, never above.
fn floor_of(module: &str) -> Option<u8> {
    let first = module.split("::").next().unwrap_or("");
    match first {
        "kernel" => Some(1),
        "tickets" | "registers" => Some(2),
        "features" => Some(3),
        "jobs" => Some(4),
        "demo" => Some(5),
        // The crate root gathers the floors and the seams.
        "" => Some(6),
        _ => None,
    }
}

/// Every module of `core` (by path, `features::rules::ukeys`) and the
/// modules it names (`crate::…` outside comments), resolved to the longest
/// module path.
fn core_imports() -> Imports {
    let src = repo_root().join("crates/core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let module_of = |path: &Path| -> String {
        let rel = path.strip_prefix(&src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
            parts.pop();
        }
        parts.join("::")
    };
    let modules: std::collections::BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    // Items of the kernel the root re-exports for everyone's convenience.
    let kernel_items = ["Ctx", "Platform", "Principal", "Authorized", "Keys"];
    let mut out = std::collections::BTreeMap::new();
    for f in &files {
        let me = module_of(f);
        let text = std::fs::read_to_string(f).unwrap();
        let mut deps = std::collections::BTreeSet::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let path: Vec<&str> = rest
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .collect();
                let target = (1..=path.len())
                    .rev()
                    .map(|n| path[..n].join("::"))
                    .find(|m| modules.contains(m));
                let target = match target {
                    Some(m) => m,
                    None if path.first().is_some_and(|p| kernel_items.contains(p)) => {
                        "kernel::principal".to_string()
                    }
                    None if path
                        .first()
                        .is_some_and(|p| p.starts_with(char::is_uppercase)) =>
                    {
                        continue;
                    }
                    None => {
                        // `crate::{Ctx, Platform}` and the like.
                        if rest.starts_with('{') {
                            "kernel::principal".to_string()
                        } else {
                            panic!(
                                "{}: `crate::{}` names no module by its floor path; write \
                                 `crate::kernel::…`, `crate::features::…` (the root's \
                                 re-exports are for the other crates)",
                                f.display(),
                                path.join("::")
                            )
                        }
                    }
                };
                if target != me {
                    deps.insert(target);
                }
            }
        }
        out.insert(me, deps);
    }
    out
}

/// Issue 12: `core` in floors that import only downward, and no import
/// cycle among its modules (file by file).
#[test]
fn core_floors() {
    let imports = core_imports();
    assert!(
        imports.len() > 30 && imports.contains_key("kernel::audit"),
        "the scan found core's modules (sanity check of this test)"
    );
    for (from, deps) in &imports {
        let f = floor_of(from).unwrap_or_else(|| panic!("core module {from} is on no floor"));
        for to in deps {
            let t = floor_of(to).unwrap_or_else(|| panic!("core module {to} is on no floor"));
            assert!(
                t <= f,
                "{from} (floor {f}) imports {to} (floor {t}): floors import only downward"
            );
        }
    }
    if let Some(cycle) = first_cycle(&imports) {
        panic!("import cycle in core: {cycle}");
    }
}

/// The cycle check finds a cycle (so that `core_floors` can fail).
#[test]
#[should_panic(expected = "import cycle")]
fn core_floors_check_finds_a_cycle() {
    let mut imports = core_imports();
    imports
        .get_mut("kernel::export")
        .unwrap()
        .insert("kernel::audit".into());
    imports
        .get_mut("kernel::audit")
        .unwrap()
        .insert("kernel::export".into());
    if let Some(cycle) = first_cycle(&imports) {
        panic!("import cycle in core: {cycle}");
    }
}

type Imports = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// The first import cycle found by a depth-first search, as `a -> b -> a`.
fn first_cycle(imports: &Imports) -> Option<String> {
    fn visit<'a>(
        m: &'a str,
        imports: &'a Imports,
        done: &mut std::collections::BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            return Some(format!("{} -> {m}", path[i..].join(" -> ")));
        }
        if done.contains(m) {
            return None;
        }
        path.push(m);
        for d in imports.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, imports, done, path) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m);
        None
    }
    let mut done = std::collections::BTreeSet::new();
    imports
        .keys()
        .find_map(|m| visit(m, imports, &mut done, &mut Vec::new()))
}

/// ADR 0010, issue 12: no pack's id or process id is matched in the
/// crates' Rust source: behaviour is named by keyword in the pack. The
/// demo data, the benchmark, the test kit and the table of embedded pack
/// files name packs on purpose; the store's columns are not pack ids.
#[test]
fn no_pack_or_process_id_in_rust() {
    let mut ids = std::collections::BTreeSet::new();
    for pk in yunwei_domain::policy::embedded::packs() {
        ids.insert(pk.id.clone());
        for pr in &pk.processes {
            ids.insert(pr.id.clone());
        }
    }
    assert!(ids.contains("incident"), "the scan knows the ids (sanity)");
    // The same word with another meaning: (file, literal, why).
    let homonyms = [(
        "crates/core/src/features/inspections.rs",
        "fault",
        "a kind of maintenance record (故障处理), not the NTCZ process",
    )];
    let root = repo_root();
    let mut files = Vec::new();
    for krate in ["core", "domain", "web", "server"] {
        rust_files(&root.join("crates").join(krate).join("src"), &mut files);
    }
    let mut found = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.contains("/demo/") || rel.ends_with("policy/embedded.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for literal in code.split('"').skip(1).step_by(2) {
                if ids.contains(literal)
                    && !homonyms
                        .iter()
                        .any(|(file, word, _)| *file == rel && *word == literal)
                {
                    found.push(format!("{rel}:{}: \"{literal}\"", n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "pack or process ids in Rust (name the behaviour by a pack keyword instead, ADR 0010):\n{}",
        found.join("\n")
    );
}

/// The audit action codes `core` writes: the first string literal after
/// `Event::success(` / `Event::failure(`, and the action of
/// `audit_export(` (whitespace and line breaks ignored).
fn audit_actions_in(text: &str) -> BTreeSet<String> {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = BTreeSet::new();
    for opener in ["Event::success(", "Event::failure(", "audit_export("] {
        for (i, _) in flat.match_indices(opener) {
            let rest = &flat[i + opener.len()..];
            let end = rest
                .char_indices()
                .map(|(j, _)| j)
                .find(|j| *j >= 300)
                .unwrap_or(rest.len());
            let window = &rest[..end];
            let mut parts = window.split('"');
            parts.next();
            while let Some(lit) = parts.next() {
                let is_code = lit.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && !b.is_empty()
                        && lit
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                });
                if is_code {
                    out.insert(lit.to_string());
                    break;
                }
                // Skip the text between two literals.
                parts.next();
            }
        }
    }
    out
}

/// Issue 13 item 6: every audit action has its Chinese name in
/// `domain::labels::ACTIONS` (the audit page and its export never fall back
/// to a made-up name).
#[test]
fn every_audit_action_has_a_chinese_name() {
    let mut files = vec![];
    rust_files(&web_dir().join("../core/src"), &mut files);
    let mut codes = BTreeSet::new();
    for f in &files {
        codes.extend(audit_actions_in(&std::fs::read_to_string(f).unwrap()));
    }
    assert!(codes.len() > 40, "the scan finds the actions: {codes:?}");
    let named: BTreeSet<&str> = yunwei_domain::labels::ACTIONS
        .iter()
        .map(|(c, _, _)| *c)
        .collect();
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !named.contains(c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "audit actions without a Chinese name: {missing:?}"
    );
}

#[test]
fn the_audit_action_scan_reads_calls_over_lines() {
    let src = "Event::success(\n    \"ticket.claim\",\n \"ticket\", id)\n audit_export(p, ctx, auth,\n \"report.export\", \"x\")";
    let found: Vec<String> = audit_actions_in(src).into_iter().collect();
    assert_eq!(found, ["report.export", "ticket.claim"]);
}

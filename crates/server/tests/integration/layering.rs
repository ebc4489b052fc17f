//! The crates' direction (ARCHITECTURE.md, issue 12): `web` reaches the
//! database only through `core`'s use cases, which take the caller's
//! principal and apply its scope. These tests fail when `web` gains a
//! store dependency or reaches into the database again.

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
        "platform.db",
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

//! The policy packs shipped in the binary, from `policies/` at the
//! repository root.

use super::check::{load_pack, PackError};
use super::model::Pack;

/// A pack's files as compiled in: `(path relative to the repository, text)`.
pub struct EmbeddedPack {
    pub id: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

macro_rules! pack_file {
    ($pack:literal, $file:literal) => {
        (
            concat!("policies/", $pack, "/", $file),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../policies/",
                $pack,
                "/",
                $file
            )),
        )
    };
}

/// Every shipped pack. Add a pack's files here when adding a folder under
/// `policies/`.
pub const EMBEDDED: &[EmbeddedPack] = &[EmbeddedPack {
    id: "jscz",
    files: &[
        pack_file!("jscz", "pack.toml"),
        pack_file!("jscz", "change.toml"),
        pack_file!("jscz", "incident.toml"),
    ],
}];

impl EmbeddedPack {
    pub fn load(&self) -> Result<Pack, Vec<PackError>> {
        let files: Vec<(String, String)> = self
            .files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        load_pack(&files)
    }
}

/// Loads every shipped pack. The packs are checked by the tests, so a
/// failure here is a build defect.
pub fn packs() -> Vec<Pack> {
    EMBEDDED
        .iter()
        .map(|p| {
            p.load().unwrap_or_else(|errors| {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("embedded pack {} is invalid:\n{}", p.id, lines.join("\n"))
            })
        })
        .collect()
}

/// The shipped pack with this id.
pub fn pack(id: &str) -> Option<Pack> {
    EMBEDDED
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| p.load().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_packs_pass_the_checker() {
        for p in EMBEDDED {
            if let Err(errors) = p.load() {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{}", lines.join("\n"));
            }
        }
        let jscz = pack("jscz").expect("jscz");
        assert_eq!(jscz.version, "1.0.0");
        let ids: Vec<&str> = jscz.processes.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["change", "incident"]);
        assert!(jscz.rules().iter().all(|r| r.source.starts_with("JSCZ-")));
    }
}

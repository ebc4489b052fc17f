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
pub const EMBEDDED: &[EmbeddedPack] = &[
    EmbeddedPack {
        id: "jscz",
        files: &[
            pack_file!("jscz", "pack.toml"),
            pack_file!("jscz", "change.toml"),
            pack_file!("jscz", "incident.toml"),
            pack_file!("jscz", "service_request.toml"),
            pack_file!("jscz", "requirement.toml"),
            pack_file!("jscz", "release.toml"),
            pack_file!("jscz", "software_install.toml"),
            pack_file!("jscz", "data_export.toml"),
            pack_file!("jscz", "data_request.toml"),
            pack_file!("jscz", "account_request.toml"),
            pack_file!("jscz", "special_access.toml"),
            pack_file!("jscz", "coverage.toml"),
            pack_file!("jscz", "parameters.toml"),
        ],
    },
    EmbeddedPack {
        id: "eeds",
        files: &[
            pack_file!("eeds", "pack.toml"),
            pack_file!("eeds", "incident.toml"),
            pack_file!("eeds", "problem.toml"),
            pack_file!("eeds", "change.toml"),
            pack_file!("eeds", "coverage.toml"),
            pack_file!("eeds", "parameters.toml"),
        ],
    },
    EmbeddedPack {
        id: "ntcz",
        files: &[
            pack_file!("ntcz", "pack.toml"),
            pack_file!("ntcz", "fault.toml"),
            pack_file!("ntcz", "hotline.toml"),
            pack_file!("ntcz", "coverage.toml"),
            pack_file!("ntcz", "parameters.toml"),
        ],
    },
    EmbeddedPack {
        id: "zmdy",
        files: &[
            pack_file!("zmdy", "pack.toml"),
            pack_file!("zmdy", "cloud.toml"),
            pack_file!("zmdy", "cloud_apply.toml"),
            pack_file!("zmdy", "cloud_change.toml"),
            pack_file!("zmdy", "cloud_exit.toml"),
            pack_file!("zmdy", "cloud_support.toml"),
            pack_file!("zmdy", "platform_change.toml"),
        ],
    },
    EmbeddedPack {
        id: "snxm",
        files: &[
            pack_file!("snxm", "pack.toml"),
            pack_file!("snxm", "projects.toml"),
            pack_file!("snxm", "project.toml"),
            pack_file!("snxm", "project_supplement.toml"),
            pack_file!("snxm", "system_disposal.toml"),
        ],
    },
    EmbeddedPack {
        id: "snyp",
        files: &[
            pack_file!("snyp", "pack.toml"),
            pack_file!("snyp", "cloud.toml"),
            pack_file!("snyp", "cloud_apply.toml"),
            pack_file!("snyp", "cloud_change.toml"),
            pack_file!("snyp", "cloud_exit.toml"),
            pack_file!("snyp", "cloud_migration.toml"),
        ],
    },
];

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

/// The (pack, process) pairs whose tickets the holders of the review
/// action read in their scope (`reviewers_read = true`; ADR 0017).
pub fn reviewers_read() -> &'static [(String, String)] {
    static PAIRS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    PAIRS.get_or_init(|| {
        packs()
            .iter()
            .flat_map(|pk| {
                pk.processes
                    .iter()
                    .filter(|p| p.reviewers_read)
                    .map(|p| (pk.id.clone(), p.id.clone()))
            })
            .collect()
    })
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
        let ids = |p: &Pack| -> Vec<String> { p.processes.iter().map(|p| p.id.clone()).collect() };
        let jscz = pack("jscz").expect("jscz");
        assert_eq!(jscz.version, "1.0.0");
        assert_eq!(
            ids(&jscz),
            [
                "change",
                "incident",
                "service_request",
                "requirement",
                "release",
                "software_install",
                "data_export",
                "data_request",
                "account_request",
                "special_access"
            ]
        );
        let eeds = pack("eeds").expect("eeds");
        assert_eq!(ids(&eeds), ["incident", "problem", "change"]);
        let ntcz = pack("ntcz").expect("ntcz");
        assert_eq!(ids(&ntcz), ["fault", "hotline"]);
        // Each pack cites its own regulation only, except a gate the
        // platform applies across packs (the go-live emergency plan,
        // NTCZ-3.4.1, ADR 0010).
        for (p, code) in [(&jscz, "JSCZ-"), (&eeds, "EEDS-"), (&ntcz, "NTCZ-")] {
            assert!(
                p.rules()
                    .iter()
                    .all(|r| r.source.starts_with(code) || r.kind == "gate"),
                "{}",
                p.id
            );
        }
    }

    #[test]
    fn parameter_keys_are_unique_across_the_shipped_packs() {
        // The code asks for a parameter by its key alone (ADR 0018).
        let mut seen = std::collections::BTreeMap::new();
        for pk in packs() {
            for p in &pk.parameters {
                if let Some(other) = seen.insert(p.key.clone(), pk.id.clone()) {
                    panic!("parameter {} in both {other} and {}", p.key, pk.id);
                }
            }
        }
        assert!(seen.contains_key("vulnerability.fix_days.critical"));
    }

    #[test]
    fn every_embedded_file_is_listed_from_its_folder() {
        // A file added to `policies/<id>/` but not to EMBEDDED would not ship.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        for p in EMBEDDED {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(p.id))
                .expect("pack folder")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .map(|n| format!("policies/{}/{n}", p.id))
                .collect();
            on_disk.sort();
            let mut listed: Vec<String> = p.files.iter().map(|(f, _)| f.to_string()).collect();
            listed.sort();
            assert_eq!(listed, on_disk, "{}", p.id);
        }
    }
}

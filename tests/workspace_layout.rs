//! Every test, example and benchmark file is one of Cargo's targets.
//!
//! The tests, examples and benchmarks are packages of their own whose
//! manifests list their targets (`tests/Cargo.toml`, `examples/Cargo.toml`,
//! `examples/compare/Cargo.toml`, `benches/Cargo.toml`), so a new file that
//! is not listed would silently never build or run. This test asks Cargo
//! (`cargo metadata`) for the targets of the workspace and fails on any
//! `*.rs` file directly in one of those folders that is not a target of the
//! expected kind, naming the lines to add.

mod common;

use std::path::{Path, PathBuf};

use common::cargo::{metadata, root};

/// The folders whose `*.rs` files are targets: (folder, target kind,
/// manifest section, extra lines of the section).
const FOLDERS: &[(&str, &str, &str, &str)] = &[
    ("tests", "test", "[[test]]", ""),
    ("examples", "example", "[[example]]", ""),
    ("examples/compare", "example", "[[example]]", ""),
    ("benches", "bench", "[[bench]]", "harness = false\n"),
];

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_test_example_and_bench_file_is_a_cargo_target() {
    let metadata = metadata(&["--no-deps", "--offline"]);
    let mut targets: Vec<(String, PathBuf)> = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        for target in package["targets"].as_array().expect("targets") {
            let path = Path::new(target["src_path"].as_str().expect("a src_path"));
            for kind in target["kind"].as_array().expect("kinds") {
                let kind = kind.as_str().expect("a kind").to_string();
                targets.push((kind, canonical(path)));
            }
        }
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    for &(folder, kind, section, extra) in FOLDERS {
        let dir = root().join(folder);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{folder}: {e}")) {
            let path = entry.expect("a readable folder").path();
            if path.extension().is_none_or(|e| e != "rs") || !path.is_file() {
                continue;
            }
            checked += 1;
            let path = canonical(&path);
            if !targets.iter().any(|(k, p)| k == kind && *p == path) {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                missing.push(format!(
                    "{folder}/{name}.rs is not a Cargo target; add to {folder}/Cargo.toml:\n\
                     {section}\nname = \"{name}\"\npath = \"{name}.rs\"\n{extra}"
                ));
            }
        }
    }
    assert!(checked > 30, "only {checked} files found");
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}

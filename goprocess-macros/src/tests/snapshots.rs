//! Hermetic expansion snapshots: each `tests/expand/<shape>.rs` of the
//! workspace is expanded with the macros' own entry points, formatted with
//! `prettyplease`, and compared with `tests/expand/<shape>.expanded.rs`.
//!
//! Regenerate with `GOPROCESS_BLESS=1 cargo test -p goprocess-macros`, then
//! review the diff: it is what `cargo expand` would show users.

use std::path::{Path, PathBuf};

fn expand_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand")
}

#[test]
fn expansions_match_snapshots() {
    let bless = std::env::var_os("GOPROCESS_BLESS").is_some_and(|v| v != "0");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(expand_dir())
        .expect("tests/expand exists")
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "rs")
                && !path.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    sources.sort();
    assert!(
        sources.len() >= 3,
        "expected the canonical shapes in tests/expand"
    );

    let mut mismatches = Vec::new();
    for source in &sources {
        let text = std::fs::read_to_string(source).expect("readable source");
        let file = syn::parse_file(&text).expect("source parses");
        let expanded = prettyplease::unparse(&super::expand_file(&file));
        let snapshot = source.with_extension("expanded.rs");
        if bless {
            std::fs::write(&snapshot, &expanded).expect("writable snapshot");
            continue;
        }
        match std::fs::read_to_string(&snapshot) {
            Ok(expected) if expected == expanded => {}
            Ok(_) => mismatches.push(format!(
                "{} differs; the expansion is now:\n{expanded}",
                snapshot.display()
            )),
            Err(_) => mismatches.push(format!("{} is missing", snapshot.display())),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\n\nRegenerate with GOPROCESS_BLESS=1 and review the diff.",
        mismatches.join("\n\n")
    );
}

#[test]
fn expansion_has_no_errors() {
    // The canonical shapes are all valid: no `compile_error!` in them.
    for entry in std::fs::read_dir(expand_dir()).expect("tests/expand exists") {
        let path = entry.expect("readable directory").path();
        if path.to_string_lossy().ends_with(".expanded.rs") {
            let text = std::fs::read_to_string(&path).expect("readable snapshot");
            assert!(!text.contains("compile_error"), "{}", path.display());
        }
    }
}

//! Compile-fail and compile-pass tests of `#[process]`, `#[teardown]` and
//! `#[run]`.
//!
//! One small file per mistake under `tests/ui/<category>/`, each with the
//! `.stderr` the compiler must print. Regenerate snapshots with
//! `TRYBUILD=overwrite cargo test -p goprocess-tests --test ui_macros`, then
//! read every changed `.stderr`: each message must point at the user's
//! tokens and name the fix.
//!
//! The ```` ```rust ```` blocks of `docs/macros.md` are compiled and run here
//! too, so the user docs cannot drift from the macros.

use std::path::PathBuf;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    for block in doc_blocks() {
        t.pass(block);
    }
    for category in [
        "args", "fields", "order", "teardown", "run", "init", "shape",
    ] {
        t.compile_fail(format!("ui/{category}/*.rs"));
    }
}

/// Writes each ```` ```rust ```` block of `docs/macros.md` to a file of its
/// own and returns their paths.
fn doc_blocks() -> Vec<PathBuf> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/macros.md"))
        .expect("docs/macros.md exists");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("macros_md");
    std::fs::create_dir_all(&dir).expect("writable target dir");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(code), "```") => {
                let path = dir.join(format!("macros_md_{}.rs", blocks.len() + 1));
                if std::fs::read_to_string(&path).ok().as_deref() != Some(code.as_str()) {
                    std::fs::write(&path, &code).expect("writable target dir");
                }
                blocks.push(path);
                current = None;
            }
            (Some(code), _) => {
                code.push_str(line);
                code.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(!blocks.is_empty(), "docs/macros.md has runnable examples");
    blocks
}

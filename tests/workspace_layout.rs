//! Every test, example and benchmark file is one of Cargo's targets.
//!
//! The tests, examples and benchmarks are packages of their own whose
//! manifests list their targets (`tests/Cargo.toml`, `examples/Cargo.toml`,
//! `examples/compare/Cargo.toml`, `benches/Cargo.toml`), so a new file that
//! is not listed would silently never build or run. This test asks Cargo
//! (`cargo metadata`) for the targets of the workspace and fails on any
//! `*.rs` file directly in one of those folders that is not a target of the
//! expected kind, naming the lines to add.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `cargo metadata` reads the manifests only; it takes well under a second.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The folders whose `*.rs` files are targets: (folder, target kind,
/// manifest section, extra lines of the section).
const FOLDERS: &[(&str, &str, &str, &str)] = &[
    ("tests", "test", "[[test]]", ""),
    ("examples", "example", "[[example]]", ""),
    ("examples/compare", "example", "[[example]]", ""),
    ("benches", "bench", "[[bench]]", "harness = false\n"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is a folder of the workspace")
}

/// The JSON of `cargo metadata --no-deps` for the whole workspace.
fn metadata() -> String {
    let out = std::env::temp_dir().join(format!("goprocess-metadata-{}.json", std::process::id()));
    let mut child = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(root().join("Cargo.toml"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("a writable temp dir"))
        .spawn()
        .expect("cargo runs");
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for cargo") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cargo metadata did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let json = std::fs::read_to_string(&out).expect("cargo metadata's output");
    let _ = std::fs::remove_file(&out);
    assert!(status.success(), "cargo metadata failed: {status}");
    json
}

/// Every target of the workspace as (kind, source path): read from the
/// JSON without a parser, as each target object starts with its `kind`
/// and names its `src_path` before the next target starts.
fn targets(json: &str) -> Vec<(String, PathBuf)> {
    let mut targets = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find(r#"{"kind":[""#) {
        rest = &rest[at + r#"{"kind":[""#.len()..];
        let kind = &rest[..rest.find('"').expect("a closing quote")];
        let at = rest
            .find(r#""src_path":""#)
            .expect("every target has a src_path");
        let value = &rest[at + r#""src_path":""#.len()..];
        let mut path = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => path.push(chars.next().expect("an escaped character")),
                c => path.push(c),
            }
        }
        targets.push((kind.to_string(), PathBuf::from(path)));
    }
    targets
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_test_example_and_bench_file_is_a_cargo_target() {
    let targets: Vec<(String, PathBuf)> = targets(&metadata())
        .into_iter()
        .filter(|(_, path)| path.exists())
        .map(|(kind, path)| (kind, canonical(&path)))
        .collect();
    assert!(
        targets.iter().any(|(kind, _)| kind == "test"),
        "no test target found: the metadata format changed?"
    );
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

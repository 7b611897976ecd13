//! The workspace as Cargo sees it, for the tests that check the layout
//! and the MSRV.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `cargo metadata` reads the manifests and the lock file (and, with the
/// dependencies, fetches the few crates of other platforms a build has not
/// needed yet); it takes about a second once they are here.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The repository root (the workspace).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is a folder of the workspace")
}

/// `cargo metadata --format-version 1 ARGS` for the workspace, parsed.
pub fn metadata(args: &[&str]) -> serde_json::Value {
    let out = std::env::temp_dir().join(format!(
        "goprocess-metadata-{}-{}.json",
        std::process::id(),
        args.join("")
    ));
    let mut child = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .args(args)
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
    serde_json::from_str(&json).expect("cargo metadata prints JSON")
}

//! The declared minimum Rust version (`rust-version` in the workspace
//! manifest) holds for the dependencies of the two published crates: none
//! of the crates they build with, as locked in `Cargo.lock`, declares a
//! newer one. (Uses of the standard library are checked by clippy's
//! `incompatible_msrv`; docs/design.md, "MSRV", says how the rest is.)

mod common;

use std::collections::{HashMap, HashSet};

use common::cargo::metadata;
use serde_json::Value;

/// `"1.88"` or `"1.88.0"` as comparable numbers.
fn version(text: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = text
        .split('.')
        .map(|p| p.parse().unwrap_or_else(|_| panic!("a version: {text}")))
        .collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn no_dependency_of_the_libraries_needs_a_newer_rust() {
    // Every platform's dependencies: the MSRV holds for all of them.
    let metadata = metadata(&[]);
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("an id"), p))
        .collect();
    let id_of = |name: &str| {
        packages
            .iter()
            .find(|(_, p)| p["name"] == name && p["source"].is_null())
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("no package {name}"))
    };
    let ours = packages[id_of("goprocess")]["rust_version"]
        .as_str()
        .expect("goprocess declares a rust-version");
    assert_eq!(
        packages[id_of("goprocess-macros")]["rust_version"].as_str(),
        Some(ours),
        "the two crates declare one MSRV"
    );
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("the resolve graph")
        .iter()
        .map(|n| (n["id"].as_str().expect("an id"), n))
        .collect();

    // Everything the two crates build with, on any platform: normal and
    // build dependencies, not dev-dependencies.
    let mut stack = vec![id_of("goprocess"), id_of("goprocess-macros")];
    let mut seen = HashSet::new();
    let mut newer = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let package = packages[id];
        if let Some(needs) = package["rust_version"].as_str()
            && version(needs) > version(ours)
        {
            let name = package["name"].as_str().unwrap_or("?");
            let at = package["version"].as_str().unwrap_or("?");
            newer.push(format!("{name} {at} needs {needs}"));
        }
        for dep in nodes[id]["deps"].as_array().expect("deps") {
            let kinds = dep["dep_kinds"].as_array().expect("dep kinds");
            if kinds.iter().any(|k| k["kind"] != "dev") {
                stack.push(dep["pkg"].as_str().expect("a package id"));
            }
        }
    }
    assert!(seen.len() > 10, "only {} crates reached", seen.len());
    assert!(
        newer.is_empty(),
        "rust-version is {ours}, but: {}; raise it (README, docs/design.md) or pin these",
        newer.join(", ")
    );
}

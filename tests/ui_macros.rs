//! Compile-fail and compile-pass tests of `#[process]` / `#[teardown]`.
//!
//! One small file per mistake under `tests/ui/<category>/`, each with the
//! `.stderr` the compiler must print. Regenerate snapshots with
//! `TRYBUILD=overwrite cargo test --test ui_macros`, then read every changed
//! `.stderr`: each message must point at the user's tokens and name the fix.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for category in ["args", "fields", "order", "teardown", "shape"] {
        t.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
}

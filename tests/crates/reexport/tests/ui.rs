//! The error when a crate that reaches goprocess only through a re-export
//! forgets `crate = ".."`: one error per macro, naming the fix, instead of
//! "cannot find `goprocess`" at every generated path. Regenerate with
//! `TRYBUILD=overwrite cargo test -p goprocess-reexport --test ui`.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

//! `Debug` of an [`Error`] is what `main() -> Result<(), goprocess::Error>`
//! prints: it must read well (the kind, the message, what was open, the
//! chain of failures and of sources) and stay short whatever the tree.

mod common;

use std::time::Duration;

use common::within;
use goprocess::{Error, ErrorKind, Process};

#[derive(Debug)]
struct Wrapped(std::io::Error);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("flush failed")
    }
}

impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[tokio::test(start_paused = true)]
async fn a_budget_error_reads_as_main_prints_it() {
    let app = Process::new().named("app");
    let db = Process::with_parent(&app).named("db");
    db.child()
        .named("pool")
        .go(|_| std::future::pending::<()>());
    let err = within(app.close_within(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let debug = format!("{err:?}");
    assert_eq!(
        debug,
        "process `app`: close budget of 5s ran out (Timeout)\n  \
           still open:\n    \
             `app` (closing for 5.0s: asked to close; waits for `db`)\n    \
             `app/db` (closing for 5.0s: closed by its parent `app`; waits for `pool`)\n    \
             `app/db/pool` (closing for 5.0s: closed by its parent `db`; waits for its function)\n  \
           1 child failed:\n  \
           - process `db`: children failed (Children)\n    \
             1 child failed:\n    \
             - process `pool`: aborted: a close budget ran out (Aborted)",
    );
    assert_eq!(format!("{err:#?}"), debug);
    let main = format!("Error: {err:?}");
    assert!(main.len() < 700, "{} bytes:\n{main}", main.len());
    within(app.closed()).await;
}

#[test]
fn the_chain_of_failures_and_sources_is_shown_with_kinds() {
    let app = Process::new().named("app");
    let journal = Process::with_parent(&app).named("journal");
    journal
        .set_teardown(|| Err(Wrapped(std::io::Error::other("disk full")).into()))
        .unwrap();
    let err = app.close_blocking().unwrap_err();
    assert_eq!(
        format!("{err:?}"),
        "process `app`: children failed (Children)\n  \
           1 child failed:\n  \
           - process `journal`: teardown failed: flush failed (Teardown)\n    \
             caused by: disk full",
    );
    let child = &err.children()[0];
    assert_eq!(
        format!("{child:?}"),
        "ChildError { name: \"journal\", error: process `journal`: teardown failed: flush \
         failed (Teardown)\n  caused by: disk full }"
    );
}

#[tokio::test(start_paused = true)]
async fn debug_names_a_few_of_each_and_counts_the_rest() {
    let app = Process::new().named("app");
    for i in 0..100 {
        app.child()
            .named(format!("worker {i}"))
            .go(|_| std::future::pending::<()>());
    }
    let err: Error = within(app.close_within(Duration::from_secs(1)))
        .await
        .unwrap_err();
    let debug = format!("{err:?}");
    assert!(debug.contains("\n    and 93 more"), "{debug}");
    assert!(debug.len() < 2_000, "{} bytes:\n{debug}", debug.len());
    within(app.closed()).await;
    let closed = app.err().await.unwrap_err();
    let debug = format!("{closed:?}");
    assert!(debug.contains("\n  100 children failed:\n"), "{debug}");
    assert!(debug.contains("\n  - and 92 more"), "{debug}");
    assert!(debug.len() < 3_000, "{} bytes:\n{debug}", debug.len());
}

//! Looking at a live process tree: `Process::snapshot()` as a text tree
//! (like `pstree`), as a Graphviz DOT file, and as a Mermaid flowchart,
//! once while it runs and once in the middle of its shutdown.
//!
//! Run with `cargo run --example tree`; render the DOT file it writes with
//! `dot -Tsvg FILE > tree.svg`, or paste the Mermaid into a Markdown file.

use std::time::Duration;

use goprocess::Process;
use tokio::sync::oneshot;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = Process::new().named("app");

    // A server with two connections, each a `go` function.
    let http = Process::with_parent(&app).named("http");
    for id in 1..=2 {
        http.go(move |me| async move { me.closing().await })
            .named(format!("conn {id}"));
    }

    // A database that must outlive the server, with a slow async teardown
    // that tells us when it has started.
    let (teardown_started, started) = oneshot::channel();
    let db = Process::with_async_teardown(move || async move {
        let _ = teardown_started.send(());
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(())
    })
    .named("db");
    app.add_child(&db)?;
    db.wait_for(&http)?;

    // Metrics: closed with the app, but the app does not wait for it.
    let metrics = Process::new().named("metrics");
    app.add_child_no_wait(&metrics);

    println!("== running ==\n{}", app.snapshot());

    let snapshot = app.snapshot();
    let (running, closing, closed) = snapshot.counts();
    println!("{running} running, {closing} closing, {closed} closed\n");

    let dot_path = std::env::temp_dir().join(format!("goprocess-tree-{}.dot", std::process::id()));
    std::fs::write(&dot_path, snapshot.to_dot())?;
    println!("DOT written to {}", dot_path.display());
    println!(
        "\n== Mermaid ==\n```mermaid\n{}```\n",
        snapshot.to_mermaid()
    );

    // Close, and look again while db's teardown runs: the connections and
    // the server have closed, db is tearing down, app waits for it.
    let closing_app = tokio::spawn(app.close());
    tokio::time::timeout(Duration::from_secs(5), started).await??;
    // Closed processes leave their parents at once, so they are gone.
    println!(
        "== during the shutdown (closed ones have left) ==\n{}",
        app.snapshot()
    );

    closing_app.await??;
    println!("== closed ==\n{}", app.snapshot());
    Ok(())
}

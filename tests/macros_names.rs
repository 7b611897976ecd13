//! Field names as process names: `#[child]` fields are named after the
//! field (`workers[0]` in a `Vec`), or `#[child(name = "…")]`; a name given
//! with `named` wins; bare `#[wait_for]` fields keep theirs.
#![deny(warnings, clippy::all)]

mod common;

use std::collections::HashMap;

use common::within;
use goprocess::introspect::Snapshot;
use goprocess::{EdgeKind, ErrorKind, Handle, Process, Start, process};

#[process]
struct Http {
    #[child]
    axum: Process,
}

#[process]
struct Journal {}

#[process]
struct Service {
    #[child]
    http: Handle<Http>,
    #[child]
    workers: Vec<Process>,
    #[child]
    cache: Option<Process>,
    #[child(name = "frontend")]
    web: Process,
    #[child]
    custom: Process,
    #[child(no_wait)]
    metrics: Process,
    #[wait_for]
    journal: Handle<Journal>,
    #[wait_for]
    audit: Process,
}

fn service() -> Handle<Service> {
    Service {
        http: Http {
            axum: Process::new(),
        }
        .start(),
        workers: vec![Process::new(), Process::new()],
        cache: Some(Process::new()),
        web: Process::new(),
        custom: Process::new().named("given"),
        metrics: Process::new(),
        journal: Journal {}.start(),
        audit: Process::new(),
    }
    .start()
}

/// The names from the root to each process, `/`-separated, by child edges.
fn paths(snapshot: &Snapshot, root: u64) -> Vec<String> {
    let by_id: HashMap<u64, _> = snapshot.processes().iter().map(|p| (p.id(), p)).collect();
    let mut out = Vec::new();
    let mut stack = vec![(root, by_id[&root].display_name().into_owned())];
    while let Some((id, path)) = stack.pop() {
        out.push(path.clone());
        for (kind, target) in by_id[&id].edges().iter().rev() {
            if matches!(kind, EdgeKind::Child | EdgeKind::ChildNoWait) {
                let name = by_id[target].display_name();
                stack.push((*target, format!("{path}/{name}")));
            }
        }
    }
    out
}

#[tokio::test]
async fn child_processes_are_named_after_their_fields() {
    let service = service();
    let p = service.process();
    assert_eq!(p.name().as_deref(), Some("Service"));
    assert_eq!(service.http.process().name().as_deref(), Some("http"));
    assert_eq!(service.http.axum.name().as_deref(), Some("axum"));
    let workers: Vec<_> = service.workers.iter().map(Process::name).collect();
    assert_eq!(
        workers,
        [Some("workers[0]".into()), Some("workers[1]".into())]
    );
    assert_eq!(
        service.cache.as_ref().and_then(Process::name).as_deref(),
        Some("cache"),
        "an Option field uses the bare name"
    );
    assert_eq!(service.web.name().as_deref(), Some("frontend"));
    assert_eq!(
        service.custom.name().as_deref(),
        Some("given"),
        "`named` wins"
    );
    assert_eq!(service.metrics.name().as_deref(), Some("metrics"));
    assert_eq!(
        service.journal.process().name().as_deref(),
        Some("Journal"),
        "a bare #[wait_for] field is owned elsewhere: not renamed"
    );
    assert_eq!(service.audit.name(), None);

    assert_eq!(
        paths(&p.snapshot(), p.id()),
        [
            "Service",
            "Service/http",
            "Service/http/axum",
            "Service/workers[0]",
            "Service/workers[1]",
            "Service/cache",
            "Service/frontend",
            "Service/given",
            "Service/metrics",
        ]
    );
    service.journal.process().close().await.unwrap();
    service.audit.close().await.unwrap();
    within(Handle::close(&service)).await.unwrap();
}

#[process]
struct Pool {
    #[child]
    workers: Vec<Process>,
}

#[tokio::test]
async fn errors_name_the_failing_field() {
    let failing = goprocess::go(|_| async { Err::<(), _>(std::io::Error::other("disk gone")) });
    let pool = Pool {
        workers: vec![Process::new(), failing.clone()],
    }
    .start();
    within(failing.closed()).await;
    let err = within(Handle::close(&pool)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Children, "{err}");
    assert_eq!(err.children()[0].name(), "workers[1]");
    assert!(err.to_string().contains("workers[1]"), "{err}");
}

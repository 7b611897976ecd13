// The expansion needs no `allow` that a crate may forbid, and trips none of
// rustc's lints, allow-by-default ones included (clippy's, pedantic and
// restriction groups too, are checked on tests/crates/lints by .ci/run).
#![forbid(
    warnings,
    unused,
    dead_code,
    unused_imports,
    unused_qualifications,
    unused_results,
    unused_lifetimes,
    unreachable_pub,
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    elided_lifetimes_in_paths,
    single_use_lifetimes,
    redundant_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unsafe_code,
    let_underscore_drop,
    unit_bindings,
    non_ascii_idents,
    keyword_idents,
    future_incompatible,
    nonstandard_style
)]
//! A crate that forbids what it can.

use std::sync::Arc;

use goprocess::{init, process, run, teardown, AsProcess, Handle, Process, Start};

/// A public process with every kind of field.
#[derive(Debug)]
#[process(close_timeout = "1.5s", escalation = "detach", on_failure = "propagate")]
pub struct Service {
    #[child]
    http: Handle<Http>,
    #[child]
    #[wait_for(http)]
    db: Process,
    #[child(no_wait)]
    metrics: Option<Process>,
    #[wait_for]
    journal: Process,
    #[child(name = "pool")]
    workers: Vec<Process>,
    #[child]
    #[wait_for(workers, db)]
    cache: [Process; 2],
    name: String,
}

impl Service {
    #[teardown(timeout = "2s")]
    async fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }

    #[run]
    async fn serve(self: Arc<Self>, me: Process) {
        me.closing().await;
    }
}

/// A public process whose methods use nothing of it.
#[derive(Debug)]
#[process]
pub struct Http {
    #[child]
    conns: Vec<Process>,
}

#[process]
struct Boxed {
    #[child]
    conns: Vec<Box<dyn AsProcess + Send + Sync>>,
    #[child]
    #[wait_for(conns)]
    one: Box<dyn AsProcess + Send + Sync>,
}

impl Http {
    #[teardown]
    fn close() {}

    #[run]
    async fn serve(me: Process) {
        me.closing().await;
    }
}

/// A process that starts in order: its init binds, its run takes what
/// the init returned.
#[derive(Debug)]
#[process(children_on_failure = "propagate", on_failure = "isolate")]
pub struct Listener {
    #[child]
    conns: Vec<Process>,
}

/// What the listener's init hands its run.
#[derive(Debug)]
pub struct Bound(u16);

impl Listener {
    #[init]
    async fn bind(&self, me: Process) -> std::io::Result<Bound> {
        drop(me);
        Ok(Bound(80))
    }

    #[run]
    async fn serve(&self, me: Process, bound: Bound) {
        let Bound(_port) = bound;
        me.closing().await;
    }

    #[teardown(reserve = "300ms")]
    fn flush(&self) {}
}

/// An init without a run, and a teardown with a reserve and a budget.
#[derive(Debug)]
#[process]
pub struct Store {}

impl Store {
    #[init]
    async fn open() -> Result<(), std::io::Error> {
        Ok(())
    }

    #[teardown(timeout = "2s", reserve = "500ms")]
    async fn flush(&self) {}
}

/// A generic process.
#[derive(Debug)]
#[process]
pub struct Pool<W: AsProcess + Send + Sync + 'static> {
    #[child]
    workers: Vec<W>,
}

impl<W: AsProcess + Send + Sync + 'static> Pool<W> {
    #[teardown]
    fn close(&self) -> Result<(), std::io::Error> {
        Ok(())
    }
}

fn main() {
    let _plan = Service::shutdown_plan();
    let _startup = Service::startup_plan().to_mermaid();
    let _listener = Listener { conns: Vec::new() }.prepare();
    let _store = |_: ()| Store {}.start();
    let _pool = Pool::<Process>::shutdown_plan();
    let _boxed = |one: Process| Boxed { conns: Vec::new(), one: Box::new(one) }.start();
    let _start = |db: Process, journal: Process| {
        let http = Http { conns: Vec::new() }.start();
        let service = Service {
            http,
            db,
            metrics: None,
            journal,
            workers: Vec::new(),
            cache: [Process::new(), Process::new()],
            name: "service".to_owned(),
        }
        .start();
        service.name.clone()
    };
}

//! A crate that lints everything it can, using every shape of the macros.
//!
//! rustc's lints are forbidden below (`forbid(warnings)` is
//! `tests/ui/pass/forbid_lints.rs`: here, warnings are denied so that the
//! restriction group can be enabled as a whole); clippy's `pedantic` group is denied
//! below and its `restriction` group by `.ci/run` (`cargo clippy -p
//! goprocess-lints --no-deps -- -W clippy::restriction ..`, which says
//! which restriction lints it leaves out, and why). The generated code
//! must trip none of them, and need no `allow` this crate could forbid;
//! the code written here satisfies them too.
#![deny(warnings)]
#![forbid(
    unused,
    dead_code,
    unused_imports,
    unused_qualifications,
    unused_results,
    unreachable_pub,
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    single_use_lifetimes,
    trivial_casts,
    unsafe_code,
    unit_bindings,
    future_incompatible,
    nonstandard_style
)]
#![deny(clippy::all, clippy::pedantic)]
#![allow(
    clippy::blanket_clippy_restriction_lints,
    reason = ".ci/run enables the restriction group on purpose, minus the lints it names"
)]

extern crate alloc;

use alloc::sync::Arc;
use core::fmt;
use std::io;

use goprocess::{AsProcess, Handle, Process, process, run, teardown};

/// Every kind of field, ordered, with budgets.
#[derive(Debug)]
#[non_exhaustive]
#[process(
    close_timeout = "1.5s",
    escalation = "detach",
    on_failure = "propagate"
)]
pub struct Service {
    /// A nested struct.
    #[child]
    pub http: Handle<Http>,
    /// Closes after `http`.
    #[child]
    #[wait_for(http)]
    pub db: Process,
    /// Closed, not waited for.
    #[child(no_wait)]
    pub metrics: Option<Process>,
    /// Waited for, not closed.
    #[wait_for]
    pub journal: Process,
    /// Renamed.
    #[child(name = "pool")]
    pub workers: Vec<Process>,
    /// After two siblings.
    #[child]
    #[wait_for(workers, db)]
    pub cache: [Process; 2],
}

impl Service {
    /// Waits for the database.
    #[teardown(timeout = "2s")]
    async fn flush(&self) -> io::Result<()> {
        self.db.closed().await;
        Ok(())
    }

    /// Serves until closed.
    #[run]
    async fn serve(self: Arc<Self>, me: Process) {
        me.closing().await;
        drop(self);
    }
}

/// Methods that do not use their struct, and a run that awaits nothing.
#[derive(Debug)]
#[non_exhaustive]
#[process]
pub struct Http {
    /// Its connections.
    #[child]
    pub conns: Vec<Process>,
}

impl Http {
    /// Nothing to close.
    #[teardown]
    fn close() {}

    /// Nothing to serve.
    #[run]
    async fn serve() {}
}

/// Boxed fields.
#[non_exhaustive]
#[process]
pub struct Boxed {
    /// Any process.
    #[child]
    pub one: Box<dyn AsProcess + Send + Sync>,
    /// Any processes.
    #[child]
    #[wait_for(one)]
    pub many: Vec<Box<dyn AsProcess + Send + Sync>>,
}

impl fmt::Debug for Boxed {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Boxed").finish_non_exhaustive()
    }
}

/// A generic struct.
#[derive(Debug)]
#[non_exhaustive]
#[process]
pub struct Pool<W: AsProcess + Send + Sync + 'static> {
    /// Its workers.
    #[child]
    pub workers: Vec<W>,
}

impl<W: AsProcess + Send + Sync + 'static> Pool<W> {
    /// Refuses to close without workers.
    #[teardown]
    fn close(&self) -> Result<(), io::Error> {
        if self.workers.is_empty() {
            Err(io::Error::other("no workers"))
        } else {
            Ok(())
        }
    }
}

/// A struct without fields or methods.
#[derive(Debug)]
#[non_exhaustive]
#[process]
pub struct Empty;

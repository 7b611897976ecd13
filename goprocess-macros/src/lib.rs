//! Attribute macros for goprocess: `#[process]`, `#[teardown]`, `#[run]`
//! and `#[init]`.
//!
//! Use them through the `goprocess` crate (`goprocess::process`,
//! `goprocess::teardown`, `goprocess::run`, `goprocess::init`), which
//! re-exports them and holds
//! the runtime they expand to. This crate is an implementation detail; its
//! version is pinned exactly by `goprocess`.
//!
//! Inside: thin entry points over parse (`attr`) → model (`model`) → check
//! (`check`, `order`, `manifest`) → expand (`expand` and the internal
//! derive `derive` for the struct; `method`, `teardown`, `run` and `init`
//! for the methods); errors are collected in a context (`ctxt`) and reported
//! together, next to the best output that can still be produced.
//!
//! `#[process]` checks the struct as written (every field, whatever its
//! `cfg`), then puts the internal derive on it, which generates the code
//! from the struct as built, once `cfg` and `cfg_attr` have run. `docs/macros.md` in the repository shows the expansion and
//! the error messages.

#![deny(missing_docs, unreachable_pub)]

mod attr;
mod check;
mod ctxt;
mod derive;
mod expand;
mod init;
mod manifest;
mod method;
mod model;
mod order;
mod run;
mod symbol;
mod teardown;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Turns a struct with named fields into a process definition: its
/// `#[child]` and `#[wait_for]` fields become the edges of the process it is
/// started as, and its shutdown order is derived (and checked) at compile
/// time.
///
/// ```text
/// use goprocess::prelude::*;
///
/// #[process]
/// struct App {
///     #[child] http: Handle<Http>,                  // closed with App; App waits for it
///     #[child] #[wait_for(http)] db: Handle<Db>,    // closes only after `http` has closed
///     #[child(no_wait)] metrics: Process,           // closed with App, not waited for
///     #[wait_for] journal: Process,                 // waited for, never closed by App
///     #[child] workers: Vec<Process>,               // Option<T> and Vec<T> work too
///     config: Config,                               // plain fields are untouched
/// }
///
/// assert_eq!(App::shutdown_plan().stages(), &[&["http", "metrics", "workers"][..], &["db"]]);
///
/// let app: Handle<App> = App { http, db, metrics, journal, workers, config }.start();
/// Handle::close(&app).await?; // http and workers, then db, then App's #[teardown]
/// ```
///
/// # Field attributes
///
/// | attribute | meaning |
/// | --- | --- |
/// | `#[child]` | the struct's process closes the field's process(es) and waits for them |
/// | `#[child(no_wait)]` | closes them, does not wait for them |
/// | `#[child(name = "frontend")]` | names them `frontend` instead of after the field |
/// | `#[wait_for]` | waits for them, never closes them |
/// | `#[child] #[wait_for(a, b)]` | a `#[child]` that starts closing only once the sibling `#[child]` fields `a` and `b` have closed |
///
/// A field with one of these attributes must be `T`, `Option<T>`,
/// `Vec<T>` or `[T; N]` with `T: AsProcess` (`Process`, `Handle<_>`,
/// `Box<dyn AsProcess + Send + Sync>`, …); otherwise the error points at
/// the field's type.
///
/// `#[cfg]` and `#[cfg_attr]` work on fields and their helper attributes:
/// the struct is checked as written, then wired as built (a field left out
/// by its `cfg` is not wired, not in the plan, and orders nothing).
///
/// When the struct starts, the processes of its `#[child]` fields are named
/// after the fields (`http`; `workers[0]`, `workers[1]` for a `Vec` or an
/// array), unless they were given a name with `Process::named`; bare
/// `#[wait_for]` fields keep their names (they are owned elsewhere).
///
/// # Generated items
///
/// - the struct, with the helper attributes above renamed
///   `#[__goprocess(..)]` for the internal derive that generates the rest;
/// - `impl goprocess::__private::Spec`, which gives the struct `Start`:
///   `.start()`, `.start_with_parent(&parent)` (the process is named after
///   the struct), `.prepare()` (built, started later in the derived order
///   of the struct that adopts it), `Struct::shutdown_plan()` and
///   `Struct::startup_plan()`, the derived orders of it and of the
///   `#[process]` structs nested in it. Nothing is added to the struct's
///   own namespace.
///
/// # Arguments
///
/// - `crate = "path"` makes the expansion use `path` instead of
///   `::goprocess`, for crates that re-export or rename goprocess
///   (`use goprocess as gp2;` → `#[process(crate = "gp2")]`).
/// - `close_timeout = "5s"`: the struct's process gets this budget to close,
///   however it is closed; past it, its open work is escalated and its
///   parents stop waiting for it (`Process::set_close_timeout`).
/// - `escalation = "abort"` (the default) or `"detach"`: what happens past
///   a budget to the tasks of the struct's own process: aborted, or left
///   running (`Process::set_escalation`).
/// - `on_failure = "isolate"` (the default) or `"propagate"`: whether the
///   struct's failure (its `#[init]`, `#[run]` or `#[teardown]` failed or
///   panicked, or a propagating child failed) closes the processes it is a
///   child of (`Process::set_on_failure`); written, even as `"isolate"`,
///   it wins over a parent's `children_on_failure`.
/// - `children_on_failure = "isolate"` (the default) or `"propagate"`: the
///   policy the processes linked under the struct take, down the tree,
///   unless they set their own (`Process::set_children_on_failure`).
///
/// A duration is written as humantime reads it, decimals allowed
/// (`"500ms"`, `"5s"`, `"1.5s"`, `"1m30s"`, `"2h 15min"`), checked at
/// compile time; zero is refused.
///
/// ```text
/// #[process(close_timeout = "5s", escalation = "detach", on_failure = "propagate")]
/// struct Db { #[child] pool: Process }
/// ```
///
/// # Errors
///
/// Every mistake is a compile error at the offending tokens that says how to
/// fix it, all reported in one go: unknown arguments or field attributes,
/// bad or zero durations, duplicate attributes, contradictory ones (`#[child]` with a bare
/// `#[wait_for]`), `#[wait_for(x)]` naming a field that does not exist, is
/// not a sibling `#[child]` or is the field itself, a waiting cycle among
/// siblings (`waiting cycle: db -> cache -> db`), two fields given one
/// name (`#[child(name = "w[0]")]` next to a `Vec` field `w` included), a
/// name with `/`, `"` or a control character, lifetime parameters (with
/// no follow-on error), and tuple structs, enums and unions. A unit struct
/// (`struct Flusher;`) is a process without fields. In a crate that
/// reaches goprocess through a re-export and forgot `crate = ".."`, the
/// error says so.
///
/// # Limitations
///
/// Helper attributes under `cfg_attr` are checked as if every condition
/// held. A `Handle` of one of the struct's generic parameters is a leaf of
/// the shutdown plan.
#[proc_macro_attribute]
pub fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::process(args.into(), input.into()).into()
}

/// Marks the one method that runs when a `#[process]` struct's process
/// closes: after its `#[run]` has returned and every `#[child]` and
/// `#[wait_for]` field has closed, exactly once.
///
/// ```text
/// use goprocess::{process, teardown};
///
/// #[process]
/// struct Db { pool: Pool }
///
/// impl Db {
///     #[teardown]
///     async fn close_pool(&self) -> Result<(), sqlx::Error> {
///         self.pool.close().await;
///         Ok(())
///     }
/// }
/// ```
///
/// The method is kept as written (it can still be called directly) and must
/// be:
///
/// - in an inherent impl of a `#[process]` struct that covers every
///   instantiation of it (`impl<T> Pool<T>`, not `impl Pool<u32>`), visible
///   from the struct's module (`pub(crate)` if the impl is in another
///   module);
/// - a `fn` or `async fn` taking `&self` (or `self: &Self`,
///   `self: Arc<Self>`, `self: &Arc<Self>`, or no `self` at all), without
///   generic parameters;
/// - returning nothing, `()`, or `Result<(), E>` with `E: Into<BoxError>`
///   (`io::Result<()>`, `anyhow::Result<()>`, an alias of one: the type
///   decides); an `Err` is what `close()` returns, and the root cause of an
///   `anyhow::Error` or `eyre::Report` stays reachable with
///   `downcast_ref`.
///
/// Anything else is a compile error: a teardown in a narrower impl, on a
/// type without `#[process]`, or a second one on the same type
/// ("duplicate definitions with name `__goprocess_teardown`", at both
/// attributes). In a trait impl, where no item but the trait's may be
/// added, it is rustc's "not a member of trait" error, at the attribute.
/// A struct without a `#[teardown]` method simply has no teardown.
///
/// `#[teardown(crate = "path")]` overrides `::goprocess`, as for
/// [`macro@process`].
///
/// `#[teardown(timeout = "2s")]` on an `async fn` gives the teardown a
/// budget of its own: past it, the teardown is dropped and `close()` returns
/// `ErrorKind::Timeout`. On a sync `fn` it is a compile error: a sync
/// teardown cannot be interrupted, so make it an `async fn`.
///
/// `#[teardown(reserve = "300ms")]` keeps that much of any close budget for
/// the teardown (`Process::set_teardown_reserve`): what the struct waits for
/// is escalated early enough for the teardown still to run.
#[proc_macro_attribute]
pub fn teardown(args: TokenStream, input: TokenStream) -> TokenStream {
    teardown::teardown(args.into(), input.into()).into()
}

/// Marks the one method that is a `#[process]` struct's own process
/// function, as with `go`: `start()` runs it in a tokio task once the
/// struct's edges are in place, after its `#[init]` and its prepared
/// `#[child]` fields have started.
///
/// ```text
/// use goprocess::prelude::*;
///
/// #[process]
/// struct Http { listener: std::net::TcpListener, #[child] conns: Process }
///
/// impl Http {
///     #[run]
///     async fn serve(&self, me: Process) -> Result<(), std::io::Error> {
///         // accept until me.closing() resolves
///         Ok(())
///     }
/// }
/// ```
///
/// - Closing the struct waits for the method to return: it should return
///   once its process is closing (`me.closing()`). Meanwhile the `#[child]`
///   fields close in their derived order, then the `#[teardown]` runs.
/// - When it returns by itself, the struct closes: its children in their
///   derived order, then its teardown.
/// - Its `Err`, or a panic, is the struct's error.
/// - `start()` of such a struct needs a tokio runtime, and panics with a
///   message naming the fix without one.
///
/// The method must be an `async fn` in an inherent impl of the struct (as
/// for [`macro@teardown`]), at most one per type, taking the struct as a
/// teardown may (`&self`, `self: Arc<Self>`, … or not at all),
/// optionally an argument of type `Process` (the struct's own process),
/// and last, optionally, the value its [`macro@init`] returns (a single
/// argument is the process if its type is written `Process`), without
/// generic parameters, and returning nothing, `()` or `Result<(), E>`
/// with `E: Into<BoxError>`. Anything else is a compile
/// error at the user's tokens that names the fix. `#[run(crate = "path")]`
/// overrides `::goprocess`.
#[proc_macro_attribute]
pub fn run(args: TokenStream, input: TokenStream) -> TokenStream {
    run::run(args.into(), input.into()).into()
}

/// Marks the one method that starts a `#[process]` struct: it runs first
/// when the struct starts (before its prepared `#[child]` fields start,
/// and before its `#[run]`), the mirror of its `#[teardown]`, which runs
/// last. The struct is ready once its init returned `Ok` and every
/// `#[child]` field is ready.
///
/// ```text
/// use goprocess::prelude::*;
/// use tokio::net::TcpListener;
///
/// #[process]
/// struct Http { addr: std::net::SocketAddr }
///
/// impl Http {
///     #[init]
///     async fn bind(&self) -> std::io::Result<TcpListener> {
///         TcpListener::bind(self.addr).await
///     }
///
///     #[run]
///     async fn serve(&self, me: Process, listener: TcpListener) -> std::io::Result<()> {
///         // accept on `listener` until me.closing() resolves
///         Ok(())
///     }
/// }
/// ```
///
/// - A value it returns (`T`, or `Result<T, E>` on success) is handed to
///   the `#[run]`, which takes it by value as its last argument: what a
///   run consumes, it owns, without a `Mutex<Option<_>>` in the struct. An
///   init that returns `()` or `Result<(), E>` hands nothing.
/// - Its `Err`, or a panic, fails the struct's start: the struct closes
///   (its teardown still runs), its error and `ready()` say so
///   (`ErrorKind::StartFailed`, the init's error as its source), and every
///   ancestor that is not ready yet closes too (rollback).
/// - If the struct starts closing while its init runs (closed from
///   outside, or a start budget ran out), the init's future is dropped at
///   once, and nothing after it starts.
///
/// The method must be an `async fn` in an inherent impl of the struct that
/// covers every instantiation of it (as for [`macro@teardown`]), at most one
/// per type, taking the struct as a teardown may (`&self`, `self:
/// Arc<Self>`, … or not at all) and optionally an argument of type
/// `Process` (the struct's own process), without generic parameters,
/// returning a named type (not `impl Trait`). Anything else is a compile
/// error at the user's tokens that names the fix, and so is a value the
/// `#[run]` does not take (or takes with another type), or a value in a
/// struct without `#[run]`. `#[init(crate = "path")]` overrides
/// `::goprocess`.
#[proc_macro_attribute]
pub fn init(args: TokenStream, input: TokenStream) -> TokenStream {
    init::init(args.into(), input.into()).into()
}

/// The internal derive of `#[process]`, which puts it on the struct it
/// checked (as `#[derive(goprocess::__private::Spec)]`). Not for direct
/// use.
#[doc(hidden)]
#[proc_macro_derive(Spec, attributes(__goprocess))]
pub fn derive_spec(input: TokenStream) -> TokenStream {
    derive::derive(input.into()).into()
}

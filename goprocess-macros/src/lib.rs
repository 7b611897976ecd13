//! Attribute macros for goprocess: `#[process]` and `#[teardown]`.
//!
//! Use them through the `goprocess` crate (`goprocess::process`,
//! `goprocess::teardown`), which re-exports them and holds the runtime they
//! expand to. This crate is an implementation detail; its version is pinned
//! exactly by `goprocess`.
//!
//! Inside: thin entry points over parse (`attr`) → model (`model`) → check
//! (`check`, `order`) → expand (`expand`, `teardown`); errors are collected
//! in a context (`ctxt`) and reported together, next to the best output that
//! can still be produced. `docs/macros.md` in the repository shows the
//! expansion and the error messages.

#![deny(missing_docs, unreachable_pub)]

mod attr;
mod check;
mod ctxt;
mod expand;
mod model;
mod order;
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
/// use goprocess::{process, teardown, Handle, Process, Start};
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
/// assert_eq!(App::SHUTDOWN_ORDER, &[&["http", "metrics", "workers"][..], &["db"]]);
///
/// let app: Handle<App> = App { http, db, metrics, journal, workers, config }.start();
/// app.process().close().await?; // http and workers, then db, then App's #[teardown]
/// ```
///
/// # Field attributes
///
/// | attribute | meaning |
/// | --- | --- |
/// | `#[child]` | the struct's process closes the field's process(es) and waits for them |
/// | `#[child(no_wait)]` | closes them, does not wait for them |
/// | `#[wait_for]` | waits for them, never closes them |
/// | `#[child] #[wait_for(a, b)]` | a `#[child]` that starts closing only once the sibling `#[child]` fields `a` and `b` have closed |
///
/// A field with one of these attributes must be `T`, `Option<T>` or
/// `Vec<T>` with `T: AsProcess` (`Process`, `Handle<_>`, …); otherwise the
/// error points at the field's type.
///
/// # Generated items
///
/// - the struct, unchanged except for the helper attributes above;
/// - `impl goprocess::__private::Spec`, which makes `Start` (`.start()`,
///   `.start_with_parent(&parent)`) available; the process is named after
///   the struct;
/// - an associated constant `SHUTDOWN_ORDER: &'static [&'static [&'static
///   str]]` with the visibility of the struct: the stages in which the
///   `#[child]` fields close (stage 1: those that wait for no sibling; stage
///   `k`: those that wait only for earlier stages). Its doc comment lists the
///   stages, so they show up in rustdoc and on hover;
/// - an associated constant `SHUTDOWN_MERMAID: &'static str`: the same order
///   as a Mermaid `flowchart` (`http --> db`: `db` closes after `http`; the
///   struct's own teardown is the last node), to paste into a
///   ```` ```mermaid ```` block.
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
///
/// A duration is an integer followed by `ms`, `s`, `m` or `h` (`"500ms"`,
/// `"5s"`, `"2m"`), checked at compile time; zero is refused.
///
/// ```text
/// #[process(close_timeout = "5s", escalation = "detach")]
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
/// siblings (`waiting cycle: db -> cache -> db`), lifetime parameters, and
/// tuple structs, unit structs, enums and unions.
///
/// # Limitations
///
/// The helper attributes must be written directly (not through
/// `#[cfg_attr]`). A field's `#[cfg(..)]` is honoured when wiring it, but
/// `SHUTDOWN_ORDER` always lists every `#[child]` field.
#[proc_macro_attribute]
pub fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::process(args.into(), input.into()).into()
}

/// Marks the one method that runs when a `#[process]` struct's process
/// closes: after every `#[child]` and `#[wait_for]` field has closed,
/// exactly once.
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
/// - in an inherent impl that covers every instantiation of the struct
///   (`impl<T> Pool<T>`, not `impl Pool<u32>`: a teardown in a narrower impl
///   is silently not used);
/// - a `fn` or `async fn` taking exactly `&self`, without generic
///   parameters;
/// - returning nothing, `()`, or `Result<(), E>` with `E: Into<BoxError>`
///   (any path ending in `Result` with `()` first: `io::Result<()>`,
///   `anyhow::Result<()>`); an `Err` is what `close()` returns.
///
/// A struct without a `#[teardown]` method simply has no teardown. A second
/// `#[teardown]` method on the same type fails to compile with "duplicate
/// definitions with name `__goprocess_only_one_teardown_per_type__remove_the_extra_teardown`",
/// pointing at both attributes.
///
/// `#[teardown(crate = "path")]` overrides `::goprocess`, as for
/// [`macro@process`].
///
/// `#[teardown(timeout = "2s")]` on an `async fn` gives the teardown a
/// budget of its own: past it, the teardown is dropped and `close()` returns
/// `ErrorKind::Timeout`. On a sync `fn` it is a compile error: a sync
/// teardown cannot be interrupted, so make it an `async fn`.
#[proc_macro_attribute]
pub fn teardown(args: TokenStream, input: TokenStream) -> TokenStream {
    teardown::teardown(args.into(), input.into()).into()
}

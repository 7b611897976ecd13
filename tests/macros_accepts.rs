//! Legitimate Rust that `#[process]`, `#[teardown]` and `#[run]` take, and
//! get right: field names that collide with what an expansion might
//! generate or with items in scope, fields from `macro_rules!`, `cfg` and
//! `cfg_attr`, every receiver a method can share its struct through,
//! result aliases, boxed and array fields, a user's own `Handle` type, and
//! the root cause of anyhow and eyre errors.
#![deny(warnings, clippy::all)]

mod common;

use std::sync::Arc;

use common::{Log, within, within_blocking};
use goprocess::{AsProcess, ErrorKind, Process, Start, process, run, teardown};

/// A process that logs `name` when it tears down.
fn leaf(log: &Log, name: &'static str) -> Process {
    Process::with_teardown(log.teardown(name))
}

// ------------------------------------------------------ colliding names

#[process]
struct Colliding {
    #[child]
    wiring: Process,
    #[child]
    wiring_: Process,
    #[child]
    #[wait_for(wiring, wiring_)]
    last: Process,
}

/// Two fields whose names an expansion could map to one local (`wiring`
/// and `wiring_`) are two siblings: the field ordered after both closes
/// last, as the plan says.
#[tokio::test]
async fn fields_named_like_generated_locals_keep_their_order() {
    assert_eq!(
        Colliding::shutdown_plan().stages(),
        &[&["wiring", "wiring_"][..], &["last"]]
    );
    for _ in 0..20 {
        let log = Log::new();
        let colliding = Colliding {
            wiring: leaf(&log, "wiring"),
            wiring_: leaf(&log, "wiring_"),
            last: leaf(&log, "last"),
        }
        .start();
        within(colliding.process().close()).await.unwrap();
        assert_eq!(log.pos("last"), 2, "{:?}", log.events());
    }
}

#[process]
struct Locals {
    #[child]
    this: Process,
    #[child]
    #[wait_for(this)]
    process: Process,
    #[child]
    #[wait_for(process)]
    me: Process,
    #[child]
    #[wait_for(me)]
    method: Process,
    log: Log,
}

impl Locals {
    #[teardown]
    fn this(&self) {
        self.log.push("teardown");
    }

    #[run]
    async fn process(&self, me: Process) {
        me.closing().await;
        self.log.push("run");
    }
}

/// Fields and methods named like the hooks' own variables.
#[tokio::test]
async fn fields_and_methods_named_like_the_hooks_variables() {
    let log = Log::new();
    let locals = Locals {
        this: leaf(&log, "this"),
        process: leaf(&log, "process"),
        me: leaf(&log, "me"),
        method: leaf(&log, "method"),
        log: log.clone(),
    }
    .start();
    tokio::task::yield_now().await;
    within(locals.process().close()).await.unwrap();
    let events = log.events();
    let fields: Vec<&String> = events.iter().filter(|e| *e != "run").collect();
    assert_eq!(fields, ["this", "process", "me", "method", "teardown"]);
    assert!(log.pos("run") < log.pos("teardown"));
}

// -------------------------------------------- names of items in scope

#[allow(non_upper_case_globals, dead_code)]
const db: u8 = 0;
#[allow(non_camel_case_types, dead_code)]
struct http;

#[process]
#[allow(non_snake_case)]
struct Shadowing {
    #[child]
    Ok: Process,
    #[child]
    None: Process,
    #[child]
    http: Process,
    #[child]
    db: Process,
    #[child]
    #[wait_for(Ok, None, http, db)]
    last: Process,
}

/// Fields named like a tuple variant (`Ok`), a unit variant (`None`), a
/// unit struct or a constant in scope are `#[wait_for]` targets like any
/// other.
#[tokio::test]
async fn fields_named_like_variants_structs_and_constants_in_scope() {
    let log = Log::new();
    let shadowing = Shadowing {
        Ok: leaf(&log, "Ok"),
        None: leaf(&log, "None"),
        http: leaf(&log, "http"),
        db: leaf(&log, "db"),
        last: leaf(&log, "last"),
    }
    .start();
    within(shadowing.process().close()).await.unwrap();
    assert_eq!(log.pos("last"), 4, "{:?}", log.events());
    assert_eq!(shadowing.Ok.name().as_deref(), Some("Ok"));
}

// --------------------------------------------------------- macro_rules!

macro_rules! ordered_service {
    ($name:ident { $first:ident $(, $rest:ident)* }) => {
        #[process]
        struct $name {
            #[child]
            $first: Process,
            $(
                #[child]
                #[wait_for($first)]
                $rest: Process,
            )*
            log: Log,
        }

        impl $name {
            #[teardown]
            fn done(&self) {
                self.log.push(stringify!($name));
            }
        }
    };
}

ordered_service!(Generated { front, back, store });

/// A struct whose fields come from a `macro_rules!`, with the
/// `#[wait_for]` targets passed in too (other hygiene than the struct's).
#[tokio::test]
async fn fields_passed_into_a_macro_rules() {
    assert_eq!(
        Generated::shutdown_plan().stages(),
        &[&["front"][..], &["back", "store"]]
    );
    let log = Log::new();
    let generated = Generated {
        front: leaf(&log, "front"),
        back: leaf(&log, "back"),
        store: leaf(&log, "store"),
        log: log.clone(),
    }
    .start();
    within(generated.process().close()).await.unwrap();
    assert_eq!(log.pos("front"), 0, "{:?}", log.events());
    assert_eq!(log.pos("Generated"), 3);
}

// ------------------------------------------------------------ cfg

#[process]
struct Featured {
    #[cfg(not(test))]
    #[child]
    metrics: Process,
    #[cfg(test)]
    #[child]
    always: Process,
    #[child]
    #[wait_for(metrics, always)]
    db: Process,
    #[cfg_attr(test, child)]
    via_attr: Process,
    #[cfg_attr(not(test), child)]
    plain: Process,
    #[cfg_attr(test, child, wait_for(via_attr))]
    after_attr: Process,
}

/// A field left out by its `cfg` orders nothing (the field naming it
/// waits for the others), and is not in the plan; helper attributes under
/// `cfg_attr` count when their predicate holds.
#[tokio::test]
async fn cfg_and_cfg_attr_are_resolved_before_the_wiring() {
    let plan = Featured::shutdown_plan();
    assert_eq!(
        plan.stages(),
        &[&["always", "via_attr"][..], &["db", "after_attr"]]
    );
    assert!(!plan.to_string().contains("metrics"), "{plan}");
    assert!(!plan.to_string().contains("plain"), "{plan}");

    let log = Log::new();
    let featured = Featured {
        always: leaf(&log, "always"),
        db: leaf(&log, "db"),
        via_attr: leaf(&log, "via_attr"),
        plain: leaf(&log, "plain"),
        after_attr: leaf(&log, "after_attr"),
    }
    .start();
    within(featured.process().close()).await.unwrap();
    assert!(log.pos("always") < log.pos("db"), "{:?}", log.events());
    assert!(log.pos("via_attr") < log.pos("after_attr"));
    assert!(!featured.plain.is_closing(), "a plain field is not closed");
    assert_eq!(featured.via_attr.name().as_deref(), Some("via_attr"));
}

// ------------------------------------------------------------ receivers

#[process]
struct Receivers {
    log: Log,
}

impl Receivers {
    #[allow(clippy::needless_arbitrary_self_type)]
    #[teardown]
    fn close(self: &Self) {
        self.log.push("teardown");
    }

    #[run]
    async fn serve(&'_ self, me: Process) {
        me.closing().await;
        self.log.push("run");
    }
}

#[process]
struct ArcReceivers {
    log: Log,
}

impl ArcReceivers {
    #[teardown]
    async fn close(self: Arc<Self>) {
        self.log.push("teardown");
    }

    #[run]
    async fn serve(self: &Arc<Self>) {
        self.log.push("run");
    }
}

#[process]
struct NoReceivers {}

impl NoReceivers {
    #[teardown]
    fn close() -> Result<(), std::io::Error> {
        Err(std::io::Error::other("closed without self"))
    }

    #[run]
    async fn serve(me: Process) {
        me.closing().await;
    }
}

/// `self: &Self`, `&'_ self`, `self: Arc<Self>`, `self: &Arc<Self>`, and
/// methods without `self` (for a teardown or run that does not need its
/// struct, as clippy's `unused_self` suggests).
#[tokio::test]
async fn every_receiver_that_shares_the_struct() {
    let log = Log::new();
    let receivers = Receivers { log: log.clone() }.start();
    tokio::task::yield_now().await;
    within(receivers.process().close()).await.unwrap();
    assert_eq!(log.events(), ["run", "teardown"]);

    let log = Log::new();
    let arcs = ArcReceivers { log: log.clone() }.start();
    within(arcs.process().closed()).await; // the run returned at once
    assert_eq!(log.events(), ["run", "teardown"]);

    let none = NoReceivers {}.start();
    tokio::task::yield_now().await;
    let err = within(none.process().close()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Teardown);
    assert!(err.downcast_ref::<std::io::Error>().is_some(), "{err}");
}

// --------------------------------------------------------- result aliases

type Res<E> = Result<(), E>;
type Outcome = Result<(), std::io::Error>;

#[process]
struct Aliases {}

impl Aliases {
    #[teardown]
    fn close(&self) -> Res<std::io::Error> {
        Err(std::io::Error::other("teardown through an alias"))
    }

    #[run]
    async fn serve(&self) -> Outcome {
        Ok(())
    }
}

/// A result alias whose first argument is not written `()` is fine: what
/// the method may return is decided by its type, not its spelling.
#[tokio::test]
async fn result_aliases_are_taken_by_their_type() {
    let aliases = Aliases {}.start();
    let err = within(aliases.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Teardown, "{err}");
    assert_eq!(
        err.downcast_ref::<std::io::Error>()
            .map(ToString::to_string),
        Some("teardown through an alias".to_owned())
    );
}

// ------------------------------------------------ boxes, arrays, handles

#[process]
struct Leaf {}

#[process]
struct Boxes {
    #[child]
    one: Box<dyn AsProcess + Send + Sync>,
    #[child]
    many: Vec<Box<dyn AsProcess + Send + Sync>>,
    #[child]
    #[wait_for(one, many)]
    array: [Process; 2],
    #[child]
    handles: [goprocess::Handle<Leaf>; 2],
}

/// `Box<dyn AsProcess + Send + Sync>`, a `Vec` of them, and arrays, whose
/// processes are named like a `Vec`'s.
#[tokio::test]
async fn boxed_and_array_fields() {
    let log = Log::new();
    let boxes = Boxes {
        one: Box::new(leaf(&log, "one")),
        many: vec![Box::new(leaf(&log, "many")), Box::new(Leaf {}.start())],
        array: [leaf(&log, "array"), leaf(&log, "array")],
        handles: [Leaf {}.start(), Leaf {}.start()],
    }
    .start();
    assert_eq!(boxes.array[1].name().as_deref(), Some("array[1]"));
    assert_eq!(
        boxes.many[0].as_process().name().as_deref(),
        Some("many[0]")
    );
    assert_eq!(
        boxes.handles[0].process().name().as_deref(),
        Some("handles[0]")
    );
    let plan = Boxes::shutdown_plan();
    assert_eq!(plan.nested("handles").map(|plan| plan.name()), Some("Leaf"));
    within(boxes.process().close()).await.unwrap();
    assert_eq!(log.pos("array"), 2, "{:?}", log.events());
    assert!(boxes.handles[1].process().is_closed());
}

/// The user's own generic `Handle`, not goprocess's.
struct Handle<T> {
    process: Process,
    _conn: T,
}

impl<T> AsProcess for Handle<T> {
    fn as_process(&self) -> &Process {
        &self.process
    }
}

struct Conn;

type LeafHandle = goprocess::Handle<Leaf>;

#[process]
struct OwnHandles {
    #[child]
    conn: Handle<Conn>,
    #[child]
    leaf: LeafHandle,
}

/// A child of a user type named `Handle` is a leaf of the plan; goprocess's
/// `Handle` is nested even through a type alias.
#[tokio::test]
async fn a_users_own_handle_type_is_a_plain_child() {
    let plan = OwnHandles::shutdown_plan();
    assert!(plan.nested("conn").is_none());
    assert_eq!(plan.nested("leaf").map(|plan| plan.name()), Some("Leaf"));
    let own = OwnHandles {
        conn: Handle {
            process: Process::new(),
            _conn: Conn,
        },
        leaf: Leaf {}.start(),
    }
    .start();
    within(own.process().close()).await.unwrap();
    assert!(own.conn.process.is_closed());
}

// ------------------------------------------------------- anyhow and eyre

fn not_found() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "pool.sock is gone")
}

#[process]
struct WithAnyhow {
    context: bool,
}

impl WithAnyhow {
    #[teardown]
    async fn close(&self) -> anyhow::Result<()> {
        let error = anyhow::Error::new(not_found());
        Err(if self.context {
            error.context("closing the pool")
        } else {
            error
        })
    }
}

#[process]
struct WithEyre {}

impl WithEyre {
    #[teardown]
    fn close(&self) -> eyre::Result<()> {
        Err(eyre::Report::new(not_found()).wrap_err("closing the pool"))
    }

    #[run]
    async fn serve(&self, me: Process) -> eyre::Result<()> {
        me.closing().await;
        Ok(())
    }
}

#[process]
struct RunWithAnyhow {}

impl RunWithAnyhow {
    #[run]
    async fn serve(&self) -> anyhow::Result<()> {
        Err(anyhow::Error::new(not_found()))
    }
}

#[process]
struct WithBoxError {}

impl WithBoxError {
    #[teardown]
    fn close(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Err(Box::new(not_found()))
    }
}

/// A `BoxError` is already what the runtime keeps: the error's source is
/// the user's error itself, as before.
#[tokio::test]
async fn a_box_error_stays_the_source() {
    let with = WithBoxError {}.start();
    let err = within(with.process().close()).await.unwrap_err();
    let source = std::error::Error::source(&err).expect("the teardown's error");
    assert!(
        source.downcast_ref::<std::io::Error>().is_some(),
        "{source:?}"
    );
    assert!(err.downcast_ref::<std::io::Error>().is_some());
}

/// An `anyhow::Error` or `eyre::Report` returned by a teardown or a run
/// keeps its message and its root cause, which `downcast_ref` reaches,
/// under a context too.
#[tokio::test]
async fn anyhow_and_eyre_errors_keep_their_root_cause() {
    for context in [false, true] {
        let with = WithAnyhow { context }.start();
        let err = within(with.process().close()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Teardown);
        let io = err.downcast_ref::<std::io::Error>();
        assert_eq!(
            io.map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound),
            "{err}"
        );
        let expected = if context {
            "closing the pool"
        } else {
            "pool.sock is gone"
        };
        assert!(err.to_string().contains(expected), "{err}");
    }

    let eyre = WithEyre {}.start();
    tokio::task::yield_now().await;
    let err = within(eyre.process().close()).await.unwrap_err();
    assert!(err.downcast_ref::<std::io::Error>().is_some(), "{err}");
    assert!(err.to_string().contains("closing the pool"), "{err}");

    let run = RunWithAnyhow {}.start();
    let err = within(run.process().err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Function, "{err}");
    assert!(err.downcast_ref::<std::io::Error>().is_some(), "{err}");
}

/// An error whose `source()` is itself.
#[derive(Debug)]
struct Looping;

impl std::fmt::Display for Looping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("looping")
    }
}

impl std::error::Error for Looping {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self)
    }
}

#[process]
struct WithLoopingError {}

impl WithLoopingError {
    #[teardown]
    fn close() -> Result<(), Looping> {
        Err(Looping)
    }
}

/// `downcast_ref` walks source chains, and gives up on one that loops
/// instead of hanging.
#[tokio::test]
async fn downcast_gives_up_on_a_source_chain_that_loops() {
    let with = WithLoopingError {}.start();
    let err = within(with.process().close()).await.unwrap_err();
    let (looping, io) = within_blocking(move || {
        (
            err.downcast_ref::<Looping>().is_some(),
            err.downcast_ref::<std::io::Error>().is_some(),
        )
    });
    assert!(looping && !io);
}

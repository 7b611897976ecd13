// Every field role: `no_wait`, bare `wait_for`, `Option` and `Vec` children,
// a `#[cfg]` child, raw identifiers, and plain fields.
use goprocess::{process, Handle, Process};

#[process]
struct Service {
    #[child(no_wait)]
    metrics: Process,
    #[wait_for]
    journal: Process,
    #[child]
    r#type: Option<Handle<Worker>>,
    #[child]
    #[wait_for(r#type)]
    workers: Vec<Process>,
    #[cfg(feature = "tracing")]
    #[child]
    tracer: Process,
    /// Plain fields keep their attributes.
    name: String,
}

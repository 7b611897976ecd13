//! The whole-tree shutdown plan, before anything runs: nested `#[process]`
//! structs through `Handle<T>` fields, as text and as Mermaid; and what the
//! macros add to a struct's namespace (nothing).
#![deny(warnings, clippy::all)]

use goprocess::{Handle, Process, Start, process, run, teardown};

#[process]
struct Http {
    #[child]
    conns: Vec<Process>,
}

impl Http {
    #[run]
    async fn serve(&self, me: Process) {
        me.closing().await;
    }
}

#[process]
struct Worker {}

#[process]
struct Workers {
    #[child]
    dispatcher: Process,
    #[child]
    #[wait_for(dispatcher)]
    pool: Vec<Handle<Worker>>,
}

#[process]
struct Store {
    #[child(name = "flush")]
    flusher: Process,
}

impl Store {
    #[teardown]
    fn close_journal(&self) {}
}

#[process]
struct Service {
    #[child]
    http: Handle<Http>,
    #[child]
    #[wait_for(http)]
    workers: Handle<Workers>,
    #[child]
    #[wait_for(http, workers)]
    store: Option<Handle<Store>>,
    #[child(no_wait)]
    metrics: Process,
    #[wait_for]
    journal: Process,
}

#[test]
fn the_plan_recurses_through_handle_fields() {
    let plan = Service::shutdown_plan();
    assert_eq!(plan.name(), "Service");
    assert_eq!(
        plan.stages(),
        &[&["http", "metrics"][..], &["workers"], &["store"]]
    );
    assert_eq!(plan.run(), None);
    assert_eq!(plan.teardown(), None);
    let http = plan.nested("http").expect("Http's plan");
    assert_eq!((http.name(), http.run()), ("Http", Some("serve")));
    let store = plan.nested("store").expect("through the Option");
    assert_eq!(store.teardown(), Some("close_journal"));
    assert_eq!(store.stages(), &[&["flush"][..]]);
    let workers = plan.nested("workers").expect("Workers' plan");
    assert_eq!(
        workers.nested("pool").map(|p| p.name()),
        Some("Worker"),
        "through the Vec"
    );
    assert!(
        plan.nested("metrics").is_none(),
        "a plain Process is a leaf"
    );
    assert!(plan.nested("nothing").is_none());
}

#[test]
fn the_plan_reads_as_a_tree() {
    assert_eq!(
        Service::shutdown_plan().to_string(),
        "\
Service
├── 1. http (Http)
│   ├── run `serve`
│   └── 1. conns
├── 1. metrics (not waited for)
├── 2. workers (Workers), after http
│   ├── 1. dispatcher
│   └── 2. pool (Worker), after dispatcher
├── 3. store (Store), after http, workers
│   ├── 1. flush
│   └── teardown `close_journal`
└── waits for journal
"
    );
}

#[test]
fn the_plan_draws_as_mermaid_with_a_subgraph_per_nested_struct() {
    assert_eq!(
        Service::shutdown_plan().to_mermaid(),
        r#"flowchart TD
    subgraph http["http: Http"]
        http_conns["conns"]
        http_run[["run serve"]]
        http_self(["Http closed"])
    end
    metrics["metrics (not waited for)"]
    subgraph workers["workers: Workers"]
        workers_dispatcher["dispatcher"]
        subgraph workers_pool["pool: Worker"]
            workers_pool_self(["Worker closed"])
        end
        workers_self(["Workers closed"])
    end
    subgraph store["store: Store"]
        store_flusher["flush"]
        store_self(["Store teardown close_journal"])
    end
    journal[/"journal (waited for, not closed)"/]
    self(["Service closed"])
    http_conns --> http_self
    http_run --> http_self
    workers_dispatcher --> workers_pool
    workers_pool --> workers_self
    http --> workers
    store_flusher --> store_self
    http --> store
    workers --> store
    store --> self
    journal -.-> self
"#
    );
}

#[process]
struct Node {
    #[child]
    children: Vec<Handle<Node>>,
}

#[test]
fn a_recursive_struct_is_drawn_once() {
    assert_eq!(
        Node::shutdown_plan().to_string(),
        "Node\n└── 1. children (Node) (recursive)\n"
    );
    let chart = Node::shutdown_plan().to_mermaid();
    assert_eq!(
        chart,
        "flowchart TD\n    children[\"children: Node (recursive)\"]\n    self([\"Node closed\"])\n    children --> self\n"
    );
}

/// A struct with its own items of the names the macros could have used.
#[process]
struct Crowded {
    #[child]
    http: Process,
}

#[allow(dead_code)]
impl Crowded {
    const SHUTDOWN_ORDER: &'static str = "mine";
    const NAME: &'static str = "mine too";

    fn shutdown_plan() -> &'static str {
        "also mine"
    }

    fn close(&self) -> &'static str {
        "my close"
    }
}

#[tokio::test]
async fn the_macros_add_nothing_to_the_structs_namespace() {
    assert_eq!(Crowded::SHUTDOWN_ORDER, "mine");
    assert_eq!(Crowded::NAME, "mine too");
    assert_eq!(Crowded::shutdown_plan(), "also mine");
    assert_eq!(
        <Crowded as Start>::shutdown_plan().stages(),
        &[&["http"][..]]
    );
    let crowded = Crowded {
        http: Process::new(),
    }
    .start();
    // `Handle`'s own operations are associated functions, so the struct's
    // methods are not hidden behind the `Deref`.
    assert_eq!(crowded.close(), "my close");
    Handle::close(&crowded).await.unwrap();
    assert!(crowded.http.is_closed());
}

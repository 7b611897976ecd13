//! The whole-tree startup plan, before anything runs: the shutdown plan's
//! stages reversed, nested `#[process]` structs included, as text and as
//! Mermaid; names escaped for Mermaid in both plans.
#![deny(warnings, clippy::all)]

use goprocess::{Handle, Process, Start, init, process, run, teardown};

#[process]
struct Http {
    #[child]
    conns: Vec<Process>,
}

impl Http {
    #[init]
    async fn bind(&self) -> u16 {
        8080
    }

    #[run]
    async fn serve(&self, me: Process, port: u16) {
        let _ = port;
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
    #[init]
    async fn open(&self) -> std::io::Result<()> {
        Ok(())
    }

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

impl Service {
    #[init]
    async fn load_config(&self) {}
}

#[test]
fn the_startup_stages_are_the_shutdown_stages_reversed() {
    let plan = Service::startup_plan();
    assert_eq!(plan.name(), "Service");
    assert_eq!(
        plan.stages(),
        &[&["store"][..], &["workers"], &["http", "metrics"]]
    );
    let mut reversed: Vec<_> = Service::shutdown_plan().stages().to_vec();
    reversed.reverse();
    assert_eq!(plan.stages(), reversed.as_slice());
    for (startup, shutdown) in [
        (Http::startup_plan(), Http::shutdown_plan()),
        (Workers::startup_plan(), Workers::shutdown_plan()),
        (Store::startup_plan(), Store::shutdown_plan()),
    ] {
        let mut reversed = shutdown.stages().to_vec();
        reversed.reverse();
        assert_eq!(startup.stages(), reversed.as_slice(), "{}", startup.name());
        assert_eq!(startup.shutdown_plan().stages(), shutdown.stages());
    }
    assert_eq!(plan.init(), Some("load_config"));
    assert_eq!(plan.run(), None);
    let http = plan.nested("http").expect("Http's plan");
    assert_eq!((http.init(), http.run()), (Some("bind"), Some("serve")));
    let store = plan.nested("store").expect("through the Option");
    assert_eq!(store.init(), Some("open"));
    assert_eq!(
        plan.nested("workers")
            .and_then(|w| w.nested("pool"))
            .map(|p| p.name()),
        Some("Worker"),
        "through the Vec"
    );
    assert!(
        plan.nested("metrics").is_none(),
        "a plain Process is a leaf"
    );
    assert!(
        plan.nested("journal").is_none(),
        "started elsewhere: not in the startup plan"
    );
}

#[test]
fn the_startup_plan_reads_as_a_tree() {
    assert_eq!(
        Service::startup_plan().to_string(),
        "\
Service
├── init `load_config`
├── 1. store (Store)
│   ├── init `open`
│   └── 1. flush
├── 2. workers (Workers), after store
│   ├── 1. pool (Worker)
│   └── 2. dispatcher, after pool
├── 3. http (Http), after workers, store
│   ├── init `bind`
│   ├── 1. conns
│   └── run `serve`
└── 3. metrics (not waited for)
"
    );
}

#[test]
fn the_startup_plan_draws_as_mermaid() {
    assert_eq!(
        Service::startup_plan().to_mermaid(),
        r#"flowchart TD
    self(["Service init load_config"])
    subgraph store["store: Store"]
        store_self(["Store init open"])
        store_flusher["flush"]
    end
    subgraph workers["workers: Workers"]
        workers_self(["Workers starts"])
        subgraph workers_pool["pool: Worker"]
            workers_pool_self(["Worker starts"])
        end
        workers_dispatcher["dispatcher"]
    end
    subgraph http["http: Http"]
        http_self(["Http init bind"])
        http_conns["conns"]
        http_run[["run serve"]]
    end
    metrics["metrics (not waited for)"]
    store_self --> store_flusher
    self --> store
    workers_self --> workers_pool
    workers_pool --> workers_dispatcher
    store --> workers
    http_self --> http_conns
    http_conns --> http_run
    workers --> http
    workers --> metrics
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
        Node::startup_plan().to_string(),
        "Node\n└── 1. children (Node) (recursive)\n"
    );
    assert_eq!(
        Node::startup_plan().to_mermaid(),
        "flowchart TD\n    self([\"Node starts\"])\n    children[\"children: Node (recursive)\"]\n    self --> children\n"
    );
}

/// Names that Mermaid would read (`#`, `%%`, backticks, brackets), and a
/// field name that is not ASCII: escaped in labels, and kept out of ids,
/// in both plans.
#[allow(non_snake_case)]
#[process]
struct Odd {
    #[child(name = "db #1 %% `x` [a]")]
    db: Process,
    #[child]
    #[wait_for(db)]
    données: Process,
}

#[test]
fn names_are_escaped_in_both_charts() {
    let shutdown = Odd::shutdown_plan().to_mermaid();
    assert_eq!(
        shutdown,
        "flowchart TD\n    db[\"db #35;1 #37;#37; #96;x#96; #91;a#93;\"]\n    donn_es[\"données\"]\n    \
         self([\"Odd closed\"])\n    db --> donn_es\n    donn_es --> self\n"
    );
    let startup = Odd::startup_plan().to_mermaid();
    assert_eq!(
        startup,
        "flowchart TD\n    self([\"Odd starts\"])\n    donn_es[\"données\"]\n    \
         db[\"db #35;1 #37;#37; #96;x#96; #91;a#93;\"]\n    self --> donn_es\n    donn_es --> db\n"
    );
    for chart in [shutdown, startup] {
        assert!(!chart.contains("%%"), "{chart}");
        assert!(!chart.contains('`'), "{chart}");
    }
}

// ------------------------------------------------------------ live plans

mod live {
    use goprocess::supervise::{Restart, Strategy, Supervisor};
    use goprocess::{Handle, Process, Start, process};

    #[process]
    struct Pool {
        #[child]
        workers: Supervisor,
    }

    #[process]
    struct Service {
        #[child]
        intake: Process,
        #[child]
        #[wait_for(intake)]
        pool: Handle<Pool>,
        #[child]
        #[wait_for(pool)]
        jobs: Supervisor,
    }

    fn supervisor(children: &[&'static str]) -> Supervisor {
        let sup = Supervisor::root(Strategy::OneForOne);
        for name in children {
            sup.child(*name, Restart::Permanent, |me| async move {
                me.closing().await;
            })
            .unwrap();
        }
        sup
    }

    /// A supervisor's children are added at run time: the plan derived
    /// from the type shows the field, the plan read with the running
    /// struct shows its children, in the order they close or start, also
    /// in a nested struct.
    #[tokio::test]
    async fn a_live_plan_shows_a_supervisors_children() {
        let service = Service {
            intake: Process::new(),
            pool: Pool {
                workers: supervisor(&["worker 1", "worker 2", "worker 3"]),
            }
            .start(),
            jobs: supervisor(&["a", "b"]),
        }
        .start();
        assert_eq!(
            Service::shutdown_plan().to_string(),
            "\
Service
├── 1. intake
├── 2. pool (Pool), after intake
│   └── 1. workers
└── 3. jobs, after pool
"
        );
        assert_eq!(
            Handle::shutdown_plan(&service).to_string(),
            "\
Service
├── 1. intake
├── 2. pool (Pool), after intake
│   └── 1. workers (supervisor)
│       ├── 1. worker 3
│       ├── 2. worker 2
│       └── 3. worker 1
└── 3. jobs (supervisor), after pool
    ├── 1. b
    └── 2. a
"
        );
        assert_eq!(
            Handle::startup_plan(&service).to_string(),
            "\
Service
├── 1. jobs (supervisor)
│   ├── 1. a
│   └── 2. b
├── 2. pool (Pool), after jobs
│   └── 1. workers (supervisor)
│       ├── 1. worker 1
│       ├── 2. worker 2
│       └── 3. worker 3
└── 3. intake, after pool
"
        );
        assert_eq!(
            Handle::shutdown_plan(&service).to_mermaid(),
            r#"flowchart TD
    intake["intake"]
    subgraph pool["pool: Pool"]
        subgraph pool_workers["workers: supervisor"]
            pool_workers_worker_3["worker 3"]
            pool_workers_worker_2["worker 2"]
            pool_workers_worker_1["worker 1"]
        end
        pool_self(["Pool closed"])
    end
    subgraph jobs["jobs: supervisor"]
        jobs_b["b"]
        jobs_a["a"]
    end
    self(["Service closed"])
    pool_workers_worker_3 --> pool_workers_worker_2
    pool_workers_worker_2 --> pool_workers_worker_1
    pool_workers --> pool_self
    intake --> pool
    jobs_b --> jobs_a
    pool --> jobs
    jobs --> self
"#
        );
        assert_eq!(
            Handle::startup_plan(&service).to_mermaid(),
            r#"flowchart TD
    self(["Service starts"])
    subgraph jobs["jobs: supervisor"]
        jobs_a["a"]
        jobs_b["b"]
    end
    subgraph pool["pool: Pool"]
        pool_self(["Pool starts"])
        subgraph pool_workers["workers: supervisor"]
            pool_workers_worker_1["worker 1"]
            pool_workers_worker_2["worker 2"]
            pool_workers_worker_3["worker 3"]
        end
    end
    intake["intake"]
    jobs_a --> jobs_b
    self --> jobs
    pool_workers_worker_1 --> pool_workers_worker_2
    pool_workers_worker_2 --> pool_workers_worker_3
    pool_self --> pool_workers
    jobs --> pool
    pool --> intake
"#
        );
        // What derefs to the derived plan stays the derived plan.
        assert_eq!(
            Handle::shutdown_plan(&service).stages(),
            Service::shutdown_plan().stages()
        );
        Handle::close(&service).await.unwrap();
    }
}

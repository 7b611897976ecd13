use goprocess::{process, Handle, Process};
struct Service {
    metrics: Process,
    journal: Process,
    r#type: Option<Handle<Worker>>,
    workers: Vec<Process>,
    #[cfg(feature = "tracing")]
    tracer: Process,
    /// Plain fields keep their attributes.
    name: String,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Service {
    const NAME: &'static str = "Service";
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        ::goprocess::__private::assert_field::<Process>();
        wiring.child_no_wait("metrics", &self.metrics);
        ::goprocess::__private::assert_field::<Process>();
        wiring.wait_for("journal", &self.journal);
        ::goprocess::__private::assert_field::<Option<Handle<Worker>>>();
        wiring.child("type", &self.r#type);
        ::goprocess::__private::assert_field::<Vec<Process>>();
        wiring.child_after("workers", &self.workers, &[&self.r#type]);
        #[cfg(feature = "tracing")]
        {
            ::goprocess::__private::assert_field::<Process>();
            wiring.child("tracer", &self.tracer);
        }
    }
    fn teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl Service {
    /// The stages in which a started `Service` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// 1. `metrics` (not waited for), `type`, `tracer`
    /// 2. `workers` (after `type`)
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Service`, if any, runs last.
    #[allow(dead_code)]
    const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[
        &["metrics", "type", "tracer"],
        &["workers"],
    ];
    /// The shutdown order of `Service` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Service`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     metrics["metrics (not waited for)"]
    ///     type["type"]
    ///     tracer["tracer"]
    ///     workers["workers"]
    ///     journal[/"journal (waited for, not closed)"/]
    ///     self(["Service teardown"])
    ///     tracer --> self
    ///     type --> workers
    ///     workers --> self
    ///     journal -.-> self
    /// ```
    #[allow(dead_code)]
    const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    metrics[\"metrics (not waited for)\"]\n    type[\"type\"]\n    tracer[\"tracer\"]\n    workers[\"workers\"]\n    journal[/\"journal (waited for, not closed)\"/]\n    self([\"Service teardown\"])\n    tracer --> self\n    type --> workers\n    workers --> self\n    journal -.-> self\n";
}

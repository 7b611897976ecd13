use goprocess::{process, Handle, Process};
struct Service {
    #[__goprocess(child(no_wait))]
    metrics: Process,
    #[__goprocess(wait_for)]
    journal: Process,
    #[__goprocess(child)]
    r#type: Option<Handle<Worker>>,
    #[__goprocess(child)]
    #[__goprocess(wait_for(r#type))]
    workers: Vec<Process>,
    #[cfg(feature = "tracing")]
    #[__goprocess(child)]
    tracer: Process,
    /// Plain fields keep their attributes.
    name: String,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for Service {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Service {
    const NAME: &'static str = "Service";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["metrics", "type", "tracer"], &["workers"]],
        startup: &[&["workers"], &["metrics", "type", "tracer"]],
        fields: &[
            ::goprocess::__private::PlanField::no_wait("metrics")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
            ::goprocess::__private::PlanField::wait_for("journal")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
            ::goprocess::__private::PlanField::child("type")
                .nested(|| {
                    ::goprocess::__private::Nested::<Option<Handle<Worker>>>::NEW.plan()
                }),
            ::goprocess::__private::PlanField::child("workers")
                .after(&["type"])
                .nested(|| ::goprocess::__private::Nested::<Vec<Process>>::NEW.plan()),
            ::goprocess::__private::PlanField::child("tracer")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child_no_wait::<Process>("metrics", &self.metrics);
        wiring.wait_for::<Process>("journal", &self.journal);
        wiring.child::<Option<Handle<Worker>>>("type", &self.r#type);
        wiring.child_after::<Vec<Process>>("workers", &self.workers, &["type"]);
        wiring.child::<Process>("tracer", &self.tracer);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Service::__goprocess_teardown(),
            Service::__goprocess_run(),
            Service::__goprocess_init(),
        )
    }
}

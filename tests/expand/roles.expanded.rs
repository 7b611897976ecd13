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
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["metrics", "type", "tracer"], &["workers"]],
        fields: &[
            ::goprocess::__private::PlanField::no_wait("metrics"),
            ::goprocess::__private::PlanField::wait_for("journal"),
            ::goprocess::__private::PlanField::child("type")
                .nested(::goprocess::__private::plan_of::<Worker>),
            ::goprocess::__private::PlanField::child("workers").after(&["type"]),
            ::goprocess::__private::PlanField::child("tracer"),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child_no_wait::<Process>("metrics", &self.metrics);
        wiring.wait_for::<Process>("journal", &self.journal);
        let r#type = wiring.child::<Option<Handle<Worker>>>("type", &self.r#type);
        wiring.child_after::<Vec<Process>>("workers", &self.workers, &[&r#type]);
        #[cfg(feature = "tracing")] wiring.child::<Process>("tracer", &self.tracer);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Service::__GOPROCESS_TEARDOWN, Service::__GOPROCESS_RUN)
    }
}

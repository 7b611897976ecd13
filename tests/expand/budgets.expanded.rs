use goprocess::{process, teardown, Process};
struct Db {
    pool: Process,
    journal: Process,
    metrics: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Db {
    const NAME: &'static str = "Db";
    const CLOSE_TIMEOUT: ::core::option::Option<::goprocess::__private::Duration> = ::core::option::Option::Some(
        ::goprocess::__private::Duration::from_millis(5000),
    );
    const ESCALATION: ::goprocess::__private::Escalation = ::goprocess::__private::Escalation::Detach;
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["pool", "metrics"]],
        fields: &[
            ::goprocess::__private::PlanField::child("pool"),
            ::goprocess::__private::PlanField::wait_for("journal"),
            ::goprocess::__private::PlanField::no_wait("metrics"),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Process>("pool", &self.pool);
        wiring.wait_for::<Process>("journal", &self.journal);
        wiring.child_no_wait::<Process>("metrics", &self.metrics);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Db::__GOPROCESS_TEARDOWN, Db::__GOPROCESS_RUN)
    }
}
impl Db {
    async fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_TEARDOWN: ::goprocess::__private::TeardownHook<Self> = ::goprocess::__private::TeardownHook::new(
        "flush",
        |this| ::goprocess::__private::async_teardown_within(
            async move { Self::flush(&this).await },
            ::goprocess::__private::Duration::from_millis(2000),
        ),
    );
}

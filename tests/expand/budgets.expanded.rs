use goprocess::{process, teardown, Process};
#[__goprocess(close_timeout = "5s", escalation = "detach")]
struct Db {
    #[__goprocess(child)]
    pool: Process,
    #[__goprocess(wait_for)]
    journal: Process,
    #[__goprocess(child(no_wait))]
    metrics: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for Db {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Db {
    const NAME: &'static str = "Db";
    const CLOSE_TIMEOUT: ::core::option::Option<::goprocess::__private::Duration> = ::core::option::Option::Some(
        ::goprocess::__private::Duration::from_millis(5000),
    );
    const ESCALATION: ::goprocess::__private::Escalation = ::goprocess::__private::Escalation::Detach;
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["pool", "metrics"]],
        startup: &[&["pool", "metrics"]],
        fields: &[
            ::goprocess::__private::PlanField::child("pool")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
            ::goprocess::__private::PlanField::wait_for("journal")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
            ::goprocess::__private::PlanField::no_wait("metrics")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Process>("pool", &self.pool);
        wiring.wait_for::<Process>("journal", &self.journal);
        wiring.child_no_wait::<Process>("metrics", &self.metrics);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Db::__goprocess_teardown(),
            Db::__goprocess_run(),
            Db::__goprocess_init(),
        )
    }
}
impl Db {
    async fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown() -> ::goprocess::__private::TeardownHook<Self>
    where
        Self: 'static,
    {
        ::goprocess::__private::TeardownHook::new(
            "flush",
            |this| {
                ::goprocess::__private::async_teardown_within(
                    async move {
                        ::goprocess::__private::Returned::new(Self::flush(&this).await)
                            .into_result()
                    },
                    ::goprocess::__private::Duration::from_millis(2000),
                )
            },
        )
    }
}

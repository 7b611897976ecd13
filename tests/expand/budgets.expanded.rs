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
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        ::goprocess::__private::assert_field::<Process>();
        wiring.child("pool", &self.pool);
        ::goprocess::__private::assert_field::<Process>();
        wiring.wait_for("journal", &self.journal);
        ::goprocess::__private::assert_field::<Process>();
        wiring.child_no_wait("metrics", &self.metrics);
    }
    fn teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl Db {
    /// The stages in which a started `Db` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// 1. `pool`, `metrics` (not waited for)
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Db`, if any, runs last.
    #[allow(dead_code)]
    const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[&["pool", "metrics"]];
    /// The shutdown order of `Db` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Db`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     pool["pool"]
    ///     metrics["metrics (not waited for)"]
    ///     journal[/"journal (waited for, not closed)"/]
    ///     self(["Db teardown"])
    ///     pool --> self
    ///     journal -.-> self
    /// ```
    #[allow(dead_code)]
    const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    pool[\"pool\"]\n    metrics[\"metrics (not waited for)\"]\n    journal[/\"journal (waited for, not closed)\"/]\n    self([\"Db teardown\"])\n    pool --> self\n    journal -.-> self\n";
}
impl Db {
    async fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code, non_upper_case_globals)]
    const __goprocess_only_one_teardown_per_type__remove_the_extra_teardown: () = ();
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        ::goprocess::__private::async_teardown_within(
            async move { Self::flush(&this).await },
            ::goprocess::__private::Duration::from_millis(2000),
        )
    }
}

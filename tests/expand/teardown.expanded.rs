use goprocess::{process, teardown, Process};
struct Db {
    pool: Pool,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Db {
    const NAME: &'static str = "Db";
    fn wire(&self, _wiring: &mut ::goprocess::__private::Wiring<'_>) {}
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
    /// (none: `Db` has no `#[child]` fields)
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Db`, if any, runs last.
    #[allow(dead_code)]
    const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[];
    /// The shutdown order of `Db` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Db`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     self(["Db teardown"])
    /// ```
    #[allow(dead_code)]
    const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    self([\"Db teardown\"])\n";
}
impl Db {
    async fn close_pool(&self) -> Result<(), sqlx::Error> {
        self.pool.close().await;
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code, non_upper_case_globals)]
    const __goprocess_only_one_teardown_per_type__remove_the_extra_teardown: () = ();
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        ::goprocess::__private::async_teardown(async move {
            Self::close_pool(&this).await
        })
    }
}
struct Cache {
    flusher: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Cache {
    const NAME: &'static str = "Cache";
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        ::goprocess::__private::assert_field::<Process>();
        wiring.child("flusher", &self.flusher);
    }
    fn teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl Cache {
    /// The stages in which a started `Cache` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// 1. `flusher`
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Cache`, if any, runs last.
    #[allow(dead_code)]
    const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[&["flusher"]];
    /// The shutdown order of `Cache` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Cache`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     flusher["flusher"]
    ///     self(["Cache teardown"])
    ///     flusher --> self
    /// ```
    #[allow(dead_code)]
    const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    flusher[\"flusher\"]\n    self([\"Cache teardown\"])\n    flusher --> self\n";
}
impl Cache {
    /// Still a normal method.
    pub fn flush(&self) {}
    #[doc(hidden)]
    #[allow(dead_code, non_upper_case_globals)]
    const __goprocess_only_one_teardown_per_type__remove_the_extra_teardown: () = ();
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        ::goprocess::__private::sync_teardown(move || Self::flush(&this))
    }
}
struct Stateless {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Stateless {
    const NAME: &'static str = "Stateless";
    fn wire(&self, _wiring: &mut ::goprocess::__private::Wiring<'_>) {}
    fn teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl Stateless {
    /// The stages in which a started `Stateless` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// (none: `Stateless` has no `#[child]` fields)
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Stateless`, if any, runs last.
    #[allow(dead_code)]
    const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[];
    /// The shutdown order of `Stateless` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Stateless`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     self(["Stateless teardown"])
    /// ```
    #[allow(dead_code)]
    const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    self([\"Stateless teardown\"])\n";
}

use goprocess::{process, teardown, Process};
struct Db {
    pool: Pool,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for Db {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Db {
    const NAME: &'static str = "Db";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[],
        startup: &[],
        fields: &[],
    };
    fn wire(&self, _: &mut ::goprocess::__private::Wiring<'_>) {}
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
    async fn close_pool(&self) -> Result<(), sqlx::Error> {
        self.pool.close().await;
        Ok(())
    }
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown() -> ::goprocess::__private::TeardownHook<Self>
    where
        Self: 'static,
    {
        ::goprocess::__private::TeardownHook::new(
            "close_pool",
            |this| {
                ::goprocess::__private::async_teardown(async move {
                    ::goprocess::__private::Returned::new(Self::close_pool(&this).await)
                        .into_result()
                })
            },
        )
    }
}
struct Cache {
    #[__goprocess(child)]
    flusher: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for Cache {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Cache {
    const NAME: &'static str = "Cache";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["flusher"]],
        startup: &[&["flusher"]],
        fields: &[
            ::goprocess::__private::PlanField::child("flusher")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Process>("flusher", &self.flusher);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Cache::__goprocess_teardown(),
            Cache::__goprocess_run(),
            Cache::__goprocess_init(),
        )
    }
}
impl Cache {
    /// Still a normal method.
    pub fn flush(&self) {}
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown() -> ::goprocess::__private::TeardownHook<Self>
    where
        Self: 'static,
    {
        ::goprocess::__private::TeardownHook::new(
            "flush",
            |this| {
                ::goprocess::__private::sync_teardown(move || {
                    ::goprocess::__private::Returned::new(Self::flush(&this))
                        .into_result()
                })
            },
        )
    }
}
struct Stateless {}
#[automatically_derived]
impl ::goprocess::__private::Marked for Stateless {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Stateless {
    const NAME: &'static str = "Stateless";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[],
        startup: &[],
        fields: &[],
    };
    fn wire(&self, _: &mut ::goprocess::__private::Wiring<'_>) {}
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Stateless::__goprocess_teardown(),
            Stateless::__goprocess_run(),
            Stateless::__goprocess_init(),
        )
    }
}

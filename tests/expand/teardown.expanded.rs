use goprocess::{process, teardown, Process};
struct Db {
    pool: Pool,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Db {
    const NAME: &'static str = "Db";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[],
        fields: &[],
    };
    fn wire(&self, _wiring: &mut ::goprocess::__private::Wiring<'_>) {}
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Db::__GOPROCESS_TEARDOWN, Db::__GOPROCESS_RUN)
    }
}
impl Db {
    async fn close_pool(&self) -> Result<(), sqlx::Error> {
        self.pool.close().await;
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_TEARDOWN: ::goprocess::__private::TeardownHook<Self> = ::goprocess::__private::TeardownHook::new(
        "close_pool",
        |this| ::goprocess::__private::async_teardown(async move {
            Self::close_pool(&this).await
        }),
    );
}
struct Cache {
    flusher: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Cache {
    const NAME: &'static str = "Cache";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["flusher"]],
        fields: &[::goprocess::__private::PlanField::child("flusher")],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Process>("flusher", &self.flusher);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Cache::__GOPROCESS_TEARDOWN, Cache::__GOPROCESS_RUN)
    }
}
impl Cache {
    /// Still a normal method.
    pub fn flush(&self) {}
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_TEARDOWN: ::goprocess::__private::TeardownHook<Self> = ::goprocess::__private::TeardownHook::new(
        "flush",
        |this| ::goprocess::__private::sync_teardown(move || Self::flush(&this)),
    );
}
struct Stateless {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Stateless {
    const NAME: &'static str = "Stateless";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[],
        fields: &[],
    };
    fn wire(&self, _wiring: &mut ::goprocess::__private::Wiring<'_>) {}
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Stateless::__GOPROCESS_TEARDOWN, Stateless::__GOPROCESS_RUN)
    }
}

use goprocess::{process, run, teardown, Process};
pub struct Http {
    listener: std::net::TcpListener,
    conns: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for Http {
    const NAME: &'static str = "Http";
    const ON_FAILURE: ::goprocess::__private::OnFailure = ::goprocess::__private::OnFailure::Propagate;
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["connections"]],
        fields: &[::goprocess::__private::PlanField::child("conns").named("connections")],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.named("connections").child::<Process>("conns", &self.conns);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Http::__GOPROCESS_TEARDOWN, Http::__GOPROCESS_RUN)
    }
}
impl Http {
    async fn serve(&self, me: Process) -> Result<(), std::io::Error> {
        me.closing().await;
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_RUN: ::goprocess::__private::RunHook<Self> = ::goprocess::__private::RunHook::new(
        "serve",
        |this, process| ::goprocess::__private::run(
            this,
            process,
            |this, me| async move {
                Self::serve(&this, ::goprocess::__private::run_arg(me)).await
            },
        ),
    );
    fn close(&self) {}
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_TEARDOWN: ::goprocess::__private::TeardownHook<Self> = ::goprocess::__private::TeardownHook::new(
        "close",
        |this| ::goprocess::__private::sync_teardown(move || Self::close(&this)),
    );
}
struct Ticker {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Ticker {
    const NAME: &'static str = "Ticker";
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
        >::new(Ticker::__GOPROCESS_TEARDOWN, Ticker::__GOPROCESS_RUN)
    }
}
impl Ticker {
    pub(crate) async fn tick(&self) {}
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_RUN: ::goprocess::__private::RunHook<Self> = ::goprocess::__private::RunHook::new(
        "tick",
        |this, process| ::goprocess::__private::run(
            this,
            process,
            |this, _| async move { Self::tick(&this).await },
        ),
    );
}

use goprocess::{process, run, teardown, Process};
#[__goprocess(on_failure = "propagate")]
pub struct Http {
    listener: std::net::TcpListener,
    #[__goprocess(child(name = "connections"))]
    conns: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for Http {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Http {
    const NAME: &'static str = "Http";
    const ON_FAILURE: ::core::option::Option<::goprocess::__private::OnFailure> = ::core::option::Option::Some(
        ::goprocess::__private::OnFailure::Propagate,
    );
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["connections"]],
        startup: &[&["connections"]],
        fields: &[
            ::goprocess::__private::PlanField::child("conns")
                .named("connections")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.named("connections").child::<Process>("conns", &self.conns);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Http::__goprocess_teardown(),
            Http::__goprocess_run(),
            Http::__goprocess_init(),
        )
    }
}
impl Http {
    async fn serve(&self, me: Process) -> Result<(), std::io::Error> {
        me.closing().await;
        Ok(())
    }
    #[doc(hidden)]
    pub(crate) fn __goprocess_run() -> ::goprocess::__private::RunHook<Self>
    where
        Self: 'static,
    {
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::RunHook::new(
            "serve",
            |this, process, boot| {
                ::goprocess::__private::run(
                    this,
                    process,
                    boot,
                    |this, me, boot| async move {
                        let method = Self::serve;
                        let ::core::option::Option::Some(value) = boot
                            .start(
                                Self::__goprocess_init(),
                                &this,
                                &me,
                                |output| {
                                    ::goprocess::__private::Returned::new(output).init_value()
                                },
                            )
                            .await else {
                            return ::core::result::Result::Ok(());
                        };
                        ::goprocess::__private::nothing(value);
                        ::goprocess::__private::Returned::new(
                                method(&this, ::goprocess::__private::run_arg(me)).await,
                            )
                            .into_result()
                    },
                )
            },
        )
    }
    fn close(&self) {}
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown() -> ::goprocess::__private::TeardownHook<Self>
    where
        Self: 'static,
    {
        ::goprocess::__private::TeardownHook::new(
            "close",
            |this| {
                ::goprocess::__private::sync_teardown(move || {
                    ::goprocess::__private::Returned::new(Self::close(&this))
                        .into_result()
                })
            },
        )
    }
}
struct Ticker {}
#[automatically_derived]
impl ::goprocess::__private::Marked for Ticker {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Ticker {
    const NAME: &'static str = "Ticker";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[],
        startup: &[],
        fields: &[],
    };
    fn wire(&self, _: &mut ::goprocess::__private::Wiring<'_>) {}
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Ticker::__goprocess_teardown(),
            Ticker::__goprocess_run(),
            Ticker::__goprocess_init(),
        )
    }
}
impl Ticker {
    pub(crate) async fn tick(&self) {}
    #[doc(hidden)]
    pub(crate) fn __goprocess_run() -> ::goprocess::__private::RunHook<Self>
    where
        Self: 'static,
    {
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::RunHook::new(
            "tick",
            |this, process, boot| {
                ::goprocess::__private::run(
                    this,
                    process,
                    boot,
                    |this, me, boot| async move {
                        let method = Self::tick;
                        let ::core::option::Option::Some(value) = boot
                            .start(
                                Self::__goprocess_init(),
                                &this,
                                &me,
                                |output| {
                                    ::goprocess::__private::Returned::new(output).init_value()
                                },
                            )
                            .await else {
                            return ::core::result::Result::Ok(());
                        };
                        ::goprocess::__private::nothing(value);
                        ::goprocess::__private::Returned::new(method(&this).await)
                            .into_result()
                    },
                )
            },
        )
    }
}

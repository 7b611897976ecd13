use goprocess::{init, process, run, teardown, Process};
use tokio::net::TcpListener;
#[__goprocess(children_on_failure = "propagate")]
struct Http {
    addr: std::net::SocketAddr,
    #[__goprocess(child)]
    conns: Process,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for Http {}
#[automatically_derived]
impl ::goprocess::__private::Spec for Http {
    const NAME: &'static str = "Http";
    const CHILDREN_ON_FAILURE: ::core::option::Option<
        ::goprocess::__private::OnFailure,
    > = ::core::option::Option::Some(::goprocess::__private::OnFailure::Propagate);
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["conns"]],
        startup: &[&["conns"]],
        fields: &[
            ::goprocess::__private::PlanField::child("conns")
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Process>("conns", &self.conns);
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
    async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.addr).await
    }
    #[doc(hidden)]
    pub(crate) fn __goprocess_init() -> ::goprocess::__private::InitHook<
        Self,
        std::io::Result<TcpListener>,
    >
    where
        Self: 'static,
    {
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::InitHook::new(
            "bind",
            "#[init] `bind`",
            |this, _| ::goprocess::__private::init_future(async move {
                let method = Self::bind;
                method(&this).await
            }),
            |this, boot| ::goprocess::__private::alone(
                this,
                boot,
                |this, _, boot| async move {
                    let method = Self::bind;
                    let ::core::option::Option::Some(value) = boot
                        .init(
                            method(&this),
                            |output| {
                                ::goprocess::__private::Returned::new(output).into_init()
                            },
                        )
                        .await else {
                        return ::core::result::Result::Ok(());
                    };
                    ::goprocess::__private::unused(Self::__goprocess_run(), value);
                    ::core::result::Result::Ok(())
                },
            ),
        )
    }
    async fn serve(&self, me: Process, listener: TcpListener) -> std::io::Result<()> {
        drop(listener);
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
                        ::goprocess::__private::Returned::new(
                                method(
                                        &this,
                                        ::goprocess::__private::run_arg(me),
                                        ::goprocess::__private::hand::<_, TcpListener>(value),
                                    )
                                    .await,
                            )
                            .into_result()
                    },
                )
            },
        )
    }
    fn flush(&self) {}
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
            .reserve(::goprocess::__private::Duration::from_millis(300))
    }
}

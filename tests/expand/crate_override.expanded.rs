use goprocess as gp2;
use gp2::{Handle, Process};
#[__goprocess(crate = "gp2")]
struct Renamed {
    #[__goprocess(child)]
    inner: Handle<Inner>,
}
#[automatically_derived]
impl gp2::__private::Marked for Renamed {}
#[automatically_derived]
impl gp2::__private::Spec for Renamed {
    const NAME: &'static str = "Renamed";
    const PLAN: gp2::__private::Plan = gp2::__private::Plan {
        stages: &[&["inner"]],
        startup: &[&["inner"]],
        fields: &[
            gp2::__private::PlanField::child("inner")
                .nested(|| gp2::__private::Nested::<Handle<Inner>>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut gp2::__private::Wiring<'_>) {
        wiring.child::<Handle<Inner>>("inner", &self.inner);
    }
    fn hooks() -> gp2::__private::Hooks<Self> {
        use gp2::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Renamed::__goprocess_teardown(),
            Renamed::__goprocess_run(),
            Renamed::__goprocess_init(),
        )
    }
}
impl Renamed {
    fn stop(&self) -> std::io::Result<()> {
        Ok(())
    }
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown() -> gp2::__private::TeardownHook<Self>
    where
        Self: 'static,
    {
        gp2::__private::TeardownHook::new(
            "stop",
            |this| {
                gp2::__private::sync_teardown(move || {
                    gp2::__private::Returned::new(Self::stop(&this)).into_result()
                })
            },
        )
    }
}

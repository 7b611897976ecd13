use goprocess as gp2;
use gp2::{Handle, Process};
struct Renamed {
    inner: Handle<Inner>,
}
#[automatically_derived]
impl gp2::__private::Spec for Renamed {
    const NAME: &'static str = "Renamed";
    const PLAN: gp2::__private::Plan = gp2::__private::Plan {
        stages: &[&["inner"]],
        fields: &[
            gp2::__private::PlanField::child("inner")
                .nested(gp2::__private::plan_of::<Inner>),
        ],
    };
    fn wire(&self, wiring: &mut gp2::__private::Wiring<'_>) {
        wiring.child::<Handle<Inner>>("inner", &self.inner);
    }
    fn hooks() -> gp2::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use gp2::__private::NoHooks as _;
        gp2::__private::Hooks::<
            Self,
        >::new(Renamed::__GOPROCESS_TEARDOWN, Renamed::__GOPROCESS_RUN)
    }
}
impl Renamed {
    fn stop(&self) -> std::io::Result<()> {
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code)]
    pub(crate) const __GOPROCESS_TEARDOWN: gp2::__private::TeardownHook<Self> = gp2::__private::TeardownHook::new(
        "stop",
        |this| gp2::__private::sync_teardown(move || Self::stop(&this)),
    );
}

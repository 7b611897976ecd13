use goprocess as gp2;
use gp2::{Handle, Process};
struct Renamed {
    inner: Handle<Inner>,
}
#[automatically_derived]
impl gp2::__private::Spec for Renamed {
    const NAME: &'static str = "Renamed";
    fn wire(&self, wiring: &mut gp2::__private::Wiring<'_>) {
        gp2::__private::assert_field::<Handle<Inner>>();
        wiring.child("inner", &self.inner);
    }
    fn teardown(this: gp2::__private::Arc<Self>) -> gp2::__private::Teardown {
        #[allow(unused_imports)]
        use gp2::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl Renamed {
    /// The stages in which a started `Renamed` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// 1. `inner`
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Renamed`, if any, runs last.
    #[allow(dead_code)]
    const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[&["inner"]];
    /// The shutdown order of `Renamed` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Renamed`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     inner["inner"]
    ///     self(["Renamed teardown"])
    ///     inner --> self
    /// ```
    #[allow(dead_code)]
    const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    inner[\"inner\"]\n    self([\"Renamed teardown\"])\n    inner --> self\n";
}
impl Renamed {
    fn stop(&self) -> std::io::Result<()> {
        Ok(())
    }
    #[doc(hidden)]
    #[allow(dead_code, non_upper_case_globals)]
    const __goprocess_only_one_teardown_per_type__remove_the_extra_teardown: () = ();
    #[doc(hidden)]
    pub(crate) fn __goprocess_teardown(
        this: gp2::__private::Arc<Self>,
    ) -> gp2::__private::Teardown {
        gp2::__private::sync_teardown(move || Self::stop(&this))
    }
}

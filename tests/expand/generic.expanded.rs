use goprocess::{process, AsProcess, Process};
pub(crate) struct Pool<W, const N: usize>
where
    W: AsProcess + Send + Sync + 'static,
{
    workers: Vec<W>,
    supervisor: Process,
    limits: [u32; N],
}
#[automatically_derived]
impl<W, const N: usize> ::goprocess::__private::Spec for Pool<W, N>
where
    W: AsProcess + Send + Sync + 'static,
{
    const NAME: &'static str = "Pool";
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        ::goprocess::__private::assert_field::<Vec<W>>();
        wiring.child("workers", &self.workers);
        ::goprocess::__private::assert_field::<Process>();
        wiring.child_after("supervisor", &self.supervisor, &[&self.workers]);
    }
    fn teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl<W, const N: usize> Pool<W, N>
where
    W: AsProcess + Send + Sync + 'static,
{
    /// The stages in which a started `Pool` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// 1. `workers`
    /// 2. `supervisor` (after `workers`)
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `Pool`, if any, runs last.
    #[allow(dead_code)]
    pub(crate) const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[
        &["workers"],
        &["supervisor"],
    ];
    /// The shutdown order of `Pool` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `Pool`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     workers["workers"]
    ///     supervisor["supervisor"]
    ///     self(["Pool teardown"])
    ///     workers --> supervisor
    ///     supervisor --> self
    /// ```
    #[allow(dead_code)]
    pub(crate) const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    workers[\"workers\"]\n    supervisor[\"supervisor\"]\n    self([\"Pool teardown\"])\n    workers --> supervisor\n    supervisor --> self\n";
}

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
}

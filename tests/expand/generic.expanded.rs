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
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["workers"], &["supervisor"]],
        fields: &[
            ::goprocess::__private::PlanField::child("workers"),
            ::goprocess::__private::PlanField::child("supervisor").after(&["workers"]),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        let workers = wiring.child::<Vec<W>>("workers", &self.workers);
        wiring.child_after::<Process>("supervisor", &self.supervisor, &[&workers]);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(Pool::__GOPROCESS_TEARDOWN, Pool::__GOPROCESS_RUN)
    }
}

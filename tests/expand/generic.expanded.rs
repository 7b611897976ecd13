use goprocess::{process, AsProcess, Process};
pub(crate) struct Pool<W, const N: usize>
where
    W: AsProcess + Send + Sync + 'static,
{
    #[__goprocess(child)]
    workers: Vec<W>,
    #[__goprocess(child)]
    #[__goprocess(wait_for(workers))]
    supervisor: Process,
    limits: [u32; N],
}
#[automatically_derived]
impl<W, const N: usize> ::goprocess::__private::Marked for Pool<W, N>
where
    W: AsProcess + Send + Sync + 'static,
{}
#[automatically_derived]
impl<W, const N: usize> ::goprocess::__private::Spec for Pool<W, N>
where
    W: AsProcess + Send + Sync + 'static,
{
    const NAME: &'static str = "Pool";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["workers"], &["supervisor"]],
        startup: &[&["supervisor"], &["workers"]],
        fields: &[
            ::goprocess::__private::PlanField::child("workers")
                .nested(|| ::goprocess::__private::Nested::<Vec<W>>::NEW.plan()),
            ::goprocess::__private::PlanField::child("supervisor")
                .after(&["workers"])
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Vec<W>>("workers", &self.workers);
        wiring.child_after::<Process>("supervisor", &self.supervisor, &["workers"]);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            Pool::__goprocess_teardown(),
            Pool::__goprocess_run(),
            Pool::__goprocess_init(),
        )
    }
}

// A generic struct with a where-clause: the impls carry the generics.
use goprocess::{process, AsProcess, Process};

#[process]
pub(crate) struct Pool<W, const N: usize>
where
    W: AsProcess + Send + Sync + 'static,
{
    #[child]
    workers: Vec<W>,
    #[child]
    #[wait_for(workers)]
    supervisor: Process,
    limits: [u32; N],
}

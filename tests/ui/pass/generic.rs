// Generic structs: type and const parameters, bounds inline and in a
// where-clause, and a generic teardown impl.
#![deny(warnings)]

use goprocess::{process, teardown, AsProcess, Handle, Process, Start};

#[process]
struct Pool<W: AsProcess + Send + Sync + 'static, const N: usize>
where
    W: Clone,
{
    #[child]
    workers: Vec<W>,
    #[child]
    #[wait_for(workers)]
    supervisor: Process,
    limits: [u32; N],
}

impl<W: AsProcess + Send + Sync + Clone + 'static, const N: usize> Pool<W, N> {
    #[teardown]
    fn done(&self) -> Result<(), std::io::Error> {
        let _ = self.limits;
        Ok(())
    }
}

fn main() {
    let pool: Handle<Pool<Process, 2>> = Pool {
        workers: vec![Process::new()],
        supervisor: Process::new(),
        limits: [1, 2],
    }
    .start();
    let _ = pool.workers.len();
    assert_eq!(Pool::<Process, 2>::shutdown_plan().stages(), &[&["workers"][..], &["supervisor"]]);
}

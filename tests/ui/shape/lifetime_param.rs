// One error, at the lifetime: the struct, its methods and its uses add
// none.
use goprocess::{process, run, teardown, Process, Start};

#[process]
struct App<'a> {
    #[child]
    http: Process,
    name: &'a str,
}

impl<'a> App<'a> {
    #[teardown]
    fn close(&self) {}

    #[run]
    async fn serve(&self) {}
}

fn main() {
    let _ = App::shutdown_plan();
    let _ = App { http: Process::new(), name: "app" }.start();
}

use goprocess::{process, Process, Start};

#[process]
struct App(#[child] Process);

fn main() {
    let _ = App(Process::new()).start();
}

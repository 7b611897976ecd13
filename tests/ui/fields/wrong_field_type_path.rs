use goprocess::process;

// A generic or path type that is not a process is reported once, at it.
#[process]
struct App {
    #[child]
    names: Vec<String>,
    #[child]
    task: tokio::task::JoinHandle<()>,
}

fn main() {}

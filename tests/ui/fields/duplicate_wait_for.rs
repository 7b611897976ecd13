use goprocess::{process, Process};

#[process]
struct App {
    #[child]
    http: Process,
    #[child]
    grpc: Process,
    #[child]
    #[wait_for(http)]
    #[wait_for(grpc)]
    db: Process,
}

fn main() {}

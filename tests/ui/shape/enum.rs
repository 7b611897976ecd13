use goprocess::process;

#[process]
enum App {
    Http,
    Grpc,
}

fn main() {}

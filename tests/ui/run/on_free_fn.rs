use goprocess::run;

#[run]
async fn serve() {}

fn main() {}

use goprocess::run;

struct Http {}

impl Http {
    #[run]
    async fn serve(&self) {}
}

fn main() {}

use goprocess::{process, run};

struct NotAnError;

#[process]
struct Http {}

impl Http {
    #[run]
    async fn serve(&self) -> Result<(), NotAnError> {
        Err(NotAnError)
    }
}

fn main() {}

// A unit struct is a process without fields.
use goprocess::{process, teardown, Start};

#[process]
struct Flusher;

impl Flusher {
    #[teardown]
    fn flush(&self) {}
}

fn main() {
    assert!(Flusher::shutdown_plan().stages().is_empty());
    let flusher = Flusher.start();
    assert_eq!(flusher.process().name().as_deref(), Some("Flusher"));
}

// `crate = "path"`: every path of the expansion goes through the override.
use goprocess as gp2;
use gp2::{Handle, Process};

#[gp2::process(crate = "gp2")]
struct Renamed {
    #[child]
    inner: Handle<Inner>,
}

impl Renamed {
    #[gp2::teardown(crate = "gp2")]
    fn stop(&self) -> std::io::Result<()> {
        Ok(())
    }
}

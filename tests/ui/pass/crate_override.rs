// `crate = "path"` on both macros, with goprocess renamed.
#![deny(warnings)]

use goprocess as gp2;
use gp2::{Process, Start};

#[gp2::process(crate = "gp2")]
struct Renamed {
    #[child]
    inner: Process,
}

impl Renamed {
    #[gp2::teardown(crate = "gp2")]
    fn stop(&self) -> std::io::Result<()> {
        Ok(())
    }
}

mod nested {
    // A path through a module works too.
    pub(crate) mod reexport {
        pub(crate) use goprocess as inner_gp;
    }

    #[goprocess::process(crate = "self::reexport::inner_gp")]
    pub(crate) struct Deep {}
}

fn main() {
    let _ = Renamed { inner: Process::new() }.start();
    let _ = nested::Deep {}.start();
}

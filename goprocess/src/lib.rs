//! goprocess (crate docs written below)
#![deny(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod process;
mod runtime;

pub use error::{BoxError, ChildError, Error, ErrorKind, IntoProcessResult};
pub use process::go as spawn;
pub use process::go_child as spawn_child;
pub use process::{EdgeKind, Process, go, go_child};
mod structs;

// ---- sub-modules (Go's sub-packages) ----
pub mod context;
pub mod periodic;
pub mod ratelimit;
pub mod signal;
// ---- end of sub-modules ----

#[doc(hidden)]
pub use structs::private as __private;
pub use structs::{AsProcess, Handle, Start};

/// The names most programs need: `use goprocess::prelude::*;`.
pub mod prelude {
    pub use crate::{AsProcess, Error, ErrorKind, Handle, Process, Start};
    #[cfg(feature = "macros")]
    pub use goprocess_macros::{process, teardown};
}

#[cfg(feature = "macros")]
#[doc(inline)]
pub use goprocess_macros::{process, teardown};

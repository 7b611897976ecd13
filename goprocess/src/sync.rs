//! The synchronisation primitives of the state machine, swapped for loom's
//! under `RUSTFLAGS="--cfg goprocess_loom"` so the loom models in
//! `tests/loom.rs` explore every interleaving of the locks and the phase.
//! (`--cfg loom` would also change how tokio builds, hence a name of our own.)

#[cfg(not(goprocess_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(goprocess_loom)]
pub(crate) use loom::sync::atomic::AtomicU8;
#[cfg(goprocess_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

//! A framework that re-exports goprocess.

pub use goprocess;

//! goprocess's macros in a crate that reaches goprocess only through a
//! re-export (`goprocess_facade::goprocess`), so it says where with
//! `crate = ".."`. `tests/ui.rs` checks the error when it forgets to.
#![deny(warnings, clippy::all)]

use goprocess_facade::goprocess::{self as gp, Process};

/// A struct and its methods, through the re-export.
#[gp::process(crate = "goprocess_facade::goprocess", close_timeout = "1s")]
pub struct Service {
    /// Closes first.
    #[child]
    pub http: Process,
    /// Closes after `http`.
    #[child]
    #[wait_for(http)]
    pub db: gp::Handle<Db>,
}

impl Service {
    #[gp::run(crate = "goprocess_facade::goprocess")]
    async fn serve(&self, me: Process) {
        me.closing().await;
    }
}

/// A nested struct, through the re-export.
#[gp::process(crate = "goprocess_facade::goprocess")]
pub struct Db {}

impl Db {
    #[gp::teardown(crate = "goprocess_facade::goprocess")]
    fn close(&self) -> Result<(), std::io::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gp::Start;

    #[tokio::test]
    async fn the_macros_work_through_a_reexport() {
        let plan = Service::shutdown_plan();
        assert_eq!(plan.stages(), &[&["http"][..], &["db"]]);
        assert_eq!(
            plan.nested("db").and_then(|db| db.teardown()),
            Some("close")
        );
        let service = Service {
            http: Process::new(),
            db: Db {}.start(),
        }
        .start();
        tokio::task::yield_now().await;
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            service.process().close(),
        )
        .await
        .expect("closes")
        .unwrap();
        assert!(service.db.process().is_closed());
    }
}

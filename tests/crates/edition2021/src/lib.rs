//! goprocess's macros in an edition-2021 crate, where `gen` is an
//! identifier (it is a keyword from edition 2024 on, which the macro crate
//! is written in): the expansion must not read the user's identifiers with
//! its own edition.
#![deny(warnings, clippy::all)]

use std::sync::{Arc, Mutex};

use goprocess::{process, run, teardown, Process};

/// What happened, in order.
pub type Log = Arc<Mutex<Vec<&'static str>>>;

/// Fields named `gen` and with raw identifiers, ordered after each other.
#[process]
pub struct Generator {
    /// Closes first.
    #[child]
    pub gen: Process,
    /// Closes after `gen`.
    #[child]
    #[wait_for(gen)]
    pub r#async: Process,
    /// Closes after `async`.
    #[child]
    #[wait_for(r#async, gen)]
    pub r#try: Process,
    /// Where the methods write.
    pub log: Log,
}

impl Generator {
    /// The teardown, named `gen`.
    #[teardown]
    pub fn gen(&self) {
        self.log.lock().unwrap().push("teardown");
    }

    /// The run, with a raw name.
    #[run]
    pub async fn r#try(&self, me: Process) {
        me.closing().await;
        self.log.lock().unwrap().push("run");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use goprocess::Start;

    fn leaf(log: &Log, name: &'static str) -> Process {
        let log = log.clone();
        Process::with_teardown(move || {
            log.lock().unwrap().push(name);
            Ok(())
        })
    }

    #[tokio::test]
    async fn gen_is_a_field_a_wait_for_target_and_a_method() {
        assert_eq!(
            Generator::shutdown_plan().stages(),
            &[&["gen"][..], &["async"], &["try"]]
        );
        let log = Log::default();
        let generator = Generator {
            gen: leaf(&log, "gen"),
            r#async: leaf(&log, "async"),
            r#try: leaf(&log, "try"),
            log: log.clone(),
        }
        .start();
        tokio::task::yield_now().await;
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            generator.process().close(),
        )
        .await
        .expect("closes")
        .unwrap();
        let events = log.lock().unwrap().clone();
        let fields: Vec<&str> = events.iter().copied().filter(|e| *e != "run").collect();
        assert_eq!(fields, ["gen", "async", "try", "teardown"]);
        assert_eq!(generator.gen.name().as_deref(), Some("gen"));
    }
}

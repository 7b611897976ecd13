//! The supervisor in tracing output. A test binary of its own: tracing
//! caches whether a callsite is enabled globally, so a subscriber set for
//! one test while others run without one on other threads may miss events.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::within;
use goprocess::Process;
use goprocess::supervise::{Restart, Strategy, Supervisor};

/// The supervisor's span used to carry its default name and the one given
/// with `named` (`process{id=3 name="supervisor" name="pool"}`).
#[test]
fn the_supervisor_s_span_names_it_once() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let out = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || out.clone())
        .with_ansi(false)
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let sup = Supervisor::new(&Process::new(), Strategy::OneForOne).named("pool");
            sup.child("w", Restart::Permanent, |_| async {}).unwrap();
            within(sup.process().closed()).await;
        })
    });
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let gave_up = text
        .lines()
        .find(|l| l.contains("supervisor: gave up"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(gave_up.contains("name=\"pool\""), "{gave_up}");
    assert!(!gave_up.contains("name=\"supervisor\""), "{gave_up}");
    let restarting = text
        .lines()
        .find(|l| l.contains("supervisor: restarting"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(restarting.contains("child=w"), "{restarting}");
}

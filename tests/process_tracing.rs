//! tracing: every process has a span; lifecycle events are emitted at
//! debug/trace level, and only when a subscriber wants them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use goprocess::Process;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture(level: tracing::Level, f: impl FnOnce()) -> String {
    let buffer = Buffer::default();
    let b = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .without_time()
        .with_writer(move || b.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
}

#[test]
fn lifecycle_events_name_the_process_and_its_parent() {
    let out = capture(tracing::Level::TRACE, || {
        let app = Process::new().named("app");
        let db = Process::with_parent(&app).named("db");
        db.set_teardown(|| Err("disk full".into())).unwrap();
        let _ = app.close_blocking();
    });
    let lines: Vec<&str> = out.lines().collect();
    let find = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} missing from:\n{out}"))
    };
    let app_closing = find("name=\"app\"}: goprocess::process::close: closing");
    let db_closing = find("process{id=");
    assert!(lines[db_closing].contains("name=\"app\""));
    let db_teardown = find("name=\"db\"}: goprocess::process::close: teardown started");
    let db_failed = find("teardown failed");
    assert!(lines[db_failed].contains("disk full") && lines[db_failed].contains("elapsed"));
    // A root whose failure nobody takes says so at error level.
    let app_closed =
        find("name=\"app\"}: goprocess::process::close: a failure that nobody took reached a root");
    assert!(lines[app_closed].contains("ERROR"), "{}", lines[app_closed]);
    assert!(app_closing < db_teardown && db_teardown < db_failed && db_failed < app_closed);
    // The db span is nested in the app span.
    assert!(
        lines[db_teardown].contains("process{id=")
            && lines[db_teardown].matches("process{").count() == 2
    );
}

#[test]
fn nothing_is_emitted_above_debug() {
    let out = capture(tracing::Level::INFO, || {
        let p = Process::with_teardown(|| Ok(()));
        p.close_blocking().unwrap();
    });
    assert_eq!(out, "");
}

#[test]
fn the_closing_event_carries_the_cause() {
    let out = capture(tracing::Level::DEBUG, || {
        let app = Process::new().named("app");
        let _db = Process::with_parent(&app).named("db");
        app.close_blocking().unwrap();
    });
    let closing: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with(" closing") || l.contains(" closing cause="))
        .collect();
    assert_eq!(closing.len(), 2, "{out}");
    assert!(
        closing[0].contains("name=\"app\"") && closing[0].contains("cause=asked to close"),
        "{out}"
    );
    assert!(
        closing[1].contains("cause=closed by its parent `app`"),
        "{out}"
    );
}

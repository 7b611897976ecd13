// The expansion is clean under the strictest common lint settings, and
// does not depend on the prelude: user types named like std's are in scope.
#![deny(warnings, clippy::all, missing_docs, unreachable_pub, unused_qualifications)]
//! A crate with public and private process structs.

use goprocess::{init, process, run, teardown, Handle, Process, Start};

#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct Arc;
#[allow(dead_code)]
struct Box;
#[allow(dead_code)]
struct String;
#[allow(dead_code)]
trait Send {}
#[allow(dead_code)]
trait Sync {}
#[allow(dead_code)]
fn drop() {}

/// A public process.
#[process]
pub struct Http {
    #[child]
    listener: Process,
}

impl Http {
    #[teardown]
    async fn stop(&self) -> std::result::Result<(), std::io::Error> {
        Ok(())
    }
}

#[process]
struct Db {
    #[child]
    pool: std::vec::Vec<Process>,
    #[child]
    #[wait_for(pool)]
    writer: std::option::Option<Process>,
}

impl Db {
    #[teardown]
    fn flush(&self) {}

    #[run]
    async fn serve(&self, me: Process) -> std::result::Result<(), std::io::Error> {
        me.closing().await;
        Ok(())
    }
}

/// A public process with a public init that hands its run a value.
#[process]
pub struct Bound {
    #[child]
    conns: Process,
}

impl Bound {
    /// Binds.
    #[init]
    pub async fn bind(&self) -> std::result::Result<u16, std::io::Error> {
        Ok(80)
    }

    #[run]
    async fn serve(&self, port: u16) {
        let _ = port;
    }
}

/// A public process with a public run.
#[process]
pub struct Ticker {
    #[child(name = "clock")]
    tick: Process,
}

impl Ticker {
    /// Ticks until closed.
    #[run]
    pub async fn tick(&self) {}
}

#[process]
struct App {
    #[child]
    http: Handle<Http>,
    #[child]
    #[wait_for(http)]
    db: Handle<Db>,
    #[child(no_wait)]
    metrics: Process,
    #[wait_for]
    journal: Process,
    name: &'static str,
}

fn main() {
    let _ = App::shutdown_plan().stages();
    let _ = Ticker::shutdown_plan().to_string();
    let _ = Bound::startup_plan().to_string();
    let _ = |conns: Process| Handle::launch(&Bound { conns }.prepare());
    let _ = |tick: Process| Ticker { tick }.start();
    let _ = |listener: Process, writer: Process, metrics: Process, journal: Process| {
        let http = Http { listener }.start();
        let db = Db { pool: std::vec::Vec::new(), writer: Some(writer) }.start();
        let app = App { http, db, metrics, journal, name: "app" }.start();
        app.name
    };
}

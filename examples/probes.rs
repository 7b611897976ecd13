//! Readiness and liveness probes, and the top level in one call.
//!
//! An axum server answers `/readyz` and `/livez` from `app.health()`: 200,
//! or 503, with the health's text as the body (what is not ready or not
//! live, and why). A cache that needs a moment to warm up holds the
//! service's readiness off until it calls `set_ready()`. `Shutdown::run`
//! runs the whole service: it waits until the tree is ready (systemd hears
//! `READY=1`), then for SIGTERM or Ctrl-C; then readiness drops at once,
//! the server keeps serving through the drain delay (so a load balancer
//! stops sending requests first), and the close runs within the grace
//! budget: the server drains, then the cache flushes.
//!
//! By default the example probes itself over HTTP while it starts, once it
//! is ready, and after sending itself a SIGTERM, then exits. Run it with
//! `cargo run --example probes`; with `-- --until-signal` it serves until
//! Ctrl-C or SIGTERM (try `curl -i http://ADDR/readyz` meanwhile; a second
//! signal exits at once). docs/guide.md, "Running under systemd and
//! Kubernetes", has the pod spec and the unit file that go with it.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use goprocess::Process;
use goprocess::signal::Shutdown;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// How long the cache takes to warm up before it is ready.
const WARM_UP: Duration = Duration::from_millis(300);
/// Readiness drops at the signal; the close starts this much later. A pod
/// behind a Service wants a few seconds (endpoints are removed
/// asynchronously); one keeps the example short.
const DRAIN_DELAY: Duration = Duration::from_secs(1);
/// The close budget once the close starts: below Kubernetes' 30 s
/// `terminationGracePeriodSeconds`, minus the drain delay.
const GRACE: Duration = Duration::from_secs(20);

/// `/readyz`: is the service ready for traffic?
async fn readyz(State(app): State<Process>) -> (StatusCode, String) {
    let health = app.health();
    (status(health.is_ready()), format!("{health}\n"))
}

/// `/livez`: should the service be restarted? A graceful shutdown stays
/// live; a failed part, a budget that ran out or a supervisor that gave up
/// does not.
async fn livez(State(app): State<Process>) -> (StatusCode, String) {
    let health = app.health();
    (status(health.is_live()), format!("{health}\n"))
}

fn status(ok: bool) -> StatusCode {
    if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let until_signal = std::env::args().any(|a| a == "--until-signal");
    let app = Process::new().named("app");

    // Not ready until it is warm: until then, neither is the app.
    let cache = app
        .child()
        .named("cache")
        .signals_ready()
        .go(|me| async move {
            tokio::time::sleep(WARM_UP).await; // load the hot keys
            println!("cache: warm");
            me.set_ready();
            me.closing().await;
        });

    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("a bound listener's address");
    let router = Router::new()
        .route("/readyz", get(readyz))
        .route("/livez", get(livez))
        .with_state(app.clone());
    let http = app.child().named("http").go(move |me| async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(me.closing())
            .await
    });
    // The cache flushes once the server has drained (its last requests
    // may still write to it).
    if let Err(e) = cache.wait_for(&http) {
        eprintln!("cannot order the cache after the server: {e}");
        return ExitCode::FAILURE;
    }
    let flush = cache.set_teardown(|| {
        println!("cache: flushed");
        Ok(())
    });
    if let Err(e) = flush {
        eprintln!("cannot set the cache's flush: {e}");
        return ExitCode::FAILURE;
    }
    println!("probes: listening on http://{addr}");

    // The signal handlers are installed here, before anything can signal.
    let shutdown = Shutdown::new()
        .grace(GRACE)
        .drain_delay(DRAIN_DELAY)
        .force_exit_on_second(true)
        .run(&app);
    let client = if until_signal {
        println!(
            "probes: serving until Ctrl-C or SIGTERM (twice exits at once); \
             try curl -i http://{addr}/readyz"
        );
        None
    } else {
        Some(tokio::spawn(probe_yourself(addr, app.clone())))
    };
    let result = shutdown.await;
    if let Some(client) = client {
        match client.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                println!("probes: the self-check failed: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                println!("probes: the self-check panicked: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match result {
        Ok(()) => {
            println!("probes: closed cleanly");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("probes: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a kubelet sees: the probes while the service starts, once it is
/// ready, and after a SIGTERM.
async fn probe_yourself(addr: SocketAddr, app: Process) -> std::io::Result<()> {
    // Starting: not ready (no traffic yet), but live (no restart).
    probe(addr, "/readyz").await?;
    probe(addr, "/livez").await?;
    until(addr, "/readyz", 200).await?;

    println!("\n== SIGTERM (simulated) ==\n");
    sigterm(&app)?;
    // Draining: not ready (the endpoints go), still live, still serving.
    until(addr, "/readyz", 503).await?;
    probe(addr, "/livez").await?;
    // Then the close: the server stops accepting and drains.
    for _ in 0..500 {
        if let Err(e) = TcpStream::connect(addr).await {
            println!("after the drain delay: {e}");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(std::io::Error::other("the server still accepts after 10 s"))
}

/// Sends this program a SIGTERM, as `kubectl delete pod` or `systemctl
/// stop` would.
#[cfg(unix)]
fn sigterm(_app: &Process) -> std::io::Result<()> {
    signal_hook::low_level::raise(signal_hook::consts::SIGTERM)
}

#[cfg(not(unix))]
fn sigterm(app: &Process) -> std::io::Result<()> {
    println!("(no SIGTERM here: closing the app by hand)");
    app.request_close();
    Ok(())
}

/// One probe, printed as `GET /readyz -> 503 not ready: …`.
async fn probe(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let (status, body) = http_get(addr, path).await?;
    println!("GET {path} -> {status} {}", body.trim_end());
    Ok(status)
}

/// Probes `path` every 20 ms until it answers `want` (at most 10 s), and
/// prints that answer.
async fn until(addr: SocketAddr, path: &str, want: u16) -> std::io::Result<()> {
    for _ in 0..500 {
        let (status, body) = http_get(addr, path).await?;
        if status == want {
            println!("GET {path} -> {status} {}", body.trim_end());
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(std::io::Error::other(format!(
        "{path} did not answer {want} within 10 s"
    )))
}

/// A plain HTTP/1.1 GET over a TcpStream: the status code and the body.
async fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .map_err(|_| std::io::Error::other("no answer in 5 s"))??;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("not HTTP: {response:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    Ok((status, body.to_string()))
}

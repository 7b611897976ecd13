//! Graceful HTTP shutdown with axum: the server runs in a process, and
//! closing the process stops accepting connections, lets the requests in
//! flight finish, and only then reports the server closed.
//!
//! The example sends itself a few requests, closes the server while a slow
//! request is still being answered, and checks that this request got its
//! answer and that new connections are refused. It ends by itself.
//!
//! Run with `cargo run --example axum_server`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use goprocess::Process;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = Process::new().named("app");

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let slow_started = Arc::new(Notify::new());
    let router = Router::new()
        .route("/", get(|| async { "hello from goprocess\n" }))
        .route("/slow", get(slow))
        .with_state(slow_started.clone());

    // The server is a child of `app`: closing `app` fires `closing()`,
    // which starts axum's graceful shutdown; `app.close()` returns once
    // axum has finished every request in flight.
    app.go(move |me| async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(me.closing())
            .await
    })
    .named("http");
    println!("listening on http://{addr}");

    for _ in 0..3 {
        println!("GET / -> {}", get_body(addr, "/").await?.trim_end());
    }

    // A request that takes a while, in flight when the close begins.
    let slow_request = tokio::spawn(get_body(addr, "/slow"));
    tokio::time::timeout(Duration::from_secs(5), slow_started.notified()).await?;
    println!("closing the server while GET /slow is in flight");
    app.close_within(Duration::from_secs(5)).await?;
    println!("server closed");

    let answer = slow_request.await??;
    println!(
        "GET /slow -> {} (answered before the close returned)",
        answer.trim_end()
    );
    match TcpStream::connect(addr).await {
        Err(e) => println!("new connections are refused: {e}"),
        Ok(_) => return Err("the server still accepts connections".into()),
    }
    Ok(())
}

async fn slow(State(started): State<Arc<Notify>>) -> &'static str {
    started.notify_one();
    tokio::time::sleep(Duration::from_millis(200)).await;
    "slow work done\n"
}

/// A plain HTTP/1.1 GET over a TcpStream; returns the body.
async fn get_body(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .map_err(|_| std::io::Error::other("no answer in 5 s"))??;
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_string()),
        _ => Err(std::io::Error::other(format!(
            "unexpected answer: {response:?}"
        ))),
    }
}

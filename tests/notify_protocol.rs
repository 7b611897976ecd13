//! `goprocess::notify`: systemd's notify protocol against real Unix
//! datagram sockets (a path in the temporary directory, and Linux's
//! abstract namespace). The functions that read `NOTIFY_SOCKET` run in a
//! subprocess (this test binary, re-invoked with an environment variable
//! naming the test), so that no test changes its own environment.
#![cfg(unix)]

mod common;

use std::io::ErrorKind;
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::within_blocking;
use goprocess::notify::{self, Notifier};

const CHILD: &str = "GOPROCESS_NOTIFY_TEST_CHILD";

/// A unique name for a socket of this test process.
fn unique(what: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "goprocess-notify-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A path in the temporary directory, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(what: &str) -> TempPath {
        let path = std::env::temp_dir().join(format!("{}.sock", unique(what)));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A datagram socket standing for the service manager, and the address a
/// notifier reaches it at (as in `NOTIFY_SOCKET`).
struct Manager {
    socket: UnixDatagram,
    address: String,
    _path: Option<TempPath>,
}

impl Manager {
    /// Bound to a path in the temporary directory.
    fn at_path() -> Manager {
        let path = TempPath::new("manager");
        let socket = UnixDatagram::bind(&path.0).unwrap();
        Manager::ready(socket, path.0.to_str().unwrap().to_string(), Some(path))
    }

    /// Bound to a name in the abstract namespace.
    #[cfg(target_os = "linux")]
    fn abstract_name() -> Manager {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::net::SocketAddr;

        let name = unique("abstract");
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&addr).unwrap();
        Manager::ready(socket, format!("@{name}"), None)
    }

    fn ready(socket: UnixDatagram, address: String, path: Option<TempPath>) -> Manager {
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Manager {
            socket,
            address,
            _path: path,
        }
    }

    fn notifier(&self) -> Notifier {
        Notifier::new(&self.address).unwrap()
    }

    /// The next datagram (bounded: none within 10 s fails the test).
    fn recv(&self) -> Vec<u8> {
        let mut buf = vec![0; 8192];
        let n = self.socket.recv(&mut buf).expect("no datagram within 10 s");
        buf.truncate(n);
        buf
    }

    /// Asserts that nothing more was received.
    fn assert_empty(&self) {
        self.socket.set_nonblocking(true).unwrap();
        let mut buf = [0; 64];
        let got = self.socket.recv(&mut buf);
        assert_eq!(
            got.as_ref().map_err(|e| e.kind()).map(|&n| &buf[..n]),
            Err(ErrorKind::WouldBlock),
            "an unexpected datagram"
        );
        self.socket.set_nonblocking(false).unwrap();
    }
}

/// Sends the four messages with `notifier` and checks their exact bytes,
/// one datagram each, in order.
fn assert_four_messages(manager: &Manager, notifier: &Notifier) {
    notifier.ready().unwrap();
    notifier.stopping().unwrap();
    notifier.status("serving 12 connections").unwrap();
    notifier.watchdog().unwrap();
    assert_eq!(manager.recv(), b"READY=1");
    assert_eq!(manager.recv(), b"STOPPING=1");
    assert_eq!(manager.recv(), b"STATUS=serving 12 connections");
    assert_eq!(manager.recv(), b"WATCHDOG=1");
    manager.assert_empty();
}

#[test]
fn each_message_is_one_datagram_of_its_exact_bytes_on_a_path() {
    let manager = Manager::at_path();
    assert_four_messages(&manager, &manager.notifier());
}

#[cfg(target_os = "linux")]
#[test]
fn each_message_is_one_datagram_of_its_exact_bytes_in_the_abstract_namespace() {
    let manager = Manager::abstract_name();
    assert!(manager.address.starts_with('@'));
    assert_four_messages(&manager, &manager.notifier());
}

#[test]
fn a_status_with_line_breaks_arrives_as_one_line() {
    let manager = Manager::at_path();
    let notifier = manager.notifier();
    notifier.status("failed:\nREADY=1\r\nagain\0").unwrap();
    assert_eq!(manager.recv(), b"STATUS=failed: READY=1 again ");
    notifier.status("").unwrap();
    assert_eq!(manager.recv(), b"STATUS=");
    manager.assert_empty();
}

#[test]
fn a_status_longer_than_a_message_is_cut_to_fit() {
    let manager = Manager::at_path();
    manager.notifier().status(&"z".repeat(10_000)).unwrap();
    let got = String::from_utf8(manager.recv()).unwrap();
    // 4096 bytes: the most systemd reads of one datagram.
    assert_eq!(got.len(), 4096);
    assert!(got.starts_with("STATUS=zzz") && got.ends_with("z…"));
}

#[test]
fn a_notifier_is_cloned_and_shows_its_address() {
    let manager = Manager::at_path();
    let notifier = manager.notifier();
    let copy = notifier.clone();
    assert_eq!(copy.address(), manager.address.as_str());
    assert!(format!("{copy:?}").contains(&manager.address));
    copy.ready().unwrap();
    assert_eq!(manager.recv(), b"READY=1");
}

/// `f` returns an error within 10 s, of kind `kind`, whose message names
/// `address`.
fn assert_err_within(
    address: &str,
    kind: ErrorKind,
    f: impl FnOnce() -> std::io::Result<()> + Send + 'static,
) -> std::io::Error {
    let err = within_blocking(f).expect_err("an error");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.to_string().contains(address), "{err}");
    err
}

#[test]
fn a_path_with_no_socket_is_not_found() {
    let path = TempPath::new("nowhere");
    let notifier = Notifier::new(&path.0).unwrap();
    let address = path.0.to_str().unwrap().to_string();
    assert_err_within(&address, ErrorKind::NotFound, move || notifier.ready());
}

#[test]
fn a_socket_file_nobody_listens_on_refuses() {
    let path = TempPath::new("closed");
    drop(UnixDatagram::bind(&path.0).unwrap()); // leaves the file behind
    assert!(path.0.exists());
    let notifier = Notifier::new(&path.0).unwrap();
    let address = path.0.to_str().unwrap().to_string();
    assert_err_within(&address, ErrorKind::ConnectionRefused, move || {
        notifier.watchdog()
    });
}

#[test]
fn a_regular_file_or_a_stream_socket_is_an_error() {
    let file = TempPath::new("file");
    std::fs::write(&file.0, b"not a socket").unwrap();
    let notifier = Notifier::new(&file.0).unwrap();
    let address = file.0.to_str().unwrap().to_string();
    assert_err_within(&address, ErrorKind::ConnectionRefused, move || {
        notifier.ready()
    });

    let stream = TempPath::new("stream");
    let _listener = UnixListener::bind(&stream.0).unwrap();
    let notifier = Notifier::new(&stream.0).unwrap();
    let err = within_blocking(move || notifier.ready()).expect_err("an error");
    assert!(
        err.to_string().contains(stream.0.to_str().unwrap()),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_abstract_name_nobody_listens_on_refuses() {
    let address = format!("@{}", unique("unbound"));
    let notifier = Notifier::new(&address).unwrap();
    assert_err_within(&address, ErrorKind::ConnectionRefused, move || {
        notifier.ready()
    });
}

/// Sends watchdog pings to a manager that never reads until one fails, and
/// returns that error. The queue of a Unix datagram socket holds a few
/// messages (`net.unix.max_dgram_qlen`, 10 by default on Linux), so the
/// sends fail well before the bound.
fn fill(notifier: Notifier) -> (std::io::Error, usize, Duration) {
    within_blocking(move || {
        let start = Instant::now();
        for sent in 0..100_000 {
            if let Err(e) = notifier.watchdog() {
                return (e, sent, start.elapsed());
            }
        }
        panic!("100000 datagrams sent to a socket nobody reads");
    })
}

#[test]
fn a_full_socket_fails_the_send_within_a_bound_instead_of_blocking() {
    let manager = Manager::at_path();
    let (err, sent, elapsed) = fill(manager.notifier());
    assert!(sent >= 1, "the first messages fit in the queue");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    if cfg!(target_os = "linux") {
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert!(err.to_string().contains("not reading"), "{err}");
    }
    assert!(err.to_string().contains(&manager.address), "{err}");
    // The messages that fitted are intact.
    assert_eq!(manager.recv(), b"WATCHDOG=1");
}

#[test]
fn bad_addresses_are_refused_with_invalid_input() {
    let too_long = format!("/tmp/{}", "x".repeat(200));
    for bad in [
        "",
        "notify.sock",
        "run/systemd/notify",
        "@",
        "/run/a\0b",
        &too_long,
    ] {
        let err = Notifier::new(bad).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
        assert!(err.to_string().contains("notify socket address"), "{err}");
    }
    let err = Notifier::new(&too_long).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    let err = Notifier::new("notify.sock").unwrap_err();
    assert!(err.to_string().contains("absolute path"), "{err}");
    let err = Notifier::new("vsock:2:1234").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}

// ---- the functions that read NOTIFY_SOCKET, each in a subprocess ----

/// True in the subprocess that runs `test`'s scenario.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(test)
}

/// Runs `test` alone in a subprocess with `NOTIFY_SOCKET` set to `socket`
/// (unset for `None`), and returns its output (bounded: a subprocess that
/// hangs is killed and fails the test).
fn run_child(test: &str, socket: Option<&str>, extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    match socket {
        Some(socket) => command.env("NOTIFY_SOCKET", socket),
        None => command.env_remove("NOTIFY_SOCKET"),
    };
    let child = command.spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("hung: the subprocess for {test} did not exit in 30 s");
        }
    }
}

/// Asserts that the subprocess passed, and ran the scenario (not just an
/// empty test).
fn assert_child_passed(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("scenario done"),
        "status {:?}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn without_notify_socket_every_function_sends_nothing_and_returns_false() {
    const NAME: &str = "without_notify_socket_every_function_sends_nothing_and_returns_false";
    if is_child(NAME) {
        assert!(std::env::var_os("NOTIFY_SOCKET").is_none());
        assert!(!notify::ready().unwrap());
        assert!(!notify::stopping().unwrap());
        assert!(!notify::status("anything\nat all").unwrap());
        assert!(!notify::watchdog().unwrap());
        assert!(Notifier::from_env().unwrap().is_none());
        println!("scenario done");
        return;
    }
    assert_child_passed(&run_child(NAME, None, &[]));
}

/// The child's half of the scenarios that send: the four functions, each
/// `Ok(true)`.
fn send_the_four_from_the_environment() {
    assert!(notify::ready().unwrap());
    assert!(notify::stopping().unwrap());
    assert!(notify::status("draining: http").unwrap());
    assert!(notify::watchdog().unwrap());
    let from_env = Notifier::from_env().unwrap().expect("NOTIFY_SOCKET is set");
    assert_eq!(
        Some(from_env.address()),
        std::env::var_os("NOTIFY_SOCKET").as_deref()
    );
    println!("scenario done");
}

fn assert_received_the_four(manager: &Manager) {
    assert_eq!(manager.recv(), b"READY=1");
    assert_eq!(manager.recv(), b"STOPPING=1");
    assert_eq!(manager.recv(), b"STATUS=draining: http");
    assert_eq!(manager.recv(), b"WATCHDOG=1");
    manager.assert_empty();
}

#[test]
fn with_notify_socket_a_path_each_function_sends_its_message_and_returns_true() {
    const NAME: &str = "with_notify_socket_a_path_each_function_sends_its_message_and_returns_true";
    if is_child(NAME) {
        return send_the_four_from_the_environment();
    }
    let manager = Manager::at_path();
    assert_child_passed(&run_child(NAME, Some(&manager.address), &[]));
    assert_received_the_four(&manager);
}

#[cfg(target_os = "linux")]
#[test]
fn with_notify_socket_an_abstract_name_each_function_sends_its_message_and_returns_true() {
    const NAME: &str =
        "with_notify_socket_an_abstract_name_each_function_sends_its_message_and_returns_true";
    if is_child(NAME) {
        return send_the_four_from_the_environment();
    }
    let manager = Manager::abstract_name();
    assert_child_passed(&run_child(NAME, Some(&manager.address), &[]));
    assert_received_the_four(&manager);
}

/// The kind every function must fail with, passed to the child.
const EXPECTED_KIND: &str = "GOPROCESS_NOTIFY_TEST_EXPECTED_KIND";

#[test]
fn a_bad_notify_socket_is_an_err_from_every_function_never_a_panic_or_a_hang() {
    const NAME: &str = "a_bad_notify_socket_is_an_err_from_every_function_never_a_panic_or_a_hang";
    if is_child(NAME) {
        let expected = std::env::var(EXPECTED_KIND).unwrap();
        let results = [
            notify::ready(),
            notify::stopping(),
            notify::status("x"),
            notify::watchdog(),
        ];
        for result in results {
            let err = result.expect_err("an error");
            assert_eq!(format!("{:?}", err.kind()), expected, "{err}");
            assert!(err.to_string().contains("NOTIFY_SOCKET"), "{err}");
        }
        assert_eq!(
            format!("{:?}", Notifier::from_env().unwrap_err().kind()),
            expected
        );
        println!("scenario done");
        return;
    }
    let too_long = format!("/tmp/{}", "x".repeat(200));
    let nowhere = TempPath::new("nowhere");
    let mut cases: Vec<(String, &str)> = vec![
        (String::new(), "InvalidInput"),
        ("notify.sock".into(), "InvalidInput"),
        ("@".into(), "InvalidInput"),
        (too_long, "InvalidInput"),
        ("vsock:2:1234".into(), "Unsupported"),
    ];
    let mut unreachable: Vec<(String, &str)> =
        vec![(nowhere.0.to_str().unwrap().to_string(), "NotFound")];
    if cfg!(target_os = "linux") {
        unreachable.push((format!("@{}", unique("unbound")), "ConnectionRefused"));
    } else {
        cases.push(("@name".into(), "Unsupported"));
    }
    // An invalid address fails before anything is sent, so from_env fails
    // too; an unreachable one is a valid address (from_env succeeds).
    for (socket, kind) in &cases {
        let out = run_child(NAME, Some(socket), &[(EXPECTED_KIND, kind)]);
        assert_child_passed(&out);
    }
    for (socket, kind) in &unreachable {
        let out = run_child(
            "an_unreachable_notify_socket_is_an_err_from_every_function",
            Some(socket),
            &[(EXPECTED_KIND, kind)],
        );
        assert_child_passed(&out);
    }
}

#[test]
fn an_unreachable_notify_socket_is_an_err_from_every_function() {
    const NAME: &str = "an_unreachable_notify_socket_is_an_err_from_every_function";
    if !is_child(NAME) {
        return; // run by the test above
    }
    let expected = std::env::var(EXPECTED_KIND).unwrap();
    assert!(Notifier::from_env().unwrap().is_some());
    let results = [
        notify::ready(),
        notify::stopping(),
        notify::status("x"),
        notify::watchdog(),
    ];
    for result in results {
        let err = result.expect_err("an error");
        assert_eq!(format!("{:?}", err.kind()), expected, "{err}");
        let socket = std::env::var("NOTIFY_SOCKET").unwrap();
        assert!(err.to_string().contains(&socket), "{err}");
    }
    println!("scenario done");
}

#[test]
fn a_full_notify_socket_fails_the_send_within_a_bound() {
    const NAME: &str = "a_full_notify_socket_fails_the_send_within_a_bound";
    if is_child(NAME) {
        let start = Instant::now();
        let mut sent = 0;
        let err = loop {
            match notify::watchdog() {
                Ok(true) => sent += 1,
                Ok(false) => panic!("NOTIFY_SOCKET is set"),
                Err(e) => break e,
            }
            assert!(sent < 100_000, "100000 datagrams to a socket nobody reads");
        };
        assert!(sent >= 1);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        if cfg!(target_os = "linux") {
            assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
        }
        println!("scenario done after {sent} datagrams: {err}");
        return;
    }
    let manager = Manager::at_path(); // never reads until the child is done
    assert_child_passed(&run_child(NAME, Some(&manager.address), &[]));
    assert_eq!(manager.recv(), b"WATCHDOG=1");
}

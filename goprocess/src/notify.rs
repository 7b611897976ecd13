//! systemd's notify protocol ([`sd_notify(3)`]), in safe Rust: no C
//! library, no dependency, one Unix datagram per message.
//!
//! A service that systemd starts with `Type=notify` finds the address of
//! the service manager's socket in the environment variable
//! `NOTIFY_SOCKET`, and tells it that it is ready (`READY=1`), that it is
//! stopping (`STOPPING=1`), what it is doing (`STATUS=…`, shown by
//! `systemctl status`), and, when the unit sets `WatchdogSec=`, that it is
//! still alive (`WATCHDOG=1`). [`ready`], [`stopping`], [`status`] and
//! [`watchdog`] send these messages to the socket that `NOTIFY_SOCKET`
//! names and return `Ok(true)`; without the variable (and on non-Unix
//! targets) they send nothing and return `Ok(false)`, so the same program
//! runs unchanged outside systemd. [`Notifier`] sends them to an address
//! you give, or reads the environment once.
//!
//! `signal::Shutdown::run` speaks this protocol for a whole service (ready
//! once the tree is, stopping when it closes, watchdog pings while it is
//! live); call these functions yourself when you run the top level by hand.
//!
//! ```
//! use goprocess::notify;
//!
//! // … start the service …
//! if notify::ready()? {
//!     println!("systemd knows we are ready");
//! }
//! notify::status("serving 12 connections")?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # The rules
//!
//! 1. **Addresses.** `NOTIFY_SOCKET` is an absolute path
//!    (`/run/systemd/notify`) or, on Linux and Android, `@name`: the name
//!    in the abstract socket namespace (no file). Anything else is an
//!    error: an empty or relative value, or a path too long for a Unix
//!    socket address, is `InvalidInput`; `@name` on other systems, and
//!    systemd's `vsock:` addresses (for virtual machines), are
//!    `Unsupported`.
//! 2. **Messages.** A message is one datagram of `KEY=VALUE` assignments
//!    separated by `\n`, without a trailing newline: [`ready`] sends exactly
//!    `READY=1`, [`stopping`] `STOPPING=1`, [`watchdog`] `WATCHDOG=1`, and
//!    [`status`] `STATUS=` followed by the text.
//! 3. **Status text is sanitised, never refused.** The protocol splits on
//!    line breaks, so a text containing one could inject other assignments
//!    (`"done\nREADY=1"`), and systemd drops a whole message that contains
//!    a NUL byte or is longer than 4096 bytes. So each line break (`\r\n`,
//!    `\n` or `\r`) and each NUL in a status text becomes one space, and a
//!    text that would make the message longer than 4096 bytes is cut at a
//!    character boundary and ends with `…`. A multi-line error message
//!    thus shows as one line.
//! 4. **No hang.** A send waits at most one second for room in the
//!    receiver's queue (a manager that does not read), then fails with
//!    `TimedOut`. A send to a live manager does not wait.
//! 5. **No panic.** Every failure is an `Err` naming the address.
//! 6. **The environment is only read.** Unlike `sd_notify`'s
//!    `unset_environment`, nothing here removes `NOTIFY_SOCKET` (removing
//!    a variable is `unsafe` once threads run): child processes inherit
//!    it, and systemd's default `NotifyAccess=main` ignores their
//!    messages.
//!
//! # Errors
//!
//! Each function returns the [`io::Error`] of a message that could not be
//! sent, with the address in its message and the kind of the cause:
//! `NotFound` (no socket at that path), `ConnectionRefused` (a file or an
//! abstract name that nobody listens on), `PermissionDenied`, `TimedOut`
//! (rule 4), `InvalidInput` or `Unsupported` (rule 1). A service usually
//! logs the error and carries on: systemd then acts as for a missing
//! message (a start that times out, a watchdog that fires).
//!
//! [`sd_notify(3)`]: https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::time::Duration;

const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
const WATCHDOG_USEC: &str = "WATCHDOG_USEC";
const WATCHDOG_PID: &str = "WATCHDOG_PID";

/// The most the service manager reads of one datagram (`PIPE_BUF`); it
/// drops a longer message whole.
const MAX_MESSAGE: usize = 4096;

/// How long a send waits for room in the receiver's queue: enough for a
/// busy manager to catch up, short enough that a stuck one costs one
/// message rather than the service.
#[cfg(unix)]
const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// Tells the service manager that the service is ready (`READY=1`): with
/// `Type=notify`, systemd considers the start finished and starts the units
/// ordered after it.
///
/// Returns `Ok(true)` once sent, `Ok(false)` without `NOTIFY_SOCKET` (or on
/// a non-Unix target).
///
/// # Errors
///
/// If `NOTIFY_SOCKET` is not a valid address or the message cannot be
/// sent; see the [module docs](self#errors).
///
/// ```
/// let sent = goprocess::notify::ready()?;
/// // false outside systemd: nothing to tell
/// # let _ = sent;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ready() -> io::Result<bool> {
    send(&[State::Ready])
}

/// Tells the service manager that the service is stopping (`STOPPING=1`),
/// so that `systemctl status` shows it deactivating while it drains.
///
/// Returns `Ok(true)` once sent, `Ok(false)` without `NOTIFY_SOCKET` (or on
/// a non-Unix target).
///
/// # Errors
///
/// If `NOTIFY_SOCKET` is not a valid address or the message cannot be
/// sent; see the [module docs](self#errors).
///
/// ```
/// if let Err(e) = goprocess::notify::stopping() {
///     eprintln!("cannot tell systemd that we are stopping: {e}");
/// }
/// ```
pub fn stopping() -> io::Result<bool> {
    send(&[State::Stopping])
}

/// Sends a one-line status text (`STATUS=…`), shown by `systemctl status`.
/// Line breaks and NUL bytes become spaces, and a text too long for one
/// message is cut (see [rule 3](self#the-rules)).
///
/// Returns `Ok(true)` once sent, `Ok(false)` without `NOTIFY_SOCKET` (or on
/// a non-Unix target).
///
/// # Errors
///
/// If `NOTIFY_SOCKET` is not a valid address or the message cannot be
/// sent; see the [module docs](self#errors).
///
/// ```
/// goprocess::notify::status("loading 3 of 5 shards")?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn status(text: &str) -> io::Result<bool> {
    send(&[State::Status(text)])
}

/// Tells the service manager that the service is alive (`WATCHDOG=1`).
/// With `WatchdogSec=` in the unit, systemd kills a service that sends no
/// such ping for that long; `signal::Shutdown::run` pings at half that
/// interval for as long as the process tree is live.
///
/// Returns `Ok(true)` once sent, `Ok(false)` without `NOTIFY_SOCKET` (or on
/// a non-Unix target).
///
/// # Errors
///
/// If `NOTIFY_SOCKET` is not a valid address or the message cannot be
/// sent; see the [module docs](self#errors).
///
/// ```
/// goprocess::notify::watchdog()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn watchdog() -> io::Result<bool> {
    send(&[State::Watchdog])
}

/// Sends several assignments in one datagram to the socket that
/// `NOTIFY_SOCKET` names; `Ok(false)` without it.
pub(crate) fn send(states: &[State<'_>]) -> io::Result<bool> {
    match Notifier::from_env()? {
        Some(notifier) => notifier.send(states).map(|()| true),
        None => Ok(false),
    }
}

/// Asks the service manager not to time the current start or stop out
/// for `extra` from now, even past `TimeoutStartSec=` or `TimeoutStopSec=`
/// (`EXTEND_TIMEOUT_USEC=…`); to extend again, send another before it
/// runs out. `Ok(false)` without `NOTIFY_SOCKET`.
pub(crate) fn extend_timeout(extra: Duration) -> io::Result<bool> {
    send(&[State::ExtendTimeout(extra)])
}

/// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, as
/// `sd_watchdog_enabled(3)` recommends, when the variable is set and
/// `WATCHDOG_PID` is unset or names this process. `None` otherwise; a
/// malformed or zero value is also `None`, with a `warn` event saying why.
pub(crate) fn watchdog_interval() -> Option<Duration> {
    if cfg!(not(unix)) {
        return None;
    }
    let usec = std::env::var_os(WATCHDOG_USEC);
    let pid = std::env::var_os(WATCHDOG_PID);
    report_watchdog(parse_watchdog(
        usec.as_deref(),
        pid.as_deref(),
        std::process::id(),
    ))
}

/// The interval, or `None` with a `warn` event saying why there is none.
fn report_watchdog(parsed: Result<Option<Duration>, String>) -> Option<Duration> {
    match parsed {
        Ok(interval) => interval,
        Err(reason) => {
            tracing::warn!("goprocess::notify: no watchdog pings: {reason}");
            None
        }
    }
}

/// The ping interval that `WATCHDOG_USEC` and `WATCHDOG_PID` ask of process
/// `own_pid`, or why they are malformed.
fn parse_watchdog(
    usec: Option<&OsStr>,
    pid: Option<&OsStr>,
    own_pid: u32,
) -> Result<Option<Duration>, String> {
    let Some(usec) = usec else {
        return Ok(None);
    };
    let micros = match usec.to_str().map(str::parse::<u64>) {
        Some(Ok(micros)) if micros != 0 && micros != u64::MAX => micros,
        _ => {
            return Err(format!(
                "{WATCHDOG_USEC}={usec:?} is not a positive, finite number of microseconds"
            ));
        }
    };
    if let Some(pid) = pid {
        match pid.to_str().map(str::parse::<u32>) {
            Some(Ok(pid)) if pid != 0 => {
                if pid != own_pid {
                    return Ok(None); // the pings are asked of another process
                }
            }
            _ => return Err(format!("{WATCHDOG_PID}={pid:?} is not a process id")),
        }
    }
    Ok(Some(Duration::from_micros(micros) / 2))
}

/// One assignment of a notify message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State<'a> {
    /// `READY=1`
    Ready,
    /// `STOPPING=1`
    Stopping,
    /// `STATUS=…`, sanitised (rule 3).
    Status(&'a str),
    /// `WATCHDOG=1`
    Watchdog,
    /// `EXTEND_TIMEOUT_USEC=…`, rounded up to a microsecond.
    ExtendTimeout(Duration),
}

/// The datagram for `states`: their assignments separated by `\n`, the
/// status texts sanitised and cut so that it fits in [`MAX_MESSAGE`].
fn encode(states: &[State<'_>]) -> String {
    let mut fixed = states.len().saturating_sub(1); // the separators
    for state in states {
        fixed += match state {
            State::Ready => "READY=1".len(),
            State::Stopping => "STOPPING=1".len(),
            State::Watchdog => "WATCHDOG=1".len(),
            State::Status(_) => "STATUS=".len(),
            State::ExtendTimeout(extra) => format!("EXTEND_TIMEOUT_USEC={}", micros(*extra)).len(),
        };
    }
    let mut room = MAX_MESSAGE.saturating_sub(fixed);
    let mut out = String::with_capacity(fixed.min(MAX_MESSAGE));
    for (i, state) in states.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match state {
            State::Ready => out.push_str("READY=1"),
            State::Stopping => out.push_str("STOPPING=1"),
            State::Watchdog => out.push_str("WATCHDOG=1"),
            State::Status(text) => {
                out.push_str("STATUS=");
                let start = out.len();
                push_status(&mut out, text, room);
                room = room.saturating_sub(out.len() - start);
            }
            State::ExtendTimeout(extra) => {
                out.push_str("EXTEND_TIMEOUT_USEC=");
                out.push_str(&micros(*extra).to_string());
            }
        }
    }
    out
}

/// Microseconds, rounded up (a wish for more time is never shortened),
/// saturating at `u64::MAX` (systemd's "infinity").
fn micros(d: Duration) -> u64 {
    let whole = d.as_micros() + u128::from(!d.subsec_nanos().is_multiple_of(1000));
    u64::try_from(whole).unwrap_or(u64::MAX)
}

/// Appends `text` to `out` on one line (each `\r\n`, `\n`, `\r` or NUL
/// becomes a space), using at most `room` bytes: a longer text is cut at a
/// character boundary and ends with `…`.
fn push_status(out: &mut String, text: &str, room: usize) {
    const ELLIPSIS: &str = "…";
    let mut line = String::with_capacity(text.len().min(room));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                line.push(' ');
            }
            '\n' | '\0' => line.push(' '),
            c => line.push(c),
        }
        if line.len() > room {
            break;
        }
    }
    if line.len() > room {
        let mut end = room.saturating_sub(ELLIPSIS.len());
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        if room >= ELLIPSIS.len() {
            line.push_str(ELLIPSIS);
        }
    }
    out.push_str(&line);
}

/// A notify socket address, checked once, to send messages to.
///
/// [`from_env`](Notifier::from_env) reads `NOTIFY_SOCKET` (the free
/// functions of this module read it at each call);
/// [`new`](Notifier::new) takes an address of the same form, which lets a
/// program (or a test) talk to a socket of its own without touching its
/// environment. Each message is one datagram on a new socket, so a
/// `Notifier` holds no file descriptor and can be cloned and shared
/// freely.
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::net::UnixDatagram;
/// use goprocess::notify::Notifier;
///
/// let path = std::env::temp_dir().join(format!("notify-doc-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let manager = UnixDatagram::bind(&path)?; // stands for systemd
///
/// let notifier = Notifier::new(&path)?;
/// notifier.ready()?;
/// let mut buf = [0; 64];
/// let n = manager.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"READY=1");
/// # std::fs::remove_file(&path)?;
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Notifier {
    address: OsString,
    #[cfg(unix)]
    socket: std::os::unix::net::SocketAddr,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("address", &self.address)
            .finish()
    }
}

impl Notifier {
    /// The notifier for the socket that `NOTIFY_SOCKET` names, or `None`
    /// when the variable is not set (always `None` on a non-Unix target).
    ///
    /// # Errors
    ///
    /// As [`Notifier::new`], when `NOTIFY_SOCKET` is not a valid address.
    ///
    /// ```
    /// use goprocess::notify::Notifier;
    ///
    /// match Notifier::from_env()? {
    ///     Some(notifier) => notifier.ready()?,
    ///     None => {} // not started by systemd
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_env() -> io::Result<Option<Notifier>> {
        if cfg!(not(unix)) {
            return Ok(None);
        }
        match std::env::var_os(NOTIFY_SOCKET) {
            Some(address) => Notifier::parse(&address, NOTIFY_SOCKET).map(Some),
            None => Ok(None),
        }
    }

    /// The notifier for `address`, written as in `NOTIFY_SOCKET`: an
    /// absolute path, or `@name` for a name in Linux's abstract socket
    /// namespace. Nothing is sent, and the socket need not exist yet.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an empty or relative address, an empty `@`, a NUL
    /// byte, or an address too long for a Unix socket (107 bytes on Linux,
    /// 103 on macOS and the BSDs); `Unsupported` for `@name` on a system
    /// other than Linux and Android, for a `vsock:` address, and on
    /// non-Unix targets.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use goprocess::notify::Notifier;
    ///
    /// # #[cfg(unix)]
    /// assert!(Notifier::new("/run/systemd/notify").is_ok());
    /// let err = Notifier::new("run/notify").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn new(address: impl AsRef<OsStr>) -> io::Result<Notifier> {
        Notifier::parse(address.as_ref(), "notify socket address")
    }

    /// The address this notifier sends to, as given.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let notifier = goprocess::notify::Notifier::new("/run/systemd/notify")?;
    /// assert_eq!(notifier.address(), "/run/systemd/notify");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn address(&self) -> &OsStr {
        &self.address
    }

    /// Sends `READY=1`, as [`ready`] does.
    ///
    /// # Errors
    ///
    /// If the message cannot be sent; see the [module docs](self#errors).
    ///
    /// ```
    /// # use goprocess::notify::Notifier;
    /// if let Some(notifier) = Notifier::from_env()? {
    ///     notifier.ready()?;
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn ready(&self) -> io::Result<()> {
        self.send(&[State::Ready])
    }

    /// Sends `STOPPING=1`, as [`stopping`] does.
    ///
    /// # Errors
    ///
    /// If the message cannot be sent; see the [module docs](self#errors).
    ///
    /// ```
    /// # use goprocess::notify::Notifier;
    /// if let Some(notifier) = Notifier::from_env()? {
    ///     notifier.stopping()?;
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stopping(&self) -> io::Result<()> {
        self.send(&[State::Stopping])
    }

    /// Sends `STATUS=` and `text` on one line, as [`status`] does.
    ///
    /// # Errors
    ///
    /// If the message cannot be sent; see the [module docs](self#errors).
    ///
    /// ```
    /// # use goprocess::notify::Notifier;
    /// if let Some(notifier) = Notifier::from_env()? {
    ///     notifier.status("warming the cache")?;
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn status(&self, text: &str) -> io::Result<()> {
        self.send(&[State::Status(text)])
    }

    /// Sends `WATCHDOG=1`, as [`watchdog`] does.
    ///
    /// # Errors
    ///
    /// If the message cannot be sent; see the [module docs](self#errors).
    ///
    /// ```
    /// # use goprocess::notify::Notifier;
    /// if let Some(notifier) = Notifier::from_env()? {
    ///     notifier.watchdog()?;
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn watchdog(&self) -> io::Result<()> {
        self.send(&[State::Watchdog])
    }

    /// Sends `states` in one datagram.
    pub(crate) fn send(&self, states: &[State<'_>]) -> io::Result<()> {
        let message = encode(states);
        self.send_datagram(message.as_bytes())
    }

    #[cfg(unix)]
    fn parse(address: &OsStr, what: &str) -> io::Result<Notifier> {
        let socket = socket_addr(address).map_err(|(kind, problem)| {
            io::Error::new(kind, format!("{what} {address:?}: {problem}"))
        })?;
        Ok(Notifier {
            address: address.to_owned(),
            socket,
        })
    }

    #[cfg(not(unix))]
    fn parse(address: &OsStr, what: &str) -> io::Result<Notifier> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{what} {address:?}: Unix sockets do not exist on this platform"),
        ))
    }

    #[cfg(unix)]
    fn send_datagram(&self, message: &[u8]) -> io::Result<()> {
        use std::os::unix::net::UnixDatagram;

        let fail = |e: io::Error| self.error(e);
        let socket = UnixDatagram::unbound().map_err(fail)?;
        socket.set_write_timeout(Some(SEND_TIMEOUT)).map_err(fail)?;
        let sent = socket.send_to_addr(message, &self.socket).map_err(fail)?;
        if sent != message.len() {
            return Err(fail(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("sent {sent} of {} bytes", message.len()),
            )));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn send_datagram(&self, _message: &[u8]) -> io::Result<()> {
        Err(self.error(io::ErrorKind::Unsupported.into()))
    }

    /// `e`, with the address in its message. A send that timed out
    /// (`EAGAIN` after `SO_SNDTIMEO`) becomes `TimedOut`.
    fn error(&self, e: io::Error) -> io::Error {
        let kind = match e.kind() {
            io::ErrorKind::WouldBlock => io::ErrorKind::TimedOut,
            kind => kind,
        };
        let hint = if kind == io::ErrorKind::TimedOut {
            " (its receiver is not reading: the queue stayed full)"
        } else {
            ""
        };
        io::Error::new(
            kind,
            SendError {
                address: self.address.clone(),
                hint,
                source: e,
            },
        )
    }
}

/// A failed send: the address, then the cause (kept as the source).
#[derive(Debug)]
struct SendError {
    address: OsString,
    hint: &'static str,
    source: io::Error,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot notify the service manager at {:?}{}: {}",
            self.address, self.hint, self.source
        )
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The socket address that `address` names, or the kind and text of what
/// is wrong with it.
#[cfg(unix)]
fn socket_addr(address: &OsStr) -> Result<std::os::unix::net::SocketAddr, (io::ErrorKind, String)> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::SocketAddr;

    let invalid = |problem: String| (io::ErrorKind::InvalidInput, problem);
    let bytes = address.as_bytes();
    match bytes.first() {
        None => Err(invalid(
            "empty; expected an absolute path or @name".to_string(),
        )),
        Some(_) if bytes.contains(&0) => Err(invalid("contains a NUL byte".to_string())),
        Some(b'/') => SocketAddr::from_pathname(address).map_err(|_| {
            invalid(format!(
                "{} bytes is too long for a Unix socket path (at most 107 bytes on Linux, 103 on macOS and the BSDs)",
                bytes.len()
            ))
        }),
        Some(b'@') if bytes.len() == 1 => Err(invalid(
            "an empty abstract socket name; expected @name".to_string(),
        )),
        Some(b'@') => abstract_addr(&bytes[1..]),
        Some(_) if bytes.starts_with(b"vsock") => Err((
            io::ErrorKind::Unsupported,
            "vsock notify sockets (of virtual machines) are not supported".to_string(),
        )),
        Some(_) => Err(invalid(
            "a relative path; expected an absolute path or @name".to_string(),
        )),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_addr(name: &[u8]) -> Result<std::os::unix::net::SocketAddr, (io::ErrorKind, String)> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;

    std::os::unix::net::SocketAddr::from_abstract_name(name).map_err(|_| {
        (
            io::ErrorKind::InvalidInput,
            format!(
                "a {}-byte name is too long for an abstract socket (at most 107 bytes after the @)",
                name.len()
            ),
        )
    })
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn abstract_addr(_name: &[u8]) -> Result<std::os::unix::net::SocketAddr, (io::ErrorKind, String)> {
    Err((
        io::ErrorKind::Unsupported,
        "abstract socket names (@name) exist only on Linux and Android".to_string(),
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A socket bound in the temporary directory, standing for the
    /// service manager; its file goes away with it.
    struct Manager {
        socket: UnixDatagram,
        path: PathBuf,
    }

    impl Manager {
        fn bind() -> Manager {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "goprocess-notify-unit-{}-{}.sock",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_file(&path);
            let socket = UnixDatagram::bind(&path).unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            Manager { socket, path }
        }

        fn notifier(&self) -> Notifier {
            Notifier::new(&self.path).unwrap()
        }

        fn recv(&self) -> String {
            let mut buf = vec![0; 2 * MAX_MESSAGE];
            let n = self.socket.recv(&mut buf).expect("no message in 10 s");
            String::from_utf8(buf[..n].to_vec()).unwrap()
        }
    }

    impl Drop for Manager {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    #[test]
    fn each_state_encodes_as_its_assignment() {
        assert_eq!(encode(&[State::Ready]), "READY=1");
        assert_eq!(encode(&[State::Stopping]), "STOPPING=1");
        assert_eq!(encode(&[State::Watchdog]), "WATCHDOG=1");
        assert_eq!(encode(&[State::Status("up")]), "STATUS=up");
        assert_eq!(encode(&[State::Status("")]), "STATUS=");
        assert_eq!(
            encode(&[State::ExtendTimeout(Duration::from_secs(90))]),
            "EXTEND_TIMEOUT_USEC=90000000"
        );
    }

    #[test]
    fn several_states_share_one_datagram_separated_by_newlines() {
        let manager = Manager::bind();
        manager
            .notifier()
            .send(&[
                State::Stopping,
                State::Status("closing: db"),
                State::ExtendTimeout(Duration::from_millis(1500)),
            ])
            .unwrap();
        assert_eq!(
            manager.recv(),
            "STOPPING=1\nSTATUS=closing: db\nEXTEND_TIMEOUT_USEC=1500000"
        );
    }

    #[test]
    fn extend_timeout_rounds_up_to_a_microsecond_and_saturates() {
        assert_eq!(micros(Duration::from_nanos(1)), 1);
        assert_eq!(micros(Duration::from_nanos(1_001)), 2);
        assert_eq!(micros(Duration::from_micros(7)), 7);
        assert_eq!(micros(Duration::ZERO), 0);
        assert_eq!(micros(Duration::MAX), u64::MAX);
    }

    #[test]
    fn line_breaks_and_nul_in_a_status_become_spaces() {
        assert_eq!(encode(&[State::Status("a\nREADY=1")]), "STATUS=a READY=1");
        assert_eq!(encode(&[State::Status("a\r\nb\rc\0d")]), "STATUS=a b c d");
        assert_eq!(encode(&[State::Status("\n\n")]), "STATUS=  ");
        assert_eq!(encode(&[State::Status("tab\tkept")]), "STATUS=tab\tkept");
    }

    #[test]
    fn a_long_status_is_cut_at_a_char_boundary_to_fit_one_message() {
        // 'é' is two bytes: a cut at an odd offset would split one.
        let text = "é".repeat(5000);
        for states in [
            vec![State::Status(&text)],
            vec![State::Stopping, State::Status(&text), State::Watchdog],
        ] {
            let message = encode(&states);
            assert!(message.len() <= MAX_MESSAGE, "{} bytes", message.len());
            assert!(message.len() >= MAX_MESSAGE - 4, "{} bytes", message.len());
            let status = message
                .lines()
                .find_map(|l| l.strip_prefix("STATUS="))
                .unwrap();
            assert!(status.ends_with("é…"), "{:?}", &status[status.len() - 8..]);
        }
        let both = encode(&[State::Stopping, State::Status(&text), State::Watchdog]);
        assert!(both.starts_with("STOPPING=1\nSTATUS=é"));
        assert!(both.ends_with("…\nWATCHDOG=1"));

        let exact = "x".repeat(MAX_MESSAGE - "STATUS=".len());
        assert_eq!(encode(&[State::Status(&exact)]).len(), MAX_MESSAGE);
        assert!(!encode(&[State::Status(&exact)]).ends_with('…'));
    }

    #[test]
    fn a_status_as_long_as_a_message_reaches_the_receiver_whole() {
        let manager = Manager::bind();
        let text = "y".repeat(3 * MAX_MESSAGE);
        manager.notifier().status(&text).unwrap();
        let got = manager.recv();
        assert_eq!(got.len(), MAX_MESSAGE);
        assert!(got.starts_with("STATUS=yyy") && got.ends_with("y…"));
    }

    #[test]
    fn watchdog_interval_is_half_of_watchdog_usec() {
        let os = |s: &str| OsString::from(s);
        assert_eq!(parse_watchdog(None, None, 42), Ok(None));
        assert_eq!(
            parse_watchdog(Some(&os("30000000")), None, 42),
            Ok(Some(Duration::from_secs(15)))
        );
        assert_eq!(
            parse_watchdog(Some(&os("3")), Some(&os("42")), 42),
            Ok(Some(Duration::from_nanos(1500)))
        );
        // For another process: no pings from this one, and nothing wrong.
        assert_eq!(
            parse_watchdog(Some(&os("3000")), Some(&os("7")), 42),
            Ok(None)
        );
        // WATCHDOG_PID alone means nothing.
        assert_eq!(parse_watchdog(None, Some(&os("42")), 42), Ok(None));
    }

    #[test]
    fn a_malformed_or_zero_watchdog_usec_is_an_error_not_a_panic() {
        let os = |s: &str| OsString::from(s);
        for usec in [
            "",
            "0",
            "-5",
            "abc",
            "1.5",
            " 10",
            "18446744073709551615",
            "99999999999999999999",
        ] {
            let err = parse_watchdog(Some(&os(usec)), None, 42).unwrap_err();
            assert!(err.contains("WATCHDOG_USEC"), "{usec:?}: {err}");
        }
        for pid in ["", "0", "x", "-1"] {
            let err = parse_watchdog(Some(&os("1000")), Some(&os(pid)), 42).unwrap_err();
            assert!(err.contains("WATCHDOG_PID"), "{pid:?}: {err}");
        }
        use std::os::unix::ffi::OsStrExt;
        let not_utf8 = OsStr::from_bytes(b"\xff");
        assert!(parse_watchdog(Some(not_utf8), None, 42).is_err());
    }

    #[test]
    fn a_malformed_watchdog_usec_logs_a_warning() {
        use std::sync::Mutex;
        use tracing::subscriber::with_default;

        /// Records the message of each `warn` event.
        struct Warnings(Mutex<Vec<String>>);
        struct Message<'a>(&'a mut String);
        impl tracing::field::Visit for Message<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                if field.name() == "message" {
                    *self.0 = format!("{value:?}");
                }
            }
        }
        impl tracing::Subscriber for Warnings {
            fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, event: &tracing::Event<'_>) {
                if *event.metadata().level() == tracing::Level::WARN {
                    let mut text = String::new();
                    event.record(&mut Message(&mut text));
                    self.0.lock().unwrap().push(text);
                }
            }
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }

        let warnings = std::sync::Arc::new(Warnings(Mutex::new(Vec::new())));
        with_default(warnings.clone(), || {
            assert_eq!(
                report_watchdog(Err("WATCHDOG_USEC=\"0\" is wrong".into())),
                None
            );
            assert_eq!(
                report_watchdog(Ok(Some(Duration::from_secs(1)))),
                Some(Duration::from_secs(1))
            );
        });
        let got = warnings.0.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("no watchdog pings") && got[0].contains("WATCHDOG_USEC"));
    }

    #[test]
    fn addresses_are_checked_when_the_notifier_is_made() {
        use io::ErrorKind::{InvalidInput, Unsupported};
        let kind = |a: &str| Notifier::new(a).unwrap_err().kind();
        assert_eq!(kind(""), InvalidInput);
        assert_eq!(kind("notify.sock"), InvalidInput);
        assert_eq!(kind("./notify.sock"), InvalidInput);
        assert_eq!(kind("@"), InvalidInput);
        assert_eq!(kind("/run/a\0b"), InvalidInput);
        assert_eq!(kind(&format!("/{}", "p".repeat(200))), InvalidInput);
        assert_eq!(kind("vsock:2:1234"), Unsupported);
        if cfg!(any(target_os = "linux", target_os = "android")) {
            assert_eq!(kind(&format!("@{}", "n".repeat(200))), InvalidInput);
            assert!(Notifier::new("@some/name").is_ok());
        } else {
            assert_eq!(kind("@some/name"), Unsupported);
        }
        assert!(Notifier::new("/run/systemd/notify").is_ok());
    }
}

//! Processes closed by OS signals (Go's `WithSignals`).
//!
//! [`with_signals`](crate::with_signals) (Unix; at the crate root, as in
//! Go) makes a root process that closes on the first of the given signals;
//! [`shutdown_signals`] does the same for the usual shutdown signals
//! (`SIGINT` and `SIGTERM` on Unix, Ctrl-C on Windows); [`Shutdown`] adds
//! options, such as exiting at once on a second signal during a slow
//! shutdown.
//!
//! # The rules
//!
//! 1. The signal handlers are installed before the function returns: a
//!    signal that arrives afterwards is never lost, and never kills the
//!    program with the default action.
//! 2. The first signal starts closing the process (if nothing else has).
//! 3. Unlike Go, the listeners go away as soon as they are of no more use:
//!    when the process starts closing (or, with
//!    [`force_exit_on_second`](Shutdown::force_exit_on_second), when it has
//!    closed), whatever the reason. No task is left behind.
//! 4. Tokio never gives a signal back to the operating system once it has
//!    handled it: after the listeners are gone, such a signal is ignored
//!    rather than killing the program. Use
//!    [`force_exit_on_second`](Shutdown::force_exit_on_second) so that an
//!    impatient user can still stop a slow shutdown.
//!
//! ```no_run
//! # #[tokio::main]
//! # async fn main() {
//! let app = goprocess::signal::shutdown_signals(); // SIGINT or SIGTERM closes it
//! app.go(|me| async move {
//!     me.closing().await; // serve until then
//! });
//! app.closed().await; // Ctrl-C: the workers return, then main does
//! # }
//! ```

use std::io;
use std::task::{Context, Poll};

#[cfg(unix)]
#[doc(inline)]
pub use tokio::signal::unix::SignalKind;

use crate::Process;

/// A process closed by the first shutdown signal: `SIGINT` (Ctrl-C) or
/// `SIGTERM` on Unix, Ctrl-C on Windows. The same as
/// `Shutdown::new().start()`.
///
/// # Panics
///
/// If no tokio runtime with an I/O driver is running on this thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = goprocess::signal::shutdown_signals();
/// // … serve until Ctrl-C …
/// # app.close().await.unwrap();
/// app.closed().await;
/// # }
/// ```
#[track_caller]
pub fn shutdown_signals() -> Process {
    Shutdown::new().start()
}

/// Makes a process closed by signals, with options.
///
/// ```no_run
/// # #[tokio::main]
/// # async fn main() {
/// use goprocess::signal::Shutdown;
///
/// // Ctrl-C or SIGTERM closes `app`; a second one while it is still
/// // closing exits the program at once (status 130 or 143).
/// let app = Shutdown::new().force_exit_on_second(true).start();
/// app.closed().await;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Shutdown {
    #[cfg(unix)]
    signals: Vec<SignalKind>,
    force_exit: bool,
}

impl Default for Shutdown {
    /// Same as [`Shutdown::new`].
    fn default() -> Shutdown {
        Shutdown::new()
    }
}

impl Shutdown {
    /// The usual shutdown signals (`SIGINT` and `SIGTERM` on Unix, Ctrl-C on
    /// Windows), without forced exit.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::signal::Shutdown::new().start();
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    pub fn new() -> Shutdown {
        Shutdown {
            #[cfg(unix)]
            signals: vec![SignalKind::interrupt(), SignalKind::terminate()],
            force_exit: false,
        }
    }

    /// Listens for `signals` instead of the usual ones (duplicates are
    /// ignored; none at all gives a process that only closes by hand).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goprocess::signal::{Shutdown, SignalKind};
    ///
    /// let p = Shutdown::new().signals([SignalKind::user_defined1()]).start();
    /// # p.close().await.unwrap();
    /// # }
    /// ```
    #[cfg(unix)]
    pub fn signals<I>(mut self, signals: I) -> Shutdown
    where
        I: IntoIterator<Item = SignalKind>,
    {
        let mut signals: Vec<SignalKind> = signals.into_iter().collect();
        signals.sort_by_key(SignalKind::as_raw_value);
        signals.dedup();
        self.signals = signals;
        self
    }

    /// With `true`, a second signal that arrives while the process is still
    /// closing ends the program at once with
    /// [`std::process::exit`] (no destructor, teardown or flush runs), with
    /// the shell's status for death by that signal: 128 + its number (130
    /// for `SIGINT`, 143 for `SIGTERM`; 130 for Ctrl-C on Windows). A
    /// `warn` event is logged through `tracing` first.
    ///
    /// The first signal starts closing the process, unless it is closing
    /// already (closed by hand): then it counts as the first anyway, and the
    /// next one exits. The listeners stay until the process has closed.
    /// Default: `false` (the listeners go away when closing begins, and
    /// later signals are ignored, see the [module docs](crate::signal)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::signal::Shutdown::new().force_exit_on_second(true).start();
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    pub fn force_exit_on_second(mut self, yes: bool) -> Shutdown {
        self.force_exit = yes;
        self
    }

    /// Installs the handlers and returns the process they close.
    ///
    /// # Panics
    ///
    /// As [`try_start`](Self::try_start) would fail, or if no tokio runtime
    /// is running on this thread.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = goprocess::signal::Shutdown::new().start();
    /// # app.close().await.unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn start(self) -> Process {
        match self.try_start() {
            Ok(p) => p,
            Err(e) => panic!("goprocess::signal: {e}"),
        }
    }

    /// Installs the handlers and returns the process they close, or the
    /// error that prevented it (nothing is left installed by this call
    /// then, except handlers tokio had already installed for earlier
    /// signals of the set, which tokio never removes).
    ///
    /// # Errors
    ///
    /// If a signal cannot be handled (`SIGKILL`, `SIGSTOP`, `SIGILL`,
    /// `SIGFPE`, `SIGSEGV`, or not a signal number), or the operating
    /// system refuses the handler.
    ///
    /// # Panics
    ///
    /// If no tokio runtime is running on this thread, or it has no I/O
    /// driver (build it with `enable_all()` or `enable_io()`; tokio's panic
    /// says so).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # #[cfg(unix)] {
    /// use goprocess::signal::{Shutdown, SignalKind};
    ///
    /// let err = Shutdown::new().signals([SignalKind::from_raw(9)]).try_start().unwrap_err();
    /// assert!(err.to_string().contains("signal 9")); // SIGKILL cannot be handled
    /// # }
    /// # }
    /// ```
    #[track_caller]
    pub fn try_start(self) -> io::Result<Process> {
        let handle = crate::runtime::require("goprocess::signal");
        let mut listener = {
            // Signal registration finds the runtime through the context.
            let _entered = handle.enter();
            self.listen()?
        };
        let p = Process::new();
        let force_exit = self.force_exit;
        let me = p.clone();
        tracing::debug!(parent: p.span(), signals = ?listener.describe(), force_exit, "signals: listening");
        drop(handle.spawn(async move {
            let span = me.span();
            let mut closing = std::pin::pin!(me.closing());
            let mut closed = std::pin::pin!(me.closed());
            let mut first = true;
            loop {
                let received = tokio::select! {
                    biased;
                    _ = &mut closing, if !force_exit => break,
                    _ = &mut closed, if force_exit => break,
                    r = std::future::poll_fn(|cx| listener.poll_recv(cx)) => r,
                };
                if first {
                    first = false;
                    tracing::debug!(parent: span, signal = %received.name, "signals: received, closing");
                    me.close_for_signal(received.name.clone().into());
                    if !force_exit {
                        return;
                    }
                } else {
                    tracing::warn!(
                        parent: span,
                        signal = %received.name,
                        code = received.exit_code,
                        "signals: second signal during shutdown, exiting now"
                    );
                    std::process::exit(received.exit_code);
                }
            }
            tracing::debug!(parent: span, "signals: closed, listeners removed");
        }));
        Ok(p)
    }

    #[cfg(unix)]
    #[track_caller]
    fn listen(&self) -> io::Result<Listener> {
        let mut streams = Vec::with_capacity(self.signals.len());
        for &kind in &self.signals {
            let stream = tokio::signal::unix::signal(kind).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot listen for signal {} ({e}); SIGKILL, SIGSTOP, SIGILL, SIGFPE and \
                         SIGSEGV cannot be handled",
                        kind.as_raw_value()
                    ),
                )
            })?;
            streams.push((kind, stream));
        }
        Ok(Listener { streams })
    }

    #[cfg(windows)]
    #[track_caller]
    fn listen(&self) -> io::Result<Listener> {
        let ctrl_c = tokio::signal::windows::ctrl_c()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen for Ctrl-C ({e})")))?;
        Ok(Listener { ctrl_c })
    }

    #[cfg(not(any(unix, windows)))]
    fn listen(&self) -> io::Result<Listener> {
        Ok(Listener {})
    }
}

/// One signal received, and the exit status that stands for it.
struct Received {
    name: String,
    exit_code: i32,
}

/// The registered listeners; dropping it removes them.
struct Listener {
    #[cfg(unix)]
    streams: Vec<(SignalKind, tokio::signal::unix::Signal)>,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl Listener {
    #[cfg(unix)]
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        for (kind, stream) in &mut self.streams {
            // tokio's `Signal` never yields `None`.
            if stream.poll_recv(cx).is_ready() {
                return Poll::Ready(Received {
                    name: signal_name(*kind),
                    exit_code: 128 + kind.as_raw_value(),
                });
            }
        }
        Poll::Pending
    }

    #[cfg(windows)]
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        self.ctrl_c.poll_recv(cx).map(|_| Received {
            name: "Ctrl-C".to_owned(),
            exit_code: 130,
        })
    }

    #[cfg(not(any(unix, windows)))]
    fn poll_recv(&mut self, _cx: &mut Context<'_>) -> Poll<Received> {
        Poll::Pending
    }

    fn describe(&self) -> Vec<String> {
        #[cfg(unix)]
        return self.streams.iter().map(|(k, _)| signal_name(*k)).collect();
        #[cfg(windows)]
        return vec!["Ctrl-C".to_owned()];
        #[cfg(not(any(unix, windows)))]
        return Vec::new();
    }
}

#[cfg(unix)]
fn signal_name(kind: SignalKind) -> String {
    let known = [
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::quit(), "SIGQUIT"),
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::user_defined1(), "SIGUSR1"),
        (SignalKind::user_defined2(), "SIGUSR2"),
        (SignalKind::alarm(), "SIGALRM"),
        (SignalKind::child(), "SIGCHLD"),
        (SignalKind::pipe(), "SIGPIPE"),
        (SignalKind::window_change(), "SIGWINCH"),
    ];
    match known.iter().find(|(k, _)| *k == kind) {
        Some((_, name)) => (*name).to_owned(),
        None => format!("signal {}", kind.as_raw_value()),
    }
}

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
//!    program with the default action. One raised before is not seen.
//! 2. The first signal starts closing the process (if nothing else has).
//!    Signals are counted one by one: two in quick succession are two.
//! 3. Unlike Go, the listeners go away as soon as they are of no more use:
//!    when the process starts closing, whatever the reason. No task is
//!    left behind. With
//!    [`force_exit_on_second`](Shutdown::force_exit_on_second), once the
//!    shutdown has begun, they stay for as long as the program's runtime
//!    runs: the shutdown they guard is the program's, however long it
//!    takes and whatever it closes.
//! 4. A handler, once installed, is never given back to the operating
//!    system (tokio does the same): after the listeners are gone, such a
//!    signal is ignored rather than killing the program. Use
//!    [`force_exit_on_second`](Shutdown::force_exit_on_second), or
//!    [`Shutdown::run`], so that an impatient user can still stop a slow
//!    shutdown.
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

use std::future::Future;
use std::io;
use std::task::{Context, Poll};
use std::time::Duration;

#[cfg(unix)]
#[doc(inline)]
pub use tokio::signal::unix::SignalKind;

use crate::{AsProcess, Error, Process};

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
    grace: Option<Duration>,
    drain_delay: Duration,
    start_budget: Option<Duration>,
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
            grace: None,
            drain_delay: Duration::ZERO,
            start_budget: None,
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
    /// next one exits. Once the process is closing, the listeners stay for
    /// as long as the runtime they run on (the program's shutdown, however
    /// long it takes after this process has closed; the common pattern
    /// closes the app once this process has, see [`Shutdown::run`] for the
    /// one call that does it all). Default: `false` (the listeners go away
    /// when closing begins, and later signals are ignored, see the
    /// [module docs](crate::signal)).
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

    /// The close budget of [`run`](Self::run) once a signal has arrived,
    /// or once the app closes by itself: SIGTERM's grace period. Pick it
    /// below what the orchestrator gives before it kills the program:
    /// Kubernetes' `terminationGracePeriodSeconds` (30 s by default, minus
    /// any `preStop` hook and [`drain_delay`](Self::drain_delay)), systemd's
    /// `TimeoutStopSec` (90 s by default; `run` asks systemd for more time,
    /// `EXTEND_TIMEOUT_USEC`, when the grace is longer). Without it, `run`
    /// waits for the close as long as it takes. Give the teardowns that must
    /// run after a part that may hang a
    /// [reserve](crate::Process::set_teardown_reserve) of it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let shutdown = goprocess::signal::Shutdown::new().grace(Duration::from_secs(20));
    /// # let _ = shutdown;
    /// ```
    pub fn grace(mut self, budget: Duration) -> Shutdown {
        self.grace = Some(budget);
        self
    }

    /// With [`run`](Self::run): at the first signal, readiness drops at once
    /// ([`Process::health`] says not ready, systemd hears the status), and
    /// the close begins only `delay` later, so load balancers stop sending
    /// new requests first (Kubernetes removes a pod's endpoints
    /// asynchronously). A second signal meanwhile exits at once with
    /// [`force_exit_on_second`](Self::force_exit_on_second). Default: none.
    ///
    /// ```
    /// use std::time::Duration;
    /// let shutdown = goprocess::signal::Shutdown::new().drain_delay(Duration::from_secs(5));
    /// # let _ = shutdown;
    /// ```
    pub fn drain_delay(mut self, delay: Duration) -> Shutdown {
        self.drain_delay = delay;
        self
    }

    /// With [`run`](Self::run): the start budget. If the app is not ready
    /// within `budget`, its start fails with
    /// [`ErrorKind::StartTimeout`](crate::ErrorKind::StartTimeout), naming
    /// what was not ready, and it is rolled back
    /// ([`Process::ready_within`]). Default: none (systemd's
    /// `TimeoutStartSec`, or a Kubernetes startup probe, bound it from
    /// outside).
    ///
    /// ```
    /// use std::time::Duration;
    /// let shutdown = goprocess::signal::Shutdown::new().start_within(Duration::from_secs(30));
    /// # let _ = shutdown;
    /// ```
    pub fn start_within(mut self, budget: Duration) -> Shutdown {
        self.start_budget = Some(budget);
        self
    }

    /// Runs `app` as the service's top level, the one call at the end of
    /// `main`:
    ///
    /// 1. the signal handlers are installed when `run` is called (so a
    ///    signal during the start is never lost);
    /// 2. it waits until the app is [ready](Process::ready) (sending
    ///    systemd `READY=1`, and `STATUS=` lines naming what it still waits
    ///    for meanwhile), then for the first signal, or for the app to close
    ///    by itself (a failure, its work done);
    /// 3. on a signal, readiness drops, and after the
    ///    [`drain_delay`](Self::drain_delay) the app is closed, its cause
    ///    [`CloseCause::Signal`](crate::CloseCause::Signal); a signal before
    ///    the app is ready aborts its start the same way (rollback);
    /// 4. the close runs within the [`grace`](Self::grace) budget
    ///    (`STOPPING=1`, and `STATUS=` lines naming what is still closing);
    ///    with [`force_exit_on_second`](Self::force_exit_on_second) a second
    ///    signal exits the program at once (130 for `SIGINT`, 143 for
    ///    `SIGTERM`) for as long as the app is not Closed;
    /// 5. when `WATCHDOG_USEC` is set, it sends `WATCHDOG=1` at half that
    ///    interval for as long as the tree is live ([`Process::health`]):
    ///    a part that failed, or a budget that ran out, stops the pings.
    ///
    /// Returns once the app is Closed (or at the grace deadline) with the
    /// app's result: its start failure, its own failure, or the grace
    /// budget's `Timeout`. The listeners are removed when it returns.
    ///
    /// # Errors
    ///
    /// The app's result, as above; [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// if a signal cannot be listened for (see [`try_start`](Self::try_start)).
    ///
    /// # Panics
    ///
    /// If no tokio runtime (with an I/O driver) is running on this thread.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use goprocess::Process;
    /// use goprocess::signal::Shutdown;
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<(), goprocess::Error> {
    ///     let app = Process::new().named("app");
    ///     app.child().named("http").signals_ready().go(|me| async move {
    ///         // bind, then:
    ///         me.set_ready();
    ///         me.closing().await;
    ///     });
    ///     Shutdown::new()
    ///         .grace(Duration::from_secs(20))
    ///         .force_exit_on_second(true)
    ///         .run(&app)
    ///         .await
    /// }
    /// ```
    #[track_caller]
    pub fn run(
        self,
        app: &impl AsProcess,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let app = app.as_process().clone();
        let handle = crate::runtime::require("Shutdown::run");
        let listener = {
            let _entered = handle.enter();
            self.listen()
        };
        top::run(self.to_options(), listener, app)
    }

    fn to_options(&self) -> top::Options {
        top::Options {
            force_exit: self.force_exit,
            grace: self.grace,
            drain_delay: self.drain_delay,
            start_budget: self.start_budget,
        }
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
            let mut first = true;
            loop {
                let received = tokio::select! {
                    biased;
                    _ = &mut closing, if !force_exit => break,
                    r = std::future::poll_fn(|cx| listener.poll_recv(cx)) => r,
                };
                if first && !me.is_closing() {
                    first = false;
                    tracing::debug!(parent: span, signal = %received.name, "signals: received, closing");
                    me.close_for_signal(received.name.clone().into());
                    if !force_exit {
                        return;
                    }
                } else if first {
                    // Closed by hand already: this one counts as the first.
                    first = false;
                    tracing::debug!(parent: span, signal = %received.name, "signals: received while closing");
                } else {
                    force_exit_now(span, &received);
                }
            }
            tracing::debug!(parent: span, "signals: closing, listeners removed");
        }));
        Ok(p)
    }

    #[cfg(unix)]
    #[track_caller]
    fn listen(&self) -> io::Result<Listener> {
        let mut streams = Vec::with_capacity(self.signals.len());
        for &kind in &self.signals {
            // On an error, the streams made so far unregister as they drop.
            let stream = SignalStream::new(kind).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot listen for signal {} ({e}); SIGKILL, SIGSTOP, SIGILL, SIGFPE and \
                         SIGSEGV cannot be handled",
                        kind.as_raw_value()
                    ),
                )
            })?;
            streams.push(stream);
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

/// A second signal during the shutdown: exits at once with the signal's
/// status, after a `warn` line.
fn force_exit_now(span: &tracing::Span, received: &Received) -> ! {
    tracing::warn!(
        parent: span,
        signal = %received.name,
        code = received.exit_code,
        "signals: second signal during shutdown, exiting now"
    );
    std::process::exit(received.exit_code)
}

/// One signal received, and the exit status that stands for it.
struct Received {
    name: String,
    exit_code: i32,
}

/// The registered listeners; dropping it removes them.
///
/// On Unix each signal kind has a handler that writes one byte to a socket
/// pair per signal (signal-hook's self-pipe): signals are counted one by
/// one (two in quick succession are two), and only those raised after the
/// registration are seen.
struct Listener {
    #[cfg(unix)]
    streams: Vec<SignalStream>,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

#[cfg(unix)]
struct SignalStream {
    kind: SignalKind,
    registration: signal_hook::SigId,
    read: tokio::net::UnixStream,
    /// Signals read from the pipe and not handed out yet.
    pending: usize,
}

#[cfg(unix)]
impl SignalStream {
    fn new(kind: SignalKind) -> io::Result<SignalStream> {
        let raw = kind.as_raw_value();
        if signal_hook::consts::FORBIDDEN.contains(&raw) || raw <= 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "its default action cannot be replaced",
            ));
        }
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        read.set_nonblocking(true)?;
        let registration = signal_hook::low_level::pipe::register(raw, write)?;
        let read = match tokio::net::UnixStream::from_std(read) {
            Ok(read) => read,
            Err(e) => {
                signal_hook::low_level::unregister(registration);
                return Err(e);
            }
        };
        Ok(SignalStream {
            kind,
            registration,
            read,
            pending: 0,
        })
    }

    /// One signal, if any arrived since the last.
    fn poll_one(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.pending == 0 {
            match self.read.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => {}
                // The pipe's end is gone (never while registered).
                Poll::Ready(Err(_)) | Poll::Pending => return Poll::Pending,
            }
            let mut bytes = [0u8; 64];
            match self.read.try_read(&mut bytes) {
                Ok(0) => return Poll::Pending,
                Ok(n) => self.pending += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Poll::Pending,
            }
        }
        self.pending -= 1;
        Poll::Ready(())
    }
}

#[cfg(unix)]
impl Drop for SignalStream {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.registration);
    }
}

impl Listener {
    #[cfg(unix)]
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        for stream in &mut self.streams {
            if stream.poll_one(cx).is_ready() {
                return Poll::Ready(Received {
                    name: signal_name(stream.kind),
                    exit_code: 128 + stream.kind.as_raw_value(),
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
        return self.streams.iter().map(|s| signal_name(s.kind)).collect();
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

/// The top level: what [`Shutdown::run`] does once the handlers are in.
mod top {
    use std::io;
    use std::time::Duration;

    use super::{Listener, Received, force_exit_now};
    use crate::notify;
    use crate::{Error, Process};

    pub(super) struct Options {
        pub(super) force_exit: bool,
        pub(super) grace: Option<Duration>,
        pub(super) drain_delay: Duration,
        pub(super) start_budget: Option<Duration>,
    }

    /// How often the `STATUS=` line is brought up to date.
    const STATUS_EVERY: Duration = Duration::from_secs(1);
    /// systemd's default `TimeoutStartSec` and `TimeoutStopSec`.
    const SYSTEMD_DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);

    /// Sends `states` to systemd, if it listens; a failure is reported
    /// once at `warn` level and then ignored (the service runs on).
    fn tell(states: &[notify::State<'_>], warned: &mut bool) {
        if let Err(e) = notify::send(states)
            && !std::mem::replace(warned, true)
        {
            tracing::warn!(target: "goprocess", error = %e, "systemd notification failed");
        }
    }

    pub(super) async fn run(
        options: Options,
        listener: io::Result<Listener>,
        app: Process,
    ) -> Result<(), Error> {
        let mut listener = listener.map_err(|e| {
            Error::invalid_input(format!("Shutdown::run cannot listen for its signals: {e}"))
        })?;
        let span = app.span().clone();
        tracing::debug!(parent: &span, signals = ?listener.describe(), "top level: running");
        // Its result is run's, returned to the caller: taken, not logged as
        // a failure nobody took.
        app.take_result();
        let mut warned = false;
        let mut watchdog = notify::watchdog_interval().map(tokio::time::interval);
        let mut status = tokio::time::interval(STATUS_EVERY);
        let mut last_status = String::new();
        let mut say = |text: String, warned: &mut bool| {
            if text != last_status {
                tell(&[notify::State::Status(&text)], warned);
                last_status = text;
            }
        };
        if let Some(budget) = options.start_budget
            && budget > SYSTEMD_DEFAULT_TIMEOUT
        {
            let _ = notify::extend_timeout(budget + Duration::from_secs(5));
        }

        // Start: until ready, a signal, or the app closing by itself.
        let mut signal: Option<Received> = None;
        let ready = {
            let app = app.clone();
            async move {
                match options.start_budget {
                    Some(budget) => app.ready_within(budget).await,
                    None => app.ready().await,
                }
            }
        };
        let mut ready = std::pin::pin!(ready);
        let mut started = false;
        loop {
            tokio::select! {
                biased;
                r = std::future::poll_fn(|cx| listener.poll_recv(cx)) => {
                    signal = Some(r);
                    break;
                }
                r = &mut ready => {
                    if r.is_ok() {
                        started = true;
                        tracing::debug!(parent: &span, "top level: ready");
                        tell(&[notify::State::Ready, notify::State::Status("ready")], &mut warned);
                    }
                    break;
                }
                _ = status.tick() => say(starting_status(&app), &mut warned),
                _ = tick(&mut watchdog) => ping_if_live(&app, &mut warned),
            }
        }
        // Serve: until a signal, or the app closing by itself.
        if started && signal.is_none() {
            let mut closing = std::pin::pin!(app.closing());
            loop {
                tokio::select! {
                    biased;
                    r = std::future::poll_fn(|cx| listener.poll_recv(cx)) => {
                        signal = Some(r);
                        break;
                    }
                    _ = &mut closing => break,
                    _ = tick(&mut watchdog) => ping_if_live(&app, &mut warned),
                }
            }
        }
        // Stop.
        if let Some(first) = &signal {
            tracing::debug!(parent: &span, signal = %first.name, "top level: signal, closing");
            // Nothing to drain before the app was ready: no endpoint serves.
            if started && !options.drain_delay.is_zero() && !app.is_closing() {
                app.set_draining();
                say(
                    format!("draining for {:?} before closing", options.drain_delay),
                    &mut warned,
                );
                let drain = tokio::time::sleep(options.drain_delay);
                let mut drain = std::pin::pin!(drain);
                loop {
                    tokio::select! {
                        biased;
                        r = std::future::poll_fn(|cx| listener.poll_recv(cx)) => {
                            if options.force_exit {
                                force_exit_now(&span, &r);
                            }
                        }
                        _ = &mut drain => break,
                        _ = tick(&mut watchdog) => ping_if_live(&app, &mut warned),
                    }
                }
            }
            app.close_for_signal(first.name.clone().into());
        }
        tell(&[notify::State::Stopping], &mut warned);
        if let Some(grace) = options.grace
            && grace > SYSTEMD_DEFAULT_TIMEOUT
        {
            let _ = notify::extend_timeout(grace + Duration::from_secs(5));
        }
        let close = {
            let app = app.clone();
            async move {
                match options.grace {
                    Some(grace) => app.close_within(grace).await,
                    None => app.close().await,
                }
            }
        };
        let mut close = std::pin::pin!(close);
        let result = loop {
            tokio::select! {
                biased;
                result = &mut close => break result,
                r = std::future::poll_fn(|cx| listener.poll_recv(cx)) => {
                    if options.force_exit {
                        force_exit_now(&span, &r);
                    }
                    tracing::debug!(parent: &span, signal = %r.name, "top level: another signal while closing");
                }
                _ = status.tick() => say(stopping_status(&app), &mut warned),
                _ = tick(&mut watchdog) => ping_if_live(&app, &mut warned),
            }
        };
        match &result {
            Ok(()) => tracing::debug!(parent: &span, "top level: closed"),
            Err(e) => tracing::debug!(parent: &span, error = %e, "top level: closed with an error"),
        }
        drop(listener);
        result
    }

    /// The next watchdog tick, or never without a watchdog.
    async fn tick(watchdog: &mut Option<tokio::time::Interval>) {
        match watchdog {
            Some(interval) => {
                interval.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    /// A watchdog that proves progress: pinged only while the tree is live.
    fn ping_if_live(app: &Process, warned: &mut bool) {
        let health = app.health();
        if health.is_live() {
            tell(&[notify::State::Watchdog], warned);
        } else {
            tracing::warn!(parent: app.span(), %health, "top level: not live, watchdog not pinged");
        }
    }

    fn starting_status(app: &Process) -> String {
        let waits = crate::process::ready::report(app);
        if waits.is_empty() {
            "starting".to_owned()
        } else {
            format!("starting: {}", waits.join(", "))
        }
    }

    fn stopping_status(app: &Process) -> String {
        let report = app.shutdown_report();
        if report.is_empty() {
            "stopping".to_owned()
        } else {
            let names: Vec<String> = report
                .open()
                .iter()
                .take(8)
                .map(|o| format!("`{}`", o.display_name()))
                .collect();
            format!("stopping: waiting for {}", names.join(", "))
        }
    }
}

//! Where tasks run: the current tokio runtime, a remembered one, or a
//! small fallback runtime for async teardowns that must run when a process
//! is closed from a plain thread; and where work that may block runs while
//! a close budget is counting.

use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use tokio::runtime::Handle;

thread_local! {
    /// This thread may block: a blocking-pool thread this crate started,
    /// or a caller of `close_blocking` (which blocks anyway).
    static MAY_BLOCK: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is a runtime's worker that must not block (a sync
/// teardown of a close under a budget leaves it: the budget's timer, and
/// the `close_within` awaiting it, may need this very thread, the only
/// one of a current-thread runtime). Threads that may block, and plain
/// threads, keep such work.
pub(crate) fn on_runtime_worker() -> bool {
    !MAY_BLOCK.with(Cell::get) && Handle::try_current().is_ok()
}

/// Runs `f` marking this thread as one that may block.
pub(crate) fn may_block<T>(f: impl FnOnce() -> T) -> T {
    let before = MAY_BLOCK.with(|m| m.replace(true));
    let result = f();
    MAY_BLOCK.with(|m| m.set(before));
    result
}

/// The current runtime, or a panic that names the fix.
#[track_caller]
pub(crate) fn require(what: &str) -> Handle {
    match Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "goprocess: `{what}` spawns a tokio task and needs a tokio runtime, but none is \
             running on this thread; call it from async code running on a runtime \
             (e.g. under #[tokio::main]) or enter one with `Runtime::enter()`"
        ),
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A task started by [`spawn_anywhere`], for aborting it.
#[derive(Clone)]
pub(crate) struct Task(Arc<TaskShared>);

struct TaskShared {
    /// The future, until its first poll.
    unpolled: Mutex<Option<BoxFuture>>,
    /// The tokio tasks that may run it: the one it was spawned as, another
    /// once it was moved to the fallback runtime, and the fallback's
    /// rescue of a task left unpolled on an idle current-thread runtime.
    abort: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Task {
    /// Stops the task: it never starts if it has not yet, and is aborted
    /// (dropped at its next await) if it has.
    pub(crate) fn abort(&self) {
        drop(lock(&self.0.unpolled).take());
        for task in lock(&self.0.abort).iter() {
            task.abort();
        }
    }
}

/// How long a task spawned on its home current-thread runtime, from
/// outside any runtime, may wait for its first poll before the fallback
/// runtime runs it instead: a current-thread runtime runs only while a
/// thread drives it (`block_on`), and nobody may ever again.
const IDLE_HOME_GRACE: Duration = Duration::from_millis(20);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Spawns `fut` on the current runtime, else on `home`, else on the
/// fallback runtime. Never fails, needs no runtime on this thread.
///
/// Either runtime may be shutting down, or shut down, by the time the task
/// would first run: tokio then drops it unpolled. Work such as an async
/// teardown must still run (exactly once), so a task dropped before its
/// first poll hands its future to the fallback runtime instead. A task
/// dropped after it started (its runtime shut down under it) is not moved:
/// what it holds may belong to that runtime.
///
/// A home runtime of the current-thread flavour runs its tasks only while
/// some thread drives it: one that nobody drives any more (its `block_on`
/// returned) would keep the task unpolled for ever, so if it is not
/// polled within [`IDLE_HOME_GRACE`], the fallback runtime runs it.
pub(crate) fn spawn_anywhere<F>(home: Option<Handle>, fut: F) -> Task
where
    F: Future<Output = ()> + Send + 'static,
{
    let task = Task(Arc::new(TaskShared {
        unpolled: Mutex::new(Some(Box::pin(fut))),
        abort: Mutex::new(Vec::new()),
    }));
    let (handle, watch) = match (Handle::try_current(), home) {
        (Ok(current), _) => (current, false),
        (Err(_), Some(home)) => {
            let idle_maybe = home.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread;
            (home, idle_maybe)
        }
        (Err(_), None) => (fallback().clone(), false),
    };
    start(&handle, &task.0);
    if watch {
        let shared = Arc::clone(&task.0);
        let rescue = fallback()
            .spawn(async move {
                tokio::time::sleep(IDLE_HOME_GRACE).await;
                let fut = lock(&shared.unpolled).take();
                if let Some(fut) = fut {
                    fut.await;
                }
            })
            .abort_handle();
        lock(&task.0.abort).push(rescue);
    }
    task
}

/// Runs the future of `shared` in a new task on `handle`.
fn start(handle: &Handle, shared: &Arc<TaskShared>) {
    let abort = spawn_task(handle, shared);
    lock(&shared.abort).push(abort);
}

fn spawn_task(handle: &Handle, shared: &Arc<TaskShared>) -> tokio::task::AbortHandle {
    let rescue = Rescue(Arc::clone(shared));
    handle
        .spawn(async move {
            let fut = lock(&rescue.0.unpolled).take();
            if let Some(fut) = fut {
                fut.await;
            }
        })
        .abort_handle()
}

/// Owned by a task until it is dropped: if its future was never polled,
/// it starts again on the fallback runtime.
struct Rescue(Arc<TaskShared>);

impl Drop for Rescue {
    fn drop(&mut self) {
        if lock(&self.0.unpolled).is_none() {
            return; // it ran, or was aborted on purpose
        }
        let abort = spawn_task(fallback(), &self.0);
        lock(&self.0.abort).push(abort);
    }
}

/// Runs `f` on a thread of a blocking pool: the current runtime's, else
/// the fallback runtime's. For work that may block for long (sync
/// teardowns) and must not hold up the caller.
pub(crate) fn spawn_blocking(f: impl FnOnce() + Send + 'static) {
    let f = move || may_block(f);
    match Handle::try_current() {
        Ok(current) => drop(current.spawn_blocking(f)),
        Err(_) => drop(fallback().spawn_blocking(f)),
    }
}

/// A current-thread runtime on its own thread, started the first time an
/// async teardown has to run with no runtime at hand.
fn fallback() -> &'static Handle {
    static FALLBACK: OnceLock<Handle> = OnceLock::new();
    FALLBACK.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("goprocess-fallback")
            .build()
            .expect("goprocess: cannot build the fallback tokio runtime");
        let handle = rt.handle().clone();
        thread::Builder::new()
            .name("goprocess-fallback".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .expect("goprocess: cannot start the fallback runtime thread");
        handle
    })
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives a future to completion on this thread, parking between polls.
/// Only for threads that are not running a tokio runtime.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

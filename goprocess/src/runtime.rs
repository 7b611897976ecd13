//! Where tasks run: the current tokio runtime, a remembered one, or a
//! small fallback runtime for async teardowns that must run when a process
//! is closed from a plain thread.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use tokio::runtime::Handle;

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

/// Spawns `fut` on the current runtime, else on `home`, else on the
/// fallback runtime. Never fails, needs no runtime on this thread.
///
/// `home` may have been shut down since it was remembered: tokio then drops
/// the task unpolled. The future waits in a slot that the task empties on
/// its first poll, so a spawn that was dropped unpolled is detected and
/// the future goes to the fallback runtime instead.
pub(crate) fn spawn_anywhere<F>(home: Option<Handle>, fut: F) -> tokio::task::AbortHandle
where
    F: Future<Output = ()> + Send + 'static,
{
    if let Ok(current) = Handle::try_current() {
        return current.spawn(fut).abort_handle();
    }
    if let Some(home) = home {
        let slot = Arc::new(Mutex::new(Some(fut)));
        let taken = Arc::clone(&slot);
        let task = home.spawn(async move {
            let fut = taken.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(fut) = fut {
                fut.await;
            }
        });
        if !task.is_finished() {
            return task.abort_handle();
        }
        // Finished already: either it ran (the slot is empty), or the
        // runtime is gone and dropped it unpolled (the future is still here).
        let unpolled = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(fut) = unpolled else {
            return task.abort_handle();
        };
        return fallback().spawn(fut).abort_handle();
    }
    fallback().spawn(fut).abort_handle()
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

//! The CancellationToken bridges, in both directions: token → process
//! (`with_token`, `with_token_and_teardown`, `close_after_token`,
//! `wait_for_token`) and process → token (`closing_token`, `closed_token`).
//! Nothing is left running after either side ends first.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Log, tasks, tasks_back_to, within};
use goprocess::context;
use goprocess::{ErrorKind, Process};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

fn cancelled() -> CancellationToken {
    let t = CancellationToken::new();
    t.cancel();
    t
}

// ---- token → process ----------------------------------------------------

#[tokio::test]
async fn with_token_closes_when_the_token_is_cancelled() {
    let before = tasks();
    let token = CancellationToken::new();
    let p = context::with_token(token.clone());
    assert_eq!(tasks(), before + 1, "one helper waits for the token");
    tokio::task::yield_now().await;
    assert!(!p.is_closing());
    token.cancel();
    within(p.closed()).await;
    assert!(within(p.err()).await.is_ok());
    tasks_back_to(before).await;
}

#[tokio::test]
async fn with_token_closed_by_hand_first_ends_its_helper() {
    let before = tasks();
    let token = CancellationToken::new();
    let p = context::with_token(token.clone());
    within(p.close()).await.unwrap();
    tasks_back_to(before).await;
    assert!(
        !token.is_cancelled(),
        "the process does not cancel the token"
    );
}

#[tokio::test]
async fn an_already_cancelled_token_closes_before_the_call_returns() {
    let before = tasks();
    assert!(context::with_token(cancelled()).is_closed());

    let log = Log::new();
    let p = context::with_token_and_teardown(cancelled(), log.teardown("teardown"));
    assert!(p.is_closed());
    assert_eq!(log.events(), ["teardown"]);

    let q = Process::new();
    context::close_after_token(&q, cancelled());
    assert!(q.is_closing());
    assert_eq!(tasks(), before, "no helper for a token that is done");
}

#[tokio::test]
async fn with_token_and_teardown_runs_the_teardown_once_and_keeps_its_error() {
    #[derive(Debug)]
    struct FlushFailed;
    impl std::fmt::Display for FlushFailed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("flush failed")
        }
    }
    impl std::error::Error for FlushFailed {}

    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let token = CancellationToken::new();
    let p = context::with_token_and_teardown(token.clone(), move || {
        r.fetch_add(1, Ordering::SeqCst);
        Err(FlushFailed.into())
    });
    token.cancel();
    let err = within(p.err()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Teardown);
    assert!(err.downcast_ref::<FlushFailed>().is_some());
    // Closing again returns the same stored error; the teardown ran once.
    assert_eq!(
        within(p.close()).await.unwrap_err().kind(),
        ErrorKind::Teardown
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn with_token_and_async_teardown_runs_the_teardown() {
    let (tx, rx) = oneshot::channel();
    let token = CancellationToken::new();
    let p = context::with_token_and_async_teardown(token.clone(), move || async move {
        tx.send("torn down").unwrap();
        Ok(())
    });
    token.cancel();
    within(p.closed()).await;
    assert_eq!(within(rx).await.unwrap(), "torn down");
}

#[tokio::test]
async fn close_after_token_closes_an_existing_tree() {
    let before = tasks();
    let log = Log::new();
    let p = Process::with_teardown(log.teardown("parent"));
    let child = Process::with_teardown(log.teardown("child"));
    p.add_child(&child).unwrap();
    let token = CancellationToken::new();
    context::close_after_token(&p, token.clone());
    token.cancel();
    within(p.closed()).await;
    assert_eq!(log.events(), ["child", "parent"]);
    tasks_back_to(before).await;
}

#[tokio::test]
async fn close_after_token_ends_its_helper_when_the_process_closes_first() {
    let before = tasks();
    let p = Process::new();
    let token = CancellationToken::new();
    context::close_after_token(&p, token.clone());
    assert_eq!(tasks(), before + 1);
    within(p.close()).await.unwrap();
    tasks_back_to(before).await;
    token.cancel(); // nothing left to react
}

#[tokio::test]
async fn close_after_token_on_a_closed_or_background_process_does_nothing() {
    let before = tasks();
    let closed = Process::new();
    within(closed.close()).await.unwrap();
    let token = CancellationToken::new();
    context::close_after_token(&closed, token.clone());
    context::close_after_token(&Process::background(), token.clone());
    assert_eq!(tasks(), before, "no helper spawned");
    token.cancel();
    context::close_after_token(&Process::background(), cancelled());
    assert!(!Process::background().is_closing());
}

#[tokio::test]
async fn wait_for_token_makes_the_close_wait_for_the_token() {
    let before = tasks();
    let token = CancellationToken::new();
    let log = Log::new();
    let p = Process::with_teardown(log.teardown("teardown"));
    context::wait_for_token(token.clone(), &p);

    let closer = tokio::spawn(p.close());
    within(p.closing()).await;
    tokio::task::yield_now().await;
    assert!(!p.is_closed(), "waits for the token");
    assert!(log.events().is_empty());
    assert!(!token.is_cancelled(), "the process does not cancel it");

    token.cancel();
    within(closer).await.unwrap().unwrap();
    assert_eq!(log.events(), ["teardown"]);
    tasks_back_to(before).await;
}

#[tokio::test]
async fn wait_for_token_with_a_cancelled_token_or_a_closed_process_leaves_nothing() {
    let before = tasks();
    let p = Process::new();
    context::wait_for_token(cancelled(), &p);
    within(p.close()).await.unwrap(); // nothing to wait for

    let token = CancellationToken::new();
    context::wait_for_token(token.clone(), &p); // p is closed
    context::wait_for_token(token.clone(), &Process::background());
    tasks_back_to(before).await;
}

#[tokio::test]
async fn many_tokens_share_one_helper_and_the_first_cancelled_closes() {
    let before = tasks();
    let p = Process::new();
    let tokens: Vec<CancellationToken> = (0..100).map(|_| CancellationToken::new()).collect();
    for t in &tokens {
        context::close_after_token(&p, t.clone());
    }
    tokio::task::yield_now().await;
    assert_eq!(
        tasks(),
        before + 1,
        "one helper for all of a process's tokens"
    );
    tokens[57].cancel();
    within(p.closed()).await;
    assert_eq!(p.close_cause(), Some(goprocess::CloseCause::Token));
    tasks_back_to(before).await;
    // Added once the process is closing: nothing to watch for.
    context::close_after_token(&p, CancellationToken::new());
    assert_eq!(tasks(), before);
}

#[tokio::test]
async fn a_token_added_while_the_helper_waits_is_watched() {
    let p = Process::new();
    context::close_after_token(&p, CancellationToken::new());
    tokio::task::yield_now().await; // the helper waits
    let late = CancellationToken::new();
    context::close_after_token(&p, late.clone());
    tokio::task::yield_now().await;
    late.cancel();
    within(p.closed()).await;
}

#[derive(Clone, Default)]
struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A wait for oneself through a token could never end: ignored, with a
/// warning that says why.
#[tokio::test]
async fn wait_for_token_on_its_own_closed_token_is_ignored_with_a_warning() {
    let before = tasks();
    let buffer = Buffer::default();
    let b = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .without_time()
        .with_writer(move || b.clone())
        .finish();
    let _log = tracing::subscriber::set_default(subscriber);

    let p = Process::new().named("app");
    let closed = context::closed_token(&p);
    context::wait_for_token(context::closed_token(&p), &p);
    context::wait_for_token(closed.clone(), &p);
    assert_eq!(tasks(), before, "no helper for a wait that is ignored");
    within(p.close()).await.unwrap();
    assert!(closed.is_cancelled());
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert_eq!(out.matches("WARN").count(), 2, "{out}");
    assert!(
        out.contains("app") && out.contains("ignored") && out.contains("own closed token"),
        "{out}"
    );
}

// ---- process → token ----------------------------------------------------

#[tokio::test]
async fn closing_token_is_cancelled_when_closing_begins_before_closed() {
    let before = tasks();
    let p = Process::new();
    let token = context::closing_token(&p);
    assert_eq!(tasks(), before, "closing_token spawns nothing");

    let (release_tx, release_rx) = oneshot::channel::<()>();
    p.go(move |_| async move {
        let _ = release_rx.await;
    });
    let closer = tokio::spawn(p.close());
    within(token.cancelled()).await;
    assert!(p.is_closing() && !p.is_closed());
    release_tx.send(()).unwrap();
    within(closer).await.unwrap().unwrap();
}

#[tokio::test]
async fn cancelling_a_closing_token_by_hand_affects_nothing_else() {
    let p = Process::new();
    let mine = context::closing_token(&p);
    let theirs = context::closing_token(&p);
    mine.cancel();
    tokio::task::yield_now().await;
    assert!(!p.is_closing(), "the token does not close the process");
    assert!(!theirs.is_cancelled(), "nor other tokens handed out");
    within(p.close()).await.unwrap();
    assert!(theirs.is_cancelled());
}

#[tokio::test]
async fn closing_token_of_a_closing_process_is_already_cancelled_and_needs_no_runtime() {
    let p = Process::new();
    within(p.close()).await.unwrap();
    assert!(context::closing_token(&p).is_cancelled());

    std::thread::spawn(|| {
        let p = Process::new();
        let token = context::closing_token(&p);
        p.close_blocking().unwrap();
        assert!(token.is_cancelled());
        assert!(!context::closing_token(&Process::background()).is_cancelled());
    })
    .join()
    .unwrap();
}

#[tokio::test]
async fn closed_token_is_cancelled_only_after_the_teardown() {
    let before = tasks();
    let log = Log::new();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let l = log.clone();
    let p = Process::with_async_teardown(move || async move {
        let _ = release_rx.await;
        l.push("teardown done");
        Ok(())
    });
    let token = context::closed_token(&p);
    let closer = tokio::spawn(p.close());
    within(p.closing()).await;
    tokio::task::yield_now().await;
    assert!(
        !token.is_cancelled(),
        "not before the teardown has returned"
    );
    release_tx.send(()).unwrap();
    within(token.cancelled()).await;
    assert_eq!(log.events(), ["teardown done"]);
    within(closer).await.unwrap().unwrap();
    tasks_back_to(before).await;
}

#[tokio::test]
async fn closed_token_needs_no_task_and_cancelling_it_leaves_the_process() {
    let before = tasks();
    let p = Process::new();
    let token = context::closed_token(&p);
    assert_eq!(tasks(), before, "the close itself cancels it");
    token.cancel();
    assert!(
        !p.is_closing(),
        "cancelling the token does not close the process"
    );
    let second = context::closed_token(&p);
    within(p.close()).await.unwrap();
    assert!(
        second.is_cancelled(),
        "cancelled by the time close() returns"
    );
}

#[test]
fn closed_tokens_of_a_process_are_one_token() {
    let p = Process::new();
    let (a, b) = (context::closed_token(&p), context::closed_token(&p));
    assert_eq!(a, b, "clones: nothing is kept per call");
    assert_ne!(a, context::closed_token(&Process::new()));
    p.close_blocking().unwrap();
    assert!(a.is_cancelled() && b.is_cancelled());
}

#[test]
fn closed_token_works_without_a_runtime() {
    let p = Process::new();
    let token = context::closed_token(&p);
    p.close_blocking().unwrap();
    assert!(token.is_cancelled());
}

#[tokio::test]
async fn closed_token_of_a_closed_or_background_process_needs_no_task() {
    let before = tasks();
    let p = Process::new();
    within(p.close()).await.unwrap();
    assert!(context::closed_token(&p).is_cancelled());
    assert!(!context::closed_token(&Process::background()).is_cancelled());
    assert_eq!(tasks(), before);
}

// ---- round trips --------------------------------------------------------

#[tokio::test]
async fn a_process_tree_under_a_token_tree_and_back() {
    let before = tasks();
    // token → process → token → process.
    let root = CancellationToken::new();
    let a = context::with_token(root.child_token());
    let b = context::with_token(context::closing_token(&a));
    let b_closed = context::closed_token(&b);

    root.cancel();
    within(b_closed.cancelled()).await;
    assert!(a.is_closing() && b.is_closed());
    within(a.closed()).await;
    tasks_back_to(before).await;
}

#[test]
fn with_token_needs_a_runtime_and_says_so() {
    let payload = std::panic::catch_unwind(|| drop(context::with_token(CancellationToken::new())))
        .unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("with_token"), "{msg}");
    assert!(msg.contains("needs a tokio runtime"), "{msg}");
}

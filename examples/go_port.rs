//! Go's goprocess code and its Rust port, side by side: Go's `ExampleGo`,
//! the teardown-order example of its package docs, and a typical Go
//! service (workers, a periodic job, a rate limiter, a teardown), with the
//! Go code in comments above each Rust part. docs/migrating-from-go.md has
//! the full table.
//!
//! The tokio clock is paused (`start_paused`), so the timings below are
//! exact and the example runs at once; remove `start_paused = true` to watch
//! it in real time.
//!
//! Run with `cargo run --example go_port`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goprocess::periodic::Builder;
use goprocess::ratelimit::RateLimiter;
use goprocess::{ErrorKind, Process};
use tokio::time::{Instant, interval_at, sleep};

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), goprocess::Error> {
    example_go().await?;
    teardown_order()?;
    typical_service().await?;
    unlike_go().await?;
    Ok(())
}

/// Go's `ExampleGo`.
async fn example_go() -> Result<(), goprocess::Error> {
    println!("== ExampleGo ==");
    // p := goprocess.Go(func(p goprocess.Process) {
    //     ticker := time.Tick(200 * time.Millisecond)
    //     for {
    //         select {
    //         case <-ticker:
    //             fmt.Println("tick")
    //         case <-p.Closing():
    //             fmt.Println("closing")
    //             return
    //         }
    //     }
    // })
    let p = goprocess::go(|p| async move {
        // Go's time.Tick does not fire at once; tokio's interval does,
        // so start it one period from now.
        let period = Duration::from_millis(200);
        let mut ticker = interval_at(Instant::now() + period, period);
        loop {
            tokio::select! {
                _ = ticker.tick() => println!("tick"),
                _ = p.closing() => {
                    println!("closing");
                    return;
                }
            }
        }
    });

    // <-time.After(1100 * time.Millisecond)
    // p.Close()
    // fmt.Println("closed")
    // <-time.After(100 * time.Millisecond)
    sleep(Duration::from_millis(1100)).await;
    p.close().await?; // Go ignores Close's error; here it is a Result
    println!("closed");
    sleep(Duration::from_millis(100)).await;
    Ok(())
}

/// The teardown order example of Go's package documentation.
fn teardown_order() -> Result<(), goprocess::Error> {
    println!("\n== teardown order (package docs) ==");
    // p1 := goprocess.WithTeardown(func() error { fmt.Println("closing 1"); return nil })
    // p2 := goprocess.WithTeardown(func() error { fmt.Println("closing 2"); return nil })
    // p3 := goprocess.WithTeardown(func() error { fmt.Println("closing 3"); return nil })
    let p1 = Process::with_teardown(|| {
        println!("closing 1");
        Ok(())
    });
    let p2 = Process::with_teardown(|| {
        println!("closing 2");
        Ok(())
    });
    let p3 = Process::with_teardown(|| {
        println!("closing 3");
        Ok(())
    });
    // p1.AddChild(p2)
    // p2.AddChild(p3)
    p1.add_child(&p2)?; // Go panics on a closed parent; here it is an Err
    p2.add_child(&p3)?;
    // go p1.Close()
    // go p2.Close()
    // go p3.Close()
    // Output: closing 3, closing 2, closing 1
    let closers: Vec<_> = [p1, p2, p3]
        .into_iter()
        .map(|p| std::thread::spawn(move || p.close_blocking()))
        .collect();
    for closer in closers {
        closer.join().expect("a closer thread")?;
    }
    Ok(())
}

/// A typical Go service built on goprocess and its sub-packages.
async fn typical_service() -> Result<(), goprocess::Error> {
    println!("\n== a typical service ==");
    let log = Arc::new(Mutex::new(Vec::<String>::new()));

    // type Indexer struct {
    //     proc    goprocess.Process
    //     limiter *ratelimit.RateLimiter
    // }
    //
    // func NewIndexer(store *Store) *Indexer {
    //     ix := &Indexer{}
    //     ix.proc = goprocess.WithTeardown(func() error {
    //         return store.Close() // after every child: the store outlives them
    //     })
    //     ix.limiter = ratelimit.NewRateLimiter(ix.proc, 2)
    //     ix.proc.Go(ix.feed)
    //     ix.proc.AddChild(periodicproc.Tick(time.Second, ix.report))
    //     return ix
    // }
    let store = Process::with_teardown({
        let log = log.clone();
        move || {
            log.lock().unwrap().push("store: closed".into());
            Ok(())
        }
    })
    .named("store");
    let indexer = Process::with_async_teardown({
        let (log, store) = (log.clone(), store.clone());
        move || async move {
            log.lock()
                .unwrap()
                .push("indexer: teardown closes the store".into());
            store.close().await?;
            Ok(())
        }
    })
    .named("indexer");
    let limiter = RateLimiter::new(&indexer, 2).named("limiter");
    let indexed = Arc::new(AtomicUsize::new(0));

    // func (ix *Indexer) feed(proc goprocess.Process) {
    //     for i := 0; ; i++ {
    //         select {
    //         case <-proc.Closing():
    //             return
    //         case <-time.After(100 * time.Millisecond):
    //             ix.limiter.LimitedGo(func(goprocess.Process) { ix.index(i) })
    //         }
    //     }
    // }
    indexer
        .go({
            let limiter = limiter.clone();
            let indexed = indexed.clone();
            move |proc| async move {
                for i in 0.. {
                    tokio::select! {
                        _ = proc.closing() => return,
                        _ = sleep(Duration::from_millis(100)) => {}
                    }
                    let indexed = indexed.clone();
                    limiter
                        .limited_go(move |_| async move {
                            sleep(Duration::from_millis(150)).await; // ix.index(i)
                            let _ = i;
                            indexed.fetch_add(1, Ordering::SeqCst);
                        })
                        .await;
                }
            }
        })
        .named("feed");

    // func (ix *Indexer) report(goprocess.Process) { log.Printf("indexed %d", ...) }
    Builder::new()
        .parent(&indexer)
        .tick(Duration::from_secs(1), {
            let (log, indexed) = (log.clone(), indexed.clone());
            move |_| {
                let line = format!("report: {} indexed", indexed.load(Ordering::SeqCst));
                log.lock().unwrap().push(line);
                async {}
            }
        })
        .named("report");

    // time.Sleep(2500 * time.Millisecond)
    // ix.proc.Close()
    sleep(Duration::from_millis(2500)).await;
    indexer.close().await?;
    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
    println!(
        "indexed {} documents; the store closed last",
        indexed.load(Ordering::SeqCst)
    );
    Ok(())
}

/// What panics, deadlocks or hangs in Go is an `Err` here.
async fn unlike_go() -> Result<(), goprocess::Error> {
    println!("\n== unlike Go ==");
    // p.Close(); p.AddChild(q)   // Go: panic
    let p = Process::new();
    p.close().await?;
    let err = p.add_child(&Process::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    println!("add_child on a closed process: {:?}", err.kind());

    // a.WaitFor(b); b.WaitFor(a)   // Go: both Close calls deadlock
    let (a, b) = (Process::new(), Process::new());
    a.wait_for(&b)?;
    let err = b.wait_for(&a).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    println!("a waiting cycle: {:?}", err.kind());

    // p.AddChild(goprocess.Background())   // Go: p.Close() hangs for ever
    let err = Process::new()
        .add_child(&Process::background())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NeverCloses);
    println!("the background process as a child: {:?}", err.kind());
    Ok(())
}

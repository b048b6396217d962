//! Time: a slow delivery, the outbox tried again on its own, a client that
//! never finishes its headers.

use super::*;

/// Posts the failed-deploy sample to a server built by the test itself.
fn post_deploy_failed(running: &Running) -> (u16, String) {
    notify_rules_test_kit::post(
        &format!("http://{}/", running.local_addr()),
        payload("v4-deploy-failed.json"),
    )
}

#[test]
fn a_slow_delivery_times_out_with_504_and_shutdown_waits_for_it() {
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let finished = Arc::new(Mutex::new(false));
    let done = finished.clone();
    let rules = RuleSet::parse("target slow; on any => send(slow);").unwrap();
    let plugin = Plugin::builder(rules)
        .notifier("slow", move |_: &Delivery| -> Result<(), NotifyError> {
            // Blocks until the test lets it go: no clock decides the outcome.
            let _ = released.lock().unwrap().recv();
            *done.lock().unwrap() = true;
            Ok(())
        })
        .build()
        .unwrap();
    let options = ServerOptions {
        request_timeout: Duration::from_millis(200),
        ..options()
    };
    let running = Server::spawn(Arc::new(plugin), options).unwrap();
    let (code, answer) = post_deploy_failed(&running);
    assert_eq!(code, 504, "{answer}");
    assert!(answer.contains("no answer within 200 ms"), "{answer}");
    assert!(!*finished.lock().unwrap());

    let stopping = std::thread::spawn({
        let finished = finished.clone();
        move || {
            running.shutdown().unwrap();
            // Read the moment shutdown returns: the delivery must be done.
            *finished.lock().unwrap()
        }
    });
    release.send(()).unwrap();
    assert!(
        stopping.join().unwrap(),
        "shutdown returned before the delivery in flight finished"
    );
}

#[test]
fn the_outbox_is_tried_again_without_waiting_for_a_notification() {
    let tries = Arc::new(Mutex::new(0u32));
    let counted = tries.clone();
    let (delivered, was_delivered) = mpsc::channel::<()>();
    let delivered = Mutex::new(delivered);
    let rules =
        RuleSet::parse("target flaky; on any => send(flaky, \"{pipeline.name}\");").unwrap();
    let plugin = Plugin::builder(rules)
        .notifier("flaky", move |_: &Delivery| -> Result<(), NotifyError> {
            let mut n = counted.lock().unwrap();
            *n += 1;
            if *n == 1 {
                return Err(NotifyError::retryable("receiver restarting"));
            }
            let _ = delivered.lock().unwrap().send(());
            Ok(())
        })
        .retry(notify_rules::plugin::RetryPolicy {
            attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let plugin = Arc::new(plugin);
    let options = ServerOptions {
        outbox_flush_interval: Some(Duration::from_millis(20)),
        ..options()
    };
    let running = Server::spawn(plugin.clone(), options).unwrap();
    let (code, answer) = post_deploy_failed(&running);
    assert_eq!(code, 502, "{answer}");
    assert!(answer.contains("receiver restarting"), "{answer}");
    assert_eq!(plugin.outbox_len(), 1);
    // No other request comes: only the server's own flush can deliver it. The
    // bound only keeps a broken flush from hanging the test.
    was_delivered
        .recv_timeout(Duration::from_secs(60))
        .expect("the outbox was not flushed");
    running.shutdown().unwrap();
    assert_eq!(plugin.outbox_len(), 0);
    assert_eq!(*tries.lock().unwrap(), 2, "one failed try, one delivery");
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use std::io::{Read, Write};

    let h = start(ServerOptions {
        request_timeout: Duration::from_millis(200),
        ..options()
    });
    let mut stream = std::net::TcpStream::connect(h.running.local_addr()).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: appli")
        .unwrap();
    // The bound only keeps a server that never closes from hanging the test.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut got = Vec::new();
    let closed = stream.read_to_end(&mut got);
    assert!(
        closed.is_ok(),
        "the server did not close the connection: {closed:?}"
    );
    let got = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    // The server still serves everyone else.
    assert_eq!(h.post("/notifications-interested-in", "", &[]).0, 200);
}

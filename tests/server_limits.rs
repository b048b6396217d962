//! The server against clients that misbehave and options at their extremes:
//! bodies that never arrive, unsigned senders, more requests than allowed,
//! connections that send half a request line and wait,
//! timeouts too large for the clock.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_rules::server::{Running, Secret, Server, ServerOptions};
use notify_rules::{Delivery, NotifyError, Plugin, RuleSet};
use notify_rules_test_kit::notifier::accept;
use notify_rules_test_kit::payload;

fn options() -> ServerOptions {
    ServerOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerOptions::default()
    }
}

fn start(options: ServerOptions) -> Running {
    let rules = RuleSet::parse("target ops; on any => send(ops);").unwrap();
    let plugin = Plugin::builder(rules)
        .notifier("ops", accept)
        .build()
        .unwrap();
    Server::spawn(Arc::new(plugin), options).unwrap()
}

/// Connects, with a read bound that only keeps a broken server from hanging
/// the test.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
fn answer(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    // A reset after the answer is a closed connection too.
    let _ = stream.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

fn body() -> String {
    payload("v4-deploy-failed.json")
}

fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    notify_rules_test_kit::post(&format!("http://{addr}{path}"), body)
}

#[test]
fn a_body_that_never_arrives_gets_408_and_starts_nothing() {
    let running = start(ServerOptions {
        request_timeout: Duration::from_millis(200),
        ..options()
    });
    let mut stream = connect(running.local_addr());
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pipeline")
        .unwrap();
    let got = answer(&mut stream);
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(
        got.contains("not received within 200 ms; nothing was delivered"),
        "{got}"
    );
    assert!(!got.contains("background"), "{got}");
}

#[test]
fn an_unsigned_request_is_refused_before_its_body_is_read() {
    let running = start(ServerOptions {
        secret: Some(Secret::new("s3cret")),
        // Longer than any test runs: a server waiting for the body would not
        // answer before the read bound fails the test.
        request_timeout: Duration::from_secs(3600),
        ..options()
    });
    let mut stream = connect(running.local_addr());
    // The body is announced and never sent.
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8000000\r\n\r\n")
        .unwrap();
    let got = answer(&mut stream);
    assert!(got.starts_with("HTTP/1.1 401"), "{got}");
    assert!(got.contains("missing signature"), "{got}");
}

#[test]
fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let (started, has_started) = mpsc::channel::<()>();
    let started = Mutex::new(started);
    let rules = RuleSet::parse("target slow; on any => send(slow);").unwrap();
    let plugin = Plugin::builder(rules)
        .notifier("slow", move |_: &Delivery| -> Result<(), NotifyError> {
            let _ = started.lock().unwrap().send(());
            let _ = released.lock().unwrap().recv();
            Ok(())
        })
        .build()
        .unwrap();
    let running = Server::spawn(
        Arc::new(plugin),
        ServerOptions {
            max_connections: 1,
            ..options()
        },
    )
    .unwrap();
    let addr = running.local_addr();
    let first = std::thread::spawn(move || post(addr, "/", &body()));
    has_started.recv().unwrap();

    // The only slot is taken: the second connection is not served. Waiting
    // can only fail to see a broken limit (a slow server looks the same),
    // never fail a working one.
    let mut second = connect(addr);
    second
        .write_all(b"POST /notifications-interested-in HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = second.read(&mut byte);
    // Released before asserting: a failing test must not leave the delivery
    // blocked, or the server's shutdown would wait for it for ever.
    release.send(()).unwrap();
    assert!(
        early.is_err(),
        "served beyond max_connections: {early:?} {byte:?}"
    );
    assert_eq!(first.join().unwrap().0, 200);
    second
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let got = answer(&mut second);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

#[test]
fn timeouts_too_large_for_the_clock_do_not_break_requests() {
    let running = start(ServerOptions {
        request_timeout: Duration::MAX,
        outbox_flush_interval: Some(Duration::MAX),
        ..options()
    });
    assert_eq!(
        post(running.local_addr(), "/", &body()),
        (200, r#"{"status":"success"}"#.to_owned())
    );
    assert_eq!(post(running.local_addr(), "/", &body()).0, 200);
    running.shutdown().unwrap();
}

#[test]
fn max_body_bytes_above_the_parsers_limit_is_the_parsers_limit() {
    let limit = notify_rules::protocol::MAX_BODY_BYTES;
    let running = start(ServerOptions {
        max_body_bytes: 4 * limit,
        ..options()
    });
    let (code, answer) = post(running.local_addr(), "/", &" ".repeat(limit + 1));
    assert_eq!(code, 413, "{answer}");
    assert!(
        answer.contains(&format!("this server takes at most {limit} bytes")),
        "{answer}"
    );
}

/// Opens `n` connections that each send half a request line and wait.
fn half_request_lines(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut stream = connect(addr);
            stream.write_all(b"POST /stage-st").unwrap();
            stream
        })
        .collect()
}

/// A signed notification over a new connection: its status, and how long
/// the answer took.
fn signed_post(addr: SocketAddr, secret: &Secret) -> (u16, Duration) {
    let body = body();
    let sig = secret.sign(body.as_bytes());
    let started = std::time::Instant::now();
    let (code, _) = notify_rules_test_kit::post_with(
        &format!("http://{addr}/stage-status"),
        &body,
        &[("x-gocd-signature", &sig)],
    );
    (code, started.elapsed())
}

#[test]
fn connections_sending_half_a_request_line_take_no_request_slot() {
    let secret = Secret::new("s3cret");
    // No address cap to help: only the slots counting requests, not
    // connections, let the notification through.
    let running = start(ServerOptions {
        secret: Some(secret.clone()),
        max_connections: 4,
        max_idle_per_address: 1000,
        header_timeout: Duration::from_secs(30),
        ..options()
    });
    let addr = running.local_addr();
    let idle = half_request_lines(addr, 200);
    let (code, took) = signed_post(addr, &secret);
    assert_eq!(code, 200);
    assert!(took < Duration::from_secs(1), "answered after {took:?}");
    drop(idle);
}

#[test]
fn one_address_keeps_only_its_newest_idle_connections_and_slow_headers_time_out() {
    let secret = Secret::new("s3cret");
    let running = start(ServerOptions {
        secret: Some(secret.clone()),
        max_idle_per_address: 16,
        header_timeout: Duration::from_secs(2),
        ..options()
    });
    let addr = running.local_addr();
    let mut idle = half_request_lines(addr, 200);
    let (code, took) = signed_post(addr, &secret);
    assert_eq!(code, 200);
    assert!(took < Duration::from_secs(1), "answered after {took:?}");
    // The oldest were closed as newer ones came, well before the header
    // time limit; the newest 15 (the notification's connection took the
    // 16th place) are still open.
    let mut byte = [0u8; 1];
    let (first, rest) = idle.split_at_mut(1);
    first[0]
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let waited = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    };
    let oldest = first[0].read(&mut byte);
    assert!(
        matches!(&oldest, Ok(0)) || matches!(&oldest, Err(e) if !waited(e)),
        "the oldest idle connection is still open: {oldest:?}"
    );
    let newest = rest.last_mut().unwrap();
    newest
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let still_open = newest.read(&mut byte);
    assert!(matches!(&still_open, Err(e) if waited(e)), "{still_open:?}");
    // Then the header time limit closes it too, with a 408 or without a word.
    newest
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let got = answer(newest);
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
}

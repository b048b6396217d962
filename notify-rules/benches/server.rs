//! Load test of the HTTP server from a loopback client: requests per second for
//! a stage-status notification through the whole server (signature check,
//! reading the body, the plugin with history and a console notifier writing
//! nowhere), against a minimal axum handler that only answers 200 with the
//! same client, connection reuse and body. The goal is a ratio of at least 0.5,
//! with metrics on (as `serve` runs) and, to see what they cost, off.
//!
//! ```text
//! cargo bench -p notify-rules --features server --bench server -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Each request is one iteration; criterion bounds the count and the time, and
//! reports the throughput as requests per second (elem/s).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use notify_rules::deliver::Console;
use notify_rules::server::{Metrics, Running, Secret, Server, ServerOptions};
use notify_rules::{Plugin, RuleSet};

const BODY: &str = include_str!("data/v4-deploy-failed.json");

const RULES: &str = r#"
target ops, audit;
on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} #{pipeline.counter} failed: {jobs.failed}");
on pipeline regex("sandbox-.*") => stop;
on state Failed | Cancelled => send(audit, "{pipeline.name}/{stage.name} {stage.state}");
"#;

/// Each request gets a new pipeline counter, so the plugin's repeat detection
/// does not turn the work into a no-op.
fn bodies(n: usize) -> Vec<String> {
    let needle = "\"counter\": \"42\"";
    let compact = "\"counter\":\"42\"";
    (0..n)
        .map(|i| {
            let counter = format!("\"counter\":\"{}\"", 1000 + i);
            if BODY.contains(needle) {
                BODY.replacen(needle, &counter, 1)
            } else {
                BODY.replacen(compact, &counter, 1)
            }
        })
        .collect()
}

fn minimal_axum() -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    // The body is read, as the real server does, so that hyper keeps the
    // connection alive for the next request in both cases.
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(|_body: axum::body::Bytes| async { "ok" }),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        runtime.block_on(async {
            // The same TCP settings as the real server.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
    });
    (addr, stop, thread)
}

fn plugin() -> Plugin {
    Plugin::builder(RuleSet::parse(RULES).unwrap())
        .notifier("ops", Console::to_writer(std::io::sink()))
        .notifier("audit", Console::to_writer(std::io::sink()))
        .build()
        .unwrap()
}

/// The server as `serve` runs it: with metrics (its notifiers observed, as
/// `Config::setup` binds them), or with them off.
fn server(secret: &Secret, metrics: Option<Metrics>) -> Running {
    let plugin = match &metrics {
        Some(m) => Plugin::builder(RuleSet::parse(RULES).unwrap())
            .notifier("ops", m.observe("ops", Console::to_writer(std::io::sink())))
            .notifier(
                "audit",
                m.observe("audit", Console::to_writer(std::io::sink())),
            )
            .build()
            .unwrap(),
        None => plugin(),
    };
    let options = ServerOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        secret: Some(secret.clone()),
        metrics,
        ..ServerOptions::default()
    };
    Server::spawn(Arc::new(plugin), options).unwrap()
}

fn load(c: &mut Criterion) {
    let secret = Secret::new("bench-secret");
    let running = server(&secret, Some(Metrics::new()));
    let unmetered = server(&secret, None);
    let (minimal_addr, stop_minimal, minimal_thread) = minimal_axum();

    // Signed ahead of time: signing is the forwarder's cost, not the server's.
    let signed: Vec<(String, String)> = bodies(4096)
        .into_iter()
        .map(|b| (secret.sign(b.as_bytes()), b))
        .collect();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();

    let mut group = c.benchmark_group("server");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);

    let failures = AtomicU64::new(0);
    for (name, server) in [
        (
            "notify-rules POST / (signed stage-status, 2 deliveries)",
            &running,
        ),
        (
            "notify-rules POST / without metrics (signed stage-status, 2 deliveries)",
            &unmetered,
        ),
    ] {
        let server_url = format!("http://{}/", server.local_addr());
        let next = AtomicU64::new(0);
        group.bench_function(name, |b| {
            b.iter(|| {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize % signed.len();
                let (sig, body) = &signed[i];
                let resp = agent
                    .post(&server_url)
                    .header("content-type", "application/json")
                    .header("x-gocd-signature", sig)
                    .send(body.as_str())
                    .unwrap();
                if resp.status() != 200 {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                let _ = resp.into_body().read_to_string();
            })
        });
    }

    let minimal_url = format!("http://{minimal_addr}/");
    group.bench_function("minimal axum POST / (200 only)", |b| {
        b.iter(|| {
            let resp = agent
                .post(&minimal_url)
                .header("content-type", "application/json")
                .send(BODY)
                .unwrap();
            assert_eq!(resp.status(), 200);
            let _ = resp.into_body().read_to_string();
        })
    });
    // What the server adds is the difference between this and the first.
    let alone = self::plugin();
    let bodies = bodies(4096);
    let next = AtomicU64::new(0);
    group.bench_function("Plugin::handle alone (no HTTP, same bodies)", |b| {
        b.iter(|| {
            let i = next.fetch_add(1, Ordering::Relaxed) as usize % bodies.len();
            let answer = alone.handle("stage-status", &bodies[i]);
            assert_eq!(answer.code, 200);
        })
    });
    group.finish();

    // Repeats (the counters wrap after 4096 requests) answer success too, so
    // any non-200 is a real failure.
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "the server answered some requests with an error"
    );
    let _ = stop_minimal.send(());
    minimal_thread.join().unwrap();
    running.shutdown().unwrap();
    unmetered.shutdown().unwrap();
}

criterion_group!(benches, load);
criterion_main!(benches);

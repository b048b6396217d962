//! Three `serve` replicas sharing one PostgreSQL database: notifications
//! posted to two replicas at once, one replica killed with SIGKILL while
//! deliveries wait on a receiver that answers 500 and then recovers,
//! transitions decided across replicas; every delivery exactly once, and
//! the database password in no log, error or `outbox list` output. Also:
//! a database that cannot be reached stops `serve` within 10 seconds,
//! naming its host and port and not its password (no server needed).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::{body, closed_port, postgres, temp_dir_with, Flaky};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str =
    "target hook;\non any => send(hook, \"{pipeline.name} {pipeline.counter} {stage.state} {transition}\");\n";

const CONFIG: &str = "[state]\nstore = \"postgres\"\nurl_env = \"T_DB_URL\"\n\
                      [retry]\nattempts = 1\n[outbox]\nflush_interval = \"1s\"\nlease = \"2s\"\n\
                      [targets.hook]\nkind = \"webhook\"\nurl_env = \"T_HOOK_URL\"\n";

fn serve(dir: &Path, db: &str, hook: &str) -> Command {
    let mut cmd = serve::command(BIN, dir);
    cmd.env("RUST_LOG", "debug")
        .env("T_DB_URL", db)
        .env("T_HOOK_URL", hook);
    cmd
}

#[test]
fn an_unreachable_database_stops_serve_within_ten_seconds_without_its_password() {
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", CONFIG)]);
    let port = closed_port().port;
    let db = format!("postgres://notify:Pa55-w0rd-x@127.0.0.1:{port}/notify");
    let started = Instant::now();
    let out = serve(dir.path(), &db, "http://127.0.0.1:9/hook")
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("cannot reach the database"), "{err}");
    assert!(!err.contains("Pa55-w0rd-x"), "{err}");
}

/// (pipeline counter, state, the replicas it is posted to at once).
const RUNS: [(u64, &str, [usize; 2]); 5] = [
    (1, "Passed", [0, 1]),
    (2, "Failed", [1, 2]),
    (3, "Failed", [2, 0]),
    (4, "Failed", [0, 1]),
    (5, "Passed", [1, 2]),
];

#[test]
fn three_replicas_deliver_each_notification_once_through_a_kill() {
    let Some(db) = postgres::database("notify_rules_replicas") else {
        return;
    };
    let password = postgres::password(&db);
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", CONFIG)]);
    let receiver = Flaky::down();
    let mut replicas: Vec<Option<Serving>> = (0..3)
        .map(|_| Some(Serving::start(serve(dir.path(), &db, &receiver.url()))))
        .collect();
    let addrs: Vec<String> = replicas
        .iter()
        .map(|r| r.as_ref().unwrap().addr.clone())
        .collect();

    for (pc, state, to) in RUNS {
        // The forwarder's retry and the first try land on two replicas at
        // once: one records it (and keeps its delivery), the other finds it
        // handled.
        let body = body("shop", pc, "deploy", 1, state);
        let answers: Vec<(u16, String)> = std::thread::scope(|s| {
            let posts: Vec<_> = to
                .iter()
                .map(|&r| {
                    let (addr, body) = (&addrs[r], &body);
                    s.spawn(move || {
                        notify_rules_test_kit::post(&format!("http://{addr}/stage-status"), body)
                    })
                })
                .collect();
            posts.into_iter().map(|p| p.join().unwrap()).collect()
        });
        let kept = answers.iter().filter(|(code, _)| *code == 502).count();
        assert_eq!(kept, 1, "run {pc}: {answers:?}");
        assert!(answers.iter().any(|(code, _)| *code == 200), "{answers:?}");
    }
    // Killed while the deliveries wait (and perhaps while it tries one).
    let killed = replicas[1].take().unwrap().kill();
    assert!(!killed.contains(&password), "the password in a log");

    let listed = Command::new(BIN)
        .args(["outbox", "list", "--config", "c.toml"])
        .current_dir(dir.path())
        .env("T_DB_URL", &db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("5 waiting"), "{text}");
    assert!(
        !text.contains(&password) && !String::from_utf8_lossy(&listed.stderr).contains(&password)
    );

    receiver.set_up(true);
    // Past the killed replica's leases, the others send what it held.
    receiver.wait_for(RUNS.len(), Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(3));
    if receiver.texts().len() < RUNS.len() {
        let log = replicas[0].take().unwrap().stop().log;
        panic!("not all delivered: {:?}\n{log}", receiver.texts());
    }
    let mut texts = receiver.texts();
    texts.sort();
    assert_eq!(
        texts,
        [
            "shop 1 Passed ",
            "shop 2 Failed broken",
            "shop 3 Failed still failing",
            "shop 4 Failed still failing",
            "shop 5 Passed fixed",
        ],
        "each delivery once, each transition right"
    );
    for replica in replicas.into_iter().flatten() {
        let stopped = replica.stop();
        assert!(stopped.status.success(), "{}", stopped.log);
        assert!(!stopped.log.contains(&password), "the password in a log");
    }
}

/// A loopback forwarder to the database that the test can cut: while cut,
/// the connections it carried are reset and new ones are closed at once,
/// which is what `serve` sees when the database goes down.
struct Cuttable {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    carried: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Cuttable {
    fn to(target: String) -> Cuttable {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let cut = Cuttable {
            port: listener.local_addr().unwrap().port(),
            up: Default::default(),
            carried: Default::default(),
        };
        cut.up.store(true, Ordering::SeqCst);
        let (up, carried) = (cut.up.clone(), cut.carried.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let mut kept = carried.lock().unwrap();
                kept.push(client.try_clone().unwrap());
                kept.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        cut
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for s in self.carried.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn readiness_fails_while_the_database_is_down_and_comes_back_with_it() {
    let Some(db) = postgres::database("notify_rules_readiness") else {
        return;
    };
    let password = postgres::password(&db);
    // postgres://user:password@HOST:PORT/db, through the forwarder.
    let (head, rest) = db.rsplit_once('@').unwrap();
    let (authority, name) = rest.split_once('/').unwrap();
    let proxy = Cuttable::to(authority.to_owned());
    let url = format!("{head}@127.0.0.1:{}/{name}", proxy.port);
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", CONFIG)]);
    let receiver = Flaky::down();
    receiver.set_up(true);
    let server = Serving::start(serve(dir.path(), &url, &receiver.url()));
    assert_eq!(server.get("/readyz").0, 200);

    proxy.cut();
    let started = Instant::now();
    let (code, answer) = server.get("/readyz");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 503, "{answer}");
    assert!(answer.starts_with("not ready: the state store"), "{answer}");
    assert!(!answer.contains(&password), "{answer}");
    // Nothing is acknowledged that is not stored: the forwarder retries.
    let notification = body("shop", 1, "deploy", 1, "Failed");
    let (code, answer) = server.post("/stage-status", &notification);
    assert_eq!(code, 503, "{answer}");
    assert!(!answer.contains(&password), "{answer}");
    assert_eq!(server.get("/healthz").0, 200);

    // The database is back: the store's backoff lets it be tried again
    // (at most 10 s apart), and the server is ready again.
    proxy.restore();
    let back = Instant::now();
    let ready = (0..60).any(|_| {
        std::thread::sleep(Duration::from_millis(500));
        server.get("/readyz").0 == 200
    });
    assert!(
        ready,
        "not ready {:?} after the database came back",
        back.elapsed()
    );
    assert_eq!(
        server.post("/stage-status", &notification),
        (200, r#"{"status":"success"}"#.to_owned())
    );
    let stopped = server.stop();
    assert!(!stopped.log.contains(&password), "the password in the log");
    assert_eq!(receiver.wait_for(1, Duration::from_secs(5)).len(), 1);
}

//! Posting to a server under test, reading the plugin's answers, receivers on
//! loopback, and a port on which nothing listens.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde_json::Value;
use socket2::{Domain, Socket, Type};

/// POSTs `body` to `url` and returns the status and the answer's text,
/// whatever the status.
pub fn post(url: &str, body: impl AsRef<[u8]>) -> (u16, String) {
    post_with(url, body, &[])
}

/// A client that takes every status as an answer.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// The status and text of an answer.
fn read_answer(mut resp: ureq::http::Response<ureq::Body>) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

/// POSTs `body` to `url` with these headers (a signature, say): status and
/// answer, whatever the status.
pub fn post_with(url: &str, body: impl AsRef<[u8]>, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read_answer(
        request
            .send(body.as_ref())
            .unwrap_or_else(|e| panic!("POST {url}: {e}")),
    )
}

/// GETs `url` (`/readyz`, `/metrics`): status and answer, whatever the
/// status.
pub fn get(url: &str) -> (u16, String) {
    read_answer(
        agent()
            .get(url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}")),
    )
}

/// GETs `url` with these headers (an `Accept`, say): status, the answer's
/// `Content-Type` (empty when it has none) and its text, whatever the
/// status.
pub fn get_with(url: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut request = agent().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let resp = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, text) = read_answer(resp);
    (status, content_type, text)
}

/// The `messages` of a plugin's answer body; none for a success.
pub fn messages(answer: &str) -> Vec<String> {
    let v: Value =
        serde_json::from_str(answer).unwrap_or_else(|e| panic!("not JSON: {e}: {answer}"));
    v["messages"]
        .as_array()
        .map(|m| m.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// A port on 127.0.0.1 on which nothing listens (for now). It stays bound, so
/// no other program takes it in the meantime, and a connection to it is
/// refused at once.
pub struct ClosedPort {
    socket: Socket,
    pub port: u16,
}

pub fn closed_port() -> ClosedPort {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&addr.into()).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    ClosedPort { socket, port }
}

impl ClosedPort {
    /// Starts listening on the same port.
    pub fn listen(self) -> TcpListener {
        self.socket.listen(128).unwrap();
        self.socket.into()
    }
}

/// An HTTP server on 127.0.0.1 that hands each request to a handler, on a
/// thread of its own, until it is dropped (which waits for the thread).
pub struct Loopback {
    server: Arc<tiny_http::Server>,
    pub port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Loopback {
    /// Serves on a free port.
    pub fn start(handler: impl FnMut(tiny_http::Request) + Send + 'static) -> Loopback {
        Loopback::on(
            TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1"),
            handler,
        )
    }

    /// Serves on `listener` (a [`ClosedPort`] that starts to listen, say).
    pub fn on(
        listener: TcpListener,
        mut handler: impl FnMut(tiny_http::Request) + Send + 'static,
    ) -> Loopback {
        let server =
            Arc::new(tiny_http::Server::from_listener(listener, None).expect("serve on 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let thread = {
            let server = server.clone();
            std::thread::spawn(move || {
                while let Ok(req) = server.recv() {
                    handler(req);
                }
            })
        };
        Loopback {
            server,
            port,
            thread: Some(thread),
        }
    }

    /// Serves on a free port, answering `code` to every request and sending
    /// each request's path and body to the receiver it returns.
    pub fn recording(code: u16) -> (Loopback, std::sync::mpsc::Receiver<(String, String)>) {
        let (sent, got) = std::sync::mpsc::channel();
        let loopback = Loopback::start(move |mut req| {
            let mut body = String::new();
            let _ = std::io::Read::read_to_string(req.as_reader(), &mut body);
            let path = req.url().to_owned();
            let _ = req.respond(tiny_http::Response::empty(code));
            let _ = sent.send((path, body));
        });
        (loopback, got)
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A webhook receiver on 127.0.0.1 that answers 500 while it is down and
/// 200 when it is up, and records the idempotency key and the text of each
/// delivery it took: what "exactly once" is checked against.
pub struct Flaky {
    loopback: Loopback,
    down: Arc<std::sync::atomic::AtomicBool>,
    taken: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Flaky {
    /// A receiver that starts down.
    pub fn down() -> Flaky {
        let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let taken: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
        let loopback = {
            let (down, taken) = (down.clone(), taken.clone());
            Loopback::start(move |mut req| {
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(req.as_reader(), &mut body);
                let text = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v["text"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let key = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("idempotency-key"))
                    .map(|h| h.value.to_string())
                    .unwrap_or_default();
                let code = if down.load(std::sync::atomic::Ordering::SeqCst) {
                    500
                } else {
                    taken.lock().unwrap().push((key, text));
                    200
                };
                let _ = req.respond(tiny_http::Response::empty(code));
            })
        };
        Flaky {
            loopback,
            down,
            taken,
        }
    }

    /// Its address, for a webhook target.
    pub fn url(&self) -> String {
        self.loopback.url("/hook")
    }

    /// Answers 200 from now on (or 500 again).
    pub fn set_up(&self, up: bool) {
        self.down.store(!up, std::sync::atomic::Ordering::SeqCst);
    }

    /// The keys of the deliveries taken, in order.
    pub fn taken(&self) -> Vec<String> {
        self.taken
            .lock()
            .unwrap()
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The texts of the deliveries taken, in order.
    pub fn texts(&self) -> Vec<String> {
        self.taken
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// Waits until `n` deliveries were taken, at most `limit`; the keys.
    pub fn wait_for(&self, n: usize, limit: std::time::Duration) -> Vec<String> {
        let end = std::time::Instant::now() + limit;
        while self.taken().len() < n && std::time::Instant::now() < end {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.taken()
    }
}

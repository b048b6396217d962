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
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(url)
        .send(body.as_ref())
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
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

//! An HTTP receiver for GoCD notifications (feature `server`): axum on tokio,
//! answering the way GoCD's webhook-forwarding plugins expect.
//!
//! | request | what it takes |
//! |---|---|
//! | `POST /` | a stage-status or agent-status body, told apart by its shape, raw or in the `{"type","data"}` wrapper |
//! | `POST /stage-status`, `POST /agent-status` | that kind of body, raw or wrapped |
//! | `POST /notifications-interested-in` | nothing; answers the kinds the plugin wants |
//! | `GET /healthz` | 200 while the process answers |
//! | `GET /readyz` | 200 when the rules are loaded and the state store answers, 503 with the reason otherwise |
//! | `GET /metrics` | the [`Metrics`] in the Prometheus text format, or OpenMetrics when `Accept` asks for it ([`MetricsFormat`]; when [`ServerOptions::metrics`] is set) |
//!
//! The answer's body is the [`Plugin`]'s answer (`{"status":"success"}`, or
//! `{"status":"failure","messages":[...]}`). Its status is what forwarders look
//! at: 200 when everything was delivered, 502 when some delivery failed (the
//! forwarder then shows the failure in GoCD), 400 for a body that is not a
//! notification, 401 for a missing or wrong signature when a [`Secret`] is set,
//! 404 for an unknown path, 405 for a method other than POST, 413 for a body
//! over [`ServerOptions::max_body_bytes`], 408 when the request itself has not
//! arrived within [`ServerOptions::request_timeout`], 504 when the answer takes
//! longer than that (the deliveries go on, and their failures are logged).
//!
//! [`Plugin::handle`] blocks while it delivers, so it runs on tokio's blocking
//! threads; on shutdown the server stops taking requests and waits for the
//! deliveries in flight.
//!
//! ```no_run
//! use std::sync::Arc;
//! use notify_rules::server::{Server, ServerOptions};
//! use notify_rules::{deliver::Console, Plugin, RuleSet};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let rules = RuleSet::parse(r#"target ops; on state Failed => send(ops);"#)?;
//! let plugin = Plugin::builder(rules).notifier("ops", Console::stdout()).build()?;
//! let server = Server::bind(Arc::new(plugin), ServerOptions::default()).await?;
//! println!("listening on {}", server.local_addr());
//! server.run().await?; // until SIGINT or SIGTERM
//! # Ok(()) }
//! ```
//!
//! [`config`] reads the program's TOML configuration (notifiers per target,
//! secrets named by environment variable) into a `Plugin` and these options.

mod accept;
mod body;
pub mod config;
mod exposition;
mod flusher;
mod health;
mod metrics;
mod reload;
mod routes;
mod scheduler;
mod signature;

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use tokio::sync::Notify;

pub use exposition::MetricsFormat;
pub use metrics::Metrics;
pub use reload::Reloader;
pub use signature::Secret;

use routes::{current, Current};

use crate::Plugin;

/// The address the server listens on unless told otherwise: loopback only, so
/// nothing outside the machine reaches it by accident.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8154);

/// How long a request may take, body and deliveries included, unless told
/// otherwise. GoCD's notification queue keeps a message two minutes.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the outbox is tried again unless told otherwise.
pub const DEFAULT_OUTBOX_FLUSH_INTERVAL: Duration = Duration::from_secs(60);

/// How many requests are handled at once unless told otherwise. A GoCD
/// server's forwarder posts one notification at a time per pipeline run; 64 is
/// far above that, and with 8 MiB bodies bounds what bodies being read can hold
/// to 512 MiB.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;

/// How long a client has to send a request's headers unless told otherwise
/// (on a kept-alive connection, from the end of the previous answer):
/// forwarders send them at once, and a client that trickles them holds a
/// connection only this long.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// How many connections one client address may hold open without having
/// sent a request, unless told otherwise; past that its oldest one is closed.
pub const DEFAULT_MAX_IDLE_PER_ADDRESS: usize = 16;

/// The longest wait the server puts on its clock: a longer timeout or
/// interval is taken as this one, since adding it to the clock would overflow.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// How the server listens and what it accepts.
///
/// ```
/// use notify_rules::server::{Secret, ServerOptions};
///
/// let options = ServerOptions { secret: Some(Secret::new("s3cret")), ..ServerOptions::default() };
/// assert_eq!(options.listen.to_string(), "127.0.0.1:8154");
/// assert!(!format!("{options:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen; [`DEFAULT_LISTEN`] by default. Port 0 picks a free port
    /// ([`Server::local_addr`] tells which).
    pub listen: SocketAddr,
    /// When set, every request must carry the body's HMAC-SHA256 under this
    /// secret in `x-gocd-signature` or `X-Hub-Signature: sha256=...`.
    pub secret: Option<Secret>,
    /// The largest body taken; larger ones get 413.
    /// [`protocol::MAX_BODY_BYTES`](crate::protocol::MAX_BODY_BYTES) by default,
    /// and at most that: a larger value is taken as it, with a warning.
    pub max_body_bytes: usize,
    /// The longest a request may take once its headers are in: one whose
    /// body has not arrived by then is answered 408, one whose deliveries are
    /// not done 504 (they go on, and their failures are logged).
    /// [`DEFAULT_REQUEST_TIMEOUT`] by default. A value too large for the
    /// clock means no limit.
    pub request_timeout: Duration,
    /// A client that has not sent a request's headers within this time is
    /// disconnected; [`DEFAULT_HEADER_TIMEOUT`] by default.
    pub header_timeout: Duration,
    /// Connections from one address that have not sent a request yet, at
    /// most; a new one past this closes the oldest.
    /// [`DEFAULT_MAX_IDLE_PER_ADDRESS`] by default; 0 is taken as 1.
    pub max_idle_per_address: usize,
    /// How often deliveries waiting in the plugin's outbox are tried again
    /// when no notification comes to do it ([`Plugin::flush_outbox`]);
    /// [`DEFAULT_OUTBOX_FLUSH_INTERVAL`] by default, `None` for never.
    pub outbox_flush_interval: Option<Duration>,
    /// How many requests are handled at once (from their headers to their
    /// answer; `GET` checks aside); more wait, within their time limit, until
    /// one ends. Connections still sending headers take no slot.
    /// [`DEFAULT_MAX_CONNECTIONS`] by default; 0 is taken as 1. Together with
    /// [`max_body_bytes`](Self::max_body_bytes) it bounds the memory that
    /// bodies being read can take.
    pub max_connections: usize,
    /// What `GET /metrics` shows; a new [`Metrics`] by default. `None`
    /// turns counting off (and `/metrics` answers 404).
    pub metrics: Option<Metrics>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            listen: DEFAULT_LISTEN,
            secret: None,
            max_body_bytes: crate::protocol::MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_idle_per_address: DEFAULT_MAX_IDLE_PER_ADDRESS,
            outbox_flush_interval: Some(DEFAULT_OUTBOX_FLUSH_INTERVAL),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            metrics: Some(Metrics::new()),
        }
    }
}

/// Counts the deliveries running on blocking threads, so shutdown can wait for
/// them even when their request already timed out.
#[derive(Clone, Default)]
pub(crate) struct InFlight(Arc<(AtomicUsize, Notify)>);

pub(crate) struct InFlightGuard(InFlight);

impl InFlight {
    pub(crate) fn enter(&self) -> InFlightGuard {
        self.0 .0.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    fn count(&self) -> usize {
        self.0 .0.load(Ordering::SeqCst)
    }

    async fn idle(&self) {
        loop {
            let notified = self.0 .1.notified();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if (self.0).0 .0.fetch_sub(1, Ordering::SeqCst) == 1 {
            (self.0).0 .1.notify_waiters();
        }
    }
}

/// The routes of the server for a plugin, to serve yourself or to nest in a
/// bigger axum application. [`Server`] serves them with graceful shutdown.
pub fn router(plugin: Arc<Plugin>, options: &ServerOptions) -> Router {
    routes::router(Arc::new(RwLock::new(plugin)), options, InFlight::default())
}

/// A bound server, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    in_flight: InFlight,
    plugin: Current,
    flush_interval: Option<Duration>,
    limits: accept::Limits,
    open_to_all: bool,
    metrics: Option<Metrics>,
}

impl Server {
    /// Binds `options.listen`. Must be called inside a tokio runtime.
    pub async fn bind(plugin: Arc<Plugin>, options: ServerOptions) -> io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot listen on {}: {e}", options.listen),
                )
            })?;
        let in_flight = InFlight::default();
        if let Some(metrics) = &options.metrics {
            metrics.rules_in_force(plugin.rules().len());
        }
        let plugin: Current = Arc::new(RwLock::new(plugin));
        let router = routes::router(plugin.clone(), &options, in_flight.clone());
        Ok(Server {
            listener,
            router,
            in_flight,
            plugin,
            flush_interval: options.outbox_flush_interval.filter(|d| !d.is_zero()),
            limits: accept::Limits {
                header_timeout: options.header_timeout,
                max_idle_per_address: options.max_idle_per_address,
            },
            open_to_all: options.secret.is_none() && !options.listen.ip().is_loopback(),
            metrics: options.metrics,
        })
    }

    /// The address actually bound (with the port picked when it was 0).
    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always knows its address; the fallback only keeps
        // this infallible.
        self.listener
            .local_addr()
            .unwrap_or(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0))
    }

    /// What replaces the plugin while the server runs (a reload).
    pub fn reloader(&self) -> Reloader {
        Reloader {
            plugin: self.plugin.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, then finishes the requests and
    /// deliveries in flight.
    pub async fn run(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes the requests and
    /// deliveries in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let addr = self.local_addr();
        // Polled once before "listening" is said: a signal handler is set up
        // on the first poll, and a SIGTERM sent by whoever saw that line must
        // find it there, not kill the process.
        let mut shutdown = Box::pin(shutdown);
        let stopped_already = tokio::select! {
            biased;
            () = &mut shutdown => true,
            () = std::future::ready(()) => false,
        };
        tracing::info!(%addr, "listening");
        if self.open_to_all {
            tracing::warn!(
                %addr,
                "no shared secret and not listening on loopback only: anyone who can reach this port can post notifications; set [server] secret_env"
            );
        }
        let outbox_in_memory = !current(&self.plugin).state_is_durable();
        if outbox_in_memory {
            tracing::warn!(
                "the state is in memory: deliveries that cannot be sent yet, and the history, are lost when the server stops; set [state] store = \"sqlite\" to keep them"
            );
        }
        let flusher = self.flush_interval.map(|every| {
            tokio::spawn(flusher::flush_outbox(
                self.plugin.clone(),
                every,
                self.in_flight.clone(),
                self.metrics.clone(),
            ))
        });
        // Reminders and digests, beside the flusher (`scheduler.rs`).
        let scheduler = tokio::spawn(scheduler::send_due(
            self.plugin.clone(),
            scheduler::TICK,
            self.in_flight.clone(),
            self.metrics.clone(),
        ));
        let shutdown = async move {
            if !stopped_already {
                shutdown.await;
            }
        };
        accept::serve(self.listener, self.router, self.limits, shutdown).await;
        if let Some(flusher) = flusher {
            // A flush already running keeps its in-flight guard, so the wait
            // below covers it.
            flusher.abort();
        }
        scheduler.abort();
        let waiting = self.in_flight.count();
        if waiting > 0 {
            tracing::info!(deliveries = waiting, "waiting for deliveries in flight");
        }
        self.in_flight.idle().await;
        // Only memory is counted here: a database store must not be called
        // on the runtime's threads, and keeps what waits anyway.
        let waiting = if outbox_in_memory {
            current(&self.plugin).outbox_len()
        } else {
            0
        };
        if waiting > 0 {
            tracing::error!(
                deliveries = waiting,
                "the state is in memory: {waiting} deliveries not yet sent are lost"
            );
        }
        tracing::info!(%addr, "stopped");
        Ok(())
    }

    /// Runs the server on its own thread with its own runtime, for programs
    /// and tests that are not async. It stops when the returned handle is shut
    /// down or dropped.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use notify_rules::server::{Server, ServerOptions};
    /// use notify_rules::{Plugin, RuleSet};
    ///
    /// let plugin = Plugin::builder(RuleSet::parse("").unwrap()).build().unwrap();
    /// let options = ServerOptions { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
    /// let running = Server::spawn(Arc::new(plugin), options).unwrap();
    /// assert_ne!(running.local_addr().port(), 0);
    /// running.shutdown().unwrap();
    /// ```
    pub fn spawn(plugin: Arc<Plugin>, options: ServerOptions) -> io::Result<Running> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let server = runtime.block_on(Server::bind(plugin, options))?;
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("notify-rules-server".into())
            .spawn(move || {
                runtime.block_on(server.run_until(async {
                    // A dropped sender stops the server as well.
                    let _ = stopped.await;
                }))
            })?;
        Ok(Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A server running on its own thread; see [`Server::spawn`].
pub struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Running {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking requests, waits for those in flight and their deliveries,
    /// and returns how serving ended.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the server thread panicked")),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Err(e) = self.stop_and_join() {
            tracing::error!(error = %e, "the server ended with an error");
        }
    }
}

/// Serves on a new tokio runtime until SIGINT (Ctrl-C) or SIGTERM, blocking
/// the calling thread, then finishes the requests and deliveries in flight:
/// everything a `main` that is not async needs.
///
/// ```no_run
/// use std::sync::Arc;
/// use notify_rules::server::{self, ServerOptions};
/// use notify_rules::{deliver::Console, Plugin, RuleSet};
///
/// let rules = RuleSet::parse("target ops; on state Failed => send(ops);").unwrap();
/// let plugin = Plugin::builder(rules).notifier("ops", Console::stdout()).build().unwrap();
/// server::run_blocking(Arc::new(plugin), ServerOptions::default()).unwrap();
/// ```
pub fn run_blocking(plugin: Arc<Plugin>, options: ServerOptions) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move { Server::bind(plugin, options).await?.run().await })
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}

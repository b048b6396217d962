//! Accepting connections and serving each one with hyper, so that reading a
//! request's headers has a time limit (axum's own `serve` sets none, and a
//! client trickling headers would hold its connection for ever), and so that
//! connections that send nothing cannot crowd out those that do.
//!
//! The limit on what is served at once counts requests being handled (see
//! `routes`), not connections: a connection still sending its headers holds
//! no slot. Connections are bounded three ways: the header time limit; at
//! most [`MAX_OPEN_CONNECTIONS`] open; and per client address at most
//! `max_idle_per_address` that have not yet sent a request, the oldest
//! closed when another comes.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};

use super::MAX_WAIT;

/// The most connections open at once, arriving or served: below the usual
/// limit of 1024 open files, with room for the state store and notifiers.
pub(crate) const MAX_OPEN_CONNECTIONS: usize = 768;

/// How the accept loop limits connections.
pub(crate) struct Limits {
    pub(crate) header_timeout: Duration,
    pub(crate) max_idle_per_address: usize,
}

/// The connections of each address that have not sent a request yet, oldest
/// first, each with what closes it.
#[derive(Default)]
struct Arriving {
    next: u64,
    by_address: HashMap<IpAddr, VecDeque<(u64, Arc<Notify>)>>,
}

type Shared = Arc<Mutex<Arriving>>;

fn lock(arriving: &Shared) -> std::sync::MutexGuard<'_, Arriving> {
    arriving
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Records a new connection from `ip`; closes the oldest one of `ip` that
/// has sent nothing yet when there are more than `cap`.
fn arrive(arriving: &Shared, ip: IpAddr, cap: usize) -> (u64, Arc<Notify>) {
    let mut a = lock(arriving);
    a.next += 1;
    let id = a.next;
    let close = Arc::new(Notify::new());
    let queue = a.by_address.entry(ip).or_default();
    queue.push_back((id, close.clone()));
    if queue.len() > cap.max(1) {
        if let Some((_, oldest)) = queue.pop_front() {
            // A permit is kept if its task is not waiting yet.
            oldest.notify_one();
            tracing::debug!(%ip, cap, "closing the oldest connection of this address that has sent no request");
        }
    }
    (id, close)
}

/// The connection `id` of `ip` sent a request, or ended: no longer arriving.
fn leave(arriving: &Shared, ip: IpAddr, id: u64) {
    let mut a = lock(arriving);
    if let Some(queue) = a.by_address.get_mut(&ip) {
        queue.retain(|(other, _)| *other != id);
        if queue.is_empty() {
            a.by_address.remove(&ip);
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// connections finish the requests they are in and closes them.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // hyper adds the timeout to the clock, and panics past what it can hold.
    let header_timeout = limits.header_timeout.min(MAX_WAIT);
    let open = Arc::new(Semaphore::new(MAX_OPEN_CONNECTIONS));
    let arriving: Shared = Arc::default();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut warned_full = false;
    loop {
        let slot = match open.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if !warned_full {
                    warned_full = true;
                    tracing::warn!(
                        max = MAX_OPEN_CONNECTIONS,
                        "every connection slot is taken; new connections wait"
                    );
                }
                tokio::select! {
                    slot = open.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        // The semaphore is never closed.
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it
                    // was accepted: the listener itself is fine.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small and each one ends a request: sending them at once
        // beats waiting for Nagle's algorithm to fill a segment.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let ip = peer.ip();
        let (id, close) = arrive(&arriving, ip, limits.max_idle_per_address);
        let on_request = arriving.clone();
        let router = router.clone();
        // The first request takes the connection out of the arriving ones.
        let service = tower::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            leave(&on_request, ip, id);
            tower::ServiceExt::oneshot(router.clone(), req)
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        let arriving = arriving.clone();
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                },
                () = close.notified() => {}
            }
            leave(&arriving, ip, id);
            drop(slot);
        });
    }
    // No new connections from here on.
    drop(listener);
    graceful.shutdown().await;
}

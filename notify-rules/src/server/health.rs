//! What a load balancer, an orchestrator and Prometheus ask: `GET /healthz`,
//! `GET /readyz`, `GET /metrics`; and the time of every request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::routes::{AppState, Path};
use super::MetricsFormat;

/// How long `/readyz` waits for the state store: below the few seconds a
/// load balancer's check waits, so that it gets an answer with the reason.
pub(crate) const READY_WAIT: Duration = Duration::from_secs(2);

/// The paths of this module, answered to GET.
pub(crate) const HEALTHZ: &str = "/healthz";
pub(crate) const READYZ: &str = "/readyz";
pub(crate) const METRICS: &str = "/metrics";

fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 200 while the process answers at all.
pub(crate) async fn healthz() -> Response {
    text(StatusCode::OK, "ok\n".into())
}

/// Set while a store check runs, so that checks coming faster than the
/// store answers do not pile up blocking threads.
#[derive(Default)]
pub(crate) struct Probing(AtomicBool);

struct ProbeGuard(Arc<super::routes::Shared>);

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        self.0.probing.0.store(false, Ordering::Release);
    }
}

/// 200 when the rules are loaded and the state store answers a write
/// (what recording a notification needs) within [`READY_WAIT`]; 503 with
/// the reason otherwise.
pub(crate) async fn readyz(State(shared): State<AppState>) -> Response {
    let not_ready = |reason: String| {
        tracing::warn!(reason = %reason, "not ready");
        text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
    };
    if shared.probing.0.swap(true, Ordering::AcqRel) {
        return not_ready("the state store has not answered the previous check yet".into());
    }
    let guard = ProbeGuard(shared.clone());
    let plugin = shared.plugin();
    let rules = plugin.rules().len();
    let check = tokio::task::spawn_blocking(move || {
        let _guard = guard;
        plugin.check_store()
    });
    match tokio::time::timeout(READY_WAIT, check).await {
        Ok(Ok(Ok(()))) => text(
            StatusCode::OK,
            format!("ready: {rules} rules loaded, the state store answers\n"),
        ),
        Ok(Ok(Err(e))) => not_ready(format!("the state store does not answer: {e}")),
        Ok(Err(_)) => not_ready("the state store check panicked".into()),
        Err(_) => not_ready(format!(
            "the state store did not answer within {} s",
            READY_WAIT.as_secs()
        )),
    }
}

/// The metrics in the classic Prometheus text format, or in OpenMetrics
/// when the scraper's `Accept` asks for it; 404 when the server was started
/// without them. What waits in the outbox is counted now, per target.
pub(crate) async fn metrics(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    let Some(metrics) = shared.metrics.clone() else {
        return text(
            StatusCode::NOT_FOUND,
            "metrics are off on this server\n".into(),
        );
    };
    let format =
        MetricsFormat::for_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let plugin = shared.plugin();
    // A database store blocks even to count what waits.
    let counted = tokio::task::spawn_blocking(move || plugin.outbox_by_target()).await;
    match counted {
        Ok(Ok(by_target)) => metrics.outbox_waiting(&by_target),
        // The gauges keep what the last count said.
        Ok(Err(e)) => tracing::warn!(error = %e, "/metrics: the outbox could not be counted"),
        Err(e) => tracing::error!(error = %e, "/metrics: counting the outbox panicked"),
    }
    let mut response = (StatusCode::OK, metrics.encode(format)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

/// The label of a request's path: one of the server's own, or `other`, so
/// that probing random paths adds no series.
fn path_label(path: &str) -> &'static str {
    [
        Path::Any.as_str(),
        Path::Stage.as_str(),
        Path::Agent.as_str(),
        Path::InterestedIn.as_str(),
        HEALTHZ,
        READYZ,
        METRICS,
    ]
    .into_iter()
    .find(|known| *known == path)
    .unwrap_or("other")
}

/// Times every request, by path and status.
pub(crate) async fn timed(State(shared): State<AppState>, req: Request, next: Next) -> Response {
    let path = path_label(req.uri().path());
    let started = Instant::now();
    let response = next.run(req).await;
    if let Some(metrics) = &shared.metrics {
        metrics.request(
            path,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    response
}

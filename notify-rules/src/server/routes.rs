//! The HTTP front of a [`Plugin`]: paths, reading the body, signatures, and
//! turning the plugin's answer into a status a forwarder understands.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::task::{JoinError, JoinHandle};

use super::body::read;
use super::health::{self, Probing};
use super::signature::{self, Secret};
use super::{InFlight, InFlightGuard, Metrics, ServerOptions};
use crate::plugin::{Answer, Problem};
use crate::protocol;
use crate::{Plugin, PluginResponse};

/// The plugin in force: replaced whole when the rules are reloaded, while
/// requests already started keep the one they took.
pub(crate) type Current = Arc<RwLock<Arc<Plugin>>>;

/// What every handler shares.
pub(crate) struct Shared {
    plugin: Current,
    secret: Option<Secret>,
    max_body_bytes: usize,
    request_timeout: Duration,
    pub(crate) in_flight: InFlight,
    pub(crate) metrics: Option<Metrics>,
    pub(crate) probing: Probing,
    /// One per request being handled ([`ServerOptions::max_connections`]).
    slots: tokio::sync::Semaphore,
    /// Whether a wait for a slot has been logged yet.
    warned_full: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// The plugin in force now.
    pub(crate) fn plugin(&self) -> Arc<Plugin> {
        current(&self.plugin)
    }
}

/// The plugin in force in `plugin`; a writer that panicked left a whole
/// plugin there all the same.
pub(crate) fn current(plugin: &Current) -> Arc<Plugin> {
    plugin
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

pub(crate) type AppState = Arc<Shared>;

/// Which notification a path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// `POST /`: either kind, told apart by the body's shape.
    Any,
    Stage,
    Agent,
    InterestedIn,
}

impl Path {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Path::Any => "/",
            Path::Stage => "/stage-status",
            Path::Agent => "/agent-status",
            Path::InterestedIn => "/notifications-interested-in",
        }
    }
}

/// The paths this server answers, for the 404 message.
const PATHS: &str = "POST /, POST /stage-status, POST /agent-status, \
    POST /notifications-interested-in, GET /healthz, GET /readyz, GET /metrics";

pub(crate) fn router(plugin: Current, options: &ServerOptions, in_flight: InFlight) -> Router {
    // The parser takes no more, and would answer a larger body 400 instead
    // of 413 with the limit that really applies.
    let max_body_bytes = options.max_body_bytes.min(protocol::MAX_BODY_BYTES);
    if max_body_bytes < options.max_body_bytes {
        tracing::warn!(
            asked = options.max_body_bytes,
            taken = max_body_bytes,
            "max_body_bytes is above what the notification parser takes; using the parser's limit"
        );
    }
    let state = Arc::new(Shared {
        plugin,
        secret: options.secret.clone(),
        max_body_bytes,
        request_timeout: options.request_timeout,
        in_flight,
        metrics: options.metrics.clone(),
        probing: Probing::default(),
        slots: tokio::sync::Semaphore::new(
            options
                .max_connections
                .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
        ),
        warned_full: std::sync::atomic::AtomicBool::new(false),
    });
    let route = |path: Path| post(move |s: State<AppState>, req: Request| receive(s, path, req));
    let router = Router::new()
        .route(Path::Any.as_str(), route(Path::Any))
        .route(Path::Stage.as_str(), route(Path::Stage))
        .route(Path::Agent.as_str(), route(Path::Agent))
        .route(Path::InterestedIn.as_str(), route(Path::InterestedIn))
        .route(health::HEALTHZ, get(health::healthz))
        .route(health::READYZ, get(health::readyz))
        .route(health::METRICS, get(health::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // The limit is enforced where the body is read, so the answer can be
        // the same JSON failure as every other one.
        .layer(DefaultBodyLimit::max(max_body_bytes));
    let router = if state.metrics.is_some() {
        router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            health::timed,
        ))
    } else {
        router
    };
    router.with_state(state)
}

/// A JSON answer with a status, as every answer of this server is.
fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(
        status,
        PluginResponse::failure(status.as_u16(), [message.into()]).body,
    )
}

async fn not_found(method: Method, uri: Uri) -> Response {
    tracing::info!(%method, path = uri.path(), status = 404, "unknown path");
    failure(
        StatusCode::NOT_FOUND,
        format!("unknown path {}; this server answers {PATHS}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    tracing::info!(%method, path = uri.path(), status = 405, "method not allowed");
    let allowed = if [health::HEALTHZ, health::READYZ, health::METRICS].contains(&uri.path()) {
        "GET"
    } else {
        "POST"
    };
    let mut response = failure(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} takes {allowed}, not {method}", uri.path()),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// How far reading a request got before the plugin took it: answered
/// already (refused, or nothing to deliver), or the plugin at work.
enum Started {
    Answered(Response),
    /// The plugin at work on a notification of this kind (its request name).
    Working(&'static str, JoinHandle<Answer>),
}

async fn receive(State(shared): State<AppState>, path: Path, req: Request) -> Response {
    let started = Instant::now();
    let timeout = shared.request_timeout;
    // A deadline beyond what the clock can hold is no deadline at all, rather
    // than a panic on every request.
    let deadline = tokio::time::Instant::now().checked_add(timeout);
    // What `notify_rules_notifications_total` counts: kind and outcome.
    let mut counted = ("unknown", "timeout");
    let handled = async {
        let slot = slot(&shared).await;
        (slot, start(&shared, path, req).await)
    };
    let response = match within(deadline, handled).await {
        // Still reading the body: nothing was started, so nothing goes on.
        None => failure(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request was not received within {} ms; nothing was delivered",
                timeout.as_millis()
            ),
        ),
        Some((_, Started::Answered(response))) => {
            counted.1 = "refused";
            response
        }
        Some((_slot, Started::Working(kind, mut work))) => {
            match within(deadline, &mut work).await {
                Some(joined) => {
                    let response = answered(path, joined, shared.metrics.as_ref());
                    counted = (kind, outcome(response.status()));
                    response
                }
                None => {
                    counted.0 = kind;
                    // Shutdown waits for this guard too, so the outcome is logged
                    // before the server stops.
                    let guard = shared.in_flight.enter();
                    let metrics = shared.metrics.clone();
                    tokio::spawn(finish_in_background(path, work, guard, metrics));
                    failure(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "no answer within {} ms; deliveries already started go on in the background",
                        timeout.as_millis()
                    ),
                )
                }
            }
        }
    };
    if let Some(metrics) = shared
        .metrics
        .as_ref()
        .filter(|_| path != Path::InterestedIn)
    {
        metrics.notification(counted.0, counted.1);
    }
    let status = response.status().as_u16();
    let elapsed_us = started.elapsed().as_micros() as u64;
    if response.status().is_success() {
        tracing::debug!(path = path.as_str(), status, elapsed_us, "answered");
    } else {
        tracing::warn!(
            path = path.as_str(),
            status,
            elapsed_us,
            "answered with an error"
        );
    }
    response
}

/// A slot among the requests handled at once, waited for when all are taken
/// (said once in the log).
async fn slot(shared: &Shared) -> Option<tokio::sync::SemaphorePermit<'_>> {
    if let Ok(slot) = shared.slots.try_acquire() {
        return Some(slot);
    }
    if !shared
        .warned_full
        .swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            "every request slot is taken; new requests wait (raise [server] max_connections if this is normal load)"
        );
    }
    // The semaphore is never closed.
    shared.slots.acquire().await.ok()
}

/// `work` to its end, or `None` once `deadline` has passed.
async fn within<F: Future>(deadline: Option<tokio::time::Instant>, work: F) -> Option<F::Output> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work).await.ok(),
        None => Some(work.await),
    }
}

/// A notification's outcome, from the status it was answered with.
fn outcome(status: StatusCode) -> &'static str {
    match status {
        StatusCode::OK => "ok",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "failed",
    }
}

/// The plugin's answer, or its panic, as a response, its problems logged
/// and counted.
fn answered(path: Path, joined: Result<Answer, JoinError>, metrics: Option<&Metrics>) -> Response {
    match joined {
        Ok(answer) => {
            if let Some(metrics) = metrics {
                metrics.problems(&answer);
            }
            log_problems(path, &answer.problems, "not delivered");
            from_answer(&answer)
        }
        Err(e) => {
            tracing::error!(error = %e, "the plugin panicked while handling a request");
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the plugin failed while handling this request",
            )
        }
    }
}

/// Waits for deliveries whose request was answered 504, so that their
/// failures are not lost: the client has gone, only the log can tell.
async fn finish_in_background(
    path: Path,
    work: JoinHandle<Answer>,
    guard: InFlightGuard,
    metrics: Option<Metrics>,
) {
    match work.await {
        Ok(answer) => {
            if let Some(metrics) = &metrics {
                metrics.problems(&answer);
            }
            if answer.is_success() {
                tracing::info!(
                    path = path.as_str(),
                    "the deliveries of a request answered 504 are done"
                );
            } else {
                log_problems(
                    path,
                    &answer.problems,
                    "not delivered after the request was answered 504",
                );
            }
        }
        Err(e) => tracing::error!(
            path = path.as_str(),
            error = %e,
            "the plugin panicked while handling a request answered 504"
        ),
    }
    drop(guard);
}

/// Logs each problem at `warn`, with its target and reason as fields.
fn log_problems(path: Path, problems: &[Problem], what: &str) {
    for problem in problems {
        match problem.target() {
            Some(target) => {
                let reason = problem.reason();
                tracing::warn!(path = path.as_str(), target, reason, "{what}");
            }
            None => tracing::warn!(path = path.as_str(), message = %problem, "{what}"),
        }
    }
}

async fn start(shared: &Arc<Shared>, path: Path, req: Request) -> Started {
    // Refused before the body is read: a sender that cannot sign makes the
    // server hold nothing.
    if shared.secret.is_some() && !signature::present(req.headers()) {
        if let Some(metrics) = &shared.metrics {
            metrics.signature_failure(true);
        }
        return Started::Answered(failure(
            StatusCode::UNAUTHORIZED,
            signature::Refused::Missing.to_string(),
        ));
    }
    let headers: HeaderMap = req.headers().clone();
    let body = match Bytes::from_request(req, &()).await {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "body too large: this server takes at most {} bytes",
                    shared.max_body_bytes
                )
            } else {
                format!("could not read the body: {}", rejection.body_text())
            };
            return Started::Answered(failure(status, message));
        }
    };
    if let Some(secret) = &shared.secret {
        if let Err(refused) = signature::check(secret, &headers, &body) {
            if let Some(metrics) = &shared.metrics {
                metrics.signature_failure(matches!(refused, signature::Refused::Missing));
            }
            return Started::Answered(failure(StatusCode::UNAUTHORIZED, refused.to_string()));
        }
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return Started::Answered(failure(
            StatusCode::BAD_REQUEST,
            "the body is not UTF-8 text; GoCD sends JSON",
        ));
    };
    // The plugin in force when the body arrived answers it, even if the
    // rules are reloaded meanwhile.
    let plugin = shared.plugin();
    let notification = match path {
        Path::InterestedIn => {
            let answer = plugin.handle(protocol::NOTIFICATIONS_INTERESTED_IN, "");
            return Started::Answered(from_plugin(answer));
        }
        Path::Any | Path::Stage | Path::Agent => match read(&plugin, path, text) {
            Ok(notification) => notification,
            Err(refused) => return Started::Answered(from_plugin(refused)),
        },
    };
    let kind = notification.request_name();
    let guard = shared.in_flight.enter();
    // `answer` blocks on deliveries; running it here would stall the runtime's
    // worker threads. The guard goes with it, so shutdown waits for the
    // deliveries even when this request has timed out.
    let work = move || {
        let _guard = guard;
        plugin.answer(notification)
    };
    Started::Working(kind, tokio::task::spawn_blocking(work))
}

/// A plugin answer that is no delivery outcome (a refusal, the interest
/// list) as an HTTP response with its own code.
pub(crate) fn from_plugin(answer: PluginResponse) -> Response {
    let status = StatusCode::from_u16(answer.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, answer.body)
}

/// The outcome of a notification as an HTTP response. Forwarders look only
/// at the status, so deliveries that could not be made, which the plugin
/// answers 200 as GoCD expects, are 502 here.
fn from_answer(answer: &Answer) -> Response {
    let status = if answer.is_success() {
        StatusCode::OK
    } else if answer.is_unavailable() {
        // Nothing was kept: the forwarder tries again.
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::BAD_GATEWAY
    };
    json_response(status, answer.response().body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_with_problems_is_502_and_other_answers_keep_their_code() {
        let s = |r: PluginResponse| from_plugin(r).status().as_u16();
        assert_eq!(s(PluginResponse::interested_in(&["stage-status"])), 200);
        assert_eq!(s(PluginResponse::failure(400, ["bad"])), 400);
        assert_eq!(
            s(PluginResponse {
                code: 1000,
                body: "{}".into()
            }),
            500
        );
        assert_eq!(from_answer(&Answer::default()).status().as_u16(), 200);
        let down = Answer {
            problems: vec![Problem::NotDelivered {
                target: "ops".into(),
                reason: "down".into(),
                kept: true,
            }],
        };
        assert_eq!(from_answer(&down).status().as_u16(), 502);
        let no_store = Answer {
            problems: vec![Problem::Unavailable(
                "state store x: the disk is full".into(),
            )],
        };
        assert_eq!(from_answer(&no_store).status().as_u16(), 503);
    }
}

//! The HTTP front of a [`Plugin`]: paths, reading the body, signatures, and
//! turning the plugin's answer into a status a forwarder understands.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::task::{JoinError, JoinHandle};

use super::signature::{self, Secret};
use super::{InFlight, InFlightGuard, ServerOptions};
use crate::plugin::{Answer, Problem};
use crate::protocol::{self, Notification, ProtocolError};
use crate::{Plugin, PluginResponse};

/// What every handler shares.
pub(crate) struct Shared {
    plugin: Arc<Plugin>,
    secret: Option<Secret>,
    max_body_bytes: usize,
    request_timeout: Duration,
    pub(crate) in_flight: InFlight,
}

type AppState = Arc<Shared>;

/// Which notification a path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// `POST /`: either kind, told apart by the body's shape.
    Any,
    Stage,
    Agent,
    InterestedIn,
}

impl Path {
    fn as_str(self) -> &'static str {
        match self {
            Path::Any => "/",
            Path::Stage => "/stage-status",
            Path::Agent => "/agent-status",
            Path::InterestedIn => "/notifications-interested-in",
        }
    }
}

/// The paths this server answers, for the 404 message.
const PATHS: &str =
    "POST /, POST /stage-status, POST /agent-status, POST /notifications-interested-in";

pub(crate) fn router(plugin: Arc<Plugin>, options: &ServerOptions, in_flight: InFlight) -> Router {
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
    });
    let route = |path: Path| post(move |s: State<AppState>, req: Request| receive(s, path, req));
    Router::new()
        .route(Path::Any.as_str(), route(Path::Any))
        .route(Path::Stage.as_str(), route(Path::Stage))
        .route(Path::Agent.as_str(), route(Path::Agent))
        .route(Path::InterestedIn.as_str(), route(Path::InterestedIn))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // The limit is enforced where the body is read, so the answer can be
        // the same JSON failure as every other one.
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
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
    let mut response = failure(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} takes POST, not {method}", uri.path()),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// How far reading a request got before the plugin took it: answered
/// already (refused, or nothing to deliver), or the plugin at work.
enum Started {
    Answered(Response),
    Working(JoinHandle<Answer>),
}

async fn receive(State(shared): State<AppState>, path: Path, req: Request) -> Response {
    let started = Instant::now();
    let timeout = shared.request_timeout;
    // A deadline beyond what the clock can hold is no deadline at all, rather
    // than a panic on every request.
    let deadline = tokio::time::Instant::now().checked_add(timeout);
    let response = match within(deadline, start(&shared, path, req)).await {
        // Still reading the body: nothing was started, so nothing goes on.
        None => failure(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request was not received within {} ms; nothing was delivered",
                timeout.as_millis()
            ),
        ),
        Some(Started::Answered(response)) => response,
        Some(Started::Working(mut work)) => match within(deadline, &mut work).await {
            Some(joined) => answered(path, joined),
            None => {
                // Shutdown waits for this guard too, so the outcome is logged
                // before the server stops.
                let guard = shared.in_flight.enter();
                tokio::spawn(finish_in_background(path, work, guard));
                failure(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "no answer within {} ms; deliveries already started go on in the background",
                        timeout.as_millis()
                    ),
                )
            }
        },
    };
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

/// `work` to its end, or `None` once `deadline` has passed.
async fn within<F: Future>(deadline: Option<tokio::time::Instant>, work: F) -> Option<F::Output> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work).await.ok(),
        None => Some(work.await),
    }
}

/// The plugin's answer, or its panic, as a response, its problems logged.
fn answered(path: Path, joined: Result<Answer, JoinError>) -> Response {
    match joined {
        Ok(answer) => {
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
async fn finish_in_background(path: Path, work: JoinHandle<Answer>, guard: InFlightGuard) {
    match work.await {
        Ok(answer) => {
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

/// A body that is not a notification, logged with where it went wrong.
fn log_refusal(path: Path, error: &ProtocolError) {
    tracing::warn!(
        path = path.as_str(),
        code = 400,
        field = error.path(),
        message = %error,
        "refused"
    );
}

async fn start(shared: &Arc<Shared>, path: Path, req: Request) -> Started {
    // Refused before the body is read: a sender that cannot sign makes the
    // server hold nothing.
    if shared.secret.is_some() && !signature::present(req.headers()) {
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
            return Started::Answered(failure(StatusCode::UNAUTHORIZED, refused.to_string()));
        }
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return Started::Answered(failure(
            StatusCode::BAD_REQUEST,
            "the body is not UTF-8 text; GoCD sends JSON",
        ));
    };
    let notification = match path {
        Path::InterestedIn => {
            let answer = shared
                .plugin
                .handle(protocol::NOTIFICATIONS_INTERESTED_IN, "");
            return Started::Answered(from_plugin(answer));
        }
        Path::Any | Path::Stage | Path::Agent => match read(&shared.plugin, path, text) {
            Ok(notification) => notification,
            Err(refused) => return Started::Answered(from_plugin(refused)),
        },
    };
    let plugin = shared.plugin.clone();
    let guard = shared.in_flight.enter();
    // `answer` blocks on deliveries; running it here would stall the runtime's
    // worker threads. The guard goes with it, so shutdown waits for the
    // deliveries even when this request has timed out.
    let work = move || {
        let _guard = guard;
        plugin.answer(notification)
    };
    Started::Working(tokio::task::spawn_blocking(work))
}

/// Reads a notification body, raw or wrapped, with the plugin's time zone;
/// fields it could not read are logged. A refusal is the plugin-style answer,
/// made into a response by the caller.
fn read(plugin: &Plugin, path: Path, text: &str) -> Result<Notification, PluginResponse> {
    let received = match plugin.reader().notification(text) {
        Ok(read) => read.logged(),
        Err(e) => {
            log_refusal(path, &e);
            return Err(PluginResponse::bad_request(&e));
        }
    };
    let name = received.notification.request_name();
    let wanted = match path {
        Path::Stage => Some(protocol::STAGE_STATUS),
        Path::Agent => Some(protocol::AGENT_STATUS),
        Path::Any | Path::InterestedIn => None,
    };
    if let Some(wanted) = wanted.filter(|w| *w != name) {
        let message = format!(
            "{} takes {wanted} bodies, and this body is {name}; post it to {} or /",
            path.as_str(),
            other_path(name)
        );
        tracing::warn!(path = path.as_str(), code = 400, %message, "refused");
        return Err(PluginResponse::failure(400, [message]));
    }
    Ok(received.notification)
}

fn other_path(request_name: &str) -> &'static str {
    if request_name == protocol::STAGE_STATUS {
        Path::Stage.as_str()
    } else {
        Path::Agent.as_str()
    }
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

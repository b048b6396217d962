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
use crate::protocol::{self, Notification};
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
    Working(JoinHandle<PluginResponse>),
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

/// The plugin's answer, or its panic, as a response, its failures logged.
fn answered(path: Path, joined: Result<PluginResponse, JoinError>) -> Response {
    match joined {
        Ok(answer) => {
            let what = if answer.code == 200 {
                "not delivered"
            } else {
                "refused"
            };
            log_failures(path, &answer, what);
            from_plugin(answer)
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
async fn finish_in_background(path: Path, work: JoinHandle<PluginResponse>, guard: InFlightGuard) {
    match work.await {
        Ok(answer) => {
            if !log_failures(
                path,
                &answer,
                "not delivered after the request was answered 504",
            ) {
                tracing::info!(
                    path = path.as_str(),
                    "the deliveries of a request answered 504 are done"
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

/// Logs each message of a failure answer at `warn`; whether there were any.
/// The plugin's messages name the target and the reason, with secrets
/// already hidden.
fn log_failures(path: Path, answer: &PluginResponse, what: &str) -> bool {
    let messages = failure_messages(answer);
    for message in &messages {
        match split_target(message) {
            Some((target, reason)) => {
                tracing::warn!(path = path.as_str(), target, reason, "{what}");
            }
            None => tracing::warn!(path = path.as_str(), code = answer.code, %message, "{what}"),
        }
    }
    !messages.is_empty()
}

/// The target and the reason of a plugin message ``target `NAME`: REASON``.
fn split_target(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("target `")?;
    let (target, reason) = rest.split_once("`: ")?;
    Some((target, reason))
}

/// The messages of a failure answer; none for a success.
pub(crate) fn failure_messages(answer: &PluginResponse) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        messages: Vec<String>,
    }
    if answer.code == 200 && !is_failure(&answer.body) {
        return Vec::new();
    }
    match serde_json::from_str::<Body>(&answer.body) {
        Ok(body) if !body.messages.is_empty() => body.messages,
        _ => vec![format!(
            "the plugin answered {} without a message",
            answer.code
        )],
    }
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
        Path::InterestedIn => None,
        Path::Any | Path::Stage | Path::Agent => match read(&shared.plugin, path, text) {
            Ok(notification) => Some(notification),
            Err(refused) => {
                log_failures(path, &refused, "refused");
                return Started::Answered(from_plugin(refused));
            }
        },
    };
    let plugin = shared.plugin.clone();
    let guard = shared.in_flight.enter();
    // `handle` blocks on deliveries; running it here would stall the runtime's
    // worker threads. The guard goes with it, so shutdown waits for the
    // deliveries even when this request has timed out.
    let work = move || {
        let _guard = guard;
        match notification {
            Some(notification) => plugin.handle_notification(notification),
            None => plugin.handle(protocol::NOTIFICATIONS_INTERESTED_IN, ""),
        }
    };
    Started::Working(tokio::task::spawn_blocking(work))
}

/// Reads a notification body, raw or wrapped, with the plugin's time zone;
/// fields it could not read are logged. A refusal is the plugin-style answer,
/// made into a response by the caller.
fn read(plugin: &Plugin, path: Path, text: &str) -> Result<Notification, PluginResponse> {
    let received = plugin
        .reader()
        .notification(text)
        .map_err(|e| PluginResponse::bad_request(&e))?
        .logged();
    let name = received.notification.request_name();
    let wanted = match path {
        Path::Stage => Some(protocol::STAGE_STATUS),
        Path::Agent => Some(protocol::AGENT_STATUS),
        Path::Any | Path::InterestedIn => None,
    };
    if let Some(wanted) = wanted.filter(|w| *w != name) {
        return Err(PluginResponse::failure(
            400,
            [format!(
                "{} takes {wanted} bodies, and this body is {name}; post it to {} or /",
                path.as_str(),
                other_path(name)
            )],
        ));
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

/// The plugin's answer as an HTTP response. The body is the plugin's; the
/// status tells a forwarder whether it worked, since forwarders look only at
/// the status: a failure the plugin answers with 200 (deliveries that could not
/// be made) becomes 502.
pub(crate) fn from_plugin(answer: PluginResponse) -> Response {
    let status = match answer.code {
        200 if is_failure(&answer.body) => StatusCode::BAD_GATEWAY,
        code => StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    };
    json_response(status, answer.body)
}

/// Whether an answer body says failure: GoCD counts any `status` other than
/// `success` (in any case) as one.
fn is_failure(body: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Status<'a> {
        #[serde(borrow)]
        status: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_str::<Status<'_>>(body) {
        Ok(Status { status: Some(s) }) => !s.eq_ignore_ascii_case("success"),
        // An answer without `status` (the interest list) is no failure.
        Ok(Status { status: None }) => false,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_messages_are_read_from_every_failure_answer() {
        assert!(failure_messages(&PluginResponse::success()).is_empty());
        assert!(failure_messages(&PluginResponse::interested_in(&["stage-status"])).is_empty());
        assert_eq!(
            failure_messages(&PluginResponse::failure(200, ["target `ops`: down", "x"])),
            ["target `ops`: down", "x"]
        );
        assert_eq!(
            failure_messages(&PluginResponse {
                code: 500,
                body: "oops".into()
            }),
            ["the plugin answered 500 without a message"]
        );
        assert_eq!(
            split_target("target `ops`: HTTP 503: busy"),
            Some(("ops", "HTTP 503: busy"))
        );
        assert_eq!(split_target("history: disk full"), None);
    }

    #[test]
    fn failure_bodies_map_to_502_and_others_keep_their_code() {
        let s = |r: PluginResponse| from_plugin(r).status().as_u16();
        assert_eq!(s(PluginResponse::success()), 200);
        assert_eq!(s(PluginResponse::interested_in(&["stage-status"])), 200);
        assert_eq!(s(PluginResponse::failure(200, ["ops: down"])), 502);
        assert_eq!(
            s(PluginResponse {
                code: 200,
                body: r#"{"status":"Failure"}"#.into()
            }),
            502
        );
        assert_eq!(
            s(PluginResponse {
                code: 200,
                body: r#"{"status":"SUCCESS"}"#.into()
            }),
            200
        );
        assert_eq!(s(PluginResponse::failure(400, ["bad"])), 400);
        assert_eq!(
            s(PluginResponse {
                code: 1000,
                body: "{}".into()
            }),
            500
        );
    }
}

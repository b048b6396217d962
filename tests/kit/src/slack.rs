//! A fake of Slack's Web API on 127.0.0.1: `chat.postMessage` and
//! `chat.update` answered as Slack answers them (`ok`, `channel`, `ts`;
//! `ok: false` with an `error`; HTTP 429 with `Retry-After`), with the
//! channel's messages and threads kept, so a test reads what a person
//! would see.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::Loopback;

/// One message as the channel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackMessage {
    pub channel: String,
    pub ts: String,
    pub text: String,
    /// The thread it replies in, if it is a reply.
    pub thread_ts: Option<String>,
    /// A reply also shown in the channel.
    pub broadcast: bool,
    /// Times its text was replaced.
    pub edits: usize,
}

/// One call the fake took.
#[derive(Debug, Clone)]
pub struct SlackCall {
    /// `chat.postMessage`, `chat.update`.
    pub method: String,
    pub body: Value,
    /// The `Authorization` header as sent.
    pub authorization: String,
    pub at: Instant,
}

#[derive(Default)]
struct Channel {
    calls: Vec<SlackCall>,
    messages: BTreeMap<String, SlackMessage>,
    next: u64,
    refuse: Option<String>,
    rate_limited: usize,
    delay: Duration,
}

/// Slack's Web API, as far as notify-rules uses it, for the channels given
/// and one bot token.
pub struct FakeSlack {
    loopback: Loopback,
    state: Arc<Mutex<Channel>>,
}

impl FakeSlack {
    /// Answers for `channels` (IDs), taking `token` alone.
    pub fn start(token: &str, channels: &[&str]) -> FakeSlack {
        let state: Arc<Mutex<Channel>> = Arc::default();
        let expected = format!("Bearer {token}");
        let channels: Vec<String> = channels.iter().map(|c| (*c).to_owned()).collect();
        let loopback = {
            let state = state.clone();
            Loopback::start(move |mut req| {
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(req.as_reader(), &mut body);
                let authorization = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("authorization"))
                    .map(|h| h.value.to_string())
                    .unwrap_or_default();
                let method = req.url().rsplit('/').next().unwrap_or("").to_owned();
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let delay = state.lock().unwrap().delay;
                std::thread::sleep(delay);
                let (code, answer) = {
                    let mut s = state.lock().unwrap();
                    s.calls.push(SlackCall {
                        method: method.clone(),
                        body: body.clone(),
                        authorization: authorization.clone(),
                        at: Instant::now(),
                    });
                    answer(&mut s, &channels, &expected, &method, &authorization, &body)
                };
                let mut resp = tiny_http::Response::from_string(answer.to_string())
                    .with_status_code(code)
                    .with_header(
                        tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
                    );
                if code == 429 {
                    resp = resp
                        .with_header(tiny_http::Header::from_bytes("Retry-After", "1").unwrap());
                }
                let _ = req.respond(resp);
            })
        };
        FakeSlack { loopback, state }
    }

    /// The API's address, for `api_url`.
    pub fn url(&self) -> String {
        self.loopback.url("/api")
    }

    /// Answers every call `ok: false` with `error` from now on (`None`:
    /// answers again).
    pub fn refuse(&self, error: Option<&str>) {
        self.state.lock().unwrap().refuse = error.map(str::to_owned);
    }

    /// Answers the next `n` calls HTTP 429 with `Retry-After: 1`.
    pub fn rate_limit(&self, n: usize) {
        self.state.lock().unwrap().rate_limited = n;
    }

    /// Answers each call after `delay`.
    pub fn delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Every call taken, in order.
    pub fn calls(&self) -> Vec<SlackCall> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The messages of `channel` that are not replies, oldest first.
    pub fn messages(&self, channel: &str) -> Vec<SlackMessage> {
        self.all(channel)
            .into_iter()
            .filter(|m| m.thread_ts.is_none())
            .collect()
    }

    /// The replies in the thread of `ts`, oldest first.
    pub fn replies(&self, channel: &str, ts: &str) -> Vec<SlackMessage> {
        self.all(channel)
            .into_iter()
            .filter(|m| m.thread_ts.as_deref() == Some(ts))
            .collect()
    }

    fn all(&self, channel: &str) -> Vec<SlackMessage> {
        self.state
            .lock()
            .unwrap()
            .messages
            .values()
            .filter(|m| m.channel == channel)
            .cloned()
            .collect()
    }

    /// Waits until `done` holds, at most `limit`; whether it did.
    pub fn wait_until(&self, limit: Duration, done: impl Fn(&FakeSlack) -> bool) -> bool {
        let end = Instant::now() + limit;
        loop {
            if done(self) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn refused(error: &str) -> (u16, Value) {
    (200, json!({ "ok": false, "error": error }))
}

fn answer(
    s: &mut Channel,
    channels: &[String],
    expected: &str,
    method: &str,
    authorization: &str,
    body: &Value,
) -> (u16, Value) {
    if s.rate_limited > 0 {
        s.rate_limited -= 1;
        return (429, json!({ "ok": false, "error": "ratelimited" }));
    }
    if let Some(error) = &s.refuse {
        return refused(error);
    }
    if authorization.is_empty() {
        return refused("not_authed");
    }
    if authorization != expected {
        return refused("invalid_auth");
    }
    let channel = body["channel"].as_str().unwrap_or_default().to_owned();
    if !channels.contains(&channel) {
        return refused("channel_not_found");
    }
    let Some(text) = body["text"].as_str().map(str::to_owned) else {
        return refused("no_text");
    };
    match method {
        "chat.postMessage" => {
            let thread_ts = body["thread_ts"].as_str().map(str::to_owned);
            if let Some(parent) = &thread_ts {
                if !s.messages.contains_key(parent) {
                    return refused("thread_not_found");
                }
            }
            s.next += 1;
            let ts = format!("1700000000.{:06}", s.next);
            let message = SlackMessage {
                channel: channel.clone(),
                ts: ts.clone(),
                text: text.clone(),
                thread_ts,
                broadcast: body["reply_broadcast"].as_bool().unwrap_or(false),
                edits: 0,
            };
            s.messages.insert(ts.clone(), message);
            (
                200,
                json!({ "ok": true, "channel": channel, "ts": ts, "message": { "text": text } }),
            )
        }
        "chat.update" => {
            let ts = body["ts"].as_str().unwrap_or_default().to_owned();
            match s.messages.get_mut(&ts) {
                Some(m) if m.channel == channel => {
                    m.text = text.clone();
                    m.edits += 1;
                    (
                        200,
                        json!({ "ok": true, "channel": channel, "ts": ts, "text": text }),
                    )
                }
                _ => refused("message_not_found"),
            }
        }
        _ => refused("unknown_method"),
    }
}

//! Answers to GoCD.

use serde::Serialize;

use super::{ProtocolError, Request};

/// The longest request name quoted back in an answer; a name is GoCD's, but a
/// forwarder could send anything.
const MAX_QUOTED_NAME: usize = 100;

/// An answer to GoCD: a status code and a JSON body.
///
/// ```
/// use notify_rules::PluginResponse;
///
/// assert_eq!(PluginResponse::success().body, r#"{"status":"success"}"#);
/// let failed = PluginResponse::failure(200, ["slack: timed out"]);
/// assert_eq!(failed.body, r#"{"status":"failure","messages":["slack: timed out"]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginResponse {
    /// The HTTP-like status code (200 when the request was understood).
    pub code: u16,
    /// The JSON body.
    pub body: String,
}

/// `Status { status: "success", messages: None }` as JSON.
const SUCCESS: &str = r#"{"status":"success"}"#;

#[derive(Serialize)]
struct Status<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<&'a [String]>,
}

impl PluginResponse {
    /// 200 and `{"status":"success"}`.
    pub fn success() -> PluginResponse {
        // The answer to nearly every notification: written out rather than
        // serialized each time (a test checks it is what `json` writes).
        PluginResponse {
            code: 200,
            body: SUCCESS.to_owned(),
        }
    }

    /// `{"status":"failure","messages":[...]}` with the given code: 200 for a
    /// request that was understood but could not be carried out (GoCD shows the
    /// messages as server-health errors), 400 for one that was not understood.
    pub fn failure<I>(code: u16, messages: I) -> PluginResponse
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let messages: Vec<String> = messages.into_iter().map(Into::into).collect();
        PluginResponse::json(
            code,
            &Status {
                status: "failure",
                messages: Some(&messages),
            },
        )
    }

    /// The answer to `notifications-interested-in`: 200 and
    /// `{"notifications":[...]}`.
    ///
    /// ```
    /// use notify_rules::{protocol, PluginResponse};
    ///
    /// let r = PluginResponse::interested_in(&[protocol::STAGE_STATUS]);
    /// assert_eq!((r.code, r.body.as_str()), (200, r#"{"notifications":["stage-status"]}"#));
    /// ```
    pub fn interested_in(notifications: &[&str]) -> PluginResponse {
        #[derive(Serialize)]
        struct Interest<'a> {
            notifications: &'a [&'a str],
        }
        PluginResponse::json(200, &Interest { notifications })
    }

    /// 400 and a failure naming a request this plugin does not know.
    ///
    /// ```
    /// use notify_rules::PluginResponse;
    ///
    /// let r = PluginResponse::unknown_request("go.cd.bogus");
    /// assert_eq!(r.code, 400);
    /// assert!(r.body.contains(r#"unknown request \"go.cd.bogus\""#));
    /// ```
    pub fn unknown_request(name: &str) -> PluginResponse {
        let known: Vec<&str> = Request::ALL.iter().map(|r| r.name()).collect();
        let message = format!(
            "unknown request {}; this plugin answers {}",
            quote_name(name),
            known.join(", ")
        );
        PluginResponse::failure(400, [message])
    }

    /// 400 and a failure whose message is the error's text: what is wrong and
    /// where.
    pub fn bad_request(err: &ProtocolError) -> PluginResponse {
        PluginResponse::failure(400, [err.to_string()])
    }

    /// Any JSON answer, such as the settings requests'. Should the value not
    /// serialize (a map with non-string keys), the answer is a 500 failure saying
    /// so rather than a broken body.
    ///
    /// ```
    /// use notify_rules::PluginResponse;
    ///
    /// let r = PluginResponse::json(200, &serde_json::json!({"template": "<p>none</p>"}));
    /// assert_eq!(r.body, r#"{"template":"<p>none</p>"}"#);
    /// ```
    pub fn json<T: Serialize + ?Sized>(code: u16, body: &T) -> PluginResponse {
        match serde_json::to_string(body) {
            Ok(body) => PluginResponse { code, body },
            Err(e) => {
                let messages = [format!("the plugin could not write its answer: {e}")];
                let status = Status {
                    status: "failure",
                    messages: Some(&messages),
                };
                // A struct of strings always serializes; the fallback only keeps
                // this free of panics.
                let body = serde_json::to_string(&status)
                    .unwrap_or_else(|_| r#"{"status":"failure"}"#.to_owned());
                PluginResponse { code: 500, body }
            }
        }
    }
}

/// The name in double quotes with JSON-style escapes, shortened when long.
fn quote_name(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len().min(MAX_QUOTED_NAME) + 8);
    quoted.push('"');
    for (i, c) in name.chars().enumerate() {
        if i == MAX_QUOTED_NAME {
            quoted.push_str("...");
            break;
        }
        quoted.extend(c.escape_debug());
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_the_status_serialized() {
        let status = Status {
            status: "success",
            messages: None,
        };
        assert_eq!(
            PluginResponse::success(),
            PluginResponse::json(200, &status)
        );
    }

    #[test]
    fn bodies_escape_messages() {
        let r = PluginResponse::failure(200, ["a \"quoted\"\nline \u{1}", "ü"]);
        assert_eq!(
            r.body,
            r#"{"status":"failure","messages":["a \"quoted\"\nline \u0001","ü"]}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(parsed["messages"][0], "a \"quoted\"\nline \u{1}");
        assert_eq!(
            PluginResponse::failure(400, Vec::<String>::new()).body,
            r#"{"status":"failure","messages":[]}"#
        );
    }

    #[test]
    fn unknown_request_names_it_and_the_known_ones() {
        let r = PluginResponse::unknown_request("stage-statu\"s\n");
        assert_eq!(r.code, 400);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            v["messages"][0],
            "unknown request \"stage-statu\\\"s\\n\"; this plugin answers notifications-interested-in, \
             stage-status, agent-status, go.plugin-settings.get-configuration, go.plugin-settings.get-view, \
             go.plugin-settings.validate-configuration, go.plugin-settings.plugin-settings-changed"
        );
        let long = "x".repeat(10_000);
        let r = PluginResponse::unknown_request(&long);
        assert!(r.body.len() < 600, "{}", r.body.len());
        assert!(r.body.contains(&format!("\\\"{}...\\\"", "x".repeat(100))));
    }

    #[test]
    fn json_that_cannot_be_written_is_a_500() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(vec![1u8], 1);
        let r = PluginResponse::json(200, &m);
        assert_eq!(r.code, 500);
        assert_eq!(
            r.body,
            r#"{"status":"failure","messages":["the plugin could not write its answer: key must be a string"]}"#
        );
    }
}

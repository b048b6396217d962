//! The notification a request carries: read raw or wrapped, and checked
//! against the path it was posted to.

use super::routes::Path;
use crate::protocol::{self, Notification, ProtocolError};
use crate::{Plugin, PluginResponse};

/// Reads a notification body, raw or wrapped, with the plugin's time zone;
/// fields it could not read are logged. A refusal is the plugin-style answer,
/// made into a response by the caller.
pub(super) fn read(
    plugin: &Plugin,
    path: Path,
    text: &str,
) -> Result<Notification, PluginResponse> {
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

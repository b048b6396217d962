//! The plugin protocol: request names, answers, and reading request bodies.

/// An answer to GoCD: a status code and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginResponse {
    /// The HTTP-like status code (200 when the request was understood).
    pub code: u16,
    /// The JSON body.
    pub body: String,
}

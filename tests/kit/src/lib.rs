//! What the workspace's tests share, in one place.
//!
//! # Where tests go
//!
//! - **Integration tests of the library** go in the root `tests/` directory
//!   (the never-published root package `notify-rules-workspace` owns them), one
//!   file per subject: `deliver_*.rs`, `server_*.rs`, `protocol_*.rs`,
//!   `model_*.rs`, `rules_*.rs` and so on.
//! - **Tests of the built program** (`notify-rules check`, `serve`, …) go in
//!   `notify-rules/tests/`: only the package that owns a binary is given its
//!   path (`CARGO_BIN_EXE_notify-rules`).
//! - **Unit tests** stay beside the code in `notify-rules/src`, and share the
//!   in-crate `plugin::test_support` module: this kit depends on `notify-rules`,
//!   so inside the crate its types would be another crate's. They take
//!   temporary directories from `tempfile` (or `test_support::temp_file`).
//! - Compile-fail and pass cases of `rules!` are in `tests/ui/` (trybuild).
//!
//! Both test packages take this kit as a dev-dependency; a test needing a
//! helper two files already write adds it here instead of a third copy.
//!
//! # What the kit offers
//!
//! - [`body`] and [`StageBody`]: stage-status bodies in GoCD's wire form;
//!   [`AgentBody`]: agent-status bodies.
//! - [`payload`], [`payloads`], [`stage`], [`agent`], …: the sample bodies in
//!   `tests/payloads/`, from either package.
//! - [`notifier`]: notifiers that record, count, fail, or fail until told not to.
//! - [`temp_dir`], [`temp_dir_with`]: temporary directories that are removed
//!   when dropped, so also when the test panics.
//! - [`gen`]: proptest strategies for the model, from arbitrary values to the
//!   small vocabularies that make rules fire.
//! - [`post`], [`messages`]: talking to servers and reading the plugin's
//!   answers; [`Loopback`], a receiver on 127.0.0.1 that runs a handler for
//!   each request; [`Flaky`], a webhook receiver that answers 500 until it
//!   is up and records what it took; [`ClosedPort`], a port that refuses
//!   connections.
//! - [`serve::Serving`]: the `notify-rules serve` program, started, posted to
//!   and stopped with SIGTERM (or killed).
//! - [`postgres::database`]: a fresh database on the test PostgreSQL server,
//!   or a skip with a note where there is none (a failure under CI).
//! - [`slack::FakeSlack`]: Slack's Web API (`chat.postMessage`,
//!   `chat.update`) on 127.0.0.1, with its channels' messages and threads,
//!   `ok: false` refusals, 429s and slow answers on demand.
//!
//! # Payloads
//!
//! `tests/payloads/*.json` are bodies a stage-status or agent-status request
//! can carry, raw or in a forwarder's `{"type", "data"}` wrapper; every one of
//! them must parse (`tests/model_payloads.rs` checks). `tests/payloads/bad/`
//! holds bodies that must not. Files named `own-*.json` are bodies written for
//! this project, each for what its name says; the few without the prefix are
//! the samples the workspace started with. A new body is written for the
//! project and named `own-<what it shows>.json`, never copied from
//! `../shared/public-bodies` or any other collection. `tests/README.md` says
//! the same for readers who do not open the kit.

mod body;
pub mod gen;
mod http;
pub mod notifier;
mod payload;
pub mod postgres;
pub mod serve;
pub mod slack;
mod temp;

pub use body::{body, AgentBody, StageBody};
pub use http::{
    closed_port, get, get_with, messages, post, post_with, ClosedPort, Flaky, Loopback,
};
pub use payload::{agent, bad_payload, payload, payload_dir, payload_path, payloads, read, stage};
pub use temp::{temp_dir, temp_dir_with};

/// One rule text in both engines: `(rules! { .. }, RuleSet::parse(text))`,
/// the text being what `stringify!` makes of the same tokens. Panics if the
/// text does not load.
///
/// ```
/// let (compiled, loaded) = notify_rules_test_kit::both! { target ops; on any => send(ops); };
/// assert_eq!(compiled.len(), loaded.len());
/// ```
#[macro_export]
macro_rules! both {
    ($($rules:tt)*) => {{
        let compiled: ::notify_rules::RuleSet = ::notify_rules::rules! { $($rules)* };
        let loaded = ::notify_rules::RuleSet::parse(::std::stringify!($($rules)*))
            .unwrap_or_else(|e| ::std::panic!("{e}"));
        (compiled, loaded)
    }};
}

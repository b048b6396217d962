//! The notify-rules server with the team's rules compiled in: a mistake in
//! `examples/rules/team.rules` is a compile error, not a failed start. The
//! notifiers come from a TOML configuration, as for `notify-rules serve`.
//!
//! ```text
//! export OPS_SLACK_URL=https://hooks.slack.com/services/...
//! export RELEASES_WEBHOOK_URL=https://releases.example.com/hook
//! cargo run --example serve_compiled -- examples/notify-rules.toml
//! ```
//!
//! Then point a GoCD webhook forwarder at `http://127.0.0.1:8154/` (or try it
//! with `curl --data @tests/payloads/v4-deploy-failed.json http://127.0.0.1:8154/`).
//! Ctrl-C stops it once the deliveries in flight are done.

use std::process::ExitCode;
use std::sync::Arc;

use notify_rules::server::{self, config::Config};
use notify_rules::{rules_file, RuleSet};

fn main() -> ExitCode {
    let path = std::env::args_os()
        .nth(1)
        .unwrap_or_else(|| "examples/notify-rules.toml".into());
    let rules: RuleSet = rules_file!("examples/rules/team.rules");
    let setup = match Config::load(&path).and_then(|config| config.setup(rules)) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("serve_compiled: not starting");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "serve_compiled: listening on http://{}/",
        setup.options.listen
    );
    match server::run_blocking(Arc::new(setup.plugin), setup.options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve_compiled: {e}");
            ExitCode::FAILURE
        }
    }
}

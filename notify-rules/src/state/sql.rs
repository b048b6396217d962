//! The statements both database stores run, written once: SQLite and
//! PostgreSQL read the same text (`$1`, `$2`, ... are positional in both as
//! long as each first appears in order, which `every_statement_numbers_its_
//! parameters_in_order` checks), through [`Sql`], which each store gives for
//! its transaction.

/// A value bound to a statement.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
    OptBool(Option<bool>),
}

/// A row read back, its columns by index from 0: each store reads its own
/// (an integer column may be 32 or 64 bits wide in PostgreSQL).
pub(crate) trait Columns {
    type Error;
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
}

/// One transaction of a store, as the shared decisions use it.
pub(crate) trait Sql {
    type Error;
    /// Gives up the oldest entries not claimed, `$2` of them (`$1`: now),
    /// returning their targets and keys: PostgreSQL's skips the rows another
    /// replica has locked.
    const MAKE_ROOM: &'static str;
    /// Takes the tick's turn, or says another replica has it: `None` when
    /// the transaction itself is the turn (SQLite's write lock).
    const TICK_TURN: Option<&'static str>;
    /// The due reminders (`$1`: now), `$2` at most, through the index on
    /// `due`: PostgreSQL's locks them and skips those another tick holds.
    const DUE_REMINDERS: &'static str;
    /// Takes the held messages whose window has opened (`$1`: now), `$2` at
    /// most: PostgreSQL's skips those another tick holds.
    const TAKE_HELD: &'static str;
    /// A row as [`Sql::rows`] reads it.
    type Row<'r>: Columns<Error = Self::Error>;
    /// Runs a statement; how many rows it changed.
    fn exec(&mut self, sql: &'static str, params: &[Val<'_>]) -> Result<usize, Self::Error>;
    /// The first row's first column as a boolean (1/0 in SQLite).
    fn bool(&mut self, sql: &'static str, params: &[Val<'_>]) -> Result<Option<bool>, Self::Error>;
    /// The first row's first column as an integer.
    fn int(&mut self, sql: &'static str, params: &[Val<'_>]) -> Result<Option<i64>, Self::Error>;
    /// The first row's first two columns, a text and a nullable integer.
    fn text_int(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Option<(String, Option<i64>)>, Self::Error>;
    /// Every row's first two columns, as texts.
    fn texts(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Vec<(String, String)>, Self::Error>;
    /// Every row, each made a value by `f`.
    fn rows<R>(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
        f: impl FnMut(&Self::Row<'_>) -> Result<R, Self::Error>,
    ) -> Result<Vec<R>, Self::Error>;
}

/// Takes a notification's row in `stage_runs`: its handled record, and its
/// history when `passed` is set.
pub(crate) const TAKE_STAGE: &str = "INSERT INTO stage_runs \
     (stage, pipeline_counter, stage_counter, state, passed, at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

/// The newest completed run before the given counters.
pub(crate) const PREVIOUS: &str = "SELECT passed FROM stage_runs WHERE stage = $1 \
     AND (pipeline_counter, stage_counter) < ($2, $3) AND passed IS NOT NULL \
     ORDER BY pipeline_counter DESC, stage_counter DESC LIMIT 1";

pub(crate) const IS_TRIMMED: &str = "SELECT TRUE FROM stages WHERE stage = $1 AND trimmed";

/// A completed run replaces another state's at the same counters in the
/// history (the memory store's one run per counters).
pub(crate) const SUPERSEDE: &str = "UPDATE stage_runs SET passed = NULL WHERE stage = $1 \
     AND pipeline_counter = $2 AND stage_counter = $3 AND state <> $4 AND passed IS NOT NULL";

/// A run kept as handled only, out of the history.
pub(crate) const OUT_OF_HISTORY: &str = "UPDATE stage_runs SET passed = NULL WHERE stage = $1 \
     AND pipeline_counter = $2 AND stage_counter = $3 AND state = $4";

/// The prune, first: stages about to lose a completed run older than `$1`
/// (one with a newer completed run) are marked trimmed.
pub(crate) const MARK_TRIMMED: &str = "INSERT INTO stages (stage, trimmed) \
     SELECT DISTINCT r.stage, TRUE FROM stage_runs r WHERE r.at < $1 AND r.passed IS NOT NULL \
     AND EXISTS (SELECT 1 FROM stage_runs n WHERE n.stage = r.stage AND n.passed IS NOT NULL \
     AND (n.pipeline_counter, n.stage_counter) > (r.pipeline_counter, r.stage_counter)) \
     ON CONFLICT (stage) DO UPDATE SET trimmed = TRUE WHERE NOT stages.trimmed";

/// Then the rows older than `$1` go, but for each stage's newest completed run.
pub(crate) const PRUNE_STAGES: &str = "DELETE FROM stage_runs WHERE at < $1 AND \
     (passed IS NULL OR EXISTS (SELECT 1 FROM stage_runs n WHERE n.stage = stage_runs.stage \
     AND n.passed IS NOT NULL AND (n.pipeline_counter, n.stage_counter) > \
     (stage_runs.pipeline_counter, stage_runs.stage_counter)))";

pub(crate) const TAKE_AGENT: &str = "INSERT INTO agent_handled \
     (uuid, state, build_state, config_state, transition_time, at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

pub(crate) const AGENT_LAST: &str = "SELECT state, transition_time FROM agent_runs WHERE uuid = $1";

pub(crate) const AGENT_PUT: &str = "INSERT INTO agent_runs (uuid, state, transition_time, used) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (uuid) DO UPDATE SET state = excluded.state, \
     transition_time = excluded.transition_time, used = excluded.used";

pub(crate) const AGENT_TOUCH: &str = "UPDATE agent_runs SET used = $1 WHERE uuid = $2";

/// Handled agent-status older than `$1`, and all but the newest `$2`, go.
pub(crate) const PRUNE_AGENT_HANDLED: &str = "DELETE FROM agent_handled WHERE at < $1 \
     OR at <= (SELECT at FROM agent_handled ORDER BY at DESC LIMIT 1 OFFSET $2)";

/// Throttles last sent before `$1` go ([`THROTTLES_KEPT_MS`](super::time::THROTTLES_KEPT_MS)).
pub(crate) const PRUNE_THROTTLES: &str = "DELETE FROM throttles WHERE last_sent < $1";

/// All but the `$1` agents used last go.
pub(crate) const PRUNE_AGENTS: &str = "DELETE FROM agent_runs WHERE used <= \
     (SELECT used FROM agent_runs ORDER BY used DESC LIMIT 1 OFFSET $1)";

/// An outbox entry, leased to its writer; nothing when its id is taken.
pub(crate) const OUTBOX_INSERT: &str = "INSERT INTO outbox \
     (id, key, target, delivery, added, next_attempt, lease_until) \
     VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (id) DO NOTHING";

/// The key of the entry with an id, and its lease.
pub(crate) const OUTBOX_KEY: &str = "SELECT key, lease_until FROM outbox WHERE id = $1";

/// Leases a waiting entry, unless another claim holds it.
pub(crate) const OUTBOX_LEASE: &str =
    "UPDATE outbox SET lease_until = $1 WHERE id = $2 AND lease_until <= $3";

pub(crate) const OUTBOX_COUNT: &str = "SELECT count(*) FROM outbox";

/// What waits, per target (for `/metrics`).
pub(crate) const OUTBOX_BY_TARGET: &str = "SELECT target, count(*) FROM outbox GROUP BY target";

/// A failed try counted; the count after it.
pub(crate) const OUTBOX_ATTEMPT: &str = "UPDATE outbox SET attempts = attempts + 1, \
     last_error = $1 WHERE id = $2 RETURNING attempts";

/// When a failed entry is tried next; free to claim.
pub(crate) const OUTBOX_WAIT: &str =
    "UPDATE outbox SET next_attempt = $1, lease_until = 0 WHERE id = $2";

/// An entry given up: its target and key, to report.
pub(crate) const OUTBOX_GIVE_UP: &str = "DELETE FROM outbox WHERE id = $1 RETURNING target, key";

pub(crate) const OUTBOX_DELETE: &str = "DELETE FROM outbox WHERE id = $1";

pub(crate) const OUTBOX_RELEASE: &str = "UPDATE outbox SET lease_until = 0 WHERE id = $1";

/// The rows of `outbox list`, oldest first.
pub(crate) const OUTBOX_LIST: &str =
    "SELECT key, target, attempts, last_error, next_attempt FROM outbox ORDER BY added, id";

// The time forms' tables (`v3.sql`): `decide_time.rs` runs these.

pub(crate) const THROTTLE_GET: &str =
    "SELECT last_sent, dropped FROM throttles WHERE rule = $1 AND target = $2 AND subject = $3";

/// One more dropped under a throttle.
pub(crate) const THROTTLE_DROP: &str = "UPDATE throttles SET dropped = dropped + 1 \
     WHERE rule = $1 AND target = $2 AND subject = $3";

/// A delivery went out under a throttle: its time, and the count reset.
pub(crate) const THROTTLE_SENT: &str = "INSERT INTO throttles \
     (rule, target, subject, last_sent, dropped) VALUES ($1, $2, $3, $4, 0) \
     ON CONFLICT (rule, target, subject) DO UPDATE SET last_sent = excluded.last_sent, dropped = 0";

pub(crate) const HOLD: &str = "INSERT INTO held \
     (window_name, target, at, release_at, text, delivery) VALUES ($1, $2, $3, $4, $5, $6)";

/// A reminder started; one open for the same stage, rule, action and target
/// goes on as it was.
pub(crate) const REMINDER_START: &str = "INSERT INTO reminders \
     (stage, rule, remind, target, started, every, due, status) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

pub(crate) const REMINDERS_END: &str = "DELETE FROM reminders WHERE stage = $1";

/// A reminder whose rule is gone, ended by a tick.
pub(crate) const REMINDER_END: &str = "DELETE FROM reminders WHERE id = $1";

/// A reminder taken by a tick, moved on to its next time.
pub(crate) const REMINDER_MOVED: &str = "UPDATE reminders SET due = $1, sent = $2 WHERE id = $3";

/// The silences active at `$1`, oldest first.
pub(crate) const SILENCES: &str = "SELECT id, pipeline, stage, target, ends, comment, created \
     FROM silences WHERE ends > $1 ORDER BY id";

pub(crate) const SILENCE_ADD: &str = "INSERT INTO silences \
     (pipeline, stage, target, ends, comment, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// A silence ended at `$1`, when it was active.
pub(crate) const SILENCE_EXPIRE: &str = "UPDATE silences SET ends = $1 WHERE id = $2 AND ends > $1";

/// Whether anything is due at `$1`: two probes of the due-time indexes.
pub(crate) const TIME_PROBE: &str = "SELECT EXISTS (SELECT 1 FROM reminders WHERE due <= $1) \
     OR EXISTS (SELECT 1 FROM held WHERE release_at <= $1)";

pub(crate) const TIME_COUNTS: &str =
    "SELECT (SELECT count(*) FROM reminders), (SELECT count(*) FROM held)";

/// When the next reminder or digest is due (NULL: none).
pub(crate) const NEXT_DUE: &str = "SELECT min(t) FROM (SELECT min(due) AS t FROM reminders \
     UNION ALL SELECT min(release_at) FROM held) AS due";

/// Every statement above, for the test of their parameters.
#[cfg(test)]
pub(crate) const ALL: &[&str] = &[
    TAKE_STAGE,
    PREVIOUS,
    IS_TRIMMED,
    SUPERSEDE,
    OUT_OF_HISTORY,
    MARK_TRIMMED,
    PRUNE_STAGES,
    TAKE_AGENT,
    AGENT_LAST,
    AGENT_PUT,
    AGENT_TOUCH,
    PRUNE_AGENT_HANDLED,
    PRUNE_AGENTS,
    PRUNE_THROTTLES,
    OUTBOX_INSERT,
    OUTBOX_KEY,
    OUTBOX_LEASE,
    OUTBOX_COUNT,
    OUTBOX_BY_TARGET,
    OUTBOX_ATTEMPT,
    OUTBOX_WAIT,
    OUTBOX_GIVE_UP,
    OUTBOX_DELETE,
    OUTBOX_RELEASE,
    OUTBOX_LIST,
    THROTTLE_GET,
    THROTTLE_DROP,
    THROTTLE_SENT,
    HOLD,
    REMINDER_START,
    REMINDERS_END,
    REMINDER_END,
    REMINDER_MOVED,
    SILENCES,
    SILENCE_ADD,
    SILENCE_EXPIRE,
    TIME_PROBE,
    TIME_COUNTS,
    NEXT_DUE,
];

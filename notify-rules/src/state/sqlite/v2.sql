-- Version 2 of the SQLite store: agent history, for lost and back. As in
-- version 1, no index besides the primary keys: the bounds are kept by the
-- prune every 1024 notifications.

-- The newest agent-status recorded for each agent. `used` is when it was
-- last recorded (a time in milliseconds, strictly increasing in the process
-- that writes it): past 10 000 agents, the least recently used are forgotten.
CREATE TABLE agent_runs (
    uuid TEXT PRIMARY KEY,
    state TEXT NOT NULL,             -- its agent_state, as GoCD writes it
    transition_time INTEGER,         -- microseconds since 1970; NULL: not sent
    used INTEGER NOT NULL
) WITHOUT ROWID;

-- Agent-status notifications handled: a repeat finds its row and makes no
-- deliveries. Kept for 30 days, and 100 000 at most (the oldest by `at`, a
-- time made strictly increasing as `used` is, go first).
CREATE TABLE agent_handled (
    uuid TEXT NOT NULL,
    state TEXT NOT NULL,
    build_state TEXT NOT NULL,
    config_state TEXT NOT NULL,
    transition_time INTEGER NOT NULL, -- microseconds since 1970; the least integer: not sent
    at INTEGER NOT NULL,
    PRIMARY KEY (uuid, state, build_state, config_state, transition_time)
) WITHOUT ROWID;

-- Version 1 of the SQLite store. Times are milliseconds since 1970, except
-- kv.expires (seconds).

-- A stage's completed runs, for broken / fixed / still_failing.
CREATE TABLE stage_runs (
    stage TEXT NOT NULL,             -- "pipeline/stage", lower case
    pipeline_counter INTEGER NOT NULL,
    stage_counter INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    PRIMARY KEY (stage, pipeline_counter, stage_counter)
) WITHOUT ROWID;

-- Stages whose oldest runs were dropped past the limit.
CREATE TABLE stages (
    stage TEXT PRIMARY KEY,
    trimmed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Notifications handled: a repeat makes no deliveries.
CREATE TABLE handled (
    stage TEXT NOT NULL,
    pipeline_counter INTEGER NOT NULL,
    stage_counter INTEGER NOT NULL,
    state TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (stage, pipeline_counter, stage_counter, state)
) WITHOUT ROWID;
CREATE INDEX handled_at ON handled (at);

-- The last state of each agent, for agent transitions (lost, back).
CREATE TABLE agent_runs (
    uuid TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    at INTEGER NOT NULL
) WITHOUT ROWID;

-- Deliveries not yet known to be sent. `key` is the idempotency key;
-- `lease_until` is when a claim on the entry runs out (0: free).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL,
    delivery TEXT NOT NULL,          -- JSON, material credentials taken out
    added INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0
);

-- What later features keep: message ids per run and target, reminders, held
-- digests, silences; each in its own `space`.
CREATE TABLE kv (
    space TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    expires INTEGER,
    PRIMARY KEY (space, key)
) WITHOUT ROWID;

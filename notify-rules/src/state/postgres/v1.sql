-- Version 1 of the PostgreSQL store: the SQLite store's tables, shared by
-- every replica. Times are milliseconds since 1970, except kv.expires
-- (seconds).

CREATE TABLE stage_runs (
    stage TEXT NOT NULL,             -- "pipeline/stage", lower case
    pipeline_counter BIGINT NOT NULL,
    stage_counter BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    PRIMARY KEY (stage, pipeline_counter, stage_counter)
);

CREATE TABLE stages (
    stage TEXT PRIMARY KEY,
    trimmed BOOLEAN NOT NULL DEFAULT FALSE
);

-- Unique: of two replicas handed the same notification, one records it.
CREATE TABLE handled (
    stage TEXT NOT NULL,
    pipeline_counter BIGINT NOT NULL,
    stage_counter BIGINT NOT NULL,
    state TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (stage, pipeline_counter, stage_counter, state)
);
CREATE INDEX handled_at ON handled (at);

CREATE TABLE agent_runs (
    uuid TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- `key` is the idempotency key, unique; `lease_until` is when a replica's
-- claim on the entry runs out (0: free).
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL,
    delivery TEXT NOT NULL,
    added BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL,
    last_error TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE kv (
    space TEXT NOT NULL,
    key TEXT NOT NULL,
    value BYTEA NOT NULL,
    expires BIGINT,
    PRIMARY KEY (space, key)
);

-- Version 1 of the PostgreSQL store: the SQLite store's tables (see its
-- v1.sql for why each is as it is), shared by every replica. Times are
-- milliseconds since 1970, except kv.expires (seconds). As there, no index
-- besides the primary keys: each is one more b-tree written (and logged) on
-- every notification; the bounds are kept by a prune every 1024
-- notifications of each replica.

-- One row per stage-status notification: the handled record and, with
-- `passed` set, the history. Its primary key is what makes of two replicas
-- handed the same notification only one record it.
CREATE TABLE stage_runs (
    stage TEXT NOT NULL,             -- "pipeline/stage", lower case
    pipeline_counter BIGINT NOT NULL,
    stage_counter BIGINT NOT NULL,
    state TEXT NOT NULL,
    passed BOOLEAN,                  -- NULL: not in the history
    at BIGINT NOT NULL,
    PRIMARY KEY (stage, pipeline_counter, stage_counter, state)
);

CREATE TABLE stages (
    stage TEXT PRIMARY KEY,
    trimmed BOOLEAN NOT NULL DEFAULT FALSE
);

-- `id` is the idempotency key's hash, as in SQLite: unique, so that of two
-- replicas writing the same delivery one does. `lease_until` is when a
-- replica's claim on the entry runs out (0: free).
CREATE TABLE outbox (
    id BIGINT PRIMARY KEY,
    key TEXT NOT NULL,
    target TEXT NOT NULL,
    delivery TEXT NOT NULL,
    added BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
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

-- Version 2 of the PostgreSQL store: agent history, for lost and back (see
-- the SQLite store's v2.sql).

CREATE TABLE agent_runs (
    uuid TEXT PRIMARY KEY,
    state TEXT NOT NULL,             -- its agent_state, as GoCD writes it
    transition_time BIGINT,          -- microseconds since 1970; NULL: not sent
    used BIGINT NOT NULL             -- when last recorded: the least is forgotten first
);

-- Unique: of two replicas handed the same agent-status, one records it.
CREATE TABLE agent_handled (
    uuid TEXT NOT NULL,
    state TEXT NOT NULL,
    build_state TEXT NOT NULL,
    config_state TEXT NOT NULL,
    transition_time BIGINT NOT NULL, -- microseconds since 1970; the least bigint: not sent
    at BIGINT NOT NULL,
    PRIMARY KEY (uuid, state, build_state, config_state, transition_time)
);

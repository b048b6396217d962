-- Version 2 of the PostgreSQL store: agent history, for lost and back.

-- Version 1's agent_runs was never written (no release recorded agents):
-- replaced by one that also orders late notifications and forgets the agents
-- recorded least recently.
DROP TABLE agent_runs;

CREATE TABLE agent_runs (
    uuid TEXT PRIMARY KEY,
    state TEXT NOT NULL,             -- its agent_state, as GoCD writes it
    transition_time BIGINT,          -- microseconds since 1970; NULL: not sent
    used BIGINT NOT NULL             -- a count of records: the least is forgotten first
);
CREATE INDEX agent_runs_used ON agent_runs (used);

-- Unique: of two replicas handed the same agent-status, one records it.
CREATE TABLE agent_handled (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL,
    state TEXT NOT NULL,
    build_state TEXT NOT NULL,
    config_state TEXT NOT NULL,
    transition_time BIGINT NOT NULL, -- microseconds since 1970; the least bigint: not sent
    at BIGINT NOT NULL,
    UNIQUE (uuid, state, build_state, config_state, transition_time)
);
CREATE INDEX agent_handled_at ON agent_handled (at);

-- Version 2 of the SQLite store: agent history, for lost and back.

-- Version 1's agent_runs was never written (no release recorded agents):
-- replaced by one that also orders late notifications and forgets the agents
-- recorded least recently.
DROP TABLE agent_runs;

-- The newest agent-status recorded for each agent.
CREATE TABLE agent_runs (
    uuid TEXT PRIMARY KEY,
    state TEXT NOT NULL,             -- its agent_state, as GoCD writes it
    transition_time INTEGER,         -- microseconds since 1970; NULL: not sent
    used INTEGER NOT NULL            -- a count of records: the least is forgotten first
) WITHOUT ROWID;
CREATE INDEX agent_runs_used ON agent_runs (used);

-- Agent-status notifications handled: a repeat makes no deliveries. `id`
-- orders them, so that the oldest are forgotten past the limit.
CREATE TABLE agent_handled (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL,
    state TEXT NOT NULL,
    build_state TEXT NOT NULL,
    config_state TEXT NOT NULL,
    transition_time INTEGER NOT NULL, -- microseconds since 1970; the least integer: not sent
    at INTEGER NOT NULL,
    UNIQUE (uuid, state, build_state, config_state, transition_time)
);
CREATE INDEX agent_handled_at ON agent_handled (at);

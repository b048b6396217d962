-- Version 3 of the PostgreSQL store: the rules' time forms and silences.

-- A reminder per stage, rule, remind action and target, while the stage has
-- not completed Passed since the rule fired. Times in milliseconds since
-- 1970 on the plugin's clock.
CREATE TABLE reminders (
    id BIGSERIAL PRIMARY KEY,
    stage TEXT NOT NULL,             -- pipeline/stage in lower case
    rule INTEGER NOT NULL,
    remind INTEGER NOT NULL,        -- the remind action's index in the rule
    target TEXT NOT NULL,
    started BIGINT NOT NULL,        -- when the rule fired
    every BIGINT NOT NULL,          -- milliseconds between reminders
    due BIGINT NOT NULL,            -- when the next one is due
    sent INTEGER NOT NULL DEFAULT 0, -- reminders sent so far
    status TEXT NOT NULL,            -- the notification that started it (JSON, redacted)
    UNIQUE (stage, rule, remind, target)
);
-- A tick reads what is due through this, never all the rows.
CREATE INDEX reminders_due ON reminders (due);

-- What `every` remembers: when each rule last sent to each target about each
-- stage (or agent), and how many it dropped since.
CREATE TABLE throttles (
    rule INTEGER NOT NULL,
    target TEXT NOT NULL,
    subject TEXT NOT NULL,
    last_sent BIGINT NOT NULL,
    dropped BIGINT NOT NULL,
    PRIMARY KEY (rule, target, subject)
);

-- Messages held while their window was closed, until its next opening.
CREATE TABLE held (
    id BIGSERIAL PRIMARY KEY,
    window_name TEXT NOT NULL,
    target TEXT NOT NULL,
    at BIGINT NOT NULL,             -- when it was held
    release_at BIGINT NOT NULL,       -- when its window opens: the digest is due
    text TEXT NOT NULL,
    delivery TEXT NOT NULL           -- as the outbox keeps one
);
CREATE INDEX held_release ON held (release_at);

-- Silences set with `notify-rules silence add`.
CREATE TABLE silences (
    id BIGSERIAL PRIMARY KEY,
    pipeline TEXT NOT NULL,
    stage TEXT,
    target TEXT,
    ends BIGINT NOT NULL,
    comment TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX silences_ends ON silences (ends);

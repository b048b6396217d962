-- Version 1 of the SQLite store. Times are milliseconds since 1970 (kv.expires:
-- seconds). Every notification's transaction is synced to disk, and each page
-- it changes is one more 4 KiB frame in the write-ahead log and one more block
-- for that sync to write: so a notification touches as few b-trees as can be,
-- and no table has an index besides its primary key. What is bounded by age
-- or count is pruned in one batch every 1024 notifications (a scan, off the
-- path of the other 1023), not by an index kept on every write.

-- One row per stage-status notification handled: it is both the handled
-- record (a repeat finds its row and makes no deliveries) and, for a Passed
-- or Failed run, the stage's history (`passed` set). One b-tree, clustered by
-- stage and counters (WITHOUT ROWID): recording a notification writes the one
-- leaf page its stage's newest runs are on, and the run before it is read
-- from the same page.
--
-- Kept for 30 days (a forwarder retries within minutes), except each stage's
-- newest completed run, kept until a newer one comes, so that a stage run
-- once a quarter still has the run to compare with. A stage that loses a
-- completed run to pruning is marked in `stages`.
CREATE TABLE stage_runs (
    stage TEXT NOT NULL,             -- "pipeline/stage", lower case
    pipeline_counter INTEGER NOT NULL,
    stage_counter INTEGER NOT NULL,
    state TEXT NOT NULL,             -- the stage's state, as GoCD sent it
    passed INTEGER,                  -- 1 passed, 0 failed: in the history; NULL: not
                                     -- (another state, or replaced by a later
                                     -- notification of the same counters)
    at INTEGER NOT NULL,             -- when it was handled
    PRIMARY KEY (stage, pipeline_counter, stage_counter, state)
) WITHOUT ROWID;

-- Stages whose older completed runs were pruned: a notification older than
-- every run kept cannot be told a transition. Written only when that
-- changes, during a prune.
CREATE TABLE stages (
    stage TEXT PRIMARY KEY,
    trimmed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Deliveries not yet known to be sent: one b-tree. `id` is the idempotency
-- key's 63-bit FNV-1a hash (the next free one past another key's), so that a
-- key waiting already is found by its id, with no index on `key` to write on
-- every insert and every delete, and no AUTOINCREMENT counter (a page of its
-- own) either: an id is never another delivery's while its entry waits, and
-- when it comes back it is for the same key. `added` orders the entries:
-- milliseconds, made strictly increasing by the process that writes them.
-- `lease_until` is when a claim on the entry runs out (0: free).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    target TEXT NOT NULL,
    delivery TEXT NOT NULL,          -- JSON, material credentials taken out
    added INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0
);

-- What notifiers keep per run and target (the Slack app's message, an e-mail
-- thread's first Message-ID), each kind in its own `space`. Reminders, held
-- digests and silences have their own tables (`v3.sql`).
CREATE TABLE kv (
    space TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    expires INTEGER,
    PRIMARY KEY (space, key)
) WITHOUT ROWID;

//! The schema, created and migrated when a store opens.

use rusqlite::{Connection, TransactionBehavior};

use super::{failure, rows, StoreError};

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &[
    include_str!("v1.sql"),
    include_str!("v2.sql"),
    // The time forms and silences (`time.rs`).
    include_str!("v3.sql"),
];

pub(super) fn migrate(db: &mut Connection, place: &str) -> Result<(), StoreError> {
    let fail = |e| failure(place, e);
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS notify_rules_schema (version INTEGER NOT NULL)")
        .map_err(fail)?;
    let found: i64 = tx
        .query_row(
            "SELECT coalesce(max(version), 0) FROM notify_rules_schema",
            [],
            |r| r.get(0),
        )
        .map_err(fail)?;
    if found > MIGRATIONS.len() as i64 {
        return Err(rows::newer_schema(place, found, MIGRATIONS.len()));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql).map_err(fail)?;
        tx.execute(
            "INSERT INTO notify_rules_schema (version) VALUES (?1)",
            [i as i64 + 1],
        )
        .map_err(fail)?;
    }
    tx.commit().map_err(fail)
}

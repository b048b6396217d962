//! Claiming the waiting entries to try now.

use std::sync::atomic::Ordering;

use super::*;

impl SqliteState {
    pub(super) fn claim_due(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        let fail = |e| self.fail(e);
        let mut conn = lock(&self.conn);
        conn.synced(false).map_err(fail)?;
        let now = now_ms();
        let stale = now - ms(self.policy.max_age);
        // Most claims find nothing (a request's own deliveries are leased to
        // it): a read says so without taking the write lock.
        let any: bool = conn
            .db
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE lease_until <= ?1 \
                     AND ((?2 AND next_attempt <= added + ?4) OR next_attempt <= ?1 OR added < ?3))",
            )
            .and_then(|mut s| {
                s.query_row(params![now, force, stale, ms(self.policy.max_age)], |r| {
                    r.get(0)
                })
            })
            .map_err(fail)?;
        let mut claim = Claim::default();
        if !any {
            return Ok(claim);
        }
        let tx = conn
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let reason = format!("not delivered within {}", show_age(self.policy.max_age));
        {
            let mut expired = tx
                    .prepare_cached(
                        "DELETE FROM outbox WHERE added < ?1 AND lease_until <= ?2 RETURNING target, key",
                    )
                    .map_err(fail)?;
            let gone = expired
                .query_map(params![stale, now], |r| {
                    Ok(GaveUp {
                        target: r.get(0)?,
                        key: r.get(1)?,
                        reason: reason.clone(),
                    })
                })
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(fail)?;
            claim.expired = gone;
            let mut due = tx
                .prepare_cached(
                    // A held entry (its next try past its end) waits for
                    // `outbox retry`, even in a forced flush.
                    "SELECT id, key, target, delivery FROM outbox WHERE lease_until <= ?1 \
                         AND ((?2 AND next_attempt <= added + ?3) OR next_attempt <= ?1) ORDER BY id",
                )
                .map_err(fail)?;
            let rows = due
                .query_map(params![now, force, ms(self.policy.max_age)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .and_then(Iterator::collect::<rusqlite::Result<Vec<(i64, String, String, String)>>>)
                .map_err(fail)?;
            let mut counts: std::collections::HashMap<String, usize> = Default::default();
            let mut lease = tx
                .prepare_cached("UPDATE outbox SET lease_until = ?2 WHERE id = ?1")
                .map_err(fail)?;
            let mut unreadable = tx
                .prepare_cached("DELETE FROM outbox WHERE id = ?1")
                .map_err(fail)?;
            for (id, key, target, json) in rows {
                let count = counts.entry(target.clone()).or_insert(0);
                if *count >= per_target {
                    continue;
                }
                match rows::waiting(id, key, target, &json) {
                    Ok(w) => {
                        *count += 1;
                        lease
                            .execute(params![id, self.lease_end(now)])
                            .map_err(fail)?;
                        claim.claimed.push(w);
                    }
                    Err(gave_up) => {
                        unreadable.execute([id]).map_err(fail)?;
                        claim.expired.push(gave_up);
                    }
                }
            }
        }
        tx.commit().map_err(fail)?;
        let gone = claim.expired.len();
        self.waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some(w.saturating_sub(gone))
            })
            .ok();
        Ok(claim)
    }
}

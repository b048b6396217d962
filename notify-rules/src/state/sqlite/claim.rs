//! Claiming the waiting entries to try now.

use super::*;
use crate::state::rows::ms;
use crate::state::sql::Sql;

impl SqliteState {
    pub(super) fn claim_due(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        let now = now_ms();
        let stale = now - ms(self.shared.policy.max_age);
        // Most claims find nothing (a request's own deliveries are leased to
        // it): a read says so without taking the write lock.
        let any: bool = lock(&self.conn)
            .db
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE lease_until <= ?1 \
                     AND ((?2 AND next_attempt <= added + ?4) OR next_attempt <= ?1 OR added < ?3))",
            )
            .and_then(|mut s| {
                s.query_row(params![now, force, stale, ms(self.shared.policy.max_age)], |r| {
                    r.get(0)
                })
            })
            .map_err(|e| self.fail(e))?;
        if !any {
            return Ok(Claim::default());
        }
        let reason = format!(
            "not delivered within {}",
            show_age(self.shared.policy.max_age)
        );
        let lease = self.shared.lease_end(now);
        let claim = self.in_tx(false, |t| {
            let mut claim = Claim::default();
            let gone = t.texts(
                "DELETE FROM outbox WHERE added < $1 AND lease_until <= $2 RETURNING target, key",
                &[sql::Val::Int(stale), sql::Val::Int(now)],
            )?;
            claim.expired = gone
                .into_iter()
                .map(|(target, key)| GaveUp {
                    target,
                    key,
                    reason: reason.clone(),
                })
                .collect();
            let due =
                t.0.prepare_cached(
                    // A held entry (its next try past its end) waits for
                    // `outbox retry`, even in a forced flush.
                    "SELECT id, key, target, delivery FROM outbox WHERE lease_until <= ?1 \
                     AND ((?2 AND next_attempt <= added + ?3) OR next_attempt <= ?1) \
                     ORDER BY added, id",
                )?
                .query_map(params![now, force, ms(self.shared.policy.max_age)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let picked = rows::pick(due, per_target);
            for id in picked.leased {
                t.0.prepare_cached("UPDATE outbox SET lease_until = ?2 WHERE id = ?1")?
                    .execute(params![id, lease])?;
            }
            for id in picked.unreadable {
                t.exec(sql::OUTBOX_DELETE, &[sql::Val::Int(id)])?;
            }
            claim.claimed = picked.claimed;
            claim.expired.extend(picked.gave_up);
            Ok::<_, rusqlite::Error>(claim)
        })?;
        self.shared.settle(0, claim.expired.len());
        Ok(claim)
    }
}

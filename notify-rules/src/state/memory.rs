//! The memory store: history and outbox in the process, lost when it stops.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Claim, Claimed, GaveUp, Recorded, StateStore, StoreError, WaitingEntry};
use crate::failure::NotifyError;
use crate::history::{
    AgentHistoryState, AgentRun, AgentSeen, HistoryLimits, HistoryState, Seen, StageRun,
};
use crate::rules::Delivery;
use crate::state::outbox::{Outbox, OutboxPolicy};
use crate::util::{lock, now_unix};

/// Keys and values with their end, in seconds since 1970.
type Kv = HashMap<(String, String), (Vec<u8>, Option<u64>)>;

pub(crate) struct MemoryState {
    pub(super) history: Mutex<HistoryState>,
    pub(super) agents: Mutex<AgentHistoryState>,
    outbox: Outbox,
    kv: Mutex<Kv>,
    /// Reminders, throttles, held messages, silences (`memory_time.rs`).
    pub(super) time: Mutex<super::memory_time::MemoryTime>,
}

impl MemoryState {
    pub(crate) fn new(limits: HistoryLimits, policy: OutboxPolicy) -> Self {
        MemoryState {
            history: Mutex::new(HistoryState::new(limits)),
            agents: Mutex::new(AgentHistoryState::new(limits)),
            outbox: Outbox::in_memory(policy),
            kv: Mutex::new(HashMap::new()),
            time: Mutex::default(),
        }
    }

    /// Keeps at most `n` agents' history.
    #[cfg(test)]
    pub(crate) fn with_max_agents(self, n: usize) -> Self {
        let agents = self.agents.into_inner().unwrap_or_else(|p| p.into_inner());
        MemoryState {
            agents: Mutex::new(agents.with_max_agents(n)),
            ..self
        }
    }

    /// Writes ahead the deliveries a notification made, when the outbox
    /// needs it.
    pub(super) fn write_ahead(&self, deliveries: Vec<Delivery<'static>>) -> Recorded {
        let mut recorded = Recorded::default();
        let write_ahead = self.outbox.needs_write_ahead();
        for delivery in deliveries {
            if !write_ahead {
                recorded.fresh.push(Claimed { id: None, delivery });
                continue;
            }
            let begun = self.outbox.begin(&delivery);
            recorded.gave_up.extend(begun.gave_up);
            if begun.id.is_some() {
                recorded.fresh.push(Claimed {
                    id: begun.id,
                    delivery,
                });
            }
        }
        recorded
    }
}

impl StateStore for MemoryState {
    fn record(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        // The history's lock makes recording atomic; evaluating needs no lock.
        let seen = lock(&self.history).record(run);
        Ok(self.write_ahead(evaluate(seen)))
    }

    fn record_agent(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        let seen = lock(&self.agents).record(run);
        Ok(self.write_ahead(evaluate(seen)))
    }

    fn claim(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        Ok(self.outbox.claim(force, per_target))
    }

    fn delivered(&self, id: u64) -> Result<(), StoreError> {
        self.outbox.delivered(id);
        Ok(())
    }

    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError> {
        Ok(self.outbox.failed(id, error))
    }

    fn release(&self, id: u64) -> Result<(), StoreError> {
        self.outbox.release(id);
        Ok(())
    }

    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError> {
        Ok(self.outbox.keep(delivery, error))
    }

    fn waiting_len(&self) -> usize {
        self.outbox.len()
    }

    fn waiting_by_target(&self) -> Result<Vec<(String, usize)>, StoreError> {
        Ok(self.outbox.by_target())
    }

    fn is_durable(&self) -> bool {
        false
    }

    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        Ok(self.outbox.list())
    }

    fn retry(&self, keys: Option<&[String]>) -> Result<usize, StoreError> {
        Ok(self.outbox.retry(keys))
    }

    fn drop_keys(&self, keys: &[String]) -> Result<usize, StoreError> {
        Ok(self.outbox.drop_keys(keys))
    }

    fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let kv = lock(&self.kv);
        Ok(kv
            .get(&(space.to_owned(), key.to_owned()))
            .filter(|(_, end)| end.is_none_or(|end| end > now_unix()))
            .map(|(v, _)| v.clone()))
    }

    fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError> {
        lock(&self.kv).insert(
            (space.to_owned(), key.to_owned()),
            (value.to_vec(), expires),
        );
        Ok(())
    }

    fn remove(&self, space: &str, key: &str) -> Result<(), StoreError> {
        lock(&self.kv).remove(&(space.to_owned(), key.to_owned()));
        Ok(())
    }

    fn put_new(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<bool, StoreError> {
        let mut kv = lock(&self.kv);
        let now = now_unix();
        let slot = kv.entry((space.to_owned(), key.to_owned()));
        match slot {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if e.get().1.is_none_or(|end| end > now) {
                    return Ok(false);
                }
                e.insert((value.to_vec(), expires));
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((value.to_vec(), expires));
            }
        }
        Ok(true)
    }
}

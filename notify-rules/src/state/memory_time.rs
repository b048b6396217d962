//! The time forms' tables in memory, for [`MemoryState`]: ordered by due
//! time, as the databases' indexes are, so a tick looks only at what is due.

use std::collections::{BTreeMap, HashMap};

use super::memory::MemoryState;
use super::time::{
    next_due, rendered, silence_end, Due, NewHeld, NewReminder, Notified, Render, TimeHook,
    TimeStore, TimeTx, TICK_LIMIT,
};
use super::{Recorded, StoreError};
use crate::time::{NewSilence, Silence};
use crate::util::lock;

struct Reminder {
    key: (String, u32, u32, String),
    started: i64,
    every: i64,
    sent: u32,
    status: String,
}

/// Reminders, throttles, held messages and silences of a memory store.
#[derive(Default)]
pub(crate) struct MemoryTime {
    next_id: u64,
    /// By (due, id).
    reminders: BTreeMap<(i64, u64), Reminder>,
    /// (stage, rule, action, target) to the reminder's (due, id).
    open: HashMap<(String, u32, u32, String), (i64, u64)>,
    /// (rule, target, subject) to (last sent, dropped since).
    throttles: HashMap<(u32, String, String), (i64, u64)>,
    /// By (release, id).
    held: BTreeMap<(i64, u64), NewHeld>,
    silences: Vec<Silence>,
}

impl MemoryTime {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

impl TimeTx for MemoryTime {
    fn throttle(
        &mut self,
        rule: u32,
        target: &str,
        subject: &str,
        now: i64,
        every: i64,
    ) -> Result<Option<u64>, StoreError> {
        // Forgotten when not sent through for long, as the databases prune
        // theirs: elastic agents' uuids would keep them growing.
        if self.throttles.len() >= 4096 && self.throttles.len().is_power_of_two() {
            let since = now.saturating_sub(super::time::THROTTLES_KEPT_MS);
            self.throttles.retain(|_, (last, _)| *last >= since);
        }
        let entry = self
            .throttles
            .entry((rule, target.to_owned(), subject.to_owned()))
            .or_insert((i64::MIN, 0));
        if entry.0 != i64::MIN && now < entry.0.saturating_add(every) {
            entry.1 += 1;
            return Ok(None);
        }
        let dropped = entry.1;
        *entry = (now, 0);
        Ok(Some(dropped))
    }

    fn hold(&mut self, held: &NewHeld) -> Result<(), StoreError> {
        let id = self.id();
        self.held.insert(
            (held.release, id),
            NewHeld {
                window: held.window.clone(),
                target: held.target.clone(),
                at: held.at,
                release: held.release,
                text: held.text.clone(),
                delivery: held.delivery.clone(),
            },
        );
        Ok(())
    }

    fn start_reminder(&mut self, r: &NewReminder) -> Result<(), StoreError> {
        let key = (r.stage.clone(), r.rule, r.remind, r.target.clone());
        if self.open.contains_key(&key) {
            return Ok(());
        }
        let id = self.id();
        let due = r.started.saturating_add(r.every);
        self.open.insert(key.clone(), (due, id));
        self.reminders.insert(
            (due, id),
            Reminder {
                key,
                started: r.started,
                every: r.every,
                sent: 0,
                status: r.status.clone(),
            },
        );
        Ok(())
    }

    fn end_reminders(&mut self, stage: &str) -> Result<(), StoreError> {
        let MemoryTime {
            open, reminders, ..
        } = self;
        open.retain(|key, at| {
            let keep = key.0 != stage;
            if !keep {
                reminders.remove(at);
            }
            keep
        });
        Ok(())
    }

    fn silences(&mut self, now: i64) -> Result<Vec<Silence>, StoreError> {
        if self.silences.is_empty() {
            // Nearly always: asked for every notification that delivers.
            return Ok(Vec::new());
        }
        Ok(self
            .silences
            .iter()
            .filter(|s| s.ends_ms > now)
            .cloned()
            .collect())
    }
}

impl MemoryTime {
    /// Takes what is due at `now`: the reminders (moved on) and the held
    /// messages.
    fn take_due(&mut self, now: i64) -> (Vec<Due>, Vec<NewHeld>) {
        let mut due = Vec::new();
        while due.len() < TICK_LIMIT as usize {
            let Some(entry) = self.reminders.first_entry() else {
                break;
            };
            if entry.key().0 > now {
                break;
            }
            let ((at, id), mut r) = entry.remove_entry();
            r.sent += 1;
            let next = next_due(at, r.every, now);
            self.open.insert(r.key.clone(), (next, id));
            if let Ok(status) = crate::state::outbox::saved::status_from_json(&r.status) {
                due.push(Due::Reminder {
                    id: id as i64,
                    rule: r.key.1,
                    remind: r.key.2,
                    target: r.key.3.clone(),
                    started: r.started,
                    n: r.sent,
                    status: Box::new(status),
                });
            }
            self.reminders.insert((next, id), r);
        }
        let mut held = Vec::new();
        while let Some(entry) = self.held.first_entry() {
            if entry.key().0 > now {
                break;
            }
            held.push(entry.remove());
        }
        (due, held)
    }
}

impl TimeStore for MemoryState {
    fn record_timed(
        &self,
        run: Notified<'_, '_>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError> {
        let deliveries = match run {
            Notified::Stage(run, evaluate) => evaluate(lock(&self.history).record(run)),
            Notified::Agent(run, evaluate) => evaluate(lock(&self.agents).record(run)),
        };
        let deliveries = hook(&mut *lock(&self.time), deliveries)?;
        Ok(self.write_ahead(deliveries))
    }

    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError> {
        let (reminders, held, silences) = {
            let mut time = lock(&self.time);
            let (reminders, held) = time.take_due(now);
            let silences = if reminders.is_empty() && held.is_empty() {
                Vec::new()
            } else {
                TimeTx::silences(&mut *time, now)?
            };
            (reminders, held, silences)
        };
        let (deliveries, ended) = rendered(reminders, held, &silences, render);
        if !ended.is_empty() {
            let mut time = lock(&self.time);
            let MemoryTime {
                open, reminders, ..
            } = &mut *time;
            open.retain(|_, at| {
                let end = ended.contains(&(at.1 as i64));
                if end {
                    reminders.remove(at);
                }
                !end
            });
        }
        Ok(self.write_ahead(deliveries))
    }

    fn time_counts(&self) -> Result<(usize, usize), StoreError> {
        let time = lock(&self.time);
        Ok((time.reminders.len(), time.held.len()))
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        let time = lock(&self.time);
        let reminder = time.reminders.keys().next().map(|k| k.0);
        let held = time.held.keys().next().map(|k| k.0);
        Ok(reminder.into_iter().chain(held).min())
    }

    fn silence_add(&self, s: &NewSilence, now: i64) -> Result<u64, StoreError> {
        let mut time = lock(&self.time);
        let id = time.id();
        time.silences.push(Silence {
            id,
            pipeline: s.pipeline.clone(),
            stage: s.stage.clone(),
            target: s.target.clone(),
            ends_ms: silence_end(now, s.lasts),
            comment: s.comment.clone(),
            created_ms: now,
        });
        Ok(id)
    }

    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError> {
        TimeTx::silences(&mut *lock(&self.time), now)
    }

    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError> {
        let mut time = lock(&self.time);
        let found = time
            .silences
            .iter_mut()
            .find(|s| s.id == id && s.ends_ms > now);
        Ok(found.map(|s| s.ends_ms = now).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::time::THROTTLES_KEPT_MS;

    #[test]
    fn throttles_not_sent_through_for_long_are_forgotten() {
        let mut time = MemoryTime::default();
        // An agent rule's `every` over elastic agents: a new uuid each job.
        for i in 0..4095 {
            time.throttle(1, "ops", &format!("agent:{i}"), 0, 60_000)
                .unwrap();
        }
        time.throttle(1, "ops", "agent:recent", THROTTLES_KEPT_MS - 1, 60_000)
            .unwrap();
        assert_eq!(time.throttles.len(), 4096, "nothing forgotten yet");
        time.throttle(1, "ops", "agent:new", THROTTLES_KEPT_MS + 1, 60_000)
            .unwrap();
        let mut kept: Vec<&str> = time.throttles.keys().map(|k| k.2.as_str()).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["agent:new", "agent:recent"]);
    }
}

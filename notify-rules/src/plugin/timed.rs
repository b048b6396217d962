//! The plugin's time forms on its clock: silences, throttles (`every`),
//! holding outside a window (`during`) and reminders (`remind`) in a
//! notification's transaction, and [`Plugin::send_due`] for the reminders
//! and digests that come due.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Plugin, Problem};
use crate::history::{Seen, StageRun};
use crate::model::{StageState, StageStatus};
use crate::rules::Delivery;
use crate::state::outbox::saved;
use crate::state::time::{subject, Due, NewHeld, NewReminder, Notified, Rendered, TimeTx};
use crate::state::StoreError;
use crate::time::{from_ms, Clock, NewSilence, OpenHours, Silence};

/// Why a delivery did not go out when it was made: counted in
/// `notify_rules_deliveries_total` by these outcome names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Withheld {
    /// Dropped by `every`: counted in the next one's `{suppressed}`.
    Suppressed,
    /// Held outside its `during` window, for the digest.
    Held,
    /// Matched an active silence: not sent, not held.
    Silenced,
}

impl Withheld {
    /// The outcome's name in the metrics: `suppressed`, `held`, `silenced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Withheld::Suppressed => "suppressed",
            Withheld::Held => "held",
            Withheld::Silenced => "silenced",
        }
    }
}

/// Told of each delivery withheld, with its target.
pub(crate) type WithheldSink = Arc<dyn Fn(&str, Withheld) + Send + Sync>;

/// The time side of a plugin: its clock, its rules' windows (in the
/// rules' order), who is told what was withheld.
pub(crate) struct Timed {
    pub(crate) clock: Clock,
    pub(crate) windows: Vec<(String, OpenHours)>,
    pub(crate) withheld: Option<WithheldSink>,
}

impl Timed {
    pub(super) fn tell(&self, withheld: &[(String, Withheld)]) {
        if let Some(sink) = &self.withheld {
            for (target, w) in withheld {
                sink(target, *w);
            }
        }
    }
}

/// What one [`Plugin::send_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueReport {
    /// Reminders and digests made (written to the outbox and tried).
    pub made: usize,
    /// What went wrong: deliveries not sent (kept in the outbox to try
    /// again), a store that could not be reached.
    pub problems: Vec<Problem>,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl Plugin {
    /// The time on the plugin's clock ([`PluginBuilder::clock`](super::PluginBuilder::clock)).
    pub fn now(&self) -> SystemTime {
        from_ms(self.timed.clock.now_ms())
    }

    /// A stage notification with silences and the rules' time forms, in
    /// the notification's transaction.
    pub(super) fn stage_status_timed(&self, status: Arc<StageStatus>) -> Vec<Problem> {
        let now = self.timed.clock.now_ms();
        let pipeline = &status.pipeline.name;
        let stage = &status.pipeline.stage.name;
        let passed = status.pipeline.stage.state == StageState::Passed;
        let timed_rules = self.rules.has_time_forms();
        let starts = std::cell::RefCell::new(Vec::new());
        let mut withheld = Vec::new();
        let mut evaluate = |seen: Seen| match seen {
            Seen::Repeat => Vec::new(),
            Seen::New(transition) if timed_rules => self.rules.evaluate_shared_timed(
                &status,
                transition,
                self.server_url.as_deref(),
                &mut starts.borrow_mut(),
            ),
            Seen::New(transition) => {
                self.rules
                    .evaluate_shared(&status, transition, self.server_url.as_deref())
            }
        };
        let mut hook = |tx: &mut dyn TimeTx, deliveries: Vec<Delivery<'static>>| {
            // Named only when some form keeps it: most notifications of most
            // rule sets (no time forms, no silence) go through untouched.
            let named = std::cell::OnceCell::new();
            let about = || named.get_or_init(|| subject(pipeline, stage)).as_str();
            if passed {
                // Whatever the rules now: reminders started under rules
                // reloaded since (or by another replica's) end too.
                tx.end_reminders(about())?;
            }
            let mut starts = starts.borrow_mut();
            if deliveries.is_empty() && starts.is_empty() {
                return Ok(deliveries);
            }
            let silences = tx.silences(now)?;
            if silences.is_empty() && !timed_rules {
                return Ok(deliveries);
            }
            let out = self.through_time(tx, deliveries, &silences, about, now, &mut withheld)?;
            if !starts.is_empty() {
                let json = saved::status_to_json(&status);
                for s in starts.drain(..) {
                    // Kept under the rule's identity, which a reload that
                    // moves the rule keeps (`Rules::identities`).
                    let Some(timing) = self.rules.timing(s.rule_index) else {
                        continue;
                    };
                    tx.start_reminder(&NewReminder {
                        stage: about().to_owned(),
                        rule: timing.identity(),
                        remind: s.remind_index as u32,
                        target: s.target,
                        started: now,
                        every: ms(s.after),
                        status: json.clone(),
                    })?;
                }
            }
            Ok(out)
        };
        let recorded = self.store.record_timed(
            Notified::Stage(&StageRun::of(&status), &mut evaluate),
            &mut hook,
        );
        self.timed.tell(&withheld);
        self.after_record(recorded)
    }

    /// A notification's deliveries (a stage's or an agent's) through the
    /// active `silences` and their rules' `every` and `during`: those to
    /// send now; what became of the others is added to `withheld`. `about`
    /// names the stage or agent in the throttles, when one is asked for.
    pub(super) fn through_time<'a>(
        &self,
        tx: &mut dyn TimeTx,
        deliveries: Vec<Delivery<'static>>,
        silences: &[Silence],
        about: impl Fn() -> &'a str,
        now: i64,
        withheld: &mut Vec<(String, Withheld)>,
    ) -> Result<Vec<Delivery<'static>>, StoreError> {
        let mut out = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            if silences.iter().any(|s| s.holds_delivery(&d, now)) {
                withheld.push((d.target().to_owned(), Withheld::Silenced));
                continue;
            }
            let target = d.target().to_owned();
            match self.timed_delivery(tx, d, &about, now)? {
                Ok(d) => out.push(d),
                Err(w) => withheld.push((target, w)),
            }
        }
        Ok(out)
    }

    /// A delivery through its rule's `every` and `during`: to send, or why
    /// not.
    fn timed_delivery<'a>(
        &self,
        tx: &mut dyn TimeTx,
        mut d: Delivery<'static>,
        about: &impl Fn() -> &'a str,
        now: i64,
    ) -> Result<Result<Delivery<'static>, Withheld>, StoreError> {
        let timing = match d.status() {
            Some(_) => self.rules.timing(d.rule_index()),
            None => self.rules.agent_timing(d.rule_index()),
        };
        let Some(timing) = timing else {
            return Ok(Ok(d));
        };
        if let Some(every) = timing.every() {
            let rule = timing.identity();
            match tx.throttle(rule, d.target(), about(), now, ms(every))? {
                None => return Ok(Err(Withheld::Suppressed)),
                // Evaluation wrote `{suppressed}` as 0.
                Some(0) => {}
                Some(n) => {
                    let text =
                        self.rules
                            .text_with_suppressed_at(&d, n, self.server_url.as_deref());
                    d = d.retold(text, None);
                }
            }
        }
        if let Some((name, hours)) = timing.during().and_then(|w| self.timed.windows.get(w)) {
            if !hours.is_open(now) {
                // A window that never opens holds nothing: it would be lost.
                if let Some(release) = hours.next_open(now) {
                    tx.hold(&NewHeld {
                        window: name.clone(),
                        target: d.target().to_owned(),
                        at: now,
                        release,
                        text: d.text().to_owned(),
                        delivery: saved::to_json(&d),
                    })?;
                    return Ok(Err(Withheld::Held));
                }
            }
        }
        Ok(Ok(d))
    }

    /// Sends the reminders and digests due on the plugin's clock: each is
    /// written to the outbox (so a restart loses none, and however many
    /// replicas share a database, one takes it) and tried at once. A
    /// reminder whose stage or target is silenced is skipped (its next one
    /// stays due). `notify-rules serve` calls this every second; with a
    /// [`SimulatedClock`](crate::time::SimulatedClock), call it after
    /// moving the clock.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use notify_rules::time::SimulatedClock;
    /// use notify_rules::{Delivery, NotifyError, Plugin, RuleSet};
    ///
    /// let rules = RuleSet::parse(r#"
    ///     target ops;
    ///     on broken => send(ops, "{pipeline.name} broke"), remind(ops, 4h, "{pipeline.name} still red for {since} ({reminder})");
    /// "#)?;
    /// let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// let seen = sent.clone();
    /// let clock = SimulatedClock::at(UNIX_EPOCH + Duration::from_secs(1_736_150_400));
    /// let plugin = Plugin::builder(rules)
    ///     .notifier("ops", move |d: &Delivery| -> Result<(), NotifyError> {
    ///         seen.lock().unwrap().push(d.text().to_owned());
    ///         Ok(())
    ///     })
    ///     .clock(clock.clone())
    ///     .build()?;
    /// let failed = r#"{"pipeline":{"name":"api","counter":"1","stage":{"name":"test","counter":"1","state":"Failed"}}}"#;
    /// plugin.handle("stage-status", failed);
    /// clock.advance(Duration::from_secs(4 * 3600));
    /// assert_eq!(plugin.send_due().made, 1);
    /// assert_eq!(*sent.lock().unwrap(), ["api broke", "api still red for 4h 0m 0s (1)"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_due(&self) -> DueReport {
        let now = self.timed.clock.now_ms();
        let mut withheld = Vec::new();
        let mut made = 0;
        let recorded = self.store.tick(now, &mut |due, silences| {
            let r = self.render_due(due, now, silences, &mut withheld);
            made += usize::from(matches!(r, Rendered::Deliver(_)));
            r
        });
        self.timed.tell(&withheld);
        let problems = match recorded {
            Ok(recorded) if recorded.fresh.is_empty() && recorded.gave_up.is_empty() => Vec::new(),
            recorded => self.after_record(recorded),
        };
        DueReport { made, problems }
    }

    fn render_due(
        &self,
        due: Due,
        now: i64,
        silences: &[Silence],
        withheld: &mut Vec<(String, Withheld)>,
    ) -> Rendered {
        match due {
            Due::Reminder {
                id: _,
                rule,
                remind,
                target,
                started,
                n,
                status,
            } => {
                let p = &status.pipeline;
                if silences
                    .iter()
                    .any(|s| s.holds(&p.name, &p.stage.name, &target, now))
                {
                    withheld.push((target, Withheld::Silenced));
                    return Rendered::Skip;
                }
                // The rule that started it, by its identity: the rules may
                // have been reloaded since, with it moved, changed or gone.
                let Some(index) = self.rules.timed_rule(rule).filter(|&i| {
                    self.rules
                        .timing(i)
                        .is_some_and(|t| t.reminds().len() > remind as usize)
                }) else {
                    tracing::warn!(
                        pipeline = %p.name,
                        stage = %p.stage.name,
                        target = %target,
                        "a reminder ends: the rule that started it is no longer in the rules (changed or removed by a reload)"
                    );
                    return Rendered::End;
                };
                let since = Duration::from_millis(now.saturating_sub(started).max(0) as u64);
                let text = self.rules.reminder_text_with(
                    index,
                    remind as usize,
                    &status,
                    since,
                    n,
                    None,
                    self.server_url.as_deref(),
                );
                let tag = format!("remind-r{rule}m{remind}-{n}");
                Rendered::Deliver(
                    Delivery::new(target, text.clone(), Arc::new(*status)).retold(text, Some(tag)),
                )
            }
            Due::Digest {
                window,
                target,
                release,
                mut held,
            } => {
                // A silence set since a message was held holds it now: left
                // out, and counted as silenced (it was counted held then).
                if !silences.is_empty() {
                    held.retain(|(_, _, json)| {
                        let silenced = saved::from_json(&target, json)
                            .is_ok_and(|d| silences.iter().any(|s| s.holds_delivery(&d, now)));
                        if silenced {
                            withheld.push((target.clone(), Withheld::Silenced));
                        }
                        !silenced
                    });
                }
                // All of them silenced: no digest.
                let Some(first) = held.first() else {
                    return Rendered::Skip;
                };
                let show = self
                    .timed
                    .windows
                    .iter()
                    .find(|(name, _)| *name == window)
                    .map_or_else(|| first.0.to_string(), |(_, h)| h.show(first.0));
                let mut text = match held.len() {
                    1 => format!("1 message held outside {window} since {show}"),
                    n => format!("{n} messages held outside {window} since {show}"),
                };
                for (_, line, _) in &held {
                    text.push('\n');
                    text.push_str(line);
                }
                // The digest goes as the first held delivery it can read
                // back (a later release may have written one it cannot),
                // carrying every held message's line.
                let Some(d) = held
                    .iter()
                    .find_map(|(_, _, json)| saved::from_json(&target, json).ok())
                else {
                    tracing::error!(
                        target = %target,
                        window = %window,
                        held = held.len(),
                        "a digest cannot be made: none of its held deliveries can be read back (written by another release?); its messages are dropped"
                    );
                    return Rendered::Skip;
                };
                Rendered::Deliver(d.retold(text, Some(format!("digest-{release}"))))
            }
        }
    }

    /// The silences of this plugin's store, on its clock.
    pub fn silences(&self) -> Silences<'_> {
        Silences { plugin: self }
    }

    /// When the next reminder or digest is due, if any.
    pub fn next_due(&self) -> Result<Option<SystemTime>, StoreError> {
        Ok(self.store.next_due()?.map(from_ms))
    }

    /// Open reminders and held messages in the store (for tests and
    /// operators).
    pub fn time_counts(&self) -> Result<(usize, usize), StoreError> {
        self.store.time_counts()
    }
}

/// A plugin's silences ([`Plugin::silences`]); `notify-rules silence`
/// works on a store's with [`State::silences`](crate::state::State::silences).
pub struct Silences<'p> {
    plugin: &'p Plugin,
}

impl Silences<'_> {
    /// Adds a silence from now; its id.
    pub fn add(&self, silence: &NewSilence) -> Result<u64, StoreError> {
        let p = self.plugin;
        p.store.silence_add(silence, p.timed.clock.now_ms())
    }

    /// The silences active now, oldest first.
    pub fn list(&self) -> Result<Vec<Silence>, StoreError> {
        let p = self.plugin;
        p.store.silences(p.timed.clock.now_ms())
    }

    /// Ends a silence now; whether it was active.
    pub fn expire(&self, id: u64) -> Result<bool, StoreError> {
        let p = self.plugin;
        p.store.silence_expire(id, p.timed.clock.now_ms())
    }
}

impl fmt::Debug for Silences<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Silences").finish_non_exhaustive()
    }
}

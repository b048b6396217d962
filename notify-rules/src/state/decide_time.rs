//! What a database store does with the time forms' tables (`v3.sql`), once
//! for both: a notification's throttles, held messages and reminders in its
//! transaction ([`Tables`]), the tick's take of what is due, silences. Each
//! store gives its transaction through [`Sql`]; the statements are
//! [`sql`](super::sql)'s, and the few that differ (PostgreSQL's
//! `SKIP LOCKED`, its tick's turn) are [`Sql`]'s constants.

use super::decide::{write_ahead, Shared, Written};
use super::sql::{self, Columns, Sql, Val};
use super::time::{
    next_due, rendered, silence_end, Due, NewHeld, NewReminder, Render, TimeTx, TICK_LIMIT,
};
use super::StoreError;
use crate::state::outbox::saved;
use crate::time::{NewSilence, Silence};
use Val::{Int, OptText, Text};

/// The time tables in a notification's transaction, its errors told in the
/// store's words by `fail`.
pub(crate) struct Tables<'a, T: Sql> {
    pub(crate) t: &'a mut T,
    pub(crate) fail: &'a dyn Fn(T::Error) -> StoreError,
}

impl<T: Sql> TimeTx for Tables<'_, T> {
    fn throttle(
        &mut self,
        rule: u32,
        target: &str,
        subject: &str,
        now: i64,
        every: i64,
    ) -> Result<Option<u64>, StoreError> {
        let key = [Int(i64::from(rule)), Text(target), Text(subject)];
        let f = self.fail;
        // The notification's own lock is held (SQLite's write lock, the
        // stage's or agent's advisory lock in PostgreSQL): no other
        // transaction changes this row meanwhile.
        let last = self
            .t
            .rows(sql::THROTTLE_GET, &key, |r| Ok((r.int(0)?, r.int(1)?)))
            .map_err(f)?
            .pop();
        if last.is_some_and(|(last, _)| now < last.saturating_add(every)) {
            self.t.exec(sql::THROTTLE_DROP, &key).map_err(f)?;
            return Ok(None);
        }
        let sent = [key[0], key[1], key[2], Int(now)];
        self.t.exec(sql::THROTTLE_SENT, &sent).map_err(f)?;
        Ok(Some(last.map_or(0, |(_, n)| n.max(0) as u64)))
    }

    fn hold(&mut self, h: &NewHeld) -> Result<(), StoreError> {
        let row = [
            Text(&h.window),
            Text(&h.target),
            Int(h.at),
            Int(h.release),
            Text(&h.text),
            Text(&h.delivery),
        ];
        self.t.exec(sql::HOLD, &row).map(drop).map_err(self.fail)
    }

    fn start_reminder(&mut self, r: &NewReminder) -> Result<(), StoreError> {
        let row = [
            Text(&r.stage),
            Int(i64::from(r.rule)),
            Int(i64::from(r.remind)),
            Text(&r.target),
            Int(r.started),
            Int(r.every),
            Int(r.started.saturating_add(r.every)),
            Text(&r.status),
        ];
        self.t
            .exec(sql::REMINDER_START, &row)
            .map(drop)
            .map_err(self.fail)
    }

    fn end_reminders(&mut self, stage: &str) -> Result<(), StoreError> {
        self.t
            .exec(sql::REMINDERS_END, &[Text(stage)])
            .map(drop)
            .map_err(self.fail)
    }

    fn silences(&mut self, now: i64) -> Result<Vec<Silence>, StoreError> {
        silences(self.t, now).map_err(self.fail)
    }
}

/// A row of [`sql::SILENCES`].
pub(crate) fn silence<C: Columns>(r: &C) -> Result<Silence, C::Error> {
    Ok(Silence {
        id: r.int(0)?.max(0) as u64,
        pipeline: r.text(1)?,
        stage: r.opt_text(2)?,
        target: r.opt_text(3)?,
        ends_ms: r.int(4)?,
        comment: r.text(5)?,
        created_ms: r.int(6)?,
    })
}

/// The silences active at `now`, oldest first.
pub(crate) fn silences<T: Sql>(t: &mut T, now: i64) -> Result<Vec<Silence>, T::Error> {
    t.rows(sql::SILENCES, &[Int(now)], |r| silence(r))
}

/// Adds a silence from `now`; its id.
pub(crate) fn silence_add<T: Sql>(t: &mut T, s: &NewSilence, now: i64) -> Result<u64, T::Error> {
    let row = [
        Text(&s.pipeline),
        OptText(s.stage.as_deref()),
        OptText(s.target.as_deref()),
        Int(silence_end(now, s.lasts)),
        Text(&s.comment),
        Int(now),
    ];
    // `RETURNING` gives the one row inserted.
    Ok(t.int(sql::SILENCE_ADD, &row)?.unwrap_or(0).max(0) as u64)
}

/// Ends a silence at `now`; whether it was active.
pub(crate) fn silence_expire<T: Sql>(t: &mut T, id: u64, now: i64) -> Result<bool, T::Error> {
    let id = i64::try_from(id).unwrap_or(-1);
    Ok(t.exec(sql::SILENCE_EXPIRE, &[Int(now), Int(id)])? > 0)
}

/// Open reminders and held messages.
pub(crate) fn counts<T: Sql>(t: &mut T) -> Result<(usize, usize), T::Error> {
    let n = t.rows(sql::TIME_COUNTS, &[], |r| Ok((r.int(0)?, r.int(1)?)))?;
    let (reminders, held) = n.first().copied().unwrap_or((0, 0));
    Ok((reminders.max(0) as usize, held.max(0) as usize))
}

/// When the next reminder or digest is due.
pub(crate) fn due_next<T: Sql>(t: &mut T) -> Result<Option<i64>, T::Error> {
    Ok(t.rows(sql::NEXT_DUE, &[], |r| r.opt_int(0))?
        .into_iter()
        .next()
        .flatten())
}

/// The tick's transaction: takes what is due at `now` (reminders moved on,
/// held messages gone), renders it and writes it ahead, claimed for the
/// caller. With another replica ticking now it takes nothing: what that one
/// leaves is taken next time.
pub(crate) fn tick<T: Sql>(
    t: &mut T,
    s: &Shared,
    now: i64,
    render: Render<'_>,
) -> Result<Written, T::Error> {
    if let Some(turn) = T::TICK_TURN {
        if t.bool(turn, &[])? != Some(true) {
            return Ok(Written::default());
        }
    }
    let reminders = due_reminders(t, now)?;
    let held = t.rows(T::TAKE_HELD, &[Int(now), Int(TICK_LIMIT)], |r| {
        Ok(NewHeld {
            window: r.text(0)?,
            target: r.text(1)?,
            at: r.int(2)?,
            release: r.int(3)?,
            text: r.text(4)?,
            delivery: r.text(5)?,
        })
    })?;
    let silences = if reminders.is_empty() && held.is_empty() {
        Vec::new()
    } else {
        silences(t, now)?
    };
    let (deliveries, ended) = rendered(reminders, held, &silences, render);
    for id in ended {
        t.exec(sql::REMINDER_END, &[Int(id)])?;
    }
    // The outbox's ids and stamps, as a notification's entries get.
    write_ahead(t, s, deliveries, s.stamp())
}

/// Takes the due reminders, moving each to its next time.
fn due_reminders<T: Sql>(t: &mut T, now: i64) -> Result<Vec<Due>, T::Error> {
    let rows = t.rows(T::DUE_REMINDERS, &[Int(now), Int(TICK_LIMIT)], |r| {
        Ok((
            [r.int(0)?, r.int(1)?, r.int(2)?],
            r.text(3)?,
            [r.int(4)?, r.int(5)?, r.int(6)?, r.int(7)?],
            r.text(8)?,
        ))
    })?;
    let mut due = Vec::with_capacity(rows.len());
    for ([id, rule, remind], target, [started, every, at, sent], status) in rows {
        let n = sent.saturating_add(1);
        t.exec(
            sql::REMINDER_MOVED,
            &[Int(next_due(at, every, now)), Int(n), Int(id)],
        )?;
        // A notification that cannot be read back (written by a later
        // release) makes no reminder, but the row moves on all the same.
        if let Ok(status) = saved::status_from_json(&status) {
            due.push(Due::Reminder {
                id,
                rule: u32::try_from(rule).unwrap_or(u32::MAX),
                remind: u32::try_from(remind).unwrap_or(u32::MAX),
                target,
                started,
                n: u32::try_from(n).unwrap_or(u32::MAX),
                status: Box::new(status),
            });
        }
    }
    Ok(due)
}

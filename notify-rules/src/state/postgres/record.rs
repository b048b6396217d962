//! The shared statements ([`sql`](crate::state::sql)) on a PostgreSQL
//! transaction, and the lock that puts one stage's (one agent's)
//! notifications in order across replicas.

use std::error::Error;

use postgres::types::{IsNull, ToSql, Type};
use postgres::Transaction;

use super::pool::Prepared;
use crate::state::sql::{Columns, Sql, Val};

/// The first key of the advisory locks on agents ("agen" in ASCII): the
/// two-key locks are apart from the one-key locks of stages and migrations.
pub(super) const AGENT_LOCKS: i32 = 0x6167_656e;

/// A transaction [`PostgresState::in_tx`](super::PostgresState) began, and
/// the statements its connection has prepared.
pub(super) struct Tables<'a, 't>(
    pub(super) &'a mut Transaction<'t>,
    pub(super) &'a mut Prepared,
);

type Bytes = postgres::types::private::BytesMut;
type ToSqlResult = Result<IsNull, Box<dyn Error + Sync + Send>>;

impl ToSql for Val<'_> {
    fn to_sql(&self, ty: &Type, out: &mut Bytes) -> ToSqlResult {
        match self {
            // The shared statements give every integer as 64 bits; a column
            // of 32 (a rule's index, a count of reminders) takes it narrowed.
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Val::Int(v) => v.to_sql(ty, out),
            Val::OptInt(v) => v.to_sql(ty, out),
            Val::Text(v) => v.to_sql(ty, out),
            Val::OptText(v) => v.to_sql(ty, out),
            Val::OptBool(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each value's own type is checked in `to_sql_checked`.
        true
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut Bytes) -> ToSqlResult {
        match self {
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql_checked(ty, out),
            Val::Int(v) => v.to_sql_checked(ty, out),
            Val::OptInt(v) => v.to_sql_checked(ty, out),
            Val::Text(v) => v.to_sql_checked(ty, out),
            Val::OptText(v) => v.to_sql_checked(ty, out),
            Val::OptBool(v) => v.to_sql_checked(ty, out),
        }
    }
}

impl Columns for postgres::Row {
    type Error = postgres::Error;
    fn int(&self, i: usize) -> Result<i64, postgres::Error> {
        // 32 bits wide: a rule's index, a count of reminders.
        self.try_get::<_, i64>(i)
            .or_else(|_| self.try_get::<_, i32>(i).map(i64::from))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, postgres::Error> {
        self.try_get(i)
    }
    fn text(&self, i: usize) -> Result<String, postgres::Error> {
        self.try_get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, postgres::Error> {
        self.try_get(i)
    }
}

pub(super) fn refs<'v>(params: &'v [Val<'_>]) -> Vec<&'v (dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Tables<'_, '_> {
    /// One stage's notifications in order across replicas: a lock held until
    /// the transaction ends.
    pub(super) fn lock_stage(&mut self, stage: &str) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&stage],
            )
            .map(drop)
    }

    /// One agent's notifications in order across replicas.
    pub(super) fn lock_agent(&mut self, uuid: &str) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&AGENT_LOCKS, &uuid],
            )
            .map(drop)
    }

    fn row(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Option<postgres::Row>, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        self.0.query_opt(&statement, &refs(params))
    }
}

impl Sql for Tables<'_, '_> {
    type Error = postgres::Error;
    const MAKE_ROOM: &'static str = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox \
         WHERE lease_until <= $1 ORDER BY added, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING target, key";
    /// One replica ticks at a time, so a digest is never split between two:
    /// a transaction-scoped advisory lock, tried, not waited for ("notify-t"
    /// in ASCII, 0x6e6f_7469_6679_2d74).
    const TICK_TURN: Option<&'static str> =
        Some("SELECT pg_try_advisory_xact_lock(7957707062626561396)");
    const DUE_REMINDERS: &'static str = "SELECT id, rule, remind, target, started, every, due, \
         sent, status FROM reminders WHERE due <= $1 ORDER BY due LIMIT $2 FOR UPDATE SKIP LOCKED";
    const TAKE_HELD: &'static str = "DELETE FROM held WHERE id IN (SELECT id FROM held \
         WHERE release_at <= $1 ORDER BY release_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING window_name, target, at, release_at, text, delivery";
    type Row<'r> = postgres::Row;

    fn exec(&mut self, sql: &'static str, params: &[Val<'_>]) -> Result<usize, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        self.0
            .execute(&statement, &refs(params))
            .map(|n| n as usize)
    }

    fn bool(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Option<bool>, postgres::Error> {
        Ok(self.row(sql, params)?.map(|r| r.get(0)))
    }

    fn int(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Option<i64>, postgres::Error> {
        Ok(self.row(sql, params)?.map(|r| r.get(0)))
    }

    fn text_int(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Option<(String, Option<i64>)>, postgres::Error> {
        Ok(self.row(sql, params)?.map(|r| (r.get(0), r.get(1))))
    }

    fn texts(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> Result<Vec<(String, String)>, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        let rows = self.0.query(&statement, &refs(params))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn rows<R>(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
        f: impl FnMut(&postgres::Row) -> Result<R, postgres::Error>,
    ) -> Result<Vec<R>, postgres::Error> {
        let statement = self.1.get(self.0, sql)?;
        self.0
            .query(&statement, &refs(params))?
            .iter()
            .map(f)
            .collect()
    }
}

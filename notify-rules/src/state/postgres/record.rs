//! The shared statements ([`sql`](crate::state::sql)) on a PostgreSQL
//! transaction, and the lock that puts one stage's (one agent's)
//! notifications in order across replicas.

use std::error::Error;

use postgres::types::{IsNull, ToSql, Type};
use postgres::Transaction;

use super::pool::Prepared;
use crate::state::sql::{Sql, Val};

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
            Val::Int(v) => v.to_sql(ty, out),
            Val::OptInt(v) => v.to_sql(ty, out),
            Val::Text(v) => v.to_sql(ty, out),
            Val::OptBool(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each value's own type is checked in `to_sql_checked`.
        true
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut Bytes) -> ToSqlResult {
        match self {
            Val::Int(v) => v.to_sql_checked(ty, out),
            Val::OptInt(v) => v.to_sql_checked(ty, out),
            Val::Text(v) => v.to_sql_checked(ty, out),
            Val::OptBool(v) => v.to_sql_checked(ty, out),
        }
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
}

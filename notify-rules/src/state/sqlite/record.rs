//! The shared statements ([`sql`](crate::state::sql)) on a SQLite
//! transaction, each kept prepared.

use rusqlite::{params_from_iter, Connection, OptionalExtension, ToSql};

use crate::state::sql::{Columns, Sql, Val};

/// The connection, inside a transaction [`SqliteState::in_tx`](super::SqliteState) began.
pub(super) struct Tables<'a>(pub(super) &'a Connection);

impl ToSql for Val<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Val::Int(v) => v.to_sql(),
            Val::OptInt(v) => v.to_sql(),
            Val::Text(v) => v.to_sql(),
            Val::OptText(v) => v.to_sql(),
            Val::OptBool(v) => v.to_sql(),
        }
    }
}

impl Columns for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }
    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
}

impl Tables<'_> {
    fn row<R>(
        &self,
        sql: &str,
        params: &[Val<'_>],
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<Option<R>> {
        self.0
            .prepare_cached(sql)?
            .query_row(params_from_iter(params), f)
            .optional()
    }
}

impl Sql for Tables<'_> {
    type Error = rusqlite::Error;
    const MAKE_ROOM: &'static str = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox \
         WHERE lease_until <= $1 ORDER BY added, id LIMIT $2) RETURNING target, key";
    // One connection, its transactions one at a time.
    const TICK_TURN: Option<&'static str> = None;
    const DUE_REMINDERS: &'static str = "SELECT id, rule, remind, target, started, every, due, \
         sent, status FROM reminders WHERE due <= $1 ORDER BY due LIMIT $2";
    const TAKE_HELD: &'static str = "DELETE FROM held WHERE id IN (SELECT id FROM held \
         WHERE release_at <= $1 ORDER BY release_at, id LIMIT $2) \
         RETURNING window_name, target, at, release_at, text, delivery";
    type Row<'r> = rusqlite::Row<'r>;

    fn exec(&mut self, sql: &'static str, params: &[Val<'_>]) -> rusqlite::Result<usize> {
        self.0
            .prepare_cached(sql)?
            .execute(params_from_iter(params))
    }

    fn bool(&mut self, sql: &'static str, params: &[Val<'_>]) -> rusqlite::Result<Option<bool>> {
        self.row(sql, params, |r| r.get(0))
    }

    fn int(&mut self, sql: &'static str, params: &[Val<'_>]) -> rusqlite::Result<Option<i64>> {
        self.row(sql, params, |r| r.get(0))
    }

    fn text_int(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> rusqlite::Result<Option<(String, Option<i64>)>> {
        self.row(sql, params, |r| Ok((r.get(0)?, r.get(1)?)))
    }

    fn texts(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
    ) -> rusqlite::Result<Vec<(String, String)>> {
        let mut s = self.0.prepare_cached(sql)?;
        let rows = s.query_map(params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    fn rows<R>(
        &mut self,
        sql: &'static str,
        params: &[Val<'_>],
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<Vec<R>> {
        let mut s = self.0.prepare_cached(sql)?;
        let rows = s.query_map(params_from_iter(params), f)?;
        rows.collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite numbers `$1`, `$2`, ... in the order they first appear: each
    /// shared statement must name them in that order to mean what
    /// PostgreSQL reads.
    #[test]
    fn every_statement_numbers_its_parameters_in_order() {
        let (_dir, path) = crate::plugin::test_support::temp_file("params");
        drop(super::super::SqliteState::open(&path, Default::default()).unwrap());
        let db = Connection::open(&path).unwrap();
        let dialect = [
            <Tables<'_> as Sql>::MAKE_ROOM,
            <Tables<'_> as Sql>::DUE_REMINDERS,
            <Tables<'_> as Sql>::TAKE_HELD,
        ];
        for sql in crate::state::sql::ALL.iter().chain(&dialect) {
            let s = db.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            for i in 1..=s.parameter_count() {
                assert_eq!(s.parameter_name(i), Some(&*format!("${i}")), "{sql}");
            }
        }
    }
}

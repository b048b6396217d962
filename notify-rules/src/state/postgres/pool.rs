//! The connection pool, each connection with the statements it has
//! prepared. The `postgres` crate prepares a statement given as text before
//! every run of it: a round trip to the server more than the run itself,
//! which doubles the round trips of a notification's transaction. The
//! statements are the program's own constants, so what is kept is bounded.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use postgres::{Client, GenericClient, Statement};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls::{explain, Settled};

/// A pooled connection and what it has prepared.
pub(super) struct Conn {
    client: Client,
    pub(super) prepared: Prepared,
}

impl Conn {
    /// The connection and its statements apart, to prepare on a
    /// transaction of it.
    pub(super) fn split(&mut self) -> (&mut Client, &mut Prepared) {
        (&mut self.client, &mut self.prepared)
    }
}

// Statements given as text (migrations, operator commands) run on the
// client as they always did.
impl Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// Statements prepared on one connection, by their text. (A prepared
/// statement belongs to the session, not the transaction it was prepared
/// in: it outlives a rollback.)
#[derive(Default)]
pub(super) struct Prepared(HashMap<&'static str, Statement>);

impl Prepared {
    /// `sql` prepared on `client`'s connection, once.
    pub(super) fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.0.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Makes and checks [`Conn`]s, by `r2d2_postgres`'s manager, over the
/// TLS `tls.rs` settled.
pub(super) struct Manager {
    pub(super) manager: PostgresConnectionManager<MakeRustlsConnect>,
    pub(super) settled: Settled,
}

/// Why a connection could not be made, TLS's refusals explained (the pool
/// keeps only this text).
#[derive(Debug)]
pub(super) struct ConnectError(String);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectError {}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = ConnectError;

    fn connect(&self) -> Result<Conn, ConnectError> {
        Ok(Conn {
            client: self
                .manager
                .connect()
                .map_err(|e| ConnectError(explain(&e, &self.settled)))?,
            prepared: Prepared::default(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectError> {
        self.manager
            .is_valid(&mut conn.client)
            .map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.manager.has_broken(&mut conn.client)
    }
}

pub(super) type Pool = r2d2::Pool<Manager>;
pub(super) type Pooled = r2d2::PooledConnection<Manager>;

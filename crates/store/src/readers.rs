//! Reads on the calling thread.
//!
//! A read of IAM state is a handful of B-tree lookups in pages SQLite already holds in memory:
//! microseconds of work. Handing it to a driver's worker thread and waiting for the answer costs
//! more than the read (two context switches per query, several queries per API call), so reads run
//! synchronously, on whichever thread asks, on a connection taken from a small pool of read-only
//! connections. In WAL mode a reader sees the last committed transaction and never waits for the
//! writer ("Write-Ahead Logging": concurrency), so this changes nothing about what a read sees:
//! only committed state, as before.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Params, Row};

use crate::Result;

/// Idle connections kept for reuse; more are opened when more threads read at once.
const IDLE: usize = 16;

/// Prepared statements kept per connection: every read the store makes, with room to spare.
const STATEMENTS: usize = 128;

/// A pool of read-only connections, each used by one thread at a time.
pub(crate) struct Readers {
    /// The database file, in WAL mode: a reader never waits for the writer, which matters here
    /// because a reader that waited would hold up one of the runtime's threads.
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Readers {
        Readers { path, idle: Mutex::new(Vec::new()) }
    }

    fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        // In WAL mode a reader waits only for the recovery of a log after a crash.
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(conn)
    }

    /// Runs `read` on a pooled connection, on this thread.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match pooled {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = read(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < IDLE {
                idle.push(conn);
            }
        }
        result
    }

    /// Runs several reads that must see one committed state: in autocommit mode each statement
    /// reads the state of its own moment, so a write committed between two of them would be half
    /// seen. A read transaction holds one snapshot for all of them.
    pub(crate) fn snapshot<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.read(|conn| {
            let snapshot = conn.unchecked_transaction()?;
            read(&snapshot)
        })
    }

    /// The rows of `sql`, each mapped by `map`.
    pub(crate) fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut map: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let mut rows = statement.query(params)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(map(row)?);
            }
            Ok(out)
        })
    }

    /// The first row of `sql`, mapped by `map`, if there is one.
    pub(crate) fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let mut rows = statement.query(params)?;
            match rows.next()? {
                Some(row) => Ok(Some(map(row)?)),
                None => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    /// A read made while a write transaction is open neither waits for it nor sees it: readers hold
    /// up the runtime's threads while they read, so one that waited for the writer would hold a
    /// thread for as long as a write transaction stays open.
    #[tokio::test(flavor = "current_thread")]
    async fn reads_do_not_wait_for_an_open_write_transaction() {
        let dir = tempfile::tempdir().unwrap();
        for store in [Store::open_in_memory().await.unwrap(), Store::open(&dir.path().join("monban.db")).await.unwrap()]
        {
            store.ensure_account("111122223333", "2026-01-01T00:00:00Z", "aws").await.unwrap();
            let reader = store.reader.clone();
            let started = std::time::Instant::now();
            let seen_inside = store
                .writes
                .write(move |tx| {
                    tx.execute("INSERT INTO accounts (account_id, created) VALUES ('444455556666', 'now')", [])?;
                    // The writer's transaction is open and holds the new row; a reader sees the
                    // last committed state, at once.
                    reader.all("SELECT account_id FROM accounts", [], |r| Ok(r.get::<_, String>(0)?))
                })
                .await
                .unwrap();
            assert_eq!(seen_inside, ["111122223333"]);
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "the read waited for the writer");
            assert_eq!(store.accounts().await.unwrap(), ["111122223333", "444455556666"]);
        }
    }
}

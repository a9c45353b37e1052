//! Group commit on one thread: every write runs on the writer thread's connection, and the
//! writes that queued up while the previous batch was committing are committed together, in one
//! transaction.
//!
//! A commit is the expensive part of a small write: SQLite appends every page the transaction
//! changed to the write-ahead log, and takes and releases its locks. Writes that arrive together
//! usually touch the same pages (the same table's last leaf, the same index pages), so one commit
//! for many of them writes each page once. Each write still succeeds or fails on its own: it runs
//! in a savepoint of the batch's transaction, and a write that fails is rolled back to it without
//! touching its neighbours. No caller hears "done" before the batch's COMMIT has returned, so an
//! acknowledged write is as durable as it was with a commit of its own.
//!
//! The writes run synchronously on the thread that owns the connection: a write's statements are
//! microseconds of work each, and handing every statement to a driver's worker thread and waiting
//! for it cost more than the statements (two context switches each, several statements per
//! write). A write now costs one hand-over to the writer thread and one wake-up of its caller.

use std::sync::mpsc;

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, ToSql};
use tokio::sync::oneshot;

use crate::{Result, StoreError};

/// The most writes committed in one transaction: enough to amortize a commit, few enough that a
/// batch never holds the database for long.
const MAX_BATCH: usize = 64;

/// One queued write, its result type erased so that writes of any kind share the queue.
type Job = Box<dyn FnOnce(&Connection) -> Ran + Send>;

/// Hands a write's result to its caller, given why the batch did not commit, if it did not.
type Delivery = Box<dyn FnOnce(Option<&str>) + Send>;

/// What a write left behind once it ran: whether it succeeded, and how to hand its result to the
/// caller once the batch's COMMIT has decided whether it stands.
struct Ran {
    succeeded: bool,
    deliver: Delivery,
}

/// The handle through which the store queues writes; the writer thread ends when the last one
/// goes, after committing what was queued.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`, the one connection that writes.
    pub(crate) fn start(conn: Connection) -> std::io::Result<Writer> {
        let (queue, jobs) = mpsc::channel();
        std::thread::Builder::new().name("monban-writer".into()).spawn(move || run(&conn, &jobs))?;
        Ok(Writer { queue })
    }

    /// Runs `write` atomically on the writer connection and returns its result once committed.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn| {
            // A write that panicked did not happen; the writer goes on with the next.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(conn)))
                .unwrap_or_else(|_| Err(StoreError::NotCommitted("the write failed unexpectedly".into())));
            Ran {
                succeeded: result.is_ok(),
                deliver: Box::new(move |commit_failure| {
                    let result = match commit_failure {
                        Some(why) if result.is_ok() => Err(StoreError::NotCommitted(why.to_string())),
                        _ => result,
                    };
                    // The caller may have gone away (its request was cancelled); the write stands.
                    let _ = reply.send(result);
                }),
            }
        });
        self.queue.send(job).map_err(|_| StoreError::NotCommitted("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::NotCommitted("the transaction it was part of failed".into()))?
    }
}

/// A statement and its values, made on the caller's side and run on the writer's.
pub(crate) struct Bound {
    sql: &'static str,
    params: Vec<Box<dyn ToSql + Send>>,
}

impl Bound {
    pub(crate) fn new(sql: &'static str, params: Vec<Box<dyn ToSql + Send>>) -> Bound {
        Bound { sql, params }
    }

    /// Runs it; the number of rows it changed.
    pub(crate) fn run(&self, conn: &Connection) -> Result<usize> {
        Ok(conn.prepare_cached(self.sql)?.execute(rusqlite::params_from_iter(self.params.iter()))?)
    }
}

/// The first column of every row of `sql`.
pub(crate) fn column<T: FromSql>(conn: &Connection, sql: &str, params: impl Params) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params, |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

/// Takes whatever has queued up, up to [`MAX_BATCH`], and commits it as one batch, until every
/// [`Writer`] handle is gone.
fn run(conn: &Connection, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut ran = Vec::with_capacity(batch.len());
        let outcome = commit(conn, batch, &mut ran);
        if outcome.is_err() {
            // Whatever the transaction did is undone; the connection is ready for the next.
            let _ = control(conn, "ROLLBACK");
        }
        let failure = outcome.err().map(|e| e.to_string());
        for r in ran {
            (r.deliver)(failure.as_deref());
        }
    }
}

/// Runs one of the transaction-control statements below from the connection's statement cache:
/// they run several times per batch, and parsing them each time showed in profiles.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs a batch in one transaction, each write in a savepoint of its own (a batch of one needs
/// none: the transaction is its own). Writes that did not get to run are dropped, which tells
/// their callers they were not committed.
fn commit(conn: &Connection, batch: Vec<Job>, ran: &mut Vec<Ran>) -> rusqlite::Result<()> {
    control(conn, "BEGIN IMMEDIATE")?;
    let batch = match <[Job; 1]>::try_from(batch) {
        Ok([job]) => {
            let r = job(conn);
            let succeeded = r.succeeded;
            ran.push(r);
            return control(conn, if succeeded { "COMMIT" } else { "ROLLBACK" });
        }
        Err(batch) => batch,
    };
    for job in batch {
        control(conn, "SAVEPOINT write")?;
        let r = job(conn);
        let succeeded = r.succeeded;
        ran.push(r);
        if !succeeded {
            control(conn, "ROLLBACK TO write")?;
        }
        control(conn, "RELEASE write")?;
    }
    control(conn, "COMMIT")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(tx: &Connection, name: &str) -> Result<()> {
        tx.execute("INSERT INTO t (name) VALUES (?)", [name])?;
        Ok(())
    }

    fn open(path: &std::path::Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "wal").unwrap();
        conn
    }

    /// Three writes queued before the writer runs share one transaction; the one that fails
    /// halfway leaves nothing behind and does not take its neighbours down with it.
    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_write_in_a_batch_is_rolled_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let conn = open(&path);
        conn.execute_batch("CREATE TABLE t (name TEXT PRIMARY KEY)").unwrap();
        let observer = open(&path);
        let writer = Writer::start(conn).unwrap();
        // A slow write first: the three queue up behind it, so they are one batch (with it or
        // after it).
        let (_, first, second, third) = tokio::join!(
            writer.write(|_| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                Ok(())
            }),
            writer.write(|tx| insert(tx, "a")),
            writer.write(|tx| {
                insert(tx, "b")?;
                insert(tx, "a")
            }),
            writer.write(move |tx| {
                // The first write is visible here but not yet to another connection: one batch,
                // not yet committed.
                let here: i64 = tx.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?;
                let elsewhere: i64 = observer.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?;
                insert(tx, "c")?;
                Ok((here, elsewhere))
            }),
        );
        first.unwrap();
        assert!(matches!(second, Err(StoreError::Database(_))), "{second:?}");
        assert_eq!(third.unwrap(), (1, 0));
        let check = open(&path);
        let names: Vec<String> = column(&check, "SELECT name FROM t ORDER BY name", []).unwrap();
        assert_eq!(names, ["a", "c"]);
    }
}

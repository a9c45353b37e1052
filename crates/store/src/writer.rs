//! Group commit: every write runs on one task, and the writes that queued up while the previous
//! batch was committing are committed together, in one transaction.
//!
//! A commit is the expensive part of a small write: SQLite appends every page the transaction
//! changed to the write-ahead log, and takes and releases its locks. Writes that arrive together
//! usually touch the same pages (the same table's last leaf, the same index pages), so one commit
//! for many of them writes each page once. Each write still succeeds or fails on its own: it runs
//! in a savepoint of the batch's transaction, and a write that fails is rolled back to it without
//! touching its neighbours. No caller hears "done" before the batch's COMMIT has returned, so an
//! acknowledged write is as durable as it was with a commit of its own.

use std::future::Future;
use std::pin::Pin;

use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError};

/// The future a write returns: it borrows the connection for as long as it runs.
pub type WriteFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// The most writes committed in one transaction: enough to amortize a commit, few enough that a
/// batch never holds the database for long.
const MAX_BATCH: usize = 64;

/// One queued write, its result type erased so that writes of any kind share the queue.
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> Running<'c> + Send>;

/// A queued write while it runs.
type Running<'c> = Pin<Box<dyn Future<Output = Ran> + Send + 'c>>;

/// Hands a write's result to its caller, given why the batch did not commit, if it did not.
type Delivery = Box<dyn FnOnce(Option<&str>) + Send>;

/// What a write left behind once it ran: whether it succeeded, and how to hand its result to the
/// caller once the batch's COMMIT has decided whether it stands.
struct Ran {
    succeeded: bool,
    deliver: Delivery,
}

/// The handle through which the store queues writes; the writer task ends when the last one goes.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task on `pool`, which holds the one connection that writes.
    pub(crate) fn start(pool: SqlitePool) -> Writer {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, jobs));
        Writer { queue }
    }

    /// Runs `write` atomically on the writer connection and returns its result once committed.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let result = write(conn).await;
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
            })
        });
        self.queue.send(job).map_err(|_| StoreError::NotCommitted("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::NotCommitted("the transaction it was part of failed".into()))?
    }
}

/// Takes whatever has queued up, up to [`MAX_BATCH`], and commits it as one batch, until every
/// [`Writer`] handle is gone.
async fn run(pool: SqlitePool, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut ran = Vec::with_capacity(batch.len());
        let outcome = commit(&pool, std::mem::take(&mut batch), &mut ran).await;
        let failure = outcome.err().map(|e| e.to_string());
        for r in ran {
            (r.deliver)(failure.as_deref());
        }
    }
}

/// Runs a batch in one transaction, each write in a savepoint of its own (a batch of one needs
/// none: the transaction is its own). Writes that did not get to run are dropped, which tells
/// their callers they were not committed.
async fn commit(pool: &SqlitePool, batch: Vec<Job>, ran: &mut Vec<Ran>) -> std::result::Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let batch = match <[Job; 1]>::try_from(batch) {
        Ok([job]) => {
            let r = job(&mut tx).await;
            let succeeded = r.succeeded;
            ran.push(r);
            return if succeeded { tx.commit().await } else { tx.rollback().await };
        }
        Err(batch) => batch,
    };
    for job in batch {
        let mut savepoint = tx.begin().await?;
        let r = job(&mut savepoint).await;
        let succeeded = r.succeeded;
        ran.push(r);
        if succeeded {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    async fn insert(tx: &mut SqliteConnection, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO t (name) VALUES (?)").bind(name).execute(tx).await?;
        Ok(())
    }

    /// Three writes queued before the writer runs share one transaction; the one that fails
    /// halfway leaves nothing behind and does not take its neighbours down with it.
    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_write_in_a_batch_is_rolled_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await.unwrap();
        sqlx::query("CREATE TABLE t (name TEXT PRIMARY KEY)").execute(&pool).await.unwrap();
        let observer = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let writer = Writer::start(pool.clone());

        // `join!` queues all three before the writer task gets to run (one thread), so they are
        // one batch.
        let (first, second, third) = tokio::join!(
            writer.write(|tx| Box::pin(insert(tx, "a"))),
            writer.write(|tx| Box::pin(async move {
                insert(&mut *tx, "b").await?;
                insert(&mut *tx, "a").await
            })),
            writer.write(move |tx| Box::pin(async move {
                // The first write is visible here but not yet to another connection: one batch,
                // not yet committed.
                let here: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&mut *tx).await?;
                let elsewhere: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&observer).await?;
                insert(tx, "c").await?;
                Ok((here, elsewhere))
            })),
        );
        first.unwrap();
        assert!(matches!(second, Err(StoreError::Database(_))), "{second:?}");
        assert_eq!(third.unwrap(), (1, 0));
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM t ORDER BY name").fetch_all(&pool).await.unwrap();
        assert_eq!(names, ["a", "c"]);
    }
}

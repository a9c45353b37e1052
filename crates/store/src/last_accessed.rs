//! Last-accessed data: when each principal last attempted each action, and where.

use super::*;

/// One principal's last attempt of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAccess {
    /// The principal's unique id.
    pub principal_id: String,
    /// `iam:GetUser`.
    pub action: String,
    /// When, ISO 8601.
    pub time: String,
    /// The region of the request.
    pub region: String,
}

impl Store {
    /// Records attempts, keeping for each principal and action the latest. One write for many:
    /// the server gathers attempts and records them off the calls' path.
    pub async fn record_last_accessed(&self, accesses: Vec<LastAccess>) -> Result<()> {
        self.writes
            .write(move |tx| {
                for a in &accesses {
                    // A principal deleted meanwhile has nothing left to record.
                    tx.prepare_cached(
                        "INSERT INTO last_accessed (principal_id, action, time, region) \
                             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM principals WHERE id = ?1) \
                             ON CONFLICT (principal_id, action) DO UPDATE SET time = excluded.time, \
                             region = excluded.region WHERE excluded.time >= last_accessed.time",
                    )?
                    .execute(rusqlite::params![&a.principal_id, &a.action, &a.time, &a.region])?;
                }
                Ok(())
            })
            .await
    }

    /// Every recorded attempt of the principals with these unique ids.
    pub async fn last_accessed(&self, principal_ids: &[String]) -> Result<Vec<LastAccess>> {
        let mut out = Vec::new();
        for id in principal_ids {
            out.extend(self.reader.all(
                "SELECT principal_id, action, time, region FROM last_accessed WHERE principal_id = ? ORDER BY action",
                [id],
                |r| Ok(LastAccess { principal_id: r.get(0)?, action: r.get(1)?, time: r.get(2)?, region: r.get(3)? }),
            )?);
        }
        Ok(out)
    }
}

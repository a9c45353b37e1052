//! Versioned schema changes, applied in order at open and recorded in `schema_migrations`.
//!
//! A migration is never edited once released: a change to the schema is a new file in
//! `crates/store/migrations/`, appended to [`MIGRATIONS`]. Each runs in its own transaction.

use rusqlite::Connection;

use crate::StoreError;

/// Every migration: (version, SQL), in order.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_instance_profiles.sql")),
    (3, include_str!("../migrations/0003_login_profiles.sql")),
    (4, include_str!("../migrations/0004_mfa_devices.sql")),
    (5, include_str!("../migrations/0005_principal_ids.sql")),
    (6, include_str!("../migrations/0006_foreign_keys.sql")),
    (7, include_str!("../migrations/0007_boundary_index.sql")),
    (8, include_str!("../migrations/0008_last_accessed.sql")),
    (9, include_str!("../migrations/0009_credentials_and_providers.sql")),
    (10, include_str!("../migrations/0010_organizations.sql")),
    (11, include_str!("../migrations/0011_root_task_sessions.sql")),
    (12, include_str!("../migrations/0012_outbound_federation.sql")),
];

/// Applies every migration newer than the database's version.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)",
    )?;
    let current: i64 = conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let run = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute("INSERT INTO schema_migrations (version, applied) VALUES (?, datetime('now'))", [version])?;
            tx.commit()
        };
        run(conn).map_err(|source| StoreError::Migration { version, source })?;
    }
    Ok(())
}

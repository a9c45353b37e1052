//! Versioned schema changes, applied in order at open and recorded in `schema_migrations`.
//!
//! A migration is never edited once released: a change to the schema is a new file in
//! `crates/store/migrations/`, appended to [`MIGRATIONS`]. Each runs in its own transaction.

use sqlx::SqlitePool;

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
];

/// Applies every migration newer than the database's version.
pub async fn apply(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
        .execute(pool)
        .await?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetch_one(pool).await?;
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let run = async {
            let mut tx = pool.begin().await?;
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied) VALUES (?, datetime('now'))")
                .bind(version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        };
        run.await.map_err(|source| StoreError::Migration { version, source })?;
    }
    Ok(())
}

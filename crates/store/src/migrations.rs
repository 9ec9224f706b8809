//! Applies the migrations of the installed modules (see [`crate::schema`]), one list for both
//! databases. Each migration runs in one transaction together with its row in
//! `schema_migrations`.

use crate::{Backend, Result, Store, now_text};
use sqlx::Row;

fn render(sql: &str, backend: Backend) -> String {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    sql.replace("{ID}", id).replace("{BLOB}", blob)
}

pub(crate) async fn run(store: &Store) -> Result<usize> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&store.pool)
    .await?;
    let mut applied = 0;
    for m in crate::schema::migrations(&store.schema) {
        let mut tx = store.begin().await?;
        let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            tx.rollback().await?;
            continue;
        }
        for statement in render(m.sql, store.backend).split(';') {
            if statement.trim().is_empty() {
                continue;
            }
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        applied += 1;
    }
    Ok(applied)
}

/// The highest applied migration version (0 on an empty database).
pub async fn current_version(store: &Store) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(&store.pool)
        .await?;
    Ok(row.try_get("v")?)
}

/// The same, read inside an open transaction (the backup's snapshot).
pub(crate) async fn current_version_in(tx: &mut crate::Tx) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get("v")?)
}

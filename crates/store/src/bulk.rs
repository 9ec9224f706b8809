//! Appending many rows to a table inside an import's transaction, at what the driver allows.
//!
//! The store talks to both databases through sqlx's `Any` driver, so every statement costs a
//! hand-off and every value a conversion; a bulk write keeps both few:
//!
//! - SQLite: multi-row `INSERT … VALUES (?, …), (?, …)` of a fixed number of rows (within
//!   SQLite's limit of 32,766 variables), so the statement is prepared once per connection
//!   (sqlx keeps it) and reused for every full chunk; anonymous `?` keeps binding linear
//!   ([`crate::param`]).
//! - PostgreSQL: `INSERT … SELECT * FROM unnest($1::text[], $2::bigint[], …)`, one array literal
//!   per column and thousands of rows per statement, also prepared once. `COPY … FROM STDIN`
//!   would need the driver's own `PgConnection`, which the `Any` connection does not hand out,
//!   and a second connection would write outside the import's transaction (a refused file
//!   must leave nothing behind); arrays are the fastest path inside it. Nor would `COPY` be
//!   faster into a register's table: with its unique key, foreign key and indexes, the server's
//!   own work per row dominates (measured in `qcity bench sampling` and the README).
//!
//! Rows are buffered by the caller's [`Rows`] and written by [`Rows::write`] in file order.

use crate::{Backend, Result, Tx};
use std::fmt::Write as _;

/// The type of a column as the store keeps it (see the crate's notes: text and integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
}

/// A table rows are appended to: its name, columns, and what to do on a conflict.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// Appended to the statement, e.g. `ON CONFLICT (source, source_ref) DO NOTHING`.
    pub on_conflict: &'static str,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Null,
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Null, Value::Text)
    }
}

/// SQLite's page cache during an import, in KiB (the pool's connections keep 32 MB): the
/// indexes of a large table take inserts at random places, and a cache holding them saves
/// spilling and re-reading pages before the commit writes them once.
const LOAD_CACHE_KIB: i64 = 256 * 1024;
/// The pool's setting, restored when the import ends ([`crate::Store::connect`]).
const POOL_CACHE_KIB: i64 = 32 * 1024;

/// Prepares the import's connection for a large load: on SQLite, a larger page cache (only
/// allocated as pages are used). Journal and sync stay as they are: one transaction is one
/// WAL commit, and with `synchronous = NORMAL` a commit waits for no disk flush.
pub async fn begin_load(backend: Backend, tx: &mut Tx) -> Result<()> {
    if backend == Backend::Sqlite {
        sqlx::query(&format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Gives the connection its pool setting back before the import commits. Pages the commit
/// still has to write stay in the cache until written, so nothing is lost; an import that
/// fails keeps the larger limit on its connection until the pool closes it.
pub async fn end_load(backend: Backend, tx: &mut Tx) -> Result<()> {
    if backend == Backend::Sqlite {
        sqlx::query(&format!("PRAGMA cache_size = -{POOL_CACHE_KIB}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A table's secondary indexes, set aside while a load fills it from empty and built again
/// before it commits: SQLite then sorts each index once instead of inserting every row at a
/// random place in it (the load's largest cost after the rows themselves). Unique indexes
/// stay, as they are rules. A load that fails rolls back, and the indexes with it.
/// On PostgreSQL nothing is set aside: dropping an index locks the table for every reader
/// until the load commits.
#[must_use = "the indexes must be built again with `restore`"]
pub struct SetAside {
    statements: Vec<String>,
}

impl SetAside {
    /// Drops `table`'s secondary indexes inside the load's transaction (SQLite).
    pub async fn indexes(backend: Backend, tx: &mut Tx, table: &str) -> Result<SetAside> {
        let mut statements = Vec::new();
        if backend == Backend::Sqlite {
            let rows = sqlx::query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
                 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
            )
            .bind(table)
            .fetch_all(&mut **tx)
            .await?;
            for r in rows {
                let name: String = sqlx::Row::try_get(&r, "name")?;
                statements.push(sqlx::Row::try_get(&r, "sql")?);
                sqlx::query(&format!("DROP INDEX {name}"))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(SetAside { statements })
    }

    /// Builds the indexes again, as they were.
    pub async fn restore(self, tx: &mut Tx) -> Result<()> {
        for sql in self.statements {
            sqlx::query(&sql).execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// SQLite's most variables in one statement (since 3.32).
const SQLITE_MAX_VARIABLES: usize = 32_766;
/// Rows per SQLite statement, at most (the variable limit decides for wide tables): a
/// statement keeps a journal of each page it changes, once per statement, to undo itself
/// alone on a constraint error; the more rows per statement, the fewer pages journaled per row.
const SQLITE_ROWS: usize = 5_000;
/// Rows per PostgreSQL statement.
const PG_ROWS: usize = 5_000;

/// Rows waiting to be appended to one table.
pub struct Rows {
    table: &'static Table,
    /// The values, row after row.
    values: Vec<Value>,
}

impl Rows {
    pub fn new(table: &'static Table) -> Rows {
        Rows {
            table,
            values: Vec::new(),
        }
    }

    /// Rows waiting.
    pub fn len(&self) -> usize {
        self.values.len() / self.table.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds a row: one value per column, in the table's column order. A row of another
    /// length is a bug of the caller, refused here before anything is written.
    pub fn push(&mut self, row: impl IntoIterator<Item = Value>) -> Result<()> {
        let before = self.values.len();
        self.values.extend(row);
        let given = self.values.len() - before;
        if given != self.table.columns.len() {
            self.values.truncate(before);
            // A bug, not an input: an internal error, never a message for the user.
            return Err(crate::StoreError::Db(sqlx::Error::Protocol(format!(
                "a bulk row of {given} values for {} ({} columns)",
                self.table.name,
                self.table.columns.len()
            ))));
        }
        Ok(())
    }

    /// Writes every waiting row into the transaction, in the order pushed.
    pub async fn write(&mut self, backend: Backend, tx: &mut Tx) -> Result<()> {
        if self.values.is_empty() {
            return Ok(());
        }
        let values = std::mem::take(&mut self.values);
        match backend {
            Backend::Sqlite => write_sqlite(self.table, values, tx).await,
            Backend::Postgres => write_postgres(self.table, values, tx).await,
        }
    }
}

fn insert_head(table: &Table) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    format!("INSERT INTO {} ({}) ", table.name, columns.join(", "))
}

/// `INSERT … VALUES (?, …), …` for `rows` rows.
fn sqlite_statement(table: &Table, rows: usize) -> String {
    let one = format!("({})", vec!["?"; table.columns.len()].join(", "));
    let mut sql = insert_head(table);
    sql.push_str("VALUES ");
    sql.push_str(&vec![one.as_str(); rows].join(", "));
    if !table.on_conflict.is_empty() {
        sql.push(' ');
        sql.push_str(table.on_conflict);
    }
    sql
}

async fn write_sqlite(table: &Table, values: Vec<Value>, tx: &mut Tx) -> Result<()> {
    let width = table.columns.len();
    let per = (SQLITE_MAX_VARIABLES / width).clamp(1, SQLITE_ROWS);
    let rows = values.len() / width;
    // Every full chunk runs the same text (one prepared statement); the rest its own.
    let full = sqlite_statement(table, per);
    let rest = sqlite_statement(table, rows % per);
    let mut values = values.into_iter();
    let mut left = rows;
    while left > 0 {
        let n = left.min(per);
        let mut q = sqlx::query(if n == per { &full } else { &rest });
        for v in values.by_ref().take(n * width) {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::Int(i) => q.bind(i),
                Value::Null => q.bind(None::<String>),
            };
        }
        q.execute(&mut **tx).await?;
        left -= n;
    }
    Ok(())
}

/// `INSERT … SELECT * FROM unnest($1::text[], …)`.
fn postgres_statement(table: &Table) -> String {
    let arrays: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| match kind {
            Kind::Text => format!("${}::text[]", i + 1),
            Kind::Int => format!("${}::bigint[]", i + 1),
        })
        .collect();
    let mut sql = insert_head(table);
    let _ = write!(sql, "SELECT * FROM unnest({})", arrays.join(", "));
    if !table.on_conflict.is_empty() {
        sql.push(' ');
        sql.push_str(table.on_conflict);
    }
    sql
}

/// Adds one element to a PostgreSQL array literal: text quoted with `"` and `\` escaped,
/// integers as they are, NULL unquoted.
fn push_element(out: &mut String, v: &Value) {
    if out.len() > 1 {
        out.push(',');
    }
    match v {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Null => out.push_str("NULL"),
        Value::Text(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
    }
}

async fn write_postgres(table: &Table, values: Vec<Value>, tx: &mut Tx) -> Result<()> {
    let width = table.columns.len();
    let sql = postgres_statement(table);
    for chunk in values.chunks(PG_ROWS * width) {
        let mut arrays: Vec<String> = (0..width).map(|_| String::from("{")).collect();
        for row in chunk.chunks(width) {
            for (array, v) in arrays.iter_mut().zip(row) {
                push_element(array, v);
            }
        }
        let mut q = sqlx::query(&sql);
        for mut array in arrays {
            array.push('}');
            q = q.bind(array);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Table = Table {
        name: "t",
        columns: &[("a", Kind::Text), ("b", Kind::Int)],
        on_conflict: "ON CONFLICT (a) DO NOTHING",
    };

    #[test]
    fn statements_name_every_column_once_per_row() {
        assert_eq!(
            sqlite_statement(&T, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT (a) DO NOTHING"
        );
        assert_eq!(
            postgres_statement(&T),
            "INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (a) DO NOTHING"
        );
    }

    #[test]
    fn array_elements_are_quoted_and_escaped() {
        let mut out = String::from("{");
        for v in [
            Value::Text("a\"b\\c,{d}".into()),
            Value::Null,
            Value::Text("NULL".into()),
            Value::Text(String::new()),
            Value::Int(-7),
        ] {
            push_element(&mut out, &v);
        }
        out.push('}');
        assert_eq!(out, r#"{"a\"b\\c,{d}",NULL,"NULL","",-7}"#);
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused_and_leaves_nothing() {
        let mut rows = Rows::new(&T);
        assert!(rows.push([Value::from("x")]).is_err());
        assert!(rows.is_empty());
        rows.push([Value::from("x"), Value::from(1)]).unwrap();
        assert_eq!(rows.len(), 1);
    }
}

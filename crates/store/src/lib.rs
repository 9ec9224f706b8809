//! QCity storage: one query codebase for SQLite and PostgreSQL through sqlx's `Any` driver.
//!
//! Values cross the driver as integers, floats and text only (times are RFC 3339 UTC text,
//! flags are 0/1 integers) so that the same SQL and the same decoding work on both databases.
//! Every repository function takes the caller's [`Actor`], whose scope it enforces.

pub mod acceptance;
pub mod approvals;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bulk;
pub mod bulletins;
pub mod credit;
pub mod demo;
pub mod enterprises;
pub mod evidence;
pub mod import;
pub mod import_queue;
pub mod indicators;
mod migrations;
pub mod notices;
pub mod obligations;
pub mod outbox;
pub mod plan;
pub mod reports;
pub mod sampling;
pub mod schema;
pub mod signin;
pub mod units;
pub mod users;

use qcity_domain::role::{Role, Scope};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;

pub use migrations::current_version;
pub use schema::Schema;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Which database is behind the pool; a few statements differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not allowed for this account")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A uniqueness or state conflict; the string names the field or the state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that fails a rule; `field` names the input, `code` the rule (a translation key).
    #[error("invalid {field}: {code}")]
    Invalid { field: String, code: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    pub fn invalid(field: &str, code: &str) -> Self {
        StoreError::Invalid {
            field: field.to_string(),
            code: code.to_string(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who is acting, from where. Repositories derive the scope from it and write it to the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub role: Option<Role>,
    pub unit_id: Option<i64>,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    /// The command line acting on the operator's behalf: full rights, named in the audit trail.
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            username: format!("system:{what}"),
            role: Some(Role::Office),
            unit_id: None,
            ip: "local".into(),
            request_id: String::new(),
        }
    }

    /// Someone not signed in (login attempts, the public portal).
    pub fn anonymous(ip: &str, request_id: &str) -> Actor {
        Actor {
            user_id: None,
            username: "anonymous".into(),
            role: None,
            unit_id: None,
            ip: ip.into(),
            request_id: request_id.into(),
        }
    }

    pub fn scope(&self) -> Scope {
        match self.role {
            Some(role) => Scope::for_role(role, self.unit_id),
            None => Scope::Public,
        }
    }

    /// Refuses callers whose role does not read internal records (accounts, notices, evidence
    /// files): see [`Role::reads_internal_records`]. Anonymous callers are refused too.
    pub fn require_internal(&self) -> Result<()> {
        match self.role {
            Some(role) if role.reads_internal_records() => Ok(()),
            _ => Err(StoreError::Forbidden),
        }
    }

    pub fn require_admin(&self) -> Result<()> {
        if self.scope().is_admin() {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }
}

/// A list's sort order: a column from the caller's fixed list of sortable columns (never text
/// a user typed) and a direction. Ties are broken by the list's own key after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub column: &'static str,
    pub desc: bool,
}

impl Order {
    pub fn new(column: &'static str, desc: bool) -> Order {
        Order { column, desc }
    }

    /// `column ASC` or `column DESC`, for an ORDER BY.
    pub fn sql(&self) -> String {
        format!("{} {}", self.column, if self.desc { "DESC" } else { "ASC" })
    }
}

/// The database handle shared by the server and the commands.
#[derive(Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The installed modules' migrations, tables and jobs (see [`schema`]).
    pub schema: std::sync::Arc<[&'static Schema]>,
    /// The audit key, hash and anchor ([`audit::Seal`]); unkeyed unless the app sets one.
    seal: std::sync::Arc<audit::Seal>,
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…` for an app made of `schema` (the modules'
    /// database parts, core first). SQLite files are created when missing.
    pub async fn connect(url: &str, schema: &[&'static Schema]) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::invalid(
                "database_url",
                "unsupported_database_url",
            ));
        };
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside the single writer; busy_timeout makes a
                    // second process (a CLI command next to the server) wait instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    // 32 MB of page cache (the default is 2 MB), allocated only as pages are
                    // used; an import raises it while it loads (`bulk::begin_load`).
                    conn.execute("PRAGMA cache_size = -32768").await?;
                    // A statement that writes many rows keeps a journal of the pages it
                    // changes (to undo itself alone on a constraint error); on disk that
                    // journal is written for every bulk insert of an import. In memory it
                    // costs only the pages the statement changes.
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        Ok(Store {
            pool,
            backend,
            schema: schema.into(),
            seal: std::sync::Arc::new(audit::Seal::unkeyed()),
        })
    }

    /// The same store sealing the audit chain with `seal` (the app's key and anchor).
    pub fn with_audit_seal(mut self, seal: audit::Seal) -> Store {
        self.seal = std::sync::Arc::new(seal);
        self
    }

    /// How this store seals and checks the audit chain.
    pub fn audit_seal(&self) -> &audit::Seal {
        &self.seal
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let applied = migrations::run(self).await?;
        // The search index differs by database (FTS5 or a GIN index), so it is kept up here
        // rather than in the common-SQL migrations.
        if self.schema.iter().any(|m| m.slug == "enterprises") {
            enterprises::prepare_search(self).await?;
        }
        Ok(applied)
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE)
    /// so a transaction that reads before it writes cannot fail half-way on a busy snapshot.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The demo seedings of the installed modules, in module order.
    pub fn demos(&self) -> impl Iterator<Item = schema::DemoFn> + '_ {
        self.schema.iter().filter_map(|m| m.demo)
    }

    /// Every scheduled job of the installed modules.
    pub fn jobs(&self) -> impl Iterator<Item = &'static schema::JobSpec> + '_ {
        self.schema.iter().flat_map(|m| m.jobs.iter())
    }

    /// The installed module that computes the measure `name`.
    pub fn measure(&self, name: &str) -> Option<&'static schema::MeasureImpl> {
        self.schema
            .iter()
            .flat_map(|m| m.measures.iter())
            .find(|i| i.measure.name == name)
    }

    /// The measures the installed modules offer: the catalogue plan formulas are checked against.
    pub fn measures(&self) -> Vec<&'static qcity_domain::formula::Measure> {
        schema::measures(&self.schema)
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// A TEXT column read into a domain type; text that does not parse is a decoding error (a
/// corrupt row), never a default.
pub fn parse_column<T>(r: &sqlx::any::AnyRow, column: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = r.try_get(column)?;
    text.parse().map_err(|e: T::Err| {
        StoreError::Db(sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: Box::new(e),
        })
    })
}
/// A TEXT column holding a code of a closed list (a listing's state, a sampling level …): a
/// code the list does not have is a decoding error (a corrupt row), never a default member.
pub fn code_column<T: qcity_domain::registry::CodeList>(
    r: &sqlx::any::AnyRow,
    column: &str,
) -> Result<T> {
    let text: String = r.try_get(column)?;
    T::ALL
        .iter()
        .copied()
        .find(|m| m.code() == text)
        .ok_or_else(|| {
            StoreError::Db(sqlx::Error::ColumnDecode {
                index: column.to_string(),
                source: format!("`{text}` is not a stored code of this list").into(),
            })
        })
}

/// Rules saved earlier (the assessment scheme, the acceptance sheet, the credit rules …) as they
/// load today. Saved rules were checked when saved; a text that no longer loads (a later,
/// stricter domain rule) is `None` and logged the same way for every kind, and the caller falls
/// back to the shipped rules rather than breaking every page.
pub(crate) fn stored_rules<R: qcity_domain::rules::Rules>(text: &str) -> Option<R> {
    match qcity_domain::rules::load::<R>(text) {
        Ok(rules) => Some(rules),
        Err(problems) => {
            let first = problems
                .first()
                .map(|d| d.message_en.clone())
                .unwrap_or_default();
            tracing::warn!(
                rules = R::NAME_EN,
                problems = problems.len(),
                first = %first,
                "saved rules no longer load; using the shipped ones"
            );
            None
        }
    }
}

/// The `n`th (1-based) bind parameter of a generated statement. SQLite gets anonymous `?`:
/// sqlx resolves a `$n` through `sqlite3_bind_parameter_name`, a linear search per parameter,
/// which makes a many-row INSERT quadratic. PostgreSQL needs `$n`.
pub fn param(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${n}"),
    }
}

/// True when a statement failed on a unique constraint (two requests creating the same thing
/// at once): callers turn it into the same answer as the check that came first.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Current UTC time as stored: RFC 3339 with milliseconds, so text order is time order.
pub fn now_text() -> String {
    time_text(chrono::Utc::now())
}

pub fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

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
pub mod complaints;
pub mod credit;
pub mod demo;
pub mod enterprises;
pub mod evidence;
pub mod evidence_store;
pub mod import;
pub mod import_queue;
pub mod indicators;
pub mod job_runs;
mod migrations;
pub mod notices;
pub mod obligations;
pub mod outbox;
pub mod plan;
pub mod reports;
pub mod sampling;
pub mod schema;
pub mod session_cache;
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
    /// The evidence store (a directory or a bucket) failed or does not have a file.
    #[error("evidence store: {0}")]
    Evidence(String),
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
    /// The district (or city) whose plan and records the actor works on; `None`: the
    /// installation's home district (the command line, accounts without a unit).
    pub owner_id: Option<i64>,
    pub ip: String,
    pub request_id: String,
}

/// SQL: the ids of the org unit `owner` (an SQL value) and of the units up to two levels
/// under it (a district's offices and member units, or a city's districts and theirs).
pub(crate) fn units_under_sql(owner: &str) -> String {
    format!(
        "(SELECT u.id FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id \
         WHERE u.id = {owner} OR u.parent_id = {owner} OR p.parent_id = {owner})"
    )
}

/// SQL value: the installation's home district (the owner of the first plan version).
pub(crate) const HOME_OWNER_SQL: &str = "(SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1)";

impl Actor {
    /// The command line acting on the operator's behalf: full rights, named in the audit trail.
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            username: format!("system:{what}"),
            role: Some(Role::Office),
            unit_id: None,
            owner_id: None,
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
            owner_id: None,
            ip: ip.into(),
            request_id: request_id.into(),
        }
    }

    /// The SQL value of the plan owner the actor works on: its district (or city), or the
    /// installation's home district (the owner of the first plan version imported).
    pub(crate) fn owner_sql(&self) -> String {
        match self.owner_id {
            Some(id) => id.to_string(),
            None => HOME_OWNER_SQL.to_string(),
        }
    }

    /// SQL: the ids of the org units the actor's owner holds (the owner and the units up to
    /// two levels under it), for reads of modules that list a district's units.
    pub(crate) fn owned_units_sql(&self) -> String {
        units_under_sql(&self.owner_sql())
    }

    /// SQL condition: the org unit id in `column` is one the actor's district holds; the
    /// operator and the command line, with no district, reach every unit.
    pub(crate) fn owns_unit_sql(&self, column: &str) -> String {
        match self.owner_id {
            Some(_) => format!("{column} IN {}", self.owned_units_sql()),
            None => "1 = 1".into(),
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
    /// Where new evidence bytes go; the database unless the app sets another.
    evidence: evidence_store::EvidenceStore,
    /// Sessions checked a moment ago ([`session_cache`]), shared by this process's requests.
    sessions: std::sync::Arc<session_cache::SessionCache>,
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
            evidence: evidence_store::EvidenceStore::Database,
            sessions: std::sync::Arc::new(session_cache::SessionCache::new(
                session_cache::DEFAULT_TTL,
            )),
        })
    }

    /// The same store trusting a checked session for `ttl` before reading it again (zero:
    /// read it on every request).
    pub fn with_session_ttl(mut self, ttl: std::time::Duration) -> Store {
        self.sessions = std::sync::Arc::new(session_cache::SessionCache::new(ttl));
        self
    }

    /// The sessions this process checked a moment ago.
    pub fn sessions(&self) -> &session_cache::SessionCache {
        &self.sessions
    }

    /// The same store keeping new evidence bytes in `evidence` (the app's setting).
    pub fn with_evidence_store(mut self, evidence: evidence_store::EvidenceStore) -> Store {
        self.evidence = evidence;
        self
    }

    /// Where this store keeps new evidence bytes.
    pub fn evidence_store(&self) -> &evidence_store::EvidenceStore {
        &self.evidence
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

    /// Applies pending migrations; returns how many ran. Processes starting at once on one
    /// PostgreSQL database take turns ([`Store::setup_lock`]).
    pub async fn migrate(&self) -> Result<usize> {
        let lock = self.setup_lock().await?;
        let applied = migrations::run(self).await?;
        // The search index differs by database (FTS5 or a GIN index), so it is kept up here
        // rather than in the common-SQL migrations.
        if self.schema.iter().any(|m| m.slug == "enterprises") {
            enterprises::prepare_search(self).await?;
        }
        lock.release().await?;
        Ok(applied)
    }

    /// Waits until no other process sets up the database (migrations, the first account and
    /// plan) and holds it until [`SetupLock::release`]: app servers started together on one
    /// PostgreSQL would otherwise both create the same tables or the same first account. A
    /// session advisory lock on PostgreSQL; nothing on SQLite (one process owns the file).
    pub async fn setup_lock(&self) -> Result<SetupLock> {
        if self.backend != Backend::Postgres {
            return Ok(SetupLock(None));
        }
        let mut conn = self.pool.acquire().await?;
        // Selected through a subquery: the function returns `void`, which the Any driver
        // cannot decode.
        sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_lock($1)) AS l")
            .bind(SETUP_LOCK_KEY)
            .fetch_one(&mut *conn)
            .await?;
        Ok(SetupLock(Some(conn)))
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

/// The advisory lock key of [`Store::setup_lock`] ("QCitySet" in ASCII).
const SETUP_LOCK_KEY: i64 = 0x5143_6974_7953_6574;

/// Held while this process sets up the database; see [`Store::setup_lock`].
pub struct SetupLock(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl SetupLock {
    /// Lets the next process set up.
    pub async fn release(mut self) -> Result<()> {
        if let Some(mut conn) = self.0.take() {
            sqlx::query("SELECT 1 AS unlocked FROM (SELECT pg_advisory_unlock($1)) AS l")
                .bind(SETUP_LOCK_KEY)
                .fetch_one(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        // Not released (an error on the way): close the connection rather than hand it back
        // to the pool still holding the lock; PostgreSQL frees a closed session's locks.
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// A count summed by the database: `SUM` over integers is BIGINT on SQLite but may be NUMERIC
/// on PostgreSQL, so either is read; never below 0.
pub(crate) fn sum_column(r: &sqlx::any::AnyRow, column: &str) -> Result<usize> {
    let v = r
        .try_get::<i64, _>(column)
        .or_else(|_| r.try_get::<f64, _>(column).map(|f| f as i64))
        .or_else(|_| {
            r.try_get::<String, _>(column)
                .map(|s| s.parse::<f64>().unwrap_or(0.0) as i64)
        })?;
    Ok(v.max(0) as usize)
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

//! What each feature module owns in the database: its migrations, its tables (for backup and
//! restore) and its scheduled jobs. The app is assembled from a list of these (the web crate's
//! module list hands them to [`crate::Store::connect`]); nothing here is a hand-kept list of
//! tables or migrations that a new module must remember to extend.

use crate::{Result, Store};
use chrono::NaiveDate;
use qcity_domain::formula::{Formula, Measure, Ratio};
use std::future::Future;
use std::pin::Pin;

/// One migration: plain SQL in the common subset of SQLite and PostgreSQL (`{ID}` stands for the
/// auto-increment primary key, `{BLOB}` for binary data). Versions are unique across all modules
/// and applied in ascending order; new ones are numbered `YYYYMMDDNN` (the day they were
/// written) so that modules written side by side do not collide.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// How a table travels in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Backed up, restored, and keyed by an auto-increment `id` (its sequence is reset on
    /// PostgreSQL after a restore).
    ById,
    /// Backed up and restored; keyed by something else (ordered by its first column).
    ByKey,
    /// Never backed up (sessions, sign-in failures): transient by nature.
    Never,
}

/// A table a module owns.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub keep: Keep,
}

impl Table {
    pub const fn by_id(name: &'static str) -> Table {
        Table {
            name,
            keep: Keep::ById,
        }
    }
    pub const fn by_key(name: &'static str) -> Table {
        Table {
            name,
            keep: Keep::ByKey,
        }
    }
    pub const fn transient(name: &'static str) -> Table {
        Table {
            name,
            keep: Keep::Never,
        }
    }
}

/// What a scheduled job is told when it runs.
pub struct JobCtx<'a> {
    /// The business date.
    pub today: NaiveDate,
    /// When reminders and escalations fire.
    pub ladder: &'a qcity_domain::supervision::Ladder,
}

/// A job's outcome in words for the log ("reminders=3 …"); empty when it did nothing.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>>;

/// A job the supervisor runs hourly (and `qcity supervise` once). Jobs must be idempotent:
/// running one twice on a day does nothing the second time.
pub struct JobSpec {
    pub name: &'static str,
    pub run: for<'a> fn(&'a Store, &'a JobCtx<'a>) -> JobFuture<'a>,
}

/// Yearly figures of a measure, up to a year.
pub type RatiosFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Ratio>>> + Send + 'a>>;

/// How a module's store part computes one of its registry's measures (declared in the domain).
pub struct MeasureImpl {
    pub measure: &'static Measure,
    /// The formula's numerator and denominator for every year with data up to `until` (the
    /// business date's year): nothing is counted for a year that has not begun.
    pub ratios: for<'a> fn(&'a Store, &'a Formula, i32) -> RatiosFuture<'a>,
}

/// What a module's demo seeding is told.
pub struct DemoCtx {
    /// The business date the demo's state is built for.
    pub today: NaiveDate,
}

/// A module's demo seeding: a summary line for the terminal. Skipped (saying so) when its
/// data is already there, so `qcity demo` may run twice.
pub type DemoFn = for<'a> fn(&'a Store, &'a DemoCtx) -> JobFuture<'a>;

/// The database side of one feature module.
pub struct Schema {
    /// The module's slug (`supervision`, `enterprises`, …), the same as its web module's.
    pub slug: &'static str,
    /// Its migrations, in version order.
    pub migrations: &'static [Migration],
    /// The tables it owns, parents before children (the restore order).
    pub tables: &'static [Table],
    /// Its scheduled jobs.
    pub jobs: &'static [JobSpec],
    /// The measures its registry offers to computed indicators.
    pub measures: &'static [MeasureImpl],
    /// Its demo data, seeded in module order by `qcity demo`.
    pub demo: Option<DemoFn>,
}

/// The tables every installation has whatever its modules: accounts, units, sessions, tokens,
/// the audit trail, and the migrations' own bookkeeping.
pub const CORE: Schema = Schema {
    slug: "core",
    migrations: &[
        Migration {
            version: 1,
            name: "accounts, units, sessions, tokens, audit trail",
            sql: include_str!("../migrations/0001_core_accounts.sql"),
        },
        Migration {
            version: 2026120604,
            name: "audit trail: the algorithm of each record",
            sql: include_str!("../migrations/2026120604_core_audit_alg.sql"),
        },
        Migration {
            version: 2026120611,
            name: "sign-in guard: attempts claimed per account and per address",
            sql: include_str!("../migrations/2026120611_core_sign_in_guard.sql"),
        },
        Migration {
            version: 2026120627,
            name: "approval rules: four eyes and objection periods per kind of decision",
            sql: include_str!("../migrations/2026120627_core_approvals.sql"),
        },
        Migration {
            version: 2026120640,
            name: "scheduled jobs claimed per slot across processes",
            sql: include_str!("../migrations/2026120640_core_job_runs.sql"),
        },
        Migration {
            version: 2026120684,
            name: "audit: the newest record that may change a figure",
            sql: include_str!("../migrations/2026120684_core_audit_figures_head.sql"),
        },
    ],
    tables: &[
        Table::by_key("schema_migrations"),
        Table::by_id("org_units"),
        Table::by_id("users"),
        Table::transient("sessions"),
        Table::transient("sign_in_guard"),
        Table::by_id("api_tokens"),
        Table::by_key("audit_log"),
        Table::by_key("audit_head"),
        Table::by_key("approval_rules"),
        Table::transient("job_runs"),
    ],
    jobs: &[],
    measures: &[],
    demo: None,
};

/// Every migration of `modules`, in version order.
pub fn migrations<'a>(modules: &[&'a Schema]) -> Vec<&'a Migration> {
    let mut all: Vec<&Migration> = modules.iter().flat_map(|m| m.migrations).collect();
    all.sort_by_key(|m| m.version);
    all
}

/// Every table of `modules` in restore order (module order, then the module's own order).
pub fn tables<'a>(modules: &[&'a Schema]) -> impl Iterator<Item = &'a Table> {
    modules.iter().flat_map(|m| m.tables.iter())
}

/// Problems with a list of modules: a slug, job, migration version or table claimed twice.
/// Empty when the list is sound.
pub fn problems(modules: &[&Schema]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for m in modules {
        if let Some(prev) = seen.insert(("slug", m.slug.to_string()), m.slug) {
            out.push(format!("slug `{}` is used twice (also by {prev})", m.slug));
        }
        for j in m.jobs {
            if let Some(prev) = seen.insert(("job", j.name.to_string()), m.slug) {
                out.push(format!("job `{}` of {} is also {prev}'s", j.name, m.slug));
            }
        }
        for g in m.migrations {
            if let Some(prev) = seen.insert(("migration", g.version.to_string()), m.slug) {
                out.push(format!(
                    "migration {} of {} is also {prev}'s",
                    g.version, m.slug
                ));
            }
        }
        for g in m.measures {
            if let Some(prev) = seen.insert(("measure", g.measure.name.to_string()), m.slug) {
                out.push(format!(
                    "measure `{}` of {} is also {prev}'s",
                    g.measure.name, m.slug
                ));
            }
        }
        for t in m.tables {
            if let Some(prev) = seen.insert(("table", t.name.to_string()), m.slug) {
                out.push(format!("table `{}` of {} is also {prev}'s", t.name, m.slug));
            }
        }
    }
    out
}

/// The measures of `modules`: the catalogue a plan's formulas are checked against.
pub fn measures(modules: &[&Schema]) -> Vec<&'static Measure> {
    modules
        .iter()
        .flat_map(|m| m.measures.iter().map(|i| i.measure))
        .collect()
}

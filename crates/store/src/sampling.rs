//! Supervision sampling (监督抽查): records keyed by report number, their follow-up (后处理),
//! pass rates and the public disclosure of both (双公开).
//!
//! Pass rates are read from `sampling_stats`, batch and pass counts per (year, level, stage,
//! kind, CCC, category), rebuilt for the affected years in the transaction that changes
//! records; so a dashboard never scans the records themselves.

use crate::audit::{self, Change};
use crate::bulk::{self, Kind, Rows, Value};
use crate::enterprises::{self, CheckedCode, Whose};
use crate::import::{Context, Import, ImportRecord};
use crate::schema::{MeasureImpl, Schema, Table};
use crate::{Actor, Result, Store, StoreError, Tx, now_text};
use chrono::{Datelike, NaiveDate};
use qcity_domain::formula::{Formula, Ratio};
use qcity_domain::identifiers;
pub use qcity_domain::registry::SamplingInput;
use qcity_domain::registry::{
    CodeList, EnterpriseInput, FailedItem, Level, ProductKind, Refusal, Stage, Verdict,
    parse_failed_items, print_failed_items,
};
use qcity_domain::target::Lang;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// A digest of every field, so a re-import can tell an unchanged record from a corrected one:
/// SHA-256 of the fields joined by U+001F, fed to the hash one by one (a million rows would
/// otherwise build a million strings only to hash them).
fn fingerprint(r: &SamplingInput) -> String {
    let mut h = Sha256::new();
    let mut first = true;
    let mut field = |text: &str| {
        if !first {
            h.update("\u{1f}".as_bytes());
        }
        first = false;
        h.update(text.as_bytes());
    };
    field(r.report_no.trim());
    field(r.plan.trim());
    field(r.level.code());
    field(r.stage.code());
    field(&identifiers::normalise_code(&r.enterprise_code));
    field(r.product.trim());
    field(r.category.trim());
    field(r.kind.code());
    field(if r.ccc { "true" } else { "false" });
    field(r.batch.trim());
    field(&r.sampled_on.to_string());
    field(r.verdict.code());
    field(&format!("{:?}", r.reported_on));
    field(&print_failed_items(&r.failed_items));
    field(r.agency.trim());
    crate::audit::hex(&h.finalize())
}

/// A stored record with its enterprise and follow-up.
#[derive(Debug, Clone, Serialize)]
pub struct SamplingRecord {
    pub id: i64,
    pub report_no: String,
    pub plan: String,
    pub level: Level,
    pub stage: Stage,
    pub enterprise_id: i64,
    pub enterprise_code: String,
    pub enterprise_name: String,
    pub product: String,
    pub category: String,
    pub kind: ProductKind,
    pub ccc: bool,
    pub batch: String,
    pub sampled_on: String,
    pub reported_on: Option<String>,
    pub passed: bool,
    pub failed_items: Vec<FailedItem>,
    pub agency: String,
    pub followup: Option<Followup>,
    /// Who recorded it (the import's or the form's account).
    pub recorded_by: String,
    /// A failed result's disclosure: reviewed by whom, public from when. `None` while it waits
    /// for review (and for every passed result, public as recorded).
    pub disclosure: Option<Disclosure>,
    /// The district whose register holds it, and its name.
    pub owner_id: i64,
    pub district: String,
}

/// A failed result's review for the public portal.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Disclosure {
    pub reviewed_by: String,
    /// The first day it is public (the review day plus the objection period).
    pub public_from: String,
}

/// The follow-up of a failed sampling.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Followup {
    /// `open`, `rectifying`, `closed`
    pub status: String,
    pub rectify_by: Option<String>,
    pub rectified_on: Option<String>,
    pub reinspected_on: Option<String>,
    pub reinspection_passed: Option<bool>,
    pub penalty: String,
    pub note: String,
    pub row_version: i64,
}

/// Follow-up states in order.
pub const FOLLOWUP_STATES: &[&str] = &["open", "rectifying", "closed"];

const SELECT: &str = "SELECT s.id, s.report_no, s.plan, s.level, s.stage, s.enterprise_id, e.code AS enterprise_code, e.name AS enterprise_name, \
    s.product, s.category, s.kind, s.ccc, s.batch, s.sampled_on, s.reported_on, s.passed, s.failed_items, s.agency, \
    f.status AS f_status, f.rectify_by, f.rectified_on, f.reinspected_on, f.reinspection_passed, f.penalty, f.note, f.row_version AS f_version, \
    s.recorded_by, d.public_from, d.reviewed_by, s.owner_id, COALESCE(dst.name, '') AS district_name \
    FROM sampling s JOIN enterprises e ON e.id = s.enterprise_id LEFT JOIN sampling_followups f ON f.sampling_id = s.id \
    LEFT JOIN sampling_disclosures d ON d.sampling_id = s.id LEFT JOIN org_units dst ON dst.id = s.owner_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<SamplingRecord> {
    let passed = r.try_get::<i64, _>("passed")? != 0;
    let status: Option<String> = r.try_get("f_status")?;
    let followup = match status {
        Some(status) => Some(Followup {
            status,
            rectify_by: r.try_get("rectify_by")?,
            rectified_on: r.try_get("rectified_on")?,
            reinspected_on: r.try_get("reinspected_on")?,
            reinspection_passed: r
                .try_get::<Option<i64>, _>("reinspection_passed")?
                .map(|v| v != 0),
            penalty: r.try_get("penalty")?,
            note: r.try_get("note")?,
            row_version: r.try_get("f_version")?,
        }),
        None if !passed => Some(Followup {
            status: "open".into(),
            rectify_by: None,
            rectified_on: None,
            reinspected_on: None,
            reinspection_passed: None,
            penalty: String::new(),
            note: String::new(),
            row_version: -1,
        }),
        None => None,
    };
    Ok(SamplingRecord {
        id: r.try_get("id")?,
        report_no: r.try_get("report_no")?,
        plan: r.try_get("plan")?,
        level: crate::code_column(r, "level")?,
        stage: crate::code_column(r, "stage")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_code: r.try_get("enterprise_code")?,
        enterprise_name: r.try_get("enterprise_name")?,
        product: r.try_get("product")?,
        category: r.try_get("category")?,
        kind: crate::code_column(r, "kind")?,
        ccc: r.try_get::<i64, _>("ccc")? != 0,
        batch: r.try_get("batch")?,
        sampled_on: r.try_get("sampled_on")?,
        reported_on: r.try_get("reported_on")?,
        passed,
        failed_items: parse_failed_items(&r.try_get::<String, _>("failed_items")?),
        agency: r.try_get("agency")?,
        followup,
        recorded_by: r.try_get("recorded_by")?,
        disclosure: match r.try_get::<Option<String>, _>("public_from")? {
            Some(public_from) => Some(Disclosure {
                reviewed_by: r.try_get("reviewed_by")?,
                public_from,
            }),
            None => None,
        },
        owner_id: r.try_get("owner_id")?,
        district: r.try_get("district_name")?,
    })
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Enterprise name, code prefix, product or category fragment.
    pub text: String,
    pub year: Option<i32>,
    pub level: Option<Level>,
    pub kind: Option<ProductKind>,
    pub failed_only: bool,
    pub enterprise_id: Option<i64>,
    /// Only what the public sees on that day: passed results, and failed ones reviewed for
    /// disclosure and past their objection period.
    pub public_on: Option<NaiveDate>,
    /// Only failed results waiting for their disclosure review.
    pub awaiting_disclosure: bool,
    /// A column from the caller's fixed list; newest sampling first when `None`.
    pub order: Option<crate::Order>,
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A statement's conditions and the values they bind, in the order written (SQLite's
/// anonymous parameters are bound by position): only the filters a reader set are in it, so
/// the database can use an index for what is asked rather than test every record for what
/// is not.
struct Conditions {
    backend: crate::Backend,
    parts: Vec<String>,
    args: Vec<Arg>,
}

enum Arg {
    Text(String),
    Int(i64),
}

impl Conditions {
    fn new(backend: crate::Backend, first: String) -> Conditions {
        Conditions {
            backend,
            parts: vec![first],
            args: Vec::new(),
        }
    }

    /// The placeholder of a new bound value.
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        crate::param(self.backend, self.args.len())
    }

    fn and(&mut self, condition: String) {
        self.parts.push(condition);
    }

    fn sql(&self) -> String {
        format!("WHERE {}", self.parts.join(" AND "))
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Text(t) => q.bind(t.as_str()),
                Arg::Int(n) => q.bind(*n),
            };
        }
        q
    }
}

impl Filter {
    /// The year, level and kind conditions, on the records (`prefix` "s.") or on their kept
    /// counts (no prefix): both have these columns.
    fn groups(&self, c: &mut Conditions, prefix: &str) {
        if let Some(year) = self.year {
            let p = c.arg(Arg::Int(i64::from(year)));
            c.and(format!("{prefix}year = {p}"));
        }
        if let Some(level) = self.level {
            let p = c.arg(Arg::Text(level.code().to_string()));
            c.and(format!("{prefix}level = {p}"));
        }
        if let Some(kind) = self.kind {
            let p = c.arg(Arg::Text(kind.code().to_string()));
            c.and(format!("{prefix}kind = {p}"));
        }
    }

    /// Whether the kept counts (`sampling_stats`, with the disclosures) can say how many
    /// records the filter lists: no text and no single enterprise.
    fn counted_by_groups(&self) -> bool {
        self.text.trim().is_empty() && self.enterprise_id.is_none()
    }
}

/// The conditions of a listing on records `s` (with `e`, their enterprise, and `d`, their
/// disclosure); `by_search`: the enterprises the text finds through their search index.
fn list_conditions(
    backend: crate::Backend,
    whose: Whose<'_>,
    f: &Filter,
    by_search: &[i64],
) -> Conditions {
    let mut c = Conditions::new(backend, whose.sql("s.owner_id"));
    let text = f.text.trim();
    if !text.is_empty() {
        let like = format!("%{}%", escape_like(text));
        let code = format!("{}%", escape_like(&identifiers::normalise_code(text)));
        let name = c.arg(Arg::Text(like.clone()));
        let code = c.arg(Arg::Text(code));
        let product = c.arg(Arg::Text(like.clone()));
        let category = c.arg(Arg::Text(like));
        let report = c.arg(Arg::Text(text.to_string()));
        // Enterprise ids are integers: written into the statement.
        let search = if by_search.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = by_search.iter().map(i64::to_string).collect();
            format!(" OR s.enterprise_id IN ({})", ids.join(","))
        };
        c.and(format!(
            "(e.name LIKE {name} ESCAPE '\\' OR e.code LIKE {code} ESCAPE '\\' OR s.product LIKE {product} ESCAPE '\\' \
             OR s.category LIKE {category} ESCAPE '\\' OR s.report_no = {report}{search})"
        ));
    }
    f.groups(&mut c, "s.");
    if f.failed_only {
        c.and("s.passed = 0".to_string());
    }
    if let Some(id) = f.enterprise_id {
        let p = c.arg(Arg::Int(id));
        c.and(format!("s.enterprise_id = {p}"));
    }
    if let Some(day) = f.public_on {
        let p = c.arg(Arg::Text(day.to_string()));
        c.and(format!("(s.passed = 1 OR d.public_from <= {p})"));
    }
    if f.awaiting_disclosure {
        c.and("s.passed = 0 AND d.public_from IS NULL".to_string());
    }
    c
}

/// A page of records, newest sampling first (or in the filter's order), and the total. The
/// text matches a fragment of the enterprise's name, product or category, a code prefix, a
/// report number, or all its words in the enterprise's name, address or code.
pub async fn list(
    store: &Store,
    whose: Whose<'_>,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SamplingRecord>, i64)> {
    let text = f.text.trim();
    // Several words, or words in another order, find the enterprise through its search index.
    let by_search = if text.is_empty() {
        Vec::new()
    } else {
        let f = crate::enterprises::EnterpriseFilter {
            text: text.to_string(),
            ..Default::default()
        };
        crate::enterprises::find_ids(store, whose, &f, None).await?
    };
    let c = list_conditions(store.backend, whose, f, &by_search);
    let order = match f.order {
        Some(o) => format!("{}, s.id DESC", o.sql()),
        None => "s.sampled_on DESC, s.id DESC".to_string(),
    };
    let at = c.args.len();
    let list_sql = format!(
        "{SELECT} {} ORDER BY {order} LIMIT {} OFFSET {}",
        c.sql(),
        crate::param(store.backend, at + 1),
        crate::param(store.backend, at + 2)
    );
    let rows = c
        .bind(sqlx::query(&list_sql))
        .bind(limit)
        .bind(offset)
        .fetch_all(&store.pool)
        .await?;
    let total = if f.counted_by_groups() {
        count_by_groups(store, whose, f).await?
    } else {
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM sampling s JOIN enterprises e ON e.id = s.enterprise_id \
             LEFT JOIN sampling_disclosures d ON d.sampling_id = s.id {}",
            c.sql()
        );
        c.bind(sqlx::query(&count_sql))
            .fetch_one(&store.pool)
            .await?
            .try_get("n")?
    };
    Ok((
        rows.iter().map(from_row).collect::<Result<Vec<_>>>()?,
        total,
    ))
}

/// How many records a filter without text or enterprise lists, from the kept counts: the
/// batches (or passes, or failures) of its groups in `sampling_stats`, with the failed
/// records' disclosures counted apart (a disclosure row is a failed record reviewed for the
/// public). A million-record register is counted in a few dozen rows, not read.
async fn count_by_groups(store: &Store, whose: Whose<'_>, f: &Filter) -> Result<i64> {
    // Which records of the groups are counted: all, the failed, or the passed.
    let measure = if f.failed_only || f.awaiting_disclosure {
        "batches - passed"
    } else if f.public_on.is_some() {
        "passed"
    } else {
        "batches"
    };
    let mut c = Conditions::new(store.backend, whose.sql("owner_id"));
    f.groups(&mut c, "");
    let kept: i64 = if f.public_on.is_some() && f.failed_only {
        0
    } else {
        c.bind(sqlx::query(&format!(
            "SELECT CAST(COALESCE(SUM({measure}), 0) AS BIGINT) AS n FROM sampling_stats {}",
            c.sql()
        )))
        .fetch_one(&store.pool)
        .await?
        .try_get("n")?
    };
    // The failed records with a disclosure: public from a day (added), or reviewed at all
    // (taken off the failures waiting for review).
    let disclosed = |day: Option<NaiveDate>| async move {
        // Read from the disclosures (a few per failed record at most), each record looked
        // up by its id: a join would let SQLite start from the district's records instead.
        let mut c = Conditions::new(store.backend, whose.sql("s.owner_id"));
        c.and("s.id = d.sampling_id AND s.passed = 0".to_string());
        f.groups(&mut c, "s.");
        let mut sql = format!(
            "SELECT COUNT(*) AS n FROM sampling_disclosures d WHERE EXISTS (SELECT 1 FROM sampling s {})",
            c.sql()
        );
        if let Some(day) = day {
            let p = c.arg(Arg::Text(day.to_string()));
            let _ = write!(sql, " AND d.public_from <= {p}");
        }
        let n: i64 = c
            .bind(sqlx::query(&sql))
            .fetch_one(&store.pool)
            .await?
            .try_get("n")?;
        Ok::<i64, StoreError>(n)
    };
    Ok(match (f.public_on, f.awaiting_disclosure) {
        // Public, yet waiting for the review that makes it public: none.
        (Some(_), true) => 0,
        (Some(day), false) => kept + disclosed(Some(day)).await?,
        (None, true) => kept - disclosed(None).await?,
        (None, false) => kept,
    })
}

/// One record of the home district's register (the home page's disclosure queue).
pub async fn get(store: &Store, id: i64) -> Result<SamplingRecord> {
    record(store, &Actor::system("home"), id).await
}

/// One record of the actor's district's register.
pub async fn record(store: &Store, actor: &Actor, id: i64) -> Result<SamplingRecord> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE s.id = $1 AND {}",
        Whose::Actor(actor).sql("s.owner_id")
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Rows per batch of an import.
const CHUNK: usize = 1500;
const LOOKUP_ROWS: usize = 500;
/// New records (and their credit events) are kept until this many wait, then written in bulk
/// ([`crate::bulk`]); the pass-rate counts are rebuilt from the records only after the last.
const WRITE_ROWS: usize = 20_000;
/// New records from which a PostgreSQL import samples the register for the planner.
const ANALYZE_AFTER: usize = 10_000;

/// The stored columns of a new record, in the order [`record_values`] gives them.
static RECORDS: bulk::Table = bulk::Table {
    name: "sampling",
    columns: &[
        ("report_no", Kind::Text),
        ("plan", Kind::Text),
        ("level", Kind::Text),
        ("stage", Kind::Text),
        ("enterprise_id", Kind::Int),
        ("product", Kind::Text),
        ("category", Kind::Text),
        ("kind", Kind::Text),
        ("ccc", Kind::Int),
        ("batch", Kind::Text),
        ("sampled_on", Kind::Text),
        ("reported_on", Kind::Text),
        ("year", Kind::Int),
        ("passed", Kind::Int),
        ("failed_items", Kind::Text),
        ("agency", Kind::Text),
        ("fingerprint", Kind::Text),
        ("recorded_by", Kind::Text),
        ("recorded_at", Kind::Text),
        ("owner_id", Kind::Int),
    ],
    on_conflict: "",
};

/// A failed record's credit event; one per report number, never a second.
static EVENTS: bulk::Table = bulk::Table {
    name: "credit_events",
    columns: &[
        ("enterprise_id", Kind::Int),
        ("kind", Kind::Text),
        ("occurred_on", Kind::Text),
        ("serious", Kind::Int),
        ("summary", Kind::Text),
        ("source", Kind::Text),
        ("source_ref", Kind::Text),
        ("recorded_by", Kind::Text),
        ("recorded_at", Kind::Text),
        ("owner_id", Kind::Int),
    ],
    on_conflict: "ON CONFLICT (source, source_ref) DO NOTHING",
};

/// A group of `sampling_stats`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct StatKey {
    year: i32,
    level: &'static str,
    stage: &'static str,
    kind: &'static str,
    ccc: bool,
    category: String,
}

/// What a sampling import keeps from batch to batch.
pub struct SamplingWriter {
    /// The district whose register the import writes.
    owner: i64,
    /// The enterprises of that register, by code.
    enterprises: HashMap<String, i64>,
    /// Codes on another district's register: their rows are refused.
    foreign: std::collections::HashSet<String>,
    overrides: HashMap<String, String>,
    /// Report numbers met in this file: the first line and the fingerprint.
    seen: HashMap<String, (usize, String)>,
    years: BTreeSet<i32>,
    /// Batches and passes of the records this import added, per counting group.
    added: HashMap<StatKey, (i64, i64)>,
    /// No records existed when the import began (inside its transaction): nothing to look up.
    empty_table: bool,
    /// The enterprise of each code as the file spells it, once found (a large file repeats a
    /// few thousand codes; each is checked once).
    code_ids: HashMap<String, i64>,
    /// The register's indexes, set aside while a load fills it from empty.
    indexes: Option<bulk::SetAside>,
    /// New records and their credit events waiting to be written.
    records: Rows,
    events: Rows,
}

/// Sampling records are imported keyed by report number: an unchanged record is counted, a
/// corrected one updated (its credit event kept in step), a new one written in bulk with its
/// credit event; a new enterprise code with a name registers the enterprise. At the end the
/// pass-rate counts of the years touched are rebuilt.
impl ImportRecord for SamplingInput {
    const REGISTRY: &'static str = "sampling";
    const BATCH: usize = CHUNK;
    const AUDIT: (&'static str, &'static str) = ("sampling.import", "sampling_import");
    const SIDE_COUNT: &'static str = "enterprises_created";
    type Writer = SamplingWriter;

    fn check(&self, _today: NaiveDate) -> std::result::Result<(), Refusal> {
        SamplingInput::check(self)
    }

    async fn begin(cx: &mut Context<'_>) -> Result<SamplingWriter> {
        let owner = enterprises::owner_id(&mut cx.tx, &cx.actor).await?;
        let mut known = HashMap::new();
        let mut foreign = std::collections::HashSet::new();
        for r in sqlx::query("SELECT id, code, owner_id FROM enterprises")
            .fetch_all(&mut *cx.tx)
            .await?
        {
            let code = r.try_get::<String, _>("code")?;
            if r.try_get::<i64, _>("owner_id")? == owner {
                known.insert(code, r.try_get::<i64, _>("id")?);
            } else {
                foreign.insert(code);
            }
        }
        let empty_table = sqlx::query("SELECT id FROM sampling LIMIT 1")
            .fetch_optional(&mut *cx.tx)
            .await?
            .is_none();
        let indexes = if empty_table {
            Some(bulk::SetAside::indexes(cx.store.backend, &mut cx.tx, "sampling").await?)
        } else {
            None
        };
        let mut overrides = HashMap::new();
        for r in sqlx::query("SELECT code, reason FROM code_overrides")
            .fetch_all(&mut *cx.tx)
            .await?
        {
            overrides.insert(
                r.try_get::<String, _>("code")?,
                r.try_get::<String, _>("reason")?,
            );
        }
        Ok(SamplingWriter {
            owner,
            enterprises: known,
            foreign,
            overrides,
            seen: HashMap::new(),
            years: BTreeSet::new(),
            added: HashMap::new(),
            empty_table,
            indexes,
            code_ids: HashMap::new(),
            records: Rows::new(&RECORDS),
            events: Rows::new(&EVENTS),
        })
    }

    async fn write(
        w: &mut SamplingWriter,
        cx: &mut Context<'_>,
        rows: Vec<(usize, SamplingInput)>,
    ) -> Result<()> {
        // A report number given twice in the file: the same content is unchanged, other
        // content refused.
        let mut fresh = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            let fp = fingerprint(&row);
            let key = row.key().to_string();
            if let Some((first, first_fp)) = w.seen.get(&key) {
                if *first_fp != fp {
                    let first = *first;
                    cx.report.refuse_line(
                        line,
                        &Refusal::new(
                            format!("报告编号“{key}”与第{first}行重复且内容不同"),
                            format!(
                                "report number “{key}” repeats row {first} with different content"
                            ),
                        ),
                    );
                } else {
                    cx.report.unchanged += 1;
                }
                continue;
            }
            w.seen.insert(key, (line, fp.clone()));
            fresh.push((line, row, fp));
        }
        write_batch(w, cx, fresh).await
    }

    async fn finish(mut w: SamplingWriter, cx: &mut Context<'_>) -> Result<()> {
        w.records.write(cx.store.backend, &mut cx.tx).await?;
        w.events.write(cx.store.backend, &mut cx.tx).await?;
        if let Some(indexes) = w.indexes.take() {
            indexes.restore(&mut cx.tx).await?;
        }
        refresh_stats(&mut cx.tx, w.owner, &w.years).await?;
        // After a large load PostgreSQL's planner would guess at the register until autovacuum
        // samples it (a minute later): a failures list took 0.3 s instead of 2 ms. ANALYZE
        // samples it now, its own rows included, in the import's transaction.
        if cx.store.backend == crate::Backend::Postgres && cx.report.created >= ANALYZE_AFTER {
            sqlx::query("ANALYZE sampling").execute(&mut *cx.tx).await?;
        }
        // New records only add to their groups' counts (a recounted year already has them).
        for (k, (batches, passed)) in w.added {
            if w.years.contains(&k.year) {
                continue;
            }
            sqlx::query(
                "INSERT INTO sampling_stats (year, level, stage, kind, ccc, category, batches, passed, owner_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (owner_id, year, level, stage, kind, ccc, category) DO UPDATE SET batches = sampling_stats.batches + excluded.batches, \
                 passed = sampling_stats.passed + excluded.passed",
            )
            .bind(i64::from(k.year))
            .bind(k.level)
            .bind(k.stage)
            .bind(k.kind)
            .bind(i64::from(k.ccc))
            .bind(k.category)
            .bind(batches)
            .bind(passed)
            .bind(w.owner)
            .execute(&mut *cx.tx)
            .await?;
        }
        Ok(())
    }
}

/// The enterprise id for a row's code, registering the enterprise when it is new; `None` (and
/// the row refused) when the code is refused or unknown without a name.
async fn enterprise_of(
    w: &mut SamplingWriter,
    cx: &mut Context<'_>,
    line: usize,
    row: &SamplingInput,
) -> Result<Option<i64>> {
    if let Some(id) = w.code_ids.get(&row.enterprise_code) {
        return Ok(Some(*id));
    }
    let checked = match identifiers::check_enterprise_code(&row.enterprise_code) {
        Ok((code, kind)) => CheckedCode {
            code,
            kind: kind.code(),
            override_reason: None,
        },
        Err(e) => {
            let code = identifiers::normalise_code(&row.enterprise_code);
            match w.overrides.get(&code) {
                Some(reason) => CheckedCode {
                    kind: if code.chars().count() == 9 {
                        "org"
                    } else {
                        "uscc"
                    },
                    code,
                    override_reason: Some(reason.clone()),
                },
                None => {
                    cx.report
                        .refuse_line(line, &enterprises::CodeRefusal(e).refusal());
                    return Ok(None);
                }
            }
        }
    };
    if let Some(id) = w.enterprises.get(&checked.code) {
        w.code_ids.insert(row.enterprise_code.clone(), *id);
        return Ok(Some(*id));
    }
    if w.foreign.contains(&checked.code) {
        cx.report
            .refuse_line(line, &enterprises::other_district(&checked.code));
        return Ok(None);
    }
    if row.enterprise_name.trim().is_empty() {
        cx.report.refuse_line(
            line,
            &Refusal::new(
                format!("企业“{}”尚未登记，且未填写企业名称", checked.code),
                format!(
                    "enterprise {} is not registered and the row gives no name",
                    checked.code
                ),
            ),
        );
        return Ok(None);
    }
    let input = EnterpriseInput {
        code: checked.code.clone(),
        name: row.enterprise_name.trim().chars().take(100).collect(),
        ..EnterpriseInput::default()
    };
    let id = enterprises::insert_for_import(&mut cx.tx, w.owner, &checked, &input).await?;
    w.enterprises.insert(checked.code, id);
    w.code_ids.insert(row.enterprise_code.clone(), id);
    cx.report.side += 1;
    Ok(Some(id))
}

async fn write_batch(
    w: &mut SamplingWriter,
    cx: &mut Context<'_>,
    rows: Vec<(usize, SamplingInput, String)>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = cx.store.backend;
    // Existing records among this chunk, by report number. sqlx's SQLite binding costs grow
    // with the square of a statement's parameters, so statements stay small.
    let mut existing: HashMap<String, (i64, String, i64, i64)> = HashMap::new();
    let lookups = if w.empty_table { 0 } else { rows.len() };
    for part in rows[..lookups].chunks(LOOKUP_ROWS) {
        let placeholders: Vec<String> =
            (1..=part.len()).map(|i| crate::param(backend, i)).collect();
        let sql = format!(
            "SELECT id, report_no, fingerprint, year, owner_id FROM sampling WHERE report_no IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (_, r, _) in part {
            q = q.bind(r.key().to_string());
        }
        for r in q.fetch_all(&mut *cx.tx).await? {
            existing.insert(
                r.try_get("report_no")?,
                (
                    r.try_get("id")?,
                    r.try_get("fingerprint")?,
                    r.try_get("year")?,
                    r.try_get("owner_id")?,
                ),
            );
        }
    }
    let now = now_text();
    for (line, row, fp) in rows {
        // A report number of another district's records: neither changed nor counted here.
        if let Some((_, _, _, owner)) = existing.get(row.key())
            && *owner != w.owner
        {
            cx.report
                .refuse_line(line, &other_district_report(row.key()));
            continue;
        }
        if let Some((_, old_fp, _, _)) = existing.get(row.key())
            && *old_fp == fp
        {
            cx.report.unchanged += 1;
            continue;
        }
        let Some(enterprise_id) = enterprise_of(w, cx, line, &row).await? else {
            continue;
        };
        match existing.get(row.key()) {
            Some((id, _, old_year, _)) => {
                // A corrected record moves counts between groups: those years are recounted.
                w.years.insert(row.sampled_on.year());
                w.years.insert(*old_year as i32);
                update_record(&mut cx.tx, *id, enterprise_id, &row, &fp).await?;
                sync_credit_event(
                    backend,
                    &mut cx.tx,
                    w.owner,
                    enterprise_id,
                    &row,
                    &cx.actor,
                    &now,
                )
                .await?;
                cx.report.updated += 1;
            }
            None => {
                let key = StatKey {
                    year: row.sampled_on.year(),
                    level: row.level.code(),
                    stage: row.stage.code(),
                    kind: row.kind.code(),
                    ccc: row.ccc,
                    category: row.category.trim().to_string(),
                };
                let counts = w.added.entry(key).or_default();
                counts.0 += 1;
                counts.1 += i64::from(row.verdict == Verdict::Pass);
                if row.verdict == Verdict::Fail {
                    w.events.push(event_values(
                        w.owner,
                        enterprise_id,
                        &row,
                        &cx.actor.username,
                        &now,
                    ))?;
                }
                w.records.push(record_values(
                    w.owner,
                    enterprise_id,
                    &row,
                    fp,
                    &cx.actor.username,
                    &now,
                ))?;
                cx.report.created += 1;
            }
        }
    }
    if w.records.len() >= WRITE_ROWS {
        w.records.write(backend, &mut cx.tx).await?;
        w.events.write(backend, &mut cx.tx).await?;
    }
    Ok(())
}

/// Why a row whose report number is another district's record is refused.
fn other_district_report(report_no: &str) -> Refusal {
    Refusal::new(
        format!("报告编号“{report_no}”已由其他区县登记，本区县不能导入或更改"),
        format!(
            "report number “{report_no}” is another district's record: this district cannot import or change it"
        ),
    )
}

/// A new record's stored values, in the order of [`RECORDS`].
fn record_values(
    owner: i64,
    enterprise_id: i64,
    r: &SamplingInput,
    fingerprint: String,
    by: &str,
    now: &str,
) -> [Value; 20] {
    [
        r.report_no.trim().into(),
        r.plan.trim().into(),
        r.level.code().into(),
        r.stage.code().into(),
        enterprise_id.into(),
        r.product.trim().into(),
        r.category.trim().into(),
        r.kind.code().into(),
        i64::from(r.ccc).into(),
        r.batch.trim().into(),
        r.sampled_on.to_string().into(),
        r.reported_on.map(|d| d.to_string()).into(),
        i64::from(r.sampled_on.year()).into(),
        i64::from(r.verdict == Verdict::Pass).into(),
        print_failed_items(&r.failed_items).into(),
        r.agency.trim().into(),
        fingerprint.into(),
        by.into(),
        now.into(),
        owner.into(),
    ]
}

/// A failed record's credit event, in the order of [`EVENTS`].
fn event_values(
    owner: i64,
    enterprise_id: i64,
    r: &SamplingInput,
    by: &str,
    now: &str,
) -> [Value; 10] {
    [
        enterprise_id.into(),
        "sampling_failure".into(),
        r.reported_on.unwrap_or(r.sampled_on).to_string().into(),
        Value::Int(0),
        event_summary(r).into(),
        "sampling".into(),
        r.report_no.trim().into(),
        by.into(),
        now.into(),
        owner.into(),
    ]
}

async fn update_record(
    tx: &mut Tx,
    id: i64,
    enterprise_id: i64,
    r: &SamplingInput,
    fp: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE sampling SET plan = $1, level = $2, stage = $3, enterprise_id = $4, product = $5, category = $6, kind = $7, ccc = $8, \
         batch = $9, sampled_on = $10, reported_on = $11, year = $12, passed = $13, failed_items = $14, agency = $15, fingerprint = $16 WHERE id = $17",
    )
    .bind(r.plan.trim())
    .bind(r.level.code())
    .bind(r.stage.code())
    .bind(enterprise_id)
    .bind(r.product.trim())
    .bind(r.category.trim())
    .bind(r.kind.code())
    .bind(i64::from(r.ccc))
    .bind(r.batch.trim())
    .bind(r.sampled_on.to_string())
    .bind(r.reported_on.map(|d| d.to_string()))
    .bind(i64::from(r.sampled_on.year()))
    .bind(i64::from(r.verdict == Verdict::Pass))
    .bind(print_failed_items(&r.failed_items))
    .bind(r.agency.trim())
    .bind(fp)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn event_summary(r: &SamplingInput) -> String {
    format!(
        "{}监督抽查不合格：{}（{}）",
        r.level.label(Lang::ZhCn),
        r.product.trim(),
        print_failed_items(&r.failed_items)
    )
}

/// Keeps the credit event of a corrected record in step: a failure has one (re-opened if it
/// had been withdrawn), a pass has none (withdrawn, kept in the history).
async fn sync_credit_event(
    backend: crate::Backend,
    tx: &mut Tx,
    owner: i64,
    enterprise_id: i64,
    r: &SamplingInput,
    actor: &Actor,
    now: &str,
) -> Result<()> {
    let key = r.report_no.trim();
    if r.verdict == Verdict::Fail {
        sqlx::query(
            "UPDATE credit_events SET enterprise_id = $1, occurred_on = $2, summary = $3, withdrawn_at = NULL, withdrawn_reason = NULL \
             WHERE source = 'sampling' AND source_ref = $4",
        )
        .bind(enterprise_id)
        .bind(r.reported_on.unwrap_or(r.sampled_on).to_string())
        .bind(event_summary(r))
        .bind(key)
        .execute(&mut **tx)
        .await?;
        // Re-opened above, or written now when it had none.
        let mut event = Rows::new(&EVENTS);
        event.push(event_values(owner, enterprise_id, r, &actor.username, now))?;
        event.write(backend, tx).await?;
    } else {
        sqlx::query(
            "UPDATE credit_events SET withdrawn_at = $1, withdrawn_reason = $2 WHERE source = 'sampling' AND source_ref = $3 AND withdrawn_at IS NULL",
        )
        .bind(now)
        .bind("抽查结论更正为合格 / the sampling verdict was corrected to pass")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Rebuilds the batch and pass counts of these years of a district's register from its records.
pub(crate) async fn refresh_stats(tx: &mut Tx, owner: i64, years: &BTreeSet<i32>) -> Result<()> {
    for year in years {
        sqlx::query("DELETE FROM sampling_stats WHERE owner_id = $1 AND year = $2")
            .bind(owner)
            .bind(i64::from(*year))
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO sampling_stats (owner_id, year, level, stage, kind, ccc, category, batches, passed) \
             SELECT owner_id, year, level, stage, kind, ccc, category, COUNT(*), CAST(SUM(passed) AS BIGINT) FROM sampling \
             WHERE owner_id = $1 AND year = $2 GROUP BY owner_id, year, level, stage, kind, ccc, category",
        )
        .bind(owner)
        .bind(i64::from(*year))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Records one sampling entered by hand (the enterprise must be registered), through the
/// import pipeline as a file of one row.
pub async fn create(
    store: &Store,
    actor: &Actor,
    row: &SamplingInput,
    today: NaiveDate,
) -> Result<i64> {
    let source = format!("form:{}", row.key());
    let mut import = Import::<SamplingInput>::begin(store, actor, &source, today).await?;
    let code = identifiers::normalise_code(&row.enterprise_code);
    if !import.writer.enterprises.contains_key(&code) {
        return Err(StoreError::invalid(
            "enterprise_code",
            "error-sampling-enterprise-unknown",
        ));
    }
    let exists = sqlx::query("SELECT id FROM sampling WHERE report_no = $1")
        .bind(row.key())
        .fetch_optional(&mut *import.cx.tx)
        .await?;
    if exists.is_some() {
        return Err(StoreError::invalid(
            "report_no",
            "error-sampling-report-taken",
        ));
    }
    if row.check().is_err() {
        // The form handler checks first and shows the reason; this is the backstop.
        return Err(StoreError::invalid("record", "error-sampling-record"));
    }
    import.push(1, row.clone()).await?;
    let outcome = import.finish().await?;
    if outcome.created != 1 {
        return Err(StoreError::invalid("record", "error-sampling-not-saved"));
    }
    let id: i64 = sqlx::query("SELECT id FROM sampling WHERE report_no = $1")
        .bind(row.key())
        .fetch_one(&store.pool)
        .await?
        .try_get("id")?;
    Ok(id)
}

/// The follow-up fields a unit records.
#[derive(Debug, Clone, Default)]
pub struct FollowupInput {
    pub status: String,
    pub rectify_by: Option<NaiveDate>,
    pub rectified_on: Option<NaiveDate>,
    pub reinspected_on: Option<NaiveDate>,
    pub reinspection_passed: Option<bool>,
    pub penalty: String,
    pub note: String,
}

/// Saves the follow-up of a failed record. `row_version` is the version shown (-1 when none
/// existed); a mismatch is a conflict. Closing needs a passed re-inspection or a penalty.
pub async fn save_followup(
    store: &Store,
    actor: &Actor,
    id: i64,
    row_version: i64,
    f: &FollowupInput,
) -> Result<()> {
    enterprises::require_writer(store, actor, "sampling").await?;
    if !FOLLOWUP_STATES.contains(&f.status.as_str()) {
        return Err(StoreError::invalid("status", "error-followup-status"));
    }
    if f.status == "closed" && f.reinspection_passed != Some(true) && f.penalty.trim().is_empty() {
        return Err(StoreError::invalid("status", "error-followup-close"));
    }
    if f.penalty.chars().count() > 500 || f.note.chars().count() > 2000 {
        return Err(StoreError::invalid("note", "error-text-too-long"));
    }
    let mut tx = store.begin().await?;
    let rec = sqlx::query(&format!(
        "SELECT report_no, passed FROM sampling WHERE id = $1 AND {}",
        Whose::Actor(actor).sql("owner_id")
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    if rec.try_get::<i64, _>("passed")? != 0 {
        return Err(StoreError::invalid("status", "error-followup-passed"));
    }
    let report_no: String = rec.try_get("report_no")?;
    let current: Option<i64> =
        sqlx::query("SELECT row_version FROM sampling_followups WHERE sampling_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("row_version"))
            .transpose()?;
    if current.unwrap_or(-1) != row_version {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    sqlx::query(
        "INSERT INTO sampling_followups (sampling_id, status, rectify_by, rectified_on, reinspected_on, reinspection_passed, penalty, note, row_version, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) \
         ON CONFLICT (sampling_id) DO UPDATE SET status = excluded.status, rectify_by = excluded.rectify_by, rectified_on = excluded.rectified_on, \
         reinspected_on = excluded.reinspected_on, reinspection_passed = excluded.reinspection_passed, penalty = excluded.penalty, note = excluded.note, \
         row_version = sampling_followups.row_version + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(&f.status)
    .bind(d(f.rectify_by))
    .bind(d(f.rectified_on))
    .bind(d(f.reinspected_on))
    .bind(f.reinspection_passed.map(i64::from))
    .bind(f.penalty.trim())
    .bind(f.note.trim())
    .bind(&actor.username)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "sampling.followup",
            target_type: "sampling",
            target_id: &report_no,
            before: json!({ "row_version": current }),
            after: json!({ "status": f.status, "rectify_by": d(f.rectify_by), "rectified_on": d(f.rectified_on),
                "reinspected_on": d(f.reinspected_on), "reinspection_passed": f.reinspection_passed,
                "penalty": f.penalty.trim(), "note": f.note.trim() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Pass-rate counts for a group (a year, a category, a level …).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PassRate {
    pub year: i32,
    /// The group's code or name ("" for the year's total).
    pub group: String,
    pub batches: i64,
    pub passed: i64,
}

impl PassRate {
    /// The pass rate in per cent (passed ÷ sampled batches × 100), `None` when nothing was
    /// sampled: the one definition every page, export and roll-up of sampling reads.
    pub fn percent(&self) -> Option<f64> {
        (self.batches > 0).then(|| self.passed as f64 * 100.0 / self.batches as f64)
    }

    /// Batches that failed.
    pub fn failed(&self) -> i64 {
        self.batches - self.passed
    }

    /// Adds another group's counts (a roll-up sums counts, never rates).
    pub fn add(&mut self, other: &PassRate) {
        self.batches += other.batches;
        self.passed += other.passed;
    }
}

/// One district's sampling and register figures for the city's roll-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DistrictFigures {
    pub owner_id: i64,
    /// The year's batches and passes, all categories (group "").
    pub total: PassRate,
    /// The year's batches and passes by product category, by name.
    pub by_category: Vec<PassRate>,
    /// Enterprises on the register (not closed).
    pub registered: i64,
    /// Enterprises on the published blacklist.
    pub blacklisted: i64,
}

/// The sampling figures of a year and the register counts of each of `owners` (district ids,
/// written into the statements as integers), in the order given: counted from the same
/// `sampling_stats` a district's own sampling page reads.
pub async fn by_district(store: &Store, owners: &[i64], year: i32) -> Result<Vec<DistrictFigures>> {
    let mut out: Vec<DistrictFigures> = owners
        .iter()
        .map(|id| DistrictFigures {
            owner_id: *id,
            total: PassRate {
                year,
                ..Default::default()
            },
            ..Default::default()
        })
        .collect();
    if owners.is_empty() {
        return Ok(out);
    }
    let list = owners
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let find = |out: &mut Vec<DistrictFigures>, id: i64| out.iter().position(|d| d.owner_id == id);
    let rows = sqlx::query(&format!(
        "SELECT owner_id, category, CAST(SUM(batches) AS BIGINT) AS b, CAST(SUM(passed) AS BIGINT) AS p \
         FROM sampling_stats WHERE owner_id IN ({list}) AND year = $1 GROUP BY owner_id, category ORDER BY owner_id, category"
    ))
    .bind(i64::from(year))
    .fetch_all(&store.pool)
    .await?;
    for r in &rows {
        let rate = PassRate {
            year,
            group: r.try_get("category")?,
            batches: r.try_get("b")?,
            passed: r.try_get("p")?,
        };
        if let Some(i) = find(&mut out, r.try_get("owner_id")?) {
            out[i].total.add(&rate);
            out[i].by_category.push(rate);
        }
    }
    let registered = sqlx::query(&format!(
        "SELECT owner_id, COUNT(*) AS n FROM enterprises WHERE owner_id IN ({list}) AND closed = 0 GROUP BY owner_id"
    ))
    .fetch_all(&store.pool)
    .await?;
    for r in &registered {
        if let Some(i) = find(&mut out, r.try_get("owner_id")?) {
            out[i].registered = r.try_get("n")?;
        }
    }
    let states = crate::credit::PUBLISHED
        .iter()
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = sqlx::query(&format!(
        "SELECT owner_id, COUNT(DISTINCT enterprise_id) AS n FROM blacklist WHERE owner_id IN ({list}) \
         AND state IN ({states}) GROUP BY owner_id"
    ))
    .fetch_all(&store.pool)
    .await?;
    for r in &listed {
        if let Some(i) = find(&mut out, r.try_get("owner_id")?) {
            out[i].blacklisted = r.try_get("n")?;
        }
    }
    Ok(out)
}

/// Pass rates of the registers `whose` covers by year and by `group` (`category`, `level`,
/// `kind`, `stage` or `` for totals).
pub async fn pass_rates(store: &Store, whose: Whose<'_>, group: &str) -> Result<Vec<PassRate>> {
    let owner = whose.sql("owner_id");
    // PostgreSQL refuses GROUP BY on a constant, so the ungrouped total has its own query.
    let sql = match group {
        "category" | "level" | "kind" | "stage" => format!(
            "SELECT year, {group} AS grp, CAST(SUM(batches) AS BIGINT) AS b, CAST(SUM(passed) AS BIGINT) AS p \
             FROM sampling_stats WHERE {owner} GROUP BY year, {group} ORDER BY year, {group}"
        ),
        _ => format!(
            "SELECT year, CAST('' AS TEXT) AS grp, CAST(SUM(batches) AS BIGINT) AS b, \
             CAST(SUM(passed) AS BIGINT) AS p FROM sampling_stats WHERE {owner} GROUP BY year ORDER BY year"
        ),
    };
    let rows = sqlx::query(&sql).fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(PassRate {
                year: r.try_get::<i64, _>("year")? as i32,
                group: r.try_get("grp")?,
                batches: r.try_get("b")?,
                passed: r.try_get("p")?,
            })
        })
        .collect()
}

/// Pass rates of the home district's records sampled from `from` to `to` (within one year),
/// by `category`, `level`, `kind` or `stage` ("" or anything else: the total). Read from the
/// records themselves, so a half-year counts only its own batches. The analysis report is
/// still the home district's.
pub async fn pass_rates_between(
    store: &Store,
    actor: &Actor,
    group: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PassRate>> {
    let column = match group {
        "category" | "level" | "kind" | "stage" => group,
        _ => "",
    };
    let (select, group_by) = if column.is_empty() {
        ("CAST('' AS TEXT)".to_string(), String::new())
    } else {
        (
            column.to_string(),
            format!(" GROUP BY {column} ORDER BY {column}"),
        )
    };
    let sql = format!(
        "SELECT {select} AS grp, CAST(COUNT(*) AS BIGINT) AS b, CAST(COALESCE(SUM(passed), 0) AS BIGINT) AS p \
         FROM sampling WHERE {} AND year = $1 AND sampled_on >= $2 AND sampled_on <= $3{group_by}",
        enterprises::Whose::Actor(actor).sql("owner_id")
    );
    let rows = sqlx::query(&sql)
        .bind(i64::from(from.year()))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&store.pool)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let batches: i64 = r.try_get("b")?;
        if batches > 0 {
            out.push(PassRate {
                year: from.year(),
                group: r.try_get("grp")?,
                batches,
                passed: r.try_get("p")?,
            });
        }
    }
    Ok(out)
}

/// A pass-rate formula's yearly figures over the home district's sampling counts (indicators
/// are still the home district's), up to `until`.
pub async fn formula_ratios(store: &Store, formula: &Formula, until: i32) -> Result<Vec<Ratio>> {
    let rows = sqlx::query(&format!(
        "SELECT year, CAST(SUM(batches) AS BIGINT) AS b, CAST(SUM(passed) AS BIGINT) AS p FROM sampling_stats \
         WHERE owner_id = {} AND ($1 = '' OR level = $1) AND ($2 = '' OR stage = $2) AND ($3 = '' OR kind = $3) AND ($4 < 0 OR ccc = $4) \
         AND year <= $5 GROUP BY year ORDER BY year",
        enterprises::home_owner_sql()
    ))
    .bind(formula.code::<Level>("level").map_or("", |l| l.code()))
    .bind(formula.code::<Stage>("stage").map_or("", |s| s.code()))
    .bind(formula.code::<ProductKind>("kind").map_or("", |k| k.code()))
    .bind(formula.flag("ccc").map_or(-1, i64::from))
    .bind(i64::from(until))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Ratio {
                year: r.try_get::<i64, _>("year")? as i32,
                numerator: r.try_get("p")?,
                denominator: r.try_get("b")?,
            })
        })
        .collect()
}

/// Years with records in the registers `whose` covers, newest first (for filters).
pub async fn years(store: &Store, whose: Whose<'_>) -> Result<Vec<i32>> {
    let rows = sqlx::query(&format!(
        "SELECT DISTINCT year FROM sampling_stats WHERE {} ORDER BY year DESC",
        whose.sql("owner_id")
    ))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<i64, _>("year")? as i32))
        .collect()
}

/// Counts per enterprise for its page: sampled and failed batches.
pub async fn enterprise_counts(store: &Store, enterprise_id: i64) -> Result<(i64, i64)> {
    let r = sqlx::query("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(1 - passed), 0) AS BIGINT) AS f FROM sampling WHERE enterprise_id = $1")
        .bind(enterprise_id)
        .fetch_one(&store.pool)
        .await?;
    Ok((r.try_get("n")?, r.try_get("f")?))
}

/// Supervision sampling records, their follow-ups and the pass-rate counts kept beside them.
/// The tables were created by the enterprises module's migration 5.
pub const SCHEMA: Schema = Schema {
    slug: "sampling",
    migrations: &[
        crate::schema::Migration {
            version: 2026120628,
            name: "sampling: failed results disclosed after a second person's review",
            sql: include_str!("../migrations/2026120628_sampling_disclosures.sql"),
        },
        crate::schema::Migration {
            version: 2026120685,
            name: "sampling: the failed results of a district in the order recorded",
            sql: include_str!("../migrations/2026120685_sampling_failed.sql"),
        },
    ],
    tables: &[
        Table::by_id("sampling"),
        Table::by_key("sampling_followups"),
        Table::by_key("sampling_stats"),
        Table::by_key("sampling_disclosures"),
    ],
    jobs: &[],
    measures: &[MeasureImpl {
        measure: &qcity_domain::registry::SAMPLING_PASS_RATE,
        ratios: |store, formula, until| Box::pin(formula_ratios(store, formula, until)),
    }],
    demo: None,
};

/// Reviews failed results for the public portal (the office): each becomes public after the
/// objection period set for sampling disclosures. Under four eyes the one who recorded a result
/// does not review it; those are left for a colleague. Returns (reviewed, left for another).
pub async fn disclose(
    store: &Store,
    actor: &Actor,
    ids: &[i64],
    today: NaiveDate,
) -> Result<(usize, usize)> {
    use qcity_domain::approval::Kind;
    actor.require_admin()?;
    let rule = crate::approvals::rule(store, Kind::SamplingDisclosure).await?;
    let public_from = today + chrono::Days::new(u64::from(rule.objection_days));
    let mut tx = store.begin().await?;
    let (mut reviewed, mut left) = (Vec::new(), 0);
    for id in ids {
        let row = sqlx::query(&format!(
            "SELECT s.recorded_by, s.passed, d.public_from FROM sampling s \
             LEFT JOIN sampling_disclosures d ON d.sampling_id = s.id WHERE s.id = $1 AND {}",
            Whose::Actor(actor).sql("s.owner_id")
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let passed = row.try_get::<i64, _>("passed")? != 0;
        let done = row.try_get::<Option<String>, _>("public_from")?.is_some();
        if passed || done {
            continue;
        }
        let recorded_by: String = row.try_get("recorded_by")?;
        if !rule.allows(&recorded_by, &actor.username) {
            left += 1;
            continue;
        }
        sqlx::query(
            "INSERT INTO sampling_disclosures (sampling_id, reviewed_by, reviewed_on, public_from) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&actor.username)
        .bind(today.to_string())
        .bind(public_from.to_string())
        .execute(&mut *tx)
        .await?;
        reviewed.push(*id);
    }
    if !reviewed.is_empty() {
        audit::record(
            store,
            &mut tx,
            actor,
            Change {
                action: "sampling.disclose",
                target_type: "sampling",
                target_id: &reviewed
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                before: json!({}),
                after: json!({"public_from": public_from.to_string(), "count": reviewed.len()}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((reviewed.len(), left))
}

/// The ids of the home district's failed results waiting for their disclosure review, oldest
/// first (the home page's queue and the approvals API, still the home district's).
pub async fn awaiting_disclosure(store: &Store) -> Result<Vec<i64>> {
    awaiting_disclosure_of(store, &Actor::system("home")).await
}

/// The first `shown` of the actor's district's failed results waiting for their disclosure
/// review (oldest first), and how many wait: the home page's queue and the register's note,
/// without reading every waiting id.
pub async fn awaiting_disclosure_queue(
    store: &Store,
    actor: &Actor,
    shown: usize,
) -> Result<(Vec<i64>, i64)> {
    let whose = Whose::Actor(actor);
    let waiting = Filter {
        awaiting_disclosure: true,
        ..Filter::default()
    };
    let first = if shown == 0 {
        Vec::new()
    } else {
        waiting_ids(store, actor, Some(shown)).await?
    };
    Ok((first, count_by_groups(store, whose, &waiting).await?))
}

/// The ids of the actor's district's failed results waiting for their disclosure review,
/// oldest first.
pub async fn awaiting_disclosure_of(store: &Store, actor: &Actor) -> Result<Vec<i64>> {
    waiting_ids(store, actor, None).await
}

/// The ids of the actor's district's failures without a disclosure review, oldest first; at
/// most `limit` of them.
async fn waiting_ids(store: &Store, actor: &Actor, limit: Option<usize>) -> Result<Vec<i64>> {
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "SELECT s.id FROM sampling s WHERE {} AND s.passed = 0 \
         AND NOT EXISTS (SELECT 1 FROM sampling_disclosures d WHERE d.sampling_id = s.id) ORDER BY s.id{limit}",
        Whose::Actor(actor).sql("s.owner_id")
    ))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<i64, _>("id")?))
        .collect()
}

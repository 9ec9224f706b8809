//! The enterprise register: one master record per enterprise, keyed by its unified social
//! credit code (or a legacy organization code), shared by every registry (credit, sampling …).
//! Licences and certificates hang off it. Any signed-in account reads it; the office and the
//! units that own the `enterprises` registry write it.

use crate::audit::{self, Change};
use crate::bulk::{self, Kind, Rows, Value};
use crate::import::{Context, ImportRecord};
use crate::{Actor, Backend, Order, Result, Store, StoreError, Tx, now_text};
use chrono::NaiveDate;
use qcity_domain::formula::Ratio;
use qcity_domain::identifiers::{self, CodeKind, UsccError};
use qcity_domain::registry::{CodeList, EnterpriseProblem, LicenceKind, Refusal, Size};
pub use qcity_domain::registry::{EnterpriseInput, EnterpriseRow, LicenceInput};
use qcity_domain::role::Scope;
use qcity_domain::search;
use qcity_domain::target::Lang;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// The registries a unit may own (written by their owners and the office).
pub const REGISTRIES: &[&str] = &["enterprises", "credit", "sampling"];

/// True when the actor may write to `registry`: the office always, a unit's staff when their
/// unit is listed as an owner.
pub async fn may_write(store: &Store, actor: &Actor, registry: &str) -> Result<bool> {
    match actor.scope() {
        Scope::All => Ok(true),
        Scope::Unit(unit_id) => {
            let row = sqlx::query(
                "SELECT 1 AS one FROM registry_owners o JOIN org_units u ON u.code = o.unit_code \
                 WHERE o.registry = $1 AND u.id = $2",
            )
            .bind(registry)
            .bind(unit_id)
            .fetch_optional(&store.pool)
            .await?;
            Ok(row.is_some())
        }
        Scope::ReadAll | Scope::Public => Ok(false),
    }
}

/// Fails with `Forbidden` unless the actor may write to `registry`.
pub async fn require_writer(store: &Store, actor: &Actor, registry: &str) -> Result<()> {
    if may_write(store, actor, registry).await? {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// Any signed-in account reads the registers (the plan asks for information sharing).
pub fn require_reader(actor: &Actor) -> Result<()> {
    match actor.scope() {
        Scope::Public => Err(StoreError::Forbidden),
        _ => Ok(()),
    }
}

/// SQL value: the district whose register the actor works on (its `owner_id`). Before any
/// plan names the home district, the first district (0 while there is none), so a register
/// kept before the first plan is the home district's.
pub(crate) fn owner_sql(actor: &Actor) -> String {
    format!(
        "COALESCE({}, (SELECT MIN(id) FROM org_units WHERE kind = 'district'), 0)",
        actor.owner_sql()
    )
}

/// SQL value: the home district's register, for what is still kept for the home district only
/// (the measures of its indicators, the licence digest to the keepers its plan names).
pub(crate) fn home_owner_sql() -> String {
    owner_sql(&Actor::system("home"))
}

/// The district whose register the actor works on, as the id new rows carry.
pub(crate) async fn owner_id(tx: &mut Tx, actor: &Actor) -> Result<i64> {
    let row = sqlx::query(&format!("SELECT {} AS o", owner_sql(actor)))
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get("o")?)
}

/// Whose register a read covers.
#[derive(Debug, Clone, Copy)]
pub enum Whose<'a> {
    /// The actor's district's: what a signed-in account reads and writes.
    Actor(&'a Actor),
    /// The public portal's: every district's public records, or one district's.
    Public(Option<i64>),
    /// One district's: that of a record already read through the caller's own scope.
    District(i64),
}

impl Whose<'_> {
    /// SQL condition: the `owner_id` column `column` is one this read covers.
    pub(crate) fn sql(&self, column: &str) -> String {
        match self {
            Whose::Actor(actor) => format!("{column} = {}", owner_sql(actor)),
            Whose::Public(None) => "1 = 1".to_string(),
            Whose::Public(Some(id)) | Whose::District(id) => format!("{column} = {id}"),
        }
    }
}

/// The unit codes owning each registry.
pub async fn owners(store: &Store) -> Result<BTreeMap<String, Vec<String>>> {
    let rows =
        sqlx::query("SELECT registry, unit_code FROM registry_owners ORDER BY registry, unit_code")
            .fetch_all(&store.pool)
            .await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.try_get("registry")?)
            .or_default()
            .push(r.try_get("unit_code")?);
    }
    Ok(out)
}

/// An enterprise as stored.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Enterprise {
    pub id: i64,
    pub code: String,
    /// `uscc` or `org`.
    pub code_kind: String,
    /// The office's reason for accepting a code that fails its check (flagged, never hidden).
    pub code_override: Option<String>,
    pub name: String,
    pub address: String,
    pub industry: String,
    pub size: Option<Size>,
    pub town: String,
    pub chief_quality_officer: String,
    pub contact: String,
    /// When the quality credit file was opened (建档).
    pub file_opened: Option<NaiveDate>,
    pub closed: bool,
    pub row_version: i64,
    pub updated_at: String,
    /// The district whose register holds it, and its name.
    pub owner_id: i64,
    pub district: String,
}

/// A licence or certificate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Licence {
    pub id: i64,
    pub enterprise_id: i64,
    pub kind: LicenceKind,
    pub number: String,
    pub product: String,
    pub issued: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
}

/// Why a code was refused: the check's reason, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeRefusal(pub UsccError);

impl CodeRefusal {
    /// The reason in both languages, as an import reports it.
    pub fn refusal(&self) -> Refusal {
        Refusal::new(self.message(Lang::ZhCn), self.message(Lang::En))
    }

    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => format!(
                "统一社会信用代码（或组织机构代码）无效：{}",
                self.0.message(lang)
            ),
            Lang::En => format!(
                "invalid unified social credit code (or organization code): {}",
                self.0.message(lang)
            ),
        }
    }
}

/// The outcome of checking a code: the stored form and kind, plus the override reason when
/// the code fails its check but the office accepted it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCode {
    pub code: String,
    pub kind: &'static str,
    pub override_reason: Option<String>,
}

/// Checks a code against GB 32100 / GB 11714, consulting the office's overrides.
pub async fn check_code(
    conn: &mut sqlx::AnyConnection,
    raw: &str,
) -> Result<std::result::Result<CheckedCode, CodeRefusal>> {
    match identifiers::check_enterprise_code(raw) {
        Ok((code, kind)) => Ok(Ok(CheckedCode {
            code,
            kind: kind.code(),
            override_reason: None,
        })),
        Err(e) => {
            let code = identifiers::normalise_code(raw);
            let reason: Option<String> =
                sqlx::query("SELECT reason FROM code_overrides WHERE code = $1")
                    .bind(&code)
                    .fetch_optional(&mut *conn)
                    .await?
                    .map(|r| r.try_get("reason"))
                    .transpose()?;
            Ok(overridden(code, reason, e))
        }
    }
}

/// A code that fails its check: accepted with the office's reason when it has one.
fn overridden(
    code: String,
    reason: Option<String>,
    e: UsccError,
) -> std::result::Result<CheckedCode, CodeRefusal> {
    match reason {
        Some(reason) if !code.is_empty() => Ok(CheckedCode {
            kind: if code.chars().count() == 9 {
                CodeKind::OrgCode.code()
            } else {
                CodeKind::Uscc.code()
            },
            code,
            override_reason: Some(reason),
        }),
        _ => Err(CodeRefusal(e)),
    }
}

/// [`check_code`] against overrides loaded beforehand (an import's, read once).
fn check_code_with(
    overrides: &HashMap<String, String>,
    raw: &str,
) -> std::result::Result<CheckedCode, CodeRefusal> {
    match identifiers::check_enterprise_code(raw) {
        Ok((code, kind)) => Ok(CheckedCode {
            code,
            kind: kind.code(),
            override_reason: None,
        }),
        Err(e) => {
            let code = identifiers::normalise_code(raw);
            let reason = overrides.get(&code).cloned();
            overridden(code, reason, e)
        }
    }
}

/// The office's accepted codes and reasons.
pub(crate) async fn load_overrides(tx: &mut Tx) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for r in sqlx::query("SELECT code, reason FROM code_overrides")
        .fetch_all(&mut **tx)
        .await?
    {
        out.insert(
            r.try_get::<String, _>("code")?,
            r.try_get::<String, _>("reason")?,
        );
    }
    Ok(out)
}

/// Records that the office accepts a code failing its check (a known mis-issued code).
pub async fn record_override(
    store: &Store,
    actor: &Actor,
    raw: &str,
    reason: &str,
) -> Result<String> {
    actor.require_admin()?;
    let code = identifiers::normalise_code(raw);
    if code.is_empty() || code.chars().count() > 20 {
        return Err(StoreError::invalid("code", "error-enterprise-code-missing"));
    }
    if reason.trim().is_empty() {
        return Err(StoreError::invalid("reason", "error-override-reason"));
    }
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO code_overrides (code, reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET reason = excluded.reason, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(&code)
    .bind(reason.trim())
    .bind(&actor.username)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "enterprise.code_override",
            target_type: "enterprise_code",
            target_id: &code,
            before: json!(null),
            after: json!({ "reason": reason.trim() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

const SELECT: &str = "SELECT e.id, e.code, e.code_kind, o.reason AS code_override, e.name, e.address, e.industry, e.size, e.town, \
     e.chief_quality_officer, e.contact, e.file_opened, e.closed, e.row_version, e.updated_at, e.owner_id, \
     COALESCE(dst.name, '') AS district_name \
     FROM enterprises e LEFT JOIN code_overrides o ON o.code = e.code LEFT JOIN org_units dst ON dst.id = e.owner_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Enterprise> {
    let size: Option<String> = r.try_get("size")?;
    Ok(Enterprise {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        code_kind: r.try_get("code_kind")?,
        code_override: r.try_get("code_override")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        industry: r.try_get("industry")?,
        size: size.as_deref().and_then(Size::parse),
        town: r.try_get("town")?,
        chief_quality_officer: r.try_get("chief_quality_officer")?,
        contact: r.try_get("contact")?,
        file_opened: parse_date(r.try_get("file_opened")?),
        closed: r.try_get::<i64, _>("closed")? != 0,
        row_version: r.try_get("row_version")?,
        updated_at: r.try_get("updated_at")?,
        owner_id: r.try_get("owner_id")?,
        district: r.try_get("district_name")?,
    })
}

fn snapshot(e: &EnterpriseInput) -> serde_json::Value {
    json!({
        "code": e.code, "name": e.name, "address": e.address, "industry": e.industry,
        "size": e.size.map(|s| s.code()), "town": e.town,
        "chief_quality_officer": e.chief_quality_officer, "contact": e.contact,
        "file_opened": date_text(e.file_opened),
    })
}

impl Enterprise {
    /// The editable fields, as a form starts from them.
    pub fn input(&self) -> EnterpriseInput {
        EnterpriseInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            industry: self.industry.clone(),
            size: self.size,
            town: self.town.clone(),
            chief_quality_officer: self.chief_quality_officer.clone(),
            contact: self.contact.clone(),
            file_opened: self.file_opened,
        }
    }
}

/// The first rule a form's fields break, as the field and its translation key.
fn form_error(problems: Vec<EnterpriseProblem>) -> Result<()> {
    match problems.first() {
        Some(p) => Err(StoreError::invalid(p.field().form_name(), p.key())),
        None => Ok(()),
    }
}

/// Creates an enterprise. A code failing its check is `Invalid { field: "code" }`; the caller
/// shows [`CodeRefusal`]'s reason, which it can get from [`check_code`].
pub async fn create(
    store: &Store,
    actor: &Actor,
    input: &EnterpriseInput,
    today: NaiveDate,
) -> Result<i64> {
    require_writer(store, actor, "enterprises").await?;
    form_error(input.problems(today))?;
    let mut tx = store.begin().await?;
    let checked = match check_code(&mut tx, &input.code).await? {
        Ok(c) => c,
        Err(_) => return Err(StoreError::invalid("code", "error-enterprise-code-invalid")),
    };
    let owner = owner_id(&mut tx, actor).await?;
    let id = insert(&mut tx, owner, &checked, input).await?;
    let mut after = snapshot(input);
    after["code"] = json!(checked.code);
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "enterprise.create",
            target_type: "enterprise",
            target_id: &checked.code,
            before: json!(null),
            after,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Registers an enterprise met in another registry's import (name and code only).
pub(crate) async fn insert_for_import(
    tx: &mut Tx,
    owner: i64,
    checked: &CheckedCode,
    e: &EnterpriseInput,
) -> Result<i64> {
    insert(tx, owner, checked, e).await
}

async fn insert(
    tx: &mut Tx,
    owner: i64,
    checked: &CheckedCode,
    e: &EnterpriseInput,
) -> Result<i64> {
    let now = now_text();
    let row = sqlx::query(
        "INSERT INTO enterprises (code, code_kind, name, address, industry, size, town, chief_quality_officer, contact, file_opened, created_at, updated_at, search_text, owner_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13) RETURNING id",
    )
    .bind(&checked.code)
    .bind(checked.kind)
    .bind(e.name.trim())
    .bind(e.address.trim())
    .bind(e.industry.trim())
    .bind(e.size.map(|s| s.code()))
    .bind(e.town.trim())
    .bind(e.chief_quality_officer.trim())
    .bind(e.contact.trim())
    .bind(date_text(e.file_opened))
    .bind(&now)
    .bind(search_text(&checked.code, &e.name, &e.address))
    .bind(owner)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if crate::is_unique_violation(&e) {
            StoreError::invalid("code", "error-enterprise-code-taken")
        } else {
            e.into()
        }
    })?;
    Ok(row.try_get("id")?)
}

/// Updates an enterprise's fields (not its code). `row_version` guards against a lost update.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    row_version: i64,
    input: &EnterpriseInput,
    today: NaiveDate,
) -> Result<()> {
    require_writer(store, actor, "enterprises").await?;
    // The code is not edited here.
    form_error(
        input
            .problems(today)
            .into_iter()
            .filter(|p| *p != EnterpriseProblem::CodeMissing)
            .collect(),
    )?;
    let mut tx = store.begin().await?;
    let before = get_in(&mut tx, actor, id).await?;
    if before.row_version != row_version {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    sqlx::query(
        "UPDATE enterprises SET name = $1, address = $2, industry = $3, size = $4, town = $5, chief_quality_officer = $6, \
         contact = $7, file_opened = $8, row_version = row_version + 1, updated_at = $9, search_text = $11 WHERE id = $10",
    )
    .bind(input.name.trim())
    .bind(input.address.trim())
    .bind(input.industry.trim())
    .bind(input.size.map(|s| s.code()))
    .bind(input.town.trim())
    .bind(input.chief_quality_officer.trim())
    .bind(input.contact.trim())
    .bind(date_text(input.file_opened))
    .bind(now_text())
    .bind(id)
    .bind(search_text(&before.code, &input.name, &input.address))
    .execute(&mut *tx)
    .await?;
    let mut after = snapshot(input);
    after["code"] = json!(before.code);
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "enterprise.update",
            target_type: "enterprise",
            target_id: &before.code,
            before: snapshot(&before.input()),
            after,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One enterprise of the actor's district's register, inside a transaction.
pub(crate) async fn get_in(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Enterprise> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE e.id = $1 AND {}",
        Whose::Actor(actor).sql("e.owner_id")
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// One enterprise of the actor's district's register.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Enterprise> {
    require_reader(actor)?;
    let row = sqlx::query(&format!(
        "{SELECT} WHERE e.id = $1 AND {}",
        Whose::Actor(actor).sql("e.owner_id")
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// The enterprise with this code (any spelling of it), if registered in the registers `whose`
/// covers (the public portal looks codes up in every district's).
pub async fn by_code(store: &Store, whose: Whose<'_>, raw: &str) -> Result<Option<Enterprise>> {
    let code = identifiers::normalise_code(raw);
    let row = sqlx::query(&format!(
        "{SELECT} WHERE e.code = $1 AND {}",
        whose.sql("e.owner_id")
    ))
    .bind(&code)
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A page of enterprises matching `text` (see [`find`]), by name.
pub async fn search(
    store: &Store,
    whose: Whose<'_>,
    text: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Enterprise>, i64)> {
    let f = EnterpriseFilter {
        text: text.to_string(),
        ..Default::default()
    };
    find(store, whose, &f, None, limit, offset).await
}

/// What an enterprise list is narrowed to. Empty fields filter nothing.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    /// Words that must all be found in the name, address or code (a code may be partial).
    pub text: String,
    /// The area (town or street).
    pub town: String,
    pub industry: String,
}

/// The search tokens stored for an enterprise.
fn search_text(code: &str, name: &str, address: &str) -> String {
    search::index_text(&[name.trim(), address.trim(), code])
}

/// The WHERE clause and its arguments ($1 …) for a filter. Only fixed SQL goes into the
/// clause; what the user typed is always bound.
fn filter_sql(backend: Backend, whose: Whose<'_>, f: &EnterpriseFilter) -> (String, Vec<String>) {
    let mut clauses: Vec<String> = vec![whose.sql("e.owner_id")];
    let mut args: Vec<String> = Vec::new();
    let terms = search::query_terms(&f.text);
    if !terms.is_empty() {
        match backend {
            Backend::Sqlite => {
                args.push(search::fts5_query(&terms));
                clauses.push(format!(
                    "e.id IN (SELECT rowid FROM enterprises_fts WHERE enterprises_fts MATCH ${})",
                    args.len()
                ));
            }
            Backend::Postgres => {
                args.push(search::tsquery(&terms));
                clauses.push(format!(
                    "to_tsvector('simple', e.search_text) @@ to_tsquery('simple', ${})",
                    args.len()
                ));
            }
        }
    }
    if !f.town.trim().is_empty() {
        args.push(f.town.trim().to_string());
        clauses.push(format!("e.town = ${}", args.len()));
    }
    if !f.industry.trim().is_empty() {
        args.push(f.industry.trim().to_string());
        clauses.push(format!("e.industry = ${}", args.len()));
    }
    (format!("WHERE {}", clauses.join(" AND ")), args)
}

fn order_sql(order: Option<Order>) -> String {
    match order {
        Some(o) => format!("{}, e.id", o.sql()),
        None => "e.name, e.id".to_string(),
    }
}

/// A page of the enterprises matching a filter, in `order` (by name when `None`), and how many
/// match in all.
pub async fn find(
    store: &Store,
    whose: Whose<'_>,
    f: &EnterpriseFilter,
    order: Option<Order>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Enterprise>, i64)> {
    let (wh, args) = filter_sql(store.backend, whose, f);
    let count_sql = format!("SELECT COUNT(*) AS n FROM enterprises e {wh}");
    let mut q = sqlx::query(&count_sql);
    for a in &args {
        q = q.bind(a);
    }
    let total: i64 = q.fetch_one(&store.pool).await?.try_get("n")?;
    let n = args.len();
    let list_sql = format!(
        "{SELECT} {wh} ORDER BY {} LIMIT ${} OFFSET ${}",
        order_sql(order),
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(&list_sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.bind(limit).bind(offset).fetch_all(&store.pool).await?;
    let list = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok((list, total))
}

/// The ids of every enterprise matching a filter, in `order`: for a filter computed outside
/// SQL (the credit grade), which then pages the ids and loads them with [`by_ids`].
pub async fn find_ids(
    store: &Store,
    whose: Whose<'_>,
    f: &EnterpriseFilter,
    order: Option<Order>,
) -> Result<Vec<i64>> {
    let (wh, args) = filter_sql(store.backend, whose, f);
    let sql = format!(
        "SELECT e.id FROM enterprises e {wh} ORDER BY {}",
        order_sql(order)
    );
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<i64, _>("id")?))
        .collect()
}

/// The enterprises with these ids that `whose` covers, in the order given.
pub async fn by_ids(store: &Store, whose: Whose<'_>, ids: &[i64]) -> Result<Vec<Enterprise>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Ids are integers, so the list is safe to write into the statement.
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE e.id IN ({list}) AND {}",
        whose.sql("e.owner_id")
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut by_id: BTreeMap<i64, Enterprise> = BTreeMap::new();
    for r in &rows {
        let e = from_row(r)?;
        by_id.insert(e.id, e);
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Which of `names` more than one registered enterprise bears (lists then show the address).
pub async fn shared_names(
    store: &Store,
    whose: Whose<'_>,
    names: &[String],
) -> Result<std::collections::HashSet<String>> {
    let mut wanted: Vec<&String> = names.iter().collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(Default::default());
    }
    let marks = (1..=wanted.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT name FROM enterprises WHERE name IN ({marks}) AND {} GROUP BY name HAVING COUNT(*) > 1",
        whose.sql("owner_id")
    );
    let mut q = sqlx::query(&sql);
    for n in wanted {
        q = q.bind(n);
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<String, _>("name")?))
        .collect()
}

/// The distinct non-empty values of a column the lists filter on (areas, industries).
pub async fn choices(store: &Store, whose: Whose<'_>, column: Choice) -> Result<Vec<String>> {
    let col = match column {
        Choice::Town => "town",
        Choice::Industry => "industry",
    };
    let rows = sqlx::query(&format!(
        "SELECT DISTINCT {col} AS v FROM enterprises WHERE {col} <> '' AND {} ORDER BY {col}",
        whose.sql("owner_id")
    ))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("v")?))
        .collect()
}

/// A column offered as a list of choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Town,
    Industry,
}

/// Makes the search index of the database (an FTS5 table on SQLite kept by triggers, a GIN
/// index on PostgreSQL) and fills in the search tokens of rows that have none (rows written
/// before the tokens were kept, or restored from an older backup). Idempotent.
pub async fn prepare_search(store: &Store) -> Result<()> {
    match store.backend {
        Backend::Sqlite => {
            let exists = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'enterprises_fts'",
            )
            .fetch_optional(&store.pool)
            .await?
            .is_some();
            if exists {
                // The triggers keep the index in step with the tokens filled in here.
                backfill_search(store).await?;
                return Ok(());
            }
            // Tokens first, then the index built from them, then the triggers: an FTS5 index
            // over a table's content must never be told to delete a row it does not hold.
            backfill_search(store).await?;
            let mut tx = store.begin().await?;
            for statement in SQLITE_FTS {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "CREATE INDEX IF NOT EXISTS enterprises_search_idx ON enterprises USING GIN (to_tsvector('simple', search_text))",
            )
            .execute(&store.pool)
            .await?;
            backfill_search(store).await?;
        }
    }
    Ok(())
}

/// SQLite's full-text index over `enterprises.search_text`, stored once (content table) and
/// kept by triggers on every insert, update and delete.
const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE enterprises_fts USING fts5(search_text, content='enterprises', content_rowid='id')",
    "INSERT INTO enterprises_fts(enterprises_fts) VALUES ('rebuild')",
    "CREATE TRIGGER enterprises_fts_insert AFTER INSERT ON enterprises BEGIN \
     INSERT INTO enterprises_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER enterprises_fts_delete AFTER DELETE ON enterprises BEGIN \
     INSERT INTO enterprises_fts(enterprises_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER enterprises_fts_update AFTER UPDATE OF search_text ON enterprises BEGIN \
     INSERT INTO enterprises_fts(enterprises_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
     INSERT INTO enterprises_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
];

/// Fills in the search tokens of enterprises that have none; returns how many.
pub async fn backfill_search(store: &Store) -> Result<usize> {
    let rows = sqlx::query(
        "SELECT id, code, name, address FROM enterprises WHERE search_text = '' ORDER BY id",
    )
    .fetch_all(&store.pool)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut tx = store.begin().await?;
    for r in &rows {
        let code: String = r.try_get("code")?;
        let name: String = r.try_get("name")?;
        let address: String = r.try_get("address")?;
        sqlx::query("UPDATE enterprises SET search_text = $1 WHERE id = $2")
            .bind(search_text(&code, &name, &address))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// An enterprise's licences in the registers `whose` covers, soonest expiry first.
pub async fn licences(store: &Store, whose: Whose<'_>, enterprise_id: i64) -> Result<Vec<Licence>> {
    let rows = sqlx::query(&format!(
        "SELECT id, enterprise_id, kind, number, product, issued, expires FROM licences WHERE enterprise_id = $1 \
         AND {} ORDER BY expires IS NULL, expires, id",
        whose.sql("owner_id")
    ))
    .bind(enterprise_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(licence_from_row).collect()
}

fn licence_from_row(r: &sqlx::any::AnyRow) -> Result<Licence> {
    Ok(Licence {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        kind: crate::code_column(r, "kind")?,
        number: r.try_get("number")?,
        product: r.try_get("product")?,
        issued: parse_date(r.try_get("issued")?),
        expires: parse_date(r.try_get("expires")?),
    })
}

async fn upsert_licence(
    tx: &mut Tx,
    owner: i64,
    enterprise_id: i64,
    l: &LicenceInput,
) -> Result<bool> {
    let existing = sqlx::query(
        "SELECT id, product, issued, expires FROM licences WHERE enterprise_id = $1 AND kind = $2 AND number = $3",
    )
    .bind(enterprise_id)
    .bind(l.kind.code())
    .bind(l.number.trim())
    .fetch_optional(&mut **tx)
    .await?;
    match existing {
        Some(r) => {
            let same = r.try_get::<String, _>("product")? == l.product.trim()
                && parse_date(r.try_get("issued")?) == l.issued
                && parse_date(r.try_get("expires")?) == l.expires;
            if same {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE licences SET product = $1, issued = $2, expires = $3 WHERE id = $4",
            )
            .bind(l.product.trim())
            .bind(date_text(l.issued))
            .bind(date_text(l.expires))
            .bind(r.try_get::<i64, _>("id")?)
            .execute(&mut **tx)
            .await?;
            Ok(true)
        }
        None => {
            sqlx::query(
                "INSERT INTO licences (enterprise_id, kind, number, product, issued, expires, owner_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(enterprise_id)
            .bind(l.kind.code())
            .bind(l.number.trim())
            .bind(l.product.trim())
            .bind(date_text(l.issued))
            .bind(date_text(l.expires))
            .bind(owner)
            .execute(&mut **tx)
            .await?;
            Ok(true)
        }
    }
}

/// Adds (or updates, by kind and number) a licence.
pub async fn save_licence(
    store: &Store,
    actor: &Actor,
    enterprise_id: i64,
    l: &LicenceInput,
) -> Result<()> {
    require_writer(store, actor, "enterprises").await?;
    form_error(l.problems())?;
    let mut tx = store.begin().await?;
    let e = get_in(&mut tx, actor, enterprise_id).await?;
    upsert_licence(&mut tx, e.owner_id, enterprise_id, l).await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "enterprise.licence",
            target_type: "enterprise",
            target_id: &e.code,
            before: json!(null),
            after: json!({ "kind": l.kind.code(), "number": l.number.trim(), "product": l.product.trim(),
                "issued": date_text(l.issued), "expires": date_text(l.expires) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A licence about to expire (or expired) with its holder.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiringLicence {
    pub licence: Licence,
    pub enterprise_name: String,
    pub enterprise_code: String,
    /// Days from `today` to expiry; negative when already expired.
    pub days_left: i64,
}

/// Licences of the registers `whose` covers expiring within `days` of `today`, and those
/// expired within the last year.
pub async fn expiring_licences(
    store: &Store,
    whose: Whose<'_>,
    today: NaiveDate,
    days: i64,
) -> Result<Vec<ExpiringLicence>> {
    let until = today + chrono::Duration::days(days);
    let since = today - chrono::Duration::days(365);
    let rows = sqlx::query(&format!(
        "SELECT l.id, l.enterprise_id, l.kind, l.number, l.product, l.issued, l.expires, e.name, e.code \
         FROM licences l JOIN enterprises e ON e.id = l.enterprise_id \
         WHERE {} AND e.closed = 0 AND l.expires IS NOT NULL AND l.expires <= $1 AND l.expires >= $2 ORDER BY l.expires, l.id",
        whose.sql("l.owner_id")
    ))
    .bind(until.to_string())
    .bind(since.to_string())
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let licence = licence_from_row(r)?;
            let days_left = licence.expires.map_or(0, |e| (e - today).num_days());
            Ok(ExpiringLicence {
                licence,
                enterprise_name: r.try_get("name")?,
                enterprise_code: r.try_get("code")?,
                days_left,
            })
        })
        .collect()
}

/// An enterprise as the import has it: stored (with its id) or to be written.
struct Known {
    id: Option<i64>,
    kind: &'static str,
    /// The stored fields (trimmed), with what this import changed.
    input: EnterpriseInput,
    /// Changes not yet written (each raised the row version by one before).
    changes: i64,
}

/// A licence as the import has it, by enterprise code, kind and number.
struct KnownLicence {
    stored: bool,
    product: String,
    issued: Option<NaiveDate>,
    expires: Option<NaiveDate>,
    changed: bool,
}

/// What an enterprise import keeps from batch to batch: the codes met so far (a later row of
/// the same code, for another licence, is not counted again), the enterprises and licences
/// read or written, and the office's accepted codes.
pub struct EnterpriseWriter {
    /// The district whose register the import writes.
    owner: i64,
    /// Codes registered in another district's register: their rows are refused.
    foreign: std::collections::HashSet<String>,
    seen: BTreeMap<String, usize>,
    overrides: HashMap<String, String>,
    known: HashMap<String, Known>,
    licences: HashMap<LicenceKey, KnownLicence>,
    /// Codes and licences the batch created or changed, in file order: written in that order.
    touched: Vec<String>,
    touched_licences: Vec<LicenceKey>,
}

/// A licence's enterprise code, kind and number.
type LicenceKey = (String, &'static str, String);

/// Enterprises looked up per statement.
const LOOKUP_CODES: usize = 500;

/// A new enterprise's stored columns.
static NEW_ENTERPRISES: bulk::Table = bulk::Table {
    name: "enterprises",
    columns: &[
        ("code", Kind::Text),
        ("code_kind", Kind::Text),
        ("name", Kind::Text),
        ("address", Kind::Text),
        ("industry", Kind::Text),
        ("size", Kind::Text),
        ("town", Kind::Text),
        ("chief_quality_officer", Kind::Text),
        ("contact", Kind::Text),
        ("file_opened", Kind::Text),
        ("created_at", Kind::Text),
        ("updated_at", Kind::Text),
        ("search_text", Kind::Text),
        ("row_version", Kind::Int),
        ("owner_id", Kind::Int),
    ],
    on_conflict: "",
};

/// A new licence's stored columns.
static NEW_LICENCES: bulk::Table = bulk::Table {
    name: "licences",
    columns: &[
        ("enterprise_id", Kind::Int),
        ("kind", Kind::Text),
        ("number", Kind::Text),
        ("product", Kind::Text),
        ("issued", Kind::Text),
        ("expires", Kind::Text),
        ("owner_id", Kind::Int),
    ],
    on_conflict: "",
};

/// Enterprise rows are imported keyed by their checked code: a new code creates the
/// enterprise, a known one is updated where a non-blank field differs (a later row for the
/// same code may leave fields blank), and the row's licence is added or updated by kind and
/// number. The same rows again change nothing. Each batch is decided in memory against what
/// is stored (read once per batch) and written at its end: new enterprises and licences in
/// bulk, changed ones one statement each.
impl ImportRecord for EnterpriseRow {
    const REGISTRY: &'static str = "enterprises";
    const BATCH: usize = 2000;
    const AUDIT: (&'static str, &'static str) = ("enterprise.import", "enterprise_import");
    const SIDE_COUNT: &'static str = "licences_changed";
    type Writer = EnterpriseWriter;

    fn check(&self, today: NaiveDate) -> std::result::Result<(), Refusal> {
        EnterpriseRow::check(self, today)
    }

    async fn begin(cx: &mut Context<'_>) -> Result<EnterpriseWriter> {
        Ok(EnterpriseWriter {
            owner: owner_id(&mut cx.tx, &cx.actor).await?,
            foreign: Default::default(),
            seen: BTreeMap::new(),
            overrides: load_overrides(&mut cx.tx).await?,
            known: HashMap::new(),
            licences: HashMap::new(),
            touched: Vec::new(),
            touched_licences: Vec::new(),
        })
    }

    async fn write(
        w: &mut EnterpriseWriter,
        cx: &mut Context<'_>,
        rows: Vec<(usize, EnterpriseRow)>,
    ) -> Result<()> {
        let mut checked_rows = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            match check_code_with(&w.overrides, &row.enterprise.code) {
                Ok(c) => checked_rows.push((line, row, c)),
                Err(refusal) => cx.report.refuse_line(line, &refusal.refusal()),
            }
        }
        load_known(w, &mut cx.tx, &checked_rows).await?;
        for (line, row, checked) in checked_rows {
            if w.foreign.contains(&checked.code) {
                cx.report.refuse_line(line, &other_district(&checked.code));
                continue;
            }
            decide_row(w, cx, line, row, checked);
        }
        write_known(w, cx).await
    }

    async fn finish(_w: EnterpriseWriter, _cx: &mut Context<'_>) -> Result<()> {
        Ok(())
    }
}

/// Reads the stored enterprises (and their licences) of the batch's codes not met before.
async fn load_known(
    w: &mut EnterpriseWriter,
    tx: &mut Tx,
    rows: &[(usize, EnterpriseRow, CheckedCode)],
) -> Result<()> {
    let mut codes: Vec<&str> = rows
        .iter()
        .map(|(_, _, c)| c.code.as_str())
        .filter(|c| !w.known.contains_key(*c) && !w.foreign.contains(*c))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    for part in codes.chunks(LOOKUP_CODES) {
        let marks: Vec<String> = (1..=part.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{SELECT} WHERE e.code IN ({})", marks.join(", "));
        let mut found = sqlx::query(&sql);
        for code in part {
            found = found.bind(*code);
        }
        let mut ids = Vec::new();
        for r in found.fetch_all(&mut **tx).await? {
            let e = from_row(&r)?;
            if e.owner_id != w.owner {
                w.foreign.insert(e.code);
                continue;
            }
            ids.push(e.id.to_string());
            w.known.insert(
                e.code.clone(),
                Known {
                    id: Some(e.id),
                    // Stored already: only a new enterprise writes its kind.
                    kind: "",
                    input: e.input(),
                    changes: 0,
                },
            );
        }
        if ids.is_empty() {
            continue;
        }
        // Ids are integers read back from the database: written into the statement.
        let licences = sqlx::query(&format!(
            "SELECT e.code, l.kind, l.number, l.product, l.issued, l.expires FROM licences l \
             JOIN enterprises e ON e.id = l.enterprise_id WHERE l.enterprise_id IN ({})",
            ids.join(", ")
        ))
        .fetch_all(&mut **tx)
        .await?;
        for r in licences {
            let kind: LicenceKind = crate::code_column(&r, "kind")?;
            w.licences.insert(
                (r.try_get("code")?, kind.code(), r.try_get("number")?),
                KnownLicence {
                    stored: true,
                    product: r.try_get("product")?,
                    issued: parse_date(r.try_get("issued")?),
                    expires: parse_date(r.try_get("expires")?),
                    changed: false,
                },
            );
        }
    }
    Ok(())
}

/// What one row does, decided against what the import knows; counted as the row-by-row
/// import counted it.
fn decide_row(
    w: &mut EnterpriseWriter,
    cx: &mut Context<'_>,
    line: usize,
    row: EnterpriseRow,
    checked: CheckedCode,
) {
    let first = !w.seen.contains_key(&checked.code);
    match w.known.get_mut(&checked.code) {
        None => {
            cx.report.created += 1;
            let e = &row.enterprise;
            let input = EnterpriseInput {
                code: checked.code.clone(),
                name: e.name.trim().to_string(),
                address: e.address.trim().to_string(),
                industry: e.industry.trim().to_string(),
                size: e.size,
                town: e.town.trim().to_string(),
                chief_quality_officer: e.chief_quality_officer.trim().to_string(),
                contact: e.contact.trim().to_string(),
                file_opened: e.file_opened,
            };
            w.known.insert(
                checked.code.clone(),
                Known {
                    id: None,
                    kind: checked.kind,
                    input,
                    changes: 0,
                },
            );
            w.touched.push(checked.code.clone());
        }
        Some(k) => {
            let mut wanted = row.enterprise.clone();
            wanted.code = k.input.code.clone();
            let merged = merge(&k.input, &wanted);
            if merged == k.input {
                if first {
                    cx.report.unchanged += 1;
                }
            } else {
                k.input = merged;
                if k.changes == 0 && k.id.is_some() {
                    w.touched.push(checked.code.clone());
                }
                k.changes += 1;
                if first {
                    cx.report.updated += 1;
                }
            }
        }
    }
    w.seen.insert(checked.code.clone(), line);
    if let Some(l) = row.licence {
        let key = (checked.code, l.kind.code(), l.number.trim().to_string());
        let product = l.product.trim().to_string();
        match w.licences.get_mut(&key) {
            Some(k) => {
                if k.product != product || k.issued != l.issued || k.expires != l.expires {
                    if !k.changed {
                        w.touched_licences.push(key.clone());
                    }
                    k.product = product;
                    k.issued = l.issued;
                    k.expires = l.expires;
                    k.changed = true;
                    cx.report.side += 1;
                }
            }
            None => {
                w.touched_licences.push(key.clone());
                w.licences.insert(
                    key,
                    KnownLicence {
                        stored: false,
                        product,
                        issued: l.issued,
                        expires: l.expires,
                        changed: true,
                    },
                );
                cx.report.side += 1;
            }
        }
    }
}

/// Writes what the batch decided: new enterprises in bulk (their ids read back), changed ones
/// each with its row version raised once per change, then licences the same way.
async fn write_known(w: &mut EnterpriseWriter, cx: &mut Context<'_>) -> Result<()> {
    let backend = cx.store.backend;
    let now = now_text();
    let touched = std::mem::take(&mut w.touched);
    let mut new_rows = Rows::new(&NEW_ENTERPRISES);
    let mut new_codes = Vec::new();
    for code in &touched {
        let Some(k) = w.known.get_mut(code) else {
            continue;
        };
        if k.id.is_some() {
            continue;
        }
        let e = &k.input;
        new_rows.push([
            Value::from(code.as_str()),
            k.kind.into(),
            e.name.as_str().into(),
            e.address.as_str().into(),
            e.industry.as_str().into(),
            e.size.map(|s| s.code().to_string()).into(),
            e.town.as_str().into(),
            e.chief_quality_officer.as_str().into(),
            e.contact.as_str().into(),
            date_text(e.file_opened).into(),
            now.as_str().into(),
            now.as_str().into(),
            search_text(code, &e.name, &e.address).into(),
            Value::Int(k.changes),
            Value::Int(w.owner),
        ])?;
        k.changes = 0;
        new_codes.push(code.as_str());
    }
    new_rows
        .write(backend, &mut cx.tx)
        .await
        .map_err(|e| match e {
            StoreError::Db(e) if crate::is_unique_violation(&e) => {
                StoreError::invalid("code", "error-enterprise-code-taken")
            }
            e => e,
        })?;
    for part in new_codes.chunks(LOOKUP_CODES) {
        let marks: Vec<String> = (1..=part.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, code FROM enterprises WHERE code IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for code in part {
            q = q.bind(code);
        }
        for r in q.fetch_all(&mut *cx.tx).await? {
            let code: String = r.try_get("code")?;
            if let Some(k) = w.known.get_mut(&code) {
                k.id = Some(r.try_get("id")?);
            }
        }
    }
    for code in &touched {
        let Some(k) = w.known.get_mut(code) else {
            continue;
        };
        let (Some(id), e) = (k.id, &k.input) else {
            continue;
        };
        if k.changes == 0 {
            continue;
        }
        sqlx::query(
            "UPDATE enterprises SET name = $1, address = $2, industry = $3, size = $4, town = $5, chief_quality_officer = $6, \
             contact = $7, file_opened = $8, row_version = row_version + $9, updated_at = $10, search_text = $11 WHERE id = $12",
        )
        .bind(&e.name)
        .bind(&e.address)
        .bind(&e.industry)
        .bind(e.size.map(|s| s.code()))
        .bind(&e.town)
        .bind(&e.chief_quality_officer)
        .bind(&e.contact)
        .bind(date_text(e.file_opened))
        .bind(k.changes)
        .bind(&now)
        .bind(search_text(code, &e.name, &e.address))
        .bind(id)
        .execute(&mut *cx.tx)
        .await?;
        k.changes = 0;
    }
    let mut new_licences = Rows::new(&NEW_LICENCES);
    for key in std::mem::take(&mut w.touched_licences) {
        let Some(l) = w.licences.get_mut(&key) else {
            continue;
        };
        let (code, kind, number) = &key;
        let Some(id) = w.known.get(code).and_then(|k| k.id) else {
            continue;
        };
        if l.stored {
            sqlx::query(
                "UPDATE licences SET product = $1, issued = $2, expires = $3 WHERE enterprise_id = $4 AND kind = $5 AND number = $6",
            )
            .bind(&l.product)
            .bind(date_text(l.issued))
            .bind(date_text(l.expires))
            .bind(id)
            .bind(*kind)
            .bind(number.as_str())
            .execute(&mut *cx.tx)
            .await?;
        } else {
            new_licences.push([
                Value::Int(id),
                (*kind).into(),
                number.as_str().into(),
                l.product.as_str().into(),
                date_text(l.issued).into(),
                date_text(l.expires).into(),
                Value::Int(w.owner),
            ])?;
            l.stored = true;
        }
        l.changed = false;
    }
    new_licences.write(backend, &mut cx.tx).await
}

/// Why a row of an enterprise registered in another district's register is refused: each
/// district imports into its own register only.
pub(crate) fn other_district(code: &str) -> Refusal {
    Refusal::new(
        format!("企业“{code}”登记在其他区县的企业名录中，本区县不能导入或更改"),
        format!(
            "enterprise {code} is on another district's register: this district cannot import or change it"
        ),
    )
}

/// The stored fields overlaid with the non-blank imported ones (trimmed).
fn merge(old: &EnterpriseInput, new: &EnterpriseInput) -> EnterpriseInput {
    let pick = |o: &String, n: &String| {
        let n = n.trim();
        if n.is_empty() {
            o.clone()
        } else {
            n.to_string()
        }
    };
    EnterpriseInput {
        code: old.code.clone(),
        name: pick(&old.name, &new.name),
        address: pick(&old.address, &new.address),
        industry: pick(&old.industry, &new.industry),
        size: new.size.or(old.size),
        town: pick(&old.town, &new.town),
        chief_quality_officer: pick(&old.chief_quality_officer, &new.chief_quality_officer),
        contact: pick(&old.contact, &new.contact),
        file_opened: new.file_opened.or(old.file_opened),
    }
}

/// The record rate (建档率) per year: enterprises whose credit file was opened by the end of
/// the year ÷ enterprises on the register, for each year from `from` to `to`.
pub async fn record_rates(store: &Store, from: i32, to: i32) -> Result<Vec<Ratio>> {
    // Indicators are still the home district's: so is its register's record rate.
    let home = home_owner_sql();
    // One grouped count: the enterprises without a file make the group of no year.
    let rows = sqlx::query(&format!(
        "SELECT SUBSTR(file_opened, 1, 4) AS y, COUNT(*) AS n FROM enterprises WHERE owner_id = {home} AND closed = 0 \
         GROUP BY SUBSTR(file_opened, 1, 4)"
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut registered = 0;
    let mut by_year: BTreeMap<i32, i64> = BTreeMap::new();
    for r in rows {
        let n: i64 = r.try_get("n")?;
        registered += n;
        let y: Option<String> = r.try_get("y")?;
        if let Some(y) = y.and_then(|y| y.parse::<i32>().ok()) {
            *by_year.entry(y).or_default() += n;
        }
    }
    let mut out = Vec::new();
    // Before the first file was opened the register was not kept: no data, not 0 %.
    let Some(first) = by_year.keys().next().copied() else {
        return Ok(out);
    };
    if registered == 0 {
        return Ok(out);
    }
    for year in from.max(first)..=to {
        let opened: i64 = by_year.range(..=year).map(|(_, n)| n).sum();
        out.push(Ratio {
            year,
            numerator: opened,
            denominator: registered,
        });
    }
    Ok(out)
}

/// Licences listed one by one in a digest; the rest are counted (the licences page has them all).
const DIGEST_MAX_LISTED: usize = 100;

/// The dedupe key of a unit's licence digest on a day: one digest per unit and day.
fn digest_key(today: NaiveDate, unit_id: i64) -> String {
    format!("licdigest:{today}:{unit_id}")
}

/// The step a licence has reached on `today` (60 days left, 30 days left, expired in the last
/// month); `None` outside the steps.
fn licence_step(days_left: i64) -> Option<&'static str> {
    match days_left {
        d if d < -30 => None,
        d if d < 0 => Some("expired"),
        d if d <= 30 => Some("30"),
        d if d <= 60 => Some("60"),
        _ => None,
    }
}

/// Alerts the units that keep the enterprise register about licences running out, in one
/// digest notice per unit and day: each licence is listed once when 60 days are left, once at
/// 30, and once in the month after expiry. The steps reported are recorded
/// (`licence_alert_steps`, by licence and expiry date, so a renewed licence starts again), and
/// a unit that already had today's digest gets the steps reached later that day in tomorrow's:
/// the hourly supervisor may run this any number of times. Returns how many digests were new.
pub async fn licence_alerts(store: &Store, today: NaiveDate) -> Result<usize> {
    let owners = sqlx::query(
        "SELECT u.id FROM registry_owners o JOIN org_units u ON u.code = o.unit_code WHERE o.registry = 'enterprises' ORDER BY u.id",
    )
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>("id"))
    .collect::<std::result::Result<Vec<_>, _>>()?;
    if owners.is_empty() {
        return Ok(0);
    }
    let mut reported: std::collections::HashSet<(i64, String, String)> =
        sqlx::query("SELECT licence_id, expires, step FROM licence_alert_steps")
            .fetch_all(&store.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("licence_id")?,
                    r.try_get("expires")?,
                    r.try_get("step")?,
                ))
            })
            .collect::<Result<_>>()?;
    // Alerts sent one notice per licence before the digest existed (key
    // `lic:{licence}:{expires}:{step}:{unit}`) were reported too.
    for r in sqlx::query(
        "SELECT dedupe_key FROM notices WHERE kind = 'licence' AND dedupe_key LIKE 'lic:%'",
    )
    .fetch_all(&store.pool)
    .await?
    {
        let key: String = r.try_get("dedupe_key")?;
        let parts: Vec<&str> = key.split(':').collect();
        if let [_, id, expires, step, _] = parts.as_slice()
            && let Ok(id) = id.parse::<i64>()
        {
            reported.insert((id, expires.to_string(), step.to_string()));
        }
    }
    let mut fresh: Vec<(ExpiringLicence, NaiveDate, &'static str)> = Vec::new();
    // The keepers are named by the home district's plan: they hear of its licences only.
    let home = Actor::system("licence-alerts");
    for l in expiring_licences(store, Whose::Actor(&home), today, 60).await? {
        let (Some(step), Some(expires)) = (licence_step(l.days_left), l.licence.expires) else {
            continue;
        };
        if !reported.contains(&(l.licence.id, expires.to_string(), step.to_string())) {
            fresh.push((l, expires, step));
        }
    }
    if fresh.is_empty() {
        return Ok(0);
    }
    // At most one digest per unit and day: when today's went out already, what is new waits.
    let sent_today: i64 = sqlx::query("SELECT COUNT(*) AS n FROM notices WHERE dedupe_key LIKE $1")
        .bind(format!("licdigest:{today}:%"))
        .fetch_one(&store.pool)
        .await?
        .try_get("n")?;
    if sent_today > 0 {
        return Ok(0);
    }
    // Expired first, then the soonest to expire.
    fresh.sort_by_key(|(l, _, _)| (l.days_left >= 0, l.days_left, l.licence.id));
    let expired = fresh.iter().filter(|(l, _, _)| l.days_left < 0).count();
    let level = if expired > 0 {
        "red"
    } else if fresh.iter().any(|(_, _, step)| *step == "30") {
        "yellow"
    } else {
        "info"
    };
    let title = format!(
        "许可证到期提醒：{} 张许可证（{expired} 张已过期）",
        fresh.len()
    );
    let mut lines: Vec<String> = fresh
        .iter()
        .take(DIGEST_MAX_LISTED)
        .enumerate()
        .map(|(i, (l, expires, _))| {
            format!(
                "{}. {}（{}）：{} {}，有效期至 {expires}，{}",
                i + 1,
                l.enterprise_name,
                l.enterprise_code,
                l.licence.kind.label(Lang::ZhCn),
                l.licence.number,
                if l.days_left < 0 {
                    format!("已过期 {} 天", -l.days_left)
                } else {
                    format!("还有 {} 天", l.days_left)
                }
            )
        })
        .collect();
    if fresh.len() > DIGEST_MAX_LISTED {
        lines.push(format!(
            "另有 {} 张未列出。",
            fresh.len() - DIGEST_MAX_LISTED
        ));
    }
    lines.push("请督促企业及时办理延续，或核实其是否停止生产。".to_string());
    let body = lines.join("\n");
    let mut tx = store.begin().await?;
    let mut new = 0;
    for unit in &owners {
        let inserted = sqlx::query(
            "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, respond_by, dedupe_key, created_at) \
             VALUES ($1, NULL, 'licence', $2, $3, $4, $5, NULL, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(*unit)
        .bind(level)
        .bind(&title)
        .bind(&body)
        .bind(today.to_string())
        .bind(digest_key(today, *unit))
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        new += usize::from(inserted.rows_affected() > 0);
    }
    for (l, expires, step) in &fresh {
        sqlx::query(
            "INSERT INTO licence_alert_steps (licence_id, expires, step, reported_on) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (licence_id, expires, step) DO NOTHING",
        )
        .bind(l.licence.id)
        .bind(expires.to_string())
        .bind(*step)
        .bind(today.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(new)
}

/// Sets who keeps which register from the plan's units (`registers`), inside the plan import's
/// transaction. A plan that names no keeper at all (one written before plans carried them)
/// leaves the keepers as they are rather than leaving every register without one.
pub async fn sync_register_keepers(
    tx: &mut crate::Tx,
    plan: &qcity_domain::plan::Plan,
) -> Result<()> {
    let keepers: Vec<(&str, &str)> = plan
        .units
        .iter()
        .flat_map(|u| {
            u.registers
                .iter()
                .map(move |r| (r.as_str(), u.code.as_str()))
        })
        .collect();
    if keepers.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM registry_owners")
        .execute(&mut **tx)
        .await?;
    for (registry, unit) in keepers {
        sqlx::query("INSERT INTO registry_owners (registry, unit_code) VALUES ($1, $2)")
            .bind(registry)
            .bind(unit)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

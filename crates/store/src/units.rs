//! Org units (city → district → member unit) and the contact details each unit keeps itself.

use crate::audit::{self, Change};
use crate::{Actor, Result, Store, StoreError, Tx, now_text};
use qcity_domain::org::{Level, Node, Tree};
use qcity_domain::role::Scope;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub notes: String,
}

impl Unit {
    fn contact_view(&self) -> serde_json::Value {
        json!({"contact_name": self.contact_name, "contact_phone": self.contact_phone, "contact_email": self.contact_email})
    }
}

const UNIT_SELECT: &str = "SELECT u.id, u.code, u.name, u.kind, p.code AS parent_code, u.contact_name, \
     u.contact_phone, u.contact_email, u.notes FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Unit> {
    Ok(Unit {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        parent_code: r.try_get("parent_code")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        contact_email: r.try_get("contact_email")?,
        notes: r.try_get("notes")?,
    })
}

/// All units in code order. Unit names and the hierarchy are public information (they are in
/// the published plan); contact details are not, so they are blanked for callers who may not
/// read the unit.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Unit>> {
    let sql = format!(
        "{UNIT_SELECT} WHERE {} ORDER BY u.id",
        actor.owns_unit_sql("u.id")
    );
    let rows = sqlx::query(&sql).fetch_all(&store.pool).await?;
    let scope = actor.scope();
    rows.iter()
        .map(|r| from_row(r).map(|u| redact(u, scope)))
        .collect()
}

fn redact(mut u: Unit, scope: Scope) -> Unit {
    if !scope.can_read_unit(u.id) {
        u.contact_name.clear();
        u.contact_phone.clear();
        u.contact_email.clear();
    }
    u
}

/// A unit of the caller's district (another district's is not found).
pub async fn get(store: &Store, actor: &Actor, code: &str) -> Result<Unit> {
    let sql = format!(
        "{UNIT_SELECT} WHERE u.code = $1 AND {}",
        actor.owns_unit_sql("u.id")
    );
    let row = sqlx::query(&sql)
        .bind(code)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(redact(from_row(&row)?, actor.scope()))
}

pub struct Contact<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
}

/// Updates a unit's contact details: its own staff or the office.
pub async fn update_contact(
    store: &Store,
    actor: &Actor,
    code: &str,
    c: Contact<'_>,
) -> Result<Unit> {
    let sql = format!(
        "{UNIT_SELECT} WHERE u.code = $1 AND {}",
        actor.owns_unit_sql("u.id")
    );
    let row = sqlx::query(&sql)
        .bind(code)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let before = from_row(&row)?;
    if !actor.scope().can_write_unit(before.id) {
        return Err(StoreError::Forbidden);
    }
    let (name, phone, email) = (c.name.trim(), c.phone.trim(), c.email.trim());
    if name.chars().count() > 50 {
        return Err(StoreError::invalid("contact_name", "error-too-long"));
    }
    if !phone.is_empty() && !valid_phone(phone) {
        return Err(StoreError::invalid("contact_phone", "error-phone-format"));
    }
    if !email.is_empty() && !valid_email(email) {
        return Err(StoreError::invalid("contact_email", "error-email-format"));
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE org_units SET contact_name = $1, contact_phone = $2, contact_email = $3, updated_at = $4 WHERE id = $5")
        .bind(name)
        .bind(phone)
        .bind(email)
        .bind(now_text())
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
    let after = Unit {
        contact_name: name.into(),
        contact_phone: phone.into(),
        contact_email: email.into(),
        ..before.clone()
    };
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "unit.contact_update",
            target_type: "unit",
            target_id: code,
            before: before.contact_view(),
            after: after.contact_view(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Unit kinds, from the top of the hierarchy down.
pub const KINDS: &[&str] = &[
    "province", "city", "district", "office", "member", "group", "external",
];

/// The whole org hierarchy (one query; a province has a few thousand units).
pub async fn tree(store: &Store) -> Result<Tree> {
    let rows = sqlx::query("SELECT id, code, name, kind, parent_id FROM org_units")
        .fetch_all(&store.pool)
        .await?;
    let nodes = rows
        .iter()
        .map(|r| {
            Ok(Node {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                parent: r.try_get("parent_id")?,
                level: Level::of_kind(&r.try_get::<String, _>("kind")?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Tree::new(nodes))
}

/// The districts whose figures the actor may compare: a city's (or province's) office and
/// leaders read every district under it; a district's accounts only their own; an account
/// without a unit (the installation's operator) every district. Units and evaluators of a
/// district read none here: their pages show their own work.
pub async fn readable_districts(store: &Store, actor: &Actor) -> Result<(Tree, Vec<Node>)> {
    let tree = tree(store).await?;
    if !matches!(actor.scope(), Scope::All | Scope::ReadAll)
        || actor.role == Some(qcity_domain::role::Role::Evaluator)
    {
        return Err(StoreError::Forbidden);
    }
    let districts = match actor.owner_id.and_then(|o| tree.get(o)) {
        None => tree.at_level(Level::District, None),
        Some(n) if n.level == Level::District => vec![n],
        Some(n) => tree.at_level(Level::District, Some(n.id)),
    }
    .into_iter()
    .cloned()
    .collect();
    Ok((tree, districts))
}

/// Adds a unit the plan does not name (a new bureau after a reorganisation). Office only.
pub async fn create(
    store: &Store,
    actor: &Actor,
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<&str>,
) -> Result<Unit> {
    actor.require_admin()?;
    let code = code.trim();
    if code.is_empty()
        || code.len() > 16
        || !code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StoreError::invalid("code", "error-unit-code-format"));
    }
    if name.trim().is_empty() || name.chars().count() > 60 {
        return Err(StoreError::invalid("name", "error-unit-name"));
    }
    if !KINDS.contains(&kind) {
        return Err(StoreError::invalid("kind", "error-unit-kind"));
    }
    // A district's office adds units inside its own district only (under the district when
    // no parent is named), never a district or a city: those come with a plan.
    if actor.owner_id.is_some() && matches!(kind, "city" | "district" | "province") {
        return Err(StoreError::invalid("kind", "error-unit-outside-district"));
    }
    let mut tx = store.begin().await?;
    let parent_id: Option<i64> = match parent.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            sqlx::query(&format!(
                "SELECT id FROM org_units WHERE code = $1 AND {}",
                actor.owns_unit_sql("id")
            ))
            .bind(p)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::invalid("parent", "error-unit-unknown"))?
            .try_get("id")?,
        ),
        None => actor.owner_id,
    };
    let exists = sqlx::query("SELECT id FROM org_units WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Err(StoreError::invalid("code", "error-unit-code-taken"));
    }
    let now = now_text();
    sqlx::query("INSERT INTO org_units (code, name, kind, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(code)
        .bind(name.trim())
        .bind(kind)
        .bind(parent_id)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| if crate::is_unique_violation(&e) { StoreError::invalid("code", "error-unit-code-taken") } else { e.into() })?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "unit.create",
            target_type: "unit",
            target_id: code,
            before: serde_json::Value::Null,
            after: json!({"code": code, "name": name.trim(), "kind": kind, "parent": parent}),
        },
    )
    .await?;
    tx.commit().await?;
    store.sessions().forget_all();
    get(store, actor, code).await
}

fn valid_phone(phone: &str) -> bool {
    phone.len() <= 20
        && phone
            .chars()
            .all(|ch| ch.is_ascii_digit() || matches!(ch, '-' | '+' | ' '))
}

fn valid_email(email: &str) -> bool {
    email.len() <= 100
        && !email.contains(' ')
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
}

/// A unit as the plan defines it.
pub struct PlanUnit<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub parent: Option<&'a str>,
    pub notes: &'a str,
}

/// Inserts the plan's units that are missing and renames changed ones, inside the plan
/// loader's transaction. Parents must come before their children. Returns how many changed.
pub async fn upsert_from_plan(tx: &mut Tx, units: &[PlanUnit<'_>]) -> Result<usize> {
    let mut changed = 0;
    for u in units {
        let parent_id: Option<i64> = match u.parent {
            Some(p) => sqlx::query("SELECT id FROM org_units WHERE code = $1")
                .bind(p)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get("id"))
                .transpose()?,
            None => None,
        };
        let existing = sqlx::query("SELECT name, kind, notes FROM org_units WHERE code = $1")
            .bind(u.code)
            .fetch_optional(&mut **tx)
            .await?;
        let now = now_text();
        match existing {
            None => {
                sqlx::query(
                    "INSERT INTO org_units (code, name, kind, parent_id, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(u.code)
                .bind(u.name)
                .bind(u.kind)
                .bind(parent_id)
                .bind(u.notes)
                .bind(&now)
                .execute(&mut **tx)
                .await?;
                changed += 1;
            }
            Some(r) => {
                let same = r.try_get::<String, _>("name")? == u.name
                    && r.try_get::<String, _>("kind")? == u.kind
                    && r.try_get::<String, _>("notes")? == u.notes;
                if !same {
                    sqlx::query("UPDATE org_units SET name = $1, kind = $2, parent_id = $3, notes = $4, updated_at = $5 WHERE code = $6")
                        .bind(u.name)
                        .bind(u.kind)
                        .bind(parent_id)
                        .bind(u.notes)
                        .bind(&now)
                        .bind(u.code)
                        .execute(&mut **tx)
                        .await?;
                    changed += 1;
                }
            }
        }
    }
    Ok(changed)
}

//! 上下联动: a district's obligation may name the city task it serves, an obligation of the
//! city's own plan given to the district (`obligations.serves_id`). The district's office
//! sets or clears the link on its obligation; on the city task, the city (and the district's
//! liaison) read the district obligations that serve it, with their status.

use super::{Obligation, get};
use crate::audit::{self, Change};
use crate::{Actor, Result, Store, StoreError};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// A city task given to a district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityTask {
    pub id: i64,
    pub content_code: String,
    pub due_date: String,
    pub status: String,
}

/// A district obligation serving a city task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Serving {
    pub district: String,
    pub unit_name: String,
    pub content_code: String,
    pub due_date: String,
    pub status: String,
}

fn task_of(r: &sqlx::any::AnyRow) -> Result<CityTask> {
    Ok(CityTask {
        id: r.try_get("id")?,
        content_code: r.try_get("content_code")?,
        due_date: r.try_get("due_date")?,
        status: r.try_get("status")?,
    })
}

/// The city tasks given to the actor's district: what its obligations may serve. Empty when
/// the city runs no plan of its own (or the actor reads no district).
pub async fn city_tasks(store: &Store, actor: &Actor) -> Result<Vec<CityTask>> {
    actor.require_internal()?;
    let owner = actor.owner_sql();
    let rows = sqlx::query(&format!(
        "SELECT o.id, o.content_code, o.due_date, o.status FROM obligations o \
         WHERE o.unit_id = {owner} AND o.retired = 0 \
         AND o.owner_id = (SELECT parent_id FROM org_units WHERE id = {owner}) \
         ORDER BY o.due_date, o.content_code, o.id"
    ))
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(task_of).collect()
}

/// The city task an obligation serves, if any (`ob` as [`get`] gave it to the caller).
pub async fn served(store: &Store, ob: &Obligation) -> Result<Option<CityTask>> {
    let row = sqlx::query(
        "SELECT t.id, t.content_code, t.due_date, t.status FROM obligations o \
         JOIN obligations t ON t.id = o.serves_id WHERE o.id = $1",
    )
    .bind(ob.id)
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(task_of).transpose()
}

/// Sets (or, with `None`, clears) the city task an obligation serves. The district's office;
/// the task must be one the city gave to this district.
pub async fn set(store: &Store, actor: &Actor, id: i64, task: Option<i64>) -> Result<()> {
    actor.require_admin()?;
    let ob = get(store, actor, id).await?;
    let before = served(store, &ob).await?;
    let chosen = match task {
        Some(t) => Some(
            city_tasks(store, actor)
                .await?
                .into_iter()
                .find(|c| c.id == t)
                .ok_or_else(|| StoreError::invalid("serves", "error-serves-unknown"))?,
        ),
        None => None,
    };
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE obligations SET serves_id = $1 WHERE id = $2")
        .bind(chosen.as_ref().map(|c| c.id))
        .bind(ob.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "obligation.serves",
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: json!({"serves": before.map(|c| c.content_code)}),
            after: json!({"serves": chosen.map(|c| c.content_code)}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The district obligations serving a city task (`task` as [`get`] gave it to the caller), by
/// district.
pub async fn serving(store: &Store, task: &Obligation) -> Result<Vec<Serving>> {
    let rows = sqlx::query(
        "SELECT d.name AS district, u.name AS unit_name, o.content_code, o.due_date, o.status \
         FROM obligations o JOIN org_units u ON u.id = o.unit_id JOIN org_units d ON d.id = o.owner_id \
         WHERE o.serves_id = $1 ORDER BY d.name, o.content_code, u.name, o.id",
    )
    .bind(task.id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Serving {
                district: r.try_get("district")?,
                unit_name: r.try_get("unit_name")?,
                content_code: r.try_get("content_code")?,
                due_date: r.try_get("due_date")?,
                status: r.try_get("status")?,
            })
        })
        .collect()
}

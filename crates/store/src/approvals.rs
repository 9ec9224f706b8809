//! The office's approval rules (four eyes, objection periods) as stored, and the check each
//! deciding repository makes with them (`qcity_domain::approval`).

use crate::audit::{self, Change};
use crate::{Actor, Result, Store, StoreError, now_text};
use qcity_domain::approval::{Kind, MAX_OBJECTION_DAYS, Rule};
use serde_json::json;
use sqlx::Row;

/// The rule in force for `kind` (the shipped one while the office has set none).
pub async fn rule(store: &Store, kind: Kind) -> Result<Rule> {
    let row = sqlx::query("SELECT four_eyes, objection_days FROM approval_rules WHERE kind = $1")
        .bind(kind.code())
        .fetch_optional(&store.pool)
        .await?;
    Ok(match row {
        Some(r) => Rule {
            kind,
            four_eyes: r.try_get::<i64, _>("four_eyes")? != 0,
            objection_days: u32::try_from(r.try_get::<i64, _>("objection_days")?).unwrap_or(0),
        },
        None => Rule::default_for(kind),
    })
}

/// Every kind's rule, in [`Kind::ALL`] order.
pub async fn rules(store: &Store) -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        out.push(rule(store, kind).await?);
    }
    Ok(out)
}

/// Sets a kind's rule (the office only); recorded in the audit trail.
pub async fn set(store: &Store, actor: &Actor, new: Rule) -> Result<()> {
    actor.require_admin()?;
    if new.objection_days > MAX_OBJECTION_DAYS
        || (new.objection_days > 0 && !new.kind.has_objection_period())
    {
        return Err(StoreError::invalid(
            "objection_days",
            "error-objection-days",
        ));
    }
    let before = rule(store, new.kind).await?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO approval_rules (kind, four_eyes, objection_days, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind) DO UPDATE SET four_eyes = excluded.four_eyes, \
         objection_days = excluded.objection_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(new.kind.code())
    .bind(i64::from(new.four_eyes))
    .bind(i64::from(new.objection_days))
    .bind(&actor.username)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "approval.rule_set",
            target_type: "approval_rule",
            target_id: new.kind.code(),
            before: json!({"four_eyes": before.four_eyes, "objection_days": before.objection_days}),
            after: json!({"four_eyes": new.four_eyes, "objection_days": new.objection_days}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses `actor` deciding what `entered_by` entered when the kind needs a second person.
pub async fn require_second_person(
    store: &Store,
    kind: Kind,
    entered_by: &str,
    actor: &Actor,
) -> Result<()> {
    if rule(store, kind).await?.allows(entered_by, &actor.username) {
        Ok(())
    } else {
        Err(StoreError::Conflict("error-four-eyes".into()))
    }
}

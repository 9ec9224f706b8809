//! Accounts, sessions and API tokens (the password check itself is `signin`).

use crate::audit::{self, Change};
use crate::auth::{hash_password, random_token, token_digest};
use crate::{Actor, Result, Store, StoreError, now_text, parse_time, time_text};
use chrono::{Duration, Utc};
use qcity_domain::role::{Role, Scope};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    /// The district (or city) whose plan the account works on: the nearest above its unit.
    /// A unit account of a district is the district's liaison for its city's own plan (the
    /// districts are that plan's units): it works on the city's plan. `None` for an account
    /// without a unit: the installation's home district.
    pub owner_id: Option<i64>,
    /// The level of that owner (`district`, `city`, `province`); `None` with no owner.
    pub owner_kind: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub locked_until: Option<String>,
    pub created_at: String,
}

impl User {
    /// The actor this user is when acting from `ip` in request `request_id`.
    pub fn actor(&self, ip: &str, request_id: &str) -> Actor {
        Actor {
            user_id: Some(self.id),
            username: self.username.clone(),
            role: Some(self.role),
            unit_id: self.unit_id,
            owner_id: self.owner_id,
            ip: ip.into(),
            request_id: request_id.into(),
        }
    }

    fn audit_view(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "unit": self.unit_code,
            "must_change_password": self.must_change_password,
            "disabled": self.disabled,
        })
    }
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.must_change_password, \
     u.disabled, g.blocked_until AS locked_until, u.created_at, u.password_hash, o.code AS unit_code, o.name AS unit_name, \
     CASE WHEN u.role = 'unit' AND o.kind IN ('district', 'city') AND p1.kind IN ('city', 'province') THEN p1.id \
          WHEN o.kind IN ('district', 'city', 'province') THEN o.id \
          WHEN p1.kind IN ('district', 'city', 'province') THEN p1.id \
          WHEN p2.kind IN ('district', 'city', 'province') THEN p2.id END AS owner_id, \
     CASE WHEN u.role = 'unit' AND o.kind IN ('district', 'city') AND p1.kind IN ('city', 'province') THEN p1.kind \
          WHEN o.kind IN ('district', 'city', 'province') THEN o.kind \
          WHEN p1.kind IN ('district', 'city', 'province') THEN p1.kind \
          WHEN p2.kind IN ('district', 'city', 'province') THEN p2.kind END AS owner_kind \
     FROM users u LEFT JOIN org_units o ON o.id = u.unit_id \
     LEFT JOIN org_units p1 ON p1.id = o.parent_id LEFT JOIN org_units p2 ON p2.id = p1.parent_id \
     LEFT JOIN sign_in_guard g ON g.key = 'user:' || u.username";

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<(User, String)> {
    let role: String = r.try_get("role")?;
    let role = role
        .parse::<Role>()
        .map_err(|_| StoreError::Conflict(format!("stored role `{role}` is unknown")))?;
    let user = User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role,
        unit_id: r.try_get("unit_id")?,
        unit_code: r.try_get("unit_code")?,
        unit_name: r.try_get("unit_name")?,
        owner_id: r.try_get("owner_id")?,
        owner_kind: r.try_get("owner_kind")?,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        locked_until: r.try_get("locked_until")?,
        created_at: r.try_get("created_at")?,
    };
    Ok((user, r.try_get("password_hash")?))
}

async fn find(store: &Store, clause: &str, value: &str) -> Result<Option<(User, String)>> {
    let sql = format!("{USER_SELECT} WHERE {clause}");
    let row = sqlx::query(&sql)
        .bind(value)
        .fetch_optional(&store.pool)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// An account and its password hash by username, whoever asks (for the password check).
pub(crate) async fn find_by_name(store: &Store, username: &str) -> Result<Option<(User, String)>> {
    find(store, "u.username = $1", username).await
}

async fn find_id(store: &Store, id: i64) -> Result<Option<User>> {
    let sql = format!("{USER_SELECT} WHERE u.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?;
    Ok(row.as_ref().map(user_from_row).transpose()?.map(|(u, _)| u))
}

pub async fn count(store: &Store) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&store.pool)
        .await?
        .try_get("n")?)
}

/// One account, if the caller may see it.
pub async fn get(store: &Store, actor: &Actor, username: &str) -> Result<User> {
    find_visible(store, actor, username).await
}

/// An account the caller may see, or `NotFound` (an account of another district is not
/// told apart from none).
async fn find_visible(store: &Store, actor: &Actor, username: &str) -> Result<User> {
    let (user, _) = find(store, "u.username = $1", username)
        .await?
        .ok_or(StoreError::NotFound)?;
    if actor.user_id == Some(user.id) {
        return Ok(user);
    }
    if actor.require_internal().is_err() {
        return Err(StoreError::NotFound);
    }
    let visible = match actor.scope() {
        Scope::All | Scope::ReadAll => {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM users u WHERE u.id = $1 AND {}",
                district_sql(actor)
            );
            let n: i64 = sqlx::query(&sql)
                .bind(user.id)
                .fetch_one(&store.pool)
                .await?
                .try_get("n")?;
            n > 0
        }
        Scope::Unit(u) => user.unit_id == Some(u),
        Scope::Public => false,
    };
    if visible {
        Ok(user)
    } else {
        Err(StoreError::NotFound)
    }
}

/// SQL condition on `users u`: the account belongs to the caller's district (or city), by
/// its unit; the operator and the command line, with no district, reach every account.
fn district_sql(actor: &Actor) -> String {
    actor.owns_unit_sql("u.unit_id")
}

/// Accounts the caller may see: all for office and leaders, their own unit's for unit staff,
/// none for evaluators.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<User>> {
    actor.require_internal()?;
    let rows = match actor.scope() {
        Scope::All | Scope::ReadAll => {
            let sql = format!(
                "{USER_SELECT} WHERE {} ORDER BY u.username",
                district_sql(actor)
            );
            sqlx::query(&sql).fetch_all(&store.pool).await?
        }
        Scope::Unit(u) => {
            let sql = format!("{USER_SELECT} WHERE u.unit_id = $1 ORDER BY u.username");
            sqlx::query(&sql).bind(u).fetch_all(&store.pool).await?
        }
        Scope::Public => return Err(StoreError::Forbidden),
    };
    rows.iter()
        .map(|r| user_from_row(r).map(|(u, _)| u))
        .collect()
}

/// A page of [`list`] in `order` (a column from the caller's fixed list; by user name when
/// `None`), and how many accounts there are in all.
pub async fn list_page(
    store: &Store,
    actor: &Actor,
    order: Option<crate::Order>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64)> {
    actor.require_internal()?;
    let (wh, unit) = match actor.scope() {
        Scope::All | Scope::ReadAll => (format!("WHERE {}", district_sql(actor)), None),
        Scope::Unit(u) => ("WHERE u.unit_id = $1".to_string(), Some(u)),
        Scope::Public => return Err(StoreError::Forbidden),
    };
    let order = order.map_or("u.username".to_string(), |o| {
        format!("{}, u.username", o.sql())
    });
    let count_sql = format!("SELECT COUNT(*) AS n FROM users u {wh}");
    let list_sql = match unit {
        None => format!("{USER_SELECT} {wh} ORDER BY {order} LIMIT $1 OFFSET $2"),
        Some(_) => format!("{USER_SELECT} {wh} ORDER BY {order} LIMIT $2 OFFSET $3"),
    };
    let mut count = sqlx::query(&count_sql);
    let mut list = sqlx::query(&list_sql);
    if let Some(u) = unit {
        count = count.bind(u);
        list = list.bind(u);
    }
    let total: i64 = count.fetch_one(&store.pool).await?.try_get("n")?;
    let rows = list.bind(limit).bind(offset).fetch_all(&store.pool).await?;
    let users = rows
        .iter()
        .map(|r| user_from_row(r).map(|(u, _)| u))
        .collect::<Result<Vec<_>>>()?;
    Ok((users, total))
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub unit_code: Option<&'a str>,
    pub password: &'a str,
    pub must_change_password: bool,
}

/// Usernames are 3–32 characters of letters, digits, `_`, `.` and `-`.
pub fn valid_username(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Creates an account. Office only. The password must already meet the complexity rule.
pub async fn create(store: &Store, actor: &Actor, new: NewUser<'_>) -> Result<User> {
    actor.require_admin()?;
    if !valid_username(new.username) {
        return Err(StoreError::invalid("username", "error-username-format"));
    }
    if qcity_domain::role::check_password(new.password).is_err() {
        return Err(StoreError::invalid("password", "error-password-weak"));
    }
    let unit_code = new.unit_code.map(str::trim).filter(|s| !s.is_empty());
    // A district's (or city's) office creates accounts of its own units only: an account
    // without a unit would administer the whole installation.
    if new.role.requires_unit() && unit_code.is_none() {
        return Err(StoreError::invalid("unit", "error-unit-required"));
    }
    if actor.owner_id.is_some() && unit_code.is_none() {
        return Err(StoreError::invalid("unit", "error-unit-required-district"));
    }
    let hash = hash_blocking(new.password).await?;
    let mut tx = store.begin().await?;
    let unit_id: Option<i64> = match unit_code {
        Some(code) => Some(
            sqlx::query(&format!(
                "SELECT id FROM org_units WHERE code = $1 AND {}",
                actor.owns_unit_sql("id")
            ))
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::invalid("unit", "error-unit-unknown"))?
            .try_get("id")?,
        ),
        None => None,
    };
    let taken = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(new.username)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::invalid("username", "error-username-taken"));
    }
    let now = now_text();
    sqlx::query(
        "INSERT INTO users (username, display_name, role, unit_id, password_hash, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(new.username)
    .bind(new.display_name.trim())
    .bind(new.role.as_str())
    .bind(unit_id)
    .bind(&hash)
    .bind(new.must_change_password as i64)
    .bind(&now)
    .execute(&mut *tx)
    .await
    .map_err(|e| if crate::is_unique_violation(&e) { StoreError::invalid("username", "error-username-taken") } else { e.into() })?;
    let after = json!({
        "username": new.username, "display_name": new.display_name.trim(), "role": new.role,
        "unit": unit_code, "must_change_password": new.must_change_password,
    });
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "user.create",
            target_type: "user",
            target_id: new.username,
            before: serde_json::Value::Null,
            after,
        },
    )
    .await?;
    tx.commit().await?;
    find(store, "u.username = $1", new.username)
        .await?
        .map(|(u, _)| u)
        .ok_or(StoreError::NotFound)
}

async fn hash_blocking(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| StoreError::Conflict(format!("hashing task failed: {e}")))?
        .map_err(StoreError::Conflict)
}

/// Sets a new password. Users change their own (with the current one checked by the caller);
/// the office resets anyone's, which forces a change at next sign-in. Ends the user's sessions and
/// API tokens and lifts a sign-in lock.
pub async fn set_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    new_password: &str,
    must_change: bool,
) -> Result<()> {
    let user = find_visible(store, actor, username).await?;
    let own = actor.user_id == Some(user.id);
    if !own {
        actor.require_admin()?;
    }
    if qcity_domain::role::check_password(new_password).is_err() {
        return Err(StoreError::invalid("new_password", "error-password-weak"));
    }
    let hash = hash_blocking(new_password).await?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&hash)
    .bind(must_change as i64)
    .bind(now_text())
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    crate::signin::lift_lock(&mut tx, &user.username).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    // A new password answers a lost or leaked credential, whoever sets it: the account's API
    // tokens go with the old password.
    let tokens = revoke_all(&mut tx, user.id).await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: if own { "user.password_change" } else { "user.password_reset" },
            target_type: "user",
            target_id: username,
            // Never the hash itself: only the fact and the forced-change flag.
            before: json!({"must_change_password": user.must_change_password, "locked_until": user.locked_until}),
            after: json!({"must_change_password": must_change, "locked_until": null, "tokens_revoked": tokens}),
        },
    )
    .await?;
    tx.commit().await?;
    store.sessions().forget_all();
    Ok(())
}

/// Disables or re-enables an account. Office only; an account cannot disable itself.
pub async fn set_disabled(
    store: &Store,
    actor: &Actor,
    username: &str,
    disabled: bool,
) -> Result<()> {
    actor.require_admin()?;
    let user = find_visible(store, actor, username).await?;
    if actor.user_id == Some(user.id) {
        return Err(StoreError::Conflict("cannot_disable_self".into()));
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled as i64)
        .bind(now_text())
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    // Disabling ends the account's API tokens for good: enabling it again does not revive
    // them (the office issues new ones if the account still needs any).
    let tokens = if disabled {
        revoke_all(&mut tx, user.id).await?
    } else {
        0
    };
    let mut after = user.audit_view();
    after["disabled"] = json!(disabled);
    if disabled {
        after["tokens_revoked"] = json!(tokens);
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            target_type: "user",
            target_id: username,
            before: user.audit_view(),
            after,
        },
    )
    .await?;
    tx.commit().await?;
    store.sessions().forget_all();
    Ok(())
}

/// Opens a session; returns the cookie token (only its digest is stored).
pub async fn create_session(store: &Store, user: &User, ip: &str) -> Result<String> {
    let token = random_token();
    let now = now_text();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen, ip) VALUES ($1, $2, $3, $3, $4)")
        .bind(token_digest(&token))
        .bind(user.id)
        .bind(&now)
        .bind(ip)
        .execute(&store.pool)
        .await?;
    Ok(token)
}

/// The user behind a session token, if the session exists, the account is enabled and the
/// session has been used within `idle`. Refreshes `last_seen` at most once a minute.
pub async fn session_user(
    store: &Store,
    token: &str,
    idle: Duration,
    max_age: Duration,
) -> Result<Option<User>> {
    let digest = token_digest(token);
    let now = Utc::now();
    if let Some(c) = store.sessions().get(&digest) {
        // Read a moment ago: only the clock can have ended it since.
        if now - c.last_seen <= idle && now - c.created <= max_age {
            return Ok(Some(c.user));
        }
    }
    let generation = store.sessions().generation();
    let row =
        sqlx::query("SELECT user_id, created_at, last_seen FROM sessions WHERE token_hash = $1")
            .bind(&digest)
            .fetch_optional(&store.pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let last_seen: String = row.try_get("last_seen")?;
    let created_at: String = row.try_get("created_at")?;
    let mut last = parse_time(&last_seen).unwrap_or(now - idle - Duration::seconds(1));
    let created = parse_time(&created_at).unwrap_or(now - max_age - Duration::seconds(1));
    if now - last > idle || now - created > max_age {
        delete_session(store, token).await?;
        return Ok(None);
    }
    if now - last > Duration::seconds(60) {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(time_text(now))
            .bind(&digest)
            .execute(&store.pool)
            .await?;
        last = now;
    }
    let user_id: i64 = row.try_get("user_id")?;
    let Some(user) = find_id(store, user_id).await?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    store.sessions().keep(
        &digest,
        crate::session_cache::Checked {
            user: user.clone(),
            created,
            last_seen: last,
        },
        generation,
    );
    Ok(Some(user))
}

pub async fn delete_session(store: &Store, token: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_digest(token))
        .execute(&store.pool)
        .await?;
    store.sessions().forget_all();
    Ok(())
}

/// Issues an API token for `username`; returns it once. Office only (or the user for themself).
pub async fn create_token(
    store: &Store,
    actor: &Actor,
    username: &str,
    label: &str,
) -> Result<String> {
    let user = find_visible(store, actor, username).await?;
    if actor.user_id != Some(user.id) {
        actor.require_admin()?;
    }
    let token = format!("qct_{}", random_token());
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user.id)
    .bind(token_digest(&token))
    .bind(label)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "token.create",
            target_type: "user",
            target_id: username,
            before: serde_json::Value::Null,
            after: json!({"label": label, "prefix": &token[..12]}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes every API token of an account (own tokens, or anyone's for the office). Returns how many.
pub async fn revoke_tokens(store: &Store, actor: &Actor, username: &str) -> Result<u64> {
    let user = find_visible(store, actor, username).await?;
    if actor.user_id != Some(user.id) {
        actor.require_admin()?;
    }
    let mut tx = store.begin().await?;
    let n = revoke_all(&mut tx, user.id).await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "token.revoke",
            target_type: "user",
            target_id: username,
            before: serde_json::Value::Null,
            after: json!({"revoked": n}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Revokes every live API token of an account; returns how many.
async fn revoke_all(tx: &mut crate::Tx, user_id: i64) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND revoked = 0")
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// The user behind a bearer token, if it is known, not revoked and the account enabled.
pub async fn token_user(store: &Store, token: &str) -> Result<Option<User>> {
    let row = sqlx::query("SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked = 0")
        .bind(token_digest(token))
        .fetch_optional(&store.pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: i64 = row.try_get("user_id")?;
    let user = find_id(store, user_id).await?;
    Ok(user.filter(|u| !u.disabled))
}

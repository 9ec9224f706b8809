//! Sign-in: the password check under a per-account lock and a per-address delay.
//!
//! Both live in `sign_in_guard`, one counter row per account name (`user:<name>`, kept for
//! names no account has as well, so unknown and known names answer alike) and per source
//! address (`ip:<address>`).
//!
//! - **Account.** Every check is first *claimed* by one statement that reads and updates the
//!   name's row: it succeeds only while the failures in the window plus the checks in progress
//!   stay below [`FAILURE_THRESHOLD`]. Attempts sent at once therefore cannot all reach the
//!   password check: the rest wait for a free place (a correct sign-in frees one) or for the
//!   lock. Only a check that fails counts as a failure; the one that reaches the threshold locks
//!   the name for [`LOCK_MINUTES`]. Failures expire [`WINDOW_MINUTES`] after the first one.
//! - **Address.** Never locked (a whole office behind one NAT would be shut out by somebody's
//!   typos): after [`ADDRESS_FREE_FAILURES`] failures in a window each further attempt from the
//!   address waits a delay that doubles up to [`ADDRESS_MAX_DELAY_SECONDS`].
//!
//! Unknown names are checked against a dummy Argon2id hash, so they cost the same time.

use crate::audit::{self, Change};
use crate::auth::{hash_password, verify_password};
use crate::users::{self, User, valid_username};
use crate::{Actor, Result, Store, StoreError, Tx, parse_time, time_text};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

/// Failures (plus checks in progress) an account name may have in one window.
pub const FAILURE_THRESHOLD: i64 = 5;
/// How long failures count, from the first one.
pub const WINDOW_MINUTES: i64 = 15;
/// How long a name stays locked after reaching the threshold.
pub const LOCK_MINUTES: i64 = 15;
/// Failures an address may have in a window before its attempts are delayed.
pub const ADDRESS_FREE_FAILURES: i64 = 5;
/// The longest delay an address waits between attempts.
pub const ADDRESS_MAX_DELAY_SECONDS: i64 = 60;
/// A claim not released for this long is taken for a check that never finished (a crash).
const STALE_CLAIM_SECONDS: i64 = 120;
/// How long an attempt waits for a free place before it is answered "busy".
const CLAIM_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong username or password (deliberately not saying which).
    Invalid,
    /// Too many failures for this account name; no check before `until`.
    Locked {
        until: String,
    },
    /// As many checks as the threshold allows stayed in progress for this name for a while.
    Busy,
    /// Repeated failures from this address: the next attempt in `seconds`.
    Slowed {
        seconds: i64,
    },
    Store(String),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Store(e.to_string())
    }
}

fn account_key(name: &str) -> String {
    format!("user:{name}")
}

fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// How long an address waits after `failures` failures in its window.
pub fn address_delay(failures: i64) -> Duration {
    if failures < ADDRESS_FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = (failures - ADDRESS_FREE_FAILURES).min(16) as u32;
    Duration::seconds((1i64 << doublings).min(ADDRESS_MAX_DELAY_SECONDS))
}

/// Checks a username and password from `ip`, applying the account lock and the address
/// delay, and writes every check's outcome to the audit trail.
pub async fn authenticate(
    store: &Store,
    username: &str,
    password: &str,
    ip: &str,
    request_id: &str,
) -> Result<User, LoginError> {
    // Whatever arrives as a username is not stored as given: the audit trail is forever.
    let name = if valid_username(username) {
        username
    } else {
        "<invalid>"
    };
    let account = account_key(name);
    if let Some(seconds) = address_wait(store, ip).await? {
        // A locked account says so whichever address asks.
        return Err(match blocked_until(store, &account, Utc::now()).await? {
            Some(until) => LoginError::Locked { until },
            None => LoginError::Slowed { seconds },
        });
    }
    match claim(store, &account).await? {
        Claim::Granted => {}
        Claim::Locked(until) => return Err(LoginError::Locked { until }),
        Claim::Busy => return Err(LoginError::Busy),
    }
    let checked = check(store, name, password).await;
    let user = match checked {
        Ok(user) => user,
        Err(e) => {
            release(store, &account, Outcome::Abandoned).await?;
            return Err(e.into());
        }
    };
    match user {
        Some(user) => {
            release(store, &account, Outcome::Passed).await?;
            audit::record_alone(
                store,
                &user.actor(ip, request_id),
                login_change("auth.login", name),
            )
            .await?;
            Ok(user)
        }
        None => {
            let locked = release(store, &account, Outcome::Failed).await?;
            record_address_failure(store, ip).await?;
            let action = if locked.is_some() {
                "auth.lockout"
            } else {
                "auth.login_failed"
            };
            let anon = Actor::anonymous(ip, request_id);
            audit::record_alone(store, &anon, login_change(action, name)).await?;
            Err(match locked {
                Some(until) => LoginError::Locked { until },
                None => LoginError::Invalid,
            })
        }
    }
}

/// Checks a signed-in user's current password (for the change form). A wrong one counts
/// towards the account's lock like a failed sign-in, so an unattended session cannot be used
/// to guess the password; at the threshold the account locks and its sessions end.
pub async fn check_current_password(store: &Store, username: &str, password: &str) -> Result<bool> {
    let account = account_key(username);
    if claim(store, &account).await? != Claim::Granted {
        return Ok(false);
    }
    let user = match check(store, username, password).await {
        Ok(user) => user,
        Err(e) => {
            release(store, &account, Outcome::Abandoned).await?;
            return Err(e);
        }
    };
    if user.is_some() {
        release(store, &account, Outcome::Passed).await?;
        return Ok(true);
    }
    if release(store, &account, Outcome::Failed).await?.is_some() {
        let mut tx = store.begin().await?;
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        audit::record(
            store,
            &mut tx,
            &Actor::system("password-change"),
            login_change("auth.lockout", username),
        )
        .await?;
        tx.commit().await?;
        store.sessions().forget_all();
    }
    Ok(false)
}

/// Lifts the lock and forgets the failures of an account name (a new password was set).
pub(crate) async fn lift_lock(tx: &mut Tx, username: &str) -> Result<()> {
    sqlx::query("UPDATE sign_in_guard SET failures = 0, blocked_until = NULL WHERE key = $1")
        .bind(account_key(username))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The account if `password` is its password and it is enabled. Unknown names are verified
/// against a dummy hash so that they take as long.
async fn check(store: &Store, name: &str, password: &str) -> Result<Option<User>> {
    let (user, hash) = match users::find_by_name(store, name).await? {
        Some((user, hash)) => (Some(user), hash),
        None => (None, String::new()),
    };
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        let target = if hash.is_empty() {
            dummy_hash()
        } else {
            hash.as_str()
        };
        verify_password(&pw, target) && !hash.is_empty()
    })
    .await
    .map_err(|e| StoreError::Conflict(format!("password check failed: {e}")))?;
    Ok(user.filter(|u| ok && !u.disabled))
}

/// A real hash, verified against for unknown usernames so they cost the same time.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no-such-user-Q1!").unwrap_or_default())
}

/// Computes the dummy hash now (at start-up) rather than in the first unknown name's sign-in.
pub fn warm_up() {
    dummy_hash();
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    Granted,
    Locked(String),
    Busy,
}

/// Claims a password check for an account name, waiting (up to [`CLAIM_WAIT`]) while the
/// threshold's worth of checks are in progress.
async fn claim(store: &Store, key: &str) -> Result<Claim> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(20);
    loop {
        let now = Utc::now();
        if try_claim(store, key, now).await? {
            return Ok(Claim::Granted);
        }
        if let Some(until) = blocked_until(store, key, now).await? {
            return Ok(Claim::Locked(until));
        }
        if started.elapsed() >= CLAIM_WAIT {
            return Ok(Claim::Busy);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(400));
    }
}

/// One statement reads the name's row and takes a place in it, or leaves it alone (and
/// returns no row) when the name is locked or its places are taken. Expired failures and
/// stale claims are dropped on the way.
async fn try_claim(store: &Store, key: &str, now: DateTime<Utc>) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO sign_in_guard (key, failures, window_start, pending, last_at) \
         VALUES ($1, 0, $2, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN sign_in_guard.window_start < $3 THEN 0 ELSE sign_in_guard.failures END, \
           window_start = CASE WHEN sign_in_guard.window_start < $3 THEN $2 ELSE sign_in_guard.window_start END, \
           pending = CASE WHEN sign_in_guard.last_at < $4 THEN 1 ELSE sign_in_guard.pending + 1 END, \
           last_at = $2 \
         WHERE (sign_in_guard.blocked_until IS NULL OR sign_in_guard.blocked_until <= $2) \
           AND (CASE WHEN sign_in_guard.window_start < $3 THEN 0 ELSE sign_in_guard.failures END) \
             + (CASE WHEN sign_in_guard.last_at < $4 THEN 0 ELSE sign_in_guard.pending END) < $5 \
         RETURNING key",
    )
    .bind(key)
    .bind(time_text(now))
    .bind(time_text(now - Duration::minutes(WINDOW_MINUTES)))
    .bind(time_text(now - Duration::seconds(STALE_CLAIM_SECONDS)))
    .bind(FAILURE_THRESHOLD)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.is_some())
}

async fn blocked_until(store: &Store, key: &str, now: DateTime<Utc>) -> Result<Option<String>> {
    let row = sqlx::query("SELECT blocked_until FROM sign_in_guard WHERE key = $1")
        .bind(key)
        .fetch_optional(&store.pool)
        .await?;
    let until: Option<String> = match row {
        Some(r) => r.try_get("blocked_until")?,
        None => None,
    };
    Ok(until
        .as_deref()
        .and_then(parse_time)
        .filter(|t| *t > now)
        .map(time_text))
}

enum Outcome {
    Passed,
    Failed,
    /// The check could not be made (an error): the place is given back, nothing counted.
    Abandoned,
}

/// Gives the claimed place back with the check's outcome. Returns the lock's end when this
/// failure reached the threshold.
async fn release(store: &Store, key: &str, outcome: Outcome) -> Result<Option<String>> {
    let now = Utc::now();
    let pending = "pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END, last_at = $2";
    match outcome {
        Outcome::Passed | Outcome::Abandoned => {
            let failures = if matches!(outcome, Outcome::Passed) {
                ", failures = 0"
            } else {
                ""
            };
            sqlx::query(&format!(
                "UPDATE sign_in_guard SET {pending}{failures} WHERE key = $1"
            ))
            .bind(key)
            .bind(time_text(now))
            .execute(&store.pool)
            .await?;
            Ok(None)
        }
        Outcome::Failed => {
            let until = time_text(now + Duration::minutes(LOCK_MINUTES));
            let row = sqlx::query(&format!(
                "UPDATE sign_in_guard SET {pending}, \
                   failures = CASE WHEN failures + 1 >= $3 THEN 0 ELSE failures + 1 END, \
                   window_start = CASE WHEN failures = 0 THEN $2 ELSE window_start END, \
                   blocked_until = CASE WHEN failures + 1 >= $3 THEN $4 ELSE blocked_until END \
                 WHERE key = $1 RETURNING blocked_until"
            ))
            .bind(key)
            .bind(time_text(now))
            .bind(FAILURE_THRESHOLD)
            .bind(&until)
            .fetch_optional(&store.pool)
            .await?;
            let blocked: Option<String> = match row {
                Some(r) => r.try_get("blocked_until")?,
                None => None,
            };
            Ok(blocked.filter(|b| *b == until))
        }
    }
}

/// Seconds the address still has to wait, if it is being slowed down.
async fn address_wait(store: &Store, ip: &str) -> Result<Option<i64>> {
    let row =
        sqlx::query("SELECT failures, window_start, last_at FROM sign_in_guard WHERE key = $1")
            .bind(address_key(ip))
            .fetch_optional(&store.pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let now = Utc::now();
    let window_start: String = row.try_get("window_start")?;
    let last_at: String = row.try_get("last_at")?;
    let (Some(window_start), Some(last_at)) = (parse_time(&window_start), parse_time(&last_at))
    else {
        return Ok(None);
    };
    if window_start < now - Duration::minutes(WINDOW_MINUTES) {
        return Ok(None);
    }
    let wait = last_at + address_delay(row.try_get("failures")?) - now;
    Ok((wait > Duration::zero()).then(|| (wait.num_milliseconds() + 999) / 1000))
}

/// Counts a failure against the address (in its window) and forgets rows nobody has used for a
/// day.
async fn record_address_failure(store: &Store, ip: &str) -> Result<()> {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO sign_in_guard (key, failures, window_start, pending, last_at) \
         VALUES ($1, 1, $2, 0, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN sign_in_guard.window_start < $3 THEN 1 ELSE sign_in_guard.failures + 1 END, \
           window_start = CASE WHEN sign_in_guard.window_start < $3 THEN $2 ELSE sign_in_guard.window_start END, \
           last_at = $2",
    )
    .bind(address_key(ip))
    .bind(time_text(now))
    .bind(time_text(now - Duration::minutes(WINDOW_MINUTES)))
    .execute(&store.pool)
    .await?;
    sqlx::query(
        "DELETE FROM sign_in_guard WHERE last_at < $1 AND (blocked_until IS NULL OR blocked_until < $2)",
    )
    .bind(time_text(now - Duration::days(1)))
    .bind(time_text(now))
    .execute(&store.pool)
    .await?;
    Ok(())
}

fn login_change<'a>(action: &'a str, username: &'a str) -> Change<'a> {
    Change {
        action,
        target_type: "user",
        target_id: username,
        before: serde_json::Value::Null,
        after: serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_delay_starts_after_the_free_failures_and_doubles_to_a_cap() {
        let secs = |n| address_delay(n).num_seconds();
        assert_eq!((secs(0), secs(4)), (0, 0));
        assert_eq!((secs(5), secs(6), secs(7)), (1, 2, 4));
        assert_eq!(secs(11), ADDRESS_MAX_DELAY_SECONDS);
        assert_eq!(secs(1_000_000), ADDRESS_MAX_DELAY_SECONDS);
    }
}

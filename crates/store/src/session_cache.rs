//! Sessions checked a moment ago, kept in this process's memory so that a signed-in page does
//! not read the session and the account from the database on every request.
//!
//! An entry is trusted for [`SessionCache::ttl`] (a few seconds) and then read again, so a
//! session ended or an account disabled by another process (or `qcity user …`) stops working
//! there within that time. In this process, every change to accounts, sign-in locks, sessions or
//! units forgets the whole cache at once ([`SessionCache::forget_all`]): such changes are rare,
//! and forgetting everything cannot miss an account a change reaches indirectly (a unit renamed,
//! a district moved under a city).

use crate::users::User;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a checked session is trusted before it is read again (the default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

/// More entries than this and the expired ones are dropped before a new one is kept.
const PRUNE_ABOVE: usize = 10_000;

/// A session as last read from the database.
#[derive(Clone)]
pub(crate) struct Checked {
    pub user: User,
    pub created: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

struct Entry {
    checked: Checked,
    read_at: Instant,
    generation: u64,
}

pub struct SessionCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// Bumped by every forget: an entry read before it is never served after it, even when a
    /// read that started before the change finishes after it.
    generation: AtomicU64,
    ttl: Duration,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
        }
    }

    /// How long an entry is trusted.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The generation a database read starts in; pass it back to [`SessionCache::keep`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The session with this token digest, when it was read less than the TTL ago and nothing
    /// was forgotten since.
    pub(crate) fn get(&self, digest: &str) -> Option<Checked> {
        if self.ttl.is_zero() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().ok()?;
        let e = entries.get(digest)?;
        (e.generation == generation && e.read_at.elapsed() < self.ttl).then(|| e.checked.clone())
    }

    /// Keeps a session read from the database in `generation` (unless a forget came since).
    pub(crate) fn keep(&self, digest: &str, checked: Checked, generation: u64) {
        if self.ttl.is_zero() || generation != self.generation() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= PRUNE_ABOVE {
            let ttl = self.ttl;
            entries.retain(|_, e| e.generation == generation && e.read_at.elapsed() < ttl);
        }
        entries.insert(
            digest.to_string(),
            Entry {
                checked,
                read_at: Instant::now(),
                generation,
            },
        );
    }

    /// Forgets every session: called by each change to accounts, sessions, locks or units.
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qcity_domain::role::Role;

    fn checked() -> Checked {
        let now = Utc::now();
        Checked {
            user: User {
                id: 1,
                username: "a".into(),
                display_name: "A".into(),
                role: Role::Office,
                unit_id: None,
                unit_code: None,
                unit_name: None,
                owner_id: None,
                owner_kind: None,
                must_change_password: false,
                disabled: false,
                locked_until: None,
                created_at: String::new(),
            },
            created: now,
            last_seen: now,
        }
    }

    #[test]
    fn a_forget_wins_over_a_read_that_started_before_it() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let g = cache.generation();
        cache.keep("d", checked(), g);
        assert!(cache.get("d").is_some());
        let g = cache.generation();
        cache.forget_all();
        assert!(cache.get("d").is_none());
        // A read begun before the forget finishes after it: it is not kept.
        cache.keep("d", checked(), g);
        assert!(cache.get("d").is_none());
        cache.keep("d", checked(), cache.generation());
        assert_eq!(cache.get("d").map(|c| c.user.id), Some(1));
    }

    #[test]
    fn an_entry_expires_and_a_zero_ttl_keeps_nothing() {
        let cache = SessionCache::new(Duration::from_millis(20));
        cache.keep("d", checked(), cache.generation());
        assert!(cache.get("d").is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get("d").is_none());
        let off = SessionCache::new(Duration::ZERO);
        off.keep("d", checked(), off.generation());
        assert!(off.get("d").is_none());
    }
}

//! A replay guard: remembers the signatures it has accepted until their
//! validity window closes, and refuses a second request with the same one.
//!
//! Memory is bounded: at most `capacity` entries of 32 bytes (a SHA-256 of
//! scheme, key id and signature) plus their expiry. Eviction rule: expired
//! entries go first; when the guard is still full, the entry closest to its
//! expiry is evicted, so the signature that could be replayed is the one with
//! the least time left. Size the capacity above your peak rate of accepted
//! requests times the window to never evict a live entry. Thread-safe.
//!
//! [`ReplayGuard::redis`] keeps the same record in Redis instead, for a fleet
//! of servers (`replay_redis.rs`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use crate::error::{HmacSigError, Result};
use crate::mac::sha256;

#[derive(Debug, Default)]
struct Seen {
    expiry_of: HashMap<[u8; 32], i64>,
    by_expiry: BTreeSet<(i64, [u8; 32])>,
}

impl Seen {
    fn remove_expired(&mut self, now: i64) {
        while let Some(&(expiry, id)) = self.by_expiry.first() {
            if expiry > now {
                break;
            }
            self.by_expiry.pop_first();
            self.expiry_of.remove(&id);
        }
    }
}

/// Refuses a signature seen before inside its window. Share one per server.
#[derive(Debug)]
#[cfg_attr(feature = "ffi", derive(uniffi::Object))]
pub struct ReplayGuard {
    capacity: u32,
    default_ttl: u32,
    seen: Mutex<Seen>,
    /// Set for a guard in Redis; `seen` is then unused.
    #[cfg(feature = "server")]
    redis: Option<crate::replay_redis::RedisGuard>,
}

#[cfg(feature = "server")]
#[cfg_attr(feature = "ffi", uniffi::export)]
impl ReplayGuard {
    /// A guard in Redis at `url` (`redis://host:port/db`), shared by every
    /// server that uses the same Redis and `namespace`: a request accepted by
    /// one is refused as replayed by all. When Redis cannot be reached it
    /// refuses (`KeyLookupFailed`, 503) unless `fail_open`. `default_ttl` as
    /// for [`Self::new`].
    #[uniffi::constructor(default(namespace = "hmacsig", fail_open = false, default_ttl = 900))]
    pub fn redis(url: String, namespace: String, fail_open: bool, default_ttl: u32) -> Result<Self> {
        let redis = crate::replay_redis::RedisGuard::new(&url, &namespace, fail_open)?;
        Ok(Self { capacity: u32::MAX, default_ttl, seen: Mutex::new(Seen::default()), redis: Some(redis) })
    }
}

#[cfg_attr(feature = "ffi", uniffi::export)]
impl ReplayGuard {
    /// `capacity`: most signatures remembered at once. `default_ttl`: how long
    /// to remember a signature whose scheme has no timestamp (path-body-hex).
    #[uniffi::constructor(default(capacity = 100000, default_ttl = 900))]
    pub fn new(capacity: u32, default_ttl: u32) -> Result<Self> {
        if capacity == 0 {
            return Err(HmacSigError::unsupported("a replay guard needs a capacity of at least 1"));
        }
        Ok(Self {
            capacity,
            default_ttl,
            seen: Mutex::new(Seen::default()),
            #[cfg(feature = "server")]
            redis: None,
        })
    }

    /// Records `signature` (of `key_id`) as seen until `expires_at` (Unix
    /// seconds; `None`: `now + default_ttl`), or fails with `Replayed` if it
    /// was already seen and has not expired. `now`: the system clock when `None`.
    #[uniffi::method(default(expires_at = None, now = None))]
    pub fn check(&self, key_id: &str, signature: &str, expires_at: Option<i64>, now: Option<i64>) -> Result<()> {
        let now = crate::time::now_or_system(now);
        let expires_at = expires_at.unwrap_or_else(|| now.saturating_add(i64::from(self.default_ttl)));
        #[cfg(feature = "server")]
        if let Some(redis) = &self.redis {
            // Already outside its window: nothing to remember (as below).
            return if expires_at <= now { Ok(()) } else { redis.check(key_id, signature, expires_at - now) };
        }
        let mut material = Vec::with_capacity(key_id.len() + signature.len() + 1);
        material.extend_from_slice(key_id.as_bytes());
        material.push(0);
        material.extend_from_slice(signature.as_bytes());
        let id = sha256(&material);
        // A poisoned lock only means another thread panicked mid-update; the
        // maps stay consistent (every update is two inserts or two removes).
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.remove_expired(now);
        if seen.expiry_of.contains_key(&id) {
            return Err(HmacSigError::Replayed { reason: format!("this signature from key id {key_id:?} was already used") });
        }
        if expires_at <= now {
            return Ok(()); // Already outside its window: nothing to remember.
        }
        while seen.expiry_of.len() >= self.capacity as usize {
            if let Some((_, evicted)) = seen.by_expiry.pop_first() {
                seen.expiry_of.remove(&evicted);
            }
        }
        seen.expiry_of.insert(id, expires_at);
        seen.by_expiry.insert((expires_at, id));
        Ok(())
    }

    /// How many signatures are remembered now.
    pub fn len(&self) -> u32 {
        #[cfg(feature = "server")]
        if let Some(redis) = &self.redis {
            return redis.len();
        }
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).expiry_of.len() as u32
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_second_use_inside_the_window() {
        let g = ReplayGuard::new(10, 60).unwrap();
        g.check("k", "sig", Some(1_000), Some(900)).unwrap();
        assert_eq!(g.check("k", "sig", Some(1_000), Some(950)).unwrap_err().kind(), "replayed");
        g.check("other", "sig", Some(1_000), Some(950)).unwrap();
        // After the window closes the entry is gone (and the signature is stale anyway).
        g.check("k", "sig", Some(1_100), Some(1_000)).unwrap();
    }

    #[test]
    fn bounded_with_soonest_expiry_evicted() {
        let g = ReplayGuard::new(3, 60).unwrap();
        for (sig, expiry) in [("a", 500), ("b", 300), ("c", 400)] {
            g.check("k", sig, Some(expiry), Some(100)).unwrap();
        }
        g.check("k", "d", Some(600), Some(100)).unwrap();
        assert_eq!(g.len(), 3);
        g.check("k", "b", Some(300), Some(100)).unwrap(); // evicted: accepted again
        assert_eq!(g.check("k", "a", Some(500), Some(100)).unwrap_err().kind(), "replayed");
    }

    #[test]
    fn default_ttl_and_threads() {
        let g = std::sync::Arc::new(ReplayGuard::new(1000, 60).unwrap());
        let accepted: usize = (0..4)
            .map(|_| {
                let g = g.clone();
                std::thread::spawn(move || (0..100).filter(|i| g.check("k", &i.to_string(), None, Some(0)).is_ok()).count())
            })
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(accepted, 100, "each signature accepted exactly once across threads");
        assert!(g.check("k", "late", None, Some(61)).is_ok());
        assert_eq!(g.len(), 1, "entries past now + ttl expired");
        assert!(ReplayGuard::new(0, 1).is_err());
    }
}

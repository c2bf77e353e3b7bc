//! A replay guard a fleet can share, in Redis (issue 15): each accepted
//! signature is `SET key 1 NX PX ttl`, where the key is the namespace and the
//! SHA-256 of key id and signature (fixed length: nothing of the request is
//! put in a key), and the TTL is the signature's window. The first server to
//! set it accepts; every other, in any process, finds it and refuses.
//!
//! When Redis cannot be reached the guard fails closed by default: the
//! request is refused as `key_lookup_failed` (503, the server's fault);
//! `fail_open` accepts it instead.
//!
//! Connections are pooled: a call takes an idle one (or opens one), so threads
//! of one server run their `SET`s side by side instead of queueing on one
//! socket; at most [`MAX_IDLE`] are kept. A connection that fails is dropped
//! and the call retried once on a new one (a restarted Redis is found again).

use std::sync::Mutex;

use crate::error::{HmacSigError, Result};
use crate::mac::{sha256, to_hex};

/// Idle connections kept per guard: about the threads of a busy server.
const MAX_IDLE: usize = 16;

pub(crate) struct RedisGuard {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
    namespace: String,
    fail_open: bool,
}

impl std::fmt::Debug for RedisGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisGuard").field("namespace", &self.namespace).field("fail_open", &self.fail_open).finish_non_exhaustive()
    }
}

impl RedisGuard {
    pub(crate) fn new(url: &str, namespace: &str, fail_open: bool) -> Result<Self> {
        if namespace.is_empty() || namespace.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(HmacSigError::unsupported(format!("a replay guard's namespace is a non-empty word, not {namespace:?}")));
        }
        let client =
            redis::Client::open(url).map_err(|e| HmacSigError::unsupported(format!("not a Redis URL ({e}): use redis://host:port/db")))?;
        Ok(Self { client, idle: Mutex::new(Vec::new()), namespace: namespace.to_owned(), fail_open })
    }

    fn key(&self, key_id: &str, signature: &str) -> String {
        let mut material = Vec::with_capacity(key_id.len() + signature.len() + 1);
        material.extend_from_slice(key_id.as_bytes());
        material.push(0);
        material.extend_from_slice(signature.as_bytes());
        format!("{}:replay:{}", self.namespace, to_hex(&sha256(&material)))
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<redis::Connection>> {
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `command` on an idle connection or a new one, and once more on a
    /// new one when the first fails at the transport. The lock is held only
    /// to take and return a connection, never across a round trip.
    fn run<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> redis::RedisResult<T> {
        let mut pooled = self.idle().pop();
        for attempt in 0..2 {
            let mut connection = match pooled.take() {
                Some(connection) => connection,
                None => self.client.get_connection_with_timeout(std::time::Duration::from_secs(2))?,
            };
            match command.query(&mut connection) {
                Ok(value) => {
                    let mut idle = self.idle();
                    if idle.len() < MAX_IDLE {
                        idle.push(connection);
                    }
                    return Ok(value);
                }
                Err(e) if attempt == 0 && (e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()) => {}
                Err(e) => return Err(e),
            }
        }
        unreachable!("the second attempt returns")
    }

    /// `Replayed` when another check (in any process) set it first.
    pub(crate) fn check(&self, key_id: &str, signature: &str, ttl_seconds: i64) -> Result<()> {
        let ttl_ms = ttl_seconds.saturating_mul(1000).max(1);
        let set: redis::RedisResult<Option<String>> =
            self.run(redis::cmd("SET").arg(self.key(key_id, signature)).arg(1).arg("NX").arg("PX").arg(ttl_ms));
        match set {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(HmacSigError::Replayed { reason: format!("this signature from key id {key_id:?} was already used") }),
            Err(_) if self.fail_open => Ok(()),
            Err(e) => Err(HmacSigError::KeyLookupFailed { reason: format!("the replay guard's Redis failed: {e}") }),
        }
    }

    /// How many signatures the namespace remembers (a `SCAN`: for tests and
    /// operators, not for a request path). 0 when Redis cannot be reached.
    pub(crate) fn len(&self) -> u32 {
        let pattern = format!("{}:replay:*", self.namespace);
        let mut cursor = 0u64;
        let mut count = 0u32;
        loop {
            let page: redis::RedisResult<(u64, Vec<String>)> =
                self.run(redis::cmd("SCAN").arg(cursor).arg("MATCH").arg(&pattern).arg("COUNT").arg(1000));
            let Ok((next, keys)) = page else { return count };
            count = count.saturating_add(keys.len() as u32);
            if next == 0 {
                return count;
            }
            cursor = next;
        }
    }
}

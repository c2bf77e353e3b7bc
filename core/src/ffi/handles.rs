//! Object ids for the C entry: the language layers name a `Signer` or a
//! `Verifier` by an id from this table, never by its address.
//!
//! Contract:
//! - An id is made once per object, the first time a layer asks
//!   ([`hmacsig_signer_id`], [`hmacsig_verifier_id`]), and never reused.
//! - The table holds only weak references: it keeps nothing alive. An object
//!   leaves it when it is dropped.
//! - A call upgrades the weak reference for its own duration, so freeing the
//!   object on another thread under a running call is safe: that call
//!   finishes with it, and later calls find the id gone ([`super::CLOSED`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock, RwLock, Weak};

use crate::signer::Signer;
use crate::verifier::Verifier;

pub(crate) enum Object {
    Signer(Weak<Signer>),
    Verifier(Weak<Verifier>),
}

static OBJECTS: LazyLock<RwLock<HashMap<u64, Object>>> = LazyLock::new(Default::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The id of `object`, made and entered in the table on first use.
fn id_of<T>(slot: &OnceLock<u64>, object: &Arc<T>, entry: impl FnOnce(Weak<T>) -> Object) -> u64 {
    *slot.get_or_init(|| {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        OBJECTS.write().unwrap_or_else(|e| e.into_inner()).insert(id, entry(Arc::downgrade(object)));
        id
    })
}

pub(crate) fn signer_id(signer: &Arc<Signer>) -> u64 {
    id_of(&signer.ffi_id, signer, Object::Signer)
}

pub(crate) fn verifier_id(verifier: &Arc<Verifier>) -> u64 {
    id_of(&verifier.ffi_id, verifier, Object::Verifier)
}

/// The live signer with this id, held for the caller's call.
pub(crate) fn signer(id: u64) -> Option<Arc<Signer>> {
    match OBJECTS.read().unwrap_or_else(|e| e.into_inner()).get(&id)? {
        Object::Signer(weak) => weak.upgrade(),
        Object::Verifier(_) => None,
    }
}

/// The live verifier with this id, held for the caller's call.
pub(crate) fn verifier(id: u64) -> Option<Arc<Verifier>> {
    match OBJECTS.read().unwrap_or_else(|e| e.into_inner()).get(&id)? {
        Object::Verifier(weak) => weak.upgrade(),
        Object::Signer(_) => None,
    }
}

/// Takes a dropped object's id out of the table (from its `Drop`).
pub(crate) fn forget(slot: &OnceLock<u64>) {
    if let Some(id) = slot.get() {
        OBJECTS.write().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// Lifts a UniFFI handle the caller cloned for us (`uniffiCloneHandle()`):
/// the same ownership transfer as a generated method call, so the strong
/// reference it carries is ours, and dropped when we return.
///
/// # Safety
/// `handle` is a cloned UniFFI handle of a `T`, used once.
unsafe fn lift<T>(handle: u64) -> Option<Arc<T>> {
    // SAFETY: the caller's contract; 0 and foreign (odd) handles are refused.
    let handle = unsafe { uniffi::Handle::from_raw(handle) }?;
    (!handle.is_foreign()).then(|| unsafe { handle.into_arc::<T>() })
}

/// The id of the `Signer` behind a cloned UniFFI handle (0 for a null or
/// foreign handle). Each layer calls it once per object.
///
/// # Safety
/// `handle` is the result of the generated `Signer`'s `uniffiCloneHandle()`
/// (Python: `_uniffi_clone_handle()`), passed here once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hmacsig_signer_id(handle: u64) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { lift::<Signer>(handle) }.map_or(0, |signer| signer_id(&signer))
}

/// As [`hmacsig_signer_id`], for a `Verifier`.
///
/// # Safety
/// `handle` is the result of the generated `Verifier`'s `uniffiCloneHandle()`,
/// passed here once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hmacsig_verifier_id(handle: u64) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { lift::<Verifier>(handle) }.map_or(0, |verifier| verifier_id(&verifier))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Scheme};

    fn a_signer() -> Arc<Signer> {
        Arc::new(Signer::new(Scheme::path_body_hex("sha256".into()).unwrap(), Arc::new(Credentials::new("k".into(), b"s".to_vec()))))
    }

    #[test]
    fn ids_are_stable_distinct_typed_and_forgotten_on_drop() {
        let (a, b) = (a_signer(), a_signer());
        let id = signer_id(&a);
        assert_eq!(signer_id(&a), id, "one id per object");
        assert_ne!(signer_id(&b), id);
        assert!(Arc::ptr_eq(&signer(id).unwrap(), &a));
        assert!(verifier(id).is_none(), "a signer's id names no verifier");
        drop(a);
        assert!(signer(id).is_none(), "a dropped object's id is gone");
        assert!(signer(signer_id(&b)).is_some());
    }

    #[test]
    fn a_call_keeps_its_object_alive_when_the_owner_drops_it() {
        let owner = a_signer();
        let id = signer_id(&owner);
        let in_call = signer(id).unwrap();
        drop(owner);
        assert_eq!(in_call.key_id(), "k", "still usable for the rest of the call");
        drop(in_call);
        assert!(signer(id).is_none());
    }

    #[test]
    fn cloned_uniffi_handles_are_lifted_and_released() {
        let signer_arc = a_signer();
        let handle = uniffi::Handle::from_arc(signer_arc.clone()).as_raw();
        assert_eq!(Arc::strong_count(&signer_arc), 2);
        let id = unsafe { hmacsig_signer_id(handle) };
        assert_eq!(Arc::strong_count(&signer_arc), 1, "the cloned handle's reference was released");
        assert_eq!(id, signer_id(&signer_arc));
        assert_eq!(unsafe { hmacsig_signer_id(0) }, 0);
        assert_eq!(unsafe { hmacsig_verifier_id(1) }, 0, "a foreign handle is refused");
    }
}

//! The C entries that give a `Signer` or a `Verifier` its id
//! ([`hmacsig_signer_id`], [`hmacsig_verifier_id`]), and the typed lookups
//! the entry makes; the table and its contract are `crate::object_ids`.

use std::sync::Arc;

use crate::object_ids;
use crate::signer::Signer;
use crate::verifier::Verifier;

pub(crate) fn signer_id(signer: &Arc<Signer>) -> u64 {
    signer.ffi_id.get_or_register(signer)
}

pub(crate) fn verifier_id(verifier: &Arc<Verifier>) -> u64 {
    verifier.ffi_id.get_or_register(verifier)
}

/// The live signer with this id, held for the caller's call.
pub(crate) fn signer(id: u64) -> Option<Arc<Signer>> {
    object_ids::lookup(id)
}

/// The live verifier with this id, held for the caller's call.
pub(crate) fn verifier(id: u64) -> Option<Arc<Verifier>> {
    object_ids::lookup(id)
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

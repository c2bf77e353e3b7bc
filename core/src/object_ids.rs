//! Ids for the objects the language layers name (`Signer`, `Verifier`), so
//! that no address ever reaches foreign code (docs/ffi.md, "Object ids").
//!
//! Contract:
//! - An object gets its id the first time one is asked for
//!   ([`ObjectId::get_or_register`]); ids are never reused.
//! - The table holds only weak references: it keeps nothing alive. An
//!   object's [`ObjectId`] takes its entry out when the object is dropped.
//! - [`lookup`] upgrades the weak reference for the caller's call, so an
//!   object freed on another thread under a running call lives until that
//!   call returns, and later lookups find nothing.
//!
//! Type-erased (`dyn Any`), so that it sits below the types it names.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock, RwLock, Weak};

type Entry = Weak<dyn Any + Send + Sync>;

static OBJECTS: LazyLock<RwLock<HashMap<u64, Entry>>> = LazyLock::new(Default::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An object's id, once it has one; a field of the object it names.
#[derive(Debug, Default)]
pub(crate) struct ObjectId(OnceLock<u64>);

impl ObjectId {
    /// The id of `object` (whose field this is), entered in the table on first use.
    pub(crate) fn get_or_register<T: Any + Send + Sync>(&self, object: &Arc<T>) -> u64 {
        *self.0.get_or_init(|| {
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            let weak: Entry = Arc::downgrade(object) as Weak<dyn Any + Send + Sync>;
            OBJECTS.write().unwrap_or_else(|e| e.into_inner()).insert(id, weak);
            id
        })
    }
}

impl Drop for ObjectId {
    fn drop(&mut self) {
        if let Some(id) = self.0.get() {
            OBJECTS.write().unwrap_or_else(|e| e.into_inner()).remove(id);
        }
    }
}

/// The live object of type `T` with this id, held for the caller's call.
pub(crate) fn lookup<T: Any + Send + Sync>(id: u64) -> Option<Arc<T>> {
    let object = OBJECTS.read().unwrap_or_else(|e| e.into_inner()).get(&id)?.upgrade()?;
    object.downcast::<T>().ok()
}

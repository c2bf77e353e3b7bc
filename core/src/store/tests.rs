use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;
use crate::{Header, Request, Scheme, Signer, Verifier};

const MASTER: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const OTHER_MASTER: &str = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=";
const NOW: i64 = 1_700_000_000;

fn temp_store() -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new();
    let url = format!("sqlite:{}", dir.path.join("keys.db").display());
    (dir, url)
}

/// A throwaway directory (std only), removed on drop.
mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!("hmacsig-store-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
            std::fs::create_dir_all(&path).unwrap();
            Self { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn signed(secret: &str, now: i64) -> Request {
    let scheme = Scheme::api_auth("sha256".into(), vec![], None).unwrap();
    let signer = Signer::new(scheme, Arc::new(Credentials::new("client-1".into(), secret.as_bytes().to_vec())));
    let mut r = Request { method: "GET".into(), target: "/orders".into(), headers: vec![Header::new("Host", "a.example")], body: vec![] };
    r.headers.extend(signer.sign_request(r.clone(), Some(now)).unwrap().headers);
    r
}

fn verifier(store: &Arc<KeyStore>) -> Verifier {
    Verifier::with_store(Scheme::api_auth("sha256".into(), vec![], None).unwrap(), store.clone(), None, None).unwrap()
}

#[test]
fn create_rotate_and_the_grace_period() {
    let (_dir, url) = temp_store();
    let store = KeyStore::open(url, Some(MASTER.into())).unwrap();
    let first = store.create("client-1".into()).unwrap();
    assert_eq!(first.len(), 88, "the gem's generator");
    assert!(matches!(store.create("client-1".into()), Err(KeyStoreError::AlreadyExists { .. })));
    let v = verifier(&store);
    assert_eq!(v.verify_request(signed(&first, NOW), Some(NOW)).unwrap(), "client-1");

    let second = store.rotate("client-1".into(), 600, Some(NOW)).unwrap();
    assert_ne!(first, second);
    // During the grace period both verify; after it only the new one.
    assert_eq!(v.verify_request(signed(&first, NOW + 10), Some(NOW + 10)).unwrap(), "client-1");
    assert_eq!(v.verify_request(signed(&second, NOW + 10), Some(NOW + 10)).unwrap(), "client-1");
    let late = NOW + 601;
    assert_eq!(v.verify_request(signed(&first, late), Some(late)).unwrap_err().kind(), "bad_signature");
    assert_eq!(v.verify_request(signed(&second, late), Some(late)).unwrap(), "client-1");
    assert_eq!(v.verify_request(signed("not a secret of the store", NOW), Some(NOW)).unwrap_err().kind(), "bad_signature");

    let listed = store.list(Some(NOW + 10)).unwrap();
    let states: Vec<(u32, KeyState)> = listed.iter().map(|k| (k.version, k.state)).collect();
    assert_eq!(states, vec![(2, KeyState::Active), (1, KeyState::Expiring)]);
    assert_eq!(listed[1].expires_at, Some(NOW + 600));
    assert_eq!(store.list(Some(late)).unwrap()[1].state, KeyState::Expired);
    let shown = format!("{listed:?}");
    assert!(!shown.contains(&first) && !shown.contains(&second), "list never shows a secret");
    assert!(matches!(store.rotate("nobody".into(), 60, None), Err(KeyStoreError::NotFound { .. })));
}

#[test]
fn revoke_a_key_id_or_one_version() {
    let (_dir, url) = temp_store();
    let store = KeyStore::open(url, Some(MASTER.into())).unwrap();
    let first = store.create("client-1".into()).unwrap();
    let second = store.rotate("client-1".into(), 3600, Some(NOW)).unwrap();
    let v = verifier(&store);
    store.revoke("client-1".into(), Some(1)).unwrap();
    assert_eq!(v.verify_request(signed(&first, NOW), Some(NOW)).unwrap_err().kind(), "bad_signature");
    assert_eq!(v.verify_request(signed(&second, NOW), Some(NOW)).unwrap(), "client-1");
    store.revoke("client-1".into(), None).unwrap();
    assert_eq!(v.verify_request(signed(&second, NOW), Some(NOW)).unwrap_err().kind(), "unknown_key");
    assert!(matches!(store.revoke("client-1".into(), None), Err(KeyStoreError::NotFound { .. })));
    assert_eq!(v.verify_request(signed(&second, NOW), Some(NOW)).unwrap_err().kind(), "unknown_key");
}

#[test]
fn no_secret_is_in_the_file_in_any_form() {
    let (dir, url) = temp_store();
    let store = KeyStore::open(url, Some(MASTER.into())).unwrap();
    let secrets = [store.create("a".into()).unwrap(), store.create("b".into()).unwrap(), store.rotate("a".into(), 60, None).unwrap()];
    drop(store);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&dir.path).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap()); // the database, its WAL and index
    }
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for secret in &secrets {
        let raw = BASE64.decode(secret).unwrap();
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        for form in [secret.as_bytes(), &raw[..16], hex.as_bytes(), BASE64.encode(secret).as_bytes()] {
            assert!(!contains(form), "a secret is in the store's files");
        }
    }
}

#[test]
fn a_wrong_or_missing_master_key_fails_and_changes_nothing() {
    let (dir, url) = temp_store();
    let store = KeyStore::open(url.clone(), Some(MASTER.into())).unwrap();
    store.create("client-1".into()).unwrap();
    drop(store);
    let path = dir.path.join("keys.db");
    let before = std::fs::read(&path).unwrap();
    let err = KeyStore::open(url.clone(), Some(OTHER_MASTER.into())).unwrap_err();
    assert!(matches!(&err, KeyStoreError::MasterKey { reason } if reason.contains("does not open")), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "byte for byte unchanged");
    assert!(matches!(KeyStore::open(url.clone(), Some("short".into())), Err(KeyStoreError::MasterKey { .. })));
    assert!(matches!(KeyStore::open("mysql://x".into(), Some(MASTER.into())), Err(KeyStoreError::InvalidInput { .. })));
}

#[test]
fn rekey_moves_every_record_to_the_new_master_key() {
    let (_dir, url) = temp_store();
    let store = KeyStore::open(url.clone(), Some(MASTER.into())).unwrap();
    let a = store.create("a".into()).unwrap();
    let b = store.create("b".into()).unwrap();
    store.rekey(OTHER_MASTER.into()).unwrap();
    let v = verifier(&store);
    let scheme = Scheme::api_auth("sha256".into(), vec![], None).unwrap();
    for (key_id, secret) in [("a", &a), ("b", &b)] {
        let signer = Signer::new(scheme.clone(), Arc::new(Credentials::new(key_id.into(), secret.as_bytes().to_vec())));
        let mut r = Request { method: "GET".into(), target: "/".into(), headers: vec![], body: vec![] };
        r.headers.extend(signer.sign_request(r.clone(), Some(NOW)).unwrap().headers);
        assert_eq!(v.verify_request(r, Some(NOW)).unwrap(), key_id);
    }
    drop((v, store));
    assert!(matches!(KeyStore::open(url.clone(), Some(MASTER.into())), Err(KeyStoreError::MasterKey { .. })));
    let reopened = KeyStore::open(url, Some(OTHER_MASTER.into())).unwrap();
    assert_eq!(reopened.list(None).unwrap().len(), 2);
}

#[test]
fn a_store_that_fails_is_key_lookup_failed() {
    let (dir, url) = temp_store();
    let store = KeyStore::open(url, Some(MASTER.into())).unwrap();
    let secret = store.create("client-1".into()).unwrap();
    // The table disappears under the verifier: the store cannot answer.
    let path = dir.path.join("keys.db");
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("DROP TABLE hmacsig_secrets").unwrap();
    let err = verifier(&store).verify_request(signed(&secret, NOW), Some(NOW)).unwrap_err();
    assert_eq!((err.kind(), crate::http_status(err.kind())), ("key_lookup_failed", 503));
}

#[test]
fn at_most_a_few_secrets_are_tried() {
    let (_dir, url) = temp_store();
    let store = KeyStore::open(url, Some(MASTER.into())).unwrap();
    let oldest = store.create("client-1".into()).unwrap();
    for _ in 0..MAX_VALID_SECRETS {
        store.rotate("client-1".into(), 3600, Some(NOW)).unwrap();
    }
    // Four live versions: the oldest is past the bound and never tried.
    assert_eq!(store.valid_credentials("client-1", NOW).unwrap().len(), MAX_VALID_SECRETS);
    assert_eq!(verifier(&store).verify_request(signed(&oldest, NOW), Some(NOW)).unwrap_err().kind(), "bad_signature");
}

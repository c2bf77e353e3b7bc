//! One `Signer` and one `Verifier` (with a `ReplayGuard`) shared by 8 threads,
//! 200,000 operations each (over the five schemes, one after the other): no error, every signature
//! identical to the one signed on a single thread, and every signed request
//! accepted exactly once however the threads race to verify it (the other
//! tries are `replayed`). Deterministic inputs (SplitMix64). Under emulation
//! (`HMACSIG_TEST_EMULATED`, see `size`) smaller: 10,000 operations per thread.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{Rng, random_request};
use hmacsig::{ContentDigest, Credentials, Header, HeaderStyle, ReplayGuard, Request, Scheme, SignatureType, Signer, Verifier};

const THREADS: usize = 8;
/// Operations per thread per scheme (signs and verifies): 200,000 per thread over the five.
const OPERATIONS: usize = 40_000;
/// Distinct requests: each signed once per thread (checked against the single-threaded
/// signature) and verified by every thread (accepted once, replayed the rest).
const REQUESTS: usize = 4_000;
const NOW: i64 = 1_700_000_000;

/// Operations per thread per scheme, and distinct requests: the full size natively; a
/// twentieth of the operations over an eighth of the requests (still 8 threads racing for
/// each) when `HMACSIG_TEST_EMULATED` is set (any value). `cargo xtask cross` sets it: it
/// runs these tests under qemu-user, where the full size takes over 6 minutes (s390x).
fn size() -> (usize, usize) {
    if std::env::var_os("HMACSIG_TEST_EMULATED").is_some() { (OPERATIONS / 20, REQUESTS / 8) } else { (OPERATIONS, REQUESTS) }
}

fn schemes() -> Vec<Arc<Scheme>> {
    vec![
        Scheme::api_auth("sha256".into(), vec!["X-Request-Id".into()], None).unwrap(),
        Scheme::path_body_hex("sha1".into()).unwrap(),
        Scheme::timestamped(Some(HeaderStyle::XRequest), false),
        Scheme::aws_sigv4("us-east-1".into(), "service".into(), None, false, true, true, true, Some(SignatureType::Header), 3600).unwrap(),
        Scheme::rfc9421(None, "sig1".into(), None, None, None, None, true, Some(ContentDigest::Sha256)).unwrap(),
    ]
}

/// A request made distinct by its id (the schemes that sign no header see it in the path).
fn request(rng: &mut Rng, i: usize) -> Request {
    let mut r = random_request(rng, false);
    let (path, query) = r.target.split_once('?').unwrap_or((&r.target, ""));
    r.target = format!("{path}/n{i}{}{query}", if query.is_empty() { "" } else { "?" });
    r.headers.push(Header::new("X-Seq", i.to_string()));
    r
}

#[test]
fn shared_signer_and_verifier_agree_with_one_thread_and_catch_every_replay_once() {
    let (operations_per_thread, request_count) = size();
    for scheme in schemes() {
        let name = scheme.name();
        let credentials = Arc::new(Credentials::new("key-1".into(), b"concurrency-secret".to_vec()));
        let signer = Arc::new(Signer::new(scheme.clone(), credentials));
        let guard = Arc::new(ReplayGuard::new(2 * request_count as u32, 900).unwrap());
        let keys = HashMap::from([("key-1".to_owned(), b"concurrency-secret".to_vec())]);
        let verifier = Arc::new(Verifier::with_keys(scheme.clone(), keys, None, Some(guard)).unwrap());

        let mut rng = Rng(0xC0C0_0000 ^ name.len() as u64);
        let requests: Vec<Request> = (0..request_count).map(|i| request(&mut rng, i)).collect();
        // On one thread, before any sharing: the signatures every thread must reproduce.
        let expected: Vec<_> = requests.iter().map(|r| signer.sign_request(r.clone(), Some(NOW)).unwrap()).collect();
        let signed: Vec<Request> = requests
            .iter()
            .zip(&expected)
            .map(|(r, s)| {
                let mut r = r.clone();
                r.headers.extend(s.headers.iter().cloned());
                r
            })
            .collect();
        let accepted: Vec<AtomicU32> = (0..request_count).map(|_| AtomicU32::new(0)).collect();
        let replayed = AtomicU32::new(0);

        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (signer, verifier, requests, expected, signed, accepted, replayed, name) =
                    (&signer, &verifier, &requests, &expected, &signed, &accepted, &replayed, &name);
                s.spawn(move || {
                    let mut operations = 0;
                    // Each thread walks the requests from its own starting point, so that
                    // every request is raced for by threads at different moments.
                    for k in 0..request_count {
                        let i = (k + t * request_count / THREADS) % request_count;
                        let again = signer.sign_request(requests[i].clone(), Some(NOW)).unwrap();
                        assert_eq!(again, expected[i], "{name} thread {t}: request {i} signed differently");
                        match verifier.verify_request(signed[i].clone(), Some(NOW + 1)) {
                            Ok(key_id) => {
                                assert_eq!(key_id, "key-1");
                                accepted[i].fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) if e.kind() == "replayed" => {
                                replayed.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) => panic!("{name} thread {t}: request {i}: {e}"),
                        }
                        operations += 2;
                    }
                    // The rest of the operations: verifies again, all replays.
                    for i in (0..request_count).cycle().take(operations_per_thread - operations) {
                        match verifier.verify_request(signed[i].clone(), Some(NOW + 1)) {
                            Err(e) if e.kind() == "replayed" => replayed.fetch_add(1, Ordering::SeqCst),
                            other => panic!("{name} thread {t}: request {i} verified again: {other:?}"),
                        };
                    }
                });
            }
        });
        let once = accepted.iter().filter(|a| a.load(Ordering::SeqCst) == 1).count();
        assert_eq!(once, request_count, "{name}: every signed request is accepted exactly once");
        let verifies = THREADS * (operations_per_thread - request_count);
        assert_eq!(replayed.load(Ordering::SeqCst) as usize, verifies - request_count, "{name}: every other verify is a replay");
    }
}

//! Streaming bodies over the public API: signing with a `BodyDigest` from a
//! `BodyHasher` (fed the body in any chunking) must give exactly what signing
//! the bytes gives, for every scheme that signs a hash of the body; the
//! others, and digests of the wrong algorithm, are typed errors. One test
//! signs a 4 GiB body generated on the fly, in constant memory.
//! Deterministic (SplitMix64 with fixed seeds); a failure prints its case.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{METHODS, Rng, random_request};
use hmacsig::{BodyDigest, BodyHasher, ContentDigest, Credentials, Header, HeaderStyle, Scheme, SignatureType, Signer};
use sha2::{Digest as _, Sha256};

const CASES: u64 = 200;
const NOW: i64 = 1_700_000_000;

fn signer(scheme: Arc<Scheme>) -> Signer {
    Signer::new(scheme, Arc::new(Credentials::new("key-1".into(), b"streaming-secret".to_vec())))
}

fn aws(sign_body: bool, signature_type: SignatureType, session_token: Option<&str>) -> Arc<Scheme> {
    let token = session_token.map(str::to_owned);
    Scheme::aws_sigv4("us-east-1".into(), "s3".into(), token, false, false, false, sign_body, Some(signature_type), 900).unwrap()
}

fn rfc9421(components: &[&str], content_digest: Option<ContentDigest>) -> Arc<Scheme> {
    let components = Some(components.iter().map(|c| c.to_string()).collect());
    Scheme::rfc9421(components, "sig1".into(), None, None, None, None, true, content_digest).unwrap()
}

/// `body` through a `BodyHasher` in a random chunking: whole, byte by byte,
/// or random sizes with empty chunks in between.
fn hash_in_chunks(rng: &mut Rng, algorithm: ContentDigest, body: &[u8]) -> (String, BodyDigest) {
    let hasher = BodyHasher::new(Some(algorithm));
    let how = match rng.below(3) {
        0 => {
            hasher.update(body).unwrap();
            "whole".to_owned()
        }
        1 => {
            body.chunks(1).for_each(|byte| hasher.update(byte).unwrap());
            "1-byte chunks".to_owned()
        }
        _ => {
            let mut sizes = Vec::new();
            let mut rest = body;
            while !rest.is_empty() || rng.below(3) == 0 {
                let size = if rng.below(4) == 0 { 0 } else { 1 + rng.below(300) }.min(rest.len());
                let (chunk, tail) = rest.split_at(size);
                hasher.update(chunk).unwrap();
                sizes.push(size);
                rest = tail;
            }
            format!("chunks {sizes:?}")
        }
    };
    (how, hasher.finish().unwrap())
}

/// Random requests (any method, bodies of 0..=4 KiB, so several hash blocks
/// and their edges) signed both ways; the results must be identical.
fn check_equal(seed: u64, what: &str, scheme: Arc<Scheme>, algorithm: impl Fn(&mut Rng) -> ContentDigest, preset: &[Header]) {
    let signer = signer(scheme);
    let mut rng = Rng(seed);
    for case in 0..CASES {
        let mut request = random_request(&mut rng, false);
        request.method = rng.pick(&METHODS).to_string();
        request.body = match rng.below(4) {
            0 => vec![],
            1 => rng.bytes(200),
            _ => rng.bytes(4096),
        };
        if rng.below(4) == 0 {
            request.headers.extend(preset.iter().cloned());
        }
        let algorithm = algorithm(&mut rng);
        let (how, digest) = hash_in_chunks(&mut rng, algorithm, &request.body);
        assert_eq!(digest.length, request.body.len() as u64);
        let (method, target, headers) = (request.method.clone(), request.target.clone(), request.headers.clone());
        let from_bytes = signer.sign(method.clone(), target.clone(), headers.clone(), &request.body, Some(NOW));
        let from_digest = signer.sign_with_body_digest(method, target, headers, digest, Some(NOW));
        assert_eq!(from_digest, from_bytes, "{what} case {case} ({how}, {algorithm:?}): {request:?}");
        assert!(from_bytes.is_ok(), "{what} case {case}: {from_bytes:?}");
    }
}

fn sha256(_: &mut Rng) -> ContentDigest {
    ContentDigest::Sha256
}

#[test]
fn api_auth_digest_signing_equals_byte_signing() {
    // GET, DELETE and HEAD carry no content hash; a preset one is kept.
    let preset = [Header::new("X-Authorization-Content-SHA256", "preset")];
    for digest in ["sha1", "sha256", "sha512"] {
        let scheme = Scheme::api_auth(digest.into(), vec!["X-Request-Id".into()], None).unwrap();
        check_equal(0xA91, &format!("api-auth {digest}"), scheme, sha256, &preset);
    }
}

#[test]
fn aws_sigv4_digest_signing_equals_byte_signing() {
    let preset = [Header::new("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")];
    for (sign_body, signature_type, token) in [
        (false, SignatureType::Header, None),
        (true, SignatureType::Header, None),
        (true, SignatureType::Header, Some("session")),
        (false, SignatureType::Query, None),
        (true, SignatureType::Query, Some("session")),
    ] {
        let what = format!("aws-sigv4 sign_body={sign_body} {signature_type:?} token={token:?}");
        check_equal(0xA3, &what, aws(sign_body, signature_type, token), sha256, &preset);
    }
}

#[test]
fn rfc9421_digest_signing_equals_byte_signing() {
    let components = ["@method", "@target-uri", "x-request-id"];
    for algorithm in [ContentDigest::Sha256, ContentDigest::Sha512] {
        check_equal(0x9421, &format!("rfc9421 {algorithm:?}"), rfc9421(&components, Some(algorithm)), move |_| algorithm, &[]);
    }
    // Without `content_digest` the body is not signed: a digest of either algorithm does.
    let either = |rng: &mut Rng| *rng.pick(&[ContentDigest::Sha256, ContentDigest::Sha512]);
    check_equal(0x9422, "rfc9421 without content_digest", rfc9421(&components, None), either, &[]);
}

fn post() -> (String, String, Vec<Header>) {
    let headers = vec![Header::new("Host", "api.example.com"), Header::new("Date", "Tue, 14 Nov 2023 22:13:20 GMT")];
    ("POST".into(), "/upload?part=1".into(), headers)
}

fn sign_digest(scheme: Arc<Scheme>, digest: BodyDigest) -> Result<hmacsig::SignedRequest, hmacsig::HmacSigError> {
    let (method, target, headers) = post();
    signer(scheme).sign_with_body_digest(method, target, headers, digest, Some(NOW))
}

#[test]
fn a_digest_of_the_wrong_algorithm_says_which_one_is_needed() {
    let sha512 = BodyDigest::of(ContentDigest::Sha512, b"body");
    let sha256 = BodyDigest::of(ContentDigest::Sha256, b"body");
    let api_auth = Scheme::api_auth("sha256".into(), vec![], None).unwrap();
    for (scheme, digest, needed) in [
        (api_auth.clone(), &sha512, "the api-auth content hash needs a sha-256 digest of the body, but a sha-512 digest was given"),
        (aws(false, SignatureType::Header, None), &sha512, "the aws-sigv4 payload hash needs a sha-256 digest"),
        (aws(true, SignatureType::Query, None), &sha512, "the aws-sigv4 payload hash needs a sha-256 digest"),
        (rfc9421(&["@method"], Some(ContentDigest::Sha512)), &sha256, "the rfc9421 Content-Digest needs a sha-512 digest"),
    ] {
        let error = sign_digest(scheme.clone(), digest.clone()).unwrap_err();
        assert_eq!(error.kind(), "invalid_request", "{}: {error}", scheme.name());
        assert!(error.reason().starts_with(needed), "{}: {error}", scheme.name());
    }
    // Where the byte path would not hash the body, any digest signs.
    let get = signer(api_auth.clone()).sign_with_body_digest("GET".into(), "/".into(), post().2, sha512.clone(), Some(NOW));
    assert_eq!(get, signer(api_auth).sign("GET".into(), "/".into(), post().2, b"body", Some(NOW)));
    let mut headers = post().2;
    headers.push(Header::new("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"));
    let unsigned = signer(aws(false, SignatureType::Header, None));
    assert_eq!(
        unsigned.sign_with_body_digest("PUT".into(), "/".into(), headers.clone(), sha512, Some(NOW)),
        unsigned.sign("PUT".into(), "/".into(), headers, b"body", Some(NOW))
    );
}

#[test]
fn schemes_that_mac_the_bytes_refuse_a_digest() {
    let digest = BodyDigest::of(ContentDigest::Sha256, b"body");
    for scheme in [Scheme::path_body_hex("sha256".into()).unwrap(), Scheme::timestamped(Some(HeaderStyle::XRequest), false)] {
        let error = sign_digest(scheme.clone(), digest.clone()).unwrap_err();
        assert_eq!(error.kind(), "unsupported", "{}", scheme.name());
        assert_eq!(
            error.reason(),
            format!("the {} scheme MACs the body bytes themselves, so it cannot sign from a body digest; pass the body", scheme.name())
        );
    }
}

#[test]
fn hand_built_digests_and_spent_hashers_are_typed_errors() {
    let api_auth = Scheme::api_auth("sha256".into(), vec![], None).unwrap();
    let short = BodyDigest { algorithm: ContentDigest::Sha256, digest: vec![0; 31], length: 4 };
    let error = sign_digest(api_auth.clone(), short).unwrap_err();
    assert_eq!((error.kind(), error.reason()), ("invalid_request", "a sha-256 body digest is 32 bytes, not 31"));
    // Checked even where the digest would not be used.
    let long = BodyDigest { algorithm: ContentDigest::Sha512, digest: vec![0; 65], length: 4 };
    assert_eq!(sign_digest(rfc9421(&["@method"], None), long).unwrap_err().kind(), "invalid_request");

    let hasher = BodyHasher::new(None);
    hasher.update(b"body").unwrap();
    let digest = hasher.finish().unwrap();
    assert_eq!(digest, BodyDigest::of(ContentDigest::Sha256, b"body"));
    assert_eq!(hasher.update(b"more").unwrap_err().kind(), "invalid_request");
    assert_eq!(hasher.finish().unwrap_err().kind(), "invalid_request");
}

#[test]
fn one_hasher_is_shared_safely_between_threads() {
    // Chunks from several threads, each update whole: the length is exact
    // and the digest is one of the orders (here all chunks are equal).
    let hasher = BodyHasher::new(None);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| (0..1000).for_each(|_| hasher.update(&[7u8; 64]).unwrap()));
        }
    });
    let digest = hasher.finish().unwrap();
    assert_eq!(digest, BodyDigest::of(ContentDigest::Sha256, &[7u8; 64 * 4000]));
}

/// The 4 GiB stream: a 1 MiB block of SplitMix64 output (seed 0x5EEDB0D1,
/// little-endian words), its first 8 bytes replaced by the chunk's index.
const STREAM_CHUNKS: u64 = 4096;
const STREAM_CHUNK: usize = 1 << 20;
/// SHA-256 of that stream, computed outside Rust (Python's hashlib, i.e.
/// OpenSSL) from the same definition.
const STREAM_SHA256: &str = "8645df6760025dee99f4e78ac1a59bb9e472c937a48f7348f6e938e02e560cc8";
/// Under emulation, the stream's first 64 chunks (64 MiB), and their SHA-256
/// (hashlib too). `HMACSIG_TEST_EMULATED` (any value) is set by `cargo xtask
/// cross`, which runs these tests under qemu-user: hashing the 4 GiB twice
/// there takes 1 to 5 minutes (s390x the slowest) against about 10 s natively.
/// The length's passing `u32::MAX` is checked without hashing by
/// `body_hasher`'s unit test `the_length_counts_past_u32_max`.
const EMULATED_STREAM_CHUNKS: u64 = 64;
const EMULATED_STREAM_SHA256: &str = "8dd257ba5a8a0aafb83913ee05af4f6422d28e1600beb3c0166b050005c6fba8";

/// The number of chunks to stream and their SHA-256: the whole 4 GiB natively.
fn stream() -> (u64, &'static str) {
    if std::env::var_os("HMACSIG_TEST_EMULATED").is_some() {
        (EMULATED_STREAM_CHUNKS, EMULATED_STREAM_SHA256)
    } else {
        (STREAM_CHUNKS, STREAM_SHA256)
    }
}

#[test]
fn signs_a_4_gib_body_streamed_in_1_mib_chunks() {
    let (chunks, stream_sha256) = stream();
    if chunks != STREAM_CHUNKS {
        println!("HMACSIG_TEST_EMULATED is set: streaming {chunks} MiB instead of 4 GiB");
    }
    let mut rng = Rng(0x5EED_B0D1);
    let mut chunk: Vec<u8> = (0..STREAM_CHUNK / 8).flat_map(|_| rng.next().to_le_bytes()).collect();
    let hasher = BodyHasher::new(Some(ContentDigest::Sha256));
    let mut direct = Sha256::new();
    for index in 0..chunks {
        chunk[..8].copy_from_slice(&index.to_le_bytes());
        hasher.update(&chunk).unwrap();
        direct.update(&chunk);
    }
    let digest = hasher.finish().unwrap();
    let expected = direct.finalize().to_vec();
    assert_eq!(digest.length, chunks * STREAM_CHUNK as u64, "the length (natively past u32::MAX)");
    assert_eq!(digest.digest, expected, "BodyHasher and sha2 over the same stream");
    let hex: String = expected.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, stream_sha256, "the stream is the one hashed outside Rust");
    let (b64, (method, target, headers)) = (BASE64.encode(&expected), post());

    // Each scheme adds the header that carries the digest; signing the
    // request with that header already set (which the byte path keeps, and
    // which no longer depends on the body) gives the same signature, so the
    // signature covers the 4 GiB body's digest.
    let with = |name: &str, value: &str| {
        let mut h = headers.clone();
        h.push(Header::new(name, value));
        h
    };
    let api_auth = signer(Scheme::api_auth("sha256".into(), vec![], None).unwrap());
    let streamed = api_auth.sign_with_body_digest(method.clone(), target.clone(), headers.clone(), digest.clone(), Some(NOW)).unwrap();
    assert_eq!(streamed.headers[0], Header::new("X-Authorization-Content-SHA256", &b64));
    let preset = api_auth.sign(method.clone(), target.clone(), with("X-Authorization-Content-SHA256", &b64), b"", Some(NOW)).unwrap();
    assert_eq!((&streamed.headers[1..], &streamed.string_to_sign), (&preset.headers[..], &preset.string_to_sign));

    let sigv4 = signer(aws(true, SignatureType::Header, None));
    let streamed = sigv4.sign_with_body_digest(method.clone(), target.clone(), headers.clone(), digest.clone(), Some(NOW)).unwrap();
    assert!(streamed.headers.contains(&Header::new("x-amz-content-sha256", &hex)), "{:?}", streamed.headers);
    let preset = sigv4.sign(method.clone(), target.clone(), with("x-amz-content-sha256", &hex), b"", Some(NOW)).unwrap();
    let authorization = |s: &hmacsig::SignedRequest| s.headers.iter().find(|h| h.name == "Authorization").cloned();
    assert_eq!(authorization(&streamed), authorization(&preset));
    assert_eq!(streamed.string_to_sign, preset.string_to_sign);

    let streamed = signer(rfc9421(&["@method", "@target-uri"], Some(ContentDigest::Sha256)))
        .sign_with_body_digest(method.clone(), target.clone(), headers.clone(), digest, Some(NOW))
        .unwrap();
    let content_digest = format!("sha-256=:{b64}:");
    assert_eq!(streamed.headers[0], Header::new("Content-Digest", &content_digest));
    let preset = signer(rfc9421(&["@method", "@target-uri", "content-digest"], None))
        .sign(method, target, with("Content-Digest", &content_digest), b"", Some(NOW))
        .unwrap();
    assert_eq!((&streamed.headers[1..], &streamed.string_to_sign), (&preset.headers[..], &preset.string_to_sign));
}

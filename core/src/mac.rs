//! HMAC over the SHA family, chosen at run time.
//!
//! MD5 is deliberately absent: no scheme here signs or accepts it.

use std::fmt;
use std::sync::OnceLock;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha224, Sha256, Sha384, Sha512};

/// An HMAC tag or digest, on the stack: the hot paths MAC once per request,
/// and a `Vec` per tag would be an allocation per request. Derefs to its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl Tag {
    /// At most 64 bytes (SHA-512's output): every digest here fits.
    fn new(output: &[u8]) -> Self {
        let mut bytes = [0; 64];
        bytes[..output.len()].copy_from_slice(output);
        Self { bytes, len: output.len() }
    }
}

impl zeroize::Zeroize for Tag {
    fn zeroize(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl std::ops::Deref for Tag {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl AsRef<[u8]> for Tag {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A tag may be key material (SigV4's derived signing key): never shown.
        write!(f, "Tag(<{} bytes>)", self.len)
    }
}

/// A hash function for HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// Parses `sha1`, `SHA256`, ... (ASCII case-insensitive), as OpenSSL names them.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The lower-case name, e.g. `sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// HMAC of `parts` (concatenated) under `key`.
    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Tag {
        fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Tag {
            // HMAC accepts keys of any length, so this cannot fail.
            let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            for part in parts {
                mac.update(part);
            }
            Tag::new(&mac.finalize().into_bytes())
        }
        match self {
            Self::Sha1 => run::<Hmac<Sha1>>(key, parts),
            Self::Sha224 => run::<Hmac<Sha224>>(key, parts),
            Self::Sha256 => run::<Hmac<Sha256>>(key, parts),
            Self::Sha384 => run::<Hmac<Sha384>>(key, parts),
            Self::Sha512 => run::<Hmac<Sha512>>(key, parts),
        }
    }

    /// The plain hash of `parts` (concatenated).
    pub fn digest(self, parts: &[&[u8]]) -> Tag {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Tag {
            let mut hash = D::new();
            for part in parts {
                hash.update(part);
            }
            Tag::new(&hash.finalize())
        }
        match self {
            Self::Sha1 => run::<Sha1>(parts),
            Self::Sha224 => run::<Sha224>(parts),
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sha384 => run::<Sha384>(parts),
            Self::Sha512 => run::<Sha512>(parts),
        }
    }

    /// Checks `tag` against the HMAC of `parts` in constant time.
    pub fn verify(self, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
        fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
            let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            for part in parts {
                mac.update(part);
            }
            mac.verify_slice(tag).is_ok()
        }
        match self {
            Self::Sha1 => run::<Hmac<Sha1>>(key, parts, tag),
            Self::Sha224 => run::<Hmac<Sha224>>(key, parts, tag),
            Self::Sha256 => run::<Hmac<Sha256>>(key, parts, tag),
            Self::Sha384 => run::<Hmac<Sha384>>(key, parts, tag),
            Self::Sha512 => run::<Hmac<Sha512>>(key, parts, tag),
        }
    }
}

/// What the schemes MAC with: secret bytes, keyed on each call, or a
/// [`PreparedKey`], keyed once.
pub trait MacKey {
    /// HMAC of `parts` (concatenated) under this key.
    fn hmac(&self, algorithm: Algorithm, parts: &[&[u8]]) -> Tag;
    /// Checks `tag` against the HMAC of `parts`, in constant time.
    fn verify(&self, algorithm: Algorithm, parts: &[&[u8]], tag: &[u8]) -> bool;
}

impl MacKey for [u8] {
    fn hmac(&self, algorithm: Algorithm, parts: &[&[u8]]) -> Tag {
        algorithm.hmac(self, parts)
    }
    fn verify(&self, algorithm: Algorithm, parts: &[&[u8]], tag: &[u8]) -> bool {
        algorithm.verify(self, parts, tag)
    }
}

impl<const N: usize> MacKey for [u8; N] {
    fn hmac(&self, algorithm: Algorithm, parts: &[&[u8]]) -> Tag {
        algorithm.hmac(self, parts)
    }
    fn verify(&self, algorithm: Algorithm, parts: &[&[u8]], tag: &[u8]) -> bool {
        algorithm.verify(self, parts, tag)
    }
}

/// A secret keyed once per algorithm, on first use, and kept: each MAC then
/// clones the keyed `Hmac` (the padded key blocks already hashed) and hashes
/// only the message, two compressions fewer than [`Algorithm::hmac`].
/// `Debug` never shows the secret.
pub struct PreparedKey {
    /// Zeroized when dropped (the keyed `Hmac` states zeroize themselves).
    secret: zeroize::Zeroizing<Vec<u8>>,
    /// Indexed by [`Algorithm`] discriminant.
    keyed: [OnceLock<Keyed>; 5],
}

enum Keyed {
    Sha1(Hmac<Sha1>),
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl PreparedKey {
    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret: zeroize::Zeroizing::new(secret), keyed: Default::default() }
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl PreparedKey {
    /// The keyed HMAC of `algorithm`, made on first use.
    fn keyed(&self, algorithm: Algorithm) -> &Keyed {
        fn keyed<M: Mac + KeyInit>(key: &[u8]) -> M {
            <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
        }
        let key = &self.secret;
        self.keyed[algorithm as usize].get_or_init(|| match algorithm {
            Algorithm::Sha1 => Keyed::Sha1(keyed(key)),
            Algorithm::Sha224 => Keyed::Sha224(keyed(key)),
            Algorithm::Sha256 => Keyed::Sha256(keyed(key)),
            Algorithm::Sha384 => Keyed::Sha384(keyed(key)),
            Algorithm::Sha512 => Keyed::Sha512(keyed(key)),
        })
    }
}

/// A clone of `mac` fed `parts`.
fn fed<M: Mac + Clone>(mac: &M, parts: &[&[u8]]) -> M {
    let mut mac = mac.clone();
    for part in parts {
        mac.update(part);
    }
    mac
}

impl MacKey for PreparedKey {
    fn hmac(&self, algorithm: Algorithm, parts: &[&[u8]]) -> Tag {
        fn tag<M: Mac + Clone>(mac: &M, parts: &[&[u8]]) -> Tag {
            Tag::new(&fed(mac, parts).finalize().into_bytes())
        }
        match self.keyed(algorithm) {
            Keyed::Sha1(m) => tag(m, parts),
            Keyed::Sha224(m) => tag(m, parts),
            Keyed::Sha256(m) => tag(m, parts),
            Keyed::Sha384(m) => tag(m, parts),
            Keyed::Sha512(m) => tag(m, parts),
        }
    }

    fn verify(&self, algorithm: Algorithm, parts: &[&[u8]], tag: &[u8]) -> bool {
        fn check<M: Mac + Clone>(mac: &M, parts: &[&[u8]], tag: &[u8]) -> bool {
            fed(mac, parts).verify_slice(tag).is_ok()
        }
        match self.keyed(algorithm) {
            Keyed::Sha1(m) => check(m, parts, tag),
            Keyed::Sha224(m) => check(m, parts, tag),
            Keyed::Sha256(m) => check(m, parts, tag),
            Keyed::Sha384(m) => check(m, parts, tag),
            Keyed::Sha512(m) => check(m, parts, tag),
        }
    }
}

impl fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PreparedKey(<redacted>)")
    }
}

/// Appends the standard, padded base64 of `bytes` (the `base64` crate's
/// `STANDARD` engine, into the caller's string: no allocation of its own).
pub fn push_base64(bytes: &[u8], out: &mut String) {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(bytes, LOWER_HEX, &mut out);
    out
}

pub const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
pub const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the hex of `bytes` in the given `digits` (on the hot paths: no
/// formatting machinery, no allocation per byte).
pub fn push_hex(bytes: &[u8], digits: &[u8; 16], out: &mut String) {
    for &b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 15)]));
    }
}

/// The bytes of lower-case hex text; `None` for anything else (upper case
/// included: the schemes that use hex compare it as text).
pub fn from_lower_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-512 of `data`.
pub fn sha512(data: &[u8]) -> [u8; 64] {
    Sha512::digest(data).into()
}

/// Whether `a == b`, in time that depends only on the lengths (`subtle`).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_appends_to_what_is_there() {
        let mut out = String::from("prefix:");
        push_base64(b"hello", &mut out);
        assert_eq!(out, "prefix:aGVsbG8=");
    }

    #[test]
    fn constant_time_eq_compares_lengths_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn a_prepared_key_macs_as_the_secret_does_for_every_algorithm_and_key_length() {
        let algorithms = [Algorithm::Sha1, Algorithm::Sha224, Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512];
        // Shorter than, equal to and longer than both block sizes (64 and 128).
        for len in [0, 1, 20, 64, 65, 128, 129, 300] {
            let secret: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let prepared = PreparedKey::new(secret.clone());
            for algorithm in algorithms {
                for _ in 0..2 {
                    // The second call uses the kept state.
                    let parts: [&[u8]; 2] = [b"the message ", b"in two parts"];
                    let tag = algorithm.hmac(&secret, &parts);
                    assert_eq!(prepared.hmac(algorithm, &parts), tag, "{algorithm:?} key length {len}");
                    assert!(prepared.verify(algorithm, &parts, &tag));
                    assert!(!prepared.verify(algorithm, &parts, &tag[1..]), "a shorter tag never verifies");
                }
            }
        }
        assert_eq!(format!("{:?}", PreparedKey::new(b"top-secret".to_vec())), "PreparedKey(<redacted>)");
    }

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe".
        let tag = Algorithm::Sha256.hmac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(Algorithm::Sha256.verify(b"Jefe", &[b"what do ya want for nothing?"], &tag));
        assert!(!Algorithm::Sha256.verify(b"Jefe", &[b"what do ya want for nothing!"], &tag));
        assert!(!Algorithm::Sha256.verify(b"Jefe", &[b"what do ya want for nothing?"], &tag[..31]));
    }

    #[test]
    fn hex_round_trips_lower_case_only() {
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(from_lower_hex("00abff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(from_lower_hex(""), Some(vec![]));
        for bad in ["0", "AB", "0g", "a b"] {
            assert_eq!(from_lower_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_round_trip_and_md5_is_absent() {
        for a in [Algorithm::Sha1, Algorithm::Sha224, Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
            assert_eq!(Algorithm::from_name(&a.name().to_uppercase()), Some(a));
        }
        assert_eq!(Algorithm::from_name("md5"), None);
        assert_eq!(Algorithm::from_name("sha3-256"), None);
    }
}

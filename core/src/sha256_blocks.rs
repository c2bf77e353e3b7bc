//! SHA-256 and keyed HMAC-SHA256 written over sha2's raw compression
//! function (`compress256`), for the signing hot path.
//!
//! A small request's MAC and body hash are a few blocks each. Around those
//! compressions the `Digest` and `Mac` wrappers buffer, copy their state and
//! pad generically, which costs about as much again. Here the whole blocks go
//! straight to `compress256` and the padding is written once on the stack.
//! The results are SHA-256 and HMAC-SHA256 exactly (FIPS 180-4, RFC 2104),
//! tested against `sha2` and `hmac` for every length over several blocks.

use sha2::block_api::compress256;

/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    finish(IV, 0, data)
}

/// Hashes `message` on from `state`, which has absorbed `prior_blocks`
/// blocks already, and pads: the digest of those blocks then `message`.
fn finish(mut state: [u32; 8], prior_blocks: u64, message: &[u8]) -> [u8; 32] {
    let (blocks, rest) = message.as_chunks::<64>();
    compress256(&mut state, blocks);
    // The rest, 0x80, zeros, and the length in bits: one block, or two when
    // the rest leaves fewer than 9 bytes.
    let mut tail = [[0u8; 64]; 2];
    let used = if rest.len() < 56 { 1 } else { 2 };
    let flat = tail.as_flattened_mut();
    flat[..rest.len()].copy_from_slice(rest);
    flat[rest.len()] = 0x80;
    let bits = (prior_blocks * 64 + message.len() as u64) * 8;
    flat[used * 64 - 8..used * 64].copy_from_slice(&bits.to_be_bytes());
    compress256(&mut state, &tail[..used]);
    let mut digest = [0u8; 32];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// An HMAC-SHA256 key with its padded blocks already hashed: the states after
/// the `K ^ ipad` and `K ^ opad` blocks. `Debug` never shows them.
#[derive(Clone, Copy)]
pub struct KeyedSha256 {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl KeyedSha256 {
    pub fn new(secret: &[u8]) -> Self {
        // RFC 2104: a key longer than the block is hashed first; then zero-padded.
        let mut key = [0u8; 64];
        if secret.len() > 64 {
            key[..32].copy_from_slice(&sha256(secret));
        } else {
            key[..secret.len()].copy_from_slice(secret);
        }
        let keyed = |pad: u8| {
            let mut state = IV;
            compress256(&mut state, &[key.map(|b| b ^ pad)]);
            state
        };
        Self { inner: keyed(0x36), outer: keyed(0x5c) }
    }

    /// HMAC-SHA256 of `message`.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = finish(self.inner, 1, message);
        finish(self.outer, 1, &inner)
    }
}

impl std::fmt::Debug for KeyedSha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedSha256(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    fn bytes(len: usize, seed: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + seed * 7 + 3) as u8).collect()
    }

    #[test]
    fn sha256_is_sha2s_for_every_length_over_five_blocks() {
        for len in 0..=320 {
            let data = bytes(len, 1);
            assert_eq!(sha256(&data), <[u8; 32]>::from(Sha256::digest(&data)), "length {len}");
        }
        assert_eq!(sha256(&bytes(1 << 20, 2)), <[u8; 32]>::from(Sha256::digest(bytes(1 << 20, 2))));
    }

    #[test]
    fn hmac_is_the_hmac_crates_for_every_key_and_message_length() {
        for key_len in [0, 1, 20, 32, 63, 64, 65, 100, 200] {
            let key = KeyedSha256::new(&bytes(key_len, 3));
            for len in 0..=200 {
                let message = bytes(len, 4);
                let mut reference = Hmac::<Sha256>::new_from_slice(&bytes(key_len, 3)).expect("any key length");
                reference.update(&message);
                assert_eq!(key.mac(&message), <[u8; 32]>::from(reference.finalize().into_bytes()), "key {key_len}, message {len}");
            }
        }
    }

    #[test]
    fn rfc_4231_case_2() {
        let tag = KeyedSha256::new(b"Jefe").mac(b"what do ya want for nothing?");
        assert_eq!(crate::mac::to_hex(&tag), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", KeyedSha256::new(b"top-secret")), "KeyedSha256(<redacted>)");
    }
}

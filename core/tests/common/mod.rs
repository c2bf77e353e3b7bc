//! What several test files share: a deterministic generator (SplitMix64)
//! and random requests built with it.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use hmacsig::{Header, Request};

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn word(&mut self, min: usize, max: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
        let len = min + self.below(max - min + 1);
        (0..len).map(|_| *self.pick(CHARS) as char).collect()
    }
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

pub const BODY_METHODS: [&str; 3] = ["POST", "PUT", "PATCH"];
pub const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// A random request, with a body only where the scheme signs one.
pub fn random_request(rng: &mut Rng, absolute: bool) -> Request {
    let method = rng.pick(&METHODS).to_string();
    let segments: Vec<String> = (0..1 + rng.below(3)).map(|_| rng.word(1, 8)).collect();
    let mut target = format!("/{}", segments.join("/"));
    if rng.below(2) == 0 {
        let pairs: Vec<String> = (0..1 + rng.below(3)).map(|_| format!("{}={}", rng.word(1, 5), rng.word(0, 6))).collect();
        target = format!("{target}?{}", pairs.join("&"));
    }
    if absolute {
        target = format!("https://{}.example.com{target}", rng.word(1, 6).to_lowercase().replace(['.', '~', '_'], "x"));
    }
    let mut headers = vec![Header::new("X-Request-Id", rng.word(4, 12)), Header::new("Host", "api.example.com")];
    let body = if BODY_METHODS.contains(&method.as_str()) {
        headers
            .push(Header::new("Content-Type", *rng.pick(&["application/json", "text/plain; charset=utf-8", "application/octet-stream"])));
        rng.bytes(96)
    } else {
        vec![]
    };
    Request { method, target, headers, body }
}

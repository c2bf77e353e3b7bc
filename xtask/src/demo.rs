//! `cargo xtask demo`.

use crate::util::Result;

pub fn run() -> Result {
    Err("demo is not written yet".into())
}

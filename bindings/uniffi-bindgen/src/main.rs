//! The UniFFI bindings generator, pinned to the same uniffi as the core.
//! maturin finds it as the workspace's `uniffi-bindgen` bin; xtask runs it too.
fn main() {
    uniffi::uniffi_bindgen_main()
}

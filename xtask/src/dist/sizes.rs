//! The stripped size of the core as a linked library, with and without the server features
//! (`cargo xtask dist`, reported in BENCHMARKS.md).
//!
//! Android and iOS libraries cannot be linked here (no NDK, no Apple SDK). The client library
//! (no server features) is linked instead for the same CPU on the nearest platform zig links
//! for: aarch64 Linux (glibc) for Android's arm64-v8a, and aarch64 macOS for iOS's arm64.
//! Same Rust code and CPU; the C library differs, and the core calls little of it. Each in the
//! `dist` profile alone, and the two mobile stand-ins also in the mobile size configuration the
//! Android and Apple builds ship ([`native::mobile_size`], ADR 0013).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

use super::native;
use crate::util::{Result, log, run, target_dir};

/// One library measured: linked for `zig_target` (Rust's `triple`, file name `file`), with
/// the client features only or with the server features too.
pub struct Measured {
    pub what: &'static str,
    pub zig_target: &'static str,
    pub triple: &'static str,
    pub file: &'static str,
    pub client: bool,
}

pub const MEASURED: [Measured; 4] = [
    Measured {
        what: "aarch64 Linux, client features (for Android arm64-v8a)",
        zig_target: "aarch64-unknown-linux-gnu.2.17",
        triple: "aarch64-unknown-linux-gnu",
        file: "libhmacsig.so",
        client: true,
    },
    Measured {
        what: "aarch64 macOS, client features (for iOS arm64)",
        zig_target: "aarch64-apple-darwin",
        triple: "aarch64-apple-darwin",
        file: "libhmacsig.dylib",
        client: true,
    },
    Measured {
        what: "x86_64 Linux, client features",
        zig_target: "x86_64-unknown-linux-gnu.2.17",
        triple: "x86_64-unknown-linux-gnu",
        file: "libhmacsig.so",
        client: true,
    },
    Measured {
        what: "x86_64 Linux, with server features (the wheel's and the jar's)",
        zig_target: "x86_64-unknown-linux-gnu.2.17",
        triple: "x86_64-unknown-linux-gnu",
        file: "libhmacsig.so",
        client: false,
    },
];

/// The client library in the mobile size configuration the Android and Apple builds ship
/// ([`native::mobile_size`]), linked by zig for `zig_target` (aarch64 Linux for Android, aarch64
/// macOS for iOS); its stripped size in KiB.
fn mobile_client(tools: &OsStr, zig_target: &str, triple: &str, file: &str) -> Result<f64> {
    let dir = target_dir().join("dist-sizes").join("mobile");
    let mut cmd = native::cargo_dist("zigbuild");
    cmd.env("PATH", tools).args(["--no-default-features", "--features", "ffi", "--target", zig_target]);
    native::mobile_size(&mut cmd, "")?;
    run(cmd.env("CARGO_TARGET_DIR", &dir))?;
    let stripped = dir.join(format!("{triple}-{file}.stripped"));
    native::strip(&dir.join(triple).join("dist").join(file), &stripped)?;
    Ok(native::kib(&stripped))
}

/// What the client static library in the mobile size configuration adds to an app: the measure
/// for iOS, whose apps link the XCFramework's static library. zig links a small arm64 macOS
/// executable that takes the address of every C function of the library (all that the Swift
/// bindings may call), with `-dead_strip` as an app's release link does, and the same executable
/// without the library; both are stripped, and the difference is returned in KiB, with the
/// number of functions. The dylib stand-in cannot show this: zig's Mach-O linker exports every
/// global symbol of a dylib, and so keeps what an app's link would strip (BENCHMARKS.md).
fn added_to_an_app() -> Result<(f64, usize)> {
    let library = native::build_static("aarch64-apple-darwin")?;
    let listing = native::llvm_tool("llvm-nm")?
        .args(["--defined-only", "--extern-only", "--just-symbol-name"])
        .arg(&library)
        .output()
        .map_err(|e| format!("llvm-nm: {e}"))?;
    let functions: BTreeSet<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix('_'))
        .filter(|name| name.starts_with("uniffi_hmacsig_") || name.starts_with("ffi_hmacsig_") || name.starts_with("hmacsig_"))
        .map(str::to_string)
        .collect();
    if functions.is_empty() {
        return Err(format!("no hmacsig functions in {}", library.display()));
    }
    let dir = target_dir().join("dist-sizes").join("app");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let declarations: String = functions.iter().map(|f| format!("extern void {f}(void);\n")).collect();
    let addresses: String = functions.iter().map(|f| format!("    (void *)&{f},\n")).collect();
    let app = format!(
        "#include <stdio.h>\n{declarations}void *volatile used[] = {{\n{addresses}}};\nint main(void) {{ printf(\"%p\\n\", used[0]); return 0; }}\n"
    );
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).map_err(|e| format!("writing {name}: {e}"));
    write("app.c", &app)?;
    write("empty.c", "#include <stdio.h>\nint main(void) { printf(\"%p\\n\", (void *)0); return 0; }\n")?;
    let mut sizes = Vec::new();
    for (name, with_library) in [("app", true), ("empty", false)] {
        let mut zig = Command::new(crate::python::venv_python());
        zig.args(["-m", "ziglang", "cc", "-target", "aarch64-macos", "-O2", "-Wl,-dead_strip", "-o"])
            .arg(dir.join(name))
            .arg(dir.join(format!("{name}.c")));
        if with_library {
            zig.arg(&library);
        }
        run(&mut zig)?;
        let stripped = dir.join(format!("{name}.stripped"));
        run(native::llvm_tool("rust-objcopy")?.arg("--strip-all").arg(dir.join(name)).arg(&stripped))?;
        sizes.push(native::kib(&stripped));
    }
    Ok((sizes[0] - sizes[1], functions.len()))
}

/// Links each of [`MEASURED`] in the `dist` profile (in `target/dist-sizes/`, apart from the
/// shipped builds), strips it, and returns `(what, KiB)`, then the two [`mobile_client`]s;
/// also writes `dist/sizes.json`.
pub fn measure(tools: &OsStr) -> Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for Measured { what, zig_target, triple, file, client } in MEASURED {
        let dir = target_dir().join("dist-sizes").join(if client { "client" } else { "server" });
        let mut cmd = native::cargo_dist("zigbuild");
        cmd.env("PATH", tools).args(["--target", zig_target]);
        if client {
            cmd.args(["--no-default-features", "--features", "ffi"]);
        }
        run(cmd.arg("--target-dir").arg(&dir))?;
        let built = dir.join(triple).join("dist").join(file);
        let stripped: PathBuf = dir.join(format!("{triple}-{file}.stripped"));
        native::strip(&built, &stripped)?;
        let kib = native::kib(&stripped);
        log(format!("dist: {what}: {kib:.1} KiB stripped"));
        out.push((what.to_string(), kib));
    }
    // What the mobile builds ship: the same two stand-ins in the mobile size configuration.
    for (what, zig_target, triple, file) in [
        (
            "aarch64 Linux, client features, mobile size configuration (shipped for Android arm64-v8a)",
            "aarch64-unknown-linux-gnu.2.17",
            "aarch64-unknown-linux-gnu",
            "libhmacsig.so",
        ),
        (
            "aarch64 macOS, client features, mobile size configuration (shipped for iOS arm64)",
            "aarch64-apple-darwin",
            "aarch64-apple-darwin",
            "libhmacsig.dylib",
        ),
    ] {
        let kib = mobile_client(tools, zig_target, triple, file)?;
        log(format!("dist: {what}: {kib:.1} KiB stripped"));
        out.push((what.to_string(), kib));
    }
    let (kib, functions) = added_to_an_app()?;
    let what = format!(
        "aarch64 macOS executable taking all {functions} C functions of the client static library, mobile size configuration, dead-stripped: what the library adds (stands for an iOS app)"
    );
    log(format!("dist: {what}: {kib:.1} KiB stripped"));
    out.push((what, kib));
    let json: Vec<serde_json::Value> =
        out.iter().map(|(what, kib)| serde_json::json!({"what": what, "stripped_kib": (kib * 10.0).round() / 10.0})).collect();
    let path = super::dist_dir().join("sizes.json");
    std::fs::create_dir_all(super::dist_dir()).map_err(|e| e.to_string())?;
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap_or_default())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(out)
}

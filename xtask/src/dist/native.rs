//! The core's native libraries for every platform `cargo xtask dist` ships, built here.
//!
//! - Shared libraries (the wheels' and the jar's) link with `cargo zigbuild`: zig links for
//!   glibc 2.17 (manylinux2014). Built in the `dist`
//!   profile (LTO, one codegen unit, unstripped: the bindings are generated from a build's
//!   symbol table), then stripped into the copy that ships ([`strip`]).
//! - Static libraries (Android without an NDK, iOS and macOS for the XCFramework) need no
//!   linker at all: `cargo rustc --crate-type staticlib`, client features only.
//!
//! [`machine`] reads which CPU a shipped library is for, from its ELF or Mach-O header, so that
//! every artifact is checked for the CPU its path claims.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Result, log, root, run, target_dir};

/// A shared library `dist` ships.
#[derive(Clone, Copy, Debug)]
pub struct Shared {
    /// Rust's target triple.
    pub triple: &'static str,
    /// What `cargo zigbuild` is given: the triple, with the oldest glibc for Linux; empty for
    /// Windows, which Debian's mingw-w64 gcc links (Rust's default linker for the target).
    pub zig_target: &'static str,
    /// JNA's resource folder for it (`Platform.RESOURCE_PREFIX`).
    pub jna_prefix: &'static str,
    /// The library's file name on that platform.
    pub file: &'static str,
    /// The CPU its header must name ([`machine`]).
    pub machine: Machine,
}

/// The jar's natives, in JNA's names: Linux for glibc 2.17 and newer and macOS (zig; the macOS
/// ones against stubs of the two Apple frameworks the server features link, [`super::darwin`]),
/// and Windows x86-64 (Debian's mingw-w64; the DLL imports only Windows' own DLLs).
pub const JAR_NATIVES: [Shared; 6] = [
    Shared {
        triple: "x86_64-unknown-linux-gnu",
        zig_target: "x86_64-unknown-linux-gnu.2.17",
        jna_prefix: "linux-x86-64",
        file: "libhmacsig.so",
        machine: Machine::X86_64,
    },
    Shared {
        triple: "aarch64-unknown-linux-gnu",
        zig_target: "aarch64-unknown-linux-gnu.2.17",
        jna_prefix: "linux-aarch64",
        file: "libhmacsig.so",
        machine: Machine::Aarch64,
    },
    Shared {
        triple: "armv7-unknown-linux-gnueabihf",
        zig_target: "armv7-unknown-linux-gnueabihf.2.17",
        jna_prefix: "linux-arm",
        file: "libhmacsig.so",
        machine: Machine::Arm,
    },
    Shared {
        triple: "aarch64-apple-darwin",
        zig_target: "aarch64-apple-darwin",
        jna_prefix: "darwin-aarch64",
        file: "libhmacsig.dylib",
        machine: Machine::Aarch64,
    },
    Shared {
        triple: "x86_64-apple-darwin",
        zig_target: "x86_64-apple-darwin",
        jna_prefix: "darwin-x86-64",
        file: "libhmacsig.dylib",
        machine: Machine::X86_64,
    },
    Shared { triple: "x86_64-pc-windows-gnu", zig_target: "", jna_prefix: "win32-x86-64", file: "hmacsig.dll", machine: Machine::X86_64 },
];

/// A CPU, as an ELF `e_machine` or a Mach-O `cputype` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Machine {
    X86_64,
    Aarch64,
    Arm,
    X86,
}

impl Machine {
    /// ELF's `e_machine` value.
    fn elf(self) -> u16 {
        match self {
            Machine::X86_64 => 62,
            Machine::Aarch64 => 183,
            Machine::Arm => 40,
            Machine::X86 => 3,
        }
    }

    /// Mach-O's `cputype` value.
    fn mach_o(self) -> u32 {
        match self {
            Machine::X86_64 => 0x0100_0007,
            Machine::Aarch64 => 0x0100_000c,
            Machine::Arm => 12,
            Machine::X86 => 7,
        }
    }

    /// PE's (COFF's) `Machine` value.
    fn pe(self) -> u16 {
        match self {
            Machine::X86_64 => 0x8664,
            Machine::Aarch64 => 0xaa64,
            Machine::Arm => 0x01c4,
            Machine::X86 => 0x014c,
        }
    }

    /// Mach-O's `(cputype, cpusubtype)`, the subtype being the family's "all" value.
    pub fn mach_o_cpu(self) -> (u32, u32) {
        let subtype = match self {
            Machine::X86_64 | Machine::X86 => 3,
            Machine::Aarch64 | Machine::Arm => 0,
        };
        (self.mach_o(), subtype)
    }

    pub fn name(self) -> &'static str {
        match self {
            Machine::X86_64 => "x86-64",
            Machine::Aarch64 => "AArch64",
            Machine::Arm => "ARM",
            Machine::X86 => "x86",
        }
    }
}

/// The CPU a shared library's header names: ELF (`e_machine`, either byte order), thin
/// Mach-O (`cputype`) or PE (the COFF header's `Machine`); `None` for anything else.
pub fn machine(bytes: &[u8]) -> Option<Machine> {
    const ALL: [Machine; 4] = [Machine::X86_64, Machine::Aarch64, Machine::Arm, Machine::X86];
    if bytes.starts_with(b"\x7fELF") && bytes.len() >= 20 {
        let raw = [bytes[18], bytes[19]];
        let value = if bytes[5] == 2 { u16::from_be_bytes(raw) } else { u16::from_le_bytes(raw) };
        return ALL.into_iter().find(|m| m.elf() == value);
    }
    if bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) && bytes.len() >= 8 {
        let value = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        return ALL.into_iter().find(|m| m.mach_o() == value);
    }
    if bytes.starts_with(b"MZ") && bytes.len() >= 0x40 {
        // The DOS header's e_lfanew names the "PE\0\0" signature; the machine follows it.
        let at = u32::from_le_bytes([bytes[0x3c], bytes[0x3d], bytes[0x3e], bytes[0x3f]]) as usize;
        let header = bytes.get(at..at + 6).filter(|h| h.starts_with(b"PE\0\0"))?;
        let value = u16::from_le_bytes([header[4], header[5]]);
        return ALL.into_iter().find(|m| m.pe() == value);
    }
    None
}

/// Checks that the library at `path` is for `want`.
pub fn check_machine(path: &Path, want: Machine) -> Result {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    match machine(&bytes) {
        Some(got) if got == want => Ok(()),
        got => Err(format!("{} is for {}, not {}", path.display(), got.map_or("an unknown CPU", Machine::name), want.name())),
    }
}

/// `rustup target add` for those of `triples` not installed yet.
pub fn add_targets(triples: &[&str]) -> Result {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output().map_err(|e| format!("rustup: {e}"))?;
    let installed = String::from_utf8_lossy(&out.stdout).into_owned();
    let missing: Vec<&str> = triples.iter().copied().filter(|t| !installed.lines().any(|l| l.trim() == *t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add"]).args(&missing))
}

/// `rustup target add triple`, quietly: whether the target is there afterwards (some
/// downloads are refused on this machine).
pub fn try_add_target(triple: &str) -> bool {
    Command::new("rustup").args(["target", "add", triple]).output().is_ok_and(|o| o.status.success())
}

/// `cargo SUBCOMMAND --quiet --profile dist -p hmacsig --lib`, in the workspace: how every
/// shipped library is built.
pub fn cargo_dist(subcommand: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root()).args([subcommand, "--quiet", "--profile", "dist", "-p", "hmacsig", "--lib"]);
    cmd
}

/// `cargo zigbuild` of the core's cdylib (default features: the server features too) for
/// `lib` in the `dist` profile; the unstripped library. `tools` is a `PATH` holding zig and
/// cargo-zigbuild (the venv's).
pub fn build_shared(lib: &Shared, tools: &std::ffi::OsStr) -> Result<PathBuf> {
    log(format!("dist: the core for {} ({})", lib.triple, lib.jna_prefix));
    if lib.zig_target.is_empty() {
        crate::util::ensure_program("x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64")?;
        run(cargo_dist("build").args(["--target", lib.triple]))?;
    } else {
        let mut cmd = cargo_dist("zigbuild");
        if lib.triple.ends_with("-apple-darwin") {
            // The Apple frameworks the server features link, as stubs (super::darwin).
            let stubs = super::darwin::write_stubs()?;
            let flags = format!("CARGO_TARGET_{}_RUSTFLAGS", lib.triple.to_uppercase().replace('-', "_"));
            cmd.env(flags, format!("-C link-arg=-F{}", stubs.display()));
        }
        run(cmd.env("PATH", tools).args(["--target", lib.zig_target]))?;
    }
    let built = target_dir().join(lib.triple).join("dist").join(lib.file);
    if built.is_file() { Ok(built) } else { Err(format!("cargo zigbuild did not write {}", built.display())) }
}

/// The size configuration of the mobile builds (Android, iOS, the XCFramework's macOS slices;
/// ADR 0013), added to a `cargo_dist` command, which then builds into `target/mobile/`:
/// - the standard library rebuilt (`-Z build-std`) with its `optimize_for_size` feature and
///   without `backtrace` (the default panic hook's symbolizer, ~150 KiB). The toolchain stays
///   the pinned stable one; `RUSTC_BOOTSTRAP=1` lets it take those `-Z` flags;
/// - `opt-level = "z"`, with SHA-1, SHA-2 and HMAC at 3 (`--config`: cargo reads no
///   per-package profile from the environment);
/// - no file and line in panic messages (`-Z location-detail=none`). A panic is still caught
///   at the foreign boundary and returned as a typed error.
///
/// `rustflags` is added to `RUSTFLAGS` (the NDK build's page size).
pub fn mobile_size(cmd: &mut Command, rustflags: &str) -> Result {
    ensure_rust_src()?;
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTFLAGS", format!("-Z location-detail=none {rustflags}").trim_end())
        .args(["-Z", "build-std=std,panic_unwind", "-Z", "build-std-features=optimize_for_size"])
        .args(["--config", "profile.dist.opt-level=\"z\""]);
    for hash in ["sha1", "sha2", "hmac"] {
        cmd.args(["--config", &format!("profile.dist.package.{hash}.opt-level=3")]);
    }
    // Apart from the other builds of the same targets (the jar's macOS natives), which the
    // flags above would otherwise rebuild each time; an environment variable, which cargo-ndk
    // reads too.
    cmd.env("CARGO_TARGET_DIR", target_dir().join("mobile"));
    Ok(())
}

/// The standard library's source (rustup's `rust-src` component), which `-Z build-std` builds.
fn ensure_rust_src() -> Result {
    let source = sysroot()?.join("lib").join("rustlib").join("src").join("rust").join("library");
    if source.is_dir() { Ok(()) } else { run(Command::new("rustup").args(["component", "add", "rust-src"])) }
}

/// `cargo rustc --crate-type staticlib` of the core for `triple`, client features only (the
/// UniFFI interface, no key store, database drivers or Redis), in the `dist` profile with the
/// mobile size configuration ([`mobile_size`]); the library (`libhmacsig.a`). No C code is
/// compiled, so no SDK or NDK is needed.
pub fn build_static(triple: &str) -> Result<PathBuf> {
    log(format!("dist: the core's static library for {triple} (client features, mobile size configuration)"));
    let mut cmd = cargo_dist("rustc");
    cmd.args(["--crate-type", "staticlib", "--no-default-features", "--features", "ffi", "--target", triple]);
    mobile_size(&mut cmd, "")?;
    run(&mut cmd)?;
    let built = target_dir().join("mobile").join(triple).join("dist").join("libhmacsig.a");
    if built.is_file() { Ok(built) } else { Err(format!("cargo rustc did not write {}", built.display())) }
}

/// The active toolchain's sysroot (its `lib/` holds the libLLVM its tools link).
pub fn sysroot() -> Result<PathBuf> {
    let out = Command::new("rustc").args(["--print", "sysroot"]).output().map_err(|e| format!("rustc: {e}"))?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A command running one of the toolchain's own LLVM tools, which read ELF, Mach-O and COFF
/// alike, for any CPU: `rust-objcopy` comes with rustc; the others (`llvm-nm`) with rustup's
/// `llvm-tools` component, added when missing. The tools link the toolchain's libLLVM, in the
/// sysroot's lib: it is put on the library path (cargo does that for what it runs, but not
/// every caller is run by cargo).
pub fn llvm_tool(name: &str) -> Result<Command> {
    let sysroot = sysroot()?;
    let host = Command::new("rustc").args(["--print", "host-tuple"]).output().map_err(|e| format!("rustc: {e}"))?;
    let tool = sysroot.join("lib").join("rustlib").join(String::from_utf8_lossy(&host.stdout).trim()).join("bin").join(name);
    if !tool.is_file() {
        run(Command::new("rustup").args(["component", "add", "llvm-tools"]))?;
    }
    if !tool.is_file() {
        return Err(format!("{name} is not in the toolchain ({})", tool.display()));
    }
    let mut cmd = Command::new(tool);
    cmd.env("LD_LIBRARY_PATH", sysroot.join("lib"));
    Ok(cmd)
}

/// Writes `from` stripped of its symbol table and debug sections to `to`. The dynamic symbol
/// table stays: it is what `dlopen`, JNA and ctypes look functions up in.
pub fn strip(from: &Path, to: &Path) -> Result {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let mach_o = std::fs::read(from).map(|b| b.starts_with(&[0xcf, 0xfa, 0xed, 0xfe])).unwrap_or(false);
    // Mach-O: strip local and debug symbols only; the exported ones are the library's API.
    let how = if mach_o { "--strip-debug" } else { "--strip-all" };
    let mut cmd = llvm_tool("rust-objcopy")?;
    cmd.arg(how);
    if mach_o {
        cmd.arg("--discard-all");
    }
    run(cmd.arg(from).arg(to))
}

/// The size of the file at `path`, in KiB.
pub fn kib(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len() as f64 / 1024.0).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cpu_of_elf_and_mach_o_headers() {
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[5] = 1;
        elf[18..20].copy_from_slice(&183u16.to_le_bytes());
        assert_eq!(machine(&elf), Some(Machine::Aarch64));
        elf[5] = 2; // big-endian: s390x would be 22, which we do not ship
        elf[18..20].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(machine(&elf), Some(Machine::Arm));
        let mut mach = vec![0xcf, 0xfa, 0xed, 0xfe];
        mach.extend_from_slice(&0x0100_0007u32.to_le_bytes());
        assert_eq!(machine(&mach), Some(Machine::X86_64));
        assert_eq!(machine(b"PK\x03\x04 not a library"), None);
        let mut pe = vec![0u8; 0x90];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        pe[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
        assert_eq!(machine(&pe), Some(Machine::X86_64));
    }

    #[test]
    fn every_jar_native_has_its_own_resource_folder() {
        let mut prefixes: Vec<&str> = JAR_NATIVES.iter().map(|n| n.jna_prefix).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), JAR_NATIVES.len());
    }
}

//! The jar's macOS natives (`darwin-aarch64`, `darwin-x86-64`), linked on Linux by zig with
//! no Apple SDK.
//!
//! With the server features the core links two Apple frameworks, CoreFoundation and
//! SystemConfiguration: `postgres` → `tokio-postgres` → `whoami`, whose `devicename` asks
//! SystemConfiguration for the computer's name. zig carries a stub of libSystem but of no
//! framework. [`write_stubs`] writes, for each framework, a text-based stub (`.tbd`, the format
//! Apple's SDKs describe their libraries in): the framework's install path and the names of the
//! symbols the core imports from it, nothing else, and no Apple code. The linker records each
//! import as bound to that install path (two-level namespace), and macOS's loader binds it to
//! the real framework, which every macOS has.
//!
//! Checked here ([`check`]): the Mach-O CPU, that the library loads nothing but libSystem,
//! libiconv, libcharset and those two frameworks, that each framework symbol is bound to its
//! framework, that it exports every function the Linux library exports, and (arm64) that its
//! ad-hoc code signature matches its pages. **Not run here: there
//! is no macOS** (docs/packaging.md).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::util::{Result, target_dir};

/// A framework the core links on macOS: its name and the symbols (C names, without Mach-O's
/// leading underscore) the core imports from it. The lists are what the linker asks for;
/// a symbol missing from them fails the link, naming it.
struct Framework {
    name: &'static str,
    symbols: &'static [&'static str],
}

const FRAMEWORKS: [Framework; 2] = [
    Framework {
        name: "CoreFoundation",
        symbols: &[
            "CFCopyDescription",
            "CFErrorCopyDescription",
            "CFGetRetainCount",
            "CFRelease",
            "CFStringGetBytes",
            "CFStringGetCStringPtr",
            "CFStringGetLength",
        ],
    },
    Framework { name: "SystemConfiguration", symbols: &["SCDynamicStoreCopyComputerName"] },
];

/// The libraries a macOS native may load: libSystem, and libiconv with its libcharset (Rust's
/// standard library links iconv on Apple platforms; every macOS has all three), and
/// [`FRAMEWORKS`] at their install paths.
fn allowed_dylibs() -> BTreeSet<String> {
    let system = ["/usr/lib/libSystem.B.dylib", "/usr/lib/libiconv.2.dylib", "/usr/lib/libcharset.1.dylib"];
    let mut allowed: BTreeSet<String> = system.map(str::to_string).into();
    allowed.extend(FRAMEWORKS.iter().map(|f| install_name(f.name)));
    allowed
}

fn install_name(framework: &str) -> String {
    format!("/System/Library/Frameworks/{framework}.framework/Versions/A/{framework}")
}

/// The stub of `framework`, in the `.tbd` format version 4, for both macOS CPUs.
fn tbd(framework: &Framework) -> String {
    let symbols: Vec<String> = framework.symbols.iter().map(|s| format!("_{s}")).collect();
    format!(
        "--- !tapi-tbd\ntbd-version:     4\ntargets:         [ x86_64-macos, arm64-macos ]\ninstall-name:    '{}'\nexports:\n  - targets:         [ x86_64-macos, arm64-macos ]\n    symbols:         [ {} ]\n...\n",
        install_name(framework.name),
        symbols.join(", ")
    )
}

/// Writes `NAME.framework/NAME.tbd` for each of [`FRAMEWORKS`] under `target/dist-work/` and
/// returns the folder to give the linker as a framework search path (`-F`).
pub fn write_stubs() -> Result<PathBuf> {
    let dir = target_dir().join("dist-work").join("macos-framework-stubs");
    for framework in &FRAMEWORKS {
        let folder = dir.join(format!("{}.framework", framework.name));
        std::fs::create_dir_all(&folder).map_err(|e| format!("creating {}: {e}", folder.display()))?;
        let path = folder.join(format!("{}.tbd", framework.name));
        std::fs::write(&path, tbd(framework)).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(dir)
}

/// The install names of the libraries a 64-bit Mach-O file loads (`LC_LOAD_DYLIB` and its
/// weak, re-exported, lazy and upward kinds).
pub fn loaded_dylibs(bytes: &[u8]) -> Result<Vec<String>> {
    const LOADS: [u32; 5] = [0xc, 0x8000_0018, 0x8000_001f, 0x20, 0x8000_0023];
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if !bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        return Err("not a 64-bit little-endian Mach-O file".into());
    }
    let commands = u32_at(16).ok_or("truncated Mach-O header")?;
    let mut at = 32;
    let mut out = Vec::new();
    for _ in 0..commands {
        let (kind, size) = (u32_at(at).ok_or("truncated load command")?, u32_at(at + 4).ok_or("truncated load command")? as usize);
        if size < 8 {
            return Err(format!("a load command at {at} has size {size}"));
        }
        if LOADS.contains(&kind) {
            let command = bytes.get(at..at + size).ok_or("truncated dylib command")?;
            let name_at = u32_at(at + 8).ok_or("truncated dylib command")? as usize;
            let name = command.get(name_at..).ok_or("a dylib name outside its command")?;
            let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
            out.push(String::from_utf8_lossy(&name[..end]).into_owned());
        }
        at += size;
    }
    Ok(out)
}

/// Checks the ad-hoc code signature an arm64 macOS library must carry (macOS on Apple silicon
/// refuses to load arm64 code without a valid one): `LC_CODE_SIGNATURE` names a CodeDirectory
/// whose SHA-256 of every page, up to its code limit, matches the file. zig's linker signs what it
/// links; `rust-objcopy` signs again what it strips. Returns the number of pages checked.
pub fn check_signature(bytes: &[u8]) -> Result<usize> {
    const LC_CODE_SIGNATURE: u32 = 0x1d;
    const CODE_DIRECTORY: u32 = 0xfade_0c02;
    let le = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let be = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let truncated = || "a truncated code signature".to_string();
    let (mut at, mut signature) = (32, None);
    for _ in 0..le(16).ok_or_else(truncated)? {
        if le(at) == Some(LC_CODE_SIGNATURE) {
            signature = Some(le(at + 8).ok_or_else(truncated)? as usize);
        }
        at += le(at + 4).ok_or_else(truncated)? as usize;
    }
    let blob = signature.ok_or("no LC_CODE_SIGNATURE: macOS on Apple silicon will not load it")?;
    for i in 0..be(blob + 8).ok_or_else(truncated)? as usize {
        let directory = blob + be(blob + 16 + 8 * i).ok_or_else(truncated)? as usize;
        if be(directory) != Some(CODE_DIRECTORY) {
            continue;
        }
        let hashes = directory + be(directory + 16).ok_or_else(truncated)? as usize;
        let pages = be(directory + 28).ok_or_else(truncated)? as usize;
        let limit = be(directory + 32).ok_or_else(truncated)? as usize;
        let header = bytes.get(directory + 36..directory + 40).ok_or_else(truncated)?;
        let (hash_size, hash_type, page_size) = (header[0] as usize, header[1], 1usize << header[3]);
        if hash_type != 2 || hash_size != 32 {
            return Err(format!("a CodeDirectory hashed with type {hash_type}, not SHA-256"));
        }
        for page in 0..pages {
            let data = bytes.get(page * page_size..((page + 1) * page_size).min(limit)).ok_or_else(truncated)?;
            let want = bytes.get(hashes + 32 * page..hashes + 32 * (page + 1)).ok_or_else(truncated)?;
            if sha2::Sha256::digest(data).as_slice() != want {
                return Err(format!("page {page} does not match its code signature: macOS will not load it"));
            }
        }
        return Ok(pages);
    }
    Err("a code signature without a CodeDirectory".into())
}

/// Each symbol a Mach-O file imports (C name) with the install name of the library it is bound
/// to, read from `LC_DYLD_INFO`'s bind, weak-bind and lazy-bind opcodes (the format zig's linker
/// writes; chained fixups are not read here, and give an error).
pub fn bound_imports(bytes: &[u8]) -> Result<BTreeSet<(String, String)>> {
    const LC_DYLD_INFO: [u32; 2] = [0x22, 0x8000_0022];
    let le = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let truncated = || "truncated bind information".to_string();
    let dylibs = loaded_dylibs(bytes)?;
    let (mut at, mut streams) = (32, None);
    for _ in 0..le(16).ok_or_else(truncated)? {
        if LC_DYLD_INFO.contains(&(le(at).ok_or_else(truncated)? as u32)) {
            streams = Some([16, 24, 32].map(|field| (le(at + field), le(at + field + 4))));
        }
        at += le(at + 4).ok_or_else(truncated)?;
    }
    let streams = streams.ok_or("no LC_DYLD_INFO (chained fixups are not read here)")?;
    let mut out = BTreeSet::new();
    for (offset, size) in streams {
        let (offset, size) = (offset.ok_or_else(truncated)?, size.ok_or_else(truncated)?);
        let stream = bytes.get(offset..offset + size).ok_or_else(truncated)?;
        let uleb = |i: &mut usize| -> Result<()> {
            let end = stream[*i..].iter().position(|b| b & 0x80 == 0).ok_or_else(truncated)?;
            *i += end + 1;
            Ok(())
        };
        let (mut i, mut ordinal, mut symbol) = (0, 0usize, String::new());
        while i < stream.len() {
            let (op, imm) = (stream[i] & 0xf0, (stream[i] & 0x0f) as usize);
            i += 1;
            match op {
                0x00 | 0x50 => {}             // DONE (lazy entries follow it), SET_TYPE
                0x10 => ordinal = imm,        // SET_DYLIB_ORDINAL_IMM
                0x30 => ordinal = 0,          // SET_DYLIB_SPECIAL_IMM: self or flat lookup
                0x60..=0x80 => uleb(&mut i)?, // SET_ADDEND, SET_SEGMENT_AND_OFFSET, ADD_ADDR
                0x20 => {
                    // SET_DYLIB_ORDINAL_ULEB
                    let (mut value, mut shift) = (0usize, 0);
                    loop {
                        let byte = *stream.get(i).ok_or_else(truncated)?;
                        i += 1;
                        value |= ((byte & 0x7f) as usize) << shift;
                        shift += 7;
                        if byte & 0x80 == 0 {
                            break;
                        }
                    }
                    ordinal = value;
                }
                0x40 => {
                    // SET_SYMBOL_TRAILING_FLAGS_IMM
                    let end = stream[i..].iter().position(|b| *b == 0).ok_or_else(truncated)?;
                    let name = String::from_utf8_lossy(&stream[i..i + end]);
                    symbol = name.strip_prefix('_').unwrap_or(&name).to_string();
                    i += end + 1;
                }
                0x90..=0xc0 => {
                    // DO_BIND and its three address-advancing forms
                    let library = if ordinal == 0 {
                        "(self or flat lookup)".to_string()
                    } else {
                        dylibs.get(ordinal - 1).cloned().ok_or_else(truncated)?
                    };
                    out.insert((symbol.clone(), library));
                    match op {
                        0xa0 => uleb(&mut i)?,
                        0xc0 => {
                            uleb(&mut i)?;
                            uleb(&mut i)?
                        }
                        _ => {}
                    }
                }
                _ => return Err(format!("bind opcode {op:#x} not known")),
            }
        }
    }
    Ok(out)
}

/// Checks that every symbol of [`FRAMEWORKS`] the library imports is bound to its framework,
/// and that nothing else is.
fn check_framework_bindings(bytes: &[u8]) -> Result<usize> {
    let mut bound = 0;
    for (symbol, library) in bound_imports(bytes)? {
        let owner = FRAMEWORKS.iter().find(|f| f.symbols.contains(&symbol.as_str()));
        let framework = FRAMEWORKS.iter().find(|f| install_name(f.name) == library);
        match (owner, framework) {
            (Some(o), Some(f)) if o.name == f.name => bound += 1,
            (None, None) => {}
            _ => return Err(format!("{symbol} is bound to {library}")),
        }
    }
    Ok(bound)
}

/// The names of the functions a library exports, as `llvm-nm` lists its defined external
/// symbols (`-D`: ELF's dynamic table; Mach-O's leading underscore removed).
fn exported(path: &Path) -> Result<BTreeSet<String>> {
    let mach_o = std::fs::read(path).map(|b| b.starts_with(&[0xcf, 0xfa, 0xed, 0xfe])).unwrap_or(false);
    let mut nm = super::native::llvm_tool("llvm-nm")?;
    nm.args(["--defined-only", "--extern-only", "--just-symbol-name"]);
    if !mach_o {
        nm.arg("--dynamic");
    }
    let out = nm.arg(path).output().map_err(|e| format!("llvm-nm: {e}"))?;
    if !out.status.success() {
        return Err(format!("llvm-nm {} failed: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim()));
    }
    let names = String::from_utf8_lossy(&out.stdout);
    Ok(names.lines().map(|l| if mach_o { l.strip_prefix('_').unwrap_or(l) } else { l }.to_string()).collect())
}

/// Checks a shipped macOS native against the Linux one built from the same code: it loads only
/// [`allowed_dylibs`], binds each framework symbol to its framework
/// ([`check_framework_bindings`]), an arm64 one is validly signed ([`check_signature`]), and it
/// exports every `hmacsig` function (UniFFI's and the plain C entry) that `linux` exports.
/// Returns how many functions it compared and how many framework imports it found bound.
pub fn check(dylib: &Path, linux: &Path) -> Result<(usize, usize)> {
    let bytes = std::fs::read(dylib).map_err(|e| format!("reading {}: {e}", dylib.display()))?;
    let allowed = allowed_dylibs();
    let strays: Vec<String> = loaded_dylibs(&bytes)?.into_iter().filter(|d| !allowed.contains(d)).collect();
    if !strays.is_empty() {
        return Err(format!("{} loads {} (not on every macOS)", dylib.display(), strays.join(", ")));
    }
    let bound = check_framework_bindings(&bytes).map_err(|e| format!("{}: {e}", dylib.display()))?;
    if super::native::machine(&bytes) == Some(super::native::Machine::Aarch64) {
        check_signature(&bytes).map_err(|e| format!("{}: {e}", dylib.display()))?;
    }
    let ours = |names: BTreeSet<String>| -> BTreeSet<String> { names.into_iter().filter(|n| n.contains("hmacsig")).collect() };
    let want = ours(exported(linux)?);
    let have = ours(exported(dylib)?);
    let missing: Vec<&String> = want.difference(&have).collect();
    if want.is_empty() || !missing.is_empty() {
        return Err(format!("{} lacks {} of the Linux library's {} functions: {:?}", dylib.display(), missing.len(), want.len(), missing));
    }
    Ok((want.len(), bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Mach-O header with two load commands: a segment (skipped) and one LC_LOAD_DYLIB.
    fn mach_o_loading(name: &str) -> Vec<u8> {
        let mut out = vec![0xcf, 0xfa, 0xed, 0xfe];
        out.extend(0x0100_000cu32.to_le_bytes());
        out.extend([0u8; 8]);
        out.extend(2u32.to_le_bytes());
        out.extend([0u8; 12]);
        out.extend(0x19u32.to_le_bytes());
        out.extend(16u32.to_le_bytes());
        out.extend([0u8; 8]);
        let mut path = name.as_bytes().to_vec();
        path.push(0);
        while !(24 + path.len()).is_multiple_of(8) {
            path.push(0);
        }
        out.extend(0xcu32.to_le_bytes());
        out.extend(((24 + path.len()) as u32).to_le_bytes());
        out.extend(24u32.to_le_bytes());
        out.extend([0u8; 12]);
        out.extend(path);
        out
    }

    #[test]
    fn reads_the_libraries_a_mach_o_file_loads() {
        let bytes = mach_o_loading("/usr/lib/libSystem.B.dylib");
        assert_eq!(loaded_dylibs(&bytes).unwrap(), ["/usr/lib/libSystem.B.dylib"]);
        assert!(loaded_dylibs(&bytes[..40]).is_err());
        assert!(loaded_dylibs(b"\x7fELF").is_err());
    }

    /// One 4 KiB page of code (a header whose only load command is LC_CODE_SIGNATURE), then
    /// its signature: a SuperBlob holding one CodeDirectory with the page's SHA-256.
    fn signed_mach_o() -> Vec<u8> {
        let mut file = vec![0u8; 4096];
        file[..4].copy_from_slice(&[0xcf, 0xfa, 0xed, 0xfe]);
        file[4..8].copy_from_slice(&0x0100_000cu32.to_le_bytes());
        file[16..20].copy_from_slice(&1u32.to_le_bytes());
        for (at, value) in [(32, 0x1du32), (36, 16), (40, 4096), (44, 128)] {
            file[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        file[100..110].copy_from_slice(b"some code!");
        let hash = sha2::Sha256::digest(&file);
        let mut directory = Vec::new();
        // magic, length, version, flags, hashOffset, identOffset, nSpecialSlots, nCodeSlots, codeLimit
        for value in [0xfade_0c02u32, 84, 0x20400, 0x20002, 52, 0, 0, 1, 4096] {
            directory.extend(value.to_be_bytes());
        }
        directory.extend([32, 2, 0, 12]); // hashSize, hashType (SHA-256), platform, log2(pageSize)
        directory.extend([0u8; 12]);
        directory.extend(hash);
        let mut blob = Vec::new();
        for value in [0xfade_0cc0u32, 20 + directory.len() as u32, 1, 0, 20] {
            blob.extend(value.to_be_bytes());
        }
        blob.extend(directory);
        file.extend(blob);
        file
    }

    #[test]
    fn checks_every_page_against_its_code_signature() {
        let file = signed_mach_o();
        assert_eq!(check_signature(&file).unwrap(), 1);
        let mut changed = file.clone();
        changed[105] ^= 1;
        assert!(check_signature(&changed).unwrap_err().contains("page 0 does not match"));
        let mut unsigned = file.clone();
        unsigned[32] = 0x19;
        assert!(check_signature(&unsigned).unwrap_err().contains("no LC_CODE_SIGNATURE"));
        assert!(check_signature(&file[..file.len() - 8]).is_err());
    }

    /// A Mach-O file loading two libraries, whose bind opcodes bind `_CFRelease` to the second
    /// (CoreFoundation) and `_malloc` to the first (libSystem).
    fn mach_o_binding(second: &str) -> Vec<u8> {
        let dylib = |name: &str| {
            let mut path = name.as_bytes().to_vec();
            path.resize((24 + path.len() + 1).next_multiple_of(8) - 24, 0);
            let mut command = Vec::new();
            for value in [0xcu32, (24 + path.len()) as u32, 24, 0, 0, 0] {
                command.extend(value.to_le_bytes());
            }
            command.extend(path);
            command
        };
        let commands = [dylib("/usr/lib/libSystem.B.dylib"), dylib(second)].concat();
        let info_at = 32 + commands.len();
        let stream_at = info_at + 48;
        let mut stream = vec![0x12, 0x40];
        stream.extend(b"_CFRelease\0");
        stream.extend([0x51, 0x72, 0x08, 0x90, 0x11, 0x40]);
        stream.extend(b"_malloc\0");
        stream.extend([0xc0, 0x02, 0x08, 0x00]);
        let mut file = vec![0xcf, 0xfa, 0xed, 0xfe];
        file.extend(0x0100_000cu32.to_le_bytes());
        file.extend([0u8; 8]);
        file.extend(3u32.to_le_bytes());
        file.extend([0u8; 12]);
        file.extend(commands);
        for value in [0x8000_0022u32, 48, 0, 0, stream_at as u32, stream.len() as u32, 0, 0, 0, 0, 0, 0] {
            file.extend(value.to_le_bytes());
        }
        file.extend(stream);
        file
    }

    #[test]
    fn reads_which_library_each_import_is_bound_to() {
        let core_foundation = install_name("CoreFoundation");
        let file = mach_o_binding(&core_foundation);
        let imports = bound_imports(&file).unwrap();
        let want: BTreeSet<(String, String)> =
            [("CFRelease".to_string(), core_foundation.clone()), ("malloc".to_string(), "/usr/lib/libSystem.B.dylib".to_string())].into();
        assert_eq!(imports, want);
        assert_eq!(check_framework_bindings(&file).unwrap(), 1);
        let elsewhere = mach_o_binding(&install_name("SystemConfiguration"));
        assert!(
            check_framework_bindings(&elsewhere)
                .unwrap_err()
                .contains("CFRelease is bound to /System/Library/Frameworks/SystemConfiguration")
        );
        assert!(bound_imports(&mach_o_loading("/usr/lib/libSystem.B.dylib")).unwrap_err().contains("no LC_DYLD_INFO"));
    }

    #[test]
    fn a_stub_names_the_install_path_and_its_symbols_only() {
        let stub = tbd(&Framework { name: "CoreFoundation", symbols: &["CFRelease", "CFStringGetLength"] });
        assert!(stub.starts_with("--- !tapi-tbd\ntbd-version:     4\n"));
        assert!(stub.contains("install-name:    '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation'"));
        assert!(stub.contains("symbols:         [ _CFRelease, _CFStringGetLength ]"));
        assert!(allowed_dylibs().contains(&install_name("SystemConfiguration")));
    }
}

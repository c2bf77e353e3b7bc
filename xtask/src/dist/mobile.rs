//! Android and Apple, where this machine can compile the core but not link it: there is no
//! Android NDK and no Apple SDK here. Client features only (no key store, database drivers,
//! Redis or `aes-gcm`), so no C code is compiled.
//!
//! - Android (`cargo xtask android`, or the `android` part of `dist`): the static library for
//!   each of the four ABIs in `dist/android/<abi>/`, and the Kotlin classes for them,
//!   `dist/android/classes.jar` ([`super::android_kotlin`]). With `ANDROID_NDK_HOME` set it
//!   also links the shared libraries with `cargo ndk` (16 KB pages) and assembles the AAR; that
//!   path cannot run here ([`ndk_libraries`], `docs/packaging.md`).
//! - Apple (`cargo xtask xcframework`, or the `apple` part): `HmacSigFFI.xcframework` with a
//!   static library for iOS devices and one for macOS (arm64 and x86_64 in one universal
//!   file, [`universal`]),
//!   the C headers and the module map, plus the iOS simulator where the toolchain has it; and
//!   a Swift package that takes it as a `binaryTarget` (no `PKG_CONFIG_PATH`). Linking and
//!   `xcodebuild` are for a Mac: docs/packaging.md gives the command.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::native::{self, Machine};
use crate::util::{Result, log, root, run, sync_file, target_dir};

pub struct Abi {
    pub triple: &'static str,
    /// Android's ABI name (`jniLibs/<abi>/`).
    pub abi: &'static str,
}

pub const ANDROID_ABIS: [Abi; 4] = [
    Abi { triple: "aarch64-linux-android", abi: "arm64-v8a" },
    Abi { triple: "armv7-linux-androideabi", abi: "armeabi-v7a" },
    Abi { triple: "i686-linux-android", abi: "x86" },
    Abi { triple: "x86_64-linux-android", abi: "x86_64" },
];

pub struct AppleSlice {
    pub triple: &'static str,
    /// The XCFramework's library identifier, platform and variant.
    pub platform: &'static str,
    pub arch: &'static str,
    pub machine: Machine,
}

/// The slices built on every run: iOS devices and macOS (both CPUs).
pub const APPLE_REQUIRED: [AppleSlice; 3] = [
    AppleSlice { triple: "aarch64-apple-ios", platform: "ios", arch: "arm64", machine: Machine::Aarch64 },
    AppleSlice { triple: "aarch64-apple-darwin", platform: "macos", arch: "arm64", machine: Machine::Aarch64 },
    AppleSlice { triple: "x86_64-apple-darwin", platform: "macos", arch: "x86_64", machine: Machine::X86_64 },
];

/// The iOS simulator: built only where `rustup target add` gets its standard library (it is
/// refused on this machine).
const APPLE_SIMULATOR: [AppleSlice; 2] = [
    AppleSlice { triple: "aarch64-apple-ios-sim", platform: "ios-simulator", arch: "arm64", machine: Machine::Aarch64 },
    AppleSlice { triple: "x86_64-apple-ios", platform: "ios-simulator", arch: "x86_64", machine: Machine::X86_64 },
];

/// Writes `dist/android/`; returns each library's size.
pub fn android(out: &Path, version: &str) -> Result<Vec<(String, f64)>> {
    let _ = std::fs::remove_dir_all(out);
    let mut sizes = Vec::new();
    let mut arm64 = None;
    for abi in &ANDROID_ABIS {
        let built = native::build_static(abi.triple)?;
        let shipped = out.join(abi.abi).join("libhmacsig.a");
        sync_file(&built, &shipped)?;
        sizes.push((format!("android {} static library (unstripped archive)", abi.abi), native::kib(&shipped)));
        arm64 = arm64.or(Some(built));
    }
    let classes = super::android_kotlin::classes(&arm64.ok_or("no Android ABI")?, out)?;
    match std::env::var_os("ANDROID_NDK_HOME") {
        Some(ndk) => {
            sizes.extend(ndk_libraries(out, Path::new(&ndk))?);
            super::android_kotlin::aar(&classes, &out.join("jni"), out, version)?;
        }
        None => log("dist: no ANDROID_NDK_HOME: Android static libraries and classes.jar, no AAR (docs/packaging.md)"),
    }
    Ok(sizes)
}

/// With an NDK: `cargo ndk` links `libhmacsig.so` for the four ABIs (client features, 16 KB
/// pages) into `dist/android/jni/<abi>/`, stripped, for the AAR ([`super::android_kotlin::aar`]).
fn ndk_libraries(out: &Path, ndk: &Path) -> Result<Vec<(String, f64)>> {
    if !crate::util::have("cargo-ndk") {
        run(Command::new("cargo").args(["install", "--locked", "cargo-ndk@4.1.2"]))?;
    }
    let jni = out.join("jni");
    let mut ndk_build = Command::new("cargo");
    ndk_build.current_dir(root()).env("ANDROID_NDK_HOME", ndk).arg("ndk");
    for abi in &ANDROID_ABIS {
        ndk_build.args(["-t", abi.abi]);
    }
    ndk_build.arg("-o").arg(&jni).args([
        "build",
        "--profile",
        "dist",
        "-p",
        "hmacsig",
        "--lib",
        "--no-default-features",
        "--features",
        "ffi",
    ]);
    // The static libraries' size configuration, and 16 KB pages: required of apps targeting
    // Android 15 on such devices.
    native::mobile_size(&mut ndk_build, "-C link-arg=-Wl,-z,max-page-size=16384")?;
    run(&mut ndk_build)?;
    let mut sizes = Vec::new();
    for abi in &ANDROID_ABIS {
        let lib = jni.join(abi.abi).join("libhmacsig.so");
        native::strip(&lib, &lib)?;
        sizes.push((format!("android {} libhmacsig.so (stripped)", abi.abi), native::kib(&lib)));
    }
    log("dist: Android shared libraries in dist/android/jni/");
    Ok(sizes)
}

/// The hand-written Swift files that only make sense with the server features (the key
/// store): left out of the mobile package.
pub const SERVER_ONLY_SWIFT: [&str; 1] = ["KeyStoreError+Swift.swift"];

/// `lang` bindings generated from the client-only static library of the first Apple slice,
/// in `target/dist-work/bindings-client/<lang>/`.
fn client_bindings(lang: &str) -> Result<PathBuf> {
    let library = native::build_static(APPLE_REQUIRED[0].triple)?;
    let out = target_dir().join("dist-work").join("bindings-client").join(lang);
    crate::bindings::generate_from(&library, lang, &out)?;
    Ok(out)
}

/// Writes `dist/apple/`; returns each library's size.
pub fn apple(out: &Path, version: &str) -> Result<Vec<(String, f64)>> {
    let _ = std::fs::remove_dir_all(out);
    // The client-only bindings and header, from the iOS device library: they name no server
    // function, so they link against the client-only libraries below.
    let bindings = client_bindings("swift")?;
    let framework = out.join("HmacSigFFI.xcframework");
    let mut slices: Vec<&AppleSlice> = APPLE_REQUIRED.iter().collect();
    for sim in &APPLE_SIMULATOR {
        if native::try_add_target(sim.triple) {
            slices.push(sim);
        } else {
            log(format!("dist: no standard library for {} here: the XCFramework has no slice for it", sim.triple));
        }
    }
    let mut libraries: Vec<(String, &str, Vec<&str>)> = Vec::new(); // (identifier, platform, archs)
    let mut sizes = Vec::new();
    for platform in ["ios", "ios-simulator", "macos"] {
        let ours: Vec<&&AppleSlice> = slices.iter().filter(|s| s.platform == platform).collect();
        if ours.is_empty() {
            continue;
        }
        let built: Vec<PathBuf> = ours.iter().map(|s| native::build_static(s.triple)).collect::<Result<_>>()?;
        let archs: Vec<&str> = ours.iter().map(|s| s.arch).collect();
        let identifier = match platform {
            "ios-simulator" => format!("ios-{}-simulator", archs.join("_")),
            _ => format!("{platform}-{}", archs.join("_")),
        };
        let lib = framework.join(&identifier).join("libhmacsig.a");
        std::fs::create_dir_all(lib.parent().unwrap_or(out)).map_err(|e| e.to_string())?;
        if built.len() == 1 {
            sync_file(&built[0], &lib)?;
        } else {
            let slices: Vec<(Machine, Vec<u8>)> = ours
                .iter()
                .zip(&built)
                .map(|(slice, path)| {
                    std::fs::read(path).map(|b| (slice.machine, b)).map_err(|e| format!("reading {}: {e}", path.display()))
                })
                .collect::<Result<_>>()?;
            std::fs::write(&lib, universal(&slices)).map_err(|e| format!("writing {}: {e}", lib.display()))?;
        }
        headers(&bindings, &framework.join(&identifier).join("Headers"))?;
        sizes.push((format!("apple {identifier} static library (unstripped archive)"), native::kib(&lib)));
        libraries.push((identifier, platform, archs));
    }
    write(&framework.join("Info.plist"), &info_plist(&libraries))?;
    swift_package(&bindings, &out.join("HmacSig"), version)?;
    Ok(sizes)
}

/// The generated `HmacSigFFI.h`, the hand-written entry's `HmacSigCall.h`, and a module map
/// naming both (the library is linked by the `binaryTarget`, so no `link` line).
fn headers(bindings: &Path, dir: &Path) -> Result {
    sync_file(&bindings.join("HmacSigFFI.h"), &dir.join("HmacSigFFI.h"))?;
    sync_file(&root().join("bindings/swift/Sources/HmacSigFFI/HmacSigCall.h"), &dir.join("HmacSigCall.h"))?;
    write(
        &dir.join("module.modulemap"),
        "module HmacSigFFI {\n    header \"HmacSigFFI.h\"\n    header \"HmacSigCall.h\"\n    export *\n}\n",
    )
}

fn info_plist(libraries: &[(String, &str, Vec<&str>)]) -> String {
    let mut entries = String::new();
    for (identifier, platform, archs) in libraries {
        let (platform, variant) = match *platform {
            "ios-simulator" => ("ios", Some("simulator")),
            other => (other, None),
        };
        let archs: String = archs.iter().map(|a| format!("\t\t\t\t<string>{a}</string>\n")).collect();
        let variant =
            variant.map(|v| format!("\t\t\t<key>SupportedPlatformVariant</key>\n\t\t\t<string>{v}</string>\n")).unwrap_or_default();
        entries.push_str(&format!(
            "\t\t<dict>\n\t\t\t<key>HeadersPath</key>\n\t\t\t<string>Headers</string>\n\t\t\t<key>LibraryIdentifier</key>\n\t\t\t<string>{identifier}</string>\n\t\t\t<key>LibraryPath</key>\n\t\t\t<string>libhmacsig.a</string>\n\t\t\t<key>SupportedArchitectures</key>\n\t\t\t<array>\n{archs}\t\t\t</array>\n\t\t\t<key>SupportedPlatform</key>\n\t\t\t<string>{platform}</string>\n{variant}\t\t</dict>\n"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>AvailableLibraries</key>\n\t<array>\n{entries}\t</array>\n\t<key>CFBundlePackageType</key>\n\t<string>XFWK</string>\n\t<key>XCFrameworkFormatVersion</key>\n\t<string>1.0</string>\n</dict>\n</plist>\n"
    )
}

/// `dist/apple/HmacSig/`: a Swift package of the generated bindings and the hand-written
/// layer over the XCFramework (a `binaryTarget` at `../HmacSigFFI.xcframework`).
fn swift_package(bindings: &Path, dir: &Path, version: &str) -> Result {
    let sources = dir.join("Sources").join("HmacSig");
    std::fs::create_dir_all(&sources).map_err(|e| e.to_string())?;
    sync_file(&bindings.join("HmacSig.swift"), &sources.join("HmacSig.swift"))?;
    let layer = root().join("bindings/swift/Sources/HmacSig");
    for entry in std::fs::read_dir(&layer).map_err(|e| format!("reading {}: {e}", layer.display()))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // The generated file is the host's, with the server features; ours replaces it.
        if name != "HmacSig.swift" && !SERVER_ONLY_SWIFT.contains(&name.as_str()) {
            sync_file(&entry.path(), &sources.join(&name))?;
        }
    }
    // SwiftPM needs the framework inside the package: a copy, not a path outside it.
    let from = dir.parent().unwrap_or(dir).join("HmacSigFFI.xcframework");
    run(Command::new("cp").arg("-R").arg(&from).arg(dir))?;
    write(
        &dir.join("Package.swift"),
        &format!(
            "// swift-tools-version:5.9\n// hmacsig {version}: the Swift layer over the core's XCFramework (written by `cargo xtask dist`).\nimport PackageDescription\n\nlet package = Package(\n    name: \"HmacSig\",\n    platforms: [.iOS(.v13), .macOS(.v11)],\n    products: [.library(name: \"HmacSig\", targets: [\"HmacSig\"])],\n    targets: [\n        .binaryTarget(name: \"HmacSigFFI\", path: \"HmacSigFFI.xcframework\"),\n        .target(name: \"HmacSig\", dependencies: [\"HmacSigFFI\"], path: \"Sources/HmacSig\"),\n    ]\n)\n"
        ),
    )
}

/// A universal ("fat") Mach-O file of `slices`, as `lipo -create` writes it: the big-endian
/// `fat_header` and one `fat_arch` per slice, then each slice at a 2^14-byte boundary. Written
/// here because Debian's `llvm-lipo` (LLVM 14) cannot read the archives of rustc's newer LLVM.
pub fn universal(slices: &[(Machine, Vec<u8>)]) -> Vec<u8> {
    const FAT_MAGIC: u32 = 0xcafe_babe;
    const ALIGN_LOG2: u32 = 14;
    let align = 1usize << ALIGN_LOG2;
    let mut header = Vec::new();
    header.extend_from_slice(&FAT_MAGIC.to_be_bytes());
    header.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    let mut offset = align; // the headers fit in the first 16 KiB
    let mut placed = Vec::new();
    for (machine, bytes) in slices {
        let (cputype, cpusubtype) = machine.mach_o_cpu();
        for field in [cputype, cpusubtype, offset as u32, bytes.len() as u32, ALIGN_LOG2] {
            header.extend_from_slice(&field.to_be_bytes());
        }
        placed.push((offset, bytes));
        offset = (offset + bytes.len()).div_ceil(align) * align;
    }
    let mut out = header;
    for (at, bytes) in placed {
        out.resize(at, 0);
        out.extend_from_slice(bytes);
    }
    out
}

fn write(path: &Path, text: &str) -> Result {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_universal_file_lists_each_slice_at_an_aligned_offset() {
        let fat = universal(&[(Machine::Aarch64, vec![1; 10]), (Machine::X86_64, vec![2; 20_000])]);
        let word = |at: usize| u32::from_be_bytes(fat[at..at + 4].try_into().unwrap());
        assert_eq!((word(0), word(4)), (0xcafe_babe, 2));
        // fat_arch: cputype, cpusubtype, offset, size, align
        assert_eq!([word(8), word(12), word(16), word(20), word(24)], [0x0100_000c, 0, 16384, 10, 14]);
        assert_eq!([word(28), word(32), word(36), word(40), word(44)], [0x0100_0007, 3, 32768, 20_000, 14]);
        assert_eq!(&fat[16384..16394], &[1; 10]);
        assert_eq!(fat.len(), 32768 + 20_000);
        assert!(fat[32768..].iter().all(|&b| b == 2));
    }

    #[test]
    fn the_plist_names_each_library_and_the_simulator_variant() {
        let plist = info_plist(&[
            ("ios-arm64".into(), "ios", vec!["arm64"]),
            ("ios-arm64_x86_64-simulator".into(), "ios-simulator", vec!["arm64", "x86_64"]),
        ]);
        assert!(plist.contains("<string>ios-arm64</string>"));
        assert!(plist.contains("<key>SupportedPlatformVariant</key>\n\t\t\t<string>simulator</string>"));
        assert_eq!(plist.matches("<key>SupportedPlatform</key>\n\t\t\t<string>ios</string>").count(), 2);
        assert!(plist.contains("<string>XFWK</string>"));
    }
}

//! Android's Kotlin classes, `dist/android/classes.jar`: what an AAR carries beside its
//! native libraries.
//!
//! The jar's classes cannot be reused. They are compiled against UniFFI's Kotlin for the
//! server-featured library, and UniFFI checks at load time that every function its generated
//! code names is in the library, so the jar's classes would fail against Android's client-only
//! core. These classes are compiled from:
//! - UniFFI's Kotlin generated from the client-only Android library, so it names no server
//!   function;
//! - the hand-written layer without its server-only files ([`SERVER_ONLY_KOTLIN`]: the key
//!   store, with `Verifier.withStore`, and the Redis replay guard).
//!
//! Maven's `android` profile (bindings/kotlin/pom.xml) compiles them into
//! `bindings/kotlin/target/android/`. Its animal-sniffer execution checks them against
//! Android API 24 there, as it checks the main build. [`check`] runs them on this JVM over the
//! client-only core in the mobile size configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Counts, Result, log, run, sync_file, target_dir};

/// The hand-written Kotlin files that only serve the server features: left out of Android's
/// classes, as `SERVER_ONLY_SWIFT` is out of the Swift package.
pub const SERVER_ONLY_KOTLIN: [&str; 2] = ["KeyStore.kt", "RedisReplayGuard.kt"];

/// Compiles Android's classes against the bindings of `library` (a client-only Android
/// static library) and writes them to `out/classes.jar`; returns that jar.
pub fn classes(library: &Path, out: &Path) -> Result<PathBuf> {
    let bindings = target_dir().join("dist-work").join("bindings-client").join("kotlin");
    crate::bindings::generate_from(library, "kotlin", &bindings)?;
    let sources = target_dir().join("dist-work").join("android-kotlin");
    let _ = std::fs::remove_dir_all(&sources);
    let hand_written = crate::kotlin::project().join("src").join("main").join("kotlin");
    copy_sources(&hand_written, &sources.join("kotlin"), &SERVER_ONLY_KOTLIN)?;
    copy_sources(&bindings, &sources.join("generated"), &[])?;
    let classes = crate::kotlin::project().join("target").join("android").join("classes");
    let _ = std::fs::remove_dir_all(&classes);
    log("dist: Android's Kotlin classes (client-only bindings, without the server-only files), checked against API 24");
    run(crate::kotlin::mvn().args(["-P", "android"]).arg(format!("-Dandroid.sources={}", sources.display())).arg("process-classes"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let jar = out.join("classes.jar");
    let _ = std::fs::remove_file(&jar);
    // Only the classes: the build's resources hold the host's library, which is no Android's.
    run(Command::new("jar").arg("--create").arg("--file").arg(&jar).arg("-C").arg(&classes).arg("dev"))?;
    log(format!("dist: {} ({:.0} KiB)", jar.display(), super::native::kib(&jar)));
    Ok(jar)
}

/// Android's classes on this JVM over the core an Android app gets, built for this machine:
/// client features, the `dist` profile and the mobile size configuration
/// ([`super::native::mobile_size`]). The conformance runner must answer the smoke cases as it
/// does on Maven's jar, whose classes and core carry the server features too. UniFFI's
/// load-time checks (contract version, every function's checksum) pass on the way, so the
/// client-only bindings and the client-only core agree.
pub fn check(classes: &Path) -> Result<Counts> {
    const HOST: &str = "x86_64-unknown-linux-gnu";
    let mut build = super::native::cargo_dist("build");
    build.args(["--no-default-features", "--features", "ffi", "--target", HOST]);
    super::native::mobile_size(&mut build, "")?;
    let host = target_dir().join("android-host");
    run(build.env("CARGO_TARGET_DIR", &host))?;
    let library = host.join(HOST).join("dist").join("libhmacsig.so");
    let mut java = Command::new("java");
    java.arg(format!("-Djna.library.path={}", library.parent().unwrap_or(&host).display()));
    let android = crate::kotlin::smoke_on(classes, java, &library.display().to_string())?;
    let server = crate::kotlin::load_from_jar(&crate::kotlin::maven_jar()?, Command::new("java"), "linux-x86-64/libhmacsig.so")?;
    if android != server {
        return Err("Android's classes over the client-only core answered the smoke cases otherwise than the jar".into());
    }
    log("dist --test: Android's classes over the client-only core answer the smoke cases as the jar does");
    Ok(Counts { passed: 1, failed: 0 })
}

/// The AAR's manifest: the package and minSdk 24 (the API level the classes are checked
/// against).
const MANIFEST: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\" package=\"dev.hmacsig\">
    <uses-sdk android:minSdkVersion=\"24\" />
</manifest>
";

/// Consumer R8 rules, applied to the app that uses the AAR: JNA finds classes, fields and
/// native methods by reflection and by name, and so does it for the generated bindings'
/// structures and the call layout's registered functions.
const CONSUMER_RULES: &str = "# JNA and what it reaches by reflection or by name (hmacsig's AAR).
-dontwarn java.awt.**
-keep class com.sun.jna.** { *; }
-keep class * implements com.sun.jna.** { *; }
-keep class dev.hmacsig.ffi.** { *; }
-keepclasseswithmembernames class dev.hmacsig.** { native <methods>; }
";

/// The AAR's POM: JNA as its Android artifact (`@aar`, with `libjnidispatch.so` for every ABI),
/// Kotlin's standard library, and OkHttp optional as in the jar's POM; versions read from
/// bindings/kotlin/pom.xml.
fn aar_pom(version: &str) -> Result<String> {
    let pom = std::fs::read_to_string(crate::kotlin::project().join("pom.xml")).map_err(|e| format!("reading pom.xml: {e}"))?;
    let property = |name: &str| -> Result<String> {
        let open = format!("<{name}>");
        let at = pom.find(&open).ok_or(format!("pom.xml has no <{name}>"))? + open.len();
        Ok(pom[at..].split('<').next().unwrap_or_default().trim().to_string())
    };
    let dependency = |group: &str, artifact: &str, version: &str, extra: &str| {
        format!(
            "    <dependency>\n      <groupId>{group}</groupId>\n      <artifactId>{artifact}</artifactId>\n      <version>{version}</version>\n{extra}    </dependency>\n"
        )
    };
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>dev.hmacsig</groupId>\n  <artifactId>hmacsig-android</artifactId>\n  <version>{version}</version>\n  <packaging>aar</packaging>\n  <licenses><license><name>Apache-2.0</name></license></licenses>\n  <dependencies>\n{}{}{}  </dependencies>\n</project>\n",
        dependency("org.jetbrains.kotlin", "kotlin-stdlib", &property("kotlin.version")?, ""),
        dependency("net.java.dev.jna", "jna", &property("jna.version")?, "      <type>aar</type>\n"),
        dependency("com.squareup.okhttp3", "okhttp", &property("okhttp.version")?, "      <optional>true</optional>\n"),
    ))
}

/// Writes `out/hmacsig-android-VERSION.aar` and its `.pom`: the manifest, `classes`, every
/// `jni/<abi>/libhmacsig.so` (the NDK's, [`super::mobile::ANDROID_ABIS`]), the consumer R8
/// rules and an empty `R.txt`. Needs the NDK's libraries, so it has not run here on real ones.
pub fn aar(classes: &Path, jni: &Path, out: &Path, version: &str) -> Result<PathBuf> {
    let staging = target_dir().join("dist-work").join("aar");
    let _ = std::fs::remove_dir_all(&staging);
    for abi in &super::mobile::ANDROID_ABIS {
        let library = jni.join(abi.abi).join("libhmacsig.so");
        if !library.is_file() {
            return Err(format!("the AAR needs {}", library.display()));
        }
        sync_file(&library, &staging.join("jni").join(abi.abi).join("libhmacsig.so"))?;
    }
    sync_file(classes, &staging.join("classes.jar"))?;
    let write = |name: &str, text: &str| std::fs::write(staging.join(name), text).map_err(|e| format!("writing {name}: {e}"));
    write("AndroidManifest.xml", MANIFEST)?;
    write("proguard.txt", CONSUMER_RULES)?;
    write("R.txt", "")?;
    let aar = out.join(format!("hmacsig-android-{version}.aar"));
    let _ = std::fs::remove_file(&aar);
    run(Command::new("jar").arg("--create").arg("--no-manifest").arg("--file").arg(&aar).arg("-C").arg(&staging).arg("."))?;
    std::fs::write(out.join(format!("hmacsig-android-{version}.pom")), aar_pom(version)?)
        .map_err(|e| format!("writing the AAR's POM: {e}"))?;
    log(format!("dist: {} ({:.0} KiB)", aar.display(), super::native::kib(&aar)));
    Ok(aar)
}

/// Copies every `.kt` file under `from` to the same place under `to`, but those named in
/// `leave_out`.
fn copy_sources(from: &Path, to: &Path, leave_out: &[&str]) -> Result {
    let kotlin: Vec<PathBuf> = crate::kotlin::files_under(from)
        .into_iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".kt") && !leave_out.contains(&n)))
        .collect();
    if kotlin.is_empty() {
        return Err(format!("no Kotlin sources under {}", from.display()));
    }
    for path in kotlin {
        sync_file(&path, &to.join(path.strip_prefix(from).map_err(|e| e.to_string())?))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AAR's layout, assembled from stand-in files (no NDK here to link real libraries):
    /// what `jar --list` reads back is what Android's build tools look for.
    #[test]
    fn the_aar_holds_its_manifest_classes_each_abis_library_and_rules() {
        let dir = target_dir().join("dist-work").join("aar-layout-test");
        let _ = std::fs::remove_dir_all(&dir);
        let jni = dir.join("jni");
        for abi in &super::super::mobile::ANDROID_ABIS {
            std::fs::create_dir_all(jni.join(abi.abi)).unwrap();
            std::fs::write(jni.join(abi.abi).join("libhmacsig.so"), abi.abi).unwrap();
        }
        std::fs::write(dir.join("classes.jar"), "stand-in").unwrap();
        let written = aar(&dir.join("classes.jar"), &jni, &dir, "9.9.9").unwrap();
        let listing = Command::new("jar").arg("--list").arg("--file").arg(&written).output().unwrap();
        let mut entries: Vec<String> =
            String::from_utf8_lossy(&listing.stdout).lines().filter(|l| !l.ends_with('/')).map(str::to_string).collect();
        entries.sort();
        assert_eq!(
            entries,
            [
                "AndroidManifest.xml",
                "R.txt",
                "classes.jar",
                "jni/arm64-v8a/libhmacsig.so",
                "jni/armeabi-v7a/libhmacsig.so",
                "jni/x86/libhmacsig.so",
                "jni/x86_64/libhmacsig.so",
                "proguard.txt"
            ]
        );
        let pom = std::fs::read_to_string(dir.join("hmacsig-android-9.9.9.pom")).unwrap();
        assert!(
            pom.contains("<artifactId>jna</artifactId>") && pom.contains("<type>aar</type>") && pom.contains("<packaging>aar</packaging>")
        );
        std::fs::remove_file(jni.join("x86").join("libhmacsig.so")).unwrap();
        assert!(aar(&dir.join("classes.jar"), &jni, &dir, "9.9.9").unwrap_err().contains("x86/libhmacsig.so"));
        assert!(MANIFEST.contains("android:minSdkVersion=\"24\""));
    }

    #[test]
    fn every_server_only_file_exists_and_no_other_file_names_the_store() {
        let main = crate::kotlin::project().join("src").join("main").join("kotlin").join("dev").join("hmacsig");
        for name in SERVER_ONLY_KOTLIN {
            assert!(main.join(name).is_file(), "{name} is not in {}", main.display());
        }
        // The client-only bindings have no FfiKeyStore, Verifier.withStore or ReplayGuard.redis:
        // only the server-only files may use them.
        for entry in std::fs::read_dir(&main).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".kt") && !SERVER_ONLY_KOTLIN.contains(&name.as_str()) {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                for server in ["ffi.KeyStore", "FfiVerifier.withStore", "FfiReplayGuard.redis"] {
                    assert!(!text.contains(server), "{name} uses {server}, a server feature");
                }
            }
        }
    }
}

// swift-tools-version:5.9
// The Swift package of hmacsig: the UniFFI-generated bindings (copied in by
// `cargo xtask`, never committed) plus a thin hand-written layer, the
// conformance runner and XCTest tests. Build it with `cargo xtask test --lang swift`,
// which also puts `libhmacsig.so` and its pkg-config file `hmacsig.pc` into `lib/`.
//
// The Rust library is found like any C system library: the module map links
// `hmacsig`, and SwiftPM reads `-L` from `hmacsig.pc` on `PKG_CONFIG_PATH`
// (or the linker finds `libhmacsig.so` in a system folder). No unsafe flags:
// SwiftPM refuses them in a dependency required by version (it allows them
// only in path and branch dependencies). At run time the loader needs
// `libhmacsig.so` on `LD_LIBRARY_PATH` or in a system folder.

import PackageDescription

let package = Package(
    name: "HmacSig",
    products: [
        .library(name: "HmacSig", targets: ["HmacSig"]),
        .executable(name: "HmacSigConformance", targets: ["HmacSigConformance"]),
        .executable(name: "HmacSigBench", targets: ["HmacSigBench"]),
    ],
    targets: [
        // The C header and module map of the Rust library (`link "hmacsig"`).
        .systemLibrary(name: "HmacSigFFI", path: "Sources/HmacSigFFI", pkgConfig: "hmacsig"),
        // Generated HmacSig.swift plus the idiomatic extensions.
        .target(name: "HmacSig", dependencies: ["HmacSigFFI"], path: "Sources/HmacSig"),
        // Speaks docs/specs/conformance.md on stdin/stdout.
        .executableTarget(name: "HmacSigConformance", dependencies: ["HmacSig"], path: "Sources/HmacSigConformance"),
        // The Swift side of `cargo xtask bench` (BENCHMARKS.md), built with `-c release`.
        .executableTarget(name: "HmacSigBench", dependencies: ["HmacSig"], path: "Sources/HmacSigBench"),
        // `EndToEndTests` needs the servers of tests/e2e/README.md: xtask runs it
        // apart, with `--filter EndToEndTests`, and skips it in the unit run.
        .testTarget(name: "HmacSigTests", dependencies: ["HmacSig"], path: "Tests/HmacSigTests"),
    ]
)

// swift-tools-version:5.9
// The Swift package of hmacsig: the UniFFI-generated bindings (copied in by
// `cargo xtask`, never committed) plus a thin hand-written layer, the
// conformance runner and XCTest tests. Build it with `cargo xtask test --lang swift`,
// which also copies `libhmacsig.so` into `lib/`.

import PackageDescription
import Foundation

/// `lib/` beside this file: where xtask puts `libhmacsig.so`. Absolute, so that
/// the linker and the run-time loader find it whatever the working directory.
let libDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("lib").path

let linkLibhmacsig: [LinkerSetting] = [
    .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
]

let package = Package(
    name: "HmacSig",
    products: [
        .library(name: "HmacSig", targets: ["HmacSig"]),
        .executable(name: "HmacSigConformance", targets: ["HmacSigConformance"]),
    ],
    targets: [
        // The C header and module map of the Rust library (`link "hmacsig"`).
        .systemLibrary(name: "HmacSigFFI", path: "Sources/HmacSigFFI"),
        // Generated HmacSig.swift plus the idiomatic extensions.
        .target(
            name: "HmacSig",
            dependencies: ["HmacSigFFI"],
            path: "Sources/HmacSig",
            linkerSettings: linkLibhmacsig
        ),
        // Speaks shared/specs/conformance.md on stdin/stdout.
        .executableTarget(
            name: "HmacSigConformance",
            dependencies: ["HmacSig"],
            path: "Sources/HmacSigConformance",
            linkerSettings: linkLibhmacsig
        ),
        .testTarget(
            name: "HmacSigTests",
            dependencies: ["HmacSig"],
            path: "Tests/HmacSigTests",
            linkerSettings: linkLibhmacsig
        ),
    ]
)

// swift-tools-version:5.9
// An application that uses hmacsig the way any package would: a dependency on
// the HmacSig package, by path.
// SwiftPM finds libhmacsig.so through its pkg-config file: build with
// `PKG_CONFIG_PATH=<folder of hmacsig.pc>`, run with `LD_LIBRARY_PATH=<folder
// of libhmacsig.so>` (`cargo xtask test` does both; see bindings/swift/README.md).

import PackageDescription

let package = Package(
    name: "HmacSigExample",
    // URLSession's async `data(for:)`.
    platforms: [.macOS(.v12), .iOS(.v15)],
    dependencies: [
        // A path dependency's package identity is its folder's name, "swift"
        // (so this package's own folder must have another name).
        .package(path: "../../../bindings/swift"),
    ],
    targets: [
        .executableTarget(
            name: "SignedRequest",
            dependencies: [.product(name: "HmacSig", package: "swift")],
            path: "Sources/SignedRequest"
        ),
    ]
)

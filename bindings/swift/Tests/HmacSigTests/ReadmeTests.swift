// The quick start of bindings/swift/README.md is the code of the example
// examples/swift/signed-request, which `cargo xtask test` builds and runs
// against a verifying server: the README cannot drift from what runs.

import Foundation
import XCTest

final class ReadmeTests: XCTestCase {
    /// The repository's root, from this file's place in it.
    private let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // HmacSigTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // bindings/swift
        .deletingLastPathComponent()  // bindings
        .deletingLastPathComponent()

    private func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func testQuickStartIsTheExample() throws {
        let readme = try text("bindings/swift/README.md")
        let quickStart = try XCTUnwrap(readme.components(separatedBy: "## Quick start").dropFirst().first, "README has no quick start")
        let block = try XCTUnwrap(quickStart.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)

        let example = try text("examples/swift/signed-request/Sources/SignedRequest/main.swift")
        let marked = try XCTUnwrap(
            example.components(separatedBy: "// quick start: begin\n").dropFirst().first?.components(separatedBy: "// quick start: end").first,
            "the example has no quick-start markers"
        )
        XCTAssertEqual(block, marked)
        XCTAssertTrue(block.contains("try request.sign(with: signer)"))
    }
}

// The layout of the core's one call path (docs/ffi.md) against the golden
// bytes the core writes, tests/vectors/ffi/codec.json: the encoder gives
// exactly each message's text and counts, and the decoder turns each result's
// bytes into exactly the stated result.

import Foundation
import XCTest

@testable import HmacSig

private let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // HmacSigTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // bindings/swift
    .deletingLastPathComponent()  // bindings
    .deletingLastPathComponent()

private func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var i = text.startIndex
    while i < text.endIndex {
        let next = text.index(i, offsetBy: 2)
        bytes.append(UInt8(text[i..<next], radix: 16)!)
        i = next
    }
    return bytes
}

private func pairs(_ value: Any?) -> [(String, String)] {
    (value as! [[String]]).map { ($0[0], $0[1]) }
}

private func headers(_ value: Any?) -> [Header] {
    pairs(value).map { Header($0.0, $0.1) }
}

/// An error's fields in the layout's order: reason, then key id or string to sign.
func coreFields(of error: HmacSigError) -> [String] {
    switch error {
    case let .UnknownKey(reason, keyId): return [reason, keyId]
    case let .BadSignature(reason, stringToSign): return [reason, stringToSign]
    default: return [error.reason]
    }
}

final class CodecTests: XCTestCase {
    private func golden() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("tests/vectors/ffi/codec.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testRequestsEncodeToTheGoldenTextAndCounts() throws {
        let cases = try XCTUnwrap(golden()["requests"] as? [[String: Any]])
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let (method, target) = (c["method"] as! String, c["target"] as! String)
            let expected = (text: hex(c["text_hex"] as! String), counts: (c["counts"] as! NSNumber).uint64Value)
            for message in [
                CallMessage.request(method: method, target: target, headers: .pairs(pairs(c["headers"]))),
                CallMessage.request(method: method, target: target, headers: .records(headers(c["headers"]))),
            ] {
                XCTAssertEqual(message.text, expected.text, "\(c)")
                XCTAssertEqual(message.textLength, expected.text.count, "\(c)")
                XCTAssertEqual(message.counts, expected.counts, "\(c)")
            }
        }
    }

    func testResponsesEncodeToTheGoldenTextAndCounts() throws {
        let cases = try XCTUnwrap(golden()["responses"] as? [[String: Any]])
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let request = (c["request"] as? [String: Any]).map {
                Request(method: $0["method"] as! String, target: $0["target"] as! String, headers: headers($0["headers"]), body: Data([1, 2]))
            }
            let status = (c["status"] as! NSNumber).uint16Value
            let message = CallMessage.response(status: status, headers: headers(c["headers"]), request: request)
            XCTAssertEqual(message.text, hex(c["text_hex"] as! String), "\(c)")
            XCTAssertEqual(message.counts, (c["counts"] as! NSNumber).uint64Value, "\(c)")
        }
    }

    func testResultsDecodeToTheGoldenResults() throws {
        let json = try golden()
        XCTAssertEqual(json["kinds"] as? [String], coreErrorKinds)
        let cases = try XCTUnwrap(json["results"] as? [[String: Any]])
        var seen = Set<String>()
        for c in cases {
            let bytes = hex(c["bytes_hex"] as! String)
            let decoded = try XCTUnwrap(bytes.withUnsafeBytes(decodeResult), "\(c)")
            if let signed = c["signed"] as? [String: Any] {
                seen.insert("signed")
                let expected = SignedRequest(
                    headers: headers(signed["headers"]), stringToSign: Data(hex(signed["string_to_sign_hex"] as! String)), url: signed["url"] as? String
                )
                XCTAssertEqual(decoded, .signed(expected), "\(c)")
            } else if let keyId = c["key_id"] as? String {
                seen.insert("key_id")
                XCTAssertEqual(decoded, .keyId(keyId), "\(c)")
            } else {
                seen.insert("error")
                let error = try XCTUnwrap(c["error"] as? [String: Any])
                guard case let .failed(failure) = decoded else { return XCTFail("not an error: \(decoded)") }
                XCTAssertEqual(failure.kind, error["kind"] as? String, "\(c)")
                XCTAssertEqual(coreFields(of: failure), error["fields"] as? [String], "\(c)")
            }
        }
        XCTAssertEqual(seen, ["signed", "key_id", "error"])
    }

    func testEveryKindBuildsItsGeneratedCase() {
        for (code, kind) in coreErrorKinds.enumerated() {
            let fields = ["why", "more"].prefix(kind == "unknown_key" || kind == "bad_signature" ? 2 : 1)
            let error = coreError(code: UInt8(code), fields: Array(fields))
            XCTAssertEqual(error?.kind, kind)
            XCTAssertEqual(error.map(coreFields), Array(fields))
        }
        // A kind of a newer core: still a typed error, with its reason.
        XCTAssertEqual(coreError(code: 200, fields: ["why"])?.kind, "unsupported")
        XCTAssertTrue(coreError(code: 200, fields: ["why"])!.reason.hasPrefix("why"))
    }

    func testMalformedResultsAreRefusedNeverReadPastTheirEnd() throws {
        let bad: [[UInt8]] = [
            [],
            [9],
            [0],
            [0, 255, 255, 255, 255],
            [0, 1, 0, 0, 0, 9, 0, 0, 0, 65, 0, 0, 0, 0],  // a name longer than what is left
            [0, 0, 0, 0, 0, 5, 0, 0, 0, 65],  // a URL longer than what is left
            [2],
            [2, 4, 1, 0, 0, 0],  // bad_signature with one field
            [2, 0, 2, 0, 0, 0, 0, 0, 0, 0],  // invalid_request with two
            [2, 0, 0, 0, 0, 0],  // no field at all
            [2, 3, 2, 0, 0, 0, 9, 0, 0, 0, 65],
        ]
        for bytes in bad {
            XCTAssertNil(bytes.withUnsafeBytes(decodeResult), "\(bytes)")
        }
        // Every prefix of every golden result: decoded or refused, never a crash.
        for c in try XCTUnwrap(golden()["results"] as? [[String: Any]]) {
            let bytes = hex(c["bytes_hex"] as! String)
            for end in 0..<bytes.count {
                _ = Array(bytes[..<end]).withUnsafeBytes(decodeResult)
            }
        }
    }

    func testANulInsideAFieldIsMoreFieldsThanDeclared() {
        let message = CallMessage.request(method: "GET", target: "/", headers: .pairs([("X-A", "a\0b")]))
        XCTAssertEqual(message.counts, 4)
        XCTAssertEqual(message.text, Array("GET\0/\0X-A\0a\0b".utf8))
    }
}

// The conformance runner's JSON values (as JSONSerialization gives them) and
// base64 decoding, exactly as the Rust runner reads them (main.swift runs the cases).

import Foundation

// MARK: - JSON values from JSONSerialization
//
// On Linux, JSONSerialization gives NSNumber for numbers and booleans alike,
// and bridging is lax: `1 as? Bool` is true, `true as? Int64` is 1 and
// `60.0 as? Int64` is 60. These helpers accept only what serde_json's
// `as_bool`, `as_i64` and `as_u64` accept.

let jsonBoolClass: AnyClass = type(of: NSNumber(value: true))

/// A JSON `true`/`false` (not a number).
func jsonBool(_ value: Any?) -> Bool? {
    guard let n = value as? NSNumber, type(of: n) == jsonBoolClass else { return nil }
    return n.boolValue
}

/// The objCType of a JSON number (not a boolean): "q", "i", "Q" for integers, "d" for others.
func jsonNumberType(_ value: Any?) -> String? {
    guard let n = value as? NSNumber, type(of: n) != jsonBoolClass else { return nil }
    return String(cString: n.objCType)
}

let signedIntegerTypes: Set<String> = ["c", "s", "i", "l", "q"]
let unsignedIntegerTypes: Set<String> = ["C", "S", "I", "L", "Q"]

/// A JSON integer that fits in Int64 (serde_json `as_i64`).
func jsonInt64(_ value: Any?) -> Int64? {
    guard let type = jsonNumberType(value), let n = value as? NSNumber else { return nil }
    if signedIntegerTypes.contains(type) { return n.int64Value }
    if unsignedIntegerTypes.contains(type) { return n.uint64Value <= UInt64(Int64.max) ? Int64(n.uint64Value) : nil }
    return nil
}

/// A non-negative JSON integer (serde_json `as_u64`).
func jsonUInt64(_ value: Any?) -> UInt64? {
    guard let type = jsonNumberType(value), let n = value as? NSNumber else { return nil }
    if signedIntegerTypes.contains(type) { return n.int64Value >= 0 ? UInt64(n.int64Value) : nil }
    if unsignedIntegerTypes.contains(type) { return n.uint64Value }
    return nil
}

/// `obj[key]`, nil when `obj` is not an object or has no such key (serde_json `Value::get`).
func member(_ obj: Any?, _ key: String) -> Any? {
    (obj as? [String: Any])?[key]
}

func isNull(_ value: Any?) -> Bool {
    value == nil || value is NSNull
}

/// Compact JSON text of a value, for messages.
func jsonText(_ value: Any?) -> String {
    guard let value, !(value is NSNull) else { return "null" }
    if let b = jsonBool(value) { return b ? "true" : "false" }
    if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes]) {
        return String(decoding: data, as: UTF8.self)
    }
    return String(describing: value)
}

/// Rust's `{:?}` of a string: quoted, with escapes.
func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\0": out += "\\0"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

// MARK: - Base64 exactly as the Rust runner decodes it (standard alphabet,
// canonical padding required, no trailing bits, no whitespace).

struct Base64Error: Error, CustomStringConvertible {
    let description: String
}

let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
let base64Values: [UInt8: UInt8] = Dictionary(uniqueKeysWithValues: base64Alphabet.enumerated().map { ($1, UInt8($0)) })

func decodeBase64(_ text: String) throws -> Data {
    let bytes = Array(text.utf8)
    var padding = 0
    while padding < bytes.count, bytes[bytes.count - 1 - padding] == UInt8(ascii: "=") { padding += 1 }
    let symbols = bytes.count - padding
    var values = [UInt8]()
    values.reserveCapacity(symbols)
    for (offset, byte) in bytes[..<symbols].enumerated() {
        guard let v = base64Values[byte] else { throw Base64Error(description: "Invalid symbol \(byte), offset \(offset).") }
        values.append(v)
    }
    if symbols % 4 == 1 { throw Base64Error(description: "Invalid input length.") }
    let expectedPadding = (4 - symbols % 4) % 4
    if padding != expectedPadding { throw Base64Error(description: "Invalid padding") }
    var out = Data(capacity: symbols * 3 / 4)
    var i = 0
    while i + 4 <= symbols {
        let (a, b, c, d) = (values[i], values[i + 1], values[i + 2], values[i + 3])
        out.append(a << 2 | b >> 4)
        out.append(b << 4 | c >> 2)
        out.append(c << 6 | d)
        i += 4
    }
    switch symbols - i {
    case 2:
        let (a, b) = (values[i], values[i + 1])
        if b & 0x0f != 0 { throw Base64Error(description: "Invalid last symbol \(bytes[i + 1]), offset \(i + 1).") }
        out.append(a << 2 | b >> 4)
    case 3:
        let (a, b, c) = (values[i], values[i + 1], values[i + 2])
        if c & 0x03 != 0 { throw Base64Error(description: "Invalid last symbol \(bytes[i + 2]), offset \(i + 2).") }
        out.append(a << 2 | b >> 4)
        out.append(b << 4 | c >> 2)
    default:
        break
    }
    return out
}

// The Swift conformance runner: reads a JSON array of cases (file argument or
// stdin), writes a JSON array of results to stdout, logs to stderr only.
// Uses only the public `HmacSig` module, as a user would. The mapping from a
// case to the API is in tests/conformance/README.md; this mirrors the Rust
// runner (tests/conformance/rust/src/main.rs) step for step, including the
// order in which the parts of a case are read.

import Foundation
import HmacSig

// MARK: - Reading a case

/// A case the runner cannot decode; reported as `invalid_request`.
private func badCase(_ why: String) -> HmacSigError {
    .InvalidRequest(reason: "unusable case: \(why)")
}

private func stringField(_ obj: Any?, _ key: String) throws -> String? {
    let value = member(obj, key)
    if isNull(value) { return nil }
    guard let s = value as? String else { throw badCase("\(key) must be a string, not \(jsonText(value))") }
    return s
}

private func stringList(_ obj: Any?, _ key: String) throws -> [String]? {
    let value = member(obj, key)
    if isNull(value) { return nil }
    guard let items = value as? [Any] else { throw badCase("\(key) must be a list, not \(jsonText(value))") }
    return try items.map { item in
        guard let s = item as? String else { throw badCase("\(key) must hold strings") }
        return s
    }
}

/// A JSON boolean, false when absent or null; anything else is a bad case
/// (the Rust runner's `bool_field`).
private func boolField(_ obj: Any?, _ key: String) throws -> Bool {
    try boolOr(obj, key, false)
}

/// A JSON boolean, `default` when absent or null; anything else is a bad case
/// (the Rust runner's `bool_or`).
private func boolOr(_ obj: Any?, _ key: String, _ defaultValue: Bool) throws -> Bool {
    let value = member(obj, key)
    if isNull(value) { return defaultValue }
    guard let b = jsonBool(value) else { throw badCase("\(key) must be true or false, not \(jsonText(value))") }
    return b
}

/// A JSON integer in 0...UInt32.max, `default` when absent or null; anything
/// else is a bad case (the Rust runner's `seconds_field`).
private func secondsField(_ obj: Any?, _ key: String, default value: UInt32) throws -> UInt32 {
    let raw = member(obj, key)
    if isNull(raw) { return value }
    guard let n = jsonUInt64(raw), n <= UInt64(UInt32.max) else { throw badCase("\(key) must be a non-negative integer") }
    return UInt32(n)
}

/// A JSON integer that fits Int64, nil when absent or null; anything else is
/// a bad case (the Rust runner's `int_field`).
private func intField(_ obj: Any?, _ key: String) throws -> Int64? {
    let raw = member(obj, key)
    if isNull(raw) { return nil }
    guard let n = jsonInt64(raw) else { throw badCase("\(key) must be an integer") }
    return n
}

/// `sha-256` or `sha-512`, as the cases spell them; anything else is
/// `unsupported` with the core's message (`ContentDigest::from_name`).
private func contentDigest(_ name: String) throws -> ContentDigest {
    switch name {
    case "sha-256": return .sha256
    case "sha-512": return .sha512
    default:
        throw HmacSigError.Unsupported(reason: "content digest \(quoted(name)) is not offered; use sha-256 or sha-512")
    }
}

/// `header` or `query`, as the cases spell them; anything else is `unsupported`
/// with the Rust runner's message.
private func signatureType(_ name: String) throws -> SignatureType {
    switch name {
    case "header": return .header
    case "query": return .query
    default:
        throw HmacSigError.Unsupported(reason: "aws-sigv4 signature_type \(quoted(name)) is not offered; use header or query")
    }
}

/// `header` or `bewit`, as hawk's cases spell them; anything else is
/// `unsupported` with the Rust runner's message.
private func hawkSignatureType(_ name: String) throws -> SignatureType {
    switch name {
    case "header": return .header
    case "bewit": return .query
    default:
        throw HmacSigError.Unsupported(reason: "hawk signature_type \(quoted(name)) is not offered; use header or bewit")
    }
}

/// `x-request` or `authorization`, as the cases spell them; anything else is
/// `unsupported` with the core's message (`HeaderStyle::from_name`).
private func headerStyle(_ name: String) throws -> HeaderStyle {
    switch name {
    case "x-request": return .xRequest
    case "authorization": return .authorization
    default:
        throw HmacSigError.Unsupported(reason: "timestamped header_style \(quoted(name)) is not offered; use x-request or authorization")
    }
}

private func isVerify(_ c: [String: Any]) -> Bool {
    (c["op"] as? String) == "verify"
}

private func scheme(_ c: [String: Any]) throws -> Scheme {
    guard let scheme = c["scheme"] else { throw badCase("no scheme") }
    let policy: Any? = isVerify(c) ? c["policy"] : nil
    let name = try stringField(scheme, "name")
    switch name {
    case "api-auth":
        // For verify, the policy's headers_to_sign / override_method are "as the signer used them".
        let headersToSign = try stringList(policy, "headers_to_sign") ?? stringList(scheme, "headers_to_sign") ?? []
        let overrideMethod = try stringField(policy, "override_method") ?? stringField(scheme, "override_method")
        return try Scheme.apiAuth(digest: stringField(scheme, "digest") ?? "sha1", headersToSign: headersToSign, overrideMethod: overrideMethod)
    case "path-body-hex":
        return try Scheme.pathBodyHex(digest: stringField(scheme, "digest") ?? "sha1")
    case "timestamped":
        let style = try headerStyle(stringField(scheme, "header_style") ?? "x-request")
        return Scheme.timestamped(headerStyle: style, lowercaseUrl: try boolField(scheme, "lowercase_url"))
    case "aws-sigv4":
        // Read in the Rust runner's order: signature_type first, then the arguments in turn.
        let type = try signatureType(stringField(scheme, "signature_type") ?? "header")
        func required(_ key: String) throws -> String {
            guard let value = try stringField(scheme, key) else { throw badCase("aws-sigv4 needs \(key)") }
            return value
        }
        let region = try required("region")
        let service = try required("service")
        let sessionToken = try stringField(scheme, "session_token")
        let omitSessionToken = try boolField(scheme, "omit_session_token")
        let normalize = try boolOr(scheme, "normalize", true)
        let doubleUriEncode = try boolOr(scheme, "double_uri_encode", true)
        let signBody = try boolField(scheme, "sign_body")
        let expires = try secondsField(scheme, "expires", default: 3600)
        return try Scheme.awsSigv4(
            region: region,
            service: service,
            sessionToken: sessionToken,
            omitSessionToken: omitSessionToken,
            normalize: normalize,
            doubleUriEncode: doubleUriEncode,
            signBody: signBody,
            signatureType: type,
            expires: expires
        )
    case "rfc9421":
        // Read in the Rust runner's order: the arguments in turn.
        let components = try stringList(scheme, "components")
        let label = try stringField(scheme, "label") ?? "sig1"
        let created = try intField(scheme, "created")
        let expires = try intField(scheme, "expires")
        let nonce = try stringField(scheme, "nonce")
        let tag = try stringField(scheme, "tag")
        let includeAlg = try boolField(scheme, "include_alg")
        let digest = try stringField(scheme, "content_digest").map(contentDigest)
        return try Scheme.rfc9421(
            components: components,
            label: label,
            created: created,
            expires: expires,
            nonce: nonce,
            tag: tag,
            includeAlg: includeAlg,
            contentDigest: digest
        )
    case "kong-hmac":
        // Read in the Rust runner's order: the arguments in turn.
        let algorithm = try stringField(scheme, "algorithm") ?? "hmac-sha256"
        let headers = try stringList(scheme, "headers")
        let headerName = try stringField(scheme, "header_name") ?? "authorization"
        let httpVersion = try stringField(scheme, "http_version") ?? "1.1"
        let digest = try boolField(scheme, "digest")
        return try Scheme.kongHmac(
            algorithm: algorithm, headers: headers, headerName: headerName, httpVersion: httpVersion, digest: digest
        )
    case "hawk":
        // Fields in order (as every runner reads them): the first bad one is reported.
        let algorithm = try stringField(scheme, "algorithm") ?? "sha256"
        let nonce = try stringField(scheme, "nonce")
        let ext = try stringField(scheme, "ext")
        let app = try stringField(scheme, "app")
        let dlg = try stringField(scheme, "dlg")
        let payloadHash = try boolOr(scheme, "payload_hash", true)
        let type = try hawkSignatureType(stringField(scheme, "signature_type") ?? "header")
        let ttl = try secondsField(scheme, "ttl", default: 60)
        return try Scheme.hawk(
            algorithm: algorithm,
            nonce: nonce,
            ext: ext,
            app: app,
            dlg: dlg,
            payloadHash: payloadHash,
            signatureType: type,
            ttl: ttl
        )
    default:
        throw HmacSigError.Unsupported(reason: "scheme \(quoted(name ?? "")) is not offered")
    }
}

private func policy(_ c: [String: Any]) throws -> Policy? {
    guard let policy = c["policy"], !(policy is NSNull) else { return nil }
    let name = try stringField(c["scheme"], "name")
    switch name {
    case "api-auth":
        let clockSkew = try secondsField(policy, "clock_skew", default: 900)
        let flag = { (key: String) in jsonBool(member(policy, key)) ?? false }
        return try Policy.apiAuth(
            clockSkew: clockSkew,
            digest: stringField(policy, "digest"),
            trustOriginalUri: flag("trust_original_uri"),
            allowUnsignedBody: flag("allow_unsigned_body")
        )
    case "path-body-hex":
        // path-body-hex has no policy options.
        return nil
    case "aws-sigv4":
        return Policy.awsSigv4(maxSkew: try secondsField(policy, "max_skew", default: 900))
    case "timestamped":
        return try Policy.timestamped(
            maxAge: secondsField(policy, "max_age", default: 300),
            maxFuture: secondsField(policy, "max_future", default: 5),
            publicBaseUrl: stringField(policy, "public_base_url"),
            trustForwarded: boolField(policy, "trust_forwarded")
        )
    case "rfc9421":
        return try Policy.rfc9421(
            maxAge: secondsField(policy, "max_age", default: 300),
            requiredComponents: stringList(policy, "required_components"),
            clockSkew: secondsField(policy, "clock_skew", default: 5),
            label: stringField(policy, "label"),
            tag: stringField(policy, "tag"),
            allowUnsignedBody: boolField(policy, "allow_unsigned_body")
        )
    case "kong-hmac":
        return try Policy.kongHmac(
            clockSkew: secondsField(policy, "clock_skew", default: 300),
            enforceHeaders: stringList(policy, "enforce_headers") ?? [],
            algorithms: stringList(policy, "algorithms"),
            validateRequestBody: boolField(policy, "validate_request_body")
        )
    case "hawk":
        // Fields in order (as every runner reads them): the first bad one is reported.
        let timestampSkew = try secondsField(policy, "timestamp_skew", default: 60)
        let requirePayloadHash: Bool
        switch try stringField(policy, "payload") ?? "verify" {
        case "verify": requirePayloadHash = false
        case "require": requirePayloadHash = true
        case let other:
            throw HmacSigError.Unsupported(reason: "hawk payload \(quoted(other)) is not offered; use verify or require")
        }
        let host = try stringField(policy, "host")
        var port: UInt16?
        let rawPort = member(policy, "port")
        if !isNull(rawPort) {
            guard let p = jsonUInt64(rawPort), p <= UInt64(UInt16.max) else { throw badCase("port must be an integer in 0..65535") }
            port = UInt16(p)
        }
        return try Policy.hawk(timestampSkew: timestampSkew, requirePayloadHash: requirePayloadHash, host: host, port: port)
    default:
        throw HmacSigError.Unsupported(reason: "scheme \(quoted(name ?? "")) is not offered")
    }
}

private func credentials(_ c: [String: Any]) throws -> Credentials {
    guard let creds = c["credentials"] else { throw badCase("no credentials") }
    let keyId = try stringField(creds, "key_id") ?? ""
    let text = try stringField(creds, "secret")
    let b64 = try stringField(creds, "secret_b64")
    if let b64 {
        do {
            return Credentials(keyId: keyId, secret: try decodeBase64(b64))
        } catch {
            throw badCase("secret_b64: \(error)")
        }
    }
    guard let text else { throw badCase("credentials need secret or secret_b64") }
    return Credentials(keyId: keyId, secret: text)
}

/// The headers and body of a request or response object (the Rust runner's `headers_and_body`).
private func headersAndBody(_ r: Any?) throws -> ([Header], Data) {
    var headers: [Header] = []
    let rawHeaders = member(r, "headers")
    if !isNull(rawHeaders) {
        guard let pairs = rawHeaders as? [Any] else { throw badCase("headers must be a list, not \(jsonText(rawHeaders))") }
        headers = try pairs.map { pair in
            guard let p = pair as? [Any], p.count == 2, let name = p[0] as? String, let value = p[1] as? String else {
                throw badCase("a header must be a [name, value] pair of strings, not \(jsonText(pair))")
            }
            return Header(name: name, value: value)
        }
    }
    var body = Data()
    if let b64 = try stringField(r, "body_b64") {
        do {
            body = try decodeBase64(b64)
        } catch {
            throw badCase("body_b64: \(error)")
        }
    }
    return (headers, body)
}

private func request(_ c: [String: Any]) throws -> Request {
    guard let r = c["request"] else { throw badCase("no request") }
    let (headers, body) = try headersAndBody(r)
    guard let method = try stringField(r, "method") else { throw badCase("no method") }
    guard let target = try stringField(r, "target") else { throw badCase("no target") }
    return Request(method: method, target: target, headers: headers, body: body)
}

/// Our extension for rfc9421 and hawk: a case with `response` signs or verifies that
/// response; its `request`, if any, is the request it answers.
private func response(_ c: [String: Any]) throws -> (Response, Request?)? {
    let r = c["response"]
    if isNull(r) { return nil }
    guard let status = jsonUInt64(member(r, "status")), status <= UInt64(UInt16.max) else { throw badCase("response.status") }
    let (headers, body) = try headersAndBody(r)
    var answered: Request?
    if !isNull(c["request"]) { answered = try request(c) }
    return (Response(status: UInt16(status), headers: headers, body: body), answered)
}

private func now(_ c: [String: Any]) throws -> Int64? {
    let value = c["now"]
    if isNull(value) { return nil }
    guard let n = jsonInt64(value) else { throw badCase("now must be an integer") }
    return n
}

// MARK: - Running a case

private func runCase(_ c: [String: Any]) throws -> [String: Any] {
    var out: [String: Any] = [:]
    let op = c["op"] as? String
    switch op {
    case "sign":
        let signed: SignedRequest
        if case let (message, answered)? = try response(c) {
            signed = try signResponse(
                scheme: try scheme(c), credentials: try credentials(c), response: message, request: answered, now: try now(c)
            )
        } else {
            let signer = Signer(scheme: try scheme(c), credentials: try credentials(c))
            let r = try request(c)
            // The `(name, value)` convenience, as user code takes it.
            let pairs = r.headers.map { ($0.name, $0.value) }
            signed = try signer.sign(method: r.method, target: r.target, headers: pairs, body: r.body, now: try now(c))
        }
        out["headers"] = signed.headers.map { [$0.name, $0.value] }
        if let text = signed.stringToSignText {
            out["string_to_sign"] = text
        } else {
            out["string_to_sign_b64"] = signed.stringToSign.base64EncodedString()
        }
        if let url = signed.url {
            out["url"] = url
        }
    case "verify":
        if case let (message, answered)? = try response(c) {
            out["key_id"] = try verifyResponse(
                scheme: try scheme(c), credentials: try credentials(c), response: message, request: answered,
                policy: try policy(c), now: try now(c)
            )
        } else {
            out["key_id"] = try verifyRequest(
                scheme: try scheme(c), credentials: try credentials(c), request: try request(c), policy: try policy(c), now: try now(c)
            )
        }
    case "key_id":
        out["key_id"] = try extractKeyId(scheme: try scheme(c), request: try request(c))
    default:
        throw HmacSigError.Unsupported(reason: "op \(quoted(op ?? "")) is not offered")
    }
    return out
}

private func result(_ raw: Any) -> [String: Any] {
    let c = raw as? [String: Any] ?? [:]
    var out: [String: Any] = ["id": c["id"] ?? NSNull()]
    do {
        out.merge(try runCase(c)) { _, new in new }
        out["ok"] = true
    } catch let error as HmacSigError {
        out["ok"] = false
        out["error"] = error.kind
        out["message"] = error.localizedDescription
    } catch {
        // Not an HmacSigError: a UniFFI internal error (a Rust panic). Never expected.
        out["ok"] = false
        out["error"] = "internal_error"
        out["message"] = "\(error)"
    }
    return out
}

// MARK: - Main

private func log(_ message: String) {
    FileHandle.standardError.write(Data("hmacsig-conformance (swift): \(message)\n".utf8))
}

private func readInput() -> Data? {
    let args = CommandLine.arguments
    if args.count > 1 {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: args[1]))
        } catch {
            log("cannot read cases from \(args[1]): \(error.localizedDescription)")
            return nil
        }
    }
    return FileHandle.standardInput.readDataToEndOfFile()
}

private func main() -> Int32 {
    guard let input = readInput() else { return 2 }
    let parsed: Any
    do {
        parsed = try JSONSerialization.jsonObject(with: input, options: [.fragmentsAllowed])
    } catch {
        log("the input is not JSON: \(error.localizedDescription)")
        return 2
    }
    guard let cases = parsed as? [Any] else {
        log("the input must be a JSON array of cases")
        return 2
    }
    let results = cases.map(result)
    do {
        var data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    } catch {
        log("cannot write the results as JSON: \(error.localizedDescription)")
        return 2
    }
    return 0
}

exit(main())

// Hand-written: signing a Foundation `URLRequest` for URLSession, and the
// redirects URLSession follows with it (`RedirectSigningDelegate`, below).
//
// What is signed must be what goes on the wire, and what a verifying server
// sees: the origin-form target of the request line plus the headers, `Host`
// included (the project's rule for every client integration). URLSession
// changes a request at send time (FoundationNetworking on Linux hands it to
// libcurl), so before signing, the request is given those changes explicitly,
// or refused with an `HmacSigError` when it cannot be signed as it will be
// sent. Measured with FoundationNetworking 6.0.3 / libcurl 8.14 against a raw
// socket:
// - a POST with a non-empty body and no Content-Type gets
//   `Content-Type: application/x-www-form-urlencoded`;
// - dot segments (`.`, `..`, `%2E`) are removed from the path;
// - an empty query (`?`) and the fragment are not sent;
// - without a `Host` header, libcurl sends the URL's host as the URL holds it
//   (case and a trailing dot kept, IDN as punycode, percent-escapes decoded,
//   IPv6 in brackets) and `:port` unless it is the scheme's default;
// - a `Host` set on the request is sent once, as set, instead of libcurl's,
//   also after a redirect to another host;
// - header values are sent verbatim, and HTTP parsers drop surrounding blanks;
// - `user:password@` in the URL becomes `Authorization: Basic`;
// - Accept, Accept-Encoding, Accept-Language, Connection, User-Agent,
//   Content-Length (and cookies) are added; a header the request already has
//   is sent as set.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension URLRequest {
    /// Signs this request with `signer` so that URLSession sends exactly what
    /// was signed. Sets the scheme's headers (replacing any of the same name),
    /// or, for an aws-sigv4 presigned scheme, the signed URL. `now` is Unix
    /// seconds (nil: the system clock). Returns what was signed (its
    /// `stringToSign` helps to compare with a server's).
    ///
    /// What is signed is what the server sees, for every scheme: the
    /// origin-form target (`/path?query`, percent-encoded exactly as the URL
    /// holds it, query order kept) and the headers, `Host` included. A request
    /// without `Host` gets one set here, with the value URLSession sends: the
    /// URL's host (IPv6 in brackets) and `:port` unless it is the default one.
    /// The schemes that cover a URL (timestamped, rfc9421's `@target-uri` and
    /// `@scheme`) then sign `https://` + Host + target, which is what a
    /// verifier rebuilds by default; over a plain `http://` URL too, so that
    /// such a verifier accepts it as it is.
    ///
    /// Before signing, the request also gets what URLSession would change at send time:
    /// - a `POST` with a body and no `Content-Type` gets
    ///   `Content-Type: application/x-www-form-urlencoded` (URLSession's default);
    /// - dot segments (`/./`, `/../`) are removed from the URL's path;
    /// - blanks around header values are trimmed.
    ///
    /// Headers URLSession adds later (`Accept`, `Accept-Encoding`, `User-Agent`,
    /// `Content-Length`, cookies, a session's `httpAdditionalHeaders`) are not
    /// signed: set one on the request first if the scheme must cover it.
    /// URLSession follows a redirect with a copy of this request, signature and
    /// `Host` included, whatever its host: give the session (or the task) a
    /// `RedirectSigningDelegate`, which signs a redirect to the same host again
    /// and sends one to another host without the signature and with its own `Host`.
    ///
    /// Throws `HmacSigError.Unsupported` for an `httpBodyStream` body (its bytes
    /// are read only while sending: set `httpBody`), `HmacSigError.InvalidRequest`
    /// for a URL that is missing, not `http`/`https`, without a host, or with a
    /// user name or password (URLSession would send them as
    /// `Authorization: Basic`), and any error of the signer. On error the
    /// request is left unchanged.
    @discardableResult
    public mutating func sign(with signer: Signer, now: Int64? = nil) throws -> SignedRequest {
        var prepared = self
        let request = try prepared.prepareForSigning()
        // hawk signs the URL's host and port as the client names them (443 for https).
        var target = request.target
        if signer.signsAbsoluteUrl(), let origin = prepared.url.flatMap(schemeAndAuthority) {
            target = origin + request.target
        }
        let signed = try signer.sign(method: request.method, target: target, headers: request.headers, body: request.body, now: now)
        if let signedTarget = signed.url, signedTarget.contains("://") {
            // A hawk bewit: the absolute URL itself.
            guard let url = URL(string: signedTarget) else {
                throw HmacSigError.InvalidRequest(reason: "the signed URL \(signedTarget) does not make a URL Foundation can parse")
            }
            prepared.url = url
        } else if let signedTarget = signed.url {
            // Presigned: the signature travels in the query of the signed
            // origin-form target, put after the URL's scheme and authority
            // (not resolved as a reference: a target `//a` is a path).
            guard let origin = prepared.url.flatMap(schemeAndAuthority), let url = URL(string: origin + signedTarget) else {
                throw HmacSigError.InvalidRequest(reason: "the signed target \(signedTarget) does not make a URL Foundation can parse")
            }
            prepared.url = url
        }
        for header in signed.headers {
            prepared.setValue(header.value, forHTTPHeaderField: header.name)
        }
        self = prepared
        return signed
    }

    /// Signs this request as `sign(with:now:)` does, at the time corrected by
    /// `clockSkew` (the system clock until it has learnt an offset): see `ClockSkew`.
    @discardableResult
    public mutating func sign(with signer: Signer, clockSkew: ClockSkew) throws -> SignedRequest {
        try sign(with: signer, now: clockSkew.now())
    }

    /// A signed copy of this request (see `sign(with:now:)`); this one is unchanged.
    public func signed(with signer: Signer, now: Int64? = nil) throws -> URLRequest {
        var copy = self
        try copy.sign(with: signer, now: now)
        return copy
    }

    /// Applies URLSession's send-time changes to this request, sets `Host` if
    /// missing, and returns it as the server receives it: origin-form target
    /// and headers.
    mutating func prepareForSigning() throws -> Request {
        if httpBodyStream != nil {
            throw HmacSigError.Unsupported(
                reason: "a request with an httpBodyStream cannot be signed: its bytes are read only while it is sent; set httpBody instead"
            )
        }
        guard let url else {
            throw HmacSigError.InvalidRequest(reason: "the request has no URL")
        }
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            throw HmacSigError.InvalidRequest(reason: "the URL \(url.absoluteString) cannot be split into its components")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw HmacSigError.InvalidRequest(reason: "only http and https URLs can be signed, not \(url.absoluteString)")
        }
        guard components.percentEncodedHost?.isEmpty == false else {
            throw HmacSigError.InvalidRequest(reason: "the URL \(url.absoluteString) has no host")
        }
        if components.percentEncodedUser != nil || components.percentEncodedPassword != nil {
            throw HmacSigError.InvalidRequest(
                reason: "the URL carries a user name or password, which URLSession would send as an unsigned Authorization: Basic; remove it from the URL"
            )
        }

        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let sentPath = removingDotSegments(path)
        if sentPath != path {
            components.percentEncodedPath = sentPath
            guard let rewritten = components.url else {
                throw HmacSigError.InvalidRequest(reason: "the URL \(url.absoluteString) has no valid form without its dot segments")
            }
            self.url = rewritten
        }
        let query = components.percentEncodedQuery.map { $0.isEmpty ? "" : "?" + $0 } ?? ""

        let method = httpMethod ?? "GET"
        let body = httpBody ?? Data()
        if method.uppercased() == "POST", !body.isEmpty, value(forHTTPHeaderField: "Content-Type") == nil {
            setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }

        if value(forHTTPHeaderField: "Host") == nil {
            setValue(try hostHeader(of: components, scheme: scheme), forHTTPHeaderField: "Host")
        }

        var headers: [Header] = []
        for (name, value) in (allHTTPHeaderFields ?? [:]).sorted(by: { $0.key.lowercased() < $1.key.lowercased() }) {
            let trimmed = value.trimmingCharacters(in: httpBlanks)
            if trimmed != value {
                setValue(trimmed, forHTTPHeaderField: name)
            }
            headers.append(Header(name: name, value: trimmed))
        }
        return Request(method: method, target: sentPath + query, headers: headers, body: body)
    }
}

// MARK: - Redirects
//
// URLSession follows a redirect with a copy of the request that got it: every
// header, the signature and the `Host` that `sign(with:)` set included, to
// whatever host the `Location` names. Only a task delegate sees the new
// request before it goes out, in
// `urlSession(_:task:willPerformHTTPRedirection:newRequest:completionHandler:)`.
// Read in FoundationNetworking's source (6.0.3, Linux) and measured on
// loopback (bindings/swift/Tests/HmacSigTests/RedirectTests.swift):
// - it asks `task.delegate` (set on the task, else the session's delegate),
//   not the `delegate:` of `data(for:delegate:)`, which does not set it;
// - the new request keeps every header of the one it follows;
// - a 301/302 after a POST, and a 303, make it a GET and drop `httpBody`;
// - it is sent without a body even after a 307/308, which keep the method
//   (the task's body is not sent again): a POST goes with `Content-Length: 0`;
// - `task.currentRequest` is, during the callback, the request that got the
//   redirect (the previous hop), as the delegate returned it.

/// Follows the redirects of requests signed with `sign(with:)` so that a
/// signature never reaches another host. Give it to URLSession as the
/// session's delegate, or as a data task's `delegate` before `resume()`:
///
/// ```swift
/// let redirects = RedirectSigningDelegate(signer: signer)
/// let session = URLSession(configuration: .default, delegate: redirects, delegateQueue: nil)
/// let (data, response) = try await session.data(for: request)
/// ```
///
/// (On Linux the `delegate:` argument of `data(for:delegate:)` is not asked
/// about redirects: FoundationNetworking asks the session's or `task.delegate`.)
///
/// A redirect of a signed request (one that carries the headers `signer`
/// sets) is sent:
/// - to the same host (scheme, host and port), signed again for its new URL,
///   with the method and body URLSession sends after it (a 301/302 after a
///   `POST`, and a 303, make a `GET` without body; on Linux, FoundationNetworking
///   sends no body after a 307/308 either, and that is what is signed);
/// - to another host, without the headers `signer` sets (`Authorization`,
///   `Date`, `X-Authorization-Content-SHA256`, `X-Request-*`, `X-Amz-*`,
///   `Signature`, `Signature-Input`, `Content-Digest`: those of its scheme,
///   also if you set one yourself) and without the `Host` of the request
///   before (URLSession sends the new host's); with `resignCrossHostRedirects`
///   (off by default: it sends a valid signature wherever a server redirects
///   the client) signed for that host instead.
///
/// A redirect of a request that carries no signature, among them every one
/// after a redirect left the host, is not signed (but for another host it
/// loses those headers and `Host` too): the host that sent the client
/// elsewhere chose where it goes next. A presigned URL (aws-sigv4 with
/// `.query`) is not signed again: the new URL is the server's.
/// When the new request cannot be signed the redirect is not followed: the
/// task ends with the redirect response.
///
/// `clockSkew` (optional) gives the signing time, as for `sign(with:clockSkew:)`.
/// A delegate of your own can call `request(forRedirect:after:)` instead.
public final class RedirectSigningDelegate: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // @unchecked: every stored property is immutable, and Signer and ClockSkew are thread-safe.
    private let signer: Signer
    private let clockSkew: ClockSkew?
    private let resignCrossHostRedirects: Bool

    /// A delegate that signs redirects with `signer` (at `clockSkew`'s time,
    /// or the system clock), and to another host only with `resignCrossHostRedirects`.
    public init(signer: Signer, clockSkew: ClockSkew? = nil, resignCrossHostRedirects: Bool = false) {
        self.signer = signer
        self.clockSkew = clockSkew
        self.resignCrossHostRedirects = resignCrossHostRedirects
    }

    /// Sends `request(forRedirect:after:)` of the new request, after the
    /// task's current request (the one that got the redirect).
    public func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(self.request(forRedirect: request, after: task.currentRequest ?? task.originalRequest))
    }

    /// The request to send for the redirect `newRequest` that URLSession made
    /// of `previous` (the request that got the redirect: `task.currentRequest`),
    /// by the rules of the class; nil when it cannot be signed (do not follow it).
    public func request(forRedirect newRequest: URLRequest, after previous: URLRequest?) -> URLRequest? {
        var next = newRequest
        #if canImport(FoundationNetworking)
        // FoundationNetworking sends a redirect without a body, even after a
        // 307/308: what is signed must be what is sent.
        next.httpBody = nil
        #endif
        let names = previous.flatMap(signatureHeaderNames(of:))
        let wasSigned = previous.map { request in
            names.map { !$0.isEmpty && $0.allSatisfy { request.value(forHTTPHeaderField: $0) != nil } } ?? false
        } ?? false
        let nextHost = next.url.flatMap(HostOfURL.init)
        let sameHost = nextHost != nil && nextHost == previous?.url.flatMap(HostOfURL.init)
        if sameHost && !wasSigned {
            return next  // not signed by `signer`, or the client has been to another host since
        }
        for name in names ?? allSignatureHeaderNames {
            next.setValue(nil, forHTTPHeaderField: name)
        }
        if !sameHost {
            next.setValue(nil, forHTTPHeaderField: "Host")  // libcurl then sends the new host's
        }
        guard wasSigned, sameHost || resignCrossHostRedirects else {
            return next
        }
        do {
            try next.sign(with: signer, now: clockSkew?.now())
            return next
        } catch {
            return nil
        }
    }

    /// The names of the headers `signer` sets on `request` when it has none of
    /// them yet (`Host` aside: it is never taken off a request for the same
    /// host); nil when `signer` cannot sign it.
    private func signatureHeaderNames(of request: URLRequest) -> [String]? {
        var probe = request
        for name in allSignatureHeaderNames {
            probe.setValue(nil, forHTTPHeaderField: name)
        }
        guard let signed = try? probe.sign(with: signer, now: clockSkew?.now()) else {
            return nil
        }
        return signed.headers.map(\.name).filter { $0.lowercased() != "host" }
    }
}

/// Every header a scheme of the core may set on a request (but `Host`), taken
/// off a redirect to another host when the signer's own cannot be known. A
/// new scheme's headers belong here too.
private let allSignatureHeaderNames = [
    "Authorization", "Date", "X-Authorization-Content-SHA256",  // api-auth, path-body-hex
    "X-Request-Timestamp", "X-Request-Signature", "X-Request-Key-Id",  // timestamped
    "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256",  // aws-sigv4
    "Signature", "Signature-Input", "Content-Digest",  // rfc9421
    "Proxy-Authorization", "X-Date", "Digest",  // kong-hmac (and Authorization, Date; hawk: Authorization)
]

/// The scheme, host and port of a URL (the scheme's default port when it has
/// none): a redirect whose URL has others goes to another host.
private struct HostOfURL: Equatable {
    let scheme: String
    let host: String
    let port: Int?

    init?(_ url: URL) {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true),
            let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased()
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? ["http": 80, "https": 443][scheme]
    }
}

/// Clock-skew correction for signed URLRequests (opt-in, as the AWS SDKs do
/// it). Keep one per server, sign with `sign(with:clockSkew:)`, and give it
/// each refusal; when `learn(from:body:)` returns true, sign the original
/// request (as it was before signing) again and send it once more:
///
/// ```swift
/// let skew = ClockSkew()
/// var request = original
/// try request.sign(with: signer, clockSkew: skew)
/// var (body, response) = try await session.data(for: request)
/// if let http = response as? HTTPURLResponse, skew.learn(from: http, body: body) {
///     request = original
///     try request.sign(with: signer, clockSkew: skew)
///     (body, response) = try await session.data(for: request)   // once, never more
/// }
/// ```
///
/// It learns from a 401 or 403 whose body starts with `stale:` or `future:`
/// (the refusal contract `<kind>: <sentence>`) and which has a `Date` header:
/// the offset is that `Date` minus this machine's clock, in seconds. Later
/// requests signed with it use the corrected time. Any other response teaches
/// it nothing. Safe to share between threads.
public final class ClockSkew: @unchecked Sendable {
    private let lock = NSLock()
    private var learnt: Int64 = 0

    /// No offset yet: requests are signed at the system clock.
    public init() {}

    /// Seconds added to this machine's clock when signing.
    public var offset: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return learnt
    }

    /// `now` for signing: nil (the system clock) until an offset is learnt.
    public func now() -> Int64? {
        let offset = self.offset
        return offset == 0 ? nil : Int64(Date().timeIntervalSince1970) + offset
    }

    /// Learns the offset from a refusal for the request's time (`response`
    /// and its `body`); true when it changed, so the request is worth signing
    /// again and sending once more. False for any other response, and when the
    /// offset is the one already used (the clock was not the problem).
    public func learn(from response: HTTPURLResponse, body: Data) -> Bool {
        guard response.statusCode == 401 || response.statusCode == 403 else { return false }
        guard body.starts(with: Data("stale:".utf8)) || body.starts(with: Data("future:".utf8)) else { return false }
        let date = response.allHeaderFields.first { ($0.key as? String)?.lowercased() == "date" }?.value as? String
        guard let date, let server = httpDate(date) else { return false }
        let offset = Int64((server.timeIntervalSince1970 - Date().timeIntervalSince1970).rounded())
        lock.lock()
        defer { lock.unlock() }
        if offset == learnt { return false }
        learnt = offset
        return true
    }
}

/// An HTTP `Date` (IMF-fixdate, RFC 9110 5.6.7), or nil.
private func httpDate(_ text: String) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
}

/// `scheme://authority` of `url`, as it holds them.
private func schemeAndAuthority(of url: URL) -> String? {
    guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return nil }
    components.percentEncodedPath = ""
    components.percentEncodedQuery = nil
    components.percentEncodedFragment = nil
    return components.string
}

/// The `Host` libcurl sends for the URL of `components`: its host as the URL
/// string holds it (an IDN as punycode), percent-escapes decoded, an IPv6
/// literal in brackets without its zone id, then `:port` unless it is the
/// scheme's default.
private func hostHeader(of components: URLComponents, scheme: String) throws -> String {
    let written: String?
    if #available(macOS 13, iOS 16, tvOS 16, watchOS 9, *) {
        written = components.encodedHost  // punycode, as URLSession passes the URL on
    } else {
        written = components.percentEncodedHost
    }
    guard let encoded = written, !encoded.isEmpty else {
        throw HmacSigError.InvalidRequest(reason: "the URL \(components.string ?? "") has no host")
    }
    let host: String
    if encoded.hasPrefix("[") {
        // libcurl keeps a zone id (`%25eth0`) out of Host.
        let address = encoded.dropFirst().prefix { $0 != "]" && $0 != "%" }
        host = "[\(address)]"
    } else {
        guard let decoded = encoded.removingPercentEncoding else {
            throw HmacSigError.InvalidRequest(reason: "the host \(encoded) of the URL has a percent-escape that is not UTF-8")
        }
        host = decoded
    }
    return host + (components.port.map { $0 == defaultPort(of: scheme) ? "" : ":\($0)" } ?? "")
}

/// Spaces and horizontal tabs: the blanks HTTP drops around a field value (RFC 9110 5.5).
private let httpBlanks = CharacterSet(charactersIn: " \t")

private func defaultPort(of scheme: String) -> Int {
    scheme == "https" ? 443 : 80
}

/// `path` without dot segments (RFC 3986 5.2.4), as libcurl sends it: a segment
/// `.` or `..` in any mix of `.` and `%2E`/`%2e` counts.
private func removingDotSegments(_ path: String) -> String {
    let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    var kept: [Substring] = []
    for (index, segment) in segments.enumerated() {
        let isLast = index == segments.count - 1
        switch dotCount(segment) {
        case 1:
            if isLast { kept.append("") }
        case 2:
            if !kept.isEmpty { kept.removeLast() }
            if isLast { kept.append("") }
        default:
            kept.append(segment)
        }
    }
    return "/" + kept.joined(separator: "/")
}

/// 1 for a `.` segment, 2 for a `..` segment (dots literal or `%2E`), else 0.
private func dotCount(_ segment: Substring) -> Int {
    let decoded = segment.replacingOccurrences(of: "%2E", with: ".", options: .caseInsensitive)
    switch decoded {
    case ".": return 1
    case "..": return 2
    default: return 0
    }
}

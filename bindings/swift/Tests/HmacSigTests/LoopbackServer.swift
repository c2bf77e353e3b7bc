// A real HTTP/1.1 server on 127.0.0.1 for the tests that need one outside the
// end-to-end phase (the Swift chroot has no server library): one thread
// accepts a connection at a time, reads one request (its head, then a body of
// `Content-Length` bytes), records it, writes the answer `answer` gives, and
// closes the connection (`Connection: close`), so each request is read alone.

import Foundation
#if canImport(Glibc)
import Glibc
private let systemClose = Glibc.close
private let systemRead = Glibc.read
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemClose = Darwin.close
private let systemRead = Darwin.read
private let systemWrite = Darwin.write
#endif

import HmacSig

/// A request as the server read it from the socket.
struct ReceivedRequest {
    let method: String
    let target: String
    let headers: [(String, String)]
    let body: Data

    /// The first value of the header `name` (any case), or nil.
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The request as a verifying server gives it to the core.
    var asRequest: Request {
        Request(method: method, target: target, headers: headers, body: body)
    }
}

/// What the server answers: a status, headers (`Content-Length` and `Connection` are added) and a body.
struct Answer {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data = Data()
}

struct LoopbackServerError: Error, CustomStringConvertible {
    let description: String
}

final class LoopbackServer: @unchecked Sendable {
    // @unchecked: `received` is guarded by `lock`; the rest is immutable after init.
    /// The port it listens on, on 127.0.0.1.
    let port: UInt16
    private let listener: Int32
    private let answer: @Sendable (ReceivedRequest) -> Answer
    private let lock = NSLock()
    private var received: [ReceivedRequest] = []

    /// Listens on a free port of 127.0.0.1 and serves from a thread of its own until `close()`.
    init(answer: @escaping @Sendable (ReceivedRequest) -> Answer) throws {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let listener = socket(AF_INET, stream, 0)
        guard listener >= 0 else { throw LoopbackServerError(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, address, &length) == 0
            }
        }
        guard bound else {
            _ = systemClose(listener)
            throw LoopbackServerError(description: "bind/listen on 127.0.0.1: errno \(errno)")
        }
        self.listener = listener
        self.port = UInt16(bigEndian: address.sin_port)
        self.answer = answer
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// `http://127.0.0.1:PORT`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `Host` as a client sends it to this server.
    var host: String { "127.0.0.1:\(port)" }

    /// The requests received since the last call, in order.
    func takeReceived() -> [ReceivedRequest] {
        lock.lock()
        defer { lock.unlock() }
        let taken = received
        received = []
        return taken
    }

    /// Stops accepting: the serving thread ends.
    func close() {
        _ = shutdown(listener, Int32(SHUT_RDWR))
        _ = systemClose(listener)
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                return  // closed
            }
            if let request = readRequest(from: connection) {
                lock.lock()
                received.append(request)
                lock.unlock()
                writeAnswer(answer(request), to: connection)
            }
            _ = systemClose(connection)
        }
    }

    /// One request from `connection`, or nil if it closed early or sent no HTTP/1.1 head.
    private func readRequest(from connection: Int32) -> ReceivedRequest? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        func readMore() -> Bool {
            let count = systemRead(connection, &chunk, chunk.count)
            guard count > 0 else { return false }
            buffer.append(chunk, count: count)
            return true
        }
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil {
            guard readMore() else { return nil }
        }
        let headEnd = buffer.range(of: separator)!
        let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3 else { return nil }
        let headers: [(String, String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        let bodyStart = headEnd.upperBound
        while buffer.count - bodyStart < length {
            guard readMore() else { return nil }
        }
        let body = Data(buffer[bodyStart..<(bodyStart + length)])
        return ReceivedRequest(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }

    private func writeAnswer(_ answer: Answer, to connection: Int32) {
        var head = "HTTP/1.1 \(answer.status) Answer\r\n"
        for (name, value) in answer.headers {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(answer.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = [UInt8](Data(head.utf8) + answer.body)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { systemWrite(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            sent += count
        }
    }
}

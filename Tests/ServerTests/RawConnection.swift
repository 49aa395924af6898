import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection for tests that speak HTTP byte by byte, as a hostile client would:
/// no client library completes, retries or times out anything on its own.
///
/// The socket is non-blocking; every wait is a `poll` with a deadline, run off the cooperative
/// pool. One task uses a connection at a time.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private var isClosed = false

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `host:port`, from the loopback address `source` if given (Linux routes all
    /// of 127.0.0.0/8 to the loopback interface, so 127.0.0.2 is another client to the server).
    /// A small `receiveBuffer` keeps the kernel from taking in a whole answer the test reads slowly.
    ///
    /// `sending` goes out at once after the connect, on the same thread: a request whose head
    /// must beat a short server timeout (see ``exchange(port:from:_:)`` for why).
    static func open(
        port: Int, host: String = "127.0.0.1", from source: String? = nil, receiveBuffer: Int32? = nil,
        within timeout: Duration = .seconds(10), sending first: String? = nil
    ) async throws -> RawConnection {
        try await offThePool {
            let connection = try connect(port: port, host: host, source: source, receiveBuffer: receiveBuffer, timeout: timeout)
            if let first { try connection.sendNow(Array(first.utf8), deadline: ContinuousClock.now + .seconds(30)) }
            return connection
        }
    }

    private static func connect(port: Int, host: String, source: String?, receiveBuffer: Int32?, timeout: Duration) throws -> RawConnection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        let connection = RawConnection(fd: fd)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source {
            var local = try address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw Failure(description: "bind \(source): errno \(errno)") }
        }
        var remote = try address(host, port: port)
        let started = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started != 0 {
            guard errno == EINPROGRESS else { throw Failure(description: "connect: errno \(errno)") }
            guard try connection.wait(for: Int16(POLLOUT), until: ContinuousClock.now + timeout) else {
                throw Failure(description: "connect to \(host):\(port) did not complete within \(timeout)")
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw Failure(description: "connect: errno \(error)") }
        }
        return connection
    }

    private static func address(_ host: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure(description: "not an IPv4 address: \(host)") }
        return address
    }

    /// Sends all of `bytes`; fails if the peer stops reading for `timeout` or resets.
    func send(_ bytes: [UInt8], within timeout: Duration = .seconds(30)) async throws {
        try await offThePool { try self.sendNow(bytes, deadline: ContinuousClock.now + timeout) }
    }

    func send(_ text: String, within timeout: Duration = .seconds(30)) async throws {
        try await send(Array(text.utf8), within: timeout)
    }

    private func sendNow(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                guard try wait(for: Int16(POLLOUT), until: deadline) else {
                    throw Failure(description: "the peer stopped reading (\(offset) of \(bytes.count) bytes sent)")
                }
            } else {
                throw Failure(description: "send: errno \(errno) after \(offset) of \(bytes.count) bytes")
            }
        }
    }

    /// What a read up to a deadline found.
    struct Received: Sendable {
        var bytes: [UInt8]
        /// The server ended the connection (end of stream or reset).
        var closed: Bool
        /// How: `end of stream`, or the error `recv` reported.
        var closing = ""
        var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The status code of the HTTP response at the start of `bytes`, if one is there.
        var status: Int? {
            guard text.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
        /// The body after the head, if the head is complete.
        var body: String? {
            text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) }
        }
    }

    /// Reads until the server closes the connection or `timeout` passes.
    func readUntilClosed(within timeout: Duration) async throws -> Received {
        try await read(within: timeout) { _ in false }
    }

    /// Reads until `done` holds for what arrived, the server closes, or `timeout` passes.
    func read(within timeout: Duration, until done: @escaping @Sendable ([UInt8]) -> Bool) async throws -> Received {
        try await offThePool { try self.readNow(deadline: ContinuousClock.now + timeout, until: done) }
    }

    private func readNow(deadline: ContinuousClock.Instant, until done: ([UInt8]) -> Bool) throws -> Received {
        var received = Received(bytes: [], closed: false)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !done(received.bytes) {
            let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.bytes += chunk[0..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                received.closed = true
                received.closing = count == 0 ? "end of stream" : "recv errno \(errno)"
                return received
            } else if try !self.wait(for: Int16(POLLIN), until: deadline) {
                return received
            }
        }
        return received
    }

    /// One step of an ``exchange(port:from:_:)``.
    enum Step: Sendable {
        case send(String)
        case pause(Duration)
        /// Reads one response with a `Content-Length`.
        case readResponse(within: Duration)
        case readUntilClosed(within: Duration)
    }

    /// Connects and runs `steps` back to back on one thread of its own, returning what each
    /// read received, in order.
    ///
    /// For tests that race the server's timers: steps taken in separate `await`s leave the test
    /// waiting for a cooperative thread in between, which on a loaded two-core machine running
    /// the whole suite can take longer than a short server timeout, and the server then rightly
    /// closes a client that only seemed silent. On a thread of its own a step follows the one
    /// before at once, and a pause is exactly as long as asked.
    static func exchange(port: Int, from source: String? = nil, _ steps: [Step]) async throws -> [Received] {
        try await offThePool {
            let connection = try connect(port: port, host: "127.0.0.1", source: source, receiveBuffer: nil, timeout: .seconds(10))
            defer { connection.close() }
            var reads: [Received] = []
            for step in steps {
                switch step {
                case .send(let text):
                    try connection.sendNow(Array(text.utf8), deadline: ContinuousClock.now + .seconds(30))
                case .pause(let duration):
                    Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
                case .readResponse(let timeout):
                    reads.append(try connection.readNow(deadline: ContinuousClock.now + timeout, until: isCompleteResponse))
                case .readUntilClosed(let timeout):
                    reads.append(try connection.readNow(deadline: ContinuousClock.now + timeout) { _ in false })
                }
            }
            return reads
        }
    }

    /// Reads one HTTP response with a `Content-Length` (what the guard and JSON routes send).
    func readResponse(within timeout: Duration = .seconds(30)) async throws -> Received {
        try await read(within: timeout) { bytes in Self.isCompleteResponse(bytes) }
    }

    /// Reads one response as status, headers (lower-case names) and body text (or whatever
    /// came before the server closed); fails when no head arrived within `timeout`.
    func response(within timeout: Duration = .seconds(30)) async throws -> (status: Int, headers: [String: String], body: String) {
        let received = try await readResponse(within: timeout)
        guard let status = received.status, let end = received.text.range(of: "\r\n\r\n") else {
            throw Failure(description: "no response head within \(timeout): \(received.text.prefix(200)) (\(received.closing))")
        }
        var headers: [String: String] = [:]
        for line in received.text[..<end.lowerBound].split(separator: "\r\n").dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces) }
        }
        return (status, headers, String(received.text[end.upperBound...]))
    }

    static func isCompleteResponse(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        // A chunked body (downloads: a file's size is not known up front) ends with its last, empty chunk.
        if head.split(separator: "\r\n").contains(where: { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }) {
            return bytes.count > text[..<end.upperBound].utf8.count + 4 && bytes.suffix(7).elementsEqual(Array("\r\n0\r\n\r\n".utf8))
        }
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length
    }

    /// Waits for `events`; false when the deadline passed first.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { throw Failure(description: "poll: errno \(errno)") }
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }
}

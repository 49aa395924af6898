import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A bare TCP connection to a test server, for what an HTTP client library will not do: send
/// half a body and hang up, stream a chunked body, or keep a request open without finishing it.
/// Its blocking calls run off the cooperative pool.
final class RawConnection: Sendable {
    let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    static func open(port: Int) async throws -> RawConnection {
        try await offThePool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard status == 0 else {
                let code = errno
                Glibc.close(fd)
                throw POSIXError(.init(rawValue: code) ?? .EIO)
            }
            return RawConnection(fd: fd)
        }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws {
        let fd = self.fd
        try await offThePool {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
                offset += written
            }
        }
    }

    /// Reads one response: status, headers (lower-case names) and a `Content-Length` body (or
    /// whatever comes until the server closes).
    func response() async throws -> (status: Int, headers: [String: String], body: String) {
        let fd = self.fd
        return try await offThePool {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            func fill() throws -> Bool {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
                received += buffer[0..<count]
                return count > 0
            }
            let separator = Array("\r\n\r\n".utf8)
            var headEnd: Int?
            while headEnd == nil {
                guard try fill() else { throw POSIXError(.ECONNRESET) }
                headEnd = received.firstRange(of: separator)?.upperBound
            }
            let headText = String(decoding: received[..<(headEnd ?? 0)], as: UTF8.self)
            let lines = headText.split(separator: "\r\n")
            let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let pair = line.split(separator: ":", maxSplits: 1)
                if pair.count == 2 { headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces) }
            }
            let length = headers["content-length"].flatMap(Int.init)
            while length.map({ received.count - (headEnd ?? 0) < $0 }) ?? true {
                guard try fill() else { break }
            }
            return (status, headers, String(decoding: received[(headEnd ?? 0)...], as: UTF8.self))
        }
    }

    func close() { Glibc.close(fd) }
}

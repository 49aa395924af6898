import Foundation
import Synchronization
import Testing

@testable import HTTPTransport

#if canImport(Glibc)
    import Glibc
#endif

/// `HTTPEndpoint.connectAddress`: the connection goes to the given address and nowhere else,
/// while the host name stays what the server is told it is (Host header; SNI and certificate in
/// TLSTests). Names under `.invalid` never resolve (RFC 6761), so a request that reaches the
/// server through one can only have gone to the pinned address, without a lookup.
@Suite struct PinnedAddressTests {
    @Test func aPinnedNameThatCannotResolveReachesTheAddressAndKeepsItsHostHeader() async throws {
        let server = try HeadRecorder(address: "127.0.0.1")
        defer { server.stop() }
        let endpoint = HTTPEndpoint.http(host: "pinned.invalid", port: server.port)

        let pinned = try HTTPClient(endpoint: endpoint.pinned(to: "127.0.0.1"), configuration: .init(proxy: .direct))
        let response = try await pinned.send(HTTPRequest(path: "/hello?x=1", timeout: .seconds(30)))
        #expect(response.status == 200)
        #expect(response.bodyText == "ok")
        let head = try #require(server.heads.first)
        #expect(head.hasPrefix("GET /hello?x=1 HTTP/1.1\r\n"))
        #expect(head.contains("\r\nHost: pinned.invalid:\(server.port)\r\n"), "\(head)")

        // The same endpoint unpinned must fail: the success above came from the pin, not a lookup.
        let unpinned = try HTTPClient(endpoint: endpoint, configuration: .init(proxy: .direct))
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await unpinned.send(HTTPRequest(path: "/hello", timeout: .seconds(30)))
        }
        #expect(error?.code == .connectFailed)
        #expect(server.heads.count == 1)
    }

    @Test func anIPv6AddressIsPinnedInBrackets() async throws {
        let server = try HeadRecorder(address: "::1")
        defer { server.stop() }
        let endpoint = HTTPEndpoint.http(host: "pinned6.invalid", port: server.port).pinned(to: "::1")
        #expect(endpoint.description == "http://pinned6.invalid:\(server.port) via ::1")
        let client = try HTTPClient(endpoint: endpoint, configuration: .init(proxy: .direct))
        let response = try await client.send(HTTPRequest(method: .post, path: "/v6", body: .bytes(Array("{}".utf8)), timeout: .seconds(30)))
        #expect(response.status == 200)
        let head = try #require(server.heads.first)
        #expect(head.hasPrefix("POST /v6 HTTP/1.1\r\n"))
        #expect(head.contains("\r\nHost: pinned6.invalid:\(server.port)\r\n"), "\(head)")
    }

    @Test func upgradesAreDialledToThePinnedAddressToo() async throws {
        let server = try HeadRecorder(address: "127.0.0.1")
        defer { server.stop() }
        let client = try HTTPClient(endpoint: HTTPEndpoint.http(host: "upgrade.invalid", port: server.port).pinned(to: "127.0.0.1"))
        // The recorder answers 200 and closes, which an upgrade accepts as its switch.
        let stream = try await client.upgrade(HTTPRequest(method: .post, path: "/attach", timeout: .seconds(30)))
        #expect(stream.status == 200)
        stream.close()
        let head = try #require(server.heads.first)
        #expect(head.contains("Host: upgrade.invalid:\(server.port)\r\n"), "\(head)")
    }

    @Test(arguments: ["localhost", "127.1", "0x7f.0.0.1", "fe80::1%lo", "[::1]", ""])
    func onlyStrictNumericAddressesArePinned(_ address: String) async throws {
        // Anything else would go to libcurl's resolver, which pinning exists to avoid.
        let client = try HTTPClient(endpoint: HTTPEndpoint.http(host: "name.invalid", port: 9).pinned(to: address))
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await client.send(HTTPRequest(path: "/", timeout: .seconds(30)))
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("is not a numeric IP address") == true, "\(error?.message ?? "")")
        let upgradeError = await #expect(throws: HTTPTransportError.self) {
            _ = try await client.upgrade(HTTPRequest(path: "/", timeout: .seconds(30)))
        }
        #expect(upgradeError?.code == .invalidRequest)
    }

    @Test func unpinnedEndpointsAreUnchanged() {
        let endpoint = HTTPEndpoint.https(host: "example.com")
        #expect(endpoint.connectAddress == nil)
        #expect(endpoint.description == "https://example.com:443")
        #expect(endpoint != endpoint.pinned(to: "192.0.2.1"))
        #expect(endpoint.pinned(to: "192.0.2.1").connectAddress == "192.0.2.1")
    }
}

/// A plain-HTTP server on one loopback address that records every request head and answers
/// `200 ok`, closing the connection. Its accept loop runs on a thread of its own.
final class HeadRecorder: Sendable {
    let port: Int
    private let listener: Int32
    private let recorded = Mutex<[String]>([])

    var heads: [String] { recorded.withLock { $0 } }

    init(address: String) throws {
        let v6 = address.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var bound: Int32 = -1
        var boundPort = 0
        if v6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            _ = inet_pton(AF_INET6, address, &sa.sin6_addr)
            bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            boundPort = Int(UInt16(bigEndian: sa.sin6_port))
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            _ = inet_pton(AF_INET, address, &sa.sin_addr)
            bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            boundPort = Int(UInt16(bigEndian: sa.sin_port))
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let failure = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            _ = Glibc.close(fd)
            throw failure
        }
        listener = fd
        port = boundPort
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        // Wakes the blocked accept(), which then fails and ends the loop.
        _ = shutdown(listener, Int32(SHUT_RDWR))
        _ = Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            serve(connection)
        }
    }

    private func serve(_ connection: Int32) {
        defer { _ = Glibc.close(connection) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 64 << 10 {
            let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            bytes += buffer[0..<n]
            if let end = HTTPHead.end(in: bytes) {
                recorded.withLock { $0.append(String(decoding: bytes[0..<end], as: UTF8.self)) }
                // Read the body too: closing with unread bytes would reset the connection
                // under the response.
                let length = HTTPHead.parse(bytes[0..<end])?.headers["Content-Length"].flatMap { Int($0) } ?? 0
                while bytes.count < end + length {
                    let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { return }
                    bytes += buffer[0..<n]
                }
                break
            }
        }
        let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

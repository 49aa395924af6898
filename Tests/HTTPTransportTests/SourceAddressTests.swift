import Foundation
import Synchronization
import Testing

@testable import HTTPTransport

#if canImport(Glibc)
    import Glibc
#endif

/// `HTTPClient.Configuration.sourceAddress`: the connection comes from the given local address
/// (what `sandcastle bench api` uses to spread submissions over loopback addresses 127.a.b.c).
@Suite struct SourceAddressTests {
    @Test func requestsComeFromTheSourceAddressGivenAndFromTheSystemsChoiceOtherwise() async throws {
        let server = try PeerRecorder()
        defer { server.stop() }
        for source in ["127.0.3.7", "127.77.0.1", nil] {
            let client = try HTTPClient(
                endpoint: .http(host: "127.0.0.1", port: server.port), configuration: .init(proxy: .direct, sourceAddress: source))
            let response = try await client.send(HTTPRequest(path: "/who", timeout: .seconds(30)))
            #expect(response.status == 200)
            #expect(server.peers.last == (source ?? "127.0.0.1"))
        }
        #expect(server.peers == ["127.0.3.7", "127.77.0.1", "127.0.0.1"])
    }

    @Test func anAddressThisHostDoesNotHaveFailsToConnectAndAUnixSocketRefusesOne() async throws {
        let server = try PeerRecorder()
        defer { server.stop() }
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): no host has it.
        let foreign = try HTTPClient(
            endpoint: .http(host: "127.0.0.1", port: server.port), configuration: .init(proxy: .direct, sourceAddress: "192.0.2.1"))
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await foreign.send(HTTPRequest(path: "/who", timeout: .seconds(30)))
        }
        #expect(error?.code == .connectFailed)
        #expect(server.peers.isEmpty)

        let unix = try HTTPClient(endpoint: .unixSocket("/nonexistent.sock"), configuration: .init(sourceAddress: "127.0.0.2"))
        let refused = await #expect(throws: HTTPTransportError.self) {
            _ = try await unix.send(HTTPRequest(path: "/who", timeout: .seconds(30)))
        }
        #expect(refused?.code == .invalidRequest)
        #expect(refused?.message.contains("Unix socket") == true)
    }
}

/// A loopback HTTP server that records each connection's peer address and answers 200 `ok`.
final class PeerRecorder: Sendable {
    let port: Int
    private let listener: Int32
    private let recorded = Mutex<[String]>([])

    var peers: [String] { recorded.withLock { $0 } }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        // 0.0.0.0 would do too; 127.0.0.1 alone is reachable from every 127/8 source.
        _ = inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            let failure = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            _ = Glibc.close(fd)
            throw failure
        }
        listener = fd
        port = Int(UInt16(bigEndian: sa.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        _ = shutdown(listener, Int32(SHUT_RDWR))
        _ = Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let connection = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            _ = inet_ntop(AF_INET, &peer.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
            let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The whole head first: answering before reading it can reset the connection.
            var head: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let count = read(connection, &buffer, buffer.count)
                if count <= 0 { break }
                head.append(contentsOf: buffer[..<count])
            }
            recorded.withLock { $0.append(address) }
            let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
            _ = answer.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            _ = Glibc.close(connection)
        }
    }
}

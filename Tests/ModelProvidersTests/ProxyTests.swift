import Foundation
import HTTPTransport
import ModelProviders
import ProviderDouble
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Providers reach their endpoints through the proxy the environment names (`HTTPS_PROXY`,
/// `https_proxy`, `http_proxy`, `NO_PROXY`, libcurl's rules), and Unix sockets never through one.
/// Each test passes its own environment, so nothing here changes the process's.
@Suite struct ProxyTests {
    static let key = "sk-proxy-test-key-42"

    static func anthropic(_ baseURL: String, environment: [String: String]) throws -> AnthropicProvider {
        try AnthropicProvider(
            endpoint: ProviderEndpoint(
                name: "anthropic", wireProtocol: .anthropic, baseURL: baseURL, apiKey: SecretValue(key),
                credentialVariable: "ANTHROPIC_API_KEY"),
            options: ProviderHTTPOptions(environment: environment))
    }

    @Test(arguments: ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
    func httpsGoesThroughTheProxyAsATunnelThatCarriesNoKey(_ variable: String) async throws {
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        let provider = try Self.anthropic("https://api.anthropic.example.test", environment: [variable: "http://127.0.0.1:\(proxy.port)"])
        // The proxy refuses the tunnel, so the call fails; what matters is that it was asked.
        let error = await providerError { _ = try await provider.complete(prompt("Hi")) }
        #expect(error?.code == .transport)
        let heads = proxy.heads
        #expect(heads.first?.hasPrefix("CONNECT api.anthropic.example.test:443 HTTP/1.1") == true, "\(heads)")
        #expect(!heads.joined().contains(Self.key), "the key travels inside the TLS tunnel only")
        #expect(error.map { !$0.description.contains(Self.key) } ?? false)
    }

    @Test func plainHTTPIsForwardedByHTTPProxyAndTheCallSucceeds() async throws {
        try await withDouble { double in
            double.setScript(key: Self.key, turns: [.reply("via the proxy")])
            let proxy = try TinyProxy()
            defer { proxy.stop() }
            // A name only the proxy "resolves" (to loopback): the client never looks it up itself.
            let provider = try Self.anthropic(
                "http://model.example.test:\(double.port)", environment: ["http_proxy": "http://127.0.0.1:\(proxy.port)"])
            #expect(try await provider.complete(prompt("Hi")).message.text == "via the proxy")
            #expect(proxy.heads.first?.hasPrefix("POST http://model.example.test:\(double.port)/v1/messages HTTP/1.1") == true)
            #expect(double.requests(key: Self.key).count == 1)
        }
    }

    @Test func noProxyAndTheUpperCaseHTTPVariableLeaveTheConnectionDirect() async throws {
        try await withDouble { double in
            double.setScript(key: Self.key, turns: [.reply("direct one"), .reply("direct two")])
            let proxy = try TinyProxy()
            defer { proxy.stop() }
            let proxyURL = "http://127.0.0.1:\(proxy.port)"
            let exempt = try Self.anthropic(double.anthropicBaseURL, environment: ["http_proxy": proxyURL, "NO_PROXY": "localhost,127.0.0.1"])
            #expect(try await exempt.complete(prompt("Hi")).message.text == "direct one")
            // libcurl ignores HTTP_PROXY (a CGI request can set it through a Proxy: header).
            let upper = try Self.anthropic(double.anthropicBaseURL, environment: ["HTTP_PROXY": proxyURL])
            #expect(try await upper.complete(prompt("Hi")).message.text == "direct two")
            #expect(proxy.heads.isEmpty)
        }
    }

    @Test func unixSocketsAreNeverProxied() async throws {
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        let socket = "/var/run/docker.sock"
        try #require(FileManager.default.fileExists(atPath: socket), "the Docker engine's socket is needed: \(socket)")
        let client = try HTTPClient(
            endpoint: .unixSocket(socket),
            configuration: HTTPClient.Configuration(proxy: .proxy(url: "http://127.0.0.1:\(proxy.port)", noProxy: nil)))
        let ping = try await client.send(HTTPRequest(path: "/_ping", timeout: .seconds(30)))
        #expect(ping.status == 200 && ping.bodyText == "OK")
        #expect(proxy.heads.isEmpty)
        #expect(ProxySetting.fromEnvironment(["HTTPS_PROXY": "http://p:1", "http_proxy": "http://p:1"], for: .unixSocket(socket)) == .direct)
    }
}

/// A forward proxy in a few lines of sockets: it records every request head, refuses CONNECT
/// tunnels (403), and forwards plain requests to 127.0.0.1 on the port of their URL.
final class TinyProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let recorded = Mutex<[String]>([])

    var heads: [String] { recorded.withLock { $0 } }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard listener >= 0, bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                Thread.detachNewThread { self.serve(connection) }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return }
            buffer += chunk[..<count]
            headEnd = buffer.indices.first { buffer[$0...].starts(with: separator) }
        }
        guard let headEnd else { return }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        recorded.withLock { $0.append(head) }
        var body = Array(buffer[(headEnd + 4)...])
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3, requestLine[0] != "CONNECT", let url = URL(string: String(requestLine[1])), let port = url.port else {
            send(connection, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        let length =
            lines.compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
            }.first ?? 0
        while body.count < length {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return }
            body += chunk[..<count]
        }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            send(connection, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        let path = url.path + (url.query.map { "?\($0)" } ?? "")
        let headers = lines.dropFirst().filter { !$0.lowercased().hasPrefix("proxy-connection") && !$0.lowercased().hasPrefix("connection") }
        send(upstream, "\(requestLine[0]) \(path) HTTP/1.1\r\n" + headers.joined(separator: "\r\n") + "\r\nConnection: close\r\n\r\n")
        _ = body.withUnsafeBytes { write(upstream, $0.baseAddress, $0.count) }
        while true {
            let count = read(upstream, &chunk, chunk.count)
            if count <= 0 { return }
            _ = chunk.withUnsafeBytes { write(connection, $0.baseAddress, count) }
        }
    }

    private func send(_ descriptor: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}

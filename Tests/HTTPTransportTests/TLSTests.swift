import Foundation
import TestSupport
import Testing

@testable import HTTPTransport

/// HTTPS and upgrades over TLS against a throwaway Python server with a private CA that
/// requires client certificates (Docker's `DOCKER_TLS_VERIFY` setup).
@Suite("TLS endpoints", .enabled(if: TLSServer.toolsAvailable))
struct TLSTests {
    @Test func mutualTLSRequestsAndUpgrade() async throws {
        try await TLSServer.with { server in
            let tls = TLSOptions(caFile: server.file("ca.pem"), certificateFile: server.file("cert.pem"), privateKeyFile: server.file("key.pem"))
            let client = try HTTPClient(endpoint: .https(host: "localhost", port: server.port, tls: tls))

            let hello = try await client.send(HTTPRequest(path: "/hello", timeout: .seconds(10)))
            #expect(hello.status == 200)
            #expect(hello.bodyText == "hello tls")
            let echo = try await client.send(HTTPRequest(method: .post, path: "/echo", body: .bytes(Array("over tls".utf8)), timeout: .seconds(10)))
            #expect(echo.bodyText == "over tls")

            let stream = try await client.upgrade(HTTPRequest(method: .post, path: "/upgrade", timeout: .seconds(10)))
            #expect(stream.status == 101)
            var iterator = stream.inbound.makeAsyncIterator()
            func read(_ count: Int) async throws -> String {
                var bytes: [UInt8] = []
                while bytes.count < count, let chunk = try await iterator.next() { bytes += chunk }
                return String(decoding: bytes, as: UTF8.self)
            }
            #expect(try await read(8) == "welcome\n")
            for i in 0..<20 {
                let line = "line \(i)\n"
                try await stream.write(Array(line.utf8))
                #expect(try await read(line.utf8.count) == line)
            }
            try await stream.write(Array("quit\n".utf8))
            #expect(try await read(4) == "bye\n")
            #expect(try await iterator.next() == nil)
            stream.close()
        }
    }

    @Test func unknownCAIsATLSError() async throws {
        try await TLSServer.with { server in
            let tls = TLSOptions(certificateFile: server.file("cert.pem"), privateKeyFile: server.file("key.pem"))
            let client = try HTTPClient(endpoint: .https(host: "localhost", port: server.port, tls: tls))
            let error = await #expect(throws: HTTPTransportError.self) { _ = try await client.send(HTTPRequest(path: "/hello", timeout: .seconds(10))) }
            #expect(error?.code == .tls)
            #expect(error?.message.contains("https://localhost:\(server.port)") == true)
            let upgradeError = await #expect(throws: HTTPTransportError.self) {
                _ = try await client.upgrade(HTTPRequest(method: .post, path: "/upgrade", timeout: .seconds(10)))
            }
            #expect(upgradeError?.code == .tls)
        }
    }

    @Test func verificationCanBeTurnedOff() async throws {
        try await TLSServer.with { server in
            let tls = TLSOptions(certificateFile: server.file("cert.pem"), privateKeyFile: server.file("key.pem"), verifyPeer: false, verifyHost: false)
            let client = try HTTPClient(endpoint: .https(host: "127.0.0.1", port: server.port, tls: tls))
            #expect(try await client.send(HTTPRequest(path: "/hello", timeout: .seconds(10))).bodyText == "hello tls")
        }
    }

    @Test func aPinnedConnectionVerifiesTheCertificateAgainstTheHostNameNotTheAddress() async throws {
        try await TLSServer.with { server in
            let tls = TLSOptions(caFile: server.file("ca.pem"), certificateFile: server.file("cert.pem"), privateKeyFile: server.file("key.pem"))
            let named = try HTTPClient(endpoint: HTTPEndpoint.https(host: "localhost", port: server.port, tls: tls).pinned(to: "127.0.0.1"))
            #expect(try await named.send(HTTPRequest(path: "/hello", timeout: .seconds(10))).bodyText == "hello tls")
            // The certificate names localhost and 127.0.0.1. Connected to 127.0.0.1 under another
            // name, verification must fail: it checks the name the URL gives, not the address.
            let other = try HTTPClient(endpoint: HTTPEndpoint.https(host: "pinned.invalid", port: server.port, tls: tls).pinned(to: "127.0.0.1"))
            let error = await #expect(throws: HTTPTransportError.self) { _ = try await other.send(HTTPRequest(path: "/hello", timeout: .seconds(10))) }
            #expect(error?.code == .tls)
        }
    }

    @Test func missingClientCertificateFails() async throws {
        try await TLSServer.with { server in
            let client = try HTTPClient(endpoint: .https(host: "localhost", port: server.port, tls: TLSOptions(caFile: server.file("ca.pem"))))
            await #expect(throws: HTTPTransportError.self) { _ = try await client.send(HTTPRequest(path: "/hello", timeout: .seconds(10))) }
        }
    }
}

/// A private CA, server and client certificates, and a small threaded TLS server in Python.
final class TLSServer: Sendable {
    static let toolsAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") && python3 != nil
    static let python3: String? = ["/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    let directory: String
    let port: Int
    private let process: Process

    func file(_ name: String) -> String { "\(directory)/\(name)" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.script.write(toFile: "\(directory)/server.py", atomically: true, encoding: .utf8)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: "\(directory)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(directory)/client.ext", atomically: true, encoding: .utf8)
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/bin/sh")
        make.currentDirectoryURL = URL(fileURLWithPath: directory)
        make.arguments = [
            "-ec",
            """
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=sandcastle-test-ca 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile server.ext 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out client.csr -subj /CN=client 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 1 -extfile client.ext 2>/dev/null
            """,
        ]
        try make.run()
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw POSIXError(.EINVAL) }

        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python3 ?? "/usr/bin/python3")
        process.arguments = ["\(directory)/server.py", directory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The server prints its port once listening.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += byte
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw POSIXError(.EIO)
        }
        self.port = port
    }

    /// Starts a server (certificates, then the Python process) off the cooperative pool, runs
    /// `body` against it and stops it, whether `body` threw or not.
    static func with(_ body: (TLSServer) async throws -> Void) async throws {
        let server = try await offThePool { try TLSServer() }
        do {
            try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    private func stop() async throws {
        // SIGKILL, not terminate(): children spawned from the test process can inherit a signal
        // mask with SIGTERM blocked, and then SIGTERM never arrives.
        kill(process.processIdentifier, SIGKILL)
        try await SendableProcess(process).waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let script = #"""
        import socket, ssl, sys, threading
        d = sys.argv[1]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
        ctx.load_verify_locations(d + "/ca.pem")
        ctx.verify_mode = ssl.CERT_REQUIRED
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        print(srv.getsockname()[1], flush=True)

        def handle(raw):
            try:
                conn = ctx.wrap_socket(raw, server_side=True)
            except Exception:
                raw.close()
                return
            try:
                buf = b""
                while True:
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            return
                        buf += data
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    lines = head.decode().split("\r\n")
                    method, path, _ = lines[0].split(" ", 2)
                    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
                    n = int(headers.get("content-length", "0"))
                    while len(buf) < n:
                        buf += conn.recv(65536)
                    body, buf = buf[:n], buf[n:]
                    if path == "/upgrade":
                        conn.sendall(b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nwelcome\n")
                        pending = buf
                        while True:
                            if b"quit\n" in pending:
                                conn.sendall(pending.split(b"quit\n")[0] + b"bye\n")
                                conn.unwrap()
                                return
                            if pending:
                                conn.sendall(pending)
                                pending = b""
                            data = conn.recv(65536)
                            if not data:
                                return
                            pending += data
                    payload = b"hello tls" if path == "/hello" else body
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
            except Exception:
                pass
            finally:
                try:
                    conn.close()
                except Exception:
                    pass

        while True:
            c, _ = srv.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()
        """#
}

import Crypto
import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import TestSupport
import Testing

@testable import ServerCore

/// Issue 12, item 2: big transfers go through `sandcastle serve` in bounded chunks. The real
/// debug binary serves as a child process; four 120 MiB E2B multipart uploads and four 100 MiB
/// downloads (two E2B `GET /files`, two Sandkasten `fs/read`) run at once, one download's
/// client reading nothing until the rest are done (the slow side must hold the server back, not
/// make it buffer). The server's peak resident memory (VmHWM) must stay under 150 MB and every
/// byte must arrive intact: SHA-256 of what was sent, what arrived and what is in the sandbox.
@Suite(.timeLimit(.minutes(5)))
struct TransferMemoryTests {
    static let uploadBytes = 120 << 20
    static let downloadBytes = 100 << 20
    static let peakLimitBytes = 150_000_000

    @Test func bigParallelTransfersStayUnder150MBOfServerMemory() async throws {
        let data = DockerServerFixture.dataDirectory()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sc-transfer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: scratch)
        }
        let server = try await ServeProcess.start(dataDirectory: data, arguments: [])
        do {
            try await run(server, scratch: scratch)
        } catch {
            try? await server.terminate()
            _ = try? await DockerServerFixture.sweep(serverID: DockerServerFixture.serverID(dataDirectory: data))
            throw error
        }
        try await server.terminate()
        let leaked = try await DockerServerFixture.sweep(serverID: try DockerServerFixture.serverID(dataDirectory: data))
        #expect(leaked.isEmpty, "containers left behind: \(leaked)")
    }

    private func run(_ server: ServeProcess, scratch: String) async throws {
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: server.port))
        let api = TransferClient(client: client)

        // An E2B sandbox for the uploads and two downloads, a Sandkasten session for the others.
        let e2b = try await api.json(.post, "/sandboxes", #"{"templateID":"base","timeout":900}"#)
        let sandboxID = try #require(e2b["sandboxID"] as? String)
        let token = try #require(e2b["envdAccessToken"] as? String)
        let envd = [("E2b-Sandbox-Id", sandboxID), ("X-Access-Token", token)]
        let session = try #require(try await api.json(.post, "/v1/sessions", "{}")["id"] as? String)

        // The files to download, made inside the sandboxes.
        var inSandbox: [String: String] = [:]
        for (sandbox, name) in [(sandboxID, "dl0"), (sandboxID, "dl1"), (session, "dl2"), (session, "dl3")] {
            inSandbox[name] = try await api.sha256(of: "/workspace/\(name)", in: sandbox, making: Self.downloadBytes)
        }
        // The forms to upload, each its own random content, written to disk so the client streams them.
        var sent: [String: String] = [:]
        for index in 0..<4 {
            sent["up\(index)"] = try Self.writeForm(at: scratch + "/up\(index).form", payloadBytes: Self.uploadBytes)
        }

        let before = try ProcessMemory(pid: server.pid)
        let othersDone = Latch()
        let started = ContinuousClock.now
        let arrived = try await withThrowingTaskGroup(of: (String, String).self) { group in
            // Read last: its client stops after the first chunk until every other transfer is done.
            group.addTask {
                ("dl0", try await api.e2bDownload("/workspace/dl0", headers: envd, pauseUntil: othersDone))
            }
            group.addTask {
                try await withThrowingTaskGroup(of: (String, String).self) { others in
                    for index in 0..<4 {
                        others.addTask {
                            try await api.e2bUpload(form: scratch + "/up\(index).form", to: "/workspace/up\(index)", headers: envd)
                            return ("up\(index)", "")
                        }
                    }
                    others.addTask { ("dl1", try await api.e2bDownload("/workspace/dl1", headers: envd, pauseUntil: nil)) }
                    for name in ["dl2", "dl3"] {
                        others.addTask {
                            (name, try await api.sandkastenRead("/workspace/\(name)", session: session, maxBytes: Self.downloadBytes))
                        }
                    }
                    var results: [(String, String)] = []
                    for try await result in others { results.append(result) }
                    await othersDone.open()
                    return ("others", results.map { "\($0.0)=\($0.1)" }.joined(separator: ","))
                }
            }
            var arrived: [String: String] = [:]
            for try await (name, digest) in group {
                if name == "others" {
                    for pair in digest.split(separator: ",") {
                        let parts = pair.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
                        arrived[parts[0]] = parts[1]
                    }
                } else {
                    arrived[name] = digest
                }
            }
            return arrived
        }
        let elapsed = ContinuousClock.now - started
        let after = try ProcessMemory(pid: server.pid)
        let moved = 4 * Self.uploadBytes + 4 * Self.downloadBytes
        print(
            """
            transfer memory (sandcastle serve, \(ProcessInfo.processInfo.environment["SANDCASTLE"] ?? "the debug build"), pid \(server.pid)): \
            4 × \(Self.uploadBytes >> 20) MiB E2B multipart uploads + 2 × \(Self.downloadBytes >> 20) MiB E2B GET /files \
            + 2 × \(Self.downloadBytes >> 20) MiB Sandkasten fs/read, in parallel, one reader stalled: \
            \(moved >> 20) MiB in \(elapsed) (\(Int(Double(moved >> 20) / elapsed.inSeconds)) MiB/s); \
            VmHWM before \(before.peakKB / 1024) MiB, after \(after.peakKB / 1024) MiB (\(after.peakKB * 1024) bytes); \
            VmRSS before \(before.residentKB / 1024) MiB, after \(after.residentKB / 1024) MiB
            """)
        #expect(after.peakKB * 1024 < Self.peakLimitBytes, "peak RSS \(after.peakKB) kB is over 150 MB")

        // Every byte intact: in the sandbox, what the uploads sent; at the client, what the downloads read.
        for index in 0..<4 {
            let name = "up\(index)"
            let stored = try await api.sha256(of: "/workspace/\(name)", in: sandboxID)
            #expect(stored == sent[name], "\(name): sent \(sent[name] ?? "?"), the sandbox has \(stored)")
        }
        for name in ["dl0", "dl1", "dl2", "dl3"] {
            #expect(arrived[name] == inSandbox[name], "\(name): the sandbox has \(inSandbox[name] ?? "?"), arrived \(arrived[name] ?? "?")")
        }
        let metrics = try await client.send(HTTPRequest(method: .get, path: "/metrics"))
        #expect(metrics.bodyText.contains("sandcastle_transfers_active 0"), "every transfer gave its turn back")
        for path in ["/sandboxes/\(sandboxID)", "/v1/sessions/\(session)"] {
            _ = try await client.send(HTTPRequest(method: .delete, path: path))
        }
    }

    /// Writes a one-file multipart form with `payloadBytes` random bytes; returns the payload's SHA-256.
    static func writeForm(at path: String, payloadBytes: Int) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? output.close() }
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? random.close() }
        try output.write(contentsOf: Data(TransferClient.formHead(filename: "payload.bin").utf8))
        var hash = SHA256()
        var left = payloadBytes
        while left > 0 {
            let chunk = try random.read(upToCount: min(left, 1 << 20)) ?? Data()
            hash.update(data: chunk)
            try output.write(contentsOf: chunk)
            left -= chunk.count
        }
        try output.write(contentsOf: Data(TransferClient.formTail.utf8))
        return hash.finalize().hex
    }
}

/// The test's side of the transfers, over our libcurl client.
struct TransferClient: Sendable {
    let client: HTTPClient
    static let boundary = "sandcastle-transfer-test-7f3a9c1e5b2d4086"

    static func formHead(filename: String) -> String {
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
    }
    static let formTail = "\r\n--\(boundary)--\r\n"

    func json(_ method: HTTPMethod, _ path: String, _ body: String) async throws -> [String: Any] {
        let response = try await client.send(
            HTTPRequest(
                method: method, path: path, headers: ["Content-Type": "application/json"], body: .bytes(Array(body.utf8)),
                timeout: .seconds(120)))
        guard (200..<300).contains(response.status) else {
            throw ServerError(.internal, "\(method) \(path): \(response.status) \(response.bodyText)")
        }
        return (try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    /// The SHA-256 of a file in a sandbox (made first, of random bytes, when `making` is given).
    func sha256(of path: String, in sandbox: String, making bytes: Int? = nil) async throws -> String {
        let make = bytes.map { "head -c \($0) /dev/urandom > \(path) && " } ?? ""
        let result = try await json(.post, "/v1/sandboxes/\(sandbox)/exec", #"{"command":"\#(make)sha256sum \#(path)","timeout_ms":120000}"#)
        guard let stdout = result["stdout"] as? String, let digest = stdout.split(separator: " ").first, digest.count == 64 else {
            throw ServerError(.internal, "sha256sum \(path): \(result)")
        }
        return String(digest)
    }

    func e2bUpload(form: String, to path: String, headers: [(String, String)]) async throws {
        let response = try await client.send(
            HTTPRequest(
                method: .post, path: HTTPRequest.path("/files", query: [("path", path)]),
                headers: HTTPHeaders(headers + [("Content-Type", "multipart/form-data; boundary=\(Self.boundary)")]),
                body: .file(path: form), timeout: .seconds(240)))
        guard response.status == 200, response.bodyText.contains(path) else {
            throw ServerError(.internal, "upload to \(path): \(response.status) \(response.bodyText)")
        }
    }

    /// Downloads through envd's `GET /files`; with `pauseUntil`, reads one chunk, then nothing
    /// until the latch opens. Returns the SHA-256 of what arrived.
    func e2bDownload(_ path: String, headers: [(String, String)], pauseUntil latch: Latch?) async throws -> String {
        let response = try await client.stream(
            HTTPRequest(method: .get, path: HTTPRequest.path("/files", query: [("path", path)]), headers: HTTPHeaders(headers)))
        guard response.status == 200 else { throw ServerError(.internal, "download \(path): \(response.status)") }
        var hash = SHA256()
        var paused = latch == nil
        for try await chunk in response.body {
            hash.update(data: chunk)
            if !paused, let latch {
                paused = true
                await latch.wait()
            }
        }
        return hash.finalize().hex
    }

    /// Reads through Sandkasten's `fs/read` (JSON with `content_base64`), decoding as it
    /// arrives. Returns the SHA-256 of the decoded content.
    func sandkastenRead(_ path: String, session: String, maxBytes: Int) async throws -> String {
        let response = try await client.stream(
            HTTPRequest(
                method: .get,
                path: HTTPRequest.path("/v1/sessions/\(session)/fs/read", query: [("path", path), ("max_bytes", String(maxBytes))])))
        guard response.status == 200 else { throw ServerError(.internal, "fs/read \(path): \(response.status)") }
        let prefix = Array(#"{"content_base64":""#.utf8)
        enum Place { case prefix, content, tail }
        var place = Place.prefix
        var head: [UInt8] = []
        var carry: [UInt8] = []
        var tail: [UInt8] = []
        var hash = SHA256()
        for try await chunk in response.body {
            var bytes = chunk[...]
            if place == .prefix {
                let needed = prefix.count - head.count
                head += bytes.prefix(needed)
                bytes = bytes.dropFirst(needed)
                guard head.count == prefix.count else { continue }
                guard head == prefix else { throw ServerError(.internal, "fs/read \(path): unexpected start \(head)") }
                place = .content
            }
            switch place {
            case .content:
                let quote = bytes.firstIndex(of: UInt8(ascii: "\""))
                carry += bytes[..<(quote ?? bytes.endIndex)]
                let whole = quote == nil ? carry.count - carry.count % 4 : carry.count
                guard let decoded = Data(base64Encoded: Data(carry[..<whole])) else {
                    throw ServerError(.internal, "fs/read \(path): invalid base64")
                }
                hash.update(data: decoded)
                carry.removeFirst(whole)
                if let quote {
                    place = .tail
                    tail += bytes[quote...]
                }
            case .tail:
                tail += bytes
            case .prefix:
                break
            }
        }
        let end = String(decoding: tail, as: UTF8.self)
        guard end.contains(#""truncated":false}"#) else { throw ServerError(.internal, "fs/read \(path): unexpected end \(end)") }
        return hash.finalize().hex
    }
}

/// Opens once; waiters before and after get through.
actor Latch {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}

/// A process's resident memory, from `/proc/PID/status`.
struct ProcessMemory {
    /// VmHWM: the peak resident set since the process started.
    var peakKB: Int
    /// VmRSS: the resident set now.
    var residentKB: Int

    init(pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        peakKB = field("VmHWM")
        residentKB = field("VmRSS")
    }
}

extension SHA256.Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

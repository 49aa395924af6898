import Crypto
import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import ServerCore

/// Issue 12, item 2, against the real engine: how file transfers end when they do not end well
/// (a client that hangs up, a body over the limit) and what a transfer over the bound gets.
@Suite(.timeLimit(.minutes(5)))
struct TransferBehaviourTests {
    /// An E2B sandbox (so envd's `/files` reaches it; the native routes reach it too) and the
    /// headers envd requests need.
    static func e2bSandbox(_ s: LiveServer) async throws -> (id: String, headers: [(String, String)]) {
        let created = try await s.call(.post, "/sandboxes", json: #"{"templateID":"base","timeout":600}"#)
        let id = try #require(created.body["sandboxID"] as? String, "\(created.text)")
        let token = try #require(created.body["envdAccessToken"] as? String)
        return (id, [("E2b-Sandbox-Id", id), ("X-Access-Token", token)])
    }

    static func transfersActive(_ s: LiveServer) async throws -> Int? {
        let metrics = try await s.client.send(HTTPRequest(method: .get, path: "/metrics")).bodyText
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("sandcastle_transfers_active ") }
        // Prometheus writes gauges as floating point (`1.0`).
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }

    static func head(_ method: String, _ path: String, _ headers: [(String, String)]) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
    }

    /// `text` as one chunk of a chunked body.
    static func chunked(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }
    static func chunk(_ bytes: Int) -> String { chunked(String(repeating: "n", count: bytes)) }

    static let boundary = "cut-off-test-boundary-5e1d"
    static func part(_ filename: String) -> String {
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n\r\n"
    }

    @Test func aCutOffOrOversizedUploadLeavesTheTargetAndTheSandboxAsTheyWere() async throws {
        try await DockerServerFixture.with(adjust: { $0.maxUploadBytes = 64 << 10 }) { s in
            let (id, envd) = try await Self.e2bSandbox(s)
            let keep = try await s.client.send(
                HTTPRequest(method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/workspace/keep.txt", body: .bytes(Array("old".utf8))))
            #expect(keep.status == 201)

            // Over max_upload_bytes with no Content-Length to refuse it by: counted while streaming.
            let native = try await RawConnection.open(port: s.port)
            try await native.send(
                Self.head("PUT", "/v1/sandboxes/\(id)/files/content?path=/workspace/keep.txt", [("Transfer-Encoding", "chunked")])
                    + String(repeating: Self.chunk(16 << 10), count: 6) + "0\r\n\r\n")
            let refused = try await native.response()
            native.close()
            #expect(refused.status == 413 && refused.body.contains("body_too_large"), "\(refused)")

            let form = try await RawConnection.open(port: s.port)
            try await form.send(
                Self.head(
                    "POST", "/files",
                    envd + [("Content-Type", "multipart/form-data; boundary=\(Self.boundary)"), ("Transfer-Encoding", "chunked")])
                    + Self.chunked(Self.part("/workspace/keep.txt"))
                    + String(repeating: Self.chunk(16 << 10), count: 6) + "0\r\n\r\n")
            let formRefused = try await form.response()
            form.close()
            #expect(formRefused.status == 413 && formRefused.body.contains("max_upload_bytes"), "\(formRefused)")

            // Clients that hang up halfway: a raw upload, and a form whose second file is cut off.
            let cut = try await RawConnection.open(port: s.port)
            try await cut.send(
                Self.head("PUT", "/v1/sandboxes/\(id)/files/content?path=/workspace/keep.txt", [("Content-Length", String(48 << 10))])
                    + String(repeating: "x", count: 16 << 10))
            #expect(try await eventually(.seconds(30)) { try await Self.transfersActive(s) == 1 })
            cut.close()
            let cutForm = try await RawConnection.open(port: s.port)
            let firstFile = Self.part("/workspace/new1.txt") + "whole first file\r\n"
            try await cutForm.send(
                Self.head(
                    "POST", "/files",
                    envd + [("Content-Type", "multipart/form-data; boundary=\(Self.boundary)"), ("Content-Length", String(60 << 10))])
                    + firstFile + Self.part("/workspace/new2.txt") + String(repeating: "y", count: 8 << 10))
            #expect(try await eventually(.seconds(30)) { try await Self.transfersActive(s) == 1 })
            cutForm.close()
            // And one that hangs up in the middle of a download it stopped reading.
            let made = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"head -c 16777216 /dev/zero > /workspace/big"}"#)
            #expect(made.status == 200)
            let reader = try await RawConnection.open(port: s.port)
            try await reader.send(Self.head("GET", "/v1/sandboxes/\(id)/files/content?path=/workspace/big", []))
            #expect(try await eventually(.seconds(30)) { try await Self.transfersActive(s) == 1 })
            reader.close()
            #expect(try await eventually(.seconds(30)) { try await Self.transfersActive(s) == 0 }, "every cut-off transfer gave its turn back")

            // Nothing half-written, nothing renamed into place, nothing left over, and the sandbox is fine.
            let state = try await s.call(.get, "/v1/sandboxes/\(id)")
            #expect(state.body["status"] as? String == "running", "\(state.text)")
            let look = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"cat /workspace/keep.txt; echo; ls -A /workspace"}"#)
            #expect(look.status == 200, "\(look.text)")
            let lines = (look.body["stdout"] as? String ?? "").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.first == "old", "the target keeps its old content: \(lines)")
            #expect(!lines.contains { $0.hasPrefix(".sandcastle-upload-") }, "no staged file left behind: \(lines)")
            #expect(!lines.contains("new1.txt") && !lines.contains("new2.txt"), "a cut-off form renames nothing into place: \(lines)")
            _ = try await s.call(.delete, "/sandboxes/\(id)")
        }
    }

    @Test func aTransferOverTheBoundWaitsThenIsServerBusyWithRetryAfter() async throws {
        try await DockerServerFixture.with(adjust: {
            $0.maxTransfers = 1
            $0.transferWaitSeconds = 0.3
        }) { s in
            let (id, envd) = try await Self.e2bSandbox(s)
            let session = try await s.call(.post, "/v1/sessions", json: "{}")
            let sessionID = try #require(session.body["id"] as? String)
            for sandbox in [id, sessionID] {
                let put = try await s.client.send(
                    HTTPRequest(method: .put, path: "/v1/sandboxes/\(sandbox)/files/content?path=/workspace/f.txt", body: .bytes([1, 2, 3])))
                #expect(put.status == 201)
            }
            // One upload holds the only turn: it has sent a part of its body and waits.
            let holder = try await RawConnection.open(port: s.port)
            try await holder.send(
                Self.head("PUT", "/v1/sandboxes/\(id)/files/content?path=/workspace/held.txt", [("Content-Length", "1000")]) + "partial")
            #expect(try await eventually(.seconds(30)) { try await Self.transfersActive(s) == 1 })

            let native = try await s.client.send(HTTPRequest(method: .get, path: "/v1/sandboxes/\(id)/files/content?path=/workspace/f.txt"))
            #expect(native.status == 503 && native.bodyText.contains("server_busy"), "\(native.status) \(native.bodyText)")
            #expect(native.headers["Retry-After"] == "1")
            let e2b = try await s.client.send(
                HTTPRequest(method: .get, path: "/files?path=/workspace/f.txt", headers: HTTPHeaders(envd)))
            #expect(e2b.status == 503 && e2b.bodyText.contains("max_transfers"), "\(e2b.status) \(e2b.bodyText)")
            #expect(e2b.headers["Retry-After"] == "1")
            let sandkasten = try await s.call(.get, "/v1/sessions/\(sessionID)/fs/read?path=f.txt")
            #expect(sandkasten.status == 503 && sandkasten.text.contains("SERVER_BUSY"), "\(sandkasten.status) \(sandkasten.text)")

            // The holder hangs up: its turn comes back, and transfers go ahead again.
            holder.close()
            #expect(try await eventually(.seconds(30)) { try await Self.transfersActive(s) == 0 })
            let served = try await s.client.send(HTTPRequest(method: .get, path: "/v1/sandboxes/\(id)/files/content?path=/workspace/f.txt"))
            #expect(served.status == 200 && served.body == [1, 2, 3], "\(served.status) \(served.bodyText)")
            _ = try await s.call(.delete, "/sandboxes/\(id)")
            _ = try await s.call(.delete, "/v1/sessions/\(sessionID)")
        }
    }

    /// Sandkasten's file routes stream too: `fs/write` with its content before its path,
    /// `fs/upload` with the folder after the file, `fs/read` (session and workspace) of a file
    /// several download windows long, exact to the byte and truncated where asked.
    @Test func sandkastenFilesStreamInAnyOrderAndArriveExact() async throws {
        try await DockerServerFixture.with { s in
            let workspace = "transfer-\(UUID().uuidString.prefix(8).lowercased())"
            let created = try await s.call(.post, "/v1/sessions", json: #"{"workspace_id":"\#(workspace)"}"#)
            let session = try #require(created.body["id"] as? String, "\(created.text)")

            let write = try await s.call(.post, "/v1/sessions/\(session)/fs/write", json: #"{"text":"first\n","path":"sub/a.txt"}"#)
            #expect(write.status == 200, "\(write.text)")
            let form =
                "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n\r\nBBB\r\n"
                + "--b0\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/workspace/up/\r\n--b0--\r\n"
            let upload = try await s.client.send(
                HTTPRequest(
                    method: .post, path: "/v1/sessions/\(session)/fs/upload",
                    headers: ["Content-Type": "multipart/form-data; boundary=b0"], body: .bytes(Array(form.utf8))))
            #expect(upload.status == 200 && upload.bodyText.contains(#""paths":["/workspace/up/b.bin"]"#), "\(upload.bodyText)")

            let size = 3 * (1 << 20) + 5
            let made = try await s.call(
                .post, "/v1/sandboxes/\(session)/exec",
                json: #"{"command":"head -c \#(size) /dev/urandom > r.bin && sha256sum r.bin && head -c 1000001 r.bin | sha256sum"}"#)
            let sums = (made.body["stdout"] as? String ?? "").split(separator: "\n").map { String($0.prefix(64)) }
            #expect(sums.count == 2, "\(made.text)")
            for (path, maxBytes, digest, truncated) in [
                ("/v1/sessions/\(session)/fs/read?path=r.bin", size, sums.first, false),
                ("/v1/sessions/\(session)/fs/read?path=r.bin&max_bytes=1000001", 1_000_001, sums.last, true),
                ("/v1/workspaces/\(workspace)/fs/read?path=r.bin", size, sums.first, false),
            ] {
                let read = try await s.call(.get, path)
                let content = try #require(Data(base64Encoded: read.body["content_base64"] as? String ?? ""), "\(read.status)")
                #expect(content.count == maxBytes, "\(path)")
                #expect(SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined() == digest, "\(path)")
                #expect(read.body["truncated"] as? Bool == truncated, "\(path)")
                #expect(read.body["path"] as? String == "r.bin", "\(path)")
            }

            let look = try await s.call(.post, "/v1/sandboxes/\(session)/exec", json: #"{"command":"cat sub/a.txt up/b.bin; echo; ls -A . sub up"}"#)
            let text = look.body["stdout"] as? String ?? ""
            #expect(text.hasPrefix("first\nBBB\n"), "\(text)")
            #expect(!text.contains(".sandcastle-upload-"), "no staged file left behind: \(text)")
            #expect(try await s.call(.delete, "/v1/sessions/\(session)").status == 200)
            await s.service.awaitPendingRemovals()
            #expect(try await s.call(.delete, "/v1/workspaces/\(workspace)").status == 200)
        }
    }
}

import Foundation
import HTTPTransport
import Sandbox
import Store
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// The OpenAPI document lists, for each operation, every status the server answers it with.
///
/// Each operation is driven over loopback with what a hostile client sends (no key, no body,
/// malformed JSON, an oversized body, unknown and deleted sandboxes, out-of-range values) and
/// with every failure its sandbox can report through the error boundary (`ServerError.from`):
/// each status that comes back must be one the document gives that operation. Schemathesis does
/// the same against the real engine (FuzzTests); this runs in a second, without Docker.
@Suite(.timeLimit(.minutes(2)))
struct DocumentedStatusTests {
    /// The failure the sandbox's next call throws; nil to let calls succeed.
    final class Failure: Sendable {
        private let next = Mutex<SandboxError?>(nil)
        func set(_ error: SandboxError?) { next.withLock { $0 = error } }
        func check() throws { if let error = next.withLock({ $0 }) { throw error } }
    }

    final class FailingBackend: SandboxBackend {
        let name = "failing"
        let failure = Failure()
        func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
            if spec.image == "missing" { throw SandboxError(.imageNotFound, "image missing is not in the engine") }
            return FailingInstance(id: "f\(UUID().uuidString.prefix(8).lowercased())", failure: failure)
        }
    }

    struct FailingInstance: SandboxInstance {
        let id: String
        let failure: Failure
        var file: FileInfo { FileInfo(name: "f", path: "/workspace/f", kind: .file, size: 0, mode: 0o644, modifiedNanoseconds: 0) }

        func run(_ command: SandboxCommand) async throws -> SandboxProcess {
            try failure.check()
            let timedOut: Bool = if case .shell("sleep") = command.program { true } else { false }
            let (events, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
            continuation.yield(.finished(ProcessResult(exitCode: timedOut ? 137 : 0, timedOut: timedOut)))
            continuation.finish()
            return SandboxProcess(events: ProcessEvents(events), control: InertProcessControl())
        }
        func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw FakeUnsupported() }
        func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
        where Chunks.Element == [UInt8] {
            for try await _ in contents {}
            try failure.check()
            return file
        }
        func readFile(_ request: FileRead) async throws -> FileDownload {
            try failure.check()
            return FileDownload(info: file, chunks: AsyncThrowingStream { $0.finish() })
        }
        func stat(path: String) async throws -> FileInfo {
            try failure.check()
            return file
        }
        func list(path: String) async throws -> [FileInfo] {
            try failure.check()
            return [file]
        }
        func makeDirectory(path: String, parents: Bool) async throws { try failure.check() }
        func remove(path: String, recursive: Bool) async throws { try failure.check() }
        func move(from: String, to: String, overwrite: Bool) async throws { try failure.check() }
        func destroy() async throws {}
    }

    /// What the Docker backend's runner can report for each kind of call (DockerSandbox.translate).
    static let commandFailures: [SandboxError.Code] = [
        .notFound, .permissionDenied, .invalidArgument, .shellExited, .sandboxGone, .runnerFailed,
    ]
    static let readFailures: [SandboxError.Code] = [
        .notFound, .wrongFileKind, .permissionDenied, .invalidArgument, .sandboxGone, .runnerFailed,
    ]
    static let writeFailures: [SandboxError.Code] = readFailures + [.alreadyExists, .inUse, .noSpace]

    /// One request and the operation of the document it exercises.
    struct Probe {
        var operation: String
        var method: HTTPMethod
        var path: String
        var body: HTTPRequestBody = .none
        var key: Bool = true
        var failure: SandboxError.Code?
    }

    @Test func everyStatusTheServerAnswersIsDocumentedForItsOperation() async throws {
        let documented = try Self.documentedStatuses()
        let backend = FailingBackend()
        let configuration = ServerFixture.configuration {
            $0.maxBodyBytes = 4096
            $0.maxUploadBytes = 4096
            $0.maxSandboxesPerKey = 3
        }
        try await ServerFixture.with(
            configuration,
            ServerDependencies(
                provisioner: DirectProvisioner(backend: backend), host: nil, repository: InMemorySandboxRepository(),
                serverID: "doc-test")
        ) { s in
            let live = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}", key: ServerFixture.key).body["id"] as? String)
            let deleted = try #require(try await s.call(.post, "/v1/sandboxes", json: "{}", key: ServerFixture.key).body["id"] as? String)
            #expect(try await s.call(.delete, "/v1/sandboxes/\(deleted)", key: ServerFixture.key).status == 200)

            var probes: [Probe] = []
            let tooBig = HTTPRequestBody.bytes(Array(repeating: UInt8(ascii: " "), count: 5000))
            for (operation, _) in documented {
                let parts = operation.split(separator: " ", maxSplits: 1)
                let method = HTTPMethod(rawValue: String(parts[0]))
                let template = String(parts[1])
                let needsBody = method == .post || method == .put
                for id in [live, deleted, "unknown"] {
                    let path = template.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{name}", with: "w1")
                    probes.append(Probe(operation: operation, method: method, path: path))
                    probes.append(Probe(operation: operation, method: method, path: path, key: false))
                    for query in ["?path=", "?path=/workspace/f", "?path=/x&recursive=maybe", "?path=/x&mode=9", "?limit=0", "?cursor=x"] {
                        probes.append(Probe(operation: operation, method: method, path: path + query))
                    }
                    guard needsBody else { continue }
                    for body in ["", "{", "[]", "null", #"{"ttl_seconds":"x"}"#, #"{"path":1}"#, #"{"command":""}"#] {
                        probes.append(Probe(operation: operation, method: method, path: path + "?path=/x", body: .bytes(Array(body.utf8))))
                    }
                    probes.append(Probe(operation: operation, method: method, path: path + "?path=/x", body: tooBig))
                }
            }
            // Each operation's valid request, failing with each failure its sandbox can report.
            let sandbox = "/v1/sandboxes/\(live)"
            let json = { (text: String) in HTTPRequestBody.bytes(Array(text.utf8)) }
            for (operation, method, path, body, failures) in [
                ("POST /v1/sandboxes/{id}/exec", HTTPMethod.post, "\(sandbox)/exec", json(#"{"command":"true"}"#), Self.commandFailures),
                ("POST /v1/sandboxes/{id}/exec/stream", .post, "\(sandbox)/exec/stream", json(#"{"argv":["true"]}"#), Self.commandFailures),
                ("GET /v1/sandboxes/{id}/files", .get, "\(sandbox)/files", HTTPRequestBody.none, Self.readFailures),
                ("GET /v1/sandboxes/{id}/files/stat", .get, "\(sandbox)/files/stat?path=/x", .none, Self.readFailures),
                ("GET /v1/sandboxes/{id}/files/content", .get, "\(sandbox)/files/content?path=/x", .none, Self.readFailures),
                ("DELETE /v1/sandboxes/{id}/files", .delete, "\(sandbox)/files?path=/x", .none, Self.readFailures + [.inUse]),
                ("PUT /v1/sandboxes/{id}/files/content", .put, "\(sandbox)/files/content?path=/x", json("x"), Self.writeFailures),
                ("POST /v1/sandboxes/{id}/files/mkdir", .post, "\(sandbox)/files/mkdir", json(#"{"path":"/x"}"#), Self.writeFailures),
                (
                    "POST /v1/sandboxes/{id}/files/move", .post, "\(sandbox)/files/move", json(#"{"from":"/x","to":"/y"}"#),
                    Self.writeFailures
                ),
            ] {
                for failure in failures {
                    probes.append(Probe(operation: operation, method: method, path: path, body: body, failure: failure))
                }
            }
            // What only the create and exec routes check.
            for body in [
                #"{"image":"Base"}"#, #"{"image":"missing"}"#, #"{"image":"ubuntu/x"}"#, #"{"profile":"!"}"#, #"{"ttl_seconds":0}"#,
                #"{"memory_mb":1}"#, #"{"cpu":100}"#, #"{"workspace":"../x"}"#, #"{"env":{"":"x"}}"#, "{}", "{}", "{}",
            ] {
                probes.append(Probe(operation: "POST /v1/sandboxes", method: .post, path: "/v1/sandboxes", body: json(body)))
            }
            for body in [#"{"command":"sleep"}"#, #"{"command":"x","argv":["y"]}"#, #"{"command":"x","timeout_ms":0}"#] {
                probes.append(Probe(operation: "POST /v1/sandboxes/{id}/exec", method: .post, path: "\(sandbox)/exec", body: json(body)))
            }
            probes.append(Probe(operation: "POST /v1/sandboxes/{id}/extend", method: .post, path: "\(sandbox)/extend", body: json(#"{"ttl_seconds":0}"#)))

            var undocumented: [String] = []
            var seen: [String: Set<Int>] = [:]
            for probe in probes {
                backend.failure.set(probe.failure.map { SandboxError($0, "injected \($0)") })
                var headers = HTTPHeaders()
                if probe.key { headers.add("Authorization", "Bearer \(ServerFixture.key)") }
                let response = try await s.client.send(
                    HTTPRequest(method: probe.method, path: probe.path, headers: headers, body: probe.body, timeout: .seconds(30)))
                seen[probe.operation, default: []].insert(response.status)
                if documented[probe.operation]?.contains(response.status) != true {
                    undocumented.append(
                        "\(probe.operation) answered \(response.status) to \(probe.method) \(probe.path)"
                            + "\(probe.failure.map { " failing with \($0)" } ?? ""): \(response.bodyText.prefix(160))")
                }
            }
            backend.failure.set(nil)
            #expect(undocumented.isEmpty, "undocumented statuses:\n\(undocumented.joined(separator: "\n"))")
            // The probes reached every operation of the API, and more than its success.
            for operation in documented.keys where operation.contains(" /v1/") {
                #expect((seen[operation] ?? []).count >= 2, "\(operation) was answered only with \(seen[operation] ?? [])")
            }
        }
    }

    /// `METHOD /path` → the statuses the served document gives it.
    static func documentedStatuses() throws -> [String: Set<Int>] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var statuses: [String: Set<Int>] = [:]
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = try #require((operation as? [String: Any])?["responses"] as? [String: Any])
                statuses["\(method.uppercased()) \(path)"] = Set(responses.keys.compactMap(Int.init))
            }
        }
        return statuses
    }
}

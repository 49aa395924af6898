import Foundation
import Hummingbird
import Logging
import Sandbox
import SandboxE2B
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// The E2B client backend's own concerns: configuration and control-plane errors. What it does
/// with a sandbox is checked by the backend conformance suites (`BackendConformance/`), the
/// same tests the Docker backend runs.
@Suite("E2B client backend")
struct E2BClientBackendTests {
    static func backend(port: Int, key: String = "any-key", timeoutSeconds: Int = 120) throws -> E2BSandboxBackend {
        let url = "http://127.0.0.1:\(port)"
        return try E2BSandboxBackend(
            configuration: try E2BConfiguration.fromEnvironment([
                "E2B_API_KEY": key, "E2B_API_URL": url, "E2B_SANDBOX_URL": url,
            ]), timeoutSeconds: timeoutSeconds)
    }

    @Test(.timeLimit(.minutes(2)))
    func removeSandboxesByLabelKillsExactlyTheMatchingOnes() async throws {
        try await DockerServerFixture.with { live in
            let backend = try Self.backend(port: live.port)
            let run = "run-\(UUID().uuidString.prefix(8))"
            let first = try await backend.create(SandboxSpec(image: "base", labels: [SandcastleLabels.run: run]))
            let second = try await backend.create(SandboxSpec(image: "base", labels: [SandcastleLabels.run: run, "extra": "x"]))
            let other = try await backend.create(SandboxSpec(image: "base", labels: [SandcastleLabels.run: "another-run"]))

            #expect(try await backend.removeSandboxes(labelled: [SandcastleLabels.run: run]) == 2)
            #expect(try await backend.list(metadata: [SandcastleLabels.run: run]).sandboxes.isEmpty)
            for gone in [first, second] {
                let error = await #expect(throws: SandboxError.self) { _ = try await gone.run("true") }
                #expect(error?.code == .sandboxGone)
            }
            #expect(try await other.run("echo alive").stdoutText == "alive\n", "another run's sandbox is left alone")
            #expect(try await backend.removeSandboxes(labelled: [SandcastleLabels.run: run]) == 0, "a second sweep finds nothing")
            try await other.destroy()
        }
    }

    /// Issue 12, item 2: contents that fail mid-upload (a client gone, a body over its limit)
    /// surface as that failure, not as a full disk, also once the upload spools to a file.
    @Test(.timeLimit(.minutes(2)))
    func anUploadWhoseContentsFailThrowsThatFailure() async throws {
        try await DockerServerFixture.with { live in
            let backend = try Self.backend(port: live.port)
            let sandbox = try await backend.create(SandboxSpec(image: "base"))
            for chunks in [1, 6] { // held in memory, and past the 4 MiB spooled to disk
                await #expect(throws: BrokenContents.self, "after \(chunks) MiB") {
                    _ = try await sandbox.writeFile(FileWrite(path: "/workspace/x"), contents: FailingChunks(chunks: chunks))
                }
            }
            try await sandbox.destroy()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func connectSetTimeoutAndListThroughTheControlPlane() async throws {
        try await DockerServerFixture.with { live in
            let backend = try Self.backend(port: live.port)
            let tag = "client-\(UUID().uuidString.prefix(8))"
            let first = try await backend.create(SandboxSpec(image: "base", labels: ["suite": tag]))
            let second = try await backend.create(SandboxSpec(image: "base", labels: ["suite": tag]))
            let other = try await backend.create(SandboxSpec(image: "base", labels: ["suite": "someone-else"]))

            // Paging with the metadata filter: one per page, both found, nothing else.
            let page1 = try await backend.list(metadata: ["suite": tag], limit: 1)
            #expect(page1.sandboxes.count == 1)
            let token = try #require(page1.nextToken, "a first page of one of two has a next token")
            let page2 = try await backend.list(metadata: ["suite": tag], limit: 1, nextToken: token)
            #expect(page2.nextToken == nil)
            #expect(Set((page1.sandboxes + page2.sandboxes).map(\.sandboxID)) == [first.id, second.id])
            #expect((page1.sandboxes + page2.sandboxes).allSatisfy { $0.templateID == "base" && $0.metadata?["suite"] == tag })

            // Another client attaches by id and works the same sandbox.
            _ = try await first.writeFile("/tmp/mark", bytes: Array("from the first client".utf8))
            let attached = try await Self.backend(port: live.port).connect(sandboxID: first.id)
            #expect(try await attached.run("cat /tmp/mark").stdoutText == "from the first client")
            let unknown = await #expect(throws: SandboxError.self) { try await backend.connect(sandboxID: "no-such-sandbox") }
            #expect(unknown?.code == .sandboxGone)

            // A shortened lifetime is enforced by the server; the sandbox is then gone to every call.
            let shortened = try await backend.connect(sandboxID: second.id)
            try await shortened.setTimeout(seconds: 1)
            var gone = false
            for _ in 0..<40 where !gone {
                try await Task.sleep(for: .milliseconds(250))
                gone = (try? await backend.list(metadata: ["suite": tag])).map { !$0.sandboxes.map(\.sandboxID).contains(second.id) } ?? false
            }
            #expect(gone, "the sandbox outlived its one-second timeout")
            let afterExpiry = await #expect(throws: SandboxError.self) { _ = try await second.run("true") }
            #expect(afterExpiry?.code == .sandboxGone, "\(afterExpiry?.message ?? "")")
            let timeoutOfGone = await #expect(throws: SandboxError.self) { try await backend.setTimeout(sandboxID: second.id, seconds: 30) }
            #expect(timeoutOfGone?.code == .sandboxGone)

            try await first.destroy()
            try await other.destroy()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aCommandLongerThanTheSandboxsLifetimeExtendsItFirst() async throws {
        try await DockerServerFixture.with { live in
            // Sandboxes made to live 2 s: without the extension the server's reaper kills this one mid-command.
            let backend = try Self.backend(port: live.port, timeoutSeconds: 2)
            let sandbox = try await backend.create(SandboxSpec(image: "base"))
            let output = try await sandbox.run("sleep 4; echo survived", timeout: .seconds(10))
            #expect(output.stdoutText == "survived\n" && output.exitCode == 0)
            let view = try await live.service.get(id: sandbox.id, keyID: nil)
            #expect(view.status == "running")
            try await sandbox.destroy()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func e2bErrorsMapToOurCodesWithE2BsMessageAndRetriesFollowTheSDK() async throws {
        try await E2BStub.with { stub in
            let backend = try Self.backend(port: stub.port)
            func failure(_ template: String) async -> SandboxError? {
                await #expect(throws: SandboxError.self) { _ = try await backend.create(SandboxSpec(image: template)) }
            }
            let limited = await failure("rate-limited")
            #expect(
                limited?.code == .rateLimited && limited?.message.contains("slow down") == true
                    && limited?.message.contains("retry after 0 s") == true, "\(limited?.message ?? "")")
            #expect(stub.calls("rate-limited") == 4, "the first call and three retries, as the SDK does")

            let broken = await failure("broken")
            #expect(broken?.code == .unavailable && broken?.message.contains("boom") == true, "\(broken?.message ?? "")")
            #expect(stub.calls("broken") == 1, "a 500 is not retried")

            let missing = await failure("missing")
            #expect(
                missing?.code == .imageNotFound && missing?.message.contains("template 'missing' not found") == true,
                "\(missing?.message ?? "")")
            let refused = await failure("refused")
            #expect(refused?.code == .unauthorized && refused?.message.contains("Invalid API key") == true)

            // 503 then 201: the retry succeeds and the caller never sees the hiccup.
            let flaky = try await backend.create(SandboxSpec(image: "flaky"))
            #expect(flaky.id == "sbx-flaky" && stub.calls("flaky") == 2)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func controlPlaneErrorsMapToSandboxErrors() async throws {
        let configuration = ServerFixture.configuration(open: false)
        let dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        try await ServerFixture.with(configuration, dependencies) { live in
            do {
                _ = try await Self.backend(port: live.port, key: "wrong-key").create(SandboxSpec(image: "base"))
                Issue.record("a wrong key created a sandbox")
            } catch let error as SandboxError {
                #expect(error.code == .unauthorized && error.message.contains("Invalid API key"), "\(error)")
            }
            do {
                _ = try await Self.backend(port: live.port, key: ServerFixture.key).create(SandboxSpec(image: "no-such-template-zz"))
                Issue.record("an unknown template created a sandbox")
            } catch let error as SandboxError {
                #expect(error.code == .imageNotFound && error.message.contains("no-such-template-zz"), "\(error)")
            }
        }
        let leaked = try await DockerServerFixture.sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty)
    }

    @Test func environmentFollowsTheSDK() throws {
        #expect(throws: SandboxError.self) { try E2BConfiguration.fromEnvironment([:]) }
        let defaults = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k"])
        #expect(defaults.apiURL == "https://api.e2b.app")
        #expect(defaults.envdURL(sandboxID: "abc", domain: nil) == "https://sandbox.e2b.app")
        let custom = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k", "E2B_DOMAIN": "sbx.example.test"])
        #expect(custom.apiURL == "https://api.sbx.example.test")
        #expect(custom.envdURL(sandboxID: "abc", domain: nil) == "https://49983-abc.sbx.example.test")
        let local = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k", "E2B_API_URL": "http://h:1", "E2B_SANDBOX_URL": "http://h:2"])
        #expect(local.apiURL == "http://h:1" && local.envdURL(sandboxID: "abc", domain: "x") == "http://h:2")
    }
}

/// A stand-in for E2B's control plane that answers `POST /v2/sandboxes` by template: the
/// failures E2B sends, with its `{"code","message"}` bodies.
struct E2BStub {
    let port: Int
    private let counts: Counts

    /// Calls per template so far.
    final class Counts: Sendable {
        let byTemplate = Mutex<[String: Int]>([:])
    }

    func calls(_ template: String) -> Int { counts.byTemplate.withLock { $0[template] ?? 0 } }

    static func with(_ body: (E2BStub) async throws -> Void) async throws {
        let counts = Counts()
        let router = Router()
        router.post("/v2/sandboxes") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 16)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any]
            let template = object?["templateID"] as? String ?? ""
            let count = counts.byTemplate.withLock { counts -> Int in
                counts[template, default: 0] += 1
                return counts[template] ?? 0
            }
            func answer(_ status: HTTPResponse.Status, _ json: String, _ extra: HTTPFields = [:]) -> Response {
                var headers = extra
                headers[.contentType] = "application/json"
                return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
            }
            switch template {
            case "rate-limited":
                return answer(.tooManyRequests, #"{"code":429,"message":"slow down"}"#, [.retryAfter: "0"])
            case "broken":
                return answer(.internalServerError, #"{"code":500,"message":"boom"}"#)
            case "missing":
                return answer(.notFound, #"{"code":404,"message":"template 'missing' not found"}"#)
            case "refused":
                return answer(.unauthorized, #"{"code":401,"message":"Invalid API key"}"#)
            case "flaky" where count == 1:
                return answer(.serviceUnavailable, #"{"code":503,"message":"try again"}"#)
            default:
                return answer(.created, #"{"sandboxID":"sbx-\#(template)","templateID":"\#(template)","clientID":"stub","envdVersion":"0.5.7"}"#)
            }
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let running = Task { try await app.runService() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw SandboxError(.internal, "the stub did not start") }
        let stub = E2BStub(port: port, counts: counts)
        do {
            try await body(stub)
        } catch {
            running.cancel()
            _ = await running.result
            throw error
        }
        running.cancel()
        _ = await running.result
    }
}

struct BrokenContents: Error {}

/// `chunks` chunks of 1 MiB, then a failure.
struct FailingChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var left: Int
        mutating func next() async throws -> [UInt8]? {
            guard left > 0 else { throw BrokenContents() }
            left -= 1
            return [UInt8](repeating: 1, count: 1 << 20)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(left: chunks) }
}

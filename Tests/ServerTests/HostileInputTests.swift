import Foundation
import HTTPTransport
import Sandbox
import Store
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// What a hostile client tried that the server answered with a 500 or the wrong 4xx (issue 12,
/// items 6 and 11), without Docker: every ordering decided by events, not by timing.
@Suite(.timeLimit(.minutes(1)))
struct HostileInputTests {
    /// A host whose stats calls wait until the test lets them fail the way a container being
    /// removed makes Docker's fail: with a reply that is not stats at all.
    final class ContainerBeingRemoved: SandboxHost {
        let statsAsked: AsyncStream<Void>
        private let statsAskedContinuation: AsyncStream<Void>.Continuation
        private let held = Mutex<[CheckedContinuation<Void, Never>]>([])

        init() {
            (statsAsked, statsAskedContinuation) = AsyncStream.makeStream()
        }

        func failHeldStats() {
            for continuation in held.withLock({ held in
                defer { held = [] }
                return held
            }) { continuation.resume() }
        }

        func stats(containerID: String) async throws -> SandboxStats {
            await withCheckedContinuation { continuation in
                held.withLock { $0.append(continuation) }
                statsAskedContinuation.yield()
            }
            throw SandboxError(.internal, "cannot read the sandbox's stats: cannot decode the engine's answer: the body is empty")
        }

        func containerID(of instance: any SandboxInstance) -> String? { "ctr-\(instance.id)" }
        func managedContainers(serverID: String) async throws -> [ManagedContainer] { [] }
        func disconnect(_ instance: any SandboxInstance) -> Bool { true }
        func removeContainer(_ containerID: String) async throws {}
        func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance { throw FakeUnsupported() }
        func listWorkspaces(owner: String) async throws -> [WorkspaceListing] { [] }
        func createWorkspace(volume: String, labels: [String: String]) async throws -> WorkspaceListing { throw FakeUnsupported() }
        func volume(name: String) async throws -> WorkspaceListing? { nil }
        func removeWorkspace(volume: String) async throws {}
    }

    /// `GET …/stats` racing a `DELETE`: the container goes while Docker reads its stats, and the
    /// answer is the sandbox's state (410 `sandbox_gone`), not 500 with Docker's words.
    @Test func statsRacingADeleteAnswersWithTheSandboxStateNotAFailure() async throws {
        let host = ContainerBeingRemoved()
        let service = SandboxService(
            limits: ServiceLimits(ServerConfiguration()), repository: InMemorySandboxRepository(),
            provisioner: DirectProvisioner(backend: FakeBackend()), host: host, serverID: "srv")
        let id = try await service.create(CreateSandboxRequest(), keyID: nil).id
        let stats = Task { try await service.stats(id: id, keyID: nil) }
        var asked = host.statsAsked.makeAsyncIterator()
        await asked.next()
        try await service.delete(id: id, keyID: nil)
        host.failHeldStats()
        do {
            _ = try await stats.value
            Issue.record("stats of a sandbox deleted under it succeeded")
        } catch let error as ServerError {
            #expect(error.code == .gone, "\(error)")
            #expect(error.message.contains("deleted by the API"), "\(error.message)")
        }
        // A failure of a sandbox that is still live stays what it is: the server's.
        let live = try await service.create(CreateSandboxRequest(), keyID: nil).id
        let failing = Task { try await service.stats(id: live, keyID: nil) }
        await asked.next()
        host.failHeldStats()
        await #expect { try await failing.value } throws: { ($0 as? ServerError)?.code == .internal }
        await service.shutdown()
    }

    /// `{"image":"Base"}` and a digest that is not one: 400 naming the field and the rule, before
    /// any backend is asked (the fake would have made a sandbox of anything).
    @Test func createRefusesMalformedImageReferencesNamingTheField() async throws {
        let backend = FakeBackend()
        try await ServerFixture.with(ServerFixture.configuration(open: true), ServerFixture.fake(backend)) { s in
            for (image, why) in [
                ("Base", "must be lowercase"), ("sandcastle/base@sha256:zz", "64 lowercase hex digits"),
                ("sandcastle/base:", "its tag"), ("\u{00B7}", "ASCII"),
            ] {
                let json = String(decoding: try JSONEncoder().encode(["image": image]), as: UTF8.self)
                let created = try await s.call(.post, "/v1/sandboxes", json: json)
                #expect(created.status == 400, "\(image): \(created.text)")
                #expect(s.errorCode(created.body) == "invalid_input")
                let message = (created.body["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.hasPrefix("image '\(image)' is not a valid image reference"), "\(message)")
                #expect(message.contains(why), "\(message)")
            }
            #expect(backend.created == 0)
            #expect(try await s.call(.post, "/v1/sandboxes", json: #"{"image":"sandcastle/base:v1"}"#).status == 201)
        }
    }

    /// A path the server serves, asked with a method it does not serve there, is 405 with `Allow`
    /// (Hummingbird's router said 404); a path it does not serve stays 404.
    @Test func anUnservedMethodOnAServedPathIsMethodNotAllowedWithAllow() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { s in
            let key = ServerFixture.key
            for (method, path, allow) in [
                ("TRACE", "/v1/sandboxes", "POST, GET"), ("TRACE", "/health", "GET"),
                ("PATCH", "/v1/sandboxes/abc", "GET, DELETE"), ("GET", "/v1/sandboxes/abc/exec", "POST"),
                ("PUT", "/v1/sandboxes/abc/files", "GET, DELETE"), ("OPTIONS", "/openapi.json", "GET"),
                ("DELETE", "/v1/sessions/abc/exec", "POST"),
            ] {
                let response = try await s.client.send(
                    HTTPRequest(method: HTTPMethod(rawValue: method), path: path, headers: ["Authorization": "Bearer \(key)"]))
                #expect(response.status == 405, "\(method) \(path): \(response.status) \(response.bodyText)")
                #expect(response.headers["Allow"] == allow, "\(method) \(path)")
                #expect(response.bodyText.contains("method_not_allowed") || response.bodyText.contains("METHOD_NOT_ALLOWED"))
            }
            #expect(try await s.call(.get, "/v1/nothing-here", key: key).status == 404)
            #expect(try await s.call(.get, "/v1/sandboxes/abc/nothing", key: key).status == 404)
            // Without a key, a keyed path is 401 before anything is said about its methods.
            let anonymous = try await s.client.send(HTTPRequest(method: HTTPMethod(rawValue: "TRACE"), path: "/v1/sandboxes"))
            #expect(anonymous.status == 401)
            // The served methods still work.
            #expect(try await s.call(.get, "/v1/sandboxes", key: key).status == 200)
        }
    }
}

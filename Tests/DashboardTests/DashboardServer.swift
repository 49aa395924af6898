import DockerEngine
import EngineService
import Foundation
import HTTPTransport
import Logging
import Orchestrator
import Sandbox
import Server
import ServerCore
import Testing

/// A real `sandcastle serve` in-process on a loopback port (production wiring: SQLite, Docker,
/// the orchestrator and scheduler over a workflows folder), whose only key is `ADMIN_API_KEY`,
/// and browsers to it (``DashboardClient``). No skip path: without Docker these tests fail.
struct DashboardServer {
    static let adminKey = "admin-key-for-dashboard-tests-0123456789"
    static let pepper = "pepper-for-dashboard-tests-0123456789ab"

    let port: Int
    let orchestrator: Orchestrator
    let scheduler: Scheduler
    let server: SandcastleServer
    let data: String

    /// A browser with an empty cookie jar.
    func browser() throws -> DashboardClient { try DashboardClient(port: port) }

    /// A browser signed in with `key` (the admin's by default).
    func signedIn(_ key: String = adminKey) async throws -> DashboardClient {
        let browser = try browser()
        let answer = try await browser.post("/ui/login", form: ["api_key": key, "next": "/ui"], csrf: false)
        #expect(answer.status == 303, "sign-in failed: \(answer.text)")
        return browser
    }

    /// An API call with the admin key (to start runs, make keys).
    func api(_ method: HTTPMethod, _ path: String, json: String? = nil, key: String = adminKey) async throws -> (status: Int, body: [String: Any]) {
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port))
        var headers: HTTPHeaders = ["X-API-Key": key]
        if json != nil { headers.add("Content-Type", "application/json") }
        let response = try await client.send(
            HTTPRequest(method: method, path: path, headers: headers, body: json.map { .bytes(Array($0.utf8)) } ?? .none, timeout: .seconds(60)))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    var sandboxes: SandboxService { server.service }

    /// A browser signed in with `key` (the workflows and schedules tests' name for ``signedIn(_:)``).
    func browser(_ key: String) async throws -> DashboardClient { try await signedIn(key) }

    /// An API call with `key`; the status and the body's text.
    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, key: String = adminKey) async throws -> (status: Int, text: String) {
        let answer = try await api(method, path, json: json, key: key)
        let text = (try? JSONSerialization.data(withJSONObject: answer.body)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (answer.status, text)
    }

    /// A key made by the admin through `/api/api-keys` (`body` is its JSON); returns the key itself.
    func makeKey(_ body: String) async throws -> String {
        let made = try await api(.post, "/api/api-keys", json: body)
        #expect(made.status == 201, "\(made.body)")
        return try #require((made.body["data"] as? [String: Any])?["key"] as? String, "no key in \(made.body)")
    }

    /// A sandbox made through the native API by the admin key.
    func makeSandbox() async throws -> String {
        let made = try await api(.post, "/v1/sandboxes", json: #"{"ttl_seconds":600}"#)
        return try #require(made.body["id"] as? String, "creating a sandbox answered \(made.status): \(made.body)")
    }

    /// A stored key of tenant `tenant`, made by the admin through `/api/api-keys`.
    func makeTenantKey(_ tenant: String) async throws -> String {
        let made = try await api(.post, "/api/api-keys", json: #"{"name":"dashboard-test","tenant_id":"\#(tenant)"}"#)
        return try #require((made.body["data"] as? [String: Any])?["key"] as? String, "creating a key answered \(made.status)")
    }

    /// Starts a run of `workflow` through the API; returns its id.
    func startRun(_ workflow: String, inputs: String = "{}") async throws -> String {
        let answer = try await api(.post, "/api/workflows/run", json: #"{"workflow_name":"\#(workflow)","input_data":\#(inputs)}"#)
        #expect(answer.status == 202, "\(answer.body)")
        return try #require((answer.body["data"] as? [String: Any])?["run_id"] as? String)
    }

    /// Runs `body` against a fresh server with `workflows` (name → YAML) in its folder; stops it,
    /// then fails the test if a container of it was left behind.
    /// - Parameter scheduling: start the scheduler's loop; without it nothing fires behind a
    ///   test's back (manual triggers still run).
    static func with(
        workflows: [String: String] = [:], open: Bool = false, scheduling: Bool = true, _ body: (DashboardServer) async throws -> Void
    ) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("sc-dashboard-\(UUID().uuidString)").path
        let folder = data + "-workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, yaml) in workflows { try yaml.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8) }
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: folder)
        }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = data
        configuration.openMode = open
        configuration.rateLimitRuns = .off
        if !open {
            configuration.adminAPIKey = RedactedSecret(adminKey)
            configuration.apiKeyPepper = try APIKeyPepper(pepper, source: "test")
        }
        var dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let runs = try await RunService.open(try EngineSettings.load(dataDirectory: data), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: folder, maxConcurrentRuns: 4, logger: Logger(label: "test"))
        try await orchestrator.start()
        dependencies.orchestrator = orchestrator
        let scheduler = Scheduler(orchestrator: orchestrator, defaultCatchUp: .once, logger: Logger(label: "test.schedules"))
        dependencies.scheduler = scheduler
        if scheduling { await scheduler.start() }
        let server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ServerError(.internal, "the server did not start") }
        let result: Result<Void, any Error>
        do {
            try await body(DashboardServer(port: port, orchestrator: orchestrator, scheduler: scheduler, server: server, data: data))
            result = .success(())
        } catch {
            result = .failure(error)
        }
        // Also after a failure: sandboxes a test made through the service go the way they came.
        let left = (try? await server.service.list(status: "creating,running", image: nil, limit: 500, cursor: nil, keyID: nil).sandboxes) ?? []
        for sandbox in left { try? await server.service.delete(id: sandbox.id, keyID: nil) }
        // Runs a test left going are cancelled and awaited: their sandboxes must not appear after the sweep.
        for run in (try? runs.repository.listRuns(.init(statuses: [.pending, .running, .waitingApproval], limit: 1000))) ?? [] {
            try? await orchestrator.cancel(runID: run.id, reason: "the test ended")
            _ = await orchestrator.queue.waitForTurnEnd(runID: run.id)
            // A run paused at a gate cannot be cancelled (as in Sandcastle); its kept workspace goes now.
            if run.status == .waitingApproval || (try? orchestrator.run(id: run.id).detail.run.status) == .waitingApproval {
                _ = try? await runs.removeSandboxes(ofRun: run.id)
            }
        }
        running.cancel()
        _ = await running.result
        await scheduler.stop()
        await orchestrator.stop()
        await server.service.shutdown()
        // Runs still going end with the test; their sandboxes must not outlive it.
        let docker = try await DockerClient.connect()
        for run in (try? runs.repository.listRuns(.init(limit: 1000))) ?? [] {
            for container in try await docker.listContainers(all: true, filters: .label(SandcastleLabels.run, run.id)) {
                try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true)
            }
        }
        let leaked = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(dependencies.serverID)"]))
        for container in leaked { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
        #expect(leaked.isEmpty, "containers left behind: \(leaked.map(\.id))")
        try result.get()
    }
}

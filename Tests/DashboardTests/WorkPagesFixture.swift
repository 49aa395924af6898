import EngineService
import Foundation
import HTTPTransport
import Logging
import Orchestrator
import Store
import Testing

@testable import Server
@testable import ServerCore

/// A real `sandcastle serve` on loopback for the workflows and schedules pages: the Docker
/// backend, an orchestrator over a fresh data folder with a workflows folder, a scheduler (its
/// loop not started, so nothing fires behind a test's back; manual triggers still run), the
/// admin key `ADMIN_API_KEY` and stored keys made through `/api/api-keys`.
struct WorkPagesFixture {
    static let adminKey = "admin-key-for-dashboard-tests-0123456789"
    static let pepper = "pepper-for-dashboard-tests-0123456789ab"

    let port: Int
    let orchestrator: Orchestrator
    let scheduler: Scheduler
    let api: HTTPClient

    /// A browser signed in with `key`.
    func browser(_ key: String) async throws -> DashboardClient {
        let client = try DashboardClient(port: port)
        try await client.signIn(key)
        return client
    }

    /// A JSON call to `/api` with `key`; returns the status and the body's text.
    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, key: String = WorkPagesFixture.adminKey) async throws -> (status: Int, text: String) {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(key)"]
        if json != nil { headers.add("Content-Type", "application/json") }
        let response = try await api.send(
            HTTPRequest(method: method, path: path, headers: headers, body: json.map { .bytes(Array($0.utf8)) } ?? .none, timeout: .seconds(60)))
        return (response.status, response.bodyText)
    }

    /// A key made by the admin through `/api/api-keys` (`body` is its JSON); returns the key itself.
    func makeKey(_ body: String) async throws -> String {
        let made = try await call(.post, "/api/api-keys", json: body)
        #expect(made.status == 201, "\(made.text)")
        let object = try JSONSerialization.jsonObject(with: Data(made.text.utf8)) as? [String: Any]
        return try #require((object?["data"] as? [String: Any])?["key"] as? String, "no key in \(made.text)")
    }

    /// Waits until every run of the server has ended, so none is left running when it stops.
    func waitForRuns() async throws {
        for run in try orchestrator.runs.repository.listRuns(RunQuery(limit: 1000)) {
            _ = await orchestrator.queue.waitForTurnEnd(runID: run.id)
        }
    }

    /// A server with `workflows` (name → YAML) in its workflows folder.
    static func with(workflows: [String: String], _ body: (WorkPagesFixture) async throws -> Void) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("sc-dashboard-\(UUID().uuidString)").path
        let folder = data + "-workflows"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in workflows { try text.write(toFile: folder + "/\(name).yaml", atomically: true, encoding: .utf8) }
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: folder)
        }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.openMode = false
        configuration.dataDirectory = data
        configuration.reapIntervalSeconds = 0.5
        configuration.apiKeyDigests = []
        configuration.adminAPIKey = RedactedSecret(adminKey)
        configuration.apiKeyPepper = try APIKeyPepper(pepper, source: "test")
        configuration.rateLimitRuns = .off
        let logger = Logger(label: "test.dashboard")
        var dependencies = try await ServerDependencies.production(configuration, logger: logger)
        let runs = try await RunService.open(try EngineSettings.load(dataDirectory: data), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: folder, maxConcurrentRuns: 2, logger: logger)
        try await orchestrator.start()
        let scheduler = Scheduler(orchestrator: orchestrator, defaultCatchUp: .once, logger: logger)
        dependencies.orchestrator = orchestrator
        dependencies.scheduler = scheduler

        let server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let result: Result<Void, any Error>
        if let port = await iterator.next() {
            let fixture = WorkPagesFixture(
                port: port, orchestrator: orchestrator, scheduler: scheduler, api: try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port)))
            do {
                try await body(fixture)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            try await fixture.waitForRuns()
        } else {
            result = .failure(ServerError(.internal, "the server did not start"))
        }
        running.cancel()
        _ = await running.result
        await server.service.shutdown()
        try result.get()
    }
}

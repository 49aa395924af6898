import DockerEngine
import EngineService
import Foundation
import HTTPTransport
import Logging
import Orchestrator
import Sandbox
import ServerCore
import Testing

@testable import Server

/// A real `sandcastle serve` in this process on a free loopback port: sandboxes on the real
/// Docker engine (no skip path: without an engine these tests fail), the orchestrator over the
/// same data folder, the dashboard under `/ui`. Keys: `ADMIN_API_KEY` and what tests store
/// through `/api/api-keys`.
struct DashboardServer {
    static let adminKey = "admin-key-for-dashboard-tests-0123456789"
    static let pepper = "pepper-for-dashboard-tests-0123456789abcdef"

    let server: SandcastleServer
    let port: Int
    let api: HTTPClient
    var sandboxes: SandboxService { server.service }

    /// A native or `/api` call with `key` (the admin's by default); returns status and JSON body.
    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, key: String = adminKey) async throws -> (
        status: Int, body: [String: Any], text: String
    ) {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(key)"]
        if json != nil { headers.add("Content-Type", "application/json") }
        let response = try await api.send(
            HTTPRequest(method: method, path: path, headers: headers, body: json.map { .bytes(Array($0.utf8)) } ?? .none, timeout: .seconds(120)))
        let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, body, response.bodyText)
    }

    /// A sandbox made through the native API by the admin key.
    func makeSandbox() async throws -> String {
        let made = try await call(.post, "/v1/sandboxes", json: #"{"ttl_seconds":600}"#)
        return try #require(made.body["id"] as? String, "creating a sandbox answered \(made.status): \(made.text)")
    }

    /// A stored key of tenant `tenant`, made by the admin through `/api/api-keys`.
    func makeTenantKey(_ tenant: String) async throws -> String {
        let made = try await call(.post, "/api/api-keys", json: #"{"name":"dashboard-test","tenant_id":"\#(tenant)"}"#)
        let data = made.body["data"] as? [String: Any] ?? [:]
        return try #require(data["key"] as? String, "creating a key answered \(made.status): \(made.text)")
    }

    /// A browser signed in with `key`.
    func browser(signedInWith key: String = adminKey) async throws -> DashboardClient {
        let client = try DashboardClient(port: port)
        try await client.signIn(key: key)
        return client
    }

    /// Runs `body` against a fresh server; afterwards deletes every sandbox still live, waits for
    /// their containers to be removed, stops everything, and fails the test if any container of
    /// the server is still on the engine.
    static func with<T>(_ body: (DashboardServer) async throws -> T) async throws -> T {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("sc-dashboard-\(UUID().uuidString)").path
        let workflows = data + "-workflows"
        try FileManager.default.createDirectory(atPath: workflows, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: data)
            try? FileManager.default.removeItem(atPath: workflows)
        }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = data
        configuration.reapIntervalSeconds = 0.5
        configuration.adminAPIKey = RedactedSecret(adminKey)
        configuration.apiKeyPepper = try APIKeyPepper(pepper, source: "test")
        var dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        let runs = try await RunService.open(try EngineSettings.load(dataDirectory: data), sandboxes: .required, creatingStore: true)
        let orchestrator = Orchestrator(runs: runs, workflowsFolder: workflows, maxConcurrentRuns: 2, logger: Logger(label: "test.runs"))
        try await orchestrator.start()
        dependencies.orchestrator = orchestrator
        let server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let result: Result<T, any Error>
        if let port = await iterator.next() {
            do {
                let live = DashboardServer(server: server, port: port, api: try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port)))
                result = .success(try await body(live))
            } catch {
                result = .failure(error)
            }
        } else {
            result = .failure(DashboardClientError(message: "the server did not start"))
        }
        // Also after a failure: no test leaves a container behind.
        let left = (try? await server.service.list(status: "creating,running", image: nil, limit: 500, cursor: nil, keyID: nil).sandboxes) ?? []
        for sandbox in left { try? await server.service.delete(id: sandbox.id, keyID: nil) }
        running.cancel()
        _ = await running.result
        await server.service.shutdown()
        await orchestrator.stop()
        let leaked = try await sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty, "containers left behind: \(leaked)")
        return try result.get()
    }

    /// Removes every container of this server still on the engine; returns their ids.
    static func sweep(serverID: String) async throws -> [String] {
        let docker = try await DockerClient.connect()
        let containers = try await docker.listContainers(all: true, filters: .labels(["\(SandcastleLabels.server)=\(serverID)"]))
        for container in containers { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
        return containers.map(\.id)
    }
}

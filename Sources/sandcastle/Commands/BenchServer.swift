import ArgumentParser
import DockerEngine
import Foundation
import HTTPTransport
import Logging
import ModelProviders
import Sandbox
import SandboxDocker
import Server
import ServerCore

/// `sandcastle bench server`: the HTTP service measured through real HTTP (our libcurl client)
/// against in-process servers on free loopback ports, with `docker run` as the baseline.
struct BenchServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Server figures over HTTP: pooled and cold create → first exec, and concurrent exec latency/throughput.",
        discussion: """
            Starts `sandcastle serve` in this process twice on free loopback ports (once with a warm pool, once \
            without) and measures through HTTP: POST /v1/sandboxes then the first exec of `echo ready` (each \
            sandbox deleted afterwards), and N sandboxes each running M execs concurrently. Baseline in the same \
            run: `docker run --rm IMAGE echo ready`.
            """)

    @Option(name: .long, help: "Iterations of create → first exec, pooled and cold (at least 10).")
    var iterations = 30

    @Option(name: .long, help: "Image to benchmark in.")
    var image = "base"

    @Option(name: .long, help: "Concurrent sandboxes for the exec figure (1-60).")
    var sandboxes = 50

    @Option(name: .long, help: "Execs per sandbox for the exec figure.")
    var execs = 20

    @Option(name: .customLong("pool-size"), help: "Warm pool target for the pooled figure.")
    var poolSize = 4

    @Option(name: .customLong("create-concurrency"), help: "Creates in flight at once when preparing the concurrent sandboxes.")
    var createConcurrency = 4

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if iterations < 10 { throw ValidationError("--iterations must be at least 10 so p95 means something") }
        if !(1...60).contains(sandboxes) { throw ValidationError("--sandboxes must be between 1 and 60") }
        if execs < 1 { throw ValidationError("--execs must be at least 1") }
        if !(1...16).contains(poolSize) { throw ValidationError("--pool-size must be between 1 and 16") }
        if !(1...16).contains(createConcurrency) { throw ValidationError("--create-concurrency must be between 1 and 16") }
    }

    func run() async throws {
        // Server logs go to standard error and only when something is wrong: the figures are the output.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let progress: @Sendable (String) -> Void = { [json] message in if !json { Console.error("… \(message)") } }
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let imageReference = backend.images.resolve(image)
        let docker = try DockerCLI()
        let load = LoadAverage.current()

        var report = ServerBenchReport(machine: MachineInfo.current(engine: try await backend.docker.version()), loadBefore: load)
        let image = self.image
        let iterations = self.iterations

        progress("pooled: create → first exec over HTTP (\(iterations) runs, pool \(image)=\(poolSize))")
        try await BenchHTTPServer.with(pool: ["\(image)=\(poolSize)"], capacity: sandboxes + 4) { server in
            try await server.waitForPool(ready: poolSize)
            for _ in 0..<2 { _ = try await server.createFirstExecDelete(image: image) } // warm the HTTP path
            let hitsBefore = try await server.poolHits()
            var samples = Samples()
            for _ in 0..<iterations {
                // Each create should be a hit: wait until the refill caught up, as a server between requests would.
                try await server.waitForPool(ready: poolSize)
                samples.add(try await server.createFirstExecDelete(image: image))
            }
            report.pooled = samples
            report.poolHits = try await server.poolHits() - hitsBefore

            progress("\(sandboxes) sandboxes × \(execs) execs of `echo ok`, concurrently over HTTP")
            let ids = try await server.createMany(sandboxes, image: image, concurrency: createConcurrency)
            do {
                let (latencies, wall) = try await server.execConcurrently(ids: ids, execs: execs)
                report.execs = latencies
                report.execsPerSecond = Double(latencies.count) / (wall.milliseconds / 1000)
                report.loadDuring = LoadAverage.current()
            } catch {
                await server.deleteMany(ids, concurrency: createConcurrency)
                throw error
            }
            await server.deleteMany(ids, concurrency: createConcurrency)
        }

        progress("cold: create → first exec over HTTP (\(iterations) runs, no pool)")
        try await BenchHTTPServer.with(pool: [], capacity: 4) { server in
            for _ in 0..<2 { _ = try await server.createFirstExecDelete(image: image) }
            var samples = Samples()
            for _ in 0..<iterations { samples.add(try await server.createFirstExecDelete(image: image)) }
            report.cold = samples
        }

        progress("`docker run --rm \(imageReference) echo ready` baseline (\(iterations) runs)")
        var dockerRun = Samples()
        for _ in 0..<iterations {
            dockerRun.add(
                try docker.time([
                    "run", "--rm", "--label", "sandcastle.managed=true", "--network", "none",
                    "--entrypoint", "echo", imageReference, "ready",
                ]))
        }
        report.dockerRun = dockerRun
        report.loadAfter = LoadAverage.current()
        Console.print(json ? report.json() : report.table(image: image, sandboxes: sandboxes, execs: execs))
    }
}

/// A `sandcastle serve` in this process on a free loopback port, with the Docker backend and
/// SQLite in a temporary folder, and a client that speaks to it over HTTP.
struct BenchHTTPServer {
    let client: HTTPClient
    let authorization: String

    /// Runs `body` against a fresh server; afterwards stops it (draining the pool), removes any
    /// container still carrying its label, and deletes its folder.
    /// `modelRouter` gives `POST /query` its models (none otherwise, as `serve` without a provider).
    static func with(
        pool: [String], capacity: Int, modelRouter: ModelRouter? = nil, _ body: (BenchHTTPServer) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-\(UUID().uuidString)").path
        let key = "bench-" + UUID().uuidString
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = directory
        configuration.apiKeyDigests = [APIKeyStore.digest(key)]
        configuration.pool = pool
        configuration.maxSandboxes = max(64, capacity)
        configuration.maxSandboxesPerKey = max(64, capacity)
        var logger = Logger(label: "sandcastle.bench.server")
        // Critical only: stopping the app by cancellation makes HummingbirdCore log an error
        // that is none, and whatever goes wrong in a measured request fails the benchmark itself.
        logger.logLevel = .critical
        var dependencies = try await ServerDependencies.production(configuration, logger: logger)
        if let modelRouter {
            dependencies.modelRouter = modelRouter
            dependencies.modelProblem = nil
        }
        let server = try SandcastleServer(configuration: configuration, dependencies: dependencies)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application { port in continuation.yield(port) }
        let running = Task { try await app.run() }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the bench server did not start") }
        let client = try HTTPClient(
            endpoint: .http(host: "127.0.0.1", port: port),
            configuration: HTTPClient.Configuration(maxCachedConnections: 96))
        var failure: (any Error)?
        do {
            try await body(BenchHTTPServer(client: client, authorization: "Bearer \(key)"))
        } catch {
            failure = error
        }
        running.cancel()
        _ = await running.result
        await server.service.shutdown()
        // Anything a failed run left behind carries this server's label.
        if let docker = try? DockerCLI(),
            let left = try? docker.output(["ps", "-aq", "--filter", "label=\(SandcastleLabels.server)=\(dependencies.serverID)"])
        {
            let ids = left.split(separator: "\n").map(String.init)
            if !ids.isEmpty { _ = try? docker.output(["rm", "-f", "-v"] + ids) }
        }
        if let failure { throw failure }
    }

    func call(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: Int, body: [String: Any]) {
        var headers: HTTPHeaders = ["Authorization": authorization]
        if json != nil { headers.add("Content-Type", "application/json") }
        let response = try await client.send(
            HTTPRequest(
                method: method, path: path, headers: headers,
                body: json.map { .bytes(Array($0.utf8)) } ?? .none,
                timeout: .seconds(120)))
        let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status) else {
            throw ValidationError("\(method.rawValue) \(path) answered \(response.status): \(response.bodyText.prefix(300))")
        }
        return (response.status, body)
    }

    func create(image: String) async throws -> String {
        let created = try await call(.post, "/v1/sandboxes", json: #"{"image":"\#(image)"}"#)
        guard let id = created.body["id"] as? String else { throw ValidationError("create answered without an id") }
        return id
    }

    func exec(_ id: String, _ command: String, expect: String) async throws {
        let result = try await call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"\#(command)"}"#)
        guard result.body["stdout"] as? String == expect else {
            throw ValidationError("`\(command)` printed \(result.body["stdout"] ?? "nothing"), not \(expect)")
        }
    }

    func delete(_ id: String) async throws {
        _ = try await call(.delete, "/v1/sandboxes/\(id)")
    }

    /// POST /v1/sandboxes then the first exec; the sandbox is deleted outside the measurement.
    func createFirstExecDelete(image: String) async throws -> Duration {
        let start = ContinuousClock.now
        let id = try await create(image: image)
        do {
            try await exec(id, "echo ready", expect: "ready\n")
        } catch {
            try? await delete(id)
            throw error
        }
        let elapsed = ContinuousClock.now - start
        try await delete(id)
        return elapsed
    }

    /// The metric's value summed over its label sets, from `/metrics`.
    func metric(_ name: String) async throws -> Double {
        let response = try await client.send(HTTPRequest(method: .get, path: "/metrics", timeout: .seconds(30)))
        return response.bodyText.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " "), let value = Double(line.split(separator: " ").last ?? "") else {
                return total
            }
            return total + value
        }
    }

    func poolHits() async throws -> Int { Int(try await metric("sandcastle_pool_hits_total")) }

    func waitForPool(ready: Int, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await metric("sandcastle_pool_size") < Double(ready) {
            guard ContinuousClock.now < deadline else { throw ValidationError("the warm pool did not reach \(ready) ready sandboxes in \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Creates `count` sandboxes, at most `concurrency` at a time (2 cores: Docker serialises much of it anyway).
    func createMany(_ count: Int, image: String, concurrency: Int) async throws -> [String] {
        var ids: [String] = []
        do {
            try await withThrowingTaskGroup(of: String.self) { group in
                var started = 0
                while started < min(concurrency, count) {
                    group.addTask { try await create(image: image) }
                    started += 1
                }
                while let id = try await group.next() {
                    ids.append(id)
                    if started < count {
                        group.addTask { try await create(image: image) }
                        started += 1
                    }
                }
            }
        } catch {
            await deleteMany(ids, concurrency: concurrency)
            throw error
        }
        return ids
    }

    func deleteMany(_ ids: [String], concurrency: Int) async {
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(concurrency, ids.count) {
                let id = ids[next]
                group.addTask { try? await delete(id) }
                next += 1
            }
            while await group.next() != nil {
                if next < ids.count {
                    let id = ids[next]
                    group.addTask { try? await delete(id) }
                    next += 1
                }
            }
        }
    }

    /// Every sandbox runs `execs` execs one after another, all sandboxes at once; returns each
    /// exec's latency and the wall time of the whole.
    func execConcurrently(ids: [String], execs: Int) async throws -> (Samples, Duration) {
        let start = ContinuousClock.now
        let all = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for id in ids {
                group.addTask {
                    var latencies: [Duration] = []
                    for _ in 0..<execs {
                        let begin = ContinuousClock.now
                        try await exec(id, "echo ok", expect: "ok\n")
                        latencies.append(ContinuousClock.now - begin)
                    }
                    return latencies
                }
            }
            var all: [Duration] = []
            for try await latencies in group { all.append(contentsOf: latencies) }
            return all
        }
        let wall = ContinuousClock.now - start
        var samples = Samples()
        for latency in all { samples.add(latency) }
        return (samples, wall)
    }
}

/// The 1, 5 and 15 minute load averages: other builds share this machine, so figures say how busy it was.
struct LoadAverage {
    var values: [Double]

    static func current() -> LoadAverage {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return LoadAverage(values: text.split(separator: " ").prefix(3).compactMap { Double($0) })
    }

    var text: String { values.map { String(format: "%.2f", $0) }.joined(separator: " ") }
}

struct ServerBenchReport {
    var machine: MachineInfo
    var loadBefore: LoadAverage
    var loadDuring = LoadAverage(values: [])
    var loadAfter = LoadAverage(values: [])
    var pooled = Samples()
    var poolHits = 0
    var cold = Samples()
    var execs = Samples()
    var execsPerSecond = 0.0
    var dockerRun = Samples()

    private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
    private func pair(_ samples: Samples) -> [String: Double] { ["p50": rounded(samples.p50), "p95": rounded(samples.p95)] }

    func json() -> String {
        let object: [String: Any] = [
            "pool_create_first_exec_ms": pair(pooled),
            "cold_create_first_exec_ms": pair(cold),
            "http_exec_ms": pair(execs),
            "http_exec_per_s": (execsPerSecond * 10).rounded() / 10,
            // Context, beside the four figures: the baseline and the machine's state.
            "docker_run_ms": pair(dockerRun),
            "pool_hits": poolHits,
            "iterations": ["pooled": pooled.count, "cold": cold.count, "http_exec": execs.count, "docker_run": dockerRun.count],
            "machine": machine.dictionary.merging([
                "load_before": loadBefore.values, "load_during_execs": loadDuring.values,
                "load_after": loadAfter.values,
            ]) { ours, _ in ours },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func table(image: String, sandboxes: Int, execs: Int) -> String {
        func ms(_ value: Double) -> String { String(format: "%.1f", value) }
        let verdict = pooled.p50 <= 20 ? "meets the ≤ 20 ms target" : "MISSES the ≤ 20 ms target"
        return """
            Sandcastle server benchmark (image \(image)) — \(machine.summary)
            load average before \(loadBefore.text), during the concurrent execs \(loadDuring.text), after \(loadAfter.text)

            | figure | p50 | p95 | note |
            |---|---|---|---|
            | pooled create → first exec (ms) | \(ms(pooled.p50)) | \(ms(pooled.p95)) | \(poolHits)/\(pooled.count) pool hits; \(verdict) |
            | cold create → first exec (ms) | \(ms(cold.p50)) | \(ms(cold.p95)) | |
            | docker run --rm echo ready (ms) | \(ms(dockerRun.p50)) | \(ms(dockerRun.p95)) | baseline |
            | exec over HTTP, \(sandboxes) sandboxes × \(execs) at once (ms) | \(ms(self.execs.p50)) | \(ms(self.execs.p95)) | \(String(format: "%.0f", execsPerSecond)) execs/s |
            """
    }
}

import ArgumentParser
import Foundation

/// `sandcastle bench e2b`: the official e2b SDK's create → commands.run("echo ready") → kill
/// against `sandcastle serve` with a warm pool, beside the same lifecycle through our native
/// HTTP API, measured in one run against one server.
///
/// The server is this binary's own `serve` in a child process (its own port, data folder and
/// API key). One Python driver times both clients, alternating per iteration; before each
/// timed iteration it waits until the pool is full again, so both figures are pool hand-outs
/// rather than one client paying for the other's refills.
struct BenchE2B: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2b",
        abstract: "E2B SDK create→run→kill against sandcastle serve (pool on), beside the native API's create→exec→destroy.")

    @Option(name: .long, help: "Timed iterations per client.")
    var iterations = 30

    @Option(name: .long, help: "Warm pool size for the base image.")
    var pool = 2

    @Option(name: .long, help: "Python with e2b==2.63.0 (default: the venv .build/compat-venv-e2b, made if missing).")
    var python: String?

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    static let sdkVersion = "2.63.0"

    func validate() throws {
        if iterations < 10 { throw ValidationError("--iterations must be at least 10 so p95 means something") }
        if pool < 1 { throw ValidationError("--pool must be at least 1: this benchmark measures hand-outs from the pool") }
    }

    func run() async throws {
        let progress: (String) -> Void = { message in if !json { Console.error("… \(message)") } }
        let interpreter = try python ?? Self.ensureVenv(progress: progress)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-e2b-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        let key = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        progress("starting sandcastle serve with a warm pool of \(pool) base sandbox(es)")
        let server = try ServerProcess.start(work: work, apiKey: key, pool: "base=\(pool)")
        defer { server.stop() }

        let driver = work.appendingPathComponent("driver.py")
        try Data(Self.driverSource.utf8).write(to: driver)
        progress("\(iterations) iterations per client (E2B SDK \(Self.sdkVersion), native HTTP API), alternating")
        let output = try Subprocess.run(
            interpreter, [driver.path, String(iterations)],
            environment: [
                "E2B_API_URL": server.url, "E2B_SANDBOX_URL": server.url, "E2B_API_KEY": key, "SANDCASTLE_URL": server.url,
            ])
        guard output.status == 0, let data = output.stdout.split(separator: "\n").last.map({ Data($0.utf8) }),
            let result = try? JSONDecoder().decode(DriverResult.self, from: data)
        else {
            throw ValidationError("the benchmark driver failed (exit \(output.status)):\n\(output.stdout)\n\(output.stderr)\nserver log:\n\(server.logTail())")
        }
        var e2b = Samples()
        result.e2b.forEach { e2b.add($0) }
        var native = Samples()
        result.native.forEach { native.add($0) }
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        if json {
            func pair(_ samples: Samples) -> [String: Double] {
                ["p50": (samples.p50 * 100).rounded() / 100, "p95": (samples.p95 * 100).rounded() / 100]
            }
            let report: [String: AnyEncodable] = [
                "e2b_sdk_create_run_kill_ms": AnyEncodable(pair(e2b)),
                "native_create_exec_destroy_ms": AnyEncodable(pair(native)),
                "iterations": AnyEncodable(iterations), "pool_size": AnyEncodable(pool),
                "pool_hits": AnyEncodable(result.poolHits), "e2b_sdk_version": AnyEncodable(Self.sdkVersion),
                "build": AnyEncodable(build),
                "phase_medians_ms": AnyEncodable(
                    result.phases.mapValues { phases in
                        ["create": phases[0], "run": phases[1], "destroy": phases[2]].mapValues { ($0 * 100).rounded() / 100 }
                    }),
            ]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            Console.print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            func ms(_ value: Double) -> String { String(format: "%.1f", value) }
            func phases(_ client: String) -> String { (result.phases[client] ?? []).map(ms).joined(separator: " / ") }
            Console.print(
                """
                | figure (\(iterations) iterations, pool of \(pool), \(build) build) | p50 (ms) | p95 (ms) |
                |---|---|---|
                | E2B SDK \(Self.sdkVersion): Sandbox.create → commands.run("echo ready") → kill | \(ms(e2b.p50)) | \(ms(e2b.p95)) |
                | native API: POST /v1/sandboxes → exec `echo ready` → DELETE | \(ms(native.p50)) | \(ms(native.p95)) |

                Medians per phase (create / run / destroy, ms): E2B SDK \(phases("e2b")), native \(phases("native")).
                Pool hand-outs during the timed runs: \(result.poolHits) of \(iterations * 2) creates. \
                Both clients are Python on the same machine and server; the difference is the E2B protocol \
                (Connect streaming, envd access token, SDK overhead) against the native JSON exec.
                """)
        }
    }

    struct DriverResult: Decodable {
        var e2b: [Double]
        var native: [Double]
        var poolHits: Int
        /// Medians of create, run/exec and kill/destroy, per client.
        var phases: [String: [Double]]
        enum CodingKeys: String, CodingKey { case e2b, native, poolHits = "pool_hits", phases }
    }

    /// The SDK venv scripts/compat-e2b uses, made with pip when it lacks this exact version.
    static func ensureVenv(progress: (String) -> Void) throws -> String {
        let venv = FileManager.default.currentDirectoryPath + "/.build/compat-venv-e2b"
        let python = venv + "/bin/python"
        let check = try? Subprocess.run(python, ["-c", "import importlib.metadata as m, sys; sys.exit(m.version('e2b') != '\(sdkVersion)')"])
        if check?.status == 0 { return python }
        progress("installing e2b==\(sdkVersion) into \(venv)")
        let made = try Subprocess.run("/usr/bin/env", ["python3", "-m", "venv", venv])
        guard made.status == 0 else { throw ValidationError("python3 -m venv \(venv) failed: \(made.stderr)") }
        let installed = try Subprocess.run(venv + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check", "e2b==\(sdkVersion)"])
        guard installed.status == 0 else { throw ValidationError("pip install e2b==\(sdkVersion) failed: \(installed.stderr)") }
        return python
    }

    /// Times both clients. Each iteration first waits for a full pool (untimed), then runs one
    /// lifecycle; the first iteration of each client is a warm-up (imports, connections).
    static let driverSource = #"""
        import http.client, json, os, re, sys, time, urllib.parse
        from e2b import Sandbox

        n = int(sys.argv[1])
        url = urllib.parse.urlparse(os.environ["SANDCASTLE_URL"])
        key = os.environ["E2B_API_KEY"]
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

        def call(method, path, body=None):
            headers = {"Authorization": "Bearer " + key}
            if body is not None:
                headers["Content-Type"] = "application/json"
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            if r.status >= 300:
                raise RuntimeError(f"{method} {path}: {r.status} {data!r}")
            return json.loads(data) if data else None

        def metrics():
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
            def gauge(name):
                return sum(int(float(v)) for v in re.findall(rf"^{name}{{[^}}]*}} (\S+)$", text, re.M))
            return gauge("sandcastle_pool_size"), gauge("sandcastle_pool_target"), gauge("sandcastle_pool_hits_total")

        def wait_full():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                ready, target, _ = metrics()
                if target and ready >= target:
                    return
                time.sleep(0.05)
            raise RuntimeError("the warm pool did not refill within 60 s")

        phases = {"e2b": [], "native": []}

        def e2b_once():
            t0 = time.perf_counter()
            s = Sandbox.create(template="base")
            t1 = time.perf_counter()
            r = s.commands.run("echo ready")
            t2 = time.perf_counter()
            s.kill()
            t3 = time.perf_counter()
            assert r.stdout == "ready\n", r.stdout
            phases["e2b"].append([(t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000])
            return (t3 - t0) * 1000

        def native_once():
            t0 = time.perf_counter()
            sbx = call("POST", "/v1/sandboxes", {"image": "base"})
            t1 = time.perf_counter()
            r = call("POST", f"/v1/sandboxes/{sbx['id']}/exec", {"command": "echo ready"})
            t2 = time.perf_counter()
            call("DELETE", f"/v1/sandboxes/{sbx['id']}")
            t3 = time.perf_counter()
            assert r["stdout"].strip() == "ready", r
            phases["native"].append([(t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000])
            return (t3 - t0) * 1000

        for once in (e2b_once, native_once):
            wait_full()
            once()
        _, _, hits_before = metrics()
        phases = {"e2b": [], "native": []}
        e2b, native = [], []
        for _ in range(n):
            wait_full()
            e2b.append(e2b_once())
            wait_full()
            native.append(native_once())
        _, _, hits_after = metrics()
        def medians(rows):
            return [sorted(column)[len(column) // 2] for column in zip(*rows)]
        print(json.dumps({"e2b": e2b, "native": native, "pool_hits": hits_after - hits_before,
                          "phases": {"e2b": medians(phases["e2b"]), "native": medians(phases["native"])}}))
        """#
}

/// `sandcastle serve` as a child process on a free port.
struct ServerProcess {
    let process: Process
    let url: String
    let log: URL

    static func start(work: URL, apiKey: String, pool: String) throws -> ServerProcess {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let log = work.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "serve", "--port", "0", "--data-dir", work.appendingPathComponent("data").path,
            "--api-key", apiKey, "--log-level", "warning",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SANDCASTLE_POOL"] = pool
        process.environment = environment
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let server = ServerProcess(process: process, url: "", log: log)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://[^ \n]+"#, options: .regularExpression) {
                let address = text[range].dropFirst("listening on ".count)
                return ServerProcess(process: process, url: String(address), log: log)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        server.stop()
        throw ValidationError("sandcastle serve did not start:\n\(server.logTail())")
    }

    /// SIGTERM and wait: the server drains its pool on the way out.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(30).joined(separator: "\n")
    }
}

/// Runs a program to completion, capturing its output.
enum Subprocess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ program: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        // stderr goes to a file, so reading stdout to its end can never stall on a full stderr pipe.
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-subprocess-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }
}

/// Heterogeneous JSON values for the report.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}

import ArgumentParser
import Foundation
import HTTPTransport

/// A server `sandcastle bench api` runs as a child process: ours (`sandcastle serve`) or the peer
/// (Sandcastle 0.47 through scripts/bench-peer-sandcastle), its log in a file of the work folder.
struct BenchAPIServer {
    let name: String
    let process: Process
    let host: String
    let port: Int
    let log: URL

    /// The server's own process id: whose resident memory the figures report.
    var pid: Int32 { process.processIdentifier }

    /// `sandcastle serve` of this binary on a free loopback port: a fresh data folder, the
    /// benchmark's workflows, runs up to `maxConcurrentRuns` at once, no limit on submissions
    /// (`SANDCASTLE_RATE_LIMIT_RUNS=0`), and the provider double as its only model provider.
    static func ours(work: URL, apiKey: String, double: String, doubleKey: String, maxConcurrentRuns: Int) throws -> BenchAPIServer {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let log = work.appendingPathComponent("ours.log")
        var environment = ProcessInfo.processInfo.environment.filter { name, _ in !Self.inheritedExcluded(name) }
        environment["HOME"] = work.path
        environment["OPENAI_API_KEY"] = doubleKey
        environment["OPENAI_BASE_URL"] = double + "/v1"
        environment["SANDCASTLE_RATE_LIMIT_RUNS"] = "0"
        let process = try launch(
            executable,
            [
                "serve", "--port", "0", "--data-dir", work.appendingPathComponent("ours-data").path,
                "--workflows-dir", work.appendingPathComponent("ours-workflows").path, "--api-key", apiKey,
                "--max-concurrent-runs", String(maxConcurrentRuns), "--log-level", "warning",
            ],
            environment: environment, log: log)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return BenchAPIServer(name: "sandcastle serve", process: process, host: "127.0.0.1", port: port, log: log)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let server = BenchAPIServer(name: "sandcastle serve", process: process, host: "127.0.0.1", port: 0, log: log)
        server.stop()
        throw ValidationError("sandcastle serve did not start:\n\(server.logTail())")
    }

    /// Sandcastle 0.47's server through `script serve` (which makes its venv the first time and
    /// then replaces itself with the server, so the process is the server's), on `port`, its
    /// `nim/*` models answered by the double. Ready once `GET /api/health` answers.
    static func peer(script: String, work: URL, port: Int, double: String, doubleKey: String) async throws -> BenchAPIServer {
        let log = work.appendingPathComponent("peer.log")
        // The script's own settings pass (which Python, where the venv is); the peer itself
        // starts with nothing but what the script gives it.
        var environment = ProcessInfo.processInfo.environment.filter { name, _ in
            ["PATH", "HOME", "PYENV_ROOT", "SANDCASTLE_PYTHON", "SANDCASTLE_BENCH_VENV", "PIP_INDEX_URL"].contains(name)
        }
        environment["NIM_BASE_URL"] = double
        environment["NIM_API_KEY"] = doubleKey
        let process = try launch(
            "/bin/bash", [script, "serve", "--port", String(port), "--dir", work.appendingPathComponent("peer").path],
            environment: environment, log: log)
        let server = BenchAPIServer(name: "Sandcastle 0.47", process: process, host: "127.0.0.1", port: port, log: log)
        let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: port), configuration: .init(proxy: .direct))
        // The first start may install the peer from PyPI: minutes, not seconds.
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline, process.isRunning {
            if let health = try? await client.send(HTTPRequest(method: .get, path: "/api/health", timeout: .seconds(5))),
                health.status == 200
            {
                return server
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        server.stop()
        throw ValidationError("the peer (Sandcastle 0.47 via \(script)) did not answer GET /api/health:\n\(server.logTail())")
    }

    /// SIGTERM, then SIGKILL after 20 s; waits for the exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// VmRSS of the server process, in MiB, as the kernel reports it.
    func residentMiB() throws -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else {
            throw ValidationError("no VmRSS for \(name) (pid \(pid)): has it exited?\n\(logTail())")
        }
        return kib / 1024
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(30).joined(separator: "\n")
    }

    /// Credentials of real providers and settings that would change what is measured stay out
    /// of our server's environment: its only provider is the double.
    private static func inheritedExcluded(_ name: String) -> Bool {
        name.hasPrefix("SANDCASTLE_") || name.hasPrefix("ANTHROPIC_") || name.hasPrefix("OPENAI_")
            || ["OPENROUTER_API_KEY", "OLLAMA_HOST", "WEBHOOK_SECRET", "ADMIN_API_KEY"].contains(name)
    }

    private static func launch(_ executable: String, _ arguments: [String], environment: [String: String], log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }
}

/// A TCP port nothing listens on right now (the peer takes a port number, not 0).
enum FreePort {
    static func loopback() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ValidationError("socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw ValidationError("cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

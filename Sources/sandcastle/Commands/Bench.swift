import ArgumentParser
import DockerEngine
import Foundation
import Sandbox
import SandboxDocker

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks, each with its baseline measured in the same run.",
        subcommands: [
            BenchSandbox.self, BenchEngine.self, BenchServer.self, BenchE2B.self, BenchAgent.self, BenchAPI.self, BenchScrub.self, BenchDashboard.self,
        ])
}

struct BenchSandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Exec round trip, create→exec→destroy, file throughput and runner RSS, against Docker's own CLI.")

    @Option(name: .long, help: "Iterations per figure (at least 50).")
    var iterations = 50

    @Option(name: .long, help: "Image to benchmark in.")
    var image = "base"

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if iterations < 50 { throw ValidationError("--iterations must be at least 50 so p95 means something") }
    }

    func run() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let imageReference = backend.images.resolve(image)
        let docker = try DockerCLI()
        let progress: (String) -> Void = { message in if !json { Console.error("… \(message)") } }

        progress("exec round trip of `true` in a warm sandbox (\(iterations * 4) runs)")
        let warm = try await backend.createSandbox(SandboxSpec(image: image))
        var execRoundTrip = Samples()
        var fileRates = Samples()
        var writeRates = Samples()
        var readRates = Samples()
        var idleRSS = 0.0
        do {
            idleRSS = try await Self.runnerRSS(warm)
            for _ in 0..<50 { _ = try await warm.run("true") }
            for _ in 0..<(iterations * 4) {
                let start = ContinuousClock.now
                let output = try await warm.run("true")
                execRoundTrip.add(ContinuousClock.now - start)
                guard output.exitCode == 0 else { throw SandboxError(.internal, "`true` exited \(output.exitCode)") }
            }
            progress("10 MiB write + read through the runner (\(iterations) runs)")
            let payload = [UInt8](repeating: 0x5A, count: 10 * 1024 * 1024)
            for index in 0..<iterations {
                let start = ContinuousClock.now
                _ = try await warm.writeFile(FileWrite(path: "bench-\(index % 2).bin"), contents: ChunkedBytes(payload))
                let written = ContinuousClock.now
                let back = try await warm.readFileBytes("bench-\(index % 2).bin")
                let end = ContinuousClock.now
                guard back.count == payload.count else { throw SandboxError(.internal, "read back \(back.count) bytes") }
                // Bytes moved (written + read) per second, in MB (10^6 bytes).
                fileRates.add(Double(payload.count * 2) / ((end - start).milliseconds / 1000) / 1e6)
                writeRates.add(Double(payload.count) / ((written - start).milliseconds / 1000) / 1e6)
                readRates.add(Double(payload.count) / ((end - written).milliseconds / 1000) / 1e6)
            }
            try await warm.destroy()
        } catch {
            try? await warm.destroy()
            throw error
        }

        progress("`docker exec <ctr> true` baseline (\(iterations) runs)")
        let baselineContainer = try docker.output([
            "run", "-d", "--label", "sandcastle.managed=true", "--network", "none",
            "--entrypoint", "sleep", imageReference, "infinity",
        ])
        .trimmingCharacters(in: .whitespacesAndNewlines)
        var dockerExec = Samples()
        do {
            for _ in 0..<3 { try docker.time(["exec", baselineContainer, "true"]) }
            for _ in 0..<iterations { dockerExec.add(try docker.time(["exec", baselineContainer, "true"])) }
        }
        _ = try? docker.output(["rm", "-f", baselineContainer])

        progress("create → exec `echo ready` → destroy (\(iterations) runs)")
        var lifecycle = Samples()
        for _ in 0..<iterations {
            let start = ContinuousClock.now
            let sandbox = try await backend.createSandbox(SandboxSpec(image: image))
            let output = try await sandbox.run("echo ready")
            try await sandbox.destroy()
            lifecycle.add(ContinuousClock.now - start)
            guard output.stdoutText == "ready\n" else { throw SandboxError(.internal, "unexpected output \(output.stdoutText)") }
        }

        progress("`docker run --rm <image> echo ready` baseline (\(iterations) runs)")
        var dockerRun = Samples()
        for _ in 0..<iterations {
            dockerRun.add(try docker.time(["run", "--rm", "--label", "sandcastle.managed=true", "--entrypoint", "echo", imageReference, "ready"]))
        }

        let report = BenchReport(
            execRoundTrip: execRoundTrip, dockerExec: dockerExec, lifecycle: lifecycle, dockerRun: dockerRun,
            fileRates: fileRates, writeRates: writeRates, readRates: readRates, idleRSSMiB: idleRSS,
            machine: MachineInfo.current(engine: try await backend.docker.version()))
        if json {
            Console.print(report.json())
        } else {
            Console.print(report.table())
        }
    }

    /// VmRSS of PID 1 (the runner) as the kernel reports it, right after the handshake.
    static func runnerRSS(_ sandbox: DockerSandbox) async throws -> Double {
        try await Task.sleep(for: .milliseconds(300))
        let status = try await sandbox.run(arguments: ["cat", "/proc/1/status"]).stdoutText
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else {
            throw SandboxError(.internal, "no VmRSS in /proc/1/status")
        }
        return kib / 1024
    }
}

struct BenchReport {
    var execRoundTrip: Samples
    var dockerExec: Samples
    var lifecycle: Samples
    var dockerRun: Samples
    var fileRates: Samples
    var writeRates: Samples
    var readRates: Samples
    var idleRSSMiB: Double
    var machine: MachineInfo

    func json() -> String {
        func pair(_ samples: Samples) -> [String: Double] { ["p50": rounded(samples.p50), "p95": rounded(samples.p95)] }
        let object: [String: Any] = [
            "exec_roundtrip_ms": pair(execRoundTrip),
            "docker_exec_ms": pair(dockerExec),
            "create_exec_destroy_ms": pair(lifecycle),
            "docker_run_ms": pair(dockerRun),
            "file_10mib_write_read_mb_s": rounded(fileRates.p50),
            "runner_idle_rss_mib": rounded(idleRSSMiB),
            "file_10mib_write_mb_s": rounded(writeRates.p50),
            "file_10mib_read_mb_s": rounded(readRates.p50),
            "iterations": [
                "exec_roundtrip": execRoundTrip.count, "docker_exec": dockerExec.count,
                "create_exec_destroy": lifecycle.count, "docker_run": dockerRun.count, "file": fileRates.count,
            ],
            "machine": machine.dictionary,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        let execSpeedup = dockerExec.p50 / execRoundTrip.p50
        let lifecycleRatio = lifecycle.p50 / dockerRun.p50
        func ms(_ value: Double) -> String { String(format: "%.3f", value) }
        func verdict(_ ok: Bool) -> String { ok ? "meets target" : "MISSES target" }
        return """
            Sandcastle sandbox benchmark — \(machine.summary)

            | figure | p50 | p95 | baseline p50 | target | result |
            |---|---|---|---|---|---|
            | exec round trip `true` (ms) | \(ms(execRoundTrip.p50)) | \(ms(execRoundTrip.p95)) | docker exec \(ms(dockerExec.p50)) | ≥ 50× faster, p50 ≤ 1 ms | \(String(format: "%.0f", execSpeedup))× — \(verdict(execSpeedup >= 50 && execRoundTrip.p50 <= 1)) |
            | create → exec → destroy (ms) | \(ms(lifecycle.p50)) | \(ms(lifecycle.p95)) | docker run --rm \(ms(dockerRun.p50)) | ≤ 0.7× docker run | \(String(format: "%.2f", lifecycleRatio))× — \(verdict(lifecycleRatio <= 0.7)) |
            | 10 MiB write + read (MB/s) | \(String(format: "%.0f", fileRates.p50)) | p5 \(String(format: "%.0f", fileRates.percentile(5))) | — | ≥ 200 MB/s | \(verdict(fileRates.p50 >= 200)) |
            | runner idle RSS (MiB) | \(String(format: "%.2f", idleRSSMiB)) | | — | ≤ 8 MiB | \(verdict(idleRSSMiB <= 8)) |

            docker exec p95 \(ms(dockerExec.p95)) ms; docker run p95 \(ms(dockerRun.p95)) ms.
            File rate = (bytes written + bytes read) / elapsed; alone, write p50 \(String(format: "%.0f", writeRates.p50)) MB/s, read p50 \(String(format: "%.0f", readRates.p50)) MB/s.
            """
    }

    private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// What the numbers were measured on.
struct MachineInfo {
    var cpu: String
    var cores: Int
    var memoryGiB: Double
    var kernel: String
    var engine: String

    static func current(engine: VersionInfo) -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return MachineInfo(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824,
            kernel: release, engine: "Docker \(engine.version) (API \(engine.apiVersion))")
    }

    var summary: String {
        "\(cores) cores (\(cpu)), \(String(format: "%.0f", memoryGiB)) GiB, Linux \(kernel), \(engine)"
    }

    var dictionary: [String: Any] {
        ["cpu": cpu, "cores": cores, "memory_gib": (memoryGiB * 10).rounded() / 10, "kernel": kernel, "engine": engine]
    }
}

/// Docker's own CLI, the baseline every figure is compared with.
struct DockerCLI {
    let path: String

    init() throws {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/docker" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("the docker CLI is not on PATH; it is the baseline (apt-get install docker.io)")
        }
        path = found
    }

    /// Runs the CLI and returns its wall-clock time, failing on a non-zero exit.
    @discardableResult
    func time(_ arguments: [String]) throws -> Duration {
        let start = ContinuousClock.now
        _ = try output(arguments)
        return ContinuousClock.now - start
    }

    func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        let errorData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SandboxError(.internal, "docker \(arguments.joined(separator: " ")) failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

import DockerEngine
import Foundation
import Sandbox
import TestSupport
import Testing

/// The `sandcastle` executable end to end: exit codes, streaming, and cleanup on Ctrl-C.
@Suite("sandcastle CLI against the real engine", .serialized, .timeLimit(.minutes(3)))
struct CLITests {
    static func executable() throws -> URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(".build/debug/sandcastle")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw SandboxError(.invalidArgument, "build the sandcastle CLI first (swift build)")
    }

    static func launch(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return (process, stdout, stderr)
    }

    /// Runs the CLI to its end off the cooperative pool; its stdout and exit status.
    static func runToEnd(_ arguments: [String]) async throws -> (String, Int32) {
        try await offThePool { () throws -> (String, Int32) in
            let (process, stdout, _) = try launch(arguments)
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (String(decoding: output, as: UTF8.self), process.terminationStatus)
        }
    }

    @Test("sandbox run prints the output and exits with the command's exit code")
    func runExitCode() async throws {
        let (output, status) = try await Self.runToEnd(["sandbox", "run", "--", "echo out; echo err >&2; exit 7"])
        // The shell runs on a terminal, so stderr arrives merged with stdout, in order.
        #expect(output == "out\nerr\n")
        #expect(status == 7)
    }

    @Test("an argv after -- is quoted word by word")
    func runArgv() async throws {
        let (output, status) = try await Self.runToEnd(["sandbox", "run", "--", "printf", "%s|", "a b", "$(c)", "'d'"])
        #expect(output == "a b|$(c)|'d'|")
        #expect(status == 0)
    }

    @Test("Ctrl-C removes the sandbox and exits 130")
    func interruptCleansUp() async throws {
        let marker = "cli-test-\(UInt32.random(in: 0...UInt32.max))"
        let (process, _, _) = try Self.launch(["sandbox", "run", "-e", "TEST_MARKER=\(marker)", "--", "sleep 60"])
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        func ours() async throws -> [String] {
            var found: [String] = []
            for container in try await docker.listContainers(all: true, filters: .label(SandcastleLabels.managed, "true")) {
                let inspect = try? await docker.inspectContainer(id: container.id)
                if inspect?.config?.env?.contains("TEST_MARKER=\(marker)") == true { found.append(container.id) }
            }
            return found
        }
        var started = false
        for _ in 0..<100 where !started {
            try await Task.sleep(for: .milliseconds(100))
            started = try await !ours().isEmpty
        }
        #expect(started, "the CLI created its sandbox")
        try await Task.sleep(for: .milliseconds(300))
        kill(process.processIdentifier, SIGINT)
        let child = SendableProcess(process)
        let status = try await offThePool {
            child.process.waitUntilExit()
            return child.process.terminationStatus
        }
        #expect(status == 130)
        #expect(try await ours().isEmpty, "no container left after Ctrl-C")
    }

    @Test("doctor names the socket and the fix when the engine is unreachable")
    func doctorUnreachable() async throws {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = ["doctor"]
        process.environment = ["DOCKER_HOST": "unix:///tmp/sandcastle-no-engine.sock", "PATH": "/usr/bin:/bin"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = Pipe()
        try process.run()
        let child = SendableProcess(process)
        let reader = stdout.fileHandleForReading
        let output = try await offThePool {
            let text = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            child.process.waitUntilExit()
            return text
        }
        #expect(process.terminationStatus == 1)
        #expect(output.contains("/tmp/sandcastle-no-engine.sock"))
        #expect(output.contains("fix:"))
    }
}

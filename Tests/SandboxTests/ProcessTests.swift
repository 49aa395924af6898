import Foundation
import RunnerClient
import RunnerProtocol
import Sandbox
import Testing

@Suite("argv processes in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct ProcessTests {
    @Test("argv + env + cwd, separate stdout and stderr, exit code")
    func spawnBasics() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            try await sandbox.makeDirectory(path: "/workspace/sub", parents: true)
            let request = SpawnRequest(arguments: ["sh", "-c", "pwd; echo \"$COLOR\"; echo oops >&2; exit 7"],
                                       environment: ["COLOR=blue"], workingDirectory: "/workspace/sub")
            let output = try await sandbox.spawn(request).collect()
            #expect(output.stdoutText == "/workspace/sub\nblue\n")
            #expect(output.stderrText == "oops\n")
            #expect(output.exitCode == 7)
            #expect(output.result.signal == 0)
        }
    }

    @Test("a signal ends a process and is reported")
    func spawnSignal() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let process = try await sandbox.spawn(SpawnRequest(arguments: ["sleep", "100"]))
            var result: ExecResult?
            for try await event in process.events {
                switch event {
                case .started: try await process.signal(SIGKILL)
                case .finished(let finished): result = finished
                case .output: break
                }
            }
            #expect(result?.signal == SIGKILL)
            #expect(result?.exitCode == 128 + SIGKILL)
        }
    }

    @Test("a missing program is a clear spawn error")
    func spawnMissing() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let error = await #expect(throws: SandboxError.self) {
                try await sandbox.spawn(SpawnRequest(arguments: ["/no/such/program"])).collect()
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("stdin reaches a spawned process")
    func spawnStdin() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let process = try await sandbox.spawn(SpawnRequest(arguments: ["tr", "a-z", "A-Z"], openStdin: true))
            try await process.write(Array("hello sandbox\n".utf8))
            try await process.closeInput()
            let output = try await process.collect()
            #expect(output.stdoutText == "HELLO SANDBOX\n")
        }
    }

    @Test("a PTY terminal: a real tty, input, resize, exit status")
    func terminal() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let terminal = try await sandbox.openTerminal(PTYOpenRequest(size: WindowSize(rows: 30, columns: 100)))
            try await terminal.write(Array("tty; stty size\n".utf8))
            var transcript = ""
            var result: ExecResult?
            var resized = false
            for try await event in terminal.events {
                switch event {
                case .output(_, let bytes):
                    transcript += String(decoding: bytes, as: UTF8.self)
                    // Resize only once the first size was printed, so the two are not reordered.
                    if !resized && transcript.contains("30 100") {
                        resized = true
                        try await terminal.resize(rows: 50, columns: 132)
                        try await terminal.write(Array("stty size; exit 5\n".utf8))
                    }
                case .finished(let finished): result = finished
                case .started: break
                }
            }
            #expect(transcript.contains("/dev/pts/"))
            #expect(transcript.contains("30 100"))
            #expect(transcript.contains("50 132"))
            #expect(result?.exitCode == 5)
        }
    }
}

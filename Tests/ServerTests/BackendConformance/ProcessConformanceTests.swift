import Foundation
import Sandbox
import Testing

/// Argv processes and terminals, the same checks on every backend.
@Suite("Backend conformance: processes", .serialized, .timeLimit(.minutes(3)))
struct ProcessConformanceTests {
    @Test("argv + env + cwd, separate stdout and stderr, exit code", arguments: BackendUnderTest.allCases)
    func spawnBasics(backend: BackendUnderTest) async throws {
        try await backend.withSandbox(SandboxSpec(image: "base", environment: ["FROM_CREATE": "yes"])) { (sandbox: any SandboxInstance) async throws in
            try await sandbox.makeDirectory(path: "\(backend.home)/sub", parents: true)
            let command = SandboxCommand.arguments(
                ["sh", "-c", "pwd; echo \"$COLOR $FROM_CREATE\"; echo oops >&2; exit 7"],
                environment: ["COLOR": "blue"], workingDirectory: "\(backend.home)/sub")
            let output = try await sandbox.run(command).collect()
            #expect(output.stdoutText == "\(backend.home)/sub\nblue yes\n")
            #expect(output.stderrText == "oops\n")
            #expect(output.exitCode == 7)
            #expect(output.result.signal == 0)
        }
    }

    @Test("a signal ends a process and is reported", arguments: BackendUnderTest.allCases)
    func spawnSignal(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let process = try await sandbox.run(.arguments(["sleep", "100"]))
            var result: ProcessResult?
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

    @Test("a missing program is a clear spawn error", arguments: BackendUnderTest.allCases)
    func spawnMissing(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let error = await #expect(throws: SandboxError.self) {
                try await sandbox.run(arguments: ["/no/such/program"])
            }
            #expect(error?.code == .notFound)
            #expect(error?.message.contains("/no/such/program") == true, "\(error?.message ?? "")")
        }
    }

    @Test("stdin reaches a spawned process", arguments: BackendUnderTest.allCases)
    func spawnStdin(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let process = try await sandbox.run(.arguments(["tr", "a-z", "A-Z"], openStdin: true))
            var events = process.events.makeAsyncIterator()
            // Controls reach a process once it has started (E2B addresses it by pid).
            guard case .started = try await events.next() else {
                Issue.record("no start event")
                return
            }
            try await process.write(Array("hello sandbox\n".utf8))
            try await process.closeInput()
            var output: [UInt8] = []
            var exitCode: Int32?
            while let event = try await events.next() {
                if case .output(_, let bytes) = event { output += bytes }
                if case .finished(let result) = event { exitCode = result.exitCode }
            }
            #expect(String(decoding: output, as: UTF8.self) == "HELLO SANDBOX\n")
            #expect(exitCode == 0)
        }
    }

    @Test("a PTY terminal: a real tty, input, resize, exit status", arguments: BackendUnderTest.allCases)
    func terminal(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let terminal = try await sandbox.openTerminal(TerminalRequest(size: TerminalSize(rows: 30, columns: 100)))
            var transcript = ""
            var result: ProcessResult?
            var resized = false
            for try await event in terminal.events {
                switch event {
                case .started:
                    try await terminal.write(Array("tty; stty size\n".utf8))
                case .output(_, let bytes):
                    transcript += String(decoding: bytes, as: UTF8.self)
                    // Resize only once the first size was printed, so the two are not reordered.
                    if !resized && transcript.contains("30 100") {
                        resized = true
                        try await terminal.resize(TerminalSize(rows: 50, columns: 132))
                        try await terminal.write(Array("stty size; exit 5\n".utf8))
                    }
                case .finished(let finished): result = finished
                }
            }
            #expect(transcript.contains("/dev/pts/"))
            #expect(transcript.contains("30 100"))
            #expect(transcript.contains("50 132"))
            #expect(result?.exitCode == 5)
        }
    }
}

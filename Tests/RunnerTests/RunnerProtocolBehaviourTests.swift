import Foundation
import RunnerClient
import RunnerProtocol
import Testing

/// Protocol-level behaviour of the runner, over pipes on the host.
@Suite("Runner over pipes", .timeLimit(.minutes(2)))
struct RunnerProtocolBehaviourTests {
    static func withRunner(_ body: (RunnerConnection, LocalRunner) async throws -> Void) async throws {
        let runner = try LocalRunner()
        let connection = RunnerConnection(channel: runner)
        do {
            let ready = try await connection.handshake(timeout: .seconds(20))
            #expect(ready.protocolVersion == RunnerWire.version)
            try await body(connection, runner)
        } catch {
            try? await runner.stop()
            throw error
        }
        try await runner.stop()
        #expect(runner.process.terminationStatus == 0, "the runner exits cleanly when its channel closes")
    }

    @Test("the handshake reports the shell and pid")
    func handshake() async throws {
        try await Self.withRunner { connection, runner in
            let ready = try #require(connection.ready)
            #expect(ready.shell.hasSuffix("sh"))
            #expect(ready.runnerPID == runner.process.processIdentifier)
        }
    }

    @Test("twenty operations in flight on one channel complete with their own results")
    func manyInFlight() async throws {
        try await Self.withRunner { connection, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let output = try await connection.spawn(SpawnRequest(arguments: ["sh", "-c", "echo \(index)"])).collect()
                        #expect(output.stdoutText == "\(index)\n")
                    }
                    group.addTask {
                        let name = "file-\(index).txt"
                        _ = try await connection.writeFile(WriteFileRequest(path: name), bytes: Array(name.utf8))
                        #expect(try await connection.readFileBytes(ReadFileRequest(path: name)) == Array(name.utf8))
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("cancel interrupts a shell exec and the shell stays usable")
    func cancelExec() async throws {
        try await Self.withRunner { connection, _ in
            let process = try await connection.execute(ShellExecRequest(command: "sleep 30"))
            try await Task.sleep(for: .milliseconds(200))
            try await process.cancel()
            let output = try await process.collect()
            #expect(output.result.cancelled)
            #expect(try await connection.run(ShellExecRequest(command: "echo back")).stdoutText == "back\n")
        }
    }

    @Test("a frame with an unknown tag is answered for its id; the channel carries on")
    func unknownTag() async throws {
        try await Self.withRunner { connection, runner in
            var garbage = Frame(id: 77, .stat(path: "/")).encoded()
            garbage[4] = 0x6E
            try await runner.write(garbage)
            #expect(try await connection.stat(path: "/").kind == .directory)
        }
    }

    @Test("writes after the runner's failure stop early and report the cause")
    func writeFailure() async throws {
        try await Self.withRunner { connection, _ in
            let error = await #expect(throws: RunnerClientError.self) {
                _ = try await connection.writeFile(WriteFileRequest(path: "/proc/version"), bytes: [UInt8](repeating: 1, count: 1 << 20))
            }
            #expect(error?.code == .operationFailed)
            #expect(error?.failure?.code != nil)
        }
    }
}

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

    @Test("a queued exec's timeout counts from its arrival: it times out while waiting and never runs")
    func queuedExecTimesOutWhileWaiting() async throws {
        try await Self.withRunner { connection, runner in
            let busy = try await connection.execute(ShellExecRequest(command: "sleep 30"))
            let queued = try await connection.execute(ShellExecRequest(command: "touch queued-ran", timeoutMilliseconds: 300))
            // The queued exec must answer while `sleep 30` still holds the shell; before, its timeout
            // only started once the shell was free, so it answered after 30 s and then ran. (The 20 s
            // only bound a broken runner; the answer is due after 300 ms.)
            let output = try await Self.first(queued.collect, before: { try await Task.sleep(for: .seconds(20)) })
            #expect(output?.result.timedOut == true, "answered while the shell was busy: \(String(describing: output))")
            #expect(output?.result.exitCode == 124)
            #expect(output?.stdout.isEmpty == true)
            try await busy.cancel()
            #expect(try await busy.collect().result.cancelled)
            #expect(try await connection.run(ShellExecRequest(command: "echo next")).stdoutText == "next\n")
            let ran = FileManager.default.fileExists(atPath: runner.workspace.appendingPathComponent("queued-ran").path)
            #expect(!ran, "an exec that timed out in the queue never runs later")
        }
    }

    @Test("a hello from a new host ends what the previous one left running, so the shell is free at once")
    func helloEndsTheOperationsOfAPreviousHost() async throws {
        try await Self.withRunner { connection, runner in
            let orphanedExec = try await connection.execute(ShellExecRequest(command: "sleep 30"))
            let orphanedSpawn = try await connection.spawn(SpawnRequest(arguments: ["sleep", "30"]))
            let queuedExec = try await connection.execute(ShellExecRequest(command: "touch orphan-ran"))
            // What a server restarted after kill -9 does when it re-attaches: a fresh hello on the channel.
            try await runner.write(Frame(id: RunnerWire.controlStream, .hello(Hello())).encoded())
            let exec = try #require(try await Self.first(orphanedExec.collect, before: { try await Task.sleep(for: .seconds(20)) }))
            #expect(exec.result.cancelled, "the previous host's shell command is interrupted: \(exec.result)")
            let spawn = try #require(try await Self.first(orphanedSpawn.collect, before: { try await Task.sleep(for: .seconds(20)) }))
            #expect(spawn.result.cancelled, "the previous host's process is stopped: \(spawn.result)")
            let queued = await #expect(throws: RunnerClientError.self) { _ = try await queuedExec.collect() }
            #expect(queued?.failure?.code == .cancelled)
            #expect(try await connection.run(ShellExecRequest(command: "echo free", timeoutMilliseconds: 5000)).stdoutText == "free\n")
            #expect(!FileManager.default.fileExists(atPath: runner.workspace.appendingPathComponent("orphan-ran").path))
        }
    }

    /// The result of `operation` if it finishes before `other`; nil if `other` finishes first.
    static func first<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T, before other: @escaping @Sendable () async throws -> some Sendable
    ) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                _ = try await other()
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
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

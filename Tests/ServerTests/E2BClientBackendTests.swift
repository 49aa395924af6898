import Foundation
import Logging
import RunnerClient
import RunnerProtocol
import Sandbox
@testable import Server
import Testing

/// The E2B client backend (`Sources/Sandbox/E2B`) against our own E2B-compatible server on the
/// real engine: the same protocol the official SDK speaks, driven through the sandbox protocol.
@Suite("E2B client backend")
struct E2BClientBackendTests {
    static func backend(port: Int, key: String = "any-key") throws -> E2BSandboxBackend {
        let url = "http://127.0.0.1:\(port)"
        return try E2BSandboxBackend(configuration: try E2BConfiguration.fromEnvironment([
            "E2B_API_KEY": key, "E2B_API_URL": url, "E2B_SANDBOX_URL": url,
        ]), timeoutSeconds: 120)
    }

    @Test(.timeLimit(.minutes(3)))
    func sandboxProtocolOverE2B() async throws {
        try await DockerServerFixture.with { live in
            let backend = try Self.backend(port: live.port)
            let sandbox = try await backend.create(SandboxSpec(image: "base", environment: ["FROM_CREATE": "yes"]))

            let echo = try await sandbox.run("echo hi; echo err >&2; exit 3")
            #expect(echo.stdoutText == "hi\n" && echo.stderrText == "err\n" && echo.exitCode == 3)
            #expect(try await sandbox.run("echo $FROM_CREATE").stdoutText == "yes\n")

            let spawned = try await sandbox.spawn(SpawnRequest(arguments: ["/bin/sh", "-c", "echo $A; pwd"], environment: ["A=1"],
                                                               workingDirectory: "/tmp")).collect()
            #expect(spawned.stdoutText == "1\n/tmp\n")

            let slow = try await sandbox.run("sleep 10", timeout: .milliseconds(500))
            #expect(slow.result.timedOut)

            let cat = try await sandbox.spawn(SpawnRequest(arguments: ["cat"], openStdin: true))
            var events = cat.events.makeAsyncIterator()
            guard case .started = try await events.next() else { Issue.record("no start event"); return }
            try await cat.write(Array("piped\n".utf8))
            try await cat.closeInput()
            var output: [UInt8] = []
            var exit: Int32 = -1
            while let event = try await events.next() {
                if case .output(_, let bytes) = event { output += bytes }
                if case .finished(let result) = event { exit = result.exitCode }
            }
            #expect(String(decoding: output, as: UTF8.self) == "piped\n" && exit == 0)

            let sleeper = try await sandbox.spawn(SpawnRequest(arguments: ["sleep", "30"]))
            var sleeperEvents = sleeper.events.makeAsyncIterator()
            _ = try await sleeperEvents.next()
            try await sleeper.signal(9)
            var killed: ExecResult?
            while let event = try await sleeperEvents.next() { if case .finished(let result) = event { killed = result } }
            #expect(killed?.signal == 9 && killed?.exitCode == 137)

            let terminal = try await sandbox.openTerminal(PTYOpenRequest(size: WindowSize(rows: 24, columns: 80)))
            var terminalEvents = terminal.events.makeAsyncIterator()
            _ = try await terminalEvents.next()
            try await terminal.resize(rows: 30, columns: 100)
            try await terminal.write(Array("stty size; exit\n".utf8))
            var screen: [UInt8] = []
            while let event = try await terminalEvents.next() { if case .output(_, let bytes) = event { screen += bytes } }
            #expect(String(decoding: screen, as: UTF8.self).contains("30 100"))

            let payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let written = try await sandbox.writeFile("/tmp/e2b-client/blob.bin", bytes: payload)
            #expect(written.size == UInt64(payload.count) && written.kind == .file)
            #expect(try await sandbox.readFileBytes("/tmp/e2b-client/blob.bin") == payload)
            try await sandbox.makeDirectory(path: "/tmp/e2b-client/dir", parents: true)
            try await sandbox.makeDirectory(path: "/tmp/e2b-client/dir", parents: true)
            #expect(try await sandbox.list(path: "/tmp/e2b-client").map(\.name).sorted() == ["blob.bin", "dir"])
            try await sandbox.move(from: "/tmp/e2b-client/blob.bin", to: "/tmp/e2b-client/dir/moved.bin", overwrite: false)
            #expect(try await sandbox.stat(path: "/tmp/e2b-client/dir/moved.bin").size == UInt64(payload.count))
            await #expect(throws: SandboxError.self) { try await sandbox.remove(path: "/tmp/e2b-client/dir", recursive: false) }
            try await sandbox.remove(path: "/tmp/e2b-client/dir", recursive: true)
            do {
                _ = try await sandbox.stat(path: "/tmp/e2b-client/dir")
                Issue.record("stat of a removed directory succeeded")
            } catch let error as SandboxError {
                #expect(error.code == .notFound)
            }

            try await sandbox.destroy()
            do {
                _ = try await sandbox.run("true")
                Issue.record("a destroyed sandbox still ran a command")
            } catch let error as SandboxError {
                #expect(error.code == .sandboxGone, "\(error.code): \(error.message)")
            }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func controlPlaneErrorsMapToSandboxErrors() async throws {
        let configuration = ServerFixture.configuration(open: false)
        let dependencies = try await ServerDependencies.production(configuration, logger: Logger(label: "test"))
        try await ServerFixture.with(configuration, dependencies) { live in
            do {
                _ = try await Self.backend(port: live.port, key: "wrong-key").create(SandboxSpec(image: "base"))
                Issue.record("a wrong key created a sandbox")
            } catch let error as SandboxError {
                #expect(error.code == .unauthorized && error.message.contains("Invalid API key"), "\(error)")
            }
            do {
                _ = try await Self.backend(port: live.port, key: ServerFixture.key).create(SandboxSpec(image: "no-such-template-zz"))
                Issue.record("an unknown template created a sandbox")
            } catch let error as SandboxError {
                #expect(error.code == .invalidArgument && error.message.contains("no-such-template-zz"), "\(error)")
            }
        }
        let leaked = try await DockerServerFixture.sweep(serverID: dependencies.serverID)
        #expect(leaked.isEmpty)
    }

    @Test func environmentFollowsTheSDK() throws {
        #expect(throws: SandboxError.self) { try E2BConfiguration.fromEnvironment([:]) }
        let defaults = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k"])
        #expect(defaults.apiURL == "https://api.e2b.app")
        #expect(defaults.envdURL(sandboxID: "abc", domain: nil) == "https://sandbox.e2b.app")
        let custom = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k", "E2B_DOMAIN": "sbx.example.test"])
        #expect(custom.apiURL == "https://api.sbx.example.test")
        #expect(custom.envdURL(sandboxID: "abc", domain: nil) == "https://49983-abc.sbx.example.test")
        let local = try E2BConfiguration.fromEnvironment(["E2B_API_KEY": "k", "E2B_API_URL": "http://h:1", "E2B_SANDBOX_URL": "http://h:2"])
        #expect(local.apiURL == "http://h:1" && local.envdURL(sandboxID: "abc", domain: "x") == "http://h:2")
    }
}

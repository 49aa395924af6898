import Foundation
import Sandbox
import Testing

/// Creating and destroying sandboxes, the same checks on every backend.
@Suite("Backend conformance: lifecycle", .serialized, .timeLimit(.minutes(3)))
struct LifecycleConformanceTests {
    @Test("the environment given at create reaches command lines, processes and terminals", arguments: BackendUnderTest.allCases)
    func createEnvironment(backend: BackendUnderTest) async throws {
        try await backend.withSandbox(SandboxSpec(image: "base", environment: ["FROM_CREATE": "it's \"quoted\" $HOME"])) {
            (sandbox: any SandboxInstance) async throws in
            #expect(try await sandbox.run("printf '%s' \"$FROM_CREATE\"").text == "it's \"quoted\" $HOME")
            let spawned = try await sandbox.run(arguments: ["printenv", "FROM_CREATE"])
            #expect(spawned.stdoutText == "it's \"quoted\" $HOME\n")
            let terminal = try await sandbox.openTerminal(TerminalRequest(arguments: ["printenv", "FROM_CREATE"]))
            var screen: [UInt8] = []
            for try await event in terminal.events { if case .output(_, let bytes) = event { screen += bytes } }
            #expect(String(decoding: screen, as: UTF8.self).contains("it's \"quoted\" $HOME"))
        }
    }

    @Test("destroy is idempotent, and a destroyed sandbox's operations say it is gone", arguments: BackendUnderTest.allCases)
    func destroyedSandbox(backend: BackendUnderTest) async throws {
        try await backend.withBackend { sandboxes in
            let sandbox = try await sandboxes.create(SandboxSpec(image: "base"))
            _ = try await sandbox.writeFile("data.txt", bytes: Array("x".utf8))
            try await sandbox.destroy()
            try await sandbox.destroy()
            let operations: [(String, @Sendable () async throws -> Void)] = [
                ("run", { _ = try await sandbox.run("true") }),
                ("spawn", { _ = try await sandbox.run(arguments: ["true"]) }),
                ("stat", { _ = try await sandbox.stat(path: "data.txt") }),
                ("read", { _ = try await sandbox.readFileBytes("data.txt") }),
                ("write", { _ = try await sandbox.writeFile("other.txt", bytes: [1]) }),
            ]
            for (name, operation) in operations {
                do {
                    try await operation()
                    Issue.record("\(name) on a destroyed sandbox succeeded")
                } catch let error as SandboxError {
                    #expect(error.code == .sandboxGone, "\(name): \(error.code): \(error.message)")
                }
            }
        }
    }

    @Test("an unknown image is refused with its name, and leaves nothing behind", arguments: BackendUnderTest.allCases)
    func unknownImage(backend: BackendUnderTest) async throws {
        try await backend.withBackend { sandboxes in
            let error = await #expect(throws: SandboxError.self) {
                _ = try await sandboxes.create(SandboxSpec(image: "no-such-image-zz"))
            }
            #expect(error?.code == .imageNotFound, "\(error?.code.description ?? ""): \(error?.message ?? "")")
            #expect(error?.message.contains("no-such-image-zz") == true, "\(error?.message ?? "")")
        }
    }
}

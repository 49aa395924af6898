import DockerEngine
import Foundation
import Sandbox
import Synchronization
import TestSupport
import Testing

/// `sandcastle images build --keep-base`: one image built (or found up to date) on the base
/// already in the engine, which stays exactly as it was.
@Suite("sandcastle images build --keep-base", .serialized, .timeLimit(.minutes(5)))
struct ImagesCommandTests {
    static func run(_ arguments: [String]) async throws -> (stdout: String, stderr: String, status: Int32) {
        try await offThePool { () throws -> (String, String, Int32) in
            let (process, stdout, stderr) = try CLITests.launch(arguments)
            // Read stderr on a thread of its own so neither pipe fills up and blocks the child
            // (a rebuild streams the whole docker build log there).
            let errors = Mutex(Data())
            let drained = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                let data = stderr.fileHandleForReading.readDataToEndOfFile()
                errors.withLock { $0 = data }
                drained.signal()
            }
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            drained.wait()
            let errorOutput = errors.withLock { $0 }
            return (String(decoding: output, as: UTF8.self), String(decoding: errorOutput, as: UTF8.self), process.terminationStatus)
        }
    }

    @Test("builds only the named image; sandcastle/base keeps its id")
    func keepsBase() async throws {
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        let baseBefore = try await docker.inspectImage(ImageCatalog.reference(for: "base")).id
        let result = try await Self.run(["images", "build", "--keep-base", "agent"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("sandcastle/agent:latest"), "\(result.stdout)")
        #expect(!result.stdout.contains("sandcastle/base"), "\(result.stdout)")
        #expect(try await docker.inspectImage(ImageCatalog.reference(for: "base")).id == baseBefore)
    }

    @Test("refuses to keep base while asked to build it")
    func contradiction() async throws {
        let result = try await Self.run(["images", "build", "--keep-base", "base"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--keep-base keeps the existing base image"), "\(result.stderr)")
    }
}

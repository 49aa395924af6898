import Foundation
import RunnerClient
import RunnerProtocol
import Synchronization
import TestSupport

/// The runner binary started on the host with pipes for stdin/stdout, for protocol tests
/// that need no engine (the sandbox suites cover the same runner inside Docker).
final class LocalRunner: RunnerChannel, @unchecked Sendable {
    let process = Process()
    private let toRunner = Pipe()
    private let fromRunner = Pipe()
    private let writeQueue = DispatchQueue(label: "local-runner.write")
    let inboundStream: AsyncThrowingStream<[UInt8], any Error>
    let workspace: URL

    static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SANDCASTLE_RUNNER"] { return path }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            for configuration in ["release", "debug"] {
                let candidate = directory.appendingPathComponent(".build/\(configuration)/sandcastle-runner").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            directory.deleteLastPathComponent()
        }
        throw RunnerClientError(.channelClosed, "no sandcastle-runner binary; build it or set SANDCASTLE_RUNNER")
    }

    /// - Parameter prepare: runs on the new workspace before the runner starts (files a test
    ///   needs in place), and returns variables for the runner's environment.
    init(prepare: (URL) throws -> [String: String] = { _ in [:] }) throws {
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("runner-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: try Self.binaryPath())
        process.currentDirectoryURL = workspace
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = workspace.path
        environment.merge(try prepare(workspace)) { _, new in new }
        process.environment = environment
        process.standardInput = toRunner
        process.standardOutput = fromRunner
        let reader = fromRunner.fileHandleForReading
        inboundStream = AsyncThrowingStream { continuation in
            reader.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    continuation.finish()
                } else {
                    continuation.yield([UInt8](data))
                }
            }
        }
        try process.run()
    }

    var inbound: any AsyncSequence<[UInt8], any Error> & Sendable { inboundStream }

    func write(_ bytes: [UInt8]) async throws {
        let handle = toRunner.fileHandleForWriting
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writeQueue.async {
                do {
                    try handle.write(contentsOf: Data(bytes))
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    func close() {
        try? toRunner.fileHandleForWriting.close()
    }

    /// Closes the channel (the runner exits on EOF) and waits for the process, off the pool.
    func stop() async throws {
        close()
        try await SendableProcess(process).waitUntilExit()
        try? FileManager.default.removeItem(at: workspace)
    }
}

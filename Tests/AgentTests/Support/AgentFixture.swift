import Agent
import Foundation
import JSONValues
import ModelProviders
import Sandbox
import SandboxDocker
import Synchronization
import Testing

/// Real-engine fixtures. No skip path: without an engine (or the images) these tests fail with
/// the engine's error.
enum AgentFixture {
    static func backend() async throws -> DockerSandboxBackend {
        try await DockerSandboxBackend.fromEnvironment()
    }

    /// Runs `body` with a fresh sandbox of `image` and destroys it afterwards, also when `body` throws.
    static func withSandbox<T>(
        image: String = "base", profile: String = "default", environment: [String: String] = [:],
        _ body: (DockerSandbox) async throws -> T
    ) async throws -> T {
        try await backend().createSandbox(SandboxSpec(image: image, profile: profile, environment: environment)).use(body)
    }

    /// Runs one tool call directly, as the loop would.
    static func run(
        _ tool: any AgentTool, _ input: JSONValue, in sandbox: any SandboxInstance, environment: [String: String] = [:],
        bashDirectory: BashDirectory? = nil
    ) async throws -> ToolOutput {
        let context = ToolContext(sandbox: sandbox, environment: environment, bashDirectory: bashDirectory)
        do {
            return try await tool.run(ToolInput(input), context: context)
        } catch let failure as ToolFailure {
            return .error(failure.message)
        }
    }

    /// The PATH with `/workspace/.bin` first, where ``installRipgrep(in:)`` puts `rg`.
    static let ripgrepPath = ["PATH": "/workspace/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    /// Puts the host's ripgrep into the sandbox (the images lack it; the `agent` image will have
    /// it), so the ripgrep path of Glob and Grep runs for real. The host needs Debian's `ripgrep`
    /// package (`scripts/setup` installs it); without it this fails, it does not skip.
    static func installRipgrep(in sandbox: any SandboxInstance) async throws {
        let host = "/usr/bin/rg"
        guard let bytes = FileManager.default.contents(atPath: host) else {
            Issue.record("no ripgrep at \(host) on the host: apt-get install ripgrep (scripts/setup does)")
            throw SandboxError(.notFound, "no \(host) on the host")
        }
        _ = try await sandbox.writeFile(FileWrite(path: "/workspace/.bin/rg", mode: 0o755), contents: ChunkedBytes(Array(bytes)))
        let check = try await sandbox.run(arguments: ["/workspace/.bin/rg", "--version"]).stdoutText
        #expect(check.hasPrefix("ripgrep"), "rg does not run in the sandbox: \(check)")
    }

    static func shell(_ sandbox: any SandboxInstance, _ line: String) async throws -> String {
        try await sandbox.run(arguments: ["bash", "-c", line]).stdoutText
    }
}

/// A sandbox for loop tests whose tools never touch one: any use is a test failure.
struct NoSandbox: SandboxInstance {
    let id = "no-sandbox"
    private func refuse() -> SandboxError { SandboxError(.unsupported, "this test's tools must not use the sandbox") }
    func run(_ command: SandboxCommand) async throws -> SandboxProcess { throw refuse() }
    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw refuse() }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] { throw refuse() }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw refuse() }
    func stat(path: String) async throws -> FileInfo { throw refuse() }
    func list(path: String) async throws -> [FileInfo] { throw refuse() }
    func makeDirectory(path: String, parents: Bool) async throws { throw refuse() }
    func remove(path: String, recursive: Bool) async throws { throw refuse() }
    func move(from: String, to: String, overwrite: Bool) async throws { throw refuse() }
    func destroy() async throws {}
}

/// A real sandbox that counts every byte that crosses from it to the host (file downloads and
/// process output), to prove that capped tools stop pulling at their cap.
final class MeteredSandbox: SandboxInstance {
    let base: any SandboxInstance
    private let received = Atomic<Int>(0)

    init(_ base: any SandboxInstance) { self.base = base }

    var id: String { base.id }
    var bytesReceived: Int { received.load(ordering: .relaxed) }

    func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        let process = try await base.run(command)
        let counted = ProcessEvents(
            process.events,
            transform: { [self] event in
                if case .output(_, let bytes) = event { received.add(bytes.count, ordering: .relaxed) }
                return event
            })
        return SandboxProcess(events: counted, control: Control(process: process))
    }

    private struct Control: ProcessControl {
        let process: SandboxProcess
        func write(_ bytes: [UInt8]) async throws { try await process.write(bytes) }
        func closeInput() async throws { try await process.closeInput() }
        func resize(_ size: TerminalSize) async throws { try await process.resize(size) }
        func signal(_ signal: Int32) async throws { try await process.signal(signal) }
        func cancel() async throws { try await process.cancel() }
    }

    /// Passes chunks on as they are asked for (no read-ahead of its own, so the backend's own
    /// flow control is what is measured), counting them.
    func readFile(_ request: FileRead) async throws -> FileDownload {
        let download = try await base.readFile(request)
        let source = ChunkSource(download.chunks.makeAsyncIterator())
        let chunks = AsyncThrowingStream<[UInt8], any Error> { [self] in
            let chunk = try await source.next()
            if let chunk { received.add(chunk.count, ordering: .relaxed) }
            return chunk
        }
        return FileDownload(info: download.info, chunks: chunks)
    }

    /// One consumer pulls through it at a time (the stream's unfolding closure is never re-entered).
    private final class ChunkSource: @unchecked Sendable {
        var iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        init(_ iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator) { self.iterator = iterator }
        func next() async throws -> [UInt8]? { try await iterator.next() }
    }

    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { try await base.openTerminal(request) }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] { try await base.writeFile(request, contents: contents) }
    func stat(path: String) async throws -> FileInfo { try await base.stat(path: path) }
    func list(path: String) async throws -> [FileInfo] { try await base.list(path: path) }
    func makeDirectory(path: String, parents: Bool) async throws { try await base.makeDirectory(path: path, parents: parents) }
    func remove(path: String, recursive: Bool) async throws { try await base.remove(path: path, recursive: recursive) }
    func move(from: String, to: String, overwrite: Bool) async throws { try await base.move(from: from, to: to, overwrite: overwrite) }
    func destroy() async throws { try await base.destroy() }
}

/// The process's resident memory, from /proc (Linux).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kilobytes * 1024
}

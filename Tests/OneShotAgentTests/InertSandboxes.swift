import Foundation
import OneShotAgent
import Sandbox
import Synchronization

/// Sandboxes that run nothing: for sessions whose tools never run (unknown tools, no tools), so
/// the session's own logic (messages, budget, cleanup) is tested without Docker. Records what
/// was created, written and destroyed.
final class InertSandboxes: OneShotSandboxes {
    struct State {
        var specs: [SandboxSpec] = []
        var writes: [String: String] = [:]
        var destroyed: [String] = []
    }

    let state = Mutex(State())
    /// Upload failures to simulate.
    let failWrites: Bool
    let failCreate: Bool

    init(failWrites: Bool = false, failCreate: Bool = false) {
        self.failWrites = failWrites
        self.failCreate = failCreate
    }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        if failCreate { throw SandboxError(.runnerFailed, "the image has no runner") }
        let count = state.withLock { state in
            state.specs.append(spec)
            return state.specs.count
        }
        let id = "inert-\(count)"
        return InertSandbox(id: id, owner: self)
    }

    func destroy(_ sandbox: any SandboxInstance) async {
        state.withLock { $0.destroyed.append(sandbox.id) }
    }
}

struct InertSandbox: SandboxInstance {
    let id: String
    let owner: InertSandboxes

    struct Unsupported: Error {}

    func run(_ command: SandboxCommand) async throws -> SandboxProcess { throw Unsupported() }
    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw Unsupported() }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] {
        if owner.failWrites { throw SandboxError(.permissionDenied, "read-only file system") }
        var bytes: [UInt8] = []
        for try await chunk in contents { bytes += chunk }
        let text = String(decoding: bytes, as: UTF8.self)
        owner.state.withLock { $0.writes[request.path] = text }
        return FileInfo(name: request.path, path: request.path, kind: .file, size: UInt64(bytes.count), mode: 0o644, modifiedNanoseconds: 0)
    }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw Unsupported() }
    func stat(path: String) async throws -> FileInfo { throw Unsupported() }
    func list(path: String) async throws -> [FileInfo] { throw Unsupported() }
    func makeDirectory(path: String, parents: Bool) async throws { throw Unsupported() }
    func remove(path: String, recursive: Bool) async throws { throw Unsupported() }
    func move(from: String, to: String, overwrite: Bool) async throws { throw Unsupported() }
    func destroy() async throws {}
}

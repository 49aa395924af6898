import Dispatch
import Foundation

/// A file written off the cooperative thread pool: a write to a busy disk can block for
/// seconds, and the pool has one thread per core, which every other task needs meanwhile.
/// Writes run one at a time on a serial queue; callers await each.
public final class BackgroundFileWriter: @unchecked Sendable {
    public let path: String
    /// Touched only on `queue` (writes) or after the last write returned (close).
    private let handle: FileHandle
    private let queue = DispatchQueue(label: "sandcastle.background-file-writer")

    /// Creates (or truncates) the file at `path` with the given permissions.
    public init(creating path: String, permissions: Int = 0o644) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: permissions]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw SandboxError(.internal, "cannot create \(path)")
        }
        self.path = path
        self.handle = handle
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async { continuation.resume(with: Result { try self.handle.write(contentsOf: bytes) }) }
        }
    }

    public func close() throws { try handle.close() }

    /// Closes and removes the file (after a failure, or when it is not wanted).
    public func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

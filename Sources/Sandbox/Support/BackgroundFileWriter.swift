import Dispatch
import Foundation
import Synchronization

/// A file written off the cooperative thread pool: a write to a busy disk can block for
/// seconds, and the pool has one thread per core, which every other task needs meanwhile.
/// Appended bytes are gathered into batches of ``batchSize`` and written one batch at a time
/// on a serial queue; callers await each batch's write.
public final class BackgroundFileWriter: Sendable {
    /// Bytes gathered before each write.
    public static let batchSize = 1 << 20

    public let path: String
    private let handle: Mutex<FileHandle>
    /// Appended bytes not written yet.
    private let pending = Mutex<[UInt8]>([])
    private let queue = DispatchQueue(label: "sandcastle.background-file-writer")

    /// Creates (or truncates) the file at `path` with the given permissions.
    public init(creating path: String, permissions: Int = 0o644) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: permissions]),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw SandboxError(.internal, "cannot create \(path)")
        }
        self.path = path
        self.handle = Mutex(handle)
    }

    /// Adds `bytes` to the file, writing once a batch is full.
    public func append(_ bytes: [UInt8]) async throws {
        let batch = pending.withLock { pending -> [UInt8]? in
            pending += bytes
            guard pending.count >= Self.batchSize else { return nil }
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        if let batch { try await write(batch) }
    }

    /// Writes what is left and closes the file.
    public func finish() async throws {
        let rest = pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
        if !rest.isEmpty { try await write(rest) }
        try handle.withLock { try $0.close() }
    }

    /// Closes and removes the file (after a failure, or when it is not wanted).
    public func discard() {
        handle.withLock { try? $0.close() }
        try? FileManager.default.removeItem(atPath: path)
    }

    private func write(_ bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async { continuation.resume(with: Result { try self.handle.withLock { try $0.write(contentsOf: bytes) } }) }
        }
    }
}

import Foundation

/// Runs blocking work (reading a child's output to the end, `waitUntilExit`, a CPU-heavy digest)
/// on a thread of its own. On a 2-core machine the cooperative pool has two threads shared by
/// every test of the run: one test blocking them stalls all the others, and tests that wait
/// for something with a deadline then fail for no fault of their own.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A `Process` handed to ``offThePool(_:)``; Foundation's `Process` is thread-safe for
/// `isRunning`, `waitUntilExit` and `terminationStatus`, but not marked `Sendable`.
public struct SendableProcess: @unchecked Sendable {
    public let process: Process
    public init(_ process: Process) { self.process = process }

    /// Waits for the process to exit without holding a pool thread.
    public func waitUntilExit() async throws {
        try await offThePool { process.waitUntilExit() }
    }
}

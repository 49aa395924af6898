import Foundation

/// Runs blocking work (reading a child's output to the end, `waitUntilExit`) on a thread of its
/// own. On a 2-core machine the cooperative pool has two threads, and Foundation's `Process`
/// needs the global queues to notice that a child exited: blocking pool threads on it can stall
/// the whole test run.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A `Process` handed to ``offThePool(_:)``; Foundation's `Process` is thread-safe for
/// `isRunning`, `waitUntilExit` and `terminationStatus`, but not marked `Sendable`.
struct SendableProcess: @unchecked Sendable {
    let process: Process
}

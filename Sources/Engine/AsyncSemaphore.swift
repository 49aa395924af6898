import Synchronization

/// A counting semaphore for tasks: how the engine enforces its global and per-run
/// concurrency limits without blocking threads.
///
/// Waiting is cancellable: a cancelled waiter leaves the queue and gets a `CancellationError`,
/// so cancelling a run does not wait for slots held by other runs.
public final class AsyncSemaphore: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// - Parameter limit: how many holders at once; values below 1 are treated as 1.
    public init(limit: Int) {
        state = Mutex(State(available: max(1, limit)))
    }

    /// Waits for a slot. Every successful `acquire` must be matched by one `release`.
    public func acquire() async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock so the cancellation handler and this body never both resume.
                enum Decision { case acquired, queued, cancelled }
                let decision: Decision = state.withLock { s in
                    if Task.isCancelled { return .cancelled }
                    if s.available > 0 {
                        s.available -= 1
                        return .acquired
                    }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch decision {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Takes a slot only if one is free right now; `true` must be matched by one `release`.
    /// How routing asks "does this backend have capacity" without queueing behind it.
    public func tryAcquire() -> Bool {
        state.withLock { s in
            guard s.available > 0 else { return false }
            s.available -= 1
            return true
        }
    }

    /// Gives a slot back, handing it straight to the oldest waiter if there is one.
    public func release() {
        let waiter = state.withLock { s -> Waiter? in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.continuation.resume()
    }

    /// Runs `body` holding a slot.
    public func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }
}

import Synchronization

/// Bounds how many file transfers (uploads and downloads of file content, on every API) the
/// server moves at once.
///
/// Each transfer streams in bounded chunks, so its memory is small but not nothing; the bound
/// keeps the sum bounded too. A transfer over the bound waits its turn, first come first served,
/// for at most ``maxWait``: a burst (an SDK writing twenty files at once) just queues briefly,
/// while a server that stays saturated answers `503 server_busy` with `Retry-After` instead of
/// holding ever more connections open. Waiting is cheap: an upload that waits has not been read
/// yet (its bytes stay in the client's socket).
package final class TransferGate: Sendable {
    /// The transfers allowed at once.
    package let limit: Int
    /// How long a transfer waits for a turn before it is refused.
    package let maxWait: Duration

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var active = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    package init(limit: Int, maxWait: Duration) {
        self.limit = max(1, limit)
        self.maxWait = maxWait
    }

    /// Transfers under way and transfers waiting for a turn, for `/metrics`.
    package var figures: (active: Int, waiting: Int) { state.withLock { ($0.active, $0.waiters.count) } }

    /// Waits for a turn. The turn is given back when the slot is released or dropped.
    ///
    /// - Throws: ``ServerError`` `server_busy` when no turn came within ``maxWait``;
    ///   `CancellationError` when the request went away while it waited.
    package func enter() async throws -> TransferSlot {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        let timer = Task { [maxWait] in
            try await Task.sleep(for: maxWait)
            self.giveUp(id, with: ServerError.busy(limit: self.limit, waited: maxWait))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock, so the timer, the cancellation handler and this body
                // never resume the continuation twice.
                enum Decision { case entered, queued, cancelled }
                let decision: Decision = state.withLock { s in
                    if Task.isCancelled { return .cancelled }
                    if s.active < limit && s.waiters.isEmpty {
                        s.active += 1
                        return .entered
                    }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch decision {
                case .entered: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            giveUp(id, with: CancellationError())
        }
        return TransferSlot(gate: self)
    }

    /// Takes a waiter out of the queue (if it is still there) and fails it.
    private func giveUp(_ id: UInt64, with error: any Error) {
        let waiter = state.withLock { s -> Waiter? in
            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Hands the turn to the oldest waiter, or frees it.
    fileprivate func leave() {
        let next = state.withLock { s -> Waiter? in
            if s.waiters.isEmpty {
                s.active -= 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}

/// One transfer's turn. Released once, explicitly or when the last reference goes (a response
/// body that was never written, a handler that threw): no path can keep a turn forever.
package final class TransferSlot: Sendable {
    private let gate: TransferGate
    private let released = Atomic(false)

    fileprivate init(gate: TransferGate) { self.gate = gate }

    package func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        gate.leave()
    }

    deinit { release() }
}

extension TransferGate {
    /// Runs `body` in a turn of its own, released when `body` returns or throws.
    package func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let slot = try await enter()
        defer { slot.release() }
        return try await body()
    }
}

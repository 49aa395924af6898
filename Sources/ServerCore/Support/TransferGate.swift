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

    /// A request waiting for a turn. It is queued before its continuation exists, so a turn or
    /// a time-out that comes in between is kept in `State.decided` for it.
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var active = 0
        var waiters: [Waiter] = []
        /// Outcomes reached before the waiter's continuation was there to take them.
        var decided: [UInt64: Result<Void, any Error>] = [:]
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
        // A free turn is taken at once; otherwise the request joins the queue here, in order
        // (or, when it may not wait at all, is refused here: no timer to schedule).
        enum Entry {
            case turn
            case queued(UInt64)
            case refused
        }
        let waits = maxWait > .zero
        let entry = state.withLock { s -> Entry in
            if s.active < limit && s.waiters.isEmpty {
                s.active += 1
                return .turn
            }
            guard waits else { return .refused }
            s.nextID += 1
            s.waiters.append(Waiter(id: s.nextID))
            return .queued(s.nextID)
        }
        let id: UInt64
        switch entry {
        case .turn: return TransferSlot(gate: self)
        case .refused: throw ServerError.busy(limit: limit, waited: maxWait)
        case .queued(let queued): id = queued
        }
        let timer = Task { [maxWait] in
            try await Task.sleep(for: maxWait)
            self.settle(id, .failure(ServerError.busy(limit: self.limit, waited: maxWait)))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock, so the timer, the cancellation handler, a freed turn and
                // this body never resume the continuation twice.
                let outcome = state.withLock { s -> Result<Void, any Error>? in
                    if let decided = s.decided.removeValue(forKey: id) { return decided }
                    guard let index = s.waiters.firstIndex(where: { $0.id == id }) else {
                        return .failure(ServerError(.internal, "a transfer left the queue without an outcome"))
                    }
                    if Task.isCancelled {
                        s.waiters.remove(at: index)
                        return .failure(CancellationError())
                    }
                    s.waiters[index].continuation = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            settle(id, .failure(CancellationError()))
        }
        return TransferSlot(gate: self)
    }

    /// Ends a waiter's wait with `outcome`: resumes it, or keeps the outcome for it when its
    /// continuation is not there yet. A waiter already out of the queue is left alone.
    private func settle(_ id: UInt64, _ outcome: Result<Void, any Error>) {
        let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = s.waiters.remove(at: index)
            guard let continuation = waiter.continuation else {
                s.decided[id] = outcome
                return nil
            }
            return continuation
        }
        continuation?.resume(with: outcome)
    }

    /// Hands the turn to the oldest waiter, or frees it.
    fileprivate func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard !s.waiters.isEmpty else {
                s.active -= 1
                return nil
            }
            let waiter = s.waiters.removeFirst()
            guard let continuation = waiter.continuation else {
                s.decided[waiter.id] = .success(())
                return nil
            }
            return continuation
        }
        next?.resume()
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

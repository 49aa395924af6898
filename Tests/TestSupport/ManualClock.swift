import Foundation
import Synchronization

/// A clock moved by hand, for code that takes its time and its sleep as parameters (the
/// scheduler): `now` stays where the test put it, and a sleeper wakes only when ``advance(to:)``
/// reaches its deadline (or its task is cancelled). ``deadlines`` shows who sleeps until when,
/// so a test can wait for the code under test to have gone to sleep, and check until when.
public final class ManualClock: Sendable {
    private struct Sleeper {
        var deadline: Date
        /// Nil for a sleeper cancelled before it registered.
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var now: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(_ start: Date) {
        state = Mutex(State(now: start))
    }

    public var now: Date { state.withLock { $0.now } }

    /// The deadlines of everyone asleep now, earliest first.
    public var deadlines: [Date] {
        state.withLock { $0.sleepers.values.filter { $0.continuation != nil }.map(\.deadline).sorted() }
    }

    /// Moves time to `date` (never backwards) and wakes every sleeper whose deadline has come.
    public func advance(to date: Date) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = max(s.now, date)
            let due = s.sleepers.filter { $0.value.continuation != nil && $0.value.deadline <= s.now }
            for id in due.keys { s.sleepers[id] = nil }
            return due.values.compactMap(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    public func advance(by seconds: TimeInterval) {
        advance(to: now.addingTimeInterval(seconds))
    }

    /// Returns once `now` reaches `deadline`; throws `CancellationError` when the task is cancelled first.
    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { s -> Result<Void, any Error>? in
                    if s.sleepers[id] != nil {
                        // Cancelled before it got here.
                        s.sleepers[id] = nil
                        return .failure(CancellationError())
                    }
                    if deadline <= s.now { return .success(()) }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                if let sleeper = s.sleepers[id] {
                    s.sleepers[id] = nil
                    return sleeper.continuation
                }
                // Not registered yet (or already woken): leave a mark the registration sees.
                s.sleepers[id] = Sleeper(deadline: deadline, continuation: nil)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

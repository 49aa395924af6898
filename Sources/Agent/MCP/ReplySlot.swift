import JSONValues
import Synchronization

/// Where one request's answer lands: filled once (by the answer, a failure, a timeout or a
/// cancellation), awaited once.
final class ReplySlot: Sendable {
    private enum State {
        case waiting(CheckedContinuation<JSONValue, any Error>?)
        case done(Result<JSONValue, any Error>)
    }

    private let state = Mutex<State>(.waiting(nil))

    /// Fills the slot unless it is filled already; returns whether this call filled it.
    @discardableResult
    func fill(_ result: Result<JSONValue, any Error>) -> Bool {
        let waiter: CheckedContinuation<JSONValue, any Error>?? = state.withLock { state in
            guard case .waiting(let continuation) = state else { return .none }
            state = .done(result)
            return .some(continuation)
        }
        guard case .some(let continuation) = waiter else { return false }
        continuation?.resume(with: result)
        return true
    }

    var isFilled: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }

    /// The answer; cancelling the waiting task fills the slot with `CancellationError`.
    func value() async throws -> JSONValue {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<JSONValue, any Error>? = state.withLock { state in
                    switch state {
                    case .done(let result): return result
                    case .waiting:
                        state = .waiting(continuation)
                        return nil
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            fill(.failure(CancellationError()))
        }
    }
}

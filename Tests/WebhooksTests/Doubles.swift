import Synchronization
import Webhooks

/// A resolver that gives its answers in turn (the last one again when they run out) and
/// counts how often it was asked: a name whose answer changes between lookups.
final class ScriptedResolver: HostResolver {
    private let state: Mutex<(answers: [[IPAddress]], calls: Int)>

    init(answers: [[IPAddress]]) {
        state = Mutex((answers, 0))
    }

    var calls: Int { state.withLock { $0.calls } }

    func addresses(of host: String) async throws -> [IPAddress] {
        state.withLock { state in
            state.calls += 1
            let index = min(state.calls - 1, state.answers.count - 1)
            return index >= 0 ? state.answers[index] : []
        }
    }
}

/// Stands in for the wait between attempts: records each delay and returns at once, so a test
/// of retries takes no wall time; cancellation still ends it, as Task.sleep would.
final class SleepRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])

    var recorded: [Duration] { delays.withLock { $0 } }

    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] delay in
            delays.withLock { $0.append(delay) }
            try Task.checkCancellation()
        }
    }
}

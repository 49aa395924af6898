import Foundation
import Synchronization

/// Forms that act once. The answer to "create a key" (or "rotate") is the only page that shows
/// the new key, so it is the POST's own answer; a browser's reload or back button may post the
/// form again, which would silently make a second key. Each such form carries a random `once`
/// value; the first POST with it acts, any later one is refused and told which key the first
/// made (by id and prefix, never the key). Kept in memory, the oldest forgotten first.
final class OneTimeForms: Sendable {
    /// How many used values are remembered (a sign-in loop cannot grow memory without bound).
    let capacity: Int
    private let state = Mutex<(order: [String], made: [String: String])>(([], [:]))

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// A new value for a form.
    func issue() -> String { DashboardSessions.randomToken() }

    /// Marks `value` used: true the first time (the form may act), false for a repeat.
    func claim(_ value: String) -> Bool {
        state.withLock { state in
            guard state.made[value] == nil else { return false }
            state.made[value] = ""
            state.order.append(value)
            if state.order.count > capacity {
                let dropped = state.order.removeFirst()
                state.made.removeValue(forKey: dropped)
            }
            return true
        }
    }

    /// Frees `value` again: the action failed (a field was wrong), so the same form may be fixed
    /// and posted again.
    func release(_ value: String) {
        state.withLock { state in
            guard state.made.removeValue(forKey: value) != nil else { return }
            state.order.removeAll { $0 == value }
        }
    }

    /// Notes what the form's first use made (`key_… (sc_ab12…)`), for the refusal of a repeat.
    func record(_ value: String, made: String) {
        state.withLock { state in
            if state.made[value] != nil { state.made[value] = made }
        }
    }

    /// What the first use of `value` made, if it was noted.
    func made(by value: String) -> String? {
        state.withLock { state in state.made[value].flatMap { $0.isEmpty ? nil : $0 } }
    }
}

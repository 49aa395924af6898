import Synchronization

/// A run's spending on model calls against its `max_cost_usd`, shared by its steps.
///
/// A call whose cost is unknown does not count (it cannot: there is no price), which the
/// run's totals show as "cost unknown". Crossing 80 % is reported once, reaching 100 % once;
/// after that, model calls of the run are refused, and the scheduler ends the run
/// `budget_exceeded`.
final class RunBudget: Sendable {
    /// What one charge did to the budget.
    enum Crossing: Sendable, Equatable {
        case warning(spent: Double)
        case exceeded(spent: Double)
    }

    let maxUSD: Double
    private struct State {
        var spent: Double
        var warned = false
        var exceeded = false
    }
    private let state: Mutex<State>

    /// The share of the budget at which a warning is recorded.
    static let warningFraction = 0.8

    /// - Parameter spent: what the run spent before (a resumed run).
    init(maxUSD: Double, spent: Double = 0) {
        self.maxUSD = maxUSD
        state = Mutex(State(spent: spent, warned: spent >= maxUSD * Self.warningFraction, exceeded: spent >= maxUSD))
    }

    var spent: Double { state.withLock { $0.spent } }
    var isExceeded: Bool { state.withLock { $0.exceeded } }

    /// Adds a call's cost; returns the threshold it crossed, if any (each is crossed once).
    func charge(_ cost: Double?) -> Crossing? {
        guard let cost, cost.isFinite, cost > 0 else { return nil }
        return state.withLock { state in
            state.spent += cost
            if !state.exceeded, state.spent >= maxUSD {
                state.exceeded = true
                state.warned = true
                return .exceeded(spent: state.spent)
            }
            if !state.warned, state.spent >= maxUSD * Self.warningFraction {
                state.warned = true
                return .warning(spent: state.spent)
            }
            return nil
        }
    }
}

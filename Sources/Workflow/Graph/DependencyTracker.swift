/// The scheduler's view of which steps may start: a step is ready as soon as all its
/// dependencies have finished — there is no barrier between layers.
///
/// A value type the engine owns and mutates from one place (its actor). It knows nothing of
/// sandboxes or persistence; the engine rebuilds it on resume by replaying recorded outcomes.
public struct DependencyTracker: Sendable {
    /// Where a step is in its life.
    public enum State: Sendable, Hashable {
        case pending
        case running
        /// Finished with this outcome.
        case finished(Outcome)
    }

    /// How a step ended, as far as its dependents are concerned.
    public enum Outcome: Sendable, Hashable {
        case completed
        /// Skipped by `when:`; dependents still run and see `status: skipped`.
        case skipped
        /// Failed with `on_failure: continue`; dependents still run and see `status: failed`.
        case failedContinuing
        /// Failed with `on_failure: skip`, or downstream of such a step: dependents are pruned.
        case pruned
        /// Failed with `on_failure: abort`: the run stops; nothing else becomes ready.
        case failedAborting
    }

    public let graph: WorkflowGraph
    public private(set) var states: [String: State]
    /// Set once a step failed with `abort`; no step is ready after that.
    public private(set) var isAborted = false

    public init(graph: WorkflowGraph) {
        self.graph = graph
        states = Dictionary(uniqueKeysWithValues: graph.ids.map { ($0, State.pending) })
    }

    /// Pending steps whose dependencies have all finished, in written order.
    public var readySteps: [String] {
        guard !isAborted else { return [] }
        return graph.ids.filter { id in
            states[id] == .pending && (graph.dependencies[id] ?? []).allSatisfy { dependency in
                if case .finished = states[dependency] { true } else { false }
            }
        }
    }

    /// Steps started and not finished.
    public var runningSteps: [String] { graph.ids.filter { states[$0] == .running } }

    /// Whether every step has finished (or the run was aborted and nothing is running).
    public var isComplete: Bool {
        graph.ids.allSatisfy { if case .finished = states[$0] { true } else { false } }
            || (isAborted && runningSteps.isEmpty)
    }

    /// Records that a ready step started.
    public mutating func markStarted(_ id: String) {
        guard states[id] == .pending else { return }
        states[id] = .running
    }

    /// Records how a step ended.
    ///
    /// - Returns: the steps that became ready because of it, and those pruned with it (which
    ///   the engine records as skipped without running).
    @discardableResult
    public mutating func markFinished(_ id: String, _ outcome: Outcome) -> (ready: [String], pruned: [String]) {
        guard states[id] != nil else { return ([], []) }
        let readyBefore = Set(readySteps)
        states[id] = .finished(outcome)
        var pruned: [String] = []
        switch outcome {
        case .failedAborting:
            isAborted = true
        case .pruned:
            for descendant in graph.ids where graph.descendants(of: id).contains(descendant) && states[descendant] == .pending {
                states[descendant] = .finished(.pruned)
                pruned.append(descendant)
            }
        default:
            break
        }
        return (readySteps.filter { !readyBefore.contains($0) }, pruned)
    }
}

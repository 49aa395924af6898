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
    /// Kept incrementally so each start and finish costs the step's own edges, not a scan of the
    /// whole graph: the scheduler asks after every step, and a 10,000-step DAG must not go quadratic.
    private let position: [String: Int]
    /// How many of each step's dependencies have not finished.
    private var unfinishedDependencies: [String: Int]
    /// Pending steps whose dependencies have all finished.
    private var ready: Set<String>

    public init(graph: WorkflowGraph) {
        self.graph = graph
        states = Dictionary(uniqueKeysWithValues: graph.ids.map { ($0, State.pending) })
        position = Dictionary(uniqueKeysWithValues: graph.ids.enumerated().map { ($1, $0) })
        unfinishedDependencies = Dictionary(uniqueKeysWithValues: graph.ids.map { ($0, graph.dependencies[$0]?.count ?? 0) })
        ready = Set(graph.ids.filter { (graph.dependencies[$0] ?? []).isEmpty })
    }

    /// Pending steps whose dependencies have all finished, in written order.
    public var readySteps: [String] {
        guard !isAborted else { return [] }
        return inWrittenOrder(ready)
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
        ready.remove(id)
    }

    /// Records how a step ended.
    ///
    /// - Returns: the steps that became ready because of it, and those pruned with it (which
    ///   the engine records as skipped without running).
    @discardableResult
    public mutating func markFinished(_ id: String, _ outcome: Outcome) -> (ready: [String], pruned: [String]) {
        guard let previous = states[id] else { return ([], []) }
        states[id] = .finished(outcome)
        ready.remove(id)
        var newlyReady: [String] = []
        if case .finished = previous {
            // Finished twice (a resumed run replays outcomes): the dependents were counted already.
        } else {
            newlyReady = finishedEdges(of: id)
        }
        var pruned: [String] = []
        switch outcome {
        case .failedAborting:
            isAborted = true
        case .pruned:
            let descendants = graph.descendants(of: id)
            for descendant in graph.ids where descendants.contains(descendant) && states[descendant] == .pending {
                states[descendant] = .finished(.pruned)
                ready.remove(descendant)
                pruned.append(descendant)
            }
            for descendant in pruned { _ = finishedEdges(of: descendant) }
        default:
            break
        }
        let prunedSet = Set(pruned)
        let becameReady = isAborted ? [] : newlyReady.filter { !prunedSet.contains($0) && ready.contains($0) }
        return (inWrittenOrder(becameReady), pruned)
    }

    /// Counts `id` as finished for its dependents; returns those it made ready.
    private mutating func finishedEdges(of id: String) -> [String] {
        var madeReady: [String] = []
        for dependent in graph.dependents[id] ?? [] {
            let left = (unfinishedDependencies[dependent] ?? 1) - 1
            unfinishedDependencies[dependent] = left
            if left == 0 && states[dependent] == .pending {
                ready.insert(dependent)
                madeReady.append(dependent)
            }
        }
        return madeReady
    }

    private func inWrittenOrder<S: Sequence<String>>(_ ids: S) -> [String] {
        ids.sorted { (position[$0] ?? 0) < (position[$1] ?? 0) }
    }
}

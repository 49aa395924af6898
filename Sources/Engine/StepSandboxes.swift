import Sandbox
import Workflow

/// A run's step sandboxes on the backend that mounts its workspace, each kind created one step ahead.
///
/// The service's warm pool cannot serve workflow steps: its sandboxes have fresh anonymous
/// workspaces, and Docker cannot add the run's workspace volume to a running container. This is
/// the run's own pool instead. It knows how many steps of each kind (image and profile) the run
/// still has to start; whenever a step takes a sandbox of a kind with more steps to come, the
/// next one is created in the background, mounting the run's workspace, while the step runs.
/// The next step then finds it ready, or already being created, instead of paying for a whole
/// container creation (about 140 ms on our machine) on its critical path.
///
/// A sandbox created ahead is as fresh as a cold one: nothing ran in it, its workspace is the
/// run's shared one either way, and the step's environment is applied at hand-out (a
/// ``PooledSandbox`` exports it into the persistent shell before the first command). Two
/// differences remain and are deliberate: it carries the run's labels but not
/// ``SandcastleLabels/step`` (it was made before the step was known), and it may be wasted when a
/// step that was counted on is skipped or the run fails; ``close()`` removes whatever is left.
/// At most ``lookahead`` sandboxes per kind are ready or being created at once; they hold no
/// slot of the backend's concurrency limit, since no command runs in them.
actor StepSandboxes {
    /// What makes two step sandboxes of a run interchangeable: everything fixed at container
    /// creation. The engine sets nothing else (workspace and labels are the run's).
    struct Kind: Hashable, Sendable, CustomStringConvertible {
        var image: String
        var profile: String

        var description: String { "\(image) (profile \(profile))" }
    }

    /// What happened to the sandboxes of a run (the engine's events say it per attempt).
    struct Statistics: Sendable, Equatable {
        /// Steps given a sandbox that was ready or being created.
        var hits = 0
        /// Steps that created their sandbox themselves.
        var misses = 0
        /// Sandboxes created ahead that failed, died before use, or were never used.
        var wasted = 0
    }

    /// The router's name of the backend these sandboxes are made on (local Docker).
    nonisolated let backendName: Backend
    private let backend: any SandboxBackend
    private let template: SandboxSpec
    private let lookahead: Int
    /// Steps of each kind not yet given a sandbox.
    private var remaining: [Kind: Int]
    /// Creations in flight and sandboxes ready, oldest first.
    private var ahead: [Kind: [Task<(any SandboxInstance)?, Never>]] = [:]
    private var closed = false
    private(set) var statistics = Statistics()

    /// - Parameters:
    ///   - backendName, backend: the backend the run's steps naming it (and `auto` steps) use.
    ///   - template: the spec of the sandboxes created ahead, minus image and profile: the run's
    ///     workspace and labels.
    ///   - planned: how many steps of each kind the run has left to start (a fan-out counts one
    ///     until its items are known, see ``expect(_:more:)``).
    ///   - lookahead: sandboxes per kind ready or being created at once; 0 creates none ahead.
    init(backendName: Backend, backend: any SandboxBackend, template: SandboxSpec, planned: [Kind: Int], lookahead: Int) {
        self.backendName = backendName
        self.backend = backend
        self.template = template
        self.remaining = planned.filter { $0.value > 0 }
        self.lookahead = max(0, lookahead)
    }

    /// More steps of `kind` to come (a fan-out's items beyond the one it was counted as).
    func expect(_ kind: Kind, more count: Int) {
        guard count > 0, !closed else { return }
        remaining[kind, default: 0] += count
    }

    /// A sandbox for `spec`: the oldest one of its kind created ahead (awaiting its creation if
    /// it is still under way), or a new one. Either way the next one of the kind is started when
    /// more steps of it are to come.
    func sandbox(for spec: SandboxSpec) async throws -> (instance: any SandboxInstance, prewarmed: Bool) {
        let kind = Kind(image: spec.image, profile: spec.profile)
        if let count = remaining[kind] {
            remaining[kind] = count > 1 ? count - 1 : nil
        }
        guard PooledSandbox.unexportableName(in: spec.environment) == nil else {
            fillAhead(kind)
            statistics.misses += 1
            return (try await backend.create(spec), false)
        }
        while var queue = ahead[kind], !queue.isEmpty {
            let next = queue.removeFirst()
            ahead[kind] = queue
            fillAhead(kind)
            // Cancelling the step does not cut this wait short (the creation is a task of its
            // own, at most a container creation long); the step then destroys what it got.
            guard let instance = await next.value else {
                statistics.wasted += 1
                continue
            }
            if instance.isKnownGone {
                statistics.wasted += 1
                Task.detached { try? await instance.destroy() }
                continue
            }
            statistics.hits += 1
            return (spec.environment.isEmpty ? instance : PooledSandbox(base: instance, environment: spec.environment), true)
        }
        fillAhead(kind)
        statistics.misses += 1
        return (try await backend.create(spec), false)
    }

    /// Starts creations until `kind` has as many ready or under way as it has steps to come,
    /// up to ``lookahead``.
    private func fillAhead(_ kind: Kind) {
        guard !closed else { return }
        let wanted = min(lookahead, remaining[kind] ?? 0)
        var queue = ahead[kind] ?? []
        guard queue.count < wanted else { return }
        var spec = template
        spec.image = kind.image
        spec.profile = kind.profile
        let backend = self.backend
        while queue.count < wanted {
            // Detached: the creation must finish (and be destroyed by `close()`) even when the
            // step that started it is cancelled; a half-made container would outlive the run.
            queue.append(Task.detached { try? await backend.create(spec) })
        }
        ahead[kind] = queue
    }

    /// Destroys every sandbox created ahead and not handed out (waiting for creations under
    /// way); later requests create their sandboxes directly.
    func close() async {
        closed = true
        let leftovers = ahead.values.flatMap { $0 }
        ahead = [:]
        remaining = [:]
        await Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for creation in leftovers {
                    group.addTask { try? await creation.value?.destroy() }
                }
            }
        }.value
        statistics.wasted += leftovers.count
    }
}

extension WorkflowEngine {
    /// The run's ``StepSandboxes`` when it makes sandboxes ahead: a backend whose sandboxes mount
    /// the run's workspace is configured (local Docker) and ``EngineConfiguration/sandboxesAhead`` > 0.
    /// Counted are the steps left to start that may run there (naming it, or `auto`); a session
    /// counts once, since its steps share one sandbox.
    func stepSandboxes(_ workflow: WorkflowDefinition, runID: String, tracker: DependencyTracker) -> StepSandboxes? {
        guard configuration.sandboxesAhead > 0, let entry = router.workspaceEntry else { return nil }
        var planned: [StepSandboxes.Kind: Int] = [:]
        var sessions: Set<String> = []
        for step in workflow.steps where (step.kind == .run || step.kind == .agent) && tracker.states[step.id] == .pending {
            let settings = workflow.settings(for: step)
            guard let kind = StepSandboxes.kind(of: settings, on: entry.name) else { continue }
            if let session = settings.session, !sessions.insert(session).inserted { continue }
            planned[kind, default: 0] += 1
        }
        guard !planned.isEmpty else { return nil }
        var labels = configuration.sandboxLabels
        labels[SandcastleLabels.run] = runID
        let template = SandboxSpec(workspace: Self.workspaceName(runID: runID), labels: labels)
        return StepSandboxes(
            backendName: entry.name, backend: entry.backend, template: template, planned: planned,
            lookahead: configuration.sandboxesAhead)
    }
}

extension StepSandboxes {
    /// The kind a step's sandboxes are when it may run on `backend`; nil when it asks for another one.
    static func kind(of settings: ResolvedStepSettings, on backend: Backend) -> Kind? {
        guard settings.backend == backend || settings.backend == .auto else { return nil }
        return Kind(image: settings.image, profile: settings.profile)
    }
}

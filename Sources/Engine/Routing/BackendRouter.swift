import Resilience
import Sandbox
import Workflow

/// Chooses the backend each step attempt runs on: the one the step asks for (`docker`, `e2b`),
/// or for `auto` local Docker while it is healthy and has a free slot, else E2B.
///
/// Every backend has a ``CircuitBreaker`` and a concurrency limit of its own. An explicit request
/// whose backend's breaker is open fails over to another configured backend whose breaker lets it
/// through; when none does, the attempt fails fast with ``EngineError/Code/backendUnavailable``.
public final class BackendRouter: Sendable {
    /// One configured backend.
    public struct Entry: Sendable {
        /// The name steps use (`docker`, `e2b`).
        public var name: Backend
        public var backend: any SandboxBackend
        /// Attempts running on this backend at once, across the engine's runs.
        public var limit: AsyncSemaphore
        public var breaker: CircuitBreaker
        /// Whether its sandboxes can mount the run's workspace volume (a local Docker volume):
        /// remote ones (E2B) cannot, and get none.
        public var mountsWorkspace: Bool

        /// - Parameter mountsWorkspace: default: every backend but `e2b`.
        public init(
            name: Backend, backend: any SandboxBackend, maxConcurrent: Int = 8,
            breaker: CircuitBreaker = CircuitBreaker(), mountsWorkspace: Bool? = nil
        ) {
            self.name = name
            self.backend = backend
            self.limit = AsyncSemaphore(limit: maxConcurrent)
            self.breaker = breaker
            self.mountsWorkspace = mountsWorkspace ?? (name != .e2b)
        }
    }

    /// Where one attempt runs. Holds a slot of the backend's limit and, when the breaker
    /// granted it, a permit: ``finish(infrastructureFailure:cancelled:)`` gives both back.
    public struct Lease: Sendable {
        public let entry: Entry
        /// Why the attempt is not on the backend it asked for (nil when it is).
        public let failoverReason: String?
        /// The name recorded with the attempt: the backend's own (a lone fake backend keeps its name).
        public var recordedName: String { entry.backend.name }

        /// Reports how the attempt went to the breaker and frees the slot.
        public func finish(infrastructureFailure: Bool, cancelled: Bool) {
            if infrastructureFailure {
                entry.breaker.recordFailure()
            } else if cancelled {
                entry.breaker.recordNeutral()
            } else {
                entry.breaker.recordSuccess()
            }
            entry.limit.release()
        }
    }

    /// Backends in preference order (`auto` tries the first, Docker, before the others).
    public let entries: [Entry]

    public init(_ entries: [Entry]) {
        self.entries = entries
    }

    /// One backend under the name `docker` whose breaker never opens: what an engine made with a
    /// single backend uses, so it behaves as before routing existed.
    public convenience init(single backend: any SandboxBackend, maxConcurrent: Int = .max) {
        self.init([
            Entry(
                name: .docker, backend: backend, maxConcurrent: maxConcurrent,
                breaker: CircuitBreaker(policy: .disabled))
        ])
    }

    /// The configured backend of that name.
    public func entry(_ name: Backend) -> Entry? { entries.first { $0.name == name } }

    /// The backend whose sandboxes mount a run's shared workspace (local Docker), if any: where
    /// sandboxes are made ahead and whose workspaces are saved and removed at a run's end.
    public var workspaceEntry: Entry? { entries.first { $0.mountsWorkspace } }

    /// The shared workspaces of ``workspaceEntry``; nil when none is configured or its backend has none.
    public var workspaces: (any SharedWorkspaces)? { workspaceEntry?.backend.workspaces }

    /// Backends a step may name in this configuration (`auto` always).
    public var available: Set<Backend> { Set(entries.map(\.name)).union([.auto]) }

    /// Picks the backend for one attempt and waits for a slot on it.
    ///
    /// - Throws: ``EngineError`` `.backendUnavailable` when the requested backend is not
    ///   configured, or its breaker is open and no other backend can take the attempt;
    ///   `CancellationError` when cancelled while waiting for a slot.
    public func acquire(_ requested: Backend) async throws -> Lease {
        if requested == .auto { return try await acquireAuto() }
        guard let wanted = entry(requested) else {
            let names = entries.map(\.name.rawValue).joined(separator: ", ")
            let hint = requested == .e2b ? " (set E2B_API_KEY)" : ""
            throw EngineError(.backendUnavailable, "backend `\(requested)` is not configured\(hint); configured: \(names)")
        }
        if wanted.breaker.permit() {
            return try await lease(wanted, reason: nil, permitted: true)
        }
        for other in entries where other.name != requested {
            if other.breaker.permit() {
                return try await lease(other, reason: "backend `\(requested)` circuit is open", permitted: true)
            }
        }
        throw EngineError(
            .backendUnavailable,
            "backend `\(requested)` circuit is open after repeated infrastructure failures, and no other backend can take the step")
    }

    private func acquireAuto() async throws -> Lease {
        guard let first = entries.first else {
            throw EngineError(.backendUnavailable, "no backend is configured")
        }
        // The preferred backend only when it has a slot now: `auto` spills rather than queues.
        if first.limit.tryAcquire() {
            if first.breaker.permit() { return Lease(entry: first, failoverReason: nil) }
            first.limit.release()
        }
        let reason = first.breaker.isAvailable ? "backend `\(first.name)` is at capacity" : "backend `\(first.name)` circuit is open"
        for other in entries.dropFirst() where other.breaker.permit() {
            return try await lease(other, reason: reason, permitted: true)
        }
        // Nowhere to spill: queue for the preferred backend (its breaker decides once a slot is free).
        try await first.limit.acquire()
        if first.breaker.permit() { return Lease(entry: first, failoverReason: nil) }
        first.limit.release()
        throw EngineError(
            .backendUnavailable,
            "backend `\(first.name)` circuit is open after repeated infrastructure failures, and no other backend can take the step")
    }

    private func lease(_ entry: Entry, reason: String?, permitted: Bool) async throws -> Lease {
        do {
            try await entry.limit.acquire()
        } catch {
            if permitted { entry.breaker.recordNeutral() }
            throw error
        }
        return Lease(entry: entry, failoverReason: reason)
    }

    /// Whether an attempt's error is the backend's fault (it could not give the step a working
    /// sandbox) rather than the step's: only those count towards opening a breaker.
    public static func isInfrastructureFailure(_ error: any Error) -> Bool {
        if error is CancellationError || error is EngineError { return false }
        guard let sandboxError = error as? SandboxError else {
            // Transport failures talking to a remote backend arrive as other errors.
            return true
        }
        return infrastructureCodes.contains(sandboxError.code)
    }

    static let infrastructureCodes: Set<SandboxError.Code> = [
        .engineUnavailable, .sandboxGone, .runnerFailed, .internal,
        .unauthorized, .rateLimited, .unavailable,
    ]
}

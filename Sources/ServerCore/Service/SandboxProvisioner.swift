import Sandbox

/// A sandbox handed out by a provisioner.
public struct ProvisionedSandbox: Sendable {
    public var instance: any SandboxInstance
    /// Whether it came ready from a warm pool rather than being started for this request.
    public var fromPool: Bool
    public init(instance: any SandboxInstance, fromPool: Bool) {
        self.instance = instance
        self.fromPool = fromPool
    }
}

/// The single seam through which ``SandboxService`` obtains sandboxes.
///
/// Today it is ``DirectProvisioner`` (a cold create on the backend); the warm pool plugs in
/// here by conforming to this protocol, so the service, its limits and its records do not
/// change. Whatever the provisioner returns must carry `spec.labels` on its container
/// (the service's `sandcastle.server` label is how restarts find orphans).
public protocol SandboxProvisioner: Sendable {
    /// A ready sandbox matching `spec`.
    func provision(_ spec: SandboxSpec) async throws -> ProvisionedSandbox
    /// Starts background work (filling a pool). Called after the service reconciled with the
    /// engine, so the reconciler never mistakes a fresh pooled container for an orphan.
    func start() async
    /// The pools' figures for `/metrics` (empty without a pool).
    func poolStatistics() async -> [PoolFigures]
    /// Stops background work and releases idle sandboxes (called on server shutdown).
    func shutdown() async
}

/// Creates every sandbox cold on the backend.
public struct DirectProvisioner: SandboxProvisioner {
    public let backend: any SandboxBackend

    public init(backend: any SandboxBackend) {
        self.backend = backend
    }

    public func provision(_ spec: SandboxSpec) async throws -> ProvisionedSandbox {
        ProvisionedSandbox(instance: try await backend.create(spec), fromPool: false)
    }

    public func start() async {}
    public func poolStatistics() async -> [PoolFigures] { [] }
    public func shutdown() async {}
}

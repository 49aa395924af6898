import Sandbox

/// Where a one-shot session's sandbox comes from and goes back to: a backend for the CLI, the
/// server's sandbox service for `POST /query` (so its sandboxes count against the key's limits
/// and are reconciled after a restart).
public protocol OneShotSandboxes: Sendable {
    /// A fresh sandbox for `spec` (whose labels name it a one-shot agent's). When the calling
    /// task is cancelled while it is being made, nothing may be left behind.
    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance
    /// Removes the sandbox; a failure is reported by the implementation (a log line), not thrown,
    /// since the session is over either way.
    func destroy(_ sandbox: any SandboxInstance) async
}

/// Sandboxes straight from a backend (the CLI's Docker backend).
public struct BackendSandboxes: OneShotSandboxes {
    public let backend: any SandboxBackend
    /// Told of each sandbox once it exists and once it is gone (the CLI's Ctrl-C cleanup).
    let onCreate: @Sendable (any SandboxInstance) -> Void
    let onDestroy: @Sendable (any SandboxInstance) -> Void
    let onDestroyFailure: @Sendable (any SandboxInstance, any Error) -> Void

    public init(
        backend: any SandboxBackend, onCreate: @escaping @Sendable (any SandboxInstance) -> Void = { _ in },
        onDestroy: @escaping @Sendable (any SandboxInstance) -> Void = { _ in },
        onDestroyFailure: @escaping @Sendable (any SandboxInstance, any Error) -> Void = { _, _ in }
    ) {
        self.backend = backend
        self.onCreate = onCreate
        self.onDestroy = onDestroy
        self.onDestroyFailure = onDestroyFailure
    }

    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        let sandbox = try await backend.create(spec)
        onCreate(sandbox)
        return sandbox
    }

    public func destroy(_ sandbox: any SandboxInstance) async {
        do {
            try await sandbox.destroy()
        } catch {
            onDestroyFailure(sandbox, error)
        }
        onDestroy(sandbox)
    }
}

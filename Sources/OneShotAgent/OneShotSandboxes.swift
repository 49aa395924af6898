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
    /// Told when a sandbox could not be removed (the CLI prints a warning naming it).
    let onDestroyFailure: @Sendable (any SandboxInstance, any Error) -> Void

    public init(backend: any SandboxBackend, onDestroyFailure: @escaping @Sendable (any SandboxInstance, any Error) -> Void = { _, _ in }) {
        self.backend = backend
        self.onDestroyFailure = onDestroyFailure
    }

    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        try await backend.create(spec)
    }

    public func destroy(_ sandbox: any SandboxInstance) async {
        do {
            try await sandbox.destroy()
        } catch {
            onDestroyFailure(sandbox, error)
        }
    }
}

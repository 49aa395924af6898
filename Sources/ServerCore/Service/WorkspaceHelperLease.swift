import Sandbox
import Synchronization

/// Runs a closure once: when asked, or when dropped without having been asked (a response body
/// that was never written still ends its transfer).
package final class EndOnce: Sendable {
    private let action: @Sendable () async -> Void
    private let ran = Atomic(false)

    package init(_ action: @escaping @Sendable () async -> Void) { self.action = action }

    package func run() async {
        guard !ran.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await action()
    }

    deinit {
        guard !ran.load(ordering: .acquiring) else { return }
        let action = self.action
        Task { await action() }
    }
}

/// A helper sandbox with a workspace mounted at `/workspace` (its files confined there), removed
/// by ``release()`` or, failing that, when the lease goes away: a streamed read keeps it while
/// the response is written.
package final class WorkspaceHelperLease: Sendable {
    package let sandbox: any SandboxInstance
    private let end: EndOnce

    init(sandbox: any SandboxInstance) {
        self.sandbox = sandbox
        self.end = EndOnce { try? await sandbox.destroy() }
    }

    package func release() async { await end.run() }
}

import Foundation
import Sandbox
import Synchronization

/// Removes the sandboxes a command created when the user presses Ctrl-C or the process
/// is terminated, then exits 130 — so an interrupted command never leaves a container behind.
enum CleanupOnSignal {
    final class Registry: Sendable {
        private let sandboxes = Mutex<[String: any SandboxInstance]>([:])
        func register(_ sandbox: any SandboxInstance) { sandboxes.withLock { $0[sandbox.id] = sandbox } }
        func unregister(_ sandbox: any SandboxInstance) { _ = sandboxes.withLock { $0.removeValue(forKey: sandbox.id) } }
        fileprivate func drain() -> [any SandboxInstance] {
            sandboxes.withLock { state in
                defer { state.removeAll() }
                return Array(state.values)
            }
        }
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable (Registry) async throws -> T) async throws -> T {
        let registry = Registry()
        let signals = SignalStream.make([SIGINT, SIGTERM, SIGHUP])
        let work = Task { try await body(registry) }
        let watcher = Task {
            for await signo in signals {
                Console.error("\nsandcastle: signal \(signo), removing sandboxes…")
                // Cancel first: a sandbox still being created removes itself when cancelled.
                work.cancel()
                for sandbox in registry.drain() { try? await sandbox.destroy() }
                _ = await work.result
                exit(128 + signo)
            }
        }
        do {
            let value = try await work.value
            watcher.cancel()
            return value
        } catch {
            // When a signal cancelled the work, the watcher owns the exit (after its cleanup);
            // returning the cancellation error here would end the process first.
            if work.isCancelled { await watcher.value }
            watcher.cancel()
            throw error
        }
    }
}

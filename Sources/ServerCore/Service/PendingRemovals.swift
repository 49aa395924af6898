import Logging
import Synchronization

/// Container removals that finish after the API has answered.
///
/// A deleted (or expired, or dead) sandbox is cut off at once: its record is final, it left the
/// service's live map and its runner channel is closed. Removing its container and anonymous
/// workspace volume is most of a delete's time (the engine kills the container, waits for it to
/// exit, and tears down its filesystem, volume and cgroup), and nothing a caller does next needs
/// it, except what waits here: using or deleting the named workspace the container still mounts,
/// and the server's shutdown, so no removal is cut short by the process exiting.
///
/// A failed removal is logged and retried after each of `retryDelays`; after the last one the
/// container is left for the next start, whose reconcile removes every container of this server
/// that no live record claims.
package final class PendingRemovals: Sendable {
    private struct Removal {
        /// Tells this removal from a later one of the same sandbox when it finishes.
        var token: UInt64
        /// The named workspace the container mounts, if any, as its ``OwnedWorkspace/volumeName``
        /// (one per key and name, whichever volume really backs it).
        var workspace: String?
        var task: Task<Void, Never>
    }

    private struct State {
        var nextToken: UInt64 = 0
        var bySandbox: [String: Removal] = [:]
    }

    private let state = Mutex(State())
    let retryDelays: [Duration]
    let logger: Logger

    init(retryDelays: [Duration], logger: Logger) {
        self.retryDelays = retryDelays
        self.logger = logger
    }

    /// Starts removing a sandbox's container in the background with `remove`, which must treat a
    /// container that is already gone as success.
    func start(
        sandboxID: String, containerID: String?, workspace: String?,
        remove: @escaping @Sendable () async throws -> Void
    ) {
        let (retryDelays, logger) = (retryDelays, logger)
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            // One removal per sandbox is the rule (the service finalises a record once); should a
            // second come, it runs after the first so waiters of either see both finished.
            let previous = state.bySandbox[sandboxID]?.task
            // Created under the lock: the task's own `finish` takes the lock, so it cannot remove
            // its entry before the entry exists.
            let task = Task { [weak self] in
                await previous?.value
                var metadata: Logger.Metadata = ["sandbox": .string(sandboxID)]
                if let containerID { metadata["container"] = .string(containerID) }
                for attempt in 0...retryDelays.count {
                    do {
                        try await remove()
                        break
                    } catch {
                        metadata["error"] = "\(error)"
                        guard attempt < retryDelays.count else {
                            logger.error(
                                "cannot remove the sandbox's container; the next start's reconcile removes it",
                                metadata: metadata)
                            break
                        }
                        logger.warning(
                            "cannot remove the sandbox's container; retrying in \(retryDelays[attempt])",
                            metadata: metadata)
                        // Not cancellable on purpose: nothing cancels these tasks, and shutdown waits for them.
                        try? await Task.sleep(for: retryDelays[attempt])
                    }
                }
                self?.finish(sandboxID: sandboxID, token: token)
            }
            state.bySandbox[sandboxID] = Removal(token: token, workspace: workspace, task: task)
        }
    }

    /// How many removals have not finished.
    var count: Int { state.withLock { $0.bySandbox.count } }

    /// Whether the sandbox's container is still being removed.
    func isPending(sandboxID: String) -> Bool { state.withLock { $0.bySandbox[sandboxID] != nil } }

    /// Returns once every removal has finished, including those started while waiting.
    func waitForAll() async {
        await wait { _ in true }
    }

    /// Returns once no container being removed mounts the named workspace.
    package func waitForRemovals(mounting workspace: String) async {
        await wait { $0.workspace == workspace }
    }

    private func wait(for matches: (Removal) -> Bool) async {
        while true {
            let tasks = state.withLock { state in state.bySandbox.values.filter(matches).map(\.task) }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }

    private func finish(sandboxID: String, token: UInt64) {
        state.withLock { state in
            if state.bySandbox[sandboxID]?.token == token { state.bySandbox[sandboxID] = nil }
        }
    }
}

import Synchronization

/// A run's sandbox removals that finish after their step did.
///
/// Removing a container (kill, wait for exit, tear down its filesystem and cgroup) is most of
/// what a short step costs once its sandbox was made ahead, and nothing downstream needs it:
/// dependents only read the step's recorded result and the shared workspace. So a step is done
/// when its command is, and its sandbox goes in the background. The concurrency slots the
/// attempt held are given back only once the sandbox is gone, so the run's and the process's
/// limits still count every live container; the run waits for all removals before it saves or
/// removes its workspace and before it reports its end. A process killed meanwhile leaves the
/// containers to the run-label sweep of whoever resumes the run.
final class RunRemovals: Sendable {
    private struct State {
        var nextToken: UInt64 = 0
        var running: [UInt64: Task<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Runs `removal` in a detached task (a cancelled run still removes its sandboxes).
    func start(_ removal: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            // Created under the lock, so the task's own cleanup cannot run before its entry exists.
            state.running[token] = Task.detached { [self] in
                await removal()
                _ = self.state.withLock { $0.running.removeValue(forKey: token) }
            }
        }
    }

    /// Waits until every removal started so far, and any started meanwhile, has finished.
    func waitForAll() async {
        // A task removes its own entry before it finishes, so each wait shrinks the map.
        while let next = state.withLock({ $0.running.values.first }) {
            await next.value
        }
    }
}

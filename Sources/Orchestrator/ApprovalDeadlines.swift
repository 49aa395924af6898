import Engine
import Foundation
import Logging
import Store

/// Times out approval gates nobody decided in time. The server's runs pause at a gate and free
/// their slot, so no engine is watching the gate's clock: this sleeps until the earliest
/// deadline of any pending gate, applies the gates' `on_timeout` rule (``Approvals/expireOverdue(repository:now:)``)
/// and puts their runs back in the queue, where they go on (skip, approve) or fail (abort).
///
/// It also looks at the store every ``recheckInterval``: a gate another process (`sandcastle
/// runs` on the same data folder) created is then found without a nudge. Deadlines are in the
/// store, so a restart loses none: the first sweep at start handles those that passed meanwhile.
public actor ApprovalDeadlines {
    let repository: any RunRepository
    let queue: RunQueue
    let logger: Logger
    /// The longest sleep between two looks at the store.
    let recheckInterval: Duration
    private var loop: Task<Void, Never>?
    /// The current sleep between sweeps; a nudge cancels it.
    private var sleeper: Task<Void, Never>?
    /// A nudge came while a sweep ran: sweep again at once.
    private var nudged = false

    public init(repository: any RunRepository, queue: RunQueue, logger: Logger, recheckInterval: Duration = .seconds(30)) {
        self.repository = repository
        self.queue = queue
        self.logger = logger
        self.recheckInterval = recheckInterval
    }

    /// Starts watching (a second call does nothing).
    public func start() {
        guard loop == nil else { return }
        loop = Task { await self.watch() }
    }

    /// Stops watching and waits until the loop has ended.
    public func stop() async {
        guard let loop else { return }
        loop.cancel()
        sleeper?.cancel()
        await loop.value
        self.loop = nil
    }

    /// A gate with a deadline was just requested: look again now, its deadline may be the earliest.
    public nonisolated func nudge() {
        Task { await self.wake() }
    }

    private func wake() {
        nudged = true
        sleeper?.cancel()
    }

    private func watch() async {
        while !Task.isCancelled {
            nudged = false
            let nap = await sweep()
            if nudged || Task.isCancelled { continue }
            let sleeper = Task { _ = try? await Task.sleep(for: nap) }
            self.sleeper = sleeper
            // The actor is free while this waits, so ``wake()`` can cut the sleep short.
            await sleeper.value
            self.sleeper = nil
        }
    }

    /// Expires what is overdue, requeues its runs, and returns how long to sleep.
    private func sweep() async -> Duration {
        let now = Date()
        do {
            let result = try Approvals.expireOverdue(repository: repository, now: now)
            for runID in result.expiredRunIDs {
                logger.notice("an approval of run \(runID) timed out; the run goes on by its on_timeout rule", metadata: ["run": .string(runID)])
                await queue.requeue(runID: runID)
            }
            guard let next = result.nextDeadline else { return recheckInterval }
            let untilNext = Duration.milliseconds(Int64(max(0, next.timeIntervalSince(now)) * 1000) + 1)
            return min(recheckInterval, untilNext)
        } catch {
            logger.error("approval deadlines cannot be checked: \(error)")
            return recheckInterval
        }
    }
}

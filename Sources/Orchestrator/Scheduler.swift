import Foundation
import JSONValues
import Logging
import Schedules
import Store
import Workflow

/// Runs the server's schedules: each due slot of an enabled schedule becomes one run of its
/// workflow, submitted to the ``Orchestrator`` like a client's run.
///
/// It sleeps until the earliest next slot of all enabled schedules (no polling) and is woken
/// early by any change made through it (create, update, enable, disable, delete). For each due
/// slot it first inserts the slot's fire row (``SQLiteRunRepository/claimScheduleSlot(scheduleID:slot:armedAt:at:)``):
/// the store's unique (schedule, slot) key lets only one inserter win, so a slot fires once even
/// when two schedulers race. Then it submits the run under an idempotency key made of the
/// schedule and the slot, and records the run on the fire and the schedule. A process that dies
/// between the two leaves an unfinished fire, which the next ``start()`` finishes with the same
/// key: the run is made then, or found if it was made before the crash. So every slot makes
/// exactly one run, also across restarts.
///
/// Slots missed while the server was down follow ``MissedSlots``: the catch-up policy (the
/// schedule's own, else the server's ``defaultCatchUp``) fires the latest one once, or none.
public actor Scheduler {
    public nonisolated let orchestrator: Orchestrator
    /// What schedules without a setting of their own do with missed slots (`--schedule-catch-up`).
    public nonisolated let defaultCatchUp: CatchUp
    public nonisolated let clock: SchedulerClock
    let logger: Logger

    /// `success_rate` counts the fires of this last stretch of time (Sandcastle's 30 days).
    public static let successWindow: TimeInterval = 30 * 86_400
    /// How long the loop waits before looking again after the store could not be read.
    static let retryAfterStoreFailure: TimeInterval = 30

    private var loop: Task<Void, Never>?
    /// The loop's current wait, cancelled to wake it.
    private var nap: Task<Void, Never>?
    /// A schedule changed since the loop's last look began.
    private var changed = false
    /// The missed slots already reported per schedule, so a look that drops them again stays quiet.
    private var reportedDrops: [String: String] = [:]

    public init(orchestrator: Orchestrator, defaultCatchUp: CatchUp = .once, clock: SchedulerClock = .system, logger: Logger) {
        self.orchestrator = orchestrator
        self.defaultCatchUp = defaultCatchUp
        self.clock = clock
        self.logger = logger
    }

    var repository: SQLiteRunRepository { orchestrator.runs.repository }

    /// Finishes fires a dead process interrupted, then fires due slots as they come, until ``stop()``.
    public func start() {
        guard loop == nil else { return }
        loop = Task { await self.runLoop() }
    }

    /// Stops the loop and waits for the look in progress (if any) to end.
    public func stop() async {
        guard let running = loop else { return }
        running.cancel()
        nap?.cancel()
        await running.value
        loop = nil
    }

    /// The idempotency key a slot's run is submitted under: the same for every scheduler, so
    /// finishing an interrupted fire finds the run made before the interruption.
    public static func idempotencyKey(scheduleID: String, slot: Int64) -> String {
        "schedule:\(scheduleID):\(slot)"
    }

    private func runLoop() async {
        await finishInterruptedFires()
        while !Task.isCancelled {
            changed = false
            let next = await fireDueSlots()
            if changed { continue }
            guard !Task.isCancelled else { break }
            let clock = self.clock
            let deadline = next ?? .distantFuture
            let nap = Task { _ = try? await clock.sleep(deadline) }
            self.nap = nap
            await nap.value
            self.nap = nil
        }
    }

    /// Wakes the loop: a schedule changed, so the earliest slot may have too.
    func scheduleChanged() {
        changed = true
        nap?.cancel()
    }

    /// One look: fires the due slot (if any) of every enabled schedule, and returns when the
    /// next slot of any of them comes (nil: none ever does). The loop calls it at every wake.
    @discardableResult
    public func fireDueSlots() async -> Date? {
        let now = clock.now()
        let schedules: [ScheduleRecord]
        do {
            schedules = try repository.enabledSchedules()
        } catch {
            logger.error("the scheduler cannot read the schedules: \(error)")
            return now.addingTimeInterval(Self.retryAfterStoreFailure)
        }
        var earliest: Date?
        for record in schedules {
            let schedule: CronSchedule
            do {
                schedule = try CronSchedule(record.cronExpression, timeZone: record.timeZone)
            } catch {
                // Checked when saved; a zone this machine's tzdata no longer has ends up here.
                logger.error("schedule cannot be read", metadata: ["schedule": .string(record.id), "error": .string(error.message)])
                continue
            }
            let catchUp = record.catchUp.flatMap(CatchUp.init(rawValue:)) ?? defaultCatchUp
            let decision = MissedSlots.decide(
                schedule: schedule, lastFired: record.lastFiredSlot.map { Date(timeIntervalSince1970: Double($0)) },
                createdAt: record.armedAt, now: now, catchUp: catchUp)
            reportDrops(decision, of: record, catchUp: catchUp)
            if let slot = decision.fire { await fire(record, slot: slot.epochSeconds, now: now) }
            if let next = decision.nextRunAt { earliest = min(earliest ?? next, next) }
        }
        return earliest
    }

    /// Finishes every fire a process claimed but did not finish (it died in between): the run
    /// is submitted under the slot's key, so one made before the crash is found, not repeated.
    public func finishInterruptedFires() async {
        let unfinished: [ScheduleFireRecord]
        do {
            unfinished = try repository.unfinishedScheduleFires()
        } catch {
            logger.error("the scheduler cannot read interrupted fires: \(error)")
            return
        }
        for fire in unfinished {
            guard let slot = fire.slot, let record = try? repository.schedule(id: fire.scheduleID) else { continue }
            logger.notice("finishing an interrupted fire", metadata: ["schedule": .string(record.id), "slot": .stringConvertible(slot)])
            await submit(record, slot: slot)
        }
    }

    /// Claims the slot, then makes its run. Losing the claim means another scheduler fired it
    /// (or the schedule changed since it was read): nothing to do.
    private func fire(_ record: ScheduleRecord, slot: Int64, now: Date) async {
        do {
            guard try repository.claimScheduleSlot(scheduleID: record.id, slot: slot, armedAt: record.armedAt, at: now) else { return }
        } catch {
            logger.error("schedule slot could not be claimed", metadata: ["schedule": .string(record.id), "error": .string("\(error)")])
            return
        }
        await submit(record, slot: slot)
    }

    /// Submits a claimed slot's run and records the outcome. A failure (the workflow was deleted,
    /// its inputs no longer fit) is the fire's outcome: recorded, logged, and the loop goes on.
    private func submit(_ record: ScheduleRecord, slot: Int64) async {
        let metadata: Logger.Metadata = ["schedule": .string(record.id), "workflow": .string(record.workflowName), "slot": .stringConvertible(slot)]
        var runID: String?
        var failure: String?
        do {
            let submission = RunSubmission(
                source: .named(record.workflowName, version: nil), inputs: Self.inputs(json: record.inputsJSON),
                idempotencyKey: Self.idempotencyKey(scheduleID: record.id, slot: slot), tenant: record.tenant)
            let submitted = try await orchestrator.submit(submission)
            runID = submitted.runID
            logger.notice("schedule fired", metadata: metadata.merging(["run": .string(submitted.runID)]) { $1 })
        } catch {
            failure = "\(error)"
            logger.error("schedule fired but its run could not be made", metadata: metadata.merging(["error": .string("\(error)")]) { $1 })
        }
        do {
            try repository.finishScheduleFire(scheduleID: record.id, slot: slot, runID: runID, error: failure, at: clock.now())
        } catch {
            logger.error(
                "the fire's outcome could not be recorded; the next start finishes it",
                metadata: metadata.merging(["error": .string("\(error)")]) { $1 })
        }
    }

    private func reportDrops(_ decision: CatchUpDecision, of record: ScheduleRecord, catchUp: CatchUp) {
        guard decision.dropped > 0 else { return }
        // The same missed slots are dropped again at every look until a later slot fires.
        let key = "\(record.lastFiredSlot.map(String.init) ?? "-") \(record.armedAt.timeIntervalSince1970)"
        guard reportedDrops[record.id] != key else { return }
        reportedDrops[record.id] = key
        logger.notice(
            "missed schedule slots will not fire",
            metadata: [
                "schedule": .string(record.id), "dropped": .stringConvertible(decision.dropped), "catch_up": .string(catchUp.rawValue),
                "firing_latest": .stringConvertible(decision.fire != nil),
            ])
    }

    /// A schedule's stored inputs as a submission's: strings go as text, so a declared number
    /// or boolean is converted as Sandcastle coerces it (as `POST /api/workflows/run` does).
    static func inputs(json: String) -> [String: InputValue] {
        guard case .object(let members)? = JSONValue.parse(json: json) else { return [:] }
        return inputs(members)
    }

    static func inputs(_ members: [String: JSONValue]) -> [String: InputValue] {
        members.mapValues { value in
            if case .string(let text) = value { return .text(text) }
            return .value(value)
        }
    }
}

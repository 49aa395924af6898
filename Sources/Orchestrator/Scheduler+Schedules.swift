import Foundation
import JSONValues
import Schedules
import Store
import Workflow

/// The schedules themselves, as `/api/schedules` reads and changes them. Every change wakes the
/// loop, so a new or changed schedule's next slot is waited for at once.
extension Scheduler {
    /// Saves a new schedule.
    ///
    /// - Throws: `CronError` for an invalid expression or time zone (its `field` names the
    ///   crontab field; nil is the whole expression, or the zone for `unknownTimeZone`);
    ///   ``OrchestratorError`` `workflowNotFound`, `invalidName`, `invalidWorkflow`,
    ///   `invalidInput` (the inputs do not fit the workflow's newest version), `internalFailure`.
    public func create(_ request: NewSchedule) throws -> ScheduleInfo {
        let zone = request.timeZone ?? "UTC"
        try Self.check(request.cronExpression, timeZone: zone)
        let workflow = try orchestrator.catalog.resolve(name: request.workflowName, tenant: request.tenant).workflow
        try Self.check(request.inputs, for: workflow)
        let record = ScheduleRecord(
            id: UUID().uuidString.lowercased(), workflowName: request.workflowName, cronExpression: request.cronExpression,
            timeZone: zone, inputsJSON: JSONValue.object(request.inputs).jsonText, enabled: request.enabled,
            catchUp: request.catchUp?.rawValue, tenant: request.tenant, createdAt: clock.now())
        try persist { try repository.createSchedule(record) }
        scheduleChanged()
        return try schedule(id: record.id)
    }

    /// Changes a schedule. Enabling it, or changing its expression or zone, re-arms it: slots
    /// before now never fire (no catching up on a pause or on an old expression).
    ///
    /// - Throws: `CronError` as ``create(_:)``; ``OrchestratorError`` `scheduleNotFound`,
    ///   `invalidInput`, `internalFailure`.
    public func update(id: String, _ changes: ScheduleChanges) throws -> ScheduleInfo {
        guard let current = try persist({ try repository.schedule(id: id) }) else { throw Self.notFound(id) }
        if changes.cronExpression != nil || changes.timeZone != nil {
            try Self.check(changes.cronExpression ?? current.cronExpression, timeZone: changes.timeZone ?? current.timeZone)
        }
        // Sandcastle checks new inputs against the workflow when it still has one.
        if let inputs = changes.inputs, let workflow = try? orchestrator.catalog.resolve(name: current.workflowName).workflow {
            try Self.check(inputs, for: workflow)
        }
        let update = ScheduleUpdate(
            enabled: changes.enabled, cronExpression: changes.cronExpression, timeZone: changes.timeZone,
            inputsJSON: changes.inputs.map { JSONValue.object($0).jsonText }, catchUp: changes.catchUp?.rawValue)
        guard let updated = try persist({ try repository.updateSchedule(id: id, update, at: clock.now()) }) else { throw Self.notFound(id) }
        scheduleChanged()
        return try info(updated)
    }

    /// Deletes a schedule and its fires; the runs it made stay.
    ///
    /// - Throws: ``OrchestratorError`` `scheduleNotFound`, `internalFailure`.
    public func delete(id: String) throws {
        guard try persist({ try repository.deleteSchedule(id: id) }) else { throw Self.notFound(id) }
        scheduleChanged()
    }

    /// One schedule.
    ///
    /// - Throws: ``OrchestratorError`` `scheduleNotFound`, `internalFailure`.
    public func schedule(id: String) throws -> ScheduleInfo {
        guard let record = try persist({ try repository.schedule(id: id) }) else { throw Self.notFound(id) }
        return try info(record)
    }

    /// Schedules newest first (of `tenant` when given: a tenant key's view), and how many there are in all.
    ///
    /// - Throws: ``OrchestratorError`` `internalFailure`.
    public func list(limit: Int, offset: Int, tenant: String? = nil) throws -> (items: [ScheduleInfo], total: Int) {
        let now = clock.now()
        let records = try persist { try repository.schedules(limit: limit, offset: offset, tenant: tenant) }
        let outcomes = try persist {
            try repository.scheduleOutcomes(scheduleIDs: records.map(\.id), since: now.addingTimeInterval(-Self.successWindow))
        }
        let items = records.map { ScheduleInfo(record: $0, outcomes: outcomes[$0.id], defaultCatchUp: defaultCatchUp, now: now) }
        return (items, try persist { try repository.countSchedules(tenant: tenant) })
    }

    /// Runs the schedule's workflow now, outside its slots, with its inputs. The run counts as
    /// the schedule's (`last_run_*`, `success_rate`).
    ///
    /// - Throws: ``OrchestratorError`` `scheduleNotFound`, `scheduleDisabled` (as Sandcastle:
    ///   enable it first), and what ``Orchestrator/submit(_:)`` throws (`workflowNotFound`, …).
    public func trigger(id: String) async throws -> SubmittedRun {
        guard let record = try persist({ try repository.schedule(id: id) }) else { throw Self.notFound(id) }
        guard record.enabled else {
            throw OrchestratorError(.scheduleDisabled, "schedule \(id) is disabled; enable it before triggering it")
        }
        let submitted = try await orchestrator.submit(
            RunSubmission(source: .named(record.workflowName, version: nil), inputs: Self.inputs(json: record.inputsJSON), tenant: record.tenant))
        do {
            try repository.recordScheduleTrigger(scheduleID: id, runID: submitted.runID, at: clock.now())
        } catch {
            // The run exists and is queued; only the schedule's record of it is missing.
            logger.error("a triggered run could not be recorded on its schedule", metadata: ["schedule": .string(id), "run": .string(submitted.runID)])
        }
        return submitted
    }

    private func info(_ record: ScheduleRecord) throws -> ScheduleInfo {
        let now = clock.now()
        let outcomes = try persist {
            try repository.scheduleOutcomes(scheduleIDs: [record.id], since: now.addingTimeInterval(-Self.successWindow))
        }
        return ScheduleInfo(record: record, outcomes: outcomes[record.id], defaultCatchUp: defaultCatchUp, now: now)
    }

    /// Parses the expression in the zone; one that matches no date at all is refused too.
    static func check(_ expression: String, timeZone: String) throws(CronError) {
        let schedule = try CronSchedule(expression, timeZone: timeZone)
        guard schedule.expression.canFire else {
            throw CronError(.outOfRange, field: .dayOfMonth, "day_of_month: none of the months given has such a day, so the expression never fires")
        }
    }

    static func check(_ inputs: [String: JSONValue], for workflow: WorkflowDefinition) throws {
        let problems = InputBinder.bind(workflow, provided: Self.inputs(inputs)).diagnostics.filter { $0.severity == .error }
        guard problems.isEmpty else {
            throw OrchestratorError(
                .invalidInput, "the inputs do not fit workflow \(workflow.name)", details: problems.map(\.description))
        }
    }

    static func notFound(_ id: String) -> OrchestratorError {
        OrchestratorError(.scheduleNotFound, "schedule \(id) not found")
    }

    private func persist<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw OrchestratorError(.internalFailure, "the schedules could not be read or written: \(error)")
        }
    }
}

import Foundation
import JSONValues
import Orchestrator
import Schedules
import Store
import TestSupport
import Testing

/// What the scheduler refuses, and that a refusal stores nothing and changes nothing.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ScheduleValidationTests {
    let t0 = SchedulerHarness.t0

    @Test func aNewScheduleMustNameAWorkflowAndAnExpressionAndZoneThatCanFire() async throws {
        let harness = try await SchedulerHarness(workflows: ["hello": SchedulerHarness.hello, "check": SchedulerHarness.check])
        let scheduler = harness.scheduler()

        let missing = await #expect(throws: OrchestratorError.self) {
            try await scheduler.create(NewSchedule(workflowName: "nope", cronExpression: "* * * * *"))
        }
        #expect(missing?.code == .workflowNotFound)
        let badName = await #expect(throws: OrchestratorError.self) {
            try await scheduler.create(NewSchedule(workflowName: "../etc", cronExpression: "* * * * *"))
        }
        #expect(badName?.code == .invalidName)

        let cases: [(String, String?, CronError.Code, CronField?)] = [
            ("0 0 * * 8", nil, .outOfRange, .dayOfWeek),
            ("61 * * * *", nil, .outOfRange, .minute),
            ("* * * *", nil, .wrongFieldCount, nil),
            ("0 0 * * * 2030", nil, .wrongFieldCount, nil),
            ("", nil, .empty, nil),
            ("@reboot", nil, .unknownName, nil),
            ("0 0 30 2 *", nil, .outOfRange, .dayOfMonth),
            ("0 9 * * *", "Mars/Olympus", .unknownTimeZone, nil),
            ("0 9 * * *", "GMT+5", .unknownTimeZone, nil),
        ]
        for (expression, zone, code, field) in cases {
            let error = await #expect(throws: CronError.self, "\(expression) in \(zone ?? "UTC")") {
                try await scheduler.create(NewSchedule(workflowName: "hello", cronExpression: expression, timeZone: zone))
            }
            #expect(error?.code == code, "\(expression): \(String(describing: error))")
            #expect(error?.field == field, "\(expression): \(String(describing: error))")
        }

        let inputs = await #expect(throws: OrchestratorError.self) {
            try await scheduler.create(NewSchedule(workflowName: "check", cronExpression: "@daily", inputs: ["okay": "yes"]))
        }
        #expect(inputs?.code == .invalidInput)
        #expect(inputs?.details.joined().contains("okay") == true, "\(String(describing: inputs))")
        #expect(try harness.repository.countSchedules() == 0, "nothing refused was stored")

        let named = try await scheduler.create(
            NewSchedule(workflowName: "hello", cronExpression: "@hourly", timeZone: "Australia/Lord_Howe", catchUp: .skip))
        #expect(named.description == "Every hour")
        #expect(named.catchUp == .skip)
        #expect(named.record.timeZone == "Australia/Lord_Howe")
        #expect(named.nextRunAt == t0 + 3600)
        harness.clock.advance(by: 1)
        let defaulted = try await scheduler.create(NewSchedule(workflowName: "hello", cronExpression: "30 9 * * MON-FRI"))
        #expect(defaulted.catchUp == .once, "the server's setting")
        #expect(defaulted.record.timeZone == "UTC")
        #expect(defaulted.description == "At 09:30 on Monday through Friday")
        // 2030-01-01 is a Tuesday.
        #expect(defaulted.nextRunAt == t0 + 9 * 3600 + 1800)
        let page = try await scheduler.list(limit: 1, offset: 0)
        #expect(page.total == 2)
        #expect(page.items.map(\.record.id) == [defaulted.record.id], "newest first")
        #expect(try await scheduler.list(limit: 10, offset: 1).items.map(\.record.id) == [named.record.id])
        try await harness.finish()
    }

    @Test func aRefusedChangeChangesNothing() async throws {
        let harness = try await SchedulerHarness(workflows: ["check": SchedulerHarness.check])
        let scheduler = harness.scheduler()
        let created = try await scheduler.create(NewSchedule(workflowName: "check", cronExpression: "*/10 * * * *", inputs: ["ok": "yes"]))
        let id = created.record.id

        let cron = await #expect(throws: CronError.self) {
            try await scheduler.update(id: id, ScheduleChanges(enabled: false, cronExpression: "*/0 * * * *"))
        }
        #expect(cron?.field == .minute)
        #expect(cron?.code == .invalidStep)
        let zone = await #expect(throws: CronError.self) {
            try await scheduler.update(id: id, ScheduleChanges(timeZone: "europe/berlin"))
        }
        #expect(zone?.message.contains("did you mean Europe/Berlin?") == true)
        let inputs = await #expect(throws: OrchestratorError.self) {
            try await scheduler.update(id: id, ScheduleChanges(inputs: ["ok": .array([])]))
        }
        #expect(inputs?.code == .invalidInput)
        let unchanged = try await scheduler.schedule(id: id)
        #expect(unchanged.record == created.record)

        let missing = "00000000-0000-0000-0000-000000000000"
        let read = await #expect(throws: OrchestratorError.self) { try await scheduler.schedule(id: missing) }
        let changed = await #expect(throws: OrchestratorError.self) { try await scheduler.update(id: missing, ScheduleChanges(enabled: true)) }
        let deleted = await #expect(throws: OrchestratorError.self) { try await scheduler.delete(id: missing) }
        let triggered = await #expect(throws: OrchestratorError.self) { try await scheduler.trigger(id: missing) }
        #expect([read, changed, deleted, triggered].map { $0?.code } == Array(repeating: .scheduleNotFound, count: 4))

        _ = try await scheduler.update(id: id, ScheduleChanges(enabled: false))
        let disabled = await #expect(throws: OrchestratorError.self) { try await scheduler.trigger(id: id) }
        #expect(disabled?.code == .scheduleDisabled)
        #expect(try harness.runs().isEmpty)
        try await scheduler.delete(id: id)
        #expect(try harness.repository.countSchedules() == 0)
        try await harness.finish()
    }
}

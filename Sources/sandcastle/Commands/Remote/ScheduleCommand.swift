import ArgumentParser
import Foundation
import JSONValues
import SandcastleClient

/// `sandcastle schedule list|show|create|update|delete|trigger|enable|disable`: a server's
/// schedules (`/api/schedules`); each slot of a schedule starts one run of its workflow there.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Manage a server's schedules: cron expressions that start workflow runs.",
        discussion: """
            Works on the server named by --url (or SANDCASTLE_URL), with --api-key (or \
            SANDCASTLE_API_KEY). A cron expression has five fields (minute hour day month \
            weekday) or is one of @hourly, @daily, @weekly, @monthly, @yearly; it is read in \
            --timezone (default UTC). Slots missed while the server was down fire once at its \
            start (--catch-up once) or not at all (--catch-up skip).

            Examples:
              export SANDCASTLE_URL=http://127.0.0.1:8080
              sandcastle schedule create nightly-report "30 2 * * *" --timezone Europe/Berlin -i env=prod
              sandcastle schedule list
              sandcastle schedule disable 6f1c…
              sandcastle schedule trigger 6f1c… --follow
            """,
        subcommands: [
            ScheduleList.self, ScheduleShow.self, ScheduleCreate.self, ScheduleUpdate.self, ScheduleDelete.self, ScheduleTrigger.self,
            ScheduleEnable.self, ScheduleDisable.self,
        ])

    /// A schedule as the lines `show`, `create` and `update` print.
    static func detail(_ schedule: RemoteSchedule) -> [String] {
        var lines = ["schedule \(schedule.id): workflow `\(schedule.workflowName)` — \(schedule.status ?? (schedule.enabled ? "active" : "paused"))"]
        lines.append(
            "  cron:      \(schedule.cronExpression)" + (schedule.timezone.map { " (\($0))" } ?? "")
                + (schedule.description.map { " — \($0)" } ?? ""))
        lines.append("  enabled:   \(schedule.enabled ? "yes" : "no")")
        if let inputs = schedule.inputData, inputs != .object([:]), inputs != .null { lines.append("  inputs:    \(inputs.jsonText)") }
        if let next = schedule.nextRunAt { lines.append("  next run:  \(RunsFormat.timestamp(next))") }
        if let last = schedule.lastRunID {
            lines.append(
                "  last run:  \(last)" + (schedule.lastRunStatus.map { " \(RemoteRunsFormat.localStatus($0))" } ?? "")
                    + (schedule.lastRunAt.map { " at \(RunsFormat.timestamp($0))" } ?? ""))
        }
        if let rate = schedule.successRate { lines.append("  success:   \(Int((rate * 100).rounded())) %") }
        if let catchUp = schedule.catchUp { lines.append("  catch-up:  \(catchUp)") }
        if let created = schedule.createdAt { lines.append("  created:   \(RunsFormat.timestamp(created))") }
        return lines
    }

    /// `--catch-up`'s two values.
    static func validateCatchUp(_ value: String?) throws {
        if let value, !["once", "skip"].contains(value) { throw ValidationError("--catch-up is once or skip, not '\(value)'") }
    }
}

struct ScheduleList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the server's schedules.", aliases: ["ls"])

    @OptionGroup var server: ServerOptions

    @Option(name: .long, help: "At most this many (1–200).")
    var limit = 50

    @Flag(name: .long, help: "Print the server's answer as JSON.")
    var json = false

    func run() async throws {
        let client = try server.requireClient("schedule list")
        let limit = min(max(1, self.limit), 200)
        if json {
            let answer = try await Remote.orExit { try await client.call(.get, "/schedules", query: [("limit", String(limit))]) }
            Console.print(answer.data.jsonText)
            return
        }
        let page = try await Remote.orExit { try await client.schedules(limit: limit) }
        guard !page.items.isEmpty else {
            Console.print("no schedules on \(client.server.url)")
            return
        }
        let rows = page.items.map { schedule in
            [
                schedule.id, schedule.workflowName, schedule.cronExpression, schedule.timezone ?? "UTC",
                schedule.status ?? (schedule.enabled ? "active" : "paused"), schedule.nextRunAt.map(RunsFormat.timestamp) ?? "-",
                schedule.lastRunStatus.map(RemoteRunsFormat.localStatus) ?? "-",
            ]
        }
        for line in RunsFormat.columns([["ID", "WORKFLOW", "CRON", "TIMEZONE", "STATUS", "NEXT RUN", "LAST RUN"]] + rows) { Console.print(line) }
        if page.total > page.items.count { Console.print("(\(page.items.count) of \(page.total); --limit shows more)") }
    }
}

struct ScheduleShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one schedule.")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The schedule's id.")
    var id: String

    @Flag(name: .long, help: "Print the server's answer as JSON.")
    var json = false

    func run() async throws {
        let client = try server.requireClient("schedule show")
        if json {
            let answer = try await Remote.orExit { try await client.call(.get, "/schedules/\(SandcastleAPIClient.segment(id))") }
            Console.print(answer.data.jsonText)
            return
        }
        let schedule = try await Remote.orExit { try await client.schedule(id: id) }
        for line in ScheduleCommand.detail(schedule) { Console.print(line) }
    }
}

struct ScheduleCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a schedule for a workflow the server has.",
        discussion: "Example: sandcastle schedule create hello \"*/15 * * * *\" -i who=cron --timezone Asia/Kolkata")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The workflow's name on the server.")
    var workflow: String

    @Argument(help: "Five cron fields (quote them) or @hourly, @daily, @weekly, @monthly, @yearly.")
    var cron: String

    @Option(name: .long, help: "The time zone the expression is read in (default UTC), e.g. Europe/Berlin.")
    var timezone: String?

    @Option(name: [.customShort("i"), .customLong("input")], help: "An input value KEY=VALUE for every run (repeatable).")
    var inputs: [String] = []

    @Flag(name: .long, help: "Create it paused (`schedule enable` starts it).")
    var disabled = false

    @Option(name: .customLong("catch-up"), help: "Slots missed while the server was down: once (fire one at start) or skip.")
    var catchUp: String?

    func validate() throws { try ScheduleCommand.validateCatchUp(catchUp) }

    func run() async throws {
        let client = try server.requireClient("schedule create")
        let schedule = NewRemoteSchedule(
            workflowName: workflow, cronExpression: cron, timezone: timezone, inputData: try Remote.assignments(inputs, flag: "--input"),
            enabled: !disabled, catchUp: catchUp)
        let created = try await Remote.orExit { try await client.createSchedule(schedule) }
        for line in ScheduleCommand.detail(created) { Console.print(line) }
    }
}

struct ScheduleUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change a schedule's expression, time zone, inputs or catch-up.",
        discussion: "Example: sandcastle schedule update 6f1c… --cron \"0 */2 * * *\" -i env=staging")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The schedule's id.")
    var id: String

    @Option(name: .long, help: "A new cron expression.")
    var cron: String?

    @Option(name: .long, help: "A new time zone.")
    var timezone: String?

    @Option(name: [.customShort("i"), .customLong("input")], help: "The inputs (repeatable): they replace all of the schedule's inputs.")
    var inputs: [String] = []

    @Option(name: .customLong("catch-up"), help: "once or skip.")
    var catchUp: String?

    func validate() throws { try ScheduleCommand.validateCatchUp(catchUp) }

    func run() async throws {
        let client = try server.requireClient("schedule update")
        let changes = RemoteScheduleChanges(
            cronExpression: cron, timezone: timezone, inputData: inputs.isEmpty ? nil : try Remote.assignments(inputs, flag: "--input"),
            catchUp: catchUp)
        if changes.isEmpty { throw ValidationError("give something to change: --cron, --timezone, --input or --catch-up") }
        let updated = try await Remote.orExit { try await client.updateSchedule(id: id, changes) }
        for line in ScheduleCommand.detail(updated) { Console.print(line) }
    }
}

struct ScheduleDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a schedule (its runs stay).", aliases: ["rm"])

    @OptionGroup var server: ServerOptions

    @Argument(help: "The schedule's id.")
    var id: String

    func run() async throws {
        let client = try server.requireClient("schedule delete")
        try await Remote.orExit { try await client.deleteSchedule(id: id) }
        Console.print("schedule \(id) deleted")
    }
}

struct ScheduleTrigger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger", abstract: "Start a run of the schedule's workflow now, outside its slots.")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The schedule's id.")
    var id: String

    @Flag(name: [.customShort("f"), .long], help: "Print the run's steps until it ends; exit as `runs submit --follow` does.")
    var follow = false

    func run() async throws {
        let client = try server.requireClient("schedule trigger")
        let submitted = try await Remote.orExit { try await client.triggerSchedule(id: id) }
        Console.print("run \(submitted.runID): queued on \(client.server.url) by schedule \(id)")
        if follow { try await RemoteRunDriver.drive(client, runID: submitted.runID, after: 0) }
    }
}

struct ScheduleEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Start (or restart) a paused schedule.")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The schedule's id.")
    var id: String

    func run() async throws {
        let client = try server.requireClient("schedule enable")
        let schedule = try await Remote.orExit { try await client.updateSchedule(id: id, RemoteScheduleChanges(enabled: true)) }
        Console.print("schedule \(id) enabled" + (schedule.nextRunAt.map { "; next run \(RunsFormat.timestamp($0))" } ?? ""))
    }
}

struct ScheduleDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Pause a schedule: no slot fires until it is enabled.")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The schedule's id.")
    var id: String

    func run() async throws {
        let client = try server.requireClient("schedule disable")
        _ = try await Remote.orExit { try await client.updateSchedule(id: id, RemoteScheduleChanges(enabled: false)) }
        Console.print("schedule \(id) disabled")
    }
}

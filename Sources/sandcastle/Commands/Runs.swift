import ArgumentParser
import DockerEngine
import Engine
import Foundation
import Sandbox
import SandboxDocker
import Store
import Workflow

/// `sandcastle runs ls|show|logs|cancel|resume|approve|reject|replay|fork`: inspect and steer the runs recorded in the data dir.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, inspect, follow, cancel, resume, approve, replay and fork recorded workflow runs.",
        subcommands: [RunsList.self, RunsShow.self, RunsLogs.self, RunsCancel.self, RunsResume.self,
                      RunsApprove.self, RunsReject.self, RunsReplay.self, RunsFork.self])
}

/// The `--data-dir` option shared by the `runs` subcommands.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Where state lives (default: $SANDCASTLE_DATA_DIR, else ./data).")
    var dataDirectory: String?

    var directory: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["SANDCASTLE_DATA_DIR"] ?? "./data"
    }

    var databasePath: String { (directory as NSString).appendingPathComponent("sandcastle.sqlite") }

    /// Opens the existing state database; a missing one is an error rather than a new empty file,
    /// so a mistyped `--data-dir` does not look like "no runs".
    func openRepository() throws -> SQLiteRunRepository {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            Console.error("sandcastle: no state database at \(databasePath) (set --data-dir or SANDCASTLE_DATA_DIR)")
            throw ExitCode(1)
        }
        do {
            return try SQLiteRunRepository(path: databasePath)
        } catch {
            Console.error("sandcastle: cannot open \(databasePath): \(error)")
            throw ExitCode(1)
        }
    }

    /// The run with `id`, or a clear error and exit code 1.
    func requireRun(_ id: String, in repository: any RunRepository) throws -> RunDetail {
        let detail: RunDetail?
        do {
            detail = try repository.run(id: id)
        } catch {
            Console.error("sandcastle: cannot read run \(id): \(error)")
            throw ExitCode(1)
        }
        guard let detail else {
            Console.error("sandcastle: no run \(id) in \(databasePath)")
            throw ExitCode(1)
        }
        return detail
    }
}

/// `sandcastle runs ls [--status S] [--limit N]`
struct RunsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List runs, newest first.")

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: .long, help: "Only runs with this status (repeatable): pending, running, waiting_approval, completed, failed, cancelled.")
    var status: [String] = []

    @Option(name: .long, help: "At most this many runs.")
    var limit = 20

    func run() async throws {
        let repository = try options.openRepository()
        let statuses = status.isEmpty ? nil : Set(status.map { RunStatus(rawValue: $0.lowercased()) })
        let runs: [RunRecord]
        do {
            runs = try repository.listRuns(RunQuery(statuses: statuses, limit: max(0, limit)))
        } catch {
            Console.error("sandcastle: cannot list runs: \(error)")
            throw ExitCode(1)
        }
        if runs.isEmpty {
            Console.print("no runs in \(options.databasePath)")
            return
        }
        for line in RunsFormat.table(runs, now: Date()) { Console.print(line) }
    }
}

/// `sandcastle runs show ID`
struct RunsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a run and each of its steps.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    func run() async throws {
        let repository = try options.openRepository()
        let detail = try options.requireRun(id, in: repository)
        let attempts: [String: [StepAttemptRecord]] = Dictionary(uniqueKeysWithValues: detail.steps.map { step in
            let key = RunsFormat.stepLabel(step.stepID, step.fanoutIndex)
            return (key, (try? repository.attempts(runID: id, stepID: step.stepID, fanoutIndex: step.fanoutIndex)) ?? [])
        })
        let approvals = (try? repository.approvals(runID: id, statuses: nil)) ?? []
        let files = RunFiles(dataDirectory: options.directory)
        for line in RunsFormat.detail(detail, attempts: attempts, approvals: approvals, now: Date()) { Console.print(line) }
        // Runs that came from this one: sub-workflow runs of its steps, replays and forks of it.
        let derived = ((try? repository.listRuns(RunQuery(limit: 10_000))) ?? []).filter { $0.parentRunID == id }.reversed()
        if !derived.isEmpty {
            Console.print("derived runs:")
            for run in derived {
                Console.print("  \(run.id)  \(run.lineageKind ?? "child") of step `\(run.forkedFromStep ?? "?")`  \(run.status)")
            }
        }
        let artifacts = files.artifacts(id)
        if !artifacts.isEmpty {
            Console.print("artifacts (in \(files.artifactsDirectory(id))):")
            for artifact in artifacts { Console.print("  \(artifact.path)  \(artifact.size) bytes") }
        }
    }
}

/// `sandcastle runs logs ID [--follow]`
struct RunsLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a run's recorded events in order; --follow waits for new ones.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Flag(name: [.customShort("f"), .long], help: "Keep printing new events until the run ends.")
    var follow = false

    func run() async throws {
        let repository = try options.openRepository()
        _ = try options.requireRun(id, in: repository)
        var lastSeq: Int64 = 0
        while true {
            let events: [EventRecord]
            do {
                events = try repository.events(runID: id, afterSeq: lastSeq, limit: 500)
            } catch {
                Console.error("sandcastle: cannot read the events of run \(id): \(error)")
                throw ExitCode(1)
            }
            for event in events { Console.print(RunsFormat.eventLine(event)) }
            lastSeq = events.last?.seq ?? lastSeq
            // A full page means more are waiting: read on before sleeping.
            if events.count == 500 { continue }
            guard follow else { return }
            // Read the status after the events: a run that ended has written its last event by then.
            let status = (try? repository.run(id: id))??.run.status
            if status?.isTerminal ?? true {
                let rest = (try? repository.events(runID: id, afterSeq: lastSeq, limit: Int.max)) ?? []
                for event in rest { Console.print(RunsFormat.eventLine(event)) }
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// `sandcastle runs cancel ID`
struct RunsCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Mark an unfinished run cancelled and remove its sandboxes and workspace.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    func run() async throws {
        let repository = try options.openRepository()
        let detail = try options.requireRun(id, in: repository)
        guard !detail.run.status.isTerminal else {
            Console.error("sandcastle: run \(id) is already \(detail.run.status)")
            throw ExitCode(1)
        }
        try await Self.cancel(detail, repository: repository)
    }

    /// Cancels a run and, first, its unfinished sub-workflow runs (their sandboxes carry their own run id).
    static func cancel(_ detail: RunDetail, repository: SQLiteRunRepository) async throws {
        let id = detail.run.id
        let children = ((try? repository.listRuns(RunQuery(statuses: WorkflowEngine.resumableStatuses, limit: 10_000))) ?? [])
            .filter { $0.parentRunID == id && $0.lineageKind == "sub_workflow" }
        for child in children {
            if let childDetail = try? repository.run(id: child.id) { try await cancel(childDetail, repository: repository) }
        }
        do {
            // Recorded first: an engine still running the run sees it, and a crash here leaves nothing to resume.
            for step in detail.steps where !step.status.isTerminal {
                var cancelled = step
                cancelled.status = .cancelled
                cancelled.finishedAt = Date()
                try repository.upsertStep(cancelled)
            }
            try repository.appendEvent(runID: id, kind: "run_cancel_requested", payloadJSON: "{}")
            try repository.updateRunStatus(id: id, to: .cancelled, at: Date(), error: "cancelled by `sandcastle runs cancel`")
            for approval in try repository.approvals(runID: id, statuses: [.pending]) {
                _ = try repository.decideApproval(runID: id, stepID: approval.stepID, status: .cancelled, decidedBy: nil,
                                                  comment: "the run was cancelled", responseJSON: nil, at: Date())
            }
        } catch {
            Console.error("sandcastle: cannot record the cancellation of run \(id): \(error)")
            throw ExitCode(1)
        }
        let removed: Int?
        do {
            let backend = try await DockerSandboxBackend.fromEnvironment()
            let routing = try RunDriver.SharedRouting(docker: backend, environment: ProcessInfo.processInfo.environment)
            removed = await RunSandboxes.remove(runID: id, router: routing.router, includingWorkspace: true)
        } catch {
            Console.error("sandcastle: Docker is not reachable, sandboxes of run \(id) were not removed: \(error)")
            removed = nil
        }
        Console.print("run \(id) cancelled" + (removed.map { "; removed \($0) sandbox\($0 == 1 ? "" : "es")" } ?? ""))
    }
}

/// `sandcastle runs resume ID`
struct RunsResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an unfinished run (e.g. after the process was killed) from its checkpoints.",
        discussion: """
            Completed steps are not run again; interrupted ones are retried. Leftover sandboxes of \
            the run are removed first. Refuses when the workflow file changed since the run started.
            """)

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String?

    @Flag(name: .customLong("no-wait"), help: "Do not wait at approval gates: exit with status 3 if the run pauses again.")
    var noWait = false

    @Flag(name: .long, help: "Resume even though the process recorded as running it is alive.")
    var force = false

    @Flag(name: .long, help: "Resume every unfinished run no live process executes, one after another (gates: as --no-wait).")
    var all = false

    func validate() throws {
        if all == (id != nil) { throw ValidationError("give a run id or --all") }
        if all && force { throw ValidationError("--force only applies to one run") }
    }

    func run() async throws {
        let repository = try options.openRepository()
        guard let id else {
            try await resumeAll(repository)
            return
        }
        let detail = try options.requireRun(id, in: repository)
        guard WorkflowEngine.resumableStatuses.contains(detail.run.status) else {
            Console.error("sandcastle: run \(id) is \(detail.run.status); only pending, running or waiting_approval runs can be resumed")
            throw ExitCode(1)
        }
        if let owner = detail.run.owner, ProcessOwner.isAlive(owner), !force {
            // Two processes executing one run would run its steps twice and remove each other's sandboxes.
            Console.error("sandcastle: run \(id) is being executed by process \(ProcessOwner.pid(of: owner).map(String.init) ?? owner) "
                          + "(e.g. a --detach run); follow it with `sandcastle runs logs --follow \(id)`, stop it with "
                          + "`sandcastle runs cancel \(id)`, or pass --force if that process does not run it any more")
            throw ExitCode(1)
        }
        let (workflow, path) = try RunDriver.recordedWorkflow(of: detail.run)
        let backend = try await RunDriver.dockerBackend()
        let engine = try RunDriver.makeEngine(backend: backend, repository: repository,
                                          environment: ProcessInfo.processInfo.environment,
                                          dataDirectory: options.directory, steps: workflow.steps.map(\.id),
                                              waitForApprovals: !noWait)
        // The dead process's sandboxes would hold slots and could still write to the workspace.
        _ = await RunSandboxes.remove(runID: id, router: engine.router, includingWorkspace: false)
        Console.print("resuming run \(id): workflow `\(workflow.name)` from \(path)")
        try await RunDriver.drive(runID: id, dataDirectory: options.directory) {
            try await engine.resume(runID: id, workflow: workflow)
        }
    }

    /// `--all`: every orphaned run in turn; exits 0 when each completed or paused at a gate.
    private func resumeAll(_ repository: SQLiteRunRepository) async throws {
        let runs: [RunRecord]
        do {
            runs = try WorkflowEngine.orphanedRuns(in: repository)
        } catch {
            Console.error("sandcastle: cannot list the unfinished runs: \(error)")
            throw ExitCode(1)
        }
        guard !runs.isEmpty else {
            Console.print("no unfinished runs to resume in \(options.databasePath)")
            return
        }
        let backend = try await RunDriver.dockerBackend()
        let summary = try await RunDriver.resume(runs, backend: backend, repository: repository,
                                                 dataDirectory: options.directory) { Console.print($0) }
        for (id, outcome) in summary { Console.print("run \(id) \(outcome)") }
        let ok = summary.allSatisfy { $0.1 == RunStatus.completed.rawValue || $0.1 == RunStatus.waitingApproval.rawValue }
        if !ok { throw ExitCode(1) }
    }
}

/// `sandcastle runs approve RUN [STEP] [--comment C] [--by NAME] [--data JSON]`
struct RunsApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a run's approval gate; the run goes on.",
        discussion: """
            The decision is recorded in the state database. A `sandcastle run` (or `runs resume`) waiting \
            on the gate picks it up within a second; a run paused with --no-wait continues with \
            `sandcastle runs resume RUN`.
            """)

    @OptionGroup var decision: ApprovalDecisionOptions

    @Option(name: .long, help: "Replace the shown data with this JSON (only for steps with allow_edit: true).")
    var data: String?

    func run() async throws {
        var edited: JSONValue?
        if let data {
            guard let parsed = JSONValue.parse(json: data) else {
                Console.error("sandcastle: --data is not valid JSON: \(data)")
                throw ExitCode(1)
            }
            edited = parsed
        }
        try decision.record(.approve(data: edited), verb: "approved")
    }
}

/// `sandcastle runs reject RUN [STEP] [--comment C] [--by NAME]`
struct RunsReject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a run's approval gate; the step fails (and by default the run).")

    @OptionGroup var decision: ApprovalDecisionOptions

    func run() async throws {
        try decision.record(.reject, verb: "rejected")
    }
}

/// What `runs approve` and `runs reject` share.
struct ApprovalDecisionOptions: ParsableArguments {
    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Argument(help: "The approval step (default: the run's only pending approval).")
    var step: String?

    @Option(name: .long, help: "A comment kept with the decision.")
    var comment: String?

    @Option(name: .long, help: "Who decides (default: $USER).")
    var by: String?

    func record(_ decision: ApprovalDecision, verb: String) throws {
        let repository = try options.openRepository()
        let who = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
        let approval: ApprovalRecord
        do {
            approval = try Approvals.decide(decision, runID: id, stepID: step, by: who, comment: comment,
                                            repository: repository)
        } catch let error as EngineError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
        Console.print("\(verb) step `\(approval.stepID)` of run \(id)" + (comment.map { " (\($0))" } ?? ""))
        let status = (try? repository.run(id: id))??.run.status
        if status == .waitingApproval || status == .running {
            let flag = LineLog.dataDirectoryFlag(options.directory)
            Console.print("a `sandcastle run` waiting on it continues now; if none is (run with --no-wait, or stopped), "
                          + "continue with `sandcastle runs resume\(flag) \(id)`")
        }
    }
}

/// `sandcastle runs replay RUN --from STEP`
struct RunsReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Start a new run that re-runs STEP and everything after it, reusing RUN's results for the rest.",
        discussion: """
            Steps upstream of STEP (and finished steps on other branches) are not run again: their \
            recorded outputs feed the new run. The new run records RUN as its parent. It gets its own, \
            empty workspace. Refuses when the workflow file changed since RUN.
            """)

    @OptionGroup var lineage: LineageOptions

    func run() async throws {
        try await lineage.start(changes: nil)
    }
}

/// `sandcastle runs fork RUN --from STEP [--set-run CMD] [--image I] [--env K=V …] [--timeout T]`
struct RunsFork: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Like replay, with changes to STEP: its command, image, environment or timeout.")

    @OptionGroup var lineage: LineageOptions

    @Option(name: .customLong("set-run"), help: "A new command for STEP (templates allowed, as in `run:`).")
    var command: String?

    @Option(name: .long, help: "A new image for STEP.")
    var image: String?

    @Option(name: [.customShort("e"), .long], help: "An environment variable KEY=VALUE for STEP (repeatable).")
    var env: [String] = []

    @Option(name: .long, help: "A new time limit for STEP (90, 30s, 5m, …).")
    var timeout: String?

    func run() async throws {
        var changes = ForkChanges(command: command, image: image)
        for entry in env {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--env expects KEY=VALUE, got '\(entry)'")
            }
            changes.environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        if let timeout {
            guard let duration = DurationParser.parse(timeout), duration > .zero else {
                throw ValidationError("--timeout: '\(timeout)' is not a duration (90, 30s, 5m, 1h30m)")
            }
            changes.timeout = duration
        }
        guard !changes.isEmpty else {
            throw ValidationError("give at least one change (--set-run, --image, --env, --timeout), or use `runs replay`")
        }
        try await lineage.start(changes: changes)
    }
}

/// What `runs replay` and `runs fork` share.
struct LineageOptions: ParsableArguments {
    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The parent run id.")
    var id: String

    @Option(name: .long, help: "The step to start again from.")
    var from: String

    @Flag(name: .customLong("no-wait"), help: "Do not wait at approval gates: exit with status 3 if the run pauses.")
    var noWait = false

    func start(changes: ForkChanges?) async throws {
        let repository = try options.openRepository()
        let parent = try options.requireRun(id, in: repository)
        let (workflow, _) = try RunDriver.recordedWorkflow(of: parent.run)
        let backend = try await RunDriver.dockerBackend()
        let engine = try RunDriver.makeEngine(backend: backend, repository: repository,
                                          environment: ProcessInfo.processInfo.environment,
                                          dataDirectory: options.directory, steps: workflow.steps.map(\.id),
                                              waitForApprovals: !noWait)
        let runID = WorkflowEngine.makeRunID()
        let verb = changes == nil ? "replay" : "fork"
        Console.print("run \(runID): \(verb) of run \(id) from step `\(from)`"
                      + (changes.map { " with \($0.json.jsonText)" } ?? ""))
        let parentID = id
        let step = from
        let finalWorkflow = workflow
        try await RunDriver.drive(runID: runID, dataDirectory: options.directory) {
            try await engine.replay(parentRunID: parentID, fromStep: step, workflow: finalWorkflow, changes: changes, runID: runID)
        }
    }
}

/// Removes a run's leftovers through the engine's router, saying on stderr what could not be removed.
enum RunSandboxes {
    /// - Returns: how many sandboxes were removed.
    static func remove(runID: String, router: BackendRouter, includingWorkspace: Bool) async -> Int {
        let cleanup = await router.removeResources(ofRun: runID, includingWorkspace: includingWorkspace)
        for problem in cleanup.problems { Console.error("sandcastle: \(problem)") }
        return cleanup.removedSandboxes
    }
}

/// Turns stored records into the lines `runs` prints; pure, so the formats are easy to check.
enum RunsFormat {
    static func stepLabel(_ step: String, _ index: Int?) -> String { index.map { "\(step)[\($0)]" } ?? step }

    /// "1.23s", "2m03s", "1h02m"; "-" when unknown.
    static func duration(from start: Date?, to end: Date?) -> String {
        guard let start, let end else { return "-" }
        let seconds = max(0, end.timeIntervalSince(start))
        if seconds < 60 { return String(format: "%.2fs", seconds) }
        let whole = Int(seconds)
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// The `runs ls` table: id, workflow, status, created, duration (running runs count up to `now`).
    static func table(_ runs: [RunRecord], now: Date) -> [String] {
        let header = ["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION"]
        let rows = runs.map { run in
            [run.id, run.workflowName, run.status.rawValue, timestamp(run.createdAt),
             duration(from: run.startedAt, to: run.finishedAt ?? (run.status.isTerminal ? nil : now))]
        }
        return columns([header] + rows)
    }

    /// Left-aligned columns separated by two spaces.
    static func columns(_ rows: [[String]]) -> [String] {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// `runs show`: the run, its lineage, then one block per step (or fan-out item).
    static func detail(_ detail: RunDetail, attempts: [String: [StepAttemptRecord]], approvals: [ApprovalRecord] = [],
                       now: Date) -> [String] {
        let run = detail.run
        var lines = ["run \(run.id): workflow `\(run.workflowName)` — \(run.status)"]
        if let path = run.workflowPath { lines.append("  file:      \(path)") }
        lines.append("  created:   \(timestamp(run.createdAt))")
        if let started = run.startedAt { lines.append("  started:   \(timestamp(started))") }
        if let finished = run.finishedAt { lines.append("  finished:  \(timestamp(finished))") }
        lines.append("  duration:  \(duration(from: run.startedAt, to: run.finishedAt ?? (run.status.isTerminal ? nil : now)))")
        if run.inputsJSON != "{}" { lines.append("  inputs:    \(run.inputsJSON)") }
        if let parent = run.parentRunID {
            lines.append("  parent:    \(parent)" + (run.forkedFromStep.map { " (\(run.lineageKind ?? "fork") from step `\($0)`)" } ?? ""))
            if let changes = run.forkChangesJSON { lines.append("  changes:   \(changes)") }
        }
        if let error = run.error { lines.append("  error:     \(error)") }
        lines.append("steps:")
        for step in detail.steps {
            let label = stepLabel(step.stepID, step.fanoutIndex)
            // The step's final row does not keep the start time or exit code; its attempts do.
            let tries = attempts[label] ?? []
            var parts = [step.status.rawValue]
            parts.append("attempts \(tries.isEmpty ? step.attempt : tries.count)")
            if let code = step.exitCode ?? tries.last?.exitCode { parts.append("exit \(code)") }
            let start = step.startedAt ?? tries.first?.startedAt
            let end = step.status.isTerminal ? (step.finishedAt ?? tries.last?.finishedAt) : now
            parts.append(duration(from: start, to: end))
            if let backend = step.backend ?? tries.last?.backend { parts.append("on \(backend)") }
            lines.append("  \(label): " + parts.joined(separator: ", "))
            // A retry that failed over ran elsewhere: say where each attempt ran.
            if Set(tries.compactMap(\.backend)).count > 1 {
                lines.append("      backends: " + tries.map { "#\($0.attempt) \($0.backend ?? "?")" }.joined(separator: ", "))
            }
            if let error = step.error { lines.append("      error:  \(error)") }
            if let output = outputSummary(step) { lines.append("      output: \(output)") }
        }
        if !approvals.isEmpty { lines.append("approvals:") }
        for approval in approvals {
            var line = "  \(approval.stepID): \(approval.status)"
            if let by = approval.decidedBy { line += " by \(by)" }
            if let decided = approval.decidedAt { line += " at \(timestamp(decided))" }
            if approval.status == .pending, let deadline = approval.timeoutAt {
                line += ", times out at \(timestamp(deadline)) (on_timeout: \(approval.onTimeout ?? "abort"))"
            }
            lines.append(line)
            if let message = approval.message { lines.append("      asks:    \(message)") }
            if let data = approval.requestJSON { lines.append("      data:    \(data)") }
            if let comment = approval.comment { lines.append("      comment: \(comment)") }
        }
        return lines
    }

    /// A step's output on one line, cut to `limit` characters.
    static func outputSummary(_ step: StepRecord, limit: Int = 120) -> String? {
        let text: String
        if let path = step.outputPath {
            // Too large for the database: its head is inline, the whole of it in the file.
            let head = (step.outputText ?? "").replacingOccurrences(of: "\n", with: "\\n")
            return String(head.prefix(limit)) + "… (in full: \(path))"
        } else if let json = step.outputJSON {
            text = json
        } else if let plain = step.outputText {
            text = plain.debugDescription
        } else {
            return nil
        }
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }

    /// One event as a log line: time, kind and its main fields.
    static func eventLine(_ event: EventRecord) -> String {
        let time = timestamp(event.time)
        guard case .object(let payload)? = JSONValue.parse(json: event.payloadJSON) else {
            return "\(time)  \(event.kind) \(event.payloadJSON)"
        }
        func text(_ key: String) -> String? {
            switch payload[key] {
            case .string(let value)?: value
            case .integer(let value)?: String(value)
            case nil, .null?: nil
            case let other?: other.jsonText
            }
        }
        let index: Int? = if case .integer(let value)? = payload["index"] { value } else { nil }
        let step = text("step").map { stepLabel($0, index) } ?? "?"
        let error = text("error").map { ": \($0)" } ?? ""
        var line: String
        switch event.kind {
        case "run_started":
            line = "run started (workflow `\(text("workflow") ?? "?")`)"
            if let parent = text("parent_run") {
                line += ", from step `\(text("from_step") ?? "?")` of run \(parent)" + (text("changes").map { " with \($0)" } ?? "")
            }
        case "run_resumed":
            line = "run resumed (workflow `\(text("workflow") ?? "?")`)"
        case "run_finished":
            line = "run \(text("status") ?? "finished")\(error)"
        case "step_started":
            let attempt = text("attempt").flatMap(Int.init) ?? 1
            line = "▶ \(step) started" + (attempt > 1 ? " (attempt \(attempt))" : "")
        case "attempt_finished":
            line = "  \(step) attempt \(text("attempt") ?? "?") \(text("status") ?? "finished")\(error)"
        case "retry_scheduled":
            line = "↻ \(step) retry after attempt \(text("attempt") ?? "?") in \(text("delay_ms") ?? "?") ms"
        case "step_finished":
            let ms = text("duration_ms").map { " in \($0) ms" } ?? ""
            line = "\(symbol(text("status"))) \(step) \(text("status") ?? "finished")\(ms)\(error)"
            if let reason = text("reason"), text("error") == nil { line += " (\(reason))" }
        case "artifacts_collected":
            let files: [String] = if case .array(let list)? = payload["files"] {
                list.compactMap { if case .string(let name) = $0 { name } else { nil } }
            } else { [] }
            line = "  \(step) kept \(files.count) artifact\(files.count == 1 ? "" : "s") (\(text("bytes") ?? "?") bytes)"
                + (files.isEmpty ? "" : ": " + files.prefix(5).joined(separator: ", ") + (files.count > 5 ? ", …" : ""))
                + (text("problem").map { "; \($0)" } ?? "")
        case "step_reused":
            line = "↺ \(step) reused from run \(text("from_run") ?? "?") (\(text("status") ?? "completed"))"
        case "step_skipped":
            line = "– \(step) skipped" + (text("reason").map { ": \($0)" } ?? "")
        case "approval_requested":
            line = "⏸ \(step) waits for approval: \(text("message") ?? "")"
        case "approval_decided":
            line = "  \(step) \(text("status") ?? "decided")" + (text("by").map { " by \($0)" } ?? "")
                + (text("comment").map { ": \($0)" } ?? "")
        case "run_paused":
            line = "run paused, waiting for approval"
        case "workspace_saved":
            line = "workspace kept for replays (\(text("bytes") ?? "?") bytes)"
        case "workspace_not_saved":
            line = "workspace not kept: \(text("reason") ?? "?")"
        case "workspace_restored":
            line = "workspace restored from run \(text("from_run") ?? "?") (\(text("bytes") ?? "?") bytes)"
        case "workspace_not_restored":
            line = "workspace starts empty: \(text("reason") ?? "?")"
        default:
            line = "\(event.kind) \(event.payloadJSON)"
        }
        var lines = ["\(time)  \(line)"]
        if let tail = text("output_tail") {
            for part in tail.split(separator: "\n").suffix(10) { lines.append("    | \(part)") }
        }
        return lines.joined(separator: "\n")
    }

    private static func symbol(_ status: String?) -> String {
        switch status {
        case "completed": "✔"
        case "skipped": "–"
        default: "✘"
        }
    }
}

import ArgumentParser
import Engine
import EngineService
import Foundation
import SandcastleClient

/// `sandcastle runs resume ID | --all`
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
        if try options.remote() != nil {
            throw Remote.refuse(
                "`runs resume` has no remote form: a server resumes its own runs after a restart, and continues a paused one once it is approved")
        }
        guard let id else {
            try await resumeAll()
            return
        }
        // Docker is needed only past the checks: a finished or owned run is refused as such without it.
        let service = try await options.openService(sandboxes: .optional)
        let recorded = try RunDriver.orExit { try service.prepareResume(runID: id, force: force) }
        try RunDriver.requireSandboxes(service)
        let directory = options.directory
        let runOptions = RunService.RunOptions(
            waitForApprovals: !noWait,
            onEvent: RunDriver.observer(steps: recorded.workflow.steps.map(\.id), dataDirectory: directory))
        Console.print("resuming run \(id): workflow `\(recorded.workflow.name)` from \(recorded.path)")
        try await RunDriver.drive(runID: id, dataDirectory: directory) {
            try await service.resume(recorded, options: runOptions)
        }
    }

    /// `--all`: every orphaned run in turn; exits 0 when each completed or paused at a gate.
    private func resumeAll() async throws {
        let service = try await options.openService(sandboxes: .optional)
        guard !(try RunDriver.orExit { try service.orphanedRuns() }).isEmpty else {
            Console.print("no unfinished runs to resume in \(service.settings.databasePath)")
            return
        }
        try RunDriver.requireSandboxes(service)
        let summary = try await RunDriver.orExit { try await service.resumeOrphanedRuns { Console.print($0) } }
        for (id, outcome) in summary { Console.print("run \(id) \(outcome)") }
        let ok = summary.allSatisfy { $0.outcome == RunStatus.completed.rawValue || $0.outcome == RunStatus.waitingApproval.rawValue }
        if !ok { throw ExitCode(1) }
    }
}

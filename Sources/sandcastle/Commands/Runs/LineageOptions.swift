import ArgumentParser
import Engine
import EngineService
import Foundation

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
        let service = try await options.openService(sandboxes: .optional)
        let parent = try RunDriver.orExit { try service.prepareReplay(of: id) }
        try RunDriver.requireSandboxes(service)
        let directory = options.directory
        let runOptions = RunService.RunOptions(
            waitForApprovals: !noWait,
            onEvent: RunDriver.observer(steps: parent.workflow.steps.map(\.id), dataDirectory: directory))
        let runID = WorkflowEngine.makeRunID()
        let verb = changes == nil ? "replay" : "fork"
        Console.print(
            "run \(runID): \(verb) of run \(id) from step `\(from)`"
                + (changes.map { " with \($0.json.jsonText)" } ?? ""))
        let step = from
        try await RunDriver.drive(runID: runID, dataDirectory: directory) {
            try await service.replay(parent, fromStep: step, changes: changes, runID: runID, options: runOptions)
        }
    }
}

import ArgumentParser
import Engine
import EngineService
import Foundation
import Workflow

/// `sandcastle run wf.yaml [-i k=v …] [--data-dir DIR]`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workflow: each step in a fresh hardened sandbox, every state change recorded.",
        discussion: """
            Validates the file first (printing problems like `sandcastle validate`), then runs it on \
            Docker and prints a line per step. State goes to <data-dir>/sandcastle.sqlite. Exits 0 \
            only when the run completed. Ctrl-C cancels the run and removes its sandboxes.
            """)

    @Argument(help: "The workflow YAML file.")
    var file: String

    @Option(name: [.customShort("i"), .customLong("input")], help: "An input value KEY=VALUE (repeatable).")
    var inputs: [String] = []

    @Option(name: .customLong("data-dir"), help: "Where state lives (default: $SANDCASTLE_DATA_DIR, else ./data).")
    var dataDirectory: String?

    @Flag(
        name: .customLong("no-wait"),
        help: "Do not wait at approval gates: exit with status 3 once only approvals are left; `runs resume` continues.")
    var noWait = false

    @Option(
        name: .customLong("max-parallel"),
        help:
            "At most this many steps (fan-out items count one each) at once in this run (default 4; the process-wide cap is $SANDCASTLE_MAX_SANDBOXES, default 8)."
    )
    var maxParallel: Int?

    @Flag(name: .long, help: "Start the run in the background and return at once; its lines go to <data-dir>/runs/<run>/run.log.")
    var detach = false

    @Option(
        name: .customLong("max-cost"),
        help: "A budget in US dollars for the run's model calls: a warning at 80 %, and at 100 % running steps stop and the run ends budget_exceeded.")
    var maxCost: Double?

    @Option(name: .customLong("models"), help: "A models file over the shipped one (default: $SANDCASTLE_MODELS_FILE, else ~/.config/sandcastle/models.yaml).")
    var modelsFile: String?

    @Option(name: .customLong("record"), help: "Also write every model answer of the run to FILE, for --replay.")
    var recordFile: String?

    @Option(
        name: .customLong("replay"),
        help: "Take the model's answers from FILE (written by --record) instead of any provider; the tools still run in real sandboxes.")
    var replayFile: String?

    @Option(name: .customLong("run-id"), help: .hidden)
    var runIDOverride: String?

    func validate() throws {
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        if let maxCost, !(maxCost > 0) || !maxCost.isFinite { throw ValidationError("--max-cost must be a positive number of dollars") }
        if recordFile != nil && replayFile != nil { throw ValidationError("--record and --replay cannot be used together") }
        if let runIDOverride, runIDOverride.isEmpty || !runIDOverride.allSatisfy({ $0.isLetter || $0.isNumber }) {
            throw ValidationError("--run-id must be letters and digits")
        }
    }

    /// The model flags, as a detached child gets them.
    var modelArguments: [String] {
        var arguments: [String] = []
        if let maxCost { arguments += ["--max-cost", String(maxCost)] }
        if let modelsFile { arguments += ["--models", URL(fileURLWithPath: modelsFile).standardizedFileURL.path] }
        if let recordFile { arguments += ["--record", URL(fileURLWithPath: recordFile).standardizedFileURL.path] }
        if let replayFile { arguments += ["--replay", URL(fileURLWithPath: replayFile).standardizedFileURL.path] }
        return arguments
    }

    func run() async throws {
        // Recorded with the run, so `runs resume` finds the file from any working directory.
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        let result = WorkflowLoader(options: try RunDriver.validationOptions(dataDirectory: dataDirectory)).load(path: path)
        var diagnostics = result.diagnostics
        var provided: [String: InputValue] = [:]
        do {
            provided = try InputBinder.parseAssignments(inputs)
        } catch {
            diagnostics += error.diagnostics
        }
        if let workflow = result.workflow {
            diagnostics += InputBinder.bind(workflow, provided: provided).diagnostics
        }
        DiagnosticPrinter().print(diagnostics)
        let errors = diagnostics.filter { $0.severity == .error }.count
        guard let workflow = result.workflow, errors == 0 else {
            Console.error("\(file): \(errors) error\(errors == 1 ? "" : "s"); nothing was run")
            throw ExitCode(1)
        }

        let environment = ProcessInfo.processInfo.environment
        let directory = dataDirectory ?? environment["SANDCASTLE_DATA_DIR"] ?? "./data"
        if detach {
            try await Detach.start(
                workflowPath: path, inputs: inputs, dataDirectory: directory, noWait: noWait,
                maxParallel: maxParallel, modelArguments: modelArguments)
            return
        }
        let service = try await RunDriver.openService(
            dataDirectory: directory, sandboxes: .required, creatingStore: true, modelsFile: modelsFile)
        await RunDriver.removeOrphanedSandboxes(service)
        let runID = runIDOverride ?? WorkflowEngine.makeRunID()
        Console.print("run \(runID): workflow `\(workflow.name)` (\(workflow.steps.count) steps), state in \(directory)")
        let models: ModelSource = replayFile.map { .replay(path: $0) } ?? recordFile.map { .record(path: $0) } ?? .live
        if case .replay(let file) = models {
            Console.print("replaying the model's answers from \(file): no provider is called, the tools run for real")
        }
        let options = RunService.RunOptions(
            waitForApprovals: !noWait, maxParallel: maxParallel, models: models, maxCostUSD: maxCost,
            onEvent: RunDriver.observer(steps: workflow.steps.map(\.id), dataDirectory: directory))
        let inputs = provided
        try await RunDriver.drive(runID: runID, dataDirectory: directory) {
            try await service.start(workflow, inputs: inputs, runID: runID, options: options)
        }
    }
}

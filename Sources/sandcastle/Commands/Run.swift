import ArgumentParser
import Engine
import Foundation
import Sandbox
import Store
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

    @Flag(name: .customLong("no-wait"),
          help: "Do not wait at approval gates: exit with status 3 once only approvals are left; `runs resume` continues.")
    var noWait = false

    @Option(name: .customLong("max-parallel"),
            help: "At most this many steps (fan-out items count one each) at once in this run (default 4; the process-wide cap is $SANDCASTLE_MAX_SANDBOXES, default 8).")
    var maxParallel: Int?

    @Flag(name: .long, help: "Start the run in the background and return at once; its lines go to <data-dir>/runs/<run>/run.log.")
    var detach = false

    @Option(name: .customLong("run-id"), help: .hidden)
    var runIDOverride: String?

    func validate() throws {
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        if let runIDOverride, runIDOverride.isEmpty || !runIDOverride.allSatisfy({ $0.isLetter || $0.isNumber }) {
            throw ValidationError("--run-id must be letters and digits")
        }
    }

    func run() async throws {
        // Recorded with the run, so `runs resume` finds the file from any working directory.
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        let result = WorkflowLoader().load(path: path)
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
            try await Detach.start(workflowPath: path, inputs: inputs, dataDirectory: directory, noWait: noWait,
                                   maxParallel: maxParallel)
            return
        }
        let repository: SQLiteRunRepository
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            repository = try SQLiteRunRepository(path: (directory as NSString).appendingPathComponent("sandcastle.sqlite"))
        } catch {
            Console.error("sandcastle: cannot open the state database in \(directory): \(error)")
            throw ExitCode(1)
        }
        let backend = try await RunDriver.dockerBackend()
        let engine = try RunDriver.makeEngine(backend: backend, repository: repository, environment: environment,
                                              dataDirectory: directory, steps: workflow.steps.map(\.id),
                                              waitForApprovals: !noWait, maxParallel: maxParallel)
        let runID = runIDOverride ?? WorkflowEngine.makeRunID()
        Console.print("run \(runID): workflow `\(workflow.name)` (\(workflow.steps.count) steps), state in \(directory)")
        let inputs = provided
        try await RunDriver.drive(runID: runID, dataDirectory: directory) {
            try await engine.run(workflow, inputs: inputs, runID: runID)
        }
    }
}

/// Prints engine events as plain lines (the terminal progress view comes later).
final class LineLog: Sendable {
    let dataDirectory: String

    init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    /// ` --data-dir DIR` when the commands a hint suggests would not find the state by default.
    static func dataDirectoryFlag(_ directory: String) -> String {
        let implied = ProcessInfo.processInfo.environment["SANDCASTLE_DATA_DIR"] ?? "./data"
        return directory == implied ? "" : " --data-dir \(ShellQuoting.quote(directory))"
    }

    func print(_ event: EngineEvent) {
        switch event {
        case .approvalRequested(let runID, let step, let message, let data, let timeoutAt):
            Console.print("⏸ \(step) waits for approval: \(message)")
            if let data { Console.print("    data: \(data.jsonText)") }
            if let timeoutAt { Console.print("    times out at \(RunsFormat.timestamp(timeoutAt))") }
            let flag = Self.dataDirectoryFlag(dataDirectory)
            Console.print("    approve: sandcastle runs approve\(flag) \(runID) \(step) [--comment …]")
            Console.print("    reject:  sandcastle runs reject\(flag) \(runID) \(step) [--comment …]")
        case .runStarted:
            break
        case .stepStarted(let step, let index, let attempt):
            Console.print("▶ \(label(step, index)) started" + (attempt > 1 ? " (attempt \(attempt))" : ""))
        case .attemptFailed(let step, let index, let attempt, let error, let tail, _, let delay):
            Console.print("↻ \(label(step, index)) attempt \(attempt) failed: \(error); retrying"
                + (delay.map { " in \(DurationParser.format($0))" } ?? ""))
            printTail(tail)
        case .stepFinished(let step, let status, let duration, let error, let tail):
            let took = duration.map { " in \(Self.format($0))" } ?? ""
            switch status {
            case .completed:
                Console.print("✔ \(step) finished\(took)")
            case .skipped:
                Console.print("– \(step) skipped" + (error.map { ": \($0)" } ?? ""))
            default:
                Console.print("✘ \(step) \(status)\(took): \(error ?? "unknown error")")
                printTail(tail ?? "")
            }
        case .runFinished, .stepOutput:
            break
        }
    }

    private func label(_ step: String, _ index: Int?) -> String { index.map { "\(step)[\($0)]" } ?? step }

    private func printTail(_ tail: String) {
        let lines = tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(20)
        for line in lines where !line.isEmpty { Console.print("    | \(line)") }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.2fs", seconds)
    }
}

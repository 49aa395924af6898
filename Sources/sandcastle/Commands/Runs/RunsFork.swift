import ArgumentParser
import Engine
import Workflow

/// `sandcastle runs fork RUN --from STEP [--set-run CMD] [--image I] [--env K=V …] [--timeout T]
/// [--prompt P] [--model M] [--max-turns N]`
struct RunsFork: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Like replay, with changes to STEP: its command, image, environment or timeout; an agent step's prompt, model or turns.")

    @OptionGroup var lineage: LineageOptions

    @Option(name: .customLong("set-run"), help: "A new command for STEP (templates allowed, as in `run:`).")
    var command: String?

    @Option(name: .long, help: "A new image for STEP.")
    var image: String?

    @Option(name: [.customShort("e"), .long], help: "An environment variable KEY=VALUE for STEP (repeatable).")
    var env: [String] = []

    @Option(name: .long, help: "A new time limit for STEP (90, 30s, 5m, …).")
    var timeout: String?

    @Option(name: .long, help: "A new prompt for an agent or llm STEP (templates allowed).")
    var prompt: String?

    @Option(name: .long, help: "A new model for an agent or llm STEP (a name from the models file).")
    var model: String?

    @Option(name: .customLong("max-turns"), help: "A new turn limit for an agent STEP (1-1000).")
    var maxTurns: Int?

    func run() async throws {
        var changes = ForkChanges(command: command, image: image, prompt: prompt, model: model, maxTurns: maxTurns)
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
            throw ValidationError(
                "give at least one change (--set-run, --image, --env, --timeout, --prompt, --model, --max-turns), or use `runs replay`")
        }
        try await lineage.start(changes: changes)
    }
}

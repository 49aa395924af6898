import ArgumentParser
import Engine
import EngineService
import Foundation
import JSONValues
import SandcastleClient

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
        if let client = try options.remote() { return try await startRemote(changes: changes, client) }
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

    /// The server queues the new run; it is followed as a local one is driven (the stream ends at
    /// a gate, so a paused run exits 3 with or without --no-wait).
    private func startRemote(changes: ForkChanges?, _ client: SandcastleAPIClient) async throws {
        let lineage = try await Remote.orExit {
            if let changes {
                try await client.fork(runID: id, fromStep: from, changes: Self.wire(changes))
            } else {
                try await client.replay(runID: id, fromStep: from)
            }
        }
        let verb = changes == nil ? "replay" : "fork"
        Console.print(
            "run \(lineage.newRunID): \(verb) of run \(id) from step `\(from)` on \(client.server.url)"
                + (changes.map { " with \($0.json.jsonText)" } ?? ""))
        try await RemoteRunDriver.drive(client, runID: lineage.newRunID)
    }

    /// A fork's changes as the API's `changes` object (`run`, `image`, `env`, `timeout` in seconds).
    static func wire(_ changes: ForkChanges) -> [String: JSONValue] {
        var wire: [String: JSONValue] = [:]
        wire["run"] = changes.command.map(JSONValue.string)
        wire["image"] = changes.image.map(JSONValue.string)
        if !changes.environment.isEmpty { wire["env"] = .object(changes.environment.mapValues(JSONValue.string)) }
        if let timeout = changes.timeout {
            let (seconds, attoseconds) = timeout.components
            wire["timeout"] = .number(Double(seconds) + Double(attoseconds) / 1e18)
        }
        return wire
    }
}

import ArgumentParser
import Foundation
import JSONValues
import SandcastleClient

/// `sandcastle runs submit WORKFLOW [-i k=v …] [--wait | --follow] --url URL`: a run on a server,
/// of a workflow saved there (by name) or of a local file (sent as YAML): Sandcastle's
/// `sandcastle run` against a server. `sandcastle run FILE` runs here.
struct RunsSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Start a run of a workflow on a server (by name, or a local YAML file sent along).",
        discussion: """
            WORKFLOW is a file when one exists at that path (its YAML is sent), else the name of a \
            workflow the server has. Without --wait or --follow it prints the run's id once the \
            server has queued it. --follow prints each step as the server's stream reports it; \
            --wait only the end. Either exits as `sandcastle run` does: 0 completed, 1 failed, \
            3 paused at an approval gate, 130 cancelled. Ctrl-C stops following, not the run.

            Examples:
              sandcastle runs submit --url http://127.0.0.1:8080 hello -i who=world --follow
              SANDCASTLE_URL=http://127.0.0.1:8080 sandcastle runs submit ./review.yaml --wait
              sandcastle runs submit --url http://127.0.0.1:8080 nightly --idempotency-key 2026-12-07
            """)

    @OptionGroup var server: ServerOptions

    @Argument(help: "A workflow's name on the server, or a local YAML file.")
    var workflow: String

    @Option(name: [.customShort("i"), .customLong("input")], help: "An input value KEY=VALUE (repeatable).")
    var inputs: [String] = []

    @Flag(name: .long, help: "Wait for the run to end (or pause at a gate) and print how it ended.")
    var wait = false

    @Flag(name: [.customShort("f"), .long], help: "Print the run's steps as they happen until it ends (or pauses).")
    var follow = false

    @Option(name: .customLong("version"), help: "Run this saved version of the workflow (default: the newest).")
    var version: Int?

    @Option(name: .customLong("max-cost"), help: "A budget in US dollars for the run's model calls.")
    var maxCost: Double?

    @Option(name: .customLong("idempotency-key"), help: "Submitting the same key again returns the existing run instead of a new one.")
    var idempotencyKey: String?

    func validate() throws {
        if wait && follow { throw ValidationError("give --wait or --follow, not both") }
        if let version, version < 1 { throw ValidationError("--version must be 1 or more") }
        if let maxCost, !(maxCost >= 0) || !maxCost.isFinite { throw ValidationError("--max-cost must be a number of dollars ≥ 0") }
    }

    func run() async throws {
        let client = try server.requireClient("runs submit")
        let input = try Remote.assignments(inputs, flag: "--input")
        let source: SandcastleAPIClient.WorkflowSource
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: workflow, isDirectory: &isDirectory), !isDirectory.boolValue {
            if version != nil { throw ValidationError("--version applies to a workflow saved on the server, not to a file") }
            guard let data = FileManager.default.contents(atPath: workflow), let yaml = String(data: data, encoding: .utf8) else {
                throw Remote.refuse("cannot read \(workflow) as UTF-8 text")
            }
            source = .yaml(yaml)
        } else {
            source = .named(workflow, version: version)
        }
        let submitted = try await Remote.orExit {
            try await client.submit(source, input: input, maxCostUSD: maxCost, idempotencyKey: idempotencyKey)
        }
        let existing = submitted.status == "existing" ? " (an existing run: the idempotency key was used before)" : ""
        Console.print(
            "run \(submitted.runID): \(RemoteRunsFormat.localStatus(submitted.status == "existing" ? "queued" : submitted.status)) on \(client.server.url)\(existing)"
        )
        guard wait || follow else { return }
        // An existing run may be long over: its whole history then, not only what comes next.
        try await RemoteRunDriver.drive(client, runID: submitted.runID, after: follow ? 0 : nil, printing: follow)
    }
}

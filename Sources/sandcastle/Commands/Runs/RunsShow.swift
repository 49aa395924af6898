import ArgumentParser
import EngineService
import Foundation
import SandcastleClient

/// `sandcastle runs show ID`
struct RunsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a run and each of its steps.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Flag(name: .long, help: "Print the whole run as one JSON document: steps, outputs, tokens, cost and the agent transcript.")
    var json = false

    func run() async throws {
        if let client = try options.remote() { return try await runRemote(client) }
        let service = try await options.openService()
        let report = try RunDriver.orExit { try service.report(id: id) }
        if json {
            let events = try RunDriver.orExit { try service.events(runID: id, limit: Int.max) }
            Console.print(RunReportJSON.document(report, events: events).jsonText)
            return
        }
        for line in RunsFormat.detail(
            report.detail, attempts: report.attempts, approvals: report.approvals, modelCalls: report.modelCalls, now: Date())
        {
            Console.print(line)
        }
        if !report.derived.isEmpty {
            Console.print("derived runs:")
            for run in report.derived {
                Console.print("  \(run.id)  \(run.lineageKind ?? "child") of step `\(run.forkedFromStep ?? "?")`  \(run.status)")
            }
        }
        if !report.artifacts.isEmpty {
            Console.print("artifacts (in \(report.artifactsDirectory)):")
            for artifact in report.artifacts { Console.print("  \(artifact.path)  \(artifact.size) bytes") }
        }
    }

    private func runRemote(_ client: SandcastleAPIClient) async throws {
        let run = try await Remote.orExit { try await client.run(id: id) }
        if json {
            let history = try await RemoteRunDriver.history(client, runID: id)
            Console.print(RemoteRunsFormat.document(run, transcript: history).jsonText)
            return
        }
        let approvals = try await Remote.orExit { try await client.approvals().items.filter { $0.runID == id } }
        for line in RemoteRunsFormat.detail(run, approvals: approvals, server: client.server.url, now: Date()) { Console.print(line) }
    }
}

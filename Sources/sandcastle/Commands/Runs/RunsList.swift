import ArgumentParser
import Engine
import EngineService
import Foundation
import SandcastleClient

/// `sandcastle runs ls [--status S] [--limit N]`
struct RunsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List runs, newest first.")

    @OptionGroup var options: DataDirectoryOptions

    @Option(
        name: .long,
        help: "Only runs with this status (repeatable): pending, running, waiting_approval, completed, failed, cancelled, budget_exceeded, orphaned.")
    var status: [String] = []

    @Option(name: .long, help: "At most this many runs.")
    var limit = 20

    func run() async throws {
        if let client = try options.remote() { return try await runRemote(client) }
        let service = try await options.openService()
        let wanted = Set(status.map { $0.lowercased() })
        // `orphaned` is not stored: it is a running or pending run whose process is gone.
        var statuses = wanted.isEmpty ? nil : Set(wanted.subtracting(["orphaned"]).map(RunStatus.init(rawValue:)))
        if wanted.contains("orphaned") { statuses?.formUnion([.running, .pending]) }
        var runs = try RunDriver.orExit { try service.runs(RunQuery(statuses: statuses, limit: max(0, limit))) }
        if wanted.contains("orphaned") {
            runs = runs.filter { $0.isOrphaned || (wanted.contains($0.status.rawValue)) }
        }
        if runs.isEmpty {
            Console.print("no runs in \(service.settings.databasePath)")
            return
        }
        let usage = service.usage(runIDs: runs.map(\.id))
        for line in RunsFormat.table(runs, usage: usage, now: Date()) + RunsFormat.orphanedHint(runs) { Console.print(line) }
    }

    /// The server's runs: one request per status asked for (the API filters by one), merged newest first.
    private func runRemote(_ client: SandcastleAPIClient) async throws {
        let wanted = Set(status.map { $0.lowercased() })
        if wanted.contains("orphaned") { throw Remote.refuse("a server has no orphaned runs: it resumes runs itself") }
        let limit = min(max(1, self.limit), 200)
        var runs: [RemoteRunSummary] = []
        for status in wanted.isEmpty ? [nil] : wanted.sorted().map(Optional.some) {
            let page = try await Remote.orExit { try await client.runs(status: status.flatMap(RemoteRunsFormat.serverStatus), limit: limit) }
            runs += page.items
        }
        runs.sort { ($0.createdAt ?? .distantPast) > ($1.createdAt ?? .distantPast) }
        if runs.isEmpty {
            Console.print("no runs on \(client.server.url)")
            return
        }
        for line in RemoteRunsFormat.table(Array(runs.prefix(limit)), now: Date()) { Console.print(line) }
    }
}

import ArgumentParser
import Engine
import EngineService
import Foundation

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
}

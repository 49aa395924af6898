import ArgumentParser
import EngineService
import Foundation

/// `sandcastle runs ls [--status S] [--limit N]`
struct RunsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List runs, newest first.")

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: .long, help: "Only runs with this status (repeatable): pending, running, waiting_approval, completed, failed, cancelled.")
    var status: [String] = []

    @Option(name: .long, help: "At most this many runs.")
    var limit = 20

    func run() async throws {
        let service = try await options.openService()
        let statuses = status.isEmpty ? nil : Set(status.map { RunStatus(rawValue: $0.lowercased()) })
        let runs = try RunDriver.orExit { try service.runs(RunQuery(statuses: statuses, limit: max(0, limit))) }
        if runs.isEmpty {
            Console.print("no runs in \(service.settings.databasePath)")
            return
        }
        for line in RunsFormat.table(runs, now: Date()) { Console.print(line) }
    }
}

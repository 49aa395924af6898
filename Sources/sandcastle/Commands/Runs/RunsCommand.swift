import ArgumentParser
import EngineService
import Foundation

/// `sandcastle runs ls|show|logs|cancel|resume|approve|reject|replay|fork`: inspect and steer the
/// runs recorded in the data folder, through the engine service (one file per subcommand).
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, inspect, follow, cancel, resume, approve, replay and fork recorded workflow runs.",
        subcommands: [
            RunsList.self, RunsShow.self, RunsLogs.self, RunsCancel.self, RunsResume.self,
            RunsApprove.self, RunsReject.self, RunsReplay.self, RunsFork.self,
        ])
}

/// The `--data-dir` option shared by the `runs` subcommands.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Where state lives (default: $SANDCASTLE_DATA_DIR, else ./data).")
    var dataDirectory: String?

    var directory: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["SANDCASTLE_DATA_DIR"] ?? "./data"
    }

    /// The engine service over the existing state database (a missing one is an error, so a
    /// mistyped `--data-dir` does not look like "no runs").
    func openService(sandboxes: RunService.Sandboxes = .none) async throws -> RunService {
        try await RunDriver.openService(dataDirectory: directory, sandboxes: sandboxes)
    }
}

import ArgumentParser
import EngineService
import Foundation
import SandcastleClient

/// `sandcastle runs ls|show|logs|cancel|resume|approve|reject|replay|fork|submit`: inspect and
/// steer the runs recorded in the data folder, through the engine service, or those of a server
/// with `--url` / `SANDCASTLE_URL` (one file per subcommand, each with both modes).
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, inspect, follow, cancel, resume, approve, replay and fork workflow runs, here or on a server.",
        discussion: """
            Without --url the runs are those recorded in the data folder. With --url URL (or \
            SANDCASTLE_URL) every verb works on the runs of that `sandcastle serve` (or Sandcastle \
            0.47) server instead, with the same output; `runs submit` starts one there.

            Examples:
              sandcastle runs ls
              sandcastle runs ls --url http://127.0.0.1:8080 --status failed
              SANDCASTLE_URL=http://10.0.0.5:8080 SANDCASTLE_API_KEY=sc_… sandcastle runs logs --follow RUN
              sandcastle runs submit --url http://127.0.0.1:8080 hello -i who=world --follow
            """,
        subcommands: [
            RunsList.self, RunsShow.self, RunsLogs.self, RunsCancel.self, RunsResume.self,
            RunsApprove.self, RunsReject.self, RunsReplay.self, RunsFork.self, RunsSubmit.self, RunsTransparency.self, RunsViolations.self,
        ])
}

/// The `--data-dir` option shared by the `runs` subcommands, and `--url`/`--api-key` for a server.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Where state lives (default: $SANDCASTLE_DATA_DIR, else ./data).")
    var dataDirectory: String?

    @OptionGroup var server: ServerOptions

    /// The server's client when one is named; nil to work on the data folder. An explicit
    /// `--data-dir` wins over `SANDCASTLE_URL` from the environment, but not over `--url`.
    func remote() throws -> SandcastleAPIClient? {
        if dataDirectory != nil {
            if server.url != nil { throw Remote.refuse("give --data-dir or --url, not both") }
            return nil
        }
        return try server.client()
    }

    var directory: String {
        dataDirectory ?? ProcessInfo.processInfo.environment["SANDCASTLE_DATA_DIR"] ?? "./data"
    }

    /// The engine service over the existing state database (a missing one is an error, so a
    /// mistyped `--data-dir` does not look like "no runs").
    func openService(sandboxes: RunService.Sandboxes = .none) async throws -> RunService {
        try await RunDriver.openService(dataDirectory: directory, sandboxes: sandboxes)
    }
}

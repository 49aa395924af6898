import ArgumentParser
import EngineService
import Foundation
import SandcastleClient

/// `sandcastle runs logs ID [--follow]`
struct RunsLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a run's recorded events in order; --follow waits for new ones.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Flag(name: [.customShort("f"), .long], help: "Keep printing new events until the run ends.")
    var follow = false

    func run() async throws {
        if let client = try options.remote() { return try await runRemote(client) }
        let service = try await options.openService()
        _ = try RunDriver.orExit { try service.run(id: id) }
        guard follow else {
            var lastSeq: Int64 = 0
            while true {
                let page = try RunDriver.orExit { try service.events(runID: id, afterSeq: lastSeq) }
                for event in page { Console.print(RunsFormat.eventLine(event)) }
                guard let last = page.last else { return }
                lastSeq = last.seq
            }
        }
        do {
            for try await event in service.follow(runID: id) { Console.print(RunsFormat.eventLine(event)) }
        } catch let error as EngineServiceError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// The server's stream replayed from the run's first event (`Last-Event-ID: 0`): up to now,
    /// or with --follow on until the run ends or pauses, through reconnects.
    private func runRemote(_ client: SandcastleAPIClient) async throws {
        guard follow else {
            var printer = FramePrinter(replaying: true)
            for frame in try await RemoteRunDriver.history(client, runID: id) {
                if frame.event == "result" {
                    for line in RemoteRunsFormat.frameLines(frame) { Console.print(line) }
                } else {
                    printer.print(frame)
                }
            }
            return
        }
        // As locally, the log ends with the run (or its pause) and the command succeeds either way.
        let result = try await RemoteRunDriver.follow(client, runID: id, after: 0)
        for line in RemoteRunsFormat.frameLines(result) { Console.print(line) }
    }
}

import ArgumentParser
import EngineService
import Foundation

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
}

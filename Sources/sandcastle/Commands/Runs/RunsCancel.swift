import ArgumentParser
import EngineService
import Foundation
import SandcastleClient

/// `sandcastle runs cancel ID`
struct RunsCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Mark an unfinished run cancelled and remove its sandboxes and workspace.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    func run() async throws {
        if let client = try options.remote() {
            try await Remote.orExit { try await client.cancel(runID: id) }
            Console.print("run \(id) cancelled on \(client.server.url)")
            return
        }
        // Docker is welcome, not required: the cancel is recorded either way.
        let service = try await options.openService(sandboxes: .optional)
        let cancellation: RunService.Cancellation
        do {
            cancellation = try await service.cancel(runID: id, reason: "cancelled by `sandcastle runs cancel`")
        } catch let error as EngineServiceError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
        for problem in cancellation.problems { Console.error("sandcastle: \(problem)") }
        let removed = cancellation.removedSandboxes.map { "; removed \($0) sandbox\($0 == 1 ? "" : "es")" } ?? ""
        Console.print("run \(id) cancelled" + removed)
    }
}

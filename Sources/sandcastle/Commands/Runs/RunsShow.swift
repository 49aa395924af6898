import ArgumentParser
import EngineService
import Foundation

/// `sandcastle runs show ID`
struct RunsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a run and each of its steps.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    func run() async throws {
        let service = try await options.openService()
        let report = try RunDriver.orExit { try service.report(id: id) }
        for line in RunsFormat.detail(report.detail, attempts: report.attempts, approvals: report.approvals, now: Date()) {
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
}

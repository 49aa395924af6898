import Engine
import Foundation
import Workflow

/// Prints engine events as plain lines (the terminal progress view comes later).
final class LineLog: Sendable {
    let dataDirectory: String

    init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    /// ` --data-dir DIR` when the commands a hint suggests would not find the state by default.
    static func dataDirectoryFlag(_ directory: String) -> String {
        let implied = ProcessInfo.processInfo.environment["SANDCASTLE_DATA_DIR"] ?? "./data"
        return directory == implied ? "" : " --data-dir \(ShellQuoting.quote(directory))"
    }

    func print(_ event: EngineEvent) {
        switch event {
        case .approvalRequested(let runID, let step, let message, let data, let timeoutAt):
            Console.print("⏸ \(step) waits for approval: \(message)")
            if let data { Console.print("    data: \(data.jsonText)") }
            if let timeoutAt { Console.print("    times out at \(RunsFormat.timestamp(timeoutAt))") }
            let flag = Self.dataDirectoryFlag(dataDirectory)
            Console.print("    approve: sandcastle runs approve\(flag) \(runID) \(step) [--comment …]")
            Console.print("    reject:  sandcastle runs reject\(flag) \(runID) \(step) [--comment …]")
        case .runStarted:
            break
        case .policyAlert(_, let alert):
            // The match is already masked; the policy's own message says what it means.
            Console.print(
                "⚠ \(label(alert.step, alert.index)) policy `\(alert.policyID)` (\(alert.severity)) alert"
                    + (alert.message.map { ": \($0)" } ?? "") + (alert.matched.map { " [\($0)]" } ?? ""))
        case .stepStarted(let step, let index, let attempt):
            Console.print("▶ \(label(step, index)) started" + (attempt > 1 ? " (attempt \(attempt))" : ""))
        case .attemptFailed(let step, let index, let attempt, let error, let tail, _, let delay):
            Console.print(
                "↻ \(label(step, index)) attempt \(attempt) failed: \(error); retrying"
                    + (delay.map { " in \(DurationParser.format($0))" } ?? ""))
            printTail(tail)
        case .stepFinished(let step, let status, let duration, let error, let tail):
            let took = duration.map { " in \(Self.format($0))" } ?? ""
            switch status {
            case .completed:
                Console.print("✔ \(step) finished\(took)")
            case .skipped:
                Console.print("– \(step) skipped" + (error.map { ": \($0)" } ?? ""))
            default:
                Console.print("✘ \(step) \(status)\(took): \(error ?? "unknown error")")
                printTail(tail ?? "")
            }
        case .runFinished, .stepOutput:
            break
        }
    }

    private func label(_ step: String, _ index: Int?) -> String { index.map { "\(step)[\($0)]" } ?? step }

    private func printTail(_ tail: String) {
        let lines = tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(20)
        for line in lines where !line.isEmpty { Console.print("    | \(line)") }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.2fs", seconds)
    }
}

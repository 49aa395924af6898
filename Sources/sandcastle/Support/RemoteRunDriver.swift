import ArgumentParser
import Foundation
import JSONValues
import SandcastleClient

/// Following a server's run from the CLI: its stream printed as log lines, and the command's exit
/// status from how the run ended, as ``RunDriver`` does for local runs (0 completed, 130
/// cancelled, 3 paused at an approval gate, 1 otherwise). Ctrl-C stops following; the run goes
/// on on the server (`runs cancel --url …` stops it).
enum RemoteRunDriver {
    /// Prints the run's frames (when `printing`) until its result, then ends the command as the
    /// run ended (``outcome(_:client:runID:)``).
    /// - Parameter after: `0` prints the run's history first; nil starts from its current state.
    static func drive(_ client: SandcastleAPIClient, runID: String, after: Int64? = nil, printing: Bool = true) async throws {
        try outcome(try await follow(client, runID: runID, after: after, printing: printing), client: client, runID: runID)
    }

    /// Prints the run's frames (when `printing`) until its result, and returns the result.
    static func follow(_ client: SandcastleAPIClient, runID: String, after: Int64? = nil, printing: Bool = true) async throws -> RunStreamFrame {
        var result: RunStreamFrame?
        var printer = FramePrinter(replaying: after == 0)
        try await Remote.orExit {
            for try await frame in client.followRun(id: runID, after: after) {
                if frame.event == "result" {
                    result = frame
                    break
                }
                if printing { printer.print(frame) }
            }
        }
        guard let result else { throw Remote.refuse("the stream of run \(runID) ended without its result") }
        return result
    }

    /// The end of a run as the local driver says it, and the matching exit status.
    static func outcome(_ result: RunStreamFrame, client: SandcastleAPIClient, runID: String) throws {
        let status = result.data.child("status")?.renderedString ?? "?"
        switch status {
        case "completed":
            Console.print("run \(runID) completed")
            if case .object(let outputs)? = result.data.child("outputs") {
                for (name, value) in outputs.sorted(by: { $0.key < $1.key }) { Console.print("  output \(name) = \(value.jsonText)") }
            }
        case "cancelled":
            Console.error("run \(runID) cancelled")
            throw ExitCode(130)
        case "awaiting_approval":
            Console.print(
                "run \(runID) is paused, waiting for approval; `sandcastle runs approve --url \(client.server.url) \(runID)` "
                    + "lets the server continue it")
            throw ExitCode(RunDriver.pausedExitCode)
        default:
            let error = result.data.child("error").map(\.renderedString).flatMap { $0.isEmpty ? nil : $0 }
            Console.error("run \(runID) \(RemoteRunsFormat.localStatus(status)): \(error ?? "unknown error")")
            throw ExitCode(1)
        }
    }

    /// Every frame of the run's history up to now, without waiting for what comes next: the
    /// current event id is what a fresh stream's first frame carries; the history is replayed
    /// from the start (`Last-Event-ID: 0`) up to that id, or to the result of a run that ended.
    static func history(_ client: SandcastleAPIClient, runID: String) async throws -> [RunStreamFrame] {
        try await Remote.orExit {
            var current: Int64 = 0
            var ended = false
            for try await frame in client.followRun(id: runID) {
                current = frame.id ?? 0
                ended = RemoteRunStatus.streamEnds.contains(frame.data.child("status")?.renderedString ?? "")
                break
            }
            var frames: [RunStreamFrame] = []
            for try await frame in client.followRun(id: runID, after: 0) {
                frames.append(frame)
                // A run that ended (or paused) replays to its result; a live one up to now.
                if frame.event == "result" || (!ended && (frame.id ?? 0) >= current) { break }
            }
            return frames
        }
    }
}

/// Prints a stream's frames as log lines, leaving out what would repeat: the current status a
/// replay from the start opens with (it is not history), a status a reconnect repeats, and a
/// run's final status (the result's line says it, with the error).
struct FramePrinter {
    var replaying: Bool
    private var seen = 0
    private var lastStatus: String?

    init(replaying: Bool) { self.replaying = replaying }

    mutating func print(_ frame: RunStreamFrame) {
        seen += 1
        if frame.event == "status" {
            if replaying && seen == 1 { return }
            let status = frame.data.child("status")?.renderedString
            if status == lastStatus || RemoteRunStatus.streamEnds.contains(status ?? "") { return }
            lastStatus = status
        }
        for line in RemoteRunsFormat.frameLines(frame) { Console.print(line) }
    }
}

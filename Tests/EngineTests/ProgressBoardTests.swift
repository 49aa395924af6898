import Foundation
import Store
import Testing

@testable import Engine

/// The live view's model: rows follow the engine's events; lines fit the terminal.
@Suite struct ProgressBoardTests {
    @Test func rowsFollowTheEvents() {
        var board = ProgressBoard(stepIDs: ["build", "gate", "deploy"])
        let t0 = ContinuousClock.now
        board.apply(.stepStarted(step: "build", index: nil, attempt: 1), at: t0)
        board.apply(.stepOutput(step: "build", index: nil, text: "compiling\nlinking\n"), at: t0)
        var lines = board.render(now: t0 + .seconds(2), width: 200)
        #expect(
            lines[0].hasPrefix("▶ build") && lines[0].contains("running") && lines[0].contains("2.0s")
                && lines[0].hasSuffix("│ linking"), "\(lines[0])")
        #expect(lines[2].hasPrefix("· deploy") && lines[2].contains("pending"))

        board.apply(
            .attemptFailed(
                step: "build", index: nil, attempt: 1, error: "exit code 1", outputTail: "",
                willRetry: true, retryDelay: .seconds(1)), at: t0 + .seconds(3))
        #expect(board.rows[0].status == "retrying")
        board.apply(.stepStarted(step: "build", index: nil, attempt: 2), at: t0 + .seconds(4))
        board.apply(
            .stepFinished(
                step: "build", status: .completed, duration: .milliseconds(1500), error: nil,
                outputTail: nil), at: t0 + .seconds(5))
        board.apply(
            .approvalRequested(runID: "r", step: "gate", message: "Ship it?", data: nil, timeoutAt: nil),
            at: t0 + .seconds(5))
        lines = board.render(now: t0 + .seconds(9), width: 200)
        #expect(lines[0].hasPrefix("✔ build") && lines[0].contains("(attempt 2)") && lines[0].contains("1.5s"), "\(lines[0])")
        #expect(lines[1].hasPrefix("⏸ gate") && lines[1].contains("4.0s") && lines[1].hasSuffix("│ Ship it?"), "\(lines[1])")
        #expect(board.render(now: t0, width: 30).allSatisfy { $0.count <= 30 })
    }

    @Test func fanOutItemsShowWhichItemSpoke() {
        var board = ProgressBoard(stepIDs: ["each"])
        board.apply(.stepStarted(step: "each", index: 3, attempt: 1), at: .now)
        board.apply(.stepOutput(step: "each", index: 3, text: "item three\n"), at: .now)
        #expect(board.rows[0].lastLine == "[3] item three")
        board.apply(.stepOutput(step: "unknown", index: nil, text: "ignored"), at: .now)
        board.apply(.stepOutput(step: "each", index: nil, text: "\n  \n"), at: .now)
        #expect(board.rows[0].lastLine == "[3] item three", "blank output keeps the last line")
    }
}

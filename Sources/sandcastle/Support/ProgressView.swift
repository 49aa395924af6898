import Engine
import Foundation
import Synchronization

/// The live progress view of `sandcastle run` on a terminal: one line per step (status, time,
/// the last line of its output) redrawn in place, with lasting messages (approval requests,
/// failures) printed above it. Off a terminal the plain ``LineLog`` is used instead.
final class ProgressView: Sendable {
    private struct State {
        var board: ProgressBoard
        var drawn = 0
        var stopped = false
    }

    private let state: Mutex<State>
    private let lines: LineLog

    init(steps: [String], dataDirectory: String) {
        state = Mutex(State(board: ProgressBoard(stepIDs: steps)))
        lines = LineLog(dataDirectory: dataDirectory)
    }

    /// Whether stdout is a terminal that understands cursor movement.
    static var isUsable: Bool {
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        return isatty(STDOUT_FILENO) == 1 && term != "dumb" && !term.isEmpty
            && ProcessInfo.processInfo.environment["SANDCASTLE_PLAIN"] == nil
    }

    func handle(_ event: EngineEvent) {
        let now = ContinuousClock.now
        state.withLock { $0.board.apply(event, at: now) }
        switch event {
        case .approvalRequested, .policyAlert:
            above { lines.print(event) }
        case .stepFinished(_, let status, _, _, _) where status != .completed && status != .skipped:
            above { lines.print(event) }
        case .attemptFailed:
            above { lines.print(event) }
        default:
            redraw()
        }
    }

    /// Redraws a few times a second so running steps' times move; returns the ticking task.
    func start() -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                redraw()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// The final picture, left on the screen.
    func stop() {
        redraw()
        state.withLock { $0.stopped = true }
    }

    /// Prints lasting lines above the board, then the board again.
    private func above(_ body: () -> Void) {
        state.withLock { s in
            guard !s.stopped else { return }
            Console.write(Array(Self.erase(s.drawn).utf8))
            s.drawn = 0
        }
        body()
        redraw()
    }

    private func redraw() {
        let width = Int(TerminalMode.windowSize().columns)
        state.withLock { s in
            guard !s.stopped else { return }
            let rendered = s.board.render(now: .now, width: max(20, width - 1))
            var text = Self.erase(s.drawn)
            for line in rendered { text += line + "\n" }
            s.drawn = rendered.count
            Console.write(Array(text.utf8))
        }
    }

    /// Moves up over `count` lines drawn before and clears them.
    private static func erase(_ count: Int) -> String {
        guard count > 0 else { return "" }
        return "\u{1B}[\(count)F" + "\u{1B}[J"
    }
}

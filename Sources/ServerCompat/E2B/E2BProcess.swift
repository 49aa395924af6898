import Foundation
import Sandbox
import ServerCore
import Synchronization

/// What an envd process stream carries, before it is framed.
package enum E2BProcessItem: Sendable {
    case start(pid: UInt32)
    case stdout([UInt8])
    case stderr([UInt8])
    case pty([UInt8])
    case end(ProcessResult)
    /// The process could not be followed to its end (sandbox gone, timeout).
    case failed(ConnectError)
}

/// A process started through envd's `Process.Start`: its live controls, and a fan-out of its
/// output to every stream following it (the `Start` caller, and any `Connect` callers).
///
/// One pump task drains the runner's events whether or not anybody listens, so a client
/// that disconnects (a background command) never stalls the process; like envd, a later
/// `Connect` sees output from then on, not what came before.
package final class E2BProcess: Sendable {
    let control: SandboxProcess
    let config: E2BProcessConfig
    let tag: String?
    let isPTY: Bool
    private let state: Mutex<State>

    private struct State {
        var pid: UInt32 = 0
        var subscribers: [Int: AsyncStream<E2BProcessItem>.Continuation] = [:]
        var nextSubscriber = 0
        var finished = false
        /// Set when we cancelled it because its `Connect-Timeout-Ms` ran out (PTYs have no runner timeout).
        var deadlineHit = false
    }

    init(control: SandboxProcess, config: E2BProcessConfig, tag: String?, isPTY: Bool) {
        self.control = control
        self.config = config
        self.tag = tag
        self.isPTY = isPTY
        self.state = Mutex(State())
    }

    var pid: UInt32 { state.withLock { $0.pid } }

    /// A stream of everything published from now on; it ends after `end` or `failed`.
    func subscribe() -> AsyncStream<E2BProcessItem> {
        let (stream, continuation) = AsyncStream<E2BProcessItem>.makeStream()
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func markDeadlineHit() { state.withLock { $0.deadlineHit = true } }

    var isFinished: Bool { state.withLock { $0.finished } }

    private func publish(_ item: E2BProcessItem) {
        let (targets, last): ([AsyncStream<E2BProcessItem>.Continuation], Bool) = state.withLock { state in
            let last: Bool
            switch item {
            case .end, .failed:
                last = true
                state.finished = true
            default: last = false
            }
            let targets = Array(state.subscribers.values)
            if last { state.subscribers.removeAll() }
            return (targets, last)
        }
        for continuation in targets {
            continuation.yield(item)
            if last { continuation.finish() }
        }
    }

    /// Drains the runner's events into the fan-out; calls `onStarted` once the pid is known
    /// and `onEnded` when the process is over.
    ///
    /// The registry hears first, then the clients: a client that saw `start` can address the
    /// pid at once, and one that saw `end` no longer finds it in `List`.
    func pump(onStarted: @escaping @Sendable (E2BProcess) async -> Void, onEnded: @escaping @Sendable (E2BProcess) async -> Void) {
        let events = control.events
        Task {
            var started = false
            var last: E2BProcessItem?
            do {
                for try await event in events {
                    switch event {
                    case .started(let pid):
                        let pid = UInt32(clamping: pid)
                        state.withLock { $0.pid = pid }
                        started = true
                        await onStarted(self)
                        publish(.start(pid: pid))
                    case .output(let stream, let bytes):
                        if isPTY {
                            publish(.pty(bytes))
                        } else {
                            publish(stream == .stderr ? .stderr(bytes) : .stdout(bytes))
                        }
                    case .finished(let result):
                        let deadline = state.withLock { $0.deadlineHit }
                        last =
                            result.timedOut || deadline
                            ? .failed(ConnectError(.deadlineExceeded, "the process ran past its timeout and was killed"))
                            : .end(result)
                    }
                    if last != nil { break }
                }
            } catch {
                last = .failed(ConnectError.from(error))
            }
            if started { await onEnded(self) }
            publish(last ?? .failed(ConnectError(.unavailable, "the process stream ended without a result")))
        }
    }
}

/// envd's `ProcessConfig`, as the SDK sends it and `List` reports it.
package struct E2BProcessConfig: Codable, Sendable {
    var cmd: String
    var args: [String]?
    var envs: [String: String]?
    var cwd: String?
}

extension ProcessResult {
    /// The `EndEvent` envd builds from Go's `ProcessState`: a signal death is exit code -1,
    /// `exited` false and a status like "signal: killed".
    var e2bEnd: E2BEndEvent {
        if signal != 0 {
            let names: [Int32: String] = [1: "hangup", 2: "interrupt", 9: "killed", 15: "terminated", 6: "aborted", 13: "broken pipe"]
            return E2BEndEvent(exitCode: -1, exited: nil, status: "signal: \(names[signal] ?? "signal \(signal)")", error: nil)
        }
        return E2BEndEvent(exitCode: exitCode == 0 ? nil : exitCode, exited: true, status: "exit status \(exitCode)", error: nil)
    }
}

/// `ProcessEvent.EndEvent` in proto3 JSON (defaults omitted).
package struct E2BEndEvent: Encodable {
    var exitCode: Int32?
    var exited: Bool?
    var status: String
    var error: String?
}

import RunnerProtocol

/// One `shellExec` from the moment its line went to the shell until its result.
final class ShellExec {
    enum Interruption {
        case timeout
        case cancel
    }

    let id: UInt32
    let seq: UInt64
    let request: ShellExecRequest
    let commandPath: String
    let startedAt: UInt64
    let timeoutAt: UInt64?
    /// The sandbox's OOM kill count when the exec began (see `OOMKills`).
    let oomKillsAtStart: UInt64?
    private let limit: UInt64

    /// The shell has read the line (begin marker seen); output before that is not ours.
    var begun = false
    private(set) var forwarded: UInt64 = 0
    private(set) var total: UInt64 = 0
    private(set) var truncated = false
    private var normalizer = CRLFNormalizer()
    private var normalized: [UInt8] = []
    private var pending: [UInt8] = []

    var interruption: Interruption?
    var interruptedAt: UInt64 = 0
    var nextKickAt: UInt64 = 0
    var kicks = 0
    /// POSIX sh only: the no-op line whose marker ends an interrupted exec (sh has no
    /// PROMPT_COMMAND, so an abandoned line reports nothing by itself).
    var syncSeq: UInt64?
    /// The host has its answer; anything the shell still says about this exec is dropped.
    var resultSent = false

    /// - Parameter timeoutAt: when the exec times out; its timeout counts from the request's
    ///   arrival (see `ShellQueue`), so this may be sooner than `now` plus the timeout.
    init(
        id: UInt32, seq: UInt64, request: ShellExecRequest, commandPath: String, now: UInt64, timeoutAt: UInt64?,
        oomKillsAtStart: UInt64?
    ) {
        self.id = id
        self.seq = seq
        self.request = request
        self.commandPath = commandPath
        startedAt = now
        self.timeoutAt = timeoutAt
        self.oomKillsAtStart = oomKillsAtStart
        limit = request.maxOutputBytes > 0 ? request.maxOutputBytes : RunnerWire.defaultMaxOutputBytes
    }

    /// True while output is still forwarded (so the reader should respect host backpressure).
    var isForwarding: Bool { begun && !resultSent && !truncated }

    func accept(_ bytes: UnsafeRawBufferPointer) {
        guard begun, !resultSent else { return }
        if request.rawOutput {
            take(bytes)
        } else {
            normalized.removeAll(keepingCapacity: true)
            normalizer.process(bytes, into: &normalized)
            normalized.withUnsafeBytes { take($0) }
        }
    }

    private func take(_ bytes: UnsafeRawBufferPointer) {
        let count = UInt64(bytes.count)
        total += count
        let room = limit > forwarded ? limit - forwarded : 0
        let kept = min(room, count)
        if kept < count { truncated = true }
        if kept > 0 {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<Int(kept)]))
            forwarded += kept
        }
    }

    /// Sends what accumulated since the last flush as output frames.
    func flush(to outbound: Outbound) {
        guard !pending.isEmpty else { return }
        outbound.sendOutput(id, .stdout, pending[...])
        pending.removeAll(keepingCapacity: pending.capacity <= RunnerWire.chunkSize)
    }

    /// Releases a held trailing "\r" and sends the rest.
    func finishOutput(to outbound: Outbound) {
        if !request.rawOutput {
            normalized.removeAll(keepingCapacity: false)
            normalizer.finish(into: &normalized)
            normalized.withUnsafeBytes { take($0) }
        }
        flush(to: outbound)
    }

    func result(exitCode: Int32, workingDirectory: String, now: UInt64, oomKilled: Bool) -> ExecResult {
        ExecResult(
            exitCode: exitCode, signal: 0, workingDirectory: workingDirectory, durationNanoseconds: now - startedAt,
            outputBytes: total, truncated: truncated, timedOut: interruption == .timeout,
            cancelled: interruption == .cancel, oomKilled: oomKilled)
    }
}

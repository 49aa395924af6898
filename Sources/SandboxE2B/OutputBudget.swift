import Sandbox

/// The runner's output cap, kept on this side of an E2B sandbox: envd has no cap, so output
/// past the limit is received and dropped here, and the result says `truncated` with the
/// total produced, exactly as the runner reports it for a Docker sandbox.
struct OutputBudget: Sendable {
    /// Bytes (stdout and stderr together) passed on before the rest is dropped.
    let limit: UInt64
    private(set) var produced: UInt64 = 0
    private(set) var forwarded: UInt64 = 0

    init(limit: UInt64) { self.limit = limit }

    /// A command's cap: nil (or 0, as the runner reads it) means the default.
    init(maxOutputBytes: UInt64?) {
        self.init(limit: maxOutputBytes.flatMap { $0 > 0 ? $0 : nil } ?? SandboxCommand.defaultMaxOutputBytes)
    }

    /// The part of `bytes` within the cap, or nil when none of it is.
    mutating func admit(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        let count = UInt64(bytes.count)
        produced += count
        let room = limit > forwarded ? limit - forwarded : 0
        let kept = min(room, count)
        forwarded += kept
        guard kept > 0 else { return nil }
        return kept == count ? Array(bytes) : Array(bytes.prefix(Int(kept)))
    }

    /// `result` with what this budget saw.
    func stamp(_ result: ProcessResult) -> ProcessResult {
        var stamped = result
        stamped.outputBytes = produced
        stamped.truncated = produced > forwarded
        return stamped
    }
}

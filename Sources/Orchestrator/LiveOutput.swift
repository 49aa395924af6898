import Foundation
import Guardrails
import Synchronization

/// What running steps print, as it arrives, for the dashboard's live logs. The store keeps an
/// attempt's output tail only when the attempt ends; this keeps the last ``limit`` bytes of
/// each running step (or fan-out item) in memory until its run finishes.
///
/// Text is released a whole line at a time and scrubbed then (``ScrubbingSystem``): a secret
/// printed across two chunks is whole when it is scrubbed, so no half of it is shown. A private
/// key block is held until its END line (or until it outgrows ``maxHeld``). A line longer than
/// ``maxHeld`` without a newline is released anyway, scrubbed as it stands.
public final class LiveOutput: Sendable {
    public struct Place: Hashable, Sendable {
        public var runID: String
        public var step: String
        public var index: Int?

        public init(runID: String, step: String, index: Int? = nil) {
            self.runID = runID
            self.step = step
            self.index = index
        }
    }

    private struct Buffer {
        /// Released text: whole lines, scrubbed.
        var shown = ""
        /// Text not released yet: a partial line, or an open key block.
        var held = ""
        var lastNotice: ContinuousClock.Instant?
    }

    private struct State {
        var buffers: [Place: Buffer] = [:]
        /// Bumped by every release of a run's text: what a follower compares.
        var versions: [String: Int] = [:]
    }

    /// The most kept per step (its oldest lines go first).
    public let limit: Int
    /// The most held back waiting for a line's end or a key block's END line.
    public let maxHeld: Int
    /// How often a run's output may wake its followers.
    public let noticeInterval: Duration
    private let state = Mutex(State())

    public init(limit: Int = 64 * 1024, maxHeld: Int = 16 * 1024, noticeInterval: Duration = .milliseconds(250)) {
        self.limit = limit
        self.maxHeld = maxHeld
        self.noticeInterval = noticeInterval
    }

    /// Adds a chunk of `place`'s output. Returns whether followers should be woken now (text was
    /// released and the run's last wake-up is older than ``noticeInterval``).
    @discardableResult
    public func append(_ text: String, at place: Place) -> Bool {
        state.withLock { state in
            var buffer = state.buffers[place] ?? Buffer()
            buffer.held += text
            let released = release(&buffer.held, force: false)
            guard !released.isEmpty else {
                state.buffers[place] = buffer
                return false
            }
            buffer.shown = trimmed(buffer.shown + released)
            state.versions[place.runID, default: 0] += 1
            let now = ContinuousClock.now
            let notify = buffer.lastNotice.map { now - $0 >= noticeInterval } ?? true
            if notify { buffer.lastNotice = now }
            state.buffers[place] = buffer
            return notify
        }
    }

    /// The step ended: what it and its fan-out items held back is released (scrubbed as it stands).
    public func flush(runID: String, step: String) {
        state.withLock { state in
            for (place, var buffer) in state.buffers where place.runID == runID && place.step == step && !buffer.held.isEmpty {
                buffer.shown = trimmed(buffer.shown + release(&buffer.held, force: true))
                state.versions[runID, default: 0] += 1
                state.buffers[place] = buffer
            }
        }
    }

    /// Each place of the step that printed something (the step itself, or its items in order).
    public func places(runID: String, step: String) -> [Place] {
        state.withLock { state in
            state.buffers.keys.filter { $0.runID == runID && $0.step == step }.sorted { ($0.index ?? -1) < ($1.index ?? -1) }
        }
    }

    /// The run finished: its output is dropped (the store has each attempt's tail).
    public func finish(runID: String) {
        state.withLock { state in
            state.buffers = state.buffers.filter { $0.key.runID != runID }
            state.versions.removeValue(forKey: runID)
        }
    }

    /// What `place` printed so far (its last ``limit`` bytes, scrubbed), nil when nothing is kept.
    public func text(at place: Place) -> String? {
        state.withLock { $0.buffers[place]?.shown }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Changes whenever more of the run's output is released.
    public func version(runID: String) -> Int { state.withLock { $0.versions[runID] ?? 0 } }

    /// Takes what may be shown off the front of `held`: every whole line, except an open private
    /// key block (held until its END line); everything when `force` or past ``maxHeld``.
    private func release(_ held: inout String, force: Bool) -> String {
        let cut: String.Index?
        if force || held.utf8.count > maxHeld {
            cut = held.endIndex
        } else if let open = Self.openKeyBlock(in: held) {
            cut = held[..<open].lastIndex(of: "\n").map { held.index(after: $0) }
        } else {
            cut = held.lastIndex(of: "\n").map { held.index(after: $0) }
        }
        guard let cut, cut > held.startIndex else { return "" }
        let out = String(held[..<cut])
        held = String(held[cut...])
        return ScrubbingSystem.scrub(out)
    }

    /// Where a `-----BEGIN … PRIVATE KEY-----` without its END line starts, if one does.
    static func openKeyBlock(in text: String) -> String.Index? {
        guard let begin = text.range(of: "-----BEGIN ", options: .backwards),
            text[begin.upperBound...].range(of: "-----END ") == nil
        else { return nil }
        return begin.lowerBound
    }

    private func trimmed(_ text: String) -> String {
        guard text.utf8.count > limit else { return text }
        let tail = text.utf8.suffix(limit)
        var start = tail.startIndex
        // Start at a line when one begins in the kept part.
        if let newline = tail.firstIndex(of: UInt8(ascii: "\n")) { start = tail.index(after: newline) }
        return String(decoding: tail[start...], as: UTF8.self)
    }
}

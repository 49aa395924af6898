import Foundation

/// The scheduler's sense of time: what time it is, and how to wait for a moment. Injected, so
/// tests move time by hand instead of waiting real minutes.
public struct SchedulerClock: Sendable {
    /// The current instant.
    public var now: @Sendable () -> Date
    /// Returns once `deadline` has come by ``now`` — or earlier: the scheduler looks again
    /// whenever it wakes, so an early return costs a look, never a slot. Throws
    /// `CancellationError` when the waiting task is cancelled (a schedule changed).
    public var sleep: @Sendable (_ deadline: Date) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (_ deadline: Date) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The longest single wait of ``system``. A monotonic sleep does not follow the wall clock,
    /// which NTP may step or a suspended machine leaves behind; waking at least this often
    /// re-reads the wall clock, so a slot is at most this late after such a jump. Nothing like
    /// polling: one look at the store every few minutes.
    public static let systemMaximumNap: TimeInterval = 300

    /// The wall clock.
    public static let system = SchedulerClock(
        now: { Date() },
        sleep: { deadline in
            let seconds = min(max(0, deadline.timeIntervalSinceNow), systemMaximumNap)
            try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
        })
}

import Foundation

/// A slot's identity: its instant truncated to the minute, as seconds since 1970 (UTC). Two
/// processes computing the same schedule agree on it, so a unique (schedule, slot) key in the
/// store is what makes a slot fire exactly once, also across restarts: whoever inserts the key
/// first runs it, a second insert fails.
public struct ScheduleSlot: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let epochSeconds: Int64

    /// Dates beyond ±2^52 minutes of 1970 (far outside any calendar) are clamped to that
    /// bound, and NaN counts as 1970, so no date can trap.
    public init(_ date: Date) {
        let minutes = (date.timeIntervalSince1970 / 60).rounded(.down)
        let bound = Double(Self.minuteBound)
        epochSeconds = minutes.isNaN ? 0 : Int64(min(max(minutes, -bound), bound)) * 60
    }

    /// Truncates to the minute (toward the past, also before 1970).
    public init(epochSeconds: Int64) {
        let clamped = min(max(epochSeconds, -Self.minuteBound * 60), Self.minuteBound * 60)
        self.epochSeconds = CivilDate.floorDivide(clamped, 60) * 60
    }

    private static let minuteBound: Int64 = 1 << 52

    public var date: Date { Date(timeIntervalSince1970: Double(epochSeconds)) }
    public var description: String { String(epochSeconds) }

    public static func < (lhs: ScheduleSlot, rhs: ScheduleSlot) -> Bool { lhs.epochSeconds < rhs.epochSeconds }
}

/// What to do with slots that passed while the server was down (or the scheduler was late by
/// more than the grace period).
public enum CatchUp: String, Sendable, Hashable, CaseIterable, Codable {
    /// Fire the latest missed slot once; the older ones are dropped.
    case once
    /// Fire none of them; wait for the next slot.
    case skip
}

/// The scheduler's decision for one schedule at one moment.
public struct CatchUpDecision: Sendable, Hashable {
    /// The slot to fire now, if any: the latest due slot.
    public var fire: ScheduleSlot?
    /// Due slots that will never fire (older missed ones, or all missed ones under `skip`),
    /// counted up to `MissedSlots.countLimit`.
    public var dropped: Int
    /// `next_run_at`: the first slot after both `now` and the last slot fired; nil if none.
    public var nextRunAt: Date?

    public init(fire: ScheduleSlot?, dropped: Int, nextRunAt: Date?) {
        self.fire = fire
        self.dropped = dropped
        self.nextRunAt = nextRunAt
    }
}

/// The catch-up rule, as a pure function the scheduler calls at start-up and on every wake-up.
public enum MissedSlots {
    /// How many dropped slots are counted at most (an every-minute schedule down for a month
    /// misses 43,200).
    public static let countLimit = 1000
    /// A due slot at most this old counts as on time and fires under either policy: the
    /// scheduler waking a little late has not missed it.
    public static let defaultGrace: TimeInterval = 60

    /// Decides which slot (if any) fires now and what `next_run_at` becomes.
    ///
    /// - `lastFired`: the last slot fired (its `ScheduleSlot.date`), nil if none ever did.
    /// - `createdAt`: when the schedule was created — or last enabled, or its expression or zone
    ///   changed: slots at or before it never fire.
    /// - Due slots are those after both, up to and including `now`. The latest of them fires if
    ///   it is within `grace` of `now`, or under `.once` whatever its age; every other due slot
    ///   is dropped.
    /// - A clock that went backwards (`now` before `lastFired`) fires nothing, and `nextRunAt`
    ///   stays after `lastFired`, so no slot ever fires twice.
    public static func decide(
        schedule: CronSchedule, lastFired: Date?, createdAt: Date, now: Date, catchUp: CatchUp,
        grace: TimeInterval = defaultGrace
    ) -> CatchUpDecision {
        let reference = max(lastFired ?? createdAt, createdAt)
        let nextRunAt = schedule.next(after: max(now, reference))
        guard now > reference, let latest = schedule.lastSlot(after: reference, through: now) else {
            return CatchUpDecision(fire: nil, dropped: 0, nextRunAt: nextRunAt)
        }
        let older = schedule.slots(after: reference, through: latest.addingTimeInterval(-1), limit: countLimit).count
        if catchUp == .once || now.timeIntervalSince(latest) <= grace {
            return CatchUpDecision(fire: ScheduleSlot(latest), dropped: older, nextRunAt: nextRunAt)
        }
        return CatchUpDecision(fire: nil, dropped: min(older + 1, countLimit), nextRunAt: nextRunAt)
    }
}

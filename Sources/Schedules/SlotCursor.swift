/// Walks a schedule's slots forward in time, one stretch of constant UTC offset at a time.
/// Within a stretch, local wall time and UTC differ by a constant, so the wall-clock search
/// answers directly; at a transition the DST rules of `CronSchedule` decide what the gap or the
/// repeated hour yields.
struct SlotCursor {
    /// Far enough back that the stretch holding `after` is entered through its transition, so a
    /// repeated hour just behind `after` is known as one (repeats last hours, not days).
    static let lookback: Int64 = 2 * CivilDate.secondsPerDay

    private let schedule: CronSchedule
    private let searchEnd: Int64
    /// The last instant handed out (or the start): every slot found is strictly after it.
    private var after: Int64
    private var segment: OffsetSegment
    /// The offset before `segment`'s start, when the walk crossed that transition itself.
    private var previousOffset: Int64?
    private(set) var stats = SearchStats()

    /// nil when the expression can never fire.
    init?(_ schedule: CronSchedule, after instant: Int64) {
        guard schedule.expression.canFire else { return nil }
        self.schedule = schedule
        self.after = instant
        searchEnd = min(instant + CronSchedule.horizonSeconds, CronSchedule.latestInstant)
        segment = schedule.segment(startingAt: max(instant - Self.lookback, CronSchedule.earliestInstant), searchEnd: searchEnd)
        stats.offsetSegments = 1
    }

    /// The next slot, as seconds since 1970, or nil when none comes before the horizon.
    mutating func next() -> Int64? {
        let expression = schedule.expression
        while segment.start < searchEnd {
            let offset = segment.offset
            if let previous = previousOffset, previous < offset, expression.isFixedTime, segment.start > after,
                expression.firstWallMatch(
                    atOrAfter: segment.start + previous, before: segment.start + offset, stats: &stats) != nil
            {
                // Spring forward: the skipped wall times fire once, when the clocks have jumped.
                after = segment.start
                return after
            }
            var lowerBound = max(segment.start + offset, after + offset + 1)
            if let previous = previousOffset, previous > offset, expression.isFixedTime {
                // Fall back: the repeated wall times already fired in their first occurrence.
                lowerBound = max(lowerBound, segment.start + previous)
            }
            let upperBound = (segment.end ?? searchEnd) + offset
            if let wall = expression.firstWallMatch(atOrAfter: lowerBound, before: upperBound, stats: &stats) {
                after = wall - offset
                return after
            }
            guard let end = segment.end else { return nil }
            previousOffset = offset
            segment = schedule.segment(startingAt: end, searchEnd: searchEnd)
            stats.offsetSegments += 1
        }
        return nil
    }
}

/// How much work a search did, so tests can prove it is bounded without timing it.
struct SearchStats: Sendable, Equatable {
    /// Calendar steps: each looks at one month (or one day within a matching month).
    var calendarSteps = 0
    /// Stretches of constant UTC offset walked (one per time-zone transition crossed, plus one).
    var offsetSegments = 0
}

extension CronExpression {
    /// The first wall-clock minute at or after `lowerBound` and before `upperBound` (wall
    /// seconds, see `CivilDate`) that the expression selects. Skips whole months and days with
    /// bit masks, so a search over years costs one step per month, never one per minute.
    func firstWallMatch(atOrAfter lowerBound: Int64, before upperBound: Int64, stats: inout SearchStats) -> Int64? {
        let start = CivilDate.floorDivide(lowerBound + 59, 60) * 60
        guard start < upperBound else { return nil }
        var dayNumber = CivilDate.floorDivide(start, CivilDate.secondsPerDay)
        var minuteOfDay = Int((start - dayNumber * CivilDate.secondsPerDay) / 60)
        var (year, month, day) = CivilDate.date(daysSinceEpoch: dayNumber)
        while dayNumber * CivilDate.secondsPerDay < upperBound {
            stats.calendarSteps += 1
            if months.bits.contains(month), let matchingDay = matchingDays(year: year, month: month).next(atOrAfter: day) {
                if matchingDay != day {
                    day = matchingDay
                    minuteOfDay = 0
                    dayNumber = CivilDate.days(year: year, month: month, day: day)
                    continue
                }
                if let minute = firstTime(atOrAfter: minuteOfDay) {
                    let wall = dayNumber * CivilDate.secondsPerDay + Int64(minute) * 60
                    return wall < upperBound ? wall : nil
                }
                // Nothing left today: tomorrow, which may be in the next month.
                day += 1
                minuteOfDay = 0
                if day <= CivilDate.length(ofMonth: month, year: year) {
                    dayNumber += 1
                    continue
                }
            }
            // The 1st of the next selected month.
            if let nextMonth = months.bits.next(atOrAfter: month + 1) {
                month = nextMonth
            } else {
                year += 1
                month = months.bits.first ?? 1
            }
            day = 1
            minuteOfDay = 0
            dayNumber = CivilDate.days(year: year, month: month, day: 1)
        }
        return nil
    }

    /// The first selected minute of the day (0-1439) at or after `minuteOfDay`.
    private func firstTime(atOrAfter minuteOfDay: Int) -> Int? {
        let hour = minuteOfDay / 60
        if hours.bits.contains(hour), let minute = minutes.bits.next(atOrAfter: minuteOfDay % 60) {
            return hour * 60 + minute
        }
        guard let nextHour = hours.bits.next(atOrAfter: hour + 1), let minute = minutes.bits.first else { return nil }
        return nextHour * 60 + minute
    }
}

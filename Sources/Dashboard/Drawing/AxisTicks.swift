import Foundation

/// Round-numbered axis ticks. An axis always starts at 0 and ends on a tick at or past the
/// largest value, so the bars' scale is `tick.last`, not the raw maximum.
enum AxisTicks {
    /// 0, step, 2·step, … with step 1, 2 or 5 × 10ⁿ, whichever gives closest to `count`
    /// intervals up to `maximum` (rounding the raw step to the nearest nice one on a log scale,
    /// as charting libraries commonly do). `integerSteps` keeps steps whole, for counts: a day
    /// with one run should not get an axis of 0.2, 0.4, … runs. Nothing to show draws 0 and 1.
    static func linear(upTo maximum: Double, about count: Int = 4, integerSteps: Bool = false) -> [Double] {
        guard maximum.isFinite, maximum > 0 else { return [0, 1] }
        let raw = maximum / Double(max(1, count))
        let magnitude = pow(10, log10(raw).rounded(.down))
        let residual = raw / magnitude
        let nice: Double = residual >= 50.squareRoot() ? 10 : residual >= 10.squareRoot() ? 5 : residual >= 2.squareRoot() ? 2 : 1
        let step = integerSteps ? max(1, nice * magnitude) : nice * magnitude
        return ticks(step: step, upTo: maximum)
    }

    /// Durations humans count in: sub-second steps, then 1, 2, 5, 10, 15, 30 s, minutes, hours.
    private static let durationSteps: [Double] = [
        0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ]

    /// Ticks in seconds for a time axis spanning `seconds`, about `count` intervals.
    static func duration(upTo seconds: Double, about count: Int = 5) -> [Double] {
        let top = seconds.isFinite && seconds > 0 ? seconds : 1
        let raw = top / Double(max(1, count))
        if let step = durationSteps.first(where: { $0 >= raw }) { return ticks(step: step, upTo: top) }
        let days = linear(upTo: top / 86400, about: count)
        return days.map { $0 * 86400 }
    }

    /// Multiples of `step` from 0 to the first at or past `top`, each computed from its index
    /// (not by repeated addition) so that no rounding error piles up. A step below 1 is always
    /// 1/k for a whole k (0.2 = 1/5), and `i / k` is exact where `i × 0.2` is not (0.6000000000000001).
    private static func ticks(step: Double, upTo top: Double) -> [Double] {
        let intervals = max(1, Int((top / step - 1e-9).rounded(.up)))
        if step < 1 {
            let perUnit = (1 / step).rounded()
            return (0...intervals).map { Double($0) / perUnit }
        }
        return (0...intervals).map { Double($0) * step }
    }
}

import Foundation

/// How a chart writes its values. Written by hand rather than with a formatter: the text must
/// not change with the server's locale, and drawings are compared byte for byte.
public enum ChartValueFormat: Sendable, Hashable {
    /// `12`, `3.5`, `0.25` (at most two decimals, trailing zeros dropped).
    case number
    /// `$1.20`; below a cent `$0.0042`, since model calls are often that cheap.
    case usd
    /// A duration in seconds: `45s`, `1m 30s`, `2h 5m`.
    case seconds

    public func text(_ value: Double) -> String {
        switch self {
        case .number: return ValueText.trimmed(value, decimals: 2)
        case .usd:
            let magnitude = abs(value)
            let decimals = magnitude > 0 && magnitude < 0.01 ? 4 : 2
            let sign = value < 0 && ValueText.fixed(magnitude, decimals: decimals) != ValueText.fixed(0, decimals: decimals) ? "-" : ""
            return sign + "$" + ValueText.fixed(magnitude, decimals: decimals)
        case .seconds: return ValueText.duration(value)
        }
    }
}

enum ValueText {
    /// `value` rounded to exactly `decimals` places: `fixed(1.5, 2)` is `1.50`.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        let scale = pow(10, Double(decimals))
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return String(format: "%.0f", value) }
        let units = Int(scaled)
        let factor = Int(scale)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(units) }
        let fraction = String(units % factor)
        return sign + String(units / factor) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Like ``fixed(_:decimals:)`` without trailing zeros: `1.50` → `1.5`, `2.00` → `2`.
    static func trimmed(_ value: Double, decimals: Int) -> String {
        var text = fixed(value, decimals: decimals)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A duration for people: `0s`, `0.4s`, `45s`, `1m`, `1m 30s`, `2h`, `2h 5m`, `3d 4h`.
    /// Seconds below a minute keep one decimal when they have one; longer spans drop what a
    /// reader would not use.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0s" }
        if seconds < 60 { return trimmed(seconds, decimals: seconds < 10 ? 1 : 0) + "s" }
        let whole = Int(seconds.rounded())
        let (days, hours, minutes, secs) = (whole / 86400, whole % 86400 / 3600, whole % 3600 / 60, whole % 60)
        if days > 0 { return hours > 0 ? "\(days)d \(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h \(minutes)m" : "\(hours)h" }
        return secs > 0 ? "\(minutes)m \(secs)s" : "\(minutes)m"
    }
}

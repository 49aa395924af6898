/// Durations as workflows write them: `30s`, `5m`, `1h30m`, `1h 30m`, `1.5h`, `250ms`, `2d`,
/// or a number of seconds (`90`, `0.5`).
public enum DurationParser {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    /// Parses a duration string; nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingSpaces
        if let seconds = Double(trimmed), trimmed.first.map({ $0.isASCIIDigit || $0 == "." }) == true {
            return seconds.isFinite ? Self.duration(seconds: seconds) : nil
        }
        var total = 0.0
        var rest = Substring(trimmed)
        var sawComponent = false
        while !rest.isEmpty {
            rest = rest.drop(while: { $0 == " " })
            let number = rest.prefix(while: { $0.isASCIIDigit || $0 == "." })
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let letters = rest.prefix(while: { $0.isLetter })
            guard let unit = units.first(where: { $0.suffix == letters.lowercased() }) else { return nil }
            rest = rest.dropFirst(letters.count)
            total += value * unit.seconds
            sawComponent = true
            rest = rest.drop(while: { $0 == " " })
        }
        return sawComponent && total.isFinite ? duration(seconds: total) : nil
    }

    /// Parses a YAML value: a number of seconds or a duration string.
    public static func parse(_ value: JSONValue) -> Duration? {
        switch value {
        case .integer(let seconds): .seconds(seconds)
        case .number(let seconds) where seconds.isFinite: duration(seconds: seconds)
        case .string(let text): parse(text)
        default: nil
        }
    }

    /// Formats a duration the way it would be written: `1h30m`, `45s`, `1.5s`, `250ms`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds == 0 && attoseconds == 0 { return "0s" }
        if seconds < 1 { return "\(attoseconds / 1_000_000_000_000_000)ms" }
        if attoseconds != 0 {
            let value = Double(seconds) + Double(attoseconds) / 1e18
            return "\((value * 1000).rounded() / 1000)s"
        }
        var remaining = seconds
        var text = ""
        for (suffix, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
            text += "\(remaining / size)\(suffix)"
            remaining %= size
        }
        return text
    }

    /// Seconds of a duration as a Double.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Nil past what whole milliseconds in an Int64 hold (some 292 million years): such a
    /// number is no duration anyone means, and converting it would trap.
    private static func duration(seconds: Double) -> Duration? {
        // Milliseconds are the finest grain a workflow can ask for; rounding keeps 0.1s exact.
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) < 9.2e18 else { return nil }
        return .milliseconds(Int64(milliseconds))
    }
}

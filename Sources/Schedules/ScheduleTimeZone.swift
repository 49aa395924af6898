import Foundation

/// Reading a schedule's time zone from its IANA name.
enum ScheduleTimeZone {
    static let defaultName = "UTC"
    private static let maximumNameLength = 64

    /// The zone named, or a `CronError` naming what was given. Names are checked before
    /// Foundation sees them (tzdata is read from files named after them), and ICU's custom forms
    /// such as `GMT+5` are refused: they are not IANA names and their sign reads backwards to
    /// anyone who knows `Etc/GMT+5`.
    static func zone(named name: String) throws(CronError) -> TimeZone {
        guard !name.isEmpty else {
            throw CronError(.unknownTimeZone, "time zone is empty; use an IANA name such as Europe/Berlin or UTC")
        }
        let allowed =
            name.utf8.count <= maximumNameLength && !name.hasPrefix("/") && !name.contains("..")
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (CronFieldParser.isASCIILetter(UInt8(scalar.value)) || "0123456789/_-+".unicodeScalars.contains(scalar))
            }
        let isICUCustom = ["GMT+", "GMT-", "UTC+", "UTC-"].contains { name.uppercased().hasPrefix($0) }
        guard allowed, !isICUCustom, let zone = TimeZone(identifier: name) else {
            throw CronError(.unknownTimeZone, "unknown time zone \(Quoted.text(name))\(suggestion(for: name))")
        }
        return zone
    }

    /// A known name that differs only in case (`europe/berlin`), else the generic hint.
    private static func suggestion(for name: String) -> String {
        let lowered = name.lowercased()
        let known = ["UTC"] + TimeZone.knownTimeZoneIdentifiers
        if name.utf8.count <= maximumNameLength, let match = known.first(where: { $0.lowercased() == lowered }) {
            return "; did you mean \(match)?"
        }
        return "; use an IANA name such as Europe/Berlin or UTC"
    }
}

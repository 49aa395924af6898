/// Why a cron expression or a schedule's time zone was refused: a code to branch on, the field
/// it concerns and a message a user can act on (`day_of_week: 8 is out of range 0-7 (0 and 7
/// are Sunday)`). Messages quote at most a short, escaped piece of the input, so a hostile
/// expression cannot flood a log line or smuggle control characters into it.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Nothing but whitespace.
        public static let empty = Code(rawValue: "empty")
        /// Longer than `CronExpression.maximumLength` bytes.
        public static let tooLong = Code(rawValue: "too_long")
        /// Not exactly five fields (and not an `@` name).
        public static let wrongFieldCount = Code(rawValue: "wrong_field_count")
        /// A field entry that is not `*`, a number, a name, a range or a step.
        public static let invalidField = Code(rawValue: "invalid_field")
        /// A number outside its field's range (`minute: 60`).
        public static let outOfRange = Code(rawValue: "out_of_range")
        /// A range whose start is after its end (`5-1`).
        public static let invalidRange = Code(rawValue: "invalid_range")
        /// A step that is not a number, is 0, or is longer than the field (`*/0`, `*/60`).
        public static let invalidStep = Code(rawValue: "invalid_step")
        /// An `@` name, month name or weekday name that does not exist.
        public static let unknownName = Code(rawValue: "unknown_name")
        /// A time zone that is not an IANA name this machine knows.
        public static let unknownTimeZone = Code(rawValue: "unknown_time_zone")
    }

    public var code: Code
    /// The field at fault; nil when the expression as a whole is (`wrongFieldCount`, `empty`,
    /// `tooLong`, an unknown `@` name) or for `unknownTimeZone`.
    public var field: CronField?
    /// What is wrong and how to fix it, starting with the field's name when there is one.
    public var message: String

    public init(_ code: Code, field: CronField? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { message }

    static func inField(_ field: CronField, _ code: Code, _ text: String) -> CronError {
        CronError(code, field: field, message: "\(field.rawValue): \(text)")
    }
}

/// Quoting input in messages: at most `limit` characters, anything outside printable ASCII
/// escaped, single quotes around it.
enum Quoted {
    static let limit = 24

    static func text(_ raw: some StringProtocol) -> String {
        var out = ""
        var count = 0
        for scalar in raw.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            count += 1
            if scalar.value >= 0x20, scalar.value < 0x7F, scalar != "'", scalar != "\\" {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return "'" + out + "'"
    }

    /// Input bytes are at most `CronExpression.maximumLength` long, so decoding them whole is cheap.
    static func bytes(_ raw: ArraySlice<UInt8>) -> String {
        text(String(decoding: raw, as: UTF8.self))
    }
}

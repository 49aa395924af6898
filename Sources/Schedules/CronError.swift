/// Why a cron expression or a schedule's time zone was refused: a code to branch on, the field
/// it concerns and a message a user can act on (`day_of_week: 8 is out of range 0-7 (0 and 7
/// are Sunday)`). Messages quote at most a short, escaped piece of the input, so a hostile
/// expression cannot flood a log line or smuggle control characters into it.
public struct CronError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds (docs/errors.md): a new one breaks no caller's switch.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case empty, tooLong = "too_long", wrongFieldCount = "wrong_field_count", invalidField = "invalid_field"
            case outOfRange = "out_of_range", invalidRange = "invalid_range", invalidStep = "invalid_step"
            case unknownName = "unknown_name", unknownTimeZone = "unknown_time_zone"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        public var description: String { value.rawValue }

        /// Nothing but whitespace.
        public static let empty = Code(.empty)
        /// Longer than `CronExpression.maximumLength` bytes.
        public static let tooLong = Code(.tooLong)
        /// Not exactly five fields (and not an `@` name alone).
        public static let wrongFieldCount = Code(.wrongFieldCount)
        /// A field entry that is not `*`, a number, a name, a range or a step.
        public static let invalidField = Code(.invalidField)
        /// A number outside its field's range (`minute: 60`).
        public static let outOfRange = Code(.outOfRange)
        /// A range whose start is after its end (`5-1`).
        public static let invalidRange = Code(.invalidRange)
        /// A step that is not a number, is 0, or is longer than the field (`*/0`, `*/60`).
        public static let invalidStep = Code(.invalidStep)
        /// An `@` name, month name or weekday name that does not exist.
        public static let unknownName = Code(.unknownName)
        /// A time zone that is not an IANA name this machine knows.
        public static let unknownTimeZone = Code(.unknownTimeZone)
    }

    public let code: Code
    /// The field at fault; nil when the expression as a whole is (`wrongFieldCount`, `empty`,
    /// `tooLong`, an unknown `@` name) and for `unknownTimeZone` (the API's `timezone`).
    public let field: CronField?
    /// What is wrong and how to fix it, starting with the field's name when there is one.
    public let message: String

    public init(_ code: Code, field: CronField? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { message }

    static func inField(_ field: CronField, _ code: Code, _ text: String) -> CronError {
        CronError(code, field: field, "\(field.rawValue): \(text)")
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

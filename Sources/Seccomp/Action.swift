/// What a seccomp filter does with a syscall.
public enum Action: Sendable, Hashable, CustomStringConvertible {
    case allow
    /// Allow and write an audit record.
    case log
    /// Fail the call with this errno.
    case errno(UInt16)
    /// Notify a ptrace tracer (or fail with ENOSYS when there is none).
    case trace(UInt16)
    /// Send SIGSYS.
    case trap
    case killThread
    case killProcess
    /// Hand the call to a user-space supervisor.
    case notify

    /// Whether the call reaches the kernel's implementation.
    public var allowsCall: Bool {
        switch self {
        case .allow, .log: return true
        default: return false
        }
    }

    /// Docker's spelling plus the errno, e.g. `SCMP_ACT_ERRNO(38)`.
    public var description: String {
        switch self {
        case .allow: return "SCMP_ACT_ALLOW"
        case .log: return "SCMP_ACT_LOG"
        case .errno(let value): return "SCMP_ACT_ERRNO(\(value)\(Self.errnoName(value).map { " " + $0 } ?? ""))"
        case .trace(let value): return "SCMP_ACT_TRACE(\(value))"
        case .trap: return "SCMP_ACT_TRAP"
        case .killThread: return "SCMP_ACT_KILL_THREAD"
        case .killProcess: return "SCMP_ACT_KILL_PROCESS"
        case .notify: return "SCMP_ACT_NOTIFY"
        }
    }

    /// A short word for tables: `allow`, `EPERM`, `ENOSYS`, `kill`, ….
    public var shortName: String {
        switch self {
        case .allow: return "allow"
        case .log: return "log"
        case .errno(let value): return Self.errnoName(value) ?? "errno \(value)"
        case .trace: return "trace"
        case .trap: return "trap"
        case .killThread, .killProcess: return "kill"
        case .notify: return "notify"
        }
    }

    static func errnoName(_ value: UInt16) -> String? {
        switch value {
        case 1: return "EPERM"
        case 13: return "EACCES"
        case 22: return "EINVAL"
        case 38: return "ENOSYS"
        case 95: return "EOPNOTSUPP"
        default: return nil
        }
    }

    /// Docker's action names.
    public static let dockerNames = [
        "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_NOTIFY",
    ]

    /// Builds the action from Docker's name and `errnoRet`, with runc's defaults: EPERM for
    /// `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` without a value. Nil for an unknown name.
    public init?(dockerName: String, errnoRet: UInt32?) {
        let value = UInt16(clamping: errnoRet ?? 1)
        switch dockerName {
        case "SCMP_ACT_ALLOW": self = .allow
        case "SCMP_ACT_LOG": self = .log
        case "SCMP_ACT_ERRNO": self = .errno(value)
        case "SCMP_ACT_TRACE": self = .trace(value)
        case "SCMP_ACT_TRAP": self = .trap
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": self = .killThread
        case "SCMP_ACT_KILL_PROCESS": self = .killProcess
        case "SCMP_ACT_NOTIFY": self = .notify
        default: return nil
        }
    }

    /// The kernel's `SECCOMP_RET_*` value for this action.
    public var kernelValue: UInt32 {
        switch self {
        case .allow: return 0x7fff_0000
        case .log: return 0x7ffc_0000
        case .errno(let value): return 0x0005_0000 | UInt32(value)
        case .trace(let value): return 0x7ff0_0000 | UInt32(value)
        case .trap: return 0x0003_0000
        case .killThread: return 0
        case .killProcess: return 0x8000_0000
        case .notify: return 0x7fc0_0000
        }
    }

    /// Decodes a filter's return value (what the kernel would act on).
    public init(kernelValue: UInt32) {
        let data = UInt16(truncatingIfNeeded: kernelValue & 0xffff)
        switch kernelValue & 0xffff_0000 {
        case 0x7fff_0000: self = .allow
        case 0x7ffc_0000: self = .log
        case 0x0005_0000: self = .errno(data)
        case 0x7ff0_0000: self = .trace(data)
        case 0x0003_0000: self = .trap
        case 0x8000_0000: self = .killProcess
        case 0x7fc0_0000: self = .notify
        default: self = .killThread
        }
    }
}

extension Action: Codable {
    /// Encoded as Docker's spelling with the errno, e.g. `"SCMP_ACT_ERRNO(1 EPERM)"`, for reports.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        var name = text
        var value: UInt32?
        if let open = text.firstIndex(of: "(") {
            name = String(text[..<open])
            let digits = text[text.index(after: open)...].prefix { $0.isNumber }
            value = UInt32(digits)
        }
        guard let action = Action(dockerName: name, errnoRet: value) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown action \(text)"))
        }
        self = action
    }
}

/// An argument comparison operator (`SCMP_CMP_*`).
public enum ComparisonOperator: String, Sendable, Hashable, Codable, CaseIterable {
    case notEqual = "SCMP_CMP_NE"
    case lessThan = "SCMP_CMP_LT"
    case lessOrEqual = "SCMP_CMP_LE"
    case equal = "SCMP_CMP_EQ"
    case greaterOrEqual = "SCMP_CMP_GE"
    case greaterThan = "SCMP_CMP_GT"
    case maskedEqual = "SCMP_CMP_MASKED_EQ"

    /// Whether `argument` satisfies `argument <op> value` (`argument & value == valueTwo` for the mask).
    public func holds(_ argument: UInt64, value: UInt64, valueTwo: UInt64) -> Bool {
        switch self {
        case .notEqual: return argument != value
        case .lessThan: return argument < value
        case .lessOrEqual: return argument <= value
        case .equal: return argument == value
        case .greaterOrEqual: return argument >= value
        case .greaterThan: return argument > value
        case .maskedEqual: return argument & value == valueTwo
        }
    }

    /// A C-like rendering for reports, e.g. `arg0 & 0x7e020000 == 0`.
    public func render(index: UInt, value: UInt64, valueTwo: UInt64) -> String {
        let hex = { (number: UInt64) in number < 10 ? String(number) : "0x" + String(number, radix: 16) }
        switch self {
        case .notEqual: return "arg\(index) != \(hex(value))"
        case .lessThan: return "arg\(index) < \(hex(value))"
        case .lessOrEqual: return "arg\(index) <= \(hex(value))"
        case .equal: return "arg\(index) == \(hex(value))"
        case .greaterOrEqual: return "arg\(index) >= \(hex(value))"
        case .greaterThan: return "arg\(index) > \(hex(value))"
        case .maskedEqual: return "arg\(index) & \(hex(value)) == \(hex(valueTwo))"
        }
    }
}

extension ArgumentCondition {
    /// The parsed operator, nil when `op` is not one of `SCMP_CMP_*`.
    public var comparison: ComparisonOperator? { ComparisonOperator(rawValue: op) }

    /// Whether the argument vector satisfies this condition (missing arguments count as 0).
    public func holds(for arguments: [UInt64]) -> Bool {
        guard let comparison else { return false }
        let argument = Int(index) < arguments.count ? arguments[Int(index)] : 0
        return comparison.holds(argument, value: value, valueTwo: valueTwo ?? 0)
    }

    /// e.g. `arg0 < 0x26`.
    public var rendered: String { comparison?.render(index: index, value: value, valueTwo: valueTwo ?? 0) ?? "arg\(index) \(op) \(value)" }
}

import Foundation

/// A seccomp profile in Docker's JSON format (the Go types of `moby/profiles/seccomp`).
///
/// The model keeps actions, operators and architectures as the strings the file
/// spells, so that a bad value is reported by ``SeccompValidator`` with its location
/// instead of failing the whole decode. Decoding is strict about keys: Docker's Go
/// decoder ignores an unknown key (and matches keys case-insensitively), so a typo
/// such as `"arg"` for `"args"` would silently turn a filtered rule into an
/// unconditional one. Here it is an error.
public struct SeccompProfile: Sendable, Hashable, Codable {
    /// `SCMP_ACT_*` applied to every syscall no rule matches.
    public var defaultAction: String
    /// The errno returned by a default `SCMP_ACT_ERRNO` (EPERM when absent).
    public var defaultErrnoRet: UInt32?
    /// Explicit architectures (`SCMP_ARCH_*`); Docker rejects this together with `archMap`.
    public var architectures: [String]?
    /// Native architecture → sub-architectures that share the filter.
    public var archMap: [ArchitectureMapping]?
    public var syscalls: [SyscallRule]
    /// `SECCOMP_FILTER_FLAG_*` names passed to runc.
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?

    public init(
        defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
        archMap: [ArchitectureMapping]? = nil, syscalls: [SyscallRule], flags: [String]? = nil,
        listenerPath: String? = nil, listenerMetadata: String? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.syscalls = syscalls
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case defaultAction, defaultErrnoRet, architectures, archMap, syscalls, flags, listenerPath, listenerMetadata
    }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try container.decode(String.self, forKey: .defaultAction)
        defaultErrnoRet = try container.decodeIfPresent(UInt32.self, forKey: .defaultErrnoRet)
        architectures = try container.decodeIfPresent([String].self, forKey: .architectures)
        archMap = try container.decodeIfPresent([ArchitectureMapping].self, forKey: .archMap)
        syscalls = try container.decodeIfPresent([SyscallRule].self, forKey: .syscalls) ?? []
        flags = try container.decodeIfPresent([String].self, forKey: .flags)
        listenerPath = try container.decodeIfPresent(String.self, forKey: .listenerPath)
        listenerMetadata = try container.decodeIfPresent(String.self, forKey: .listenerMetadata)
    }
}

/// One `archMap` entry.
public struct ArchitectureMapping: Sendable, Hashable, Codable {
    public var architecture: String
    public var subArchitectures: [String]?

    public init(architecture: String, subArchitectures: [String]? = nil) {
        self.architecture = architecture
        self.subArchitectures = subArchitectures
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case architecture, subArchitectures }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try container.decode(String.self, forKey: .architecture)
        subArchitectures = try container.decodeIfPresent([String].self, forKey: .subArchitectures)
    }
}

/// One entry of `syscalls`: names that share an action and argument conditions.
public struct SyscallRule: Sendable, Hashable, Codable {
    /// Docker's deprecated single-name form; merged with `names` when evaluated.
    public var name: String?
    public var names: [String]
    /// `SCMP_ACT_*`.
    public var action: String
    /// The errno for `SCMP_ACT_ERRNO` (or the value for `SCMP_ACT_TRACE`).
    public var errnoRet: UInt32?
    /// Conditions on the call's register arguments, all of which must hold (but see ``SyscallRule/conditionSets``).
    public var args: [ArgumentCondition]?
    /// Why the rule exists. Every rule in a shipped profile has one.
    public var comment: String?
    public var includes: RuleFilter?
    public var excludes: RuleFilter?

    public init(
        names: [String], action: String, errnoRet: UInt32? = nil, args: [ArgumentCondition]? = nil,
        comment: String? = nil, includes: RuleFilter? = nil, excludes: RuleFilter? = nil
    ) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
        self.comment = comment
        self.includes = includes
        self.excludes = excludes
    }

    /// `name` and `names` together, in file order.
    public var allNames: [String] { (name.map { [$0] } ?? []) + names }

    /// The alternatives this rule matches, each a list of conditions that must all hold.
    ///
    /// runc adds a rule whose conditions repeat an argument index as one libseccomp rule
    /// per condition (so the conditions are ORed), because libseccomp cannot AND two
    /// comparisons of the same argument. This mirrors it, so evaluation matches the filter
    /// that really runs.
    public var conditionSets: [[ArgumentCondition]] {
        let conditions = args ?? []
        let indices = conditions.map(\.index)
        if Set(indices).count == indices.count { return [conditions] }
        return conditions.map { [$0] }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, names, action, errnoRet, args, comment, includes, excludes
    }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        names = try container.decodeIfPresent([String].self, forKey: .names) ?? []
        action = try container.decode(String.self, forKey: .action)
        errnoRet = try container.decodeIfPresent(UInt32.self, forKey: .errnoRet)
        args = try container.decodeIfPresent([ArgumentCondition].self, forKey: .args)
        comment = try container.decodeIfPresent(String.self, forKey: .comment)
        includes = try container.decodeIfPresent(RuleFilter.self, forKey: .includes)
        excludes = try container.decodeIfPresent(RuleFilter.self, forKey: .excludes)
    }
}

/// A comparison of one register argument: `arg[index] <op> value` (or `arg & value == valueTwo`).
public struct ArgumentCondition: Sendable, Hashable, Codable {
    public var index: UInt
    public var value: UInt64
    public var valueTwo: UInt64?
    /// `SCMP_CMP_*`.
    public var op: String

    public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case index, value, valueTwo, op }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Decoded wide so a negative index gets its own message instead of Foundation's "not valid JSON".
        let rawIndex = try container.decode(Int64.self, forKey: .index)
        guard rawIndex >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .index, in: container,
                debugDescription: "argument index \(rawIndex) is negative: a syscall has arguments 0 to 5")
        }
        index = UInt(rawIndex)
        value = try container.decode(UInt64.self, forKey: .value)
        valueTwo = try container.decodeIfPresent(UInt64.self, forKey: .valueTwo)
        op = try container.decode(String.self, forKey: .op)
    }
}

/// `includes`/`excludes`: when a rule applies, evaluated by the daemon before the filter is built.
public struct RuleFilter: Sendable, Hashable, Codable {
    /// Capabilities (`CAP_*`) the container's bounding set must hold (includes: all; excludes: any).
    public var caps: [String]?
    /// Docker's architecture names (`amd64`, `arm64`, …), compared with the daemon's native one.
    public var arches: [String]?
    /// A kernel version such as `4.8`.
    public var minKernel: String?

    public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: String? = nil) {
        self.caps = caps
        self.arches = arches
        self.minKernel = minKernel
    }

    var isEmpty: Bool { (caps ?? []).isEmpty && (arches ?? []).isEmpty && minKernel == nil }

    enum CodingKeys: String, CodingKey, CaseIterable { case caps, arches, minKernel }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        caps = try container.decodeIfPresent([String].self, forKey: .caps)
        arches = try container.decodeIfPresent([String].self, forKey: .arches)
        minKernel = try container.decodeIfPresent(String.self, forKey: .minKernel)
    }
}

/// Thrown from `init(from:)` when an object has a key its type does not define.
public struct UnknownKeyError: Error, Sendable {
    public var key: String
    public var codingPath: [String]
    public var allowed: [String]
}

/// Rejects keys a decoded object does not define; shared with the isolation profile format.
public enum StrictKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) {
            self.stringValue = String(intValue)
            self.intValue = intValue
        }
    }

    /// Throws ``UnknownKeyError`` for the first key of the object being decoded that is not in `allowed`.
    public static func check(_ decoder: any Decoder, allowed: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(allowed)
        for key in container.allKeys.map(\.stringValue).sorted() where !known.contains(key) {
            throw UnknownKeyError(key: key, codingPath: decoder.codingPath.map(JSONPath.component), allowed: allowed)
        }
    }
}

/// Renders coding paths as `syscalls[3].args[0]`.
public enum JSONPath {
    static func component(_ key: any CodingKey) -> String {
        if let index = key.intValue { return "[\(index)]" }
        return key.stringValue
    }

    /// Joins components, attaching array subscripts to the key before them.
    public static func render(_ components: [String]) -> String {
        var result = ""
        for component in components {
            if component.hasPrefix("[") || result.isEmpty {
                result += component
            } else {
                result += "." + component
            }
        }
        return result
    }

    public static func render(_ path: [any CodingKey]) -> String { render(path.map(component)) }
}

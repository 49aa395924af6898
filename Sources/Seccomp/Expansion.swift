#if canImport(Glibc)
    import Glibc
#endif

/// A Linux kernel version, for `minKernel`.
public struct KernelVersion: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `4.8`, `6.1.0-18-amd64` and the like; nil when there is no `major.minor`.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", maxSplits: 2).map { $0.prefix { $0.isNumber } }
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// The running kernel (`uname -r`).
    public static var host: KernelVersion? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelVersion(release)
    }
}

/// What the daemon knows when it turns a profile into a filter: Docker evaluates
/// `includes`/`excludes` against its native architecture, the container's capability
/// bounding set and the host kernel.
public struct EvaluationContext: Sendable, Hashable, Codable {
    public var architecture: Architecture
    /// `CAP_*` names in the container's bounding set.
    public var capabilities: Set<String>
    /// nil: treat every `minKernel` as satisfied.
    public var kernel: KernelVersion?

    public init(architecture: Architecture = .native, capabilities: Set<String> = [], kernel: KernelVersion? = nil) {
        self.architecture = architecture
        self.capabilities = Set(capabilities.map(Self.canonicalCapability))
        self.kernel = kernel
    }

    /// This host's architecture and kernel, with no capabilities (Sandcastle's CapDrop ALL).
    public static func host(capabilities: Set<String> = []) -> EvaluationContext {
        EvaluationContext(architecture: .native, capabilities: capabilities, kernel: .host)
    }

    enum CodingKeys: String, CodingKey { case architecture, capabilities, kernel }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try container.decode(Architecture.self, forKey: .architecture)
        capabilities = Set(try container.decode([String].self, forKey: .capabilities))
        kernel = try container.decodeIfPresent(KernelVersion.self, forKey: .kernel)
    }

    /// Capabilities are written sorted so reports are stable from run to run.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(architecture, forKey: .architecture)
        try container.encode(capabilities.sorted(), forKey: .capabilities)
        try container.encodeIfPresent(kernel, forKey: .kernel)
    }

    /// `sys_admin` and `SYS_ADMIN` → `CAP_SYS_ADMIN`.
    public static func canonicalCapability(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }
}

/// A rule after `includes`/`excludes` were applied: what the daemon hands to runc.
public struct EffectiveRule: Sendable, Hashable {
    public var names: [String]
    public var action: Action
    /// Alternatives (ORed), each a list of conditions (ANDed); `[[]]` means unconditional.
    public var conditionSets: [[ArgumentCondition]]
    /// Index of the rule in the profile's `syscalls`.
    public var ruleIndex: Int

    public var isConditional: Bool { conditionSets.contains { !$0.isEmpty } }
}

/// A profile expanded for one context, ready to evaluate or compile.
///
/// Assumes the profile validated: a rule with an unknown action or operator is skipped.
public struct ExpandedProfile: Sendable {
    public var context: EvaluationContext
    public var defaultAction: Action
    /// The architectures the filter covers: the native one and, when `archMap` lists it, its sub-architectures.
    public var architectures: [Architecture]
    public var rules: [EffectiveRule]
    /// Name → indices into `rules`, in file order.
    public var rulesByName: [String: [Int]]

    public init(_ profile: SeccompProfile, context: EvaluationContext) {
        self.context = context
        defaultAction = Action(dockerName: profile.defaultAction, errnoRet: profile.defaultErrnoRet) ?? .errno(1)
        architectures = Self.architectures(of: profile, native: context.architecture)
        var rules: [EffectiveRule] = []
        for (index, rule) in profile.syscalls.enumerated() where Self.applies(rule, in: context) {
            guard let action = Action(dockerName: rule.action, errnoRet: rule.errnoRet),
                rule.args?.allSatisfy({ $0.comparison != nil && $0.index < 6 }) ?? true
            else { continue }
            rules.append(EffectiveRule(names: rule.allNames, action: action, conditionSets: rule.conditionSets, ruleIndex: index))
        }
        self.rules = rules
        var byName: [String: [Int]] = [:]
        for (index, rule) in rules.enumerated() {
            for name in rule.names { byName[name, default: []].append(index) }
        }
        rulesByName = byName
    }

    /// Docker's expansion of the architecture list (`moby/profiles` `setupSeccomp`): explicit
    /// `architectures`, else the `archMap` entry of the native architecture with its sub-architectures.
    static func architectures(of profile: SeccompProfile, native: Architecture) -> [Architecture] {
        if let explicit = profile.architectures, !explicit.isEmpty {
            return explicit.compactMap(Architecture.init(scmpName:))
        }
        for mapping in profile.archMap ?? [] where mapping.architecture == native.scmpName {
            return [native] + (mapping.subArchitectures ?? []).compactMap(Architecture.init(scmpName:))
        }
        return [native]
    }

    /// Whether the daemon keeps a rule for this context.
    public static func applies(_ rule: SyscallRule, in context: EvaluationContext) -> Bool {
        if let includes = rule.includes {
            if let arches = includes.arches, !arches.isEmpty, !arches.contains(context.architecture.dockerName) { return false }
            if let caps = includes.caps, !caps.isEmpty,
                !caps.allSatisfy({ context.capabilities.contains(EvaluationContext.canonicalCapability($0)) })
            {
                return false
            }
            if let minimum = includes.minKernel.flatMap(KernelVersion.init), let kernel = context.kernel, kernel < minimum {
                return false
            }
        }
        if let excludes = rule.excludes {
            if let arches = excludes.arches, arches.contains(context.architecture.dockerName) { return false }
            if let caps = excludes.caps, caps.contains(where: { context.capabilities.contains(EvaluationContext.canonicalCapability($0)) }) {
                return false
            }
            if let minimum = excludes.minKernel.flatMap(KernelVersion.init), context.kernel.map({ $0 >= minimum }) ?? true {
                return false
            }
        }
        return true
    }

    /// Every name some rule of the expanded profile mentions.
    public var names: Set<String> { Set(rulesByName.keys) }
}

/// How a profile treats a syscall regardless of its arguments.
public enum Disposition: String, Sendable, Hashable, Codable {
    /// Reaches the kernel whatever the arguments.
    case allowed
    /// Reaches the kernel only for some arguments.
    case argumentFiltered = "argument-filtered"
    /// Never reaches the kernel.
    case blocked
}

extension ExpandedProfile {
    /// What the filter does for a call: the action of the matching rule, else the default.
    ///
    /// Mirrors libseccomp's resolution for overlapping rules: a rule without conditions
    /// wins over conditional ones for the same syscall; otherwise the first matching rule
    /// in file order. Missing arguments count as 0.
    public func action(for syscall: String, arguments: [UInt64]) -> Action {
        let candidates = (rulesByName[syscall] ?? []).map { rules[$0] }
        if let unconditional = candidates.first(where: { !$0.isConditional }) { return unconditional.action }
        for rule in candidates where rule.conditionSets.contains(where: { set in set.allSatisfy { $0.holds(for: arguments) } }) {
            return rule.action
        }
        return defaultAction
    }

    /// Whether a syscall is allowed for all, some, or no argument values.
    public func disposition(of syscall: String) -> Disposition {
        let candidates = (rulesByName[syscall] ?? []).map { rules[$0] }
        if let unconditional = candidates.first(where: { !$0.isConditional }) {
            return unconditional.action.allowsCall ? .allowed : .blocked
        }
        let conditionalAllows = candidates.contains { $0.action.allowsCall }
        if defaultAction.allowsCall {
            // A denylist profile: the call is allowed unless a conditional deny matches.
            return candidates.contains { !$0.action.allowsCall } ? .argumentFiltered : .allowed
        }
        return conditionalAllows ? .argumentFiltered : .blocked
    }

    /// The action when no argument condition can change it (nil for argument-filtered calls).
    public func unconditionalAction(for syscall: String) -> Action? {
        let candidates = (rulesByName[syscall] ?? []).map { rules[$0] }
        if let unconditional = candidates.first(where: { !$0.isConditional }) { return unconditional.action }
        return candidates.isEmpty ? defaultAction : nil
    }

    /// The conditions under which a call is allowed, rendered for reports, e.g. `arg0 < 0x26 || arg0 == 0x27`.
    public func allowCondition(for syscall: String) -> String {
        let candidates = (rulesByName[syscall] ?? []).map { rules[$0] }
        let allowing = candidates.filter { $0.action.allowsCall }
        let alternatives = allowing.flatMap(\.conditionSets).map { set in
            set.isEmpty ? "always" : set.map(\.rendered).joined(separator: " && ")
        }
        return alternatives.isEmpty ? "never" : alternatives.joined(separator: " || ")
    }
}

extension SeccompProfile {
    /// The profile as the daemon would expand it for `context`.
    public func expanded(for context: EvaluationContext = .host()) -> ExpandedProfile {
        ExpandedProfile(self, context: context)
    }

    /// What the profile does for a call in `context` (native architecture, no capabilities by default).
    ///
    /// `arguments` are the six register arguments; nil means "not given" and evaluates
    /// the argument conditions as if every argument were 0. Use ``disposition(of:context:)``
    /// to ask whether the answer depends on the arguments at all.
    public func action(for syscall: String, arguments: [UInt64]?, context: EvaluationContext = .host()) -> Action {
        expanded(for: context).action(for: syscall, arguments: arguments ?? [])
    }

    /// Allowed, blocked or argument-filtered, in `context`.
    public func disposition(of syscall: String, context: EvaluationContext = .host()) -> Disposition {
        expanded(for: context).disposition(of: syscall)
    }
}

/// Counts of what an expanded profile lets through.
public struct AllowedSyscalls: Sendable, Hashable, Codable {
    /// Allowed whatever the arguments.
    public var unconditional: [String]
    /// Allowed for some arguments only.
    public var argumentFiltered: [String]

    public var total: Int { unconditional.count + argumentFiltered.count }
}

extension ExpandedProfile {
    /// The syscall names this profile allows, for all or some arguments.
    ///
    /// For an allowlist these are the names its rules allow; for a profile whose default
    /// action allows, every name libseccomp knows for the profile's architectures that no
    /// rule blocks outright.
    public var allowedSyscalls: AllowedSyscalls {
        var universe = names
        if defaultAction.allowsCall {
            universe.formUnion(SyscallTable.allNames(architectures: architectures))
        }
        var unconditional: [String] = [], filtered: [String] = []
        for name in universe.sorted() {
            switch disposition(of: name) {
            case .allowed: unconditional.append(name)
            case .argumentFiltered: filtered.append(name)
            case .blocked: break
            }
        }
        return AllowedSyscalls(unconditional: unconditional, argumentFiltered: filtered)
    }
}

/// The outcome of validating a profile: errors make it unusable, warnings do not.
public struct ValidationReport: Sendable, Codable {
    public var issues: [ValidationIssue]
    /// The architectures every name was resolved for.
    public var architectures: [String]
    /// Distinct syscall names in the profile.
    public var nameCount: Int
    /// The libseccomp that did the resolving.
    public var libseccompVersion: String

    public var errors: [ValidationIssue] { issues.filter { $0.severity == .error } }
    public var warnings: [ValidationIssue] { issues.filter { $0.severity == .warning } }
    public var isValid: Bool { errors.isEmpty }

    /// Throws a ``SeccompError`` whose message lists every error (code of the first one).
    public func throwIfInvalid(file: String?) throws {
        let errors = self.errors
        guard let first = errors.first else { return }
        let name = file ?? "seccomp profile"
        let list = errors.map { "  " + $0.description }.joined(separator: "\n")
        throw SeccompError(first.code, "\(name): \(errors.count) error(s):\n\(list)", issues: issues)
    }
}

/// Checks a profile the way the engine and runc will use it, but reports problems instead of
/// silently dropping them: every syscall name is resolved with libseccomp for every
/// architecture of the profile; actions, operators, argument indices, architectures and
/// kernel versions are checked.
public struct SeccompValidator: Sendable {
    public init() {}

    public func validate(_ document: SeccompDocument) -> ValidationReport {
        var checker = Checker(document: document)
        checker.run()
        return ValidationReport(
            issues: checker.issues, architectures: checker.architectures.map(\.scmpName),
            nameCount: checker.nameCount, libseccompVersion: SyscallTable.libseccompVersion)
    }

    /// The architectures named by a profile (every `archMap` entry with its sub-architectures,
    /// or `architectures`), or the native one when it names none.
    public static func declaredArchitectures(of profile: SeccompProfile) -> [String] {
        var names: [String] = []
        if let explicit = profile.architectures, !explicit.isEmpty { names = explicit }
        for mapping in profile.archMap ?? [] { names += [mapping.architecture] + (mapping.subArchitectures ?? []) }
        if names.isEmpty { names = [Architecture.native.scmpName] }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

private struct Checker {
    let document: SeccompDocument
    let source: SourceText
    var issues: [ValidationIssue] = []
    var architectures: [Architecture] = []
    var nameCount = 0
    /// How many times a string literal was seen in earlier rules, to find the right occurrence in the text.
    var seen: [String: Int] = [:]

    init(document: SeccompDocument) {
        self.document = document
        self.source = SourceText(document.text)
    }

    mutating func add(
        _ severity: ValidationIssue.Severity, _ code: SeccompError.Code, _ message: String,
        path: String, literal: String? = nil, key: String? = nil
    ) {
        var location: SourceLocation?
        if let literal { location = source.location(ofString: literal, occurrence: seen[literal, default: 1] - 1) }
        if location == nil, let key { location = source.location(ofKey: key) }
        issues.append(ValidationIssue(severity, code, message, file: document.file, jsonPath: path, location: location))
    }

    /// Records that a string literal appears once more, in document order.
    mutating func note(_ literal: String) { seen[literal, default: 0] += 1 }

    mutating func run() {
        let profile = document.profile
        note(profile.defaultAction)
        checkAction(profile.defaultAction, errnoRet: profile.defaultErrnoRet, path: "defaultAction", errnoKey: "defaultErrnoRet")
        if let action = Action(dockerName: profile.defaultAction, errnoRet: profile.defaultErrnoRet), action.allowsCall {
            add(
                .warning, .invalidAction,
                "the default action \(profile.defaultAction) allows every syscall no rule names: "
                    + "this is a denylist, and new kernel syscalls are allowed as soon as they exist", path: "defaultAction",
                literal: profile.defaultAction)
        }
        checkArchitectures(profile)
        var names = Set<String>()
        for (index, rule) in profile.syscalls.enumerated() {
            checkRule(rule, index: index)
            names.formUnion(rule.allNames)
        }
        nameCount = names.count
        checkConflicts(profile)
    }

    mutating func checkAction(_ name: String, errnoRet: UInt32?, path: String, errnoKey: String) {
        guard Action(dockerName: name, errnoRet: errnoRet) != nil else {
            add(
                .error, .invalidAction, "unknown action '\(name)'; expected one of \(Action.dockerNames.joined(separator: ", "))",
                path: path, literal: name)
            return
        }
        if let errnoRet {
            if name != "SCMP_ACT_ERRNO" && name != "SCMP_ACT_TRACE" {
                add(
                    .error, .invalidAction, "\(errnoKey) \(errnoRet) only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not \(name)",
                    path: path, literal: name)
            } else if errnoRet > 4095 {
                add(
                    .error, .invalidAction, "\(errnoKey) \(errnoRet) is not an errno (the kernel caps errno values at 4095)",
                    path: path, literal: name)
            }
        }
    }

    mutating func checkArchitectures(_ profile: SeccompProfile) {
        if !(profile.architectures ?? []).isEmpty && !(profile.archMap ?? []).isEmpty {
            add(
                .error, .invalidArchitecture, "both 'architectures' and 'archMap' are set; Docker refuses such a profile",
                path: "architectures", key: "architectures")
        }
        var resolved: [Architecture] = []
        for name in SeccompValidator.declaredArchitectures(of: profile) {
            note(name)
            guard let architecture = Architecture(scmpName: name) else {
                add(
                    .error, .invalidArchitecture, "unknown architecture '\(name)'; expected SCMP_ARCH_* such as SCMP_ARCH_X86_64",
                    path: profile.archMap != nil ? "archMap" : "architectures", literal: name)
                continue
            }
            if architecture.token == nil {
                add(
                    .warning, .invalidArchitecture,
                    "\(name) is unknown to this host's libseccomp \(SyscallTable.libseccompVersion); names are not checked for it",
                    path: profile.archMap != nil ? "archMap" : "architectures", literal: name)
                continue
            }
            resolved.append(architecture)
        }
        architectures = resolved
    }

    mutating func checkRule(_ rule: SyscallRule, index: Int) {
        let path = "syscalls[\(index)]"
        if rule.name != nil && !rule.names.isEmpty {
            add(
                .error, .invalidValue, "rule sets both 'name' and 'names'; Docker refuses that, use 'names'",
                path: path + ".name", key: "name")
        }
        if rule.allNames.isEmpty {
            add(.warning, .invalidValue, "rule names no syscall and has no effect", path: path + ".names")
        }
        for (position, name) in rule.allNames.enumerated() {
            note(name)
            checkName(name, path: rule.name != nil && position == 0 ? path + ".name" : path + ".names[\(rule.name != nil ? position - 1 : position)]")
        }
        note(rule.action)
        checkAction(rule.action, errnoRet: rule.errnoRet, path: path + ".action", errnoKey: "errnoRet")
        for (position, condition) in (rule.args ?? []).enumerated() {
            let argPath = path + ".args[\(position)]"
            note(condition.op)
            if condition.index > 5 {
                add(
                    .error, .invalidArgument, "argument index \(condition.index) is out of range: a syscall has arguments 0 to 5",
                    path: argPath + ".index", literal: condition.op)
            }
            if condition.comparison == nil {
                add(
                    .error, .invalidOperator,
                    "unknown comparison '\(condition.op)'; expected one of "
                        + ComparisonOperator.allCases.map(\.rawValue).joined(separator: ", "), path: argPath + ".op", literal: condition.op)
            } else if condition.comparison != .maskedEqual, let two = condition.valueTwo, two != 0 {
                add(
                    .warning, .invalidArgument, "valueTwo \(two) is ignored by \(condition.op) (only SCMP_CMP_MASKED_EQ uses it)",
                    path: argPath + ".valueTwo", literal: condition.op)
            }
        }
        if rule.args.map({ Set($0.map(\.index)).count != $0.count }) ?? false {
            add(
                .warning, .invalidArgument,
                "several conditions on the same argument: runc adds them as separate rules, "
                    + "so they are ORed, not ANDed", path: path + ".args", literal: rule.args?.first?.op)
        }
        for (label, filter) in [("includes", rule.includes), ("excludes", rule.excludes)] {
            guard let filter else { continue }
            for arch in filter.arches ?? []
            where !Architecture.all.contains(where: { $0.dockerName == arch })
                && !Architecture.extraDockerNames.contains(arch)
            {
                add(
                    .warning, .invalidArchitecture,
                    "'\(arch)' in \(label).arches is not an architecture Docker knows; "
                        + "the rule \(label == "includes" ? "never applies" : "is never excluded")", path: path + ".\(label).arches",
                    literal: arch)
            }
            for cap in filter.caps ?? [] where !Capabilities.all.contains(EvaluationContext.canonicalCapability(cap)) {
                add(
                    .warning, .invalidValue, "'\(cap)' in \(label).caps is not a Linux capability", path: path + ".\(label).caps",
                    literal: cap)
            }
            if let minKernel = filter.minKernel, KernelVersion(minKernel) == nil {
                add(
                    .error, .invalidValue, "minKernel '\(minKernel)' is not a kernel version such as 4.8",
                    path: path + ".\(label).minKernel", literal: minKernel)
            }
        }
    }

    mutating func checkName(_ name: String, path: String) {
        var knownOn: [String] = []
        var unknownOn: [String] = []
        for architecture in architectures {
            guard let token = architecture.token else { continue }
            switch SyscallTable.resolve(name, architecture: token) {
            case .number: knownOn.append(architecture.scmpName)
            case .notOnArchitecture: break
            case .unknown: unknownOn.append(architecture.scmpName)
            }
        }
        if !unknownOn.isEmpty {
            if SyscallTable.newerThanLibseccomp[name] != nil {
                add(
                    .warning, .unknownSyscall,
                    "syscall '\(name)' is newer than this host's libseccomp \(SyscallTable.libseccompVersion): "
                        + "runc drops the name and the call gets ENOSYS until libseccomp is updated", path: path, literal: name)
            } else {
                let hint = Self.suggestion(for: name).map { "; did you mean '\($0)'?" } ?? ""
                add(
                    .error, .unknownSyscall,
                    "unknown syscall '\(name)': libseccomp \(SyscallTable.libseccompVersion) has no such name "
                        + "for \(unknownOn.joined(separator: ", "))\(hint)", path: path, literal: name)
            }
        } else if knownOn.isEmpty && !architectures.isEmpty {
            add(
                .warning, .unknownSyscall,
                "syscall '\(name)' exists on none of this profile's architectures "
                    + "(\(architectures.map(\.scmpName).joined(separator: ", "))); the name has no effect", path: path, literal: name)
        }
    }

    static func suggestion(for name: String) -> String? {
        let candidates = SyscallTable.allNames(architectures: [.x86_64, .x86, .aarch64, .arm])
            .union(SyscallTable.newerThanLibseccomp.keys)
        let scored = candidates.map { ($0, DecodeFailure.editDistance($0, name)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    /// Two unconditional rules that give one name different actions: libseccomp refuses or
    /// keeps one of them, and either way the file does not say what happens.
    mutating func checkConflicts(_ profile: SeccompProfile) {
        var unconditional: [String: (Int, String)] = [:]
        for (index, rule) in profile.syscalls.enumerated()
        where (rule.args ?? []).isEmpty
            && (rule.includes?.isEmpty ?? true) && (rule.excludes?.isEmpty ?? true)
        {
            let action = "\(rule.action)/\(rule.errnoRet.map(String.init) ?? "-")"
            for name in rule.allNames {
                if let (other, otherAction) = unconditional[name], otherAction != action {
                    add(
                        .warning, .invalidAction,
                        "syscall '\(name)' has conflicting unconditional rules (syscalls[\(other)] and "
                            + "syscalls[\(index)]); the filter keeps only one of them", path: "syscalls[\(index)]", literal: name)
                } else {
                    unconditional[name] = (index, action)
                }
            }
        }
    }
}

/// Linux capability names, for checking `caps` filters and profile capability lists.
public enum Capabilities {
    /// Every capability of Linux 6.x (`include/uapi/linux/capability.h`).
    public static let all: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Docker's default capability set (`moby/moby:daemon/pkg/oci/caps/defaults.go`), for comparison in reports.
    public static let dockerDefault: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]
}

import CSeccomp
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A seccomp profile compiled by libseccomp into the classic BPF program the kernel runs.
public struct CompiledFilter: Sendable {
    /// The raw `struct sock_filter` array, 8 bytes per instruction, in host byte order.
    public var bytes: [UInt8]
    /// The architectures the filter covers (native first).
    public var architectures: [Architecture]
    /// Names left out because this host's libseccomp does not know them (runc drops them too).
    public var skippedUnknownNames: [String]
    /// Names whose rule repeats the default action (runc drops those rules, and libseccomp refuses them).
    public var skippedDefaultActionNames: [String]
    /// The libseccomp that compiled it.
    public var libseccompVersion: String

    /// Instructions in the program (`bytes.count / 8`).
    public var instructionCount: Int { bytes.count / 8 }

    /// Writes the raw program, e.g. for `seccomp-tools disasm` or `scmp_bpf_disasm`.
    public func write(to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SeccompError(.writeFailed, "cannot write the BPF filter to \(path): \(error.localizedDescription)", cause: error)
        }
    }

    /// Runs the program on a call, as the kernel would: the action for syscall `number` on `architecture`.
    public func action(
        forSyscallNumber number: Int32, architecture: Architecture = .native, arguments: [UInt64] = [],
        instructionPointer: UInt64 = 0
    ) throws -> Action {
        guard let token = architecture.token else {
            throw SeccompError(.invalidArchitecture, "\(architecture) is unknown to this host's libseccomp")
        }
        let value = try BPFInterpreter(program: bytes).run(
            SeccompData(number: number, architecture: token, instructionPointer: instructionPointer, arguments: arguments))
        return Action(kernelValue: value)
    }

    /// Runs the program on a call by name (resolved for `architecture`); nil when the name is not a syscall there.
    public func action(for syscall: String, architecture: Architecture = .native, arguments: [UInt64] = []) throws -> Action? {
        guard let token = architecture.token, case .number(let number) = SyscallTable.resolve(syscall, architecture: token) else {
            return nil
        }
        return try action(forSyscallNumber: number, architecture: architecture, arguments: arguments)
    }
}

/// Compiles profiles with libseccomp, the way runc does for a container.
public struct BPFCompiler: Sendable {
    public init() {}

    /// Compiles `profile` as the daemon and runc would load it in `context`: `includes`/`excludes`
    /// applied, the native architecture plus its `archMap` sub-architectures, names libseccomp
    /// does not know and rules that repeat the default action left out.
    public func compile(_ profile: SeccompProfile, context: EvaluationContext = .host()) throws -> CompiledFilter {
        let expanded = profile.expanded(for: context)
        guard Action(dockerName: profile.defaultAction, errnoRet: profile.defaultErrnoRet) != nil else {
            throw SeccompError(.invalidAction, "unknown default action '\(profile.defaultAction)'")
        }
        guard let filter = seccomp_init(expanded.defaultAction.libseccompValue) else {
            throw SeccompError(.compileFailed, "libseccomp could not create a filter (seccomp_init failed)")
        }
        defer { seccomp_release(filter) }

        var architectures: [Architecture] = [context.architecture]
        if context.architecture.token != Architecture.native.token {
            throw SeccompError(
                .compileFailed,
                "can only compile for this host's architecture (\(Architecture.native)), "
                    + "not \(context.architecture)")
        }
        for architecture in expanded.architectures where architecture != context.architecture {
            guard let token = architecture.token else { continue }
            let rc = seccomp_arch_add(filter, token)
            if rc != 0 && rc != -EEXIST {
                throw SeccompError(.compileFailed, "libseccomp refused architecture \(architecture): \(Self.describe(rc))")
            }
            architectures.append(architecture)
        }

        var unknown = Set<String>()
        var sameAsDefault = Set<String>()
        for rule in expanded.rules {
            if rule.action == expanded.defaultAction {
                sameAsDefault.formUnion(rule.names)
                continue
            }
            for name in rule.names {
                guard let number = SyscallTable.nativeNumber(name) else {
                    unknown.insert(name)
                    continue
                }
                for conditions in rule.conditionSets {
                    try add(rule: rule, syscall: number, name: name, conditions: conditions, to: filter)
                }
            }
        }
        return CompiledFilter(
            bytes: try export(filter), architectures: architectures, skippedUnknownNames: unknown.sorted(),
            skippedDefaultActionNames: sameAsDefault.sorted(), libseccompVersion: SyscallTable.libseccompVersion)
    }

    private func add(
        rule: EffectiveRule, syscall: Int32, name: String, conditions: [ArgumentCondition],
        to filter: scmp_filter_ctx
    ) throws {
        var comparisons: [scmp_arg_cmp] = conditions.compactMap { condition in
            guard let comparison = condition.comparison else { return nil }
            return scmp_arg_cmp(
                arg: UInt32(condition.index), op: comparison.libseccompValue,
                datum_a: condition.value, datum_b: condition.valueTwo ?? 0)
        }
        let rc = comparisons.withUnsafeMutableBufferPointer { buffer in
            cseccomp_rule_add(filter, rule.action.libseccompValue, syscall, UInt32(buffer.count), buffer.baseAddress)
        }
        // -EEXIST: the same rule twice (a name listed in two rules); the filter already has it.
        if rc != 0 && rc != -EEXIST {
            throw SeccompError(
                .compileFailed,
                "libseccomp refused the rule for '\(name)' (syscalls[\(rule.ruleIndex)]): "
                    + Self.describe(rc))
        }
    }

    /// `seccomp_export_bpf` writes to a file descriptor: a memfd keeps it off the disk.
    private func export(_ filter: scmp_filter_ctx) throws -> [UInt8] {
        let fd = cseccomp_memfd("sandcastle-seccomp-bpf")
        guard fd >= 0 else {
            throw SeccompError(.internal, "memfd_create failed: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let rc = seccomp_export_bpf(filter, fd)
        guard rc == 0 else {
            throw SeccompError(.compileFailed, "libseccomp could not export the filter: \(Self.describe(rc))")
        }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw SeccompError(.internal, "cannot read back the exported filter: \(String(cString: strerror(errno)))")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw SeccompError(.internal, "cannot read back the exported filter: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        return bytes
    }

    static func describe(_ rc: Int32) -> String {
        "\(String(cString: strerror(-rc))) (\(rc))"
    }
}

extension Action {
    var libseccompValue: UInt32 {
        switch self {
        case .allow: return cseccomp_act_allow()
        case .log: return cseccomp_act_log()
        case .errno(let value): return cseccomp_act_errno(value)
        case .trace(let value): return cseccomp_act_trace(value)
        case .trap: return cseccomp_act_trap()
        case .killThread: return cseccomp_act_kill_thread()
        case .killProcess: return cseccomp_act_kill_process()
        case .notify: return cseccomp_act_notify()
        }
    }
}

extension ComparisonOperator {
    var libseccompValue: scmp_compare {
        switch self {
        case .notEqual: return SCMP_CMP_NE
        case .lessThan: return SCMP_CMP_LT
        case .lessOrEqual: return SCMP_CMP_LE
        case .equal: return SCMP_CMP_EQ
        case .greaterOrEqual: return SCMP_CMP_GE
        case .greaterThan: return SCMP_CMP_GT
        case .maskedEqual: return SCMP_CMP_MASKED_EQ
        }
    }
}

import Sandbox

/// The security invariants a live sandbox must show, probe by probe.
///
/// These come from the threat model (seccomp/README.md), not from the profile's own
/// seccomp file: a profile that allows `unshare` fails `unshare(CLONE_NEWUSER)` here even
/// though it "does what it says". Only a few expectations follow the profile, because
/// the profile is where they are chosen: the user, the network mode (egress blocked
/// exactly when the network is `none`), the pids limit and the memory limit (judged by
/// ``ProfileVerifier`` on the host side).
///
/// "Blocked" accepts EPERM (seccomp's default errno, or the kernel's answer to a missing
/// capability) and ENOSYS (runc answers ENOSYS for syscalls newer than the host's
/// libseccomp knows). Either way the call did nothing; the report shows which errno it was.
public struct ProbeExpectations {
    /// The `expected` text of probes that are reported but not judged.
    public static let informational = "— (informational)"

    struct Rule {
        var name: String
        var category: String
        var expected: String
        /// nil: informational.
        var judge: ((ProbeLine) -> Bool)?
    }

    private(set) var rules: [Rule] = []

    /// - Parameters:
    ///   - profile: the profile under test (user and network mode).
    ///   - connectProbes: the `connect(…)` probe names the verifier asked for, with whether
    ///     egress to that target must succeed under a bridge network (the Debian mirror)
    ///     or is merely informational there (a public address the host may not route).
    public init(profile: IsolationProfile, connectProbes: [(name: String, requiredUnderBridge: Bool)]) {
        let zeroCaps = "0000000000000000"
        let (uid, gid) = Self.ids(profile.user)

        // identity
        add("status.Uid", ProbeCategory.identity, uid.map { "\($0) (real, effective, saved, fs)" } ?? "not 0") { line in
            Self.allIDs(line.detail, equal: uid)
        }
        add("status.Gid", ProbeCategory.identity, gid.map { "\($0) (real, effective, saved, fs)" } ?? "not 0") { line in
            Self.allIDs(line.detail, equal: gid)
        }
        info("status.Groups", ProbeCategory.identity)
        info("uid_map", ProbeCategory.identity)
        if uid == 0 {
            info("setuid(0)", ProbeCategory.identity)
        } else {
            blocked("setuid(0)", ProbeCategory.identity)
        }

        // capabilities: none at all, in every set
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            add("status.\(set)", ProbeCategory.capabilities, zeroCaps) { $0.outcome == .value && $0.detail == zeroCaps }
        }

        // seccomp, no_new_privs, personality
        add("status.NoNewPrivs", ProbeCategory.confinement, "1") { $0.outcome == .value && $0.detail == "1" }
        add("status.Seccomp", ProbeCategory.confinement, "2 (filter mode)") { $0.outcome == .value && $0.detail == "2" }
        add("status.Seccomp_filters", ProbeCategory.confinement, "≥ 1") { line in
            line.outcome == .value && (Int(line.detail) ?? 0) >= 1
        }
        info("apparmor", ProbeCategory.confinement)
        blocked("personality(ADDR_NO_RANDOMIZE)", ProbeCategory.confinement)
        info("personality(PER_LINUX32)", ProbeCategory.confinement)

        // mounts
        for name in ["mount(tmpfs)", "umount2", "pivot_root", "chroot"] { blocked(name, ProbeCategory.mounts) }
        fails("mkdir /sys/fs/cgroup", ProbeCategory.mounts)
        fails("mknod(S_IFBLK)", ProbeCategory.mounts)

        // namespaces
        for name in [
            "unshare(CLONE_NEWUSER)", "unshare(CLONE_NEWNS)", "mount in a new user namespace", "setns(net)",
            "clone(CLONE_NEWUSER)",
        ] {
            blocked(name, ProbeCategory.namespaces)
        }
        add("clone3", ProbeCategory.namespaces, "ENOSYS (so libc falls back to the filterable clone)") { $0.errno == "ENOSYS" }

        // kernel attack surface
        for name in ["keyctl", "add_key", "request_key", "bpf", "io_uring_setup", "perf_event_open", "userfaultfd"] {
            blocked(name, ProbeCategory.kernelSurface)
        }

        // other processes (the runner is PID 1 and shares the uid)
        blocked("ptrace(PTRACE_SEIZE, 1)", ProbeCategory.otherProcesses)
        info("ptrace(PTRACE_TRACEME)", ProbeCategory.otherProcesses)
        blocked("process_vm_readv(1)", ProbeCategory.otherProcesses)
        fails("read /proc/1/environ", ProbeCategory.otherProcesses)
        fails("read /proc/1/mem", ProbeCategory.otherProcesses)

        // host administration
        for name in [
            "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "acct", "syslog",
            "settimeofday", "clock_settime",
        ] {
            blocked(name, ProbeCategory.hostAdministration)
        }

        // socket families
        for name in ["socket(AF_VSOCK)", "socket(AF_ALG)", "socket(AF_PACKET)", "socket(AF_INET, SOCK_RAW)"] {
            blocked(name, ProbeCategory.sockets)
        }
        info("socket(AF_INET, SOCK_STREAM)", ProbeCategory.sockets)

        // read-only paths
        for name in [
            "write /etc/probe", "write /usr/probe", "write /probe", "write /proc/sysrq-trigger",
            "write /proc/sys/kernel/core_pattern", "write /sys/kernel/uevent_helper",
        ] {
            fails(name, ProbeCategory.readOnly)
        }

        // host exposure
        add("engine sockets", ProbeCategory.hostExposure, "none (docker/containerd/podman/… sockets, mounts, unix sockets)") {
            $0.outcome == .value && $0.field("found") == "0"
        }
        add("block devices", ProbeCategory.hostExposure, "none in /dev") { $0.outcome == .value && $0.field("found") == "0" }
        info("dev entries", ProbeCategory.hostExposure)
        blocked("open_by_handle_at", ProbeCategory.hostExposure)
        info("name_to_handle_at", ProbeCategory.hostExposure)

        // network: blocked exactly when the profile says none
        if profile.network == .none {
            add("interfaces", ProbeCategory.network, "lo only") { $0.outcome == .value && $0.detail == "lo" }
            for probe in connectProbes {
                add(probe.name, ProbeCategory.network, "fails (no egress)") { $0.errno != nil }
            }
        } else {
            add("interfaces", ProbeCategory.network, "lo and an uplink") { line in
                line.outcome == .value && line.detail.split(separator: ",").contains { $0 != "lo" }
            }
            for probe in connectProbes {
                if probe.requiredUnderBridge {
                    add(probe.name, ProbeCategory.network, "succeeds (egress allowed)") { $0.outcome == .succeeded }
                } else {
                    info(probe.name, ProbeCategory.network)
                }
            }
        }
    }

    /// Judges the runner's lines: one result per rule (a rule without a line is a
    /// failure: the probe did not report), then any line no rule knows, as information.
    public func evaluate(_ lines: [ProbeLine]) -> [ProbeResult] {
        var byName: [String: ProbeLine] = [:]
        for line in lines { byName[line.name] = line }
        var results: [ProbeResult] = []
        for rule in rules {
            guard let line = byName.removeValue(forKey: rule.name) else {
                results.append(
                    ProbeResult(
                        name: rule.name, category: rule.category, expected: rule.expected,
                        observed: "no report", passed: rule.judge == nil,
                        detail: "the probe printed no line for this (did it crash?)"))
                continue
            }
            results.append(Self.result(line, rule))
        }
        for line in lines where byName[line.name] != nil {
            byName[line.name] = nil
            results.append(
                Self.result(
                    line,
                    Rule(
                        name: line.name, category: ProbeCategory.hostExposure,
                        expected: Self.informational, judge: nil)))
        }
        return results
    }

    static func result(_ line: ProbeLine, _ rule: Rule) -> ProbeResult {
        if line.outcome == .skipped {
            return ProbeResult(
                name: rule.name, category: rule.category, expected: rule.expected, observed: "skipped",
                passed: true, detail: line.detail, skipped: true)
        }
        let observed: String =
            switch line.outcome {
            case .succeeded: "succeeded"
            case .failed(let errno): errno
            case .value: line.detail.isEmpty ? "(empty)" : Self.shortValue(line)
            case .skipped: "skipped"
            }
        let passed = rule.judge?(line) ?? true
        return ProbeResult(
            name: rule.name, category: rule.category, expected: rule.expected, observed: observed,
            passed: passed, detail: line.outcome == .value && observed == line.detail ? "" : line.detail)
    }

    /// A value short enough for the observed column; the whole value stays in the detail.
    static func shortValue(_ line: ProbeLine) -> String {
        if let found = line.field("found") { return found == "0" ? "none" : "\(found) found" }
        if let count = line.field("count") { return "\(count) entries" }
        return line.detail.count <= 40 ? line.detail : String(line.detail.prefix(37)) + "…"
    }

    // MARK: building rules

    private mutating func add(_ name: String, _ category: String, _ expected: String, _ judge: @escaping (ProbeLine) -> Bool) {
        rules.append(Rule(name: name, category: category, expected: expected, judge: judge))
    }

    private mutating func info(_ name: String, _ category: String) {
        rules.append(Rule(name: name, category: category, expected: Self.informational, judge: nil))
    }

    /// Refused before doing anything: EPERM (seccomp's errno, or a missing capability) or ENOSYS.
    private mutating func blocked(_ name: String, _ category: String) {
        add(name, category, "blocked (EPERM or ENOSYS)") { line in line.errno == "EPERM" || line.errno == "ENOSYS" }
    }

    /// Fails with any errno (EROFS, EACCES, EPERM, ENOENT … all mean "not possible here").
    private mutating func fails(_ name: String, _ category: String) {
        add(name, category, "fails") { $0.errno != nil }
    }

    // MARK: ids

    /// Numeric uid and gid of a Docker `User` value (`1000:1000`, `1000`); nil for names.
    static func ids(_ user: String) -> (uid: Int?, gid: Int?) {
        let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
        let uid = parts.first.flatMap { Int($0) }
        let gid = parts.count > 1 ? Int(parts[1]) : uid
        return (uid, gid)
    }

    /// `1000 1000 1000 1000` against the expected id; a user given by name only needs non-root ids.
    static func allIDs(_ detail: String, equal expected: Int?) -> Bool {
        let ids = detail.split(separator: " ").compactMap { Int($0) }
        guard ids.count == 4 else { return false }
        if let expected { return ids.allSatisfy { $0 == expected } }
        return ids.allSatisfy { $0 != 0 }
    }
}

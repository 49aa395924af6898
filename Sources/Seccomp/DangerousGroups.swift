/// One call a dangerous group is judged by: a syscall, optionally with specific arguments.
public struct GroupProbe: Sendable, Hashable, Codable {
    /// e.g. `clone(CLONE_NEWUSER)`.
    public var label: String
    public var syscall: String
    /// nil: judge the syscall whatever its arguments; otherwise evaluate exactly these.
    public var arguments: [UInt64]?

    public init(_ syscall: String, label: String? = nil, arguments: [UInt64]? = nil) {
        self.syscall = syscall
        self.label = label ?? syscall
        self.arguments = arguments
    }
}

/// A family of syscalls that container escapes and kernel exploits lean on.
public struct DangerousGroup: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    /// Why a sandbox should not have it.
    public var risk: String
    public var probes: [GroupProbe]

    public init(id: String, title: String, risk: String, probes: [GroupProbe]) {
        self.id = id
        self.title = title
        self.risk = risk
        self.probes = probes
    }
}

/// How one profile treats one probe.
public struct ProbeEvaluation: Sendable, Hashable, Codable {
    public var label: String
    public var status: Disposition
    /// The action for a call with the probe's arguments, or the unconditional action (nil when argument-filtered).
    public var action: Action?
    /// For argument-filtered calls, when they are allowed.
    public var condition: String?
}

/// How one profile treats a dangerous group.
public struct GroupEvaluation: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    /// `allowed` if any probe is allowed outright, `argument-filtered` if some pass only for some
    /// arguments, `blocked` when every probe is refused.
    public var status: Disposition
    public var probes: [ProbeEvaluation]

    /// Labels of the probes that are not blocked.
    public var openings: [String] { probes.filter { $0.status != .blocked }.map(\.label) }
}

/// The catalog of dangerous syscall groups the audit reports on.
public enum DangerousGroups {
    static let cloneFlags: [(String, UInt64)] = [
        ("CLONE_NEWNS", 0x0002_0000), ("CLONE_NEWCGROUP", 0x0200_0000), ("CLONE_NEWUTS", 0x0400_0000),
        ("CLONE_NEWIPC", 0x0800_0000), ("CLONE_NEWUSER", 0x1000_0000), ("CLONE_NEWPID", 0x2000_0000),
        ("CLONE_NEWNET", 0x4000_0000),
    ]

    /// Every group, in report order.
    public static let all: [DangerousGroup] = [
        DangerousGroup(
            id: "mount", title: "mount and the new mount API",
            risk: "remounting, bind-mounting or pivoting is the first step of most container escapes",
            probes: [
                "mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
                "open_tree", "mount_setattr", "pivot_root",
            ].map { GroupProbe($0) }),
        DangerousGroup(
            id: "namespaces", title: "namespaces (unshare, setns, clone with namespace flags, clone3)",
            risk: "an unprivileged user namespace hands out root-in-namespace and exposes netfilter, mounts and more "
                + "kernel code; the entry point of many LPEs (CVE-2022-0492, CVE-2023-32233)",
            probes: [
                GroupProbe("unshare", label: "unshare(CLONE_NEWUSER)", arguments: [0x1000_0000]),
                GroupProbe("setns"),
            ]
                + cloneFlags.map { GroupProbe("clone", label: "clone(\($0.0))", arguments: [$0.1]) }
                + [GroupProbe("clone3")]),
        DangerousGroup(
            id: "keyring", title: "kernel keyring", risk: "keyrings are not namespaced and have a bug history (CVE-2016-0728)",
            probes: ["keyctl", "add_key", "request_key"].map { GroupProbe($0) }),
        DangerousGroup(
            id: "bpf", title: "bpf", risk: "verifier bugs are a steady source of LPEs; kernel pointer leaks",
            probes: [GroupProbe("bpf")]),
        DangerousGroup(
            id: "io_uring", title: "io_uring",
            risk: "a second syscall interface that bypasses seccomp for the operations it queues; frequent LPEs",
            probes: ["io_uring_setup", "io_uring_enter", "io_uring_register"].map { GroupProbe($0) }),
        DangerousGroup(
            id: "modules", title: "kernel modules", risk: "loading code into the shared kernel",
            probes: ["init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms"]
                .map { GroupProbe($0) }),
        DangerousGroup(
            id: "kexec", title: "kexec", risk: "replacing the running kernel",
            probes: ["kexec_load", "kexec_file_load"].map { GroupProbe($0) }),
        DangerousGroup(
            id: "ptrace", title: "ptrace and process_vm_*",
            risk: "reading and writing other processes (the runner, PID 1, shares uid 1000 with the agent)",
            probes: ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise"]
                .map { GroupProbe($0) }),
        DangerousGroup(
            id: "perf", title: "perf_event_open", risk: "large attack surface; side channels and pointer leaks",
            probes: [GroupProbe("perf_event_open")]),
        DangerousGroup(
            id: "open_by_handle_at", title: "open_by_handle_at",
            risk: "the \"shocker\" escape: opening host inodes by handle, outside the mount root",
            probes: [GroupProbe("open_by_handle_at")]),
        DangerousGroup(
            id: "userfaultfd", title: "userfaultfd", risk: "lets an exploit stall kernel page faults to win races",
            probes: [GroupProbe("userfaultfd")]),
        DangerousGroup(
            id: "host_admin", title: "reboot, swap, acct", risk: "host-wide state",
            probes: ["reboot", "swapon", "swapoff", "acct"].map { GroupProbe($0) }),
        DangerousGroup(
            id: "clock", title: "clock and time setting", risk: "the clock is host-wide",
            probes: [
                "settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
                "clock_adjtime64",
            ].map { GroupProbe($0) }),
        DangerousGroup(
            id: "chroot", title: "chroot", risk: "changing the root is a building block of escapes; needs CAP_SYS_CHROOT anyway",
            probes: [GroupProbe("chroot")]),
        DangerousGroup(
            id: "personality", title: "personality changes",
            risk: "ADDR_NO_RANDOMIZE turns ASLR off, READ_IMPLIES_EXEC makes data executable",
            probes: [
                GroupProbe("personality", label: "personality(ADDR_NO_RANDOMIZE)", arguments: [0x0004_0000]),
                GroupProbe("personality", label: "personality(READ_IMPLIES_EXEC)", arguments: [0x0040_0000]),
            ]),
        DangerousGroup(
            id: "sockets", title: "sockets: AF_ALG, AF_VSOCK, socketcall",
            risk: "AF_ALG exposes the kernel crypto API (recurring LPEs); AF_VSOCK reaches the host; "
                + "i386 socketcall hides socket()'s arguments from seccomp",
            probes: [
                GroupProbe("socket", label: "socket(AF_ALG)", arguments: [38]),
                GroupProbe("socket", label: "socket(AF_VSOCK)", arguments: [40]),
                GroupProbe("socketcall"),
            ]),
    ]

    /// Evaluates every group for a profile.
    public static func evaluate(_ profile: SeccompProfile, context: EvaluationContext = .host()) -> [GroupEvaluation] {
        evaluate(profile.expanded(for: context))
    }

    /// Evaluates every group for an expanded profile.
    public static func evaluate(_ expanded: ExpandedProfile) -> [GroupEvaluation] {
        all.map { group in
            let probes = group.probes.map { probe -> ProbeEvaluation in
                if let arguments = probe.arguments {
                    let action = expanded.action(for: probe.syscall, arguments: arguments)
                    return ProbeEvaluation(label: probe.label, status: action.allowsCall ? .allowed : .blocked, action: action)
                }
                let status = expanded.disposition(of: probe.syscall)
                return ProbeEvaluation(
                    label: probe.label, status: status, action: expanded.unconditionalAction(for: probe.syscall),
                    condition: status == .argumentFiltered ? expanded.allowCondition(for: probe.syscall) : nil)
            }
            let status: Disposition =
                probes.contains { $0.status == .allowed }
                ? .allowed
                : probes.contains { $0.status == .argumentFiltered } ? .argumentFiltered : .blocked
            return GroupEvaluation(id: group.id, title: group.title, status: status, probes: probes)
        }
    }
}

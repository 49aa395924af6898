import CSeccomp

#if canImport(Glibc)
    import Glibc
#endif

/// A CPU architecture a seccomp filter can cover.
public struct Architecture: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Docker's and libseccomp's name, e.g. `SCMP_ARCH_X86_64`.
    public var scmpName: String
    /// The name Docker's `includes.arches` uses for it, e.g. `amd64`.
    public var dockerName: String

    public init(scmpName: String, dockerName: String) {
        self.scmpName = scmpName
        self.dockerName = dockerName
    }

    public var description: String { scmpName }

    public static let x86 = Architecture(scmpName: "SCMP_ARCH_X86", dockerName: "x86")
    public static let x86_64 = Architecture(scmpName: "SCMP_ARCH_X86_64", dockerName: "amd64")
    public static let x32 = Architecture(scmpName: "SCMP_ARCH_X32", dockerName: "x32")
    public static let arm = Architecture(scmpName: "SCMP_ARCH_ARM", dockerName: "arm")
    public static let aarch64 = Architecture(scmpName: "SCMP_ARCH_AARCH64", dockerName: "arm64")

    /// Every architecture Docker's format names, whether or not this host's libseccomp knows it.
    public static let all: [Architecture] = [
        .x86, .x86_64, .x32, .arm, .aarch64,
        Architecture(scmpName: "SCMP_ARCH_MIPS", dockerName: "mips"),
        Architecture(scmpName: "SCMP_ARCH_MIPS64", dockerName: "mips64"),
        Architecture(scmpName: "SCMP_ARCH_MIPS64N32", dockerName: "mips64n32"),
        Architecture(scmpName: "SCMP_ARCH_MIPSEL", dockerName: "mipsle"),
        Architecture(scmpName: "SCMP_ARCH_MIPSEL64", dockerName: "mipsel64"),
        Architecture(scmpName: "SCMP_ARCH_MIPSEL64N32", dockerName: "mips3l64n32"),
        Architecture(scmpName: "SCMP_ARCH_PPC", dockerName: "ppc"),
        Architecture(scmpName: "SCMP_ARCH_PPC64", dockerName: "ppc64"),
        Architecture(scmpName: "SCMP_ARCH_PPC64LE", dockerName: "ppc64le"),
        Architecture(scmpName: "SCMP_ARCH_S390", dockerName: "s390"),
        Architecture(scmpName: "SCMP_ARCH_S390X", dockerName: "s390x"),
        Architecture(scmpName: "SCMP_ARCH_PARISC", dockerName: "parisc"),
        Architecture(scmpName: "SCMP_ARCH_PARISC64", dockerName: "parisc64"),
        Architecture(scmpName: "SCMP_ARCH_RISCV64", dockerName: "riscv64"),
        Architecture(scmpName: "SCMP_ARCH_LOONGARCH64", dockerName: "loong64"),
    ]

    /// Names Docker's `includes.arches`/`excludes.arches` are seen with besides ``dockerName``.
    static let extraDockerNames: Set<String> = ["386", "x86", "x32", "mips64le", "mipsle64", "loongarch64"]

    /// Looks an architecture up by its `SCMP_ARCH_*` name.
    public init?(scmpName: String) {
        guard let found = Self.all.first(where: { $0.scmpName == scmpName }) else { return nil }
        self = found
    }

    /// libseccomp's token (an `AUDIT_ARCH_*` value), or nil when this host's libseccomp lacks the architecture.
    public var token: UInt32? {
        switch scmpName {
        case "SCMP_ARCH_X86": return cseccomp_arch_x86()
        case "SCMP_ARCH_X86_64": return cseccomp_arch_x86_64()
        case "SCMP_ARCH_X32": return cseccomp_arch_x32()
        case "SCMP_ARCH_ARM": return cseccomp_arch_arm()
        case "SCMP_ARCH_AARCH64": return cseccomp_arch_aarch64()
        case "SCMP_ARCH_MIPS": return cseccomp_arch_mips()
        case "SCMP_ARCH_MIPS64": return cseccomp_arch_mips64()
        case "SCMP_ARCH_MIPS64N32": return cseccomp_arch_mips64n32()
        case "SCMP_ARCH_MIPSEL": return cseccomp_arch_mipsel()
        case "SCMP_ARCH_MIPSEL64": return cseccomp_arch_mipsel64()
        case "SCMP_ARCH_MIPSEL64N32": return cseccomp_arch_mipsel64n32()
        case "SCMP_ARCH_PPC": return cseccomp_arch_ppc()
        case "SCMP_ARCH_PPC64": return cseccomp_arch_ppc64()
        case "SCMP_ARCH_PPC64LE": return cseccomp_arch_ppc64le()
        case "SCMP_ARCH_S390": return cseccomp_arch_s390()
        case "SCMP_ARCH_S390X": return cseccomp_arch_s390x()
        case "SCMP_ARCH_PARISC": return cseccomp_arch_parisc()
        case "SCMP_ARCH_PARISC64": return cseccomp_arch_parisc64()
        case "SCMP_ARCH_RISCV64": return cseccomp_arch_riscv64()
        default: return nil // e.g. LoongArch: newer than libseccomp 2.5
        }
    }

    /// The architecture of this process, as libseccomp sees it.
    public static var native: Architecture {
        let token = seccomp_arch_native()
        return all.first { $0.token == token } ?? .x86_64
    }
}

/// libseccomp's syscall tables, plus the names of syscalls newer than the host's libseccomp.
public enum SyscallTable {
    /// What libseccomp knows about a name on one architecture.
    public enum Resolution: Sendable, Hashable {
        /// A real syscall number on that architecture.
        case number(Int32)
        /// A syscall of other architectures only (libseccomp answers with a negative pseudo-number).
        case notOnArchitecture
        /// Not a syscall libseccomp knows at all.
        case unknown
    }

    /// Resolves a name for an architecture token.
    public static func resolve(_ name: String, architecture token: UInt32) -> Resolution {
        let number = seccomp_syscall_resolve_name_arch(token, name)
        if number == cseccomp_nr_error() { return .unknown }
        return number < 0 ? .notOnArchitecture : .number(number)
    }

    /// The native number (or libseccomp's pseudo-number) for a name, nil when unknown.
    public static func nativeNumber(_ name: String) -> Int32? {
        let number = seccomp_syscall_resolve_name(name)
        return number == cseccomp_nr_error() ? nil : number
    }

    /// The name of a syscall number on an architecture, nil when libseccomp has none.
    public static func name(of number: Int32, architecture token: UInt32) -> String? {
        guard let pointer = seccomp_syscall_resolve_num_arch(token, number) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Every syscall name libseccomp knows for the given architectures.
    public static func allNames(architectures: [Architecture]) -> Set<String> {
        var names = Set<String>()
        for architecture in architectures {
            guard let token = architecture.token else { continue }
            // x32 numbers carry bit 30; the tables are dense below 1024 otherwise.
            let bases: [Int32] = architecture == .x32 ? [0x4000_0000] : [0]
            for base in bases {
                for offset in 0..<1100 {
                    if let name = name(of: base + Int32(offset), architecture: token) { names.insert(name) }
                }
            }
            // ARM's private syscalls (cacheflush, set_tls, …) live at 0x0f0000.
            if architecture == .arm {
                for offset in 0..<16 {
                    if let name = name(of: 0x0f_0000 + Int32(offset), architecture: token) { names.insert(name) }
                }
            }
        }
        return names
    }

    /// The installed libseccomp's version, e.g. `2.5.4`.
    public static var libseccompVersion: String {
        guard let version = seccomp_version() else { return "unknown" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }

    /// Syscalls added to Linux after the newest one libseccomp 2.5.4 knows (futex_requeue, 456).
    ///
    /// A profile may name them (Docker's default profile does), and runc silently drops
    /// a name its libseccomp cannot resolve, so the call then gets ENOSYS from runc's
    /// stub instead of the rule's action. Validation therefore accepts these names with
    /// a warning rather than an error. Numbers are the generic ones from Linux's
    /// `scripts/syscall.tbl` / `arch/x86/entry/syscalls/syscall_64.tbl` (v6.8–v6.17).
    public static let newerThanLibseccomp: [String: Int32] = [
        "statmount": 457, "listmount": 458,
        "lsm_get_self_attr": 459, "lsm_set_self_attr": 460, "lsm_list_modules": 461,
        "mseal": 462,
        "setxattrat": 463, "getxattrat": 464, "listxattrat": 465, "removexattrat": 466,
        "open_tree_attr": 467, "file_getattr": 468, "file_setattr": 469,
        // Architecture-specific: x86-64 (335) and RISC-V (258, 259).
        "uretprobe": 335, "riscv_hwprobe": 258, "riscv_flush_icache": 259,
    ]
}

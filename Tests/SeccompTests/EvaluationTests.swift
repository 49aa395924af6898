import Testing

@testable import Seccomp

@Suite("Evaluating what a profile does for a call")
struct EvaluationTests {
    static let cloneNewUser: UInt64 = 0x1000_0000
    static let sigchld: UInt64 = 17
    static let afALG: UInt64 = 38
    static let afVSOCK: UInt64 = 40
    static let afINET: UInt64 = 2

    @Test("default: namespaced clone and AF_ALG are refused, fork and AF_INET allowed", arguments: [Fixtures.defaultPath, Fixtures.strictPath])
    func shipped(path: String) throws {
        let profile = try Fixtures.document(path).profile
        #expect(profile.action(for: "clone", arguments: [Self.cloneNewUser]) == .errno(1))
        #expect(profile.action(for: "clone", arguments: [Self.sigchld]) == .allow)
        #expect(profile.action(for: "socket", arguments: [Self.afALG]) == .errno(1))
        #expect(profile.action(for: "socket", arguments: [Self.afVSOCK]) == .errno(1))
        #expect(profile.action(for: "socket", arguments: [Self.afINET, 1, 0]) == .allow)
        #expect(profile.action(for: "clone3", arguments: nil) == .errno(38))
        #expect(profile.action(for: "ptrace", arguments: nil) == .errno(1))
        #expect(profile.action(for: "read", arguments: nil) == .allow)
        #expect(profile.action(for: "no_such_call", arguments: nil) == .errno(1))
        #expect(profile.disposition(of: "clone") == .argumentFiltered)
        #expect(profile.disposition(of: "mount") == .blocked)
        #expect(profile.disposition(of: "write") == .allowed)
    }

    @Test("strict narrows sockets to Unix, netlink route, TCP and UDP, and personality to PER_LINUX")
    func strictSockets() throws {
        let strict = try Fixtures.document(Fixtures.strictPath).profile
        let sockStreamCloexec: UInt64 = 1 | 0x80000
        #expect(strict.action(for: "socket", arguments: [1, 5, 0]) == .allow) // AF_UNIX SOCK_SEQPACKET
        #expect(strict.action(for: "socket", arguments: [10, sockStreamCloexec, 6]) == .allow) // AF_INET6 TCP
        #expect(strict.action(for: "socket", arguments: [2, 2, 17]) == .allow) // UDP
        #expect(strict.action(for: "socket", arguments: [2, 1, 132]) == .errno(1)) // SCTP
        #expect(strict.action(for: "socket", arguments: [2, 6, 0]) == .errno(1)) // SOCK_DCCP
        #expect(strict.action(for: "socket", arguments: [2, 3, 1]) == .errno(1)) // raw
        #expect(strict.action(for: "socket", arguments: [16, 3, 0]) == .allow) // NETLINK_ROUTE
        #expect(strict.action(for: "socket", arguments: [16, 3, 12]) == .errno(1)) // NETLINK_NETFILTER
        #expect(strict.action(for: "socketpair", arguments: [1, 1, 0]) == .allow)
        #expect(strict.action(for: "socketpair", arguments: [30, 5, 0]) == .errno(1)) // AF_TIPC
        #expect(strict.action(for: "personality", arguments: [0]) == .allow)
        #expect(strict.action(for: "personality", arguments: [0xffff_ffff]) == .allow)
        #expect(strict.action(for: "personality", arguments: [8]) == .errno(1))
        for name in ["io_setup", "msgget", "mq_open", "vmsplice", "sync", "chroot", "set_thread_area", "name_to_handle_at"] {
            #expect(strict.disposition(of: name) == .blocked, "\(name)")
        }
        let standard = try Fixtures.document(Fixtures.defaultPath).profile
        #expect(standard.action(for: "personality", arguments: [8]) == .allow)
    }

    @Test("includes and excludes follow the daemon: capabilities, architecture, kernel")
    func expansion() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}"#,
            #"{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}"#,
            #"{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}}"#,
            #"{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}"#,
        ])
        let profile = try SeccompDocument.parse(text).profile
        let none = Fixtures.amd64
        let admin = EvaluationContext(architecture: .x86_64, capabilities: ["sys_admin"], kernel: KernelVersion(major: 6, minor: 1))
        let oldKernel = EvaluationContext(architecture: .x86_64, capabilities: [], kernel: KernelVersion(major: 4, minor: 4))
        #expect(profile.action(for: "mount", arguments: nil, context: none) == .errno(1))
        #expect(profile.action(for: "mount", arguments: nil, context: admin) == .allow)
        #expect(profile.action(for: "clone3", arguments: nil, context: none) == .errno(38))
        #expect(profile.action(for: "clone3", arguments: nil, context: admin) == .errno(1))
        #expect(profile.action(for: "arch_prctl", arguments: nil, context: none) == .errno(1))
        #expect(profile.action(for: "ptrace", arguments: nil, context: none) == .allow)
        #expect(profile.action(for: "ptrace", arguments: nil, context: oldKernel) == .errno(1))
    }

    @Test("conditions repeating an argument index are ORed, as runc adds them")
    func sameIndexIsOr() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}"#
        ])
        let document = try SeccompDocument.parse(text)
        #expect(document.validate().warnings.contains { $0.message.contains("ORed") })
        #expect(document.profile.action(for: "personality", arguments: [8]) == .allow)
        #expect(document.profile.action(for: "personality", arguments: [0]) == .allow)
        #expect(document.profile.action(for: "personality", arguments: [4]) == .errno(1))
        let filter = try BPFCompiler().compile(document.profile)
        #expect(try filter.action(for: "personality", arguments: [8]) == .allow)
    }

    @Test("kernel return values round-trip through Action")
    func kernelValues() {
        for action: Action in [.allow, .log, .errno(1), .errno(38), .trace(3), .trap, .killThread, .killProcess, .notify] {
            #expect(Action(kernelValue: action.kernelValue) == action)
        }
    }
}

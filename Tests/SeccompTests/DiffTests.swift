import Testing

@testable import Seccomp

@Suite("Profile diff and Docker's default")
struct DiffTests {
    @Test("the reference is Docker's default for amd64 without capabilities: 366 + 3 names")
    func reference() {
        let allowed = DockerDefaultReference.profile.expanded(for: DockerDefaultReference.context).allowedSyscalls
        #expect(allowed.unconditional.count == 366)
        #expect(allowed.argumentFiltered == ["clone", "personality", "socket"])
        #expect(DockerDefaultReference.provenance.contains("3c28324314729dbade8287e868eef6338c42807a"))
    }

    @Test("default and strict allow nothing Docker's default blocks", arguments: [Fixtures.defaultPath, Fixtures.strictPath])
    func noLooserThanDocker(path: String) throws {
        let profile = try Fixtures.document(path).profile
        let diff = ProfileDiff(profile, named: "ours", DockerDefaultReference.profile, named: "docker", context: Fixtures.amd64)
        #expect(diff.looserInA == [])
        #expect(diff.allowedOnlyInB.map(\.name).contains("ptrace"))
    }

    @Test("default is stricter than Docker's by exactly the documented 15 names")
    func documentedDifferences() throws {
        let profile = try Fixtures.document(Fixtures.defaultPath).profile
        let diff = ProfileDiff(profile, named: "default", DockerDefaultReference.profile, named: "docker", context: Fixtures.amd64)
        #expect(
            diff.looserInB == [
                "adjtimex", "clock_adjtime", "clock_adjtime64", "epoll_ctl_old", "epoll_wait_old", "fanotify_mark",
                "memfd_secret", "modify_ldt", "process_mrelease", "process_vm_readv", "process_vm_writev", "ptrace",
                "remap_file_pages", "riscv_hwprobe", "socketcall",
            ])
        #expect(diff.argumentFiltered.map(\.name) == ["clone", "personality", "socket"])
        #expect(diff.argumentFiltered.allSatisfy { $0.identical })
        let socketcall = try #require(diff.allowedOnlyInB.first { $0.name == "socketcall" })
        #expect(socketcall.disposition == .allowed)
    }

    @Test("default vs strict: strict only removes")
    func defaultVsStrict() throws {
        let standard = try Fixtures.document(Fixtures.defaultPath).profile
        let strict = try Fixtures.document(Fixtures.strictPath).profile
        let diff = ProfileDiff(standard, named: "default", strict, named: "strict", context: Fixtures.amd64)
        #expect(diff.looserInB == [])
        for name in ["io_setup", "msgget", "vmsplice", "sync", "chown32", "set_thread_area"] {
            #expect(diff.allowedOnlyInA.contains { $0.name == name }, "\(name)")
        }
        let socket = try #require(diff.argumentFiltered.first { $0.name == "socket" })
        #expect(socket.allowedOnlyByA != nil)
        #expect(socket.allowedOnlyByB == nil)
    }

    @Test("a looser argument filter is found with a witness")
    func looserFilter() throws {
        var profile = try Fixtures.document(Fixtures.defaultPath).profile
        let index = try #require(profile.syscalls.firstIndex { $0.names == ["socket"] && $0.args?.first?.op == "SCMP_CMP_LT" })
        profile.syscalls[index].args = [ArgumentCondition(index: 0, value: 39, op: "SCMP_CMP_LT")]
        let diff = ProfileDiff(profile, named: "weak", DockerDefaultReference.profile, named: "docker", context: Fixtures.amd64)
        #expect(diff.looserInA == ["socket"])
        let socket = try #require(diff.argumentFiltered.first { $0.name == "socket" })
        #expect(socket.allowedOnlyByA?.first == 38)
    }

    @Test("an added name shows up as allowed only in A")
    func addedName() throws {
        var profile = try Fixtures.document(Fixtures.defaultPath).profile
        profile.syscalls[0].names.append("unshare")
        let diff = ProfileDiff(profile, named: "weak", DockerDefaultReference.profile, named: "docker", context: Fixtures.amd64)
        #expect(diff.looserInA == ["unshare"])
        let groups = DangerousGroups.evaluate(profile, context: Fixtures.amd64)
        #expect(groups.first { $0.id == "namespaces" }?.status == .allowed)
    }

    @Test("a denylist profile is compared against every known name")
    func denylist() throws {
        let text = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]}"#
        let profile = try SeccompDocument.parse(text).profile
        let diff = ProfileDiff(profile, named: "denylist", DockerDefaultReference.profile, named: "docker", context: Fixtures.amd64)
        #expect(diff.looserInA.contains("bpf"))
        #expect(!diff.looserInA.contains("mount"))
    }

    @Test("every dangerous group is blocked by default and strict", arguments: [Fixtures.defaultPath, Fixtures.strictPath])
    func dangerousGroups(path: String) throws {
        let groups = DangerousGroups.evaluate(try Fixtures.document(path).profile, context: Fixtures.amd64)
        #expect(groups.count == DangerousGroups.all.count)
        for group in groups {
            #expect(group.status == .blocked, "\(group.id): \(group.openings)")
        }
    }

    @Test("Docker's default leaves ptrace and socketcall open")
    func dockerGroups() {
        let groups = DangerousGroups.evaluate(DockerDefaultReference.profile, context: DockerDefaultReference.context)
        #expect(groups.first { $0.id == "ptrace" }?.status == .allowed)
        #expect(groups.first { $0.id == "sockets" }?.openings == ["socketcall"])
        #expect(groups.first { $0.id == "namespaces" }?.status == .blocked)
    }
}

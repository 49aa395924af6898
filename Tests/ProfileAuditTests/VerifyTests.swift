import DockerEngine
import Foundation
import ProfileAudit
import Sandbox
import Testing

@Suite("Probe output parsing")
struct ProbeLineTests {
    @Test("ok, errno, value and skip lines; comments and garbage are ignored")
    func parsesLines() {
        let output = """
            # sandcastle-probe 1 pid=7 uid=1000 gid=1000
            status.CapEff\tvalue\t0000000000000000
            unshare(CLONE_NEWUSER)\tEPERM\tOperation not permitted
            clone3\tENOSYS\tFunction not implemented
            socket(AF_INET, SOCK_STREAM)\tok\tsocket created
            apparmor\tvalue\t
            status.Seccomp_filters\tskip\tthis kernel has no Seccomp_filters line in /proc/self/status
            engine sockets\tvalue\tfound=0 scanned=10986 sockets=2
            not a probe line
            weird\tmaybe\tunknown outcome
            \tEPERM\tno name
            # memhog allocated=64
            """
        let lines = ProbeLine.parse(output: output)
        #expect(
            lines.map(\.name) == [
                "status.CapEff", "unshare(CLONE_NEWUSER)", "clone3", "socket(AF_INET, SOCK_STREAM)",
                "apparmor", "status.Seccomp_filters", "engine sockets",
            ])
        #expect(lines[0] == ProbeLine(name: "status.CapEff", outcome: .value, detail: "0000000000000000"))
        #expect(lines[1].outcome == .failed(errno: "EPERM"))
        #expect(lines[1].errno == "EPERM")
        #expect(lines[2].errno == "ENOSYS")
        #expect(lines[3].outcome == .succeeded)
        #expect(lines[4].detail == "")
        #expect(lines[5].outcome == .skipped)
        #expect(lines[6].field("found") == "0")
        #expect(lines[6].field("sockets") == "2")
        #expect(lines[6].field("missing") == nil)
        #expect(ProbeLine.hasHeader(output))
        #expect(!ProbeLine.hasHeader("\u{1}binary frames"))
    }

    @Test("a detail may hold spaces and a CR line ending is dropped")
    func detailAndLineEndings() {
        let line = ProbeLine.parse(line: "mount(tmpfs)\tEPERM\tOperation not permitted (mounted nothing)\r")
        #expect(
            line
                == ProbeLine(
                    name: "mount(tmpfs)", outcome: .failed(errno: "EPERM"),
                    detail: "Operation not permitted (mounted nothing)"))
        #expect(ProbeLine.parse(line: "interfaces\tvalue") == ProbeLine(name: "interfaces", outcome: .value, detail: ""))
        #expect(ProbeLine.parse(line: "") == nil)
        #expect(ProbeLine.parse(line: "# comment\tok\tx") == nil)
    }

    @Test("memhog progress is the last progress comment")
    func memhogProgress() {
        #expect(ProbeLine.memhogProgress("# memhog allocated=64\n# memhog allocated=128\n") == 128)
        #expect(ProbeLine.memhogProgress("nothing") == nil)
    }
}

@Suite("Probe expectations")
struct ProbeExpectationTests {
    static func profile(network: NetworkMode = .none) throws -> IsolationProfile {
        var profile = try VerifyFixture.profile("default")
        profile.network = network
        return profile
    }

    @Test("a refused call passes as blocked, a successful one fails, and a missing line fails")
    func judging() throws {
        let expectations = ProbeExpectations(profile: try Self.profile(), connectProbes: [(name: "connect(x:80)", requiredUnderBridge: true)])
        let results = expectations.evaluate([
            ProbeLine(name: "unshare(CLONE_NEWUSER)", outcome: .succeeded, detail: "created a user namespace"),
            ProbeLine(name: "mount(tmpfs)", outcome: .failed(errno: "EPERM"), detail: "Operation not permitted"),
            ProbeLine(name: "keyctl", outcome: .failed(errno: "ENOSYS"), detail: "Function not implemented"),
            ProbeLine(name: "bpf", outcome: .failed(errno: "EINVAL"), detail: "Invalid argument"),
            ProbeLine(name: "clone3", outcome: .failed(errno: "EPERM"), detail: "Operation not permitted"),
            ProbeLine(name: "status.CapEff", outcome: .value, detail: "00000000a80425fb"),
            ProbeLine(name: "status.Uid", outcome: .value, detail: "1000 1000 1000 1000"),
            ProbeLine(name: "write /etc/probe", outcome: .failed(errno: "EROFS"), detail: "Read-only file system"),
            ProbeLine(name: "engine sockets", outcome: .value, detail: "found=1 scanned=5 sockets=1 paths=/run/docker.sock"),
            ProbeLine(name: "status.Seccomp_filters", outcome: .skipped, detail: "no such line"),
            ProbeLine(name: "connect(x:80)", outcome: .failed(errno: "ENETUNREACH"), detail: "Network is unreachable"),
            ProbeLine(name: "something new", outcome: .value, detail: "42"),
        ])
        func result(_ name: String) -> ProbeResult? { results.first { $0.name == name } }
        #expect(result("unshare(CLONE_NEWUSER)")?.passed == false)
        #expect(result("mount(tmpfs)")?.passed == true)
        #expect(result("keyctl")?.passed == true)
        #expect(result("bpf")?.passed == false) // EINVAL: the call reached the kernel
        #expect(result("clone3")?.passed == false) // must be ENOSYS, or libc cannot fall back
        #expect(result("status.CapEff")?.passed == false)
        #expect(result("status.Uid")?.passed == true)
        #expect(result("write /etc/probe")?.passed == true)
        #expect(result("engine sockets")?.passed == false)
        #expect(result("engine sockets")?.observed == "1 found")
        #expect(result("status.Seccomp_filters")?.skipped == true)
        #expect(result("status.Seccomp_filters")?.passed == true)
        #expect(result("connect(x:80)")?.passed == true)
        #expect(result("something new")?.verdict == "info")
        // A rule whose probe printed nothing is a failure, not a silent pass.
        #expect(result("setns(net)")?.observed == "no report")
        #expect(result("setns(net)")?.passed == false)
    }

    @Test("egress must fail under network none and succeed under bridge")
    func network() throws {
        let lines = [
            ProbeLine(name: "connect(mirror:80)", outcome: .succeeded, detail: "connected"),
            ProbeLine(name: "interfaces", outcome: .value, detail: "eth0,lo"),
        ]
        let none = ProbeExpectations(
            profile: try Self.profile(network: .none),
            connectProbes: [(name: "connect(mirror:80)", requiredUnderBridge: true)])
        let noneResults = none.evaluate(lines).filter { ["connect(mirror:80)", "interfaces"].contains($0.name) }
        #expect(noneResults.count == 2)
        #expect(noneResults.allSatisfy { !$0.passed })
        let bridge = ProbeExpectations(
            profile: try Self.profile(network: .bridge),
            connectProbes: [(name: "connect(mirror:80)", requiredUnderBridge: true)])
        let bridgeResults = bridge.evaluate(lines).filter { ["connect(mirror:80)", "interfaces"].contains($0.name) }
        #expect(bridgeResults.count == 2)
        #expect(bridgeResults.allSatisfy { $0.passed })
        let unreachable = [ProbeLine(name: "connect(mirror:80)", outcome: .failed(errno: "ETIMEDOUT"), detail: "")]
        #expect(bridge.evaluate(unreachable).first { $0.name == "connect(mirror:80)" }?.passed == false)
    }

    @Test("the report renders a table per category and round-trips through JSON")
    func report() throws {
        let report = VerifyReport(
            profile: "default", image: "sandcastle/base:latest", startedAt: Date(timeIntervalSince1970: 0),
            results: [
                ProbeResult(
                    name: "unshare(CLONE_NEWUSER)", category: ProbeCategory.namespaces,
                    expected: "blocked (EPERM or ENOSYS)", observed: "succeeded", passed: false,
                    detail: "created a user namespace"),
                ProbeResult(
                    name: "a|b", category: ProbeCategory.identity, expected: "x", observed: "y",
                    passed: true, detail: "line\nbreak"),
            ])
        #expect(!report.passed)
        let markdown = report.markdown()
        #expect(markdown.contains("**FAILED**"))
        #expect(markdown.contains("| probe | expected | observed | result |"))
        #expect(markdown.contains("| `unshare(CLONE_NEWUSER)` | blocked (EPERM or ENOSYS) | succeeded | **FAIL** |"))
        #expect(markdown.contains("`a\\|b`"))
        #expect(!markdown.contains("line\nbreak"))
        let decoded = try JSONDecoder().decode(VerifyReport.self, from: JSONEncoder().encode(report))
        #expect(decoded.results == report.results)
        #expect(decoded.profile == "default")
    }
}

@Suite("Live verification on the real engine", .serialized, .timeLimit(.minutes(10)))
struct VerifyIntegrationTests {
    @Test("every shipped profile passes verify", arguments: ProfileCatalog.shippedNames)
    func shippedProfilePasses(name: String) async throws {
        let backend = try await VerifyFixture.backend()
        let report = try await ProfileVerifier(backend: backend).verify(
            profile: try VerifyFixture.profile(name),
            image: VerifyFixture.image)
        VerifyFixture.keep(report)
        let failures = report.failures.map { "\($0.name): expected \($0.expected), observed \($0.observed) (\($0.detail))" }
        #expect(failures.isEmpty, "\(name) failed: \(failures.joined(separator: "; "))")
        #expect(report.passed == failures.isEmpty)
        #expect(report.profile == name)
        // This engine has every cgroup controller and the kernel every feature probed:
        // nothing may be skipped here.
        #expect(report.skips.isEmpty, "skipped: \(report.skips.map { "\($0.name): \($0.detail)" })")
        // Each probe group ran, and the host-side probes are all there.
        for probe in [
            "status.CapEff", "unshare(CLONE_NEWUSER)", "clone3", "engine sockets", "forkbomb", "memhog",
            "engine OOM report", "processes after probes", "container removed", "workspace volume removed",
        ] {
            #expect(report.results.contains { $0.name == probe }, "no result for \(probe)")
        }
        let egress = report.results.first { $0.name == "connect(deb.debian.org:80)" }
        let profile = try VerifyFixture.profile(name)
        #expect(egress?.observed == (profile.network == .none ? "ENETUNREACH" : "succeeded"))
        #expect(try await VerifyFixture.leftovers(backend, sandboxID: report.sandboxID) == 0)
        #expect(report.markdown().contains("**PASSED**") == report.passed)
    }

    @Test("a profile that allows unshare and mount fails verify, naming the probes")
    func weakenedProfileFails() async throws {
        let backend = try await VerifyFixture.backend()
        let report = try await ProfileVerifier(backend: backend).verify(
            profile: try VerifyFixture.weakenedDefault(),
            image: VerifyFixture.image)
        VerifyFixture.keep(report)
        #expect(!report.passed)
        let failed = Set(report.failures.map(\.name))
        #expect(failed.contains("unshare(CLONE_NEWUSER)"))
        // Allowing unshare hands out "root" in a user namespace, and with mount allowed too
        // that root can mount: the escalation path the invariant exists for.
        #expect(failed.contains("mount in a new user namespace"))
        // Without CAP_SYS_ADMIN the kernel still refuses a mount (EPERM): the profile is
        // weaker, but that probe cannot tell, and says so by passing.
        #expect(report.results.first { $0.name == "mount(tmpfs)" }?.observed == "EPERM")
        #expect(report.markdown().contains("**FAIL**"))
        #expect(try await VerifyFixture.leftovers(backend, sandboxID: report.sandboxID) == 0)
    }

    @Test("a profile that adds CAP_SYS_ADMIN fails on capabilities and mounts")
    func addedCapabilityFails() async throws {
        let backend = try await VerifyFixture.backend()
        var profile = try VerifyFixture.weakenedDefault()
        profile.name = "default-weakened-sys-admin"
        profile.addedCapabilities = ["SYS_ADMIN"]
        profile.noNewPrivileges = false
        let report = try await ProfileVerifier(backend: backend).verify(profile: profile, image: VerifyFixture.image)
        VerifyFixture.keep(report)
        let failed = Set(report.failures.map(\.name))
        #expect(failed.isSuperset(of: ["status.CapBnd", "status.NoNewPrivs", "unshare(CLONE_NEWUSER)"]))
        #expect(try await VerifyFixture.leftovers(backend, sandboxID: report.sandboxID) == 0)
    }
}

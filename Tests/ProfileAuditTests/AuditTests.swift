import DockerEngine
import Foundation
import ProfileAudit
import Sandbox
import SandboxDocker
import Seccomp
import Testing

@Suite("Profile audit")
struct AuditTests {
    @Test("shipped profiles pass every check and allow nothing Docker's default blocks", arguments: ["default", "strict", "networked"])
    func shippedPass(name: String) throws {
        let profile = try AuditCatalogFixture().catalog.profile(named: name)
        let report = try ProfileAuditor().audit(profile)
        #expect(report.passed)
        #expect(report.checklist.allSatisfy { $0.passed }, "\(report.checklist.filter { !$0.passed })")
        #expect(report.dockerDefault.allowedHereBlockedByDocker == [])
        #expect(report.dangerousGroups.allSatisfy { $0.status == .blocked })
        #expect(report.seccomp.bpfInstructions > 0)
        #expect(report.hostConfig == profile.hostConfig())
        let ids = Set(report.checklist.map(\.id))
        for id in ["5.4", "5.5", "5.22", "5.26", "5.13", "5.11", "5.29", "5.10", "5.16", "5.17", "5.21", "5.31", "5.32", "5.6", "5.18"] {
            #expect(ids.contains(id), "missing check \(id)")
        }
    }

    @Test("counts: default allows 354 syscalls as documented; strict allows fewer with a smaller filter")
    func counts() throws {
        let catalog = try AuditCatalogFixture().catalog
        let standard = try ProfileAuditor().audit(try catalog.profile(named: "default"))
        let strict = try ProfileAuditor().audit(try catalog.profile(named: "strict"))
        #expect(standard.seccomp.allowed.total == 354)
        #expect(standard.seccomp.allowed.argumentFiltered == ["clone", "personality", "socket"])
        #expect(standard.dockerDefault.blockedHereAllowedByDocker.count == 15)
        #expect(strict.seccomp.allowed.total < standard.seccomp.allowed.total)
        #expect(strict.seccomp.bpfInstructions < standard.seccomp.bpfInstructions)
        #expect(standard.seccomp.explicitDenials["clone3"] == "ENOSYS")
    }

    @Test("the Markdown abbreviates the inline seccomp profile; the JSON keeps it whole")
    func rendering() throws {
        let profile = try AuditCatalogFixture().catalog.profile(named: "default")
        let report = try ProfileAuditor().audit(profile)
        let markdown = report.markdown()
        #expect(markdown.contains("seccomp=<inline profile: \(profile.seccompJSON.utf8.count) bytes, sha256 \(report.seccomp.sha256)>"))
        #expect(!markdown.contains("SCMP_ACT_ALLOW\",\"names"))
        #expect(markdown.contains("| 5.26 | no-new-privileges set | pass |"))
        #expect(markdown.contains("**0**"))
        #expect(markdown.contains("| namespaces (unshare, setns, clone with namespace flags, clone3) | blocked |"))
        let json = try ProfileAuditor.engineJSON(report, pretty: false)
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(json.utf8))
        #expect(decoded.hostConfig.securityOpt?.first == "seccomp=\(profile.seccompJSON)")
        #expect(json.contains("\"passed\":true"))
        // The HostConfig is encoded the way the Docker client encodes it.
        let engine = try ProfileAuditor.engineJSON(profile.hostConfig(), pretty: false)
        #expect(engine.contains("\"CapDrop\":[\"ALL\"]"))
    }

    @Test("a profile adding CAP_SYS_ADMIN fails the CapAdd check and is flagged")
    func capAddFails() throws {
        let fixture = try AuditCatalogFixture()
        try fixture.write(
            "admin.json",
            AuditCatalogFixture.profileText(name: "admin")
                .replacingOccurrences(of: "\"add\": []", with: "\"add\": [\"SYS_ADMIN\"]"))
        let profile = try fixture.catalog.profile(named: "admin")
        #expect(profile.addedCapabilities == ["CAP_SYS_ADMIN"])
        let report = try ProfileAuditor().audit(profile)
        #expect(!report.passed)
        let capAdd = try #require(report.checklist.first { $0.id == "5.4" })
        #expect(!capAdd.passed)
        #expect(capAdd.detail.contains("CAP_SYS_ADMIN"))
        #expect(report.checklist.filter { !$0.passed }.map(\.id) == ["5.4"])
        #expect(report.environment.capabilities == ["CAP_SYS_ADMIN"])
        #expect(report.markdown().contains("| 5.4 | no capabilities added (CapAdd) | **FAIL** |"))
    }

    @Test("a weakened filter shows up as allowed-but-Docker-blocks and as an open dangerous group")
    func weakenedFilter() throws {
        let fixture = try AuditCatalogFixture()
        var text = try String(contentsOfFile: AuditCatalogFixture.seccompDirectory + "/default.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"getrandom\"", with: "\"getrandom\", \"unshare\", \"bpf\"")
        try fixture.write("seccomp/weak.json", text)
        try fixture.write("weak.json", AuditCatalogFixture.profileText(name: "weak", seccomp: "seccomp/weak.json"))
        let report = try ProfileAuditor().audit(try fixture.catalog.profile(named: "weak"))
        #expect(!report.passed)
        #expect(report.dockerDefault.allowedHereBlockedByDocker == ["bpf", "unshare"])
        #expect(report.dangerousGroups.filter { $0.status != .blocked }.map(\.id) == ["namespaces", "bpf"])
    }

    @Test("the checklist flags host namespaces, privileged mode, docker.sock and devices")
    func checklistFailures() {
        var config = HostConfig()
        config.privileged = true
        config.networkMode = "host"
        config.pidMode = "host"
        config.securityOpt = ["seccomp=unconfined"]
        config.binds = ["/var/run/docker.sock:/var/run/docker.sock", "/etc:/host-etc:ro"]
        config.devices = [DeviceMapping(pathOnHost: "/dev/sda", pathInContainer: "/dev/sda")]
        let failed = Set(HostChecklist.evaluate(config, user: "root").filter { !$0.passed }.map(\.id))
        for id in ["4.1", "5.5", "5.10", "5.16", "5.22", "5.26", "5.13", "5.11", "5.29", "5.32", "5.6", "5.18", "sandcastle.capdrop"] {
            #expect(failed.contains(id), "\(id) should fail")
        }
    }

    @Test("the emitted BPF filter is 8 bytes per instruction")
    func emitBPF() throws {
        let profile = try AuditCatalogFixture().catalog.profile(named: "strict")
        let filter = try ProfileAuditor().compileFilter(profile)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).bpf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try filter.write(to: path)
        #expect(FileManager.default.contents(atPath: path)?.count == filter.instructionCount * 8)
        #expect(filter.instructionCount == (try ProfileAuditor().audit(profile)).seccomp.bpfInstructions)
    }
}

import DockerEngine
import Foundation
import SandboxDocker
import Seccomp
import Testing

@testable import Sandbox

@Suite("Profile catalog: shipped and custom profile files")
struct AuditCatalogTests {
    @Test("shipped profiles are the files on disk")
    func shippedNames() throws {
        let fixture = try AuditCatalogFixture()
        #expect(fixture.catalog.shippedNames == ["default", "networked", "strict"])
        #expect(fixture.catalog.customNames == [])
    }

    @Test("default keeps the values of the former IsolationProfile.standard")
    func defaultValues() throws {
        let profile = try AuditCatalogFixture().catalog.profile(named: "default")
        let mebibyte: Int64 = 1024 * 1024
        #expect(profile.name == "default")
        #expect(profile.summary == "Hardened default for agent code: no capabilities, allowlist seccomp, read-only root, no network.")
        #expect(profile.addedCapabilities == [])
        #expect(profile.user == "1000:1000")
        #expect(profile.readOnlyRootFilesystem && profile.noNewPrivileges)
        #expect(
            profile.tmpfs == [
                TmpfsMount(path: "/tmp", sizeBytes: 256 * mebibyte, options: ["nosuid", "nodev", "mode=1777"]),
                TmpfsMount(path: "/run", sizeBytes: 16 * mebibyte, options: ["nosuid", "nodev", "noexec", "uid=1000", "gid=1000", "mode=0755"]),
            ])
        #expect(profile.pidsLimit == 512)
        #expect(profile.memoryBytes == 1024 * mebibyte)
        #expect(profile.nanoCPUs == 1_000_000_000)
        #expect(profile.network == .none)
        #expect(profile.ulimits == [ResourceLimit(name: "nofile", soft: 4096, hard: 4096), ResourceLimit(name: "core", soft: 0, hard: 0)])
        #expect(profile.maskedPaths == nil && profile.readonlyPaths == nil)
        #expect(profile.seccompPath.hasSuffix("seccomp/default.json"))
        #expect(profile.seccompJSON.hasPrefix("{") && !profile.seccompJSON.contains("\n"))
    }

    @Test("networked is default plus the bridge; strict is tighter")
    func networkedAndStrict() throws {
        let catalog = try AuditCatalogFixture().catalog
        var standard = try catalog.profile(named: "default")
        let networked = try catalog.profile(named: "networked")
        #expect(networked.network == .bridge)
        standard.name = "networked"
        standard.summary = networked.summary
        standard.network = .bridge
        standard.profilePath = networked.profilePath
        #expect(standard == networked)

        let strict = try catalog.profile(named: "strict")
        #expect(strict.network == .none)
        #expect(strict.pidsLimit == 128)
        #expect(strict.memoryBytes == 512 * 1024 * 1024)
        #expect(strict.nanoCPUs == 500_000_000)
        #expect(strict.seccompPath.hasSuffix("seccomp/strict.json"))
        #expect(strict.tmpfs.allSatisfy { $0.sizeBytes <= 64 * 1024 * 1024 })
        let masked = try #require(strict.maskedPaths)
        #expect(masked.contains("/proc/kcore") && masked.contains("/proc/kallsyms"))
        #expect(strict.hostConfig().maskedPaths == masked)
        #expect(strict.hostConfig().readonlyPaths == nil)
    }

    @Test("a custom profile loads from the custom folder, with its own seccomp file")
    func customProfile() throws {
        let fixture = try AuditCatalogFixture()
        let filter = try String(contentsOfFile: AuditCatalogFixture.seccompDirectory + "/strict.json", encoding: .utf8)
        try fixture.write("seccomp/mine.json", filter)
        try fixture.write(
            "mine.json",
            AuditCatalogFixture.profileText(
                name: "mine", seccomp: "seccomp/mine.json",
                extra: ",\n  \"extraReadonlyPaths\": [\"/etc\"]"))
        #expect(fixture.catalog.customNames == ["mine"])
        let profile = try fixture.catalog.profile(named: "mine")
        #expect(profile.pidsLimit == 64)
        #expect(profile.nanoCPUs == 250_000_000)
        #expect(profile.seccompPath == fixture.customDirectory + "/seccomp/mine.json")
        #expect(profile.readonlyPaths == DockerPathDefaults.readonlyPaths + ["/etc"])
        #expect(fixture.catalog.list().map(\.name) == ["default", "networked", "strict", "mine"])
    }

    @Test("a custom profile can extend a shipped one and use its filter")
    func extends() throws {
        let fixture = try AuditCatalogFixture()
        try fixture.write("tight.json", #"{"name": "tight", "extends": "default", "description": "less memory", "limits": {"memory": "128MiB"}}"#)
        let profile = try fixture.catalog.profile(named: "tight")
        #expect(profile.memoryBytes == 128 * 1024 * 1024)
        #expect(profile.pidsLimit == 512)
        #expect(profile.seccompPath.hasSuffix("seccomp/default.json"))
    }

    @Test("an unknown syscall in a custom filter is refused, naming the syscall and its line")
    func unknownSyscall() throws {
        let fixture = try AuditCatalogFixture()
        let filter = """
            {
              "defaultAction": "SCMP_ACT_ERRNO",
              "syscalls": [
                { "names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW" },
                { "names": ["frobnicate"], "action": "SCMP_ACT_ALLOW" }
              ]
            }
            """
        let filterPath = try fixture.write("seccomp/broken.json", filter)
        try fixture.write("broken.json", AuditCatalogFixture.profileText(name: "broken", seccomp: "seccomp/broken.json"))
        let error = try #require(throws: SandboxError.self) { try fixture.catalog.profile(named: "broken") }
        #expect(error.code == .invalidProfile)
        #expect(error.message.contains("frobnicate"))
        #expect(error.message.contains("\(filterPath):5:"))
        #expect(error.message.contains("syscalls[1].names[0]"))
        let cause = try #require(error.cause as? SeccompError)
        #expect(cause.code == .unknownSyscall)
        // Listing shows it as invalid instead of failing the whole list.
        #expect(fixture.catalog.list().first { $0.name == "broken" }?.error != nil)
    }

    @Test("an invalid profile is refused before any container is created")
    func refusedBeforeEngine() async throws {
        let fixture = try AuditCatalogFixture()
        try fixture.write("typo.json", AuditCatalogFixture.profileText(name: "typo", extra: ",\n  \"netwrok\": \"bridge\""))
        // An engine that does not exist: reaching it would fail with engine_unavailable instead.
        let docker = try DockerClient(host: .unixSocket("/nonexistent/docker.sock"))
        let backend = DockerSandboxBackend(docker: docker, profiles: fixture.catalog)
        let error = await #expect(throws: SandboxError.self) {
            _ = try await backend.createSandbox(SandboxSpec(image: "base", profile: "typo"))
        }
        #expect(error?.code == .invalidProfile)
        #expect(error?.message.contains("unknown field 'netwrok'") == true)
        #expect(error?.message.contains("did you mean 'network'?") == true)
        #expect(error?.message.contains(":12:") == true)
    }

    @Test("bad JSON, a bad value, a name mismatch and a shadowed shipped name are refused")
    func otherRefusals() throws {
        let fixture = try AuditCatalogFixture()
        try fixture.write("badjson.json", "{ \"name\": \"badjson\", ")
        try fixture.write("badnet.json", AuditCatalogFixture.profileText(name: "badnet").replacingOccurrences(of: "\"none\"", with: "\"host\""))
        try fixture.write("renamed.json", AuditCatalogFixture.profileText(name: "other"))
        try fixture.write("default.json", AuditCatalogFixture.profileText(name: "default"))
        try fixture.write("filter.json", try String(contentsOfFile: AuditCatalogFixture.seccompDirectory + "/default.json", encoding: .utf8))
        try fixture.write("cap.json", AuditCatalogFixture.profileText(name: "cap").replacingOccurrences(of: "\"add\": []", with: "\"add\": [\"SYS_WIZARD\"]"))
        let expectations = [
            ("badjson", "not valid JSON"), ("badnet", "unknown network 'host'"), ("renamed", "must match the file name"),
            ("default", "cannot replace shipped ones"), ("filter", "is a seccomp filter, not an isolation profile"),
            ("cap", "unknown capability 'SYS_WIZARD'"), ("nothere", "unknown isolation profile 'nothere'"),
            ("../etc/passwd", "is not a profile name"),
        ]
        for (name, message) in expectations {
            let error = try #require(throws: SandboxError.self) { try fixture.catalog.profile(named: name) }
            #expect(error.code == .invalidProfile)
            #expect(error.message.contains(message), "\(name): \(error.message)")
        }
    }

    @Test("custom folder comes from SANDCASTLE_PROFILES_DIR, else ~/.config/sandcastle/profiles")
    func customFolder() {
        #expect(ProfileCatalog.defaultCustomDirectory(environment: ["SANDCASTLE_PROFILES_DIR": "/x", "HOME": "/home/a"]) == "/x")
        #expect(ProfileCatalog.defaultCustomDirectory(environment: ["HOME": "/home/a"]) == "/home/a/.config/sandcastle/profiles")
        #expect(ProfileCatalog.defaultCustomDirectory(environment: [:]) == nil)
    }
}

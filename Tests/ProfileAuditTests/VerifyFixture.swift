import DockerEngine
import Foundation
import ProfileAudit
import Sandbox
import SandboxDocker

/// Real-engine fixtures for the verify tests. There is no skip path: without an engine
/// (or without the `base` image built with a probe-capable runner) these tests fail.
enum VerifyFixture {
    /// The image the verify tests run in (`sandcastle images build base`);
    /// `SANDCASTLE_VERIFY_IMAGE` picks another (e.g. `python`, or a locally tagged build).
    static let image = ProcessInfo.processInfo.environment["SANDCASTLE_VERIFY_IMAGE"] ?? "base"

    static func backend() async throws -> DockerSandboxBackend {
        try await DockerSandboxBackend.fromEnvironment()
    }

    static func profile(_ name: String) throws -> IsolationProfile {
        try ProfileCatalog().profile(named: name)
    }

    /// The default profile with a seccomp filter that also allows `unshare` and `mount`
    /// (one extra allow rule appended), i.e. a regression a reviewer must catch.
    static func weakenedDefault() throws -> IsolationProfile {
        var profile = try profile("default")
        guard var document = try JSONSerialization.jsonObject(with: Data(profile.seccompJSON.utf8)) as? [String: Any],
            var rules = document["syscalls"] as? [Any]
        else {
            throw SandboxError(.invalidProfile, "the default seccomp profile is not a JSON object with syscalls")
        }
        rules.append(
            [
                "names": ["unshare", "mount", "umount2"], "action": "SCMP_ACT_ALLOW",
                "comment": "deliberately weakened for a verify test",
            ] as [String: Any])
        document["syscalls"] = rules
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        profile.seccompJSON = String(decoding: data, as: UTF8.self)
        profile.name = "default-weakened"
        return profile
    }

    /// With `SANDCASTLE_VERIFY_REPORTS=DIR`, writes each report's Markdown there for reading.
    static func keep(_ report: VerifyReport) {
        guard let directory = ProcessInfo.processInfo.environment["SANDCASTLE_VERIFY_REPORTS"] else { return }
        let path = (directory as NSString).appendingPathComponent("verify-\(report.profile).md")
        try? report.markdown().write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Every container and volume a verify run made is gone (the sandbox label is on both).
    static func leftovers(_ backend: DockerSandboxBackend, sandboxID: String) async throws -> Int {
        let filters = DockerFilters.label(SandcastleLabels.sandbox, sandboxID)
        let containers = try await backend.docker.listContainers(all: true, filters: filters)
        let volumes = try await backend.docker.listVolumes(filters: filters)
        return containers.count + volumes.count
    }
}

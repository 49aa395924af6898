import Sandbox
import Testing

@testable import ServerCore

/// How a key's workspace name maps to a volume, and what the service refuses, without Docker
/// (the real engine's side is DockerWorkspaceTests).
struct WorkspaceScopeTests {
    @Test func volumeNamesKeepKeysApartAndAreValidForDocker() {
        let a = OwnedWorkspace(name: "data", keyID: "key_a")
        let b = OwnedWorkspace(name: "data", keyID: "key_b")
        let open = OwnedWorkspace(name: "data", keyID: nil)
        #expect(Set([a.volumeName, b.volumeName, open.volumeName]).count == 3)
        #expect(open.owner == "open")
        // Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters at least).
        let short = OwnedWorkspace(name: "a", keyID: "key_a").volumeName
        #expect(short.hasPrefix("sandcastle-ws-") && short.hasSuffix("-a") && short.count > 2)
        #expect(short.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
    }

    @Test func onlyAVolumeLabelledForThisOwnerAndNameIsTheWorkspace() {
        let workspace = OwnedWorkspace(name: "data", keyID: "key_a")
        let labels = [SandcastleLabels.managed: "true", SandcastleLabels.workspace: "data", SandcastleLabels.owner: "key_a"]
        #expect(workspace.isBacked(by: WorkspaceListing(name: workspace.volumeName, createdAt: nil, labels: labels)))
        #expect(workspace.isBacked(by: WorkspaceListing(name: "data", createdAt: nil, labels: labels)), "made before names were scoped")
        var otherOwner = labels
        otherOwner[SandcastleLabels.owner] = "key_b"
        #expect(!workspace.isBacked(by: WorkspaceListing(name: "data", createdAt: nil, labels: otherOwner)))
        #expect(!workspace.isBacked(by: WorkspaceListing(name: "data", createdAt: nil, labels: [SandcastleLabels.managed: "true"])))
        #expect(!workspace.isBacked(by: WorkspaceListing(name: "elsewhere", createdAt: nil, labels: labels)))
    }

    @Test func theNameRuleIsOneRule() throws {
        for name in ["a", "A", "0", "a.b_c-d", String(repeating: "x", count: 64)] {
            try OwnedWorkspace.validate(name)
        }
        for name in ["", "-a", ".a", "_a", "a/b", "a b", "a\n", "ä", "a\u{0}", String(repeating: "x", count: 65)] {
            #expect(throws: ServerError.self, "'\(name)'") { try OwnedWorkspace.validate(name) }
        }
    }

    @Test func aHelperWhoseRunnerDoesNotConfineItsFilesIsNotUsed() async throws {
        // The in-memory backend confines nothing, like a runner from an image built before the
        // runner could: browsing must fail closed rather than list through it.
        let engine = RemovalTests.GatedEngine()
        let service = RemovalTests().service(engine)
        _ = try await service.createWorkspace(name: "w", keyID: nil)
        do {
            _ = try await service.browseWorkspace(name: "w", path: "/", keyID: nil)
            Issue.record("browsed through a helper that does not confine its files")
        } catch let error as ServerError {
            #expect(error.code == .invalidConfiguration, "\(error)")
        }
        #expect(engine.backend.created == 1)
        #expect(engine.backend.destroyed.count == 1, "the helper is removed all the same")
        await service.shutdown()
    }
}

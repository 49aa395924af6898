import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import Testing

@Suite("Sandbox lifecycle and faults on a real engine", .serialized, .timeLimit(.minutes(3)))
struct LifecycleTests {
    static func leftovers(for sandboxID: String, docker: DockerClient) async throws -> (containers: Int, volumes: Int) {
        let filter = DockerFilters.label(SandcastleLabels.sandbox, sandboxID)
        let containers = try await docker.listContainers(all: true, filters: filter)
        let volumes = try await docker.listVolumes(filters: filter)
        return (containers.count, volumes.count)
    }

    @Test("destroy removes the container and its workspace volume")
    func destroyLeavesNothing() async throws {
        let backend = try await SandboxFixture.backend()
        let sandbox = try await backend.createSandbox(SandboxSpec(image: SandboxFixture.image))
        _ = try await sandbox.writeFile("data.txt", bytes: Array("x".utf8))
        let before = try await Self.leftovers(for: sandbox.id, docker: backend.docker)
        #expect(before.containers == 1 && before.volumes == 1)
        try await sandbox.destroy()
        try await sandbox.destroy() // idempotent
        let after = try await Self.leftovers(for: sandbox.id, docker: backend.docker)
        #expect(after.containers == 0 && after.volumes == 0)
    }

    @Test("a named workspace outlives its sandbox")
    func namedWorkspace() async throws {
        let backend = try await SandboxFixture.backend()
        let name = "sandcastle-test-ws-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try await SandboxFixture.with(SandboxSpec(image: SandboxFixture.image, workspace: name)) { (sandbox: DockerSandbox) async throws in
                _ = try await sandbox.writeFile("kept.txt", bytes: Array("survives".utf8))
            }
            try await SandboxFixture.with(SandboxSpec(image: SandboxFixture.image, workspace: name)) { (sandbox: DockerSandbox) async throws in
                let kept = try await sandbox.readFileBytes("kept.txt")
                #expect(kept == Array("survives".utf8))
            }
            let volume = try await backend.docker.inspectVolume(name: name)
            #expect(volume.labels?[SandcastleLabels.managed] == "true")
        }
        try? await backend.docker.removeVolume(name: name, force: true)
    }

    @Test("an unreachable engine is one clear error naming the socket")
    func engineUnreachable() async throws {
        let error = await #expect(throws: SandboxError.self) {
            _ = try await DockerSandboxBackend.fromEnvironment(["DOCKER_HOST": "unix:///tmp/sandcastle-no-engine.sock"])
        }
        #expect(error?.code == .engineUnavailable)
        #expect(error?.message.contains("/tmp/sandcastle-no-engine.sock") == true)
        #expect(error?.message.contains("dockerd") == true)
    }

    @Test("an unknown image says how to build images, and leaves nothing behind")
    func unknownImage() async throws {
        let backend = try await SandboxFixture.backend()
        let error = await #expect(throws: SandboxError.self) {
            _ = try await backend.createSandbox(SandboxSpec(image: "sandcastle/no-such-image:latest"))
        }
        #expect(error?.code == .imageNotFound)
        #expect(error?.message.contains("sandcastle images build") == true)
    }

    @Test("an unknown profile is refused before anything starts")
    func unknownProfile() async throws {
        let backend = try await SandboxFixture.backend()
        let error = await #expect(throws: SandboxError.self) {
            _ = try await backend.createSandbox(SandboxSpec(image: SandboxFixture.image, profile: "yolo"))
        }
        #expect(error?.code == .invalidProfile)
    }

    @Test("a container killed mid-command fails the command with that cause, without hanging")
    func killedMidCommand() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let backend = try await SandboxFixture.backend()
            let start = ContinuousClock.now
            let killer = Task {
                try await Task.sleep(for: .milliseconds(500))
                try await backend.docker.killContainer(id: sandbox.containerID, signal: "SIGKILL")
            }
            let error = await #expect(throws: SandboxError.self) {
                _ = try await sandbox.run("sleep 60")
            }
            try await killer.value
            #expect(error?.code == .sandboxGone)
            #expect(error?.message.contains("exit code 137") == true, "\(error?.message ?? "")")
            #expect(ContinuousClock.now - start < .seconds(30), "failed at the kill, not at the end of sleep 60")
            // Later operations fail the same way instead of hanging.
            let next = await #expect(throws: SandboxError.self) { _ = try await sandbox.stat(path: "/") }
            #expect(next?.code == .sandboxGone)
        }
    }
}

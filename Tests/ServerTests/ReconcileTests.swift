import Foundation
import Sandbox
import Store
import Synchronization
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Reconciliation's decisions, with a scripted engine: every branch without Docker.
@Suite(.timeLimit(.minutes(1)))
struct ReconcileTests {
    final class ScriptedEngine: SandboxHost {
        struct State {
            var containers: [ManagedContainer] = []
            var adoptable: Set<String> = []
            var removed: [String] = []
            var listFailures = 0
        }
        let state = Mutex(State())
        let backend = FakeBackend()

        func containerID(of instance: any SandboxInstance) -> String? { "ctr-\(instance.id)" }
        func disconnect(_ instance: any SandboxInstance) -> Bool { true }
        func managedContainers(serverID: String) async throws -> [ManagedContainer] {
            try state.withLock { s in
                if s.listFailures > 0 {
                    s.listFailures -= 1
                    throw SandboxError(.engineUnavailable, "engine down")
                }
                return s.containers
            }
        }
        func removeContainer(_ containerID: String) async throws {
            state.withLock { s in
                s.removed.append(containerID)
                s.containers.removeAll { $0.containerID == containerID }
            }
        }
        func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance {
            guard state.withLock({ $0.adoptable.contains(sandboxID) }) else {
                throw SandboxError(.sandboxGone, "the runner in sandbox \(sandboxID) stopped answering")
            }
            return FakeInstance(id: sandboxID, backend: backend)
        }
        func stats(containerID: String) async throws -> SandboxStats { throw FakeUnsupported() }
        func listWorkspaces(owner: String) async throws -> [WorkspaceListing] { [] }
        func createWorkspace(volume: String, labels: [String: String]) async throws -> WorkspaceListing { throw FakeUnsupported() }
        func volume(name: String) async throws -> WorkspaceListing? { nil }
        func removeWorkspace(volume: String) async throws {}
    }

    func service(_ engine: ScriptedEngine, _ repository: InMemorySandboxRepository) -> SandboxService {
        var configuration = ServerConfiguration()
        configuration.reapIntervalSeconds = 0.05
        return SandboxService(
            limits: ServiceLimits(configuration), repository: repository,
            provisioner: DirectProvisioner(backend: engine.backend), host: engine, serverID: "srv")
    }

    func record(_ id: String, expires: TimeInterval = 3600) -> SandboxRecord {
        SandboxRecord(
            id: id, containerID: "ctr-\(id)", image: "base", profile: "default", status: .running,
            expiresAt: Date().addingTimeInterval(expires), ttlSeconds: 3600, serverID: "srv")
    }

    @Test func everyKindOfSurvivorAndCasualty() async throws {
        let engine = ScriptedEngine()
        let repository = InMemorySandboxRepository()
        for id in ["alive", "unanswering", "stopped", "vanished"] { try repository.insert(record(id)) }
        try repository.insert(record("overdue", expires: -5))
        try repository.insert(
            SandboxRecord(
                id: "elsewhere", containerID: "ctr-elsewhere", image: "base", profile: "default",
                status: .running, serverID: "another-server"))
        engine.state.withLock { s in
            s.containers = [
                ManagedContainer(containerID: "ctr-alive", sandboxID: "alive", running: true),
                ManagedContainer(containerID: "ctr-unanswering", sandboxID: "unanswering", running: true),
                ManagedContainer(containerID: "ctr-stopped", sandboxID: "stopped", running: false),
                ManagedContainer(containerID: "ctr-overdue", sandboxID: "overdue", running: true),
                ManagedContainer(containerID: "ctr-orphan", sandboxID: "orphan", running: true),
            ]
            s.adoptable = ["alive", "unanswering-not"]
        }
        let service = service(engine, repository)
        await service.reconcile()
        func status(_ id: String) throws -> (SandboxStatus?, String?) {
            let r = try repository.sandbox(id: id)
            return (r?.status, r?.statusReason)
        }
        #expect(try status("alive").0 == .running)
        #expect(try await service.exec(id: "alive", ExecRequest(command: "x"), keyID: nil).exitCode == 0)
        #expect(try status("unanswering").0 == .lost)
        #expect(try status("unanswering").1?.contains("stopped answering") == true)
        #expect(try status("stopped").0 == .gone)
        #expect(try status("vanished").0 == .gone)
        #expect(try status("vanished").1?.contains("disappeared") == true)
        #expect(try status("overdue").0 == .expired)
        #expect(try status("elsewhere").0 == .running, "another server's records are not ours to judge")
        let removed = Set(engine.state.withLock { $0.removed })
        #expect(removed == ["ctr-unanswering", "ctr-stopped", "ctr-overdue", "ctr-orphan"])
        await #expect(throws: ServerError.self) { try await service.exec(id: "unanswering", ExecRequest(command: "x"), keyID: nil) }
    }

    @Test func anEngineDownAtStartIsRetriedWithoutRemovingAnything() async throws {
        let engine = ScriptedEngine()
        let repository = InMemorySandboxRepository()
        try repository.insert(record("alive"))
        engine.state.withLock { s in
            s.containers = [
                ManagedContainer(containerID: "ctr-alive", sandboxID: "alive", running: true),
                ManagedContainer(containerID: "ctr-new", sandboxID: "being-created", running: true),
            ]
            s.adoptable = ["alive"]
            s.listFailures = 1
        }
        let service = service(engine, repository)
        await service.start()
        // Down at start: nothing decided yet.
        let early = try await service.instanceIfLive("alive")
        #expect(early == false)
        // The reaper's retry re-adopts, and leaves unclaimed containers for the next start.
        #expect(try await eventually { try await service.instanceIfLive("alive") })
        #expect(engine.state.withLock { $0.removed }.isEmpty)
        await service.shutdown()
    }
}

extension SandboxService {
    /// Whether the sandbox is attached (for tests).
    func instanceIfLive(_ id: String) throws -> Bool {
        (try? instance(id: id, keyID: nil)) != nil
    }
}

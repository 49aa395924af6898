import Foundation
import Sandbox
import Store
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Background container removal after delete, with an engine whose removals the test holds,
/// fails or lets through: every ordering decided by events, without Docker.
@Suite(.timeLimit(.minutes(1)))
struct RemovalTests {
    /// Records what happens, in order, and can hold or fail container removals.
    final class GatedEngine: SandboxHost {
        struct State {
            var log: [String] = []
            var containers: Set<String> = []
            var volumes: [String: WorkspaceListing] = [:]
            var holding = false
            var held: [CheckedContinuation<Void, Never>] = []
            var failuresLeft = 0
            var attempts = 0
        }
        let state = Mutex(State())
        let backend = FakeBackend()
        /// One element per removal attempt, as it begins.
        let attemptsBegun: AsyncStream<String>
        private let attemptBegun: AsyncStream<String>.Continuation

        init() {
            (attemptsBegun, attemptBegun) = AsyncStream.makeStream()
        }

        func note(_ line: String) { state.withLock { $0.log.append(line) } }
        var log: [String] { state.withLock { $0.log } }
        func hold() { state.withLock { $0.holding = true } }
        func release() {
            let held = state.withLock { s in
                s.holding = false
                defer { s.held = [] }
                return s.held
            }
            for continuation in held { continuation.resume() }
        }

        func containerID(of instance: any SandboxInstance) -> String? { "ctr-\(instance.id)" }
        func disconnect(_ instance: any SandboxInstance) -> Bool {
            note("disconnect \(instance.id)")
            return true
        }
        func managedContainers(serverID: String) async throws -> [ManagedContainer] {
            state.withLock { s in s.containers.sorted().map { ManagedContainer(containerID: $0, running: true) } }
        }
        func removeContainer(_ containerID: String) async throws {
            attemptBegun.yield(containerID)
            await withCheckedContinuation { continuation in
                let wait = state.withLock { s in
                    if s.holding { s.held.append(continuation) }
                    return s.holding
                }
                if !wait { continuation.resume() }
            }
            try state.withLock { s in
                s.attempts += 1
                if s.failuresLeft > 0 {
                    s.failuresLeft -= 1
                    s.log.append("failed to remove \(containerID)")
                    throw SandboxError(.engineUnavailable, "engine hiccup")
                }
                s.containers.remove(containerID)
                s.log.append("removed \(containerID)")
            }
        }
        func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance { throw FakeUnsupported() }
        func stats(containerID: String) async throws -> SandboxStats { throw FakeUnsupported() }
        func listWorkspaces(owner: String) async throws -> [WorkspaceListing] {
            state.withLock { Array($0.volumes.values.filter { $0.labels[SandcastleLabels.owner] == owner }) }
        }
        func createWorkspace(volume: String, labels: [String: String]) async throws -> WorkspaceListing {
            state.withLock { s in
                if let existing = s.volumes[volume] { return existing }
                let listing = WorkspaceListing(
                    name: volume, createdAt: nil, labels: labels.merging([SandcastleLabels.managed: "true"]) { _, managed in managed })
                s.volumes[volume] = listing
                return listing
            }
        }
        func volume(name: String) async throws -> WorkspaceListing? { state.withLock { $0.volumes[name] } }
        func removeWorkspace(volume: String) async throws {
            state.withLock { s in
                s.volumes[volume] = nil
                s.log.append("removed workspace \(volume)")
            }
        }
    }

    /// Logs every provision (with its workspace) into the engine's log and registers the container.
    struct LoggingProvisioner: SandboxProvisioner {
        let engine: GatedEngine
        func provision(_ spec: SandboxSpec) async throws -> ProvisionedSandbox {
            let instance = try await engine.backend.create(spec)
            engine.state.withLock { s in
                s.containers.insert("ctr-\(instance.id)")
                s.log.append("provisioned on \(spec.workspace ?? "-")")
            }
            return ProvisionedSandbox(instance: instance, fromPool: false)
        }
        func start() async {}
        func poolStatistics() async -> [PoolFigures] { [] }
        func shutdown() async {}
    }

    func service(
        _ engine: GatedEngine, repository: InMemorySandboxRepository = InMemorySandboxRepository(),
        _ adjust: (inout ServerConfiguration) -> Void = { _ in }
    ) -> SandboxService {
        var configuration = ServerConfiguration()
        configuration.reapIntervalSeconds = 0.05
        adjust(&configuration)
        return SandboxService(
            limits: ServiceLimits(configuration), repository: repository,
            provisioner: LoggingProvisioner(engine: engine), host: engine, serverID: "srv",
            removalRetryDelays: [.milliseconds(1), .milliseconds(1), .milliseconds(1)])
    }

    @Test func deleteAnswersWithTheSandboxOutOfUseWhileItsContainerIsStillBeingRemoved() async throws {
        let engine = GatedEngine()
        let service = service(engine)
        let id = try await service.create(CreateSandboxRequest(), keyID: nil).id
        engine.hold()
        try await service.delete(id: id, keyID: nil)
        var begun = engine.attemptsBegun.makeAsyncIterator()
        #expect(await begun.next() == "ctr-\(id)")

        // The removal is held, and yet the sandbox is already out of use.
        #expect(service.removals.isPending(sandboxID: id))
        #expect(try await service.get(id: id, keyID: nil).status == "deleted")
        #expect(engine.log.contains("disconnect \(id)"), "the runner channel is closed before delete answers")
        await #expect(throws: ServerError.self) { try await service.exec(id: id, ExecRequest(command: "true"), keyID: nil) }
        do {
            _ = try await service.instance(id: id, keyID: nil)
            Issue.record("a deleted sandbox is still reachable")
        } catch let error as ServerError {
            #expect(error.code == .gone)
        }
        try await service.delete(id: id, keyID: nil) // idempotent, and no second removal

        engine.release()
        await service.awaitPendingRemovals()
        #expect(!service.removals.isPending(sandboxID: id))
        #expect(engine.log.filter { $0.hasPrefix("removed ctr-") } == ["removed ctr-\(id)"])
        #expect(engine.state.withLock { $0.containers.isEmpty })
    }

    @Test func aSandboxBeingRemovedCountsAgainstNoLimit() async throws {
        let engine = GatedEngine()
        let service = service(engine) { $0.maxSandboxesPerKey = 1 }
        let first = try await service.create(CreateSandboxRequest(), keyID: "k").id
        await #expect(throws: ServerError.self) { try await service.create(CreateSandboxRequest(), keyID: "k") }
        engine.hold()
        try await service.delete(id: first, keyID: "k")
        // Deleted to make room: the next create succeeds at once, its predecessor's removal still held.
        let second = try await service.create(CreateSandboxRequest(), keyID: "k").id
        #expect(service.removals.isPending(sandboxID: first))
        engine.release()
        try await service.delete(id: second, keyID: "k")
        await service.shutdown()
        #expect(engine.state.withLock { $0.containers.isEmpty })
    }

    @Test func theNamedWorkspaceWaitsForTheRemovalOfTheSandboxStillMountingIt() async throws {
        let engine = GatedEngine()
        let service = service(engine)
        _ = try await service.createWorkspace(name: "ws", keyID: nil)
        let volume = OwnedWorkspace(name: "ws", keyID: nil).volumeName
        let id = try await service.create(CreateSandboxRequest(workspace: "ws"), keyID: nil).id
        engine.hold()
        try await service.delete(id: id, keyID: nil)
        var begun = engine.attemptsBegun.makeAsyncIterator()
        _ = await begun.next()
        // Both start while the removal is held; both must act only after it.
        let reuse = Task { try await service.create(CreateSandboxRequest(workspace: "ws"), keyID: nil).id }
        let remove = Task { try await service.deleteWorkspace(name: "ws", keyID: nil) }
        engine.release()
        let again = try await reuse.value
        try await remove.value
        let log = engine.log
        let removed = try #require(log.firstIndex(of: "removed ctr-\(id)"))
        #expect(log.lastIndex(of: "provisioned on \(volume)").map { $0 > removed } == true, "\(log)")
        #expect(log.firstIndex(of: "removed workspace \(volume)").map { $0 > removed } == true, "\(log)")
        try await service.delete(id: again, keyID: nil)
        await service.shutdown()
    }

    @Test func aFailedRemovalIsRetried() async throws {
        let engine = GatedEngine()
        let service = service(engine)
        let id = try await service.create(CreateSandboxRequest(), keyID: nil).id
        engine.state.withLock { $0.failuresLeft = 2 }
        try await service.delete(id: id, keyID: nil)
        await service.awaitPendingRemovals()
        #expect(engine.state.withLock { $0.attempts } == 3)
        #expect(engine.log.suffix(3) == ["failed to remove ctr-\(id)", "failed to remove ctr-\(id)", "removed ctr-\(id)"])
    }

    @Test func aRemovalThatKeepsFailingIsLeftForTheNextStartsReconcile() async throws {
        let engine = GatedEngine()
        let repository = InMemorySandboxRepository()
        let first = service(engine, repository: repository)
        let id = try await first.create(CreateSandboxRequest(), keyID: nil).id
        engine.state.withLock { $0.failuresLeft = 4 } // the first attempt and all three retries
        try await first.delete(id: id, keyID: nil)
        await first.shutdown()
        #expect(engine.state.withLock { $0.containers } == ["ctr-\(id)"], "given up after the retries")

        // The next start: the record says deleted, so its container is nobody's and goes.
        let second = service(engine, repository: repository)
        await second.start()
        #expect(engine.state.withLock { $0.containers.isEmpty })
        #expect(try repository.sandbox(id: id)?.status == .deleted)
        await second.shutdown()
    }

    @Test func shutdownWaitsForRemovalsAndExpiredSandboxesGoTheSameWay() async throws {
        let engine = GatedEngine()
        let service = service(engine)
        await service.start()
        let id = try await service.create(CreateSandboxRequest(ttlSeconds: 1), keyID: nil).id
        engine.hold()
        await service.reapExpired(now: Date().addingTimeInterval(5))
        #expect(try await service.get(id: id, keyID: nil).status == "expired")
        var begun = engine.attemptsBegun.makeAsyncIterator()
        #expect(await begun.next() == "ctr-\(id)")
        let stopping = Task {
            await service.shutdown()
            engine.note("shutdown returned")
        }
        engine.release()
        await stopping.value
        #expect(engine.log.suffix(2) == ["removed ctr-\(id)", "shutdown returned"])
    }
}

import Foundation
import Sandbox

/// A sandbox container the host reports, found by its labels.
public struct ManagedContainer: Sendable, Hashable {
    public var containerID: String
    /// The `sandcastle.sandbox` label; nil for objects that are not sandboxes.
    public var sandboxID: String?
    public var running: Bool
    /// Made by the warm pool (its environment was applied per request, not on the container).
    public var pooled: Bool = false
}

/// A named workspace volume.
public struct WorkspaceInfo: Sendable, Hashable, Codable {
    public var name: String
    public var createdAt: String?
    public var labels: [String: String]
    enum CodingKeys: String, CodingKey { case name, createdAt = "created_at", labels }

    /// Also writes the name as `id`: `/v1/workspaces` is shared with Sandkasten's API, whose
    /// SDK reads `workspaces[].id` (docs/compat/sandkasten.md).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EncodedKeys.self)
        try container.encode(name, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(createdAt, forKey: .createdAt)
        try container.encode(labels, forKey: .labels)
    }
    enum EncodedKeys: String, CodingKey { case id, name, createdAt = "created_at", labels }
}

/// What the service needs from the host its sandboxes live on (the Docker engine) beyond creating sandboxes: finding its
/// containers after a restart, re-adopting or removing them, stats, and workspace volumes.
///
/// Separate from ``SandboxBackend`` so the service runs on an in-memory backend in unit tests
/// (with a fake host, or none); ``BackendSandboxHost`` is the real one, over the backend's capabilities.
public protocol SandboxHost: Sendable {
    /// The container behind an instance this host's backend created, if it is one.
    func containerID(of instance: any SandboxInstance) -> String?
    /// Every container labelled `sandcastle.managed=true` and `sandcastle.server=<serverID>`.
    func managedContainers(serverID: String) async throws -> [ManagedContainer]
    /// Cuts a live instance off from its runner without removing its container: every operation
    /// in flight fails as gone and no new one reaches it, so the container can be removed later.
    /// False when the instance is not this engine's; the caller then destroys it outright.
    func disconnect(_ instance: any SandboxInstance) -> Bool
    /// Removes a container and its anonymous volumes; a missing one is not an error.
    func removeContainer(_ containerID: String) async throws
    /// Re-attaches to a live sandbox's runner; throws `sandboxGone` when that cannot work.
    func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance
    func stats(containerID: String) async throws -> SandboxStats
    /// The Sandcastle workspace volumes of one owner (labels managed, workspace and `owner`);
    /// the service keeps those that are really the owner's (``OwnedWorkspace/isBacked(by:)``).
    func listWorkspaces(owner: String) async throws -> [WorkspaceListing]
    /// Creates the volume `volume` with the managed label and `labels`. A volume of that name
    /// that exists already is answered as it is (the caller checks its labels).
    func createWorkspace(volume: String, labels: [String: String]) async throws -> WorkspaceListing
    /// The volume of that name, whether or not it is a Sandcastle workspace; nil when none exists.
    func volume(name: String) async throws -> WorkspaceListing?
    /// Removes a volume nobody mounts.
    ///
    /// - Throws: ``SandboxError`` `notFound` when there is none, `inUse` while a sandbox mounts it.
    func removeWorkspace(volume: String) async throws
}

/// ``SandboxHost`` over any backend that offers an inventory and a workspace catalog (the
/// Docker backend does); the server's reconciliation and workspaces are written once, over these.
public struct BackendSandboxHost: SandboxHost {
    public let inventory: any SandboxInventory
    public let workspaces: any WorkspaceCatalog

    /// Nil when `backend` cannot find its sandboxes again or has no workspaces: such a backend
    /// serves without reconciliation (``ServerDependencies/engine`` nil).
    public init?(backend: any SandboxBackend) {
        guard let inventory = backend.inventory, let workspaces = backend.workspaces as? any WorkspaceCatalog else { return nil }
        self.inventory = inventory
        self.workspaces = workspaces
    }

    public func containerID(of instance: any SandboxInstance) -> String? { inventory.handle(of: instance) }

    public func managedContainers(serverID: String) async throws -> [ManagedContainer] {
        try await inventory.sandboxes(labelled: [SandcastleLabels.server: serverID]).map { listing in
            ManagedContainer(
                containerID: listing.handle, sandboxID: listing.sandboxID, running: listing.running,
                pooled: listing.pooled)
        }
    }

    public func disconnect(_ instance: any SandboxInstance) -> Bool { inventory.disconnect(instance) }

    public func removeContainer(_ containerID: String) async throws { try await inventory.remove(handle: containerID) }

    public func adopt(sandboxID: String, containerID: String) async throws -> any SandboxInstance {
        try await inventory.adopt(sandboxID: sandboxID, handle: containerID)
    }

    public func stats(containerID: String) async throws -> SandboxStats { try await inventory.stats(handle: containerID) }

    public func listWorkspaces(owner: String) async throws -> [WorkspaceListing] {
        try await workspaces.workspaces(labelled: [SandcastleLabels.workspace: "", SandcastleLabels.owner: owner])
    }

    public func createWorkspace(volume: String, labels: [String: String]) async throws -> WorkspaceListing {
        try await workspaces.createWorkspace(named: volume, labels: labels)
    }

    public func volume(name: String) async throws -> WorkspaceListing? {
        try await workspaces.workspace(named: name)
    }

    public func removeWorkspace(volume: String) async throws {
        try await workspaces.deleteWorkspace(named: volume)
    }
}

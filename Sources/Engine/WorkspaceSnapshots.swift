import Foundation
import Sandbox
import Store
import Workflow

/// Keeps a run's workspace files after the run (`runs/RUN/workspace.tar` under the data folder),
/// so that a replay or fork of it starts with them instead of an empty workspace.
///
/// The engine saves the workspace when a run ends (before it removes it) and restores the
/// parent's into the new run's workspace before a replay or fork schedules anything. The files
/// move through the backend's ``SharedWorkspaces``; which backend that is, is not the engine's
/// business.
public struct WorkspaceSnapshots: Sendable {
    public let workspaces: any SharedWorkspaces
    public let files: RunFiles
    /// A workspace larger than this is not kept (the run's events say so).
    public let maxBytes: Int64

    public init(workspaces: any SharedWorkspaces, files: RunFiles, maxBytes: Int64 = defaultMaxBytes) {
        self.workspaces = workspaces
        self.files = files
        self.maxBytes = maxBytes
    }

    public static let defaultMaxBytes: Int64 = 256 << 20

    /// Saves the files of workspace `volume` as run `runID`'s snapshot.
    public func save(volume: String, runID: String) async throws -> WorkspaceSnapshotOutcome {
        let path = files.workspaceSnapshot(runID)
        let partial = path + ".partial"
        try DataFolder.makeDirectory(files.runDirectory(runID))
        let outcome = try await workspaces.saveWorkspace(
            named: volume, to: partial, maxBytes: maxBytes,
            labels: [SandcastleLabels.run: runID])
        if case .done = outcome {
            // Renamed only once whole, so a crash never leaves a truncated snapshot to restore.
            _ = try? FileManager.default.removeItem(atPath: path)
            try DataFolder.restrict(partial)
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        }
        return outcome
    }

    /// Fills workspace `volume` with run `runID`'s snapshot.
    public func restore(volume: String, fromRunID runID: String) async throws -> WorkspaceSnapshotOutcome {
        let path = files.workspaceSnapshot(runID)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else {
            return .skipped(reason: "run \(runID) kept no workspace snapshot")
        }
        try await workspaces.restoreWorkspace(named: volume, from: path)
        return .done(bytes: size.int64Value)
    }
}

extension WorkflowEngine {
    /// Saves a finished run's workspace, recording the outcome as an event. Never fails the run:
    /// a snapshot is a convenience for later replays, not part of the run's result.
    func saveWorkspace(runID: String) async {
        guard let store = configuration.workspaceSnapshots else { return }
        // Cancelled from another process (`runs cancel`): that process removes whatever carries
        // the run's label, a snapshot's helper container included; the run ends without one.
        if (try? repository.run(id: runID))??.run.status == .cancelled { return }
        let volume = Self.workspaceName(runID: runID)
        let event: RunEvent
        do {
            switch try await Task.detached(operation: { try await store.save(volume: volume, runID: runID) }).value {
            case .done(let bytes): event = .workspaceSaved(RunEvent.WorkspaceSaved(bytes: Int(bytes)))
            case .skipped(let reason): event = .workspaceNotSaved(RunEvent.WorkspaceSkipped(reason: reason))
            }
        } catch {
            event = .workspaceNotSaved(RunEvent.WorkspaceSkipped(reason: "\(error)"))
        }
        _ = try? repository.append(event, runID: runID)
    }

    /// Fills a replay's or fork's workspace with its parent's snapshot, recording the outcome.
    /// A missing snapshot is not an error: the steps that run then find an empty workspace, as
    /// the event says.
    func restoreWorkspace(runID: String, fromRunID parentRunID: String) async {
        guard let store = configuration.workspaceSnapshots else { return }
        let volume = Self.workspaceName(runID: runID)
        let event: RunEvent
        do {
            switch try await store.restore(volume: volume, fromRunID: parentRunID) {
            case .done(let bytes):
                event = .workspaceRestored(RunEvent.WorkspaceRestored(fromRun: parentRunID, bytes: Int(bytes)))
            case .skipped(let reason):
                event = .workspaceNotRestored(RunEvent.WorkspaceSkipped(fromRun: parentRunID, reason: reason))
            }
        } catch {
            event = .workspaceNotRestored(RunEvent.WorkspaceSkipped(fromRun: parentRunID, reason: "\(error)"))
        }
        _ = try? repository.append(event, runID: runID)
    }
}

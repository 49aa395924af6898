import Foundation
import Workflow

/// Keeps a run's workspace files after the run, so that a replay or fork of it starts with
/// them instead of an empty workspace.
///
/// The engine saves the workspace when a run ends (before it removes the volume) and restores
/// the parent's into the new run's volume before a replay or fork schedules anything.
public protocol WorkspaceSnapshotStore: Sendable {
    /// Saves the files of workspace `volume` as run `runID`'s snapshot.
    func save(volume: String, runID: String) async throws -> WorkspaceSnapshotOutcome
    /// Fills workspace `volume` with run `runID`'s snapshot.
    func restore(volume: String, fromRunID runID: String) async throws -> WorkspaceSnapshotOutcome
}

/// What a save or restore did.
public enum WorkspaceSnapshotOutcome: Sendable, Equatable {
    /// Done: the snapshot's size in bytes.
    case done(bytes: Int64)
    /// Nothing was saved or restored, and why (no workspace, over the size cap, no snapshot).
    case skipped(reason: String)
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
        let event: (String, [String: JSONValue])
        do {
            switch try await Task.detached(operation: { try await store.save(volume: volume, runID: runID) }).value {
            case .done(let bytes): event = ("workspace_saved", ["bytes": .integer(Int(bytes))])
            case .skipped(let reason): event = ("workspace_not_saved", ["reason": .string(reason)])
            }
        } catch {
            event = ("workspace_not_saved", ["reason": .string("\(error)")])
        }
        _ = try? repository.appendEvent(runID: runID, kind: event.0, payloadJSON: JSONValue.object(event.1).jsonText)
    }

    /// Fills a replay's or fork's workspace with its parent's snapshot, recording the outcome.
    /// A missing snapshot is not an error: the steps that run then find an empty workspace, as
    /// the event says.
    func restoreWorkspace(runID: String, fromRunID parentRunID: String) async {
        guard let store = configuration.workspaceSnapshots else { return }
        let volume = Self.workspaceName(runID: runID)
        let event: (String, [String: JSONValue])
        do {
            switch try await store.restore(volume: volume, fromRunID: parentRunID) {
            case .done(let bytes):
                event = ("workspace_restored", ["from_run": .string(parentRunID), "bytes": .integer(Int(bytes))])
            case .skipped(let reason):
                event = ("workspace_not_restored", ["from_run": .string(parentRunID), "reason": .string(reason)])
            }
        } catch {
            event = ("workspace_not_restored", ["from_run": .string(parentRunID), "reason": .string("\(error)")])
        }
        _ = try? repository.appendEvent(runID: runID, kind: event.0, payloadJSON: JSONValue.object(event.1).jsonText)
    }
}

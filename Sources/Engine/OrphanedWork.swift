import Sandbox
import Store

extension RunRecord {
    /// Running (or about to) under a process of this host that has ended: nothing executes it
    /// until someone resumes it. A run paused at an approval gate has no process on purpose and
    /// is not orphaned.
    public var isOrphaned: Bool {
        (status == .running || status == .pending) && (owner.map(ProcessOwner.isGone) ?? false)
    }
}

/// What a sweep of abandoned sandboxes found (and, unless it only looked, removed).
public struct OrphanSweep: Sendable, Equatable {
    /// Abandoned sandboxes, counted by the run that made them ("" for none recorded).
    public var byRun: [String: Int] = [:]
    /// What could not be listed or removed, one sentence each.
    public var problems: [String] = []

    public var count: Int { byRun.values.reduce(0, +) }
}

extension BackendRouter {
    /// Removes every sandbox, on every backend that can list its sandboxes, whose process label
    /// names a process of this host that has ended: a `sandcastle run` killed before it could
    /// clean up. Whatever database the run lives in, and whether or not it is resumed later,
    /// nobody uses such a sandbox again (a resume makes new ones); the run's workspace is kept.
    ///
    /// Backends without an inventory (E2B) are passed over: their sandboxes end with their own timeout.
    ///
    /// - Parameters:
    ///   - removing: false only counts them (`sandcastle doctor` without `--clean`).
    ///   - isOurs: told each abandoned sandbox's run id ("" when it has none); false leaves it
    ///     (a data folder sweeps only its own runs' sandboxes; `doctor --clean` all).
    public func removeOrphanedSandboxes(removing: Bool = true, where isOurs: (String) -> Bool = { _ in true }) async -> OrphanSweep {
        var sweep = OrphanSweep()
        for entry in entries {
            guard let inventory = entry.backend.inventory else { continue }
            let listings: [SandboxListing]
            do {
                listings = try await inventory.sandboxes(labelled: [SandcastleLabels.process: ""])
            } catch {
                sweep.problems.append("cannot list the \(entry.name) sandboxes: \(error)")
                continue
            }
            for listing in listings {
                let runID = listing.labels[SandcastleLabels.run] ?? ""
                guard let owner = listing.labels[SandcastleLabels.process], ProcessOwner.isGone(owner), isOurs(runID) else { continue }
                do {
                    if removing { try await inventory.remove(handle: listing.handle) }
                    sweep.byRun[runID, default: 0] += 1
                } catch {
                    sweep.problems.append("cannot remove the \(entry.name) sandbox \(listing.handle): \(error)")
                }
            }
        }
        return sweep
    }
}

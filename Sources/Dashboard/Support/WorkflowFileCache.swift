import Foundation
import Synchronization
import Workflow

/// Parsed workflow files of recorded runs, kept while the file is unchanged: a live run page is
/// redrawn several times a second, and parsing a 500-step file each time would be most of the
/// work. Keyed by path, checked by size and modification time; the oldest entries go first.
final class WorkflowFileCache: Sendable {
    private struct Entry {
        var size: Int
        var modified: Date
        var workflow: WorkflowDefinition?
        var used: UInt64
    }

    private let entries = Mutex<(map: [String: Entry], clock: UInt64)>(([:], 0))
    let capacity: Int

    init(capacity: Int = 64) { self.capacity = capacity }

    /// The workflow in the file at `path` (nil when it is gone or does not load).
    func workflow(at path: String) -> WorkflowDefinition? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue, let modified = attributes[.modificationDate] as? Date
        else { return nil }
        let cached = entries.withLock { state -> WorkflowDefinition?? in
            state.clock += 1
            guard var entry = state.map[path], entry.size == size, entry.modified == modified else { return nil }
            entry.used = state.clock
            state.map[path] = entry
            return .some(entry.workflow)
        }
        if let cached { return cached }
        let workflow = WorkflowLoader().load(path: path).workflow
        entries.withLock { state in
            if state.map.count >= capacity, let oldest = state.map.min(by: { $0.value.used < $1.value.used })?.key {
                state.map.removeValue(forKey: oldest)
            }
            state.map[path] = Entry(size: size, modified: modified, workflow: workflow, used: state.clock)
        }
        return workflow
    }
}

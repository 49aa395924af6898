import Foundation
import Sandbox
import ServerCore

/// envd's directory watch, done by polling: the runner has no inotify, so the watched tree is
/// listed every ``interval`` and compared with the previous listing. A new path is CREATE, a
/// vanished one REMOVE, a changed size or modification time WRITE, a changed mode CHMOD.
///
/// Differences from inotify, documented in docs/compat/e2b.md: changes that cancel out within
/// one interval are not seen, a rename is REMOVE + CREATE, and events arrive up to one interval late.
package actor E2BWatcher {
    static let interval = Duration.milliseconds(200)
    /// Bounds on one listing and on undelivered events, so a huge tree or an absent reader
    /// cannot grow the server's memory without limit.
    static let maxEntries = 20_000
    static let maxPending = 10_000

    struct Event: Sendable, Encodable {
        var name: String
        var type: String
    }

    private struct Stamp: Equatable {
        var kind: FileKind
        var size: UInt64
        var mode: UInt32
        var modified: Int64
    }

    let sandbox: any SandboxInstance
    let root: String
    let recursive: Bool
    private var snapshot: [String: Stamp] = [:]
    private var pending: [Event] = []
    private var listener: AsyncStream<Event>.Continuation?
    private var poller: Task<Void, Never>?
    private(set) var failure: ConnectError?

    init(sandbox: any SandboxInstance, root: String, recursive: Bool) {
        self.sandbox = sandbox
        self.root = root
        self.recursive = recursive
    }

    /// Takes the first listing (so a missing directory fails the call) and starts polling.
    func start() async throws {
        let info = try await sandbox.stat(path: root)
        guard info.kind == .directory else { throw ConnectError(.invalidArgument, "\(root) is not a directory") }
        snapshot = try await listing()
        poller = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                guard let self, !Task.isCancelled else { return }
                await self.poll()
            }
        }
    }

    /// Events as they happen, for the streaming `WatchDir` (instead of ``drain()``).
    func stream() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        listener = continuation
        if failure != nil { continuation.finish() } else { for event in pending { continuation.yield(event) } }
        pending.removeAll()
        return stream
    }

    /// The events since the last call (`GetWatcherEvents`).
    func drain() throws -> [Event] {
        if let failure { throw failure }
        defer { pending.removeAll() }
        return pending
    }

    func stop() {
        poller?.cancel()
        poller = nil
        listener?.finish()
        listener = nil
    }

    private func poll() async {
        let current: [String: Stamp]
        do {
            current = try await listing()
        } catch {
            failure = ConnectError.from(error)
            stop()
            return
        }
        var events: [Event] = []
        for (path, stamp) in current.sorted(by: { $0.key < $1.key }) {
            guard let before = snapshot[path] else {
                events.append(Event(name: path, type: "EVENT_TYPE_CREATE"))
                continue
            }
            if before.kind != stamp.kind {
                events.append(Event(name: path, type: "EVENT_TYPE_REMOVE"))
                events.append(Event(name: path, type: "EVENT_TYPE_CREATE"))
            } else if before.size != stamp.size || before.modified != stamp.modified {
                events.append(Event(name: path, type: "EVENT_TYPE_WRITE"))
            } else if before.mode != stamp.mode {
                events.append(Event(name: path, type: "EVENT_TYPE_CHMOD"))
            }
        }
        for path in snapshot.keys.sorted() where current[path] == nil {
            events.append(Event(name: path, type: "EVENT_TYPE_REMOVE"))
        }
        snapshot = current
        for event in events {
            if let listener {
                listener.yield(event)
            } else if pending.count < Self.maxPending {
                pending.append(event)
            }
        }
    }

    /// Paths relative to the root, as envd names them in events.
    private func listing() async throws -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        var directories = [root]
        while let directory = directories.popLast(), result.count < Self.maxEntries {
            for entry in try await sandbox.list(path: directory) {
                let relative = String(entry.path.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
                result[relative] = Stamp(kind: entry.kind, size: entry.size, mode: entry.mode, modified: entry.modifiedNanoseconds)
                if recursive, entry.kind == .directory { directories.append(entry.path) }
            }
        }
        return result
    }
}

import RunnerProtocol

/// Shell execs waiting for their turn at the persistent shell, oldest first.
///
/// A request's timeout runs from its arrival here, not from its turn: the host promised its
/// caller an answer within the timeout, and a command queued behind a long one must not make
/// that promise worthless. A request whose timeout passes while it waits is taken out (and
/// answered as timed out by the shell session) without ever running.
struct ShellQueue {
    struct Entry {
        let id: UInt32
        let request: ShellExecRequest
        /// The arrival time plus the request's timeout; nil when it has none.
        let deadline: UInt64?
    }

    private var entries: [Entry] = []
    private var head = 0

    mutating func append(_ id: UInt32, _ request: ShellExecRequest, now: UInt64) {
        let timeout = UInt64(request.timeoutMilliseconds) * nanosecondsPerMillisecond
        entries.append(Entry(id: id, request: request, deadline: timeout > 0 ? now + timeout : nil))
    }

    /// The next request in line, taken out.
    mutating func popFirst() -> Entry? {
        guard head < entries.count else { return nil }
        let entry = entries[head]
        head += 1
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        }
        return entry
    }

    /// Takes out the request with this id, if it is still waiting.
    mutating func remove(id: UInt32) -> Entry? {
        guard let index = entries[head...].firstIndex(where: { $0.id == id }) else { return nil }
        return entries.remove(at: index)
    }

    /// Takes out every request whose deadline is at or before `now`, oldest first.
    mutating func removeExpired(now: UInt64) -> [Entry] {
        guard let first = earliestDeadline, first <= now else { return [] }
        var expired: [Entry] = []
        var waiting: [Entry] = []
        for entry in entries[head...] {
            if let deadline = entry.deadline, deadline <= now { expired.append(entry) } else { waiting.append(entry) }
        }
        entries = waiting
        head = 0
        return expired
    }

    /// Takes out everything still waiting, oldest first.
    mutating func removeAll() -> [Entry] {
        let rest = Array(entries[head...])
        entries.removeAll()
        head = 0
        return rest
    }

    /// The soonest deadline of a waiting request, for the reactor's timer.
    var earliestDeadline: UInt64? {
        var soonest: UInt64?
        for entry in entries[head...] { soonest = earliest(soonest, entry.deadline) }
        return soonest
    }
}

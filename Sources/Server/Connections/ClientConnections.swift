import NIOCore
import Synchronization

/// Open connections per client address, shared by every event loop.
///
/// A flood from one address must not take the file descriptors every other client needs:
/// a connection over the cap is refused as soon as it is accepted, so it holds its socket for
/// a moment only.
final class ClientConnections: Sendable {
    /// One admitted connection's place in the count, given back exactly once when it closes.
    struct Admission: Sendable {
        fileprivate let client: String
    }

    let limit: Int
    private let counts = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection from `address`; nil (and nothing counted) when that address has
    /// `limit` connections open already. Connections without an IP address (none today: the
    /// server listens on TCP only) share one count.
    func admit(_ address: SocketAddress?) -> Admission? {
        let client = address?.ipAddress ?? "unknown"
        return counts.withLock { counts in
            let open = counts[client, default: 0]
            guard open < limit else { return nil }
            counts[client] = open + 1
            return Admission(client: client)
        }
    }

    func release(_ admission: Admission) {
        counts.withLock { counts in
            let left = counts[admission.client, default: 1] - 1
            // Dropped at zero: the table holds only addresses with open connections.
            counts[admission.client] = left > 0 ? left : nil
        }
    }

    /// Open connections from `address` (for tests and diagnostics).
    func open(from address: String) -> Int {
        counts.withLock { $0[address, default: 0] }
    }
}

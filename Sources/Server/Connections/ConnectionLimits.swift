import NIOCore
import ServerCore

/// What the server grants one connection, taken from the configuration once (docs/server.md,
/// "Hostile clients").
struct ConnectionLimits: Sendable {
    /// Request line plus headers, as NIO's HTTP decoder counts them.
    var maxRequestHeadBytes: Int
    var timeouts: ConnectionDeadlines.Timeouts
    var maxConnectionsPerClient: Int
    /// After an error answer, how long the connection's input is still read (and dropped) before
    /// the socket is closed. Closing with unread input makes the kernel send a reset, which can
    /// destroy the answer before the client has read it; a client that keeps sending past this
    /// is cut all the same.
    var linger: TimeAmount = .seconds(2)

    init(_ configuration: ServerConfiguration) {
        maxRequestHeadBytes = configuration.maxRequestHeadBytes
        timeouts = ConnectionDeadlines.Timeouts(
            idle: Self.amount(configuration.idleTimeoutSeconds),
            head: Self.amount(configuration.requestHeadTimeoutSeconds),
            body: Self.amount(configuration.requestBodyTimeoutSeconds))
        maxConnectionsPerClient = configuration.maxConnectionsPerClient
    }

    /// Validated configurations hold positive seconds of at most a day, so this cannot overflow.
    private static func amount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64((seconds * 1_000_000_000).rounded()))
    }
}

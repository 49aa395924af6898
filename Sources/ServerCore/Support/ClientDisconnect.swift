import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Whether the client of one HTTP connection is still there.
///
/// Hummingbird neither cancels a handler nor the writing of its response body when the client
/// goes away: a JSON exec would run to its timeout for nobody. The server accepts half-closed
/// connections (`allowRemoteHalfClosure`), so a client that closes its socket does not close the
/// channel, it only ends its input; ``ClientDisconnectHandler`` watches for that (and for the
/// channel closing) on every connection. A client that shuts down its sending half and still waits
/// for the answer counts as gone too, as for Hummingbird's own `consumeWithCancellationOnInboundClose`.
package final class ClientConnection: Sendable {
    private struct State {
        var gone = false
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: AsyncStream<Never>.Continuation] = [:]
        var cancellations: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// True once the client closed the connection or its sending half.
    package var isGone: Bool { state.withLock { $0.gone } }

    /// Records that the client left and wakes everyone waiting for it.
    package func markGone() {
        let (waiters, cancellations) = state.withLock { state -> ([AsyncStream<Never>.Continuation], [@Sendable () -> Void]) in
            guard !state.gone else { return ([], []) }
            state.gone = true
            defer {
                state.waiters.removeAll()
                state.cancellations.removeAll()
            }
            return (Array(state.waiters.values), Array(state.cancellations.values))
        }
        for waiter in waiters { waiter.finish() }
        for cancel in cancellations { cancel() }
    }

    /// Returns once the client is gone, or as soon as the calling task is cancelled.
    package func waitUntilGone() async {
        let (signal, continuation) = AsyncStream<Never>.makeStream()
        let token = state.withLock { state -> UInt64? in
            guard !state.gone else { return nil }
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = continuation
            return state.nextWaiter
        }
        guard let token else { return }
        // Ends when `markGone` finishes the stream, or when the task is cancelled.
        for await _ in signal {}
        _ = state.withLock { $0.waiters.removeValue(forKey: token) }
    }

    /// Runs `operation` until it finishes or the client leaves, whichever comes first. When the
    /// client leaves, the operation is cancelled (an exec's command is interrupted in the sandbox,
    /// or dropped from the shell's queue) and this throws `client_closed_request`.
    ///
    /// One task and a callback rather than a task group racing a watcher: this wraps every JSON
    /// exec, and two child tasks and a stream each were a measurable share of a short one.
    package func cancellingWhenGone<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await operation() }
        let token = state.withLock { state -> UInt64? in
            guard !state.gone else { return nil }
            state.nextWaiter += 1
            state.cancellations[state.nextWaiter] = { task.cancel() }
            return state.nextWaiter
        }
        guard let token else {
            task.cancel()
            throw Self.closedRequest
        }
        defer { _ = state.withLock { $0.cancellations.removeValue(forKey: token) } }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        if isGone, task.isCancelled { throw Self.closedRequest }
        return try result.get()
    }

    private static var closedRequest: ServerError {
        ServerError(.clientClosedRequest, "the client closed the connection before the answer; the request was cancelled")
    }
}

/// Notices the client of a connection leaving, for ``ClientConnection``. One per connection,
/// placed after HTTP decoding (the decoder passes the end of input on once it has read what
/// came before it); it passes everything through untouched.
package final class ClientDisconnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package let connection = ClientConnection()

    /// Every live connection's ``ClientConnection`` by its channel, so a request finds its own
    /// without a hop to the channel's event loop (which every exec would otherwise pay).
    static let byChannel = Mutex<[ObjectIdentifier: ClientConnection]>([:])

    package init() {}

    package func handlerAdded(context: ChannelHandlerContext) {
        let key = ObjectIdentifier(context.channel)
        let connection = self.connection
        Self.byChannel.withLock { $0[key] = connection }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        let key = ObjectIdentifier(context.channel)
        _ = Self.byChannel.withLock { $0.removeValue(forKey: key) }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { connection.markGone() }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        connection.markGone()
        context.fireChannelInactive()
    }
}

extension ServerRequestContext {
    /// The connection this request arrived on, to notice its client leaving; nil when the
    /// server was built without ``ClientDisconnectHandler`` (the router test framework).
    package func clientConnection() async -> ClientConnection? {
        let key = ObjectIdentifier(channel)
        return ClientDisconnectHandler.byChannel.withLock { $0[key] }
    }

    /// Runs `operation`, cancelled if the client leaves first (see ``ClientConnection/cancellingWhenGone(_:)``).
    package func cancellingIfClientLeaves<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let client = await clientConnection() else { return try await operation() }
        return try await client.cancellingWhenGone(operation)
    }
}

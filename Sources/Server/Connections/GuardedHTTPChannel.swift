import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import ServerCore

/// Hummingbird's HTTP/1 channel with the WebSocket upgrade, behind the connection guard: every
/// accepted connection gets ``ConnectionGuardHandler`` first in its pipeline and
/// ``HTTPExchangeObserver`` behind the HTTP decoder, and is counted against its client's cap.
struct GuardedHTTPChannel: ServerChildChannel {
    typealias Inner = HTTP1WebSocketUpgradeChannel

    struct Value: ServerChildChannelValue {
        let inner: Inner.Value
        /// Completes when the first request has been read (upgraded or not); fails when the
        /// connection closed before that.
        let firstRequest: EventLoopFuture<Inner.UpgradeResult>?
        var channel: any Channel { inner.channel }
    }

    let inner: Inner
    let limits: ConnectionLimits
    let clients: ClientConnections
    let metrics: ServerMetrics

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let admission = clients.admit(channel.remoteAddress)
        if let admission {
            let clients = self.clients
            channel.closeFuture.whenComplete { _ in clients.release(admission) }
        }
        do {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuardHandler(limits: limits, admitted: admission != nil, metrics: metrics, logger: logger),
                position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            // Appended now, so it sits behind the decoder and the upgrade handler and before the
            // HTTP handlers Hummingbird adds once the first request is not an upgrade.
            try pipeline.addHandler(HTTPExchangeObserver())
            let upgrade = try? pipeline.handler(type: NIOTypedHTTPServerUpgradeHandler<Inner.UpgradeResult>.self)
            return Value(inner: value, firstRequest: upgrade?.upgradeResultFuture)
        }
    }

    func handle(value: Value, logger: Logger) async {
        if let firstRequest = value.firstRequest {
            do {
                _ = try await firstRequest.get()
            } catch {
                // Closed before its first request was read: refused, timed out, answered by the
                // guard, or left by its client. Nothing to serve, and no error worth a log line
                // (Hummingbird would log each one as an error, a flood of them under attack).
                logger.trace("connection closed before its first request", metadata: ["error": "\(error)"])
                value.channel.close(promise: nil)
                return
            }
        }
        await inner.handle(value: value.inner, logger: logger)
    }
}

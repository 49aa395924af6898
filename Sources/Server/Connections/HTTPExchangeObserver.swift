import NIOCore
import NIOHTTP1

/// What happened to a connection at the HTTP level, sent by ``HTTPExchangeObserver`` down the
/// pipeline (as an outbound user event) to ``ConnectionGuardHandler``, which sees only bytes.
enum HTTPExchangeEvent {
    case requestHead
    case requestEnd
    case answerHead
    case answerEnd
    case webSocket
    /// The decoder refused a request head: over the size limit (`tooLarge`) or not HTTP/1.1.
    case malformedHead(tooLarge: Bool)
}

/// Watches the decoded HTTP exchange of one connection for ``ConnectionGuardHandler``.
///
/// It sits right behind the upgrade handler, so it sees every request of the connection (the
/// first one once the upgrade handler has let it through) and every answer. A request head the
/// decoder refuses used to reach nobody before the first request (the upgrade handler passes
/// errors on to the pipeline's end, where they are only logged), and that connection then hung
/// unanswered. Such an error is taken here and reported instead, so the guard answers it.
final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A request's head has come through and its end has not.
    private var requestOpen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestOpen = true
            report(.requestHead, context)
        case .body:
            break
        case .end:
            requestOpen = false
            report(.requestEnd, context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        // 1xx heads (100 Continue) come before the answer proper.
        case .head(let head) where head.status.code >= 200:
            report(.answerHead, context)
        case .end:
            // The answer has ended once its last byte is in the kernel, not when it is queued:
            // a slow reader may leave megabytes queued in NIO, which an idle close would drop.
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.assumeIsolated().whenSuccess { self.report(.answerEnd, context) }
            context.write(data, promise: written)
            return
        case .head, .body:
            break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Inside a body the error stays the request handler's: it must fail, not take what came
        // so far for the whole body.
        guard !requestOpen, error is HTTPParserError || error is ByteToMessageDecoderError else {
            context.fireErrorCaught(error)
            return
        }
        report(.malformedHead(tooLarge: error as? HTTPParserError == .headerOverflow), context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is HTTPServerUpgradeEvents else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // From here on the bytes are WebSocket frames, which this handler cannot read: it leaves.
        report(.webSocket, context)
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func report(_ event: HTTPExchangeEvent, _ context: ChannelHandlerContext) {
        context.triggerUserOutboundEvent(event, promise: nil)
    }
}

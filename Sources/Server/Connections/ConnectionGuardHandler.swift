import Logging
import NIOCore
import ServerCore

/// The first handler of every connection: enforces the per-client cap, the idle, head and body
/// timeouts (``ConnectionDeadlines``), and answers what never reaches a route (``ErrorAnswer``).
///
/// It sees raw bytes only; what they mean at the HTTP level comes from ``HTTPExchangeObserver``
/// as ``HTTPExchangeEvent``s. After an error answer the connection lingers: its output is shut,
/// its input read and dropped until the client closes or ``ConnectionLimits/linger`` passes.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Mode {
        case serving
        /// Over the per-client cap: answered and closed as soon as it is active.
        case refused
        /// An error answer is out: the input is dropped, Hummingbird's writes too.
        case lingering
        case closed
    }

    /// Why the guard ended a connection (the `reason` label of `sandcastle_connections_closed_total`).
    private enum CloseReason: String {
        case idleTimeout = "idle_timeout"
        case headTimeout = "head_timeout"
        case bodyTimeout = "body_timeout"
        case tooManyConnections = "too_many_connections"
        case malformedHead = "malformed_head"
    }

    private let limits: ConnectionLimits
    private let metrics: ServerMetrics
    private let logger: Logger
    private var mode: Mode
    private var deadlines: ConnectionDeadlines
    /// One timer at a time, armed at the earliest deadline; a deadline that moved later is found
    /// when it fires, so a busy upload does not re-arm it for every read.
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// A malformed head read while an earlier answer was still going out: answered after it.
    private var pendingRefusal: (ServerError, CloseReason)?

    init(limits: ConnectionLimits, admitted: Bool, metrics: ServerMetrics, logger: Logger) {
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        mode = admitted ? .serving : .refused
        deadlines = ConnectionDeadlines(timeouts: limits.timeouts, openedAt: .now())
    }

    // MARK: Lifecycle

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        switch mode {
        case .refused:
            let error = ServerError(
                .tooManyConnections,
                "this client address has \(limits.maxConnectionsPerClient) connections open already; close some and retry")
            note(.tooManyConnections, context)
            metrics.recordError(error.code)
            // Closed at once, not lingering: the point is to give the descriptor back now.
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ErrorAnswer.bytes(error, allocator: context.channel.allocator))), promise: nil)
            close(context)
        case .serving:
            // The head clock started when the connection was accepted.
            rearm(context)
        case .lingering, .closed:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        mode = .closed
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    // MARK: Bytes in and out

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .serving = mode else { return }
        deadlines.bytesArrived(at: .now())
        context.fireChannelRead(data)
        rearm(context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch mode {
        case .serving:
            context.fireChannelReadComplete()
        case .lingering:
            // Keep draining even when nobody downstream asks for bytes any more.
            context.read()
        case .refused, .closed:
            break
        }
    }

    func read(context: ChannelHandlerContext) {
        if case .serving = mode {
            deadlines.readRequested(at: .now())
            rearm(context)
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .serving = mode else {
            // The connection has been answered by the guard: nothing may follow that answer.
            promise?.fail(ChannelError.outputClosed)
            return
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .lingering = mode, let event = event as? ChannelEvent, event == .inputClosed {
            // The client has read the answer and closed: no reset can hurt it any more.
            close(context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? HTTPExchangeEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed(())
        guard case .serving = mode else { return }
        switch event {
        case .requestHead:
            deadlines.requestHeadReceived()
        case .requestEnd:
            deadlines.requestEnded(at: .now())
        case .answerHead:
            deadlines.answerBegan()
        case .answerEnd:
            deadlines.answerEnded(at: .now())
            if let (error, reason) = pendingRefusal, !deadlines.answersPending {
                answer(error, reason, context)
                return
            }
        case .webSocket:
            deadlines.becameWebSocket()
            disarm()
            return
        case .malformedHead(let tooLarge):
            let refusal =
                tooLarge
                ? ServerError(
                    .requestHeadTooLarge, "the request line and headers are over \(limits.maxRequestHeadBytes) bytes")
                : ServerError(.invalidInput, "the request head is not valid HTTP/1.1")
            if deadlines.answersPending {
                pendingRefusal = (refusal, .malformedHead)
            } else {
                answer(refusal, .malformedHead, context)
                return
            }
        }
        rearm(context)
    }

    // MARK: Deadlines

    private func rearm(_ context: ChannelHandlerContext) {
        guard case .serving = mode, let next = deadlines.deadline else { return }
        if let armed = timerDeadline, armed <= next.at { return }
        timer?.cancel()
        timerDeadline = next.at
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: next.at) { [self] in
            timer = nil
            timerDeadline = nil
            expireIfDue(context)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func expireIfDue(_ context: ChannelHandlerContext) {
        guard case .serving = mode, let next = deadlines.deadline else { return }
        guard next.at <= .now() else {
            rearm(context)
            return
        }
        switch next.expiry {
        case .idle:
            note(.idleTimeout, context)
            close(context)
        case .head(partial: false):
            // Nothing was asked: there is nothing to answer.
            note(.headTimeout, context)
            close(context)
        case .head(partial: true):
            let seconds = Self.seconds(limits.timeouts.head)
            answer(ServerError(.requestTimeout, "the request head did not arrive whole within \(seconds) s"), .headTimeout, context)
        case .body:
            let seconds = Self.seconds(limits.timeouts.body)
            let error = ServerError(.requestTimeout, "the request body brought no bytes for \(seconds) s")
            // Whoever reads the body must fail: when its connection closes, Hummingbird ends a
            // body quietly, and a cut upload would pass for a whole one.
            context.fireErrorCaught(error)
            if deadlines.answerStarted {
                note(.bodyTimeout, context)
                close(context)
            } else {
                answer(error, .bodyTimeout, context)
            }
        }
    }

    // MARK: Ending the connection

    /// Writes `error` as the connection's last answer, shuts the output, and lingers.
    private func answer(_ error: ServerError, _ reason: CloseReason, _ context: ChannelHandlerContext) {
        mode = .lingering
        pendingRefusal = nil
        note(reason, context)
        metrics.recordError(error.code)
        disarm()
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ErrorAnswer.bytes(error, allocator: context.channel.allocator))), promise: written)
        written.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success: context.close(mode: .output, promise: nil)
            case .failure: context.close(promise: nil)
            }
        }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.linger) { [self] in
            timer = nil
            close(context)
        }
        context.read()
    }

    private func close(_ context: ChannelHandlerContext) {
        if case .closed = mode { return }
        mode = .closed
        disarm()
        context.close(promise: nil)
    }

    private func note(_ reason: CloseReason, _ context: ChannelHandlerContext) {
        metrics.recordConnectionClosed(reason: reason.rawValue)
        logger.debug(
            "closing a client's connection", metadata: ["reason": "\(reason.rawValue)", "client": "\(context.remoteAddress?.description ?? "?")"])
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let seconds = Double(amount.nanoseconds) / 1_000_000_000
        return seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

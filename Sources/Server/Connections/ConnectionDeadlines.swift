import NIOCore

/// When a connection has waited too long for its client, from what the connection has done so
/// far. A pure state machine: ``ConnectionGuardHandler`` feeds it events and arms one timer at
/// ``deadline``.
///
/// The rule is that only the *client's* slowness is timed:
/// - between requests (kept alive, nothing sent yet): the idle timeout;
/// - a request head (from its first byte; on a new connection from the moment it opened): the
///   head timeout, in total, however the bytes trickle in;
/// - a request body: the body timeout, counted only while the server has asked for bytes and
///   none came. A server that stops reading (its handler is busy, a slow sandbox is taking an
///   upload) is not waiting, so that time never counts;
/// - while an answer is being computed or sent (a long exec, an event stream, a download to a
///   slow reader) nothing is timed, nor once the connection is a WebSocket.
struct ConnectionDeadlines {
    struct Timeouts: Sendable, Equatable {
        var idle: TimeAmount
        var head: TimeAmount
        var body: TimeAmount
    }

    /// What the client was too slow with.
    enum Expiry: Equatable {
        /// No next request on a kept-alive connection.
        case idle
        /// A request head did not arrive whole; `partial` when some of it did.
        case head(partial: Bool)
        /// A request body stopped arriving while the server waited for it.
        case body
    }

    let timeouts: Timeouts
    /// When the head clock started; nil when no head is being waited for.
    private var headSince: NIODeadline?
    /// Whether any byte of the awaited head has arrived.
    private var headBytesSeen = false
    /// When the last answer ended with nothing else in flight.
    private var idleSince: NIODeadline?
    /// A request's head has been read and its end has not.
    private(set) var requestOpen = false
    /// Requests read whose answers have not ended.
    private var unanswered = 0
    /// Whether the answer to the latest request has begun (its status line is on its way).
    private(set) var answerStarted = false
    /// When the server asked for body bytes that have not come yet.
    private var waitingForBodySince: NIODeadline?
    private(set) var upgraded = false

    init(timeouts: Timeouts, openedAt now: NIODeadline) {
        self.timeouts = timeouts
        headSince = now
    }

    /// The next moment the connection is too slow, and for what; nil while nothing is timed.
    var deadline: (at: NIODeadline, expiry: Expiry)? {
        if upgraded { return nil }
        if requestOpen { return waitingForBodySince.map { ($0 + timeouts.body, .body) } }
        if unanswered > 0 { return nil }
        if let headSince { return (headSince + timeouts.head, .head(partial: headBytesSeen)) }
        if let idleSince { return (idleSince + timeouts.idle, .idle) }
        return nil
    }

    /// Bytes came in from the client.
    mutating func bytesArrived(at now: NIODeadline) {
        waitingForBodySince = nil
        guard !requestOpen, unanswered == 0 else { return }
        // The first byte of a next request ends the idle wait and starts the head clock.
        if headSince == nil {
            headSince = now
            idleSince = nil
        }
        headBytesSeen = true
    }

    /// The server asked the socket for more bytes.
    mutating func readRequested(at now: NIODeadline) {
        if requestOpen && waitingForBodySince == nil { waitingForBodySince = now }
    }

    mutating func requestHeadReceived() {
        requestOpen = true
        unanswered += 1
        answerStarted = false
        headSince = nil
        headBytesSeen = false
        idleSince = nil
        waitingForBodySince = nil
    }

    mutating func requestEnded(at now: NIODeadline) {
        requestOpen = false
        waitingForBodySince = nil
        settle(at: now)
    }

    mutating func answerBegan() {
        answerStarted = true
    }

    mutating func answerEnded(at now: NIODeadline) {
        unanswered = max(0, unanswered - 1)
        settle(at: now)
    }

    /// Whether an answer is still in flight (being computed or sent).
    var answersPending: Bool { unanswered > 0 }

    /// With nothing in flight any more the connection is idle (an answer may end before its
    /// request did: an early error while the body was still coming).
    private mutating func settle(at now: NIODeadline) {
        if unanswered == 0 && !requestOpen && headSince == nil { idleSince = now }
    }

    /// The connection now speaks WebSocket: its own pings and close handshake take over.
    mutating func becameWebSocket() {
        upgraded = true
    }
}

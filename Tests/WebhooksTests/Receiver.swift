import Foundation
import Hummingbird
import Logging
import Synchronization

/// One request as a receiver saw it: the raw body bytes, exactly as they arrived.
struct ReceivedRequest: Sendable, CustomStringConvertible {
    var method: String
    var path: String
    var authority: String?
    var headers: [String: String]
    var body: [UInt8]

    /// Short, for failure messages: no body bytes.
    var description: String { "\(method) \(path) (Host: \(authority ?? "none"), \(body.count) bytes)" }
}

/// How a receiver answers one request.
enum Reply: Sendable {
    case status(Int, body: String = "", location: String? = nil)
    /// Holds the request until the receiver is released (a receiver that never answers).
    case hang
}

/// A webhook receiver: a Hummingbird server on a loopback address that records every request
/// and answers from a script (then 200), with its own checks of what arrived.
final class Receiver: Sendable {
    let port: Int
    let host: String
    private let state: Mutex<State>
    private let gate = Gate()

    private struct State {
        var requests: [ReceivedRequest] = []
        var replies: [Reply]
    }

    var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    private init(port: Int, host: String, replies: [Reply]) {
        self.port = port
        self.host = host
        self.state = Mutex(State(replies: replies))
    }

    /// `http://host:port` plus `path`, for a callback URL.
    func url(_ path: String = "/hook") -> String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)" }

    /// Lets every held request go (they answer 503 into connections that may be gone).
    func releaseHeld() { gate.open() }

    fileprivate func handle(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 8 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let received = ReceivedRequest(
            method: request.method.rawValue, path: request.uri.description, authority: request.head.authority, headers: headers,
            body: Array(body.readableBytesView))
        let reply = state.withLock { state -> Reply in
            state.requests.append(received)
            return state.replies.isEmpty ? .status(200, body: "thanks") : state.replies.removeFirst()
        }
        switch reply {
        case .status(let code, let text, let location):
            var fields = HTTPFields()
            if let location { fields[.location] = location }
            return Response(status: HTTPResponse.Status(code: code), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        case .hang:
            await gate.wait()
            return Response(status: .serviceUnavailable)
        }
    }

    /// Runs a receiver on `host` (`port` 0: any free one) for the length of `body`.
    static func with<T>(
        host: String = "127.0.0.1", port: Int = 0, replies: [Reply] = [], _ body: (Receiver) async throws -> T
    ) async throws -> T {
        let router = Router()
        let holder = ReceiverHolder()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            guard let receiver = holder.receiver else { return Response(status: .serviceUnavailable) }
            return try await receiver.handle(request)
        }
        for path in ["/hook", "/moved", "/slow", "/signed", "/big", "/target"] {
            router.on(RouterPath(path), method: .post, use: handler)
            router.on(RouterPath(path), method: .get, use: handler)
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let running = Task { try await app.run() }
        // A failed bind ends run() without a port: the stream is then finished below.
        let watcher = Task {
            _ = await running.result
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next(), bound > 0 else {
            _ = await running.result
            watcher.cancel()
            throw ReceiverError("the receiver could not listen on \(host):\(port)")
        }
        let receiver = Receiver(port: bound, host: host, replies: replies)
        holder.receiver = receiver
        defer {
            receiver.releaseHeld()
            running.cancel()
            watcher.cancel()
        }
        let result = try await body(receiver)
        receiver.releaseHeld()
        running.cancel()
        _ = await running.result
        return result
    }
}

struct ReceiverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Lets routes built before the port is known reach the receiver made after it.
private final class ReceiverHolder: Sendable {
    private let value = Mutex<Receiver?>(nil)
    var receiver: Receiver? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// Closed until opened once; then every waiter, past and future, goes on.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let goNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if goNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

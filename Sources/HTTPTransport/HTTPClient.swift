/// An HTTP/1.1 client for one endpoint (Unix socket, TCP or TLS), built on libcurl.
///
/// All libcurl work happens on one dedicated thread per client that drives a multi handle, so
/// requests never block Swift's cooperative pool and connections are reused across requests.
/// Upgraded streams (``upgrade(_:)``) each get their own I/O thread and connection.
///
/// Every method throws ``HTTPTransportError``; HTTP error statuses are returned, not thrown.
/// Cancelling the calling task aborts the request promptly with code `cancelled`.
public final class HTTPClient: Sendable {
    /// Client-wide settings.
    public struct Configuration: Sendable {
        /// Used when a request sets no `connectTimeout`.
        public var connectTimeout: Duration
        /// Sent as `User-Agent`; `nil` sends none.
        public var userAgent: String?
        /// Idle connections the multi handle keeps for reuse.
        public var maxCachedConnections: Int
        /// Unread bytes a streaming body may buffer before the transfer is paused.
        public var streamBufferLimit: Int
        /// Proxy use for ordinary requests over TCP and TLS (upgraded streams keep libcurl's default).
        public var proxy: ProxySetting
        /// The local IP address ordinary requests over TCP and TLS connect from (e.g. `127.0.3.7`,
        /// for a client that must look like many clients to a per-address rate limit); nil lets the
        /// system choose. An address this host does not have fails each request with `connectFailed`.
        public var sourceAddress: String?

        public init(
            connectTimeout: Duration = .seconds(10), userAgent: String? = "sandcastle",
            maxCachedConnections: Int = 16, streamBufferLimit: Int = 4 << 20, proxy: ProxySetting = .libcurlDefault,
            sourceAddress: String? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.userAgent = userAgent
            self.maxCachedConnections = maxCachedConnections
            self.streamBufferLimit = streamBufferLimit
            self.proxy = proxy
            self.sourceAddress = sourceAddress
        }
    }

    public let endpoint: HTTPEndpoint
    public let configuration: Configuration
    private let loop: CurlMultiLoop

    /// Creates a client and starts its I/O thread. Nothing connects until the first request.
    public init(endpoint: HTTPEndpoint, configuration: Configuration = Configuration()) throws {
        self.endpoint = endpoint
        self.configuration = configuration
        self.loop = try CurlMultiLoop(name: "http \(endpoint)", maxCachedConnections: configuration.maxCachedConnections)
    }

    deinit {
        loop.shutdown()
    }

    /// Sends a request and buffers the whole response body.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try makeTransfer(request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.sink = BufferedSink(continuation)
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    /// Sends a request and returns as soon as the response head arrives; the body follows as
    /// chunks on ``HTTPStreamingResponse/body`` as the server sends them.
    ///
    /// The request's `timeout` (if any) covers the whole stream, so leave it `nil` for
    /// open-ended streams such as events. Cancelling the task that consumes the body, or
    /// dropping the body stream, aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let transfer = try makeTransfer(request)
        let channel = ByteChannel(
            highWater: configuration.streamBufferLimit,
            cancelledMessage: "\(transfer.requestDescription) was cancelled")
        // The hooks capture the client (not just its loop) so that an open stream keeps the
        // client, and with it the I/O thread, alive even if the caller drops the client.
        channel.setHooks(onDemand: { self.loop.resume(transfer) }, onCancel: { self.loop.cancel(transfer) })
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPStreamingResponse, any Error>) in
                transfer.sink = StreamingSink(continuation, channel: channel, cancel: { self.loop.cancel(transfer) })
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    /// Requests currently in flight on the shared connection pool (not counting upgraded streams).
    public var activeRequestCount: Int { loop.activeCount.load(ordering: .relaxed) }

    private func makeTransfer(_ request: HTTPRequest) throws -> Transfer {
        try Transfer(
            endpoint: endpoint, request: request, defaultConnectTimeout: configuration.connectTimeout,
            userAgent: configuration.userAgent, proxy: configuration.proxy, sourceAddress: configuration.sourceAddress)
    }
}

/// Collects the body and resumes the caller at completion. Loop thread only.
private final class BufferedSink: TransferSink, @unchecked Sendable {
    private let continuation: CheckedContinuation<HTTPResponse, any Error>
    private var response = HTTPResponse(status: 0)

    init(_ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.continuation = continuation
    }

    func head(status: Int, headers: HTTPHeaders) {
        response.status = status
        response.headers = headers
    }

    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        response.body.append(contentsOf: bytes)
        return true
    }

    func complete(_ error: HTTPTransportError?) {
        if let error {
            continuation.resume(throwing: error)
        } else {
            continuation.resume(returning: response)
        }
    }
}

/// Resumes the caller with the head, then feeds the body channel. Loop thread only.
private final class StreamingSink: TransferSink, @unchecked Sendable {
    private var continuation: CheckedContinuation<HTTPStreamingResponse, any Error>?
    private let channel: ByteChannel
    private let cancel: @Sendable () -> Void

    init(
        _ continuation: CheckedContinuation<HTTPStreamingResponse, any Error>, channel: ByteChannel,
        cancel: @escaping @Sendable () -> Void
    ) {
        self.continuation = continuation
        self.channel = channel
        self.cancel = cancel
    }

    func head(status: Int, headers: HTTPHeaders) {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(
            returning: HTTPStreamingResponse(
                status: status, headers: headers,
                body: channel.makeStream(), cancel: cancel))
    }

    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // A paused offer leaves the bytes with libcurl, which redelivers them after resume.
        switch channel.offer(Array(bytes), force: false) {
        case .accepted, .discarded: return true
        case .paused: return false
        }
    }

    func complete(_ error: HTTPTransportError?) {
        if let continuation {
            self.continuation = nil
            continuation.resume(throwing: error ?? HTTPTransportError(.protocolError, "response ended without a head"))
        } else {
            channel.finish(error)
        }
    }
}

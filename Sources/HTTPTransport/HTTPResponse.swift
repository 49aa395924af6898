/// A complete response with its body buffered in memory.
public struct HTTPResponse: Sendable, Hashable {
    /// The final status code (informational 1xx responses are skipped).
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `true` for 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body decoded as UTF-8 (invalid sequences repaired).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose head has arrived and whose body arrives chunk by chunk.
///
/// The body is pulled: libcurl is paused while unread data exceeds a bound, so a slow
/// consumer of a large download does not grow memory without limit. Dropping every
/// reference to ``body`` (or cancelling the task iterating it) aborts the transfer.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// Body chunks in arrival order; finishes at the end of the body, throws ``HTTPTransportError`` on failure.
    /// Single consumer.
    public var body: AsyncThrowingStream<[UInt8], any Error>

    private let canceller: @Sendable () -> Void

    init(status: Int, headers: HTTPHeaders, body: AsyncThrowingStream<[UInt8], any Error>, cancel: @escaping @Sendable () -> Void) {
        self.status = status
        self.headers = headers
        self.body = body
        self.canceller = cancel
    }

    /// `true` for 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// Aborts the transfer; the body stream then throws ``HTTPTransportError/Code-swift.struct/cancelled``.
    public func cancel() { canceller() }

    /// Reads the rest of the body into memory, failing with `invalidRequest` if it exceeds `limit` bytes.
    public func collect(upTo limit: Int = 64 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        for try await chunk in body {
            if out.count + chunk.count > limit {
                cancel()
                throw HTTPTransportError(.invalidRequest, "response body exceeds \(limit) bytes")
            }
            out.append(contentsOf: chunk)
        }
        return out
    }
}

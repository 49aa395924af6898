import JSONValues
import Synchronization

/// How JSON-RPC messages reach one server and come back.
protocol MCPTransport: Sendable {
    /// Sends one message. Messages from the server (answers, its own requests) go to the
    /// ``MCPInbox`` the transport was made with, during or after this call.
    func send(_ message: JSONValue) async throws
    /// Whether every answer to a request arrives before ``send(_:)`` returns (HTTP: the answer is
    /// the response to the POST), so a request still unanswered then never will be.
    var answersInline: Bool { get }
    /// Called once the session is initialised, with the protocol version both sides use.
    func negotiated(protocolVersion: String)
    /// What the server wrote on the side (stderr, lines that were not JSON), for error messages.
    var diagnostics: String { get }
    /// Ends the session and, for a process, the process; returns when it is gone (or given up on).
    func close() async
}

/// Where a transport hands what the server sends.
struct MCPInbox: Sendable {
    /// One JSON-RPC message (or batch).
    var deliver: @Sendable (JSONValue) -> Void
    /// A message too large to keep: `prefix` is its start, where its `id` usually is.
    var oversized: @Sendable (_ prefix: [UInt8], _ bytes: Int) -> Void
    /// The connection is over (the process ended, the stream broke).
    var closed: @Sendable (MCPError) -> Void
}

/// The last bytes of a stream, for error messages (a traceback ends where the cause is).
final class TailBuffer: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func append(_ chunk: [UInt8]) {
        bytes.withLock { buffer in
            buffer.append(contentsOf: chunk.suffix(capacity))
            if buffer.count > capacity { buffer.removeFirst(buffer.count - capacity) }
        }
    }

    var text: String {
        String(decoding: bytes.withLock { $0 }, as: UTF8.self).trimmingTrailingWhitespace
    }
}

/// Splits a byte stream into lines, holding at most `maxLineBytes` of one line: a longer line
/// is reported as oversized (with its first bytes) and skipped up to its end.
struct LineSplitter {
    enum Piece {
        case line([UInt8])
        case oversized(prefix: [UInt8], bytes: Int)
    }

    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var skipping: (prefix: [UInt8], bytes: Int)?

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    mutating func feed(_ chunk: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        var start = chunk.startIndex
        while start < chunk.endIndex {
            let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n"))
            let part = chunk[start..<(newline ?? chunk.endIndex)]
            if var skipped = skipping {
                skipped.bytes += part.count
                skipping = skipped
            } else if buffer.count + part.count > maxLineBytes {
                let prefix = Array((buffer + part).prefix(256))
                skipping = (prefix, buffer.count + part.count)
                buffer.removeAll()
            } else {
                buffer.append(contentsOf: part)
            }
            guard let newline else { break }
            if let skipped = skipping {
                pieces.append(.oversized(prefix: skipped.prefix, bytes: skipped.bytes))
                skipping = nil
            } else {
                pieces.append(.line(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
            start = chunk.index(after: newline)
        }
        return pieces
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}

/// One event of a `text/event-stream` body, as the WHATWG HTML standard's parsing rules define it.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; nil when the event had none (OpenAI's streams name no events).
    public var event: String?
    /// Every `data:` line of the event, joined with `\n`.
    public var data: String
    /// The last `id:` seen, as the standard's "last event ID" carries over between events.
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Turns the chunks of an event-stream body into events, incrementally: a chunk may end
/// anywhere, inside a line or between the `\r` and `\n` of one line break.
///
/// Lines end in `\n`, `\r\n` or `\r`. Lines starting with `:` are comments (keep-alives such as
/// `: OPENROUTER PROCESSING`) and are dropped. A blank line dispatches the event; an event with
/// no `data:` line (a record of only `retry:` or `id:`) is not dispatched, which is what the
/// standard says and what trips parsers that `json.loads` every record. An event the body
/// leaves unterminated at its end is not dispatched either; ``hasPartialEvent`` tells.
public struct ServerSentEventDecoder: Sendable {
    private var line: [UInt8] = []
    /// The previous chunk ended in `\r`: a `\n` starting the next one belongs to that break.
    private var skipLineFeed = false
    private var sawFirstLine = false
    private var eventName: String?
    private var dataLines: [String] = []
    private var hasData = false
    private var lastEventID: String?
    /// Bytes received in fields of the event being built; an event is "pending" when non-zero.
    private var pendingFieldBytes = 0

    public init() {}

    /// Feeds the next chunk of the body and returns the events it completed, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        if skipLineFeed, index != bytes.endIndex {
            skipLineFeed = false
            if bytes[index] == UInt8(ascii: "\n") {
                index = bytes.index(after: index)
                start = index
            }
        }
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                line.append(contentsOf: bytes[start..<index])
                if let event = processLine() { events.append(event) }
                line.removeAll(keepingCapacity: true)
                var next = bytes.index(after: index)
                if byte == UInt8(ascii: "\r") {
                    if next == bytes.endIndex {
                        skipLineFeed = true
                    } else if bytes[next] == UInt8(ascii: "\n") {
                        next = bytes.index(after: next)
                    }
                }
                index = next
                start = next
            } else {
                index = bytes.index(after: index)
            }
        }
        line.append(contentsOf: bytes[start..<bytes.endIndex])
        return events
    }

    /// Whether the body stopped inside an event: bytes of a field arrived but no blank line yet.
    public var hasPartialEvent: Bool { pendingFieldBytes > 0 || !line.isEmpty }

    /// Bytes held for an event not yet complete (a line without its end, fields without the
    /// blank line). Callers bound this so that a body without line breaks cannot grow it forever.
    public var bufferedByteCount: Int { line.count + pendingFieldBytes }

    private mutating func processLine() -> ServerSentEvent? {
        var bytes = line[...]
        if !sawFirstLine {
            sawFirstLine = true
            // A UTF-8 byte-order mark may start the stream; it is not part of the first field name.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") { return nil }
        let field: Substring
        var value: Substring
        let text = String(decoding: bytes, as: UTF8.self)
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        pendingFieldBytes += bytes.count
        switch field {
        case "event":
            // An empty name means the default type, the same as no `event:` line.
            eventName = value.isEmpty ? nil : String(value)
        case "data":
            dataLines.append(String(value))
            hasData = true
        case "id":
            // An id containing NUL is ignored, as the standard says.
            if !value.contains("\0") { lastEventID = String(value) }
        default:
            // `retry:` and unknown fields change nothing a client of these APIs uses.
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventName = nil
            dataLines.removeAll(keepingCapacity: true)
            hasData = false
            pendingFieldBytes = 0
        }
        guard hasData else { return nil }
        return ServerSentEvent(event: eventName, data: dataLines.joined(separator: "\n"), id: lastEventID)
    }
}

import ModelProviders
import Testing

@Suite struct ServerSentEventDecoderTests {
    static let stream =
        "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: line one\ndata: line two\n\nretry: 3000\n\nid: 7\n\nevent: done\ndata: [DONE]\n\n"
    static let expected = [
        ServerSentEvent(event: "message_start", data: #"{"a":1}"#),
        ServerSentEvent(data: "line one\nline two"),
        ServerSentEvent(event: "done", data: "[DONE]", id: "7"),
    ]

    static func decode(_ chunks: [[UInt8]]) -> (events: [ServerSentEvent], partial: Bool) {
        var decoder = ServerSentEventDecoder()
        var events: [ServerSentEvent] = []
        for chunk in chunks { events += decoder.feed(chunk) }
        return (events, decoder.hasPartialEvent)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineEndingGivesTheSameEvents(_ ending: String) {
        let text = Self.stream.replacingOccurrences(of: "\n", with: ending)
        let decoded = Self.decode([Array(text.utf8)])
        #expect(decoded.events == Self.expected)
        #expect(!decoded.partial)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func chunksMayEndAnywhere(_ ending: String) {
        let bytes = Array(Self.stream.replacingOccurrences(of: "\n", with: ending).utf8)
        for split in 0...bytes.count {
            let decoded = Self.decode([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(decoded.events == Self.expected, "split at \(split)")
        }
        #expect(Self.decode(bytes.map { [$0] }).events == Self.expected, "byte by byte")
    }

    @Test func aCarriageReturnEndingAChunkIsOneLineBreakWithTheLineFeedAfterIt() {
        // "\r" | "\n\r\n": the first break is \r\n across the chunks, then one more: a blank line.
        let decoded = Self.decode([Array("data: x\r".utf8), Array("\n\r\n".utf8)])
        #expect(decoded.events == [ServerSentEvent(data: "x")])
        // "\r" | "\r": two breaks, so the event ends.
        #expect(Self.decode([Array("data: y\r".utf8), Array("\r".utf8)]).events == [ServerSentEvent(data: "y")])
    }

    @Test func fieldsFollowTheStandard() {
        let text =
            "\u{FEFF}data:no space\n\ndata:  two spaces\n\ndata\n\nevent:\ndata: unnamed\n\nfoo: bar\ndata: kept\n\nid: a\u{0}b\ndata: nul id ignored\n\n"
        let decoded = Self.decode([Array(text.utf8)])
        #expect(
            decoded.events == [
                ServerSentEvent(data: "no space"), ServerSentEvent(data: " two spaces"), ServerSentEvent(data: ""),
                ServerSentEvent(data: "unnamed"), ServerSentEvent(data: "kept"), ServerSentEvent(data: "nul id ignored"),
            ])
    }

    @Test func anUnfinishedEventIsNotDispatchedButReported() {
        let cutInLine = Self.decode([Array("event: message_stop\ndata: {\"type\":\"mess".utf8)])
        #expect(cutInLine.events.isEmpty && cutInLine.partial)
        let cutBeforeBlankLine = Self.decode([Array("data: whole line\n".utf8)])
        #expect(cutBeforeBlankLine.events.isEmpty && cutBeforeBlankLine.partial)
        let clean = Self.decode([Array("data: done\n\n".utf8)])
        #expect(clean.events.count == 1 && !clean.partial)
    }

    @Test func hostileInputStaysBounded() {
        var decoder = ServerSentEventDecoder()
        let line = [UInt8](repeating: UInt8(ascii: "z"), count: 1 << 20)
        #expect(decoder.feed(line).isEmpty)
        // What the caller checks against its cap: the unfinished line is counted.
        #expect(decoder.bufferedByteCount == 1 << 20)
        #expect(decoder.feed(Array("\n\n".utf8)).isEmpty, "a field named zzz… is no event")
        #expect(decoder.bufferedByteCount == 0)
        let invalidUTF8: [UInt8] = Array("data: ".utf8) + [0xFF, 0xFE, 0x41] + Array("\n\n".utf8)
        #expect(decoder.feed(invalidUTF8) == [ServerSentEvent(data: "\u{FFFD}\u{FFFD}A")])
    }
}

import Hummingbird

/// Writes a planned event stream: one write per event, so that a client meets events split
/// across reads as it does on a real network; the per-token delay (zero by default, so the
/// benchmark measures only its client); and the scripted faults: a cut connection, an error
/// event in the middle, keep-alive comments, data-less records, other line endings.
struct DoubleEventStream: Sendable {
    let frames: [StreamFrame]
    let quirks: Set<ProviderQuirk>
    /// Close the connection, without ending the body, once this many events are out.
    let cutAfterEvents: Int?
    /// Sent instead of the rest once `errorAfterEvents` events are out; the body then ends.
    let streamError: StreamFrame?
    let errorAfterEvents: Int?
    let tokenDelay: Duration

    func write(to writer: inout some ResponseBodyWriter) async throws {
        let lineEnding =
            quirks.contains(.crLineEndings) ? "\r" : quirks.contains(.crlfLineEndings) ? "\r\n" : "\n"
        var events = 0
        for frame in frames {
            if frame.isEvent {
                if let cut = cutAfterEvents, events >= cut { throw DoubleStreamCut() }
                if let streamError, let after = errorAfterEvents, events >= after {
                    try await writer.write(ByteBuffer(string: streamError.text(lineEnding: lineEnding)))
                    break
                }
                if quirks.contains(.keepAliveComments) && events % 2 == 0 {
                    try await writer.write(ByteBuffer(string: StreamFrame.line(": OPENROUTER PROCESSING").text(lineEnding: lineEnding)))
                }
            }
            if case .event(_, _, true) = frame, tokenDelay > .zero { try await Task.sleep(for: tokenDelay) }
            try await writer.write(ByteBuffer(string: frame.text(lineEnding: lineEnding)))
            if frame.isEvent {
                events += 1
                if quirks.contains(.datalessRecords) && events == 1 {
                    // Records a spec-following client skips: a reconnection delay, an event id.
                    try await writer.write(ByteBuffer(string: StreamFrame.line("retry: 3000").text(lineEnding: lineEnding)))
                    try await writer.write(ByteBuffer(string: StreamFrame.line("id: \(events)").text(lineEnding: lineEnding)))
                }
            }
        }
        try await writer.finish(nil)
    }
}

import RunnerProtocol

/// Splits the host → runner byte stream into frames.
///
/// Unlike `FrameDecoder`, a frame whose body does not decode (unknown tag, truncated
/// field) is skipped and reported with its id, so one bad request fails alone and the
/// stream stays usable. Only an impossible length prefix loses framing.
struct InboundFrames {
    private var buffer: [UInt8] = []
    private var start = 0

    enum Item {
        case frame(Frame)
        /// A well-delimited frame that did not decode; `id` is 0 if even that was missing.
        case invalid(id: UInt32, reason: String)
        /// The length prefix is impossible; everything buffered was dropped.
        case corrupt(String)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    var bufferedByteCount: Int { buffer.count - start }

    mutating func next() -> Item? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length >= Frame.headerSize - 4, length <= RunnerWire.maxFrameSize else {
            reset()
            return .corrupt("frame length \(length) is outside 5...\(RunnerWire.maxFrameSize); dropped the buffered input")
        }
        guard available - 4 >= length else { return nil }
        let bodyStart = start + 4
        start = bodyStart + length
        let item = decode(bodyStart..<start)
        if start == buffer.count {
            // Drop big buffers once a large frame is through, so idle memory stays small.
            if buffer.capacity > 1 << 20 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            start = 0
        }
        return item
    }

    private func decode(_ range: Range<Int>) -> Item {
        do {
            return .frame(try Frame.decode(body: buffer[range]))
        } catch {
            let base = range.lowerBound
            let id =
                UInt32(buffer[base + 1]) << 24 | UInt32(buffer[base + 2]) << 16
                | UInt32(buffer[base + 3]) << 8 | UInt32(buffer[base + 4])
            return .invalid(id: id, reason: "\(error)")
        }
    }

    private mutating func reset() {
        buffer = []
        start = 0
    }
}

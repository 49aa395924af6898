/// Which standard stream a multiplexed frame belongs to.
public enum StdStream: UInt8, Sendable, Hashable {
    case stdin = 0
    case stdout = 1
    case stderr = 2
    /// Errors the engine itself injects into the stream (Docker's `Systemerr`).
    case systemError = 3
}

/// Splits Docker's multiplexed stdout/stderr stream (non-TTY attach and logs) into frames.
///
/// Each frame is an 8-byte header `[stream, 0, 0, 0, size as UInt32 big-endian]` followed by
/// `size` payload bytes. Feed bytes as they arrive with ``append(_:)`` (headers and payloads
/// may be split anywhere) and take complete frames with ``next()``.
public struct StdStreamDemuxer: Sendable {
    /// One demultiplexed frame.
    public struct Frame: Sendable, Hashable {
        public var stream: StdStream
        public var payload: [UInt8]

        public init(stream: StdStream, payload: [UInt8]) {
            self.stream = stream
            self.payload = payload
        }
    }

    private var buffer: [UInt8] = []
    private var start = 0
    /// Frames larger than this are treated as a corrupt stream rather than buffered.
    public let maxFrameSize: Int

    public init(maxFrameSize: Int = 64 << 20) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received and not yet returned in a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        // Compact only when the consumed prefix dominates, so small frames do not shift the buffer each time.
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or `nil` until more bytes arrive. Throws on a header that cannot
    /// be Docker framing (a TTY stream fed here, or corruption).
    public mutating func next() throws -> Frame? {
        guard buffer.count - start >= 8 else { return nil }
        let header = buffer[start..<(start + 8)]
        guard let stream = StdStream(rawValue: header[start]),
            header[start + 1] == 0, header[start + 2] == 0, header[start + 3] == 0
        else {
            throw DockerError(.invalidResponse, "malformed multiplexed stream header \(Array(header)); is the container using a TTY?")
        }
        let size = Int(header[start + 4]) << 24 | Int(header[start + 5]) << 16 | Int(header[start + 6]) << 8 | Int(header[start + 7])
        guard size <= maxFrameSize else {
            throw DockerError(.invalidResponse, "multiplexed stream frame of \(size) bytes exceeds \(maxFrameSize)")
        }
        guard buffer.count - start >= 8 + size else { return nil }
        let payload = Array(buffer[(start + 8)..<(start + 8 + size)])
        start += 8 + size
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return Frame(stream: stream, payload: payload)
    }

    /// Appends `bytes` and returns every frame now complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws -> [Frame] {
        append(bytes)
        var frames: [Frame] = []
        while let frame = try next() { frames.append(frame) }
        return frames
    }

    /// Encodes one frame (for tests and fakes of the engine).
    public static func encode(_ stream: StdStream, _ payload: [UInt8]) -> [UInt8] {
        let size = UInt32(payload.count)
        return [stream.rawValue, 0, 0, 0, UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)] + payload
    }
}

import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Bytes waiting for a non-blocking fd. Writers never block the reactor: whatever the
/// fd does not take now stays queued until poll says it is writable again.
struct ByteQueue {
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var headOffset = 0
    private(set) var count = 0

    /// Small pieces are appended to the tail chunk, so a burst of small frames leaves in one write.
    private static let coalesceBelow = 16 * 1024
    private static let coalesceUpTo = 64 * 1024

    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        count += bytes.count
        let last = chunks.count - 1
        // The head chunk may be half written; appending to it is still fine because
        // only its end changes.
        if bytes.count < Self.coalesceBelow, last >= head, chunks[last].count + bytes.count <= Self.coalesceUpTo {
            chunks[last].append(contentsOf: bytes)
        } else {
            chunks.append(bytes)
        }
    }

    enum DrainResult: Equatable {
        case drained
        case wouldBlock
        case failed(Int32)
    }

    mutating func drain(to fd: Int32) -> DrainResult {
        while head < chunks.count {
            let offset = headOffset
            let written = chunks[head].withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return retryingInterrupts { write(fd, base + offset, raw.count - offset) }
            }
            if written < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
                return .failed(code)
            }
            count -= written
            headOffset += written
            if headOffset == chunks[head].count {
                chunks[head] = [] // release the memory now, not at the next compaction
                head += 1
                headOffset = 0
            } else {
                return .wouldBlock
            }
        }
        chunks.removeAll(keepingCapacity: chunks.capacity <= 64)
        head = 0
        return .drained
    }

    mutating func removeAll() {
        chunks = []
        head = 0
        headOffset = 0
        count = 0
    }
}

/// The runner → host half of the channel (fd 1). Frames are encoded whole into one
/// queue, so they can never interleave.
final class Outbound {
    let fd: Int32
    private var queue = ByteQueue()
    /// Set when the host side of the pipe is gone; later frames are dropped.
    private(set) var brokenErrno: Int32?

    /// Producers (PTY, pipes, file reads) pause above this many queued bytes, so a slow
    /// host throttles them through the kernel instead of growing this queue.
    static let highWater = 4 * 1024 * 1024
    /// File downloads read their next chunk only below this.
    static let readAheadLimit = 1024 * 1024

    init(fd: Int32) { self.fd = fd }

    var pendingBytes: Int { queue.count }
    var hasPending: Bool { !queue.isEmpty }
    var isCongested: Bool { queue.count >= Self.highWater }

    func send(_ id: UInt32, _ message: RunnerMessage) {
        guard brokenErrno == nil else { return }
        queue.append(Frame(id: id, message).encoded())
    }

    /// Sends output bytes cut into frames of at most ``RunnerWire/chunkSize``.
    func sendOutput(_ id: UInt32, _ stream: RunnerProtocol.OutputStream, _ bytes: ArraySlice<UInt8>) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + RunnerWire.chunkSize, bytes.endIndex)
            send(id, .output(stream, Array(bytes[start..<end])))
            start = end
        }
    }

    /// Writes what the pipe takes right now.
    func flush() {
        guard brokenErrno == nil, hasPending else { return }
        if case .failed(let code) = queue.drain(to: fd) {
            brokenErrno = code
            queue.removeAll()
        }
    }
}

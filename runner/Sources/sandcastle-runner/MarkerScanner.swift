#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Finds the persistent shell's in-band markers in the PTY byte stream and passes
/// everything else through untouched.
///
/// A marker is `ESC _ S C <token> ;` (an APC introducer plus the per-boot random
/// token), then a body up to a NUL byte:
/// - `B<seq>`: the shell has read exec `seq`'s line and is about to run it;
/// - `E<seq>;<status>;<cwd>`: the prompt after exec `seq`, with `$?` and `$PWD`.
///
/// NUL ends the body because it is the one byte no path can contain, so any
/// working directory round-trips exactly without a length field or locale concerns.
/// Bytes that might be the start of a marker are held back at a chunk end until the
/// next chunk decides, so no marker byte leaks into output and no output byte is lost.
struct MarkerScanner {
    enum Event {
        /// Output bytes; only valid during the callback.
        case output(UnsafeRawBufferPointer)
        case begin(seq: UInt64)
        case end(seq: UInt64, status: Int32, workingDirectory: [UInt8])
    }

    private let prefix: [UInt8]
    /// How many prefix bytes the previous chunk ended with (held back).
    private var heldPrefix = 0
    private var inBody = false
    private var body: [UInt8] = []
    /// A body longer than this is not ours (or is corrupt): it is released as output.
    private static let maxBody = 64 * 1024

    init(token: String) {
        prefix = Array("\u{1B}_SC\(token);".utf8)
    }

    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) -> Void) {
        guard let base = chunk.baseAddress else { return }
        let count = chunk.count
        var index = 0
        var runStart = 0

        func emit(_ range: Range<Int>) {
            if !range.isEmpty { handle(.output(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))) }
        }

        while index < count {
            if inBody {
                let remaining = count - index
                if let nul = memchr(base + index, 0, remaining) {
                    let end = base.distance(to: UnsafeRawPointer(nul))
                    body.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: end - index))
                    index = end + 1
                    runStart = index
                    inBody = false
                    finishBody(handle)
                } else {
                    body.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: remaining))
                    index = count
                    runStart = count
                    if body.count > Self.maxBody { releaseBody(handle) }
                }
                continue
            }
            if heldPrefix > 0 {
                // Continue a prefix that straddled the previous chunk boundary.
                if chunk[index] == prefix[heldPrefix] {
                    heldPrefix += 1
                    index += 1
                    runStart = index
                    if heldPrefix == prefix.count {
                        heldPrefix = 0
                        inBody = true
                    }
                } else {
                    let held = heldPrefix
                    heldPrefix = 0
                    prefix.withUnsafeBytes { handle(.output(UnsafeRawBufferPointer(rebasing: $0[0..<held]))) }
                    // Re-examine this byte from scratch: it may start a marker itself.
                }
                continue
            }
            guard let escape = memchr(base + index, 0x1B, count - index) else {
                index = count
                break
            }
            let escapeIndex = base.distance(to: UnsafeRawPointer(escape))
            let comparable = min(prefix.count, count - escapeIndex)
            let matches = prefix.withUnsafeBytes { bytes in
                bytes.baseAddress.map { memcmp($0, base + escapeIndex, comparable) == 0 } ?? false
            }
            if !matches {
                index = escapeIndex + 1
                continue
            }
            emit(runStart..<escapeIndex)
            index = escapeIndex + comparable
            runStart = index
            if comparable == prefix.count {
                inBody = true
            } else {
                heldPrefix = comparable // the chunk ended inside a possible prefix
            }
        }
        if !inBody && heldPrefix == 0 { emit(runStart..<count) }
    }

    private mutating func finishBody(_ handle: (Event) -> Void) {
        defer { body.removeAll(keepingCapacity: body.capacity <= 4096) }
        guard let kind = body.first else { return }
        var cursor = 1
        func number() -> UInt64? {
            var value: UInt64 = 0
            var digits = 0
            while cursor < body.count, body[cursor] >= 0x30, body[cursor] <= 0x39, digits < 19 {
                value = value * 10 + UInt64(body[cursor] - 0x30)
                cursor += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        // A marker with our token but a body we cannot parse is dropped, never shown.
        switch kind {
        case UInt8(ascii: "B"):
            if let seq = number(), cursor == body.count { handle(.begin(seq: seq)) }
        case UInt8(ascii: "E"):
            guard let seq = number(), cursor < body.count, body[cursor] == UInt8(ascii: ";") else { return }
            cursor += 1
            guard let status = number(), cursor < body.count, body[cursor] == UInt8(ascii: ";") else { return }
            cursor += 1
            handle(.end(seq: seq, status: Int32(truncatingIfNeeded: status), workingDirectory: Array(body[cursor...])))
        default:
            return
        }
    }

    private mutating func releaseBody(_ handle: (Event) -> Void) {
        prefix.withUnsafeBytes { handle(.output($0)) }
        body.withUnsafeBytes { handle(.output($0)) }
        body = []
        inBody = false
    }
}

/// Turns "\r\n" into "\n", carrying a trailing "\r" across chunk boundaries. A lone
/// "\r" (progress bars) is kept.
struct CRLFNormalizer {
    private var pendingCR = false

    mutating func process(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var index = 0
        let count = input.count
        if pendingCR {
            pendingCR = false
            if base.load(as: UInt8.self) != UInt8(ascii: "\n") { output.append(UInt8(ascii: "\r")) }
        }
        while index < count {
            guard let cr = memchr(base + index, 0x0D, count - index) else {
                output.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: count - index))
                return
            }
            let crIndex = base.distance(to: UnsafeRawPointer(cr))
            output.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: crIndex - index))
            if crIndex + 1 == count {
                pendingCR = true
                return
            }
            if base.load(fromByteOffset: crIndex + 1, as: UInt8.self) != UInt8(ascii: "\n") {
                output.append(UInt8(ascii: "\r"))
            }
            index = crIndex + 1
        }
    }

    /// Releases a held "\r" at the end of the stream.
    mutating func finish(into output: inout [UInt8]) {
        if pendingCR {
            pendingCR = false
            output.append(UInt8(ascii: "\r"))
        }
    }
}

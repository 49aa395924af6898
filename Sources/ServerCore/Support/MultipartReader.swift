import Foundation
import NIOCore

/// What a form part says about itself.
package struct MultipartPartHead: Sendable, Equatable {
    /// The `name` of the part's Content-Disposition (nil when a client leaves it out).
    package var name: String?
    package var filename: String?
}

/// Reads a `multipart/form-data` body (RFC 7578, framed as RFC 2046 §5.1.1 says) part by part
/// while it arrives, so a form's files go on to the sandbox chunk by chunk instead of being
/// held whole.
///
/// One consumer walks the parts in order: ``nextPart()`` gives a part's head, then
/// ``content`` (or ``nextChunk()``) its bytes; asking for the next part skips what is left of
/// the current one. The body is read only as fast as the consumer takes the content, so a slow
/// sandbox slows the client down, and at most one piece of the body (plus a delimiter's length)
/// is held at a time.
///
/// Failures are ``ServerError``s, so they keep their meaning when they surface from inside a
/// sandbox write: `body_too_large` past `limit` bytes, `invalid_input` for a malformed form or a
/// body cut short (each API words them its own way). A form is whole only once its close
/// delimiter (`--BOUNDARY--`) came.
package actor MultipartReader<Body: AsyncSequence & Sendable> where Body.Element == ByteBuffer {
    private var body: Body.AsyncIterator
    private let limit: Int
    private var received = 0
    private var bodyEnded = false
    /// `CRLF--BOUNDARY`: what ends a part's content (and, after a virtual CRLF, opens the form).
    private let delimiter: [UInt8]
    /// Input not consumed yet, from `index` on.
    private var buffer: [UInt8]
    private var index = 0
    private var state = State.preamble
    private var sawPart = false

    private enum State {
        /// Before the first delimiter: anything there is ignored.
        case preamble
        /// Right after a delimiter: `--` closes the form, a line end opens a part's headers.
        case afterDelimiter
        /// The head was handed out; the content may be read.
        case content
        /// The form's close delimiter came.
        case closed
    }

    /// The most a part's header section may have.
    static var maxHeaderBytes: Int { 16 * 1024 }

    /// - Parameters:
    ///   - boundary: the content type's boundary (see ``MultipartForm/boundary(contentType:)``).
    ///   - limit: the most bytes the whole body may have.
    /// - Throws: ``ServerError`` `invalid_input` for an empty boundary.
    package init(body: Body, boundary: String, limit: Int) throws {
        guard !boundary.isEmpty, boundary.utf8.count <= 200 else { throw Self.malformed("the boundary is empty or too long") }
        self.body = body.makeAsyncIterator()
        self.limit = limit
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may start the body without a line end before it.
        self.buffer = [0x0D, 0x0A]
    }

    /// The next part's head, after skipping whatever is left of the current part; nil once the
    /// form has ended.
    package func nextPart() async throws -> MultipartPartHead? {
        while true {
            switch state {
            case .preamble, .content:
                while try await skipToDelimiter() {}
            case .closed:
                return nil
            case .afterDelimiter:
                guard try await available(2) else {
                    throw Self.malformed(sawPart ? "the form has no closing boundary" : "no opening boundary")
                }
                if buffer[index] == UInt8(ascii: "-") && buffer[index + 1] == UInt8(ascii: "-") {
                    state = .closed
                    try await drainEpilogue()
                    return nil
                }
                let head = try await headers()
                state = .content
                sawPart = true
                return head
            }
        }
    }

    /// The next piece of the current part's content; nil at the part's end.
    package func nextChunk() async throws -> [UInt8]? {
        guard case .content = state else { return nil }
        while true {
            if let found = find(delimiter, from: index) {
                let piece = Array(buffer[index..<found])
                index = found + delimiter.count
                state = .afterDelimiter
                return piece.isEmpty ? nil : piece
            }
            // Everything but a possible start of the delimiter can go.
            let safe = buffer.count - (delimiter.count - 1)
            if safe > index {
                let piece = Array(buffer[index..<safe])
                index = safe
                return piece
            }
            guard try await fill() else { throw Self.malformed("a part has no closing boundary") }
        }
    }

    /// The current part's content as a sequence, for a sandbox write.
    package nonisolated var content: MultipartPartContent<Body> { MultipartPartContent(reader: self) }

    /// The current part's content gathered in memory, for a small form field such as `path`.
    package func collect(limit fieldLimit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await nextChunk() {
            bytes += chunk
            guard bytes.count <= fieldLimit else { throw Self.malformed("a form field is longer than \(fieldLimit) bytes") }
        }
        return bytes
    }

    // MARK: parsing

    /// Skips content (the preamble, or what is left of a part) up to the next delimiter; false
    /// once past it.
    private func skipToDelimiter() async throws -> Bool {
        if let found = find(delimiter, from: index) {
            index = found + delimiter.count
            state = .afterDelimiter
            return false
        }
        index = max(index, buffer.count - (delimiter.count - 1))
        guard try await fill() else {
            if case .preamble = state { throw Self.malformed("no opening boundary") }
            throw Self.malformed("a part has no closing boundary")
        }
        return true
    }

    /// The header section after a delimiter: optional padding, a line end, header lines, an
    /// empty line. Only Content-Disposition matters to forms.
    private func headers() async throws -> MultipartPartHead {
        var head = MultipartPartHead()
        var lineCount = 0
        var sectionBytes = 0
        while true {
            let line = try await nextLine()
            sectionBytes += line.count + 2
            guard sectionBytes <= Self.maxHeaderBytes else { throw Self.malformed("a part's headers are longer than \(Self.maxHeaderBytes) bytes") }
            defer { lineCount += 1 }
            if lineCount == 0 {
                // The rest of the delimiter line: transport padding only.
                guard line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { throw Self.malformed("a boundary line is not well-formed") }
                continue
            }
            if line.isEmpty { return head }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
                throw Self.malformed("a part header is not well-formed")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "content-disposition" { (head.name, head.filename) = MultipartForm.disposition(value) }
        }
    }

    /// The next line, without its CRLF.
    private func nextLine() async throws -> [UInt8] {
        let lineEnd: [UInt8] = [0x0D, 0x0A]
        while true {
            if let end = find(lineEnd, from: index) {
                defer { index = end + 2 }
                return Array(buffer[index..<end])
            }
            guard buffer.count - index <= Self.maxHeaderBytes else {
                throw Self.malformed("a part's headers are longer than \(Self.maxHeaderBytes) bytes")
            }
            guard try await fill() else { throw Self.malformed("the form ends inside a part's headers") }
        }
    }

    /// Reads what follows the close delimiter (a line end, an epilogue) so the connection stays usable.
    private func drainEpilogue() async throws {
        index = buffer.count
        while try await fill() { index = buffer.count }
    }

    // MARK: input

    /// Whether `count` bytes are there to look at, reading more as needed.
    private func available(_ count: Int) async throws -> Bool {
        while buffer.count - index < count {
            guard try await fill() else { return false }
        }
        return true
    }

    /// Appends the next piece of the body; false once it has ended.
    private func fill() async throws -> Bool {
        guard !bodyEnded else { return false }
        // Taken out for the await (an actor's stored iterator cannot be advanced in place); one
        // consumer walks the form, so no other call reads the body meanwhile.
        var iterator = body
        let next: ByteBuffer?
        do {
            next = try await iterator.next(isolation: self)
        } catch {
            throw ServerError.bodyCutShort(error)
        }
        body = iterator
        guard let piece = next else {
            bodyEnded = true
            return false
        }
        received += piece.readableBytes
        guard received <= limit else { throw ServerError(.bodyTooLarge, "the form exceeds \(limit) bytes") }
        // What was consumed goes, so the buffer holds about one piece.
        if index > 0 {
            buffer.removeFirst(index)
            index = 0
        }
        buffer.append(contentsOf: piece.readableBytesView)
        return true
    }

    /// Where `needle` next starts in the buffer, from `start` on.
    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, buffer.count - start >= needle.count else { return nil }
        return buffer.withUnsafeBufferPointer { haystack -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                guard let base = haystack.baseAddress, let patternBase = pattern.baseAddress else { return nil }
                var position = start
                let last = haystack.count - pattern.count
                while position <= last {
                    // memchr finds candidates at C speed; a form's content rarely holds the first byte (CR).
                    guard let hit = memchr(base + position, Int32(first), last - position + 1) else { return nil }
                    let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + offset, patternBase, pattern.count) == 0 { return offset }
                    position = offset + 1
                }
                return nil
            }
        }
    }

    static func malformed(_ reason: String) -> ServerError {
        ServerError(.invalidInput, "malformed multipart body: \(reason)")
    }
}

/// One part's content, read from its ``MultipartReader`` as it is consumed.
package struct MultipartPartContent<Body: AsyncSequence & Sendable>: AsyncSequence, Sendable where Body.Element == ByteBuffer {
    package typealias Element = [UInt8]
    let reader: MultipartReader<Body>

    package struct AsyncIterator: AsyncIteratorProtocol {
        let reader: MultipartReader<Body>
        package mutating func next() async throws -> [UInt8]? { try await reader.nextChunk() }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
}

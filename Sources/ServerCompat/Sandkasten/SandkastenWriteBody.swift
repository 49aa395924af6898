import Foundation
import NIOCore
import ServerCore

/// Reads the JSON body of Sandkasten's `fs/write`, `{"path":"…","text":"…"}` or
/// `{"path":"…","content_base64":"…"}`, while it arrives, so the content goes on to the sandbox
/// chunk by chunk (decoded from JSON escapes, and from base64) instead of being held whole.
///
/// ``nextField()`` walks the object's members in order; after ``Field/text`` or
/// ``Field/base64`` the content follows through ``content``. Other members are skipped, `null`
/// is the same as a missing member. Failures are ``ServerError`` `INVALID_REQUEST`, so they keep
/// their meaning when they surface from inside a sandbox write.
actor SandkastenWriteBody<Body: AsyncSequence & Sendable> where Body.Element == ByteBuffer {
    enum Field: Equatable {
        case path(String)
        /// The content of `text` follows, as UTF-8.
        case text
        /// The content of `content_base64` follows, decoded.
        case base64
    }

    private var body: Body.AsyncIterator
    private let limit: Int
    private var received = 0
    private var buffer: [UInt8] = []
    private var index = 0
    private var state = State.start

    private enum State {
        case start
        /// Between members: a comma or the closing brace comes next.
        case afterMember
        /// Inside the string of a content member.
        case content(base64: Bool)
        case ended
    }

    /// Base64 characters waiting for a whole group of four.
    private var base64Carry: [UInt8] = []
    private var base64Padded = false

    /// Members shorter than this are read whole (keys, `path`).
    static var maxShortString: Int { 64 * 1024 }

    init(body: Body, limit: Int) {
        self.body = body.makeAsyncIterator()
        self.limit = limit
    }

    /// The next member the route cares about; nil after the object's closing brace (the body
    /// must end there).
    func nextField() async throws -> Field? {
        while true {
            switch state {
            case .ended:
                return nil
            case .content:
                while try await nextChunk() != nil {}
            case .start:
                try await expect(UInt8(ascii: "{"))
                if try await peekSkippingSpace() == UInt8(ascii: "}") {
                    index += 1
                    try await end()
                    return nil
                }
                if let field = try await member() { return field }
            case .afterMember:
                switch try await nextSkippingSpace() {
                case UInt8(ascii: ","):
                    if let field = try await member() { return field }
                case UInt8(ascii: "}"):
                    try await end()
                    return nil
                default:
                    throw Self.invalid("expected , or } between members")
                }
            }
        }
    }

    /// The content member's value as decoded chunks, for a sandbox write.
    nonisolated var content: SandkastenWriteContent<Body> { SandkastenWriteContent(body: self) }

    /// The next piece of the content member's value; nil at its closing quote.
    func nextChunk() async throws -> [UInt8]? {
        guard case .content(let base64) = state else { return nil }
        var out: [UInt8] = []
        while out.isEmpty {
            if index == buffer.count, try await !fill() { throw Self.invalid("the body ends inside a string") }
            // Copy the run up to the next quote, escape or control character in one go.
            let stop = buffer[index...].firstIndex { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 } ?? buffer.count
            var decoded = Array(buffer[index..<stop])
            index = stop
            if index < buffer.count {
                let byte = buffer[index]
                index += 1
                if byte == UInt8(ascii: "\\") {
                    decoded += try await escape()
                } else if byte == UInt8(ascii: "\"") {
                    state = .afterMember
                    out += base64 ? try decodeBase64(decoded, final: true) : decoded
                    return out.isEmpty ? nil : out
                } else {
                    throw Self.invalid("a control character inside a string")
                }
            }
            out += base64 ? try decodeBase64(decoded, final: false) : decoded
        }
        return out
    }

    // MARK: members

    /// Reads a member's key and, unless the route wants its value, skips the value.
    private func member() async throws -> Field? {
        guard try await nextSkippingSpace() == UInt8(ascii: "\"") else { throw Self.invalid("expected a member name") }
        let key = String(decoding: try await shortString(), as: UTF8.self)
        guard try await nextSkippingSpace() == UInt8(ascii: ":") else { throw Self.invalid("expected : after \"\(key)\"") }
        state = .afterMember
        let first = try await peekSkippingSpace()
        switch key {
        case "path":
            guard first == UInt8(ascii: "\"") else { throw Self.invalid("path must be a string") }
            index += 1
            return .path(String(decoding: try await shortString(), as: UTF8.self))
        case "text", "content_base64":
            if first == UInt8(ascii: "n") {
                try await literal("null")
                return nil
            }
            guard first == UInt8(ascii: "\"") else { throw Self.invalid("\(key) must be a string") }
            index += 1
            state = .content(base64: key == "content_base64")
            base64Carry = []
            base64Padded = false
            return key == "text" ? .text : .base64
        default:
            try await skipValue()
            return nil
        }
    }

    /// The object is over: only white space may follow.
    private func end() async throws {
        state = .ended
        if try await peekSkippingSpace() != nil { throw Self.invalid("unexpected data after the JSON object") }
    }

    // MARK: values

    /// A whole string (after its opening quote), decoded, refusing overly long ones.
    private func shortString() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let byte = try await nextByte()
            switch byte {
            case UInt8(ascii: "\""): return bytes
            case UInt8(ascii: "\\"): bytes += try await escape()
            case ..<0x20: throw Self.invalid("a control character inside a string")
            default: bytes.append(byte)
            }
            guard bytes.count <= Self.maxShortString else { throw Self.invalid("a name or path is longer than \(Self.maxShortString) bytes") }
        }
    }

    /// One escape (after its backslash) as UTF-8.
    private func escape() async throws -> [UInt8] {
        let byte = try await nextByte()
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return [byte]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "u"):
            var scalar = try await hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard try await nextByte() == UInt8(ascii: "\\"), try await nextByte() == UInt8(ascii: "u") else {
                    throw Self.invalid("a lone surrogate in a \\u escape")
                }
                let low = try await hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw Self.invalid("a lone surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw Self.invalid("a lone surrogate in a \\u escape")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Self.invalid("an invalid \\u escape") }
            return Array(String(Character(unicode)).utf8)
        default:
            throw Self.invalid("an invalid escape in a string")
        }
    }

    private func hex4() async throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(try await nextByte())).hexDigitValue else {
                throw Self.invalid("an invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Skips any JSON value (members the route does not use).
    private func skipValue() async throws {
        var depth = 0
        repeat {
            let byte = try await nextSkippingSpace()
            switch byte {
            case UInt8(ascii: "\""): _ = try await skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                guard depth >= 0 else { throw Self.invalid("unbalanced brackets") }
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard depth > 0 else { throw Self.invalid("expected a value") }
            case nil:
                throw Self.invalid("the body ends inside a value")
            default:
                // A number or literal: its characters up to the next delimiter.
                while let next = try await peek(), !Self.isDelimiter(next) { index += 1 }
            }
        } while depth > 0
    }

    private func skipString() async throws {
        while true {
            let byte = try await nextByte()
            if byte == UInt8(ascii: "\"") { return }
            if byte == UInt8(ascii: "\\") { _ = try await escape() }
        }
    }

    private func literal(_ word: String) async throws {
        for expected in word.utf8 {
            guard try await nextByte() == expected else { throw Self.invalid("expected \(word)") }
        }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), 0x09, 0x0A, 0x0D].contains(byte)
    }

    // MARK: base64

    /// Decodes whole groups of four as they come; the padding may only close the content.
    private func decodeBase64(_ characters: [UInt8], final: Bool) throws -> [UInt8] {
        guard !characters.isEmpty || final else { return [] }
        if base64Padded && !characters.isEmpty { throw Self.invalid("content_base64 is not valid base64") }
        base64Carry += characters
        let whole = final ? base64Carry.count : base64Carry.count - base64Carry.count % 4
        guard whole > 0 else { return [] }
        guard whole % 4 == 0, let data = Data(base64Encoded: Data(base64Carry[..<whole])) else {
            throw Self.invalid("content_base64 is not valid base64")
        }
        if base64Carry[..<whole].last == UInt8(ascii: "=") { base64Padded = true }
        base64Carry.removeFirst(whole)
        return Array(data)
    }

    // MARK: input

    private func fill() async throws -> Bool {
        // Taken out for the await (an actor's stored iterator cannot be advanced in place); one
        // consumer reads the body, so no other call does meanwhile.
        var iterator = body
        let piece: ByteBuffer?
        do {
            piece = try await iterator.next(isolation: self)
        } catch {
            throw ServerError.bodyCutShort(error)
        }
        body = iterator
        guard let next = piece else { return false }
        received += next.readableBytes
        guard received <= limit else {
            throw ServerError(.sandkastenInvalidRequest, "JSON bodies are limited to \(limit) bytes (max_bytes)")
        }
        buffer = Array(next.readableBytesView)
        index = 0
        return true
    }

    private func peek() async throws -> UInt8? {
        while index == buffer.count {
            guard try await fill() else { return nil }
        }
        return buffer[index]
    }

    private func nextByte() async throws -> UInt8 {
        guard let byte = try await peek() else { throw Self.invalid("the body ends too early") }
        index += 1
        return byte
    }

    private func peekSkippingSpace() async throws -> UInt8? {
        while let byte = try await peek() {
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return byte }
            index += 1
        }
        return nil
    }

    private func nextSkippingSpace() async throws -> UInt8? {
        let byte = try await peekSkippingSpace()
        if byte != nil { index += 1 }
        return byte
    }

    private func expect(_ byte: UInt8) async throws {
        guard try await nextSkippingSpace() == byte else { throw Self.invalid("the body is not a JSON object") }
    }

    static func invalid(_ reason: String) -> ServerError {
        ServerError(.sandkastenInvalidRequest, "invalid JSON body: \(reason)")
    }
}

/// The content of an `fs/write` body, read as it is consumed.
struct SandkastenWriteContent<Body: AsyncSequence & Sendable>: AsyncSequence, Sendable where Body.Element == ByteBuffer {
    typealias Element = [UInt8]
    let body: SandkastenWriteBody<Body>

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: SandkastenWriteBody<Body>
        mutating func next() async throws -> [UInt8]? { try await body.nextChunk() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: body) }
}

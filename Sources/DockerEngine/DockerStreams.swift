import Foundation
import HTTPTransport

/// Splits a byte stream into lines at `\n` (a trailing `\r` is dropped), for the engine's
/// newline-delimited JSON streams (events, build and import progress).
struct LineSplitter: Sendable {
    private var pending: [UInt8] = []

    /// Appends bytes and returns every complete line (without its terminator).
    mutating func feed(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            var line: ArraySlice<UInt8>
            if pending.isEmpty {
                line = bytes[start..<index]
            } else {
                pending.append(contentsOf: bytes[start..<index])
                line = pending[...]
                pending = []
            }
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(line)
            start = index + 1
        }
        pending.append(contentsOf: bytes[start...])
        return lines
    }

    /// Whatever followed the last newline (a final line without terminator).
    mutating func flush() -> ArraySlice<UInt8>? {
        guard !pending.isEmpty else { return nil }
        defer { pending = [] }
        return pending[...]
    }
}

/// Newline-delimited JSON objects from the engine, decoded one by one as they arrive.
/// Errors are ``DockerError``s. Dropping the sequence (or cancelling its task) ends the request.
public struct DockerJSONStream<Element: Decodable & Sendable>: AsyncSequence, Sendable {
    let body: AsyncThrowingStream<[UInt8], any Error>
    let host: DockerHost

    init(body: AsyncThrowingStream<[UInt8], any Error>, host: DockerHost) {
        self.body = body
        self.host = host
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var body: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        var splitter = LineSplitter()
        var ready: [Element] = []
        var finished = false
        let host: DockerHost
        let decoder = JSONDecoder()

        public mutating func next() async throws -> Element? {
            while ready.isEmpty {
                if finished { return nil }
                let chunk: [UInt8]?
                do {
                    chunk = try await body.next()
                } catch let error as HTTPTransportError {
                    throw DockerError.fromTransport(error, host: host)
                }
                if let chunk {
                    for line in splitter.feed(chunk) { try decodeLine(line) }
                } else {
                    finished = true
                    if let last = splitter.flush() { try decodeLine(last) }
                }
            }
            return ready.removeFirst()
        }

        private mutating func decodeLine(_ line: ArraySlice<UInt8>) throws {
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
            do {
                ready.append(try decoder.decode(Element.self, from: Data(line)))
            } catch {
                throw DockerError(
                    .invalidResponse, "cannot decode a streamed engine message: \(error) — line: \(String(decoding: line.prefix(300), as: UTF8.self))",
                    cause: error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body.makeAsyncIterator(), host: host)
    }
}

/// A raw byte stream from the engine (e.g. a tar archive), with errors as ``DockerError``.
public struct DockerByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let body: AsyncThrowingStream<[UInt8], any Error>
    let host: DockerHost

    public struct AsyncIterator: AsyncIteratorProtocol {
        var body: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        let host: DockerHost

        public mutating func next() async throws -> [UInt8]? {
            do {
                return try await body.next()
            } catch let error as HTTPTransportError {
                throw DockerError.fromTransport(error, host: host)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body.makeAsyncIterator(), host: host)
    }
}

/// One line of the engine's JSON progress streams (build, import, load).
public struct ProgressMessage: Decodable, Sendable, Hashable {
    /// Build output text (usually newline-terminated).
    public var stream: String?
    public var status: String?
    public var id: String?
    public var progress: String?
    public var error: String?
    public var errorDetail: ErrorDetail?
    /// The image id reported by a build (`aux.ID`).
    public var auxID: String?

    public struct ErrorDetail: Decodable, Sendable, Hashable {
        public var code: Int?
        public var message: String?
    }

    private struct Aux: Decodable { var ID: String? }

    enum CodingKeys: String, CodingKey { case stream, status, id, progress, error, errorDetail, aux }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stream = try container.decodeIfPresent(String.self, forKey: .stream)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        // `progress` is text in most messages; tolerate other shapes rather than fail the stream.
        progress = try? container.decodeIfPresent(String.self, forKey: .progress)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        errorDetail = try? container.decodeIfPresent(ErrorDetail.self, forKey: .errorDetail)
        // `aux` has a different shape per endpoint; only the build's `{"ID": …}` matters here.
        auxID = (try? container.decodeIfPresent(Aux.self, forKey: .aux))??.ID
    }

    /// The error text, preferring `errorDetail.message`.
    public var errorMessage: String? { errorDetail?.message ?? error }
}

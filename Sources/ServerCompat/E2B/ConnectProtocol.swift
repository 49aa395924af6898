import Foundation
import Guardrails
import Hummingbird
import NIOCore
import ServerCore

/// The slice of the Connect protocol (connectrpc.com/docs/protocol) that envd speaks to the
/// E2B SDK: JSON codec only, no compression, HTTP/1.1.
///
/// Unary calls are a bare JSON body both ways (`application/json`). Server-streaming calls
/// send one enveloped request and get a stream of envelopes back
/// (`application/connect+json`); the stream always ends with an end-of-stream envelope,
/// which is also where a streaming call reports its error (the HTTP status stays 200).
package enum Connect {
    static let unaryContentType = "application/json"
    static let streamContentType = "application/connect+json"
    /// Envelope flag of a data message.
    static let messageFlag: UInt8 = 0x00
    /// Envelope flag of the end-of-stream message.
    static let endOfStreamFlag: UInt8 = 0x02
    /// Requests are tiny JSON; anything bigger is a client bug or an attack.
    static let maxRequestBytes = 4 << 20

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// One envelope: flags, big-endian length, payload.
    static func envelope(_ payload: [UInt8], flags: UInt8 = messageFlag) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(5 + payload.count)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt32(payload.count), endianness: .big)
        buffer.writeBytes(payload)
        return buffer
    }

    static func envelope(_ message: some Encodable) -> ByteBuffer {
        envelope(Array((try? encoder.encode(message)) ?? Data("{}".utf8)))
    }

    /// The end-of-stream envelope: `{}` on success, else the error.
    static func endOfStream(_ error: ConnectError? = nil) -> ByteBuffer {
        guard let error else { return envelope(Array("{}".utf8), flags: endOfStreamFlag) }
        let body = EndOfStream(error: ErrorBody(code: error.code.rawValue, message: error.message))
        return envelope(Array((try? encoder.encode(body)) ?? Data("{}".utf8)), flags: endOfStreamFlag)
    }

    /// Splits an enveloped request body into its messages, refusing compressed ones (we
    /// never negotiate compression, so a compressed envelope is a protocol violation).
    static func messages(in bytes: [UInt8]) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 5 else { throw ConnectError(.invalidArgument, "truncated envelope header") }
            let flags = bytes[index]
            let length = Int(bytes[index + 1]) << 24 | Int(bytes[index + 2]) << 16 | Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
            index += 5
            guard length <= bytes.count - index else { throw ConnectError(.invalidArgument, "truncated envelope") }
            guard flags & 0x01 == 0 else { throw ConnectError(.internal, "compressed envelopes are not supported") }
            if flags & endOfStreamFlag == 0 { messages.append(Array(bytes[index..<index + length])) }
            index += length
        }
        return messages
    }

    /// Decodes the request message of a call, unary or enveloped, by its content type.
    static func decodeRequest<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let contentType =
            request.headers[.contentType]?.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? unaryContentType
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= maxRequestBytes else {
                throw ConnectError(.resourceExhausted, "the request exceeds \(maxRequestBytes) bytes")
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        let payload: [UInt8]
        switch contentType {
        case unaryContentType:
            payload = bytes
        case streamContentType:
            guard let first = try messages(in: bytes).first else { throw ConnectError(.invalidArgument, "the request has no message") }
            payload = first
        default:
            throw ConnectError(.unimplemented, "only the JSON codec is served (application/json, application/connect+json), not \(contentType)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: payload.isEmpty ? Data("{}".utf8) : Data(payload))
        } catch {
            throw ConnectError(.invalidArgument, "invalid request message: \(ServerError.describe(error))")
        }
    }

    /// A unary success: the message as bare JSON.
    static func unary(_ message: some Encodable) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = unaryContentType
        let data = (try? encoder.encode(message)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A unary failure: the Connect error JSON with the status the protocol assigns its code.
    static func unaryError(_ error: ConnectError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = unaryContentType
        let data = (try? encoder.encode(ErrorBody(code: error.code.rawValue, message: error.message))) ?? Data("{}".utf8)
        return Response(status: error.code.httpStatus, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A server stream: `produce` writes envelopes through `send`; whatever it throws becomes
    /// the error of the end-of-stream message.
    static func stream(_ produce: @escaping @Sendable (_ send: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Void) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = streamContentType
        let body = ResponseBody { writer in
            // The writer is not Sendable, so only this task writes: the producer (and the
            // keepalive ticker inside it) hand envelopes over through a stream.
            let (envelopes, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let producer = Task {
                var failure: ConnectError?
                do {
                    try await produce { buffer in
                        try Task.checkCancellation()
                        continuation.yield(buffer)
                    }
                } catch let error as ConnectError {
                    failure = error
                } catch {
                    failure = ConnectError.from(error)
                }
                continuation.yield(endOfStream(failure))
                continuation.finish()
            }
            do {
                for await envelope in envelopes { try await writer.write(envelope) }
                try await writer.finish(nil)
            } catch {
                // The client went away: stop following (a process keeps running without us).
                producer.cancel()
                throw error
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    struct ErrorBody: Codable {
        var code: String
        var message: String
    }

    struct EndOfStream: Codable {
        var error: ErrorBody
    }
}

/// An error in Connect's vocabulary (the code strings of connectrpc.com/docs/protocol#error-codes).
package struct ConnectError: Error, CustomStringConvertible {
    struct Code: RawRepresentable, Hashable, Sendable {
        var rawValue: String
        init(rawValue: String) { self.rawValue = rawValue }

        static let canceled = Code(rawValue: "canceled")
        static let unknown = Code(rawValue: "unknown")
        static let invalidArgument = Code(rawValue: "invalid_argument")
        static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
        static let notFound = Code(rawValue: "not_found")
        static let alreadyExists = Code(rawValue: "already_exists")
        static let permissionDenied = Code(rawValue: "permission_denied")
        static let resourceExhausted = Code(rawValue: "resource_exhausted")
        static let failedPrecondition = Code(rawValue: "failed_precondition")
        static let unimplemented = Code(rawValue: "unimplemented")
        static let `internal` = Code(rawValue: "internal")
        static let unavailable = Code(rawValue: "unavailable")
        static let unauthenticated = Code(rawValue: "unauthenticated")

        /// The HTTP status a unary error carries (the protocol's table).
        var httpStatus: HTTPResponse.Status {
            switch self {
            case .canceled: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
            case .invalidArgument, .failedPrecondition: .badRequest
            case .deadlineExceeded: .gatewayTimeout
            case .notFound: .notFound
            case .alreadyExists: .conflict
            case .permissionDenied: .forbidden
            case .resourceExhausted: .tooManyRequests
            case .unimplemented: .notImplemented
            case .unavailable: .serviceUnavailable
            case .unauthenticated: .unauthorized
            default: .internalServerError
            }
        }
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = ScrubbingSystem.scrub(message)
    }

    package var description: String { "\(code.rawValue): \(message)" }

    /// Maps the server's errors (sandbox, runner, store) onto Connect codes.
    static func from(_ error: any Error) -> ConnectError {
        if let error = error as? ConnectError { return error }
        // Inside a stream there is no 502 to send: "was not found" is what the SDK looks for.
        if let missing = error as? E2BSandboxMissing { return ConnectError(.unavailable, missing.description) }
        let server = ServerError.from(error)
        let code: Code =
            switch server.code {
            case .invalidInput: .invalidArgument
            case .notFound: .notFound
            case .conflict: .alreadyExists
            case .forbidden: .permissionDenied
            case .noSpace, .atCapacity, .bodyTooLarge: .resourceExhausted
            case .commandTimeout: .deadlineExceeded
            case .gone, .expired, .busy: .unavailable
            case .unauthorized: .unauthenticated
            default: .internal
            }
        return ConnectError(code, server.message)
    }
}

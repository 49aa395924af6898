import Foundation
import Hummingbird
import NIOCore
import ServerCore

// Sandkasten's wire shapes (docs/compat/sandkasten.md §2) and the pieces its routes need that
// the native API does not: its error vocabulary, terminal-text decoding, `/workspace` paths and
// multipart uploads.

// MARK: requests

package struct SandkastenCreateSession: Decodable {
    var image: String?
    var ttlSeconds: Int?
    var workspaceID: String?
    enum CodingKeys: String, CodingKey { case image, ttlSeconds = "ttl_seconds", workspaceID = "workspace_id" }
}

package struct SandkastenExec: Decodable {
    var cmd: String
    var timeoutMS: Int?
    var rawOutput: Bool?
    enum CodingKeys: String, CodingKey { case cmd, timeoutMS = "timeout_ms", rawOutput = "raw_output" }
}

// MARK: responses

/// `SessionInfo`: what the SDK's `Session.info()` and `list_sessions()` read.
package struct SandkastenSessionInfo: Encodable {
    var id: String
    var image: String
    var status: String
    var cwd: String
    var workspaceID: String?
    var createdAt: String
    var expiresAt: String
    /// `pool` or `cold`; only known on the create response.
    var acquireSource: String?

    enum CodingKeys: String, CodingKey {
        case id, image, status, cwd, workspaceID = "workspace_id", createdAt = "created_at", expiresAt = "expires_at"
        case acquireSource = "acquire_source"
    }

    init(_ view: SandboxView, cwd: String, acquireSource: String? = nil) {
        id = view.id
        image = view.image
        status = Self.status(view.status)
        self.cwd = cwd
        workspaceID = view.workspace
        createdAt = view.createdAt
        expiresAt = view.expiresAt ?? view.createdAt
        self.acquireSource = acquireSource
    }

    /// Sandkasten knows `running | destroyed | expired | crashed`; a sandbox whose container died
    /// or was lost over a restart is what it calls crashed.
    static func status(_ native: String) -> String {
        switch native {
        case "running", "creating": "running"
        case "deleted": "destroyed"
        case "expired": "expired"
        default: "crashed"
        }
    }
}

package struct SandkastenExecResult: Encodable {
    var exitCode: Int32
    var cwd: String
    var output: String
    var truncated: Bool
    var durationMS: Int
    enum CodingKeys: String, CodingKey {
        case exitCode = "exit_code", cwd, output, truncated, durationMS = "duration_ms"
    }
}

package struct SandkastenDone: Encodable {
    var exitCode: Int32
    var cwd: String
    var durationMS: Int
    enum CodingKeys: String, CodingKey { case exitCode = "exit_code", cwd, durationMS = "duration_ms" }
}

package struct SandkastenChunk: Encodable {
    var chunk: String
    /// Unix milliseconds when the server read the chunk.
    var timestamp: Int64
}

package struct SandkastenUploadResult: Encodable {
    var ok = true
    var paths: [String]
}

package struct SandkastenStats: Encodable {
    var memoryBytes: UInt64
    var memoryLimit: UInt64
    var cpuUsageUsec: UInt64
    enum CodingKeys: String, CodingKey { case memoryBytes = "memory_bytes", memoryLimit = "memory_limit", cpuUsageUsec = "cpu_usage_usec" }
}

package struct SandkastenDirectoryEntry: Encodable {
    var name: String
    var isDir: Bool
    enum CodingKeys: String, CodingKey { case name, isDir = "is_dir" }
}

package struct SandkastenDirectoryList: Encodable {
    var entries: [SandkastenDirectoryEntry]
}

// MARK: errors

/// Which Sandkasten route family a path belongs to; their errors are worded for it.
package enum SandkastenFamily {
    /// `/v1/sessions…`: Sandkasten only; its envelope alone.
    case sessions
    /// `/v1/workspaces…`: shared with the native API, so the envelope carries both shapes.
    case workspaces

    init?(path: String) {
        if path == "/v1/sessions" || path.hasPrefix("/v1/sessions/") {
            self = .sessions
        } else if path == "/v1/workspaces" || path.hasPrefix("/v1/workspaces/") {
            self = .workspaces
        } else {
            return nil
        }
    }

    /// The Sandkasten code for an error raised on this family's routes.
    func code(for error: ServerError) -> ServerError.Code {
        let code = error.code
        if code.isSandkasten { return code }
        switch code {
        // Sandkasten answers an oversized body with 400 too (its details name max_bytes).
        case .invalidInput, .bodyTooLarge: return .sandkastenInvalidRequest
        case .notFound: return self == .sessions ? .sandkastenSessionNotFound : .sandkastenWorkspaceNotFound
        case .gone: return .sandkastenSessionNotRunning
        case .expired: return .sandkastenSessionExpired
        case .commandTimeout: return .sandkastenCommandTimeout
        case .imageNotFound: return .sandkastenInvalidImage
        case .conflict: return self == .workspaces ? .sandkastenWorkspaceInUse : code.sandkastenSpelling
        case .internal: return .sandkastenInternalError
        // unauthorized, permission_denied, at_capacity, engine_unavailable, no_space, route_not_found,
        // method_not_allowed: the native meaning and status, Sandkasten's spelling.
        default: return code.sandkastenSpelling
        }
    }
}

/// Writes errors on Sandkasten's routes as `{"error_code","message"}` (on the shared
/// `/v1/workspaces` routes also with the native `{"error":{"code","message"}}`), before the
/// native ``ErrorMiddleware`` would. It sits outside ``AuthMiddleware`` so a bad key is
/// `401 UNAUTHORIZED` in Sandkasten's words too.
package struct SandkastenErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    package init(metrics: ServerMetrics) { self.metrics = metrics }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let family = SandkastenFamily(path: request.uri.path) else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch {
            let native = ServerError.from(error)
            let code = family.code(for: native)
            metrics.recordError(code)
            // A command timeout is the caller's command, a busy server a moment's overload: no faults.
            if code.status.code >= 500 && code != .sandkastenCommandTimeout && native.code != .busy {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(code) \(native.message)")
            }
            return Self.response(family: family, native: native, code: code)
        }
    }

    static func response(family: SandkastenFamily, native: ServerError, code: ServerError.Code) -> Response {
        var body: [String: SandkastenJSON] = ["error_code": .string(code.description), "message": .string(native.message)]
        if family == .workspaces {
            let nativeCode = native.code.nativeSpelling.description
            body["error"] = .object(["code": .string(nativeCode), "message": .string(native.message)])
        }
        let data = (try? HTTP.encoder.encode(body)) ?? Data(#"{"error_code":"INTERNAL_ERROR","message":"?"}"#.utf8)
        var headers = native.headers
        headers[.contentType] = "application/json; charset=utf-8"
        native.addRetryAfter(to: &headers)
        return Response(status: code.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Just enough JSON to write the envelope (strings and nested objects).
package enum SandkastenJSON: Encodable {
    case string(String)
    case object([String: SandkastenJSON])
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .object(let object): try container.encode(object)
        }
    }
}

// MARK: terminal text

/// Turns terminal output into the JSON strings Sandkasten sends, chunk by chunk: a UTF-8
/// sequence or escape sequence split across two chunks is held back until it is whole (so a
/// stream's chunks concatenate to exactly what `exec` returns), and with `stripEscapes` ANSI
/// CSI, OSC and two-byte escape sequences are removed as Sandkasten does without `raw_output`.
package struct TerminalText {
    let stripEscapes: Bool
    private var pending: [UInt8] = []
    /// An unterminated escape longer than this is not an escape; let it through rather than stall.
    static let maxEscapeBytes = 4096

    init(stripEscapes: Bool) {
        self.stripEscapes = stripEscapes
    }

    /// The text of `bytes` that is complete so far.
    mutating func feed(_ bytes: [UInt8]) -> String {
        var input = pending
        input.append(contentsOf: bytes)
        pending = []
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            guard stripEscapes, byte == 0x1B else {
                output.append(byte)
                index += 1
                continue
            }
            switch Self.escapeEnd(input, from: index) {
            case .complete(let end):
                index = end
            case .incomplete where input.count - index <= Self.maxEscapeBytes:
                // Whatever came before the escape is complete text; the escape waits for its end.
                pending = Array(input[index...])
                return String(decoding: output, as: UTF8.self)
            case .incomplete, .none:
                output.append(byte)
                index += 1
            }
        }
        let split = Self.incompleteUTF8Start(output)
        pending = Array(output[split...])
        return String(decoding: output[..<split], as: UTF8.self)
    }

    /// Whatever is still held back (an unfinished sequence at the very end), with U+FFFD for broken bytes.
    mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    enum EscapeEnd: Equatable {
        case complete(Int)
        case incomplete
    }

    /// Where the escape sequence starting at `start` (an ESC) ends; nil if it is none we strip.
    static func escapeEnd(_ bytes: [UInt8], from start: Int) -> EscapeEnd? {
        let next = start + 1
        guard next < bytes.count else { return .incomplete }
        switch bytes[next] {
        case UInt8(ascii: "["):
            // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E.
            var index = next + 1
            while index < bytes.count, (0x30...0x3F).contains(bytes[index]) { index += 1 }
            while index < bytes.count, (0x20...0x2F).contains(bytes[index]) { index += 1 }
            guard index < bytes.count else { return .incomplete }
            return (0x40...0x7E).contains(bytes[index]) ? .complete(index + 1) : nil
        case UInt8(ascii: "]"):
            // OSC: ends with BEL or ST (ESC \).
            var index = next + 1
            while index < bytes.count {
                if bytes[index] == 0x07 { return .complete(index + 1) }
                if bytes[index] == 0x1B {
                    guard index + 1 < bytes.count else { return .incomplete }
                    return bytes[index + 1] == UInt8(ascii: "\\") ? .complete(index + 2) : nil
                }
                index += 1
            }
            return .incomplete
        case 0x20...0x2F:
            // nF (e.g. ESC ( B): intermediates, then a final byte 0x30-0x7E.
            var index = next
            while index < bytes.count, (0x20...0x2F).contains(bytes[index]) { index += 1 }
            guard index < bytes.count else { return .incomplete }
            return (0x30...0x7E).contains(bytes[index]) ? .complete(index + 1) : nil
        case 0x40...0x5F, UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "7"), UInt8(ascii: "8"):
            return .complete(next + 1)
        default:
            return nil
        }
    }

    /// The index where a trailing, not yet complete UTF-8 sequence starts (`bytes.count` if none).
    static func incompleteUTF8Start(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        var continuation = 0
        while index >= 0, continuation < 3, bytes[index] & 0xC0 == 0x80 {
            continuation += 1
            index -= 1
        }
        guard index >= 0 else { return bytes.count }
        let lead = bytes[index]
        let length =
            switch lead {
            case 0xC0...0xDF: 2
            case 0xE0...0xEF: 3
            case 0xF0...0xF7: 4
            default: 1
            }
        return length > continuation + 1 ? index : bytes.count
    }
}

// MARK: paths

package enum SandkastenPath {
    /// A path as Sandkasten allows it: relative ones are under `/workspace`, `.`/`..` resolved,
    /// and the result must stay inside `/workspace` (itself only when `allowRoot`).
    static func resolve(_ path: String, allowRoot: Bool = false) throws -> String {
        guard !path.isEmpty, !path.contains("\0") else {
            throw ServerError(.sandkastenInvalidRequest, "path is required")
        }
        let absolute = path.hasPrefix("/") ? path : "/workspace/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { throw outside(path) }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        guard parts.first == "workspace", allowRoot || parts.count > 1 else { throw outside(path) }
        return "/" + parts.joined(separator: "/")
    }

    static func outside(_ path: String) -> ServerError {
        ServerError(.sandkastenInvalidRequest, "path '\(path)' must be inside /workspace (relative paths are resolved against it)")
    }
}

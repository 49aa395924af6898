import Foundation
import HTTPTransport
import JSONValues

/// What error messages may name about one endpoint, and what they must never show.
struct ProviderContext: Sendable {
    /// The provider's name (``ProviderEndpoint/name``).
    var name: String
    /// The variable that fixes a rejected credential (``ProviderEndpoint/credentialVariable``).
    var credentialVariable: String
    /// Every credential of the endpoint, removed from any text a server sent before it reaches a message.
    var secrets: [SecretValue]

    init(_ endpoint: ProviderEndpoint) {
        name = endpoint.name
        credentialVariable = endpoint.credentialVariable
        secrets = [endpoint.apiKey, endpoint.authToken].compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// `text` without any credential of this endpoint: a server that echoes the key it was sent
    /// (some gateways quote the whole `Authorization` header back) must not put it in our errors.
    func redact(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret.reveal()) {
            out = out.replacingOccurrences(of: secret.reveal(), with: "[redacted]")
        }
        return out
    }

    func error(
        _ code: ModelProviderError.Code, status: Int? = nil, retryAfter: Duration? = nil, type: String? = nil,
        _ message: String
    ) -> ModelProviderError {
        ModelProviderError(
            code, provider: name, status: status, retryAfter: retryAfter, providerErrorType: type.map(redact),
            message: redact(message))
    }
}

/// Turns what went wrong on the wire into ``ModelProviderError``s: statuses, error bodies of
/// both APIs, `retry-after`, mid-stream errors, garbage, transport failures.
enum ProviderFailures {
    /// The error a non-2xx answer stands for.
    static func httpError(
        status: Int, headers: HTTPHeaders, body: [UInt8], context: ProviderContext, now: Date = Date()
    ) -> ModelProviderError {
        let detail = errorDetail(body)
        let retryAfter = retryAfter(headers, now: now)
        // Redacted before clipping: a cut through a credential would leave half of it unmatched.
        let said =
            detail.message.map { ": \(clip(context.redact($0), 500))" }
            ?? (body.isEmpty ? "" : ": \(excerpt(body, context: context))")
        let code = code(forStatus: status, detail: detail)
        let message: String
        switch code {
        case .authentication:
            message = "the provider rejected the credential\(said). Set \(context.credentialVariable) to a valid key"
        case .permissionDenied:
            message = "the credential may not use this model or endpoint\(said). Check \(context.credentialVariable)"
        case .rateLimited:
            message = "rate limited\(said)"
        case .overloaded:
            message = "the provider is overloaded\(said)"
        case .serverError:
            message = "the provider failed\(said)"
        case .contextWindowExceeded:
            message = "the conversation no longer fits the model's context window\(said)"
        default:
            if (300..<400).contains(status) {
                let location = headers["location"].map { " to \(clip(context.redact($0), 200))" } ?? ""
                message = "the provider redirected the request\(location); check the base URL"
            } else {
                message = "the provider refused the request\(said)"
            }
        }
        return context.error(code, status: status, retryAfter: retryAfter, type: detail.type ?? detail.code, message)
    }

    static func code(forStatus status: Int, detail: ErrorDetail) -> ModelProviderError.Code {
        if detail.mentionsContextWindow && (status == 400 || status == 413 || status == 422) {
            return .contextWindowExceeded
        }
        switch status {
        case 401: return .authentication
        case 403: return .permissionDenied
        case 429: return .rateLimited
        case 529: return .overloaded
        case 500..<600: return detail.type == "overloaded_error" ? .overloaded : .serverError
        // A timeout or a conflict on the provider's side: the official SDKs retry both.
        case 408, 409: return .serverError
        default: return .invalidRequest
        }
    }

    /// An error reported inside a 200 stream: Anthropic's `event: error` or an OpenAI-style
    /// `{"error": {…}}` chunk. The type names the kind; OpenRouter puts an HTTP status in `code`.
    static func streamError(_ json: JSONValue, context: ProviderContext, inStream: Bool = true) -> ModelProviderError {
        let detail = errorDetail(json)
        let kinds = [detail.type, detail.code].compactMap { $0?.lowercased() }
        func mentions(_ words: String...) -> Bool { kinds.contains { kind in words.contains { kind.contains($0) } } }
        let code: ModelProviderError.Code
        if let status = detail.numericCode, (400..<600).contains(status) {
            code = self.code(forStatus: status, detail: detail)
        } else if detail.mentionsContextWindow {
            code = .contextWindowExceeded
        } else if mentions("overloaded") {
            code = .overloaded
        } else if mentions("rate_limit", "rate-limit", "too_many_requests") {
            code = .rateLimited
        } else if mentions("authentication", "invalid_api_key") {
            code = .authentication
        } else if mentions("permission", "billing", "insufficient_quota") {
            code = .permissionDenied
        } else if mentions("invalid_request", "not_found", "request_too_large") {
            code = .invalidRequest
        } else {
            code = .serverError
        }
        let said = detail.message.map { ": \(clip(context.redact($0), 500))" } ?? ""
        return context.error(code, type: detail.type ?? detail.code, "\(inStream ? "the stream" : "the answer") reported an error\(said)")
    }

    /// What an error body says, from either API's shape: Anthropic's
    /// `{"type":"error","error":{"type","message"}}`, OpenAI's `{"error":{"message","type","code"}}`,
    /// and the looser `{"error":"text"}`, `{"message":…}`, `{"detail":…}` of other servers.
    struct ErrorDetail {
        var type: String?
        var code: String?
        var numericCode: Int?
        var message: String?

        var mentionsContextWindow: Bool {
            let text = [type, code, message].compactMap { $0?.lowercased() }.joined(separator: " ")
            return ["prompt is too long", "context_length_exceeded", "maximum context length", "context window", "context length"]
                .contains { text.contains($0) }
        }
    }

    static func errorDetail(_ body: [UInt8]) -> ErrorDetail {
        guard let json = try? JSONValue.wireDecode(body) else { return ErrorDetail() }
        return errorDetail(json)
    }

    static func errorDetail(_ json: JSONValue) -> ErrorDetail {
        var detail = ErrorDetail()
        let error = json[wire: "error"]
        if let error, error.wireObject != nil {
            detail.type = error.wireString("type")
            detail.message = error.wireString("message") ?? error[wire: "message"]?.jsonText
            if let code = error[wire: "code"] {
                detail.code = code.wireString ?? code.wireInt.map(String.init)
                detail.numericCode = code.wireInt ?? code.wireString.flatMap { Int($0) }
            }
        } else if let text = error?.wireString {
            detail.message = text
        } else {
            detail.message = json.wireString("message") ?? json[wire: "detail"].map { $0.wireString ?? $0.jsonText }
        }
        return detail
    }

    /// `retry-after-ms` (milliseconds, fractional), then `retry-after` (seconds or an HTTP date).
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let text = headers["retry-after-ms"], let ms = Double(text.trimmed), ms.isFinite, ms >= 0 {
            return .milliseconds(ms)
        }
        guard let text = headers["retry-after"]?.trimmed, !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 { return .milliseconds(seconds * 1000) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        // IMF-fixdate, then the two obsolete forms RFC 9110 says a recipient must accept.
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                return .milliseconds(max(0, date.timeIntervalSince(now)) * 1000)
            }
        }
        return nil
    }

    /// The first bytes of a body a person can read in a message: credentials removed, control
    /// characters as spaces, long bodies cut.
    static func excerpt(_ body: some Collection<UInt8>, limit: Int = 200, context: ProviderContext) -> String {
        if body.isEmpty { return "(empty body)" }
        // Some slack past the limit, so that a credential straddling the cut is still whole when redacted.
        let text = context.redact(String(decoding: body.prefix(limit + 1024), as: UTF8.self))
        let cleaned = String(
            text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return "\"\(clip(cleaned.trimmed, limit))\""
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// A transport failure as a provider error; cancellation stays a `CancellationError`, so the
    /// caller sees its own cancellation, not a provider fault.
    static func transport(_ error: any Error, context: ProviderContext, during: String) -> any Error {
        if error is CancellationError { return error }
        if let error = error as? HTTPTransportError {
            if error.code == .cancelled { return CancellationError() }
            return context.error(.transport, "\(during): \(error.message)")
        }
        if let error = error as? ModelProviderError { return error }
        return context.error(.transport, "\(during): \(error)")
    }
}

extension String {
    fileprivate var trimmed: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}

import Foundation

/// How a delivery ended.
public enum DeliveryOutcome: String, Sendable, Hashable, Codable {
    /// The receiver answered 2xx.
    case delivered
    /// Every attempt failed (5xx, network errors, timeouts), or the receiver answered 3xx or
    /// 4xx (never retried, redirects never followed), or the body could not be built.
    case failed
    /// The URL failed its check at delivery time (scheme, credentials, an address the policy
    /// refuses, a host that no longer resolves): nothing was sent.
    case refused
    /// The delivering task was cancelled (the server is shutting down); the record says how far it got.
    case cancelled
}

/// One try at sending the body.
public struct DeliveryAttempt: Sendable, Hashable, Codable {
    /// 1 for the first attempt.
    public var number: Int
    /// The address connected to (the last one tried, when several were).
    public var address: String?
    /// The receiver's status, when it answered.
    public var statusCode: Int?
    /// Why there was no answer (`connect_failed`, `timeout`, `tls`, …: HTTPTransport's codes).
    public var errorCode: String?
    /// The failure as a sentence; the URL's query is masked in it.
    public var error: String?
    /// The start of the receiver's answer (at most 4 KiB, UTF-8 repaired), for the record only.
    public var responseExcerpt: String?
    public var startedAt: Date
    public var durationMilliseconds: Int

    public init(
        number: Int, address: String? = nil, statusCode: Int? = nil, errorCode: String? = nil, error: String? = nil,
        responseExcerpt: String? = nil, startedAt: Date, durationMilliseconds: Int
    ) {
        self.number = number
        self.address = address
        self.statusCode = statusCode
        self.errorCode = errorCode
        self.error = error
        self.responseExcerpt = responseExcerpt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case number, address, error
        case statusCode = "status_code"
        case errorCode = "error_code"
        case responseExcerpt = "response_excerpt"
        case startedAt = "started_at"
        case durationMilliseconds = "duration_ms"
    }
}

/// What one delivery did, for the caller to store: where (masked), what, every attempt, the outcome.
/// It holds no secret: the URL's query values are masked and the signature is not kept.
public struct DeliveryRecord: Sendable, Hashable, Codable {
    /// The callback URL with its query values masked (``CallbackURL/masked``); `(invalid)` when it did not parse.
    public var url: String
    public var event: WebhookEvent
    public var runID: String
    public var outcome: DeliveryOutcome
    /// Why it was not delivered, as a sentence; `nil` when delivered.
    public var reason: String?
    public var attempts: [DeliveryAttempt]
    /// The addresses the URL's host resolved to when checked for this delivery.
    public var addresses: [String]
    /// Whether the body carried `X-Sandcastle-Signature`.
    public var signed: Bool
    /// Size of the body sent (after any truncation).
    public var bodyBytes: Int
    public var truncation: WebhookBody.Truncation
    public var startedAt: Date
    public var durationMilliseconds: Int

    public init(
        url: String, event: WebhookEvent, runID: String, outcome: DeliveryOutcome, reason: String? = nil,
        attempts: [DeliveryAttempt] = [], addresses: [String] = [], signed: Bool = false, bodyBytes: Int = 0,
        truncation: WebhookBody.Truncation = .none, startedAt: Date, durationMilliseconds: Int = 0
    ) {
        self.url = url
        self.event = event
        self.runID = runID
        self.outcome = outcome
        self.reason = reason
        self.attempts = attempts
        self.addresses = addresses
        self.signed = signed
        self.bodyBytes = bodyBytes
        self.truncation = truncation
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
    }

    /// The last status the receiver answered, if any.
    public var lastStatusCode: Int? { attempts.last(where: { $0.statusCode != nil })?.statusCode }

    enum CodingKeys: String, CodingKey {
        case url, event, outcome, reason, attempts, addresses, signed, truncation
        case runID = "run_id"
        case bodyBytes = "body_bytes"
        case startedAt = "started_at"
        case durationMilliseconds = "duration_ms"
    }
}

import Foundation
import Guardrails
import JSONValues

/// The body of a webhook, field for field Sandcastle's:
/// `{event, run_id, workflow, status, outputs, total_cost_usd, costs, duration_seconds, error, timestamp}`
/// (`costs` repeats `total_cost_usd`, which Sandcastle keeps for older receivers; `timestamp` is
/// ISO 8601 in UTC with `+00:00`, as Python's `isoformat()` writes it).
public struct WebhookPayload: Sendable, Hashable {
    public var event: WebhookEvent
    public var runID: String
    public var workflow: String
    /// The run's status in the API's lowercase spelling (`completed`, `awaiting_approval`).
    public var status: String
    /// Step id → output for run events; what the event defines otherwise; `nil` sends `null`.
    public var outputs: JSONValue?
    public var totalCostUSD: Double
    public var durationSeconds: Double
    public var error: String?
    public var timestamp: Date

    public init(
        event: WebhookEvent, runID: String, workflow: String, status: String, outputs: JSONValue? = nil,
        totalCostUSD: Double = 0, durationSeconds: Double = 0, error: String? = nil, timestamp: Date = Date()
    ) {
        self.event = event
        self.runID = runID
        self.workflow = workflow
        self.status = status
        self.outputs = outputs
        self.totalCostUSD = totalCostUSD
        self.durationSeconds = durationSeconds
        self.error = error
        self.timestamp = timestamp
    }

    /// Largest body sent (1 MiB), as Sandcastle's.
    public static let maximumBodyBytes = 1_048_576
    /// Characters of the outputs' JSON kept as `outputs_preview` when they are cut (10 kB).
    public static let outputsPreviewCharacters = 10_000

    /// The body as the bytes that go on the wire and are signed, made once.
    ///
    /// Over `limit`, as Sandcastle does: `outputs` becomes `{"outputs_truncated": true,
    /// "outputs_preview": <the outputs' JSON cut to 10 kB, or null>, "_reason": "payload_too_large"}`;
    /// if that is still too big (a huge `error`), the minimal body
    /// `{event, run_id, status, timestamp, outputs: {outputs_truncated, _reason}, error}` goes
    /// instead. Throws ``WebhookError/Code/payloadTooLarge`` only if even that does not fit.
    public func encoded(limit: Int = maximumBodyBytes) throws -> WebhookBody {
        let full = serialize(outputsJSON: outputs.map(\.jsonText) ?? "null")
        if full.utf8.count <= limit { return WebhookBody(event: event, bytes: Array(full.utf8), truncation: .none) }

        let cut = serialize(outputsJSON: "{\"outputs_truncated\":true,\"outputs_preview\":\(previewJSON),\"_reason\":\"payload_too_large\"}")
        if cut.utf8.count <= limit { return WebhookBody(event: event, bytes: Array(cut.utf8), truncation: .outputs) }

        let minimal =
            "{\"event\":\(Self.quoted(event.rawValue)),\"run_id\":\(Self.quoted(runID)),\"status\":\(Self.quoted(status)),"
            + "\"timestamp\":\(Self.quoted(Self.isoTimestamp(timestamp))),"
            + "\"outputs\":{\"outputs_truncated\":true,\"_reason\":\"payload_too_large\"},"
            + "\"error\":\"(truncated - payload exceeded size limit)\"}"
        guard minimal.utf8.count <= limit else {
            throw WebhookError(.payloadTooLarge, "the webhook body for run \(runID.prefix(64)) exceeds \(limit) bytes even without outputs and error")
        }
        return WebhookBody(event: event, bytes: Array(minimal.utf8), truncation: .minimal)
    }

    private func serialize(outputsJSON: String) -> String {
        var out = "{"
        out += "\"event\":\(Self.quoted(event.rawValue)),"
        out += "\"run_id\":\(Self.quoted(runID)),"
        out += "\"workflow\":\(Self.quoted(workflow)),"
        out += "\"status\":\(Self.quoted(status)),"
        out += "\"outputs\":\(outputsJSON),"
        out += "\"total_cost_usd\":\(JSONValue.number(totalCostUSD).jsonText),"
        out += "\"costs\":\(JSONValue.number(totalCostUSD).jsonText),"
        out += "\"duration_seconds\":\(JSONValue.number(durationSeconds).jsonText),"
        out += "\"error\":\(error.map(Self.quoted) ?? "null"),"
        out += "\"timestamp\":\(Self.quoted(Self.isoTimestamp(timestamp)))"
        out += "}"
        // What leaves for a receiver is scrubbed of secrets (issue 15 §2), whatever the caller
        // put in the payload; it is measured against the size limit after scrubbing.
        return ScrubbingSystem.scrubJSON(out)
    }

    /// Sandcastle's preview: the outputs' JSON, cut to 9,985 characters plus `...(truncated)`
    /// when longer than 10,000; `null` for no outputs or empty ones.
    private var previewJSON: String {
        guard let outputs, outputs.isTruthy else { return "null" }
        let text = outputs.jsonText
        let scalars = text.unicodeScalars
        guard scalars.count > Self.outputsPreviewCharacters else { return Self.quoted(text) }
        var preview = String(String.UnicodeScalarView(scalars.prefix(Self.outputsPreviewCharacters - 15)))
        preview += "...(truncated)"
        return Self.quoted(preview)
    }

    private static func quoted(_ text: String) -> String { JSONValue.string(text).jsonText }

    /// `2026-03-01T12:34:56.789012+00:00`, or without the fraction when it is zero (Python's
    /// `datetime.isoformat()` of an aware UTC time).
    static func isoTimestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite, abs(interval) < 1e15 else { return "1970-01-01T00:00:00+00:00" }
        let whole = interval.rounded(.down)
        let micros = min(Int(((interval - whole) * 1_000_000).rounded(.down)), 999_999)
        let seconds = Int(whole)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        text += "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))"
        if micros > 0 { text += "." + pad(micros, 6) }
        return text + "+00:00"
    }
}

/// A webhook body serialized once: these bytes are signed and sent, unchanged.
public struct WebhookBody: Sendable, Hashable {
    /// How much of the payload had to go to fit the size limit.
    public enum Truncation: String, Sendable, Hashable, Codable {
        /// Sent whole.
        case none
        /// `outputs` replaced by a preview.
        case outputs
        /// Only event, run_id, status, timestamp and a placeholder error were sent.
        case minimal
    }

    public let event: WebhookEvent
    public let bytes: [UInt8]
    public let truncation: Truncation

    public init(event: WebhookEvent, bytes: [UInt8], truncation: Truncation = .none) {
        self.event = event
        self.bytes = bytes
        self.truncation = truncation
    }
}

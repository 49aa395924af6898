import Foundation
import HTTPTransport
import Testing

/// What the operations pages' tests add to ``DashboardServer``: keys made through the API (to
/// sign in as a tenant), inline runs submitted as a given key and waited for.
extension DashboardServer {
    /// A key made by the admin through `/api/api-keys`: its plaintext and id.
    func makeKey(name: String, tenant: String?) async throws -> (key: String, id: String) {
        var fields: [String: Any] = ["name": name]
        if let tenant { fields["tenant_id"] = tenant }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        let made = try await api(.post, "/api/api-keys", json: json)
        let data = made.body["data"] as? [String: Any] ?? [:]
        return (try #require(data["key"] as? String, "\(made.status) \(made.body)"), try #require(data["id"] as? String))
    }

    /// Submits the inline workflow `yaml` with `input` as `key`'s caller (so the run is its
    /// tenant's) and waits for the run's turn to end; returns its id.
    func runToEnd(_ yaml: String, input: [String: String] = [:], key: String) async throws -> String {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["workflow": yaml, "input": input] as [String: Any]), as: UTF8.self)
        let submitted = try await api(.post, "/api/workflows/run", json: json, key: key)
        let runID = try #require((submitted.body["data"] as? [String: Any])?["run_id"] as? String, "\(submitted.status) \(submitted.body)")
        _ = await orchestrator.queue.waitForTurnEnd(runID: runID)
        return runID
    }

    /// The `meta.total` of a listing `/api` answered.
    static func total(_ body: [String: Any]) -> Int? { (body["meta"] as? [String: Any])?["total"] as? Int }
}

/// Just enough HTML reading for assertions on our own server-rendered pages (attributes in
/// double quotes, as our templates write them).
enum HTML {
    /// The value of the first input named `name` (inside the element with id `within`, if given).
    static func inputValue(_ html: String, name: String, within: String? = nil) -> String? {
        let scope = within.flatMap { element(html, id: $0) } ?? html
        return firstMatch(scope, #"<input[^>]*name="\#(NSRegularExpression.escapedPattern(for: name))"[^>]*value="([^"]*)""#)
    }

    /// The element with id `id`, from its opening tag to the first close tag of its name (the
    /// elements tests read hold no element of the same name).
    static func element(_ html: String, id: String) -> String? {
        let pattern = #"<([a-z0-9]+)[^>]*\sid="\#(NSRegularExpression.escapedPattern(for: id))"[^>]*>"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: html, range: NSRange(html.startIndex..., in: html)), let open = Range(match.range, in: html),
            let nameRange = Range(match.range(at: 1), in: html)
        else { return nil }
        guard let end = html.range(of: "</\(html[nameRange])>", range: open.upperBound..<html.endIndex) else { return String(html[open]) }
        return String(html[open.lowerBound..<end.upperBound])
    }

    /// The text inside the element with id `id` (tags removed, entities left as written).
    static func text(_ html: String, id: String) -> String? {
        element(html, id: id).map {
            $0.replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The value of attribute `attribute` on the element with id `id`.
    static func attribute(_ html: String, id: String, _ attribute: String) -> String? {
        element(html, id: id).flatMap { firstMatch($0, #"^<[^>]*\s\#(attribute)="([^"]*)""#) }
    }

    /// How many opening tags carry class `name` among their classes.
    static func count(_ html: String, class name: String) -> Int {
        let pattern = #"<[a-z0-9]+[^>]*\sclass="(?:[^"]*\s)?\#(NSRegularExpression.escapedPattern(for: name))(?:\s[^"]*)?""#
        return (try? NSRegularExpression(pattern: pattern))?.numberOfMatches(in: html, range: NSRange(html.startIndex..., in: html)) ?? 0
    }

    /// The first capture group of `pattern` in `text`.
    static func firstMatch(_ text: String, _ pattern: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}

import Foundation
import Synchronization

/// The process's secret scrubber: the built-in formats (always on) plus the exact values of every
/// credential and provider key this process holds.
///
/// Process-wide, like swift-log's `LoggingSystem`, on purpose: every way out of the process — the
/// store, run events, logs, webhook bodies, error messages — must scrub with the same scrubber, and
/// a value registered once (a credential stored over the API) must reach all of them at once. A
/// scrubber passed down constructors would be one forgotten argument away from a leak.
public enum ScrubbingSystem {
    private struct State {
        var scrubber = SecretScrubber()
        /// The exact values registered so far: a credential is registered each time a step is
        /// given it, and the scrubber must not grow with every use.
        var registered: Set<String> = []
    }

    private static let state = Mutex(State())

    /// The scrubber as it is now (a value: later registrations do not change a copy in use).
    public static var scrubber: SecretScrubber { state.withLock { $0.scrubber } }

    /// Adds values to scrub wherever they appear from now on: provider keys at start-up, a
    /// credential when it is stored. Values are never removed: scrubbing a secret that was deleted
    /// costs nothing and keeps it out of anything written later.
    public static func register(exactValues: [String]) {
        state.withLock { state in
            let new = Set(exactValues.filter { !$0.isEmpty }).subtracting(state.registered)
            guard !new.isEmpty else { return }
            state.registered.formUnion(new)
            state.scrubber = state.scrubber.adding(exactValues: new.sorted())
        }
    }

    /// `text` with every secret replaced.
    public static func scrub(_ text: String) -> String {
        scrubber.scrubbed(text)
    }

    /// `text` with every secret replaced, for text that is JSON: the result is JSON too.
    ///
    /// The scrubber works on the JSON text as it is (it recognises secrets inside encoded
    /// strings); when a replacement happened to cut through the encoding (a secret shape spanning
    /// an escape), the value is decoded, its strings scrubbed one by one, and encoded again.
    public static func scrubJSON(_ json: String) -> String {
        let scrubber = scrubber
        let result = scrubber.scrub(json)
        guard result.changed else { return json }
        if isJSON(result.text) || !isJSON(json) { return result.text }
        guard let data = json.data(using: .utf8),
            let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let encoded = try? JSONSerialization.data(
                withJSONObject: scrubStrings(in: value, with: scrubber), options: [.fragmentsAllowed, .withoutEscapingSlashes])
        else { return result.text }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static func isJSON(_ text: String) -> Bool {
        guard let data = text.data(using: .utf8) else { return false }
        return (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
    }

    private static func scrubStrings(in value: Any, with scrubber: SecretScrubber) -> Any {
        switch value {
        case let text as String: scrubber.scrubbed(text)
        case let array as [Any]: array.map { scrubStrings(in: $0, with: scrubber) }
        case let object as [String: Any]: object.mapValues { scrubStrings(in: $0, with: scrubber) }
        default: value
        }
    }
}

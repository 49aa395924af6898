// Throwaway stand-in for the Guardrails contract while g-core is built; deleted at merge.
import Foundation

public struct TextMatch: Sendable, Equatable {
    public var kind: String
    public var range: Range<String.Index>
}

public struct ScrubResult: Sendable {
    public var text: String
    public var findings: [TextMatch]
    public var changed: Bool { !findings.isEmpty }
}

public struct SecretScrubber: Sendable {
    var values: [String] = []
    public init(exactValues: [String] = []) { values = exactValues.filter { $0.count >= 8 } }
    public func adding(exactValues: [String]) -> SecretScrubber { SecretScrubber(exactValues: values + exactValues) }
    public func scrub(_ text: String) -> ScrubResult {
        var out = text
        var found: [TextMatch] = []
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "[REDACTED:credential]")
            found.append(TextMatch(kind: "credential", range: text.startIndex..<text.startIndex))
        }
        return ScrubResult(text: out, findings: found)
    }
    public func scrubbed(_ text: String) -> String { scrub(text).text }
}

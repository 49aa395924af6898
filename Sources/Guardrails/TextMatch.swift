/// One thing found in a text.
public struct TextMatch: Sendable, Equatable {
    /// What was found: a `PIIEntity` raw value ("email"), a secret format id ("aws_access_key"), or "regex".
    public var kind: String
    /// Where, in the text that was searched.
    public var range: Range<String.Index>

    public init(kind: String, range: Range<String.Index>) {
        self.kind = kind
        self.range = range
    }
}

/// What `SecretScrubber.scrub` returns.
public struct ScrubResult: Sendable {
    /// The text with every secret replaced by "[REDACTED:<format id>]" (idempotent: scrubbing
    /// it again changes nothing).
    public var text: String
    /// What was replaced, with ranges in the ORIGINAL text, in order.
    public var findings: [TextMatch]

    public init(text: String, findings: [TextMatch]) {
        self.text = text
        self.findings = findings
    }

    public var changed: Bool { !findings.isEmpty }
}

/// Masks a secret for display: its first 4 and last 4 characters with "…" between ("sk-a…9xQz");
/// "****" when it has fewer than 12 characters (too short to show 8 of them safely).
public func maskedSecret(_ value: String) -> String {
    guard value.count >= 12 else { return "****" }
    return "\(value.prefix(4))…\(value.suffix(4))"
}

import Guardrails
import JSONValues

/// How many PII entities one request had replaced by placeholders, by entity (`email: 2`).
public struct RedactionCounts: Sendable, Hashable, Codable {
    public var byEntity: [String: Int]

    public init(byEntity: [String: Int] = [:]) { self.byEntity = byEntity }

    public var total: Int { byEntity.values.reduce(0, +) }

    mutating func add(_ matches: [TextMatch]) {
        for match in matches { byEntity[match.kind, default: 0] += 1 }
    }
}

extension ModelRequest {
    /// This request with every PII entity `detector` finds replaced by its placeholder
    /// (`[EMAIL]`, …) in what it carries to the provider: the system prompt, the text of every
    /// message, and tool results. Tool calls and thinking blocks are the model's own words sent
    /// back verbatim (Anthropic checks thinking signatures), so they are left as they are.
    public func redactingPII(with detector: PIIDetector) -> (request: ModelRequest, counts: RedactionCounts) {
        var counts = RedactionCounts()
        func redacted(_ text: String) -> String {
            let (clean, matches) = detector.redact(text)
            counts.add(matches)
            return clean
        }
        var request = self
        request.system = system.map(redacted)
        request.messages = messages.map { message in
            var message = message
            message.content = message.content.map { block in
                switch block {
                case .text(let text): return .text(redacted(text))
                case .toolResult(var result):
                    result.content = redacted(result.content)
                    return .toolResult(result)
                case .toolCall, .thinking: return block
                }
            }
            return message
        }
        return (request, counts)
    }
}

/// A provider that redacts PII from every request before it leaves (the privacy router's
/// `prompts` target), for callers outside a run's metered path (Sandstorm's one-shot agent).
/// `onRedacted` hears each call's counts (never the originals).
public struct RedactingProvider: ModelProvider {
    public var name: String { base.name }
    private let base: any ModelProvider
    private let detector: PIIDetector
    private let onRedacted: @Sendable (RedactionCounts) -> Void

    public init(_ base: any ModelProvider, detector: PIIDetector, onRedacted: @escaping @Sendable (RedactionCounts) -> Void = { _ in }) {
        self.base = base
        self.detector = detector
        self.onRedacted = onRedacted
    }

    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let (clean, counts) = request.redactingPII(with: detector)
        onRedacted(counts)
        return try await base.complete(clean)
    }

    public func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let (clean, counts) = request.redactingPII(with: detector)
        onRedacted(counts)
        return try await base.stream(clean)
    }
}

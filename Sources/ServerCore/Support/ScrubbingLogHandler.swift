import Guardrails
import Logging

/// A log handler that scrubs every line of secrets before the handler it wraps writes it
/// (issue 15 §2): the message, the handler's and the line's metadata, and the attached error.
/// Bootstrapped around the text and JSON handlers, so no log line of the process can carry a
/// provider key, a credential or a token a step printed, whoever logged it (our code, Hummingbird).
public struct ScrubbingLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner

    public init(_ inner: Inner) {
        self.inner = inner
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = Self.scrubbed(newValue) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(Self.scrubbed) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: ScrubbingSystem.scrub(event.message.description))
        event.metadata = event.metadata.map(Self.scrubbed)
        if let error = event.error {
            // The error's text is what a handler prints; keep its description, scrubbed.
            event.error = ScrubbedError(description: ScrubbingSystem.scrub(String(describing: error)))
        }
        inner.log(event: event)
    }

    static func scrubbed(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(scrubbed)
    }

    static func scrubbed(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(ScrubbingSystem.scrub(text))
        case .stringConvertible(let convertible): .string(ScrubbingSystem.scrub(convertible.description))
        case .array(let items): .array(items.map(scrubbed))
        case .dictionary(let fields): .dictionary(fields.mapValues(scrubbed))
        }
    }
}

/// An error reduced to its scrubbed text, for a log line.
private struct ScrubbedError: Error, CustomStringConvertible {
    let description: String
}

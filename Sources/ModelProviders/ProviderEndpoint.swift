/// The wire protocol a provider speaks.
public enum ProviderProtocol: String, Sendable, Hashable, Codable {
    /// Anthropic Messages (`POST {base}/v1/messages`).
    case anthropic
    /// OpenAI-compatible Chat Completions (`POST {base}/chat/completions`): OpenAI, OpenRouter,
    /// Ollama, vLLM, llama.cpp's server, LiteLLM, Mistral.
    case openAIChat = "openai"
}

/// A credential that never shows itself: printing, interpolating or dumping it gives
/// `[redacted]`, so it cannot reach a log line, an event or an error message by accident.
/// The value is read only where a request header is made.
public struct SecretValue: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The clear value, for the one place that puts it on the wire.
    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
}

/// Where one provider is and how to authenticate to it.
public struct ProviderEndpoint: Sendable, Hashable {
    /// `anthropic`, `openai`, `openrouter`, `ollama`, or a name from the models file.
    public var name: String
    public var wireProtocol: ProviderProtocol
    /// The base URL as the ecosystem writes it: `https://api.anthropic.com` (no `/v1`) for
    /// Anthropic, `https://api.openai.com/v1` (with `/v1`) for OpenAI-compatible servers.
    public var baseURL: String
    /// Sent as `x-api-key` (Anthropic) or `Authorization: Bearer` (OpenAI-compatible).
    public var apiKey: SecretValue?
    /// Anthropic's `ANTHROPIC_AUTH_TOKEN`: sent as `Authorization: Bearer` (gateways, OpenRouter).
    public var authToken: SecretValue?
    /// The variable a person sets to fix a missing or rejected credential (`ANTHROPIC_API_KEY`),
    /// named in 401/403 errors.
    public var credentialVariable: String
    /// Extra headers on every request (`anthropic-beta`, OpenRouter's `HTTP-Referer`).
    public var extraHeaders: [String: String]
    /// Connect timeout; the whole call is bounded by the caller (the step's timeout).
    public var connectTimeout: Duration

    public init(
        name: String, wireProtocol: ProviderProtocol, baseURL: String, apiKey: SecretValue? = nil,
        authToken: SecretValue? = nil, credentialVariable: String, extraHeaders: [String: String] = [:],
        connectTimeout: Duration = .seconds(10)
    ) {
        self.name = name
        self.wireProtocol = wireProtocol
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.authToken = authToken
        self.credentialVariable = credentialVariable
        self.extraHeaders = extraHeaders
        self.connectTimeout = connectTimeout
    }
}

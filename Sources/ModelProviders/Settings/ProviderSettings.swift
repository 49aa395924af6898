/// Every provider's endpoint, from the variables the ecosystem already uses and the models
/// file's own providers. Built from an environment dictionary the CLI passes in, once.
///
/// A provider is *configured* when its credential is present: `ANTHROPIC_API_KEY` or
/// `ANTHROPIC_AUTH_TOKEN`, `OPENAI_API_KEY`, `OPENROUTER_API_KEY`; Ollama when `OLLAMA_HOST`
/// is set (it needs no key); a models-file provider when its `api_key_env` variable is set,
/// or always when it names none. An empty variable counts as unset. Endpoints of providers that
/// are not configured exist too, so errors can name the variable to set.
public struct ProviderSettings: Sendable {
    public static let anthropicBaseURL = "https://api.anthropic.com"
    public static let openAIBaseURL = "https://api.openai.com/v1"
    public static let openRouterBaseURL = "https://openrouter.ai/api/v1"

    private var endpoints: [String: ProviderEndpoint] = [:]
    private var configured: Set<String> = []

    /// - Parameters:
    ///   - environment: the process environment (or any dictionary standing for it).
    ///   - customProviders: the models file's `providers:`.
    /// - Throws: ``ProviderSettingsError`` naming the variable whose value is malformed.
    public init(environment: [String: String], customProviders: [CustomProvider] = []) throws {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }

        let anthropicKey = value("ANTHROPIC_API_KEY").map(SecretValue.init)
        let anthropicToken = value("ANTHROPIC_AUTH_TOKEN").map(SecretValue.init)
        add(
            ProviderEndpoint(
                name: BuiltInProvider.anthropic.name, wireProtocol: .anthropic,
                baseURL: try Self.baseURL(value("ANTHROPIC_BASE_URL"), variable: "ANTHROPIC_BASE_URL", default: Self.anthropicBaseURL),
                apiKey: anthropicKey, authToken: anthropicToken,
                // The key wins when both are set (the SDKs' order), so it is the one to fix.
                credentialVariable: anthropicKey == nil && anthropicToken != nil ? "ANTHROPIC_AUTH_TOKEN" : "ANTHROPIC_API_KEY",
                extraHeaders: try Self.customHeaders(value("ANTHROPIC_CUSTOM_HEADERS"))),
            configured: anthropicKey != nil || anthropicToken != nil)

        let openAIKey = value("OPENAI_API_KEY").map(SecretValue.init)
        add(
            ProviderEndpoint(
                name: BuiltInProvider.openai.name, wireProtocol: .openAIChat,
                baseURL: try Self.baseURL(value("OPENAI_BASE_URL"), variable: "OPENAI_BASE_URL", default: Self.openAIBaseURL),
                apiKey: openAIKey, credentialVariable: "OPENAI_API_KEY"),
            configured: openAIKey != nil)

        let openRouterKey = value("OPENROUTER_API_KEY").map(SecretValue.init)
        add(
            ProviderEndpoint(
                name: BuiltInProvider.openrouter.name, wireProtocol: .openAIChat, baseURL: Self.openRouterBaseURL,
                apiKey: openRouterKey, credentialVariable: "OPENROUTER_API_KEY"),
            configured: openRouterKey != nil)

        let ollamaHost = value("OLLAMA_HOST")
        add(
            ProviderEndpoint(
                name: BuiltInProvider.ollama.name, wireProtocol: .openAIChat,
                baseURL: try OllamaHost.baseURL(ollamaHost ?? OllamaHost.defaultHost), credentialVariable: "OLLAMA_HOST"),
            configured: ollamaHost != nil)

        for provider in customProviders {
            let key = provider.apiKeyVariable.flatMap(value).map(SecretValue.init)
            add(
                ProviderEndpoint(
                    name: provider.name, wireProtocol: provider.wireProtocol, baseURL: provider.baseURL, apiKey: key,
                    credentialVariable: provider.apiKeyVariable ?? "providers.\(provider.name).api_key_env in the models file"),
                configured: provider.apiKeyVariable == nil || key != nil)
        }
    }

    /// The environment's settings with the models file's providers.
    public init(environment: [String: String], catalog: ModelCatalog) throws {
        try self.init(
            environment: environment, customProviders: catalog.customProviders.keys.sorted().compactMap { catalog.customProviders[$0] })
    }

    /// The endpoint of `provider`, configured or not; nil for a name no one defined.
    public func endpoint(for provider: String) -> ProviderEndpoint? { endpoints[provider] }

    /// Whether `provider`'s credential is present (see the type's summary).
    public func isConfigured(_ provider: String) -> Bool { configured.contains(provider) }

    /// The configured providers' names, sorted.
    public var configuredProviders: [String] { configured.sorted() }

    /// Every provider's name, sorted.
    public var providers: [String] { endpoints.keys.sorted() }

    /// These settings with one request's own keys in place of the environment's, for that
    /// request's calls only: the result is a value the caller drops when the request ends, so
    /// the keys are never stored. A provider given a key this way is configured.
    public func overriding(_ credentials: RequestCredentials) -> ProviderSettings {
        var copy = self
        let overrides: [(BuiltInProvider, SecretValue?, String)] = [
            (.anthropic, credentials.anthropicAPIKey, "anthropic_api_key"),
            (.openai, credentials.openAIAPIKey, "openai_api_key"),
            (.openrouter, credentials.openRouterAPIKey, "openrouter_api_key"),
        ]
        for (provider, key, field) in overrides {
            guard let key, !key.isEmpty, var endpoint = copy.endpoints[provider.name] else { continue }
            endpoint.apiKey = key
            // The request's key is the one to use: a token from the environment would be sent beside it.
            endpoint.authToken = nil
            endpoint.credentialVariable = field
            copy.endpoints[provider.name] = endpoint
            copy.configured.insert(provider.name)
        }
        return copy
    }

    private mutating func add(_ endpoint: ProviderEndpoint, configured isConfigured: Bool) {
        endpoints[endpoint.name] = endpoint
        if isConfigured { configured.insert(endpoint.name) } else { configured.remove(endpoint.name) }
    }

    private static func baseURL(_ value: String?, variable: String, default defaultURL: String) throws -> String {
        guard let value else { return defaultURL }
        guard let url = ProviderURL.normalized(value) else {
            // The value is not repeated: a URL may carry credentials (https://user:pass@host).
            throw ProviderSettingsError(
                .invalidURL, variable: variable, "must be an http:// or https:// URL with a host, like \(defaultURL)")
        }
        return url
    }

    /// `Name: value` lines, as the Anthropic SDKs read `ANTHROPIC_CUSTOM_HEADERS`.
    static func customHeaders(_ value: String?) throws -> [String: String] {
        guard let value else { return [:] }
        var headers: [String: String] = [:]
        for (index, rawLine) in value.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingBlanks()
            if line.isEmpty { continue }
            // Neither the line nor the value is quoted back: custom headers often carry tokens.
            guard let colon = line.firstIndex(of: ":") else {
                throw ProviderSettingsError(
                    .invalidHeaders, variable: "ANTHROPIC_CUSTOM_HEADERS", "line \(index + 1) is not `Name: value`")
            }
            let name = line[..<colon].trimmingBlanks()
            let headerValue = line[line.index(after: colon)...].trimmingBlanks()
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenCharacter) else {
                throw ProviderSettingsError(
                    .invalidHeaders, variable: "ANTHROPIC_CUSTOM_HEADERS",
                    "line \(index + 1): the header name may hold only letters, digits and !#$%&'*+-.^_`|~")
            }
            guard !headerValue.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }) else {
                throw ProviderSettingsError(
                    .invalidHeaders, variable: "ANTHROPIC_CUSTOM_HEADERS", "line \(index + 1): the value holds control characters")
            }
            headers[name] = headerValue
        }
        return headers
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }
}

/// Keys given with one request (Sandstorm's `anthropic_api_key`, `openrouter_api_key` in a
/// `POST /query` body), which replace the environment's for that request's calls only
/// (``ProviderSettings/overriding(_:)``, ``ModelRouter/overriding(_:)``).
public struct RequestCredentials: Sendable, Hashable, CustomStringConvertible {
    public var anthropicAPIKey: SecretValue?
    public var openAIAPIKey: SecretValue?
    public var openRouterAPIKey: SecretValue?

    public init(anthropicAPIKey: SecretValue? = nil, openAIAPIKey: SecretValue? = nil, openRouterAPIKey: SecretValue? = nil) {
        self.anthropicAPIKey = anthropicAPIKey
        self.openAIAPIKey = openAIAPIKey
        self.openRouterAPIKey = openRouterAPIKey
    }

    /// Whether no key is given.
    public var isEmpty: Bool {
        [anthropicAPIKey, openAIAPIKey, openRouterAPIKey].allSatisfy { $0 == nil || $0?.isEmpty == true }
    }

    /// Which keys are given, never what they are.
    public var description: String {
        let given = [("anthropic_api_key", anthropicAPIKey), ("openai_api_key", openAIAPIKey), ("openrouter_api_key", openRouterAPIKey)]
            .filter { $0.1 != nil }.map(\.0)
        return "RequestCredentials(\(given.isEmpty ? "none" : given.joined(separator: ", ")))"
    }
}

/// A provider variable whose value cannot be used; the message names the variable.
public struct ProviderSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A base URL that is not an absolute http(s) URL.
        public static let invalidURL = Code(rawValue: "invalid_url")
        /// `ANTHROPIC_CUSTOM_HEADERS` holds a line that is not a header.
        public static let invalidHeaders = Code(rawValue: "invalid_headers")
        /// `OLLAMA_HOST` is neither `host[:port]` nor an http(s) URL.
        public static let invalidHost = Code(rawValue: "invalid_host")
    }

    public var code: Code
    /// The variable to fix.
    public var variable: String
    public var message: String

    public init(_ code: Code, variable: String, _ message: String) {
        self.code = code
        self.variable = variable
        self.message = message
    }

    public var description: String { "\(variable): \(message)" }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns (a `\r\n` line's `\r`).
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }
}

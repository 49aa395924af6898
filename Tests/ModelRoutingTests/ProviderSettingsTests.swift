import ModelProviders
import Testing

@Suite struct ProviderSettingsTests {
    @Test func withoutVariablesNothingIsConfiguredButEveryEndpointNamesItsVariable() throws {
        let settings = try ProviderSettings(environment: [:])
        #expect(settings.configuredProviders == [])
        #expect(settings.providers == ["anthropic", "ollama", "openai", "openrouter"])
        let anthropic = try #require(settings.endpoint(for: "anthropic"))
        #expect(anthropic.baseURL == "https://api.anthropic.com")
        #expect(anthropic.wireProtocol == .anthropic)
        #expect(anthropic.credentialVariable == "ANTHROPIC_API_KEY")
        #expect(anthropic.apiKey == nil && anthropic.authToken == nil)
        #expect(settings.endpoint(for: "openai")?.baseURL == "https://api.openai.com/v1")
        #expect(settings.endpoint(for: "openai")?.credentialVariable == "OPENAI_API_KEY")
        #expect(settings.endpoint(for: "openrouter")?.baseURL == "https://openrouter.ai/api/v1")
        #expect(settings.endpoint(for: "openrouter")?.credentialVariable == "OPENROUTER_API_KEY")
        #expect(settings.endpoint(for: "ollama")?.baseURL == "http://127.0.0.1:11434/v1")
        #expect(settings.endpoint(for: "ollama")?.credentialVariable == "OLLAMA_HOST")
        #expect(settings.endpoint(for: "nonesuch") == nil)
    }

    @Test func anthropicVariables() throws {
        let settings = try ProviderSettings(environment: [
            "ANTHROPIC_API_KEY": "sk-ant-key", "ANTHROPIC_BASE_URL": "https://gateway.example.com/anthropic/",
            "ANTHROPIC_CUSTOM_HEADERS": "anthropic-beta: a,b\r\n\nX-Team:  platform \n",
        ])
        let endpoint = try #require(settings.endpoint(for: "anthropic"))
        #expect(settings.isConfigured("anthropic"))
        #expect(endpoint.apiKey?.reveal() == "sk-ant-key")
        #expect(endpoint.baseURL == "https://gateway.example.com/anthropic")
        #expect(endpoint.extraHeaders == ["anthropic-beta": "a,b", "X-Team": "platform"])
        #expect(endpoint.credentialVariable == "ANTHROPIC_API_KEY")
    }

    @Test func anAuthTokenAloneConfiguresAnthropicAndIsTheVariableToFix() throws {
        let token = try ProviderSettings(environment: ["ANTHROPIC_AUTH_TOKEN": "tok"])
        #expect(token.isConfigured("anthropic"))
        #expect(token.endpoint(for: "anthropic")?.authToken?.reveal() == "tok")
        #expect(token.endpoint(for: "anthropic")?.credentialVariable == "ANTHROPIC_AUTH_TOKEN")

        // Both set: the key wins, as in the SDKs, so it is the one named.
        let both = try ProviderSettings(environment: ["ANTHROPIC_AUTH_TOKEN": "tok", "ANTHROPIC_API_KEY": "key"])
        #expect(both.endpoint(for: "anthropic")?.credentialVariable == "ANTHROPIC_API_KEY")
    }

    @Test func openAIAndOpenRouterVariables() throws {
        let settings = try ProviderSettings(environment: [
            "OPENAI_API_KEY": "sk-o", "OPENAI_BASE_URL": "http://localhost:8000/v1", "OPENROUTER_API_KEY": "sk-or",
        ])
        #expect(settings.configuredProviders == ["openai", "openrouter"])
        #expect(settings.endpoint(for: "openai")?.baseURL == "http://localhost:8000/v1")
        #expect(settings.endpoint(for: "openai")?.apiKey?.reveal() == "sk-o")
        #expect(settings.endpoint(for: "openai")?.wireProtocol == .openAIChat)
        #expect(settings.endpoint(for: "openrouter")?.apiKey?.reveal() == "sk-or")
    }

    @Test(arguments: [
        ("127.0.0.1:11434", "http://127.0.0.1:11434/v1"),
        ("gpu-box", "http://gpu-box:11434/v1"),
        ("http://gpu-box", "http://gpu-box:80/v1"),
        ("https://ollama.example.com", "https://ollama.example.com:443/v1"),
        ("http://gpu-box:11434/", "http://gpu-box:11434/v1"),
        ("http://proxy:8080/ollama", "http://proxy:8080/ollama/v1"),
        ("http://gpu-box:11434/v1", "http://gpu-box:11434/v1"),
        (":11434", "http://127.0.0.1:11434/v1"),
        ("[::1]:11434", "http://[::1]:11434/v1"),
        ("::1", "http://[::1]:11434/v1"),
        ("  0.0.0.0:9999  ", "http://0.0.0.0:9999/v1"),
    ])
    func ollamaHostIsReadLikeOllamaReadsIt(_ value: String, _ baseURL: String) throws {
        let settings = try ProviderSettings(environment: ["OLLAMA_HOST": value])
        #expect(settings.isConfigured("ollama"), "Ollama needs no key: the host configures it")
        #expect(settings.endpoint(for: "ollama")?.baseURL == baseURL)
        #expect(settings.endpoint(for: "ollama")?.apiKey == nil)
    }

    @Test(arguments: [
        ("ftp://host", "scheme"), ("host:port", "port"), ("host:70000", "port"), ("bad host:1", "host"), ("[::1", "`]`"),
    ])
    func aBadOllamaHostIsNamed(_ value: String, _ says: String) throws {
        let error = try #require(throws: ProviderSettingsError.self) { try ProviderSettings(environment: ["OLLAMA_HOST": value]) }
        #expect(error.code == .invalidHost)
        #expect(error.variable == "OLLAMA_HOST")
        #expect(error.description.hasPrefix("OLLAMA_HOST: "))
        #expect(error.message.contains(says), "\(error)")
    }

    @Test func aBadBaseURLIsNamedWithoutRepeatingIt() throws {
        for variable in ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"] {
            let value = "api.example.com/secret-token-in-path"
            let error = try #require(throws: ProviderSettingsError.self) { try ProviderSettings(environment: [variable: value]) }
            #expect(error.code == .invalidURL)
            #expect(error.variable == variable)
            #expect(!error.description.contains("secret-token"))
        }
    }

    @Test func aMalformedCustomHeaderLineIsNamedWithoutItsValue() throws {
        let malformed = try #require(throws: ProviderSettingsError.self) {
            try ProviderSettings(environment: ["ANTHROPIC_CUSTOM_HEADERS": "X-Ok: 1\nBearer sk-secret-value"])
        }
        #expect(malformed.code == .invalidHeaders)
        #expect(malformed.description == "ANTHROPIC_CUSTOM_HEADERS: line 2 is not `Name: value`")

        let badName = try #require(throws: ProviderSettingsError.self) {
            try ProviderSettings(environment: ["ANTHROPIC_CUSTOM_HEADERS": "Bad Name: sk-secret-value"])
        }
        #expect(badName.message.contains("line 1"))
        #expect(!badName.description.contains("sk-secret"))
    }

    @Test func anEmptyVariableCountsAsUnset() throws {
        let settings = try ProviderSettings(environment: [
            "ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": "", "OLLAMA_HOST": "", "ANTHROPIC_BASE_URL": "",
        ])
        #expect(settings.configuredProviders == [])
        #expect(settings.endpoint(for: "anthropic")?.baseURL == "https://api.anthropic.com")
    }

    @Test func providersOfTheModelsFileReadTheirOwnVariable() throws {
        let user = """
            providers:
              together:
                protocol: openai
                base_url: https://api.together.xyz/v1
                api_key_env: TOGETHER_API_KEY
              vllm:
                protocol: openai
                base_url: http://gpu:8000/v1
            """
        let catalog = try ModelCatalog(sources: [.shipped, ModelsFileSource(text: user, file: "u.yaml")])
        let without = try ProviderSettings(environment: [:], catalog: catalog)
        #expect(without.configuredProviders == ["vllm"], "a provider that names no key variable needs none")
        #expect(without.endpoint(for: "together")?.credentialVariable == "TOGETHER_API_KEY")

        let with = try ProviderSettings(environment: ["TOGETHER_API_KEY": "tk"], catalog: catalog)
        #expect(with.configuredProviders == ["together", "vllm"])
        #expect(with.endpoint(for: "together")?.apiKey?.reveal() == "tk")
        #expect(with.endpoint(for: "together")?.baseURL == "https://api.together.xyz/v1")
    }

    @Test func aRequestsOwnKeysOverrideForThatRequestOnly() throws {
        let settings = try ProviderSettings(environment: [
            "ANTHROPIC_API_KEY": "env-key", "ANTHROPIC_AUTH_TOKEN": "env-token",
        ])
        let credentials = RequestCredentials(
            anthropicAPIKey: SecretValue("request-key"), openRouterAPIKey: SecretValue("request-or-key"))
        let overridden = settings.overriding(credentials)

        let anthropic = try #require(overridden.endpoint(for: "anthropic"))
        #expect(anthropic.apiKey?.reveal() == "request-key")
        #expect(anthropic.authToken == nil, "the environment's token must not ride along with the request's key")
        #expect(anthropic.credentialVariable == "anthropic_api_key")
        #expect(overridden.isConfigured("openrouter"))
        #expect(overridden.endpoint(for: "openrouter")?.apiKey?.reveal() == "request-or-key")
        #expect(overridden.endpoint(for: "openrouter")?.credentialVariable == "openrouter_api_key")

        // The environment's settings are untouched.
        #expect(settings.endpoint(for: "anthropic")?.apiKey?.reveal() == "env-key")
        #expect(!settings.isConfigured("openrouter"))

        // Nothing prints a key.
        #expect(credentials.description == "RequestCredentials(anthropic_api_key, openrouter_api_key)")
        #expect(!"\(anthropic)".contains("request-key"))
        #expect(!String(reflecting: anthropic).contains("request-key"))
    }
}

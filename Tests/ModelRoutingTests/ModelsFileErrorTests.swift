import ModelProviders
import Testing

/// Every problem a models file can have is reported with the file, the line, the key and what to do.
@Suite struct ModelsFileErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var code: ModelCatalogError.Code
        var line: Int
        var key: String?
        /// Text the message (with its hint) must contain.
        var says: [String]

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "not YAML", yaml: "models:\n  a: [b\n", code: .yamlSyntax, line: 3, key: nil,
            says: ["not valid YAML"]),
        Case(
            name: "tab indentation", yaml: "models:\n\tsonnet: {}\n", code: .yamlSyntax, line: 2, key: nil,
            says: ["tab"]),
        Case(
            name: "duplicate key", yaml: "models:\n  m:\n    provider: openai\n    provider: anthropic\n", code: .yamlSyntax,
            line: 3, key: nil, says: ["`provider` is given twice"]),
        Case(
            name: "not a mapping", yaml: "- sonnet\n- haiku\n", code: .wrongType, line: 1, key: nil,
            says: ["the file must be a mapping, found a list", "`models:`"]),
        Case(
            name: "unknown top-level key", yaml: "model:\n  x: {}\n", code: .unknownKey, line: 1, key: "model",
            says: ["unknown key `model`", "did you mean `models`?"]),
        Case(
            name: "models is a list", yaml: "models:\n  - sonnet\n", code: .wrongType, line: 2, key: "models",
            says: ["must be a mapping, found a list"]),
        Case(
            name: "unknown entry key", yaml: "models:\n  m:\n    provider: openai\n    model: x\n    price: {input: 1}\n",
            code: .unknownKey, line: 5, key: "models.m.price", says: ["did you mean `prices`?"]),
        Case(
            name: "text price", yaml: "models:\n  m:\n    provider: openai\n    model: x\n    prices: {input: cheap}\n",
            code: .invalidValue, line: 5, key: "models.m.prices.input", says: ["`cheap` is not a price", "per million tokens"]),
        Case(
            name: "negative price", yaml: "models:\n  m:\n    provider: openai\n    model: x\n    prices:\n      output: -3\n",
            code: .invalidValue, line: 6, key: "models.m.prices.output", says: ["cannot be negative"]),
        Case(
            name: "quoted price", yaml: "models:\n  m:\n    provider: openai\n    model: x\n    prices: {input: \"3\"}\n",
            code: .wrongType, line: 5, key: "models.m.prices.input", says: ["write it as a number"]),
        Case(
            name: "zero context window", yaml: "models:\n  m:\n    provider: openai\n    model: x\n    context_window: 0\n",
            code: .invalidValue, line: 5, key: "models.m.context_window", says: ["not a number of tokens"]),
        Case(
            name: "missing provider", yaml: "models:\n  my-model:\n    model: x\n", code: .missingKey, line: 2,
            key: "models.my-model.provider", says: ["needs `provider:`", "anthropic"]),
        Case(
            name: "missing model id", yaml: "models:\n  my-model:\n    provider: openai\n", code: .missingKey, line: 2,
            key: "models.my-model.model", says: ["needs `model:`"]),
        Case(
            name: "unknown provider", yaml: "models:\n  m:\n    provider: antropic\n    model: x\n", code: .unknownProvider,
            line: 3, key: "models.m.provider", says: ["unknown provider `antropic`", "did you mean `anthropic`?"]),
        Case(
            name: "provider without base_url", yaml: "providers:\n  vllm:\n    protocol: openai\n", code: .missingKey,
            line: 2, key: "providers.vllm.base_url", says: ["needs `base_url:`"]),
        Case(
            name: "provider without protocol", yaml: "providers:\n  vllm:\n    base_url: http://gpu:8000/v1\n",
            code: .missingKey, line: 2, key: "providers.vllm.protocol", says: ["needs `protocol:`"]),
        Case(
            name: "bad protocol", yaml: "providers:\n  vllm:\n    protocol: grpc\n    base_url: http://gpu:8000/v1\n",
            code: .invalidValue, line: 3, key: "providers.vllm.protocol", says: ["`grpc` is not a protocol"]),
        Case(
            name: "bad base_url", yaml: "providers:\n  vllm:\n    protocol: openai\n    base_url: gpu:8000\n",
            code: .invalidValue, line: 4, key: "providers.vllm.base_url", says: ["not an http(s) URL"]),
        Case(
            name: "a key where a variable name belongs",
            yaml: "providers:\n  vllm:\n    protocol: openai\n    base_url: http://gpu\n    api_key_env: sk-live-123\n",
            code: .invalidValue, line: 5, key: "providers.vllm.api_key_env", says: ["never the key itself"]),
        Case(
            name: "redefined built-in provider",
            yaml: "providers:\n  anthropic:\n    protocol: anthropic\n    base_url: http://proxy\n", code: .conflictingName,
            line: 2, key: "providers.anthropic", says: ["is a built-in provider", "ANTHROPIC"]),
        Case(
            name: "uppercase provider name",
            yaml: "providers:\n  MyGateway:\n    protocol: openai\n    base_url: http://gw\n", code: .invalidValue,
            line: 2, key: "providers.MyGateway", says: ["lowercase"]),
        Case(
            name: "alias to nothing", yaml: "aliases:\n  fast: gpt-fast\n", code: .unknownModel, line: 2, key: "aliases.fast",
            says: ["alias `fast` points at nothing", "unknown model `gpt-fast`"]),
        Case(
            name: "alias to an alias", yaml: "aliases:\n  quick: haiku\n", code: .invalidValue, line: 2,
            key: "aliases.quick", says: ["points at another alias", "point it at a model"]),
        Case(
            name: "alias and model of one name",
            yaml: "aliases:\n  mine: claude-haiku-4-5\nmodels:\n  mine:\n    provider: openai\n    model: x\n",
            code: .conflictingName, line: 2, key: "aliases.mine", says: ["both an alias and a model"]),
        Case(
            name: "failover to an unknown model", yaml: "failover:\n  sonnet: [haiku, sonet-4]\n", code: .unknownModel,
            line: 2, key: "failover.sonnet[1]", says: ["unknown model `sonet-4`"]),
        Case(
            name: "failover not a list", yaml: "failover:\n  sonnet: haiku\n", code: .wrongType, line: 2,
            key: "failover.sonnet", says: ["must be a list", "[haiku, opus]"]),
        Case(
            name: "long_prompt without threshold",
            yaml: "models:\n  m:\n    provider: openai\n    model: x\n    prices:\n      long_prompt: {input: 1}\n",
            code: .missingKey, line: 6, key: "models.m.prices.long_prompt.above_tokens", says: ["needs `above_tokens`"]),
        Case(
            name: "name with a space", yaml: "models:\n  \"my model\":\n    provider: openai\n    model: x\n",
            code: .invalidValue, line: 2, key: "models.my model", says: ["contains spaces"]),
        Case(
            name: "boolean model id", yaml: "models:\n  m:\n    provider: openai\n    model: true\n", code: .wrongType,
            line: 4, key: "models.m.model", says: ["must be the provider's model id, found `true`"]),
    ]

    @Test(arguments: cases)
    func theErrorNamesFileLineAndKey(_ example: Case) throws {
        let source = ModelsFileSource(text: example.yaml, file: "/home/me/.config/sandcastle/models.yaml")
        let error = try #require(throws: ModelCatalogError.self) { try ModelCatalog(sources: [.shipped, source]) }
        #expect(error.code == example.code, "\(error)")
        #expect(error.location?.file == "/home/me/.config/sandcastle/models.yaml", "\(error)")
        #expect(error.location?.line == example.line, "\(error)")
        #expect(error.key == example.key, "\(error)")
        let text = error.description
        #expect(text.hasPrefix("/home/me/.config/sandcastle/models.yaml:\(example.line):"), "\(text)")
        for phrase in example.says {
            #expect(text.contains(phrase), "\(text) does not say \(phrase)")
        }
    }

    @Test func aProblemLeftByAMergeIsReportedAtTheUsersLine() throws {
        // The user's entry is complete only with the shipped keys; a new one is not.
        let user = "# mine\nmodels:\n  brand-new:\n    prices: {input: 1}\n"
        let error = try #require(throws: ModelCatalogError.self) {
            try ModelCatalog(sources: [.shipped, ModelsFileSource(text: user, file: "mine.yaml")])
        }
        #expect(error.description.hasPrefix("mine.yaml:3:"))
        #expect(error.key == "models.brand-new.provider")
    }
}

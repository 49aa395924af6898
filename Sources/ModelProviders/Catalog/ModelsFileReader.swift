import Foundation
import Suggestions
import Yams

/// Reads one models file into a ``ModelsFileLayer``, stopping at the first problem and naming
/// its file, line, column and key path (`models.sonnet.prices.input`).
///
/// Scalars are read without YAML 1.1's implicit typing (`.basic`), so `yes` is text and
/// `0.10` keeps its decimal digits exactly; `null`, `~` and an empty value clear a key.
struct ModelsFileReader {
    let file: String

    static let topLevelKeys = ["models", "aliases", "providers", "failover"]
    static let modelKeys = ["provider", "model", "context_window", "max_output_tokens", "prices", "region"]
    static let priceKeys = ["input", "output", "cache_read", "cache_write", "long_prompt"]
    static let longPromptKeys = ["above_tokens", "input", "output", "cache_read", "cache_write"]
    static let providerKeys = ["protocol", "base_url", "api_key_env", "prices", "region"]
    /// Longer names are surely not model names, and would make "did you mean" slow.
    static let maximumNameLength = 200

    /// One key of a mapping with its value.
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    func read(_ text: String) throws -> ModelsFileLayer {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw syntaxError(error, text: text)
        }
        var layer = ModelsFileLayer(file: file)
        guard let root, !isNull(root) else { return layer }
        let entries = try mapping(
            root, path: nil,
            expectation: "a models file is a mapping with `models:`, `aliases:`, `providers:` and `failover:`")
        try checkKeys(entries, allowed: Self.topLevelKeys, path: nil)
        for entry in entries where !isNull(entry.value) {
            switch entry.key {
            case "models":
                for model in try mapping(entry.value, path: "models", expectation: "`name: {provider, model, …}` entries") {
                    let name = try checkName(model, path: "models")
                    layer.models.append((name, try modelDraft(model, path: "models.\(name)")))
                }
            case "aliases":
                for alias in try mapping(entry.value, path: "aliases", expectation: "`alias: model-name` entries") {
                    let name = try checkName(alias, path: "aliases")
                    let target = try modelName(alias.value, path: "aliases.\(name)")
                    layer.aliases.append((name, target))
                }
            case "providers":
                for provider in try mapping(
                    entry.value, path: "providers", expectation: "`name: {protocol, base_url, api_key_env}` entries")
                {
                    let name = try checkProviderName(provider)
                    layer.providers.append((name, try providerDraft(provider, path: "providers.\(name)")))
                }
            default:
                for chain in try mapping(entry.value, path: "failover", expectation: "`model: [fallback, …]` entries") {
                    let name = try checkName(chain, path: "failover")
                    let targets = try failoverTargets(chain.value, path: "failover.\(name)")
                    layer.failover.append((name, location(chain.keyNode), targets))
                }
            }
        }
        let aliasNames = Dictionary(layer.aliases.map { ($0.name, $0.target.location) }, uniquingKeysWith: { first, _ in first })
        for (name, _) in layer.models {
            if let aliasLocation = aliasNames[name] {
                throw ModelCatalogError(
                    .conflictingName, at: aliasLocation, key: "aliases.\(name)",
                    "\(UntrustedText.quoted(name)) is both an alias and a model in this file",
                    hint: "keep one of them")
            }
        }
        return layer
    }

    // MARK: - Entries

    private func modelDraft(_ entry: Entry, path: String) throws -> ModelDraft {
        var draft = ModelDraft(location: location(entry.keyNode))
        let fields = try mapping(entry.value, path: path, expectation: "`provider:`, `model:`, `context_window:`, `prices:` …")
        try checkKeys(fields, allowed: Self.modelKeys, path: path)
        for field in fields {
            let fieldPath = "\(path).\(field.key)"
            switch field.key {
            case "provider": draft.provider = try providerReference(field.value, path: fieldPath)
            case "model": draft.model = try located(text(field.value, path: fieldPath, what: "the provider's model id"), field.value)
            case "context_window": draft.contextWindow = try tokenCount(field.value, path: fieldPath)
            case "max_output_tokens": draft.maxOutputTokens = try tokenCount(field.value, path: fieldPath)
            case "region": draft.region = try region(field.value, path: fieldPath)
            default: draft.prices = try prices(field.value, path: fieldPath)
            }
        }
        return draft
    }

    private func providerDraft(_ entry: Entry, path: String) throws -> ProviderDraft {
        var draft = ProviderDraft(location: location(entry.keyNode))
        let fields = try mapping(entry.value, path: path, expectation: "`protocol:`, `base_url:`, `api_key_env:` …")
        try checkKeys(fields, allowed: Self.providerKeys, path: path)
        for field in fields {
            let fieldPath = "\(path).\(field.key)"
            switch field.key {
            case "protocol":
                let value = try text(field.value, path: fieldPath, what: "`anthropic` or `openai`")
                guard let wireProtocol = ProviderProtocol(rawValue: value) else {
                    throw ModelCatalogError(
                        .invalidValue, at: location(field.value), key: fieldPath,
                        "\(UntrustedText.quoted(value)) is not a protocol",
                        hint: "use `anthropic` (Messages API) or `openai` (Chat Completions)")
                }
                draft.wireProtocol = located(wireProtocol, field.value)
            case "base_url":
                draft.baseURL = located(try baseURL(field.value, path: fieldPath), field.value)
            case "api_key_env":
                draft.apiKeyVariable = try variableName(field.value, path: fieldPath)
            case "region":
                draft.region = try region(field.value, path: fieldPath)
            default:
                draft.prices = try prices(field.value, path: fieldPath)
            }
        }
        return draft
    }

    private func prices(_ node: Node, path: String) throws -> PricesDraft {
        var draft = PricesDraft()
        let fields = try mapping(node, path: path, expectation: "`input:`, `output:`, `cache_read:`, `cache_write:`")
        try checkKeys(fields, allowed: Self.priceKeys, path: path)
        for field in fields {
            let fieldPath = "\(path).\(field.key)"
            if field.key == "long_prompt" {
                draft.longPrompt = isNull(field.value) ? .cleared : .value(try longPrompt(field.value, path: fieldPath))
            } else {
                try setRate(field.key, of: &draft.rates, to: price(field.value, path: fieldPath))
            }
        }
        return draft
    }

    private func longPrompt(_ node: Node, path: String) throws -> LongPromptDraft {
        let fields = try mapping(node, path: path, expectation: "`above_tokens:` and the rates above it")
        try checkKeys(fields, allowed: Self.longPromptKeys, path: path)
        var threshold: Int?
        var rates = RatesDraft()
        for field in fields {
            let fieldPath = "\(path).\(field.key)"
            if field.key == "above_tokens" {
                threshold = try tokenCount(field.value, path: fieldPath).value
            } else {
                try setRate(field.key, of: &rates, to: price(field.value, path: fieldPath))
            }
        }
        guard let threshold else {
            throw ModelCatalogError(
                .missingKey, at: location(node), key: "\(path).above_tokens",
                "`long_prompt` needs `above_tokens`: the prompt length above which its rates apply")
        }
        return LongPromptDraft(thresholdTokens: threshold, rates: rates)
    }

    private func setRate(_ key: String, of rates: inout RatesDraft, to value: Setting<Decimal>) throws {
        switch key {
        case "input": rates.input = value
        case "output": rates.output = value
        case "cache_read": rates.cacheRead = value
        default: rates.cacheWrite = value
        }
    }

    private func failoverTargets(_ node: Node, path: String) throws -> [Located<String>] {
        if isNull(node) { return [] }
        guard let sequence = node.sequence else {
            throw ModelCatalogError(
                .wrongType, at: location(node), key: path, "must be a list of model names, found \(typeName(node))",
                hint: "write it as [haiku, opus]")
        }
        return try sequence.enumerated().map { index, item in try modelName(item, path: "\(path)[\(index)]") }
    }

    // MARK: - Values

    private func mapping(_ node: Node, path: String?, expectation: String) throws -> [Entry] {
        guard let mapping = node.mapping else {
            throw ModelCatalogError(
                .wrongType, at: location(node), key: path,
                "\(path == nil ? "the file must be a mapping" : "must be a mapping"), found \(typeName(node))",
                hint: expectation)
        }
        return try mapping.map { key, value in
            guard let scalar = key.scalar else {
                throw ModelCatalogError(
                    .wrongType, at: location(key), key: path, "keys must be plain names, found \(typeName(key))")
            }
            return Entry(key: scalar.string, keyNode: key, value: value)
        }
    }

    private func checkKeys(_ entries: [Entry], allowed: [String], path: String?) throws {
        for entry in entries where !allowed.contains(entry.key) {
            let fieldPath = path.map { "\($0).\(entry.key)" } ?? entry.key
            let known = allowed.map { "`\($0)`" }.joined(separator: ", ")
            throw ModelCatalogError(
                .unknownKey, at: location(entry.keyNode), key: fieldPath,
                "unknown key \(UntrustedText.quoted(entry.key))",
                hint: EditDistance.suggestion(for: entry.key, among: allowed) ?? "the keys here are \(known)")
        }
    }

    private func checkName(_ entry: Entry, path: String) throws -> String {
        try checkedName(entry.key, at: location(entry.keyNode), path: "\(path).\(entry.key)")
    }

    private func checkedName(_ name: String, at location: ModelCatalogError.Location, path: String) throws -> String {
        if name.isEmpty {
            throw ModelCatalogError(.invalidValue, at: location, key: path, "a name cannot be empty")
        }
        if name.count > Self.maximumNameLength {
            throw ModelCatalogError(
                .invalidValue, at: location, key: path, "a name is at most \(Self.maximumNameLength) characters")
        }
        if name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            throw ModelCatalogError(
                .invalidValue, at: location, key: path, "\(UntrustedText.quoted(name)) contains spaces or control characters")
        }
        return name
    }

    private func checkProviderName(_ entry: Entry) throws -> String {
        let path = "providers.\(entry.key)"
        let name = try checkedName(entry.key, at: location(entry.keyNode), path: path)
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
        guard allowed else {
            throw ModelCatalogError(
                .invalidValue, at: location(entry.keyNode), key: path,
                "\(UntrustedText.quoted(name)) is not a provider name",
                hint: "use lowercase letters, digits, `-`, `_` and `.`; it becomes the prefix of model names (\(name.lowercased())/model)")
        }
        if BuiltInProvider(rawValue: name) != nil {
            throw ModelCatalogError(
                .conflictingName, at: location(entry.keyNode), key: path, "`\(name)` is a built-in provider",
                hint:
                    "its address and key come from the environment (ANTHROPIC_BASE_URL, OPENAI_BASE_URL, OLLAMA_HOST, the *_API_KEY variables); give a provider of your own another name"
            )
        }
        return name
    }

    private func modelName(_ node: Node, path: String) throws -> Located<String> {
        let name = try text(node, path: path, what: "a model name")
        return located(try checkedName(name, at: location(node), path: path), node)
    }

    private func providerReference(_ node: Node, path: String) throws -> Located<String> {
        located(try text(node, path: path, what: "a provider name"), node)
    }

    private func text(_ node: Node, path: String, what: String) throws -> String {
        guard let scalar = node.scalar, !isNull(node), !isBool(node) else {
            throw ModelCatalogError(
                .wrongType, at: location(node), key: path, "must be \(what), found \(typeName(node))")
        }
        return scalar.string
    }

    private func price(_ node: Node, path: String) throws -> Setting<Decimal> {
        if isNull(node) { return .cleared }
        guard let scalar = node.scalar, scalar.style == .plain, !isBool(node) else {
            throw ModelCatalogError(
                .wrongType, at: location(node), key: path,
                "must be a price in US dollars per million tokens, found \(typeName(node))", hint: "write it as a number: 3 or 0.30")
        }
        guard let value = Self.decimal(scalar.string) else {
            let negative = scalar.string.hasPrefix("-")
            throw ModelCatalogError(
                .invalidValue, at: location(node), key: path,
                negative
                    ? "a price cannot be negative" : "\(UntrustedText.quoted(scalar.string)) is not a price",
                hint: "US dollars per million tokens, as a number like 3 or 0.30; leave the key out when the price is unknown")
        }
        return .value(value)
    }

    private func tokenCount(_ node: Node, path: String) throws -> Setting<Int> {
        if isNull(node) { return .cleared }
        guard let scalar = node.scalar, scalar.style == .plain, !isBool(node) else {
            throw ModelCatalogError(
                .wrongType, at: location(node), key: path, "must be a number of tokens, found \(typeName(node))")
        }
        let digits = scalar.string.filter { $0 != "_" }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let count = Int(digits), count > 0 else {
            throw ModelCatalogError(
                .invalidValue, at: location(node), key: path,
                "\(UntrustedText.quoted(scalar.string)) is not a number of tokens", hint: "a whole number above 0, like 200000 or 200_000")
        }
        return .value(count)
    }

    private func baseURL(_ node: Node, path: String) throws -> String {
        let value = try text(node, path: path, what: "a URL")
        guard let url = ProviderURL.normalized(value) else {
            throw ModelCatalogError(
                .invalidValue, at: location(node), key: path, "\(UntrustedText.quoted(value)) is not an http(s) URL",
                hint: "like https://api.example.com/v1")
        }
        return url
    }

    /// A region name: lowercase letters, digits and `-` (`eu`, `us`, `local`, `eu-west-1`).
    private func region(_ node: Node, path: String) throws -> Setting<String> {
        if isNull(node) { return .cleared }
        let name = try text(node, path: path, what: "a region like eu, us or local")
        guard ModelRegion.isValidName(name) else {
            throw ModelCatalogError(
                .invalidValue, at: location(node), key: path, "\(UntrustedText.quoted(name)) is not a region",
                hint: "lowercase letters, digits and `-`, like eu, us, local or eu-west-1")
        }
        return .value(name)
    }

    private func variableName(_ node: Node, path: String) throws -> Setting<String> {
        if isNull(node) { return .cleared }
        let name = try text(node, path: path, what: "the name of an environment variable")
        guard ProviderURL.isVariableName(name) else {
            throw ModelCatalogError(
                .invalidValue, at: location(node), key: path,
                "\(UntrustedText.quoted(name)) is not an environment variable name",
                hint: "the variable's name, like TOGETHER_API_KEY, never the key itself")
        }
        return .value(name)
    }

    // MARK: - Helpers

    /// A price as written: digits with an optional fraction, `_` allowed between digits.
    static func decimal(_ text: String) -> Decimal? {
        let digits = text.filter { $0 != "_" }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            return nil
        }
        return Decimal(string: digits, locale: Locale(identifier: "en_US_POSIX"))
    }

    private func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        if scalar.tag.rawValue == Tag.Name.null.rawValue { return true }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func isBool(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["true", "false"].contains(scalar.string.lowercased())
    }

    private func typeName(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            if isBool(node) { return "`\(scalar.string)`" }
            return UntrustedText.quoted(scalar.string)
        }
    }

    private func located<Value>(_ value: Value, _ node: Node) -> Located<Value> {
        Located(value: value, location: location(node))
    }

    private func location(_ node: Node) -> ModelCatalogError.Location {
        ModelCatalogError.Location(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    private func syntaxError(_ error: YamlError, text: String) -> ModelCatalogError {
        func at(_ mark: Mark) -> ModelCatalogError.Location {
            ModelCatalogError.Location(file: file, line: mark.line, column: mark.column)
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(mark.line - 1).first ?? ""
            let hint = problem.contains("tab") || line.contains("\t") ? "indent with spaces; YAML does not allow tabs" : nil
            return ModelCatalogError(.yamlSyntax, at: at(mark), "not valid YAML: \(problem)", hint: hint)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            return ModelCatalogError(
                .yamlSyntax, at: at(context.mark), "\(UntrustedText.quoted(key)) is given twice in the same mapping",
                hint: "keep one; YAML would silently use only one of them")
        case .reader(let problem, _, _, _):
            return ModelCatalogError(
                .yamlSyntax, at: .init(file: file, line: 1, column: 1), "cannot read the text: \(problem)",
                hint: "save the file as UTF-8")
        default:
            return ModelCatalogError(.yamlSyntax, at: .init(file: file, line: 1, column: 1), "not valid YAML")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Sandcastle's spellings of what this format writes elsewhere, so its workflow files run
/// unchanged: `input_schema` (JSON Schema-like inputs), `default_model`, `default_max_turns`,
/// `default_timeout`, `on_complete.storage_path`. Keys it has that this build does not run
/// are refused by name, never ignored; `sandstorm_url` (where its agents ran) only warns,
/// because agents run here without it.
extension WorkflowParser {
    static let sandcastleTopLevelFields: Set<String> = [
        "input_schema", "default_model", "default_max_turns", "default_timeout", "on_complete", "sandstorm_url", "policies",
    ]

    /// Sandcastle top-level keys this build refuses, with the reason given to the user.
    static let sandcastleLaterFields: [String: String] = [
        "memory": "`memory` is not supported yet; remove it to run this workflow",
        "default_tools": "`default_tools` (connectors) are not supported; give agent steps `tools:` (Bash, Read, Write, Edit, Glob, Grep, WebFetch)",
        "schedule": "schedules are not read from workflow files yet; remove `schedule` to run this workflow",
    ]

    /// `input_schema: {properties: {NAME: {type, default, description, enum}}, required: [NAME]}`,
    /// read as `inputs:` would be.
    func parseInputSchema(_ top: MappingReader, alongside inputs: [InputDefinition], session: ParseSession) -> [InputDefinition] {
        guard top.has("input_schema") else { return [] }
        guard
            let schema = top.mapping(
                "input_schema", expectation: "write input_schema: {properties: {NAME: {type: string}}, required: [NAME]}")
        else { return [] }
        if !inputs.isEmpty, let location = top.keyLocation("input_schema") {
            session.error(
                .invalidInputDeclaration, at: location, "the workflow declares inputs twice, in `inputs` and in `input_schema`",
                hint: "keep one of them")
            return []
        }
        let required = Set((schema.stringList("required", allowSingle: false) ?? []).map(\.value))
        if let type = schema.string("type"), type.value != "object" {
            session.error(.invalidInputDeclaration, at: type.location, "`input_schema` describes an object, found `type: \(type.value)`")
        }
        var result: [InputDefinition] = []
        if let properties = schema.mapping("properties", expectation: "write properties: {NAME: {type: string}}") {
            for name in properties.keys {
                guard let node = properties.value(name) else { continue }
                let location = properties.keyLocation(name) ?? node.location
                if let problem = Self.nameProblem(name) {
                    session.error(.invalidInputDeclaration, at: location, problem)
                    continue
                }
                guard var input = parseInput(name, node: node, location: location, session: session) else { continue }
                // JSON Schema's rule: required only when listed; a default always makes it optional.
                input.required = required.contains(name) && input.defaultValue == nil
                result.append(input)
            }
        }
        for name in required.subtracting(result.map(\.name)).sorted() {
            session.error(
                .invalidInputDeclaration, at: schema.keyLocation("required"),
                "`input_schema.required` names `\(name)`, which `properties` does not declare")
        }
        schema.reportUnknownFields(allowed: ["type", "properties", "required", "additionalProperties", "description", "title"])
        return result
    }

    /// `default_model`, `default_max_turns` and `default_timeout` at the top, as Sandcastle writes them.
    func parseSandcastleDefaults(_ top: MappingReader, into defaults: inout StepDefaults, session: ParseSession) {
        func conflict(_ key: String, _ native: String, at location: SourceLocation?) {
            session.error(
                .invalidValue, at: location, "`\(key)` and `defaults.\(native)` both set the same default",
                hint: "keep one of them")
        }
        if let model = top.nonEmptyString("default_model", hint: "name a model: sonnet, haiku, openai/gpt-4o") {
            if defaults.model != nil { conflict("default_model", "model", at: model.location) }
            defaults.model = defaults.model ?? model
        }
        if let turns = top.integer("default_max_turns", in: AgentStepConfiguration.maxTurnsRange) {
            if defaults.maxTurns != nil { conflict("default_max_turns", "max_turns", at: turns.location) }
            defaults.maxTurns = defaults.maxTurns ?? turns
        }
        if let timeout = top.duration("default_timeout", in: .seconds(1)...Self.maximumStepTimeout) {
            if defaults.timeout != nil { conflict("default_timeout", "timeout", at: timeout.location) }
            defaults.timeout = defaults.timeout ?? timeout
        }
    }

    /// `on_complete: {storage_path: "results/{run_id}.json"}`.
    func parseOnComplete(_ top: MappingReader, session: ParseSession) -> CompletionActions? {
        guard top.has("on_complete") else { return nil }
        guard let reader = top.mapping("on_complete", expectation: "write on_complete: {storage_path: \"results/{run_id}.json\"}")
        else { return nil }
        let path = reader.template("storage_path")
        if let path, path.source.contains("..") || path.source.hasPrefix("/") {
            session.error(
                .invalidValue, at: path.location, "`on_complete.storage_path` must stay inside the storage folder",
                hint: "write a relative path without `..`: results/{run_id}.json")
        }
        let webhook = webhookURL(reader, session: session)
        reader.reportUnknownFields(allowed: ["storage_path", "webhook"])
        return CompletionActions(storagePath: path, webhook: webhook)
    }

    /// Sandcastle's top-level `on_failure: {dead_letter: BOOL, webhook: URL}` (read in both
    /// formats). A scalar `on_failure` at the top is this format's own, misplaced (it belongs in
    /// `defaults`), and says so.
    func parseOnFailure(_ top: MappingReader, session: ParseSession) -> FailureActions? {
        guard let node = top.peek("on_failure"), case .mapping = node.content else { return nil }
        guard let reader = top.mapping("on_failure", expectation: "write on_failure: {dead_letter: true, webhook: https://…}") else {
            return nil
        }
        let webhook = webhookURL(reader, session: session)
        let deadLetter = reader.bool("dead_letter")
        reader.reportUnknownFields(allowed: ["webhook", "dead_letter"])
        return FailureActions(webhook: webhook, deadLetter: deadLetter)
    }

    /// A webhook URL: http(s) with a host. Where it may point is checked when a run is submitted.
    private func webhookURL(_ reader: MappingReader, session: ParseSession) -> Located<String>? {
        guard let url = reader.string("webhook") else { return nil }
        let lowered = url.value.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.value.count > "https://".count else {
            session.error(.invalidValue, at: url.location, "`webhook` must be an http or https URL, got `\(url.value.prefix(80))`")
            return nil
        }
        return url
    }

    func warnAboutIgnoredFields(_ top: MappingReader, session: ParseSession) {
        guard let location = top.keyLocation("sandstorm_url") else { return }
        top.markRead("sandstorm_url")
        session.warning(
            .unknownField, at: location, "`sandstorm_url` is ignored: agent steps run here, in the step's sandbox",
            hint: "remove it")
    }
}

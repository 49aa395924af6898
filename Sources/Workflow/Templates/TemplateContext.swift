/// The result of a finished step, as templates and expressions see it.
public struct StepResult: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case completed
        case failed
        case skipped
    }

    /// stdout parsed as JSON when it is JSON, else the text; a list for a fan-out step; null when skipped.
    public var output: JSONValue
    public var status: Status
    public var error: String?
    public var exitCode: Int?

    public init(output: JSONValue, status: Status = .completed, error: String? = nil, exitCode: Int? = nil) {
        self.output = output
        self.status = status
        self.error = error
        self.exitCode = exitCode
    }
}

/// Everything a template or expression can read at one moment of a run.
public struct TemplateContext: Sendable {
    public var runID: String
    /// Input values after defaults and type conversion (see ``InputBinder``).
    public var inputs: [String: JSONValue]
    /// Results of the steps that have finished.
    public var steps: [String: StepResult]
    /// The environment the run was started with, for `{env.X}`.
    public var environment: [String: String]
    /// The current fan-out item and its index, inside a `parallel_over` step.
    public var item: (value: JSONValue, index: Int)?

    public init(
        runID: String, inputs: [String: JSONValue] = [:], steps: [String: StepResult] = [:],
        environment: [String: String] = [:], item: (value: JSONValue, index: Int)? = nil
    ) {
        self.runID = runID
        self.inputs = inputs
        self.steps = steps
        self.environment = environment
        self.item = item
    }

    /// The same context for one item of a fan-out.
    public func withItem(_ value: JSONValue, index: Int) -> TemplateContext {
        var copy = self
        copy.item = (value, index)
        return copy
    }

    /// The value of a reference; throws when it does not exist (templates must not silently
    /// render something else than what the author meant).
    public func resolve(_ reference: TemplateReference) throws(WorkflowError) -> JSONValue {
        switch reference {
        case .runID:
            return .string(runID)
        case .env(let name):
            guard let value = environment[name] else {
                throw WorkflowError(.templateResolution, "`{env.\(name)}`: the environment variable \(name) is not set")
            }
            return .string(value)
        case .input(let name, let path):
            guard let value = inputs[name] else {
                throw WorkflowError(.templateResolution, "`{\(reference)}`: the input `\(name)` has no value")
            }
            return try follow(path, from: value, base: "input.\(name)", reference: reference)
        case .fanOutItem(let path):
            guard let item else {
                throw WorkflowError(.templateResolution, "`{\(reference)}` is only defined inside a `parallel_over` step")
            }
            return try follow(path, from: item.value, base: "input._item", reference: reference)
        case .fanOutIndex:
            guard let item else {
                throw WorkflowError(.templateResolution, "`{input._index}` is only defined inside a `parallel_over` step")
            }
            return .integer(item.index)
        case .step(let id, let field, let path):
            guard let result = steps[id] else {
                throw WorkflowError(.templateResolution, "`{\(reference)}`: step `\(id)` has not finished")
            }
            switch field {
            case .output: return try follow(path, from: result.output, base: "steps.\(id).output", reference: reference)
            case .status: return .string(result.status.rawValue)
            case .error: return result.error.map(JSONValue.string) ?? .null
            case .exitCode: return result.exitCode.map(JSONValue.integer) ?? .null
            }
        }
    }

    /// The value of a reference, or null when it does not exist: how `when:` reads values, so a
    /// condition on an optional field is false rather than an error.
    public func resolveOrNull(_ reference: TemplateReference) -> JSONValue {
        (try? resolve(reference)) ?? .null
    }

    private func follow(
        _ path: [String], from value: JSONValue, base: String,
        reference: TemplateReference
    ) throws(WorkflowError) -> JSONValue {
        var current = value
        var walked = base
        for segment in path {
            guard let next = current.child(segment) else {
                let found: String
                switch current {
                case .array(let items): found = "a list of \(items.count)"
                case .object(let members):
                    found = "an object with keys \(members.keys.sorted().prefix(10).map { "`\($0)`" }.joined(separator: ", "))"
                default: found = current.typeName == "null" ? "null" : "a \(current.typeName)"
                }
                throw WorkflowError(.templateResolution, "`{\(reference)}`: `\(walked)` is \(found), with no `\(segment)`")
            }
            current = next
            walked += ".\(segment)"
        }
        return current
    }
}

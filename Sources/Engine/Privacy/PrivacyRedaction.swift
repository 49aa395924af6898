import Guardrails
import JSONValues
import Workflow

extension JSONValue {
    /// This value with every PII entity in its strings (object keys too) replaced by its
    /// placeholder, and how many were replaced. Numbers are left alone: a card number stored as
    /// a JSON number is not text a detector can read reliably, and placeholders are strings.
    public func redactingPII(with detector: PIIDetector) -> (value: JSONValue, replaced: Int) {
        var replaced = 0
        func walk(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text):
                let (clean, matches) = detector.redact(text)
                replaced += matches.count
                return .string(clean)
            case .array(let items):
                return .array(items.map(walk))
            case .object(let members):
                var result: [String: JSONValue] = [:]
                for (key, member) in members {
                    let (cleanKey, matches) = detector.redact(key)
                    replaced += matches.count
                    result[cleanKey] = walk(member)
                }
                return .object(result)
            case .null, .bool, .integer, .number:
                return value
            }
        }
        let value = walk(self)
        return (value, replaced)
    }
}

extension WorkflowEngine {
    /// The privacy settings in force for `workflow`: its own `privacy:` block, else the engine's
    /// (the server's `PRIVACY_*` settings).
    public func privacy(for workflow: WorkflowDefinition) -> PrivacySettings {
        workflow.privacy ?? configuration.privacy
    }

    /// A finished step's output, tail and error with PII replaced, when the `outputs` target is
    /// on: applied where the scheduler receives a completion, so what is stored and what
    /// dependents read are the same redacted value.
    static func redactingOutputs(_ completion: StepCompletion, detector: PIIDetector?) -> StepCompletion {
        guard let detector else { return completion }
        var completion = completion
        completion.result.output = completion.result.output.redactingPII(with: detector).value
        completion.result.error = completion.result.error.map { detector.redact($0).text }
        completion.outputTail = completion.outputTail.map { detector.redact($0).text }
        return completion
    }
}

import Foundation
import Sandbox
import Store
import Workflow

extension WorkflowEngine {
    /// Persists a step's final state and its event (with `alongside`, in the same commit), then reports it.
    func record(_ completion: StepCompletion, runID: String, reason: String? = nil, alongside: [RunChange] = []) throws {
        let status = completion.status
        // What the store keeps: the output as a policy redacted it for storage, when it did.
        let output = completion.storedOutput ?? completion.result.output
        let stored = try Self.storedOutput(output, runID: runID, name: completion.stepID, configuration: configuration)
        let (outputJSON, outputText, outputPath) = (stored.json, stored.text, stored.path)
        let finished = RunEvent.StepFinished(
            step: completion.stepID, status: status, durationMs: Self.milliseconds(completion.duration),
            error: completion.result.error, reason: reason,
            outputTail: completion.outputTail.flatMap { $0.isEmpty ? nil : $0 },
            output: outputPath == nil && status == .completed ? output : nil, outputPath: outputPath)
        try persist {
            // The step's result and its event commit together: the checkpoint after every step.
            try repository.write(
                completion.deferred + [
                    .upsertStep(
                        StepRecord(
                            runID: runID, stepID: completion.stepID, status: status, backend: completion.backend,
                            exitCode: completion.result.exitCode, outputJSON: outputJSON, outputText: outputText, outputPath: outputPath, finishedAt: Date(),
                            error: completion.result.error ?? reason)),
                    .event(runID, .stepFinished(finished)),
                ] + alongside)
        }
        onEvent(
            .stepFinished(
                step: completion.stepID, status: status, duration: completion.duration,
                error: completion.result.error ?? reason, outputTail: completion.outputTail))
    }

    /// How an output is kept in a step row: JSON or text inline, or, above the inline limit (when
    /// there is a data folder), in full in a file named after `name` with its head inline.
    static func storedOutput(
        _ output: JSONValue, runID: String, name: String,
        configuration: EngineConfiguration
    ) throws -> (json: String?, text: String?, path: String?) {
        let text: String? = if case .string(let value) = output { value } else { nil }
        let json: String? = if case .string = output { nil } else if output == .null { nil } else { output.jsonText }
        let full = json ?? text ?? ""
        guard full.utf8.count > configuration.inlineOutputLimit, let dataDirectory = configuration.dataDirectory else {
            return (json, text, nil)
        }
        let path = RunFiles(dataDirectory: dataDirectory).outputFile(runID, step: name, json: json != nil)
        do {
            try DataFolder.write(Data(full.utf8), to: path)
        } catch {
            throw EngineError(.persistence, "cannot write the output of `\(name)` to \(path): \(error)", cause: error)
        }
        return (nil, head(of: full, bytes: configuration.inlineOutputLimit), path)
    }

    /// At most `bytes` bytes of `text`, cut at a character boundary.
    static func head(of text: String, bytes: Int) -> String {
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > bytes { break }
            result.append(character)
            used += size
        }
        return result
    }
}

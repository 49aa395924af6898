import ArgumentParser
import Orchestrator

extension ServeCommand {
    /// `--dead-letter-failed-runs` / `SANDCASTLE_DEAD_LETTER_FAILED_RUNS` (off) and
    /// `--dead-letter-max-retries` / `SANDCASTLE_DEAD_LETTER_MAX_RETRIES` (3); a bad value stops
    /// the server with its name and value.
    func deadLetterSettings(_ environment: [String: String]) throws -> DeadLetterSettings {
        var failedRuns = deadLetterFailedRuns
        if !failedRuns, let text = environment["SANDCASTLE_DEAD_LETTER_FAILED_RUNS"], !text.isEmpty {
            switch text.lowercased() {
            case "1", "true", "yes", "on": failedRuns = true
            case "0", "false", "no", "off": failedRuns = false
            default: throw ValidationError("SANDCASTLE_DEAD_LETTER_FAILED_RUNS must be true or false, not '\(text)'")
            }
        }
        let retriesText = deadLetterMaxRetries.map(String.init) ?? environment["SANDCASTLE_DEAD_LETTER_MAX_RETRIES"]
        let maxRetries =
            try retriesText.map { text in
                guard let value = Int(text), (0...1000).contains(value) else {
                    throw ValidationError("--dead-letter-max-retries (SANDCASTLE_DEAD_LETTER_MAX_RETRIES) must be 0 to 1000, not '\(text)'")
                }
                return value
            } ?? DeadLetterSettings.defaultMaxRetries
        return DeadLetterSettings(failedRuns: failedRuns, maxRetries: maxRetries)
    }
}

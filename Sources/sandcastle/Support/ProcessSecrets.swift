import Foundation
import Guardrails

/// The secrets this process was started with, registered with the scrubber before any command
/// runs (issue 15 §2: "the exact values of every credential and provider key the server holds"),
/// so none of them can reach the store, an event, a log line, a webhook or an error message.
enum ProcessSecrets {
    /// Registers every secret-looking variable of `environment`: provider keys (`ANTHROPIC_API_KEY`,
    /// `OPENAI_API_KEY`, …), the server's keys and pepper, and any other `*_API_KEY`, `*_TOKEN`,
    /// `*_SECRET`, `*_PASSWORD` a deployment passes (comma-separated lists split).
    static func register(from environment: [String: String]) {
        var values: [String] = []
        for (name, value) in environment where isSecretName(name) {
            values += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        ScrubbingSystem.register(exactValues: values)
    }

    /// Whether a variable named `name` holds a secret by the names deployments use for them.
    static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        let suffixes = [
            "API_KEY", "API_KEYS", "AUTH_TOKEN", "ACCESS_TOKEN", "TOKEN", "SECRET", "SECRET_KEY", "PEPPER", "PASSWORD",
            "PASSWD", "CREDENTIAL_KEY", "PRIVATE_KEY",
        ]
        return suffixes.contains { upper == $0 || upper.hasSuffix("_" + $0) }
    }
}

import ArgumentParser
import Logging
import ProviderDouble

/// `sandcastle provider-double`: the scripted stand-in model provider as a process, for the
/// official-SDK fidelity check (scripts/compat-providers), Python tests and the benchmark.
/// Hidden from help: it is a testing tool, not a feature.
struct ProviderDoubleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider-double",
        abstract: "Serve a scripted stand-in for the Anthropic and OpenAI APIs (testing tool).",
        discussion: """
            Serves POST /v1/messages (Anthropic) and POST /v1/chat/completions (OpenAI), streamed and not. \
            Each request takes the next turn of its conversation's script: the conversation is the \
            x-double-conversation header, else the API key or bearer token. See docs/agents.md.
            """,
        shouldDisplay: false)

    @Option(name: .long, help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port (0 picks a free one; the line on stderr names it).")
    var port = 0

    @Option(name: .long, help: "Script file, JSON or YAML (turns, or conversations by key with a default).")
    var script: String?

    @Option(name: .customLong("token-delay-ms"), help: "Pause before each streamed token (default 0: no added latency).")
    var tokenDelayMs = 0

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical (default).")
    var logLevel = "critical"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard tokenDelayMs >= 0 else { throw ValidationError("--token-delay-ms must be 0 or more") }
        var configuration = ProviderDouble.Configuration(host: host, port: port, logLevel: level)
        configuration.tokenDelay = .milliseconds(tokenDelayMs)
        if let script {
            do {
                configuration.script = try ProviderScriptFile.load(path: script)
            } catch {
                Console.error("sandcastle provider-double: \(error)")
                throw ExitCode(2)
            }
        }
        let host = self.host
        do {
            try await ProviderDouble.serve(configuration) { port in
                // One machine-readable line: scripts read the port from it (useful with --port 0).
                Console.error("sandcastle provider-double: listening on http://\(host):\(port)")
            }
        } catch {
            Console.error("sandcastle provider-double: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
    }
}

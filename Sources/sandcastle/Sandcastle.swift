import ArgumentParser
import Foundation
import Guardrails
import Sandbox
import ServerCore
import Store

@main
struct Sandcastle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandcastle",
        abstract: "Hardened Docker sandboxes driven by a Swift runner, for agent steps on your own machine.",
        version: SandcastleVersion.current,
        subcommands: [
            Doctor.self, SandboxGroup.self, ImagesCommand.self, ProfileCommand.self,
            ValidateCommand.self, DagCommand.self, RunCommand.self, RunsCommand.self, ScheduleCommand.self, KeysCommand.self,
            DeadLetterCommand.self, CredentialsCommand.self, AuditCommand.self, AgentCommand.self, ServeCommand.self,
            BenchCommand.self,
            ProviderDoubleCommand.self,
        ])

    /// ArgumentParser's entry point, with the process's secrets registered with the scrubber
    /// first (issue 15 §2), and everything a command changes in the store recorded in the audit
    /// log as the CLI's doing (`serve` sets each request's caller instead, its own work the engine's).
    static func main() async {
        ProcessSecrets.register(from: ProcessInfo.processInfo.environment)
        await AuditActor.$current.withValue(.cli) { await runCommand() }
    }

    /// Parses and runs the command; a failing command's message is scrubbed before it is printed.
    private static func runCommand() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = ScrubbingSystem.scrub(fullMessage(for: error))
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code.rawValue)
        }
    }
}

struct SandboxGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run commands and shells in hardened sandboxes.",
        subcommands: [SandboxRun.self, SandboxShell.self])
}

/// Options every command that creates a sandbox shares.
struct SandboxOptions: ParsableArguments {
    @Option(name: .long, help: "Image: base, python, node, agent, or any image name.")
    var image = "base"

    @Option(name: .long, help: "Isolation profile (default, networked, strict, or a custom one; see `sandcastle profile ls`).")
    var profile = "default"

    @Flag(name: .long, help: "Give the sandbox Docker's bridge network (egress). Default: no network.")
    var network = false

    @Option(name: [.customShort("e"), .long], help: "Environment variable KEY=VALUE (repeatable).")
    var env: [String] = []

    func spec() throws -> Sandbox.SandboxSpec {
        var environment: [String: String] = [:]
        for entry in env {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--env expects KEY=VALUE, got '\(entry)'")
            }
            environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return Sandbox.SandboxSpec(image: image, profile: profile, network: network ? .bridge : nil, environment: environment)
    }
}

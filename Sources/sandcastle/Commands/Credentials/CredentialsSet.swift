import ArgumentParser
import Foundation

/// `sandcastle credentials set NAME [--from-env VAR]`: the value comes from stdin (one trailing
/// newline dropped) or a variable, never from an argument, which would land in the shell's
/// history and in `ps`.
struct CredentialsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Store a credential; its value is read from stdin (or --from-env VAR), never from an argument.",
        discussion: "Example: printf %s \"$TOKEN\" | sandcastle credentials set github:default")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The credential's name, `service:connection` (e.g. github:default).")
    var name: String

    @Option(name: .customLong("from-env"), help: "Read the value from this environment variable instead of stdin.")
    var fromEnvironment: String?

    /// The largest value read from stdin (the vault refuses more than 64 KiB anyway).
    static let maximumInputBytes = 1 << 20

    func run() async throws {
        let value = try readValue()
        if let client = try options.remote() {
            let stored = try await Remote.orExit { try await client.setCredential(name: name, value: value) }
            Console.print("stored \(stored.name) (\(stored.maskedValue ?? "****")) on \(client.server.url)")
            return
        }
        let service = try await RunDriver.openService(dataDirectory: options.directory, sandboxes: .none, creatingStore: true)
        let stored = try CredentialsCommand.orExit { try service.credentials.set(name, value: value) }
        Console.print("stored \(stored.name) (\(stored.masked ?? "****"))")
    }

    private func readValue() throws -> String {
        var value: String
        if let fromEnvironment {
            guard let text = ProcessInfo.processInfo.environment[fromEnvironment] else {
                throw Remote.refuse("the variable \(fromEnvironment) is not set")
            }
            value = text
        } else {
            if isatty(STDIN_FILENO) == 1 { Console.error("sandcastle: type the value, then Ctrl-D") }
            let data = FileHandle.standardInput.readData(ofLength: Self.maximumInputBytes + 1)
            guard data.count <= Self.maximumInputBytes else { throw Remote.refuse("the value on stdin is larger than 1 MiB") }
            guard let text = String(data: data, encoding: .utf8) else { throw Remote.refuse("the value on stdin is not UTF-8 text") }
            value = text
            // `echo TOKEN |` adds a newline nobody means as part of the secret.
            if value.hasSuffix("\r\n") {
                value.removeLast(2)
            } else if value.hasSuffix("\n") {
                value.removeLast()
            }
        }
        guard !value.isEmpty else {
            throw Remote.refuse("the value is empty: pipe the secret to stdin, or name a set variable with --from-env")
        }
        return value
    }
}

import ArgumentParser
import Foundation
import ServerCore

/// `sandcastle credentials rotate-key [--new-key-file F]`: re-seals every credential (and the
/// server's sealed sandbox environments) under a new key in one transaction, then replaces the
/// key file. Local only: the key never travels, and the server must be stopped (it holds the
/// old key in memory), which the data folder's lock checks.
struct CredentialsRotateKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "Re-seal every credential under a new key (local data folder only; stop the server first).",
        discussion: """
            The new key is, in order: the file --new-key-file (32 bytes in base64 or hex, as \
            `openssl rand -base64 32` writes), $SANDCASTLE_NEW_CREDENTIAL_KEY, or a random one \
            when the key is the data folder's file. With $SANDCASTLE_CREDENTIAL_KEY set there is \
            no file to replace: set the variable to the new key afterwards.
            """)

    @Option(name: .customLong("data-dir"), help: "Where state lives (default: $SANDCASTLE_DATA_DIR, else ./data).")
    var dataDirectory: String?

    @Option(name: .customLong("new-key-file"), help: "A file holding the new key (base64 or hex of 32 bytes).")
    var newKeyFile: String?

    func run() async throws {
        let directory = dataDirectory ?? ProcessInfo.processInfo.environment["SANDCASTLE_DATA_DIR"] ?? "./data"
        // A running server keeps the old key: refuse while it holds the data folder.
        let lock = try CredentialsCommand.orExit { try DataDirectoryLock(dataDirectory: directory) }
        defer { withExtendedLifetime(lock) {} }
        var newKey: (text: String, origin: String)?
        if let newKeyFile {
            guard let data = FileManager.default.contents(atPath: newKeyFile), let text = String(data: data, encoding: .utf8) else {
                throw Remote.refuse("cannot read the new key file \(newKeyFile)")
            }
            newKey = (text, "the new key file \(newKeyFile)")
        } else if let text = ProcessInfo.processInfo.environment["SANDCASTLE_NEW_CREDENTIAL_KEY"], !text.isEmpty {
            newKey = (text, "SANDCASTLE_NEW_CREDENTIAL_KEY")
        }
        let service = try await RunDriver.openService(dataDirectory: directory, sandboxes: .none)
        let rotation = try CredentialsCommand.orExit {
            try service.rotateCredentialKey(newKeyText: newKey?.text, origin: newKey?.origin ?? "the new key")
        }
        Console.print(
            "re-sealed \(rotation.credentials) credential(s) and \(rotation.sandboxEnvironments) sandbox environment(s): "
                + "key \(rotation.oldKeyID) → \(rotation.newKeyID)")
        if !rotation.replacedKeyFile {
            Console.print("set SANDCASTLE_CREDENTIAL_KEY to the new key (key id \(rotation.newKeyID)) before the next start")
        }
    }
}

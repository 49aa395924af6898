import ArgumentParser
import EngineService
import Foundation

/// `sandcastle credentials set|list|delete|rotate-key`: named credentials, sealed in the data
/// folder (or a server's, with --url), given as environment variables only to the steps that
/// declare them (`credentials: [github:default]`). Values are read from stdin or a variable,
/// never from the command line, and shown masked.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Store named credentials for the workflow steps that declare them: set, list, delete, rotate-key.",
        discussion: """
            A credential is named `service:connection` (lowercase letters, digits, `_`, `.`, `-`), \
            e.g. `github:default`. Its value is sealed with AES-256-GCM under the data folder's key: \
            $SANDCASTLE_CREDENTIAL_KEY (32 bytes in base64 or hex; make one with \
            `openssl rand -base64 32`) or else the key file credentials.key, made on first use. \
            A step receives it only if it declares it:

              steps:
                - id: release
                  run: gh release create v1
                  credentials: [{name: github:default, env: GITHUB_TOKEN}]

            Examples:
              printf %s "$TOKEN" | sandcastle credentials set github:default
              sandcastle credentials set github:default --from-env GITHUB_TOKEN
              sandcastle credentials list
              sandcastle credentials delete github:default
              sandcastle credentials rotate-key
            """,
        subcommands: [CredentialsSet.self, CredentialsList.self, CredentialsDelete.self, CredentialsRotateKey.self])

    /// Ends the command with the vault's or the service's message (which never holds a value).
    static func orExit<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            Console.error("sandcastle: \(error)")
            throw ExitCode(1)
        }
    }
}

import ArgumentParser
import Foundation

/// `sandcastle credentials delete NAME`.
struct CredentialsDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a credential.", aliases: ["rm"])

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The credential's name.")
    var name: String

    func run() async throws {
        if let client = try options.remote() {
            try await Remote.orExit { try await client.deleteCredential(name: name) }
            Console.print("deleted \(name) on \(client.server.url)")
            return
        }
        let service = try await options.openService()
        guard try CredentialsCommand.orExit({ try service.credentials.delete(name) }) else {
            Console.error("sandcastle: no credential \(name) in \(service.settings.dataDirectory)")
            throw ExitCode(1)
        }
        Console.print("deleted \(name)")
    }
}

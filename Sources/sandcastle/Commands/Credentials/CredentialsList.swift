import ArgumentParser
import Foundation
import JSONValues

/// `sandcastle credentials list [--json]`: names and masked values, never a value.
struct CredentialsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the stored credentials, masked (first 4 … last 4).", aliases: ["ls"])

    @OptionGroup var options: DataDirectoryOptions

    @Flag(name: .long, help: "Print JSON: [{name, masked_value, key_id, created_at, updated_at, last_used_at}].")
    var json = false

    func run() async throws {
        var rows: [(name: String, masked: String?, keyID: String?, updated: Date?, lastUsed: Date?)]
        let place: String
        if let client = try options.remote() {
            rows = try await Remote.orExit { try await client.credentials() }.map {
                ($0.name, $0.maskedValue, $0.keyID, $0.updatedAt, $0.lastUsedAt)
            }
            place = client.server.url
        } else {
            let service = try await options.openService()
            rows = try CredentialsCommand.orExit { try service.credentials.list() }.map {
                ($0.name, $0.masked, $0.keyID, $0.updatedAt, $0.lastUsedAt)
            }
            place = service.settings.dataDirectory
        }
        if json {
            let items: [JSONValue] = rows.map { row in
                [
                    "name": .string(row.name), "masked_value": row.masked.map(JSONValue.string) ?? .null,
                    "key_id": row.keyID.map(JSONValue.string) ?? .null, "updated_at": Self.timestamp(row.updated),
                    "last_used_at": Self.timestamp(row.lastUsed),
                ]
            }
            Console.print(JSONValue.array(items).jsonText)
            return
        }
        guard !rows.isEmpty else {
            Console.print("no credentials in \(place)")
            return
        }
        let table = rows.map { row in
            [
                row.name, row.masked ?? "(sealed under key \(row.keyID ?? "?"))", row.updated.map(RunsFormat.timestamp) ?? "-",
                row.lastUsed.map(RunsFormat.timestamp) ?? "never",
            ]
        }
        for line in RunsFormat.columns([["NAME", "VALUE", "UPDATED", "LAST USED"]] + table) { Console.print(line) }
    }

    private static func timestamp(_ date: Date?) -> JSONValue {
        date.map { .string($0.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))) } ?? .null
    }
}

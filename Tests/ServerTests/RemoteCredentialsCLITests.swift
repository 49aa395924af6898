import Foundation
import Testing

/// `sandcastle credentials set|list|delete --url` as a child process against a live server:
/// the value reaches the server's vault (not a local data folder) and comes back masked only.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RemoteCredentialsCLITests {
    static let value = "ghp_remoteCLI0123456789abcdefWXYZ"

    @Test func aServersCredentialsAreSetListedAndDeletedFromTheCLI() async throws {
        try await RemoteCLIFixture.with(workflows: [:]) { server in
            let set = try await server.cli(["credentials", "set", "github:default", "--from-env", "TOKEN"], environment: ["TOKEN": Self.value])
            #expect(set.status == 0 && set.stdout.contains("stored github:default (ghp_...WXYZ) on \(server.url)"), "\(set.all)")
            #expect(try server.orchestrator.runs.credentials.value(of: "github:default") == Self.value, "stored in the server's vault")

            let list = try await server.cli(["credentials", "list"])
            #expect(list.status == 0 && list.stdout.contains("github:default") && list.stdout.contains("ghp_...WXYZ"), "\(list.all)")
            let json = try await server.cli(["credentials", "list", "--json"])
            let items = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(items?.first?["masked_value"] as? String == "ghp_...WXYZ", "\(json.all)")

            let unauthorized = try await server.cli(["credentials", "list"], key: "wrong-key")
            #expect(unauthorized.status == 1 && unauthorized.stderr.contains("401"), "\(unauthorized.all)")

            let deleted = try await server.cli(["credentials", "delete", "github:default"])
            #expect(deleted.status == 0, "\(deleted.all)")
            let missing = try await server.cli(["credentials", "delete", "github:default"])
            #expect(missing.status == 1 && missing.stderr.contains("404"), "\(missing.all)")
            for output in [set, list, json, deleted] { #expect(!output.all.contains(Self.value)) }
        }
    }
}

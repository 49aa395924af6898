import Crypto
import Foundation
import Testing

@testable import Store

/// Named credentials sealed at rest (issue 15 §5): what the database file holds, what a wrong
/// key says, names and values refused, and masking.
@Suite struct CredentialVaultTests {
    static let token = "ghp_live0123456789abcdefSECRETvalue"

    /// A migrated database in `dir` and a vault whose key comes from the data folder's file.
    static func vault(in dir: URL, environment: [String: String] = [:]) throws -> (CredentialVault, SQLiteDatabase, String) {
        let path = dir.appendingPathComponent("sandcastle.sqlite").path
        let database = try SQLiteDatabase(path: path)
        try Migrator.migrate(database)
        return (CredentialVault(database: database, keySource: CredentialKeySource(dataDirectory: dir.path, environment: environment)), database, path)
    }

    @Test func aValueIsSealedInTheFileReadBackByTheEngineAndListedMasked() throws {
        try withTemporaryDirectory { dir in
            let (vault, database, path) = try Self.vault(in: dir)
            let keyFile = dir.appendingPathComponent("credentials.key").path
            #expect(!FileManager.default.fileExists(atPath: keyFile), "no key file before a credential needs one")
            let stored = try vault.set("github:default", value: Self.token)
            #expect(stored.masked == "ghp_...alue" && stored.name == "github:default" && stored.lastUsedAt == nil)
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600, "the key file made on first use is the owner's only")

            #expect(try vault.value(of: "github:default") == Self.token)
            #expect(try vault.record("github:default")?.lastUsedAt != nil, "a step's use is recorded")
            #expect(try vault.list().map(\.name) == ["github:default"])
            #expect(try vault.allValues() == [Self.token])
            try database.read { _ = try $0.query("PRAGMA wal_checkpoint(TRUNCATE)") }
            #expect(!SecretsAtRestTests.onDisk(path).contains(Self.token), "the value is not in the database file in clear")
            #expect(!SecretsAtRestTests.onDisk(path).contains("SECRETvalue"))

            let replaced = try vault.set("github:default", value: "second-value-0123456789")
            #expect(replaced.masked == "seco...6789" && replaced.createdAt == stored.createdAt)
            #expect(try vault.delete("github:default"))
            #expect(try !vault.delete("github:default"), "a second delete finds nothing")
            let missing = #expect(throws: CredentialError.self) { try vault.value(of: "github:default") }
            #expect(missing?.code == .notFound && missing?.message.contains("sandcastle credentials set github:default") == true)
        }
    }

    @Test func aWrongKeyNamesTheCredentialAndBothKeysNeverGarbage() throws {
        try withTemporaryDirectory { dir in
            let (vault, database, _) = try Self.vault(in: dir)
            try vault.set("stripe:live", value: "sk_live_abcdefghijklmnop")
            let right = try vault.key()
            let wrong = SecretBox(key: SymmetricKey(size: .bits256))
            let stranger = CredentialVault(database: database, key: wrong)
            let error = #expect(throws: CredentialError.self) { try stranger.value(of: "stripe:live") }
            #expect(error?.code == .wrongKey)
            let message = error?.message ?? ""
            #expect(message.contains("stripe:live") && message.contains(right.keyID) && message.contains(wrong.keyID), "\(message)")
            #expect(!message.contains("sk_live"))
            #expect(try stranger.list().first?.masked == nil, "listed, but not opened")
            #expect(try stranger.allValues().isEmpty)
        }
    }

    @Test func aSealedValueMovedToAnotherNameDoesNotOpen() throws {
        try withTemporaryDirectory { dir in
            let (vault, database, _) = try Self.vault(in: dir)
            try vault.set("a:one", value: "value-of-one-0123456789")
            try vault.set("b:two", value: "value-of-two-0123456789")
            try database.execute("UPDATE credentials SET sealed_value = (SELECT sealed_value FROM credentials WHERE name = 'a:one') WHERE name = 'b:two'")
            let error = #expect(throws: CredentialError.self) { try vault.value(of: "b:two") }
            #expect(error?.message.contains("altered") == true)
        }
    }

    @Test(arguments: [
        "", "github", "GitHub:default", "github:", ":default", "a:b:c", "../etc:passwd", "git hub:x", "a\u{0}:b", "<script>:x",
        "github:default/../x", String(repeating: "a", count: 60) + ":" + String(repeating: "b", count: 40),
    ])
    func aBadNameIsRefusedClearly(name: String) throws {
        try withTemporaryDirectory { dir in
            let (vault, _, _) = try Self.vault(in: dir)
            let error = #expect(throws: CredentialError.self) { try vault.set(name, value: "some-value-0123456789") }
            #expect(error?.code == .invalidName && error?.message.contains("service:connection") == true)
            #expect(error?.message.contains("\u{0}") == false, "a NUL is escaped in the message")
        }
    }

    @Test(arguments: [
        "github:default", "postgresql:analytics", "a:b", "aws.s3:prod-eu_1", String(repeating: "a", count: 50) + ":" + String(repeating: "b", count: 49),
    ])
    func aGoodNameIsAccepted(name: String) {
        #expect(CredentialName.problem(name) == nil)
    }

    @Test func anEmptyHugeOrNULValueIsRefused() throws {
        try withTemporaryDirectory { dir in
            let (vault, _, _) = try Self.vault(in: dir)
            #expect(throws: CredentialError.self) { try vault.set("a:b", value: "") }
            let huge = #expect(throws: CredentialError.self) { try vault.set("a:b", value: String(repeating: "x", count: 70_000)) }
            #expect(huge?.code == .tooLarge)
            #expect(throws: CredentialError.self) { try vault.set("a:b", value: "abc\u{0}def") }
            #expect(try vault.list().isEmpty, "nothing was stored")
        }
    }

    @Test func masksShowFourAndFourFromTwelveCharactersOnly() {
        #expect(CredentialMask.mask("short") == "****")
        #expect(CredentialMask.mask("elevenchars") == "****")
        #expect(CredentialMask.mask("twelve-chars") == "twel...hars")
        #expect(CredentialMask.mask("ключ-секрет-значение") == "ключ...ение", "characters, not bytes")
    }

    @Test func theKeyVariableTakesBase64OrHexAndExplainsHowToMakeOne() throws {
        let bytes = (0..<32).map { UInt8($0) }
        let fromBase64 = try CredentialKeySource.parseKey(Data(bytes).base64EncodedString(), from: "X")
        let fromHex = try CredentialKeySource.parseKey(bytes.map { String(format: "%02x", $0) }.joined(), from: "X")
        #expect(fromBase64.keyID == fromHex.keyID && fromBase64.keyID.count == 16)
        for bad in ["not-a-key", Data(bytes.prefix(16)).base64EncodedString(), String(repeating: "zz", count: 32)] {
            let error = #expect(throws: CredentialError.self) { try CredentialKeySource.parseKey(bad, from: "SANDCASTLE_CREDENTIAL_KEY") }
            #expect(error?.code == .invalidKey)
            #expect(error?.message.contains("openssl rand -base64 32") == true && error?.message.contains("SANDCASTLE_CREDENTIAL_KEY") == true)
            #expect(error?.message.contains(bad) == false, "the given text is never echoed")
        }
    }

    @Test func theEnvironmentKeyIsUsedInsteadOfAFile() throws {
        try withTemporaryDirectory { dir in
            let key = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
            let (vault, _, _) = try Self.vault(in: dir, environment: [CredentialKeySource.variable: key])
            let stored = try vault.set("github:ci", value: Self.token)
            #expect(stored.keyID == (try CredentialKeySource.parseKey(key, from: "k")).keyID)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("credentials.key").path))
        }
    }
}

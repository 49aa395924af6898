import Crypto
import Foundation
import Testing

@testable import Store

/// `credentials rotate-key`: everything re-sealed in one transaction, the key file replaced
/// after it, and a crash at either point leaving every credential readable with one of the keys.
@Suite struct CredentialKeyRotationTests {
    static let values = ["github:default": "ghp_first0123456789abcdef", "slack:ops": "xoxb-second-0123456789", "a:b": "short"]

    /// A data folder with three credentials and a server sandbox whose environment is sealed.
    static func prepared(_ dir: URL) throws -> (SQLiteDatabase, CredentialKeySource, SecretBox) {
        let (vault, database, _) = try CredentialVaultTests.vault(in: dir)
        for (name, value) in values { try vault.set(name, value: value) }
        let key = try vault.key()
        try SQLiteSandboxRepository(database: database, secrets: key).insert(
            SecretsAtRestTests.sandbox("s1", status: .running, environment: ["API_TOKEN": "sandbox-secret-1"]))
        return (database, CredentialKeySource(dataDirectory: dir.path, environment: [:]), key)
    }

    /// Every value, read by a vault that loads the key as the next start would.
    static func readAll(_ database: SQLiteDatabase, _ source: CredentialKeySource) throws -> [String: String] {
        let vault = CredentialVault(database: database, keySource: source)
        return try Dictionary(uniqueKeysWithValues: values.keys.map { ($0, try vault.value(of: $0)) })
    }

    @Test func rotationReSealsEverythingAndTheOldKeyNoLongerOpensIt() throws {
        try withTemporaryDirectory { dir in
            let (database, source, old) = try Self.prepared(dir)
            let rotation = try CredentialVault.rotateKey(database: database, keySource: source, newKey: nil)
            #expect(rotation.oldKeyID == old.keyID && rotation.newKeyID != old.keyID)
            #expect(rotation.credentials == 3 && rotation.sandboxEnvironments == 1 && rotation.replacedKeyFile)
            #expect(!FileManager.default.fileExists(atPath: source.nextKeyFile))
            let mode = try FileManager.default.attributesOfItem(atPath: source.keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            #expect(try Self.readAll(database, source) == Self.values, "all readable under the new key")
            let fresh = try source.load(database: database)
            #expect(fresh.keyID == rotation.newKeyID)
            #expect(try SQLiteSandboxRepository(database: database, secrets: fresh).sandbox(id: "s1")?.environment == ["API_TOKEN": "sandbox-secret-1"])

            let withOldKey = CredentialVault(database: database, key: old)
            let error = #expect(throws: CredentialError.self) { try withOldKey.value(of: "github:default") }
            #expect(error?.code == .wrongKey && error?.message.contains(rotation.newKeyID) == true)
            #expect(throws: StoreError.self) { _ = try SQLiteSandboxRepository(database: database, secrets: old).sandbox(id: "s1") }
        }
    }

    @Test func aGivenNewKeyIsUsedAndTheSameKeyIsRefused() throws {
        try withTemporaryDirectory { dir in
            let (database, source, old) = try Self.prepared(dir)
            let same = #expect(throws: CredentialError.self) { try CredentialVault.rotateKey(database: database, keySource: source, newKey: old) }
            #expect(same?.code == .invalidKey)
            let given = SecretBox(key: SymmetricKey(size: .bits256))
            let rotation = try CredentialVault.rotateKey(database: database, keySource: source, newKey: given)
            #expect(rotation.newKeyID == given.keyID)
            #expect(FileManager.default.contents(atPath: source.keyFile).map(Array.init) == given.rawKey)
        }
    }

    @Test func aCrashBeforeTheCommitLeavesEverythingUnderTheOldKey() throws {
        try withTemporaryDirectory { dir in
            let (database, source, old) = try Self.prepared(dir)
            #expect(throws: CredentialVault.SimulatedCrash.self) {
                try CredentialVault.rotateKey(database: database, keySource: source, newKey: nil, stoppingAt: .beforeCommit)
            }
            #expect(FileManager.default.fileExists(atPath: source.nextKeyFile), "the crash left the new key file beside the old")
            // The next start: the database still records the old key, so the stray file goes.
            #expect(try Self.readAll(database, source) == Self.values)
            #expect(!FileManager.default.fileExists(atPath: source.nextKeyFile))
            #expect(try source.load(database: database).keyID == old.keyID)
        }
    }

    @Test func aCrashBetweenTheCommitAndTheRenameIsFinishedAtTheNextStart() throws {
        try withTemporaryDirectory { dir in
            let (database, source, old) = try Self.prepared(dir)
            #expect(throws: CredentialVault.SimulatedCrash.self) {
                try CredentialVault.rotateKey(database: database, keySource: source, newKey: nil, stoppingAt: .beforeRename)
            }
            let next = SecretBox(key: SymmetricKey(data: try #require(FileManager.default.contents(atPath: source.nextKeyFile))))
            #expect(try SecretBox.loadOrCreate(keyFile: source.keyFile).keyID == old.keyID, "the old file is still in place")
            // The rows are under the new key already; the next start renames it into place.
            #expect(try Self.readAll(database, source) == Self.values)
            #expect(!FileManager.default.fileExists(atPath: source.nextKeyFile))
            #expect(try source.load(database: database).keyID == next.keyID)
            #expect(try SQLiteSandboxRepository(database: database, secrets: next).sandbox(id: "s1")?.environment == ["API_TOKEN": "sandbox-secret-1"])
        }
    }

    @Test func aKeyFromTheEnvironmentNeedsTheNewKeyGivenAndReplacesNoFile() throws {
        try withTemporaryDirectory { dir in
            let current = Data((0..<32).map { UInt8($0) }).base64EncodedString()
            let environment = [CredentialKeySource.variable: current]
            let (vault, database, _) = try CredentialVaultTests.vault(in: dir, environment: environment)
            try vault.set("github:default", value: "ghp_env0123456789abcdef")
            let source = CredentialKeySource(dataDirectory: dir.path, environment: environment)
            let missing = #expect(throws: CredentialError.self) { try CredentialVault.rotateKey(database: database, keySource: source, newKey: nil) }
            #expect(missing?.message.contains(CredentialKeySource.newKeyVariable) == true)
            let new = SecretBox(key: SymmetricKey(size: .bits256))
            let rotation = try CredentialVault.rotateKey(database: database, keySource: source, newKey: new)
            #expect(!rotation.replacedKeyFile && !FileManager.default.fileExists(atPath: source.keyFile))
            #expect(try CredentialVault(database: database, key: new).value(of: "github:default") == "ghp_env0123456789abcdef")
        }
    }
}

import Crypto
import Foundation
import Testing

@testable import Store

/// What the store keeps of secrets, and who can read its files.
@Suite struct SecretsAtRestTests {
    static func sandbox(_ id: String, status: SandboxStatus, environment: [String: String]) -> SandboxRecord {
        SandboxRecord(
            id: id, containerID: "c-\(id)", image: "base", profile: "default", status: status, createdAt: Date(),
            expiresAt: Date().addingTimeInterval(600), ttlSeconds: 600, apiKeyID: "key_1", workspace: nil,
            environment: environment, memoryBytes: 1 << 28, nanoCPUs: 500_000_000, network: "none", serverID: "srv")
    }

    /// Every byte the database keeps on disk, the WAL included.
    static func onDisk(_ path: String) -> String {
        [path, path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    @Test func aSandboxsEnvironmentIsSealedInTheFileAndReadsBack() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.sqlite").path
            let database = try SQLiteDatabase(path: path)
            try Migrator.migrate(database)
            let secrets = try SecretBox.loadOrCreate(keyFile: dir.appendingPathComponent("credentials.key").path)
            let repository = SQLiteSandboxRepository(database: database, secrets: secrets)
            try repository.insert(Self.sandbox("a", status: .running, environment: ["MYSECRET": "hunter2"]))

            #expect(try repository.sandbox(id: "a")?.environment == ["MYSECRET": "hunter2"])
            #expect(!Self.onDisk(path).contains("hunter2"), "the value is not in the database file in clear")
            // Another key cannot open it: the value is sealed, not encoded.
            let stranger = SQLiteSandboxRepository(database: database, secrets: SecretBox(key: SymmetricKey(size: .bits256)))
            #expect(throws: StoreError.self) { _ = try stranger.sandbox(id: "a") }
        }
    }

    @Test func aSandboxThatIsGoneKeepsItsVariablesNamesNotTheirValues() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.sqlite").path
            let database = try SQLiteDatabase(path: path)
            try Migrator.migrate(database)
            // Without a key too: what a deleted sandbox keeps must not depend on sealing.
            let repository = SQLiteSandboxRepository(database: database)
            var record = Self.sandbox("b", status: .running, environment: ["TOKEN": "s3cr3t-value", "MODE": "x"])
            try repository.insert(record)
            record.status = .deleted
            try repository.update(record)
            try database.read { _ = try $0.query("PRAGMA wal_checkpoint(TRUNCATE)") }
            #expect(try repository.sandbox(id: "b")?.environment == ["TOKEN": "", "MODE": ""])
            #expect(!Self.onDisk(path).contains("s3cr3t-value"), "a deleted sandbox keeps no values")
        }
    }

    /// A data folder written before sealing: its values in clear are sealed when the store is
    /// opened, a gone sandbox's dropped, and no copy stays in the file or its WAL.
    @Test func environmentsKeptInClearBeforeSealingAreSealedAndLeaveNoCopy() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.sqlite").path
            let database = try SQLiteDatabase(path: path)
            try Migrator.migrate(database)
            let legacy = SQLiteSandboxRepository(database: database)
            try legacy.insert(Self.sandbox("live", status: .running, environment: ["API_TOKEN": "live-hunter2"]))
            try legacy.insert(Self.sandbox("gone", status: .running, environment: ["API_TOKEN": "gone-hunter2"]))
            // What an old version kept for a deleted sandbox: its values, in clear.
            _ = try database.execute("UPDATE sandboxes SET status = 'deleted' WHERE id = 'gone'")
            #expect(Self.onDisk(path).contains("live-hunter2") && Self.onDisk(path).contains("gone-hunter2"))

            let secrets = try SecretBox.loadOrCreate(keyFile: dir.appendingPathComponent("credentials.key").path)
            let sealed = SQLiteSandboxRepository(database: database, secrets: secrets)
            #expect(try sealed.sealEnvironmentsKeptInClear() == 2)
            #expect(try sealed.sealEnvironmentsKeptInClear() == 0, "once")
            #expect(try sealed.sandbox(id: "live")?.environment == ["API_TOKEN": "live-hunter2"])
            #expect(try sealed.sandbox(id: "gone")?.environment == ["API_TOKEN": ""])
            let disk = Self.onDisk(path)
            #expect(!disk.contains("live-hunter2") && !disk.contains("gone-hunter2"), "no copy left in the file or the WAL")
        }
    }

    @Test func valuesWrittenBeforeSealingStillReadAndTheKeyFileIsMadeOnceOwnerOnly() throws {
        try withTemporaryDirectory { dir in
            let keyFile = dir.appendingPathComponent("credentials.key").path
            let first = try SecretBox.loadOrCreate(keyFile: keyFile)
            let again = try SecretBox.loadOrCreate(keyFile: keyFile)
            #expect(try again.unseal(try first.seal("v")) == "v", "the same key is loaded, not a new one made")
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try first.unseal(#"{"A":"1"}"#) == #"{"A":"1"}"#, "an unsealed value from before reads as it is")
        }
    }

    @Test func theDataFolderAndTheDatabaseAreTheOwnersOnly() throws {
        try withTemporaryDirectory { dir in
            let folder = dir.appendingPathComponent("data").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try DataFolder.prepare(folder)
            let path = (folder as NSString).appendingPathComponent("sandcastle.sqlite")
            let database = try SQLiteDatabase(path: path)
            try Migrator.migrate(database)
            func mode(_ path: String) throws -> Int? { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int }
            #expect(try mode(folder) == 0o700, "an existing folder is tightened")
            #expect(try mode(path) == 0o600)
            #expect(try mode(path + "-wal") == 0o600, "SQLite gives its WAL the database's mode")
        }
    }
}
